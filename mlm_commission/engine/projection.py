"""Incremental real-time projection: one period's engine state kept in memory, moved forward line by line.

Plain Python + numpy, no Odoo import. :class:`ProjectionState` starts from a full :func:`compute_period` of the
whole company (the same inputs as a preview) and keeps, per distributor, what a projection needs: PV, BV, the BV
inside the fast-start window, activity, group volume, paid rank (with the leg-rank bookkeeping of the bottom-up
rank pass) and the unilevel earnings. A new ledger line of distributor ``x`` can only change:

- PV, activity and BV of ``x``;
- the group volume and therefore the paid rank of ``x`` and of its ancestors (the path to the root);
- the unilevel earnings of ``x`` (activity), of the ancestors that are at most L levels above ``x`` (its BV, and
  the compressed levels of everybody below ``x`` when its activity flips), and of the ancestors whose paid rank
  (paid levels) changed.

So :meth:`ProjectionState.apply` walks the path once (ranks recomputed from the children, bottom-up, as the engine
does) and recomputes the unilevel earnings of that handful of beneficiaries over their subtrees, which are
contiguous slices of a depth-first order. :meth:`ProjectionState.values` then computes the bonuses of one
distributor (unilevel, fast start, rank advancement, matching, leadership pool) with the engine's own formulas,
so every amount is the one a full run computes (tests compare them on every distributor).

A changed status, coefficient or highest rank (:meth:`~ProjectionState.set_distributor`) and a new distributor
without recruits (:meth:`~ProjectionState.add_leaf`) are applied the same way; any other change of the tree (a
move, a deletion) needs a new state.

:class:`ProjectionState` reproduces the default :class:`~.core.CommissionEngine`. An engine class a plan type
installs (``mlm.plan._get_engine_class``) gets :class:`EngineState` instead, with the same interface: the
period's inputs kept in memory and moved forward the same way, and that engine run again on them (no database
read) the first time a value is asked after a change, so its figures are always the preview's. A subclass that
keeps every step :class:`ProjectionState` reproduces may declare ``projection_state = ProjectionState`` in its
own class body to be projected incrementally (:func:`state_class_for`).
"""

import copy

import numpy as np

from . import spec as spec_mod
from .core import PV_DECIMALS, CommissionEngine, compute_period, round_half_up
from .ranks import EPS, standing_qualifies
from .tree import DepthLevels


def _preorder(sponsor, levels, size):
    """Position of every node in a depth-first preorder where each subtree is one contiguous slice."""
    n = len(sponsor)
    pos = np.zeros(n, dtype=np.int64)
    roots = levels.nodes_at(0) if n else np.zeros(0, dtype=np.int64)
    pos[roots] = np.concatenate(([0], np.cumsum(size[roots])[:-1])) if len(roots) else roots
    for depth in range(1, levels.max_depth + 1):
        nodes = levels.nodes_at(depth)
        nodes = nodes[np.argsort(sponsor[nodes], kind="stable")]
        parents = sponsor[nodes]
        ends = np.cumsum(size[nodes])
        starts = ends - size[nodes]
        first = np.concatenate(([True], parents[1:] != parents[:-1]))
        group_start = np.maximum.accumulate(np.where(first, starts, 0))
        pos[nodes] = pos[parents] + 1 + starts - group_start
    return pos


