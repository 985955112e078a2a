from odoo import fields, models


class MlmMoveWizard(models.TransientModel):
    _name = "mlm.move.wizard"
    _description = "Move a Distributor in the Genealogy"

    distributor_id = fields.Many2one("mlm.distributor", required=True, readonly=True)
    current_sponsor_id = fields.Many2one(related="distributor_id.sponsor_id")
    downline_count = fields.Integer(related="distributor_id.downline_count")
    new_sponsor_id = fields.Many2one(
        "mlm.distributor",
        domain="[('id', '!=', distributor_id), ('status', 'not in', ['terminated', 'suspended'])]",
    )
    option = fields.Selection(
        [
            ("with_downline", "The whole downline moves along"),
            ("roll_up", "Direct recruits roll up to the old sponsor"),
        ],
        required=True,
        default="with_downline",
    )
    reason = fields.Text(required=True)

    def action_move(self):
        self.ensure_one()
        self.distributor_id._move_in_genealogy(self.new_sponsor_id, self.option, self.reason)
        return {"type": "ir.actions.act_window_close"}
