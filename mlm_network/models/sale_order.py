from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    mlm_refund_requested = fields.Boolean(
        string="Refund Requested (cooling-off)",
        readonly=True,
        copy=False,
        tracking=True,
        help="The distributor cancelled within the cooling-off period: this starter order is to be refunded.",
    )

    def _mlm_flag_for_refund(self, distributor):
        """Flag the starter order of a distributor who cancelled in the cooling-off period."""
        for order in self:
            order.mlm_refund_requested = True
            order.message_post(
                body=self.env._(
                    "%(name)s cancelled within the cooling-off period: refund this starter order.",
                    name=distributor.display_name,
                )
            )
            order.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Refund the starter order (cooling-off cancellation)"),
                user_id=(order.user_id or self.env.user).id,
            )
