#!/usr/bin/env python3
"""Real-time projection of the top leader of a generated network: the cached incremental path against the old
one (the engine over the leader's whole subtree), in the same run.

    $VENV/bin/python mlm_commission/benchmarks/bench_projection.py -c odoo.conf -d DB [--size 100000] [--repeat 30]

``DB`` must have ``mlm_commission`` installed. The network is the company "Benchmark <size>" of ``bench_run.py``
(generated the same way when missing: ``mlm.network.generator`` and ~7 ledger lines per distributor). Every call
runs in its own new transaction, as a portal request does, and is timed on the server side (the method call):

1. baseline: the old path, the engine on the leader's subtree read by two binary COPYs (no cache);
2. cold: the first call of a process (the cache is built: the company's tree and ledger, one engine run);
3. warm: later calls with nothing new;
4. after a sale: before each call another transaction adds and commits a ledger line (a volume adjustment, the
   line a posted sale adds) for a random distributor of the network, so every call applies a new line;
5. after a distributor changed: before each call another transaction changes a random distributor's personal
   coefficient (restored to 1.0 at the end);
6. an entry older than ``MAX_AGE`` (every 15 minutes): its ledger line count is checked before it is used again.

Each warm and after-sale result is checked against the old path's figures (volumes, rank, legs, every bonus but
the leadership pool, which the old path leaves out). The benchmark's ledger lines are deleted at the end.
"""

# a command-line report: printing is its output
# pylint: disable=print-used,invalid-commit

import argparse
import importlib.util
import os
import random
import resource
import statistics
import time
from pathlib import Path

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

REASON = "benchmark projection"


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--baseline-repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


