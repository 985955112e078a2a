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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--job-timeout", type=float, default=60)
    args = parser.parse_args()
    url = args.url.rstrip("/")
    start = time.monotonic()

    common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
    models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object", allow_none=True)
    uid = common.authenticate(args.db, "admin", "admin", {})
    check(bool(uid), "XML-RPC through nginx: admin authenticates")
    admin_password = secrets.token_urlsafe(12)

    def call(model, method, *params, **kw):
        return models.execute_kw(args.db, uid, password[0], model, method, list(params), kw)

    password = ["admin"]
    call("res.users", "write", [uid], {"password": admin_password})
    password[0] = admin_password

    # a portal distributor
    portal_group = call(
        "ir.model.data", "search_read", [("module", "=", "base"), ("name", "=", "group_portal")], fields=["res_id"]
    )[0]["res_id"]
    partner = call("res.partner", "create", {"name": "Smoke Distributor", "email": "smoke@example.com"})
    distributor = call("mlm.distributor", "create", {"partner_id": partner, "status": "active"})
    portal_password = secrets.token_urlsafe(12)
    call(
        "res.users",
        "create",
        {
            "name": "Smoke Distributor",
            "login": "smoke.distributor",
            "password": portal_password,
            "partner_id": partner,
            "groups_id": [(6, 0, [portal_group])],
        },
    )

    # login, the back end and the portal
    admin_session, __ = web_login(url, "admin", admin_password)
    backend = admin_session.get(f"{url}/odoo", timeout=60)
    check(backend.status_code == 200, f"the administrator opens /odoo ({backend.status_code})")
    portal, __ = web_login(url, "smoke.distributor", portal_password)
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

    # the websocket route
    status = websocket_upgrade(url, portal.cookies["session_id"])
    check(" 101 " in f"{status} ", f"/websocket upgrades through nginx ({status})")

    # a job end to end: a preview run enqueued by the button, run by queue_job's runner in the prefork server
    company = call("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    rank = call(
        "ir.model.data",
        "search_read",
        [("module", "=", "mlm_network"), ("name", "=", "rank_member")],
        fields=["res_id"],
    )[0]["res_id"]
    plan = call(
        "mlm.plan",
        "create",
        {
            "name": "Smoke Plan",
            "company_id": company,
            "level_ids": [(0, 0, {"level": 1, "rate": 10.0})],
            "rank_ids": [(0, 0, {"rank_id": rank, "paid_levels": 1})],
        },
    )
    call("res.company", "write", [company], {"mlm_plan_id": plan})
    today = date.today()
    first = today.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    period = call("mlm.commission.period", "search", [("company_id", "=", company), ("date_from", "=", str(first))])
    if period:
        period = period[0]
        call("mlm.commission.period", "write", [period], {"plan_id": plan})
    else:
        period = call(
            "mlm.commission.period",
            "create",
            {"name": "Smoke", "company_id": company, "date_from": str(first), "date_to": str(last), "plan_id": plan},
        )
    adjust = call(
        "mlm.volume.adjust.wizard",
        "create",
        {"distributor_id": distributor, "pv": 120.0, "bv": 100.0, "date": str(today), "reason": "serve smoke"},
    )
    call("mlm.volume.adjust.wizard", "action_confirm", [adjust])
    enqueued = time.monotonic()
    call("mlm.commission.period", "action_compute", [period])
    check(True, f"action_compute returned at once ({time.monotonic() - enqueued:.2f} s)")
    state = None
    while time.monotonic() - enqueued < args.job_timeout:
        row = call("mlm.commission.period", "read", [period], ["run_state", "state", "company_pv", "statement_count"])[
            0
        ]
        state = row["run_state"]
        if state in ("done", "failed", "cancelled"):
            break
        time.sleep(0.5)
    jobs = call("queue.job", "search_read", [], fields=["state", "worker_pid", "name"], order="id desc", limit=5)
    print(f"      jobs: {[(j['name'], j['state'], j['worker_pid']) for j in jobs]}")
    check(
        state == "done" and row["state"] == "computed",
        f"the preview job ran to the end in {time.monotonic() - enqueued:.1f} s (run {state}, period {row['state']})",
    )
    check(all(j["state"] == "done" for j in jobs), "every job is done")
    check(
        row["company_pv"] == 120.0 and row["statement_count"] == 1,
        f"the run counted the volume: company PV {row['company_pv']}, {row['statement_count']} statement(s)",
    )
    print(f"serve smoke checks passed in {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main()
