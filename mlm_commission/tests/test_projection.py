"""The real-time projection gives every distributor the figures of a full preview run, before and after a sale,
from the state every worker shares (PostgreSQL) and the changes pending since its last fold."""

from unittest.mock import patch

from odoo.tools import SQL

from odoo.addons.mlm_commission.models import mlm_distributor_projection as projection

from .common import MlmCommissionCommon


class TestProjection(MlmCommissionCommon):
    """The reference fixture of test_commission_run with every bonus switched on: fast start (dave is new),
    leadership pool (Bronze and up), alice's coefficient 1.5."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_reference_volume()
        cls.plan.write(
            {"fast_start_rate": 10.0, "fast_start_days": 30, "pool_rate": 1.0, "pool_rank_id": cls.rank_bronze.id}
        )
        cls.dave.join_date = cls.period_start
        cls.alice.mlm_coefficient = 1.5

    def _preview_figures(self, network=None):
        """{distributor: (pv, gv, paid rank, total, {bonus label: amount})} of a fresh preview."""
        self.period.action_compute_now()
        labels = dict(self.plan._get_bonus_type_selection())
        figures = {}
        for dist in network or self.network:
            statement = self._statement(self.period, dist)
            earnings = {}
            for line in self.period.line_ids.filtered(lambda line, d=dist: line.beneficiary_id == d):
                label = labels[line.bonus_type]
                earnings[label] = self.currency.round(earnings.get(label, 0.0) + line.amount)
            figures[dist] = (statement.pv, statement.gv, statement.paid_rank_id.id, statement.total, earnings)
        return figures

    @staticmethod
    def _figures(values):
        return (values["pv"], values["gv"], values["paid_rank_id"], values["projected_total"], values["earnings"])

    def _shared(self):
        return projection.SharedProjection(
            self.env,
            self.company,
            self.period.date_from,
            self.period.date_to,
            self.plan,
            self.plan._get_engine_spec(),
        )

    def _fold(self):
        self.env.flush_all()
        return projection.fold(self.env, self.company, self.period)

    def _from_state(self, network=None):
        """{distributor: figures} the shared state answers (None: it declines, the engine answers)."""
        Distributor = self.env["mlm.distributor"]
        plan, ranks, spec = self.plan, self.plan._get_ranks(), self.plan._get_engine_spec()
        shared = self._shared()
        self.env.flush_all()
        result = {}
        for dist in network or self.network:
            values = shared.values(dist)
            result[dist] = values and self._figures(
                Distributor._projection_format(
                    dist, plan, ranks, spec, values, self.period.date_from, self.period.date_to
                )
            )
        return result

    def _pending(self):
        self.env.flush_all()
        self.env.cr.execute(
            SQL("SELECT kind, count(*) FROM mlm_projection_delta WHERE company_id = %s GROUP BY kind", self.company.id)
        )
        return dict(self.env.cr.fetchall())

    def test_projection_equals_preview_before_and_after_a_sale(self):
        self.assertEqual(self._fold(), len(self.network))
        self.assertEqual(self._pending(), {})
        stored = self._from_state()
        before = {dist: self._figures(dist.get_mlm_projection(period=self.period)) for dist in self.network}
        expected = self._preview_figures()
        self.assertEqual(before, expected)
        self.assertEqual(stored, expected, "every distributor is read from the shared state")
        # root: unilevel 46.00 + matching 10 % of alice's 59.29 = 5.93 + advancement 25.00 + pool 4.81
        self.assertEqual(expected[self.root][3], 81.74)

        # a sale to an active distributor: applied to the state by the reader, in the same transaction
        self._invoice(self.carol.partner_id, quantity=1.0)
        self.assertEqual(self._pending(), {"l": 1})
        moved = self._from_state()
        after = {dist: self._figures(dist.get_mlm_projection(period=self.period)) for dist in self.network}
        expected = self._preview_figures()
        self.assertNotEqual(expected[self.root], before[self.root])
        self.assertEqual(after, expected)
        self.assertEqual(moved[self.root], expected[self.root], "root's figures moved by the pending line")
        self.assertGreaterEqual(sum(v is not None for v in moved.values()), len(self.network) - 2)
        self.assertEqual(
            {d: v for d, v in moved.items() if v is not None},
            {d: expected[d] for d, v in moved.items() if v is not None},
        )

        # a real sale that changes activity: bob buys 2 packs (PV 80), which changes compression above frank
        self._invoice(self.bob.partner_id, quantity=2.0)
        moved = self._from_state()
        after = {dist: self._figures(dist.get_mlm_projection(period=self.period)) for dist in self.network}
        expected = self._preview_figures()
        self.assertEqual(after, expected)
        self.assertEqual(
            {d: v for d, v in moved.items() if v is not None},
            {d: expected[d] for d, v in moved.items() if v is not None},
        )
        self.assertEqual(expected[self.bob][:3], (130.0, 280.0, self.rank_member.id))
        # the fold takes every pending change in: the state alone gives the preview again
        self._fold()
        self.assertEqual(self._pending(), {})
        self.assertEqual(self._from_state(), expected)

    def _generations(self):
        return sorted(projection.generation_tables(self.env.cr, "mlm_projection_node", self.company))

    def test_fold_publishes_a_whole_generation(self):
        """A fold writes the rows of a new generation into tables of their own, then publishes them with the state
        row: a reader before the publication (here in the fold's own transaction, its pending line taken in
        already) reads the previous generation, whole, never the rows being written; after it, the new one. The
        generation before the previous one is dropped."""
        self._fold()
        before = self._from_state()
        self.assertNotIn(None, before.values())
        [first] = self._generations()
        self._invoice(self.carol.partner_id, quantity=1.0)
        seen = {}
        publish = projection.publish_generation

        def read_then_publish(cr, company, generation, header):
            cr.execute(
                SQL(
                    "SELECT count(*) FROM mlm_projection_node WHERE company_id = %s AND generation = %s",
                    company.id,
                    generation,
                )
            )
            seen.update(generation=generation, rows=cr.fetchone()[0], figures=self._from_state())
            publish(cr, company, generation, header)

        with patch.object(projection, "publish_generation", read_then_publish):
            self._fold()
        self.assertEqual(seen["rows"], len(self.network), "the new generation is written")
        self.assertEqual(seen["figures"], before, "readers still read the previous generation, whole")
        after = self._from_state()
        expected = self._preview_figures()
        self.assertEqual(after, expected)
        self.assertNotEqual(after[self.root], before[self.root])
        self.assertEqual(self._generations(), [first, seen["generation"]])
        self._fold()
        self.assertEqual(len(self._generations()), 2)
        self.assertNotIn(first, self._generations(), "dropped by the next fold but one")
        self.assertEqual(self._from_state(), expected)

    def test_genealogy_changes(self):
        """A new distributor with a sale, a status change and a new coefficient are recorded as pending changes;
        the projection stays the preview's (the engine answers where the state cannot), and after the fold the
        state gives it alone. A change the projection ignores (a phone number) records nothing."""
        self._fold()
        self.carol.phone = "+7 700 000 00 00"
        self.assertEqual(self._pending(), {})
        partner = self.env["res.partner"].create({"name": "Grace"})
        grace = self.env["mlm.distributor"].enroll(partner, sponsor=self.frank)
        self._invoice(partner, quantity=3.0)
        self.dave.action_deactivate()
        self.carol.mlm_coefficient = 2.0
        pending = self._pending()
        self.assertEqual((pending["n"], pending["l"]), (1, 1))
        self.assertGreaterEqual(pending["d"], 2)
        network = self.network | grace
        moved = self._from_state(network)
        after = {dist: self._figures(dist.get_mlm_projection(period=self.period)) for dist in network}
        expected = self._preview_figures(network)
        self.assertEqual(after, expected)
        self.assertEqual(
            {d: v for d, v in moved.items() if v is not None},
            {d: expected[d] for d, v in moved.items() if v is not None},
        )
        self.assertIsNone(moved[grace], "not in the state yet")
        self.assertEqual(expected[grace][:3], (120.0, 120.0, self.rank_member.id))
        self._fold()
        self.assertEqual(self._from_state(network), expected)
        # a move is a change of the tree: the state declines every distributor until the next fold
        self.erin._move_in_genealogy(self.alice, "with_downline", "test")
        self.assertEqual(self._pending(), {"t": 1})
        self.assertEqual(set(self._from_state().values()), {None})
        self._fold()
        self.assertNotIn(None, self._from_state().values())

    def test_state_of_another_period_or_plan_is_not_used(self):
        self._fold()
        self.assertTrue(self._shared().header())
        self.plan.level_ids[:1].rate += 1.0
        self.assertIsNone(self._shared().header(), "the plan changed")
        self.assertIsNone(
            projection.SharedProjection(
                self.env,
                self.company,
                self.next_period.date_from,
                self.next_period.date_to,
                self.plan,
                self.plan._get_engine_spec(),
            ).header()
        )

    def test_cached_spec_follows_every_rule_change(self):
        """The spec the projection builds once per worker (``_get_engine_spec_cached``) is dropped whenever a
        record it is built from changes: the plan, a level, a rank rule, a matching generation, a rank."""
        plan = self.plan
        self.assertIs(plan._get_engine_spec_cached(), plan._get_engine_spec_cached(), "kept between calls")
        changes = [
            lambda: plan.level_ids[:1].write({"rate": plan.level_ids[:1].rate + 1.0}),
            lambda: plan.write({"min_pv": plan.min_pv + 1.0}),
            lambda: plan.rank_ids[:1].write({"min_pv": plan.rank_ids[:1].min_pv + 1.0}),
            lambda: plan.matching_ids[:1].write({"rate": plan.matching_ids[:1].rate + 1.0}),
            lambda: self.env["mlm.plan.level"].create(
                {"plan_id": plan.id, "level": max(plan.level_ids.mapped("level")) + 1, "rate": 0.5}
            ),
            lambda: plan.level_ids.sorted("level")[-1:].unlink(),
            lambda: self.rank_bronze.write({"sequence": self.rank_bronze.sequence}),
        ]
        for change in changes:
            cached = plan._get_engine_spec_cached()
            change()
            self.assertIsNot(plan._get_engine_spec_cached(), cached)
            self.assertEqual(plan._get_engine_spec_cached(), plan._get_engine_spec())
        # the projection computes with the rule of now: a new unilevel rate is projected at once
        self._fold()
        before = {dist: self._figures(dist.get_mlm_projection(period=self.period)) for dist in self.network}
        plan.level_ids.sorted("level")[:1].rate += 10.0
        after = {dist: self._figures(dist.get_mlm_projection(period=self.period)) for dist in self.network}
        self.assertNotEqual(after, before)
        self.assertEqual(after, self._preview_figures())

    def test_empty_period_is_answered_without_state(self):
        """A period without volume yet (a month's start, before its first fold): everybody at the lowest rank,
        answered without the engine, as a preview of that period computes it."""
        period = self.next_period
        self.assertFalse(
            self.env["mlm.volume.line"].search_count([("date", ">=", period.date_from), ("date", "<=", period.date_to)])
        )
        shared = projection.SharedProjection(
            self.env, self.company, period.date_from, period.date_to, self.plan, self.plan._get_engine_spec()
        )
        self.assertIsNone(shared.header())
        self.assertTrue(all(shared.values(dist) is not None for dist in self.network))
        projected = {dist: self._figures(dist.get_mlm_projection(period=period)) for dist in self.network}
        # a preview writes no statement without volume: the engine run on the company is the reference
        Distributor, spec = self.env["mlm.distributor"], self.plan._get_engine_spec()
        expected = {
            dist: self._figures(
                Distributor._projection_from_company(
                    dist, self.plan, self.plan._get_ranks(), spec, period.date_from, period.date_to
                )
            )
            for dist in self.network
        }
        self.assertEqual(projected, expected)
        self.assertEqual(projected[self.root][:3], (0.0, 0.0, self.rank_member.id))

    def test_cron_folds_stale_companies(self):
        """The cron enqueues the fold of a company without a state (run at once in tests: queue_job's no-delay)."""
        company = self.company
        self.assertTrue(company._mlm_projection_stale())
        company.cron_mlm_projection_fold()
        self.assertFalse(company._mlm_projection_stale())
        self._adjust(self.frank, 10, 5.0)
        self.assertTrue(company._mlm_projection_stale())
