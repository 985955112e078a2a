#!/usr/bin/env python3
"""Full Odoo-side commission run on a generated network, beside a fair ORM baseline and the naive ORM way.

    $VENV/bin/python mlm_commission/benchmarks/bench_run.py -c odoo.conf -d DB [--size 100000] [--sample 300]

``DB`` must have ``mlm_commission`` installed (``odoo -d DB -i mlm_commission --stop-after-init``). The script
creates a company "Benchmark <size>" (once; later runs reuse it), generates the network with mlm_network's
``mlm.network.generator``, inserts ~7 ledger lines per distributor set-based (one INSERT ... SELECT), and commits.
Then, each step committed and timed on the wall clock:

1. the full preview run (``_compute_commissions``): ledger and tree read by binary COPY, the engine, commission
   lines and statements written by one binary COPY each into a new table of the period, indexed, then swapped in
   for the previous preview's tables; run twice to show the replacement cost;
2. the unilevel the **fair ORM** way, what a competent Odoo developer writes (one ``_read_group`` of the period's
   volumes per distributor, one ``search_read`` of the tree, the compressed unilevel walk in Python over dicts,
   batched ``create`` of the lines), over every distributor (rolled back);
   and the **naive** per-record ORM way (search per distributor, walk up the sponsors record by record, one
   ``create`` per commission line) on a random sample of source distributors, extrapolated;
3. the real-time projection of the top leader (whole network below them): cold and warm (the figures after a
   new sale, against the old path, are in ``bench_projection.py``);
4. the ledger cost of posting a 20-line customer invoice.

``--plan binary``: a company "Binary benchmark <size>" of its own, whose generated network gets its placement tree
from the job for an existing network (``mlm.distributor._placement_build_tree``, timed) and whose sample plan gets
a binary team commission; the binary plan's preview run is timed twice beside the same network's run with a
unilevel copy of the plan (the baseline: what the binary plan type adds end to end in Odoo). No ORM baselines.
"""

# a command-line report: printing is its output
# pylint: disable=print-used

import argparse
import os
import random
import resource
import time
from contextlib import contextmanager
from datetime import timedelta

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tools import SQL


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--lines-per", type=int, default=7)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--runs-only",
        action="store_true",
        help="only the set-based preview runs (no ORM baselines, projection or invoice steps)",
    )
    parser.add_argument("--setup-only", action="store_true", help="generate the benchmark company, then stop")
    parser.add_argument(
        "--plan",
        choices=("unilevel", "binary"),
        default="unilevel",
        help="binary: a company of its own whose placement tree is built by the job for an existing network; "
        "times the binary plan's run beside the same network's unilevel run (no ORM baselines)",
    )
    return parser.parse_args()


def timed(label, func, *args, **kwargs):
    start = time.perf_counter()
    value = func(*args, **kwargs)
    elapsed = time.perf_counter() - start
    print(f"  {label:<52} {elapsed:9.3f} s")
    return value, elapsed


class StatementTimer:
    """Wall time of each SQL statement and COPY of one cursor, by its first words (a measuring aid): the
    cursor's psycopg2 cursor is wrapped while the block runs."""

    def __init__(self, cr, slower_than=0.3):
        self.cr, self.slower_than, self.rows = cr, slower_than, []

    def __enter__(self):
        self.raw = self.cr._obj
        self.cr._obj = _TimedCursor(self.raw, self.rows)
        return self

    def __exit__(self, *exc):
        self.cr._obj = self.raw

    def report(self):
        for secs, text in self.rows:
            if secs >= self.slower_than:
                print(f"      {secs:7.2f} s  {text}")


class _TimedCursor:
    def __init__(self, raw, rows):
        self._raw, self._rows = raw, rows

    def __getattr__(self, name):
        return getattr(self._raw, name)

    def _timed(self, method, query, *args, **kwargs):
        start = time.perf_counter()
        try:
            return method(query, *args, **kwargs)
        finally:
            text = query.decode() if isinstance(query, bytes) else str(query)
            self._rows.append((time.perf_counter() - start, " ".join(text.split())[:100]))

    def execute(self, query, *args, **kwargs):
        return self._timed(self._raw.execute, query, *args, **kwargs)

    def copy_expert(self, query, *args, **kwargs):
        return self._timed(self._raw.copy_expert, query, *args, **kwargs)


