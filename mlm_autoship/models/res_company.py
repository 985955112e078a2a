from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    mlm_autoship_retry_days = fields.Char(
        string="Autoship Retries (Days)",
        default="1,3,5",
        help="Days after a failed charge on which it is tried again; after the last one the cycle is skipped and "
        "the autoship paused (never cancelled).",
    )
    mlm_autoship_reminder_days = fields.Integer(
        string="Autoship Reminder (Days Before)", default=3, help="0: no reminder."
    )
