"""The month-end benchmark's driver, against a database served by setup/serve.sh (setup/bench_monthend.sh runs it).

    python setup/bench_monthend.py --url http://127.0.0.1:8180 --db DB --run-dir RUN_DIR [--users 50]

As a manager would, over XML-RPC through nginx: the preview (``action_compute``), the close (``action_close``),
the statement e-mails the close enqueues, and the payouts (the payout wizard's ``action_pay``), each a queue_job job
run by the prefork server; the script polls the period, its run and the jobs until each step ends, fails or times
out. Meanwhile locust (``mlm_portal/benchmarks/locustfile_portal.py``) keeps ``--users`` portal distributors of the
benchmark company browsing, and a sampler reads the RSS of every process of the Odoo server from /proc.

Prints the job times, the peak RSS per worker, the worker kills and limit hits in the Odoo log, the portal's
p50/p95/p99 and errors (per route and per step), the whole month end's time, each against its goal, and the load
average. Exits 1 when a step failed or timed out (after printing everything), 0 otherwise.
"""

# a command-line report: printing is its output
# pylint: disable=print-used

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import xmlrpc.client
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg2

REPO = Path(__file__).resolve().parent.parent
LOCUSTFILE = REPO / "mlm_portal" / "benchmarks" / "locustfile_portal.py"
PORTAL_PASSWORD = "bench-portal-pass"
LOGIN_PREFIX = "bench.portal."
GOAL_MONTH_END = 600.0
RPC_TIMEOUT = 300
GOAL_P95 = 150.0
# lines of the Odoo log that tell a worker was killed or hit a limit (Odoo 18's prefork server)
LIMIT_PATTERNS = {
    "real time limit (killed)": re.compile(r"\(\d+\) timeout after \d+s"),
    "CPU time limit": re.compile(r"CPU time limit"),
    "memory limit (soft: recycled)": re.compile(r"virtual memory limit"),
    "MemoryError (hard limit)": re.compile(r"MemoryError"),
    "killed": re.compile(r"\bkilled\b", re.IGNORECASE),
    "worker crashed": re.compile(r"Critial worker error|Worker \(\d+\) Parent changed"),
}
WORKER_ALIVE = re.compile(r"Worker (\w+) \((\d+)\) alive")
WORKER_PID = re.compile(r"\((\d+)\) (?:timeout|CPU time|virtual memory)")


def log(message):
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


class TimeoutTransport(xmlrpc.client.Transport):
    """No call waits forever on a busy server (Odoo's own limit_time_real is 120 s)."""

    def make_connection(self, host):
        connection = super().make_connection(host)
        connection.timeout = RPC_TIMEOUT
        return connection


class Rpc:
    """The administrator over XML-RPC, in the benchmark company."""

    def __init__(self, url, db, login, password):
        self.url, self.db, self.password = url, db, password
        common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
        self.uid = common.authenticate(db, login, password, {})
        if not self.uid:
            sys.exit(f"cannot log in as {login} on {db}")
        self.models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True, transport=TimeoutTransport())
        self.context = {}

    def __call__(self, model, method, *args, **kw):
        kw.setdefault("context", self.context)
        return self.models.execute_kw(self.db, self.uid, self.password, model, method, list(args), kw)


