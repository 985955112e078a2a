"""Shared real-time projection: what is stored per distributor, and the few pending ledger lines applied exactly.

Plain Python + numpy, no Odoo import. The projection of one distributor is read from a state every worker shares
(PostgreSQL tables, see ``models/mlm_distributor_projection.py``), written by one engine run of the company
(:func:`node_arrays`: per distributor the engine's figures and what moving them forward needs; :func:`earning_arrays`:
the amount and row count of each bonus type per beneficiary). Ledger lines added after that run are *pending*
until the next run folds them in; :func:`project_pending` gives one distributor's figures with them, exactly as a
full run would, from the stored rows of a small neighbourhood: the paths from each new line's distributor up to the
distributor asked about, and the recruits of the nodes on those paths. A new line of distributor ``x`` can only
change:

- PV, BV, fast-start window BV and activity of ``x``;
- group volume, paid rank and best rank in the leg of ``x``'s ancestors (recomputed bottom-up from their
  recruits, as the engine's rank pass does);
- (the legs' sums of the rank rules are the stored sums moved by the recruits on the paths: a float sum in another
  order than a full run's, equal to far below the engine's comparison tolerance);
- the unilevel rows ``(x, ancestor)``: one row each, recomputed with the new BV (``round(base x rate x
  coefficient)``, the engine's own rounding), hence the unilevel earnings of those ancestors, hence the matching
  rows they source, and the fast-start row ``(x, sponsor)``; the leadership pool through the company's BV and the
  members' group volume.

When a pending line changes more than rows can follow (``x`` changes activity near the distributor, which moves
compressed levels of a whole downline; a rank change changes the levels or generations a beneficiary is paid),
:func:`project_pending` answers ``None`` and the caller computes otherwise; the folding job clears the backlog.

Only the default :class:`~.core.CommissionEngine` is projected this way (its formulas are the ones repeated here).
An engine class a plan type installs is stored the same way by :func:`node_arrays` / :func:`earning_arrays` (from
its own run: its bonus types, its ranks), and read as is while nothing is pending; a subclass that keeps every
formula of the default engine may declare ``projection_incremental = True`` in its class body
(:func:`incremental`).
"""

import itertools

import numpy as np

from . import spec as spec_mod
from .core import PV_DECIMALS, CommissionEngine, round_half_up
from .ranks import EPS
from .tree import DepthLevels

# per distributor: (name, binary COPY type) of what a run stores (legs holding are stored as an array apart)
NODE_COLUMNS = (
    ("distributor_id", "int4"),
    ("sponsor_id", "int4"),
    ("depth", "int4"),
    ("pv", "float8"),
    ("gv", "float8"),
    ("bv_cents", "int8"),
    ("window_cents", "int8"),
    ("active", "bool"),
    ("active_status", "bool"),
    ("coefficient", "float8"),
    ("join_day", "int8"),
    ("highest_rank", "int4"),
    ("paid", "int4"),
    ("best_in_leg", "int4"),
    ("best_below", "int4"),
    ("active_above", "int4"),
    ("unilevel_cents", "int8"),
    ("legs_qualified", "int4"),
    ("total_cents", "int8"),
)
EARNING_COLUMNS = (
    ("distributor_id", "int4"),
    ("bonus_type", "int2"),
    ("cents", "int8"),
    ("row_count", "int4"),
)


def incremental(engine_class):
    """True when pending lines of this engine class can be applied by :func:`project_pending`: the default
    engine, or a subclass declaring ``projection_incremental = True`` in its own class body."""
    return engine_class is CommissionEngine or bool(vars(engine_class).get("projection_incremental"))


def _in_window(plan, join_day, day):
    days = plan.fast_start_days
    if not plan.fast_start_rate or not days:
        return np.zeros(len(day), dtype=bool)
    return (day >= join_day) & (day < join_day + days)


