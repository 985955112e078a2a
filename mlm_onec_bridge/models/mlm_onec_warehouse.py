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
    stock_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Odoo Warehouse",
        check_company=True,
        help="The stock 1C reports for this warehouse becomes the on-hand quantity of this Odoo warehouse's stock "
        "location (inventory adjustments for the differences) for products tracked in inventory.",
    )

    _sql_constraints = [
        ("guid_company_uniq", "unique(onec_guid, company_id)", "A 1C warehouse is imported once per company."),
    ]

    def write(self, vals):
        result = super().write(vals)
        if vals.get("stock_warehouse_id"):
            self._sync_odoo_stock()
        return result

    def _sync_odoo_stock(self):
        """Set the stock last imported from 1C as the on-hand quantity of the mapped Odoo warehouses."""
        rows = {(level.product_id.id, level.warehouse_id.id): level.quantity for level in self.stock_ids}
        return self.env["mlm.onec.importer"]._sync_stock_quants(rows)
