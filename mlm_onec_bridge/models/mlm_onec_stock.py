# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models
from odoo.tools import SQL


class MlmOnecStock(models.Model):
    """Stock per 1C warehouse as 1C reports it (1C is the master of the stock; Odoo shows it and sells from it).

    One level per variant and warehouse: a 1C characteristic is an Odoo variant, a product without
    characteristics has its one variant."""

    _name = "mlm.onec.stock"
    _description = "1C Stock Level"
    _order = "product_tmpl_id, product_id, warehouse_id"

    product_id = fields.Many2one("product.product", string="Variant", required=True, ondelete="cascade", index=True)
    product_tmpl_id = fields.Many2one(
        "product.template", string="Product", related="product_id.product_tmpl_id", store=True, index=True
    )
    warehouse_id = fields.Many2one("mlm.onec.warehouse", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="warehouse_id.company_id", store=True, index=True)
    quantity = fields.Float(digits="Product Unit of Measure")

    _sql_constraints = [
        (
            "product_warehouse_uniq",
            "unique(product_id, warehouse_id)",
            "One stock level per product variant and warehouse.",
        ),
    ]

    def _upsert_levels(self, rows):
        """Write ``[(product_id, warehouse_id, quantity)]`` in one statement; returns the number changed.

        Hot path of offers/rests import: one INSERT ... ON CONFLICT instead of one ORM write per row.
        """
        if not rows:
            return 0
        self.flush_model()
        products, warehouses, quantities = zip(*rows, strict=True)
        self.env.cr.execute(
            SQL(
                """
            INSERT INTO mlm_onec_stock (product_id, product_tmpl_id, warehouse_id, quantity, company_id,
                                        create_uid, write_uid, create_date, write_date)
            SELECT v.product, p.product_tmpl_id, v.wh, v.qty, w.company_id, %(uid)s, %(uid)s,
                   now() at time zone 'UTC', now() at time zone 'UTC'
              FROM unnest(%(products)s::int[], %(warehouses)s::int[], %(quantities)s::float8[]) AS v(product, wh, qty)
              JOIN mlm_onec_warehouse w ON w.id = v.wh
              JOIN product_product p ON p.id = v.product
            ON CONFLICT (product_id, warehouse_id) DO UPDATE
               SET quantity = EXCLUDED.quantity, write_uid = EXCLUDED.write_uid, write_date = EXCLUDED.write_date
             WHERE mlm_onec_stock.quantity IS DISTINCT FROM EXCLUDED.quantity
            RETURNING id
            """,
                uid=self.env.uid,
                products=list(products),
                warehouses=list(warehouses),
                quantities=[float(qty) for qty in quantities],
            )
        )
        changed = len(self.env.cr.fetchall())
        self.invalidate_model()
        return changed
