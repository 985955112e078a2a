# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class MlmOnecWarehouse(models.Model):
    _name = "mlm.onec.warehouse"
    _description = "1C Warehouse"
    _order = "name"

    name = fields.Char(required=True)
    onec_guid = fields.Char(string="1C GUID", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    stock_ids = fields.One2many("mlm.onec.stock", "warehouse_id", string="Stock Levels")

    _sql_constraints = [
        ("guid_company_uniq", "unique(onec_guid, company_id)", "A 1C warehouse is imported once per company."),
    ]
