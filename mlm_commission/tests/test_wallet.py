from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged, users

from .common import MlmCommissionCommon


@tagged("post_install", "-at_install")
class TestWallet(MlmCommissionCommon):
    """Commissions paid to the e-wallet, then spent on the distributor's own invoices.

    The reference fixture pays in ``period``: root 74.95, and 151.65 in all (see ``test_commission_run``).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wallet_account = cls.env["account.account"].create(
            {"name": "Distributor E-Wallets", "code": "219200", "account_type": "liability_current"}
        )
        cls.company.mlm_wallet_account_id = cls.wallet_account
        cls._load_reference_volume()
        cls.period.action_close()
        cls.env["res.users"].create(
            {
                "name": "Accountant Without Network Access",
                "login": "mlm_wallet_accountant",
                "groups_id": [Command.set([cls.env.ref("account.group_account_invoice").id])],
            }
        )

    def _pay_to_wallet(self):
        wizard = (
            self.env["mlm.payout.wizard"]
            .with_context(active_model="mlm.commission.period", active_ids=self.period.ids)
            .create({"method": "wallet", "date": self.next_period.date_from})
        )
        self.assertFalse(wizard.journal_id, "the e-wallet needs no bank journal")
        self.assertEqual(wizard.amount_total, 151.65)
        action = wizard.action_pay()
        return self.env["account.move"].browse(action["res_id"])

    def _wallet_pay(self, invoice, amount=None):
        wizard = (
            self.env["mlm.wallet.pay.wizard"]
            .with_context(active_model="account.move", active_id=invoice.id)
            .create({"date": self.next_period.date_from})
        )
        if amount is not None:
            wizard.amount = amount
        wizard.action_pay()
        return wizard

    def test_pay_to_wallet(self):
        move = self._pay_to_wallet()
        self.assertEqual((move.state, move.journal_id), ("posted", self.commission_journal))
        self.assertEqual(self.period.state, "paid")
        root = self._statement(self.period, self.root)
        self.assertEqual((root.state, root.payout_move_id, root.payment_id.id), ("paid", move, False))
        wallet_lines = move.line_ids.filtered(lambda line: line.account_id == self.wallet_account)
        payable_lines = move.line_ids.filtered(lambda line: line.account_id == self.payable_account)
        # totals reconcile to the cent: what the period owed moved from the payable to the e-wallets
        self.assertEqual(self.currency.round(sum(wallet_lines.mapped("credit"))), self.period.payable_amount)
        self.assertEqual(self.currency.round(sum(payable_lines.mapped("debit"))), 151.65)
        self.assertEqual(wallet_lines.filtered(lambda line: line.partner_id == self.root.partner_id).credit, 74.95)
        self.assertTrue(all(payable_lines.mapped("reconciled")))
        open_payables = self.env["account.move.line"].search(
            [("account_id", "=", self.payable_account.id), ("reconciled", "=", False), ("parent_state", "=", "posted")]
        )
        self.assertFalse(open_payables, "every payable is settled by the transfer to the e-wallet")
        # balances per distributor, equal to their statements
        for statement in self.period.statement_ids.filtered(lambda s: s.payable > 0):
            self.assertEqual(statement.distributor_id.mlm_wallet_balance, statement.payable)
        self.assertEqual(self.root.mlm_wallet_balance, 74.95)
        self.assertEqual(self.bob.mlm_wallet_balance, 0.0)
        self.assertEqual(
            self.currency.round(sum(self.network.mapped("mlm_wallet_balance"))), self.period.payable_amount
        )
        # paying again finds nothing
        with self.assertRaisesRegex(UserError, "Nothing to pay"):
            self.period._create_payouts(self.env["account.journal"], self.next_period.date_from, method="wallet")

    def test_wallet_pays_invoice(self):
        self._pay_to_wallet()
        invoice = self._invoice(self.root.partner_id, quantity=2, date=self.next_period.date_from)
        self.assertEqual(invoice.amount_residual, 100.0)
        wizard = self._wallet_pay(invoice)  # default: all the balance, at most the due
        self.assertEqual((wizard.wallet_balance, wizard.amount), (74.95, 74.95))
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("partial", 25.05))
        self.root.invalidate_recordset(["mlm_wallet_balance"])
        self.assertEqual(self.root.mlm_wallet_balance, 0.0)
        history = self.root._mlm_wallet_move_lines()
        self.assertEqual([(line.debit, line.credit) for line in history], [(74.95, 0.0), (0.0, 74.95)])
        spend = history[0].move_id
        receivable = spend.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        self.assertTrue(receivable.reconciled)
        self.assertEqual(receivable.matched_debit_ids.debit_move_id.move_id, invoice)
        with self.assertRaises(UserError):
            self._wallet_pay(invoice)  # the e-wallet is empty now

    def test_refuse_more_than_balance(self):
        self._pay_to_wallet()
        invoice = self._invoice(self.root.partner_id, quantity=2, date=self.next_period.date_from)
        moves_before = self.env["account.move"].search_count([("journal_id", "=", self.commission_journal.id)])
        with self.assertRaisesRegex(UserError, "more than the e-wallet balance"):
            self._wallet_pay(invoice, amount=80.0)
        self.assertEqual(
            self.env["account.move"].search_count([("journal_id", "=", self.commission_journal.id)]), moves_before
        )
        self.assertEqual((invoice.payment_state, self.root.mlm_wallet_balance), ("not_paid", 74.95))
        # part of the balance pays part of the invoice, to the cent
        self._wallet_pay(invoice, amount=30.01)
        self.root.invalidate_recordset(["mlm_wallet_balance"])
        self.assertEqual((invoice.amount_residual, self.root.mlm_wallet_balance), (69.99, 44.94))

    def test_refuse_more_than_due_and_others_invoices(self):
        self._pay_to_wallet()
        small = self._invoice(self.root.partner_id, quantity=1, price=20.0, date=self.next_period.date_from)
        with self.assertRaisesRegex(UserError, "more than the amount due"):
            self._wallet_pay(small, amount=25.0)
        # an e-wallet pays its owner's invoices only
        with self.assertRaises(UserError):
            self.root._mlm_wallet_pay(self._invoice(self.alice.partner_id, date=self.next_period.date_from), 10.0)
        retail = self._invoice(self.customer, date=self.next_period.date_from)
        with self.assertRaisesRegex(UserError, "not a distributor"):
            self._wallet_pay(retail)
        self.assertEqual(self.root.mlm_wallet_balance, 74.95)

    def test_wallet_needs_an_account(self):
        self.company.mlm_wallet_account_id = False
        with self.assertRaisesRegex(UserError, "e-wallet account"):
            self._pay_to_wallet()
        self.assertEqual(self.period.state, "closed")
        self.assertEqual(self._statement(self.period, self.root).state, "closed")
        self.company.mlm_wallet_account_id = self.expense_account
        with self.assertRaisesRegex(UserError, "liability"):
            self._pay_to_wallet()

    def test_bank_and_cash_payouts_still_work(self):
        wizard = (
            self.env["mlm.payout.wizard"]
            .with_context(active_model="mlm.commission.period", active_ids=self.period.ids)
            .create({"method": "cash"})
        )
        self.assertEqual(wizard.journal_id.type, "cash")
        wizard.action_pay()
        root = self._statement(self.period, self.root)
        self.assertEqual((root.state, root.payment_id.amount, root.payment_id.journal_id.type), ("paid", 74.95, "cash"))
        self.assertEqual(self.root.mlm_wallet_balance, 0.0)

    def test_accountant_pays_from_wallet(self):
        self._pay_to_wallet()
        invoice = self._invoice(self.root.partner_id, date=self.next_period.date_from)
        self._accountant_pays(invoice)
        self.assertEqual((invoice.payment_state, invoice.amount_residual), ("paid", 0.0))
        self.root.invalidate_recordset(["mlm_wallet_balance"])
        self.assertEqual(self.root.mlm_wallet_balance, 24.95)

    @users("mlm_wallet_accountant")
    def _accountant_pays(self, invoice):
        invoice = invoice.with_env(self.env)
        wizard = (
            self.env["mlm.wallet.pay.wizard"]
            .with_context(active_model="account.move", active_id=invoice.id)
            .create({"date": self.next_period.date_from})
        )
        self.assertEqual((wizard.wallet_balance, wizard.amount_due, wizard.amount), (74.95, 50.0, 50.0))
        wizard.action_pay()

    def test_refusal_is_translated(self):
        self._pay_to_wallet()
        invoice = self._invoice(self.root.partner_id, quantity=2, date=self.next_period.date_from)
        self.env["res.lang"]._activate_lang("ru_RU")
        self.env["ir.module.module"].search([("name", "=", "mlm_commission")])._update_translations("ru_RU")
        root = self.root.with_context(lang="ru_RU")
        with self.assertRaisesRegex(UserError, "больше остатка электронного кошелька"):
            root._mlm_wallet_pay(invoice.with_context(lang="ru_RU"), 80.0)
