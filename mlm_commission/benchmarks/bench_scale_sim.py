#!/usr/bin/env python3
"""Past one machine, by simulation: the month end's data path at 10M distributors / 70M ledger lines, no Odoo.

    python mlm_commission/benchmarks/bench_scale_sim.py --dsn "dbname=SCRATCH_DB" [--size 10000000]
        [--lines-per 7] [--chunk 1000000] [--min-free-gb 2] [--verify] [--keep]

Steps, each printed with its wall time and its peak RSS (sampled from /proc every 0.2 s):

1. synthetic network: ``--size`` distributors (mlm_network's generator shape), their per-distributor arrays;
2. ledger COPY in: ~``--lines-per`` lines per distributor, made and written chunk by chunk (``--chunk``
   distributors at a time) by binary COPY (``tools/pgcopy.py``) into a scratch table ``sim_ledger`` of the scratch
   database ``--dsn`` (distributor, PV, BV cents, date, customer flag: the columns the run's reader reads);
3. ledger COPY out: the table back by binary COPY (``pgcopy.copy_out``) in chunks of ``--chunk-pages`` table pages
   (TID range scans), each chunk reduced at once to per-distributor sums, as lines that give the engine the same
   result (PV per distributor, BV per distributor x customer flag x inside/outside the fast-start window): 70M
   lines never sit in memory;
4. the engine (``compute_period``, the 7-level compressed unilevel, six ranks with leg rules, fast start,
   advancement, 3 matching generations and a pool of ``bench_engine.py``), with its stage times;
5. results COPY in: the engine's commission rows and one statement per distributor with volume or earnings, by
   binary COPY into scratch tables without foreign keys (as the run's result tables), chunk by chunk.

The goal: steps 3-5 (what the month end runs) < 10 min and < 16 GB. The script stops early, saying so, when the
machine's available memory drops under ``--min-free-gb`` (other work shares it). ``--verify`` also runs the engine on
the raw lines (small sizes only) and checks that the reduced lines give the same rows and statements to the cent.
``--keep`` keeps the scratch tables (dropped otherwise).
"""

# a command-line report: printing is its output
# pylint: disable=print-used

import argparse
import os
import sys
import threading
import time

import numpy as np
import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
ADDON = os.path.dirname(HERE)
sys.path.insert(0, ADDON)  # the engine and tools folders, imported without Odoo
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(ADDON), "mlm_network", "tools"))

from bench_engine import PERIOD_START, make_plan
from engine import ROW_FIELDS, PeriodInputs, compute_period
from genealogy import generate_network_shape
from tools import pgcopy

GB = 1024**3
PG_EPOCH = 730_120  # date(2000, 1, 1).toordinal(): a binary COPY date is int4 days since then
LEDGER_COLUMNS = [
    ("distributor_id", "int4"),
    ("pv", "float8"),
    ("bv_cents", "int8"),
    ("date", "int4"),
    ("customer", "bool"),
]
READ_COLUMNS = [
    ("distributor_id", "int8"),
    ("pv", "float8"),
    ("bv_cents", "int8"),
    ("day", "int8"),
    ("customer", "bool"),
]
# the run's reader casts the same way (mlm_commission_data.InputReader._read_ledger)
READ_QUERY = (
    f"SELECT distributor_id::int8, pv, bv_cents, (date - '2000-01-01'::date + {PG_EPOCH})::int8, customer"
    " FROM sim_ledger"
)
ROW_COLUMNS = [
    (name, "int2" if dtype == np.int8 else "float8" if dtype == np.float64 else "int8") for name, dtype in ROW_FIELDS
]
STATEMENT_COLUMNS = [
    ("distributor", "int8"),
    ("pv", "float8"),
    ("gv", "float8"),
    ("paid_rank", "int8"),
    ("total_cents", "int8"),
    ("payable_cents", "int8"),
    ("carry_cents", "int8"),
]