class ProjectionState:
    """The engine's per-distributor state of one period, updated by new ledger lines (see the module doc).

    ``inputs`` and ``plan`` are those of a full :func:`compute_period` run of the company, ``result`` its result
    (the default :class:`CommissionEngine`). Indexes are the engine's (the order of ``inputs``).
    """

    def __init__(self, inputs, plan, result, engine_class=None):
        self.plan = plan
        self.n = n = inputs.size
        self.sponsor = inputs.sponsor_idx.copy()
        self.active_status = inputs.active_status.copy()
        self.coefficient = inputs.coefficient.copy()
        self.join_day = inputs.join_day.copy()
        self.highest_rank = inputs.highest_rank.copy()
        self.standing_pv = inputs.standing_pv.copy()
        self.standing = standing_qualifies(plan, self.standing_pv)
        self.pv = result.pv.copy()
        self.gv_raw = result.gv.copy()
        self.gv = result.gv.copy()
        self.bv_cents = result.bv_cents.copy()
        self.active = result.active.copy()
        self.paid = result.paid_rank.copy()
        self.unilevel_cents = result.unilevel_cents.copy()
        self.company_bv_cents = int(self.bv_cents.sum())
        self.depth = result.depth.copy()
        window = self._in_window(inputs.line_dist, inputs.line_day)
        self.window_cents = np.rint(
            np.bincount(inputs.line_dist[window], weights=inputs.line_bv_cents[window], minlength=n)
        ).astype(np.int64)
        # ranks: thresholds of the leg-rank rule, legs holding each threshold, best paid rank below each node
        self.slots = result.leg_slots
        self.legs_holding = result.legs_holding.copy()
        self.slot_of_rank = np.array([self.slots[rule.leg_rank] for rule in plan.ranks], dtype=np.int64)
        self.paid_levels = np.array([rule.paid_levels for rule in plan.ranks], dtype=np.int64)
        self.generations = np.array([rule.matching_generations for rule in plan.ranks], dtype=np.int64)
        self.level_rates = np.asarray(plan.level_rates, dtype=np.float64)
        self.matching_rates = np.asarray(plan.matching_rates, dtype=np.float64)
        # tree: children in CSR form, a preorder (subtree = slice), active strict ancestors per node
        has_sponsor = np.flatnonzero(self.sponsor >= 0)
        self.children = has_sponsor[np.argsort(self.sponsor[has_sponsor], kind="stable")]
        counts = np.bincount(self.sponsor[has_sponsor], minlength=n)
        self.child_start = np.concatenate(([0], np.cumsum(counts)))
        levels = DepthLevels(self.sponsor)
        self.size = levels.subtree_sum(np.ones(n, dtype=np.int64))
        self.pos = _preorder(self.sponsor, levels, self.size)
        self.order = np.empty(n, dtype=np.int64)
        self.order[self.pos] = np.arange(n)
        self.best_in_leg = self._best_in_leg(levels)
        self.active_above = np.zeros(n, dtype=np.int64)  # active strict ancestors (the compressed depth)
        for depth in range(1, levels.max_depth + 1):
            nodes = levels.nodes_at(depth)
            up = self.sponsor[nodes]
            self.active_above[nodes] = self.active_above[up] + self.active[up]

    def duplicate(self):
        """A copy that can be moved forward without changing this state."""
        other = copy.copy(self)
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray):
                setattr(other, name, value.copy())
        return other

    # ------------------------------------------------------------------ helpers
    def _in_window(self, dist, day):
        days = self.plan.fast_start_days
        if not self.plan.fast_start_rate or not days:
            return np.zeros(len(dist), dtype=bool)
        joined = self.join_day[dist]
        return (day >= joined) & (day < joined + days)

    def _best_in_leg(self, levels):
        """max(paid rank of d, best paid rank below d): what d's leg shows to d's sponsor."""
        best = self.paid.copy()
        for nodes in levels.bottom_up():
            np.maximum.at(best, self.sponsor[nodes], best[nodes])
        return best

    def _kids(self, d):
        return self.children[self.child_start[d] : self.child_start[d + 1]]

    def subtree(self, d, include_self=False):
        """Engine indexes of d's downline (and d)."""
        start = self.pos[d] + (0 if include_self else 1)
        return self.order[start : self.pos[d] + self.size[d]]

    def path(self, d):
        """d and its ancestors, bottom-up."""
        nodes, sponsor = [], self.sponsor
        while d >= 0:
            nodes.append(int(d))
            d = sponsor[d]
        return nodes

    # ------------------------------------------------------------------ updates
    def apply(self, dist, pv, bv_cents, day, customer=None):
        """Add ledger lines (engine indexes of the credited distributors, PV, BV cents, ordinal day; the customer
        flag only moves the compliance gate, which the projection does not show)."""
        dist = np.asarray(dist, dtype=np.int64)
        if not len(dist):
            return
        pv = np.asarray(pv, dtype=np.float64)
        bv_cents = np.asarray(bv_cents, dtype=np.int64)
        window = self._in_window(dist, np.asarray(day, dtype=np.int64))
        touched, where = np.unique(dist, return_inverse=True)
        add_pv = np.bincount(where, weights=pv)
        add_bv = np.rint(np.bincount(where, weights=bv_cents)).astype(np.int64)
        add_window = np.rint(np.bincount(where[window], weights=bv_cents[window], minlength=len(touched)))
        for x, dpv, dbv, dwin in zip(touched, add_pv, add_bv, add_window.astype(np.int64), strict=True):
            self._apply_one(int(x), float(dpv), int(dbv), int(dwin))

    def _apply_one(self, x, dpv, dbv, dwin):
        self.bv_cents[x] += dbv
        self.window_cents[x] += dwin
        self.company_bv_cents += dbv
        old_pv = self.pv[x]
        self.pv[x] = np.round(old_pv + dpv, PV_DECIMALS)
        path = self.path(x)
        changed_rank = []
        if self.pv[x] != old_pv:
            self.gv_raw[path] += self.pv[x] - old_pv
            self.gv[path] = np.round(self.gv_raw[path], PV_DECIMALS)
            changed_rank = self._ranks_up(path)
        self._refresh(x, path, changed_rank)

    def _ranks_up(self, path):
        """Recompute the paid ranks along a path, bottom-up; returns the nodes whose rank changed."""
        changed = []
        for d in path:
            old = self.paid[d]
            self._rank_of(d)
            if self.paid[d] != old:
                changed.append(d)
        return changed

    def _refresh(self, x, path, changed_rank):
        """After x's PV, status or coefficient changed: its activity, the compressed depths below it and the
        unilevel earnings that may have moved (x, the ancestors up to L levels above it, re-ranked ancestors)."""
        plan = self.plan
        was_active = bool(self.active[x])
        self.active[x] = self.active_status[x] and (self.pv[x] >= plan.min_pv - EPS or self.standing[x])
        if bool(self.active[x]) != was_active and plan.compression:
            below = self.subtree(x)
            self.active_above[below] += 1 if self.active[x] else -1
        levels = len(self.level_rates)
        if plan.compression:
            near = [d for d in path[1:] if self.active_above[x] - self.active_above[d] <= levels]
        else:
            near = path[1 : levels + 1]
        for d in {x, *near, *changed_rank}:
            self.unilevel_cents[d] = self._unilevel(d)[0]

    def set_distributor(self, x, active_status, coefficient, highest_rank, standing_pv=0.0):
        """A distributor's status, personal coefficient, highest rank ever or standing orders changed."""
        self.active_status[x] = active_status
        self.coefficient[x] = coefficient
        self.highest_rank[x] = highest_rank
        was = bool(self.standing[x])
        self.standing_pv[x] = standing_pv
        self.standing[x] = bool(standing_qualifies(self.plan, [standing_pv])[0])
        path = self.path(x)
        changed = self._ranks_up(path) if was != bool(self.standing[x]) else []
        self._refresh(x, path, changed)

    def add_leaf(self, sponsor, active_status, coefficient, join_day, highest_rank):
        """A new distributor without recruits nor volume, under ``sponsor`` (-1: a new root); returns its index.

        It takes the next engine index (the caller's ids must stay in the engine order: a new, higher id).
        """
        x = self.n
        self.n += 1
        grow = {
            "sponsor": sponsor,
            "active_status": active_status,
            "coefficient": coefficient,
            "join_day": join_day,
            "highest_rank": highest_rank,
            "standing": False,
            "standing_pv": 0.0,
            "pv": 0.0,
            "gv_raw": 0.0,
            "gv": 0.0,
            "bv_cents": 0,
            "window_cents": 0,
            "active": False,
            "paid": 0,
            "unilevel_cents": 0,
            "best_in_leg": 0,
            "depth": self.depth[sponsor] + 1 if sponsor >= 0 else 0,
            "active_above": self.active_above[sponsor] + self.active[sponsor] if sponsor >= 0 else 0,
            "size": 1,
        }
        for name, value in grow.items():
            setattr(self, name, np.append(getattr(self, name), np.array([value], dtype=getattr(self, name).dtype)))
        self.legs_holding = np.concatenate([self.legs_holding, np.zeros((len(self.slots), 1), dtype=np.int64)], 1)
        # preorder: x goes at the end of its sponsor's subtree
        at = int(self.pos[sponsor] + self.size[sponsor]) if sponsor >= 0 else x
        self.pos = np.append(np.where(self.pos >= at, self.pos + 1, self.pos), at)
        self.order = np.insert(self.order, at, x)
        path = self.path(sponsor)
        self.size[path] += 1
        # children: x is the last child of its sponsor
        if sponsor >= 0:
            self.children = np.insert(self.children, self.child_start[sponsor + 1], x)
            self.child_start = np.concatenate([self.child_start[: sponsor + 1], self.child_start[sponsor + 1 :] + 1])
        self.child_start = np.append(self.child_start, self.child_start[-1])
        self.active[x] = active_status and self.plan.min_pv <= EPS
        self._rank_of(x)
        changed_rank = self._ranks_up(path)  # one more leg for the sponsor
        self._refresh(x, [x, *path], changed_rank)
        return x

    def _rank_of(self, d):
        """Paid rank of d from its own PV and its children's GV and legs (the engine's bottom-up step)."""
        ranks = self.plan.ranks
        kids = self._kids(d)
        kid_gv, kid_best = self.gv[kids], self.best_in_leg[kids]
        holding = {t: int(np.count_nonzero(kid_best >= t)) for t in self.slots}
        paid = 0
        for r in range(1, len(ranks)):
            rule = ranks[r]
            legs = np.minimum(kid_gv, rule.max_leg_share * rule.min_gv) if rule.max_leg_share < 1.0 else kid_gv
            if (
                (self.pv[d] >= rule.min_pv - EPS or (rule.standing_counts and self.standing[d]))
                and self.pv[d] + legs.sum() >= rule.min_gv - EPS
                and holding[rule.leg_rank] >= rule.min_legs
            ):
                paid = r
        self.paid[d] = paid
        for t, i in self.slots.items():
            self.legs_holding[i, d] = holding[t]
        self.best_in_leg[d] = max(paid, int(kid_best.max()) if len(kids) else -1)

    # ------------------------------------------------------------------ one distributor's bonuses
    def _rows_total(self, base_cents, rate, coefficient):
        amount = round_half_up(base_cents * rate * coefficient)
        return int(amount.sum()), bool(np.count_nonzero(amount))

    def _unilevel(self, b):
        levels = min(len(self.level_rates), int(self.paid_levels[self.paid[b]]))
        if not self.active[b] or levels <= 0:
            return 0, False
        below = self.subtree(b)
        if self.plan.compression:
            k = self.active_above[below] - self.active_above[b]
        else:
            k = self.depth[below] - self.depth[b]
        keep = (k <= levels) & (self.bv_cents[below] != 0)
        source = below[keep]
        return self._rows_total(self.bv_cents[source], self.level_rates[k[keep] - 1], self.coefficient[b])

    def _fast_start(self, b):
        plan = self.plan
        if not plan.fast_start_rate or not plan.fast_start_days or not self.active[b]:
            return 0, False
        kids = self._kids(b)
        base = self.window_cents[kids]
        base = base[base != 0]
        return self._rows_total(base, np.full(len(base), plan.fast_start_rate), self.coefficient[b])

    def _rank_advancement(self, b):
        total, any_row = 0, False
        if not self.active_status[b]:
            return total, any_row
        for r, rule in enumerate(self.plan.ranks):
            if rule.advancement_bonus_cents and self.highest_rank[b] < r <= self.paid[b]:
                cents, row = self._rows_total(np.array([rule.advancement_bonus_cents]), 1.0, self.coefficient[b])
                total, any_row = total + cents, any_row or row
        return total, any_row

    def _matching(self, b):
        rates = self.matching_rates
        generations = min(len(rates), int(self.generations[self.paid[b]]))
        if not self.active[b] or generations <= 0:
            return 0, False
        below = self.subtree(b)
        g = self.depth[below] - self.depth[b]
        keep = (g <= generations) & self.active[below] & (self.unilevel_cents[below] != 0)
        source = below[keep]
        return self._rows_total(self.unilevel_cents[source], rates[g[keep] - 1], self.coefficient[b])

    def _pool(self, b):
        plan = self.plan
        if (
            not plan.pool_rate
            or plan.pool_min_rank is None
            or self.paid[b] < plan.pool_min_rank
            or not self.active_status[b]
        ):
            return 0, False
        members = np.flatnonzero((self.paid >= plan.pool_min_rank) & self.active_status)
        weight = np.maximum(self.gv[members], 0.0)
        total_weight = weight.sum()
        if self.company_bv_cents <= 0 or total_weight <= 0:
            return 0, False
        share = plan.pool_rate * weight / total_weight
        mine = share[np.searchsorted(members, b)]
        return self._rows_total(np.array([self.company_bv_cents]), mine, self.coefficient[b])

    def values(self, b):
        """Everything the projection shows for distributor ``b`` (engine index)."""
        unilevel = int(self.unilevel_cents[b])
        bonuses = {
            # a zero sum may still come from rows (clawbacks): then the bonus is listed with 0
            spec_mod.BONUS_UNILEVEL: (unilevel, True) if unilevel else self._unilevel(b),
            spec_mod.BONUS_FAST_START: self._fast_start(b),
            spec_mod.BONUS_RANK_ADVANCEMENT: self._rank_advancement(b),
            spec_mod.BONUS_MATCHING: self._matching(b),
            spec_mod.BONUS_POOL: self._pool(b),
        }
        paid = int(self.paid[b])
        kids = self._kids(b)
        return {
            "pv": float(self.pv[b]),
            "gv": float(self.gv[b]),
            "active": bool(self.active[b]),
            "paid_rank": paid,
            "legs": [(int(k), float(self.gv[k])) for k in kids],
            "legs_qualified": int(self.legs_holding[self.slot_of_rank[paid], b]),
            # legs holding a paid rank >= each leg-rank threshold of the plan (the rank rules' leg test)
            "legs_holding": {int(t): int(self.legs_holding[slot, b]) for t, slot in self.slots.items()},
            "earnings_cents": {code: cents for code, (cents, has_rows) in bonuses.items() if has_rows},
            "total_cents": sum(cents for cents, _has_rows in bonuses.values()),
        }


