"""The checks of setup/scaleout_drill.sh: two Odoo nodes behind one nginx, a streaming replica for read-only routes.

    python setup/scaleout_drill.py --url http://127.0.0.1:8181 --db DB --replica-port 5433 --run-dir RUN_DIR

Shows, from the nodes' and the replica's own logs:
- the portal's pages reach both nodes with one session (sessions in the shared filestore);
- the read-only routes (/my/network, /my/volume, /my/commissions, the tree's JSON) run their SQL on the replica,
  the read/write ones (/my) do not;
- commission runs enqueued one after the other are started by the elected runner through nginx and run on both nodes.
"""

import argparse
import collections
import glob
import os
import re
import time

import psycopg2
from serve_smoke import Fixture, check, web_login

READONLY_PAGES = ("/my/network", "/my/volume", "/my/commissions", "/my/network/tree")
REQUEST = re.compile(r'^\S+ \S+ (\d+) .*werkzeug: .*"(GET|POST) (\S+) ')


def node_of_pid(run_dir):
    """{pid: node number} of every process under each node's prefork master."""
    masters = {}
    for path in glob.glob(os.path.join(run_dir, "odoo-*.pid")):
        node = int(re.search(r"odoo-(\d+)\.pid", path).group(1))
        with open(path) as f:
            masters[int(f.read().strip())] = node
    nodes = dict(masters)
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid in masters:
                nodes[int(pid)] = masters[ppid]
    return nodes


def node_requests(run_dir, path_prefix):
    """How many requests for paths starting with path_prefix each node's log shows."""
    counts = {}
    for path in sorted(glob.glob(os.path.join(run_dir, "odoo-*.log"))):
        node = int(re.search(r"odoo-(\d+)\.log", path).group(1))
        with open(path, errors="replace") as f:
            counts[node] = sum(1 for line in f if (m := REQUEST.match(line)) and m.group(3).startswith(path_prefix))
    return counts


class ReplicaLog:
    """The replica's statement log (log_statement = all): statements of Odoo's connections since the last mark."""

    def __init__(self, path):
        self.path = path
        self.offset = os.path.getsize(path)

    def since_mark(self):
        with open(self.path, errors="replace") as f:
            f.seek(self.offset)
            text = f.read()
        self.offset += len(text.encode())
        return [line for line in text.splitlines() if "app=odoo-" in line and "statement:" in line]