class Memory(threading.Thread):
    """Peak RSS of this process since the last ``reset``, and the machine's lowest available memory."""

    def __init__(self, min_free_gb):
        super().__init__(daemon=True)
        self.peak = 0
        self.min_free = min_free_gb * GB
        self.tight = None
        self.lowest_available = None

    @staticmethod
    def _read(path, key):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1]) * 1024
        return 0

    def reset(self):
        self.peak = self._read("/proc/self/status", "VmRSS:")

    def run(self):
        while True:
            self.peak = max(self.peak, self._read("/proc/self/status", "VmRSS:"))
            available = self._read("/proc/meminfo", "MemAvailable:")
            self.lowest_available = min(self.lowest_available or available, available)
            if available < self.min_free and not self.tight:
                self.tight = f"the machine's available memory fell to {available / GB:.1f} GB"
            time.sleep(0.2)


class Report:
    def __init__(self, memory):
        self.memory = memory
        self.rows = []

    def step(self, name, function, *args, **kwargs):
        self.memory.reset()
        start = time.perf_counter()
        value = function(*args, **kwargs)
        seconds = time.perf_counter() - start
        self.rows.append((name, seconds, self.memory.peak))
        print(f"  {name:48} {seconds:8.1f} s   peak RSS {self.memory.peak / GB:6.2f} GB", flush=True)
        if self.memory.tight:
            sys.exit(f"stopped early: {self.memory.tight}")
        return value


def make_network(size, seed):
    sponsor = np.array(generate_network_shape(size, seed=seed), dtype=np.int64)
    rng = np.random.default_rng(seed)
    join_day = PERIOD_START + 30 - ((size - np.arange(size)) * (400.0 * 12 / max(size, 1))).astype(np.int64)
    return {
        "sponsor_idx": sponsor,
        "active_status": rng.random(size) < 0.97,
        "coefficient": np.where(rng.random(size) < 0.05, 1.1, 1.0),
        "join_day": join_day,
        "highest_rank": np.where(rng.random(size) < 0.5, 0, -1).astype(np.int64),
        "carried_cents": np.where(rng.random(size) < 0.1, rng.integers(1, 1_500, size), 0).astype(np.int64),
    }


def make_lines(first, last, lines_per, rng):
    """Ledger lines of distributors ``first`` .. ``last - 1`` (as bench_engine.py makes them)."""
    n = last - first
    buyer = rng.random(n) < 0.7
    counts = np.where(buyer, rng.poisson(lines_per / 0.7, n), 0)
    dist = np.repeat(np.arange(first, last, dtype=np.int64), counts)
    m = len(dist)
    pv = rng.choice(np.array([10.0, 20.0, 25.0, 35.0, 50.0, 80.0]), m)
    bv = np.rint(pv * 100 * rng.uniform(0.8, 1.4, m)).astype(np.int64)
    refund = rng.random(m) < 0.02
    pv[refund] *= -1
    bv[refund] *= -1
    return {
        "distributor_id": dist,
        "pv": pv,
        "bv_cents": bv,
        "day": PERIOD_START + rng.integers(0, 30, m),
        "customer": rng.random(m) < 0.35,
    }


def copy_ledger_in(conn, size, lines_per, chunk, seed, memory):
    cr = conn.cursor()
    cr.execute("DROP TABLE IF EXISTS sim_ledger")
    cr.execute(
        "CREATE TABLE sim_ledger (distributor_id int4 NOT NULL, pv float8 NOT NULL, bv_cents int8 NOT NULL,"
        " date date NOT NULL, customer bool NOT NULL)"
    )
    rng = np.random.default_rng(seed + 1)
    total = 0
    for first in range(0, size, chunk):
        lines = make_lines(first, min(size, first + chunk), lines_per, rng)
        lines["date"] = (lines.pop("day") - PG_EPOCH).astype(np.int32)
        pgcopy.copy_in(cr, "sim_ledger", lines, LEDGER_COLUMNS)
        total += len(lines["pv"])
        conn.commit()
        if memory.tight:
            break
    return total


class LedgerReducer:
    """Per-distributor sums of the ledger, added chunk by chunk: PV, and BV per customer flag x inside the
    fast-start window."""

    def __init__(self, size, join_day, fast_start_days):
        self.size, self.join_day, self.fast_start_days = size, join_day, fast_start_days
        self.lines = 0
        self.pv = np.zeros(size)
        self.bv = np.zeros((4, size))

    def add(self, rows):
        dist = rows["distributor_id"]
        self.lines += len(dist)
        self.pv += np.bincount(dist, weights=rows["pv"], minlength=self.size)
        joined = self.join_day[dist]
        window = (rows["day"] >= joined) & (rows["day"] < joined + self.fast_start_days)
        combination = rows["customer"].astype(np.int64) * 2 + window
        flat = np.bincount(combination * self.size + dist, weights=rows["bv_cents"], minlength=4 * self.size)
        self.bv += flat.reshape(4, self.size)


