import dataclasses

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, formatLang

from ..engine import compute_period, rank_standing
from ..tools.result_table import restricted_ids
from . import mlm_distributor_projection as projection
from .mlm_commission_data import InputReader, InputScope

# fields whose change the shared projection follows (sponsor and company: a change of the tree)
PROJECTION_FIELDS = {"status", "mlm_coefficient", "join_date", "highest_rank_id"}


class MlmDistributor(models.Model):
    _inherit = "mlm.distributor"

    mlm_coefficient = fields.Float(
        string="Personal Coefficient",
        default=1.0,
        digits=(16, 4),
        tracking=True,
        groups="mlm_network.group_mlm_user",
        help="Multiplies everything this distributor earns (1.0 = normal).",
    )
    volume_line_ids = fields.One2many("mlm.volume.line", "distributor_id", string="Volume Ledger")
    statement_ids = fields.One2many("mlm.commission.statement", "distributor_id", string="Commission Statements")
    mlm_rank_progress_html = fields.Html(
        string="Rank Progress",
        compute="_compute_mlm_rank_progress_html",
        sanitize=False,
        groups="mlm_network.group_mlm_user",
        help="Every rule of the next rank as the commission engine tests it, with what is still missing.",
    )

    period_pv = fields.Float(
        string="PV (Current Period)",
        compute="_compute_period_volume",
        digits="Product Unit of Measure",
        groups="mlm_network.group_mlm_user",
        help="Personal volume of the open period as of its last computation (preview or close).",
    )
    period_gv = fields.Float(
        string="GV (Current Period)",
        compute="_compute_period_volume",
        digits="Product Unit of Measure",
        groups="mlm_network.group_mlm_user",
        help="Group volume of the open period as of its last computation (preview or close).",
    )

    def init(self):
        res = super().init()
        # the real-time projection asks "did anything in this subtree change since the preview?"
        self.env.cr.execute(
            SQL("CREATE INDEX IF NOT EXISTS mlm_distributor_write_date_idx ON mlm_distributor (write_date)")
        )
        projection.create_tables(self.env.cr)  # the shared projection's tables (no ORM model: no RPC surface)
        return res

    def _compute_period_volume(self):
        """PV and GV of the current period's statements for all the records at once (the genealogy cards): one
        query per company, never one per card."""
        figures = {}
        today = fields.Date.context_today(self)
        Period = self.env["mlm.commission.period"].sudo()
        self.env["mlm.commission.statement"].flush_model(["period_id", "distributor_id", "pv", "gv"])
        for company in self.company_id:
            period = Period._get_current_period(company, today)[0]
            ids = [d._origin.id for d in self if d.company_id == company and d._origin.id]
            if period and ids:
                self.env.cr.execute(
                    SQL(
                        "SELECT distributor_id, pv, gv FROM mlm_commission_statement"
                        " WHERE period_id = %s AND distributor_id = ANY(%s)",
                        period.id,
                        ids,
                    )
                )
                figures.update({row[0]: row[1:] for row in self.env.cr.fetchall()})
        for distributor in self:
            distributor.period_pv, distributor.period_gv = figures.get(distributor._origin.id, (0.0, 0.0))

    def _compute_mlm_rank_progress_html(self):
        QWeb = self.env["ir.qweb"]
        for distributor in self:
            projection = distributor.get_mlm_projection() if distributor.id else {}
            distributor.mlm_rank_progress_html = QWeb._render(
                "mlm_commission.mlm_distributor_rank_progress",
                {"projection": projection, "next_rank": (projection or {}).get("next_rank")},
            )

    @api.constrains("mlm_coefficient")
    def _check_mlm_coefficient(self):
        if any(d.mlm_coefficient < 0 for d in self):
            raise ValidationError(self.env._("A personal coefficient cannot be negative."))

    @api.ondelete(at_uninstall=False)
    def _unlink_except_commission_history(self):
        """Statements, commission lines and ledger lines keep their distributor (``restrict`` references of the
        result tables); the references declared ``set null`` (a line's source, a statement's sponsor then) are
        cleared by the cleanup of ``mlm.result.referenced`` when the distributor is deleted."""
        if not self:
            return
        for model in ("mlm.volume.line", "mlm.commission.statement", "mlm.commission.line"):
            self.env[model].flush_model()
        self.env.cr.execute(
            SQL("SELECT DISTINCT distributor_id FROM mlm_volume_line WHERE distributor_id = ANY(%s)", self.ids)
        )
        ids = {row[0] for row in self.env.cr.fetchall()}
        ids |= restricted_ids(self.env.cr, "mlm_distributor", self.ids)  # the result tables' restrict references
        blocked = self.browse(sorted(ids))
        if blocked:
            raise UserError(
                self.env._(
                    "%(names)s cannot be deleted: they have volume, commission lines or statements, which must keep "
                    "their distributor. Archive them instead (or anonymise them on request).",
                    names=", ".join(blocked.mapped("display_name")),
                )
            )

    def action_view_volume(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Volume of %(name)s", name=self.display_name),
            "res_model": "mlm.volume.line",
            "view_mode": "list,pivot,graph,form",
            "domain": [("distributor_id", "=", self.id)],
        }

    def action_view_statements(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Statements of %(name)s", name=self.display_name),
            "res_model": "mlm.commission.statement",
            "view_mode": "list,form",
            "domain": [("distributor_id", "=", self.id)],
        }

    @api.model
    def _mlm_standing_pv_query(self, date_to, where):
        """SQL of ``(distributor_id, pv)`` rows: the standing-order PV per cycle of the distributors matching
        ``where`` (alias ``d``: ``mlm_distributor``), read by the period reader for the plan's standing rule in one
        grouped query (not a subquery per distributor). None here: ``mlm_autoship`` adds the active autoships."""
        return

    @api.model
    def _mlm_standing_version_sql(self, company):
        """SQL of one value that changes whenever a standing order ``_mlm_standing_pv_query`` reads changes (part
        of the preview's inputs fingerprint, ``mlm.commission.period._inputs_fingerprint``). None here."""
        return SQL("0::numeric")

    # ------------------------------------------------------------------ changes the projection follows
    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.flush_model(["company_id", "parent_path"])
        projection.record_changes(self.env, "n", distributors=records.ids)
        return records

    def write(self, vals):
        res = super().write(vals)
        kind = "t" if {"sponsor_id", "company_id"} & set(vals) else "d" if PROJECTION_FIELDS & set(vals) else None
        if kind and self:
            self.flush_recordset(["company_id"])
            projection.record_changes(self.env, kind, distributors=self.ids)
        return res

    def _mlm_projection_changed(self):
        """Tell the shared projection that a figure the period reader reads for these distributors changed
        outside their own fields (e.g. ``mlm_autoship``'s standing orders): pending until the next fold."""
        if self:
            self.flush_recordset(["company_id"])
            projection.record_changes(self.env, "d", distributors=self.ids)

    def unlink(self):
        if self:
            self.flush_recordset(["company_id"])
            projection.record_changes(self.env, "t", distributors=self.ids)
        return super().unlink()

    def _move_in_genealogy(self, new_sponsor, option, reason):
        res = super()._move_in_genealogy(new_sponsor, option, reason)
        projection.record_changes(self.env, "t", distributors=self.ids)
        return res

    # ------------------------------------------------------------------ real-time projection
    @api.readonly  # over RPC it only reads: served from the replica when db_replica_host is set
    def get_mlm_projection(self, period=None):
        """Volumes, legs, rank progress and projected earnings of this distributor in the open period.

        Exactly what a preview run would give this distributor now (leadership pool included). In order:

        1. the shared state of the company's period in PostgreSQL (see :mod:`.mlm_distributor_projection`): the
           figures the last fold stored, moved forward by the ledger lines added since (a few index lookups,
           whatever the size of the network, in every worker, with nothing kept between requests);
        2. the period's preview, when nothing in this distributor's subtree changed since it ran;
        3. for a small team: the engine on this distributor's subtree, read by two binary COPYs over index range
           scans of ``parent_path`` (when the distributor is not in the leadership pool, which needs the company,
           and the plan's engine class is projected incrementally, its figures depending on the subtree only);
        4. otherwise the engine on the company, in this request (until the next fold, every minute, catches up
           with a change the state cannot follow: a move, new distributors, a status change near this one).
        """
        self.ensure_one()
        # projected earnings of others are for MLM staff; a distributor sees their own (the portal pages)
        self._check_own_or_group("mlm_network.group_mlm_user", "read")
        if period is not None and not isinstance(period, models.BaseModel):
            period = None  # over RPC: the open period, never a record id chosen by the caller
        me = self.sudo()
        if period:
            date_from, date_to = period.date_from, period.date_to
        else:
            Period = self.env["mlm.commission.period"].sudo()
            period, date_from, date_to = Period._get_current_period(me.company_id, fields.Date.context_today(self))
        plan = period.plan_id or me.company_id.mlm_plan_id
        if not plan:
            return {}
        ranks = plan._get_ranks()
        spec = plan._get_engine_spec_cached()
        self.env["mlm.distributor"].flush_model()
        self.env["mlm.volume.line"].flush_model()
        shared = projection.SharedProjection(self.env, me.company_id, date_from, date_to, plan, spec)
        values = shared.values(me)
        if values is not None:
            return self._projection_format(me, plan, ranks, spec, values, date_from, date_to)
        # the default engine's figures depend on the subtree only (the pool aside); another engine class may
        # read the whole company: it is projected from the company (or a current preview) only
        subtree_exact = shared.incremental
        low, high = me._subtree_range()
        has_pool = spec.pool_min_rank is not None and bool(spec.pool_rate)
        if (
            period
            and period.state == "computed"
            and period.ledger_max_id
            and me._preview_is_current(period, low, high, company_wide=has_pool or not subtree_exact)
        ):
            return self._projection_from_preview(me, period, plan, ranks)
        if subtree_exact and me._subtree_smaller_than(low, high, projection.SMALL_TEAM):
            values, paid = self._projection_from_subtree(me, plan, ranks, spec, low, high, date_from, date_to)
            if not has_pool or paid < spec.pool_min_rank:
                return values
        return self._projection_from_company(me, plan, ranks, spec, date_from, date_to)

    def _projection_from_company(self, me, plan, ranks, spec, date_from, date_to):
        """The engine on the whole company, in this request (the shared state cannot answer yet)."""
        data = InputReader(self.env, me.company_id, date_from, date_to, ranks).read_inputs(InputScope.company())
        result = compute_period(data.inputs(), spec, engine_class=plan._get_engine_class())
        i = int(data.index.positions([me.id])[0])
        if i < 0:
            return {}
        return self._projection_values(me, plan, ranks, result, i, data.index, data.sponsor_idx, date_from, date_to)

    def _projection_format(self, me, plan, ranks, spec, values, date_from, date_to):
        """The dict of ``get_mlm_projection`` from the figures of the shared state."""
        currency = me.company_id.currency_id
        labels = dict(plan._get_bonus_type_selection())
        paid = values["paid_rank"]
        next_rank = self._mlm_next_rank(
            ranks,
            spec,
            paid,
            values["pv"],
            [volume for _k, volume in values["legs"]],
            lambda threshold: values["legs_holding"][threshold],
        )
        return {
            "date_from": date_from,
            "date_to": date_to,
            "pv": values["pv"],
            "gv": values["gv"],
            "active": values["active"],
            "legs": sorted(
                ({"distributor_id": int(k), "volume": volume} for k, volume in values["legs"]),
                key=lambda leg: -leg["volume"],
            ),
            "paid_rank_id": ranks[paid].rank_id.id if paid >= 0 else False,
            "paid_rank": ranks[paid].rank_id.name if paid >= 0 else "",
            "next_rank": next_rank,
            "earnings": {
                labels[str(code)]: currency.round(cents / 100.0) for code, cents in values["earnings_cents"].items()
            },
            "projected_total": currency.round(values["total_cents"] / 100.0),
            "currency_id": currency.id,
        }

    def _subtree_smaller_than(self, low, high, limit):
        self.env.cr.execute(
            SQL(
                """
                SELECT count(*) < %(limit)s FROM (
                    SELECT 1 FROM mlm_distributor d
                     WHERE d.parent_path COLLATE "C" >= %(low)s COLLATE "C"
                       AND d.parent_path COLLATE "C" < %(high)s COLLATE "C"
                     LIMIT %(limit)s) t
                """,
                limit=limit,
                low=low,
                high=high,
            )
        )
        return self.env.cr.fetchone()[0]

    def _projection_from_subtree(self, me, plan, ranks, spec, low, high, date_from, date_to):
        """The engine on ``me``'s subtree (``me`` as its root), without the leadership pool: the inputs read by
        the one reader (:class:`InputReader`, subtree scope).

        Returns the projection values and ``me``'s paid rank index.
        """
        data = InputReader(self.env, me.company_id, date_from, date_to, ranks).read_inputs(InputScope.subtree(me))
        spec = dataclasses.replace(spec, pool_rate=0.0, pool_min_rank=None)
        result = compute_period(data.inputs(), spec, engine_class=plan._get_engine_class())
        i = int(data.index.positions([me.id])[0])
        values = self._projection_values(me, plan, ranks, result, i, data.index, data.sponsor_idx, date_from, date_to)
        return values, int(result.paid_rank[i])

    def _preview_is_current(self, period, low, high, company_wide=False):
        """True when nothing in this subtree changed since the period's preview: no new ledger line, no
        distributor written (status, coefficient) after it, no move in the genealogy. ``company_wide``: no new
        ledger line in the whole company either (the leadership pool shares the company's BV)."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT EXISTS(
                    SELECT 1 FROM mlm_volume_line v JOIN mlm_distributor d ON d.id = v.distributor_id
                     WHERE v.id > %(last)s AND v.company_id = %(company)s
                       AND (%(company_wide)s OR (d.parent_path COLLATE "C" >= %(low)s COLLATE "C"
                                                AND d.parent_path COLLATE "C" < %(high)s COLLATE "C")))
                    OR EXISTS(
                    SELECT 1 FROM mlm_distributor d
                     WHERE d.write_date > %(computed)s
                       AND d.parent_path COLLATE "C" >= %(low)s COLLATE "C"
                       AND d.parent_path COLLATE "C" < %(high)s COLLATE "C")
                    OR EXISTS(SELECT 1 FROM mlm_move_log m WHERE m.create_date > %(computed)s)
                """,
                last=period.ledger_max_id,
                company=period.company_id.id,
                company_wide=company_wide,
                computed=period.computed_date,
                low=low,
                high=high,
            )
        )
        return not cr.fetchone()[0]

    def _projection_from_preview(self, me, period, plan, ranks):
        """The projection read from the period's current preview (statement and lines of ``me``)."""
        Statement = self.env["mlm.commission.statement"].sudo()
        statement = Statement.search([("period_id", "=", period.id), ("distributor_id", "=", me.id)], limit=1)
        recruits = Statement.search_read(
            [("period_id", "=", period.id), ("sponsor_id", "=", me.id)], ["distributor_id", "gv"]
        )
        labels = dict(plan._get_bonus_type_selection())
        groups = (
            self.env["mlm.commission.line"]
            .sudo()
            ._read_group(
                [("period_id", "=", period.id), ("beneficiary_id", "=", me.id)], ["bonus_type"], ["amount:sum"]
            )
        )
        currency = me.company_id.currency_id
        rank_index = {rule.rank_id.id: i for i, rule in enumerate(ranks)}
        paid = rank_index.get(statement.paid_rank_id.id, -1)
        spec = plan._get_engine_spec()
        next_rank = self._mlm_next_rank(
            ranks,
            spec,
            paid,
            statement.pv,
            [r["gv"] for r in recruits],
            lambda threshold: me._mlm_preview_legs_holding(period, rank_index, threshold),
        )
        return {
            "date_from": period.date_from,
            "date_to": period.date_to,
            "pv": statement.pv,
            "gv": statement.gv,
            "active": statement.is_active,
            "legs": sorted(
                ({"distributor_id": r["distributor_id"][0], "volume": r["gv"]} for r in recruits),
                key=lambda leg: -leg["volume"],
            ),
            "paid_rank_id": statement.paid_rank_id.id,
            "paid_rank": statement.paid_rank_id.name or "",
            "next_rank": next_rank,
            "earnings": {labels[code]: currency.round(amount) for code, amount in groups},
            "projected_total": currency.round(statement.total),
            "currency_id": currency.id,
        }

    def _projection_values(self, me, plan, ranks, result, i, index, sponsor_idx, date_from, date_to):
        currency = me.company_id.currency_id
        rows = result.rows
        mine = rows["beneficiary"] == i
        labels = dict(plan._get_bonus_type_selection())
        by_bonus = {}
        for code, cents in zip(rows["bonus_type"][mine], rows["amount_cents"][mine], strict=True):
            by_bonus[labels[str(int(code))]] = by_bonus.get(labels[str(int(code))], 0) + int(cents)
        recruits = np.nonzero(sponsor_idx == i)[0]
        legs = sorted(
            ({"distributor_id": int(index.ids[r]), "volume": float(result.gv[r])} for r in recruits),
            key=lambda leg: -leg["volume"],
        )
        paid = int(result.paid_rank[i])
        next_rank = self._mlm_next_rank(
            ranks,
            result.plan,
            paid,
            float(result.pv[i]),
            result.gv[recruits],
            lambda threshold: int(result.legs_holding[result.leg_slots[threshold], i]),
        )
        return {
            "date_from": date_from,
            "date_to": date_to,
            "pv": float(result.pv[i]),
            "gv": float(result.gv[i]),
            "active": bool(result.active[i]),
            "legs": legs,
            "paid_rank_id": ranks[paid].rank_id.id if paid >= 0 else False,
            "paid_rank": ranks[paid].rank_id.name if paid >= 0 else "",
            "next_rank": next_rank,
            "earnings": {label: currency.round(cents / 100.0) for label, cents in by_bonus.items()},
            "projected_total": currency.round(int(result.total_cents[i]) / 100.0),
            "currency_id": currency.id,
        }

    # ------------------------------------------------------------------ rank progress
    def _mlm_preview_legs_holding(self, period, rank_index, threshold):
        """Legs of this distributor holding a paid rank >= ``threshold`` (engine rank index) in the period's
        preview: the highest paid rank of each recruit's subtree, read from the preview's statements."""
        self.ensure_one()
        if threshold <= 0:
            return len(self.recruit_ids)
        self.env["mlm.commission.statement"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT c.id, array_agg(DISTINCT s.paid_rank_id) FILTER (WHERE s.paid_rank_id IS NOT NULL)
                  FROM mlm_distributor c
                  JOIN mlm_distributor d
                    ON d.parent_path COLLATE "C" >= c.parent_path COLLATE "C"
                   AND d.parent_path COLLATE "C" < (left(c.parent_path, -1) || '0') COLLATE "C"
                  JOIN mlm_commission_statement s ON s.distributor_id = d.id AND s.period_id = %(period)s
                 WHERE c.sponsor_id = %(me)s
                 GROUP BY c.id
                """,
                period=period.id,
                me=self.id,
            )
        )
        return sum(
            1
            for _leg, rank_ids in self.env.cr.fetchall()
            if max((rank_index.get(r, 0) for r in rank_ids or ()), default=0) >= threshold
        )

    @api.model
    def _mlm_next_rank(self, ranks, spec, paid, pv, leg_gv, legs_holding):
        """The next rank above ``paid`` (engine index) with every rule of it and what is still missing.

        The standing comes from the engine's own rank tests (:func:`rank_standing`), so a requirement shown as
        reached is one the engine counts. ``legs_holding(threshold)`` gives the legs holding a paid rank >= an
        engine rank index. Returns False at the top rank.
        """
        nxt = paid + 1
        if nxt >= len(ranks):
            return False
        rule, record = spec.ranks[nxt], ranks[nxt]
        standing = rank_standing(rule, pv, leg_gv, legs_holding(rule.leg_rank) if rule.min_legs else 0, nxt == 0)
        requirements = self._mlm_rank_requirements(rule, record, standing)
        return {
            "rank_id": record.rank_id.id,
            "name": record.rank_id.name,
            "pv_missing": standing["pv_missing"],
            "gv_missing": standing["gv_missing"],
            "legs_missing": standing["legs_missing"],
            "qualifies": standing["qualifies"],
            "standing": standing,
            "requirements": requirements,
        }

    def _mlm_number(self, value):
        """A PV/GV figure as people read it: grouped thousands, decimals only when there are some."""
        digits = 0 if abs(value - round(value)) < 1e-6 else 2
        return formatLang(self.env, value, digits=digits)

    def _mlm_requirement(self, key, label, value, target, missing_text, note=""):
        percent = round(100.0 * value / target) if target else 100
        missing = bool(missing_text)
        return {
            "key": key,
            "label": label,
            "reached": value,
            "target": target,
            "percent": percent,
            "bar": max(0, min(percent, 100)),
            "missing": missing,
            "missing_text": missing_text,
            "note": note,
        }

    def _mlm_rank_requirements(self, rule, record, standing):
        """The rules of one rank with the distributor's standing: label, reached, target, percent (may exceed
        100), bar width (at most 100), what is missing, and a note on the leg cap."""
        num = self._mlm_number
        requirements = []
        if rule.min_pv:
            requirements.append(
                self._mlm_requirement(
                    "pv",
                    self.env._("Personal volume (PV)"),
                    standing["pv"],
                    rule.min_pv,
                    self.env._("%(amount)s PV more", amount=num(standing["pv_missing"]))
                    if not standing["pv_ok"]
                    else "",
                )
            )
        if rule.min_gv:
            note = ""
            if standing["leg_cap"] is not None:
                note = self.env._(
                    "Your biggest leg counts at most %(cap)s of the %(target)s GV; you have %(others)s from the other"
                    " legs and %(pv)s of your own PV.",
                    cap=num(standing["leg_cap"]),
                    target=num(rule.min_gv),
                    others=num(standing["other_legs"]),
                    pv=num(standing["pv"]),
                )
            missing = ""
            if not standing["gv_ok"]:
                if standing["legs_over_cap"]:
                    missing = self.env._(
                        "%(amount)s GV more, outside your biggest leg", amount=num(standing["gv_missing"])
                    )
                else:
                    missing = self.env._("%(amount)s GV more", amount=num(standing["gv_missing"]))
            requirements.append(
                self._mlm_requirement(
                    "gv",
                    self.env._("Group volume (GV) that counts")
                    if standing["leg_cap"] is not None
                    else self.env._("Group volume (GV)"),
                    standing["capped_gv"],
                    rule.min_gv,
                    missing,
                    note,
                )
            )
        if rule.min_legs:
            if record.leg_rank_id:
                label = self.env._("Legs with a %(rank)s", rank=record.leg_rank_id.sudo().name)
                text = self.env._(
                    "%(count)s more leg(s) with a %(rank)s",
                    count=standing["legs_missing"],
                    rank=record.leg_rank_id.sudo().name,
                )
            else:
                label, text = (
                    self.env._("Qualified legs"),
                    self.env._("%(count)s more qualified leg(s)", count=standing["legs_missing"]),
                )
            requirements.append(
                self._mlm_requirement(
                    "legs", label, standing["legs_holding"], rule.min_legs, text if not standing["legs_ok"] else ""
                )
            )
        return requirements

    # ------------------------------------------------------------------ placement (binary plans)
    def _placement_leg_volumes(self):
        """Adds the ``carry`` of each leg for a binary plan: the volume the last closed period carried into the
        leg (the leg volumes of the current period come from the ledger, models/mlm_distributor_placement.py).
        mlm_network's "weaker leg" placement compares ``gv + carry``."""
        result = super()._placement_leg_volumes()
        Period = self.env["mlm.commission.period"]
        for company in self.company_id:
            mine = self.filtered(lambda d, c=company: d.company_id == c)
            if company.mlm_plan_id.plan_type != "binary" or not mine:
                continue
            last_closed = Period.search(
                [("company_id", "=", company.id), ("state", "in", ("closed", "paid"))], order="date_to desc", limit=1
            )
            carry = dict.fromkeys(mine.ids, (0.0, 0.0))
            if last_closed:
                self.env["mlm.commission.statement"].flush_model()
                self.env.cr.execute(
                    SQL(
                        "SELECT distributor_id, binary_carry_left, binary_carry_right FROM mlm_commission_statement"
                        " WHERE period_id = %s AND distributor_id = ANY(%s)",
                        last_closed.id,
                        mine.ids,
                    )
                )
                carry.update({row[0]: (float(row[1]), float(row[2])) for row in self.env.cr.fetchall()})
            for dist_id, (left, right) in carry.items():
                legs = result.setdefault(dist_id, {})
                for slot, value in ((1, left), (2, right)):
                    legs.setdefault(slot, {"pv": 0.0, "gv": 0.0, "carry": None})["carry"] = value
        return result