def create_company(env, name, size, seed, plan_name="Benchmark plan"):
    """A new company ``name`` with a generated network of ``size`` (mlm.network.generator), the generic chart of
    accounts and the sample plan. Returns the company (the caller's user may use it)."""
    company = env["res.company"].search([("name", "=", name)], limit=1) or env["res.company"].create({"name": name})
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    env.user.company_ids |= company
    print(f"generating {size} distributors (mlm.network.generator) ...")
    timed("network generation", env["mlm.network.generator"].generate, size=size, seed=seed, company=company)
    # the chart of accounts before the ledger: loading it later rewrites every ledger line's stored currency
    env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
    plan = env["mlm.plan"]._create_sample_plan(company, plan_name)
    company.write({"mlm_plan_id": plan.id, "mlm_volume_trigger": "invoice"})
    return company


def insert_ledger(env, company, period, lines_per, key="bench"):
    """~``lines_per`` ledger lines per distributor in ``period`` (one INSERT ... SELECT; keys ``key:...``), written
    in date order as a live ledger is (invoices post day by day): a month read by the date index then reads each
    page once, not every page once per day of the month."""
    env.cr.execute(
        SQL(
            """
        INSERT INTO mlm_volume_line (company_id, currency_id, date, distributor_id, volume_type, pv, bv,
                                     source_key, revision, origin, create_uid, write_uid, create_date, write_date)
        SELECT d.company_id, %(currency)s, %(start)s::date + (random() * (%(end)s::date - %(start)s::date))::int,
               d.id, CASE WHEN random() < 0.3 THEN 'customer' ELSE 'personal' END,
               round((10 + random() * 50)::numeric, 2), round((8 + random() * 40)::numeric, 2),
               %(key)s || ':' || d.id || ':' || g, 1, 'benchmark', 1, 1, now(), now()
          FROM mlm_distributor d
          CROSS JOIN generate_series(1, %(per)s) g
         WHERE d.company_id = %(company)s AND d.status NOT IN ('terminated', 'prospect')
           AND random() < 0.9
         ORDER BY 3
        """,
            currency=company.currency_id.id,
            start=period.date_from,
            end=period.date_to,
            per=lines_per + 1,
            company=company.id,
            key=key,
        ),
    )
    env.cr.execute(SQL("ANALYZE mlm_volume_line"))


def setup_company(env, size, seed, lines_per, plan="unilevel"):
    name = f"Benchmark {size}" if plan == "unilevel" else f"Binary benchmark {size}"
    company = env["res.company"].search([("name", "=", name)], limit=1)
    if company and env["mlm.distributor"].search_count([("company_id", "=", company.id)]) >= size:
        return company
    company = create_company(env, name, size, seed)
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    if plan == "binary":
        make_binary(env, company)
    today = fields.Date.context_today(env.user)
    start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    period = env["mlm.commission.period"]._get_or_create_period(company, start)
    print(f"inserting ~{lines_per} ledger lines per distributor (one INSERT ... SELECT) ...")
    env.cr.execute(SQL("SELECT setseed(0.42)"))
    timed("ledger insert", insert_ledger, env, company, period, lines_per)
    env.cr.execute(SQL("ANALYZE mlm_distributor"))
    env.cr.commit()  # a benchmark script, not business code: keep the generated data
    return company


def make_binary(env, company):
    """The company's network gets a binary placement tree (the job for an existing network, timed) and its plan
    becomes the sample plan + a binary team commission (10 % of the weaker leg, 1:1)."""
    company.write({"mlm_placement_type": "binary", "mlm_placement_preference": "spillover"})
    result, _secs = timed(
        "placement tree of the existing network (job)",
        env["mlm.distributor"]._placement_build_tree,
        company.id,
    )
    print(f"    {result}")
    company.mlm_plan_id.write({"plan_type": "binary", "binary_rate": 10.0})


def binary_runs(env, company, period):
    """The binary plan's preview run (twice) beside the same network's run with the plan made unilevel (a copy of
    the plan without the binary type): what the binary plan type adds end to end in Odoo."""
    cr = env.cr
    plan = company.mlm_plan_id
    unilevel = plan.copy({"name": "Benchmark unilevel baseline", "plan_type": "unilevel", "active": False})
    cr.commit()
    figures = {}
    for label, version in (("binary", plan), ("unilevel (baseline)", unilevel), ("binary", plan)):
        cr.execute(
            SQL("UPDATE mlm_commission_period SET plan_id = %s, state = 'open' WHERE id = %s", version.id, period.id)
        )
        env.invalidate_all()
        result, secs = timed(f"run, {label} plan", lambda: (period._compute_commissions(), cr.commit())[0])
        figures.setdefault(label, []).append(secs)
        stages = ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items())
        print(f"    {result.row_count} lines, {period.statement_count} statements; engine: {stages}")
    best = min(figures["binary"])
    base = min(figures["unilevel (baseline)"])
    print(
        f"  binary plan run (best of 2) {best:.1f} s; unilevel baseline {base:.1f} s; binary adds {best - base:.1f} s"
    )
    cr.execute(SQL("UPDATE mlm_commission_period SET plan_id = %s WHERE id = %s", plan.id, period.id))
    cr.commit()


