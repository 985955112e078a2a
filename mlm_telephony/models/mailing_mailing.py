from odoo import fields, models


class MailingMailing(models.Model):
    _inherit = "mailing.mailing"

    mlm_segment_id = fields.Many2one(
        "mlm.distributor.segment", string="Distributor Segment", index="btree_not_null", ondelete="set null"
    )
    mlm_reminder_id = fields.Many2one(
        "mlm.telephony.reminder", string="Reminder", index="btree_not_null", ondelete="set null"
    )
