from odoo import fields, models


class MlmVolumeAdjustWizard(models.TransientModel):
    _name = "mlm.volume.adjust.wizard"
    _description = "Manual Volume Adjustment"

    distributor_id = fields.Many2one("mlm.distributor", required=True)
    company_id = fields.Many2one(related="distributor_id.company_id")
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(required=True, default=fields.Date.context_today)
    pv = fields.Float(string="PV", digits="Product Unit of Measure")
    bv = fields.Monetary(string="BV")
    reason = fields.Char(required=True)

    def action_confirm(self):
        self.ensure_one()
        line = self.env["mlm.volume.line"]._create_adjustment(
            self.distributor_id, self.pv, self.bv, self.date, self.reason
        )
        return {"type": "ir.actions.act_window", "res_model": "mlm.volume.line", "res_id": line.id, "view_mode": "form"}
