"""Rank tests shared by the engine and by the result's ``rank_detail`` (no ORM)."""

import numpy as np

# tolerance of the float comparisons of PV/GV with the plan's minimums
EPS = 1e-7


def capped_group_volume(pv, gv, sponsor, rule):
    """PV plus every leg's GV, each leg capped at ``max_leg_share x min_gv`` (share 1.0 or more: no cap)."""
    children = np.flatnonzero(sponsor >= 0)
    legs = gv[children]
    if rule.max_leg_share < 1.0:
        legs = np.minimum(legs, rule.max_leg_share * rule.min_gv)
    return pv + np.bincount(sponsor[children], weights=legs, minlength=len(pv))


def standing_qualifies(plan, standing_pv):
    """Who qualifies by standing orders (an active autoship of at least the plan's ``standing_min_pv``)."""
    standing_pv = np.asarray(standing_pv, dtype=np.float64)
    if plan.standing_min_pv <= 0:
        return np.zeros(standing_pv.shape, dtype=bool)
    return standing_pv >= plan.standing_min_pv - EPS


def volume_tests(pv, gv, sponsor, rule, standing=None):
    """(PV test, capped GV, GV test) of one rank rule for every distributor; ``standing`` (booleans) meets the PV
    test of a rule with ``standing_counts``."""
    capped = capped_group_volume(pv, gv, sponsor, rule)
    pv_ok = pv >= rule.min_pv - EPS
    if standing is not None and rule.standing_counts:
        pv_ok = pv_ok | standing
    return pv_ok, capped, capped >= rule.min_gv - EPS


def rank_standing(rule, pv, leg_gv, legs_holding, lowest=False, standing=False):
    """Where one distributor stands against one rank rule, for progress reports.

    Runs the engine's own tests (:func:`volume_tests` on the distributor and its legs, the leg-rank count the
    engine found) so that a report can never call a rank reached that the engine would not pay. ``leg_gv``: the
    GV of each leg (each recruit's group volume); ``legs_holding``: the legs holding a paid rank >= the rule's
    ``leg_rank``; ``lowest``: the plan's lowest rank (no requirement). Returns plain floats, ints and booleans.
    """
    leg_gv = np.asarray(leg_gv, dtype=np.float64)
    count = len(leg_gv)
    own = np.zeros(count + 1, dtype=np.float64)
    own[0] = pv
    group = np.concatenate(([pv + leg_gv.sum()], leg_gv))
    sponsor = np.concatenate(([-1], np.zeros(count, dtype=np.int64)))
    qualified = np.zeros(count + 1, dtype=bool)
    qualified[0] = standing
    pv_ok, capped, gv_ok = volume_tests(own, group, sponsor, rule, qualified)
    capped_gv = float(capped[0])
    cap = rule.max_leg_share * rule.min_gv if rule.max_leg_share < 1.0 else None
    biggest = float(leg_gv.max()) if count else 0.0
    biggest_counted = min(biggest, cap) if cap is not None else biggest
    legs_ok = legs_holding >= rule.min_legs
    return {
        "pv": float(pv),
        "pv_ok": bool(pv_ok[0]),
        "pv_missing": 0.0 if pv_ok[0] else float(rule.min_pv - pv),
        "gv": float(group[0]),
        "capped_gv": capped_gv,
        "gv_ok": bool(gv_ok[0]),
        "gv_missing": 0.0 if gv_ok[0] else float(rule.min_gv - capped_gv),
        "leg_cap": cap,
        "legs_over_cap": int(np.count_nonzero(leg_gv > cap + EPS)) if cap is not None else 0,
        "biggest_leg": biggest,
        "biggest_leg_counted": biggest_counted,
        "other_legs": capped_gv - float(pv) - biggest_counted,
        "legs_holding": int(legs_holding),
        "legs_ok": bool(legs_ok),
        "legs_missing": 0 if legs_ok else int(rule.min_legs - legs_holding),
        "qualifies": bool(lowest or (pv_ok[0] and gv_ok[0] and legs_ok)),
    }