def bench_run_module():
    path = Path(__file__).with_name("bench_run.py")
    spec = importlib.util.spec_from_file_location("mlm_bench_run", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def summary(label, seconds):
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    print(
        f"  {label:<44} n={len(ms):<3} median {statistics.median(ms):8.1f} ms   p95 {p95:8.1f} ms"
        f"   min {ms[0]:8.1f} ms   max {ms[-1]:8.1f} ms"
    )
    return statistics.median(ms), p95


class Bench:
    def __init__(self, registry, company_id, period_id, leader_id):
        self.registry = registry
        self.company_id, self.period_id, self.leader_id = company_id, period_id, leader_id

    def env(self, cr):
        return api.Environment(cr, SUPERUSER_ID, {"allowed_company_ids": [self.company_id]})

    def call(self, method):
        """One request: a new transaction, the projection timed inside it, rolled back (read only)."""
        with self.registry.cursor() as cr:
            env = self.env(cr)
            leader = env["mlm.distributor"].browse(self.leader_id)
            period = env["mlm.commission.period"].browse(self.period_id)
            leader.sudo().read(["company_id", "parent_path"])  # record cache as a request would have it
            start = time.perf_counter()
            values = method(env, leader, period)
            elapsed = time.perf_counter() - start
            cr.rollback()
        return values, elapsed

    @staticmethod
    def new_path(env, leader, period):
        return leader.get_mlm_projection(period=period)

    @staticmethod
    def old_path(env, leader, period):
        me = leader.sudo()
        plan = period.plan_id
        low, high = me._subtree_range()
        env["mlm.distributor"].flush_model()
        values, _paid = env["mlm.distributor"]._projection_from_subtree(
            me, plan, plan._get_ranks(), plan._get_engine_spec(), low, high, period.date_from, period.date_to
        )
        return values

    def set_coefficient(self, dist_id, value):
        with self.registry.cursor() as cr:
            self.env(cr)["mlm.distributor"].browse(dist_id).mlm_coefficient = value
            cr.commit()

    def add_sale(self, dist_id, day):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            dist = env["mlm.distributor"].browse(dist_id)
            env["mlm.volume.line"]._create_adjustment(dist, 40.0, 30.0, day, REASON)
            cr.commit()  # a benchmark script, not business code: the sale must be visible to the next request


def comparable(values, pool_label):
    earnings = {k: v for k, v in values["earnings"].items() if k != pool_label}
    pool = values["earnings"].get(pool_label, 0.0)
    return (
        values["pv"],
        values["gv"],
        values["paid_rank_id"],
        sorted((leg["distributor_id"], leg["volume"]) for leg in values["legs"]),
        earnings,
        round(values["projected_total"] - pool, 2),
    )


def main():
    args = parse()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    from odoo.addons.mlm_commission.models import mlm_distributor_projection as cache

    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = bench_run_module().setup_company(env, args.size, args.seed, 7)
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        period = env["mlm.commission.period"].search([("company_id", "=", company.id)], order="date_from", limit=1)
        leader = env["mlm.distributor"].search(
            [("company_id", "=", company.id), ("sponsor_id", "=", False)], order="id", limit=1
        )
        cr.execute(SQL("SELECT count(*) FROM mlm_distributor WHERE company_id = %s", company.id))
        n = cr.fetchone()[0]
        cr.execute(
            SQL(
                "SELECT count(*) FROM mlm_volume_line WHERE company_id = %s AND date BETWEEN %s AND %s",
                company.id,
                period.date_from,
                period.date_to,
            )
        )
        m = cr.fetchone()[0]
        cr.execute(
            SQL(
                "SELECT id FROM mlm_distributor WHERE company_id = %s AND status NOT IN ('terminated', 'prospect')",
                company.id,
            )
        )
        candidates = [row[0] for row in cr.fetchall()]
        pool_label = dict(period.plan_id._get_bonus_type_selection())["5"]
        print(f"network: {n} distributors, {m} ledger lines in period {period.name} ({period.state})")
        print(f"top leader: {leader.code}, {leader.downline_count} distributors below")
        print(f"machine load average (1, 5, 15 min) at start: {os.getloadavg()}")
        ids = (company.id, period.id, leader.id, period.date_from)

    bench = Bench(registry, *ids[:3])
    rng = random.Random(args.seed)
    day = ids[3]
    results = {}
    print("\nserver time of get_mlm_projection() for the top leader, each call in its own transaction:")
    try:
        # 1. baseline: the old path (engine on the whole subtree, two COPYs), no cache involved
        timings, reference = [], None
        for _i in range(args.baseline_repeat):
            reference, secs = bench.call(bench.old_path)
            timings.append(secs)
        results["baseline"] = summary("old path: engine on the leader's subtree", timings)
        bench.add_sale(rng.choice(candidates), day)
        timings = []
        for _i in range(args.baseline_repeat):
            bench.add_sale(rng.choice(candidates), day)
            _values, secs = bench.call(bench.old_path)
            timings.append(secs)
        results["baseline_sale"] = summary("old path, right after a new sale", timings)

        # 2. cold: the cache is built
        timings = []
        for _i in range(3):
            cache.clear()
            _values, secs = bench.call(bench.new_path)
            timings.append(secs)
        results["cold"] = summary("new: cold (cache built: tree, ledger, engine)", timings)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        state = next(iter(cache._entries.values())).state
        size = sum(v.nbytes for v in vars(state).values() if hasattr(v, "nbytes"))
        print(f"    cache entry: {size / 2**20:.0f} MB of arrays; peak RSS of this process so far {rss:.0f} MB")

        # 3. warm: nothing new
        timings, mismatches = [], 0
        for _i in range(args.repeat):
            values, secs = bench.call(bench.new_path)
            timings.append(secs)
        reference, _secs = bench.call(bench.old_path)
        mismatches += comparable(values, pool_label) != comparable(reference, pool_label)
        results["warm"] = summary("new: warm (nothing new)", timings)

        # 4. after a sale: a new committed ledger line before every call
        timings = []
        for i in range(args.repeat):
            bench.add_sale(rng.choice(candidates), day)
            values, secs = bench.call(bench.new_path)
            timings.append(secs)
            if i % 10 == 9:
                reference, _secs = bench.call(bench.old_path)
                mismatches += comparable(values, pool_label) != comparable(reference, pool_label)
        results["sale"] = summary("new: right after a new ledger line", timings)

        # 4b. an entry past MAX_AGE: its line count is checked against the period's before it is used again
        timings = []
        for _i in range(5):
            for entry in cache._entries.values():
                entry.built -= cache.MAX_AGE + 1
            _values, secs = bench.call(bench.new_path)
            timings.append(secs)
        results["expired"] = summary("new: entry past MAX_AGE (line count check)", timings)

        # 5. after a distributor changed (their coefficient): applied to the state, no rebuild
        timings, changed = [], []
        for i in range(args.repeat // 2):
            changed.append(rng.choice(candidates))
            bench.set_coefficient(changed[-1], 1.0 + (i % 3) / 10)
            values, secs = bench.call(bench.new_path)
            timings.append(secs)
        reference, _secs = bench.call(bench.old_path)
        mismatches += comparable(values, pool_label) != comparable(reference, pool_label)
        results["distributor"] = summary("new: right after a distributor changed", timings)
        for dist_id in changed:
            bench.set_coefficient(dist_id, 1.0)
        print(
            f"\nsame figures as the engine on the subtree (volumes, rank, legs, bonuses but the pool): "
            f"{'yes' if not mismatches else f'NO ({mismatches} mismatches)'}"
        )
        print(
            f"projected total of the top leader: {values['projected_total']:.2f}"
            f" (pool {values['earnings'].get(pool_label, 0.0):.2f}), paid rank {values['paid_rank']}"
        )
        base = results["baseline_sale"][0]
        print(
            f"speed-up after a sale (median): {base / results['sale'][0]:.0f}x; goal < 300 ms median and p95: "
            f"{'met' if max(results['sale'] + results['warm'] + results['distributor']) < 300 else 'NOT met'}"
        )
    finally:
        with registry.cursor() as cr:
            cr.execute(SQL("DELETE FROM mlm_volume_line WHERE reason = %s", REASON))
            print(f"\n{cr.rowcount} benchmark ledger lines deleted")
            cr.commit()


if __name__ == "__main__":
    main()
