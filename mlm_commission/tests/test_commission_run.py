import io
import zipfile
from datetime import timedelta
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.sql_db import db_connect
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger
from odoo.tools.pdf import PdfReader

from ..models import mlm_commission_statement as statement_module
from ..models.mlm_commission_period import RUN_LOCK_NAMESPACE
from .common import MlmCommissionCommon

# a 1x1 PNG: the company logo of the letterhead test
LOGO_PNG = b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

UNILEVEL, FAST_START, ADVANCEMENT, MATCHING, POOL = "1", "2", "3", "4", "5"


@tagged("post_install", "-at_install")
class TestCommissionRun(MlmCommissionCommon):
    """Hand-computed reference fixture.

    Tree and volumes (PV / BV)::

        root 100 / 80.00            GV 1020
        ├── alice 200 / 150.00      GV 720
        │   ├── carol 300 / 250.00  GV 420
        │   │   └── erin 120 / 110.55  GV 120
        │   └── dave 100 / 90.00    GV 100
        └── bob 50 / 40.00 (inactive: PV < 100)  GV 200
            └── frank 150 / 100.00  GV 150

    Ranks: alice Bronze (GV 720 >= 500); root Bronze, and *not* Silver because the 50 % leg cap counts alice's
    leg as 500: 100 + 500 + 200 = 800 < 1000 (without the cap 1020 would qualify). Everybody else Member.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_reference_volume()

    def test_ranks_and_volumes(self):
        self.period.action_compute_now()
        self.assertEqual(self.period.state, "computed")
        expected = {
            self.root: (100, 1020, self.rank_bronze),
            self.alice: (200, 720, self.rank_bronze),
            self.bob: (50, 200, self.rank_member),
            self.carol: (300, 420, self.rank_member),
            self.dave: (100, 100, self.rank_member),
            self.erin: (120, 120, self.rank_member),
            self.frank: (150, 150, self.rank_member),
        }
        for dist, (pv, gv, rank) in expected.items():
            statement = self._statement(self.period, dist)
            self.assertEqual((statement.pv, statement.gv, statement.paid_rank_id), (pv, gv, rank), dist.name)
        self.assertFalse(self._statement(self.period, self.bob).is_active)
        self.assertEqual(self.period.company_bv, 820.55)
        self.assertEqual(self._statement(self.period, self.erin).sponsor_id, self.carol)

    def test_at_risk(self):
        """Dave holds Silver by hand but this period pays him Member: flagged short of his rank."""
        self.dave.rank_id = self.rank_silver
        self.period.action_compute_now()
        self.assertEqual(self._statement(self.period, self.dave).risk, "rank")
        self.assertFalse(self._statement(self.period, self.carol).risk)

    def test_max_leg_cap_bites(self):
        """Without the leg cap root reaches Silver."""
        self.plan.rank_ids.filtered(lambda r: r.rank_id == self.rank_silver).max_leg_share = 1.0
        self.period.action_compute_now()
        self.assertEqual(self._statement(self.period, self.root).paid_rank_id, self.rank_silver)

    def test_unilevel_compressed(self):
        self.period.action_compute_now()
        uni = self._amounts(self.period, UNILEVEL)
        # erin 110.55: carol L1 10 % = 11.055 -> 11.06 (half up); alice L2 5 % = 5.5275 -> 5.53;
        # root is L3 but Bronze pays 2 levels.
        self.assertEqual(uni[(self.carol, self.erin)], 11.06)
        self.assertEqual(uni[(self.alice, self.erin)], 5.53)
        self.assertNotIn((self.root, self.erin), uni)
        self.assertEqual(uni[(self.alice, self.carol)], 25.00)
        self.assertEqual(uni[(self.root, self.carol)], 12.50)
        self.assertEqual(uni[(self.alice, self.dave)], 9.00)
        self.assertEqual(uni[(self.root, self.dave)], 4.50)
        self.assertEqual(uni[(self.root, self.alice)], 15.00)
        # frank: bob inactive is skipped, root is frank's level 1 -> 10 % of 100
        self.assertEqual(uni[(self.root, self.frank)], 10.00)
        self.assertEqual(uni[(self.root, self.bob)], 4.00)
        self.assertNotIn((self.bob, self.frank), uni)
        self.assertEqual(self._total(self.period, self.root, UNILEVEL), 46.00)
        self.assertEqual(self._total(self.period, self.alice, UNILEVEL), 39.53)
        line = self.period.line_ids.filtered(
            lambda ln: ln.beneficiary_id == self.root and ln.source_distributor_id == self.frank
        )
        self.assertEqual((line.level, line.compressed_level), (2, 1))
        self.assertEqual(line.base_amount, 100.0)

    def test_unilevel_uncompressed(self):
        self.plan.compression = False
        self.period.action_compute_now()
        uni = self._amounts(self.period, UNILEVEL)
        # bob (inactive) uses up frank's level 1 and earns nothing; root is level 2: 5 % of 100
        self.assertNotIn((self.bob, self.frank), uni)
        self.assertEqual(uni[(self.root, self.frank)], 5.00)
        self.assertEqual(self._total(self.period, self.root, UNILEVEL), 41.00)

    def test_matching_and_advancement(self):
        self.period.action_compute_now()
        matching = self._amounts(self.period, MATCHING)
        # root: 10 % of alice's unilevel 39.53 = 3.953 -> 3.95; bob is inactive. alice: 10 % of carol's 11.06
        self.assertEqual(matching[(self.root, self.alice)], 3.95)
        self.assertNotIn((self.root, self.bob), matching)
        self.assertEqual(matching[(self.alice, self.carol)], 1.11)
        self.assertEqual(self._total(self.period, self.root, ADVANCEMENT), 25.00)
        self.assertEqual(self._total(self.period, self.alice, ADVANCEMENT), 25.00)
        self.assertEqual(self._total(self.period, self.carol, ADVANCEMENT), 0.0)
        self.assertEqual(self._statement(self.period, self.root).total, 74.95)  # 46.00 + 3.95 + 25.00
        # 46.00 + 39.53 + 11.06 unilevel, 3.95 + 1.11 matching, 2 x 25.00 advancement
        self.assertEqual(self.period.total_amount, 151.65)

    def test_coefficient(self):
        self.alice.mlm_coefficient = 1.5
        self.period.action_compute_now()
        uni = self._amounts(self.period, UNILEVEL)
        # 5.5275 x 1.5 = 8.29125 -> 8.29; 25 x 1.5 = 37.50; 9 x 1.5 = 13.50
        self.assertEqual(uni[(self.alice, self.erin)], 8.29)
        self.assertEqual(uni[(self.alice, self.carol)], 37.50)
        self.assertEqual(self._total(self.period, self.alice, UNILEVEL), 59.29)
        self.assertEqual(self._total(self.period, self.alice, ADVANCEMENT), 37.50)
        # root matches alice's unilevel after her coefficient: 10 % of 59.29 = 5.929 -> 5.93
        self.assertEqual(self._amounts(self.period, MATCHING)[(self.root, self.alice)], 5.93)

    def test_leadership_pool(self):
        self.plan.write({"pool_rate": 1.0, "pool_rank_id": self.rank_bronze.id})
        self.period.action_compute_now()
        # 1 % of 820.55 = 8.2055 shared by GV: root 1020 / 1740 -> 4.81, alice 720 / 1740 -> 3.40
        self.assertEqual(self._total(self.period, self.root, POOL), 4.81)
        self.assertEqual(self._total(self.period, self.alice, POOL), 3.40)
        self.assertEqual(self._total(self.period, self.carol, POOL), 0.0)

    def test_fast_start(self):
        self.plan.write({"fast_start_rate": 10.0, "fast_start_days": 30})
        self.dave.join_date = self.period_start
        self.period.action_compute_now()
        # dave joined on the period's first day: alice earns 10 % of his 90.00; nobody else is new
        self.assertEqual(self._amounts(self.period, FAST_START), {(self.alice, self.dave): 9.00})

    def test_threshold_carry_forward(self):
        self.plan.threshold = 20.0
        self.period.action_compute_now()
        carol = self._statement(self.period, self.carol)
        self.assertEqual(
            (carol.total, carol.payable, carol.carry_out, carol.held_reason), (11.06, 0.0, 11.06, "threshold")
        )
        root = self._statement(self.period, self.root)
        self.assertEqual((root.payable, root.held_reason), (74.95, "none"))
        self.period.action_close()
        self._adjust(self.carol, 100, 100.0, day=self.next_period.date_from)
        self.next_period.action_compute_now()
        carol_next = self._statement(self.next_period, self.carol)
        self.assertEqual(carol_next.carry_in, 11.06)

    def test_compliance_gate(self):
        self.plan.write({"compliance_enabled": True, "compliance_share": 30.0})
        self.period.action_compute_now()
        # every volume is the distributors' own: nobody passes the customer-volume gate
        root = self._statement(self.period, self.root)
        self.assertEqual((root.total, root.payable, root.held_reason), (74.95, 0.0, "compliance"))

    def test_rerun_is_identical(self):
        self.period.action_compute_now()
        first = sorted(
            (ln.beneficiary_id.id, ln.bonus_type, ln.source_distributor_id.id, ln.level, ln.amount)
            for ln in self.period.line_ids
        )
        first_ids = set(self.period.line_ids.ids)
        self.period.action_compute_now()
        second = sorted(
            (ln.beneficiary_id.id, ln.bonus_type, ln.source_distributor_id.id, ln.level, ln.amount)
            for ln in self.period.line_ids
        )
        self.assertEqual(first, second)
        self.assertFalse(first_ids & set(self.period.line_ids.ids), "the preview is replaced, not added to")
        self.assertEqual(len(self.period.run_ids), 2)
        self.assertEqual(self.period.run_ids.mapped("state"), ["done", "done"])

    def test_failure_keeps_previous_preview(self):
        self.period.action_compute_now()
        lines_before = self.period.line_ids.ids
        total_before = self.period.total_amount

        def boom(*args, **kwargs):
            raise ValueError("disk full")

        with (
            self.assertRaises(UserError),
            self._patch_method(self.period.__class__, "_write_results", boom),
            mute_logger("odoo.addons.mlm_commission.models.mlm_commission_run"),
        ):
            self.period.action_compute_now()
        self.period.invalidate_recordset()
        self.assertEqual(self.period.line_ids.ids, lines_before)
        self.assertEqual(self.period.total_amount, total_before)

    def _patch_method(self, cls, name, replacement):
        return patch.object(cls, name, replacement)

    def test_concurrent_run_refused(self):
        with db_connect(self.env.cr.dbname).cursor() as other:
            other.execute(SQL("SELECT pg_advisory_xact_lock(%s, %s)", RUN_LOCK_NAMESPACE, self.company.id))
            with (
                self.assertRaisesRegex(UserError, "Another commission run"),
                mute_logger("odoo.addons.mlm_commission.models.mlm_commission_run"),
            ):
                self.period.action_compute_now()
            other.rollback()
        self.period.action_compute_now()
        self.assertEqual(self.period.state, "computed")

    def test_cancel_running_run_keeps_preview(self):
        self.period.action_compute_now()
        lines_before = self.period.line_ids.ids
        run = self.env["mlm.commission.run"].create({"period_id": self.period.id})
        run.write({"state": "running", "cancel_requested": True})
        self.assertFalse(run._execute())
        self.assertEqual(run.state, "cancelled")
        self.period.invalidate_recordset()
        self.assertEqual(self.period.line_ids.ids, lines_before)

    def test_closed_period_immutable(self):
        self.period.action_close()
        self.assertEqual(self.period.state, "closed")
        with self.assertRaises(UserError):
            self.period.action_compute_now()
        with self.assertRaises(UserError):
            self.period.date_to = self.period.date_from
        with self.assertRaises(UserError):
            self.period.state = "open"
        with self.assertRaises(UserError):
            self.plan.min_pv = 50
        with self.assertRaises(AccessError):
            self.period.line_ids[:1].write({"amount": 1.0})
        # a late adjustment dated in the closed period lands in the next open one
        late = self._adjust(self.carol, 10, 10.0, day=self.period.date_from)
        self.assertEqual(late.date, self.next_period.date_from)

    def test_close_ranks_accounting(self):
        self.period.action_close()
        self.assertEqual(self.root.rank_id, self.rank_bronze)
        self.assertEqual(self.root.highest_rank_id, self.rank_bronze)
        self.assertEqual(self.carol.rank_id, self.rank_member)
        self.assertTrue(self.root.rank_history_ids.filtered(lambda h: h.rank_id == self.rank_bronze))
        move = self.period.move_id
        self.assertEqual(move.state, "posted")
        # one summary entry; the statements are its per-distributor subledger, to the cent
        payable_line = move.line_ids.filtered(lambda ln: ln.account_id == self.payable_account)
        self.assertEqual(payable_line.credit, self.period.total_amount)
        statements = self.period.statement_ids
        self.assertEqual(self.currency.round(sum(statements.mapped("payable"))), payable_line.credit)
        self.assertEqual(self._statement(self.period, self.root).payable, 74.95)
        self.assertEqual(set(statements.mapped("state")), {"closed"})
        expense = move.line_ids.filtered(lambda ln: ln.account_id == self.expense_account)
        self.assertEqual(expense.debit, self.period.total_amount)
        self.assertEqual(len(move.line_ids), 2)
        # the rank advancement is paid once: next period, no bonus for Bronze again
        self._load_reference_volume(day=self.next_period.date_from)
        self.next_period.action_compute_now()
        self.assertEqual(self._total(self.next_period, self.root, ADVANCEMENT), 0.0)
        mails = self.env["mail.mail"].search([("model", "=", "mlm.commission.statement")])
        self.assertTrue(mails, "statements are emailed on close")

    def test_payout(self):
        self.period.action_close()
        wizard = (
            self.env["mlm.payout.wizard"]
            .with_context(active_model="mlm.commission.period", active_ids=self.period.ids)
            .create({"journal_id": self.bank_journal.id})
        )
        self.assertEqual(wizard.amount_total, self.period.payable_amount)
        wizard.action_pay()
        self.assertEqual(self.period.state, "paid")
        root = self._statement(self.period, self.root)
        self.assertEqual(root.state, "paid")
        self.assertEqual(root.payment_id.amount, 74.95)
        open_lines = self.env["account.move.line"].search(
            [("account_id", "=", self.payable_account.id), ("reconciled", "=", False), ("parent_state", "=", "posted")]
        )
        self.assertFalse(open_lines, "every payable is settled by its payment")

    def test_projection(self):
        projection = self.root.get_mlm_projection(period=self.period)
        self.assertEqual((projection["pv"], projection["gv"]), (100.0, 1020.0))
        self.assertEqual(projection["paid_rank_id"], self.rank_bronze.id)
        self.assertEqual(projection["next_rank"]["rank_id"], self.rank_silver.id)
        self.assertEqual([leg["volume"] for leg in projection["legs"]], [720.0, 200.0])
        # unilevel 46.00 + matching 3.95 + advancement 25.00 (no pool in the projection)
        self.assertEqual(projection["projected_total"], 74.95)

    def test_projection_after_preview(self):
        """After a preview, the projection reads its volumes plus the ledger lines added since."""
        self.period.action_compute_now()
        self.assertEqual(self.alice.get_mlm_projection(period=self.period)["projected_total"], 65.64)
        self._adjust(self.erin, 0, 10.0)
        # erin's BV 120.55: alice L2 5 % = 6.0275 -> 6.03 (unilevel 40.03); carol's unilevel 12.06 -> matching 1.21
        projection = self.alice.get_mlm_projection(period=self.period)
        self.assertEqual(projection["projected_total"], 66.24)  # 40.03 + 1.21 + 25.00
        self.assertEqual(projection["gv"], 720.0)

    def test_statement_pdf_and_xlsx(self):
        self.period.action_compute_now()
        statement = self._statement(self.period, self.root)
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("mlm_commission.report_commission_statement", statement.ids)[0]
            .decode()
        )
        self.assertIn("74.95", html)
        content = statement._export_xlsx()
        self.assertTrue(content.startswith(b"PK"))
        with zipfile.ZipFile(io.BytesIO(content)) as xlsx:
            sheet = xlsx.read("xl/worksheets/sheet1.xml").decode()
        self.assertIn("74.95", sheet)

    def test_statement_pdf_letterhead_and_cyrillic(self):
        """The letterhead is in the page body (Debian's wkhtmltopdf drops headers) and Cyrillic survives the PDF."""
        self.env.company.write(
            {
                "logo": LOGO_PNG,
                "street": "ул. Ленина, 1",
                "city": "Алматы",
                "vat": "123456789012",
            }
        )
        self.root.partner_id.name = "Айгүль Жұмабаева"
        self.period.action_compute_now()
        statement = self._statement(self.period, self.root)
        Report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        html = Report._render_qweb_html("mlm_commission.report_commission_statement", statement.ids)[0].decode()
        self.assertNotIn("o_company_%s_layout" % self.env.company.id, html, "no external layout")
        self.assertIn("o_mlm_letterhead", html)
        self.assertIn(self.env.company.name, html)
        self.assertIn("ул. Ленина, 1", html)
        self.assertIn("Алматы", html)
        self.assertIn("123456789012", html)
        self.assertIn('src="data:image/png;base64,', html)
        self.assertIn("DejaVu Sans", html)
        pdf, report_type = Report._render_qweb_pdf("mlm_commission.report_commission_statement", statement.ids)
        self.assertEqual(report_type, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        # wkhtmltopdf places words apart: PyPDF2 reads the gaps as tabs and new lines
        text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
        self.assertIn("Айгүль Жұмабаева", text)
        self.assertIn(self.env.company.name, text)
        self.assertIn("74.95", text)

    def test_genealogy_cards_show_the_period_volume(self):
        """The backend hierarchy cards read PV/GV of the open period's statements, all cards in one query."""
        self.period.action_compute_now()
        people = self.root | self.alice | self.bob | self.carol | self.dave | self.erin | self.frank
        people.invalidate_recordset()
        with freeze_time(self.period.date_from + timedelta(days=5)):
            before = self.env.cr.sql_log_count
            figures = [(d.period_pv, d.period_gv) for d in people]
            queries = self.env.cr.sql_log_count - before
        self.assertEqual(figures[:3], [(100.0, 1020.0), (200.0, 720.0), (50.0, 200.0)])
        self.assertLessEqual(queries, 4, "one query for all the cards, not one per card")
        people.invalidate_recordset()
        with freeze_time(self.period.date_to + timedelta(days=40)):  # no period yet: zero, not an error
            self.assertEqual((self.root.period_pv, self.root.period_gv), (0.0, 0.0))
        arch = self.env["mlm.distributor"].get_views([(False, "hierarchy")])["views"]["hierarchy"]["arch"]
        self.assertIn('name="period_pv"', arch)
        self.assertIn("o_mlm_leg", arch)

    def test_statement_pdf_summarises_a_huge_statement(self):
        """Above the detail limit the PDF sums the lines per bonus and level (the XLSX keeps every line)."""
        self.period.action_compute_now()
        statement = self._statement(self.period, self.root)
        Report = self.env["ir.actions.report"]
        self.assertEqual(statement._report_summary(), [])
        with patch.object(statement_module, "REPORT_DETAIL_LIMIT", 1):
            summary = statement._report_summary()
            html = Report._render_qweb_html("mlm_commission.report_commission_statement", statement.ids)[0].decode()
        self.assertEqual(round(sum(row[4] for row in summary), 2), statement.total)
        self.assertEqual(sum(row[2] for row in summary), len(statement.line_ids))
        self.assertIn("o_mlm_summary_note", html)
        self.assertIn("74.95", html)

    def test_income_disclosure(self):
        self.period.action_close()
        wizard = self.env["mlm.income.disclosure"].create(
            {
                "date_from": self.period.date_from,
                "date_to": self.period.date_to,
            }
        )
        rows = {row["rank"]: row for row in wizard._get_rows()}
        # Member: bob, carol 11.06, dave, erin, frank -> 5, median 0, mean 2.212, 80 % earn nothing
        self.assertEqual(
            (rows["Member"]["count"], rows["Member"]["median"], rows["Member"]["mean"], rows["Member"]["zero_share"]),
            (5, 0.0, 2.21, 80.0),
        )
        # Bronze: root 74.95, alice 65.64
        self.assertEqual(
            (rows["Bronze"]["count"], rows["Bronze"]["max"], rows["Bronze"]["zero_share"]), (2, 74.95, 0.0)
        )
        self.assertIn("74.95", wizard.result_html)
        self.assertTrue(wizard._export_xlsx().startswith(b"PK"))

    def test_calculator(self):
        calculator = self.env["mlm.commission.calculator"].create(
            {
                "distributor_id": self.erin.id,
                "line_ids": [Command.create({"product_id": self.product.id, "quantity": 2, "discount": 0})],
            }
        )
        self.assertEqual((calculator.total_pv, calculator.total_bv), (80.0, 60.0))
        rows = [(row["level"], row["sponsor"], row["amount"]) for row in calculator._upline_earnings()]
        # current ranks are all Member (pays 1 level): only carol, level 1, earns 10 % of 60.00
        self.assertEqual(rows, [(1, self.carol, 6.0)])