FAIR_BATCH = 5_000


def fair_orm(env, period):
    """The fair ORM baseline: unilevel with compression over the whole company, as a competent Odoo developer
    writes it (see the module doc). Returns ({stage: seconds}, lines created); the caller rolls back.

    It computes less than the run (unilevel only, on the distributors' current ranks, no other bonus, no
    statements), so the ratio against it is a lower bound."""
    from odoo.addons.mlm_commission.models.mlm_volume_line import SYSTEM_MARKER as marker

    plan = period.plan_id
    company = period.company_id
    rates = [lvl.rate / 100 for lvl in plan.level_ids.sorted("level")]
    paid_levels = {r.rank_id.id: r.paid_levels for r in plan.rank_ids}
    stages = {}
    start = time.perf_counter()
    groups = env["mlm.volume.line"]._read_group(
        [("company_id", "=", company.id), ("date", ">=", period.date_from), ("date", "<=", period.date_to)],
        ["distributor_id"],
        ["pv:sum", "bv:sum"],
    )
    pv = {dist.id: dist_pv for dist, dist_pv, _bv in groups}
    bv = {dist.id: dist_bv for dist, _pv, dist_bv in groups}
    stages["read volumes (_read_group)"] = time.perf_counter() - start
    start = time.perf_counter()
    tree = env["mlm.distributor"].search_read(
        [("company_id", "=", company.id)], ["sponsor_id", "status", "rank_id"], load=None
    )
    sponsor = {row["id"]: row["sponsor_id"] for row in tree}
    active = {row["id"]: row["status"] == "active" and pv.get(row["id"], 0.0) >= plan.min_pv for row in tree}
    levels_of = {row["id"]: paid_levels.get(row["rank_id"], 0) for row in tree}
    stages["read tree (search_read)"] = time.perf_counter() - start
    start = time.perf_counter()
    vals_list, max_level = [], len(rates)
    for source, base in bv.items():
        if not base:
            continue
        level, up = 0, sponsor.get(source)
        while up and level < max_level:
            if active[up]:
                level += 1
                if levels_of[up] >= level:
                    vals_list.append(
                        {
                            "period_id": period.id,
                            "beneficiary_id": up,
                            "bonus_type": "1",
                            "source_distributor_id": source,
                            "level": level,
                            "compressed_level": level,
                            "rate": rates[level - 1],
                            "base_amount": base,
                            "amount": round(base * rates[level - 1], 2),
                            "date_from": period.date_from,
                        }
                    )
            up = sponsor.get(up)
    stages["compressed unilevel walk (Python dicts)"] = time.perf_counter() - start
    start = time.perf_counter()
    Line = env["mlm.commission.line"].with_context(mlm_volume_system=marker)
    for i in range(0, len(vals_list), FAIR_BATCH):
        Line.create(vals_list[i : i + FAIR_BATCH])
        env.flush_all()
        env.invalidate_all()
    stages[f"batched create ({FAIR_BATCH} per call) + flush"] = time.perf_counter() - start
    return stages, len(vals_list)


