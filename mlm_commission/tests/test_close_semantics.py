"""Issue 13: the edges a real month end hits (hand-computed figures on the fixture network of common.py)."""

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common import MlmCommissionCommon

UNILEVEL, FAST_START, ADVANCEMENT, MATCHING, POOL = "1", "2", "3", "4", "5"


@tagged("post_install", "-at_install")
class TestCloseSemantics(MlmCommissionCommon):
    # ------------------------------------------------------------------ point 7
    def test_ledger_line_of_unknown_distributor_refused(self):
        """A ledger line of this company crediting a distributor outside its network stops the run."""
        other_company = self.env["res.company"].create({"name": "Other MLM Co"})
        partner = self.env["res.partner"].create({"name": "Stranger"})
        stranger = self.Distributor.with_company(other_company).create(
            {"partner_id": partner.id, "company_id": other_company.id, "status": "active"}
        )
        self._adjust(self.carol, 100, 100.0)
        self.env["mlm.volume.line"]._system()._insert_lines(
            [
                {
                    "company_id": self.company.id,
                    "date": self.period_start,
                    "distributor_id": stranger.id,
                    "volume_type": "adjustment",
                    "pv": 100.0,
                    "bv": 100.0,
                    "source_key": "test:stranger",
                    "revision": 1,
                }
            ]
        )
        with (
            self.assertRaisesRegex(UserError, "not in the company's network"),
            mute_logger("odoo.addons.mlm_commission.models.mlm_commission_run"),
        ):
            self.period.action_compute_now()
        self.assertEqual(self.period.state, "open")
        self.assertFalse(self.period.line_ids)

    # ------------------------------------------------------------------ point 8
    def test_distributor_with_history_cannot_be_deleted(self):
        self._adjust(self.erin, 100, 100.0)
        with self.assertRaisesRegex(UserError, "Archive them instead"):
            self.erin.unlink()
        # a statement alone (no ledger line) is enough
        zed = self._make_distributor("Zed", self.frank)
        self.env.cr.execute(
            SQL(
                "INSERT INTO mlm_commission_statement (period_id, distributor_id, state, held_reason)"
                " VALUES (%s, %s, 'preview', 'none')",
                self.period.id,
                zed.id,
            )
        )
        with self.assertRaisesRegex(UserError, "Archive them instead"):
            zed.unlink()
        # a distributor with no history can still be deleted
        yan = self._make_distributor("Yan", self.frank)
        yan.unlink()
        self.assertFalse(yan.exists())

    # ------------------------------------------------------------------ point 1
    def test_close_stores_every_paid_rank(self):
        """Ranks come from the engine for everybody, with or without a statement.

        Bronze asks PV 0 and GV 100 here (no advancement bonus, so that nobody gets a statement by earning it).
        Only frank has volume: PV 150 / BV 100.00, so he is the only one with a statement (bob and root are not
        active: PV 0 < the plan's 100, and earn nothing). GV: frank 150, bob 150, root 150 -> all three Bronze;
        everybody else GV 0 -> Member. dave held Silver by hand: the engine pays him Member.
        bob is suspended: his Bronze is his rank, but not his highest rank ever.
        """
        bronze = self.plan.rank_ids.filtered(lambda r: r.rank_id == self.rank_bronze)
        bronze.write({"min_pv": 0.0, "min_gv": 100.0, "advancement_bonus": 0.0})
        self.dave.rank_id = self.rank_silver
        self.bob.status = "suspended"
        bob_highest = self.bob.highest_rank_id
        self._adjust(self.frank, 150, 100.0)
        self.period.action_close()
        self.assertEqual(self.period.statement_ids.distributor_id, self.frank)
        expected = {
            self.root: self.rank_bronze,
            self.alice: self.rank_member,
            self.bob: self.rank_bronze,
            self.carol: self.rank_member,
            self.dave: self.rank_member,
            self.erin: self.rank_member,
            self.frank: self.rank_bronze,
        }
        self.assertEqual({d: d.rank_id for d in self.network}, expected)
        self.assertEqual(self.root.highest_rank_id, self.rank_bronze)
        self.assertEqual(self.frank.highest_rank_id, self.rank_bronze)
        self.assertEqual(self.dave.highest_rank_id, self.rank_silver, "the highest rank ever never goes down")
        self.assertEqual(self.bob.highest_rank_id, bob_highest, "reached while suspended: not highest ever")
        history = self.dave.rank_history_ids.filtered(lambda h: h.date == self.period.date_to)
        self.assertEqual(
            (history.rank_id, history.previous_rank_id, history.date, history.reason),
            (self.rank_member, self.rank_silver, self.period.date_to, f"Paid rank of period {self.period.name}"),
        )
        root_history = self.root.rank_history_ids.filtered(lambda h: h.date == self.period.date_to)
        self.assertEqual((root_history.rank_id, root_history.company_id), (self.rank_bronze, self.company))
        # a distributor whose rank does not change gets no history line
        self.assertFalse(self.erin.rank_history_ids.filtered(lambda h: h.date == self.period.date_to))

    # ------------------------------------------------------------------ point 2
    def test_periods_close_in_date_order(self):
        self._load_reference_volume()
        self._load_reference_volume(day=self.next_period.date_from)
        with self.assertRaisesRegex(UserError, "close the periods in date order"):
            self.next_period.action_close()
        self.assertEqual(self.next_period.state, "open")
        # the auto-close cron skips it too while the earlier period is open
        self.company.write({"mlm_auto_close": True, "mlm_auto_close_days": 0})
        self.next_period.action_compute_now()
        self.env["mlm.commission.period"].cron_auto_close()
        self.assertEqual(self.next_period.state, "computed")
        # closing both at once closes them oldest first, whatever the order of the recordset: the reference
        # fixture pays 151.65 in each, and the Bronze advancement (2 x 25.00) only in the first
        (self.next_period | self.period).action_close()
        self.assertEqual((self.period.state, self.next_period.state), ("closed", "closed"))
        self.assertEqual(self.period.total_amount, 151.65)
        self.assertEqual(self.next_period.total_amount, 101.65)
        self.assertEqual(self._total(self.next_period, self.root, ADVANCEMENT), 0.0)

    # ------------------------------------------------------------------ point 4
    def test_fast_start_clawed_back_after_close(self):
        """Dave joins on the period's first day and buys 3 packs (PV 120, BV 90.00) that day: alice (active with
        an adjustment of PV 100) earns fast start 10 % = 9.00 and unilevel 10 % = 9.00. Next period, after the
        close, the invoice is refunded: the credit note is dated in the next period, out of dave's 30-day window,
        but it reverses a sale inside it: both the unilevel and the fast start are clawed back, -9.00 each."""
        self.plan.write({"fast_start_rate": 10.0, "fast_start_days": 30})
        self.dave.join_date = self.period_start
        self._adjust(self.alice, 100, 100.0)
        invoice = self._invoice(self.dave.partner_id, quantity=3.0)
        self.period.action_close()
        self.assertEqual(self._amounts(self.period, FAST_START), {(self.alice, self.dave): 9.00})
        self.assertEqual(self._amounts(self.period, UNILEVEL)[(self.alice, self.dave)], 9.00)
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"journal_id": invoice.journal_id.id, "date": self.next_period.date_from})
        )
        refund = self.env["account.move"].browse(reversal.refund_moves()["res_id"])
        refund.invoice_date = self.next_period.date_from
        refund.action_post()
        sale_line = self.env["mlm.volume.line"].search([("move_line_id", "in", invoice.invoice_line_ids.ids)])
        refund_line = self.env["mlm.volume.line"].search([("move_line_id", "in", refund.invoice_line_ids.ids)])
        self.assertEqual((refund_line.pv, refund_line.bv), (-120.0, -90.0))
        self.assertEqual(refund_line.date, self.next_period.date_from)
        self.assertEqual((refund_line.origin_line_id, refund_line.origin_date), (sale_line, self.period_start))
        self._adjust(self.alice, 100, 100.0, day=self.next_period.date_from)
        self.next_period.action_compute_now()
        self.assertEqual(self._amounts(self.next_period, FAST_START), {(self.alice, self.dave): -9.00})
        self.assertEqual(self._amounts(self.next_period, UNILEVEL)[(self.alice, self.dave)], -9.00)

    def test_cancelled_order_reversal_keeps_origin(self):
        """Sale trigger: cancelling a confirmed order adds a negative line that refers to the line it reverses."""
        self.company.mlm_volume_trigger = "sale"
        order = self.env["sale.order"].create(
            {
                "partner_id": self.dave.partner_id.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": 3, "tax_id": [Command.clear()]})
                ],
            }
        )
        order.action_confirm()
        first = self.env["mlm.volume.line"].search([("sale_line_id", "=", order.order_line.id)])
        self.assertEqual((first.pv, first.bv, first.origin_line_id), (120.0, 90.0, first.browse()))
        order._action_cancel()
        reversal = self.env["mlm.volume.line"].search([("sale_line_id", "=", order.order_line.id)]) - first
        self.assertEqual((reversal.pv, reversal.bv), (-120.0, -90.0))
        self.assertEqual((reversal.origin_line_id, reversal.origin_date), (first, first.date))

    # ------------------------------------------------------------------ point 6
    def _account_balance(self, account, distributor=None):
        domain = [("account_id", "=", account.id), ("parent_state", "=", "posted")]
        if distributor:
            domain.append(("partner_id", "=", distributor.partner_id.id))
        lines = self.env["account.move.line"].search(domain)
        return self.currency.round(sum(lines.mapped("credit")) - sum(lines.mapped("debit")))

    def test_held_pay_is_not_payable(self):
        """Threshold 20.00 on the reference fixture: carol's 11.06 is carried forward, root (74.95) and alice
        (39.53 + 1.11 + 25.00 = 65.64) are paid. Next period the same volumes: root 46.00 + 3.95 = 49.95,
        alice 39.53 + 1.11 = 40.64 (no advancement again), carol 11.06 + 11.06 carried = 22.12 >= 20.00: paid."""
        self.plan.threshold = 20.0
        self._load_reference_volume()
        self.period.action_close()
        held = self.company.mlm_commission_held_account_id
        self.assertEqual(held.account_type, "liability_current", "a default held account is created on close")
        move = self.period.move_id
        self.assertEqual(self._account_balance(self.payable_account), 140.59)  # 74.95 + 65.64
        carol = self._statement(self.period, self.carol)
        self.assertEqual((carol.total, carol.payable, carol.carry_out), (11.06, 0.0, 11.06))
        self.assertEqual(self._account_balance(held), 11.06, "carol's carry, the only one held")
        expense = move.line_ids.filtered(lambda ln: ln.account_id == self.expense_account)
        self.assertEqual(
            (expense.debit, self.period.total_amount, self.period.payable_amount), (151.65, 151.65, 140.59)
        )
        # released by the next period: carol's 22.12 becomes payable, the held 11.06 leaves the held account
        self._load_reference_volume(day=self.next_period.date_from)
        self.next_period.action_close()
        move = self.next_period.move_id
        carol = self._statement(self.next_period, self.carol)
        self.assertEqual((carol.carry_in, carol.total, carol.payable, carol.carry_out), (11.06, 11.06, 22.12, 0.0))
        # the summary entry: payable 49.95 + 40.64 + 22.12, the held 11.06 released, the expense of the period
        self.assertEqual(
            sorted((ln.account_id.id, ln.debit, ln.credit) for ln in move.line_ids),
            sorted(
                [(self.payable_account.id, 0.0, 112.71), (held.id, 11.06, 0.0), (self.expense_account.id, 101.65, 0.0)]
            ),
        )
        self.assertEqual(self._account_balance(held), 0.0)
        self.assertEqual(self._account_balance(self.payable_account), 140.59 + 112.71)  # 49.95 + 40.64 + 22.12
        expense = move.line_ids.filtered(lambda ln: ln.account_id == self.expense_account)
        self.assertEqual((expense.debit, self.next_period.total_amount), (101.65, 101.65))

    def test_compliance_hold_is_not_payable(self):
        """Every volume is the distributors' own: the 30 % customer gate holds everybody's pay."""
        self.plan.write({"compliance_enabled": True, "compliance_share": 30.0})
        self._load_reference_volume()
        self.period.action_close()
        held = self.company.mlm_commission_held_account_id
        self.assertEqual(self._account_balance(self.payable_account), 0.0)
        self.assertEqual(self._account_balance(held), 151.65)
        root = self._statement(self.period, self.root)
        self.assertEqual((root.payable, root.carry_out, root.held_reason), (0.0, 74.95, "compliance"))
        self.assertEqual(self._account_balance(self.expense_account), -151.65)
