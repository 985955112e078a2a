"""The checks of setup/serve_smoke.sh, against a database served by setup/serve.sh behind nginx.

    python setup/serve_smoke.py --url http://127.0.0.1:8080 --db DB

Through nginx only: the administrator's login, a portal distributor it creates (log in, /my and /my/network), the
websocket route (HTTP 101 from Odoo's gevent port) and a commission preview enqueued as a job and run by queue_job's
runner in the prefork server. Exits non-zero at the first failed check.
"""

import argparse
import base64
import os
import re
import secrets
import socket
import sys
import time
import xmlrpc.client
from datetime import date, timedelta
from urllib.parse import urlparse

import requests


def check(condition, message):
    if not condition:
        print(f"FAIL: {message}", file=sys.stderr)
        sys.exit(1)
    print(f"  ok  {message}")


def web_login(url, login, password):
    session = requests.Session()
    page = session.get(f"{url}/web/login", timeout=30)
    check(page.status_code == 200, f"GET /web/login answers 200 ({page.status_code})")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    check(token is not None, "the login form carries a CSRF token")
    answer = session.post(
        f"{url}/web/login",
        data={"login": login, "password": password, "csrf_token": token.group(1), "redirect": ""},
        timeout=60,
        allow_redirects=False,
    )
    check(answer.status_code in (302, 303), f"POST /web/login as {login} redirects ({answer.status_code})")
    check("session_id" in session.cookies, f"{login} gets a session cookie")
    return session, answer.headers.get("Location", "")


def websocket_upgrade(url, session_id):
    """A raw websocket handshake through nginx: the answer's status line must be 101."""
    parsed = urlparse(url)
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /websocket?version=18.0-1 HTTP/1.1\r\n"
        f"Host: {parsed.netloc}\r\n"
        f"Origin: {url}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        f"Cookie: session_id={session_id}\r\n\r\n"
    )
    with socket.create_connection((parsed.hostname, parsed.port or 80), timeout=20) as sock:
        sock.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    return head.decode(errors="replace").split("\r\n", 1)[0]


