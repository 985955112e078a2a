from odoo import models


class AccountMove(models.Model):
    _inherit = "account.move"

    def _mlm_credited_distributor(self):
        """An invoice of a web shop order that came by a referral link credits that link's distributor."""
        distributor, volume_type = super()._mlm_credited_distributor()
        if volume_type == "personal":
            return distributor, volume_type
        referrer = self.invoice_line_ids.sale_line_ids.order_id.mlm_referrer_id[:1]
        if referrer and referrer.status != "terminated":
            return referrer, "customer"
        return distributor, volume_type
