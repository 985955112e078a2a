from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    mlm_referrer_id = fields.Many2one(
        "mlm.distributor",
        string="Referred By",
        index="btree_not_null",
        copy=False,
        help="The distributor whose referral link brought this web shop customer; the order counts as that "
        "distributor's customer volume.",
    )

    def _mlm_credited_distributor(self):
        """A customer (not a distributor) who came by a referral link credits the distributor of that link first,
        then the customer's own referring distributor."""
        distributor, volume_type = super()._mlm_credited_distributor()
        referrer = self.mlm_referrer_id
        if volume_type != "personal" and referrer and referrer.status != "terminated":
            return referrer, "customer"
        return distributor, volume_type

    def _action_confirm(self):
        # a referred customer stays attached to the distributor who brought them (later orders, invoices)
        for order in self.filtered("mlm_referrer_id"):
            buyer = order.partner_id.commercial_partner_id
            if not buyer.mlm_distributor_id and not buyer.mlm_referrer_id:
                buyer.sudo().mlm_referrer_id = order.mlm_referrer_id
        return super()._action_confirm()
