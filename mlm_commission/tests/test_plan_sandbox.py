"""The plan sandbox replays a draft copy on closed periods without touching real records."""

import base64
import io
import zipfile

from odoo import Command
from odoo.tools import SQL

from odoo.addons.mlm_commission.engine import compute_period
from odoo.addons.mlm_commission.models.mlm_commission_data import InputScope

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


class TestPlanSandboxKeptInputs(MlmCommissionCommon):
    """The replay reads the distributors' inputs the close kept, not today's: statuses, sponsors and the
    placement tree may change after the close."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_binary_plan()
        # root: left alice 300.00 + carol 50.00 = 350.00, right bob 100.00: binary 10 % of 100.00 = 10.00
        for name, bv in (("root", 0), ("alice", 300), ("bob", 100), ("carol", 50), ("dave", 0), ("erin", 0)):
            cls._adjust(getattr(cls, name), 100, bv)
        cls._adjust(cls.frank, 100, 0)
        cls.period.action_close()
        cls.paid_total = cls.period.total_amount
        cls.root_paid = cls.period.statement_ids.filtered(lambda s: s.distributor_id == cls.root).total

    def _change_network(self):
        """After the close: alice and erin lose their status, frank is sponsored by carol, bob's team is placed
        under dave (root's right leg is empty today), and a new distributor joins under root."""
        (self.alice | self.erin).write({"status": "inactive"})
        self.late = self._make_distributor("Late Joiner", self.root)
        self.env["mlm.distributor"].flush_model()
        self.env.cr.execute(
            SQL(
                "UPDATE mlm_distributor SET placement_parent_id = %s, placement_slot = 1, placement_position = 'left'"
                " WHERE id = %s",
                self.dave.id,
                self.bob.id,
            )
        )
        self.env.cr.execute(
            SQL("UPDATE mlm_distributor SET sponsor_id = %s WHERE id = %s", self.carol.id, self.frank.id)
        )
        self.env["mlm.distributor"].invalidate_model()

    def _run(self, **plan_vals):
        sandbox = self.env["mlm.plan.sandbox"].browse(self.plan.action_create_sandbox()["res_id"])
        if plan_vals:
            sandbox.draft_plan_id.write(plan_vals)
        sandbox.action_run_now()
        return sandbox

    def test_close_keeps_every_distributors_inputs(self):
        self.assertTrue(self.period._has_stored_inputs())
        kept = self.period._read_inputs(InputScope.closed(self.period.id))
        self.assertEqual(sorted(kept.ids.tolist()), sorted(self.network.ids))
        bob = kept.index.positions([self.bob.id])[0]
        self.assertEqual(kept.placement_parent_ids[bob], self.root.id)
        self.assertEqual(kept.placement_position[bob], 1)  # right

    def test_unchanged_draft_after_network_changes(self):
        self._change_network()
        # today's inputs would pay root no binary at all (nothing on the right): the replay must not read them
        live = self.period._read_inputs(InputScope.company(carried=True))
        self.assertEqual(live.placement_parent_ids[live.index.positions([self.bob.id])[0]], self.dave.id)
        self.assertFalse(live.active[live.index.positions([self.alice.id])[0]])
        self.assertGreaterEqual(live.index.positions([self.late.id])[0], 0)
        today = compute_period(live.inputs(), self.plan._get_engine_spec(), engine_class=self.plan._get_engine_class())
        self.assertNotEqual(int(today.total_cents.sum()), round(self.paid_total * 100))
        sandbox = self._run()
        draft = sandbox.result_ids.filtered(lambda r: r.series == "draft")
        self.assertEqual(draft.total, self.paid_total)
        self.assertEqual(sandbox.new_total, sandbox.old_total)
        self.assertFalse(sandbox.change_ids, "same plan, same inputs: no winner, no loser")

    def test_changed_binary_rate_after_network_changes(self):
        self._change_network()
        # 20 % instead of 10 % of root's 100.00 matched: 10.00 more for root, nobody else pairs (alice's right leg
        # and bob's left leg had no volume)
        sandbox = self._run(binary_rate=20.0)
        draft = sandbox.result_ids.filtered(lambda r: r.series == "draft")
        self.assertEqual(draft.total, self.currency.round(self.paid_total + 10.0))
        overall = sandbox.change_ids.filtered(lambda c: not c.period_id)
        self.assertEqual(
            [(c.distributor_id, c.kind, c.old_amount, c.new_amount) for c in overall],
            [(self.root, "winner", self.root_paid, self.currency.round(self.root_paid + 10.0))],
        )
