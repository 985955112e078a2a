from odoo import api, fields, models

PAID_STATES = ("in_payment", "paid", "reversed")


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "mlm.volume.document.mixin"]
    _mlm_volume_lines_field = "invoice_line_ids"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted._mlm_sync_volume()
        return posted

    def button_cancel(self):
        result = super().button_cancel()
        self._mlm_sync_volume()
        return result

    def button_draft(self):
        result = super().button_draft()
        self._mlm_sync_volume()
        return result

    def _mlm_counts_volume(self):
        """True when this customer document credits (or claws back) volume now, under its company's trigger."""
        self.ensure_one()
        trigger = self.company_id.mlm_volume_trigger
        if self.state != "posted":
            return False
        if self.move_type == "out_refund":
            return True  # credit notes claw back under every trigger
        if trigger == "invoice":
            return True
        if trigger == "paid":
            return self.payment_state in PAID_STATES
        return False  # trigger 'sale': the confirmed order counted

    def _mlm_volume_date(self):
        self.ensure_one()
        if self.company_id.mlm_volume_trigger == "paid" and self.move_type == "out_invoice":
            return fields.Date.context_today(self)
        return self.invoice_date or self.date

    def _mlm_credited_distributor(self):
        """(distributor, volume type) this invoice credits; a hook for attribution rules of other add-ons."""
        self.ensure_one()
        return self.env["mlm.volume.line"]._credited_distributor(self.partner_id)

    def _mlm_refunded_lines(self):
        """{credit note line id: source key of the invoice line it refunds} (same product, in order)."""
        self.ensure_one()
        original = self.reversed_entry_id
        if self.move_type != "out_refund" or not original:
            return {}
        candidates = {}
        for line in original.invoice_line_ids.filtered(lambda ln: ln.display_type == "product" and ln.product_id):
            candidates.setdefault(line.product_id, []).append(line)
        result = {}
        for line in self.invoice_line_ids.filtered(lambda ln: ln.display_type == "product" and ln.product_id):
            matches = candidates.get(line.product_id)
            if matches:
                refunded = matches.pop(0) if len(matches) > 1 else matches[0]
                result[line.id] = f"account.move.line:{refunded.id}"
        return result

    def _mlm_sync_volume(self):
        moves = self.filtered(lambda m: m.move_type in ("out_invoice", "out_refund"))
        if not moves:
            return
        VolumeLine = self.env["mlm.volume.line"]
        sources = []
        for move in moves:
            counts = move._mlm_counts_volume()
            sign = -1.0 if move.move_type == "out_refund" else 1.0
            distributor, volume_type = move._mlm_credited_distributor()
            day = move._mlm_volume_date()
            refunded = move._mlm_refunded_lines()
            for line in move.invoice_line_ids.filtered(lambda ln: ln.display_type == "product" and ln.product_id):
                product = line.product_id
                qty = line.product_uom_id._compute_quantity(line.quantity, product.uom_id) if counts else 0.0
                pv, bv = line._mlm_volume() if counts else (0.0, 0.0)
                sources.append(
                    {
                        "source_key": f"account.move.line:{line.id}",
                        "company": move.company_id,
                        "distributor": distributor,
                        "volume_type": volume_type or "personal",
                        "pv": sign * pv,
                        "bv": sign * bv,
                        "date": day,
                        "partner_id": move.commercial_partner_id.id,
                        "product_id": product.id,
                        "quantity": sign * qty,
                        "move_line_id": line.id,
                        "origin": move.name,
                        "origin_source_key": refunded.get(line.id),
                    }
                )
        VolumeLine._sync_sources(sources)

    def _mlm_sync_paid_trigger(self):
        """After (un)reconciliation: sync the invoices whose company counts volume on payment."""
        invoices = self.filtered(lambda m: m.move_type == "out_invoice" and m.company_id.mlm_volume_trigger == "paid")
        if invoices:
            invoices._mlm_sync_volume()


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    mlm_pv = fields.Float(string="PV", compute="_compute_mlm_volume", store=True, digits="Product Unit of Measure")
    mlm_bv = fields.Monetary(string="BV", compute="_compute_mlm_volume", store=True)

    @api.depends("product_id", "quantity", "product_uom_id", "discount", "display_type", "move_id.move_type")
    def _compute_mlm_volume(self):
        for line in self:
            line.mlm_pv, line.mlm_bv = line._mlm_volume()

    def _mlm_volume(self):
        """(PV, BV) of a product line of a customer invoice or credit note (its quantity in the product's unit),
        unsigned: the line's fields and the ledger (which signs credit notes) use it."""
        self.ensure_one()
        if (
            self.display_type != "product"
            or not self.product_id
            or self.move_id.move_type not in ("out_invoice", "out_refund")
        ):
            return 0.0, 0.0
        qty = self.product_uom_id._compute_quantity(self.quantity, self.product_id.uom_id)
        return self.product_id._mlm_line_volume(qty, self.discount)

    @api.model
    def _reconcile_plan(self, reconciliation_plan):
        """Every reconciliation goes through here (``reconcile`` is one plan; batches of payments pass many):
        afterwards, the invoices whose company counts volume on payment are synced."""
        result = super()._reconcile_plan(reconciliation_plan)
        lines = self.browse()
        todo = list(reconciliation_plan)
        while todo:
            item = todo.pop()
            if isinstance(item, models.BaseModel):
                lines |= item
            else:
                todo.extend(item)
        lines.move_id._mlm_sync_paid_trigger()
        return result

    def remove_move_reconcile(self):
        moves = (
            self.matched_debit_ids.debit_move_id.move_id | self.matched_credit_ids.credit_move_id.move_id | self.move_id
        )
        result = super().remove_move_reconcile()
        moves._mlm_sync_paid_trigger()
        return result
