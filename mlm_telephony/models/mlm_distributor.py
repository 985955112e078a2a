from odoo import fields, models


class MlmDistributor(models.Model):
    _inherit = "mlm.distributor"

    mlm_call_count = fields.Integer(string="Calls", compute="_compute_mlm_call_count")

    def _compute_mlm_call_count(self):
        counts = dict(
            self.env["mlm.call"]._read_group([("partner_id", "in", self.partner_id.ids)], ["partner_id"], ["__count"])
        )
        for distributor in self:
            distributor.mlm_call_count = counts.get(distributor.partner_id, 0)

    def action_mlm_view_calls(self):
        self.ensure_one()
        return self.partner_id.action_mlm_view_calls()

    def action_mlm_call(self):
        self.ensure_one()
        return self.env["mlm.telephony.provider"]._mlm_click_to_call(self.mobile or self.phone, self.partner_id)
