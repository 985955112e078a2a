"""Inputs and outputs of the commission engine: plain data, no ORM.

Money is integer cents (int64) everywhere; rates and coefficients are floats;
PV is a float (points). Distributors are addressed by their index in the
per-distributor arrays (0 .. n-1), ledger lines by their index in the per-line
arrays (0 .. m-1).
"""

from dataclasses import dataclass, field

import numpy as np

from .ids import IdIndex
from .ranks import volume_tests

BONUS_UNILEVEL = 1
BONUS_FAST_START = 2
BONUS_RANK_ADVANCEMENT = 3
BONUS_MATCHING = 4
BONUS_POOL = 5
# code 6 and 7 are binary and matrix (engine/binary.py)
BONUS_STANDING_ORDER = 8

HELD_NONE = 0
HELD_THRESHOLD = 1
HELD_COMPLIANCE = 2

ROW_FIELDS = (
    ("beneficiary", np.int64),
    ("bonus_type", np.int8),
    ("source", np.int64),
    ("level", np.int64),
    ("compressed_level", np.int64),
    ("rank", np.int64),
    ("rate", np.float64),
    ("base_cents", np.int64),
    ("amount_cents", np.int64),
)


@dataclass(frozen=True)
class RankRule:
    """Requirements and privileges of one rank (the list index is the rank index).

    The lowest rank (index 0) has no requirement: everybody qualifies for it,
    whatever its ``min_*`` fields say.
    """

    min_pv: float = 0.0
    min_gv: float = 0.0
    # each leg counts at most max_leg_share x min_gv towards min_gv (1.0 or more: no cap)
    max_leg_share: float = 1.0
    # at least min_legs legs must contain a distributor whose paid rank >= leg_rank
    min_legs: int = 0
    leg_rank: int = -1
    paid_levels: int = 0  # unilevel levels 1..paid_levels are paid to this rank
    matching_generations: int = 0  # matching generations 1..matching_generations
    advancement_bonus_cents: int = 0  # paid once, when first reaching this rank
    # a standing order (autoship) qualifying under PlanSpec.standing_min_pv meets min_pv too
    standing_counts: bool = False


@dataclass(frozen=True)
class PlanSpec:
    """One version of a compensation plan, as the engine needs it."""

    min_pv: float = 0.0
    compression: bool = True
    level_rates: tuple = ()
    ranks: tuple = (RankRule(),)
    fast_start_rate: float = 0.0
    fast_start_days: int = 0
    matching_rates: tuple = ()
    pool_rate: float = 0.0
    pool_min_rank: int | None = None
    threshold_cents: int = 0
    compliance_share: float | None = None
    # a distributor whose standing orders (active autoships) reach this PV per cycle is active whatever their PV
    # this period (0: off); rank rules with ``standing_counts`` take it as their PV test too
    standing_min_pv: float = 0.0
    # share of the customer BV of standing orders (customers' autoships, ``line_standing``) paid to the distributor
    # it credits (0: off)
    standing_order_rate: float = 0.0
    # free room for the parameters of bonus types added by other add-ons
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.ranks:
            raise ValueError("a plan needs at least one rank")
        for rule in self.ranks:
            if rule.leg_rank >= len(self.ranks):
                raise ValueError("a rank's leg_rank must be a rank of the plan (or -1)")
            if rule.min_legs < 0 or rule.paid_levels < 0 or rule.matching_generations < 0:
                raise ValueError("rank counts must not be negative")
        if self.pool_min_rank is not None and not 0 <= self.pool_min_rank < len(self.ranks):
            raise ValueError("pool_min_rank must be a rank of the plan")
        if not 0 <= self.standing_order_rate <= 1:
            raise ValueError("standing_order_rate must be between 0 and 1")
        if self.fast_start_days < 0 or self.threshold_cents < 0:
            raise ValueError("fast_start_days and threshold_cents must not be negative")


def _array(values, dtype, name, length=None):
    arr = np.ascontiguousarray(values, dtype=dtype)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if length is not None and len(arr) != length:
        raise ValueError(f"{name} has {len(arr)} items, expected {length}")
    return arr


