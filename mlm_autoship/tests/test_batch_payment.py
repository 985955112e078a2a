from unittest.mock import patch

from odoo import Command
from odoo.tests import tagged

from .common import MlmAutoshipCommon


@tagged("post_install", "-at_install")
class TestAutoshipBatchPayment(MlmAutoshipCommon):
    """The payments of a job are created, posted and reconciled at once (``_mlm_create_payments``) with the result
    of Odoo's ``_create_payment`` per transaction: one payment per charge, linked both ways, each invoice paid to the
    cent by its own payment, and nothing left for Odoo's post-processing cron."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a job of several owners: Alice (2 packs), the customer (1), and four more customers of 1 to 4 packs
        cls.owners = cls.env["res.partner"].create(
            [{"name": f"Batch Owner {i}", "email": f"owner{i}@example.com"} for i in range(4)]
        )
        cls.more = cls.env["mlm.autoship"]
        for i, owner in enumerate(cls.owners):
            cls.more |= cls._autoship(owner, cls._token(owner), quantity=i + 1)
        cls.autoships = cls.autoship_alice | cls.autoship_customer | cls.more

    def _cycles(self):
        return self.autoships.cycle_ids

    def _assert_paid_to_the_cent(self, cycles):
        outstanding = self.provider.journal_id.inbound_payment_method_line_ids.filtered(
            lambda line: line.payment_provider_id == self.provider
        ).payment_account_id
        for cycle in cycles:
            order = cycle.order_id
            invoice = order.invoice_ids
            tx = order.transaction_ids.filtered(lambda t: t.state == "done")
            self.assertEqual((cycle.state, len(invoice), len(tx)), ("paid", 1, 1), cycle.key)
            self.assertEqual(invoice.state, "posted")
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
            self.assertEqual(invoice.amount_residual, 0.0)
            self.assertEqual(invoice.amount_total, order.amount_total)
            self.assertTrue(tx.is_post_processed)
            self.assertEqual(tx.invoice_ids, invoice)
            payment = tx.payment_id
            # one payment per transaction, linked both ways, as Odoo's ``_create_payment`` makes it
            self.assertEqual(len(payment), 1)
            self.assertEqual(payment.payment_transaction_id, tx)
            self.assertIn(payment.state, ("in_process", "paid"))
            self.assertEqual(payment.amount, invoice.amount_total)
            self.assertEqual(payment.partner_id, invoice.commercial_partner_id)
            self.assertEqual(payment.journal_id, self.provider.journal_id)
            self.assertEqual(
                payment.memo, f"{tx.reference} - {tx.partner_id.display_name} - {tx.provider_reference or ''}"
            )
            self.assertEqual(payment.reconciled_invoice_ids, invoice)
            move = payment.move_id
            self.assertEqual(move.state, "posted")
            receivable = move.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
            liquidity = move.line_ids - receivable
            self.assertEqual(len(move.line_ids), 2)
            self.assertEqual(liquidity.account_id, outstanding)
            self.assertEqual((liquidity.debit, receivable.credit), (invoice.amount_total, invoice.amount_total))
            self.assertEqual(receivable.partner_id, invoice.commercial_partner_id)
            # the invoice's receivable is matched with its own payment only, fully and to the cent
            term = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term")
            self.assertTrue(term.full_reconcile_id)
            self.assertEqual(term.full_reconcile_id, receivable.full_reconcile_id)
            self.assertEqual(term.full_reconcile_id.reconciled_line_ids, term | receivable)
            self.assertEqual(sum(term.matched_credit_ids.mapped("amount")), invoice.amount_total)
            self.assertEqual(term.amount_residual, 0.0)
            self.assertEqual(receivable.amount_residual, 0.0)
        payments = cycles.order_id.transaction_ids.payment_id
        self.assertEqual(len(payments), len(cycles), "no payment is shared between transactions")

    def test_batch_pays_each_invoice_with_its_own_payment(self):
        self._run_batch()
        cycles = self._cycles()
        self.assertEqual(len(cycles), 6)
        self._assert_paid_to_the_cent(cycles)
        self.assertEqual(
            sorted(cycles.mapped("amount_total")), [50.0, 50.0, 100.0, 100.0, 150.0, 200.0], "the owners' orders"
        )

    def test_post_processing_cron_creates_no_second_payment(self):
        """Odoo's cron post-processes the confirmed transactions that are not yet: after the batch none is left,
        and running the cron creates no payment, no entry and no invoice (a declined card's transaction included)."""
        self.more[:1].payment_token_id.demo_simulated_state = "error"
        self._run_batch()
        paid = self._cycles().filtered(lambda c: c.state == "paid")
        self.assertEqual(len(paid), 5)
        self.assertEqual(self.more[:1].cycle_ids.state, "failed")
        txs = self._cycles().order_id.transaction_ids
        done = txs.filtered(lambda t: t.state == "done")
        self.assertEqual(len(done), 5)
        self.assertTrue(all(done.mapped("is_post_processed")))
        counts = (
            self.env["account.payment"].search_count([]),
            self.env["account.move"].search_count([]),
            self.env["account.partial.reconcile"].search_count([]),
        )
        # the cron commits after each transaction: not inside a test
        with patch.object(self.env.cr, "commit", lambda: None):
            self.env["payment.transaction"]._cron_post_process()
        self.assertEqual(
            (
                self.env["account.payment"].search_count([]),
                self.env["account.move"].search_count([]),
                self.env["account.partial.reconcile"].search_count([]),
            ),
            counts,
        )
        self._assert_paid_to_the_cent(paid)
        # even a transaction handed to Odoo's post-processing again keeps its one payment
        done[:1]._post_process()
        self.assertEqual(self.env["account.payment"].search_count([]), counts[0])

    def test_paid_volume_trigger_counts_after_the_batch_reconciliation(self):
        """A company counting volume on payment gets its ledger lines from the batch's reconciliation (one
        ``_reconcile_plan`` for the job), as from Odoo's per-payment ``reconcile``."""
        self.company.mlm_volume_trigger = "paid"
        self._run_batch()
        self._assert_paid_to_the_cent(self._cycles())
        invoice = self.autoship_alice.cycle_ids.order_id.invoice_ids
        ledger = self.env["mlm.volume.line"].search([("move_line_id", "in", invoice.invoice_line_ids.ids)])
        self.assertEqual(len(ledger), 1)
        self.assertEqual((ledger.distributor_id, ledger.volume_type), (self.alice, "personal"))
        self.assertAlmostEqual(ledger.pv, 80.0)
        customer_invoice = self.autoship_customer.cycle_ids.order_id.invoice_ids
        customer_line = self.env["mlm.volume.line"].search([("origin", "=", customer_invoice.name)])
        self.assertEqual((customer_line.distributor_id, customer_line.volume_type), (self.carol, "customer"))
        self.assertAlmostEqual(customer_line.pv, 40.0)

    def test_single_retry_uses_the_same_payments(self):
        """A manual retry of one cycle (charged inside the request) goes through the same batch of one."""
        self.token_alice.demo_simulated_state = "error"
        self._run_batch()
        cycle = self.autoship_alice.cycle_ids
        self.assertEqual(cycle.state, "failed")
        self.token_alice.demo_simulated_state = "done"
        self.assertIs(cycle.action_retry_now(), True)
        self._assert_paid_to_the_cent(cycle)
        self.assertEqual(len(cycle.order_id.transaction_ids), 2)

    def test_early_payment_discount_goes_through_odoo_own_payment(self):
        """A transaction paying exactly an invoice's early payment discount amount needs Odoo's write-off line: it
        goes through Odoo's ``_create_payment``; the others of the same call are paid by the batch."""
        term = self.env["account.payment.term"].create(
            {
                "name": "2% 10 days, net 30",
                "early_discount": True,
                "discount_percentage": 2.0,
                "discount_days": 10,
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": 30})],
            }
        )
        invoices = self.env["account.move"].create(
            [
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_payment_term_id": term.id if discounted else False,
                    "invoice_line_ids": [
                        Command.create({"product_id": self.product.id, "quantity": 2, "price_unit": 50.0})
                    ],
                }
                for partner, discounted in ((self.owners[0], True), (self.owners[1], False))
            ]
        )
        invoices.action_post()
        epd = invoices[0]._get_invoice_next_payment_values()
        self.assertEqual(epd["installment_state"], "epd")
        txs = self.env["payment.transaction"]
        for invoice, amount in zip(invoices, (epd["amount_due"], invoices[1].amount_total), strict=True):
            txs |= self.env["payment.transaction"].create(
                {
                    "provider_id": self.provider.id,
                    "payment_method_id": self.payment_method.id,
                    "reference": f"EPD-{invoice.id}",
                    "amount": amount,
                    "currency_id": invoice.currency_id.id,
                    "partner_id": invoice.partner_id.id,
                    "operation": "offline",
                    "invoice_ids": [Command.set(invoice.ids)],
                }
            )
        txs._set_done()
        self.assertEqual([tx._mlm_needs_write_off() for tx in txs], [True, False])
        payments = txs._mlm_create_payments()
        self.assertEqual(len(payments), 2)
        self.assertEqual(txs.payment_id, payments)
        for tx, invoice, lines in zip(txs, invoices, (3, 2), strict=True):
            self.assertEqual(tx.payment_id.payment_transaction_id, tx)
            self.assertEqual(len(tx.payment_id.move_id.line_ids), lines)
            self.assertIn(invoice.payment_state, ("paid", "in_payment"))
            self.assertEqual(invoice.amount_residual, 0.0)
        self.assertAlmostEqual(txs[0].payment_id.amount, 98.0)
