#!/usr/bin/env python3
"""The portal's two hot pages for the top leader of a large network, over real HTTP, beside the ORM ways.

    $VENV/bin/python mlm_portal/benchmarks/bench_portal.py -c odoo.conf -d DB [--size 100000] [--requests 40]

``DB`` must have ``mlm_portal`` installed. The script creates a company "Portal benchmark <size>" (once; later runs
reuse it) with a generated network (``mlm.network.generator``), ~7 ledger lines per distributor in the open period
and that period computed (so the list shows PV and GV), and a portal user for the top leader. Then it starts an
Odoo HTTP server on this database, logs in as the leader and times, over repeated requests (median and p95 of the
wall time on loopback, which is the server time plus well under a millisecond):

1. ``/my/network``, the first page of the whole downline (count, sort by level, 20 rows with PV/GV, rendering);
2. a tree node expansion (``/my/network/tree/children``) of the leader and of the node with the most recruits;

and in the same run, in-process, the same data the ORM ways: ``search_count``/``search`` on ``child_of`` with one
statement lookup per row, and the naive way that reads every downline record into Python and sorts there.
"""

# a command-line report: printing is its output
# pylint: disable=print-used

import argparse
import gc
import os
import re
import statistics
import subprocess
import sys
import time

import requests

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tools import SQL

PASSWORD = "bench-leader-pass"


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--port", type=int, default=8179)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def stats(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def setup(env, size, seed):
    company = env["res.company"].search([("name", "=", f"Portal benchmark {size}")], limit=1)
    if not company:
        company = env["res.company"].create({"name": f"Portal benchmark {size}"})
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    env.user.company_ids |= company
    if env["mlm.distributor"].search_count([("company_id", "=", company.id)]) < size:
        print(f"generating {size} distributors ...")
        start = time.perf_counter()
        env["mlm.network.generator"].generate(size=size, seed=seed, company=company)
        print(f"  {time.perf_counter() - start:.1f} s")
        plan = env["mlm.plan"]._create_sample_plan(company, "Portal benchmark plan")
        company.write({"mlm_plan_id": plan.id, "mlm_volume_trigger": "invoice"})
        today = fields.Date.context_today(env.user)
        period = env["mlm.commission.period"]._get_or_create_period(company, today)
        env.cr.execute(
            SQL(
                """
            INSERT INTO mlm_volume_line (company_id, currency_id, date, distributor_id, volume_type, pv, bv,
                                         source_key, revision, origin, create_uid, write_uid, create_date, write_date)
            SELECT d.company_id, %(currency)s, %(start)s::date + (random() * (%(end)s::date - %(start)s::date))::int,
                   d.id, CASE WHEN random() < 0.3 THEN 'customer' ELSE 'personal' END,
                   round((10 + random() * 50)::numeric, 2), round((8 + random() * 40)::numeric, 2),
                   'portal-bench:' || d.id || ':' || g, 1, 'benchmark', 1, 1, now(), now()
              FROM mlm_distributor d CROSS JOIN generate_series(1, 7) g
             WHERE d.company_id = %(company)s AND d.status NOT IN ('terminated', 'prospect') AND random() < 0.9
            """,
                currency=company.currency_id.id,
                start=period.date_from,
                end=min(period.date_to, today),
                company=company.id,
            )
        )
        env.cr.execute(SQL("ANALYZE mlm_volume_line"))
        env.cr.execute(SQL("ANALYZE mlm_distributor"))
        print("computing the open period (statements give the list its PV and GV) ...")
        start = time.perf_counter()
        period._compute_commissions()
        print(f"  {time.perf_counter() - start:.1f} s")
    env.cr.execute(
        SQL(
            """
            SELECT d.id FROM mlm_distributor d WHERE d.company_id = %s AND d.sponsor_id IS NULL
             ORDER BY (SELECT count(*) FROM mlm_distributor c
                        WHERE c.parent_path COLLATE "C" > d.parent_path COLLATE "C"
                          AND c.parent_path COLLATE "C" < (left(d.parent_path, -1) || '0') COLLATE "C") DESC
             LIMIT 1
            """,
            company.id,
        )
    )
    leader = env["mlm.distributor"].browse(env.cr.fetchone()[0])
    login = f"leader-{size}"
    user = env["res.users"].with_context(active_test=False).search([("login", "=", login)])
    if not user:
        user = env["res.users"].create(
            {
                "login": login,
                "password": PASSWORD,
                "partner_id": leader.partner_id.id,
                "company_id": company.id,
                "company_ids": [Command.set([company.id])],
                "groups_id": [Command.set([env.ref("base.group_portal").id])],
            }
        )
    env.cr.commit()  # a benchmark script, not business code: keep the generated data
    return company, leader, login