def node_arrays(inputs, plan, result, ids):
    """Per-distributor arrays stored by a run (``ids``: distributor ids in the engine order), plus ``legs_holding``
    (slots x distributors), ``legs_capped`` (ranks x distributors: the legs' GV each rank rule counts, summed as
    the engine sums them) and ``slots`` (leg-rank thresholds in slot order)."""
    n = inputs.size
    sponsor = inputs.sponsor_idx
    levels = DepthLevels(sponsor)
    window = _in_window(plan, inputs.join_day[inputs.line_dist], inputs.line_day)
    window_cents = np.rint(
        np.bincount(inputs.line_dist[window], weights=inputs.line_bv_cents[window], minlength=n)
    ).astype(np.int64)
    active = np.asarray(result.active, dtype=bool)
    best = np.asarray(result.paid_rank, dtype=np.int64).copy()
    for nodes in levels.bottom_up():
        np.maximum.at(best, sponsor[nodes], best[nodes])
    active_above = np.zeros(n, dtype=np.int64)  # active strict ancestors: the compressed depth
    for depth in range(1, levels.max_depth + 1):
        nodes = levels.nodes_at(depth)
        up = sponsor[nodes]
        active_above[nodes] = active_above[up] + active[up]
    children = np.flatnonzero(sponsor >= 0)
    best_below = np.full(n, -1, dtype=np.int64)  # the best rank in any leg: max of the recruits' best_in_leg
    np.maximum.at(best_below, sponsor[children], best[children])
    legs_capped = np.zeros((len(plan.ranks), n), dtype=np.float64)  # the engine's legs sum of each rank rule
    for r, rule in enumerate(plan.ranks):
        legs = result.gv[children]
        if rule.max_leg_share < 1.0:
            legs = np.minimum(legs, rule.max_leg_share * rule.min_gv)
        legs_capped[r] = np.bincount(sponsor[children], weights=legs, minlength=n)
    unilevel = getattr(result, "unilevel_cents", None)
    if unilevel is None:
        unilevel = np.zeros(n, dtype=np.int64)
    slots = sorted(result.leg_slots, key=result.leg_slots.get)
    return {
        "distributor_id": ids,
        "sponsor_id": np.where(sponsor >= 0, ids[np.maximum(sponsor, 0)], 0),
        "depth": levels.depth,
        "pv": result.pv,
        "gv": result.gv,
        "bv_cents": result.bv_cents,
        "window_cents": window_cents,
        "active": active,
        "active_status": inputs.active_status,
        "coefficient": inputs.coefficient,
        "join_day": inputs.join_day,
        "highest_rank": inputs.highest_rank,
        "paid": result.paid_rank,
        "best_in_leg": best,
        "best_below": best_below,
        "active_above": active_above,
        "unilevel_cents": unilevel,
        "legs_qualified": result.legs_qualified,
        "total_cents": result.total_cents,
        "legs_holding": result.legs_holding,
        "legs_capped": legs_capped,
        "slots": slots,
    }


