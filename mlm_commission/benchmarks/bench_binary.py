#!/usr/bin/env python3
"""Benchmark of the binary plan type (engine/binary.py) on a synthetic placement tree.

    python mlm_commission/benchmarks/bench_binary.py [--size 1000000] [--repeat 3]

Builds the inputs of bench_engine.py (ledger, statuses, coefficients, carried pay) on a synthetic binary placement
tree, with each distributor's sponsor one to four placement levels above it (so every sponsor has its recruits in
its placement downline, as placement requires), 10 % of the network with carried leg volume and 1 % in the holding
tank. Times the same period with the default engine (unilevel plan) and with ``BinaryEngine`` (the same plan plus
binary 10 % with 2:1 cycles of 100.00, carry cap and rank caps, a 4-level matrix and matching on unilevel + binary
earnings), and prints what the binary plan type adds, stage by stage, and the machine's load.
"""

# a command-line report: printing is its output
# pylint: disable=print-used

import argparse
import dataclasses
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))  # the engine folder, imported without Odoo

from bench_engine import make_inputs, make_plan
from engine import (
    BinaryEngine,
    BinarySpec,
    CommissionEngine,
    MatrixSpec,
    PeriodInputs,
    PlacementInputs,
    compute_period,
)


def make_placement(n, seed=5):
    """A binary placement tree (parents only): each newcomer takes a free position under a recent (half of them)
    or a random earlier distributor; recent picks give long legs, as spillover does in real binary trees."""
    rng = np.random.default_rng(seed)
    parent = np.full(n, -1, dtype=np.int64)
    free = [0, 0]  # one entry per free position (a node appears twice while both are free)
    recent = rng.random(n) < 0.5
    picks = rng.random(n)
    for i in range(1, n):
        size = len(free)
        if recent[i]:
            k = size - 1 - int(picks[i] * min(size, 64))
        else:
            k = int(picks[i] * size)
        p = free[k]
        free[k] = free[-1]
        free.pop()
        parent[i] = p
        free.append(i)
        free.append(i)
    return parent


def sponsor_from_placement(parent, seed=6):
    """Each distributor's sponsor 1-4 placement levels above it (a root sponsors nobody above it)."""
    rng = np.random.default_rng(seed)
    up = rng.choice([1, 1, 1, 2, 2, 3, 4], len(parent))
    sponsor = parent.copy()
    for k in range(2, 5):
        step = (up >= k) & (sponsor >= 0) & (parent[np.maximum(sponsor, 0)] >= 0)
        sponsor[step] = parent[sponsor[step]]
    return sponsor


def fix_positions(parent):
    """One left and one right child per parent: the first placed child is left, the second right."""
    position = np.zeros(len(parent), dtype=np.int8)
    kids = np.flatnonzero(parent >= 0)
    order = np.lexsort((kids, parent[kids]))
    kids = kids[order]
    second = np.zeros(len(kids), dtype=bool)
    second[1:] = parent[kids[1:]] == parent[kids[:-1]]
    position[kids[second]] = 1
    return position


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--lines-per", type=float, default=7.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = args.size
    base, seconds = make_inputs(n, args.lines_per)
    t0 = time.perf_counter()
    parent = make_placement(n)
    position = fix_positions(parent)
    sponsor = sponsor_from_placement(parent)
    rng = np.random.default_rng(9)
    holding = (rng.random(n) < 0.01) & (np.bincount(parent[parent >= 0], minlength=n) == 0)
    parent = np.where(holding, -1, parent)
    carry_left = np.where(rng.random(n) < 0.1, rng.integers(0, 500_000, n), 0)
    carry_right = np.where(rng.random(n) < 0.1, rng.integers(0, 500_000, n), 0)
    pending = np.where(holding, rng.integers(0, 10_000, n), 0)
    fields = {name: getattr(base, name) for name, _dtype in (*PeriodInputs.DIST_FIELDS, *PeriodInputs.LINE_FIELDS)}
    fields["sponsor_idx"] = sponsor
    placement = PlacementInputs(parent, position, holding, carry_left, carry_right, pending)
    inputs = PeriodInputs(**fields, placement=placement)
    seconds += time.perf_counter() - t0
    print(f"inputs: {n} distributors, {len(inputs.line_dist)} lines, built in {seconds:.1f} s")
    plan = make_plan()
    binary_plan = dataclasses.replace(
        plan,
        extra={
            "binary": BinarySpec(
                rate=0.10,
                ratio=(2, 1),
                cycle_units=10_000,
                min_sponsored=1,
                carry_cap=1_000_000,
                rank_caps_cents=(50_000, 100_000, 200_000, 500_000, 1_000_000, 0),
                matching_base="both",
            ),
            "matrix": MatrixSpec((0.02, 0.02, 0.01, 0.01)),
        },
    )
    binary_only = dataclasses.replace(binary_plan, extra={"binary": binary_plan.extra["binary"]})
    from engine.tree import depths

    print(f"placement depth: max {int(depths(parent).max())}; sponsor depth: max {int(depths(sponsor).max())}")
    best = {}
    for label, engine_class, spec in (
        ("default engine", CommissionEngine, plan),
        ("binary only", BinaryEngine, binary_only),
        ("binary engine", BinaryEngine, binary_plan),
    ):
        runs = []
        for _r in range(args.repeat):
            start = time.perf_counter()
            result = compute_period(inputs, spec, engine_class=engine_class)
            runs.append((time.perf_counter() - start, result))
        total, result = min(runs, key=lambda x: x[0])
        best[label] = (total, result)
        print(f"{label}: {total:.2f} s (runs: {', '.join(f'{t:.2f}' for t, _r in runs)}), {result.row_count} rows")
        for stage, secs in result.timings.items():
            print(f"    {stage:22s} {secs:7.3f} s")
    only = best["binary only"][0] - best["default engine"][0]
    print(f"binary alone (matching on unilevel + binary, no matrix) adds {only:.2f} s")
    extra = best["binary engine"][0] - best["default engine"][0]
    result = best["binary engine"][1]
    paid = int(np.count_nonzero(result.binary_matched))
    capped = int(np.count_nonzero(result.binary_capped))
    print(f"binary + matrix adds {extra:.2f} s; earners of binary: {paid}; capped: {capped}")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
