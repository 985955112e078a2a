from odoo import api, models
from odoo.tools import SQL


class MlmVolumeLine(models.Model):
    _inherit = "mlm.volume.line"

    @api.model
    def _mlm_standing_line_sql(self, plan):
        """Customer ledger lines of autoship orders, for the plan's customer autoship bonus: the order line (volume
        on confirmed orders), its invoice lines and their credit notes (Odoo keeps a refund's link to the order
        line), and any line reversing one of those (``origin_line_id``). Index lookups per customer line, read
        only when the plan pays the bonus."""
        if not plan or not plan.autoship_customer_rate:
            return super()._mlm_standing_line_sql(plan)
        self.env["sale.order"].flush_model(["mlm_autoship_cycle_id"])
        self.env["sale.order.line"].flush_model(["order_id"])
        self.env["account.move.line"].flush_model(["sale_line_ids"])
        return SQL(
            "(v.volume_type = 'customer' AND (%(own)s OR EXISTS (SELECT 1 FROM mlm_volume_line vo"
            " WHERE vo.id = v.origin_line_id AND %(origin)s)))",
            own=self._mlm_autoship_line_sql(SQL.identifier("v")),
            origin=self._mlm_autoship_line_sql(SQL.identifier("vo")),
        )

    @api.model
    def _mlm_autoship_line_sql(self, alias):
        """The ledger line ``alias`` points at an autoship order's line, or at an invoice line of one."""
        return SQL(
            """(EXISTS (SELECT 1 FROM sale_order_line sl JOIN sale_order so ON so.id = sl.order_id
                         WHERE sl.id = %(v)s.sale_line_id AND so.mlm_autoship_cycle_id IS NOT NULL)
                OR EXISTS (SELECT 1 FROM sale_order_line_invoice_rel r
                             JOIN sale_order_line sl ON sl.id = r.order_line_id
                             JOIN sale_order so ON so.id = sl.order_id
                            WHERE r.invoice_line_id = %(v)s.move_line_id AND so.mlm_autoship_cycle_id IS NOT NULL))""",
            v=alias,
        )
