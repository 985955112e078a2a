"""Commission engine against hand-computed numbers (no database needed).

Every expected figure below is worked out by hand in the comments, from the
reference semantics of the plan; none is produced by the engine itself.
"""

import dataclasses
import datetime

import numpy as np

from odoo.tests.common import BaseCase

from odoo.addons.mlm_commission.engine import (
    BONUS_FAST_START,
    BONUS_MATCHING,
    BONUS_POOL,
    BONUS_RANK_ADVANCEMENT,
    BONUS_STANDING_ORDER,
    BONUS_UNILEVEL,
    HELD_COMPLIANCE,
    HELD_NONE,
    HELD_THRESHOLD,
    CommissionEngine,
    IdIndex,
    PeriodInputs,
    PlanSpec,
    RankRule,
    compute_period,
    depths,
    nearest_ancestor_where,
    ordinal_days,
    round_half_up,
)

# The fixture tree (index: name, sponsor) and its period:
#
#   A ─┬─ B ─┬─ D* ─┬─ G          * inactive: D (PV 50 < 100), C (PV 90), M (PV 80),
#      │     │      └─ H*           H (status not active although PV 100), O (PV 50)
#      │     └─ E ─── I ─── O*
#      ├─ C* ─── F ─┬─ J ─── L
#      │            └─ K
#      └─ M* ─── N
NAMES = "ABCDEFGHIJKLMNO"
A, B, C, D, E, F, G, H, I, J, K, L, M, N, O = range(15)
SPONSOR = [-1, A, A, B, B, C, D, D, E, F, F, J, A, M, I]
STATUS = [True] * 15
STATUS[H] = False
COEFFICIENT = [1.0] * 15
COEFFICIENT[J] = 1.5
JOIN_DAY = [0] * 15
JOIN_DAY[L], JOIN_DAY[M], JOIN_DAY[N] = 990, 1010, 1005
# highest rank ever before the period: A Member(0), E none, F/J/K/L/B Bronze(1), G Silver(2)
HIGHEST = [0, 1, -1, -1, -1, 1, 2, -1, -1, 1, 1, 1, -1, -1, -1]
# ledger lines: (distributor, PV, BV cents, day, from a customer)
LINES = [
    (A, 100, 10_000, 1001, False),
    (B, 100, 10_000, 1002, False),
    (C, 90, 9_000, 1003, False),
    (D, 50, 5_000, 1004, True),
    (E, 100, 10_000, 1005, True),
    (F, 200, 20_000, 1006, False),
    (G, 500, 45_000, 1007, True),  # BV 450.00 for 500 PV
    (H, 100, 10_000, 1008, False),
    (I, 500, 50_000, 1003, True),
    (I, -100, -10_000, 1020, True),  # a refund (clawback line): I nets PV 400, BV 400.00
    (J, 100, 10_000, 1009, False),
    (K, 500, 50_000, 1010, True),
    (L, 400, 40_000, 1015, True),  # inside L's fast-start window [990, 1020)
    (L, 200, 20_010, 1025, False),  # outside it; L nets BV 600.10
    (M, 80, 8_000, 1011, False),  # inside M's window [1010, 1040)
    (N, 100, 10_000, 1010, False),  # inside N's window, but N's sponsor M is inactive
    (O, 50, 5_000, 1012, False),
]
# company BV = 10000+10000+9000+5000+10000+20000+45000+10000+40000+10000+50000+60010+8000+10000+5000 = 302010


def fixture_plan(**overrides):
    values = {
        "min_pv": 100.0,
        "compression": True,
        "level_rates": (0.10, 0.05, 0.04),
        "ranks": (
            # Member: no requirement, pays level 1
            RankRule(paid_levels=1),
            # Bronze: PV 100, GV 500 (no cap), pays levels 1-2, 1 matching generation, bonus 100.00
            RankRule(min_pv=100, min_gv=500, paid_levels=2, matching_generations=1, advancement_bonus_cents=10_000),
            # Silver: PV 100, GV 1000 with each leg capped at 0.4 x 1000 = 400, two legs holding a Bronze or
            # better, pays levels 1-3, 2 matching generations, bonus 250.00
            RankRule(
                min_pv=100,
                min_gv=1000,
                max_leg_share=0.4,
                min_legs=2,
                leg_rank=1,
                paid_levels=3,
                matching_generations=2,
                advancement_bonus_cents=25_000,
            ),
        ),
        "fast_start_rate": 0.20,
        "fast_start_days": 30,
        "matching_rates": (0.10, 0.05),
        "pool_rate": 0.01,
        "pool_min_rank": 2,
        "threshold_cents": 2_000,
        "compliance_share": None,
    }
    values.update(overrides)
    return PlanSpec(**values)


def fixture_inputs(carried=None):
    carried = carried or {I: 1_600, N: 300}
    return PeriodInputs(
        SPONSOR,
        STATUS,
        COEFFICIENT,
        JOIN_DAY,
        HIGHEST,
        [carried.get(i, 0) for i in range(15)],
        [x[0] for x in LINES],
        [x[1] for x in LINES],
        [x[2] for x in LINES],
        [x[3] for x in LINES],
        [x[4] for x in LINES],
    )


