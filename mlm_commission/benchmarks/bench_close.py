#!/usr/bin/env python3
"""Month-end close and payouts of a generated network as queue_job jobs, each in a fresh worker-like process.

    $VENV/bin/python mlm_commission/benchmarks/bench_close.py -c odoo.conf -d DB [--size 1000000]
        [--mail-jobs 0] [--payout-jobs 3] [--method transfer[,batch]]

``DB`` holds the company "Benchmark <size>" of ``bench_run.py`` (its first period ended and not closed yet: run
it on a copy, ``createdb -T bench_base_1m DB``, and ``-u mlm_commission``). The script sets the company's
commission accounting up when missing, then does what the buttons and the job runner do in production:

1. ``action_compute`` (the preview) and ``action_close`` enqueue their jobs; each pending job of the commission
   channel is run like queue_job's runner runs it (``set_started``, commit, ``perform``, ``set_done``, commit), in
   a fresh Python process started for that job, as a prefork worker would; the script prints each job's wall time
   and the peak RSS of its process (Odoo's registry included), and the machine's load average;
2. the statement e-mail jobs (one per batch of 500 statements) are counted; ``--mail-jobs`` of them run one after
   another in one process (a worker running many jobs: its RSS must not grow with them);
3. the payout wizard enqueues the payouts; ``--payout-jobs`` batch jobs run (each its own process), the rest is
   extrapolated from the jobs' own times per distributor paid; with several methods (``--method transfer,batch``)
   each pays that many jobs in turn from the same period, for a comparison in one run;
4. the figures that reconcile: the payable account's balance of the period's entry against the statements'
   payable (to the cent), and after the payout batches, the open residual against the statements left to pay.
"""

# a command-line report: printing is its output
# pylint: disable=print-used

import argparse
import os
import resource
import subprocess
import sys
import time

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.tools import SQL

RUN_CHANNEL = "root.mlm_commission"
MAIL_CHANNEL = "root.mlm_mail"


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--size", type=int, default=100_000)
    # the statement template attaches the PDF (wkhtmltopdf, which needs the HTTP server running): 0 by default
    parser.add_argument("--mail-jobs", type=int, default=0)
    parser.add_argument("--payout-jobs", type=int, default=3)
    # several methods (comma-separated, e.g. transfer,batch): each pays --payout-jobs batch jobs in turn, from the
    # same closed period (the remaining jobs of one are cancelled before the next), for a comparison in one run
    parser.add_argument("--method", default="transfer")
    parser.add_argument("--run-jobs", help=argparse.SUPPRESS)  # internal: uuids run by a child process
    return parser.parse_args()


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------------- child side
def run_jobs(args):
    """Run the jobs ``args.run_jobs`` (comma-separated uuids) as queue_job's runner does, one after another."""
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    from odoo.addons.queue_job.job import Job  # once the registry has loaded the add-ons

    print(f"    [process {os.getpid()}: Odoo registry loaded, RSS {rss_mb():.0f} MB]", flush=True)
    for uuid in args.run_jobs.split(","):
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            job = Job.load(env, uuid)
            job.set_started()
            job.store()
            cr.commit()  # a benchmark driving jobs as the runner does: the runner commits here too
            job.lock()
            started = time.perf_counter()
            try:
                job.perform()
                env.flush_all()
                job.set_done()
                job.store()
                env.flush_all()
                cr.commit()
                outcome = "done"
            except Exception as error:  # noqa: BLE001 - reported as the runner would, then the next job
                cr.rollback()
                job.set_failed(exc_info=str(error)[:200], exc_name=type(error).__name__)
                job.store()
                cr.commit()
                outcome = f"FAILED {type(error).__name__}: {str(error)[:120]}"
            secs = time.perf_counter() - started
            print(f"JOBSECS {secs:.3f}", flush=True)
            print(
                f"    {job.description[:60]:<60} {secs:8.2f} s  peak RSS {rss_mb():6.0f} MB  load {load()}  {outcome}",
                flush=True,
            )


