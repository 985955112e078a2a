from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, html_escape

from ..tools.genealogy import leg_of, match_keys, prefix_upper_bound

STATUSES = [
    ("prospect", "Prospect"),
    ("active", "Active"),
    ("inactive", "Inactive"),
    ("suspended", "Suspended"),
    ("terminated", "Terminated"),
]
KYC_STATES = [
    ("unverified", "Unverified"),
    ("pending", "Pending"),
    ("verified", "Verified"),
    ("rejected", "Rejected"),
]
# Personal data cleared when a distributor is anonymised (partner side, then distributor side).
PARTNER_PERSONAL_FIELDS = [
    "email",
    "phone",
    "mobile",
    "street",
    "street2",
    "zip",
    "city",
    "vat",
    "website",
    "comment",
    "function",
    "title",
    "state_id",
    "ref",
    "image_1920",
]
DISTRIBUTOR_PERSONAL_FIELDS = ["identity_number", "kyc_photo", "kyc_note", "agreement_ip"]
# What an identity-check officer who is not an MLM manager may change.
KYC_FIELDS = {
    "kyc_state",
    "kyc_photo",
    "kyc_document_ids",
    "identity_number",
    "kyc_verified_by_id",
    "kyc_verified_date",
    "kyc_note",
}
LEG_COLORS = 11
# Who reads the normalised keys of enrolment checks (the identity and tax numbers among them).
MATCH_GROUPS = "mlm_network.group_kyc_officer,mlm_network.group_mlm_manager"


