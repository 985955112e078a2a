from odoo import api, fields, models


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "mlm.volume.document.mixin"]
    _mlm_volume_lines_field = "order_line"

    def _action_confirm(self):
        result = super()._action_confirm()
        self._mlm_sync_volume()
        return result

    def _action_cancel(self):
        result = super()._action_cancel()
        self._mlm_sync_volume()
        return result

    def _mlm_credited_distributor(self):
        """(distributor, volume type) this order credits; a hook for attribution rules of other add-ons."""
        self.ensure_one()
        return self.env["mlm.volume.line"]._credited_distributor(self.partner_id)

    def _mlm_get_pv(self):
        """PV of the order: each product line's PV (the variant's own when it has one) times its quantity in the
        product's unit."""
        self.ensure_one()
        return sum(line._mlm_volume()[0] for line in self.order_line)

    def _mlm_sync_volume(self):
        """Credit (or reverse) the volume of orders of companies that count volume on confirmed orders."""
        orders = self.filtered(lambda o: o.company_id.mlm_volume_trigger == "sale")
        if orders:
            self.env["mlm.volume.line"]._sync_sources(orders.order_line._mlm_volume_sources())


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    mlm_pv = fields.Float(string="PV", compute="_compute_mlm_volume", store=True, digits="Product Unit of Measure")
    mlm_bv = fields.Monetary(string="BV", compute="_compute_mlm_volume", store=True)

    @api.depends("product_id", "product_uom_qty", "product_uom", "discount", "display_type")
    def _compute_mlm_volume(self):
        for line in self:
            line.mlm_pv, line.mlm_bv = line._mlm_volume()

    def _mlm_volume(self):
        """(PV, BV) of this line (its quantity in the product's unit): the line's fields and the ledger use it."""
        self.ensure_one()
        if not self.product_id or self.display_type:
            return 0.0, 0.0
        qty = self.product_uom._compute_quantity(self.product_uom_qty, self.product_id.uom_id)
        return self.product_id._mlm_line_volume(qty, self.discount)

    def _mlm_volume_sources(self):
        """What each product line should hold in the volume ledger (zero when the order does not count)."""
        sources = []
        for line in self.filtered(lambda ln: ln.product_id and not ln.display_type):
            order = line.order_id
            distributor, volume_type = order._mlm_credited_distributor()
            counts = order.state == "sale"
            qty = line.product_uom._compute_quantity(line.product_uom_qty, line.product_id.uom_id) if counts else 0.0
            pv, bv = line._mlm_volume() if counts else (0.0, 0.0)
            product = line.product_id
            sources.append(
                {
                    "source_key": f"sale.order.line:{line.id}",
                    "company": order.company_id,
                    "distributor": distributor,
                    "volume_type": volume_type or "personal",
                    "pv": pv,
                    "bv": bv,
                    "date": order.date_order.date(),
                    "partner_id": order.partner_id.commercial_partner_id.id,
                    "product_id": product.id,
                    "quantity": qty,
                    "sale_line_id": line.id,
                    "origin": order.name,
                }
            )
        return sources