# ---------------------------------------------------------------------------------------------------- parent side
def setup_accounting(env, company):
    """The commission journal and accounts of the benchmark company (created once)."""
    if company.mlm_commission_journal_id and company.mlm_commission_payable_account_id:
        return
    Account = env["account.account"].with_company(company)
    journal = env["account.journal"].search(
        [("type", "=", "general"), ("company_id", "=", company.id), ("code", "=", "COMM")], limit=1
    ) or env["account.journal"].create(
        {"name": "Commissions", "code": "COMM", "type": "general", "company_id": company.id}
    )
    expense = Account.create(
        {"name": "Commission Expense", "code": "622100", "account_type": "expense", "company_ids": [company.id]}
    )
    payable = Account.create(
        {
            "name": "Commissions Payable",
            "code": "219000",
            "account_type": "liability_payable",
            "reconcile": True,
            "company_ids": [company.id],
        }
    )
    wallet = Account.create(
        {
            "name": "Distributor E-Wallets",
            "code": "219200",
            "account_type": "liability_current",
            "company_ids": [company.id],
        }
    )
    company.write(
        {
            "mlm_commission_journal_id": journal.id,
            "mlm_commission_expense_account_id": expense.id,
            "mlm_commission_payable_account_id": payable.id,
            "mlm_wallet_account_id": wallet.id,
            "mlm_statement_email": True,
        }
    )


def pending(env, channel, after_id=0):
    env.cr.execute(
        SQL(
            "SELECT uuid FROM queue_job WHERE channel = %s AND state = 'pending' AND id > %s ORDER BY id",
            channel,
            after_id,
        )
    )
    return [row[0] for row in env.cr.fetchall()]


JOB_SECONDS = []  # the jobs' own times (without their process's start), as the child processes report them