class Fixture:
    """The administrator (over XML-RPC, with a new password), a portal distributor with volume this month, a plan
    and this month's period: what the smoke test and the scale-out drill work with."""

    def __init__(self, url, db):
        self.url, self.db = url, db
        common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
        self.models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
        self.uid = common.authenticate(db, "admin", "admin", {})
        check(bool(self.uid), "XML-RPC through nginx: admin authenticates")
        self.password = "admin"
        self.admin_password = secrets.token_urlsafe(12)
        self.call("res.users", "write", [self.uid], {"password": self.admin_password})
        self.password = self.admin_password

        portal_group = self.xmlid("base", "group_portal")
        partner = self.call("res.partner", "create", {"name": "Smoke Distributor", "email": "smoke@example.com"})
        self.distributor = self.call("mlm.distributor", "create", {"partner_id": partner, "status": "active"})
        self.portal_login = "smoke.distributor"
        self.portal_password = secrets.token_urlsafe(12)
        self.call(
            "res.users",
            "create",
            {
                "name": "Smoke Distributor",
                "login": self.portal_login,
                "password": self.portal_password,
                "partner_id": partner,
                "groups_id": [(6, 0, [portal_group])],
            },
        )
        company = self.call("res.users", "read", [self.uid], ["company_id"])[0]["company_id"][0]
        plan = self.call(
            "mlm.plan",
            "create",
            {
                "name": "Smoke Plan",
                "company_id": company,
                "level_ids": [(0, 0, {"level": 1, "rate": 10.0})],
                "rank_ids": [(0, 0, {"rank_id": self.xmlid("mlm_network", "rank_member"), "paid_levels": 1})],
            },
        )
        self.call("res.company", "write", [company], {"mlm_plan_id": plan})
        today = date.today()
        first = today.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        period = self.call(
            "mlm.commission.period", "search", [("company_id", "=", company), ("date_from", "=", str(first))]
        )
        if period:
            self.period = period[0]
            self.call("mlm.commission.period", "write", [self.period], {"plan_id": plan})
        else:
            self.period = self.call(
                "mlm.commission.period",
                "create",
                {
                    "name": "Smoke",
                    "company_id": company,
                    "date_from": str(first),
                    "date_to": str(last),
                    "plan_id": plan,
                },
            )
        adjust = self.call(
            "mlm.volume.adjust.wizard",
            "create",
            {"distributor_id": self.distributor, "pv": 120.0, "bv": 100.0, "date": str(today), "reason": "smoke"},
        )
        self.call("mlm.volume.adjust.wizard", "action_confirm", [adjust])

    def call(self, model, method, *params, **kw):
        return self.models.execute_kw(self.db, self.uid, self.password, model, method, list(params), kw)

    def xmlid(self, module, name):
        rows = self.call(
            "ir.model.data", "search_read", [("module", "=", module), ("name", "=", name)], fields=["res_id"]
        )
        return rows[0]["res_id"]

    def run_preview(self, timeout):
        """Press the period's Compute button and wait for its job: (seconds, period values)."""
        enqueued = time.monotonic()
        self.call("mlm.commission.period", "action_compute", [self.period])
        check(True, f"action_compute returned at once ({time.monotonic() - enqueued:.2f} s)")
        fields = ["run_state", "state", "company_pv", "statement_count"]
        while True:
            row = self.call("mlm.commission.period", "read", [self.period], fields)[0]
            if row["run_state"] in ("done", "failed", "cancelled") or time.monotonic() - enqueued > timeout:
                return time.monotonic() - enqueued, row
            time.sleep(0.3)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--job-timeout", type=float, default=60)
    args = parser.parse_args()
    url = args.url.rstrip("/")
    start = time.monotonic()
    fixture = Fixture(url, args.db)

    # login, the back end and the portal
    admin_session, __ = web_login(url, "admin", fixture.admin_password)
    backend = admin_session.get(f"{url}/odoo", timeout=60)
    check(backend.status_code == 200, f"the administrator opens /odoo ({backend.status_code})")
    portal, __ = web_login(url, fixture.portal_login, fixture.portal_password)
    home = portal.get(f"{url}/my", timeout=60)
    check(
        home.status_code == 200 and "Smoke Distributor" in home.text, f"the distributor opens /my ({home.status_code})"
    )
    network = portal.get(f"{url}/my/network", timeout=60)
    check(network.status_code == 200 and "o_mlm" in network.text, f"/my/network answers ({network.status_code})")
    gzip = portal.get(f"{url}/my", headers={"Accept-Encoding": "gzip"}, timeout=60)
    check(gzip.headers.get("Content-Encoding") == "gzip", "nginx compresses pages (gzip)")
    blocked = requests.get(f"{url}/web/database/manager", timeout=30)
    check(blocked.status_code == 403, f"/web/database is blocked by nginx ({blocked.status_code})")
    blocked = requests.post(f"{url}/xmlrpc/2/db", data="<methodCall/>", timeout=30)
    check(blocked.status_code == 403, f"the XML-RPC db service is blocked by nginx ({blocked.status_code})")

    # the websocket route
    status = websocket_upgrade(url, portal.cookies["session_id"])
    check(" 101 " in f"{status} ", f"/websocket upgrades through nginx ({status})")

    # a job end to end: a preview run enqueued by the button, run by queue_job's runner in the prefork server
    seconds, row = fixture.run_preview(args.job_timeout)
    jobs = fixture.call(
        "queue.job", "search_read", [], fields=["state", "worker_pid", "name"], order="id desc", limit=5
    )
    print(f"      jobs: {[(j['name'], j['state'], j['worker_pid']) for j in jobs]}")
    check(
        row["run_state"] == "done" and row["state"] == "computed",
        f"the preview job ran to the end in {seconds:.1f} s (run {row['run_state']}, period {row['state']})",
    )
    check(all(j["state"] == "done" for j in jobs), "every job is done")
    check(
        row["company_pv"] == 120.0 and row["statement_count"] == 1,
        f"the run counted the volume: company PV {row['company_pv']}, {row['statement_count']} statement(s)",
    )
    print(f"serve smoke checks passed in {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main()
