#!/usr/bin/env python3
"""Real-time projection from the shared state (PostgreSQL), each scenario in a fresh process (a restarted worker).

    $VENV/bin/python mlm_commission/benchmarks/bench_projection.py -c odoo.conf -d DB [--size 100000] [--calls 200]

``DB`` must have ``mlm_commission`` installed; the network is the company "Benchmark <size>" of ``bench_run.py``
and its first period. Every call runs in its own new transaction, as a
request does, and is timed on the server side (the method call). Each scenario runs in a new Python process with a
new registry, as a worker after a restart, and reports the first call, p50/p95 of the next ones (the top leader
and ``--sample`` random distributors, alternately) and the process's RSS growth from before its first call:

1. fold: the job that rebuilds the company's state (one engine run, binary COPY), its time and peak RSS;
2. restart: first calls and steady state, nothing pending;
3. sales: before each call another transaction posts a ledger line (a volume adjustment, the line a posted sale
   adds) for a random distributor and commits: the pending lines grow to ``--calls`` (the cron folds every minute);
   plus the write-side cost: what recording the pending changes adds to the ledger lines of a 20-line invoice;
4. bulk: 10k distributors written at once, a field the projection ignores (a note), then their personal
   coefficient (restored afterwards): calls while those changes are pending, the fold, calls after it.

The baseline is the path without any state: the engine on the leader's subtree read by two binary COPYs. Results of
the shared state are checked against it for the leader (volumes, rank, legs, bonuses but the pool). Benchmark
ledger lines are deleted at the end and the state folded again.
"""

# a command-line report: printing is its output
# pylint: disable=print-used,invalid-commit

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time

REASON = "benchmark projection"
BULK = 10_000


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--baseline-repeat", type=int, default=3)
    parser.add_argument(
        "--phases",
        default="fold,baseline,restart,restart,sales,fold,bulk_ignored,bulk_coefficient,fold,restart,cleanup,fold",
        help="scenarios in order (each in a new process)",
    )
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    return parser.parse_args()


def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentiles(seconds):
    ms = sorted(s * 1000 for s in seconds)
    if not ms:
        return {}
    return {
        "n": len(ms),
        "p50": statistics.median(ms),
        "p95": ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))],
        "max": ms[-1],
    }


