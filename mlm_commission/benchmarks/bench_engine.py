#!/usr/bin/env python3
"""Benchmark of the commission engine on a synthetic network, beside the naive way.

    python mlm_commission/benchmarks/bench_engine.py [--size 100000] [--lines-per 7] [--sample 5000] [--repeat 3]

Generates N distributors (tree shape from mlm_network's generator), ~7 ledger
lines each, runs ``compute_period`` with a 7-level compressed unilevel, six
ranks with leg rules, fast start, rank advancement, 3 matching generations and
a pool, and prints time and peak traced memory of each stage. In the same run it
computes the same volumes, group volumes, ranks and unilevel the naive
per-record way (Python dicts, walking up sponsor by sponsor for every ledger
line, as an ORM loop would) on a sample of distributors, extrapolates to the
whole network and prints the ratio. The naive unilevel on the sample is checked
against the engine's rows for the same sources.
"""

# a command-line report: printing is its output
# pylint: disable=print-used

import argparse
import os
import resource
import sys
import time
import tracemalloc
from collections import defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ADDON = os.path.dirname(HERE)
sys.path.insert(0, ADDON)  # the engine folder, imported without Odoo
sys.path.insert(0, os.path.join(os.path.dirname(ADDON), "mlm_network", "tools"))

from engine import PeriodInputs, PlanSpec, RankRule, compute_period
from genealogy import generate_network_shape

PERIOD_START = 739_000  # an ordinal day; the period is 30 days from here


def make_plan():
    ranks = (
        RankRule(paid_levels=2),
        RankRule(min_pv=100, min_gv=500, paid_levels=3, advancement_bonus_cents=2_500),
        RankRule(
            min_pv=100,
            min_gv=2_000,
            max_leg_share=0.6,
            min_legs=2,
            leg_rank=1,
            paid_levels=4,
            matching_generations=1,
            advancement_bonus_cents=10_000,
        ),
        RankRule(
            min_pv=100,
            min_gv=8_000,
            max_leg_share=0.5,
            min_legs=2,
            leg_rank=2,
            paid_levels=5,
            matching_generations=2,
            advancement_bonus_cents=25_000,
        ),
        RankRule(
            min_pv=100,
            min_gv=30_000,
            max_leg_share=0.4,
            min_legs=3,
            leg_rank=2,
            paid_levels=6,
            matching_generations=3,
            advancement_bonus_cents=50_000,
        ),
        RankRule(
            min_pv=100,
            min_gv=100_000,
            max_leg_share=0.4,
            min_legs=3,
            leg_rank=3,
            paid_levels=7,
            matching_generations=3,
            advancement_bonus_cents=100_000,
        ),
    )
    return PlanSpec(
        min_pv=100.0,
        compression=True,
        level_rates=(0.05, 0.05, 0.04, 0.04, 0.03, 0.02, 0.02),
        ranks=ranks,
        fast_start_rate=0.10,
        fast_start_days=30,
        matching_rates=(0.10, 0.05, 0.05),
        pool_rate=0.02,
        pool_min_rank=4,
        threshold_cents=2_000,
        compliance_share=None,
    )


def make_inputs(n, lines_per, seed=7):
    t0 = time.perf_counter()
    sponsor = np.array(generate_network_shape(n, seed=seed), dtype=np.int64)
    rng = np.random.default_rng(seed)
    # index order is join order: the newest ~8 % joined during the period
    join_day = PERIOD_START + 30 - ((n - np.arange(n)) * (400.0 * 12 / max(n, 1))).astype(np.int64)
    active_status = rng.random(n) < 0.97
    coefficient = np.where(rng.random(n) < 0.05, 1.1, 1.0)
    highest_rank = np.where(rng.random(n) < 0.5, 0, -1).astype(np.int64)
    carried = np.where(rng.random(n) < 0.1, rng.integers(1, 1_500, n), 0).astype(np.int64)
    # ~70 % of distributors buy; buyers get Poisson lines so the total is ~lines_per x n
    buyer = rng.random(n) < 0.7
    counts = np.where(buyer, rng.poisson(lines_per / 0.7, n), 0)
    line_dist = np.repeat(np.arange(n, dtype=np.int64), counts)
    m = len(line_dist)
    line_pv = rng.choice(np.array([10.0, 20.0, 25.0, 35.0, 50.0, 80.0]), m)
    line_bv = np.rint(line_pv * 100 * rng.uniform(0.8, 1.4, m)).astype(np.int64)
    refund = rng.random(m) < 0.02
    line_pv[refund] *= -1
    line_bv[refund] *= -1
    line_day = PERIOD_START + rng.integers(0, 30, m)
    line_customer = rng.random(m) < 0.35
    inputs = PeriodInputs(
        sponsor,
        active_status,
        coefficient,
        join_day,
        highest_rank,
        carried,
        line_dist,
        line_pv,
        line_bv,
        line_day,
        line_customer,
    )
    return inputs, time.perf_counter() - t0


