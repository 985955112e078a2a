from odoo import fields, models

from ..tools.placement import PLACEMENT_PREFERENCES, PLACEMENT_TYPES


class ResCompany(models.Model):
    _inherit = "res.company"

    mlm_cooling_off_days = fields.Integer(
        string="Cooling-off Days",
        default=14,
        help="Days after enrolment during which a new distributor may cancel and have the starter order refunded.",
    )
    mlm_duplicate_policy = fields.Selection(
        [("block", "Block the enrolment"), ("flag", "Enrol and flag for review")],
        string="Duplicate Distributors",
        default="flag",
        required=True,
    )
    mlm_reenroll_days = fields.Integer(
        string="Re-enrolment Waiting Days",
        default=180,
        help="A terminated distributor cannot enrol again before this many days have passed.",
    )
    mlm_agreement_version = fields.Char(string="Current Agreement Version", default="1.0")
    # --- placement tree (binary and matrix plans) ---------------------------------------------------------
    mlm_placement_type = fields.Selection(
        PLACEMENT_TYPES,
        string="Placement Tree",
        default="none",
        required=True,
        help="Binary: two positions (left, right) under each distributor; matrix: a fixed width. "
        "The sponsor tree is kept either way.",
    )
    mlm_matrix_width = fields.Integer(string="Matrix Width", default=3)
    mlm_matrix_depth = fields.Integer(
        string="Matrix Depth",
        default=7,
        help="Levels of a sponsor's matrix a recruit may be placed in; 0: no limit.",
    )
    mlm_holding_days = fields.Integer(
        string="Holding Tank Days",
        default=0,
        help="Days new recruits wait unplaced while their sponsor places them by hand; then they are placed "
        "automatically with the sponsor's preference. 0: no holding tank, recruits are placed at enrolment.",
    )
    mlm_placement_preference = fields.Selection(
        PLACEMENT_PREFERENCES,
        string="Default Placement",
        default="spillover",
        required=True,
        help="Where recruits are placed when their sponsor has no preference of their own.",
    )
