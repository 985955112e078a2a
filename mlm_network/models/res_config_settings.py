from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mlm_cooling_off_days = fields.Integer(related="company_id.mlm_cooling_off_days", readonly=False)
    mlm_duplicate_policy = fields.Selection(related="company_id.mlm_duplicate_policy", readonly=False)
    mlm_reenroll_days = fields.Integer(related="company_id.mlm_reenroll_days", readonly=False)
    mlm_agreement_version = fields.Char(related="company_id.mlm_agreement_version", readonly=False)
    mlm_placement_type = fields.Selection(related="company_id.mlm_placement_type", readonly=False)
    mlm_matrix_width = fields.Integer(related="company_id.mlm_matrix_width", readonly=False)
    mlm_matrix_depth = fields.Integer(related="company_id.mlm_matrix_depth", readonly=False)
    mlm_holding_days = fields.Integer(related="company_id.mlm_holding_days", readonly=False)
    mlm_placement_preference = fields.Selection(related="company_id.mlm_placement_preference", readonly=False)

    def action_mlm_build_placement_tree(self):
        """The settings' button: the company's own action (access checked there)."""
        return self.company_id.action_mlm_build_placement_tree()
