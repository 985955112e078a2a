from odoo import fields, models
from odoo.exceptions import AccessError, UserError

from ..tools.placement import PLACEMENT_PREFERENCES, PLACEMENT_TYPES
from .mlm_distributor_import_job import IMPORT_CHANNEL


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

    # ------------------------------------------------------------------ actions
    def action_mlm_build_placement_tree(self):
        """Enqueue the job placing every never-placed distributor of each company (a network switching to a
        binary or matrix plan), and return at once. MLM managers of these companies only."""
        if not self.env.user.has_group("mlm_network.group_mlm_manager") or self - self.env.user.company_ids:
            raise AccessError(self.env._("Only MLM managers can build the placement tree."))
        for company in self:
            if company.mlm_placement_type == "none":
                raise UserError(
                    self.env._("Choose a binary or matrix placement tree for %(company)s first.", company=company.name)
                )
            self.env["mlm.distributor"].with_company(company).with_delay(
                channel=IMPORT_CHANNEL,  # genealogy work: one at a time, never beside an import
                description=self.env._("Build the placement tree of %(company)s", company=company.name),
                max_retries=3,
            )._placement_build_tree(company.id)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "The distributors not placed yet are being placed in the background; the placement audit log "
                    "lists each of them."
                ),
            },
        }