# ---------------------------------------------------------------------------------------------------- child side
class Child:
    """One fresh process: a new registry, then the scenario."""

    def __init__(self, args):
        import odoo
        from odoo import SUPERUSER_ID, api

        odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
        self.api, self.uid = api, SUPERUSER_ID
        self.args = args
        self.registry = odoo.modules.registry.Registry(args.database)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].search([("name", "=", f"Benchmark {args.size}")], limit=1)
            self.company_id = company.id
            period = env["mlm.commission.period"].search([("company_id", "=", company.id)], order="date_from", limit=1)
            self.period_id, self.day = period.id, period.date_from
            cr.execute(
                "SELECT id FROM mlm_distributor WHERE company_id = %s AND sponsor_id IS NULL ORDER BY id LIMIT 1",
                [company.id],
            )
            self.leader = cr.fetchone()[0]
            cr.execute("SELECT id FROM mlm_distributor WHERE company_id = %s ORDER BY id", [company.id])
            ids = [row[0] for row in cr.fetchall()]
        self.rng = random.Random(args.seed)
        self.ids = ids
        self.sample = self.rng.sample(ids, min(args.sample, len(ids)))
        self.queries, self.declined = [], 0
        self._count_declines()
        self.rss0 = rss_mb()

    def _count_declines(self):
        """Count the calls the shared state declines (the engine answers them): a wrapper, for this report only."""
        from odoo.addons.mlm_commission.models import mlm_distributor_projection as projection

        values = projection.SharedProjection.values
        child = self

        def counted(shared, me):
            result = values(shared, me)
            child.declined += result is None
            return result

        projection.SharedProjection.values = counted

    def env(self, cr):
        # a request's context: its language (from the website or the user) and the allowed companies
        return self.api.Environment(cr, self.uid, {"lang": "en_US", "allowed_company_ids": [self.company_id]})

    def call(self, dist_id, method="new"):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            dist = env["mlm.distributor"].browse(dist_id)
            period = env["mlm.commission.period"].browse(self.period_id)
            dist.sudo().read(["company_id", "parent_path"])  # the record cache of a request
            queries = cr.sql_log_count
            start = time.perf_counter()
            if method == "new":
                values = dist.get_mlm_projection(period=period)
            else:
                values = self.old_path(env, dist, period)
            elapsed = time.perf_counter() - start
            self.queries.append(cr.sql_log_count - queries)
            cr.rollback()
        return values, elapsed

    @staticmethod
    def old_path(env, dist, period):
        me = dist.sudo()
        plan = period.plan_id
        low, high = me._subtree_range()
        env["mlm.distributor"].flush_model()
        values, _paid = env["mlm.distributor"]._projection_from_subtree(
            me, plan, plan._get_ranks(), plan._get_engine_spec(), low, high, period.date_from, period.date_to
        )
        return values

    def calls(self, count, before_each=None):
        """(first call, leader timings, sample timings, last leader values)."""
        leader, sample, first, values = [], [], None, None
        for i in range(count):
            if before_each:
                before_each(i)
            dist = self.leader if i % 2 == 0 else self.sample[(i // 2) % len(self.sample)]
            result, secs = self.call(dist)
            if first is None:
                first = secs
            if dist == self.leader:
                leader.append(secs)
                values = result
            else:
                sample.append(secs)
        return first, leader, sample, values

    def report(self, label, first, leader, sample, **extra):
        return {
            "label": label,
            "first_ms": first * 1000 if first is not None else None,
            "leader": percentiles(leader),
            "sample": percentiles(sample),
            "all": percentiles(leader + sample),
            "rss_growth_mb": rss_mb() - self.rss0,
            "queries": statistics.median(self.queries) if self.queries else 0,
            "declined": self.declined,
            **extra,
        }

    def pending(self):
        with self.registry.cursor() as cr:
            cr.execute("SELECT count(*) FROM mlm_projection_delta WHERE company_id = %s", [self.company_id])
            return cr.fetchone()[0]

    # ------------------------------------------------------------------ phases
    def phase_fold(self):
        from odoo.addons.mlm_commission.models import mlm_distributor_projection as projection

        with self.registry.cursor() as cr:
            env = self.env(cr)
            projection.create_tables(cr)  # a database updated before the last column was added
            cr.commit()
            start = time.perf_counter()
            stored = projection.fold(
                env, env["res.company"].browse(self.company_id), env["mlm.commission.period"].browse(self.period_id)
            )
            cr.commit()
            seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"label": "fold", "seconds": seconds, "stored": stored, "peak_rss_mb": peak, "rss0_mb": self.rss0}

    def phase_baseline(self):
        times = []
        for _i in range(self.args.baseline_repeat):
            values, secs = self.call(self.leader, "old")
            times.append(secs)
        new, _secs = self.call(self.leader)
        return {
            "label": "baseline",
            "leader": percentiles(times),
            "same": comparable(new) == comparable(values),
        }

    def phase_restart(self):
        first, leader, sample, _values = self.calls(self.args.calls)
        return self.report("restart", first, leader, sample, pending=self.pending())

    def add_sale(self, _i):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            dist = env["mlm.distributor"].browse(self.rng.choice(self.ids))
            env["mlm.volume.line"]._create_adjustment(dist, 40.0, 30.0, self.day, REASON)
            cr.commit()  # a benchmark, not business code: the sale must be visible to the next request

    def phase_sales(self):
        first, leader, sample, _values = self.calls(self.args.calls, self.add_sale)
        values, _secs = self.call(self.leader)  # after the last sale
        old, _secs = self.call(self.leader, "old")
        same = comparable(values) == comparable(old)
        return self.report("sales", first, leader, sample, pending=self.pending(), same=same, **self.write_cost())

    def write_cost(self):
        """Recording the pending changes of a 20-line invoice's ledger lines, against inserting them."""
        from odoo.addons.mlm_commission.models import mlm_distributor_projection as projection

        insert, record = [], []
        for _i in range(20):
            with self.registry.cursor() as cr:
                env = self.env(cr)
                Line = env["mlm.volume.line"]._system()
                vals = [
                    {
                        "company_id": self.company_id,
                        "date": self.day,
                        "distributor_id": self.rng.choice(self.ids),
                        "volume_type": "personal",
                        "pv": 10.0,
                        "bv": 7.5,
                        "source_key": f"bench:{time.time_ns()}:{k}",
                        "revision": 1,
                        "reason": REASON,
                    }
                    for k in range(20)
                ]
                start = time.perf_counter()
                lines = Line._insert_lines(vals)
                insert.append(time.perf_counter() - start)
                start = time.perf_counter()
                projection.record_changes(env, "l", lines=lines.ids)  # a second time: its own cost
                record.append(time.perf_counter() - start)
                cr.rollback()
        return {"invoice_lines_ms": statistics.median(insert) * 1000, "record_ms": statistics.median(record) * 1000}

    def bulk_write(self, values):
        with self.registry.cursor() as cr:
            env = self.env(cr)
            dists = env["mlm.distributor"].browse(self.bulk_ids).with_context(tracking_disable=True)
            start = time.perf_counter()
            dists.write(values)
            env.flush_all()
            cr.commit()
            return time.perf_counter() - start

    def phase_bulk_ignored(self):
        self.bulk_ids = self.rng.sample(self.ids, min(BULK, len(self.ids)))
        seconds = self.bulk_write({"kyc_note": "benchmark"})
        first, leader, sample, _values = self.calls(self.args.calls)
        return self.report("bulk_note", first, leader, sample, pending=self.pending(), write_s=seconds)

    def phase_bulk_coefficient(self):
        self.bulk_ids = self.rng.sample(self.ids, min(BULK, len(self.ids)))
        seconds = self.bulk_write({"mlm_coefficient": 1.1})
        first, leader, sample, _values = self.calls(max(20, self.args.calls // 10))
        self.bulk_write({"mlm_coefficient": 1.0})
        return self.report("bulk_coefficient", first, leader, sample, pending=self.pending(), write_s=seconds)

    def phase_cleanup(self):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM mlm_volume_line WHERE reason = %s", [REASON])
            deleted = cr.rowcount
            cr.commit()
        return {"label": "cleanup", "deleted": deleted}


def comparable(values):
    earnings = {k: v for k, v in values["earnings"].items() if "ool" not in k}
    return (
        values["pv"],
        values["gv"],
        values["paid_rank_id"],
        sorted((leg["distributor_id"], round(leg["volume"], 2)) for leg in values["legs"]),
        earnings,
    )


def child_main(args):
    child = Child(args)
    print("RESULT " + json.dumps(getattr(child, f"phase_{args.phase}")(), default=str), flush=True)


# ---------------------------------------------------------------------------------------------------- parent side
def run_phase(args, phase):
    cmd = [sys.executable, __file__, "-c", args.config, "-d", args.database, "--size", str(args.size)]
    cmd += ["--calls", str(args.calls), "--sample", str(args.sample), "--seed", str(args.seed), "--phase", phase]
    cmd += ["--baseline-repeat", str(args.baseline_repeat)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[7:])
            result["load"] = os.getloadavg()
            return result
    raise RuntimeError(f"phase {phase} failed:\n{out.stderr[-3000:]}")


def show(result):
    load = "load {:.1f} {:.1f} {:.1f}".format(*result["load"])
    if result["label"] == "fold":
        print(
            f"  fold job: {result['seconds']:.1f} s for {result['stored']} distributors, peak RSS "
            f"{result['peak_rss_mb']:.0f} MB ({result['rss0_mb']:.0f} MB after the registry)   [{load}]"
        )
        return
    if result["label"] == "baseline":
        lead = result["leader"]
        print(f"  baseline (engine on the leader's subtree): p50 {lead['p50']:.0f} ms   [{load}]")
        print(f"  shared state gives the baseline's figures for the leader: {'yes' if result['same'] else 'NO'}")
        return
    if result["label"] == "cleanup":
        print(f"  {result['deleted']} benchmark ledger lines deleted")
        return
    parts = [f"  {result['label']:<17} first call {result['first_ms']:7.1f} ms"]
    for key in ("leader", "sample", "all"):
        p = result[key]
        parts.append(f"{key} p50 {p['p50']:6.1f} p95 {p['p95']:6.1f} max {p['max']:7.1f} ms (n={p['n']})")
    print("\n      ".join(parts))
    extra = (
        f"RSS growth {result['rss_growth_mb']:.1f} MB, pending changes {result['pending']}, queries per call"
        f" {result['queries']:.0f}, declined by the state (engine answered) {result['declined']}"
    )
    if "same" in result:
        extra += f", leader = baseline: {'yes' if result['same'] else 'NO'}"
    if "write_s" in result:
        extra += f", bulk write {result['write_s']:.1f} s"
    if "record_ms" in result:
        extra += (
            f"; 20-line invoice: ledger insert {result['invoice_lines_ms']:.1f} ms + recording its pending"
            f" lines {result['record_ms']:.2f} ms"
        )
    print(f"      {extra}   [{load}]")


def main():
    args = parse()
    if args.phase:
        child_main(args)
        return
    print(f"projection benchmark, company 'Benchmark {args.size}', load at start {os.getloadavg()}")
    print("each line: a new process (a restarted worker); p50/p95 of the top leader and random distributors")
    for phase in args.phases.split(","):
        show(run_phase(args, phase))


if __name__ == "__main__":
    main()
