"""The commission engine: one period of one plan, on numpy arrays.

Implements the reference semantics of the default plan (docs/ENGINE.md). Every
step is vectorised: tree aggregates run level by level (bottom-up over depths),
the unilevel and matching walks run as one vectorised step per level over all
sources at once, compression is a "nearest active ancestor" array built by
pointer jumping. Ledger lines are summed per distributor before any walk, so the
walks are per (source distributor, level), never per ledger line.
"""

import time

import numpy as np

from . import spec
from .ranks import EPS, standing_qualifies, volume_tests
from .tree import DepthLevels, nearest_ancestor_where

# PV sums are rounded to this many decimals to drop binary float noise
# (0.1 + 0.2 != 0.3) before they are compared with the plan's minimums.
PV_DECIMALS = 6


def round_half_up(values):
    """Round float cents to whole cents, halves away from zero (Odoo's HALF-UP).

    The value is first rounded to 1e-6 cent so that a product such as
    1010 x 0.05 = 50.49999999999999 in binary still counts as the half it is.
    """
    values = np.round(np.asarray(values, dtype=np.float64), 6)
    return (np.sign(values) * np.floor(np.abs(values) + 0.5)).astype(np.int64)


def _empty_rows():
    return {name: np.zeros(0, dtype=dtype) for name, dtype in spec.ROW_FIELDS}