def copy_ledger_out(conn, network, fast_start_days, chunk_pages):
    """The ledger by binary COPY in block ranges of the table (PostgreSQL's TID range scan: each chunk reads only
    its pages, and chunks could be read by several connections or machines at once), each chunk reduced as it
    arrives; returns (reducer, reduced line arrays)."""
    size = len(network["sponsor_idx"])
    reducer = LedgerReducer(size, network["join_day"], fast_start_days)
    cr = conn.cursor()
    cr.execute("SELECT pg_relation_size('sim_ledger') / current_setting('block_size')::int")
    pages = cr.fetchone()[0]
    for first in range(0, pages, chunk_pages):
        query = f"{READ_QUERY} WHERE ctid >= '({first},0)'::tid AND ctid < '({first + chunk_pages},0)'::tid"
        reducer.add(pgcopy.copy_out(cr, query, READ_COLUMNS))
    conn.commit()
    return reducer, reduced_lines(reducer, network["join_day"])


def reduced_lines(reducer, join_day):
    """At most four lines per distributor giving the engine the sums of its raw lines: PV on the first, BV per
    customer flag x fast-start window (a day inside or just before the window)."""
    pv, bv = np.round(reducer.pv, 6), np.rint(reducer.bv).astype(np.int64)
    dists, pvs, bvs, days, customers = [], [], [], [], []
    for combination in range(4):
        customer, window = divmod(combination, 2)
        keep = bv[combination] != 0
        if combination == 0:
            keep |= pv != 0
        index = np.flatnonzero(keep)
        dists.append(index)
        pvs.append(pv[index] if combination == 0 else np.zeros(len(index)))
        bvs.append(bv[combination][index])
        days.append(join_day[index] - (0 if window else 1))
        customers.append(np.full(len(index), bool(customer)))
    return {
        "line_dist": np.concatenate(dists),
        "line_pv": np.concatenate(pvs),
        "line_bv_cents": np.concatenate(bvs),
        "line_day": np.concatenate(days),
        "line_customer": np.concatenate(customers),
    }


def run_engine(network, lines, plan):
    inputs = PeriodInputs(**network, **lines)
    return compute_period(inputs, plan)


def copy_results_in(conn, result, chunk_rows=5_000_000):
    cr = conn.cursor()
    cols = ", ".join(f"{name} {'int2' if t == 'int2' else t}" for name, t in ROW_COLUMNS)
    cr.execute("DROP TABLE IF EXISTS sim_commission_line")
    cr.execute(f"CREATE TABLE sim_commission_line ({cols})")
    rows = result.rows
    total = len(rows["beneficiary"])
    for start in range(0, total, chunk_rows):
        part = {name: rows[name][start : start + chunk_rows] for name, __ in ROW_COLUMNS}
        pgcopy.copy_in(cr, "sim_commission_line", part, ROW_COLUMNS)
    with_statement = np.flatnonzero((result.pv != 0) | (result.total_cents != 0) | (result.carry_cents != 0))
    statements = {
        "distributor": with_statement,
        "pv": result.pv[with_statement],
        "gv": result.gv[with_statement],
        "paid_rank": result.paid_rank[with_statement],
        "total_cents": result.total_cents[with_statement],
        "payable_cents": result.payable_cents[with_statement],
        "carry_cents": result.carry_cents[with_statement],
    }
    cr.execute("DROP TABLE IF EXISTS sim_commission_statement")
    cr.execute(f"CREATE TABLE sim_commission_statement ({', '.join(f'{n} {t}' for n, t in STATEMENT_COLUMNS)})")
    for start in range(0, len(with_statement), chunk_rows):
        part = {name: values[start : start + chunk_rows] for name, values in statements.items()}
        pgcopy.copy_in(cr, "sim_commission_statement", part, STATEMENT_COLUMNS)
    conn.commit()
    return total, len(with_statement)


