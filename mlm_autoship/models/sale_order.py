from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    mlm_autoship_cycle_id = fields.Many2one(
        "mlm.autoship.cycle", string="Autoship Cycle", readonly=True, copy=False, index="btree_not_null"
    )
    mlm_autoship_id = fields.Many2one(related="mlm_autoship_cycle_id.autoship_id", string="Autoship")

    def _send_payment_succeeded_for_order_mail(self):
        """Autoship orders are paid in a nightly batch: their owners get the cycle's own e-mail through the mail queue
        (``mlm_autoship.mail_template_autoship_paid``), not Odoo's one sent at once with a rendered PDF."""
        return super(
            SaleOrder, self.filtered(lambda o: not o.mlm_autoship_cycle_id)
        )._send_payment_succeeded_for_order_mail()
