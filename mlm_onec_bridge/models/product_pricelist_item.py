# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ProductPricelistItem(models.Model):
    _inherit = "product.pricelist.item"

    # Odoo does not index them: with one fixed price per 1C product and characteristic (hundreds of thousands of
    # rows), each import batch finds its prices by product, and each variant Odoo unlinks (the variant of no
    # characteristic a product loses when its characteristics come) makes PostgreSQL look for its prices to cascade:
    # without an index a scan of the whole table per variant
    product_tmpl_id = fields.Many2one(index="btree_not_null")
    product_id = fields.Many2one(index="btree_not_null")
