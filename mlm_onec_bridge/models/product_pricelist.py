# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ProductPricelist(models.Model):
    _inherit = "product.pricelist"

    onec_guid = fields.Char(
        string="1C Price Type GUID",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="The 1C price type (ТипЦены) whose prices fill this pricelist.",
    )