def named_rows(result, bonus_type):
    """Rows of one bonus type as sorted (beneficiary, source, level, compressed level, amount) tuples."""
    rows = result.rows
    mask = rows["bonus_type"] == bonus_type
    out = []
    for ben, src, lvl, clvl, amount in zip(
        rows["beneficiary"][mask].tolist(),
        rows["source"][mask].tolist(),
        rows["level"][mask].tolist(),
        rows["compressed_level"][mask].tolist(),
        rows["amount_cents"][mask].tolist(),
        strict=True,
    ):
        out.append((NAMES[ben], NAMES[src] if src >= 0 else "-", lvl, clvl, amount))
    return sorted(out)


def by_name(values):
    return {NAMES[i]: v for i, v in enumerate(values.tolist()) if v}


class TestEngineFixture(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.on = compute_period(fixture_inputs(), fixture_plan())
        cls.off = compute_period(fixture_inputs(), fixture_plan(compression=False))

    def test_volumes_and_activity(self):
        res = self.on
        self.assertEqual(
            by_name(res.pv),
            {
                "A": 100,
                "B": 100,
                "C": 90,
                "D": 50,
                "E": 100,
                "F": 200,
                "G": 500,
                "H": 100,
                "I": 400,
                "J": 100,
                "K": 500,
                "L": 600,
                "M": 80,
                "N": 100,
                "O": 50,
            },
        )
        # GV bottom-up, inactive distributors included:
        # O 50; I 400+50=450; E 100+450=550; G 500; H 100; D 50+500+100=650; B 100+650+550=1300;
        # L 600; J 100+600=700; K 500; F 200+700+500=1400; C 90+1400=1490; N 100; M 80+100=180;
        # A 100+1300+1490+180=3070
        self.assertEqual(
            by_name(res.gv),
            {
                "A": 3070,
                "B": 1300,
                "C": 1490,
                "D": 650,
                "E": 550,
                "F": 1400,
                "G": 500,
                "H": 100,
                "I": 450,
                "J": 700,
                "K": 500,
                "L": 600,
                "M": 180,
                "N": 100,
                "O": 50,
            },
        )
        inactive = {NAMES[i] for i in np.flatnonzero(~res.active)}
        self.assertEqual(inactive, {"C", "D", "H", "M", "O"})
        self.assertEqual(by_name(res.bv_cents)["L"], 60_010)

    def test_paid_ranks(self):
        # Bronze (PV >= 100, GV >= 500): A, B, E (GV 550), F, G (500), J, K (500), L (600);
        #   not C (PV 90), D (PV 50), H (GV 100), I (GV 450), M, N, O.
        # Silver (cap 400 per leg, 2 legs holding Bronze+):
        #   F: 200 + min(700, 400) + min(500, 400) = 1000 >= 1000; legs J and K are Bronze -> Silver.
        #   B: raw GV 1300 but capped 100 + min(650, 400) + min(550, 400) = 900 < 1000 -> the cap bites, Bronze;
        #      (its legs would do: D's leg holds G, a Bronze below the inactive D, and E is Bronze).
        #   A: 100 + min(1300, 400) + min(1490, 400) + min(180, 400) = 1080; legs: B (Bronze) and C's leg, where
        #      C is rank 0 but F (Silver), J, K, L below it are Bronze+: 2 legs -> Silver.
        #   J: 100 + 400 = 500, E: 100 + 400 = 500 -> no.
        expected = {"A": 2, "B": 1, "E": 1, "F": 2, "G": 1, "J": 1, "K": 1, "L": 1}
        self.assertEqual(by_name(self.on.paid_rank), expected)
        self.assertEqual(by_name(self.off.paid_rank), expected)
        # highest rank ever: max(old, paid); G keeps its old Silver, the rank-0 ones move from none to 0,
        # except H, whose status is not active: a rank reached while not active is not "highest ever" (stays -1)
        self.assertEqual(self.on.new_highest_rank.tolist(), [2, 1, 0, 0, 1, 2, 2, -1, 0, 1, 1, 1, 0, 0, 0])
        # legs passing the paid rank's leg test: A's and F's two Bronze+ legs (A's M leg does not count)
        self.assertEqual(int(self.on.legs_qualified[A]), 2)
        self.assertEqual(int(self.on.legs_qualified[F]), 2)
        self.assertEqual(int(self.on.leg_count[A]), 3)

    def test_fixed_ranks(self):
        # fixed_rank (what-if tools keeping today's ranks): no rank test is evaluated, not even the leg tests;
        # the unilevel then pays each beneficiary's paid levels of the fixed rank
        fixed = [0] * 15
        fixed[B], fixed[C] = 2, 1  # B would be Bronze (the cap bites) and C rank 0 by the rules
        base = fixture_inputs()
        inputs = PeriodInputs(
            **{name: getattr(base, name) for name, _dtype in PeriodInputs.DIST_FIELDS + PeriodInputs.LINE_FIELDS},
            fixed_rank=fixed,
        )
        res = compute_period(inputs, fixture_plan())
        self.assertEqual(by_name(res.paid_rank), {"B": 2, "C": 1})
        self.assertEqual(by_name(res.pv), by_name(self.on.pv))  # volumes are still the period's
        with self.assertRaises(ValueError):
            compute_period(
                PeriodInputs(
                    **{
                        name: getattr(base, name)
                        for name, _dtype in PeriodInputs.DIST_FIELDS + PeriodInputs.LINE_FIELDS
                    },
                    fixed_rank=[9] * 15,
                ),
                fixture_plan(),
            )

    def test_rank_detail(self):
        # Silver for B: PV 100 ok; capped GV 100 + 400 + 400 = 900 < 1000; legs holding a Bronze+: D's (G) and E's
        silver = self.on.rank_detail(2)
        self.assertEqual(
            [silver[k][B].item() for k in ("pv_ok", "capped_gv", "gv_ok", "legs_holding", "legs_ok", "qualifies")],
            [True, 900.0, False, 2, True, False],
        )
        # A: 1080 and 2 legs (B's and C's); F: 1000 exactly and 2 legs; J: 500 and 1 leg (L)
        self.assertEqual(silver["capped_gv"][[A, F, J]].tolist(), [1080.0, 1000.0, 500.0])
        self.assertEqual(silver["legs_holding"][[A, F, J]].tolist(), [2, 2, 1])
        self.assertEqual({NAMES[i] for i in np.flatnonzero(silver["qualifies"])}, {"A", "F"})
        self.assertTrue(self.on.rank_detail(0)["qualifies"].all())

    def test_unilevel_compressed(self):
        # Rates 10 %, 5 %, 4 %; Member pays level 1, Bronze 1-2, Silver 1-3. With compression the inactive C, D,
        # M, H, O are skipped and do not use up a level. Tuples: (earner, source, tree distance, paid level, cents).
        expected = [
            ("A", "B", 1, 1, 1_000),  # 10 % x 10000
            ("A", "C", 1, 1, 900),  # 10 % x 9000 (an inactive source still pays its upline)
            ("B", "D", 1, 1, 500),
            ("A", "D", 2, 2, 250),  # 10 % / 5 % x 5000
            ("B", "E", 1, 1, 1_000),
            ("A", "E", 2, 2, 500),
            ("A", "F", 2, 1, 2_000),  # C skipped: A is F's level 1, 10 % x 20000
            ("B", "G", 2, 1, 4_500),
            ("A", "G", 3, 2, 2_250),  # D skipped: 10 % / 5 % x 45000
            ("B", "H", 2, 1, 1_000),
            ("A", "H", 3, 2, 500),
            ("E", "I", 1, 1, 4_000),
            ("B", "I", 2, 2, 2_000),
            ("A", "I", 3, 3, 1_600),  # net BV 40000
            ("F", "J", 1, 1, 1_000),
            ("A", "J", 3, 2, 500),
            ("F", "K", 1, 1, 5_000),
            ("A", "K", 3, 2, 2_500),
            # L's BV 60010: J 10 % = 6001 x coefficient 1.5 = 9001.5 -> 9002 (half up); F 5 % = 3000.5 -> 3001;
            # A (C skipped, level 3) 4 % = 2400.4 -> 2400
            ("J", "L", 1, 1, 9_002),
            ("F", "L", 2, 2, 3_001),
            ("A", "L", 4, 3, 2_400),
            ("A", "M", 1, 1, 800),
            ("A", "N", 2, 1, 1_000),  # M skipped
            # O: I (rank 0, level 1) 500, E (Bronze, level 2) 250; B is level 3 but Bronze pays only 2 levels:
            # it uses up level 3 and A gets nothing
            ("I", "O", 1, 1, 500),
            ("E", "O", 2, 2, 250),
        ]
        self.assertEqual(named_rows(self.on, BONUS_UNILEVEL), sorted(expected))
        # totals: A 1000+900+250+500+2000+2250+500+1600+500+2500+2400+800+1000 = 16200;
        # B 500+1000+4500+1000+2000 = 9000; E 4000+250 = 4250; F 1000+5000+3001 = 9001; I 500; J 9002
        self.assertEqual(
            by_name(self.on.unilevel_cents), {"A": 16_200, "B": 9_000, "E": 4_250, "F": 9_001, "I": 500, "J": 9_002}
        )

    def test_unilevel_uncompressed(self):
        # Without compression every ancestor uses up its level; an inactive one earns nothing there.
        expected = [
            ("A", "B", 1, 1, 1_000),
            ("A", "C", 1, 1, 900),
            ("B", "D", 1, 1, 500),
            ("A", "D", 2, 2, 250),
            ("B", "E", 1, 1, 1_000),
            ("A", "E", 2, 2, 500),
            ("A", "F", 2, 2, 1_000),  # C inactive at level 1; A at level 2: 5 % x 20000
            ("B", "G", 2, 2, 2_250),
            ("A", "G", 3, 3, 1_800),  # 5 % / 4 % x 45000
            ("B", "H", 2, 2, 500),
            ("A", "H", 3, 3, 400),
            ("E", "I", 1, 1, 4_000),
            ("B", "I", 2, 2, 2_000),
            ("A", "I", 3, 3, 1_600),
            ("F", "J", 1, 1, 1_000),
            ("A", "J", 3, 3, 400),  # C uses level 2
            ("F", "K", 1, 1, 5_000),
            ("A", "K", 3, 3, 2_000),
            ("J", "L", 1, 1, 9_002),
            ("F", "L", 2, 2, 3_001),  # C is level 3: A is out of reach
            ("A", "M", 1, 1, 800),
            ("A", "N", 2, 2, 500),  # M inactive at level 1
            ("I", "O", 1, 1, 500),
            ("E", "O", 2, 2, 250),
        ]
        self.assertEqual(named_rows(self.off, BONUS_UNILEVEL), sorted(expected))
        # A 1000+900+250+500+1000+1800+400+1600+400+2000+800+500 = 11150; B 500+1000+2250+500+2000 = 6250
        self.assertEqual(
            by_name(self.off.unilevel_cents), {"A": 11_150, "B": 6_250, "E": 4_250, "F": 9_001, "I": 500, "J": 9_002}
        )

    def test_fast_start(self):
        # 20 % of a recruit's BV dated in its first 30 days, to an active sponsor:
        # J from L: only the day-1015 line (40000) is inside [990, 1020): 8000 x 1.5 = 12000;
        # A from M: 20 % x 8000 = 1600 (M itself being inactive does not matter);
        # N's line is inside its window but its sponsor M is inactive: nothing; the old joiners: nothing.
        expected = [("A", "M", 1, 1, 1_600), ("J", "L", 1, 1, 12_000)]
        self.assertEqual(named_rows(self.on, BONUS_FAST_START), expected)
        self.assertEqual(named_rows(self.off, BONUS_FAST_START), expected)

    def test_rank_advancement(self):
        # A: highest Member(0) -> Silver(2): Bronze 10000 + Silver 25000, as two rows;
        # E: none -> Bronze: 10000; F: Bronze -> Silver: 25000; G paid Bronze below its old Silver: nothing.
        rows = self.on.rows
        mask = rows["bonus_type"] == BONUS_RANK_ADVANCEMENT
        got = sorted(
            zip(
                [NAMES[b] for b in rows["beneficiary"][mask]],
                rows["rank"][mask].tolist(),
                rows["amount_cents"][mask].tolist(),
                strict=True,
            )
        )
        self.assertEqual(got, [("A", 1, 10_000), ("A", 2, 25_000), ("E", 1, 10_000), ("F", 2, 25_000)])

    def test_matching(self):
        # 10 % / 5 % of the rounded unilevel earnings (after the source's own coefficient) of each active
        # distributor exactly 1 / 2 levels below, no compression; Bronze matches 1 generation, Silver 2.
        # Compressed: B -> A (g1): 10 % x 9000 = 900; E -> B (g1): 10 % x 4250 = 425, -> A (g2): 5 % x 4250 = 212.5
        # -> 213; F -> C inactive (g1), -> A (g2): 5 % x 9001 = 450.05 -> 450; I -> E (g1): 10 % x 500 = 50,
        # -> B (g2) but Bronze matches 1 generation only; J -> F (g1): 10 % x 9002 = 900.2 -> 900.
        self.assertEqual(
            named_rows(self.on, BONUS_MATCHING),
            sorted(
                [
                    ("A", "B", 1, 1, 900),
                    ("B", "E", 1, 1, 425),
                    ("A", "E", 2, 2, 213),
                    ("A", "F", 2, 2, 450),
                    ("E", "I", 1, 1, 50),
                    ("F", "J", 1, 1, 900),
                ]
            ),
        )
        # Uncompressed: B earned 6250 -> A 625; the rest as above.
        self.assertEqual(
            named_rows(self.off, BONUS_MATCHING),
            sorted(
                [
                    ("A", "B", 1, 1, 625),
                    ("B", "E", 1, 1, 425),
                    ("A", "E", 2, 2, 213),
                    ("A", "F", 2, 2, 450),
                    ("E", "I", 1, 1, 50),
                    ("F", "J", 1, 1, 900),
                ]
            ),
        )

    def test_pool(self):
        # 1 % of the company's BV 302010 = 3020.1 cents, shared by GV among Silvers A (3070) and F (1400):
        # A 3020.1 x 3070 / 4470 = 2074.207 -> 2074; F 3020.1 x 1400 / 4470 = 945.893 -> 946
        self.assertEqual(named_rows(self.on, BONUS_POOL), [("A", "-", 0, 0, 2_074), ("F", "-", 0, 0, 946)])

    def test_totals_threshold_and_carry(self):
        # Compressed totals: A 16200 + 1600 + 35000 + (900+213+450) + 2074 = 56437;
        # B 9000 + 425 = 9425; E 4250 + 10000 + 50 = 14300; F 9001 + 25000 + 900 + 946 = 35847;
        # I 500; J 9002 + 12000 = 21002
        res = self.on
        self.assertEqual(
            by_name(res.total_cents), {"A": 56_437, "B": 9_425, "E": 14_300, "F": 35_847, "I": 500, "J": 21_002}
        )
        # threshold 20.00: I's 500 plus its carried 1600 = 2100 >= 2000 is paid; N has only 300 carried: carried on
        self.assertEqual(
            by_name(res.payable_cents), {"A": 56_437, "B": 9_425, "E": 14_300, "F": 35_847, "I": 2_100, "J": 21_002}
        )
        self.assertEqual(by_name(res.carry_cents), {"N": 300})
        self.assertEqual(by_name(res.held_reason), {"N": HELD_THRESHOLD})
        # a statement total is the sum of its rounded rows
        self.assertEqual(int(res.rows["amount_cents"].sum()), 56_437 + 9_425 + 14_300 + 35_847 + 500 + 21_002)
        # uncompressed: A 11150 + 1600 + 35000 + (625+213+450) + 2074 = 51112; B 6250 + 425 = 6675
        self.assertEqual(
            by_name(self.off.total_cents), {"A": 51_112, "B": 6_675, "E": 14_300, "F": 35_847, "I": 500, "J": 21_002}
        )

    def test_threshold_without_carry(self):
        # Without the 1600 carried, I's 500 stays below 20.00 and is carried forward whole.
        res = compute_period(fixture_inputs(carried={N: 300}), fixture_plan())
        self.assertEqual(int(res.payable_cents[I]), 0)
        self.assertEqual(int(res.carry_cents[I]), 500)
        self.assertEqual(int(res.held_reason[I]), HELD_THRESHOLD)

    def test_compliance_gate(self):
        # 60 % of own + downline BV must come from customers. Customer BV: D 5000, E 10000, G 45000, I 40000,
        # K 50000, L 40000. J: 40000 of 70010 = 57 % < 60 % -> held; N: 0 of 10000 -> held (its carried 300);
        # A: 190000 of 302010 = 62.9 %, C: 90000 of 149010 = 60.4 %, F: 90000 of 140010 = 64.3 %,
        # B: 100000 of 125000, E: 50000 of 55000, I: 40000 of 45000 -> paid.
        res = compute_period(fixture_inputs(), fixture_plan(compliance_share=0.6))
        self.assertEqual(by_name(res.held_reason), {"J": HELD_COMPLIANCE, "N": HELD_COMPLIANCE})
        self.assertEqual(by_name(res.carry_cents), {"J": 21_002, "N": 300})
        self.assertEqual(by_name(res.payable_cents), {"A": 56_437, "B": 9_425, "E": 14_300, "F": 35_847, "I": 2_100})
        self.assertEqual(int(res.group_bv_cents[A]), 302_010)
        self.assertEqual(int(res.group_customer_bv_cents[A]), 190_000)

    def test_personal_coefficient_scales_everything(self):
        # Give A a coefficient of 1.1: unilevel 16200 -> rows 1100, 990, 275 (250 x 1.1), 550, 2200, 2475, 550,
        # 1760, 550, 2750, 2640 (2400.4 x 1.1 = 2640.44), 880, 1100 = 17820; fast start 1760; advancement
        # 11000 + 27500; matching 900 x 1.1 = 990, 212.5 x 1.1 = 233.75 -> 234, 450.05 x 1.1 = 495.055 -> 495,
        # together 1719; pool 2074.207 x 1.1 = 2281.63 -> 2282. Total 17820 + 1760 + 38500 + 1719 + 2282 = 62081.
        coefficient = list(COEFFICIENT)
        coefficient[A] = 1.1
        base = fixture_inputs()
        inputs = PeriodInputs(
            base.sponsor_idx,
            base.active_status,
            coefficient,
            base.join_day,
            base.highest_rank,
            base.carried_cents,
            base.line_dist,
            base.line_pv,
            base.line_bv_cents,
            base.line_day,
            base.line_customer,
        )
        res = compute_period(inputs, fixture_plan())
        self.assertEqual(int(res.unilevel_cents[A]), 17_820)
        self.assertEqual(int(res.total_cents[A]), 62_081)
        self.assertEqual(int(res.total_cents[F]), 35_847)  # nobody else changes


class TestEngineClawback(BaseCase):
    def test_refund_in_a_later_period(self):
        # Chain R <- X <- Y, all active statuses; rates 10 %, 5 %, every rank pays 2 levels; threshold 20.00.
        # Period 2: R and X buy 100 PV / 100.00 each; Y's earlier order is refunded: -300 PV, -300.00 BV.
        # X: 10 % x -30000 = -3000; R: 10 % x 10000 (from X) = 1000 and 5 % x -30000 = -1500.
        # R: total -500, nothing carried: a negative balance carried forward.
        # X: total -3000 + 5000 carried = 2000 >= 2000: paid 2000.
        plan = PlanSpec(min_pv=100, level_rates=(0.10, 0.05), ranks=(RankRule(paid_levels=2),), threshold_cents=2_000)
        inputs = PeriodInputs(
            [-1, 0, 1],
            [True] * 3,
            [1.0] * 3,
            [0] * 3,
            [0] * 3,
            [0, 5_000, 0],
            [0, 1, 2],
            [100, 100, -300],
            [10_000, 10_000, -30_000],
            [40, 40, 41],
            [False] * 3,
        )
        res = compute_period(inputs, plan)
        self.assertEqual(res.active.tolist(), [True, True, False])
        rows = sorted(
            zip(
                res.rows["beneficiary"].tolist(),
                res.rows["source"].tolist(),
                res.rows["amount_cents"].tolist(),
                strict=True,
            )
        )
        self.assertEqual(rows, [(0, 1, 1_000), (0, 2, -1_500), (1, 2, -3_000)])
        self.assertEqual(res.total_cents.tolist(), [-500, -3_000, 0])
        self.assertEqual(res.payable_cents.tolist(), [0, 2_000, 0])
        self.assertEqual(res.carry_cents.tolist(), [-500, 0, 0])
        self.assertEqual(res.held_reason.tolist(), [HELD_THRESHOLD, HELD_NONE, HELD_NONE])

    def test_round_half_up(self):
        # halves go away from zero, also when the binary product falls just short of the half
        self.assertEqual(
            round_half_up([50.5, -50.5, 0.5, -0.5, 1010 * 0.05, -1010 * 0.05, 2.4999]).tolist(),
            [51, -51, 1, -1, 51, -51, 2],
        )


class TestEngineStandingOrder(BaseCase):
    def test_customer_standing_orders_net_of_refunds(self):
        # R <- X, R <- Y (Y's status not active); rate 5 %, no PV requirement (nobody has 100 PV).
        # X: customers' autoships 90.00 - a refund of 30.00 = 60.00 -> 3.00; a customer's plain order (50.00) and
        #    X's own autoship (personal, 100.00) earn nothing. R: 10.10 -> 0.505 -> 0.51 (half-up). Y: nothing.
        plan = PlanSpec(min_pv=100, ranks=(RankRule(),), standing_order_rate=0.05)
        inputs = PeriodInputs(
            [-1, 0, 0],
            [True, True, False],
            [1.0] * 3,
            [0] * 3,
            [0] * 3,
            [0] * 3,
            [1, 1, 1, 1, 0, 2],
            [0.0] * 6,
            [9_000, -3_000, 5_000, 10_000, 1_010, 5_000],
            [40] * 6,
            [True, True, True, False, True, True],
            line_standing=[True, True, False, True, True, True],
        )
        res = compute_period(inputs, plan)
        rows = res.rows
        self.assertEqual(set(rows["bonus_type"].tolist()), {BONUS_STANDING_ORDER})
        self.assertEqual(
            sorted(
                zip(
                    rows["beneficiary"].tolist(),
                    rows["base_cents"].tolist(),
                    rows["amount_cents"].tolist(),
                    strict=True,
                )
            ),
            [(0, 1_010, 51), (1, 6_000, 300)],
        )
        self.assertEqual(rows["source"].tolist(), [-1, -1])
        self.assertEqual(res.total_cents.tolist(), [51, 300, 0])
        # off by default: no row
        self.assertEqual(compute_period(inputs, dataclasses.replace(plan, standing_order_rate=0.0)).row_count, 0)


class TestEngineTree(BaseCase):
    def test_depths_and_compression_pointers(self):
        # sponsors listed after their recruits on purpose: 3 <- 0 <- 2 <- 1, and 4 a root
        sponsor = np.array([3, 2, 0, -1, -1])
        self.assertEqual(depths(sponsor).tolist(), [1, 3, 2, 0, 0])
        active = np.array([True, True, False, False, True])
        # nearest active strict ancestor: 1 -> (2 inactive) -> 0; 0 -> (3 inactive) -> none
        self.assertEqual(nearest_ancestor_where(sponsor, active).tolist(), [-1, 0, 0, -1, -1])

    def test_long_chain(self):
        # a 5000-deep chain (0 <- 1 <- 2 ...) stored in reverse order, every third distributor active
        n = 5000
        order = np.arange(n)[::-1].copy()  # position p holds chain node order[p]
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n)
        sponsor = np.where(order > 0, position[np.maximum(order - 1, 0)], -1)
        self.assertEqual(depths(sponsor).tolist(), order.tolist())
        active = order % 3 == 0
        # nearest active strict ancestor of chain node c: the largest multiple of 3 below c
        expected_node = np.where(order > 0, ((order - 1) // 3) * 3, -1)
        expected = np.where(expected_node >= 0, position[np.maximum(expected_node, 0)], -1)
        self.assertEqual(nearest_ancestor_where(sponsor, active).tolist(), expected.tolist())

    def test_cycle_refused(self):
        with self.assertRaises(ValueError):
            depths(np.array([1, 2, 0]))
        with self.assertRaises(ValueError):
            PeriodInputs([0], [True], [1.0], [0], [-1], [0], [], [], [], [], [])

    def test_id_index(self):
        index = IdIndex([42, 7, 19])
        self.assertEqual(index.positions([19, 42, 5, 0, 7]).tolist(), [2, 0, -1, -1, 1])
        self.assertEqual(index.ids_of([1, -1, 2]).tolist(), [7, 0, 19])
        self.assertEqual(IdIndex([]).positions([3]).tolist(), [-1])
        self.assertEqual(index.positions([7, None, 42]).tolist(), [1, -1, 0])
        with self.assertRaises(ValueError):
            IdIndex([1, 1])

    def test_from_ids_and_days(self):
        # distributor ids 30 <- 10 <- 20 (10 sponsored by 30, 20 by 10); 30's sponsor 99 is not a distributor
        inputs, index = PeriodInputs.from_ids(
            [10, 20, 30],
            [30, 10, 99],
            [20, 20, 30],
            active_status=[True] * 3,
            coefficient=[1.0] * 3,
            join_day=ordinal_days([datetime.date(2026, 1, 5), "2026-02-01", None]),
            highest_rank=[-1] * 3,
            carried_cents=[0] * 3,
            line_pv=[100, 50, 100],
            line_bv_cents=[10_000, 5_000, 10_000],
            line_day=ordinal_days(["2026-02-03"] * 3),
            line_customer=[False] * 3,
        )
        self.assertEqual(inputs.sponsor_idx.tolist(), [2, 0, -1])
        self.assertEqual(inputs.line_dist.tolist(), [1, 1, 2])
        self.assertEqual(inputs.join_day.tolist(), [datetime.date(2026, 1, 5).toordinal(), 739_648, 0])
        self.assertEqual(datetime.date(2026, 2, 1).toordinal(), 739_648)
        self.assertEqual(index.ids_of([2, 0, -1]).tolist(), [30, 10, 0])
        with self.assertRaises(ValueError):
            PeriodInputs.from_ids([10], [0], [11], **{k: v[:1] for k, v in self.one_arrays().items()})

    @staticmethod
    def one_arrays():
        return {
            "active_status": [True],
            "coefficient": [1.0],
            "join_day": [0],
            "highest_rank": [-1],
            "carried_cents": [0],
            "line_pv": [1.0],
            "line_bv_cents": [100],
            "line_day": [0],
            "line_customer": [False],
        }

    def test_empty_period(self):
        res = compute_period(
            PeriodInputs([-1, 0], [True] * 2, [1.0] * 2, [0] * 2, [-1] * 2, [0] * 2, [], [], [], [], []), fixture_plan()
        )
        self.assertEqual(res.row_count, 0)
        self.assertEqual(res.total_cents.tolist(), [0, 0])
        self.assertEqual(res.paid_rank.tolist(), [0, 0])
        nobody = compute_period(PeriodInputs([], [], [], [], [], [], [], [], [], [], []), fixture_plan())
        self.assertEqual((nobody.row_count, len(nobody.total_cents)), (0, 0))


class FlatBonusEngine(CommissionEngine):
    """Another add-on's bonus type: 1.00 to every active distributor."""

    bonus_types = (*CommissionEngine.bonus_types, (9, "flat"))

    def _bonus_flat(self):
        who = np.flatnonzero(self.active)
        return self._make_rows(9, who, -1, 0, 0, self.paid_rank[who], 1.0, 100)


class TestEngineExtension(BaseCase):
    def test_added_bonus_type_and_stage_callback(self):
        stages = []
        res = compute_period(
            fixture_inputs(),
            fixture_plan(),
            engine_class=FlatBonusEngine,
            on_stage=lambda name, seconds: stages.append(name),
        )
        flat = res.rows["bonus_type"] == 9
        # 10 active distributors; J's coefficient 1.5 makes its row 150
        self.assertEqual(int(flat.sum()), 10)
        self.assertEqual(int(res.rows["amount_cents"][flat].sum()), 9 * 100 + 150)
        self.assertEqual(int(res.total_cents[B]), 9_425 + 100)
        self.assertEqual(stages[-2:], ["flat", "totals"])
        self.assertIn("unilevel", res.timings)


class TestEngineWhoMayEarn(BaseCase):
    """Issue 13 point 3: a distributor whose status is not active earns nothing; their volume still counts.

    Chain P <- T <- K. T is terminated (status not active) but has PV 100 and GV 600 (Bronze by volume).
    Plan: min PV 100, compression on, unilevel 10 % / 5 %; Member pays 1 level, Bronze (PV 100, GV 500) pays
    2 levels with an advancement bonus of 100.00; pool 1 % of company BV among Bronze and above.
    Volumes: P 100 PV / 100.00 BV, T 100 / 100.00, K 500 / 500.00 -> GV K 500, T 600, P 700: all three Bronze.
    Highest rank before: P Bronze, T Member, K Bronze (so only T could earn an advancement).
    """

    P, T, K = 0, 1, 2
    PLAN = PlanSpec(
        min_pv=100,
        compression=True,
        level_rates=(0.10, 0.05),
        ranks=(
            RankRule(paid_levels=1),
            RankRule(min_pv=100, min_gv=500, paid_levels=2, advancement_bonus_cents=10_000),
        ),
        pool_rate=0.01,
        pool_min_rank=1,
    )

    def _run(self, t_status, compression=True):
        inputs = PeriodInputs(
            [-1, 0, 1],
            [True, t_status, True],
            [1.0] * 3,
            [0] * 3,
            [1, 0, 1],
            [0] * 3,
            [0, 1, 2],
            [100, 100, 500],
            [10_000, 10_000, 50_000],
            [10, 10, 10],
            [False] * 3,
        )
        plan = self.PLAN if compression else dataclasses.replace(self.PLAN, compression=False)
        return compute_period(inputs, plan)

    def _rows(self, res):
        rows = res.rows
        return sorted(
            zip(
                rows["bonus_type"].tolist(),
                rows["beneficiary"].tolist(),
                rows["source"].tolist(),
                rows["amount_cents"].tolist(),
                strict=True,
            )
        )

    def test_terminated_earns_nothing_volume_counts(self):
        res = self._run(t_status=False)
        # volume still counts: GV 500 / 600 / 700, and T's rank is Bronze by volume
        self.assertEqual(res.gv.tolist(), [700.0, 600.0, 500.0])
        self.assertEqual(res.paid_rank.tolist(), [1, 1, 1])
        # unilevel, compressed: T is skipped like a non-qualified distributor: K's 500.00 -> P at level 1: 50.00;
        # T's 100.00 -> P level 1: 10.00. Pool: 1 % x 700.00 = 700 cents shared by GV among P (700) and K (500)
        # only: P 700 x 700 / 1200 = 408.33 -> 408, K 700 x 500 / 1200 = 291.67 -> 292. No advancement for T
        # (it would be 100.00 if T's status were active).
        self.assertEqual(
            self._rows(res),
            [
                (BONUS_UNILEVEL, self.P, self.T, 1_000),
                (BONUS_UNILEVEL, self.P, self.K, 5_000),
                (BONUS_POOL, self.P, -1, 408),
                (BONUS_POOL, self.K, -1, 292),
            ],
        )
        self.assertEqual(res.total_cents.tolist(), [6_408, 0, 292])
        # Bronze reached while terminated is not "highest ever": T stays Member
        self.assertEqual(res.new_highest_rank.tolist(), [1, 0, 1])

    def test_uncompressed_inactive_level_is_used_up(self):
        res = self._run(t_status=False, compression=False)
        # without compression T holds K's level 1 and earns nothing; P is K's level 2: 5 % x 500.00 = 25.00
        uni = [r for r in self._rows(res) if r[0] == BONUS_UNILEVEL]
        self.assertEqual(uni, [(BONUS_UNILEVEL, self.P, self.T, 1_000), (BONUS_UNILEVEL, self.P, self.K, 2_500)])

    def test_active_again_earns_the_advancement_then(self):
        res = self._run(t_status=True)
        # T active: advancement 100.00 (Member -> Bronze), new highest Bronze, and a pool share
        # 700 x 600 / 1800 = 233.33 -> 233 (P 700 x 700 / 1800 = 272.22 -> 272, K 194.44 -> 194)
        adv = [r for r in self._rows(res) if r[0] == BONUS_RANK_ADVANCEMENT]
        self.assertEqual(adv, [(BONUS_RANK_ADVANCEMENT, self.T, -1, 10_000)])
        pool = [r for r in self._rows(res) if r[0] == BONUS_POOL]
        self.assertEqual(
            pool, [(BONUS_POOL, self.P, -1, 272), (BONUS_POOL, self.T, -1, 233), (BONUS_POOL, self.K, -1, 194)]
        )
        self.assertEqual(res.new_highest_rank.tolist(), [1, 1, 1])


class TestEngineComplianceZeroBV(BaseCase):
    """Issue 13 point 5: no or negative group BV fails the compliance gate (never "0 >= 20 % x 0")."""

    def test_zero_and_negative_group_bv_held(self):
        # P <- L0, P <- Ln. Gate 20 %. P: customer BV 500.00 of 500.00 + (-50.00) = 450.00 -> compliant.
        # L0: no volume, 30.00 carried in: group BV 0 -> held (compliance), carried 30.00 forward.
        # Ln: a -50.00 refund of its own (not customer) volume, 40.00 carried in: group BV -50.00 -> held.
        plan = PlanSpec(min_pv=0, ranks=(RankRule(),), compliance_share=0.2)
        inputs = PeriodInputs(
            [-1, 0, 0],
            [True] * 3,
            [1.0] * 3,
            [0] * 3,
            [0] * 3,
            [0, 3_000, 4_000],
            [0, 2],
            [500, -50],
            [50_000, -5_000],
            [10, 10],
            [True, False],
        )
        res = compute_period(inputs, plan)
        self.assertEqual(res.group_bv_cents.tolist(), [45_000, 0, -5_000])
        self.assertEqual(res.held_reason.tolist(), [HELD_NONE, HELD_COMPLIANCE, HELD_COMPLIANCE])
        self.assertEqual(res.carry_cents.tolist(), [0, 3_000, 4_000])
        self.assertEqual(res.payable_cents.tolist(), [0, 0, 0])
