"""Binary and matrix bonuses on the placement tree: the first plan type added through the engine's extension points.

``BinaryEngine`` subclasses :class:`CommissionEngine` and adds two bonus types (6 binary, 7 matrix) between rank
advancement and matching; everything else (GV, ranks, unilevel, fast start, matching, pool) is the base engine's,
on the sponsor tree. The semantics are written in docs/ENGINE.md ("Binary and matrix plans"). All steps are
vectorised: leg volumes by one bottom-up subtree sum over the placement tree, the legs of personally sponsored
distributors by pre-order intervals, pairing and carry by array arithmetic.
"""

from dataclasses import dataclass

import numpy as np

from . import spec
from .core import CommissionEngine, _empty_rows, round_half_up
from .tree import DepthLevels

BONUS_BINARY = 6
BONUS_MATRIX = 7

LEFT, RIGHT = 0, 1

MATCHING_BASES = ("unilevel", "binary", "both")


@dataclass(frozen=True)
class BinarySpec:
    """Binary team commission of a plan version (``PlanSpec.extra["binary"]``); volumes in volume units
    (hundredths: BV cents, or PV x 100)."""

    rate: float = 0.0
    volume_basis: str = "bv"  # "bv" or "pv"
    ratio: tuple = (1, 1)  # (strong leg, weak leg) volume per cycle, in cycle units
    cycle_units: int = 1  # volume units of one cycle unit (1: continuous pairing)
    min_sponsored: int = 1  # personally sponsored distributors needed in each leg
    carry_cap: int = 0  # max positive carry per leg, volume units (0: no cap)
    flush_inactive: bool = True
    rank_caps_cents: tuple = ()  # pay cap per period per rank index (0 or missing: no cap)
    matching_base: str = "unilevel"  # "unilevel", "binary" or "both"

    def __post_init__(self):
        if self.volume_basis not in ("bv", "pv"):
            raise ValueError("volume_basis must be 'bv' or 'pv'")
        if len(self.ratio) != 2 or min(self.ratio) < 1:
            raise ValueError("ratio must be two positive integers")
        if self.cycle_units < 1 or self.min_sponsored < 0 or self.carry_cap < 0 or not 0 <= self.rate <= 1:
            raise ValueError("binary parameters out of range")
        if self.matching_base not in MATCHING_BASES:
            raise ValueError(f"matching_base must be one of {MATCHING_BASES}")


@dataclass(frozen=True)
class MatrixSpec:
    """Matrix commission (``PlanSpec.extra["matrix"]``): rate of placement level k = 1..len(rates)."""

    rates: tuple = ()


class PlacementInputs:
    """The placement tree and the binary carry-in, per distributor (same index as :class:`PeriodInputs`)."""

    FIELDS = (
        ("parent_idx", np.int64),
        ("position", np.int8),
        ("holding", np.bool_),
        ("carry_left", np.int64),
        ("carry_right", np.int64),
        ("pending", np.int64),
    )

    def __init__(self, parent_idx, position=None, holding=None, carry_left=None, carry_right=None, pending=None):
        parent = np.ascontiguousarray(parent_idx, dtype=np.int64)
        n = len(parent)
        given = {"position": position, "holding": holding, "carry_left": carry_left, "carry_right": carry_right}
        given["pending"] = pending
        self.parent_idx = parent
        for name, dtype in self.FIELDS[1:]:
            value = given[name]
            arr = np.zeros(n, dtype=dtype) if value is None else np.ascontiguousarray(value, dtype=dtype)
            if arr.shape != (n,):
                raise ValueError(f"placement {name} has {len(arr)} items, expected {n}")
            setattr(self, name, arr)
        if n and (parent.min() < -1 or parent.max() >= n or np.any(parent == np.arange(n))):
            raise ValueError("placement parent_idx must hold -1 or the index of another distributor")

    @classmethod
    def unplaced(cls, n):
        return cls(np.full(n, -1, dtype=np.int64))

    def extended(self, count=1):
        """The same placement with ``count`` new distributors in the holding tank (projection of a new leaf)."""
        grow = {name: np.zeros(count, dtype=dtype) for name, dtype in self.FIELDS}
        grow["parent_idx"][:] = -1
        grow["holding"][:] = True
        return PlacementInputs(**{name: np.concatenate([getattr(self, name), grow[name]]) for name, _ in self.FIELDS})