def orm_first_page(env, leader, period):
    """The straightforward ORM way: count and page through ``child_of``, one statement read per row."""
    Distributor = env["mlm.distributor"]
    domain = [("id", "child_of", leader.id), ("id", "!=", leader.id)]
    total = Distributor.search_count(domain)
    rows = Distributor.search(domain, order="depth, id", limit=20)
    Statement = env["mlm.commission.statement"]
    page = []
    for row in rows:  # one statement lookup per row, as a per-record implementation would do
        statement = Statement.search([("period_id", "=", period.id), ("distributor_id", "=", row.id)], limit=1)
        page.append((row.name, row.code, row.depth - leader.depth, row.rank_id.name, statement.pv, statement.gv))
    return total, page


def naive_first_page(env, leader, period):
    """The naive way: every downline record read into Python, PV/GV attached, sorted there."""
    Distributor = env["mlm.distributor"]
    members = Distributor.search([("id", "child_of", leader.id), ("id", "!=", leader.id)])
    statements = env["mlm.commission.statement"].search([("period_id", "=", period.id)])
    volumes = {s.distributor_id.id: (s.pv, s.gv) for s in statements}
    rows = sorted(
        ((m.depth - leader.depth, m.name, m.code, m.rank_id.name, *volumes.get(m.id, (0, 0))) for m in members),
        key=lambda r: (r[0], r[1]),
    )
    return len(rows), rows[:20]


def orm_children(env, node, period):
    Statement = env["mlm.commission.statement"]
    out = []
    for child in node.recruit_ids:
        statement = Statement.search([("period_id", "=", period.id), ("distributor_id", "=", child.id)], limit=1)
        out.append((child.name, child.code, child.rank_id.name, len(child.recruit_ids), statement.pv, statement.gv))
    return out


