"""The binary plan type in Odoo: plan fields to the engine's spec, the one reader's placement tree, statements
explaining the pairing, and the carry of a closed period read by the next one."""

from odoo.exceptions import UserError

from odoo.addons.mlm_commission.engine import BinaryEngine, BinarySpec, MatrixSpec

from .common import MlmCommissionCommon


class TestBinaryPlan(MlmCommissionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_binary_plan()

    def _volumes(self, day, **bv):
        for name in ("root", "alice", "bob", "carol", "dave", "erin", "frank"):
            self._adjust(getattr(self, name), 100, bv.get(name, 0.0), day)

    def test_spec_and_engine_of_the_plan(self):
        self.plan.write({"binary_ratio": "2:1", "binary_cycle_volume": 100.0, "binary_carry_cap": 5000.0})
        self.plan.rank_ids.filtered(lambda r: r.rank_id == self.rank_silver).binary_cap = 250.0
        spec = self.plan._get_engine_spec()
        self.assertIs(self.plan._get_engine_class(), BinaryEngine)
        self.assertEqual(
            spec.extra["binary"],
            BinarySpec(
                rate=0.1,
                ratio=(2, 1),
                cycle_units=10000,
                min_sponsored=1,
                carry_cap=500000,
                flush_inactive=True,
                rank_caps_cents=(0, 0, 25000),
                matching_base="unilevel",
            ),
        )
        self.assertEqual(spec.extra["matrix"], MatrixSpec((0.01,)))
        self.assertIn(("6", "Binary"), self.plan._get_bonus_type_selection())

    def test_binary_pays_the_weaker_leg_and_carries_to_the_next_period(self):
        # root: left alice 300 + carol 50 = 350.00, right bob 100.00: 10 % of 100.00 = 10.00, 250.00 carried left
        self._volumes(self.period_start, alice=300.0, carol=50.0, bob=100.0)
        self.period.action_compute_now()
        root = self._statement(self.period, self.root)
        self.assertEqual((root.binary_left, root.binary_right, root.binary_matched), (350.0, 100.0, 100.0))
        self.assertEqual((root.binary_carry_left, root.binary_carry_right), (250.0, 0.0))
        self.assertTrue(root.binary_qualified)
        binary = self.period.line_ids.filtered(lambda ln: ln.bonus_type == "6")
        self.assertEqual([(ln.beneficiary_id, ln.base_amount, ln.amount) for ln in binary], [(self.root, 100.0, 10.0)])
        # alice: left carol 50.00, right dave 0: qualified (both her recruits) but nothing to pair, 50.00 carried
        alice = self._statement(self.period, self.alice)
        self.assertEqual((alice.binary_left, alice.binary_right, alice.binary_carry_left), (50.0, 0.0, 50.0))
        # matrix level 1 (1 %): root earns on alice 3.00 and bob 1.00
        matrix = self.period.line_ids.filtered(lambda ln: ln.bonus_type == "7" and ln.beneficiary_id == self.root)
        self.assertEqual(sorted(matrix.mapped("amount")), [1.0, 3.0])
        self.period.action_close()
        # next period: bob buys 300.00: right 300.00 against 250.00 carried left: 25.00, 50.00 carried right
        self._volumes(self.next_period.date_from, bob=300.0)
        self.next_period.action_compute_now()
        root = self._statement(self.next_period, self.root)
        self.assertEqual((root.binary_carry_left_in, root.binary_carry_right_in), (250.0, 0.0))
        self.assertEqual((root.binary_left, root.binary_right, root.binary_matched), (0.0, 300.0, 250.0))
        self.assertEqual((root.binary_carry_left, root.binary_carry_right), (0.0, 50.0))
        binary = self.next_period.line_ids.filtered(lambda ln: ln.bonus_type == "6")
        self.assertEqual([(ln.beneficiary_id, ln.amount) for ln in binary], [(self.root, 25.0)])
        self.assertEqual(self._statement(self.next_period, self.alice).binary_carry_left_in, 50.0)

    def test_rank_cap_is_shown_on_the_statement(self):
        self.plan.rank_ids.write({"binary_cap": 4.0})
        self._volumes(self.period_start, alice=300.0, carol=50.0, bob=100.0)
        self.period.action_compute_now()
        root = self._statement(self.period, self.root)
        binary = self.period.line_ids.filtered(lambda ln: ln.bonus_type == "6")
        self.assertEqual(binary.amount, 4.0)
        self.assertEqual(root.binary_capped, 6.0)
        labels = dict(root._binary_summary())
        self.assertEqual(labels["Over the binary cap, not paid"], 6.0)

    def test_binary_rules_frozen_after_close(self):
        self._volumes(self.period_start, bob=10.0)
        self.period.action_close()
        with self.assertRaises(UserError):
            self.plan.binary_rate = 12.0

    def test_weaker_leg_placement_reads_the_binary_carry(self):
        """mlm_network's "weaker leg" placement compares each leg's volume plus its carry: the carry is the one
        the last closed period left in the leg."""
        legs = self.root._placement_leg_volumes()[self.root.id]
        self.assertEqual((legs[1]["carry"], legs[2]["carry"]), (0.0, 0.0))
        self._volumes(self.period_start, alice=300.0, carol=50.0, bob=100.0)
        self.period.action_close()  # carries 250.00 on root's left
        legs = self.root._placement_leg_volumes()[self.root.id]
        self.assertEqual((legs[1]["carry"], legs[2]["carry"]), (250.0, 0.0))
        self.assertEqual(self.alice._placement_leg_volumes()[self.alice.id][1]["carry"], 50.0)