class RssSampler(threading.Thread):
    """Peak RSS of every descendant process of the Odoo master, sampled from /proc every ``interval`` seconds."""

    def __init__(self, master_pid, interval=0.5):
        super().__init__(daemon=True)
        self.master_pid, self.interval = master_pid, interval
        self.peak = {}  # pid: kB
        self.cmd = {}
        self.seen = {}  # pid: (first, last) sample time
        self.min_available = None
        self.stop_event = threading.Event()

    @staticmethod
    def _stat(pid):
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
                rss = next((int(line.split()[1]) for line in handle if line.startswith("VmRSS:")), 0)
            return int(fields[1]), rss
        except (OSError, ValueError, IndexError):
            return None, 0

    def sample(self):
        parents, rss = {}, {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                ppid, kb = self._stat(int(entry))
                if ppid is not None:
                    parents[int(entry)], rss[int(entry)] = ppid, kb
        ours, frontier = set(), {self.master_pid}
        while frontier:
            children = {pid for pid, ppid in parents.items() if ppid in frontier} - ours
            ours |= children
            frontier = children
        now = time.monotonic()
        for pid in ours | {self.master_pid}:
            if pid not in rss:
                continue
            self.peak[pid] = max(self.peak.get(pid, 0), rss[pid])
            first, __ = self.seen.get(pid, (now, now))
            self.seen[pid] = (first, now)
            if pid not in self.cmd:
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as handle:
                        self.cmd[pid] = handle.read().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    self.cmd[pid] = ""
        with open("/proc/meminfo", encoding="utf-8") as handle:
            available = next(int(line.split()[1]) for line in handle if line.startswith("MemAvailable:"))
        self.min_available = available if self.min_available is None else min(self.min_available, available)

    def run(self):
        while not self.stop_event.wait(self.interval):
            self.sample()


class LogWatch:
    """What the Odoo log says from the benchmark's start on: worker roles by pid, kills and limit hits."""

    def __init__(self, path):
        self.path = Path(path)
        self.offset = self.path.stat().st_size if self.path.exists() else 0
        self.roles = {}

    def read_roles(self):
        """Roles of every worker the log ever announced (earlier starts included: pids are only reused rarely)."""
        if self.path.exists():
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                for line in handle:
                    match = WORKER_ALIVE.search(line)
                    if match:
                        self.roles[int(match.group(2))] = match.group(1)
        return self.roles

    def new_lines(self):
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8", errors="replace") as handle:
            handle.seek(self.offset)
            return handle.readlines()

    def limit_hits(self):
        """{kind: [line]}, one line per worker (Odoo repeats a timeout line until the worker is gone)."""
        hits = {name: {} for name in LIMIT_PATTERNS}
        for line in self.new_lines():
            for name, pattern in LIMIT_PATTERNS.items():
                if pattern.search(line):
                    pid = WORKER_PID.search(line)
                    hits[name].setdefault(pid.group(1) if pid else line, line.strip())
        return {name: list(lines.values()) for name, lines in hits.items()}


# ---------------------------------------------------------------------------------------------------- set-up
def find_company(rpc, name):
    ids = rpc("res.company", "search", [("name", "=", name)]) if name else []
    if not ids:
        ids = rpc("res.company", "search", [("name", "=like", "Benchmark %")], order="id desc", limit=1)
    if not ids:
        sys.exit("no benchmark company (res.company 'Benchmark <size>') in this database")
    return rpc("res.company", "read", ids, ["name"])[0]


def setup_accounting(rpc, company_id):
    """The commission journal and accounts of the company (as setup/demo_commissions.py gives the demo's)."""
    values = rpc(
        "res.company",
        "read",
        [company_id],
        ["mlm_commission_journal_id", "mlm_commission_expense_account_id", "mlm_commission_payable_account_id"],
    )[0]
    if all(values[f] for f in values if f != "id"):
        return

    def account(code, name, account_type, reconcile=False):
        found = rpc("account.account", "search", [("code", "=", code), ("company_ids", "in", company_id)], limit=1)
        if found:
            return found[0]
        return rpc(
            "account.account",
            "create",
            {"name": name, "code": code, "account_type": account_type, "reconcile": reconcile},
        )

    expense = account("619100", "Commission Expense", "expense")
    payable = account("219100", "Commissions Payable", "liability_payable", reconcile=True)
    journal = rpc("account.journal", "search", [("code", "=", "COMM"), ("company_id", "=", company_id)], limit=1)
    journal = (journal or [None])[0] or rpc(
        "account.journal",
        "create",
        {"name": "Commissions", "code": "COMM", "type": "general", "company_id": company_id},
    )
    rpc(
        "res.company",
        "write",
        [company_id],
        {
            "mlm_commission_journal_id": journal,
            "mlm_commission_expense_account_id": expense,
            "mlm_commission_payable_account_id": payable,
        },
    )
    log("commission journal and accounts set on the company")


def pick_distributors(rpc, company_id, count, seed):
    """``count`` active distributors of the company: its 5 biggest leaders near the top and a seeded random sample."""
    base = [("company_id", "=", company_id), ("status", "=", "active")]
    leaders = rpc("mlm.distributor", "search", [*base, ("depth", "<=", 2)], order="id", limit=min(5, count))
    low = rpc("mlm.distributor", "search", base, order="id", limit=1)[0]
    high = rpc("mlm.distributor", "search", base, order="id desc", limit=1)[0]
    rng = random.Random(seed)
    chosen = list(leaders)
    while len(chosen) < count:
        candidates = rng.sample(range(low, high + 1), min(high - low + 1, 20 * count))
        found = rpc("mlm.distributor", "search", [*base, ("id", "in", candidates)])
        rng.shuffle(found)
        chosen += [d for d in found if d not in chosen][: count - len(chosen)]
    return chosen


def set_portal_password(db, logins):
    """One password hash (pbkdf2-sha512 with Odoo's rounds), computed once and stored for every benchmark login
    by one UPDATE: hashing it per user in the server costs ~0.5 s of CPU each, longer than a request may take on a
    busy machine."""
    from passlib.context import CryptContext

    digest = CryptContext(["pbkdf2_sha512"], pbkdf2_sha512__rounds=600_000).hash(PORTAL_PASSWORD)
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute("UPDATE res_users SET password = %s, active = true WHERE login = ANY(%s)", (digest, logins))
    conn.close()


def setup_portal_users(rpc, company_id, count, seed):
    """``count`` portal users for distributors of the company, created in one batch (``create`` with a list), all
    with the same known password; users made by an earlier run (login ``bench.portal.<distributor id>``) are
    reused."""
    existing = rpc(
        "res.users",
        "search_read",
        [("login", "=like", f"{LOGIN_PREFIX}%"), ("company_id", "=", company_id)],
        ["login"],
        context={"active_test": False},
    )
    accounts = [{"login": u["login"], "distributor_id": int(u["login"][len(LOGIN_PREFIX) :])} for u in existing]
    if len(accounts) < count:
        have = {a["distributor_id"] for a in accounts}
        wanted = [d for d in pick_distributors(rpc, company_id, count + len(have), seed) if d not in have]
        wanted = wanted[: count - len(accounts)]
        partners = {row["id"]: row["partner_id"][0] for row in rpc("mlm.distributor", "read", wanted, ["partner_id"])}
        portal = rpc(
            "ir.model.data", "search_read", [("module", "=", "base"), ("name", "=", "group_portal")], ["res_id"]
        )
        start = time.monotonic()
        rpc(
            "res.users",
            "create",
            [
                {
                    "name": f"Benchmark distributor {d}",
                    "login": f"{LOGIN_PREFIX}{d}",
                    "partner_id": partners[d],
                    "company_id": company_id,
                    "company_ids": [(6, 0, [company_id])],
                    "groups_id": [(6, 0, [portal[0]["res_id"]])],
                }
                for d in wanted
            ],
            context={"no_reset_password": True, "allowed_company_ids": [company_id]},
        )
        log(f"created {len(wanted)} portal users in one batch in {time.monotonic() - start:.1f} s")
        accounts += [{"login": f"{LOGIN_PREFIX}{d}", "distributor_id": d} for d in wanted]
    accounts = accounts[:count]
    set_portal_password(rpc.db, [a["login"] for a in accounts])
    for account in accounts:
        account["password"] = PORTAL_PASSWORD
    return accounts


def month_period(rpc, company_id, period_name):
    domain = [("company_id", "=", company_id)]
    if period_name:
        domain.append(("name", "=", period_name))
    else:
        # the latest period that has ended (the close refuses a period that has not)
        domain += [("date_to", "<", str(date.today())), ("state", "in", ("open", "computed"))]
    found = rpc("mlm.commission.period", "search_read", domain, ["name", "state"], order="date_from desc", limit=1)
    if not found:
        sys.exit("no open or computed period that has ended in the benchmark company")
    return found[0]


# ---------------------------------------------------------------------------------------------------- steps
class Steps:
    def __init__(self, rpc, period, sampler, logwatch, timeout):
        self.rpc, self.period, self.sampler, self.logwatch, self.timeout = rpc, period, sampler, logwatch, timeout
        self.results = []  # dicts: step, status, wall, detail, jobs

    def _jobs(self, domain):
        return self.rpc(
            "queue.job",
            "search_read",
            domain,
            ["uuid", "name", "state", "exec_time", "date_started", "date_done", "worker_pid", "exc_info", "channel"],
            order="id",
        )

    @staticmethod
    def _dead(pid):
        return bool(pid) and not Path(f"/proc/{pid}").exists()

    def record(self, step, status, wall, detail="", jobs=()):
        self.results.append({"step": step, "status": status, "wall": wall, "detail": detail, "jobs": list(jobs)})
        line = f"{step}: {status} in {wall:.1f} s"
        log(line + (f" ({detail})" if detail else ""))
        return status == "ok"

    def wait_run(self, step, action):
        """Call the period's button, then follow its run record and queue_job job to the end."""
        period_id = self.period["id"]
        before = self.rpc("mlm.commission.run", "search", [("period_id", "=", period_id)], order="id desc", limit=1)
        start = time.monotonic()
        self.rpc("mlm.commission.period", action, [period_id])
        log(f"{step}: {action} returned in {time.monotonic() - start:.2f} s")
        # this button's run: the first run of the period made by this user after the call (a cron may add others)
        domain = [("period_id", "=", period_id), ("id", ">", (before or [0])[0]), ("user_id", "=", self.rpc.uid)]
        run_id = self.rpc("mlm.commission.run", "search", domain, order="id", limit=1)[0]
        last_stage = None
        while True:
            time.sleep(1.0)
            wall = time.monotonic() - start
            row = self.rpc("mlm.commission.period", "read", [period_id], ["state"])[0]
            run = self.rpc(
                "mlm.commission.run",
                "read",
                [run_id],
                ["state", "stage", "progress", "message", "job_uuid", "duration"],
            )[0]
            jobs = self._jobs([("uuid", "=", run["job_uuid"])]) if run["job_uuid"] else []
            if (run["stage"], round(run["progress"] or 0, 1)) != last_stage:
                last_stage = (run["stage"], round(run["progress"] or 0, 1))
                log(f"  {step}: {run['state']} {run['stage'] or ''} {run['progress'] or 0:.0f}%")
            # the run record says "done" through a side connection before the job's transaction commits: the step
            # ends when the job is done too
            if run["state"] == "done" and (not jobs or jobs[0]["state"] == "done"):
                row = self.rpc("mlm.commission.period", "read", [period_id], ["state"])[0]
                return self.record(step, "ok", wall, f"run {run['duration']:.1f} s, period {row['state']}", jobs)
            if run["state"] in ("failed", "cancelled"):
                return self.record(step, run["state"].upper(), wall, (run["message"] or "")[:300], jobs)
            if jobs and jobs[0]["state"] == "failed":
                return self.record(step, "FAILED", wall, (jobs[0]["exc_info"] or "").strip()[-300:], jobs)
            if jobs and jobs[0]["state"] == "started" and self._dead(jobs[0]["worker_pid"]):
                return self.record(
                    step, "KILLED", wall, f"the worker {jobs[0]['worker_pid']} running the job is gone", jobs
                )
            if wall > self.timeout:
                self.rpc("mlm.commission.period", "action_cancel_run", [period_id])
                return self.record(step, "TIMEOUT", wall, f"not done after {self.timeout:.0f} s: cancel asked", jobs)

    def wait_jobs(self, step, domain, start, expect_some=True):
        """Follow every job matching ``domain`` until none is waiting or running."""
        last = None
        while True:
            wall = time.monotonic() - start
            jobs = self._jobs(domain)
            states = {}
            for job in jobs:
                states[job["state"]] = states.get(job["state"], 0) + 1
            if states != last:
                log(f"  {step}: {len(jobs)} job(s) {states}")
                last = states
            busy = [j for j in jobs if j["state"] in ("wait_dependencies", "pending", "enqueued", "started")]
            killed = [j for j in busy if j["state"] == "started" and self._dead(j["worker_pid"])]
            failed = [j for j in jobs if j["state"] == "failed"]
            if killed:
                return self.record(step, "KILLED", wall, f"worker {killed[0]['worker_pid']} gone mid-job", jobs)
            if jobs and not busy:
                if failed:
                    return self.record(
                        step,
                        "FAILED",
                        wall,
                        f"{len(failed)} of {len(jobs)} failed: {(failed[0]['exc_info'] or '').strip()[-300:]}",
                        jobs,
                    )
                return self.record(step, "ok", wall, f"{len(jobs)} job(s)", jobs)
            if not jobs and not expect_some and wall > 5:
                return self.record(step, "ok", wall, "no job enqueued")
            if wall > self.timeout:
                return self.record(
                    step, "TIMEOUT", wall, f"{len(busy)} job(s) not done after {self.timeout:.0f} s", jobs
                )
            time.sleep(1.0)

    def mails(self, since):
        start = time.monotonic()
        domain = [("channel", "=", "root.mlm_mail"), ("date_created", ">=", since)]
        return self.wait_jobs("statement e-mails", domain, start, expect_some=False)

    def payouts(self, company_id, method):
        start = time.monotonic()
        since = self.rpc_now()
        journal = False
        if method != "wallet":
            journal_type = "cash" if method == "cash" else "bank"
            found = self.rpc(
                "account.journal", "search", [("type", "=", journal_type), ("company_id", "=", company_id)], limit=1
            )
            journal = found[0] if found else False
        wizard = self.rpc(
            "mlm.payout.wizard",
            "create",
            {
                "company_id": company_id,
                "method": method,
                "journal_id": journal,
                "period_ids": [(6, 0, [self.period["id"]])],
            },
        )
        self.rpc("mlm.payout.wizard", "action_pay", [wizard])
        log(f"payouts: action_pay returned in {time.monotonic() - start:.2f} s")
        domain = [("func_string", "like", "_create_payouts"), ("date_created", ">=", since)]
        ok = self.wait_jobs("payouts", domain, start)
        state = self.rpc("mlm.commission.period", "read", [self.period["id"]], ["state"])[0]["state"]
        log(f"payouts: period {state}")
        return ok

    def rpc_now(self):
        """The server's clock as Odoo stores it (UTC, without the zone), minus a second of slack."""
        return (datetime.now(tz=timezone.utc) - timedelta(seconds=1)).strftime("%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------------------------------------------- reports
def percentile(ordered, fraction):
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def portal_report(samples, windows):
    """Percentiles per route over the whole load, and of all browsing requests per month-end step."""
    browsing = [s for s in samples if not s[1].startswith("/web/login")]
    print("\nportal (locust), the browsing requests (the logins excluded), over the whole load:")
    print(f"  {'route':40} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    routes = sorted({s[1] for s in browsing})
    for name in [*routes, "all"]:
        rows = browsing if name == "all" else [s for s in browsing if s[1] == name]
        times = sorted(s[2] for s in rows)
        errors = sum(1 for s in rows if s[3])
        print(
            f"  {name:40} {len(rows):6d} {percentile(times, 0.5):8.0f} {percentile(times, 0.95):8.0f}"
            f" {percentile(times, 0.99):8.0f} {errors:7d}"
        )
    print("  during each step (all browsing routes):")
    for step, (begin, end) in windows.items():
        rows = [s for s in browsing if begin <= s[0] < end]
        times = sorted(s[2] for s in rows)
        print(
            f"    {step:36} {len(rows):6d} {percentile(times, 0.5):8.0f} {percentile(times, 0.95):8.0f}"
            f" {percentile(times, 0.99):8.0f} {sum(1 for s in rows if s[3]):7d}"
        )
    logins = [s for s in samples if s[1].startswith("/web/login")]
    errors = [s for s in samples if s[3]]
    print(f"  logins: {len(logins)} requests, {sum(1 for s in logins if s[3])} failed (before the month end)")
    for sample in errors[:5]:
        print(f"    error: {sample[1]}: {sample[3][:200]}")
    begin, end = windows.get("the whole month end", (0, float("inf")))
    times = sorted(s[2] for s in browsing if begin <= s[0] < end)
    return {
        "requests": len(browsing),
        "p50": percentile(times, 0.5),
        "p95": percentile(times, 0.95),
        "p99": percentile(times, 0.99),
        "errors": sum(1 for s in errors if begin <= s[0] < end),
        "logins": len(logins),
    }


def rss_report(sampler, roles, jobs_by_pid):
    print("\npeak RSS per process of the Odoo server (sampled every 0.5 s):")
    by_role = {}
    for pid in sorted(sampler.peak):
        cmd = sampler.cmd.get(pid, "")
        role = roles.get(pid) or (
            "gevent (websocket)" if " gevent" in cmd else "master" if pid == sampler.master_pid else "?"
        )
        first, last = sampler.seen[pid]
        jobs = jobs_by_pid.get(pid, [])
        note = f"  ran {len(jobs)} job(s): {', '.join(sorted(set(jobs)))[:90]}" if jobs else ""
        print(f"  {pid:>8} {role:18} {sampler.peak[pid] / 1024:8.0f} MB   seen {last - first:6.0f} s{note}")
        by_role[role] = max(by_role.get(role, 0), sampler.peak[pid])
    if sampler.min_available is not None:
        print(f"  machine: lowest MemAvailable during the run {sampler.min_available / 1024 / 1024:.1f} GB")
    return by_role


def load_average():
    with open("/proc/loadavg", encoding="utf-8") as handle:
        return " ".join(handle.read().split()[:3])


# ---------------------------------------------------------------------------------------------------- main
def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", required=True, help="nginx in front of the server")
    parser.add_argument("--db", required=True)
    parser.add_argument("--run-dir", required=True, help="serve.sh's run directory (odoo-0.pid, odoo-0.log)")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--company", default="", help="default: the newest company named 'Benchmark ...'")
    parser.add_argument("--period", default="", help="period name; default: the latest ended open/computed one")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--think", default="2-8", help="seconds between two pages of a user, min-max")
    parser.add_argument("--login-timeout", type=float, default=300, help="seconds for every user to log in")
    parser.add_argument(
        "--warmup", type=float, default=60, help="seconds of load (all users logged in) before the month end starts"
    )
    parser.add_argument("--cooldown", type=float, default=10, help="seconds of load after it")
    parser.add_argument("--step-timeout", type=float, default=900)
    parser.add_argument(
        "--payout-method",
        default="batch",
        choices=("batch", "transfer", "cash", "wallet"),
        help="batch (default): the batched bank transfer file, 5,000 distributors per job; transfer: one payment "
        "per distributor (hours at a million)",
    )
    parser.add_argument(
        "--mails",
        default="wait",
        choices=("wait", "background"),
        help="wait: the payouts wait for every statement e-mail job; background: they start after the close while "
        "the e-mail jobs run on their channel (hours of PDF rendering at a million), not waited for",
    )
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--work-dir", default="", help="where users.json and the samples go (default: run dir)")
    return parser.parse_args()


def start_locust(args, url, accounts, work):
    users_file, samples_file, ready_file = (work / f"bench_{n}" for n in ("users.json", "samples.json", "ready"))
    users_file.write_text(json.dumps(accounts))
    samples_file.unlink(missing_ok=True)
    ready_file.unlink(missing_ok=True)
    env = dict(
        os.environ,
        MLM_BENCH_USERS=str(users_file),
        MLM_BENCH_SAMPLES=str(samples_file),
        MLM_BENCH_READY=str(ready_file),
        MLM_BENCH_THINK=args.think,
    )
    locust = Path(sys.executable).with_name("locust")
    command = [str(locust), "-f", str(LOCUSTFILE), "--headless", "--only-summary", "--loglevel", "WARNING"]
    command += ["-u", str(args.users), "-r", str(args.spawn_rate), "--host", url, "--stop-timeout", "5"]
    handle = (work / "locust.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
    return process, samples_file, ready_file


def wait_logged_in(process, ready_file, users, timeout):
    """Until every simulated user has logged in (or ``timeout``): the month end starts on a steady load."""
    start = time.monotonic()
    while time.monotonic() - start < timeout and process.poll() is None:
        count = len(ready_file.read_text().split()) if ready_file.exists() else 0
        if count >= users:
            log(f"locust: {count} distributors logged in after {time.monotonic() - start:.0f} s")
            return
        time.sleep(1)
    log(f"locust: not every distributor logged in after {timeout:.0f} s: going on")


def stop_locust(process, samples_file):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
    if not samples_file.exists():
        return []
    return json.loads(samples_file.read_text())


def summary(steps, portal, by_role, hits, month_end, window):
    print("\nmonth end, as jobs:")
    for result in steps.results:
        execs = [j["exec_time"] or 0 for j in result["jobs"]]
        job_note = f"{len(execs)} job(s), exec {sum(execs):.1f} s (longest {max(execs):.1f} s)" if execs else ""
        print(f"  {result['step']:20} {result['status']:8} {result['wall']:8.1f} s   {job_note}")
        if result["status"] != "ok" and result["detail"]:
            print(f"      {result['detail']}")
    print("\nworker kills and limit hits in the Odoo log during the run:")
    kills = 0
    for name, lines in hits.items():
        print(f"  {name:32} {len(lines)}")
        for line in lines[:3]:
            print(f"      {line[:200]}")
        if name != "memory limit (soft: recycled)":
            kills += len(lines)
    all_ok = all(r["status"] == "ok" for r in steps.results) and len(steps.results) == 4
    worker_peak = max((kb for role, kb in by_role.items() if role.startswith("Worker")), default=0) / 1024
    print("\nagainst the goals:")
    rows = [
        (
            "whole month end (compute, close, mails, payouts)",
            f"{month_end:.0f} s",
            "< 600 s",
            all_ok and month_end < GOAL_MONTH_END,
        ),
        ("every step done", "yes" if all_ok else "NO", "yes", all_ok),
        ("worker kills and hard limits", str(kills), "0", kills == 0),
        ("highest worker peak RSS", f"{worker_peak:.0f} MB", "< 2560 MB (limit_memory_hard)", worker_peak < 2560),
        (
            "portal p95 during the month end",
            f"{portal['p95']:.0f} ms",
            f"< {GOAL_P95:.0f} ms",
            portal["p95"] < GOAL_P95,
        ),
        ("portal errors during the month end", str(portal["errors"]), "0", portal["errors"] == 0),
    ]
    for label, value, goal, met in rows:
        print(f"  {label:50} {value:>12}   goal {goal:30} {'met' if met else 'NOT MET'}")
    print(f"\nload average: at the start {window[0]}, at the end {window[1]}")
    return all_ok


def run_month_end(steps, company_id, payout_method, mails="wait"):
    """Compute, close, the statement e-mails the close enqueued, payouts: each step waits for its jobs; the next
    starts only when it succeeded. ``mails="background"``: the payouts start right after the close while the
    e-mail jobs run on their own channel, and the e-mails are not waited for (their jobs done by the end are
    counted). Returns ({step: (start, end) epoch seconds}, wall seconds)."""
    windows = {}
    begin = time.monotonic()
    for name, action in (("compute", "action_compute"), ("close", "action_close")):
        since = steps.rpc_now()
        started = time.time()
        ok = steps.wait_run(name, action)
        windows[name] = (started, time.time())
        if not ok:
            break
    else:
        started = time.time()
        if mails == "background":
            jobs = steps._jobs([("channel", "=", "root.mlm_mail"), ("date_created", ">=", since)])
            steps.record(
                "statement e-mails",
                "background",
                0.0,
                f"{len(jobs)} job(s) left running on root.mlm_mail, not waited for",
                jobs,
            )
            ok = True
        else:
            ok = steps.mails(since)
        windows["statement e-mails"] = (started, time.time())
        if ok:
            started = time.time()
            steps.payouts(company_id, payout_method)
            windows["payouts"] = (started, time.time())
        if mails == "background":
            jobs = steps._jobs([("channel", "=", "root.mlm_mail"), ("date_created", ">=", since)])
            done = sum(1 for job in jobs if job["state"] == "done")
            log(f"statement e-mails: {done} of {len(jobs)} job(s) done by the end of the payouts")
    wall = time.monotonic() - begin
    for skipped in ("compute", "close", "statement e-mails", "payouts")[len(steps.results) :]:
        steps.record(skipped, "skipped", 0.0, "an earlier step did not succeed")
    return windows, wall


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    args = parse()
    url = args.url.rstrip("/")
    run_dir = Path(args.run_dir)
    work = Path(args.work_dir or run_dir)
    work.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _terminate)
    rpc = Rpc(url, args.db, args.login, args.password)
    company = find_company(rpc, args.company)
    rpc("res.users", "write", [rpc.uid], {"company_ids": [(4, company["id"])]})  # the manager works in it
    rpc.context = {"allowed_company_ids": [company["id"]]}
    log(f"company {company['name']} (id {company['id']})")
    setup_accounting(rpc, company["id"])
    period = month_period(rpc, company["id"], args.period)
    log(f"period {period['name']} ({period['state']})")
    accounts = setup_portal_users(rpc, company["id"], args.users, args.seed)

    master = int((run_dir / "odoo-0.pid").read_text().strip())
    logwatch = LogWatch(run_dir / "odoo-0.log")
    sampler = RssSampler(master)
    sampler.sample()
    sampler.start()
    load_start = load_average()
    process, samples_file, ready_file = start_locust(args, url, accounts, work)
    try:
        log(f"locust: {args.users} distributors logging in and browsing (think time {args.think} s)")
        wait_logged_in(process, ready_file, args.users, args.login_timeout)
        time.sleep(args.warmup)
        if process.poll() is not None:
            sys.exit(f"locust stopped: see {work / 'locust.log'}")
        steps = Steps(rpc, period, sampler, logwatch, args.step_timeout)
        windows = {"before the month end (warm-up)": (time.time() - args.warmup, time.time())}
        begin = time.time()
        more, month_end = run_month_end(steps, company["id"], args.payout_method, mails=args.mails)
        windows.update(more)
        windows["the whole month end"] = (begin, time.time())
        started = time.time()
        time.sleep(args.cooldown)
        windows["after (cool-down)"] = (started, time.time())
        load_end = load_average()
    finally:
        samples = stop_locust(process, samples_file)
        sampler.stop_event.set()
        sampler.join(timeout=5)

    roles = logwatch.read_roles()
    jobs_by_pid = {}
    for result in steps.results:
        for job in result["jobs"]:
            jobs_by_pid.setdefault(job["worker_pid"], []).append(result["step"])
    by_role = rss_report(sampler, roles, jobs_by_pid)
    portal = portal_report(samples, windows)
    all_ok = summary(steps, portal, by_role, logwatch.limit_hits(), month_end, (load_start, load_end))
    sys.exit(0 if all_ok else 1)


if __name__ == "__main__":
    main()
