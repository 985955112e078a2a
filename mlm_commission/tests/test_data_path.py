"""One data path: the reader's scopes read the same inputs; the projection of a plan type's own engine class equals
its preview."""

from datetime import timedelta
from unittest.mock import patch

import numpy as np

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.mlm_commission.engine import CommissionEngine
from odoo.addons.mlm_commission.engine.projection import incremental
from odoo.addons.mlm_commission.models import mlm_distributor_projection as projection
from odoo.addons.mlm_commission.models.mlm_commission_data import InputReader, InputScope
from odoo.addons.mlm_commission.models.mlm_volume_line import SYSTEM_MARKER

from .common import MlmCommissionCommon


class CompanyBonusEngine(CommissionEngine):
    """A plan type's engine: every active distributor also earns 1 % of the company's BV (a figure no subtree
    gives), bonus type 9."""

    bonus_types = (*CommissionEngine.bonus_types, (9, "company"))

    def _bonus_company(self):
        who = np.flatnonzero(self.active)
        return self._make_rows(9, who, -1, 0, 0, self.paid_rank[who], 0.01, int(self.bv_cents.sum()))


class IncrementalEngine(CommissionEngine):
    """An engine keeping the default steps, declared so."""

    projection_incremental = True


class DataPathCommon(MlmCommissionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_reference_volume()
        cls.plan.write(
            {"fast_start_rate": 10.0, "fast_start_days": 30, "pool_rate": 1.0, "pool_rank_id": cls.rank_bronze.id}
        )
        cls.dave.join_date = cls.period_start
        cls.alice.mlm_coefficient = 1.5

    def _reader(self):
        return InputReader(self.env, self.company, self.period.date_from, self.period.date_to, self.plan._get_ranks())


@tagged("post_install", "-at_install")
class TestInputReader(DataPathCommon):
    def _lines(self, data, ids):
        """Sorted (distributor id, pv, bv cents, day, customer) of the lines of ``ids``."""
        keep = np.isin(data.line_dist_id, ids)
        return sorted(
            zip(
                data.line_dist_id[keep].tolist(),
                data.line_pv[keep].tolist(),
                data.line_bv_cents[keep].tolist(),
                data.line_day[keep].tolist(),
                data.line_customer[keep].tolist(),
                strict=True,
            )
        )

    def test_company_and_subtree_scopes_read_the_same_inputs(self):
        """Alice's subtree read alone equals its part of the company's inputs: statuses, coefficients, join days,
        highest ranks, and ledger days from ``COALESCE(origin_date, date)``."""
        self.dave.action_deactivate()
        self.carol.highest_rank_id = self.rank_bronze
        self.env["mlm.distributor"].flush_model()
        reversal = self._adjust(self.erin, -20, -15.0, reason="reversal")
        reversal.flush_recordset()
        origin = self.period_start - timedelta(days=3)
        self.env.cr.execute("UPDATE mlm_volume_line SET origin_date = %s WHERE id = %s", [origin, reversal.id])
        self.env.invalidate_all()
        company = self._reader().read_inputs(InputScope.company())
        subtree = self._reader().read_inputs(InputScope.subtree(self.alice))
        team = self.alice | self.carol | self.dave | self.erin
        self.assertEqual(subtree.ids.tolist(), sorted(team.ids))
        at = company.index.positions(subtree.ids)
        for name in ("active", "coefficient", "join_day", "highest_rank", "depth"):
            np.testing.assert_array_equal(getattr(subtree, name), getattr(company, name)[at], err_msg=name)
        self.assertEqual(subtree.active[subtree.index.positions([self.dave.id])].tolist(), [False])
        self.assertEqual(subtree.coefficient[subtree.index.positions([self.alice.id])].tolist(), [1.5])
        self.assertEqual(
            subtree.join_day[subtree.index.positions([self.dave.id])].tolist(), [self.period_start.toordinal()]
        )
        bronze = [r.rank_id for r in self.plan._get_ranks()].index(self.rank_bronze)
        self.assertEqual(subtree.highest_rank[subtree.index.positions([self.carol.id])].tolist(), [bronze])
        # alice is the subtree's root; the others keep their sponsor
        self.assertEqual(subtree.sponsor_idx[subtree.index.positions([self.alice.id])].tolist(), [-1])
        self.assertEqual(
            subtree.ids[subtree.sponsor_idx[subtree.index.positions([self.erin.id])]].tolist(), [self.carol.id]
        )
        self.assertEqual(self._lines(subtree, team.ids), self._lines(company, team.ids))
        self.assertEqual(len(subtree.line_pv), 5)  # 4 reference lines and the reversal; none of root's branch
        self.assertIn((self.erin.id, -20.0, -1500, origin.toordinal(), False), self._lines(subtree, team.ids))

    def test_changes_scope_reads_what_was_written_after(self):
        self.env.flush_all()
        self.env.cr.execute("SELECT max(id) FROM mlm_volume_line")
        high = self.env.cr.fetchone()[0]
        self.env.cr.execute("SELECT now() AT TIME ZONE 'UTC'")
        since = self.env.cr.fetchone()[0] - timedelta(seconds=1)
        # nothing written "after" the future
        quiet = self._reader().read_inputs(InputScope.changes(high, since + timedelta(days=1)))
        self.assertEqual((quiet.size, len(quiet.line_pv)), (0, 0))
        line = self._adjust(self.frank, 10, 5.0)
        self.bob.mlm_coefficient = 2.0
        changes = self._reader().read_inputs(InputScope.changes(high, since))
        self.assertEqual(changes.line_id.tolist(), line.ids)
        self.assertEqual(self._lines(changes, [self.frank.id])[0][:3], (self.frank.id, 10.0, 500))
        self.assertIn(self.bob.id, changes.ids.tolist())
        self.assertEqual(changes.coefficient[changes.index.positions([self.bob.id])].tolist(), [2.0])
        self.assertTrue(changes.ours.all())

    def test_unknown_distributor_is_refused(self):
        """A line of the company crediting a distributor outside its network stops the company read (the run
        and the projection cache), never dropped."""
        other = self.env["res.company"].create({"name": "Other MLM"})
        stranger = self._make_distributor("Stranger", company_id=other.id, branch_id=False)
        line = self._adjust(self.frank, 10, 5.0)
        line.flush_recordset()
        self.env.cr.execute("UPDATE mlm_volume_line SET distributor_id = %s WHERE id = %s", [stranger.id, line.id])
        with self.assertRaisesRegex(UserError, str(stranger.id)):
            self._reader().read_inputs(InputScope.company())
        with self.assertRaises(UserError):
            self.period.action_compute_now()

    def test_run_reads_carried_amounts(self):
        """The company scope with ``carried`` gives the previous closed period's carry-out per distributor."""
        self.plan.threshold = 1000.0  # nobody reaches it: everything is carried
        self.period.action_compute_now()
        self.period.with_context(mlm_volume_system=SYSTEM_MARKER).write({"state": "closed"})
        data = InputReader(
            self.env, self.company, self.next_period.date_from, self.next_period.date_to, self.plan._get_ranks()
        ).read_inputs(InputScope.company(carried=True))
        carry = {s.distributor_id.id: round(s.carry_out * 100) for s in self.period.statement_ids if s.carry_out}
        self.assertTrue(carry)
        self.assertEqual({int(data.ids[i]): int(c) for i, c in enumerate(data.carried) if c}, carry)


@tagged("post_install", "-at_install")
class TestEngineClassProjection(DataPathCommon):
    """A plan type's engine class (the documented ``_get_engine_class`` override) is projected exactly."""

    def setUp(self):
        super().setUp()
        Plan = type(self.env["mlm.plan"])
        labels = Plan._get_bonus_type_selection
        self.startPatcher(patch.object(Plan, "_get_engine_class", lambda plan: CompanyBonusEngine))
        self.startPatcher(
            patch.object(Plan, "_get_bonus_type_selection", lambda plan: [*labels(plan), ("9", "Company bonus")])
        )

    def _figures(self, values):
        return (values["pv"], values["gv"], values["paid_rank_id"], values["projected_total"], values["earnings"])

    def _preview(self):
        self.period.action_compute_now()
        labels = dict(self.plan._get_bonus_type_selection())
        figures = {}
        for dist in self.network:
            statement = self._statement(self.period, dist)
            earnings = {}
            for line in self.period.line_ids.filtered(lambda line, d=dist: line.beneficiary_id == d):
                earnings[labels[line.bonus_type]] = self.currency.round(
                    earnings.get(labels[line.bonus_type], 0.0) + line.amount
                )
            figures[dist] = (statement.pv, statement.gv, statement.paid_rank_id.id, statement.total, earnings)
        return figures

    def test_incremental_classes(self):
        self.assertTrue(incremental(CommissionEngine))
        self.assertFalse(incremental(CompanyBonusEngine))
        self.assertTrue(incremental(IncrementalEngine))

    def test_projection_equals_preview_with_a_plan_types_engine(self):
        self.env.flush_all()
        projection.fold(self.env, self.company, self.period)
        shared = projection.SharedProjection(
            self.env,
            self.company,
            self.period.date_from,
            self.period.date_to,
            self.plan,
            self.plan._get_engine_spec(),
        )
        self.assertFalse(shared.incremental)
        self.assertTrue(all(shared.values(dist) is not None for dist in self.network), "read from the state")
        before = {dist: self._figures(dist.get_mlm_projection(period=self.period)) for dist in self.network}
        expected = self._preview()
        self.assertEqual(before, expected)
        # the company bonus: 1 % of the company's BV 820.55 = 8.21 for each active distributor (erin: alice's
        # coefficient is hers only), part of the totals
        self.assertEqual(expected[self.erin][4]["Company bonus"], 8.21)
        self.assertEqual(expected[self.alice][4]["Company bonus"], 12.31)  # coefficient 1.5
        # a sale in bob's branch changes frank's company bonus too (no subtree could tell): pending changes of
        # an engine the rows cannot follow make the engine run on the company, until the next fold
        self._invoice(self.bob.partner_id, quantity=2.0)
        self.carol.mlm_coefficient = 2.0
        self.env.flush_all()
        self.assertTrue(all(shared.values(dist) is None for dist in self.network))
        after = {dist: self._figures(dist.get_mlm_projection(period=self.period)) for dist in self.network}
        expected = self._preview()
        self.assertNotEqual(expected[self.frank], before[self.frank])
        self.assertEqual(after, expected)
        projection.fold(self.env, self.company, self.period)
        folded = {dist: self._figures(dist.get_mlm_projection(period=self.period)) for dist in self.network}
        self.assertEqual(folded, expected)


@tagged("post_install", "-at_install")
class TestCurrentPeriod(MlmCommissionCommon):
    """One rule for the current period: its record when it exists, else the company's period type."""

    def _bounds(self, period_type, day):
        self.company.mlm_period_type = period_type
        return self.env["mlm.commission.period"]._get_current_period(self.company, day)

    def test_weekly_and_monthly_bounds(self):
        day = fields.Date.from_string("2031-05-15")  # a Thursday; no period exists then
        period, start, end = self._bounds("week", day)
        self.assertEqual(
            (period, str(start), str(end)), (self.env["mlm.commission.period"], "2031-05-12", "2031-05-18")
        )
        period, start, end = self._bounds("month", day)
        self.assertEqual((str(start), str(end)), ("2031-05-01", "2031-05-31"))
        # an existing period wins over the rule
        period, start, end = self._bounds("week", self.period.date_from + timedelta(days=3))
        self.assertEqual((period, start, end), (self.period, self.period.date_from, self.period.date_to))

    def test_projection_and_dashboard_use_it(self):
        today = fields.Date.context_today(self.env.user)
        for period_type in ("week", "month"):
            _period, start, end = self._bounds(period_type, today)
            values = self.root.get_mlm_projection()
            self.assertEqual((values["date_from"], values["date_to"]), (start, end), period_type)
            if period_type == "week":
                self.assertEqual((start.weekday(), (end - start).days), (0, 6))
            created = self.env["mlm.commission.period"]._get_or_create_period(self.company, today)
            self.assertEqual((created.date_from, created.date_to), (start, end))
            created.unlink()
