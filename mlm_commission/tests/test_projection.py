"""The real-time projection gives every distributor the figures of a full preview run, before and after a sale."""

import numpy as np

from odoo.addons.mlm_commission.models import mlm_distributor_projection as projection_cache

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

    def setUp(self):
        super().setUp()
        projection_cache.clear()
        self.addCleanup(projection_cache.clear)

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

    def _state_figures(self, cache, entry, network=None):
        """The figures of every distributor read from a cache entry's state."""
        return {
            dist: self._figures(
                cache._format(dist, entry.state.values(int(entry.index.positions([dist.id])[0])), entry)
            )
            for dist in network or self.network
        }

    def _cache(self):
        return projection_cache.ProjectionCache(
            self.env,
            self.company,
            self.period.date_from,
            self.period.date_to,
            self.plan,
            self.plan._get_ranks(),
            self.plan._get_engine_spec(),
        )

    def test_projection_equals_preview_before_and_after_a_sale(self):
        before = {dist: self._figures(dist.get_mlm_projection(period=self.period)) for dist in self.network}
        # the state the cache starts from, built before the sale
        cache = self._cache()
        entry = cache._build(cache._version()[0], shared=False)
        expected = self._preview_figures()
        self.assertEqual(before, expected)
        # root: unilevel 46.00 + matching 10 % of alice's 59.29 = 5.93 + advancement 25.00 + pool 4.81
        self.assertEqual(expected[self.root][3], 81.74)
        self.assertEqual(self._state_figures(cache, entry), expected)

        # a real sale: bob buys 2 packs (PV 80): bob becomes active, which changes compression above frank
        self._invoice(self.bob.partner_id, quantity=2.0)
        after = {dist: self._figures(dist.get_mlm_projection(period=self.period)) for dist in self.network}
        self.assertTrue(cache._catch_up_distributors(entry) and cache._catch_up(entry), "applied to the state")
        moved = self._state_figures(cache, entry)
        expected = self._preview_figures()
        self.assertNotEqual(expected[self.root], before[self.root])
        self.assertEqual(after, expected)
        self.assertEqual(moved, expected)
        self.assertEqual(expected[self.bob][:3], (130.0, 280.0, self.rank_member.id))

    def test_genealogy_changes_are_applied(self):
        """A new distributor with a sale, a status change and a new coefficient, applied to a built state, give the
        figures of a new preview; a move in the genealogy makes the cache rebuild."""
        cache = self._cache()
        entry = cache._build(cache._version()[0], shared=False)
        # grace joins under frank and buys 3 packs (PV 120, BV 90.00): frank and bob's legs grow
        partner = self.env["res.partner"].create({"name": "Grace"})
        grace = self.env["mlm.distributor"].enroll(partner, sponsor=self.frank)
        self._invoice(partner, quantity=3.0)
        self.dave.action_deactivate()
        self.carol.mlm_coefficient = 2.0
        self.env.flush_all()
        self.assertTrue(cache._catch_up_distributors(entry) and cache._catch_up(entry), "applied to the state")
        self.assertEqual(entry.index.ids[-1], grace.id, "grace is appended to the state")
        network = self.network | grace
        expected = self._preview_figures(network)
        self.assertEqual(self._state_figures(cache, entry, network), expected)
        self.assertEqual(expected[grace][:3], (120.0, 120.0, self.rank_member.id))
        self.assertEqual(entry.state.values(int(entry.index.positions([self.dave.id])[0]))["active"], False)
        version = cache._version()[0]
        self.erin._move_in_genealogy(self.alice, "with_downline", "test")
        self.assertNotEqual(cache._version()[0], version, "a move changes the version: the entry is rebuilt")

    def test_old_entry_is_checked_by_its_line_count(self):
        """Past MAX_AGE an entry is used again only if it holds as many ledger lines as the period: a line that
        slipped past the id window (simulated by marking it seen) makes the check fail, hence a rebuild."""
        cache = self._cache()
        entry = cache._build(cache._version()[0], shared=False)
        entry.built -= projection_cache.MAX_AGE + 1
        self.assertTrue(cache._checked(entry, shared=False))
        line = self._adjust(self.frank, 10, 5.0)
        entry.seen = np.union1d(entry.seen, line.ids)
        self.assertTrue(cache._catch_up(entry))
        self.assertFalse(cache._checked(entry, shared=False))

    def test_cache_is_private_to_a_writing_transaction(self):
        """A transaction that wrote (its lines may roll back) never fills the shared cache."""
        self.root.get_mlm_projection(period=self.period)
        self.assertFalse(projection_cache._entries)
        values = self._cache().projection(self.root, build=True)
        self.assertEqual(values["gv"], 1020.0)
        self.assertFalse(projection_cache._entries)