def spawn(args, uuids):
    """Run ``uuids`` in a fresh process; returns its wall time (the jobs' own times go to ``JOB_SECONDS``)."""
    command = [sys.executable, os.path.abspath(__file__), "-c", args.config, "-d", args.database]
    started = time.perf_counter()
    done = subprocess.run([*command, "--run-jobs", ",".join(uuids)], check=True, capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("JOBSECS "):
            JOB_SECONDS.append(float(line.split()[1]))
        else:
            print(line, flush=True)
    return time.perf_counter() - started


def run_channel(args, env, channel, limit=None):
    """Run the pending jobs of ``channel`` one by one (each in a fresh process), following the chain each job
    enqueues; returns (jobs run, wall time in the jobs' processes)."""
    count, total = 0, 0.0
    while limit is None or count < limit:
        env.cr.rollback()
        uuids = pending(env, channel)
        if not uuids:
            break
        total += spawn(args, uuids[:1])
        count += 1
    return count, total


def paid_count(env, period):
    env.cr.execute(
        SQL("SELECT count(*) FROM mlm_commission_statement WHERE period_id = %s AND state = 'paid'", period.id)
    )
    return env.cr.fetchone()[0]


def bench_payouts(args, env, period, method):
    """``--payout-jobs`` batch jobs of ``method`` from the period's statements left to pay; prints the jobs' own
    time per distributor paid and its extrapolation to the distributors to pay and to a million; the rest of the
    chain is cancelled."""
    print(f"\npayouts ({method}, wizard -> a chain of batch jobs):")
    env.cr.rollback()
    wizard = (
        env["mlm.payout.wizard"]
        .with_context(active_model="mlm.commission.period", active_ids=period.ids)
        .create({"method": method, "date": fields.Date.context_today(env.user)})
    )
    to_pay = wizard.statement_count
    print(f"  to pay: {to_pay} statements, {wizard.amount_total:.2f}")
    before = paid_count(env, period)
    wizard.action_pay()
    env.cr.commit()
    first = len(JOB_SECONDS)
    count, pay_secs = run_channel(args, env, RUN_CHANNEL, limit=args.payout_jobs)
    env.cr.rollback()
    paid = paid_count(env, period) - before
    job_secs = sum(JOB_SECONDS[first:])
    left = pending(env, RUN_CHANNEL)
    if left:
        env["queue.job"].search([("uuid", "in", left)]).write({"state": "cancelled"})
        env.cr.commit()
    if paid:
        per = job_secs / paid
        print(
            f"  {count} batch jobs paid {paid} distributors in {job_secs:.1f} s of jobs ({pay_secs:.1f} s with the "
            f"process starts): {per * 1000:.2f} ms per distributor -> {per * to_pay / 60:.1f} min for the "
            f"{to_pay} to pay, {per * 1_000_000 / 3600:.2f} worker-hours at 1M; load {load()}"
        )
    reconcile_report(env, period)


def reconcile_report(env, period):
    payable = period.company_id.mlm_commission_payable_account_id
    env.cr.execute(
        SQL(
            """
        SELECT (SELECT COALESCE(-sum(l.balance), 0) FROM account_move_line l
                 WHERE l.move_id = %(move)s AND l.account_id = %(payable)s),
               (SELECT COALESCE(-sum(l.amount_residual), 0) FROM account_move_line l
                 WHERE l.move_id = %(move)s AND l.account_id = %(payable)s),
               (SELECT COALESCE(sum(payable), 0) FROM mlm_commission_statement WHERE period_id = %(period)s),
               (SELECT COALESCE(sum(payable), 0) FROM mlm_commission_statement
                 WHERE period_id = %(period)s AND state = 'closed' AND payable > 0),
               (SELECT count(*) FROM account_move_line WHERE move_id = %(move)s)
        """,
            move=period.move_id.id or 0,
            payable=payable.id,
            period=period.id,
        )
    )
    booked, residual, statements, unpaid, lines = env.cr.fetchone()
    print(
        f"  entry {period.move_id.name}: {lines} lines; payable booked {booked:.2f} = statements' payable "
        f"{statements:.2f}: {'OK' if round(booked - statements, 2) == 0 else 'MISMATCH'}"
    )
    print(
        f"  open residual of the payable line {residual:.2f} = statements left to pay {unpaid:.2f}: "
        f"{'OK' if round(residual - unpaid, 2) == 0 else 'MISMATCH'}"
    )


def main():
    args = parse()
    if args.run_jobs:
        return run_jobs(args)
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        company = env["res.company"].search([("name", "=", f"Benchmark {args.size}")], limit=1)
        if not company:
            sys.exit(f"no company 'Benchmark {args.size}': run bench_run.py first")
        env = env(context=dict(env.context, allowed_company_ids=[company.id], queue_job__no_delay=False))
        setup_accounting(env, company.with_env(env))
        period = env["mlm.commission.period"].search([("company_id", "=", company.id)], order="date_from", limit=1)
        stale = env["mlm.commission.run"].search(
            [("company_id", "=", company.id), ("state", "in", ("queued", "running"))]
        )  # of an interrupted earlier call
        stale.write({"state": "cancelled"})
        env["queue.job"].search([("state", "in", ("pending", "enqueued", "started"))]).write({"state": "cancelled"})
        cr.execute(SQL("SELECT count(*) FROM mlm_distributor WHERE company_id = %s", company.id))
        print(f"network: {cr.fetchone()[0]} distributors; period {period.name} ({period.state})")
        print(f"machine load average (1, 5, 15 min) at start: {load()}")
        cr.commit()  # a benchmark script: its setup is kept

        print("\npreview (action_compute -> one job; what the close's first job computed before issue 14's reuse):")
        period.action_compute()
        cr.commit()
        _count, preview_secs = run_channel(args, env, RUN_CHANNEL)
        preview_job = JOB_SECONDS[-1]
        period.invalidate_recordset()
        print(f"  {period.statement_count} statements, {period.line_count} commission lines")

        print("\nclose (action_close -> chained jobs: compute, close, ranks x N, mails):")
        started = time.perf_counter()
        period.action_close()
        cr.commit()
        first = len(JOB_SECONDS)
        count, close_secs = run_channel(args, env, RUN_CHANNEL)
        close_first = JOB_SECONDS[first] if len(JOB_SECONDS) > first else 0.0
        period.invalidate_recordset()
        run = period.last_run_id
        print(
            f"  {count} jobs, {close_secs:.1f} s with process starts ({time.perf_counter() - started:.1f} s wall);"
            f" run {run.state}, period {period.state}; load {load()}"
        )
        reconcile_report(env, period)
        mails = pending(env, MAIL_CHANNEL)
        print(f"\nstatement e-mails: {len(mails)} jobs of up to 500 statements enqueued on {MAIL_CHANNEL}")
        if mails and args.mail_jobs:
            print(f"  {min(args.mail_jobs, len(mails))} of them, one after another in one process:")
            mail_secs = spawn(args, mails[: args.mail_jobs])
            per = mail_secs / min(args.mail_jobs, len(mails))
            print(f"  ~{per:.1f} s per job with the process start -> {per * len(mails) / 60:.0f} min of one worker")

        for method in args.method.split(","):
            bench_payouts(args, env, period, method)
        print(f"\nmachine load average at the end: {load()}")
        print(f"preview {preview_secs:.1f} s, close {close_secs:.1f} s (process starts included)")
        print(
            f"close's first job (the preview it pays): {close_first:.2f} s, against {preview_job:.2f} s for the"
            " preview job it no longer repeats when nothing changed"
        )
    return None


if __name__ == "__main__":
    main()
