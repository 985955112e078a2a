from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mlm_autoship_retry_days = fields.Char(related="company_id.mlm_autoship_retry_days", readonly=False)
    mlm_autoship_reminder_days = fields.Integer(related="company_id.mlm_autoship_reminder_days", readonly=False)