def timed_runs(func, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return samples


def start_server(args):
    command = [
        sys.executable,
        "-m",
        "odoo",
        "-c",
        args.config,
        "-d",
        args.database,
        "--db-filter",
        f"^{re.escape(args.database)}$",
        "--http-port",
        str(args.port),
        "--workers",
        "0",
        "--max-cron-threads",
        "0",
        "--log-level",
        "warn",
    ]
    base = f"http://127.0.0.1:{args.port}"
    try:
        requests.get(f"{base}/web/login", timeout=5)
        raise SystemExit(f"something already answers on port {args.port}: stop it or pass --port")
    except requests.ConnectionError:
        pass
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(120):
        try:
            if requests.get(f"{base}/web/login", timeout=120).status_code == 200:
                return server, base
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(1)
    server.kill()
    raise SystemExit("the Odoo server did not start")


def login(base, login_name):
    session = requests.Session()
    page = session.get(f"{base}/web/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/web/login",
        data={"login": login_name, "password": PASSWORD, "csrf_token": token, "redirect": "/my"},
        timeout=60,
    )
    response.raise_for_status()
    return session


def main():
    args = parse()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        company, leader, login_name = setup(env, args.size, args.seed)
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        leader = leader.with_env(env)
        period, __, __ = leader._portal_period()
        downline = leader._downline_counts()[leader.id]
        cr.execute(
            SQL(
                """
                SELECT sponsor_id, count(*) FROM mlm_distributor WHERE company_id = %s AND sponsor_id IS NOT NULL
                 GROUP BY sponsor_id ORDER BY 2 DESC LIMIT 1
                """,
                company.id,
            )
        )
        busiest_id, busiest_children = cr.fetchone()
        print(f"\nleader {leader.code}: downline {downline:,}, {len(leader.recruit_ids)} direct recruits")
        print(f"busiest node: {busiest_children} direct recruits; period {period.name} computed: {period.state}")
        print(f"machine load average (1, 5, 15 min): {os.getloadavg()}")

        print("\nin-process, the same first page (20 rows) of the leader's downline:")
        ours = timed_runs(lambda: leader._portal_network_rows({}, order="level"), 10)
        orm = timed_runs(lambda: orm_first_page(env, leader, period), 3)
        env.invalidate_all()
        start = time.perf_counter()
        naive_first_page(env, leader, period)
        naive = time.perf_counter() - start
        print(f"  ours (one count + one page query)        median {stats(ours)[0]:9.1f} ms")
        base_ms = stats(ours)[0]
        orm_ms = stats(orm)[0]
        print(f"  ORM child_of + a statement read per row  median {orm_ms:9.1f} ms  x{orm_ms / base_ms:.1f}")
        print(
            f"  naive: whole downline into Python         once  {naive * 1000:9.1f} ms  x{naive * 1000 / base_ms:.0f}"
        )
        node = env["mlm.distributor"].browse(busiest_id)
        ours_tree = timed_runs(lambda: leader._portal_tree_nodes(parent_ids=[busiest_id]), 10)
        env.invalidate_all()
        orm_tree = timed_runs(lambda: (env.invalidate_all(), orm_children(env, node, period)), 3)
        print(f"  tree children of the busiest node, ours   median {stats(ours_tree)[0]:9.1f} ms (first 50)")
        tree_ms, orm_tree_ms = stats(ours_tree)[0], stats(orm_tree)[0]
        print(f"  the same, ORM per child (all children)    median {orm_tree_ms:9.1f} ms  x{orm_tree_ms / tree_ms:.1f}")

        leader_id = leader.id
    # the in-process part filled this process with 100k records: drop them, so that the HTTP client below measures
    # the server and not its own garbage collector
    env = leader = node = None
    gc.collect()
    gc.freeze()

    server, base = start_server(args)
    try:
        session = login(base, login_name)
        warm = session.get(f"{base}/my/network", timeout=60)
        warm.raise_for_status()
        assert f"{downline:,}".replace(",", "") in warm.text.replace(",", "").replace("\u202f", ""), (
            "page shows the count"
        )

        def rpc(route, params):
            response = session.post(
                f"{base}{route}",
                json={"jsonrpc": "2.0", "method": "call", "params": params, "id": 1},
                timeout=60,
            )
            response.raise_for_status()
            if "error" in response.json():
                raise SystemExit(response.json()["error"])

        print(f"\nover HTTP, {args.requests} requests each (loopback wall time):")
        for label, func in (
            ("/my/network first page", lambda: session.get(f"{base}/my/network", timeout=60).raise_for_status()),
            ("/my/network sorted by GV, desc", lambda: session.get(f"{base}/my/network?order=gv&desc=1", timeout=60)),
            ("tree expansion: the leader", lambda: rpc("/my/network/tree/children", {"parent_id": leader_id})),
            ("tree expansion: the busiest node", lambda: rpc("/my/network/tree/children", {"parent_id": busiest_id})),
        ):
            func()
            median, p95 = stats(timed_runs(func, args.requests))
            print(f"  {label:<36} median {median:7.1f} ms   p95 {p95:7.1f} ms")
    finally:
        server.terminate()
        server.wait(timeout=30)
    print("\ngoals: /my/network first page under 300 ms, tree node expansion under 100 ms")


if __name__ == "__main__":
    main()
