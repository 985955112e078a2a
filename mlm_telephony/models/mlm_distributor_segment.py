from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL

STATUSES = [
    ("prospect", "Prospect"),
    ("active", "Active"),
    ("inactive", "Inactive"),
    ("suspended", "Suspended"),
]


class MlmDistributorSegment(models.Model):
    """A saved selection of distributors, usable as recipients of email marketing and mass SMS.

    Mailings target ``res.partner`` (Odoo's mailing-enabled contact model), so Odoo's own unsubscribe, email
    blacklist and phone blacklist apply unchanged. Other add-ons add criteria by extending
    ``_get_distributor_domain`` (e.g. ``mlm_commission``: activity in the period, volume missing for a rank).
    """

    _name = "mlm.distributor.segment"
    _description = "Distributor Segment"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    status = fields.Selection(STATUSES, help="Leave empty for every status except terminated.")
    rank_ids = fields.Many2many("mlm.rank", string="Ranks")
    branch_ids = fields.Many2many("mlm.branch", string="Branches")
    tag_ids = fields.Many2many("mlm.distributor.tag", string="Groups and Teams")
    leg_of_id = fields.Many2one(
        "mlm.distributor",
        string="In the Downline of",
        help="Only this distributor's downline (the distributor included).",
    )
    join_date_from = fields.Date(string="Joined From")
    join_date_to = fields.Date(string="Joined Until")
    activity = fields.Selection(
        [
            ("active", "Active this period"),
            ("below_minimum", "Below the activity minimum this period"),
            ("inactive_two", "Inactive in the last two closed periods"),
            ("rank_risk", "Short of what keeps their rank"),
        ],
        help="Activity is the plan's rule: status active and personal volume (PV) in the period at least the plan's "
        "minimum. 'Short of what keeps their rank' uses the latest computed period.",
    )
    pv_gap_max = fields.Float(
        string="Missing PV At Most",
        help="With 'Below the activity minimum': only those who need at most this many PV more (0: all of them).",
    )
    distributor_count = fields.Integer(string="Distributors", compute="_compute_distributor_count")
    mailing_count = fields.Integer(compute="_compute_mailing_count")
    mailing_ids = fields.One2many("mailing.mailing", "mlm_segment_id", string="Mailings")
    telegram_mailing_ids = fields.One2many("mlm.telegram.mailing", "segment_id", string="Telegram Messages")
    telegram_mailing_count = fields.Integer(compute="_compute_telegram_mailing_count")

    @api.constrains("join_date_from", "join_date_to")
    def _check_dates(self):
        for segment in self:
            if segment.join_date_from and segment.join_date_to and segment.join_date_from > segment.join_date_to:
                raise ValidationError(
                    self.env._("The join period of segment %(name)s ends before it starts.", name=segment.name)
                )

    def _compute_distributor_count(self):
        Distributor = self.env["mlm.distributor"]
        for segment in self:
            segment.distributor_count = Distributor.search_count(segment._get_distributor_domain())

    def _compute_mailing_count(self):
        counts = dict(
            self.env["mailing.mailing"]._read_group(
                [("mlm_segment_id", "in", self.ids)], ["mlm_segment_id"], ["__count"]
            )
        )
        for segment in self:
            segment.mailing_count = counts.get(segment, 0)

    def _compute_telegram_mailing_count(self):
        counts = dict(
            self.env["mlm.telegram.mailing"]._read_group([("segment_id", "in", self.ids)], ["segment_id"], ["__count"])
        )
        for segment in self:
            segment.telegram_mailing_count = counts.get(segment, 0)

    def _get_distributor_domain(self):
        """Domain on ``mlm.distributor`` of this segment's members. Extend it to add criteria."""
        self.ensure_one()
        domain = [("company_id", "=", self.company_id.id)]
        domain.append(("status", "=", self.status) if self.status else ("status", "!=", "terminated"))
        if self.rank_ids:
            domain.append(("rank_id", "in", self.rank_ids.ids))
        if self.branch_ids:
            domain.append(("branch_id", "child_of", self.branch_ids.ids))
        if self.tag_ids:
            domain.append(("tag_ids", "in", self.tag_ids.ids))
        if self.leg_of_id:
            domain.append(("id", "child_of", self.leg_of_id.id))
        if self.join_date_from:
            domain.append(("join_date", ">=", self.join_date_from))
        if self.join_date_to:
            domain.append(("join_date", "<=", self.join_date_to))
        if self.activity:
            domain.append(("id", "in", self._get_activity_distributor_ids()))
        return domain

    # ------------------------------------------------------------------ activity criteria (mlm_commission)
    def _get_activity_distributor_ids(self):
        """Ids of the company's distributors matching ``activity``: one query on the ledger or the statements."""
        self.ensure_one()
        self.env["mlm.distributor"].flush_model(["status", "company_id", "join_date"])
        self.env["mlm.volume.line"].flush_model()
        self.env["mlm.commission.statement"].flush_model()
        query = getattr(self, f"_activity_query_{self.activity}")()
        if query is None:
            return []
        self.env.cr.execute(query)
        return [row[0] for row in self.env.cr.fetchall()]

    def _current_period_bounds(self):
        today = fields.Date.context_today(self)
        return self.env["mlm.commission.period"].sudo()._get_current_period(self.company_id, today)[1:]

    def _period_pv_query(self):
        date_from, date_to = self._current_period_bounds()
        return SQL(
            """
            SELECT d.id, COALESCE(v.pv, 0) AS pv
              FROM mlm_distributor d
              LEFT JOIN (SELECT distributor_id, SUM(pv) AS pv FROM mlm_volume_line
                          WHERE company_id = %(company)s AND date BETWEEN %(date_from)s AND %(date_to)s
                          GROUP BY distributor_id) v ON v.distributor_id = d.id
             WHERE d.company_id = %(company)s AND d.status = 'active'
            """,
            company=self.company_id.id,
            date_from=date_from,
            date_to=date_to,
        )

    def _activity_query_active(self):
        minimum = self.company_id.mlm_plan_id.min_pv or 0.0
        return SQL("SELECT id FROM (%s) p WHERE p.pv >= %s", self._period_pv_query(), minimum)

    def _activity_query_below_minimum(self):
        minimum = self.company_id.mlm_plan_id.min_pv or 0.0
        gap = self.pv_gap_max or None
        return SQL(
            "SELECT id FROM (%s) p WHERE p.pv < %s AND (%s::float IS NULL OR %s - p.pv <= %s)",
            self._period_pv_query(),
            minimum,
            gap,
            minimum,
            gap,
        )

    def _closed_periods(self, count):
        return self.env["mlm.commission.period"].search(
            [("company_id", "=", self.company_id.id), ("state", "in", ("closed", "paid"))],
            order="date_to desc",
            limit=count,
        )

    def _activity_query_inactive_two(self):
        periods = self._closed_periods(2)
        if len(periods) < 2:
            return None
        return SQL(
            """
            SELECT d.id FROM mlm_distributor d
             WHERE d.company_id = %(company)s AND d.status != 'terminated' AND d.join_date <= %(since)s
               AND NOT EXISTS (SELECT 1 FROM mlm_commission_statement s
                                WHERE s.distributor_id = d.id AND s.period_id = ANY(%(periods)s) AND s.is_active)
            """,
            company=self.company_id.id,
            since=min(periods.mapped("date_from")),
            periods=periods.ids,
        )

    def _activity_query_rank_risk(self):
        period = self.env["mlm.commission.period"].search(
            [("company_id", "=", self.company_id.id), ("state", "in", ("computed", "closed", "paid"))],
            order="date_to desc",
            limit=1,
        )
        if not period:
            return None
        return SQL(
            "SELECT distributor_id FROM mlm_commission_statement WHERE period_id = %s AND risk = 'rank'", period.id
        )

    def _get_partner_domain(self):
        """Domain on ``res.partner`` (the mailing recipients) equivalent to the segment."""
        self.ensure_one()
        return [("mlm_distributor_ids", "any", self._get_distributor_domain())]

    def _prepare_mailing_vals(self, mailing_type, subject=None, body=None):
        self.ensure_one()
        vals = {
            "mailing_type": mailing_type,
            "subject": subject or self.name,
            "mailing_model_id": self.env["ir.model"]._get_id("res.partner"),
            "mlm_segment_id": self.id,
        }
        if mailing_type == "sms":
            vals["body_plaintext"] = body or ""
        elif body:
            vals["body_html"] = body
        return vals

    def _create_mailings(self, mailing_type, subject=None, body=None):
        """One mailing per segment, recipients = segment AND Odoo's default (blacklist) domain."""
        mailings = self.env["mailing.mailing"].create(
            [segment._prepare_mailing_vals(mailing_type, subject, body) for segment in self]
        )
        for mailing, segment in zip(mailings, self, strict=True):
            mailing.mailing_domain = repr(
                expression.AND(
                    [
                        mailing._get_default_mailing_domain(),
                        segment._get_partner_domain(),
                    ]
                )
            )
        return mailings

    def action_view_distributors(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("mlm_network.mlm_distributor_action")
        action["domain"] = self._get_distributor_domain()
        action["context"] = {}
        return action

    def _open_mailing(self, mailing):
        return {
            "type": "ir.actions.act_window",
            "res_model": "mailing.mailing",
            "res_id": mailing.id,
            "view_mode": "form",
            "context": {"default_mailing_type": mailing.mailing_type},
        }

    def action_create_email_mailing(self):
        self.ensure_one()
        return self._open_mailing(self._create_mailings("mail"))

    def action_create_sms_mailing(self):
        self.ensure_one()
        return self._open_mailing(self._create_mailings("sms"))

    def action_create_telegram_mailing(self):
        self.ensure_one()
        bot = self.env["mlm.telegram.bot"]._get_for_company(self.company_id)
        if not bot:
            raise UserError(self.env._("Configure the company's Telegram bot first."))
        return {
            "type": "ir.actions.act_window",
            "res_model": "mlm.telegram.mailing",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {"default_name": self.name, "default_segment_id": self.id, "default_bot_id": bot.id},
        }

    def action_create_telegram_invitations(self):
        """Invitation tokens for every member of the segment, so their links can be sent by email or SMS."""
        self.ensure_one()
        partners = self.env["res.partner"].search(self._get_partner_domain())
        partners._mlm_ensure_telegram_tokens()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._(
                    "%(count)s invitation links are ready (field Telegram Invitation of each contact).",
                    count=len(partners),
                ),
            },
        }

    def action_view_telegram_mailings(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Telegram Messages"),
            "res_model": "mlm.telegram.mailing",
            "view_mode": "list,form",
            "domain": [("segment_id", "=", self.id)],
            "context": {"default_segment_id": self.id},
        }

    def action_view_mailings(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Mailings"),
            "res_model": "mailing.mailing",
            "view_mode": "list,form",
            "domain": [("mlm_segment_id", "=", self.id)],
        }
