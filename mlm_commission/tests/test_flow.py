from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged, users

from .common import MlmCommissionCommon


@tagged("post_install", "-at_install")
class TestCommissionFlow(MlmCommissionCommon):
    """Real documents from order to payout, with a clawback in the next period."""

    def _sell(self, partner, quantity, day=None):
        day = day or self.period_start
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "date_order": day,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom_qty": quantity,
                            "price_unit": 50.0,
                            "tax_id": [Command.clear()],
                        }
                    )
                ],
            }
        )
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.invoice_date = day
        invoice.action_post()
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {"journal_id": self.bank_journal.id, "payment_date": day}
        )._create_payments()
        return invoice

    def test_order_to_payout_with_clawback(self):
        # carol buys 4 packs: PV 160, BV 120; her customer buys 1 (PV 40, BV 30, customer volume of carol);
        # erin buys 3 (PV 120, BV 90). alice buys 3 (PV 120, BV 90) so that she is active.
        self._sell(self.carol.partner_id, 4)
        self._sell(self.customer, 1)
        erin_invoice = self._sell(self.erin.partner_id, 3)
        self._sell(self.alice.partner_id, 3)
        carol_volume = self.env["mlm.volume.line"].search([("distributor_id", "=", self.carol.id)])
        self.assertEqual(sorted(carol_volume.mapped("volume_type")), ["customer", "personal"])
        self.assertEqual(sum(carol_volume.mapped("bv")), 150.0)
        self.period.action_compute_now()
        # erin's 90.00: carol (PV 200, active, Member) L1 10 % = 9.00; alice (PV 120, active, Member) L2: not paid.
        # carol's 150.00: alice L1 = 15.00.  alice's 90.00: root is inactive (no PV) -> nobody.
        self.assertEqual(self._total(self.period, self.carol), 9.00)
        self.assertEqual(self._total(self.period, self.alice), 15.00)
        self.assertEqual(self.period.total_amount, 24.00)
        self.period.action_close()
        move = self.period.move_id
        self.assertEqual(move.state, "posted")
        self.assertEqual(sum(move.line_ids.mapped("debit")), 24.00)
        # payout: each distributor's payable is paid and reconciled
        self.env["mlm.payout.wizard"].with_context(
            active_model="mlm.commission.period", active_ids=self.period.ids
        ).create({"journal_id": self.bank_journal.id}).action_pay()
        self.assertEqual(self.period.state, "paid")
        self.assertEqual(
            self.carol.partner_id.with_company(self.company).commercial_partner_id.id, self.carol.partner_id.id
        )
        self.assertEqual(self._statement(self.period, self.carol).payment_id.amount, 9.00)
        self.assertEqual(self._payable_balance(), 0.0)
        self.assertFalse(
            self.env["account.move.line"].search(
                [
                    ("account_id", "=", self.payable_account.id),
                    ("reconciled", "=", False),
                    ("parent_state", "=", "posted"),
                ]
            ),
            "the period's payable is settled by the payments",
        )
        # next period: erin returns everything (credit note): carol's 9.00 is clawed back there
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=erin_invoice.ids)
            .create({"journal_id": erin_invoice.journal_id.id, "date": self.next_period.date_from})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        refund.invoice_date = self.next_period.date_from
        refund.action_post()
        self._sell(self.carol.partner_id, 4, self.next_period.date_from)  # carol stays active in the next period
        self.next_period.action_compute_now()
        self.assertEqual(self._amounts(self.next_period, "1")[(self.carol, self.erin)], -9.00)
        carol = self._statement(self.next_period, self.carol)
        self.assertEqual(carol.total, -9.00)
        self.assertEqual((carol.payable, carol.carry_out, carol.held_reason), (0.0, -9.00, "threshold"))
        self.next_period.action_close()
        # the clawback is carried forward (the distributor owes 9.00), settled by later earnings first: it sits
        # in the held commissions account, not in the payable account (issue 13, point 6)
        self.assertEqual(self._payable_balance(), 0.0)
        self.assertEqual(self._payable_balance(self.company.mlm_commission_held_account_id), -9.00)

    def _payable_balance(self, account=None):
        lines = self.env["account.move.line"].search(
            [("account_id", "=", (account or self.payable_account).id), ("parent_state", "=", "posted")]
        )
        return self.currency.round(sum(lines.mapped("credit")) - sum(lines.mapped("debit")))


@tagged("post_install", "-at_install")
class TestCommissionAccess(MlmCommissionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.users"].create(
            [
                {
                    "name": "MLM Reader",
                    "login": "mlm_commission_reader",
                    "groups_id": [Command.set([cls.env.ref("mlm_network.group_mlm_user").id])],
                },
                {
                    "name": "MLM Boss",
                    "login": "mlm_commission_manager",
                    "groups_id": [Command.set([cls.env.ref("mlm_network.group_mlm_manager").id])],
                },
                {
                    "name": "Plain Employee",
                    "login": "mlm_commission_employee",
                    "groups_id": [Command.set([cls.env.ref("base.group_user").id])],
                },
            ]
        )
        cls._load_reference_volume()
        cls.period.action_compute_now()

    @users("mlm_commission_reader")
    def test_reader(self):
        period = self.period.with_env(self.env)
        self.assertTrue(period.line_ids)
        with self.assertRaises(AccessError):
            period.action_compute_now()
        with self.assertRaises(AccessError):
            self.env["mlm.plan"].create({"name": "Mine"})

    @users("mlm_commission_manager")
    def test_manager(self):
        period = self.period.with_env(self.env)
        period.action_compute_now()
        self.assertEqual(period.total_amount, 151.65)
        with self.assertRaises(AccessError):
            period.line_ids[:1].unlink()

    @users("mlm_commission_employee")
    def test_employee(self):
        with self.assertRaises(AccessError):
            self.env["mlm.commission.line"].search([])
        with self.assertRaises(AccessError):
            self.env["mlm.volume.line"].search([])
