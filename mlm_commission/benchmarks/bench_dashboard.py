#!/usr/bin/env python3
"""Management dashboard on a generated network: one get_dashboard_data call, beside the naive per-record ORM way.

    $ODOO_PY mlm_commission/benchmarks/bench_dashboard.py -c CONF -d DB [--size 100000]

Reuses mlm_commission/benchmarks/bench_run.py's setup_company (generated network, ~7 ledger lines per distributor in
last month), adds the same volume one month earlier (so the previous period has figures), computes last month's
preview once (statements for top earners and risks), then times the dashboard call (best of 3) and the naive way
(per branch: search the distributors, then per distributor search their ledger lines and sum them; per month: search
the month's lines and sum) on a sample of distributors, extrapolated to the whole network.
"""

# pylint: disable=print-used
import argparse
import importlib.util
import os
import random
import time
from datetime import timedelta

import odoo
from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

spec = importlib.util.spec_from_file_location("bench_run", os.path.join(os.path.dirname(__file__), "bench_run.py"))
bench_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench_run)

parser = argparse.ArgumentParser()
parser.add_argument("-c", "--config", required=True)
parser.add_argument("-d", "--database", required=True)
parser.add_argument("--size", type=int, default=100_000)
parser.add_argument("--sample", type=int, default=300)
args = parser.parse_args()
odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
registry = odoo.modules.registry.Registry(args.database)
with registry.cursor() as cr:
    env = api.Environment(cr, SUPERUSER_ID, {})
    company = bench_run.setup_company(env, args.size, 42, 7)
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    Period = env["mlm.commission.period"]
    period = Period.search([("company_id", "=", company.id)], order="date_from desc", limit=1)
    previous_from = (period.date_from - timedelta(days=1)).replace(day=1)
    cr.execute(
        SQL("SELECT count(*) FROM mlm_volume_line WHERE company_id = %s AND date < %s", company.id, period.date_from)
    )
    if not cr.fetchone()[0]:
        cr.execute(
            SQL(
                """
                INSERT INTO mlm_volume_line (company_id, currency_id, date, distributor_id, volume_type, pv, bv,
                       source_key, revision, origin, create_uid, write_uid, create_date, write_date)
                SELECT company_id, currency_id, (date - interval '1 month')::date, distributor_id, volume_type,
                       pv * 1.1, bv * 1.1, source_key || ':prev', 1, origin, 1, 1, now(), now()
                  FROM mlm_volume_line WHERE company_id = %s
                """,
                company.id,
            )
        )
        cr.execute(SQL("ANALYZE mlm_volume_line"))
        cr.commit()
    previous = Period._get_or_create_period(company, previous_from)
    for todo in previous | period:
        if todo.state == "open":
            start = time.perf_counter()
            todo._compute_commissions()
            print(f"  preview of {todo.name} (once, for statements)         {time.perf_counter() - start:9.3f} s")
            cr.commit()
    cr.execute(SQL("SELECT count(*) FROM mlm_volume_line WHERE company_id = %s", company.id))
    lines = cr.fetchone()[0]
    distributors = env["mlm.distributor"].search_count([("company_id", "=", company.id)])
    print(f"periods: {previous.name} {previous.state}, {period.name} {period.state}")
    print(f"company {company.name}: {distributors} distributors, {lines} ledger lines, period {period.name}")
    Dashboard = env["mlm.commission.dashboard"].with_company(company)
    timings = []
    for _i in range(3):
        env.invalidate_all()
        start = time.perf_counter()
        data = Dashboard.get_dashboard_data(period_id=period.id, months=24)
        timings.append(time.perf_counter() - start)
    fast = min(timings)
    runs = ", ".join(f"{t:.3f}" for t in timings)
    print(f"  get_dashboard_data (best of 3)                      {fast:9.3f} s   (runs: {runs})")
    print(
        f"    BV {data['kpis']['bv']}, {len(data['branches'])} branches, {len(data['top_earners'])} top earners, "
        f"{data['kpis']['at_risk']} at risk"
    )
    # naive: per distributor (sample), search its period lines and sum; per month, search and sum
    env.invalidate_all()
    Line = env["mlm.volume.line"]
    ids = env["mlm.distributor"].search([("company_id", "=", company.id)]).ids
    sample = random.Random(7).sample(ids, min(args.sample, len(ids)))
    start = time.perf_counter()
    for dist in env["mlm.distributor"].browse(sample):
        for date_from, date_to in ((period.date_from, period.date_to), (previous_from, period.date_from)):
            found = Line.search([("distributor_id", "=", dist.id), ("date", ">=", date_from), ("date", "<=", date_to)])
            totals = (sum(found.mapped("pv")), sum(found.mapped("bv")))
        fields_read = (dist.branch_id.name, dist.status, dist.join_date)
    assert totals is not None and fields_read is not None
    per_dist = (time.perf_counter() - start) / len(sample)
    naive = per_dist * distributors
    print(
        f"  naive per-record ORM: {per_dist * 1000:.2f} ms per distributor x {distributors} = {naive:9.1f} s "
        f"(extrapolated from {len(sample)})"
    )
    print(f"  ratio naive / dashboard: {naive / fast:.0f}x")
    cr.rollback()
