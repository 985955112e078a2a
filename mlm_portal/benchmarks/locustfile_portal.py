"""Locust load of portal distributors: each simulated user logs in as its own distributor (one session each) and
browses ``/my``, ``/my/network``, ``/my/volume`` and the genealogy tree (the page, then its JSON route that
expands a node).

    MLM_BENCH_USERS=users.json locust -f mlm_portal/benchmarks/locustfile_portal.py --headless \\
        -u 50 -r 10 --host http://127.0.0.1:8080

``users.json`` is a list of ``{"login", "password", "distributor_id"}`` (``setup/bench_monthend.py`` writes it for
the portal users it creates); there must be at least as many entries as simulated users: each login is used by
one user only. ``MLM_BENCH_THINK`` is the think time between two pages in seconds, ``min-max`` (default ``2-8``).
With ``MLM_BENCH_SAMPLES`` set, every request's (start time, name, milliseconds, error) is written there as JSON
when locust stops: the benchmark computes its percentiles per route and per phase of the month end from them;
with ``MLM_BENCH_READY`` set, each user appends its login there once logged in.
"""

import itertools
import json
import os
import re
import threading
import time

from locust import HttpUser, between, events, task

_USERS = []
_NEXT = itertools.count()
_LOCK = threading.Lock()
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SAMPLES = []


def _think_time():
    low, __, high = os.environ.get("MLM_BENCH_THINK", "2-8").partition("-")
    return float(low), float(high or low)


@events.init.add_listener
def _load_users(environment, **kwargs):
    with open(os.environ["MLM_BENCH_USERS"], encoding="utf-8") as handle:
        _USERS.extend(json.load(handle))


@events.request.add_listener
def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
    _SAMPLES.append((time.time() - response_time / 1000.0, name, response_time, str(exception) if exception else None))


@events.quitting.add_listener
def _write_samples(environment, **kwargs):
    path = os.environ.get("MLM_BENCH_SAMPLES")
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(_SAMPLES, handle)


class PortalDistributor(HttpUser):
    """One distributor: logs in once, then browses its pages with a think time between them."""

    wait_time = between(*_think_time())

    def on_start(self):
        with _LOCK:
            index = next(_NEXT)
        if index >= len(_USERS):
            raise RuntimeError(f"MLM_BENCH_USERS has {len(_USERS)} logins for more simulated users")
        self.account = _USERS[index]
        for attempt in range(3):  # a server busy with the month end may drop a login: try again, as a person would
            if self._login(last=attempt == 2):
                ready = os.environ.get("MLM_BENCH_READY")
                if ready:  # one line per logged-in user: the benchmark starts the month end when all are in
                    with open(ready, "a", encoding="utf-8") as handle:
                        handle.write(self.account["login"] + "\n")
                break

    def _login(self, last):
        page = self.client.get("/web/login", name="/web/login")
        token = _CSRF.search(page.text)
        with self.client.post(
            "/web/login",
            data={
                "login": self.account["login"],
                "password": self.account["password"],
                "csrf_token": token.group(1) if token else "",
                "redirect": "/my",
            },
            name="/web/login (POST)",
            catch_response=True,
        ) as answer:
            # a successful login redirects to /my, which is then fetched: a failed one stays on the login form
            if answer.status_code == 200 and "/web/login" not in answer.url:
                return True
            if last:
                answer.failure(f"login of {self.account['login']} failed (HTTP {answer.status_code})")
            else:
                answer.success()  # counted once, below, if the last attempt fails too
            return False

    def _page(self, path, marker=None):
        with self.client.get(path, name=path, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
            elif "/web/login" in answer.url:
                answer.failure("redirected to the login form (session lost)")
            elif marker and marker not in answer.text:
                answer.failure(f"{marker!r} not in the page")

    @task(2)
    def home(self):
        self._page("/my")

    @task(2)
    def network(self):
        self._page("/my/network", "o_mlm")

    @task(2)
    def volume(self):
        self._page("/my/volume", "o_mlm")

    @task(1)
    def tree(self):
        self._page("/my/network/tree", "o_mlm")

    @task(2)
    def tree_children(self):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "id": 1,
            "params": {"parent_id": self.account["distributor_id"]},
        }
        with self.client.post(
            "/my/network/tree/children", json=payload, name="/my/network/tree/children (JSON)", catch_response=True
        ) as answer:
            if answer.status_code != 200:
                answer.failure(f"HTTP {answer.status_code}")
                return
            try:
                body = answer.json()
            except ValueError:
                answer.failure("not JSON")
                return
            if "error" in body or "nodes" not in body.get("result", {}):
                answer.failure(str(body.get("error", body))[:200])
