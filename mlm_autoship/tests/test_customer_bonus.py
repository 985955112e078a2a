from odoo import Command
from odoo.tests import tagged

from .common import MlmAutoshipCommon

CUSTOMER_AUTOSHIPS = "8"


@tagged("post_install", "-at_install")
class TestCustomerAutoshipBonus(MlmAutoshipCommon):
    """The plan's bonus on customers' autoships, through a real cycle: the customer's autoship (referred by Carol),
    its sale order, payment, invoice, the ledger's customer line credited to Carol, the period run and her statement.

    The customer's autoship: 3 x Vitamin Pack (30.00 BV each) = 90.00 BV. Rate 3.35 %: 90.00 x 3.35 % = 3.015,
    3.02 to the cent (half-up).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the fixtures' plan paid a closed period: its rules are frozen, the rate goes on a new version
        action = cls.plan.action_new_version()
        cls.plan_v2 = cls.env["mlm.plan"].browse(action["res_id"])
        cls.plan_v2.autoship_customer_rate = 3.35
        cls.current.plan_id = cls.plan_v2
        cls.autoship_customer.line_ids.quantity = 3

    def _bonus(self):
        self.current.action_compute_now()
        return self._amounts(self.current, CUSTOMER_AUTOSHIPS)

    def test_bonus_on_the_customers_autoship_cycle(self):
        self.assertEqual(self.plan_v2._get_engine_spec().standing_order_rate, 0.0335)
        self._run_batch()
        cycle = self.autoship_customer.cycle_ids
        self.assertEqual(cycle.state, "paid")
        invoice = cycle.order_id.invoice_ids
        ledger = self.env["mlm.volume.line"].search([("move_line_id", "in", invoice.invoice_line_ids.ids)])
        self.assertEqual((ledger.distributor_id, ledger.volume_type, ledger.bv), (self.carol, "customer", 90.0))
        # the same customer's plain order (not an autoship) is customer volume too, but earns no autoship bonus
        self._invoice(self.customer, quantity=2.0, date=self.today)
        # Alice's own autoship was charged too: personal volume, no bonus
        self.assertEqual(self.autoship_alice.cycle_ids.state, "paid")
        self.assertEqual(self._bonus(), {(self.carol, False): 3.02})
        line = self.current.line_ids.filtered(lambda ln: ln.bonus_type == CUSTOMER_AUTOSHIPS)
        self.assertEqual(line.beneficiary_id, self.carol)
        self.assertFalse(line.source_distributor_id)
        self.assertAlmostEqual(line.rate, 0.0335)
        self.assertEqual(line.base_amount, 90.0)
        self.assertEqual(line.amount, 3.02)
        # the statement explains it with its own label, beside Carol's other bonuses
        statement = self._statement(self.current, self.carol)
        self.assertIn(("Customer autoships", 3.02), statement._bonus_totals())
        self.assertEqual(statement.total, self.currency.round(sum(statement.line_ids.mapped("amount"))))
        self.assertEqual(statement.customer_bv, 150.0)  # 90.00 of the autoship, 60.00 of the plain order

    def test_refunds_claw_it_back(self):
        self._run_batch()
        invoice = self.autoship_customer.cycle_ids.order_id.invoice_ids
        # a credit note from Odoo's reversal wizard for one of the three packs (it keeps the order line's link)
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "date": self.today})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        refund.write(
            {
                "invoice_date": self.today,
                "invoice_line_ids": [Command.update(refund.invoice_line_ids.id, {"quantity": 1.0})],
            }
        )
        refund.action_post()
        # 60.00 x 3.35 % = 2.01
        self.assertEqual(self._bonus(), {(self.carol, False): 2.01})
        # a credit note typed by hand against the invoice (no order link: the ledger's reversal link is followed)
        manual = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.customer.id,
                "invoice_date": self.today,
                "reversed_entry_id": invoice.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "quantity": 1.0,
                            "price_unit": 50.0,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        manual.action_post()
        self.assertFalse(manual.invoice_line_ids.sale_line_ids)
        refunded = self.env["mlm.volume.line"].search([("move_line_id", "in", manual.invoice_line_ids.ids)])
        self.assertEqual((refunded.bv, refunded.origin_line_id.move_line_id), (-30.0, invoice.invoice_line_ids))
        # 30.00 x 3.35 % = 1.005 -> 1.01 (half-up)
        self.assertEqual(self._bonus(), {(self.carol, False): 1.01})

    def test_off_by_default(self):
        self.plan_v2.autoship_customer_rate = 0.0
        self._run_batch()
        self.assertEqual(self._bonus(), {})
