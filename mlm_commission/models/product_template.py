from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    mlm_pv = fields.Float(
        string="PV",
        digits="Product Unit of Measure",
        default=0.0,
        help="Personal (qualifying) volume points earned per unit sold.",
    )
    mlm_bv = fields.Monetary(
        string="BV",
        currency_field="mlm_bv_currency_id",
        default=0.0,
        help="Business (commissionable) value per unit, in the company currency; discounts reduce it.",
    )
    mlm_bv_currency_id = fields.Many2one("res.currency", compute="_compute_mlm_bv_currency_id", string="BV Currency")

    def _compute_mlm_bv_currency_id(self):
        for template in self:
            template.mlm_bv_currency_id = (template.company_id or self.env.company).currency_id
