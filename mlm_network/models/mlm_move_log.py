from odoo import api, fields, models
from odoo.exceptions import UserError


class MlmMoveLog(models.Model):
    _name = "mlm.move.log"
    _description = "Genealogy Move (audit log)"
    _order = "date desc, id desc"

    distributor_id = fields.Many2one("mlm.distributor", required=True, ondelete="restrict", index=True, readonly=True)
    company_id = fields.Many2one(related="distributor_id.company_id", store=True, index=True)
    old_sponsor_id = fields.Many2one("mlm.distributor", ondelete="restrict", readonly=True)
    new_sponsor_id = fields.Many2one("mlm.distributor", ondelete="restrict", readonly=True)
    option = fields.Selection(
        [
            ("with_downline", "Whole downline moves along"),
            ("roll_up", "Direct recruits roll up to the old sponsor"),
            ("place", "Placed by hand"),
            ("auto_place", "Placed automatically"),
            ("placement_move", "Moved in the placement tree with the downline"),
        ],
        required=True,
        readonly=True,
    )
    tree = fields.Selection(
        [("sponsor", "Sponsor tree"), ("placement", "Placement tree")], default="sponsor", required=True, readonly=True
    )
    old_placement_parent_id = fields.Many2one("mlm.distributor", ondelete="restrict", readonly=True)
    new_placement_parent_id = fields.Many2one("mlm.distributor", ondelete="restrict", readonly=True)
    new_placement_slot = fields.Integer(string="New Position", readonly=True)
    reason = fields.Text(required=True, readonly=True)
    moved_count = fields.Integer(string="Downline Members Moved", readonly=True)
    user_id = fields.Many2one("res.users", string="Moved By", default=lambda self: self.env.user, readonly=True)
    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("The genealogy audit log cannot be deleted."))