class PeriodInputs:
    """Per-distributor and per-ledger-line arrays of one period.

    Aggregated lines are fine (one line per distributor, day and customer flag
    gives the same result as the raw ledger).
    """

    DIST_FIELDS = (
        ("sponsor_idx", np.int64),
        ("active_status", np.bool_),
        ("coefficient", np.float64),
        ("join_day", np.int64),
        ("highest_rank", np.int64),
        ("carried_cents", np.int64),
        ("standing_pv", np.float64),
    )
    LINE_FIELDS = (
        ("line_dist", np.int64),
        ("line_pv", np.float64),
        ("line_bv_cents", np.int64),
        ("line_day", np.int64),
        ("line_customer", np.bool_),
        ("line_standing", np.bool_),
    )

    def __init__(
        self,
        sponsor_idx,
        active_status,
        coefficient,
        join_day,
        highest_rank,
        carried_cents,
        line_dist,
        line_pv,
        line_bv_cents,
        line_day,
        line_customer,
        fixed_rank=None,
        standing_pv=None,
        placement=None,
        line_standing=None,
    ):
        # the placement tree and binary carry-in (engine/binary.py PlacementInputs); None for sponsor-only plans
        if placement is not None and len(placement.parent_idx) != len(sponsor_idx):
            raise ValueError("placement arrays must have one item per distributor")
        self.placement = placement
        self.sponsor_idx = _array(sponsor_idx, np.int64, "sponsor_idx")
        n = len(self.sponsor_idx)
        self.active_status = _array(active_status, np.bool_, "active_status", n)
        self.coefficient = _array(coefficient, np.float64, "coefficient", n)
        self.join_day = _array(join_day, np.int64, "join_day", n)
        self.highest_rank = _array(highest_rank, np.int64, "highest_rank", n)
        self.carried_cents = _array(carried_cents, np.int64, "carried_cents", n)
        # PV per cycle of each distributor's active standing orders (autoships): the plan's standing rule
        self.standing_pv = _array(np.zeros(n) if standing_pv is None else standing_pv, np.float64, "standing_pv", n)
        self.line_dist = _array(line_dist, np.int64, "line_dist")
        m = len(self.line_dist)
        self.line_pv = _array(line_pv, np.float64, "line_pv", m)
        self.line_bv_cents = _array(line_bv_cents, np.int64, "line_bv_cents", m)
        self.line_day = _array(line_day, np.int64, "line_day", m)
        self.line_customer = _array(line_customer, np.bool_, "line_customer", m)
        # the line comes from a standing order (an autoship's order, its invoice or their reversal): the plan's
        # standing-order bonus on customers' lines
        self.line_standing = _array(
            np.zeros(m, dtype=bool) if line_standing is None else line_standing, np.bool_, "line_standing", m
        )
        # the paid rank of each distributor when the caller fixes it (what-if tools keeping today's ranks): the
        # engine then evaluates no rank test; None (every period run) lets the rank rules decide
        self.fixed_rank = None if fixed_rank is None else _array(fixed_rank, np.int64, "fixed_rank", n)
        if n and (self.sponsor_idx.min() < -1 or self.sponsor_idx.max() >= n):
            raise ValueError("sponsor_idx must hold -1 or an index of the same arrays")
        if n and np.any(self.sponsor_idx == np.arange(n)):
            raise ValueError("a distributor cannot sponsor itself")
        if m and (self.line_dist.min() < 0 or self.line_dist.max() >= n):
            raise ValueError("line_dist must hold indexes of distributors")

    @property
    def size(self):
        return len(self.sponsor_idx)

    @classmethod
    def from_ids(cls, distributor_ids, sponsor_ids, line_distributor_ids, **arrays):
        """Build the inputs from database ids; returns ``(inputs, index)``.

        ``index`` is the :class:`IdIndex` of ``distributor_ids`` (``index.ids_of(rows["beneficiary"])`` gives
        the ids back). A sponsor id outside ``distributor_ids`` (or 0/None) makes a root. A line crediting an
        id outside ``distributor_ids`` is an error. ``arrays`` are the other arguments of the constructor.
        """
        index = IdIndex(distributor_ids)
        line_dist = index.positions(line_distributor_ids)
        if len(line_dist) and line_dist.min() < 0:
            raise ValueError("a ledger line credits a distributor that is not in the period's distributors")
        return cls(sponsor_idx=index.positions(sponsor_ids), line_dist=line_dist, **arrays), index


class PeriodResult:
    """Everything ``compute_period`` found; see docs/ENGINE.md for each field."""

    def __init__(self, **values):
        self.timings = {}
        self.__dict__.update(values)

    @property
    def row_count(self):
        return len(self.rows["beneficiary"])

    def rank_detail(self, rank):
        """Where every distributor stands against one rank's rules, for progress and at-risk reports.

        Returns a dict of arrays: ``pv_ok``, ``capped_gv``, ``gv_ok``, ``legs_holding`` (legs containing a paid
        rank >= the rule's ``leg_rank``), ``legs_ok`` and ``qualifies`` (all three; rank 0: everybody).
        """
        rule = self.plan.ranks[rank]
        pv_ok, capped, gv_ok = volume_tests(self.pv, self.gv, self.sponsor_idx, rule, getattr(self, "standing", None))
        legs = self.legs_holding[self.leg_slots[rule.leg_rank]]
        legs_ok = legs >= rule.min_legs
        qualifies = pv_ok & gv_ok & legs_ok if rank else np.ones(len(self.pv), dtype=bool)
        return {
            "pv_ok": pv_ok,
            "capped_gv": capped,
            "gv_ok": gv_ok,
            "legs_holding": legs,
            "legs_ok": legs_ok,
            "qualifies": qualifies,
        }