def naive_sample(env, period, sample_ids):
    """The per-record ORM way for ``sample_ids`` source distributors (rolled back afterwards)."""
    Line = env["mlm.volume.line"]
    Distributor = env["mlm.distributor"]
    plan = period.plan_id
    rates = [lvl.rate / 100 for lvl in plan.level_ids.sorted("level")]
    paid_levels = {r.rank_id.id: r.paid_levels for r in plan.rank_ids}
    from odoo.addons.mlm_commission.models.mlm_volume_line import SYSTEM_MARKER as marker

    CommissionLine = env["mlm.commission.line"].with_context(mlm_volume_system=marker)
    domain_period = [("date", ">=", period.date_from), ("date", "<=", period.date_to)]
    created = 0
    for dist in Distributor.browse(sample_ids):
        lines = Line.search([("distributor_id", "=", dist.id)] + domain_period)
        bv = sum(lines.mapped("bv"))
        # group volume: the whole downline's lines
        downline_lines = Line.search([("distributor_id", "child_of", dist.id)] + domain_period)
        sum(downline_lines.mapped("pv"))
        level, sponsor = 0, dist.sponsor_id
        while sponsor and level < len(rates):
            sponsor_pv = sum(Line.search([("distributor_id", "=", sponsor.id)] + domain_period).mapped("pv"))
            if sponsor.status != "active" or sponsor_pv < plan.min_pv:
                sponsor = sponsor.sponsor_id
                continue
            level += 1
            if paid_levels.get(sponsor.rank_id.id, 0) >= level:
                CommissionLine.create(
                    {
                        "period_id": period.id,
                        "company_id": period.company_id.id,
                        "currency_id": period.currency_id.id,
                        "beneficiary_id": sponsor.id,
                        "bonus_type": "1",
                        "source_distributor_id": dist.id,
                        "level": level,
                        "compressed_level": level,
                        "rate": rates[level - 1],
                        "base_amount": bv,
                        "amount": bv * rates[level - 1],
                    }
                )
                created += 1
            sponsor = sponsor.sponsor_id
        env.flush_all()
    return created


def invoice_cost(env, company):
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    if not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
    products = env["product.product"].create(
        [
            {
                "name": f"Bench product {i}",
                "list_price": 10 + i,
                "mlm_pv": 5 + i,
                "mlm_bv": 4 + i,
                "company_id": company.id,
            }
            for i in range(20)
        ]
    )
    distributor = env["mlm.distributor"].search([("company_id", "=", company.id), ("status", "=", "active")], limit=1)
    move = (
        env["account.move"]
        .with_company(company)
        .create(
            {
                "move_type": "out_invoice",
                "partner_id": distributor.partner_id.id,
                "invoice_line_ids": [
                    Command.create({"product_id": p.id, "quantity": 2, "price_unit": 10, "tax_ids": [Command.clear()]})
                    for p in products
                ],
            }
        )
    )
    env.flush_all()
    move.with_company(company)._post(soft=False)
    env.flush_all()
    keys = [f"account.move.line:{line.id}" for line in move.invoice_line_ids]
    # the ledger part of posting, measured alone: reset the ledger lines and sync again
    timings = []
    for _i in range(5):
        env.cr.execute(SQL("DELETE FROM mlm_volume_line WHERE source_key = ANY(%s)", keys))
        env["mlm.volume.line"].invalidate_model()
        start = time.perf_counter()
        move._mlm_sync_volume()
        env.flush_all()
        timings.append(time.perf_counter() - start)
    return min(timings)


@contextmanager
def superuser_env(args):
    """A superuser environment on a new cursor of the database of ``args`` (``-c``, ``-d``): the preamble of every
    benchmark script."""
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        yield api.Environment(cr, SUPERUSER_ID, {})


