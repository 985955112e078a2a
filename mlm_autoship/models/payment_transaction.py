from odoo import Command, models


class PaymentTransaction(models.Model):
    _inherit = "payment.transaction"

    def _mlm_create_payments(self):
        """Odoo's ``_create_payment`` (``account_payment``) for a batch of confirmed transactions, with the same
        result: one ``account.payment`` per transaction on its provider's journal, linked both ways
        (``payment_id``, ``payment_transaction_id``), posted, and reconciled with the transaction's invoices. Created
        in one ``create``, posted in one ``action_post`` (one ``account.move.create`` and one ``_post`` of all their
        journal entries) and reconciled in one ``_reconcile_plan`` (one plan per transaction) per company, instead of
        once per transaction: the ORM's work per call (dependency triggers, recomputations, flushes) is paid once
        per job.

        A transaction Odoo pays with more than two lines, or against its source transaction's invoices (an early
        payment discount's write-off, a partial capture), goes through Odoo's own ``_create_payment``.

        :return: the payments created
        """
        created = self.env["account.payment"]
        todo = self.filtered(lambda tx: tx.state == "done" and tx.operation != "validation" and not tx.payment_id)
        for company, txs in todo.grouped("company_id").items():
            txs = txs.with_company(company)
            invoices = txs.invoice_ids.filtered(lambda inv: inv.state != "cancel")
            invoices.filtered(lambda inv: inv.state == "draft").action_post()
            odoo_own = txs.filtered(lambda tx: tx.source_transaction_id or tx._mlm_needs_write_off())
            for tx in odoo_own:
                created |= tx._create_payment()
            batch = txs - odoo_own
            if not batch:
                continue
            payments = txs.env["account.payment"].create([tx._mlm_prepare_payment_vals() for tx in batch])
            # without ``write_off_line_vals`` in the values, ``create`` leaves the journal entries to ``action_post``,
            # which creates and posts them all at once
            payments.action_post()
            plans = []
            for tx, payment in zip(batch, payments, strict=True):
                tx.payment_id = payment
                posted = tx.invoice_ids.filtered(lambda inv: inv.state == "posted")
                lines = (payment.move_id.line_ids + posted.line_ids).filtered(
                    lambda line, account=payment.destination_account_id: (
                        line.account_id == account and not line.reconciled
                    )
                )
                if lines.move_id - payment.move_id:
                    plans.append(lines)
            if plans:
                txs.env["account.move.line"]._reconcile_plan(plans)
            created |= payments
        return created

    def _mlm_prepare_payment_vals(self):
        """The values of Odoo's ``_create_payment`` for this transaction (without its write-off lines, see
        :meth:`_mlm_needs_write_off`)."""
        self.ensure_one()
        provider = self.provider_id
        method_line = provider.journal_id.inbound_payment_method_line_ids.filtered(
            lambda line: line.payment_provider_id == provider
        )
        vals = {
            "amount": abs(self.amount),
            "payment_type": "inbound" if self.amount > 0 else "outbound",
            "currency_id": self.currency_id.id,
            "partner_id": self.partner_id.commercial_partner_id.id,
            "partner_type": "customer",
            "journal_id": provider.journal_id.id,
            "company_id": provider.company_id.id,
            "payment_method_line_id": method_line.id,
            "payment_token_id": self.token_id.id,
            "payment_transaction_id": self.id,
            "memo": f"{self.reference} - {self.partner_id.display_name or ''} - {self.provider_reference or ''}",
            "invoice_ids": [Command.set(self.invoice_ids.ids)],
        }
        term_lines = self.invoice_ids.line_ids.filtered(lambda line: line.display_type == "payment_term")
        if term_lines:
            vals["destination_account_id"] = term_lines[0].account_id.id
        return vals

    def _mlm_needs_write_off(self):
        """True when Odoo's ``_create_payment`` would add write-off lines: the transaction pays exactly the early
        payment discount's amount of one of its posted invoices."""
        self.ensure_one()
        for invoice in self.invoice_ids.filtered(lambda inv: inv.state == "posted"):
            next_payment = invoice._get_invoice_next_payment_values()
            if next_payment["installment_state"] == "epd" and self.amount == next_payment["amount_due"]:
                return True
        return False
