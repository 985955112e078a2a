"""Screenshots of the demo for the README: the distributor's pages on a phone (375 px) and the backend (1440 px).

$ODOO_VENV/bin/python setup/screenshots.py --url http://localhost:8069 [--lang ru] [--out docs/screenshots]

The phone pages as the demo's ``leader`` (a big team) and ``member`` (an autoship), the backend as ``admin``.

Runs against a running demo (``setup/demo.sh``): logs in over HTTP (``/web/login``), hands the session cookie to
Debian's Chromium in headless mode and drives it over the DevTools protocol (the way Odoo's own browser tests do),
then stores each page as a palette PNG (Pillow), small enough for the repository.
"""

# a command-line script: printing is its output
# pylint: disable=print-used

import argparse
import base64
import io
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time

import requests
import websocket
from odoo_env import REPO_DIR
from PIL import Image

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
PHONE = {"width": 375, "height": 812, "deviceScaleFactor": 1, "mobile": True}
DESKTOP = {"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": False}
# (file, path, who: the leader's team is big enough to show, the member has an autoship); {code} is the distributor's
# ID; the language prefix is added in front
PHONE_PAGES = [
    ("phone-my", "/my", "leader"),
    ("phone-network", "/my/network", "leader"),
    ("phone-tree", "/my/network/tree", "leader"),
    ("phone-volume", "/my/volume", "member"),
    ("phone-commissions", "/my/commissions", "member"),
    ("phone-autoships", "/my/autoships", "member"),
    ("phone-personal-page", "/ref/{code}", "leader"),
    ("phone-team", "/my/team", "member"),
]
DESKTOP_PAGES = [
    ("desktop-dashboard", "/odoo/action-mlm_commission.mlm_commission_dashboard_action", "admin"),
    ("desktop-genealogy", "/odoo/action-mlm_network.mlm_distributor_genealogy_action", "admin"),
]
# what shows that a page has rendered: any portal page's main block, the backend's action (its chart or tree)
READY = {True: "#wrap", False: ".o_action_manager .o_action canvas, .o_action_manager .o_hierarchy_node"}


def login(url, user, password):
    """A logged-in Odoo session id (POST /web/login, as a browser does)."""
    session = requests.Session()
    page = session.get(f"{url}/web/login", timeout=60).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = session.post(
        f"{url}/web/login",
        data={"login": user, "password": password, "csrf_token": token},
        timeout=60,
    )
    if "/web/login" in answer.url:
        raise SystemExit(f"cannot log in as {user} on {url}")
    return session.cookies["session_id"]


class Browser:
    """Headless Chromium driven over the DevTools protocol (one tab)."""

    def __init__(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.profile = tempfile.mkdtemp(prefix="mlm-shots-")
        self.process = subprocess.Popen(  # pylint: disable=consider-using-with
            [
                CHROMIUM,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                f"--remote-debugging-port={self.port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _try in range(100):
            try:
                tabs = requests.get(f"http://127.0.0.1:{self.port}/json/list", timeout=5).json()
                target = next(t for t in tabs if t["type"] == "page")
                break
            except (requests.ConnectionError, StopIteration):
                time.sleep(0.2)
        else:
            raise SystemExit("Chromium did not start")
        self.ws = websocket.create_connection(target["webSocketDebuggerUrl"], timeout=120, suppress_origin=True)
        self.counter = 0
        self.call("Page.enable")
        self.call("Network.enable")

    def call(self, method, **params):
        self.counter += 1
        self.ws.send(json.dumps({"id": self.counter, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.counter:
                if "error" in message:
                    raise SystemExit(f"{method}: {message['error']}")
                return message.get("result", {})

    def wait_event(self, name, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(self.ws.recv())
            if message.get("method") == name:
                return message
        raise SystemExit(f"no {name} within {timeout} s")

    def wait_for(self, selector, timeout=90):
        """Until an element matching ``selector`` is on the page (Odoo's web client renders after the load)."""
        deadline = time.monotonic() + timeout
        script = f"!!document.querySelector({json.dumps(selector)})"
        while time.monotonic() < deadline:
            if self.call("Runtime.evaluate", expression=script).get("result", {}).get("value"):
                return True
            time.sleep(0.5)
        print(f"  (no {selector} after {timeout} s)")
        return False

    def shoot(self, url, metrics, selector, settle=2.0):
        self.call("Emulation.setDeviceMetricsOverride", **metrics)
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        self.wait_for(selector)
        time.sleep(settle)  # the page's own scripts (charts, the tree, web fonts) finish drawing
        data = self.call("Page.captureScreenshot", format="png")["data"]
        return base64.b64decode(data)

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=30)
        shutil.rmtree(self.profile, ignore_errors=True)


def save(png, path):
    """A 256-colour palette PNG: a tenth of the size of the screenshot, fine for pages of text and flat colours."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
    return os.path.getsize(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:8069")
    parser.add_argument("--lang", default="ru", help="URL language prefix of the portal pages (ru, kk, es, en)")
    parser.add_argument("--leader", default="leader", help="portal distributor with a big team (password = login)")
    parser.add_argument("--member", default="member", help="portal distributor with an autoship (password = login)")
    parser.add_argument("--admin", default="admin", help="backend user (password = login)")
    parser.add_argument("--out", default=os.path.join(REPO_DIR, "docs", "screenshots"))
    args = parser.parse_args()
    url = args.url.rstrip("/")
    os.makedirs(args.out, exist_ok=True)
    prefix = "" if args.lang == "en" else f"/{args.lang}"
    logins = {"leader": args.leader, "member": args.member, "admin": args.admin}
    browser = Browser()
    try:
        for metrics, pages in ((PHONE, PHONE_PAGES), (DESKTOP, DESKTOP_PAGES)):
            for name, path, who in pages:
                cookie = login(url, logins[who], logins[who])
                browser.call("Network.clearBrowserCookies")
                browser.call("Network.setCookie", name="session_id", value=cookie, url=url, httpOnly=True)
                if "{code}" in path:
                    page = requests.get(f"{url}/my/referral", cookies={"session_id": cookie}, timeout=60).text
                    found = re.search(r"/ref/([\w-]+)", page)
                    if not found:
                        continue
                    path = path.format(code=found.group(1))
                target = url + (prefix if metrics["mobile"] else "") + path
                png = browser.shoot(target, metrics, READY[metrics["mobile"]])
                size = save(png, os.path.join(args.out, f"{name}.png"))
                print(f"  {name}.png  {target}  {size // 1024} KB")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