def enqueue_jobs(run_dir, db, count):
    """Enqueue ``count`` small jobs in one transaction, from a script (node 0's configuration, its own log)."""
    conf = os.path.join(run_dir, "enqueue.conf")
    with open(os.path.join(run_dir, "odoo-0.conf")) as src, open(conf, "w") as dst:
        dst.writelines(line for line in src if not line.startswith("logfile"))
    from odoo_env import odoo_env

    with odoo_env(conf, db) as env:
        for number in range(count):
            env["res.partner"].with_delay(channel="root", description=f"scale-out drill job {number}").search_count([])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--replica-port", type=int, required=True)
    parser.add_argument("--run-dir", required=True)
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=12)
    args = parser.parse_args()
    url = args.url.rstrip("/")
    replica_log = os.path.join(os.path.dirname(args.run_dir), "replica", "replica.log")
    fixture = Fixture(url, args.db)

    # the replica has streamed the new user before the portal logs in (a read-only route reads it there)
    replica = psycopg2.connect(host="127.0.0.1", port=args.replica_port, dbname=args.db)
    replica.autocommit = True
    started = time.monotonic()
    with replica.cursor() as cr:
        while True:
            cr.execute("SELECT count(*) FROM res_users WHERE login = %s", [fixture.portal_login])
            found = cr.fetchone()[0]
            if found or time.monotonic() - started > 600:
                break
            time.sleep(0.2)
        cr.execute("SELECT pg_is_in_recovery()")
        in_recovery = cr.fetchone()[0]
    check(
        in_recovery and found,
        f"the replica (a hot standby) has the new portal user after {time.monotonic() - started:.1f} s",
    )

    portal, __ = web_login(url, fixture.portal_login, fixture.portal_password)
    log = ReplicaLog(replica_log)
    for __ in range(3):
        response = portal.get(f"{url}/my", timeout=60)
        check(response.status_code == 200, "/my (read/write route) answers")
    time.sleep(0.5)
    rw_statements = log.since_mark()
    check(not rw_statements, f"/my x3 ran {len(rw_statements)} statements on the replica")

    per_page = {}
    for page in READONLY_PAGES:
        for __ in range(3):
            response = portal.get(f"{url}{page}", timeout=60)
            check(response.status_code == 200, f"{page} answers")
        time.sleep(0.5)
        statements = log.since_mark()
        per_page[page] = statements
        check(len(statements) > 0, f"{page} x3 ran {len(statements)} statements on the replica")
    nodes = node_of_pid(args.run_dir)
    by_node = collections.Counter()
    for statements in per_page.values():
        for line in statements:
            pid = int(re.search(r"app=odoo-(\d+)", line).group(1))
            by_node[nodes.get(pid, "?")] += 1
    print(f"      replica statements of read-only pages by node: {dict(by_node)}")
    sample = next(line for line in per_page["/my/network"] if "mlm_distributor" in line)
    print(f"      e.g. {sample[:200]}")
    # a read-only RPC method (@api.readonly) through JSON-RPC's call_kw (XML-RPC always uses the primary)
    answer = portal.post(
        f"{url}/web/dataset/call_kw/mlm.distributor/get_mlm_projection",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "model": "mlm.distributor",
                "method": "get_mlm_projection",
                "args": [[fixture.distributor]],
                "kwargs": {},
            },
        },
        timeout=60,
    ).json()
    pv = (answer.get("result") or {}).get("pv")
    time.sleep(0.5)
    statements = log.since_mark()
    check(
        pv == 120.0 and len(statements) > 0,
        f"get_mlm_projection over call_kw (@api.readonly): PV {pv}, {len(statements)} statements on the replica",
    )
    pages = node_requests(args.run_dir, "/my")
    check(all(pages.get(node, 0) > 0 for node in (0, 1)), f"one session, pages served by both nodes: {pages}")

    # jobs: the elected runner starts each through nginx, so they land on either node
    durations = []
    for __ in range(args.runs):
        seconds, row = fixture.run_preview(120)
        check(row["run_state"] == "done", f"preview run done in {seconds:.1f} s")
        durations.append(seconds)
    # ... and jobs enqueued together (as a close enqueues its statement mails) are started one after the other by
    # the runner, two at a time (channel capacity), through nginx: they alternate between the nodes.
    enqueue_jobs(args.run_dir, args.db, args.jobs)
    started = time.monotonic()
    while time.monotonic() - started < 120:
        pending = fixture.call("queue.job", "search_count", [("state", "not in", ("done", "failed", "cancelled"))])
        if not pending:
            break
        time.sleep(0.5)
    check(not pending, f"{args.jobs} jobs enqueued at once are done in {time.monotonic() - started:.1f} s")
    jobs = fixture.call("queue.job", "search_read", [("state", "=", "done")], fields=["worker_pid"])
    nodes = node_of_pid(args.run_dir)
    job_nodes = collections.Counter(nodes.get(job["worker_pid"], "?") for job in jobs)
    runjob = node_requests(args.run_dir, "/queue_job/runjob")
    check(all(runjob.get(node, 0) > 0 for node in (0, 1)), f"/queue_job/runjob requests per node: {runjob}")
    check(
        all(job_nodes.get(node, 0) > 0 for node in (0, 1)),
        f"{len(jobs)} jobs done, by node of the worker that ran them: {dict(job_nodes)}",
    )
    print(f"scale-out drill passed: {args.runs} runs, {min(durations):.1f}-{max(durations):.1f} s each")


if __name__ == "__main__":
    main()
