from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mlm_privacy_version = fields.Char(related="company_id.mlm_privacy_version", readonly=False)
    mlm_signup_rate_limit = fields.Integer(related="company_id.mlm_signup_rate_limit", readonly=False)
    mlm_distributor_pricelist_id = fields.Many2one(related="company_id.mlm_distributor_pricelist_id", readonly=False)
