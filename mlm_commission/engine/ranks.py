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


def volume_tests(pv, gv, sponsor, rule):
    """(PV test, capped GV, GV test) of one rank rule for every distributor."""
    capped = capped_group_volume(pv, gv, sponsor, rule)
    return pv >= rule.min_pv - EPS, capped, capped >= rule.min_gv - EPS
