# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64
import io
import os
import zipfile

from odoo.tests import HttpCase

DATA = os.path.join(os.path.dirname(__file__), "data")
EXCHANGE_LOGIN = "onec_exchange_test"
EXCHANGE_PASSWORD = "Onec-Exchange-Pw-1"


def read_data(name):
    with open(os.path.join(DATA, name), "rb") as fh:
        return fh.read()


def zipped(name, data):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


class OneCClient:
    """Plays 1C's standard web-exchange client over real HTTP, call by call, as 1C does it."""

    def __init__(self, case, exchange_type, login=EXCHANGE_LOGIN, password=EXCHANGE_PASSWORD):
        self.case = case
        self.type = exchange_type
        self.login = login
        self.password = password
        self.cookie = None
        self.answers = []

    def call(self, mode, data=None, auth=False, raw=False, expect_status=200, **params):
        query = "&".join([f"type={self.type}", f"mode={mode}"] + [f"{k}={v}" for k, v in params.items()])
        headers = {"User-Agent": "1C+Enterprise/8.3"}
        if auth:
            token = base64.b64encode(f"{self.login}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        if self.cookie:
            headers["Cookie"] = f"{self.cookie[0]}={self.cookie[1]}"
        if data is not None:
            headers["Content-Type"] = "application/octet-stream"
        response = self.case.url_open(f"/1c_exchange?{query}", data=data, headers=headers, timeout=60)
        self.case.assertEqual(response.status_code, expect_status, response.text[:500])
        if raw:
            return response
        charset = response.headers.get("Content-Type", "").partition("charset=")[2] or "utf-8"
        lines = response.content.decode(charset).split("\n")
        self.answers.append((mode, lines))
        return lines

    def checkauth(self):
        lines = self.call("checkauth", auth=True)
        if lines[0] == "success":
            self.cookie = (lines[1], lines[2])
        return lines

    def init(self, version="2.10"):
        lines = self.call("init", version=version)
        return dict(line.split("=", 1) for line in lines if "=" in line)

    def send_file(self, filename, data, part_size):
        for start in range(0, len(data), part_size):
            lines = self.call("file", data=data[start : start + part_size], filename=filename)
            if lines[0] != "success":
                return lines
        return ["success"]

    def import_until_done(self, filename, max_calls=200):
        for progress in range(max_calls):
            lines = self.call("import", filename=filename)
            if lines[0] != "progress":
                return lines, progress
        raise AssertionError(f"import never finished: {self.answers[-3:]}")

    def upload_and_import(self, filename, data, use_zip=False):
        """checkauth -> init -> file (parts) -> import until success: one full 1C catalog run."""
        self.case.assertEqual(self.checkauth()[0], "success")
        settings = self.init()
        part_size = int(settings["file_limit"])
        if use_zip:
            self.case.assertEqual(settings["zip"], "yes")
            sent = self.send_file("catalog.zip", zipped(filename, data), part_size)
        else:
            sent = self.send_file(filename, data, part_size)
        self.case.assertEqual(sent[0], "success", sent)
        return self.import_until_done(filename)


class OnecExchangeCommon(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.env.ref("base.RUB").active = True
        cls.exchange_user = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "1C Exchange",
                    "login": EXCHANGE_LOGIN,
                    "password": EXCHANGE_PASSWORD,
                    "groups_id": [
                        (
                            6,
                            0,
                            [
                                cls.env.ref("base.group_portal").id,
                                cls.env.ref("mlm_onec_bridge.group_onec_exchange").id,
                            ],
                        )
                    ],
                }
            )
        )
        cls.backend = cls.env["mlm.onec.backend"].create(
            {
                "name": "1C test",
                "company_id": cls.company.id,
                "exchange_user_id": cls.exchange_user.id,
                "file_limit": 64 * 1024,
                "batch_size": 10,
                "time_budget": 0,
                "archive_missing": True,
            }
        )
        cls.Product = cls.env["product.template"].with_context(active_test=False)
        cls.vat_taxes = cls.ensure_sale_taxes(20, 18)

    @classmethod
    def ensure_sale_taxes(cls, *rates):
        """The company's percent sale taxes of ``rates`` (the VAT rates the shared files send), created if missing:
        a rate 1C sends without a tax of that rate in Odoo stops the import."""
        Tax = cls.env["account.tax"]
        taxes = Tax
        for rate in rates:
            tax = Tax.search(
                [
                    ("company_id", "=", cls.company.id),
                    ("type_tax_use", "=", "sale"),
                    ("amount_type", "=", "percent"),
                    ("amount", "=", rate),
                ],
                limit=1,
            ) or Tax.create(
                {"name": f"1C VAT {rate}%", "amount": rate, "type_tax_use": "sale", "company_id": cls.company.id}
            )
            taxes |= tax
        return taxes

    def onec_products(self):
        return self.Product.search([("onec_guid", "!=", False), ("company_id", "=", self.company.id)])

    def last_session(self, exchange_type="catalog"):
        return self.env["mlm.onec.session"].search([("exchange_type", "=", exchange_type)], limit=1)
