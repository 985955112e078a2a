from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"
    _rec_names_search = ["complete_name", "email", "ref", "vat", "company_registry", "mlm_code"]

    mlm_distributor_ids = fields.One2many("mlm.distributor", "partner_id", string="Distributor Records")
    mlm_distributor_id = fields.Many2one(
        "mlm.distributor",
        string="Distributor",
        compute="_compute_mlm_distributor_id",
        search="_search_mlm_distributor_id",
    )
    is_distributor = fields.Boolean(compute="_compute_mlm_distributor_id", search="_search_is_distributor")
    mlm_code = fields.Char(string="Distributor Code", index=True, copy=False, readonly=True)
    mlm_referrer_id = fields.Many2one(
        "mlm.distributor",
        string="Referring Distributor",
        index=True,
        tracking=True,
        help="For customers: the distributor who referred them; their purchases count as this distributor's "
        "customer volume.",
    )
    mlm_sponsor_id = fields.Many2one(related="mlm_distributor_id.sponsor_id", string="Distributor Sponsor")
    mlm_rank_id = fields.Many2one(related="mlm_distributor_id.rank_id", string="Distributor Rank")
    mlm_status = fields.Selection(related="mlm_distributor_id.status", string="Distributor Status")
    mlm_branch_id = fields.Many2one(related="mlm_distributor_id.branch_id", string="Distributor Branch")
    mlm_join_date = fields.Date(related="mlm_distributor_id.join_date", string="Distributor Join Date")

    @api.depends("mlm_distributor_ids.status")
    def _compute_mlm_distributor_id(self):
        for partner in self:
            living = partner.mlm_distributor_ids.filtered(lambda d: d.status != "terminated")
            partner.mlm_distributor_id = living[:1]
            partner.is_distributor = bool(living)

    def _search_mlm_distributor_id(self, operator, value):
        return [("mlm_distributor_ids", "any", [("id", operator, value), ("status", "!=", "terminated")])]

    def _search_is_distributor(self, operator, value):
        positive = (operator == "=") == bool(value)
        domain = [("mlm_distributor_ids", "any", [("status", "!=", "terminated")])]
        return domain if positive else ["!"] + domain

    def action_mlm_enroll(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Enroll as Distributor"),
            "res_model": "mlm.enroll.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.id},
        }

    def action_mlm_open_distributor(self):
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "res_model": "mlm.distributor",
            "view_mode": "form",
            "res_id": self.mlm_distributor_id.id,
        }