def earning_arrays(result, ids):
    """(beneficiary id, bonus type, cents, rows) of every beneficiary and bonus type with rows."""
    rows = result.rows
    if not len(rows["beneficiary"]):
        empty = np.zeros(0, dtype=np.int64)
        return {"distributor_id": empty, "bonus_type": empty, "cents": empty, "row_count": empty}
    key = rows["beneficiary"].astype(np.int64) * 256 + rows["bonus_type"].astype(np.int64)
    keys, where = np.unique(key, return_inverse=True)
    cents = np.rint(np.bincount(where, weights=rows["amount_cents"])).astype(np.int64)
    return {
        "distributor_id": ids[keys // 256],
        "bonus_type": keys % 256,
        "cents": cents,
        "row_count": np.bincount(where).astype(np.int64),
    }


def empty_period_values(plan, status, coefficient, highest_rank, kids):
    """The figures of a distributor in a period without any ledger line, for a plan where no rank above the
    lowest is reached without volume (else None): nobody has volume, so everybody holds the lowest rank.
    ``status``: active status; ``highest_rank``: plan rank index (-1: none); ``kids``: recruit ids."""
    if any(rule.min_pv <= EPS and rule.min_gv <= EPS for rule in plan.ranks[1:]):
        return None
    thresholds = sorted({rule.leg_rank for rule in plan.ranks})
    holding = {t: len(kids) if t <= 0 else 0 for t in thresholds}
    earnings = {}
    lowest = plan.ranks[0]
    if lowest.advancement_bonus_cents and status and highest_rank < 0:
        amount = _amount(lowest.advancement_bonus_cents, 1.0, coefficient)
        if amount:
            earnings[spec_mod.BONUS_RANK_ADVANCEMENT] = amount
    return {
        "pv": 0.0,
        "gv": 0.0,
        "active": bool(status) and plan.min_pv <= EPS,
        "paid_rank": 0,
        "legs": [(k, 0.0) for k in kids],
        "legs_qualified": holding[lowest.leg_rank],
        "legs_holding": holding,
        "earnings_cents": earnings,
        "total_cents": sum(earnings.values()),
    }


def _amount(base_cents, rate, coefficient):
    """One row's amount, rounded as the engine rounds it."""
    return int(round_half_up(np.array([base_cents], dtype=np.int64) * rate * coefficient)[0])


class Pending:
    """One distributor's figures from the stored state and the pending lines below it (see the module doc).

    ``rows``: {id: stored node (a mapping of :data:`NODE_COLUMNS` plus ``legs_holding``, a list per slot, and
    ``legs_capped``, a list per rank)} for every node on the paths and the recruits of the distributor asked
    about; ``kids``: {that distributor: [its recruit ids in id order]};
    ``paths``: {x: [x, its sponsor, ..., top]} (ids, bottom-up); ``lines``: [(x, pv, bv cents, day)];
    ``slots``: leg-rank thresholds in slot order.
    """

    def __init__(self, plan, slots, rows, kids, paths, lines):
        self.plan = plan
        self.slots = {int(t): i for i, t in enumerate(slots)}
        self.rows, self.kids, self.paths = rows, kids, paths
        self.levels = len(plan.level_rates)
        self.paid_levels = [min(self.levels, rule.paid_levels) for rule in plan.ranks]
        self.generations = [min(len(plan.matching_rates), rule.matching_generations) for rule in plan.ranks]
        self._sum_lines(lines)
        self._volumes()
        self._ranks()

    # ------------------------------------------------------------------ forward
    def _sum_lines(self, lines):
        plan = self.plan
        self.dpv, self.dbv, self.dwin = {}, {}, {}
        for x, pv, bv_cents, day in lines:
            self.dpv[x] = self.dpv.get(x, 0.0) + pv
            self.dbv[x] = self.dbv.get(x, 0) + int(bv_cents)
            join = self.rows[x]["join_day"]
            if plan.fast_start_rate and plan.fast_start_days and join <= day < join + plan.fast_start_days:
                self.dwin[x] = self.dwin.get(x, 0) + int(bv_cents)
        self.touched = sorted(self.dpv)

    def _volumes(self):
        rows, plan = self.rows, self.plan
        self.pv, self.gv, self.active, self.flipped = {}, {}, {}, []
        gv_raw = {}
        for x in self.touched:
            old = rows[x]["pv"]
            new = float(np.round(old + self.dpv[x], PV_DECIMALS))
            self.pv[x] = new
            active = bool(rows[x]["active_status"]) and new >= plan.min_pv - EPS
            self.active[x] = active
            if active != bool(rows[x]["active"]):
                self.flipped.append(x)
            if new != old:
                for d in self.paths[x]:
                    gv_raw[d] = gv_raw.get(d, rows[d]["gv"]) + (new - old)
        self.gv = {d: float(np.round(value, PV_DECIMALS)) for d, value in gv_raw.items()}
        self.nodes = sorted({d for path in self.paths.values() for d in path}, key=lambda d: -rows[d]["depth"])
        self.above = {}  # the loaded strict ancestors of every path node
        for path in self.paths.values():
            for i, d in enumerate(path):
                self.above.setdefault(d, set(path[i + 1 :]))

    def _value(self, name, d):
        return getattr(self, name).get(d, self.rows[d][name])

    def _ranks(self):
        """Paid rank, legs holding and best rank in the leg of every path node, deepest first: the engine's
        bottom-up step, from the node's stored sums over its recruits moved by the recruits on the paths."""
        ranks, rows = self.plan.ranks, self.rows
        path_kids = {}
        for path in self.paths.values():
            for child, parent in itertools.pairwise(path):
                path_kids.setdefault(parent, set()).add(child)
        self.paid, self.best_in_leg, self.holding, self.lost = {}, {}, {}, False
        for d in self.nodes:
            row = rows[d]
            holding = {t: row["legs_holding"][i] for t, i in self.slots.items()}
            capped = list(row["legs_capped"])
            best_below = row["best_below"]
            for k in sorted(path_kids.get(d, ())):
                old_gv, new_gv = rows[k]["gv"], self._value("gv", k)
                if new_gv != old_gv:
                    for r, rule in enumerate(ranks):
                        if rule.max_leg_share < 1.0:
                            cap = rule.max_leg_share * rule.min_gv
                            capped[r] += min(new_gv, cap) - min(old_gv, cap)
                        else:
                            capped[r] += new_gv - old_gv
                old_best, new_best = rows[k]["best_in_leg"], self.best_in_leg[k]
                if new_best != old_best:
                    for t in holding:
                        holding[t] += (new_best >= t) - (old_best >= t)
                    if new_best > best_below:
                        best_below = new_best
                    elif old_best == row["best_below"]:
                        self.lost = True  # the best leg went down: the next best is not stored
            pv = self._value("pv", d)
            paid = 0
            for r in range(1, len(ranks)):
                rule = ranks[r]
                if (
                    pv >= rule.min_pv - EPS
                    and pv + capped[r] >= rule.min_gv - EPS
                    and holding[rule.leg_rank] >= rule.min_legs
                ):
                    paid = r
            self.paid[d] = paid
            self.holding[d] = holding
            self.best_in_leg[d] = max(paid, best_below)

    # ------------------------------------------------------------------ checks
    def _below(self, x, d):
        """True when ``d`` is a strict ancestor of ``x`` on the loaded paths."""
        return d in self.above.get(x, ())

    def _compressed(self, x, d):
        rows = self.rows
        if self.plan.compression:
            return rows[x]["active_above"] - rows[d]["active_above"]
        return rows[x]["depth"] - rows[d]["depth"]

    def _matching_sources(self, b):
        """Path nodes strictly below ``b`` within its matching generations: (node, generation)."""
        generations = self.generations[self.paid[b]]
        return (
            [
                (s, self.rows[s]["depth"] - self.rows[b]["depth"])
                for s in self.nodes
                if s != b and self.rows[s]["depth"] - self.rows[b]["depth"] <= generations and self._below(s, b)
            ]
            if generations
            else []
        )

    def _exact(self, b):
        """False when a pending line changes ``b``'s figures beyond what rows follow (see the module doc)."""
        rows = self.rows
        old, new = rows[b]["paid"], self.paid[b]
        if b in self.flipped or self.lost:
            return False
        if self.paid_levels[old] != self.paid_levels[new] or self.generations[old] != self.generations[new]:
            return False
        sources = self._matching_sources(b)
        near = {s for s, _g in sources}
        for s in near:
            if self.paid_levels[rows[s]["paid"]] != self.paid_levels[self.paid[s]]:
                return False  # s is paid other levels: its whole unilevel moves
        for x in self.flipped:
            if x in near:
                return False  # a matching source changed activity (and its own unilevel)
            if not self.plan.compression:
                continue
            # compressed levels below x moved by one for every beneficiary up to L active levels above x
            for d in (b, *near):
                if self._below(x, d) and self._compressed(x, d) <= self.levels:
                    return False
        return True

    # ------------------------------------------------------------------ bonuses
    def _unilevel_delta(self, d):
        """(cents, rows) the pending lines add to d's unilevel (one row per source and beneficiary)."""
        rows, plan = self.rows, self.plan
        levels = self.paid_levels[self.paid[d]]
        if not rows[d]["active"] or levels <= 0:
            return 0, 0
        cents = count = 0
        for x in self.touched:
            if not self.dbv.get(x) or not self._below(x, d):
                continue
            k = self._compressed(x, d)
            if 1 <= k <= levels:
                rate, coefficient = plan.level_rates[k - 1], rows[d]["coefficient"]
                before = _amount(rows[x]["bv_cents"], rate, coefficient)
                after = _amount(rows[x]["bv_cents"] + self.dbv[x], rate, coefficient)
                cents += after - before
                count += bool(after) - bool(before)
        return cents, count

    def _fast_start_delta(self, b):
        rows, plan = self.rows, self.plan
        if not plan.fast_start_rate or not plan.fast_start_days or not rows[b]["active"]:
            return 0, 0
        cents = count = 0
        for x in self.kids.get(b, []):
            if self.dwin.get(x):
                before = _amount(rows[x]["window_cents"], plan.fast_start_rate, rows[b]["coefficient"])
                after = _amount(rows[x]["window_cents"] + self.dwin[x], plan.fast_start_rate, rows[b]["coefficient"])
                cents += after - before
                count += bool(after) - bool(before)
        return cents, count

    def _matching_delta(self, b):
        rows, plan = self.rows, self.plan
        if not rows[b]["active"]:
            return 0, 0
        cents = count = 0
        for s, g in self._matching_sources(b):
            if not rows[s]["active"]:
                continue
            old = rows[s]["unilevel_cents"]
            new = old + self._unilevel_delta(s)[0]
            if new == old:
                continue
            rate, coefficient = plan.matching_rates[g - 1], rows[b]["coefficient"]
            before = _amount(old, rate, coefficient) if old else 0
            after = _amount(new, rate, coefficient) if new else 0
            cents += after - before
            count += bool(after) - bool(before)
        return cents, count

    def _advancement(self, b):
        rows = self.rows
        cents = count = 0
        if not rows[b]["active_status"]:
            return 0, 0
        for r, rule in enumerate(self.plan.ranks):
            if rule.advancement_bonus_cents and rows[b]["highest_rank"] < r <= self.paid[b]:
                amount = _amount(rule.advancement_bonus_cents, 1.0, rows[b]["coefficient"])
                cents, count = cents + amount, count + bool(amount)
        return cents, count

    def pool(self, b, members, company_bv_cents):
        """(cents, rows) of b's leadership pool share: ``members`` {id: gv} of the stored state's members (the
        whole company), moved by the pending lines of every path; ``company_bv_cents`` after them."""
        plan, rows = self.plan, self.rows
        if not plan.pool_rate or plan.pool_min_rank is None:
            return 0, 0
        members = dict(members)
        for d in self.nodes:
            if self.paid[d] >= plan.pool_min_rank and rows[d]["active_status"]:
                members[d] = self._value("gv", d)
            else:
                members.pop(d, None)
        if b not in members:
            return 0, 0
        order = sorted(members)
        weight = np.maximum(np.array([members[m] for m in order], dtype=np.float64), 0.0)
        total = weight.sum()
        if company_bv_cents <= 0 or total <= 0:
            return 0, 0
        share = plan.pool_rate * weight / total
        amount = _amount(company_bv_cents, share[order.index(b)], rows[b]["coefficient"])
        return amount, int(bool(amount))

    # ------------------------------------------------------------------ values
    def values(self, b, earnings, pool=None):
        """b's figures (the dict of :func:`stored_values`) or None (see :meth:`_exact`). ``earnings``: b's stored
        {bonus type: (cents, rows)}; ``pool``: (cents, rows) of b's pool share after the lines (None: unchanged)."""
        if not self._exact(b):
            return None
        earnings = dict(earnings)
        deltas = {
            spec_mod.BONUS_UNILEVEL: self._unilevel_delta(b),
            spec_mod.BONUS_FAST_START: self._fast_start_delta(b),
            spec_mod.BONUS_MATCHING: self._matching_delta(b),
        }
        for code, (cents, count) in deltas.items():
            old_cents, old_count = earnings.get(code, (0, 0))
            earnings[code] = (old_cents + cents, old_count + count)
        earnings[spec_mod.BONUS_RANK_ADVANCEMENT] = self._advancement(b)
        if pool is not None:
            earnings[spec_mod.BONUS_POOL] = pool
        paid = self.paid[b]
        holding = self.holding[b]
        leg_rank = self.plan.ranks[paid].leg_rank
        return {
            "pv": self._value("pv", b),
            "gv": self._value("gv", b),
            "active": bool(self.rows[b]["active"]),
            "paid_rank": paid,
            "legs": [(k, self._value("gv", k)) for k in self.kids.get(b, [])],
            "legs_qualified": holding[leg_rank],
            "legs_holding": holding,
            "earnings_cents": {code: cents for code, (cents, count) in earnings.items() if count},
            "total_cents": sum(cents for cents, count in earnings.values() if count),
        }


def project_pending(plan, slots, b, lines, path_of, rows_of, earnings, members_of, company_bv_cents, check=None):
    """Distributor ``b``'s figures with the pending ``lines`` [(x, pv, bv cents, day)] of the company, or None.

    ``path_of(x)``: ids from the root down to ``x``; ``rows_of(ids, b)``: {id: stored node} of ``ids`` and of
    ``b``'s recruits; ``earnings``: b's stored {bonus type: (cents, rows)}; ``members_of()``: {id: gv} of the stored
    leadership pool members; ``company_bv_cents``: the stored company BV; ``check(rows, pooled)``: False when
    another pending change concerns the loaded nodes (``pooled``: the paths go up to the roots). The lines below
    ``b`` are applied on the paths up to ``b``; when the pool may pay ``b`` (before or after), every line is
    applied on the paths up to the roots instead.
    """
    paths = {}
    for x, *_rest in lines:
        if x not in paths:
            paths[x] = path_of(x)[::-1]
    pooled = bool(plan.pool_rate) and plan.pool_min_rank is not None
    if not pooled or spec_mod.BONUS_POOL not in earnings:
        below = [line for line in lines if b in paths[line[0]]]
        cut = {x: path[: path.index(b) + 1] for x, path in paths.items() if b in path}
        values = _project(plan, slots, b, below, cut, rows_of, earnings, check, None)
        if values is None or not pooled or values["paid_rank"] < plan.pool_min_rank:
            return values  # not paid by the pool, before nor after the lines
    pool = (members_of(), company_bv_cents + sum(int(line[2]) for line in lines))
    return _project(plan, slots, b, lines, paths, rows_of, earnings, check, pool)


def _project(plan, slots, b, lines, paths, rows_of, earnings, check, pool):
    paths = dict(paths)
    paths.setdefault(b, [b])
    nodes = sorted({d for path in paths.values() for d in path})
    rows = rows_of(nodes, b)
    if any(d not in rows for d in nodes) or (check is not None and not check(rows, pool is not None)):
        return None
    kids = {b: sorted(d for d, row in rows.items() if row["sponsor_id"] == b)}
    state = Pending(plan, slots, rows, kids, paths, lines)
    share = state.pool(b, *pool) if pool is not None else None
    return state.values(b, earnings, share)


def stored_values(row, slots, kids, earnings):
    """b's figures read as stored: ``row`` its node, ``kids`` [(recruit id, gv)], ``earnings`` {type: (cents,
    rows)}. Keys: pv, gv, active, paid_rank, legs, legs_qualified, legs_holding {threshold: legs},
    earnings_cents {bonus type: cents}, total_cents."""
    return {
        "pv": row["pv"],
        "gv": row["gv"],
        "active": bool(row["active"]),
        "paid_rank": row["paid"],
        "legs": kids,
        "legs_qualified": row["legs_qualified"],
        "legs_holding": {int(t): int(row["legs_holding"][i]) for i, t in enumerate(slots)},
        "earnings_cents": {code: cents for code, (cents, count) in earnings.items() if count},
        "total_cents": int(row["total_cents"]),
    }
