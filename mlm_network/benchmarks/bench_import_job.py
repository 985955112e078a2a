"""Queued genealogy import: what the request does and what the job does, for one file of N rows (default 100k).

    $ODOO_VENV/bin/python mlm_network/benchmarks/bench_import_job.py --config CONF --db DB [--size 100000]

Any database with mlm_network installed. A file of N rows (a random tree under no sponsor, shuffled) goes through
the import screen's path: the request's checks and queueing (``load`` with ``mlm_import_queue``), then the job
(``_execute_job``: read the stored rows, ``load`` all or nothing). Everything is rolled back at the end. Prints the
times, the process's peak RSS and the load average; the baseline is the worker's limit (limit_time_real 120 s).
"""

import argparse
import os
import random
import resource
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "setup"))
from odoo_env import odoo_env

FIELDS = ["code", "name", "email", "sponsor_code", "join_date"]


def rows(size):
    rng = random.Random(7)
    data = [
        [f"BI{i:07d}", f"Bench {i}", f"bench{i}@example.com", f"BI{rng.randrange(i):07d}" if i else "", "2025-01-01"]
        for i in range(size)
    ]
    rng.shuffle(data)
    return data


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    data = rows(args.size)
    print(f"load average before: {os.getloadavg()[0]:.2f}; peak RSS before: {peak_mb():.0f} MB")
    with odoo_env(args.config, args.db, commit=False) as env:
        env = env(context=dict(env.context, queue_job__no_delay=True))
        Distributor = env["mlm.distributor"].with_context(import_file=True)
        Import = env["mlm.distributor.import.job"]
        # the request: checks and queueing (the job is created, not run)
        started = time.perf_counter()
        original = type(Import)._enqueue
        type(Import)._enqueue = lambda self: True
        try:
            answer = Distributor.with_context(mlm_import_queue="bench.csv").load(FIELDS, data)
        finally:
            type(Import)._enqueue = original
        request = time.perf_counter() - started
        record = Import.search([("name", "=", "bench.csv")], limit=1)
        print(f"request (checks, store rows, queue): {request:8.1f} s   {answer['messages'][0]['message']}")
        # the job
        started = time.perf_counter()
        record._execute_job()
        env.flush_all()
        job = time.perf_counter() - started
        outcome = f"state {record.state}, {record.imported_count} rows"
        print(f"job (read rows, load, all or nothing): {job:6.1f} s   {outcome}")
        print(f"baseline: worker limit_time_real       120.0 s   margin x{120 / job:.1f}")
        print(f"peak RSS of the process: {peak_mb():.0f} MB (limit_memory_hard 2560 MB)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