def preorder(levels, parent, position):
    """Pre-order number and subtree size of every node of a forest (children in position order).

    Top-down over depths: a child starts after its parent and the subtrees of its earlier siblings.
    """
    n = len(parent)
    size = levels.subtree_sum(np.ones(n, dtype=np.int64))
    pre = np.zeros(n, dtype=np.int64)
    for depth in range(levels.max_depth + 1):
        nodes = levels.nodes_at(depth)
        if not len(nodes):
            continue
        up = parent[nodes]
        order = np.lexsort((nodes, position[nodes], up))
        nodes, up = nodes[order], up[order]
        sizes = size[nodes]
        before = np.cumsum(sizes) - sizes  # sizes of earlier nodes of this level, exclusive
        first = np.ones(len(nodes), dtype=bool)
        first[1:] = up[1:] != up[:-1]
        group_start = np.maximum.accumulate(np.where(first, np.arange(len(nodes)), 0))
        offset = before - before[group_start]
        base = np.where(up >= 0, pre[np.maximum(up, 0)] + 1, 0)
        pre[nodes] = base + offset
    return pre, size


class BinaryEngine(CommissionEngine):
    """Hybrid plans: the base engine's bonuses plus binary and matrix on the placement tree."""

    bonus_types = (
        *CommissionEngine.bonus_types[:3],
        (BONUS_BINARY, "binary"),
        (BONUS_MATRIX, "matrix"),
        *CommissionEngine.bonus_types[3:],
    )

    # ------------------------------------------------------------------ placement
    def _placement(self):
        if getattr(self, "_placement_cache", None) is None:
            placement = self.inputs.placement or PlacementInputs.unplaced(self.n)
            parent = np.where(placement.holding, -1, placement.parent_idx)
            # a node under a holding-tank member is cut off too (the tank holds no downline)
            self._placement_cache = (placement, parent, DepthLevels(parent))
        return self._placement_cache

    def _binary_volume(self):
        if self.plan.extra["binary"].volume_basis == "pv":
            return round_half_up(self.pv * 100.0)
        return self.bv_cents

    def _legs(self, values):
        """(left, right) sums of ``values`` over each node's left and right placement subtrees."""
        placement, parent, levels = self._placement()
        sub = levels.subtree_sum(values)
        placed = np.flatnonzero(parent >= 0)
        side = placement.position[placed]
        legs = []
        for s in (LEFT, RIGHT):
            kids = placed[side == s]
            legs.append(np.rint(np.bincount(parent[kids], weights=sub[kids], minlength=self.n)).astype(np.int64))
        return legs

    def _sponsored_per_leg(self):
        """(left, right) counts of each distributor's personally sponsored distributors placed in that leg."""
        placement, parent, levels = self._placement()
        pre, size = preorder(levels, parent, placement.position)
        child = np.full((2, self.n), -1, dtype=np.int64)
        placed = np.flatnonzero((parent >= 0) & (placement.position <= RIGHT))
        child[placement.position[placed].astype(np.int64), parent[placed]] = placed
        sponsor = self.inputs.sponsor_idx
        members = np.flatnonzero((sponsor >= 0) & (parent >= 0))
        counts = []
        for s in (LEFT, RIGHT):
            top = child[s, sponsor[members]]
            inside = (top >= 0) & (pre[members] >= pre[np.maximum(top, 0)])
            inside &= pre[members] < pre[np.maximum(top, 0)] + size[np.maximum(top, 0)]
            counts.append(np.bincount(sponsor[members[inside]], minlength=self.n).astype(np.int64))
        return counts

    # ------------------------------------------------------------------ bonuses
    def _bonus_binary(self):
        bspec = self.plan.extra.get("binary")
        if bspec is None:
            self._binary_zero()
            return _empty_rows()
        placement = self._placement()[0]
        volume = self._binary_volume()
        holding = placement.holding
        contribution = np.where(holding, 0, volume + placement.pending)
        self.binary_pending = np.where(holding, volume + placement.pending, 0).astype(np.int64)
        self.binary_left, self.binary_right = self._legs(contribution)
        self.binary_carry_left_in, self.binary_carry_right_in = placement.carry_left, placement.carry_right
        total_left = placement.carry_left + self.binary_left
        total_right = placement.carry_right + self.binary_right
        left_sponsored, right_sponsored = self._sponsored_per_leg()
        need = bspec.min_sponsored
        self.binary_qualified = self.active & (left_sponsored >= need) & (right_sponsored >= need)
        strong_is_left = total_left >= total_right
        strong = np.where(strong_is_left, total_left, total_right)
        weak = np.where(strong_is_left, total_right, total_left)
        a, b = bspec.ratio
        u = bspec.cycle_units
        pairs = self.binary_qualified & (weak > 0)
        cycles = np.where(pairs, np.minimum(np.maximum(strong, 0) // (a * u), np.maximum(weak, 0) // (b * u)), 0)
        spent_strong, spent_weak = cycles * a * u, cycles * b * u
        self.binary_matched = spent_weak.astype(np.int64)
        carry_left = total_left - np.where(strong_is_left, spent_strong, spent_weak)
        carry_right = total_right - np.where(strong_is_left, spent_weak, spent_strong)
        self.binary_carry_left = self._carry_rules(carry_left, bspec)
        self.binary_carry_right = self._carry_rules(carry_right, bspec)
        earners = np.flatnonzero(self.binary_matched > 0)
        rows = self._make_rows(
            BONUS_BINARY, earners, -1, 0, 0, self.paid_rank[earners], bspec.rate, self.binary_matched[earners]
        )
        self.binary_capped = np.zeros(self.n, dtype=np.int64)
        caps = np.zeros(len(self.plan.ranks), dtype=np.int64)
        given = np.asarray(bspec.rank_caps_cents, dtype=np.int64)[: len(caps)]
        caps[: len(given)] = given
        cap = caps[rows["rank"]]
        over = (cap > 0) & (rows["amount_cents"] > cap)
        self.binary_capped[rows["beneficiary"][over]] = rows["amount_cents"][over] - cap[over]
        rows["amount_cents"] = np.where(over, cap, rows["amount_cents"])
        return rows

    def _carry_rules(self, carry, bspec):
        """Flush on inactivity and max carry (positive carry only; a negative leg is carried as it is)."""
        carry = carry.astype(np.int64)
        if bspec.flush_inactive:
            carry = np.where((~self.active) & (carry > 0), 0, carry)
        if bspec.carry_cap:
            carry = np.minimum(carry, bspec.carry_cap)
        return carry

    def _binary_zero(self):
        zero = np.zeros(self.n, dtype=np.int64)
        for name in BINARY_RESULT[:-1]:
            setattr(self, name, zero)
        self.binary_qualified = np.zeros(self.n, dtype=bool)

    def _bonus_matrix(self):
        mspec = self.plan.extra.get("matrix")
        rates = np.asarray(mspec.rates if mspec else (), dtype=np.float64)
        if not len(rates):
            return _empty_rows()
        _placement, parent, _levels = self._placement()
        source = np.flatnonzero((self.bv_cents != 0) & (parent >= 0))
        ancestor = source
        parts = []
        for k in range(1, len(rates) + 1):
            ancestor = parent[ancestor]
            alive = ancestor >= 0
            source, ancestor = source[alive], ancestor[alive]
            if not len(source):
                break
            earns = self.active[ancestor]
            src, ben = source[earns], ancestor[earns]
            parts.append(
                self._make_rows(BONUS_MATRIX, ben, src, k, k, self.paid_rank[ben], rates[k - 1], self.bv_cents[src])
            )
        return self._concat(parts)

    def _matching_earned(self):
        bspec = self.plan.extra.get("binary")
        base = bspec.matching_base if bspec else "unilevel"
        codes = {"unilevel": (spec.BONUS_UNILEVEL,), "binary": (BONUS_BINARY,)}.get(
            base, (spec.BONUS_UNILEVEL, BONUS_BINARY)
        )
        parts = [self.bonus_rows[c] for c in codes if c in self.bonus_rows and len(self.bonus_rows[c]["beneficiary"])]
        if not parts:
            return None
        return sum(self._sum_cents(rows["beneficiary"], rows["amount_cents"]) for rows in parts)

    # ------------------------------------------------------------------ result
    def _result(self):
        result = super()._result()
        for name in BINARY_RESULT:
            setattr(result, name, getattr(self, name))
        # statements to keep although nothing else happened to the distributor: carried or pending volume
        result.keep_statement = (
            (self.binary_carry_left != 0)
            | (self.binary_carry_right != 0)
            | (self.binary_pending != 0)
            | (self.binary_carry_left_in != 0)
            | (self.binary_carry_right_in != 0)
        )
        return result


BINARY_RESULT = (
    "binary_left",
    "binary_right",
    "binary_carry_left_in",
    "binary_carry_right_in",
    "binary_matched",
    "binary_carry_left",
    "binary_carry_right",
    "binary_pending",
    "binary_capped",
    "binary_qualified",
)