def main():
    args = parse()
    with superuser_env(args) as env:
        from odoo.addons.mlm_commission.models import mlm_commission_period as period_module
        from odoo.addons.mlm_commission.models.mlm_commission_data import READ_SNAPSHOT_KEY, export_read_snapshot
        from odoo.addons.mlm_commission.models.mlm_volume_line import SYSTEM_MARKER

        cr = env.cr
        company = setup_company(env, args.size, args.seed, args.lines_per, plan=args.plan)
        cr.commit()
        if args.setup_only:
            return
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        period = env["mlm.commission.period"].search([("company_id", "=", company.id)], order="date_from", limit=1)
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
        print(f"\nnetwork: {n} distributors, {m} ledger lines in period {period.name}")
        print(f"machine load average (1, 5, 15 min) at start: {os.getloadavg()}")
        if args.plan == "binary":
            binary_runs(env, company, period)
            print(f"machine load average (1, 5, 15 min) at the end: {os.getloadavg()}")
            return
        print("\nfull preview run (read by COPY, engine, bulk write of lines and statements, commit):")
        stages = {}

        def progress(stage, _value):
            stages[stage] = time.perf_counter()

        results = []
        write_elsewhere_min = period_module.WRITE_ELSEWHERE_MIN_ROWS
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # runs 1 and 2 as the run's job reads and writes (the ledger read by two connections in one snapshot, as
        # mlm.commission.run._execute exports it, and the lines' table written by a second connection), run 3 on
        # one connection (the baseline of both)
        for attempt, split in ((1, True), (2, True), ("3, one connection", False)):
            period_module.WRITE_ELSEWHERE_MIN_ROWS = write_elsewhere_min if split else 10**12
            if period.state == "computed":
                period.with_context(mlm_volume_system=SYSTEM_MARKER).write({"state": "open"})
            cr.commit()  # the job's transaction starts with no write of its own (export_read_snapshot)
            start = time.perf_counter()
            with StatementTimer(cr) as sql_timer:
                result, secs = timed(
                    f"run {attempt} (incl. replacing the previous preview)",
                    lambda split=split: (
                        period.with_context(
                            **{READ_SNAPSHOT_KEY: export_read_snapshot(env) if split else None}
                        )._compute_commissions(progress=progress),
                        cr.commit(),
                    )[0],
                )
            if split:
                results.append(secs)
            read_s, engine_s = stages["engine"] - start, stages["write"] - stages["engine"]
            print(
                f"    read ledger + tree {read_s:.2f}s, engine {engine_s:.2f}s,"
                f" write lines + statements {stages['done'] - stages['write']:.2f}s,"
                f" commit {start + secs - stages['done']:.2f}s"
            )
            sql_timer.report()
        period_module.WRITE_ELSEWHERE_MIN_ROWS = write_elsewhere_min
        print(f"  commission lines written: {result.row_count}, statements: {period.statement_count}")
        print("  engine stage timings: " + ", ".join(f"{k} {v:.2f}s" for k, v in result.timings.items()))
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  peak RSS of this process: {rss:.0f} MB (before the runs: {rss_before:.0f} MB, Odoo's registry)")
        print(f"machine load average (1, 5, 15 min) after the runs: {os.getloadavg()}")
        if args.runs_only:
            return

        print("\nFAIR ORM baseline (unilevel only, whole company: _read_group, search_read, walk, batched create;")
        print("rolled back):")
        cr.execute(
            SQL("DELETE FROM mlm_commission_line WHERE period_id = %s", period.id)
        )  # the run's lines out of the way (rolled back with the rest)
        started = time.perf_counter()
        fair_stages, fair_lines = fair_orm(env, period)
        fair_secs = time.perf_counter() - started
        cr.rollback()
        for label, secs in fair_stages.items():
            print(f"    {label:<50} {secs:9.3f} s")
        print(f"  fair ORM total: {fair_secs:.2f} s for {fair_lines} unilevel lines")
        print(f"  ratio fair ORM (unilevel only) / set-based run (all bonuses): {fair_secs / min(results):.1f}x")

        rng = random.Random(args.seed)
        cr.execute(
            SQL(
                "SELECT DISTINCT distributor_id FROM mlm_volume_line WHERE company_id = %s AND date BETWEEN %s AND %s",
                company.id,
                period.date_from,
                period.date_to,
            )
        )
        sources = [r[0] for r in cr.fetchall()]
        sample = rng.sample(sources, min(args.sample, len(sources)))
        print(f"\nNAIVE per-record ORM way on {len(sample)} source distributors (unilevel only, rolled back):")
        created, naive_secs = timed("naive sample", naive_sample, env, period, sample)
        cr.rollback()
        per = naive_secs / len(sample)
        extrapolated = per * len(sources)
        print(f"  {created} lines created one by one; {per * 1000:.1f} ms per source distributor")
        print(
            f"  extrapolated to {len(sources)} source distributors: {extrapolated:9.0f} s ({extrapolated / 60:.1f} min)"
        )
        print(f"  ratio naive / set-based run: {extrapolated / min(results):.0f}x (naive, not what to compare with)")

        top = env["mlm.distributor"].search(
            [("company_id", "=", company.id), ("sponsor_id", "=", False)], order="id", limit=1
        )
        print(f"\nreal-time projection of the top leader ({top.code}, whole network below; see bench_projection.py):")
        # the projection keeps no per-process state any more (issue 14): nothing to clear
        timed("projection, first call (the preview is current)", top.get_mlm_projection, period=period)
        cr.rollback()
        timings = []
        for _i in range(3):
            _, secs = timed("projection, warm", top.get_mlm_projection, period=period)
            cr.rollback()
            timings.append(secs)
        print(f"  best of 3: {min(timings) * 1000:.0f} ms")

        if not company.chart_template and n > 200_000:
            # a company generated before the chart was loaded first: loading it now rewrites millions of lines
            print("\nposting a 20-line customer invoice: skipped (no chart of accounts in this benchmark company)")
            return
        print("\nposting a 20-line customer invoice:")
        secs = invoice_cost(env, company)
        print(
            f"  ledger lines of the 20-line invoice (best of 5, warm caches as right after posting): "
            f"{secs * 1000:.1f} ms"
        )
        cr.rollback()


if __name__ == "__main__":
    main()