class CommissionEngine:
    """Computes one period. Subclass it to change a step or add a bonus type.

    ``bonus_types`` lists ``(code, name)`` pairs; each is computed by the method
    ``_bonus_<name>()``, which returns a dict of row arrays (see ``_make_rows``).
    Bonuses run in the listed order and may read the rows of earlier ones from
    ``self.bonus_rows`` (matching reads the unilevel rows).
    """

    bonus_types = (
        (spec.BONUS_UNILEVEL, "unilevel"),
        (spec.BONUS_FAST_START, "fast_start"),
        (spec.BONUS_RANK_ADVANCEMENT, "rank_advancement"),
        (spec.BONUS_MATCHING, "matching"),
        (spec.BONUS_POOL, "pool"),
        (spec.BONUS_STANDING_ORDER, "standing_order"),
    )

    def __init__(self, inputs, plan, on_stage=None):
        self.inputs = inputs
        self.plan = plan
        self.n = inputs.size
        self.on_stage = on_stage
        self.timings = {}
        self.bonus_rows = {}
        self.rounding_seconds = 0.0  # coefficient and rounding of the rows, inside the bonus stages

    # ------------------------------------------------------------------ driver
    def run(self):
        self._stage("volumes", self._compute_volumes)
        self._stage("group_volume", self._compute_group_volume)
        self._stage("ranks", self._compute_ranks)
        for code, name in self.bonus_types:
            self.bonus_rows[code] = self._stage(name, getattr(self, f"_bonus_{name}"))
        self._stage("totals", self._compute_totals)
        return self._result()

    def _stage(self, name, method):
        start = time.perf_counter()
        value = method()
        self.timings[name] = time.perf_counter() - start
        if self.on_stage:
            self.on_stage(name, self.timings[name])
        return value

    # ----------------------------------------------------------------- volumes
    def _compute_volumes(self):
        inp, n = self.inputs, self.n
        self.pv = np.round(np.bincount(inp.line_dist, weights=inp.line_pv, minlength=n), PV_DECIMALS)
        self.bv_cents = self._sum_cents(inp.line_dist, inp.line_bv_cents)
        self.customer_bv_cents = self._sum_cents(inp.line_dist[inp.line_customer], inp.line_bv_cents[inp.line_customer])
        self.standing = standing_qualifies(self.plan, inp.standing_pv)
        self.active = inp.active_status & ((self.pv >= self.plan.min_pv - EPS) | self.standing)

    def _sum_cents(self, index, cents):
        # float64 sums of integers are exact below 2**53 cents
        return np.rint(np.bincount(index, weights=cents, minlength=self.n)).astype(np.int64)

    def _compute_group_volume(self):
        self.tree = DepthLevels(self.inputs.sponsor_idx)
        self.gv = np.round(self.tree.subtree_sum(self.pv), PV_DECIMALS)
        sponsor = self.inputs.sponsor_idx
        self.leg_count = np.bincount(sponsor[sponsor >= 0], minlength=self.n).astype(np.int64)

    # ------------------------------------------------------------------- ranks
    def _rank_base_ok(self, r, rule):
        """Rank ``r``'s PV and capped-GV tests for every distributor at once."""
        pv_ok, _capped, gv_ok = volume_tests(self.pv, self.gv, self.inputs.sponsor_idx, rule, self.standing)
        return pv_ok & gv_ok

    def _compute_ranks(self):
        ranks = self.plan.ranks
        fixed = self.inputs.fixed_rank
        if fixed is not None:
            if len(fixed) and (fixed.min() < 0 or fixed.max() >= len(ranks)):
                raise ValueError("fixed_rank must hold ranks of the plan")
            base_ok = [fixed >= r for r in range(len(ranks))]
        else:
            base_ok = [np.ones(self.n, dtype=bool)]
            base_ok += [self._rank_base_ok(r, rule) for r, rule in enumerate(ranks) if r]
        self._ranks_bottom_up(base_ok, leg_tests=fixed is None)
        # a rank reached while the status is not active is not "highest ever" until earned while active
        status = self.inputs.active_status
        self.new_highest_rank = np.where(
            status, np.maximum(self.inputs.highest_rank, self.paid_rank), self.inputs.highest_rank
        ).astype(np.int64)

    def _ranks_bottom_up(self, base_ok, leg_tests=True):
        """Paid ranks that depend on the paid ranks inside each leg, deepest level first.

        ``leg_tests=False`` (fixed ranks): the paid rank is the highest rank whose ``base_ok`` holds; the legs'
        bookkeeping is still done, for the pay explanations."""
        ranks = self.plan.ranks
        n, sponsor = self.n, self.inputs.sponsor_idx
        thresholds = sorted({rule.leg_rank for rule in ranks})
        slot = {t: i for i, t in enumerate(thresholds)}
        # qualified_legs[i, d]: legs of d containing a paid rank >= thresholds[i]
        qualified_legs = np.zeros((len(thresholds), n), dtype=np.int64)
        best_below = np.full(n, -1, dtype=np.int64)  # highest paid rank strictly below d
        paid = np.zeros(n, dtype=np.int64)
        for nodes in self.tree.bottom_up(include_roots=True):
            level_paid = np.zeros(len(nodes), dtype=np.int64)
            for r in range(1, len(ranks)):
                rule = ranks[r]
                ok = base_ok[r][nodes]
                if leg_tests and rule.min_legs > 0:
                    ok &= qualified_legs[slot[rule.leg_rank], nodes] >= rule.min_legs
                level_paid[ok] = r
            paid[nodes] = level_paid
            best_in_leg = np.maximum(level_paid, best_below[nodes])
            has_sponsor = sponsor[nodes] >= 0
            up, best_in_leg = sponsor[nodes][has_sponsor], best_in_leg[has_sponsor]
            np.maximum.at(best_below, up, best_in_leg)
            for t, i in slot.items():
                # int64 values: ufunc.at takes its fast path only when the dtypes match (bool is ~25x slower)
                np.add.at(qualified_legs[i], up, (best_in_leg >= t).astype(np.int64))
        self.paid_rank = paid
        self.legs_holding, self.leg_slots = qualified_legs, slot
        # legs that pass the leg test of the paid rank (all legs when that rank names no leg rank)
        slot_of_rank = np.array([slot[rule.leg_rank] for rule in ranks], dtype=np.int64)
        self.legs_qualified = qualified_legs[slot_of_rank[paid], np.arange(n)]

    def _rank_attribute(self, name):
        """Per-distributor value of a RankRule attribute, through the paid rank."""
        return np.array([getattr(rule, name) for rule in self.plan.ranks], dtype=np.int64)[self.paid_rank]

    # -------------------------------------------------------------------- rows
    def _make_rows(self, bonus_type, beneficiary, source, level, compressed_level, rank, rate, base_cents):
        """Row arrays with the rounded amount; rows whose amount rounds to zero are dropped."""
        count = len(beneficiary)

        def full(value, dtype):
            arr = np.asarray(value, dtype=dtype)
            return np.full(count, arr, dtype=dtype) if arr.ndim == 0 else arr

        rate = full(rate, np.float64)
        base_cents = full(base_cents, np.int64)
        beneficiary = full(beneficiary, np.int64)
        start = time.perf_counter()
        amount = round_half_up(base_cents * rate * self.inputs.coefficient[beneficiary])
        self.rounding_seconds += time.perf_counter() - start
        keep = amount != 0
        return {
            "beneficiary": beneficiary[keep],
            "bonus_type": np.full(int(keep.sum()), bonus_type, dtype=np.int8),
            "source": full(source, np.int64)[keep],
            "level": full(level, np.int64)[keep],
            "compressed_level": full(compressed_level, np.int64)[keep],
            "rank": full(rank, np.int64)[keep],
            "rate": rate[keep],
            "base_cents": base_cents[keep],
            "amount_cents": amount[keep],
        }

    @staticmethod
    def _concat(parts):
        if not parts:
            return _empty_rows()
        return {name: np.concatenate([p[name] for p in parts]) for name, _dtype in spec.ROW_FIELDS}

    # ----------------------------------------------------------------- bonuses
    def _bonus_unilevel(self):
        """Per (source, level): the k-th (active, with compression) ancestor earns rate[k] of the source's net BV."""
        plan = self.plan
        rates = np.asarray(plan.level_rates, dtype=np.float64)
        if not len(rates):
            return _empty_rows()
        sponsor, depth = self.inputs.sponsor_idx, self.tree.depth
        step = nearest_ancestor_where(sponsor, self.active) if plan.compression else sponsor
        paid_levels = self._rank_attribute("paid_levels")
        source = np.flatnonzero(self.bv_cents != 0)
        ancestor = source
        sources, earners, levels = [], [], []  # the earning (source, ancestor, k) of every level, then one pass
        for k in range(1, len(rates) + 1):
            ancestor = step[ancestor]
            alive = ancestor >= 0
            source, ancestor = source[alive], ancestor[alive]
            if not len(source):
                break
            earns = self.active[ancestor] & (paid_levels[ancestor] >= k)
            sources.append(source[earns])
            earners.append(ancestor[earns])
            levels.append(np.full(int(earns.sum()), k, dtype=np.int64))
        if not sources:
            return _empty_rows()
        src, ben, level = np.concatenate(sources), np.concatenate(earners), np.concatenate(levels)
        del sources, earners, levels
        return self._make_rows(
            spec.BONUS_UNILEVEL,
            ben,
            src,
            depth[src] - depth[ben],
            level,
            self.paid_rank[ben],
            rates[level - 1],
            self.bv_cents[src],
        )

    def _bonus_fast_start(self):
        """The active sponsor earns a share of a recruit's BV dated in the recruit's first N days."""
        plan, inp = self.plan, self.inputs
        if not plan.fast_start_rate or not plan.fast_start_days:
            return _empty_rows()
        joined = inp.join_day[inp.line_dist]
        window = (inp.line_day >= joined) & (inp.line_day < joined + plan.fast_start_days)
        window_bv = self._sum_cents(inp.line_dist[window], inp.line_bv_cents[window])
        source = np.flatnonzero((window_bv != 0) & (inp.sponsor_idx >= 0))
        sponsor = inp.sponsor_idx[source]
        earns = self.active[sponsor]
        source, sponsor = source[earns], sponsor[earns]
        return self._make_rows(
            spec.BONUS_FAST_START,
            sponsor,
            source,
            1,
            1,
            self.paid_rank[sponsor],
            plan.fast_start_rate,
            window_bv[source],
        )

    def _bonus_rank_advancement(self):
        """The bonus of every rank above the highest rank ever, up to the paid rank, once (active status only)."""
        parts = []
        old = self.inputs.highest_rank
        status = self.inputs.active_status
        for r, rule in enumerate(self.plan.ranks):
            if not rule.advancement_bonus_cents:
                continue
            who = np.flatnonzero(status & (old < r) & (self.paid_rank >= r))
            parts.append(
                self._make_rows(spec.BONUS_RANK_ADVANCEMENT, who, -1, 0, 0, r, 1.0, rule.advancement_bonus_cents)
            )
        return self._concat(parts)

    def _bonus_matching(self):
        """m[g] of the rounded unilevel earnings of each active distributor exactly g levels below."""
        rates = np.asarray(self.plan.matching_rates, dtype=np.float64)
        earned = self._matching_earned() if len(rates) else None
        if earned is None:
            return _empty_rows()
        generations = self._rank_attribute("matching_generations")
        sponsor = self.inputs.sponsor_idx
        source = np.flatnonzero((earned != 0) & self.active)
        ancestor = source
        parts = []
        for g in range(1, len(rates) + 1):
            ancestor = sponsor[ancestor]
            alive = ancestor >= 0
            source, ancestor = source[alive], ancestor[alive]
            if not len(source):
                break
            earns = self.active[ancestor] & (generations[ancestor] >= g)
            src, ben = source[earns], ancestor[earns]
            parts.append(
                self._make_rows(spec.BONUS_MATCHING, ben, src, g, g, self.paid_rank[ben], rates[g - 1], earned[src])
            )
        return self._concat(parts)

    def _matching_earned(self):
        """Per distributor, the earnings matching is paid on: the rounded unilevel rows (None when none).

        A plan type paying matching on other bonuses (binary) overrides this."""
        unilevel = self.bonus_rows.get(spec.BONUS_UNILEVEL)
        if unilevel is None or not len(unilevel["beneficiary"]):
            return None
        return self._sum_cents(unilevel["beneficiary"], unilevel["amount_cents"])

    def _bonus_pool(self):
        """p% of the company's BV, shared by GV among paid rank >= the pool rank (active status only)."""
        plan = self.plan
        if not plan.pool_rate or plan.pool_min_rank is None:
            return _empty_rows()
        company_bv = int(self.bv_cents.sum())
        members = np.flatnonzero((self.paid_rank >= plan.pool_min_rank) & self.inputs.active_status)
        weight = np.maximum(self.gv[members], 0.0)
        total_weight = weight.sum()
        if company_bv <= 0 or total_weight <= 0:
            return _empty_rows()
        share = plan.pool_rate * weight / total_weight
        return self._make_rows(spec.BONUS_POOL, members, -1, 0, 0, self.paid_rank[members], share, company_bv)

    def _bonus_standing_order(self):
        """A share of the net customer BV of standing orders (customers' autoships) to the distributor it credits,
        as for every customer line; status active (not suspended), no PV requirement. Reversals (refunds) are
        standing lines with a negative BV: they claw the bonus back in the period they are dated in."""
        rate, inp = self.plan.standing_order_rate, self.inputs
        if not rate:
            return _empty_rows()
        mask = inp.line_customer & inp.line_standing
        base = self._sum_cents(inp.line_dist[mask], inp.line_bv_cents[mask])
        who = np.flatnonzero((base != 0) & inp.active_status)
        return self._make_rows(spec.BONUS_STANDING_ORDER, who, -1, 0, 0, self.paid_rank[who], rate, base[who])

    # ------------------------------------------------------------------ totals
    def _compute_totals(self):
        self.rows = self._concat([self.bonus_rows[code] for code, _name in self.bonus_types])
        rows, n = self.rows, self.n
        self.total_cents = self._sum_cents(rows["beneficiary"], rows["amount_cents"])
        uni = self.bonus_rows.get(spec.BONUS_UNILEVEL, _empty_rows())
        self.unilevel_cents = self._sum_cents(uni["beneficiary"], uni["amount_cents"])
        due = self.total_cents + self.inputs.carried_cents
        self.group_bv_cents = self.tree.subtree_sum(self.bv_cents)
        self.group_customer_bv_cents = self.tree.subtree_sum(self.customer_bv_cents)
        held = np.zeros(n, dtype=np.int8)
        share = self.plan.compliance_share
        if share is not None:
            # no (or a negative) group BV proves no customer volume: held, never "0 >= share x 0"
            compliant = (self.group_bv_cents > 0) & (self.group_customer_bv_cents >= share * self.group_bv_cents - 1e-6)
            held[(~compliant) & (due != 0)] = spec.HELD_COMPLIANCE
        below = (held == spec.HELD_NONE) & (due != 0) & (due < self.plan.threshold_cents)
        held[below] = spec.HELD_THRESHOLD
        self.held_reason = held
        self.carry_cents = np.where(held != spec.HELD_NONE, due, 0).astype(np.int64)
        self.payable_cents = np.where(held == spec.HELD_NONE, due, 0).astype(np.int64)

    def _result(self):
        names = (
            "pv",
            "bv_cents",
            "customer_bv_cents",
            "gv",
            "active",
            "paid_rank",
            "new_highest_rank",
            "leg_count",
            "legs_qualified",
            "group_bv_cents",
            "group_customer_bv_cents",
            "rows",
            "unilevel_cents",
            "total_cents",
            "payable_cents",
            "carry_cents",
            "held_reason",
            "standing",
        )
        result = spec.PeriodResult(**{name: getattr(self, name) for name in names})
        result.depth = self.tree.depth
        result.legs_holding, result.leg_slots = self.legs_holding, self.leg_slots
        result.plan, result.sponsor_idx = self.plan, self.inputs.sponsor_idx
        result.timings = dict(self.timings, rounding_in_bonuses=self.rounding_seconds)
        return result


def compute_period(inputs, plan, engine_class=CommissionEngine, on_stage=None):
    """Compute one period; ``on_stage(name, seconds)`` is called after each stage."""
    return engine_class(inputs, plan, on_stage=on_stage).run()
