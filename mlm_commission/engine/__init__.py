"""Commission engine of mlm_commission: plain Python + numpy, no Odoo import.

See docs/ENGINE.md for the interface and the exact semantics.
"""

from .binary import BONUS_BINARY, BONUS_MATRIX, BinaryEngine, BinarySpec, MatrixSpec, PlacementInputs
from .core import CommissionEngine, compute_period, round_half_up
from .ids import IdIndex, ordinal_days
from .ranks import rank_standing
from .spec import (
    BONUS_FAST_START,
    BONUS_MATCHING,
    BONUS_POOL,
    BONUS_RANK_ADVANCEMENT,
    BONUS_STANDING_ORDER,
    BONUS_UNILEVEL,
    HELD_COMPLIANCE,
    HELD_NONE,
    HELD_THRESHOLD,
    ROW_FIELDS,
    PeriodInputs,
    PeriodResult,
    PlanSpec,
    RankRule,
)
from .tree import DepthLevels, depths, nearest_ancestor_where

__all__ = [
    "BONUS_BINARY",
    "BONUS_FAST_START",
    "BONUS_MATCHING",
    "BONUS_MATRIX",
    "BONUS_POOL",
    "BONUS_RANK_ADVANCEMENT",
    "BONUS_STANDING_ORDER",
    "BONUS_UNILEVEL",
    "HELD_COMPLIANCE",
    "HELD_NONE",
    "HELD_THRESHOLD",
    "ROW_FIELDS",
    "BinaryEngine",
    "BinarySpec",
    "CommissionEngine",
    "DepthLevels",
    "IdIndex",
    "MatrixSpec",
    "PeriodInputs",
    "PeriodResult",
    "PlacementInputs",
    "PlanSpec",
    "RankRule",
    "compute_period",
    "depths",
    "nearest_ancestor_where",
    "ordinal_days",
    "rank_standing",
    "round_half_up",
]
