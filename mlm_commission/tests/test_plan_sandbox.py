"""The plan sandbox replays a draft copy on closed periods without touching real records."""

import base64
import io
import zipfile

from odoo import Command

from .common import MlmCommissionCommon


class TestPlanSandbox(MlmCommissionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_reference_volume()
        cls.period.action_close()

    def _sandbox(self):
        action = self.plan.action_create_sandbox()
        return self.env["mlm.plan.sandbox"].browse(action["res_id"])

    def _real_state(self):
        return (
            self.company.mlm_plan_id,
            self.period.state,
            self.period.total_amount,
            sorted(self.period.line_ids.mapped(lambda ln: (ln.beneficiary_id.id, ln.bonus_type, ln.amount))),
            sorted(self.period.statement_ids.mapped(lambda s: (s.distributor_id.id, s.total, s.payable))),
        )

    def test_unchanged_draft_replays_what_was_paid(self):
        sandbox = self._sandbox()
        self.assertFalse(sandbox.draft_plan_id.active, "the draft never becomes a company's plan")
        self.assertEqual(sandbox.draft_plan_id.sandbox_of_id, self.plan)
        sandbox.action_run_now()
        self.assertEqual(sandbox.state, "done")
        paid = sandbox.result_ids.filtered(lambda r: r.series == "paid")
        draft = sandbox.result_ids.filtered(lambda r: r.series == "draft")
        self.assertEqual(paid.period_id, self.period)
        self.assertEqual((paid.total, draft.total), (self.period.total_amount, self.period.total_amount))
        self.assertEqual(paid.bv, self.period.company_bv)
        self.assertFalse(sandbox.change_ids, "same plan: no winner, no loser")
        self.assertEqual(sandbox.old_ratio, sandbox.new_ratio)
        self.assertEqual(
            [(r.rank_id, r.old_earners) for r in sandbox.rank_ids],
            [(r.rank_id, r.new_earners) for r in sandbox.rank_ids],
        )

    def test_changed_draft_without_touching_real_records(self):
        before = self._real_state()
        sandbox = self._sandbox()
        # the draft pays no unilevel and no matching: only the advancement bonuses are left
        sandbox.draft_plan_id.write(
            {"level_ids": [Command.clear()], "matching_ids": [Command.clear()], "name": "Draft without unilevel"}
        )
        sandbox.action_run_now()
        advancement = sum(self.period.line_ids.filtered(lambda ln: ln.bonus_type == "3").mapped("amount"))
        draft = sandbox.result_ids.filtered(lambda r: r.series == "draft")
        self.assertEqual(draft.total, self.currency.round(advancement))
        self.assertEqual(sandbox.new_total, self.currency.round(advancement))
        self.assertEqual(sandbox.old_total, self.period.total_amount)
        self.assertEqual(sandbox.new_ratio, round(100.0 * advancement / self.period.company_bv, 2))
        # every earner of unilevel loses; the biggest loser overall lost what they were paid minus advancement
        losers = sandbox.change_ids.filtered(lambda c: not c.period_id and c.kind == "loser")
        self.assertTrue(losers)
        top = losers.sorted("difference")[0]
        statement = self._statement(self.period, top.distributor_id)
        self.assertEqual(top.old_amount, statement.total)
        self.assertEqual(self._real_state(), before)
        # the workbook has the three sheets
        with zipfile.ZipFile(io.BytesIO(base64.b64decode(sandbox.xlsx_file))) as book:
            sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        self.assertEqual(len(sheets), 3)
