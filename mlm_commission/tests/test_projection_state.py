"""The shared projection's stored figures and pending lines against full engine runs, on random networks."""

import random

import numpy as np

from odoo.tests.common import BaseCase

from odoo.addons.mlm_commission.engine import PlanSpec, RankRule, compute_period
from odoo.addons.mlm_commission.engine.projection import (
    earning_arrays,
    node_arrays,
    project_pending,
    stored_values,
)

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


def figures(values):
    return (
        values["pv"],
        values["gv"],
        values["active"],
        values["paid_rank"],
        values["legs_qualified"],
        values["earnings_cents"],
        values["total_cents"],
    )


class Stored:
    """What a fold stores for a random case (distributor id = engine index + 1), read as the model reads it."""

    def __init__(self, inp, plan):
        inputs = to_inputs(inp)
        self.plan = plan
        self.result = compute_period(inputs, plan)
        n = inputs.size
        ids = np.arange(1, n + 1, dtype=np.int64)
        nodes = node_arrays(inputs, plan, self.result, ids)
        self.slots = nodes.pop("slots")
        holding = nodes.pop("legs_holding")
        capped = nodes.pop("legs_capped")
        self.rows = {}
        for i in range(n):
            row = {name: values[i].item() for name, values in nodes.items()}
            row["legs_holding"] = [int(holding[s, i]) for s in range(len(self.slots))]
            row["legs_capped"] = [float(capped[r, i]) for r in range(len(capped))]
            self.rows[i + 1] = row
        earnings = earning_arrays(self.result, ids)
        self.earnings = {}
        for d, code, cents, count in zip(
            *(earnings[k] for k in ("distributor_id", "bonus_type", "cents", "row_count")), strict=True
        ):
            self.earnings.setdefault(int(d), {})[int(code)] = (int(cents), int(count))
        self.company_bv = int(self.result.bv_cents.sum())
        self.sponsor = inp["sponsor"]

    def path_of(self, x):
        path, i = [], x - 1
        while i >= 0:
            path.append(i + 1)
            i = self.sponsor[i]
        return path[::-1]

    def rows_of(self, ids, b):
        ids = set(ids)
        return {d: dict(row) for d, row in self.rows.items() if d in ids or row["sponsor_id"] == b}

    def members(self):
        plan = self.plan
        return {
            d: row["gv"] for d, row in self.rows.items() if row["paid"] >= plan.pool_min_rank and row["active_status"]
        }

    def kids(self, b):
        return sorted((d, row["gv"]) for d, row in self.rows.items() if row["sponsor_id"] == b)

    def stored(self, b):
        return stored_values(self.rows[b], self.slots, self.kids(b), self.earnings.get(b, {}))

    def pending(self, b, lines):
        return project_pending(
            self.plan,
            self.slots,
            b,
            [(x + 1, pv, bv, day) for x, pv, bv, day, _customer in lines],
            self.path_of,
            self.rows_of,
            self.earnings.get(b, {}),
            self.members,
            self.company_bv,
        )


class TestProjectionState(BaseCase):
    def _check_stored(self, stored, inp, msg):
        for d in range(len(inp["sponsor"])):
            values = stored.stored(d + 1)
            self.assertEqual(figures(values), full_figures(stored.result, d), f"{msg}, distributor {d}")
            want = sorted(
                (int(c) + 1, float(stored.result.gv[c])) for c in np.flatnonzero(stored.result.sponsor_idx == d)
            )
            self.assertEqual(sorted(values["legs"]), want, f"{msg}, legs of {d}")

    def test_stored_figures_are_the_full_run(self):
        rng = random.Random(3)
        for case in range(100):
            inp, plan = random_case(rng)
            self._check_stored(Stored(inp, plan), inp, f"case {case}")

    def test_pending_lines_give_the_full_run_figures(self):
        """Store a full run, add random lines: every answer of ``project_pending`` equals a new full run's figures
        (ranks moving, activity flipping far below, clawbacks, fast-start windows, pool shares); the answers it
        declines (a change the rows cannot follow) stay a minority."""
        rng = random.Random(11)
        answered = declined = 0
        for case in range(150):
            inp, plan = random_case(rng)
            stored = Stored(inp, plan)
            n = len(inp["sponsor"])
            pending = []
            for _ in range(rng.randint(1, 4)):
                p = rng.choice([-150, -60, 20, 50, 80, 100, 300])
                pending.append((rng.randrange(n), p, p * 100 + rng.randint(-99, 99), rng.randint(0, 39), False))
            after = compute_period(to_inputs(dict(inp, lines=inp["lines"] + pending)), plan)
            for d in range(n):
                values = stored.pending(d + 1, pending)
                if values is None:
                    declined += 1
                    continue
                answered += 1
                msg = f"case {case}, distributor {d}, lines {pending}"
                self.assertEqual(figures(values), full_figures(after, d), msg)
                want = sorted((int(c) + 1, float(after.gv[c])) for c in np.flatnonzero(after.sponsor_idx == d))
                self.assertEqual(sorted(values["legs"]), want, msg)
        self.assertGreater(answered, 3 * declined, (answered, declined))

    def test_rank_reached_far_above_the_new_line(self):
        """A line at the bottom of a chain lifts the root to a rank paying two levels instead of one: the rows
        cannot follow (the root's whole unilevel moves), so the shared state declines; a line that keeps the ranks
        is applied."""
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
        stored = Stored(inp, plan)
        self.assertEqual((stored.stored(1)["paid_rank"], stored.stored(1)["total_cents"]), (0, 1_000))
        self.assertIsNone(stored.pending(1, [(5, 500.0, 0, 1, False)]))
        small = [(1, 10.0, 5_000, 1, False)]
        values = stored.pending(1, small)
        self.assertEqual((values["paid_rank"], values["gv"], values["total_cents"]), (0, 610.0, 1_500))