def verify(network, conn, plan, result):
    """The engine on the raw lines (read whole) gives the same rows and statements as on the reduced ones."""
    raw = pgcopy.copy_out(
        conn.cursor(),
        READ_QUERY,
        READ_COLUMNS,
    )
    lines = {
        "line_dist": raw["distributor_id"],
        "line_pv": raw["pv"],
        "line_bv_cents": raw["bv_cents"],
        "line_day": raw["day"],
        "line_customer": raw["customer"],
    }
    expected = run_engine(network, lines, plan)
    for name in ("total_cents", "payable_cents", "carry_cents", "paid_rank", "unilevel_cents"):
        if not np.array_equal(getattr(expected, name), getattr(result, name)):
            sys.exit(f"verify: {name} differs between raw and reduced lines")
    for bonus in np.unique(expected.rows["bonus_type"]):
        a = expected.rows["amount_cents"][expected.rows["bonus_type"] == bonus].sum()
        b = result.rows["amount_cents"][result.rows["bonus_type"] == bonus].sum()
        if a != b:
            sys.exit(f"verify: bonus {bonus} totals {a} != {b}")
    print(f"  verify: raw ({len(lines['line_dist'])} lines) and reduced lines give the same statements and rows")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dsn", required=True, help="a scratch database (libpq connection string)")
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--lines-per", type=float, default=7)
    parser.add_argument("--chunk", type=int, default=1_000_000, help="distributors per COPY-in chunk")
    parser.add_argument("--chunk-pages", type=int, default=25_000, help="table pages per COPY-out chunk (~3.5M lines)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--min-free-gb", type=float, default=2.0)
    parser.add_argument("--verify", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse-ledger", action="store_true", help="skip step 2: sim_ledger is already filled")
    args = parser.parse_args()

    memory = Memory(args.min_free_gb)
    memory.start()
    report = Report(memory)
    plan = make_plan()
    conn = psycopg2.connect(args.dsn)
    print(f"simulated month end: {args.size:,} distributors, ~{args.lines_per:g} lines each; load {os.getloadavg()}")
    network = report.step("1. synthetic network (not part of the month end)", make_network, args.size, args.seed)
    if not args.reuse_ledger:
        lines = report.step(
            "2. ledger COPY in (binary, chunked)",
            copy_ledger_in,
            conn,
            args.size,
            args.lines_per,
            args.chunk,
            args.seed,
            memory,
        )
        print(f"     {lines:,} ledger lines written")
    begin = time.perf_counter()
    reducer, reduced = report.step(
        "3. ledger COPY out, by block ranges, reduced",
        copy_ledger_out,
        conn,
        network,
        plan.fast_start_days,
        args.chunk_pages,
    )
    print(f"     {reducer.lines:,} lines read, {len(reduced['line_dist']):,} reduced lines for the engine")
    result = report.step("4. engine (compute_period)", run_engine, network, reduced, plan)
    print("     stages: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in result.timings.items()))
    rows, statements = report.step("5. results COPY in (rows, statements)", copy_results_in, conn, result)
    month_end = time.perf_counter() - begin
    print(f"     {rows:,} commission rows, {statements:,} statements written")
    peak = max(peak for name, __, peak in report.rows if name[0] in "345")
    print(f"  {'month end (steps 3-5)':48} {month_end:8.1f} s   peak RSS {peak / GB:6.2f} GB   (goal < 600 s, < 16 GB)")
    cr = conn.cursor()
    cr.execute("SELECT pg_total_relation_size('sim_ledger'), pg_total_relation_size('sim_commission_line')")
    ledger_bytes, rows_bytes = cr.fetchone()
    print(f"  table sizes: ledger {ledger_bytes / GB:.1f} GB, commission rows {rows_bytes / GB:.1f} GB")
    print(f"  lowest available memory on the machine during the run: {memory.lowest_available / GB:.1f} GB")
    print(f"  load average at the end: {os.getloadavg()}")
    if args.verify:
        verify(network, conn, plan, result)
    if not args.keep:
        cr.execute("DROP TABLE IF EXISTS sim_ledger, sim_commission_line, sim_commission_statement")
        conn.commit()
    conn.close()


if __name__ == "__main__":
    main()