def state_class_for(engine_class):
    """The projection state class of an engine class: its own ``projection_state`` when its class body declares
    one, :class:`ProjectionState` for the default engine, :class:`EngineState` for any other."""
    own = vars(engine_class).get("projection_state")
    if own is not None:
        return own
    return ProjectionState if engine_class is CommissionEngine else EngineState


class EngineState:
    """The projection state of any engine class (see the module doc): the inputs moved forward, the engine run
    again on them when a value is asked after a change. Same interface as :class:`ProjectionState`."""

    INPUTS = ("sponsor", "active_status", "coefficient", "join_day", "highest_rank", "carried", "standing_pv")
    LINES = ("line_dist", "line_pv", "line_bv_cents", "line_day", "line_customer")

    def __init__(self, inputs, plan, result, engine_class=CommissionEngine):
        self.plan = plan
        self.engine_class = engine_class
        self.sponsor = inputs.sponsor_idx.copy()
        self.active_status = inputs.active_status.copy()
        self.coefficient = inputs.coefficient.copy()
        self.join_day = inputs.join_day.copy()
        self.highest_rank = inputs.highest_rank.copy()
        self.carried = inputs.carried_cents.copy()
        self.standing_pv = inputs.standing_pv.copy()
        self.line_dist = inputs.line_dist.copy()
        self.line_pv = inputs.line_pv.copy()
        self.line_bv_cents = inputs.line_bv_cents.copy()
        self.line_day = inputs.line_day.copy()
        self.line_customer = inputs.line_customer.copy()
        self.placement = inputs.placement  # plan types on the placement tree (binary); never changed in place
        self._set_result(result)

    @property
    def n(self):
        return len(self.sponsor)

    def duplicate(self):
        other = copy.copy(self)
        for name in (*self.INPUTS, *self.LINES):
            setattr(other, name, getattr(self, name).copy())
        return other

    def _set_result(self, result):
        self.result = result
        if result is None:
            return
        self.row_order = np.argsort(result.rows["beneficiary"], kind="stable")
        self.row_beneficiary = result.rows["beneficiary"][self.row_order]

    def inputs(self):
        return spec_mod.PeriodInputs(
            self.sponsor,
            self.active_status,
            self.coefficient,
            self.join_day,
            self.highest_rank,
            self.carried,
            self.line_dist,
            self.line_pv,
            self.line_bv_cents,
            self.line_day,
            self.line_customer,
            standing_pv=self.standing_pv,
            placement=self.placement,
        )

    # ------------------------------------------------------------------ updates
    def apply(self, dist, pv, bv_cents, day, customer=None):
        dist = np.asarray(dist, dtype=np.int64)
        if not len(dist):
            return
        customer = np.zeros(len(dist), dtype=bool) if customer is None else np.asarray(customer, dtype=bool)
        for name, value in zip(self.LINES, (dist, pv, bv_cents, day, customer), strict=True):
            current = getattr(self, name)
            setattr(self, name, np.concatenate([current, np.asarray(value, dtype=current.dtype)]))
        self._set_result(None)

    def set_distributor(self, x, active_status, coefficient, highest_rank, standing_pv=0.0):
        self.standing_pv[x] = standing_pv
        self.active_status[x] = active_status
        self.coefficient[x] = coefficient
        self.highest_rank[x] = highest_rank
        self._set_result(None)

    def add_leaf(self, sponsor, active_status, coefficient, join_day, highest_rank):
        x = self.n
        for name, value in zip(
            self.INPUTS, (sponsor, active_status, coefficient, join_day, highest_rank, 0, 0.0), strict=True
        ):
            current = getattr(self, name)
            setattr(self, name, np.append(current, np.array([value], dtype=current.dtype)))
        if self.placement is not None:
            self.placement = self.placement.extended()  # a new recruit waits in the holding tank
        self._set_result(None)
        return x

    # ------------------------------------------------------------------ values
    def values(self, b):
        if self.result is None:
            self._set_result(compute_period(self.inputs(), self.plan, engine_class=self.engine_class))
        result, rows = self.result, self.result.rows
        lo, hi = np.searchsorted(self.row_beneficiary, [b, b + 1])
        mine = self.row_order[lo:hi]
        earnings = {}
        for code, cents in zip(rows["bonus_type"][mine], rows["amount_cents"][mine], strict=True):
            earnings[int(code)] = earnings.get(int(code), 0) + int(cents)
        paid = int(result.paid_rank[b])
        kids = np.flatnonzero(self.sponsor == b)
        return {
            "pv": float(result.pv[b]),
            "gv": float(result.gv[b]),
            "active": bool(result.active[b]),
            "paid_rank": paid,
            "legs": [(int(k), float(result.gv[k])) for k in kids],
            "legs_qualified": int(result.legs_qualified[b]),
            "legs_holding": {int(t): int(result.legs_holding[slot, b]) for t, slot in result.leg_slots.items()},
            "earnings_cents": earnings,
            "total_cents": int(result.total_cents[b]),
        }
