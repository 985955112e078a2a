"""The incremental projection state against full engine runs, on random networks and random new lines."""

import dataclasses
import random

import numpy as np

from odoo.tests.common import BaseCase

from odoo.addons.mlm_commission.engine import PlanSpec, RankRule, compute_period
from odoo.addons.mlm_commission.engine.projection import ProjectionState

from .test_engine_random import random_case, to_inputs


def full_figures(result, d):
    """What a full run gives distributor ``d``: (pv, gv, active, paid rank, legs qualified, {bonus: cents}, total)."""
    rows = result.rows
    mine = rows["beneficiary"] == d
    bonuses = {}
    for code, cents in zip(rows["bonus_type"][mine], rows["amount_cents"][mine], strict=True):
        bonuses[int(code)] = bonuses.get(int(code), 0) + int(cents)
    return (
        float(result.pv[d]),
        float(result.gv[d]),
        bool(result.active[d]),
        int(result.paid_rank[d]),
        int(result.legs_qualified[d]),
        bonuses,
        int(result.total_cents[d]),
    )


def state_figures(values):
    return (
        values["pv"],
        values["gv"],
        values["active"],
        values["paid_rank"],
        values["legs_qualified"],
        values["earnings_cents"],
        values["total_cents"],
    )


class TestProjectionState(BaseCase):
    def _check(self, state, inp, plan, msg):
        full = compute_period(to_inputs(inp), plan)
        for d in range(len(inp["sponsor"])):
            self.assertEqual(state_figures(state.values(d)), full_figures(full, d), f"{msg}, distributor {d}")
            legs = sorted(state.values(d)["legs"])
            want = sorted((int(c), float(full.gv[c])) for c in np.flatnonzero(full.sponsor_idx == d))
            self.assertEqual(legs, want, f"{msg}, legs of {d}")

    def test_new_lines_give_the_full_run_figures(self):
        """Start from a full run, add random lines one batch at a time: every distributor's figures equal a new
        full run's (ranks moving up and down, activity flipping, clawbacks, fast-start windows, pool shares)."""
        rng = random.Random(11)
        for case in range(120):
            inp, plan = random_case(rng)
            n = len(inp["sponsor"])
            inputs = to_inputs(inp)
            state = ProjectionState(inputs, plan, compute_period(inputs, plan))
            self._check(state, inp, plan, f"case {case} start")
            for batch in range(3):
                new = []
                for _ in range(rng.randint(1, 4)):
                    p = rng.choice([-150, -60, 20, 50, 80, 100, 300])
                    new.append((rng.randrange(n), p, p * 100 + rng.randint(-99, 99), rng.randint(0, 39), False))
                inp["lines"] = inp["lines"] + new
                state.apply([x[0] for x in new], [x[1] for x in new], [x[2] for x in new], [x[3] for x in new])
                self._check(state, inp, plan, f"case {case} batch {batch}")

    def test_genealogy_changes_give_the_full_run_figures(self):
        """New distributors (leaves, new roots), status, coefficient and highest-rank changes, mixed with new lines."""
        rng = random.Random(23)
        for case in range(100):
            inp, plan = random_case(rng)
            inputs = to_inputs(inp)
            state = ProjectionState(inputs, plan, compute_period(inputs, plan))
            for step in range(4):
                n = len(inp["sponsor"])
                kind = rng.choice(["leaf", "leaf", "status", "coefficient", "highest"])
                if kind == "leaf":
                    sponsor = rng.randrange(n) if rng.random() < 0.9 else -1
                    values = (rng.random() < 0.8, rng.choice([1.0, 1.5]), rng.randint(0, 39), rng.randint(-1, 1))
                    for key, value in zip(("status", "coef", "join", "highest"), values, strict=True):
                        inp[key] = inp[key] + [value]
                    inp["sponsor"] = inp["sponsor"] + [sponsor]
                    inp["carried"] = inp["carried"] + [0]
                    self.assertEqual(state.add_leaf(sponsor, *values), n)
                    new = [(n, rng.choice([50, 120]), rng.randint(1_000, 9_000), rng.randint(0, 39), False)]
                    if rng.random() < 0.7:
                        inp["lines"] = inp["lines"] + new
                        state.apply([n], [new[0][1]], [new[0][2]], [new[0][3]])
                else:
                    x = rng.randrange(n)
                    if kind == "status":
                        inp["status"][x] = not inp["status"][x]
                    elif kind == "coefficient":
                        inp["coef"][x] = rng.choice([0.0, 1.0, 1.25, 2.0])
                    else:
                        inp["highest"][x] = rng.randint(-1, len(plan.ranks) - 1)
                    state.set_distributor(x, inp["status"][x], inp["coef"][x], inp["highest"][x])
                self._check(state, inp, plan, f"case {case} step {step} ({kind})")

    def test_copy_leaves_the_original(self):
        rng = random.Random(5)
        inp, plan = random_case(rng)
        while len(inp["sponsor"]) < 10:
            inp, plan = random_case(rng)
        inputs = to_inputs(inp)
        state = ProjectionState(inputs, plan, compute_period(inputs, plan))
        before = [state_figures(state.values(d)) for d in range(len(inp["sponsor"]))]
        private = state.duplicate()
        private.apply([0, 1, 2], [500.0, 500.0, 500.0], [90_000, 90_000, 90_000], [5, 5, 5])
        self.assertEqual([state_figures(state.values(d)) for d in range(len(inp["sponsor"]))], before)
        self.assertEqual(private.values(0)["pv"], state.values(0)["pv"] + 500.0)

    def test_rank_reached_far_above_the_new_line(self):
        """A line at the bottom of a chain lifts the root to a rank paying two levels instead of one: the root
        now also earns from level 2, five levels above the line (outside the levels the line itself pays)."""
        plan = PlanSpec(
            min_pv=0.0,
            compression=False,
            level_rates=(0.1, 0.05),
            ranks=(RankRule(paid_levels=1), RankRule(min_gv=1000.0, paid_levels=2)),
        )
        inp = {
            "sponsor": [-1, 0, 1, 2, 3, 4],
            "status": [True] * 6,
            "coef": [1.0] * 6,
            "join": [0] * 6,
            "highest": [-1] * 6,
            "carried": [0] * 6,
            "lines": [(d, 100.0, 10_000, 1, False) for d in range(6)],
        }
        inputs = to_inputs(inp)
        state = ProjectionState(inputs, plan, compute_period(inputs, plan))
        self.assertEqual((state.values(0)["paid_rank"], state.values(0)["total_cents"]), (0, 1_000))
        inp["lines"].append((5, 500.0, 0, 1, False))
        state.apply([5], [500.0], [0], [1])
        self.assertEqual((state.values(0)["paid_rank"], state.values(0)["total_cents"]), (1, 1_500))
        self._check(state, inp, plan, "chain")

    def test_standing_orders_give_the_full_run_figures(self):
        """The plan's standing-order rule (active with an autoship of >= N PV; a rank's PV met by it): standing PV
        switched on and off, mixed with new lines, gives a full run's figures."""
        rng = random.Random(31)
        for case in range(80):
            inp, plan = random_case(rng)
            ranks = tuple(dataclasses.replace(r, standing_counts=rng.random() < 0.5) for r in plan.ranks)
            plan = dataclasses.replace(plan, standing_min_pv=100.0, ranks=ranks)
            n = len(inp["sponsor"])
            inp["standing"] = [rng.choice([0.0, 0.0, 80.0, 120.0]) for _ in range(n)]
            inputs = to_inputs(inp)
            state = ProjectionState(inputs, plan, compute_period(inputs, plan))
            self._check(state, inp, plan, f"case {case} start")
            for step in range(3):
                x = rng.randrange(n)
                inp["standing"][x] = 120.0 if inp["standing"][x] < 100 else 0.0
                state.set_distributor(x, inp["status"][x], inp["coef"][x], inp["highest"][x], inp["standing"][x])
                if rng.random() < 0.5:
                    new = (rng.randrange(n), rng.choice([-60, 50, 120]), rng.randint(1_000, 9_000), 5, False)
                    inp["lines"] = inp["lines"] + [new]
                    state.apply([new[0]], [new[1]], [new[2]], [new[3]])
                self._check(state, inp, plan, f"case {case} step {step}")
