# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class ProductCategory(models.Model):
    _inherit = "product.category"

    onec_guid = fields.Char(string="1C GUID", index="btree_not_null", copy=False, readonly=True)