class MlmDistributor(models.Model):
    _name = "mlm.distributor"
    _description = "Distributor"
    _inherits = {"res.partner": "partner_id"}
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _parent_name = "sponsor_id"
    _parent_store = True
    _order = "code"
    _rec_names_search = ["code", "name", "email"]
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Contact Record", required=True, ondelete="restrict", index=True, auto_join=True
    )
    code = fields.Char(
        string="Distributor ID",
        copy=False,
        tracking=True,
        help="Unique distributor code, given by the sequence on enrolment; never changes afterwards.",
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, readonly=True)
    # --- genealogy -------------------------------------------------------------------------------------------
    sponsor_id = fields.Many2one(
        "mlm.distributor",
        index=True,
        ondelete="restrict",
        check_company=True,
        help="Changed only through the 'Move in genealogy' wizard.",
    )
    sponsor_code = fields.Char(
        string="Sponsor ID",
        compute="_compute_sponsor_code",
        inverse="_inverse_sponsor_code",
        help="Distributor ID of the sponsor; used to import genealogies.",
    )
    recruit_ids = fields.One2many("mlm.distributor", "sponsor_id", string="Direct Recruits")
    parent_path = fields.Char(index=True)
    depth = fields.Integer(readonly=True, help="Number of sponsors above this distributor.")
    recruit_count = fields.Integer(string="Direct Recruits Count", compute="_compute_recruit_count")
    downline_count = fields.Integer(string="Downline Size", compute="_compute_downline_count")
    leg_count = fields.Integer(string="Legs", compute="_compute_recruit_count")
    leg_summary = fields.Html(string="Legs Summary", compute="_compute_leg_summary", sanitize=False)
    leg_color = fields.Integer(compute="_compute_leg_color")
    # --- identity and enrolment -----------------------------------------------------------------------------
    join_date = fields.Date(required=True, default=fields.Date.context_today, tracking=True, index=True)
    enrollment_source = fields.Selection(
        [("backend", "Back office"), ("portal", "Portal sign-up"), ("import", "Import"), ("api", "API")],
        default="backend",
        required=True,
    )
    agreement_version = fields.Char()
    agreement_date = fields.Datetime(string="Agreement Accepted On")
    agreement_ip = fields.Char(string="Agreement Accepted From", groups="mlm_network.group_mlm_manager")
    cooling_off_deadline = fields.Date(compute="_compute_cooling_off_deadline", store=True, precompute=True)
    starter_order_id = fields.Many2one("sale.order", check_company=True, copy=False)
    # --- status ------------------------------------------------------------------------------------------------
    status = fields.Selection(STATUSES, required=True, default="prospect", tracking=True)
    status_date = fields.Date(default=fields.Date.context_today, readonly=True)
    termination_date = fields.Date(readonly=True, copy=False)
    termination_reason = fields.Char(tracking=True, copy=False)
    # --- ranks, branches, tags ------------------------------------------------------------------------------
    rank_id = fields.Many2one("mlm.rank", tracking=True, index=True, default=lambda self: self._default_rank())
    highest_rank_id = fields.Many2one("mlm.rank", string="Highest Rank Ever", readonly=True)
    rank_history_ids = fields.One2many("mlm.rank.history", "distributor_id")
    branch_id = fields.Many2one("mlm.branch", tracking=True, index=True, check_company=True)
    tag_ids = fields.Many2many("mlm.distributor.tag", string="Groups and Teams")
    # --- identity checks (KYC) ------------------------------------------------------------------------------
    kyc_state = fields.Selection(
        KYC_STATES,
        string="Identity Check",
        default="unverified",
        required=True,
        tracking=True,
        groups="mlm_network.group_kyc_officer",
    )
    kyc_photo = fields.Image(string="Identity Photo", max_width=1024, groups="mlm_network.group_kyc_officer")
    kyc_document_ids = fields.Many2many(
        "ir.attachment",
        "mlm_distributor_kyc_attachment_rel",
        "distributor_id",
        "attachment_id",
        string="Identity Documents",
        groups="mlm_network.group_kyc_officer",
    )
    identity_number = fields.Char(groups="mlm_network.group_kyc_officer", copy=False)
    kyc_verified_by_id = fields.Many2one("res.users", readonly=True, groups="mlm_network.group_kyc_officer")
    kyc_verified_date = fields.Datetime(readonly=True, groups="mlm_network.group_kyc_officer")
    kyc_note = fields.Text(string="Identity Check Notes", groups="mlm_network.group_kyc_officer")
    # --- honest enrolment -----------------------------------------------------------------------------------
    match_email = fields.Char(compute="_compute_match_keys", store=True, index="btree_not_null", groups=MATCH_GROUPS)
    match_phone = fields.Char(compute="_compute_match_keys", store=True, index="btree_not_null", groups=MATCH_GROUPS)
    match_vat = fields.Char(compute="_compute_match_keys", store=True, index="btree_not_null", groups=MATCH_GROUPS)
    match_identity = fields.Char(compute="_compute_match_keys", store=True, index="btree_not_null", groups=MATCH_GROUPS)
    duplicate_state = fields.Selection(
        [("none", "No duplicate"), ("flagged", "Flagged"), ("cleared", "Reviewed, not a duplicate")],
        default="none",
        required=True,
        tracking=True,
        copy=False,
    )
    duplicate_of_ids = fields.Many2many(
        "mlm.distributor",
        "mlm_distributor_duplicate_rel",
        "distributor_id",
        "duplicate_id",
        string="Possible Duplicates",
        copy=False,
    )
    duplicate_reason = fields.Char(copy=False)
    # --- privacy and audit ------------------------------------------------------------------------------------
    anonymized_date = fields.Datetime(readonly=True, copy=False)
    move_log_ids = fields.One2many("mlm.move.log", "distributor_id", string="Moves")

    _sql_constraints = [
        ("code_company_uniq", "unique (code, company_id)", "This distributor ID is already used in this company."),
    ]

    def init(self):
        if not self.env.su:  # Odoo's registry hook (run as superuser), public by name: not for RPC callers
            raise AccessError(self.env._("Only the server sets up the database."))
        # One living (not terminated) distributor per contact and company.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS mlm_distributor_partner_living_uniq"
                " ON mlm_distributor (partner_id, company_id) WHERE status != 'terminated'"
            )
        )
        # The flagged enrolments list reads few rows: a partial index, not one over every distributor.
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS mlm_distributor_flagged_idx"
                " ON mlm_distributor (id) WHERE duplicate_state = 'flagged'"
            )
        )
        # Subtree range scans compare paths in the C collation. Odoo creates its databases with collation C, so
        # its own parent_path index serves them; a database with another collation gets a C-collated index.
        self.env.cr.execute(SQL("SELECT datcollate FROM pg_database WHERE datname = current_database()"))
        if self.env.cr.fetchone()[0] not in ("C", "POSIX"):
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS mlm_distributor_parent_path_c_idx"
                    ' ON mlm_distributor (parent_path COLLATE "C")'
                )
            )

    def _default_rank(self):
        return self.env["mlm.rank"].search([("company_id", "in", [False, self.env.company.id])], limit=1)

    # ------------------------------------------------------------------ computes
    @api.depends("code", "name")
    def _compute_display_name(self):
        for dist in self:
            dist.display_name = f"[{dist.code}] {dist.name}" if dist.code else (dist.name or "")

    @api.depends("sponsor_id.code")
    def _compute_sponsor_code(self):
        for dist in self:
            dist.sponsor_code = dist.sponsor_id.code

    def _inverse_sponsor_code(self):
        for dist in self:
            if (dist.sponsor_id.code or False) != (dist.sponsor_code or False):
                raise UserError(self.env._("The sponsor changes only through the 'Move in genealogy' wizard."))

    def _compute_recruit_count(self):
        counts = dict(self._read_group([("sponsor_id", "in", self.ids)], ["sponsor_id"], ["__count"]))
        for dist in self:
            dist.recruit_count = counts.get(dist, 0)
            dist.leg_count = dist.recruit_count

    def _compute_downline_count(self):
        counts = self._downline_counts()
        for dist in self:
            dist.downline_count = counts.get(dist.id, 0)

    def _compute_leg_summary(self):
        for dist in self:
            if not dist.id:
                dist.leg_summary = False
                continue
            rows = dist._get_leg_sizes()
            if not rows:
                dist.leg_summary = False
                continue
            names = {d.id: d.display_name for d in self.browse([leg for leg, _size in rows])}
            body = "".join(
                f"<tr><td><span class='o_mlm_leg_dot o_tag_color_{(leg % LEG_COLORS) + 1}'></span> "
                f"{html_escape(names.get(leg, ''))}</td><td class='text-end'>{size}</td></tr>"
                for leg, size in rows
            )
            dist.leg_summary = (
                "<table class='table table-sm o_mlm_legs'><thead><tr>"
                f"<th>{html_escape(self.env._('Leg'))}</th>"
                f"<th class='text-end'>{html_escape(self.env._('Members'))}</th>"
                f"</tr></thead><tbody>{body}</tbody></table>"
            )

    @api.depends_context("mlm_genealogy_root_id")
    def _compute_leg_color(self):
        root_id = self.env.context.get("mlm_genealogy_root_id")
        root_path = self.browse(root_id).parent_path if root_id else None
        for dist in self:
            path = dist.parent_path or ""
            base = root_path or (path.split("/", 1)[0] + "/" if path else "")
            leg = leg_of(path, base)
            dist.leg_color = (leg % LEG_COLORS) + 1 if leg else 0

    @api.depends("join_date", "company_id.mlm_cooling_off_days")
    def _compute_cooling_off_deadline(self):
        for dist in self:
            days = dist.company_id.mlm_cooling_off_days or 0
            dist.cooling_off_deadline = dist.join_date and dist.join_date + timedelta(days=days)

    @api.depends("partner_id.email", "partner_id.phone", "partner_id.mobile", "partner_id.vat", "identity_number")
    def _compute_match_keys(self):
        for dist in self.sudo():
            partner = dist.partner_id
            keys = match_keys(partner.email, partner.phone, partner.mobile, partner.vat, dist.identity_number)
            dist.update({name: value or False for name, value in keys.items()})

    # ------------------------------------------------------------------ constraints
    @api.constrains("sponsor_id")
    def _check_sponsor(self):
        for dist in self:
            if dist.sponsor_id == dist or (
                dist.sponsor_id
                and dist.sponsor_id.partner_id.commercial_partner_id == dist.partner_id.commercial_partner_id
            ):
                raise ValidationError(self.env._("A distributor cannot sponsor themselves."))
        if self._has_cycle():
            raise ValidationError(self.env._("A sponsor cannot be in their own downline."))

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        sponsor_codes = {v["sponsor_code"] for v in vals_list if v.get("sponsor_code")}
        sponsors_by_code = {}
        if sponsor_codes:
            sponsors_by_code = {d.code: d.id for d in self.search([("code", "in", list(sponsor_codes))])}
        for vals in vals_list:
            code = vals.pop("sponsor_code", None)
            if code and not vals.get("sponsor_id"):
                if code not in sponsors_by_code:
                    raise ValidationError(self.env._("Unknown sponsor ID %(code)s.", code=code))
                vals["sponsor_id"] = sponsors_by_code[code]
        self._check_sponsors_may_recruit({v["sponsor_id"] for v in vals_list if v.get("sponsor_id")})
        sponsors = self.browse({v["sponsor_id"] for v in vals_list if v.get("sponsor_id")})
        depth_by_id = {s.id: s.depth for s in sponsors}
        for vals in vals_list:
            company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
            if not vals.get("code"):
                vals["code"] = self.env["ir.sequence"].with_company(company).next_by_code("mlm.distributor")
                if not vals["code"]:
                    raise UserError(self.env._("The distributor ID sequence is missing."))
            vals["depth"] = depth_by_id[vals["sponsor_id"]] + 1 if vals.get("sponsor_id") else 0
            vals.setdefault("agreement_version", company.mlm_agreement_version)
            if vals.get("rank_id"):
                vals.setdefault("highest_rank_id", vals["rank_id"])
        partner_ids = [v["partner_id"] for v in vals_list if v.get("partner_id")]
        self._check_reenrollment(self.env["res.partner"].browse(partner_ids))
        records = super().create(vals_list)
        records._sync_partner_code()
        records._apply_duplicate_policy()
        return records

    def write(self, vals):
        if not self.env.su and set(vals) - KYC_FIELDS and not self.env.user.has_group("mlm_network.group_mlm_manager"):
            raise AccessError(self.env._("Only MLM managers can change distributors."))
        if "code" in vals and any(d.code and d.code != vals["code"] for d in self):
            raise UserError(self.env._("A distributor ID cannot be changed after enrolment."))
        if "sponsor_id" in vals and any(d.sponsor_id.id != vals["sponsor_id"] for d in self):
            raise UserError(self.env._("The sponsor changes only through the 'Move in genealogy' wizard."))
        if "rank_id" in vals:
            vals = dict(vals)
            self._set_rank(self.env["mlm.rank"].browse(vals.pop("rank_id")), self.env._("Changed by hand"))
            if not vals:
                return True
        if "status" in vals:
            today = fields.Date.context_today(self)
            vals.setdefault("status_date", today)
            if vals["status"] == "terminated":
                vals.setdefault("termination_date", today)
        res = super().write(vals)
        if "code" in vals:
            self._sync_partner_code()
        return res

    def _sync_partner_code(self):
        for dist in self:
            if dist.status != "terminated" and dist.partner_id.mlm_code != dist.code:
                dist.partner_id.mlm_code = dist.code

    def _set_rank(self, rank, reason=None, date=None):
        """Give ``rank`` to every distributor of ``self``: rank history, and highest rank when exceeded."""
        changed = self.filtered(lambda d: d.rank_id != rank)
        if not changed:
            return
        self.env["mlm.rank.history"].create(
            [
                {
                    "distributor_id": dist.id,
                    "rank_id": rank.id,
                    "previous_rank_id": dist.rank_id.id,
                    "reason": reason,
                    "date": date or fields.Date.context_today(self),
                }
                for dist in changed
            ]
        )
        higher = changed.filtered(lambda d: rank._is_above(d.highest_rank_id))
        super(MlmDistributor, changed).write({"rank_id": rank.id})
        if higher:
            super(MlmDistributor, higher).write({"highest_rank_id": rank.id})

    # ------------------------------------------------------------------ honest enrolment
    def _check_sponsors_may_recruit(self, sponsor_ids):
        blocked = self.browse(sponsor_ids).filtered(lambda s: s.status in ("terminated", "suspended"))
        if blocked:
            raise ValidationError(
                self.env._(
                    "%(sponsors)s cannot sponsor new distributors (terminated or suspended).",
                    sponsors=", ".join(blocked.mapped("display_name")),
                )
            )

    def _check_reenrollment(self, partners):
        if not partners:
            return
        company = self.env.company
        limit = fields.Date.context_today(self) - timedelta(days=company.mlm_reenroll_days or 0)
        recent = self.sudo().search(
            [
                ("partner_id", "in", partners.ids),
                ("status", "=", "terminated"),
                ("termination_date", ">", limit),
            ],
            limit=1,
        )
        if recent:
            raise ValidationError(
                self.env._(
                    "%(name)s was terminated on %(date)s and cannot enrol again before %(until)s.",
                    name=recent.name,
                    date=recent.termination_date,
                    until=recent.termination_date + timedelta(days=company.mlm_reenroll_days),
                )
            )

    def _find_duplicates(self):
        """Map each distributor of ``self`` to the other living distributors sharing a key.

        One query for the whole recordset; the keys are indexed columns.
        """
        if not self:
            return {}
        self.flush_model(["match_email", "match_phone", "match_vat", "match_identity", "status", "partner_id"])
        matches = [
            SQL(
                """
                SELECT n.id, o.id, %(key)s
                  FROM mlm_distributor n
                  JOIN mlm_distributor o ON o.%(column)s = n.%(column)s
                 WHERE n.id = ANY(%(ids)s) AND o.id != n.id AND o.company_id = n.company_id
                   AND o.status != 'terminated' AND o.partner_id != n.partner_id
                """,
                key=key,
                column=SQL.identifier(f"match_{key}"),
                ids=self.ids,
            )
            for key in ("email", "phone", "vat", "identity")
        ]
        # one indexed equi-join per key (an OR of the four would scan)
        self.env.cr.execute(
            SQL(
                "SELECT n_id, o_id, array_agg(key ORDER BY key) FROM (%s) AS m(n_id, o_id, key) GROUP BY n_id, o_id",
                SQL(" UNION ALL ").join(matches),
            )
        )
        result = {}
        for new_id, other_id, keys in self.env.cr.fetchall():
            result.setdefault(new_id, {})[other_id] = keys
        return result

    def _apply_duplicate_policy(self):
        duplicates = self._find_duplicates()
        if not duplicates:
            return
        labels = {
            "email": self.env._("email"),
            "phone": self.env._("phone"),
            "vat": self.env._("tax ID"),
            "identity": self.env._("identity number"),
        }
        for dist in self.filtered(lambda d: d.id in duplicates):
            matches = duplicates[dist.id]
            others = self.browse(list(matches))
            if dist.sponsor_id in others:
                raise ValidationError(
                    self.env._(
                        "%(name)s shares %(keys)s with the sponsor %(sponsor)s: self-sponsoring is not allowed.",
                        name=dist.name,
                        keys=", ".join(labels[k] for k in matches[dist.sponsor_id.id]),
                        sponsor=dist.sponsor_id.display_name,
                    )
                )
            reason = "; ".join(
                self.env._(
                    "%(keys)s as %(other)s",
                    keys=", ".join(labels[k] for k in keys),
                    other=self.browse(other_id).display_name,
                )
                for other_id, keys in matches.items()
            )
            if dist.company_id.mlm_duplicate_policy == "block":
                raise ValidationError(
                    self.env._(
                        "%(name)s looks like an existing distributor: same %(reason)s.", name=dist.name, reason=reason
                    )
                )
            dist.write(
                {"duplicate_state": "flagged", "duplicate_of_ids": [(6, 0, others.ids)], "duplicate_reason": reason}
            )

    @api.model
    def enroll(self, partner, sponsor=False, **values):
        """Make ``partner`` a distributor under ``sponsor``; the one entry point of every enrolment."""
        self.check_access("create")
        vals = self._prepare_enroll_values(partner, sponsor, values)
        return self.create(vals)

    def _prepare_enroll_values(self, partner, sponsor, values):
        if not partner:
            raise UserError(self.env._("Choose the contact to enrol."))
        if partner.mlm_distributor_id:
            raise UserError(
                self.env._(
                    "%(name)s is already distributor %(code)s.", name=partner.name, code=partner.mlm_distributor_id.code
                )
            )
        vals = {
            "partner_id": partner.id,
            "sponsor_id": sponsor.id if sponsor else False,
            "agreement_date": fields.Datetime.now(),
            "status": "active",
        }
        vals.update(values)
        return vals

    # ------------------------------------------------------------------ genealogy queries
    def _subtree_range(self):
        self.ensure_one()
        return self.parent_path, prefix_upper_bound(self.parent_path)

    def _get_downline_domain(self, include_self=False):
        self.ensure_one()
        domain = [("parent_path", "=like", self.parent_path + "%")]
        if not include_self:
            domain.append(("id", "!=", self.id))
        return domain

    def _downline_counts(self):
        """Downline sizes for the whole recordset in one query (index range scans on parent_path)."""
        records = self.filtered("id")
        if not records:
            return {}
        self.flush_model(["parent_path"])
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id, (SELECT count(*) FROM mlm_distributor c
                               WHERE c.parent_path COLLATE "C" > p.parent_path COLLATE "C"
                                 AND c.parent_path COLLATE "C" < (left(p.parent_path, -1) || '0') COLLATE "C")
                  FROM mlm_distributor p
                 WHERE p.id = ANY(%s)
                """,
                records.ids,
            )
        )
        return dict(self.env.cr.fetchall())

    def _get_leg_sizes(self):
        """[(leg id, members)] for each first-level leg of this distributor, biggest first."""
        self.ensure_one()
        self.flush_model(["parent_path"])
        low, high = self._subtree_range()
        self.env.cr.execute(
            SQL(
                """
                SELECT split_part(substr(parent_path, %(n)s), '/', 1)::int AS leg, count(*)
                  FROM mlm_distributor
                 WHERE parent_path COLLATE "C" > %(low)s COLLATE "C" AND parent_path COLLATE "C" < %(high)s COLLATE "C"
                 GROUP BY 1 ORDER BY 2 DESC, 1
                """,
                n=len(low) + 1,
                low=low,
                high=high,
            )
        )
        return self.env.cr.fetchall()

    # ------------------------------------------------------------------ moves
    def _move_in_genealogy(self, new_sponsor, option, reason):
        """Move this distributor under ``new_sponsor``.

        ``option`` is ``with_downline`` (the whole downline moves along) or ``roll_up`` (the direct recruits
        move to the old sponsor, the distributor moves alone). Paths and depths change in one set-based
        UPDATE per option, bounded by an index range on the materialised path.
        """
        self.ensure_one()
        if not self.env.user.has_group("mlm_network.group_mlm_manager"):
            raise AccessError(self.env._("Only MLM managers can move distributors in the genealogy."))
        if not reason:
            raise UserError(self.env._("Give the reason for the move."))
        if option not in ("with_downline", "roll_up"):
            raise UserError(self.env._("Unknown move option %(option)s.", option=option))
        if new_sponsor == self.sponsor_id:
            raise UserError(self.env._("%(name)s is already sponsored by this distributor.", name=self.display_name))
        if new_sponsor == self:
            raise UserError(self.env._("A distributor cannot sponsor themselves."))
        if new_sponsor and new_sponsor.company_id != self.company_id:
            raise UserError(self.env._("The new sponsor belongs to another company."))
        self._check_sponsors_may_recruit(new_sponsor.ids)
        old_sponsor = self.sponsor_id
        low, high = self._subtree_range()
        if option == "with_downline" and new_sponsor and new_sponsor.parent_path.startswith(low):
            raise UserError(self.env._("The new sponsor is in the downline that moves: that would make a cycle."))
        self.flush_model()
        cr = self.env.cr
        moved = 0
        if option == "roll_up":
            parent_prefix = old_sponsor.parent_path if old_sponsor else ""
            cr.execute(
                SQL(
                    """
                    UPDATE mlm_distributor
                       SET parent_path = %(prefix)s || substr(parent_path, %(cut)s), depth = depth - 1
                     WHERE parent_path COLLATE "C" > %(low)s COLLATE "C"
                       AND parent_path COLLATE "C" < %(high)s COLLATE "C"
                    """,
                    prefix=parent_prefix,
                    cut=len(low) + 1,
                    low=low,
                    high=high,
                )
            )
            moved = cr.rowcount
            cr.execute(
                SQL(
                    "UPDATE mlm_distributor SET sponsor_id = %s WHERE sponsor_id = %s",
                    old_sponsor.id or None,
                    self.id,
                )
            )
            new_path_base = self._read_path(new_sponsor.id) if new_sponsor else ""
            new_prefix = f"{new_path_base}{self.id}/"
            cr.execute(
                SQL(
                    "UPDATE mlm_distributor SET parent_path = %s, depth = %s, sponsor_id = %s WHERE id = %s",
                    new_prefix,
                    new_prefix.count("/") - 1,
                    new_sponsor.id or None,
                    self.id,
                )
            )
        else:
            new_prefix = f"{new_sponsor.parent_path if new_sponsor else ''}{self.id}/"
            delta = (new_prefix.count("/") - 1) - self.depth
            cr.execute(
                SQL(
                    """
                    UPDATE mlm_distributor
                       SET parent_path = %(prefix)s || substr(parent_path, %(cut)s), depth = depth + %(delta)s
                     WHERE parent_path COLLATE "C" >= %(low)s COLLATE "C"
                       AND parent_path COLLATE "C" < %(high)s COLLATE "C"
                    """,
                    prefix=new_prefix,
                    cut=len(low) + 1,
                    delta=delta,
                    low=low,
                    high=high,
                )
            )
            moved = cr.rowcount - 1
            cr.execute(SQL("UPDATE mlm_distributor SET sponsor_id = %s WHERE id = %s", new_sponsor.id or None, self.id))
        self.invalidate_model(["parent_path", "depth", "sponsor_id", "recruit_ids", "sponsor_code"])
        log = self.env["mlm.move.log"].create(
            {
                "distributor_id": self.id,
                "old_sponsor_id": old_sponsor.id,
                "new_sponsor_id": new_sponsor.id,
                "option": option,
                "reason": reason,
                "moved_count": moved,
            }
        )
        self.message_post(
            body=self.env._(
                "Moved in genealogy from %(old)s to %(new)s (%(option)s, %(count)s downline members): %(reason)s",
                old=old_sponsor.display_name or self.env._("no sponsor"),
                new=new_sponsor.display_name or self.env._("no sponsor"),
                option=dict(log._fields["option"]._description_selection(self.env))[option],
                count=moved,
                reason=reason,
            )
        )
        return log

    def _read_path(self, dist_id):
        self.env.cr.execute(SQL("SELECT parent_path FROM mlm_distributor WHERE id = %s", dist_id))
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------ actions
    def _action_open(self, name, domain, context=None, view_mode="list,hierarchy,form"):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "mlm.distributor",
            "view_mode": view_mode,
            "domain": domain,
            "context": dict(context or {}, create=False),
        }

    def action_view_downline(self):
        self.ensure_one()
        return self._action_open(
            self.env._("Downline of %(name)s", name=self.display_name),
            [("id", "child_of", self.id)],
            {"mlm_genealogy_root_id": self.id},
            view_mode="hierarchy,list,form",
        )

    def action_view_upline(self):
        self.ensure_one()
        return self._action_open(
            self.env._("Upline of %(name)s", name=self.display_name),
            [("id", "parent_of", self.id), ("id", "!=", self.id)],
        )

    def action_view_recruits(self):
        self.ensure_one()
        return self._action_open(
            self.env._("Direct recruits of %(name)s", name=self.display_name), [("sponsor_id", "=", self.id)]
        )

    def _set_status(self, status, reason=None):
        vals = {"status": status}
        if status == "terminated" and reason:
            vals["termination_reason"] = reason
        self.write(vals)

    def action_activate(self):
        self._set_status("active")

    def action_deactivate(self):
        self._set_status("inactive")

    def action_suspend(self):
        self._set_status("suspended")

    def action_terminate(self):
        self._set_status("terminated", self.env._("Terminated by %(user)s", user=self.env.user.name))

    def action_cancel_cooling_off(self):
        """Cancel inside the cooling-off period: terminate and flag the starter order for refund."""
        today = fields.Date.context_today(self)
        for dist in self:
            if dist.status == "terminated":
                raise UserError(self.env._("%(name)s is already terminated.", name=dist.display_name))
            if not dist.cooling_off_deadline or today > dist.cooling_off_deadline:
                raise UserError(
                    self.env._(
                        "The cooling-off period of %(name)s ended on %(date)s.",
                        name=dist.display_name,
                        date=dist.cooling_off_deadline,
                    )
                )
            dist._set_status("terminated", self.env._("Cancelled within the cooling-off period"))
            if dist.starter_order_id:
                dist.starter_order_id._mlm_flag_for_refund(dist)

    def action_clear_duplicate(self):
        self.write({"duplicate_state": "cleared"})

    def _check_own_or_group(self, group, operation="read"):
        """Refuse unless the caller is in ``group`` (and may ``operation`` these records) or every record is the
        caller's own distributor. Public methods are callable over RPC by any logged-in user, portal distributors
        included: run this before any ``sudo()``."""
        if self.env.su:
            return
        if self.env.user.has_group(group):
            self.check_access(operation)
            return
        own = self.env.user.partner_id.sudo().mlm_distributor_id
        if not self or self - own:
            raise AccessError(self.env._("You can only do this on your own distributor record."))

    def action_kyc_submit(self):
        """Send the identity documents for verification: identity-check officers on any distributor they may
        change; a distributor on their own record only, once documents are uploaded, and never over a decision
        already taken or pending."""
        self._check_own_or_group("mlm_network.group_kyc_officer", "write")
        if not self.env.su and not self.env.user.has_group("mlm_network.group_kyc_officer"):
            for dist in self.sudo():
                if dist.kyc_state not in ("unverified", "rejected") or not dist.kyc_document_ids:
                    raise UserError(self.env._("Upload your identity documents first."))
        self.sudo().write({"kyc_state": "pending"})

    def _kyc_decide(self, state):
        if not self.env.user.has_group("mlm_network.group_kyc_officer"):
            raise AccessError(self.env._("Only identity-check officers can verify or reject identities."))
        self.write(
            {"kyc_state": state, "kyc_verified_by_id": self.env.user.id, "kyc_verified_date": fields.Datetime.now()}
        )

    def action_kyc_verify(self):
        self._kyc_decide("verified")

    def action_kyc_reject(self):
        self._kyc_decide("rejected")

    def action_anonymize(self):
        """Erase a terminated distributor's personal data; keep the genealogy node and all financial history."""
        if not self.env.user.has_group("mlm_network.group_mlm_manager"):
            raise AccessError(self.env._("Only MLM managers can anonymise distributors."))
        not_terminated = self.filtered(lambda d: d.status != "terminated")
        if not_terminated:
            raise UserError(
                self.env._(
                    "Only terminated distributors can be anonymised: %(names)s.",
                    names=", ".join(not_terminated.mapped("display_name")),
                )
            )
        for dist in self.sudo():
            partner = dist.partner_id
            partner.write(
                dict.fromkeys(PARTNER_PERSONAL_FIELDS, False)
                | {"name": self.env._("Anonymised %(code)s", code=dist.code)}
            )
            dist.kyc_document_ids.unlink()
            dist.write(
                dict.fromkeys(DISTRIBUTOR_PERSONAL_FIELDS, False)
                | {"anonymized_date": fields.Datetime.now(), "kyc_state": "unverified"}
            )
            dist._erase_tracked_personal_values(partner)
        return True

    def _erase_tracked_personal_values(self, partner):
        """Drop chatter tracking values that kept the erased personal data."""
        personal = PARTNER_PERSONAL_FIELDS + DISTRIBUTOR_PERSONAL_FIELDS + ["name"]
        trackings = (
            self.env["mail.tracking.value"]
            .sudo()
            .search(
                [
                    ("field_id.name", "in", personal),
                    "|",
                    "&",
                    ("mail_message_id.model", "=", "res.partner"),
                    ("mail_message_id.res_id", "=", partner.id),
                    "&",
                    ("mail_message_id.model", "=", "mlm.distributor"),
                    ("mail_message_id.res_id", "=", self.id),
                ]
            )
        )
        trackings.unlink()
