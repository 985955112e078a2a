from odoo import api, fields, models

from ..tools.placement import PLACEMENT_POSITIONS


class MlmPlacementWizard(models.TransientModel):
    _name = "mlm.placement.wizard"
    _description = "Place a Distributor in the Placement Tree"

    distributor_id = fields.Many2one("mlm.distributor", required=True, readonly=True)
    mode = fields.Selection(
        [("place", "Place from the holding tank"), ("move", "Move with the placement downline")],
        required=True,
        default="place",
    )
    placement_type = fields.Selection(related="distributor_id.company_id.mlm_placement_type")
    sponsor_id = fields.Many2one(related="distributor_id.sponsor_id")
    current_parent_id = fields.Many2one(related="distributor_id.placement_parent_id", string="Current Placement Parent")
    parent_id = fields.Many2one(
        "mlm.distributor",
        string="Placement Parent",
        domain="[('placement_state', '=', 'placed'), ('id', '!=', distributor_id), ('company_id', '=', company_id)]",
    )
    company_id = fields.Many2one(related="distributor_id.company_id")
    position = fields.Selection(PLACEMENT_POSITIONS, default="left")
    slot = fields.Integer(string="Matrix Position", default=1)
    reason = fields.Text()

    @api.onchange("distributor_id")
    def _onchange_distributor_id(self):
        if not self.parent_id:
            self.parent_id = self.distributor_id.sponsor_id

    def action_confirm(self):
        self.ensure_one()
        position = self.position if self.placement_type == "binary" else self.slot
        if self.mode == "move":
            self.distributor_id._move_in_placement(self.parent_id, position, self.reason)
        else:
            self.distributor_id.action_place(self.parent_id.id, position)
        return {"type": "ir.actions.act_window_close"}