# --------------------------------------------------------------------- naive way
def naive_sample(inputs, plan, result, sample_size, seed=11):
    """Per-record computation on a sample of distributors, Python dicts only."""
    n = inputs.size
    rng = np.random.default_rng(seed)
    sample_ids = rng.choice(n, size=min(sample_size, n), replace=False)
    sample = set(sample_ids.tolist())
    sponsor = dict(enumerate(inputs.sponsor_idx.tolist()))
    mine = np.isin(inputs.line_dist, sample_ids)  # the sample's ledger lines, as a query would fetch them
    lines = list(
        zip(
            inputs.line_dist[mine].tolist(),
            inputs.line_pv[mine].tolist(),
            inputs.line_bv_cents[mine].tolist(),
            strict=True,
        )
    )
    active = dict(enumerate(result.active.tolist()))
    rank = dict(enumerate(result.paid_rank.tolist()))
    paid_levels = [r.paid_levels for r in plan.ranks]
    rates = plan.level_rates
    timings = {}

    t0 = time.perf_counter()
    pv, bv = defaultdict(float), defaultdict(int)
    for d, line_pv, line_bv in lines:  # one "record" per ledger line
        pv[d] += line_pv
        bv[d] += line_bv
    timings["volumes"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    gv = defaultdict(float)
    for d, line_pv, _bv in lines:  # every line climbs the whole upline
        node = d
        while node >= 0:
            gv[node] += line_pv
            node = sponsor[node]
    timings["group_volume"] = time.perf_counter() - t0

    children = defaultdict(list)  # the recruits of each distributor, built once (not timed, not scaled)
    for d, s in sponsor.items():
        if s >= 0:
            children[s].append(d)
    t0 = time.perf_counter()
    gv_full = dict(enumerate(result.gv.tolist()))
    pv_full = dict(enumerate(result.pv.tolist()))
    qualified = 0
    for d in sample:  # per distributor: read its legs and test every rank
        for rule in plan.ranks[1:]:
            cap = rule.max_leg_share * rule.min_gv if rule.max_leg_share < 1 else float("inf")
            capped = pv_full[d] + sum(min(gv_full[c], cap) for c in children.get(d, ()))
            # only the leg's top is looked at: cheaper than the real rule (anywhere in the leg)
            legs = sum(1 for c in children.get(d, ()) if rank[c] >= rule.leg_rank)
            if pv_full[d] >= rule.min_pv and capped >= rule.min_gv and legs >= rule.min_legs:
                qualified += 1
    timings["ranks"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    earned = defaultdict(float)
    for d, _pv, line_bv in lines:  # every line climbs up to L (active) levels
        node, level = sponsor[d], 0
        while node >= 0 and level < len(rates):
            if plan.compression and not active[node]:
                node = sponsor[node]
                continue
            level += 1
            if active[node] and paid_levels[rank[node]] >= level:
                earned[(node, d)] += line_bv * rates[level - 1]
            node = sponsor[node]
    timings["unilevel"] = time.perf_counter() - t0
    return sample, lines, timings, earned


def check_unilevel(result, sample, earned):
    rows = result.rows
    mask = (rows["bonus_type"] == 1) & np.isin(rows["source"], np.fromiter(sample, dtype=np.int64))
    engine = defaultdict(int)
    coef = result.coefficient
    for b, s, a in zip(
        rows["beneficiary"][mask].tolist(),
        rows["source"][mask].tolist(),
        rows["amount_cents"][mask].tolist(),
        strict=True,
    ):
        engine[(b, s)] += a
    worst = 0.0
    for key in set(engine) | set(earned):
        worst = max(worst, abs(engine.get(key, 0) - earned.get(key, 0.0) * coef[key[0]]))
    return len(engine), worst


def fmt_mb(value):
    return f"{value / 2**20:8.1f} MB"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--lines-per", type=float, default=7.0)
    parser.add_argument("--sample", type=int, default=5_000, help="distributors computed the naive way")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the engine (the best is shown)")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the memory-traced run")
    args = parser.parse_args()

    inputs, gen_seconds = make_inputs(args.size, args.lines_per)
    plan = make_plan()
    m = len(inputs.line_dist)
    print(f"synthetic network: {inputs.size:,} distributors, {m:,} ledger lines, generated in {gen_seconds:.1f} s")

    # timing: best of --repeat runs without tracing; memory: one more run under tracemalloc
    runs = []
    for _ in range(max(args.repeat, 1)):
        t0 = time.perf_counter()
        result = compute_period(inputs, plan)
        runs.append((time.perf_counter() - t0, result.timings))
        del result
    total = min(seconds for seconds, _timings in runs)
    best = {name: min(timings[name] for _s, timings in runs) for name in runs[0][1]}

    peaks = {}
    if not args.no_tracemalloc:
        tracemalloc.start()
        base_mem = tracemalloc.get_traced_memory()[0]

        def on_stage(name, _seconds):
            peaks[name] = tracemalloc.get_traced_memory()[1] - base_mem
            tracemalloc.reset_peak()

        result = compute_period(inputs, plan, on_stage=on_stage)
        tracemalloc.stop()
    else:
        result = compute_period(inputs, plan)
    result.coefficient = inputs.coefficient

    print(
        f"\nengine stages, best of {len(runs)} runs (peak = memory traced above the inputs during the stage, "
        f"{'one traced run' if peaks else 'not traced'}):"
    )
    labels = {
        "volumes": "PV/BV grouping",
        "group_volume": "GV (tree aggregates)",
        "ranks": "ranks (legs, cap, bottom-up)",
        "unilevel": "unilevel with compression",
        "fast_start": "fast start",
        "rank_advancement": "rank advancement",
        "matching": "matching",
        "pool": "leadership pool",
        "totals": "totals, threshold, compliance",
    }
    stages = [(name, best[name], peaks.get(name, 0)) for name in best if name != "rounding_in_bonuses"]
    for name, seconds, peak in stages:
        print(f"  {labels.get(name, name):32s} {seconds:8.3f} s  peak {fmt_mb(peak)}")
    print(f"  {'(of which coefficient + rounding)':32s} {best['rounding_in_bonuses']:8.3f} s")
    print(f"  {'total compute_period':32s} {total:8.3f} s   (runs: {', '.join(f'{s:.2f}' for s, _t in runs)} s)")
    print(
        f"  rows: {result.row_count:,}  paid ranks: {np.bincount(result.paid_rank).tolist()}  "
        f"max depth {int(result.depth.max())}"
    )
    print(f"  process peak RSS so far: {fmt_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)}")

    sample, lines, naive, earned = naive_sample(inputs, plan, result, args.sample)
    for _ in range(max(args.repeat, 1) - 1):  # best of --repeat runs too, like the engine
        again = naive_sample(inputs, plan, result, args.sample)[2]
        naive = {name: min(seconds, again[name]) for name, seconds in naive.items()}
    per_line = m / max(len(lines), 1)
    per_dist = inputs.size / max(len(sample), 1)
    print(
        f"\nnaive per-record way on {len(sample):,} distributors ({len(lines):,} lines), best of {max(args.repeat, 1)} "
        "runs, extrapolated:"
    )
    naive_total = engine_total = 0.0
    engine_times = {name: seconds for name, seconds, _peak in stages}
    for name, scale in (("volumes", per_line), ("group_volume", per_line), ("ranks", per_dist), ("unilevel", per_line)):
        est = naive[name] * scale
        naive_total += est
        engine_total += engine_times[name]
        print(
            f"  {labels[name]:32s} naive {est:9.1f} s   engine {engine_times[name]:7.3f} s   "
            f"ratio {est / max(engine_times[name], 1e-9):8.0f}x"
        )
    print(
        f"  {'these four stages':32s} naive {naive_total:9.1f} s   engine {engine_total:7.3f} s   "
        f"ratio {naive_total / max(engine_total, 1e-9):8.0f}x"
    )
    pairs, worst = check_unilevel(result, sample, earned)
    print(
        f"  cross-check: {pairs:,} unilevel (beneficiary, source) pairs of the sample, "
        f"largest difference {worst:.2f} cent (the rounding of one row: at most 0.50)"
    )


if __name__ == "__main__":
    main()
