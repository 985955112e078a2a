#!/usr/bin/env python3
"""The plan sandbox's replay job on a generated network with several closed periods.

    $VENV/bin/python mlm_commission/benchmarks/bench_sandbox.py -c odoo.conf -d DB [--size 100000] [--periods 6]

``DB`` must have ``mlm_commission`` installed. The script creates a company "Sandbox benchmark <size>" (once; later
runs reuse it) by bench_run.py's set-up (the network by mlm_network's ``mlm.network.generator``, the chart, the
sample plan), and for each of the last ``--periods`` months ~7 ledger lines per distributor (bench_run's one
INSERT ... SELECT), the period's run (``_compute_commissions``: an ended period's run keeps the inputs the close
keeps), then marks the period closed in SQL (no journal entry or e-mails: the sandbox reads only the ledger, the
kept inputs and the statements), and commits. Then it makes a sandbox draft of the plan with other
unilevel rates and times the replay job (``_replay_job``) on the wall clock, rolled back at the end (``--profile``:
its top functions by cProfile).
"""

# a command-line report: printing is its output
# pylint: disable=print-used

import argparse
import cProfile
import os
import pstats
import time

import bench_run
from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tools import SQL


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--periods", type=int, default=6)
    parser.add_argument("--lines-per", type=int, default=7)
    parser.add_argument("--profile", action="store_true", help="print the replay's top functions (cProfile)")
    return parser.parse_args()


def setup_company(env, size, periods, lines_per):
    """The company of bench_run.py's set-up (network, chart, sample plan), with ``periods`` closed months."""
    name = f"Sandbox benchmark {size}"
    company = env["res.company"].search([("name", "=", name)], limit=1)
    if company:
        return company
    company = bench_run.create_company(env, name, size, 42, plan_name="Sandbox benchmark plan")
    company.mlm_period_type = "month"
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    today = fields.Date.context_today(env.user)
    env.cr.execute(SQL("SELECT setseed(0.42)"))
    for k in range(periods, 0, -1):
        day = today.replace(day=1) - relativedelta(months=k)
        period = env["mlm.commission.period"]._get_or_create_period(company, day)
        start = time.perf_counter()
        bench_run.insert_ledger(env, company, period, lines_per, key=f"sandbox-bench:{period.id}")
        period._compute_commissions()  # an ended period: its run keeps the inputs the sandbox replays
        env.flush_all()
        env.cr.execute(SQL("UPDATE mlm_commission_period SET state = 'closed' WHERE id = %s", period.id))
        env.cr.execute(SQL("UPDATE mlm_commission_statement SET state = 'closed' WHERE period_id = %s", period.id))
        env.invalidate_all()
        print(f"period {period.name}: ledger and run (inputs kept) in {time.perf_counter() - start:.1f} s")
        env.cr.commit()  # a benchmark script, not business code: keep the generated data
    return company


def main():
    args = parse()
    with bench_run.superuser_env(args) as env:
        cr = env.cr
        company = setup_company(env, args.size, args.periods, args.lines_per)
        env = env(context=dict(env.context, allowed_company_ids=[company.id], queue_job__no_delay=True))
        plan = company.mlm_plan_id
        sandbox = env["mlm.plan.sandbox"].browse(plan.action_create_sandbox()["res_id"])
        sandbox.period_count = args.periods
        sandbox.draft_plan_id.level_ids.sorted("level")[0].rate += 2.0  # level 1 pays 2 points more
        env.flush_all()
        print(f"load average before: {os.getloadavg()}")
        profiler = cProfile.Profile() if args.profile else None
        start = time.perf_counter()
        if profiler:
            profiler.enable()
        sandbox._replay_job()
        env.flush_all()
        elapsed = time.perf_counter() - start
        if profiler:
            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        print(f"replay of {len(sandbox.result_ids) // 2} closed periods: {elapsed:.1f} s")
        for result in sandbox.result_ids:
            label = f"{result.period_id.name:12} {result.series:6}"
            print(f"  {label} total {result.total:14,.2f}  ratio {result.ratio:6.2f} %")
        print(f"workbook: {len(sandbox.xlsx_file or b'') * 3 // 4 // 1024} kB; load average after: {os.getloadavg()}")
        cr.rollback()


if __name__ == "__main__":
    main()
