from odoo import fields, models


class SmsTracker(models.Model):
    _inherit = "sms.tracker"

    mlm_gateway_ref = fields.Char(
        string="Gateway Reference",
        index="btree_not_null",
        readonly=True,
        help="Message id and number at the SMS gateway, to match its delivery reports.",
    )
