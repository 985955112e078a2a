from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression

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
    distributor_count = fields.Integer(string="Distributors", compute="_compute_distributor_count")
    mailing_count = fields.Integer(compute="_compute_mailing_count")
    mailing_ids = fields.One2many("mailing.mailing", "mlm_segment_id", string="Mailings")

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
        return domain

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

    def action_view_mailings(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Mailings"),
            "res_model": "mailing.mailing",
            "view_mode": "list,form",
            "domain": [("mlm_segment_id", "=", self.id)],
        }
