# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Hostile and broken input over real HTTP: every case gets ``failure`` + a reason and writes nothing."""

import io
import json
import os
import zipfile

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import OneCClient, OnecExchangeCommon, read_data
from .test_tools import LAUGHS, XXE


@tagged("post_install", "-at_install")
class TestExchangeFailures(OnecExchangeCommon):
    def _started(self):
        client = OneCClient(self, "catalog")
        self.assertEqual(client.checkauth()[0], "success")
        client.init()
        return client

    def assertFailure(self, lines, text=None):
        self.assertEqual(lines[0], "failure", lines)
        self.assertTrue(lines[1].strip(), "a failure carries a reason")
        if text:
            self.assertIn(text, lines[1])

    def test_wrong_password(self):
        client = OneCClient(self, "catalog", password="wrong")
        self.assertFailure(client.checkauth())
        self.assertFalse(self.env["mlm.onec.session"].search([]))

    def test_user_not_exchange_user(self):
        self.env["res.users"].with_context(no_reset_password=True).create(
            {
                "name": "Other",
                "login": "other_user_1c",
                "password": "Other-user-pw-1",
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )
        client = OneCClient(self, "catalog", login="other_user_1c", password="Other-user-pw-1")
        self.assertFailure(client.checkauth())

    def test_missing_or_forged_cookie(self):
        client = OneCClient(self, "catalog")
        self.assertFailure(client.call("init"))
        client.cookie = ("onec_exchange", "forged")
        self.assertFailure(client.call("import", filename="import.xml"))
        # a catalog cookie does not open the sale exchange
        client = self._started()
        sale = OneCClient(self, "sale")
        sale.cookie = client.cookie
        self.assertFailure(sale.call("query"))

    def test_unknown_mode_and_type(self):
        client = self._started()
        self.assertFailure(client.call("format_c"))
        client.type = "shop"
        self.assertFailure(client.call("init"))

    def test_truncated_file_writes_nothing(self):
        client = self._started()
        data = read_data("import0_1.xml")
        client.send_file("import.xml", data[: len(data) * 2 // 3], 64 * 1024)
        lines = client.call("import", filename="import.xml")
        self.assertFailure(lines, "import.xml")
        self.assertFalse(self.onec_products())
        self.assertFalse(self.env["product.category"].search([("onec_guid", "!=", False)]))
        session = self.last_session()
        self.assertEqual(session.state, "failed")
        self.assertIn("not well-formed", session.log)

    def test_unsupported_schema_refused(self):
        """CommerceML 3 (namespace or version) and foreign documents: ``failure`` with the reason, nothing written."""
        cml3 = (
            '<?xml version="1.0" encoding="UTF-8"?><КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_3" '
            'ВерсияСхемы="3.1"><Каталог><Ид>c</Ид><Товары><Товар><Ид>p3</Ид><Наименование>Т</Наименование>'
            "</Товар></Товары></Каталог></КоммерческаяИнформация>"
        )
        cases = [
            (cml3, "urn:1C.ru:commerceml_3"),
            (cml3.replace(' xmlns="urn:1C.ru:commerceml_3"', ""), "version 3.1"),
            ('<?xml version="1.0"?><yml_catalog><shop/></yml_catalog>', "yml_catalog"),
        ]
        for document, reason in cases:
            client = self._started()
            client.send_file("import.xml", document.encode(), 64 * 1024)
            self.assertFailure(client.call("import", filename="import.xml"), reason)
        self.assertFalse(self.onec_products())
        self.assertIn("unsupported schema", self.env["mlm.onec.session"].search([], limit=2)[1].log)

    def test_xxe_and_entity_expansion(self):
        for payload in (XXE, LAUGHS):
            client = self._started()
            client.send_file("import.xml", payload, 64 * 1024)
            self.assertFailure(client.call("import", filename="import.xml"), "DOCTYPE")
        self.assertFalse(self.onec_products())

    def test_wrong_encoding(self):
        client = self._started()
        data = read_data("import0_1.xml").decode("utf-8-sig").encode("utf-16")
        client.send_file("import.xml", data, 64 * 1024)
        self.assertFailure(client.call("import", filename="import.xml"))
        client = self._started()
        data = read_data("import0_1.xml").decode("utf-8-sig").encode("windows-1251")  # still declares UTF-8
        client.send_file("import.xml", data, 64 * 1024)
        self.assertFailure(client.call("import", filename="import.xml"))
        self.assertFalse(self.onec_products())

    def test_zip_slip_and_bomb(self):
        client = self._started()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("import.xml", read_data("import0_1.xml"))
            archive.writestr("../../evil.xml", b"<a/>")
        client.send_file("catalog.zip", buffer.getvalue(), 64 * 1024)
        self.assertFailure(client.call("import", filename="import.xml"), "traversal")
        directory = self.last_session()._get_directory()
        self.assertFalse(os.path.exists(os.path.join(directory, "..", "..", "evil.xml")))
        self.assertFalse(os.path.exists(os.path.join(directory, "import.xml")))
        self.assertFalse(self.onec_products())

        self.backend.max_file_size = 1
        client = self._started()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("import.xml", b" " * (3 * 1024 * 1024))
        client.send_file("catalog.zip", buffer.getvalue(), 64 * 1024)
        self.assertFailure(client.call("import", filename="import.xml"))

    def test_oversize_upload_and_bad_name(self):
        client = self._started()
        self.assertFailure(client.call("file", data=b"x" * (64 * 1024 + 1), filename="import.xml"))
        self.backend.max_file_size = 1
        client = self._started()
        lines = client.send_file("import.xml", b"x" * (1024 * 1024 + 10), 64 * 1024)
        self.assertFailure(lines, "limit")
        client = self._started()
        self.assertFailure(client.call("file", data=b"<a/>", filename="../../etc/x.xml"))
        self.assertFailure(client.call("import", filename="never_sent.xml"))

    def test_exchange_user_can_do_nothing_else(self):
        user_env = self.env(user=self.exchange_user)
        for model in ("mlm.onec.backend", "mlm.onec.session", "mlm.onec.export.record", "sale.order", "account.move"):
            self.assertFalse(user_env[model].has_access("write"), model)
        self.assertFalse(user_env["mlm.onec.backend"].has_access("read"))
        self.assertFalse(user_env["product.template"].has_access("write"))
        self.assertFalse(self.exchange_user._is_internal())
        # and over JSON-RPC, the exchange login cannot write a product
        self.authenticate("onec_exchange_test", "Onec-Exchange-Pw-1")
        product = self.env["product.template"].create({"name": "Untouchable"})
        response = self.url_open(
            "/web/dataset/call_kw",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "product.template",
                        "method": "write",
                        "args": [[product.id], {"name": "Hacked"}],
                        "kwargs": {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        self.assertIn("error", response.json())
        self.assertEqual(product.name, "Untouchable")

    def test_credentials_visible_to_administrators_only(self):
        self.backend.sudo().write({"odata_user": "buh", "odata_password": "secret"})
        manager = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "1C manager",
                    "login": "onec_manager_t",
                    "groups_id": [(6, 0, [self.env.ref("mlm_onec_bridge.group_onec_manager").id])],
                }
            )
        )
        backend = self.backend.with_user(manager)
        self.assertEqual(backend.name, "1C test")
        with self.assertRaises(AccessError):
            backend.read(["odata_password"])
