from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    mlm_autoship_cycle_id = fields.Many2one(
        "mlm.autoship.cycle", string="Autoship Cycle", readonly=True, copy=False, index="btree_not_null"
    )
    mlm_autoship_id = fields.Many2one(related="mlm_autoship_cycle_id.autoship_id", string="Autoship")
