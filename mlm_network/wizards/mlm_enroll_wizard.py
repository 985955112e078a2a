from odoo import fields, models
from odoo.exceptions import UserError


class MlmEnrollWizard(models.TransientModel):
    _name = "mlm.enroll.wizard"
    _description = "Enroll a Contact as Distributor"

    partner_id = fields.Many2one("res.partner", string="Contact", required=True)
    sponsor_id = fields.Many2one("mlm.distributor", domain=[("status", "not in", ["terminated", "suspended"])])
    branch_id = fields.Many2one("mlm.branch")
    join_date = fields.Date(default=fields.Date.context_today, required=True)
    agreement_version = fields.Char(default=lambda self: self.env.company.mlm_agreement_version, required=True)
    agreement_accepted = fields.Boolean(string="Distributor agreement accepted")
    starter_order_id = fields.Many2one("sale.order", domain="[('partner_id', '=', partner_id)]")

    def action_enroll(self):
        self.ensure_one()
        if not self.agreement_accepted:
            raise UserError(self.env._("The distributor agreement must be accepted before enrolment."))
        distributor = self.env["mlm.distributor"].enroll(
            self.partner_id,
            self.sponsor_id,
            branch_id=self.branch_id.id,
            join_date=self.join_date,
            agreement_version=self.agreement_version,
            starter_order_id=self.starter_order_id.id,
            enrollment_source="backend",
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "mlm.distributor",
            "res_id": distributor.id,
            "view_mode": "form",
        }
