import itertools
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from ..tools.genealogy import prefix_upper_bound
from ..tools.placement import (
    PLACEMENT_POSITIONS,
    PLACEMENT_PREFERENCES,
    PLACEMENT_STATES,
    POSITION_OF_SLOT,
    SLOT_OF_POSITION,
    Placer,
    decide,
    free_positions_breadth_first,
    subtree_size,
    take,
)
from .mlm_distributor_import_job import IMPORT_CHANNEL, IMPORT_JOB_THRESHOLD

# distributors placed by one job of the placement tree for an existing network (the next job places the rest)
BUILD_CHUNK = 25_000

# Kept by the placement methods with SQL: never written through write().
PLACEMENT_FIELDS = {
    "placement_parent_id",
    "placement_position",
    "placement_slot",
    "placement_path",
    "placement_depth",
    "placement_child_count",
    "placement_state",
    "placement_deadline",
    "placement_date",
}


class MlmDistributor(models.Model):
    """The placement tree: a second tree beside the sponsor (enroller) tree, for binary and matrix plans.

    ``placement_path`` is a materialised path like ``parent_path`` (ids from the root down to the node, each
    followed by ``/``), kept by set-based SQL; Odoo's ``_parent_store`` already serves the sponsor tree.
    """

    _inherit = "mlm.distributor"  # pylint: disable=consider-merging-classes-inherited

    placement_parent_id = fields.Many2one(
        "mlm.distributor",
        index=True,
        ondelete="restrict",
        check_company=True,
        readonly=True,
        copy=False,
        help="Upline in the placement tree (binary or matrix); the sponsor or someone in the sponsor's placement "
        "downline. Changed by placing from the holding tank or by a placement move.",
    )
    placement_parent_code = fields.Char(
        string="Placement Parent ID",
        compute="_compute_placement_parent_code",
        inverse="_inverse_placement_parent_code",
        help="Distributor ID of the placement parent; used to import genealogies.",
    )
    placement_position = fields.Selection(
        PLACEMENT_POSITIONS, copy=False, help="Leg under the placement parent in a binary tree (set on import)."
    )
    placement_slot = fields.Integer(
        readonly=True,
        copy=False,
        help="Position under the placement parent, from 1: left is 1 and right is 2 in a binary tree, "
        "1 to the width in a matrix.",
    )
    placement_path = fields.Char(index=True, readonly=True, copy=False)
    placement_depth = fields.Integer(readonly=True, copy=False, help="Number of placement parents above.")
    placement_child_ids = fields.One2many("mlm.distributor", "placement_parent_id", string="Placed Below")
    placement_child_count = fields.Integer(
        string="Filled Positions",
        readonly=True,
        copy=False,
        help="Positions taken directly below; every placement updates this row, which orders concurrent sign-ups.",
    )
    placement_state = fields.Selection(PLACEMENT_STATES, readonly=True, copy=False, index=True)
    placement_deadline = fields.Datetime(
        readonly=True, copy=False, help="When the holding tank places this recruit automatically."
    )
    placement_date = fields.Datetime(string="Placed On", readonly=True, copy=False)
    placement_preference = fields.Selection(
        PLACEMENT_PREFERENCES,
        help="Where this distributor's recruits are placed; empty: the company's default.",
    )

    def init(self):
        if not self.env.su:  # Odoo's registry hook (run as superuser), public by name: not for RPC callers
            raise AccessError(self.env._("Only the server sets up the database."))
        res = super().init()
        # Two sign-ups never take the same position.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS mlm_distributor_placement_slot_uniq"
                " ON mlm_distributor (placement_parent_id, placement_slot) WHERE placement_parent_id IS NOT NULL"
            )
        )
        self.env.cr.execute(SQL("SELECT datcollate FROM pg_database WHERE datname = current_database()"))
        if self.env.cr.fetchone()[0] not in ("C", "POSIX"):
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS mlm_distributor_placement_path_c_idx"
                    ' ON mlm_distributor (placement_path COLLATE "C")'
                )
            )
        return res

    @api.depends("placement_parent_id.code")
    def _compute_placement_parent_code(self):
        for dist in self:
            dist.placement_parent_code = dist.placement_parent_id.code

    def _inverse_placement_parent_code(self):
        for dist in self:
            if (dist.placement_parent_id.code or False) != (dist.placement_parent_code or False):
                raise UserError(
                    self.env._("Placements change only from the holding tank or with a placement move, not by editing.")
                )

    # ------------------------------------------------------------------ CRUD
    @api.model
    def load(self, fields, data):
        """Genealogy import with a placement parent (``placement_parent_code``) and a position
        (``placement_position``: left/right, or a matrix position number) per row; rows without them are placed
        with their sponsors' preferences. The rows are loaded first, then placed set-based, all or nothing."""
        queued = self.env.context.get("mlm_import_queue") and len(data) > IMPORT_JOB_THRESHOLD
        company = self.env.company
        if queued or (company.mlm_placement_type == "none" and "placement_parent_code" not in fields):
            return super().load(fields, data)
        columns = [fields.index(f) for f in ("placement_parent_code", "placement_position") if f in fields]
        kept = [j for j in range(len(fields)) if j not in columns]
        given = [
            tuple(
                (row[fields.index(f)] or "").strip() if f in fields else ""
                for f in ("placement_parent_code", "placement_position")
            )
            for row in data
        ]
        with self.env.cr.savepoint() as savepoint:
            result = super(MlmDistributor, self.with_context(mlm_placement_later=True)).load(
                [fields[j] for j in kept], [[row[j] for j in kept] for row in data]
            )
            if not result.get("ids"):
                return result
            explicit = {
                rid: (code or None, position or None)
                for rid, (code, position) in zip(result["ids"], given, strict=True)
                if code
            }
            try:
                self.browse(result["ids"])._placement_enrol(explicit)
            except (UserError, ValidationError) as error:
                savepoint.close(rollback=True)
                self.env.invalidate_all()
                return {"ids": False, "messages": [{"type": "error", "message": str(error)}], "nextrow": 0}
        return result

    @api.model_create_multi
    def create(self, vals_list):
        explicit = []
        for vals in vals_list:
            parent = vals.pop("placement_parent_id", None) or vals.pop("placement_parent_code", None)
            vals.pop("placement_parent_code", None)
            position = vals.pop("placement_position", None) or vals.pop("placement_slot", None)
            vals.pop("placement_slot", None)
            explicit.append((parent, position))
        records = super().create(vals_list)
        if not self.env.context.get("mlm_placement_later"):
            records._placement_enrol(dict(zip(records.ids, explicit, strict=True)))
        return records

    def write(self, vals):
        if PLACEMENT_FIELDS & set(vals):
            raise UserError(
                self.env._("Placements change only from the holding tank or with a placement move, not by editing.")
            )
        return super().write(vals)

    # ------------------------------------------------------------------ settings and facts
    def _placement_width(self, company):
        return 2 if company.mlm_placement_type == "binary" else max(company.mlm_matrix_width, 1)

    def _placement_preference_of(self, sponsor):
        company = sponsor.company_id
        if company.mlm_placement_type == "matrix":
            return "spillover"
        return sponsor.placement_preference or company.mlm_placement_preference

    def _placement_slot_of(self, company, position):
        """Slot of a position given as ``left``/``right`` or as a number."""
        if position in SLOT_OF_POSITION:
            slot = SLOT_OF_POSITION[position]
        else:
            try:
                slot = int(position)
            except (TypeError, ValueError):
                slot = 0
        if not 1 <= slot <= self._placement_width(company):
            raise UserError(self.env._("There is no position %(position)s in this tree.", position=position))
        return slot

    def _placement_leg_volumes(self):
        """Volumes of the placement legs of each distributor of ``self`` in the current period:
        ``{distributor id: {slot: {"pv": personal volume of the leg's first member, "gv": the leg's volume,
        "carry": volume carried over into the leg, or None when no plan carries volume}}}``, slots from 1
        (binary: 1 left, 2 right). Zeros here; ``mlm_commission`` overrides it with the period's volumes.
        The ``weaker`` preference compares ``gv + carry``."""
        result = {}
        for dist in self:
            width = self._placement_width(dist.company_id)
            result[dist.id] = {slot: {"pv": 0.0, "gv": 0.0, "carry": None} for slot in range(1, width + 1)}
        return result

    def _placement_snapshot(self, levels=None):
        """The placed subtrees of ``self`` (placement tree), in one query of index range scans, down to
        ``levels`` levels below each (None: all): ``(children, paths, depths)`` with
        ``children[node] = {slot: child}``."""
        roots = self.filtered(lambda d: d.placement_state == "placed" and d.placement_path)
        children, paths, depths = {}, {}, {}
        if not roots:
            return children, paths, depths
        self.flush_model(["placement_path", "placement_parent_id", "placement_slot", "placement_depth"])
        ranges = SQL(" OR ").join(
            SQL(
                '(placement_path COLLATE "C" >= %s COLLATE "C" AND placement_path COLLATE "C" < %s COLLATE "C"%s)',
                root.placement_path,
                prefix_upper_bound(root.placement_path),
                SQL(" AND placement_depth <= %s", root.placement_depth + levels) if levels is not None else SQL(),
            )
            for root in roots
        )
        self.env.cr.execute(
            SQL(
                "SELECT id, placement_parent_id, placement_slot, placement_path, placement_depth"
                " FROM mlm_distributor WHERE %s",
                ranges,
            )
        )
        for node, parent, slot, path, depth in self.env.cr.fetchall():
            paths[node] = path
            depths[node] = depth
            if parent:
                children.setdefault(parent, {})[slot] = node
        return children, paths, depths

    # ------------------------------------------------------------------ placement at enrolment
    def _placement_enrol(self, explicit=None):
        """Place new distributors of ``self`` (or put them in the holding tank), set-based.

        ``explicit`` maps a record id to ``(placement parent id or code, position)`` given by an import.
        No sponsor: a root of the placement tree. A holding tank (company setting): the recruit waits unplaced
        until ``placement_deadline``. Otherwise the sponsor's preference places them now; a recruit whose
        sponsor is not placed yet waits in the holding tank until the sponsor is.
        """
        explicit = explicit or {}
        now = fields.Datetime.now()
        for company in self.company_id:
            records = self.filtered(lambda d, c=company: d.company_id == c and not d.placement_state)
            if company.mlm_placement_type == "none" or not records:
                continue
            records.filtered(lambda d: not d.sponsor_id and not explicit.get(d.id, (None,))[0])._placement_roots()
            given = records.filtered(lambda d: explicit.get(d.id, (None,))[0])
            if given:
                given._placement_place_given(explicit)
            rest = records - given
            rest = rest.filtered(lambda d: not d.placement_state)
            if not rest:
                continue
            days = company.mlm_holding_days
            if days > 0:
                rest._placement_hold(now + timedelta(days=days))
                continue
            left = rest._placement_place_auto(option=None)
            if left:
                left._placement_hold(now)

    def _placement_roots(self):
        if not self:
            return
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
                UPDATE mlm_distributor
                   SET placement_path = id::text || '/', placement_depth = 0, placement_state = 'placed',
                       placement_date = now() AT TIME ZONE 'UTC', placement_deadline = NULL
                 WHERE id = ANY(%s)
                """,
                self.ids,
            )
        )
        self.invalidate_recordset(list(PLACEMENT_FIELDS))

    def _placement_hold(self, deadline):
        if not self:
            return
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "UPDATE mlm_distributor SET placement_state = 'holding', placement_deadline = %s WHERE id = ANY(%s)",
                deadline,
                self.ids,
            )
        )
        self.invalidate_recordset(list(PLACEMENT_FIELDS))

    def _placement_place_given(self, explicit):
        """Place at the parent and position an import gives, parents first (they may be in the same file)."""
        codes = {p for p, _pos in explicit.values() if isinstance(p, str)}
        by_code = {d.code: d.id for d in self.search([("code", "in", list(codes))])} if codes else {}
        pending = {}
        for dist in self:
            parent, position = explicit[dist.id]
            parent_id = by_code.get(parent) if isinstance(parent, str) else parent
            if not parent_id:
                raise ValidationError(self.env._("Unknown placement parent ID %(code)s.", code=parent))
            pending[dist.id] = (parent_id, self._placement_slot_of(dist.company_id, position))
        while pending:
            ready = {
                node: target
                for node, target in pending.items()
                if target[0] not in pending and self.browse(target[0]).placement_state == "placed"
            }
            if not ready:
                raise ValidationError(
                    self.env._("Placement parents are not placed: %(ids)s.", ids=", ".join(map(str, pending)))
                )
            self._placement_place([(node, parent, slot) for node, (parent, slot) in ready.items()], option=None)
            for node in ready:
                del pending[node]

    def _placement_place_auto(self, option="auto_place", reason=None, preference=None):
        """Place the recruits of ``self`` with their sponsors' preferences (or ``preference``), generation by
        generation (a sponsor is placed before their recruits); return those that cannot be placed yet (their
        sponsor is not placed)."""
        pending = self.sorted("id")
        while pending:
            ready = pending.filtered(lambda d: d.sponsor_id.placement_state == "placed")
            if not ready:
                return pending
            ready._placement_decide_and_place(option, reason, preference)
            pending -= ready
        return pending

    def _placement_decide_and_place(self, option, reason, preference=None):
        sponsors = self.sponsor_id
        children, paths, depths = sponsors._placement_snapshot()
        weaker = preference == "weaker" or (
            not preference and any(self._placement_preference_of(s) == "weaker" for s in sponsors)
        )
        volumes = sponsors._placement_leg_volumes() if weaker else {}
        placed_recruits = dict(
            self._read_group(
                [("sponsor_id", "in", sponsors.ids), ("placement_state", "=", "placed")], ["sponsor_id"], ["__count"]
            )
        )
        placed_recruits = {s.id: n for s, n in placed_recruits.items()}
        decisions = []
        for dist in self:
            sponsor, company = dist.sponsor_id, dist.company_id
            pref = preference or self._placement_preference_of(sponsor)
            legs = children.get(sponsor.id, {})
            facts = {}
            if company.mlm_placement_type == "binary":
                facts = {
                    "leg_volumes": {
                        slot: leg["gv"] + (leg["carry"] or 0.0) for slot, leg in volumes.get(sponsor.id, {}).items()
                    },
                    "leg_sizes": tuple(subtree_size(children, legs[s]) if s in legs else 0 for s in (1, 2)),
                    "sponsor_slot": sponsor.placement_slot,
                    "placed_recruits": placed_recruits.get(sponsor.id, 0),
                }
            target = decide(
                children,
                sponsor.id,
                pref,
                company.mlm_placement_type,
                self._placement_width(company),
                max_levels=company.mlm_matrix_depth,
                **facts,
            )
            if not target:
                raise UserError(
                    self.env._(
                        "The matrix of %(sponsor)s is full: %(name)s cannot be placed.",
                        sponsor=sponsor.display_name,
                        name=dist.display_name,
                    )
                )
            take(children, target[0], target[1], dist.id)
            paths[dist.id] = f"{paths[target[0]]}{dist.id}/"
            depths[dist.id] = depths[target[0]] + 1
            placed_recruits[sponsor.id] = placed_recruits.get(sponsor.id, 0) + 1
            decisions.append((dist.id, target[0], target[1]))
        self._placement_write(decisions, paths, depths, option, reason)

    def _placement_place(self, decisions, option, reason=None):
        """Place at given positions ``[(node id, parent id, slot)]`` after checking each against the rules."""
        nodes = self.browse([n for n, _p, _s in decisions])
        parents = self.browse([p for _n, p, _s in decisions])
        children, paths, depths = (nodes.sponsor_id | parents)._placement_snapshot()
        for node_id, parent_id, slot in decisions:
            node, parent = self.browse(node_id), self.browse(parent_id)
            node._placement_check_target(parent, slot, children, depths)
            take(children, parent_id, slot, node_id)
            paths[node_id] = f"{paths[parent_id]}{node_id}/"
            depths[node_id] = depths[parent_id] + 1
        self._placement_write(decisions, paths, depths, option, reason)

    def _placement_check_target(self, parent, slot, children, depths):
        """The placement rules for one recruit going to ``(parent, slot)``."""
        self.ensure_one()
        company = self.company_id
        if self.placement_state == "placed":
            raise UserError(self.env._("%(name)s is already placed.", name=self.display_name))
        if parent == self or parent.company_id != company:
            raise ValidationError(self.env._("%(name)s cannot be placed there.", name=self.display_name))
        if parent.id not in depths:
            raise ValidationError(
                self.env._(
                    "%(name)s can be placed only under their sponsor or in the sponsor's placement downline.",
                    name=self.display_name,
                )
            )
        if not 1 <= slot <= self._placement_width(company):
            raise ValidationError(self.env._("There is no position %(position)s in this tree.", position=slot))
        if slot in children.get(parent.id, {}):
            raise ValidationError(
                self.env._("This position under %(parent)s is already taken.", parent=parent.display_name)
            )
        sponsor = self.sponsor_id
        if sponsor and not (
            parent == sponsor or (parent.placement_path or "").startswith(sponsor.placement_path or "-")
        ):
            raise ValidationError(
                self.env._(
                    "%(name)s can be placed only under their sponsor or in the sponsor's placement downline.",
                    name=self.display_name,
                )
            )
        limit = company.mlm_matrix_depth
        if (
            company.mlm_placement_type == "matrix"
            and sponsor
            and limit
            and depths[parent.id] - sponsor.placement_depth >= limit
        ):
            raise ValidationError(self.env._("This position is deeper than the matrix depth %(depth)s.", depth=limit))

    def _placement_write(self, decisions, paths, depths, option, reason=None):
        """Write placements ``[(node id, parent id, slot)]`` set-based.

        First every parent's row is updated (its count of filled positions): a concurrent transaction that took
        a position under the same parent has updated the same row, so this one waits for it and then fails
        with a serialization error (Odoo replays the request with fresh data), never taking the same position;
        the unique index on (parent, slot) is the last guard.
        """
        if not decisions:
            return
        self.flush_model()
        cr = self.env.cr
        per_parent = {}
        for _node, parent, _slot in decisions:
            per_parent[parent] = per_parent.get(parent, 0) + 1
        cr.execute(
            SQL(
                """
                UPDATE mlm_distributor p SET placement_child_count = COALESCE(p.placement_child_count, 0) + v.n
                  FROM (VALUES %s) AS v(id, n) WHERE p.id = v.id
                """,
                SQL(", ").join(SQL("(%s, %s)", parent, n) for parent, n in sorted(per_parent.items())),
            )
        )
        binary = {
            d.id for d in self.browse([n for n, _p, _s in decisions]) if d.company_id.mlm_placement_type == "binary"
        }
        old_parents = {}
        if option:
            old_parents = {d.id: d.placement_parent_id.id for d in self.browse([n for n, _p, _s in decisions])}
        cr.execute(
            SQL(
                """
                UPDATE mlm_distributor d
                   SET placement_parent_id = v.parent, placement_slot = v.slot, placement_position = v.position,
                       placement_path = v.path, placement_depth = v.depth, placement_state = 'placed',
                       placement_deadline = NULL, placement_date = now() AT TIME ZONE 'UTC'
                  FROM (VALUES %s) AS v(id, parent, slot, position, path, depth)
                 WHERE d.id = v.id
                """,
                SQL(", ").join(
                    SQL(
                        "(%s, %s, %s, %s::varchar, %s, %s)",
                        node,
                        parent,
                        slot,
                        POSITION_OF_SLOT.get(slot) if node in binary else None,
                        paths[node],
                        depths[node],
                    )
                    for node, parent, slot in decisions
                ),
            )
        )
        self.invalidate_model(list(PLACEMENT_FIELDS) + ["placement_child_ids"])
        if option:
            self.env["mlm.move.log"].sudo().create(
                [
                    {
                        "distributor_id": node,
                        "tree": "placement",
                        "option": option,
                        "old_placement_parent_id": old_parents.get(node) or False,
                        "new_placement_parent_id": parent,
                        "new_placement_slot": slot,
                        "reason": reason or self.env._("Holding period ended"),
                        "moved_count": 0,
                    }
                    for node, parent, slot in decisions
                ]
            )

    # ------------------------------------------------------------------ actions
    def action_view_placement_downline(self):
        self.ensure_one()
        return self._action_open(
            self.env._("Placement downline of %(name)s", name=self.display_name),
            [("placement_path", "=like", f"{self.placement_path}%")],
            view_mode="hierarchy,list,form",
        ) | {
            "views": [
                (self.env.ref("mlm_network.mlm_distributor_view_hierarchy_placement").id, "hierarchy"),
                (False, "list"),
                (False, "form"),
            ]
        }

    # ------------------------------------------------------------------ holding tank
    def _check_may_place(self):
        """MLM managers place anyone they may change; a distributor places only their own recruits. Public
        methods are callable over RPC by portal users: run this before any ``sudo()``."""
        if self.env.su:
            return
        if self.env.user.has_group("mlm_network.group_mlm_manager"):
            self.check_access("write")
            return
        own = self.env.user.partner_id.sudo().mlm_distributor_id
        if not own or not self or any(d.sponsor_id != own for d in self.sudo()):
            raise AccessError(self.env._("You can only place your own recruits."))

    def action_place(self, parent=False, position=False):
        """Place a recruit waiting in the holding tank.

        ``parent`` (a distributor or its id) and ``position`` (``left``/``right`` or a slot number): that
        position, which must be free and under the sponsor. Without ``parent``: ``position`` is a preference
        (``left``, ``right``, ``weaker``, ``outer``, ``alternate``, ``spillover``), or the sponsor's own
        preference when empty. The sponsor (their own recruits) or an MLM manager.
        """
        self._check_may_place()
        recruit_sudo = self.sudo()
        recruit_sudo.ensure_one()
        if recruit_sudo.placement_state != "holding":
            raise UserError(self.env._("%(name)s is not in the holding tank.", name=recruit_sudo.display_name))
        if not recruit_sudo.sponsor_id.placement_state == "placed":
            raise UserError(self.env._("The sponsor of %(name)s is not placed yet.", name=recruit_sudo.display_name))
        reason = self.env._("Placed from the holding tank by %(user)s", user=self.env.user.name)
        if parent:
            parent_sudo = self.sudo().browse(parent if isinstance(parent, int) else parent.id)
            slot = self._placement_slot_of(recruit_sudo.company_id, position)
            recruit_sudo._placement_place([(recruit_sudo.id, parent_sudo.id, slot)], option="place", reason=reason)
        else:
            if position and position not in dict(PLACEMENT_PREFERENCES):
                raise UserError(self.env._("Unknown placement preference %(position)s.", position=position))
            recruit_sudo._placement_decide_and_place("place", reason, position or None)
        return True

    def _placement_open_positions(self, limit=5):
        """The next free positions under this placed distributor, breadth-first: ``[(parent, slot)]``."""
        self.ensure_one()
        if self.placement_state != "placed":
            return []
        company = self.company_id
        width = self._placement_width(company)
        max_levels = company.mlm_matrix_depth if company.mlm_placement_type == "matrix" else 0
        children, _paths, _depths = self._placement_snapshot()
        found = itertools.islice(free_positions_breadth_first(children, self.id, width, max_levels), limit)
        return [(self.browse(parent), slot) for parent, slot in found]

    @api.model
    def cron_place_holding_tank(self):
        """Place the recruits whose holding period has ended, with their sponsors' preferences."""
        if not self.env.su and not self.env.user.has_group("mlm_network.group_mlm_manager"):
            raise AccessError(self.env._("Only MLM managers can run the holding tank."))
        due = self.sudo().search(self._get_holding_tank_due_domain(), order="id")
        left = due._placement_place_auto(option="auto_place", reason=self.env._("Holding period ended"))
        return len(due) - len(left)

    @api.model
    def _get_holding_tank_due_domain(self):
        return [("placement_state", "=", "holding"), ("placement_deadline", "<=", fields.Datetime.now())]

    # ------------------------------------------------------------------ a tree for an existing network
    def _placement_build_tree(self, company_id, limit=BUILD_CHUNK):
        """The job of ``res.company.action_mlm_build_placement_tree``: place every distributor of the company that
        has never been placed (a network that ran a unilevel plan before switching to binary or matrix), with the
        rules of placement at enrolment: no sponsor, a root; otherwise the sponsor's preference (the company's
        by default; spillover breadth-first in a matrix) under the sponsor's placement, sponsors before their
        recruits. Recruits whose sponsor waits in the holding tank, or whose sponsor's matrix is full, go to the
        holding tank, due now (the hourly cron places them when it can). Those in the holding tank already stay
        there. Idempotent: a second run finds nobody left to place. One job writes at most ``limit`` of them (the
        first in that order, whose positions do not depend on the others) and enqueues the next job for the rest,
        so that each job fits a worker's time limit (the rows of mlm_distributor are wide: ~1 ms per row written).

        One read of the company's tree, the decisions in Python on one snapshot (``Placer``), then one UPDATE of
        the placements from arrays, one of the parents' filled positions, and the audit log by one INSERT (a
        line per placed distributor, like a placement from the holding tank). Returns the counts."""
        if not self.env.su and not self.env.user.has_group("mlm_network.group_mlm_manager"):
            raise AccessError(self.env._("Only MLM managers can build the placement tree."))
        company = self.env["res.company"].browse(company_id)
        tree_type = company.mlm_placement_type
        if tree_type == "none":
            raise UserError(self.env._("%(company)s has no placement tree to build.", company=company.name))
        self.flush_model()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT id, sponsor_id, placement_parent_id, placement_slot, placement_state, placement_path,
                       placement_depth, placement_preference
                  FROM mlm_distributor WHERE company_id = %s
                 ORDER BY COALESCE(depth, 0), id
                """,
                company.id,
            )
        )
        rows = cr.fetchall()
        children, paths, depths, slots, recruits_placed = {}, {}, {}, {}, {}
        sponsor_of = {row[0]: row[1] for row in rows}
        for node, sponsor, parent, slot, state, path, depth, _pref in rows:
            if state == "placed":
                paths[node], depths[node], slots[node] = path, depth or 0, slot
                if parent:
                    children.setdefault(parent, {})[slot] = node
                if sponsor:
                    recruits_placed[sponsor] = recruits_placed.get(sponsor, 0) + 1
        todo = [row for row in rows if not row[4]]
        preferences = {row[0]: row[7] for row in rows}
        width = self._placement_width(company)
        placer = Placer(children, tree_type, width, company.mlm_matrix_depth)
        default_preference = company.mlm_placement_preference
        weaker = tree_type == "binary" and (
            company.mlm_placement_preference == "weaker" or "weaker" in {row[7] for row in rows}
        )
        volumes = self.browse({row[1] for row in todo if row[1]})._placement_leg_volumes() if weaker else {}
        placed, held = [], []
        more = len(todo) > limit
        for node, sponsor, *_rest in todo[:limit]:
            if not sponsor or sponsor not in sponsor_of:
                placed.append((node, None, None))
                paths[node], depths[node] = f"{node}/", 0
                continue
            if sponsor not in paths:
                held.append(node)
                continue
            pref = "spillover" if tree_type == "matrix" else preferences[sponsor] or default_preference
            facts = {}
            if tree_type == "binary" and pref in ("weaker", "outer", "alternate"):
                legs = children.get(sponsor, {})
                facts = {
                    "leg_volumes": {
                        slot: leg["gv"] + (leg["carry"] or 0.0) for slot, leg in volumes.get(sponsor, {}).items()
                    },
                    "leg_sizes": tuple(subtree_size(children, legs[s]) if s in legs else 0 for s in (1, 2))
                    if pref == "weaker"
                    else (0, 0),
                    "sponsor_slot": slots.get(sponsor),
                    "placed_recruits": recruits_placed.get(sponsor, 0),
                }
            target = placer.decide(sponsor, pref, **facts)
            if not target:  # the sponsor's matrix is full down to its depth
                held.append(node)
                continue
            parent, slot = target
            take(children, parent, slot, node)
            paths[node], depths[node], slots[node] = f"{paths[parent]}{node}/", depths[parent] + 1, slot
            recruits_placed[sponsor] = recruits_placed.get(sponsor, 0) + 1
            placed.append((node, parent, slot))
        self._placement_write_many(company, placed, paths, depths)
        self.browse(held)._placement_hold(fields.Datetime.now())
        if more:
            self.with_delay(
                channel=IMPORT_CHANNEL,
                description=self.env._("Build the placement tree of %(company)s", company=company.name),
                max_retries=3,
            )._placement_build_tree(company_id, limit)
        return {"placed": len(placed), "held": len(held)}

    def _placement_write_many(self, company, placed, paths, depths):
        """Write ``placed`` ``[(node, parent or None for a root, slot)]`` of one company set-based: the nodes from
        arrays (only those still unplaced: a concurrent placement of the same distributor wins and this job
        fails on the parents' rows or the unique position, to be retried), the parents' filled positions, and a
        line of the placement audit log per node."""
        if not placed:
            return
        cr = self.env.cr
        nodes = [n for n, _p, _s in placed]
        parents = [p for _n, p, _s in placed]
        slot_list = [s for _n, _p, s in placed]
        per_parent = {}
        for parent in parents:
            if parent:
                per_parent[parent] = per_parent.get(parent, 0) + 1
        # each row is written once (every row version costs an entry in each of the table's ~20 indexes): the
        # parents placed by this job get their filled positions in the same UPDATE, the others by a second one
        new = set(nodes)
        earlier = {parent: n for parent, n in per_parent.items() if parent not in new}
        if earlier:
            cr.execute(
                SQL(
                    """
                    UPDATE mlm_distributor p SET placement_child_count = COALESCE(p.placement_child_count, 0) + v.n
                      FROM unnest(%s::int[], %s::int[]) AS v(id, n) WHERE p.id = v.id
                    """,
                    list(earlier),
                    list(earlier.values()),
                )
            )
        binary = company.mlm_placement_type == "binary"
        cr.execute(
            SQL(
                """
                UPDATE mlm_distributor d
                   SET placement_parent_id = v.parent, placement_slot = v.slot, placement_position = v.position,
                       placement_path = v.path, placement_depth = v.depth, placement_state = 'placed',
                       placement_deadline = NULL, placement_date = now() AT TIME ZONE 'UTC',
                       placement_child_count = COALESCE(d.placement_child_count, 0) + v.n
                  FROM unnest(%s::int[], %s::int[], %s::int[], %s::varchar[], %s::varchar[], %s::int[], %s::int[])
                       AS v(id, parent, slot, position, path, depth, n)
                 WHERE d.id = v.id AND d.placement_state IS NULL
                """,
                nodes,
                parents,
                slot_list,
                [POSITION_OF_SLOT.get(s) if binary and s else None for s in slot_list],
                [paths[n] for n in nodes],
                [depths[n] for n in nodes],
                [per_parent.get(n, 0) for n in nodes],
            )
        )
        if cr.rowcount != len(nodes):
            raise UserError(self.env._("Distributors were placed meanwhile: build the placement tree again."))
        now = SQL("(now() AT TIME ZONE 'UTC')")
        cr.execute(
            SQL(
                """
                INSERT INTO mlm_move_log (distributor_id, company_id, tree, option, new_placement_parent_id,
                       new_placement_slot, reason, moved_count, user_id, date,
                       create_uid, write_uid, create_date, write_date)
                SELECT v.id, %(company)s, 'placement', 'auto_place', v.parent, v.slot, %(reason)s, 0, %(uid)s,
                       %(now)s, %(uid)s, %(uid)s, %(now)s, %(now)s
                  FROM unnest(%(nodes)s::int[], %(parents)s::int[], %(slots)s::int[]) AS v(id, parent, slot)
                """,
                company=company.id,
                reason=self.env._("Placement tree built for the existing network"),
                uid=self.env.uid,
                now=now,
                nodes=nodes,
                parents=parents,
                slots=slot_list,
            )
        )
        self.invalidate_model(list(PLACEMENT_FIELDS) + ["placement_child_ids"])
        self.env["mlm.move.log"].invalidate_model()

    # ------------------------------------------------------------------ placement moves
    def _move_in_placement(self, new_parent, position, reason):
        """Move this placed distributor with their whole placement downline to ``(new_parent, position)``, in one
        set-based UPDATE bounded by an index range on the placement path, with an audit log line."""
        self.ensure_one()
        if not self.env.user.has_group("mlm_network.group_mlm_manager"):
            raise AccessError(self.env._("Only MLM managers can move distributors in the placement tree."))
        if not reason:
            raise UserError(self.env._("Give the reason for the move."))
        if self.placement_state != "placed" or not self.placement_parent_id:
            raise UserError(self.env._("Only placed distributors below a placement parent can move."))
        low = self.placement_path
        if (new_parent.placement_path or "").startswith(low):
            raise UserError(
                self.env._("The new placement parent is in the downline that moves: that would make a cycle.")
            )
        slot = self._placement_slot_of(self.company_id, position)
        children, _paths, depths = (self.sponsor_id | new_parent)._placement_snapshot()
        old_parent = self.placement_parent_id
        self._placement_check_move(new_parent, slot, children, depths)
        self.flush_model()
        cr = self.env.cr
        deltas = {old_parent.id: -1}
        deltas[new_parent.id] = deltas.get(new_parent.id, 0) + 1
        cr.execute(
            SQL(
                """
                UPDATE mlm_distributor p SET placement_child_count = COALESCE(p.placement_child_count, 0) + v.n
                  FROM (VALUES %s) AS v(id, n) WHERE p.id = v.id
                """,
                SQL(", ").join(SQL("(%s, %s)", parent, n) for parent, n in sorted(deltas.items())),
            )
        )
        new_prefix = f"{new_parent.placement_path}{self.id}/"
        delta = new_parent.placement_depth + 1 - self.placement_depth
        cr.execute(
            SQL(
                """
                UPDATE mlm_distributor
                   SET placement_path = %(prefix)s || substr(placement_path, %(cut)s),
                       placement_depth = placement_depth + %(delta)s
                 WHERE placement_path COLLATE "C" >= %(low)s COLLATE "C"
                   AND placement_path COLLATE "C" < %(high)s COLLATE "C"
                """,
                prefix=new_prefix,
                cut=len(low) + 1,
                delta=delta,
                low=low,
                high=prefix_upper_bound(low),
            )
        )
        moved = cr.rowcount - 1
        cr.execute(
            SQL(
                "UPDATE mlm_distributor SET placement_parent_id = %s, placement_slot = %s, placement_position = %s"
                " WHERE id = %s",
                new_parent.id,
                slot,
                POSITION_OF_SLOT.get(slot) if self.company_id.mlm_placement_type == "binary" else None,
                self.id,
            )
        )
        self.invalidate_model(list(PLACEMENT_FIELDS) + ["placement_child_ids"])
        log = self.env["mlm.move.log"].create(
            {
                "distributor_id": self.id,
                "tree": "placement",
                "option": "placement_move",
                "old_placement_parent_id": old_parent.id,
                "new_placement_parent_id": new_parent.id,
                "new_placement_slot": slot,
                "reason": reason,
                "moved_count": moved,
            }
        )
        self.message_post(
            body=self.env._(
                "Moved in the placement tree from %(old)s to %(new)s (position %(slot)s, %(count)s downline "
                "members): %(reason)s",
                old=old_parent.display_name,
                new=new_parent.display_name,
                slot=slot,
                count=moved,
                reason=reason,
            )
        )
        return log

    def _placement_check_move(self, new_parent, slot, children, depths):
        if new_parent.placement_state != "placed" or new_parent.company_id != self.company_id:
            raise UserError(self.env._("The new placement parent is not placed in this company."))
        if slot in children.get(new_parent.id, {}):
            raise UserError(
                self.env._("This position under %(parent)s is already taken.", parent=new_parent.display_name)
            )
        sponsor = self.sponsor_id
        if (
            sponsor
            and new_parent != sponsor
            and not new_parent.placement_path.startswith(sponsor.placement_path or "-")
        ):
            raise UserError(
                self.env._(
                    "%(name)s can be placed only under their sponsor or in the sponsor's placement downline.",
                    name=self.display_name,
                )
            )
