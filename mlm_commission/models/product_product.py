from odoo import api, fields, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    mlm_volume_override = fields.Boolean(
        string="Own PV/BV", help="This variant has its own PV and BV instead of the product's."
    )
    mlm_pv_variant = fields.Float(string="Variant PV", digits="Product Unit of Measure")
    mlm_bv_variant = fields.Monetary(string="Variant BV", currency_field="mlm_bv_currency_id")
    mlm_pv_effective = fields.Float(
        string="Effective PV", compute="_compute_mlm_volume_effective", digits="Product Unit of Measure"
    )
    mlm_bv_effective = fields.Monetary(
        string="Effective BV", compute="_compute_mlm_volume_effective", currency_field="mlm_bv_currency_id"
    )

    @api.depends(
        "mlm_volume_override", "mlm_pv_variant", "mlm_bv_variant", "product_tmpl_id.mlm_pv", "product_tmpl_id.mlm_bv"
    )
    def _compute_mlm_volume_effective(self):
        for product in self:
            if product.mlm_volume_override:
                product.mlm_pv_effective = product.mlm_pv_variant
                product.mlm_bv_effective = product.mlm_bv_variant
            else:
                product.mlm_pv_effective = product.product_tmpl_id.mlm_pv
                product.mlm_bv_effective = product.product_tmpl_id.mlm_bv

    def _mlm_line_volume(self, quantity, discount=0.0):
        """(PV, BV) of ``quantity`` (in the product's unit) of this product sold ``discount`` percent off.

        The one formula of sale order lines, invoice lines, the calculator and the volume ledger.
        """
        self.ensure_one()
        return (
            self.mlm_pv_effective * quantity,
            self.mlm_bv_effective * quantity * (1.0 - (discount or 0.0) / 100.0),
        )
