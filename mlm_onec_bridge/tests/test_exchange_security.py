# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The exchange cookie and ``checkauth`` against a hostile client, over real HTTP (issue 12, holes 7 and 10)."""

from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.tests import tagged

from .common import OneCClient, OnecExchangeCommon

NS = {"c": "urn:1C.ru:commerceml_2"}


@tagged("post_install", "-at_install")
class TestExchangeSecurity(OnecExchangeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({"name": "ООО Ромашка", "email": "romashka@example.com"})
        cls.product = cls.env["product.product"].create({"name": "Крем", "list_price": 100.0, "type": "consu"})
        cls.order = cls.new_order()
        cls.portal_user = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Portal Distributor",
                    "login": "portal_1c_probe",
                    "password": "Portal-probe-pw-1",
                    "groups_id": [(6, 0, [cls.env.ref("base.group_portal").id])],
                }
            )
        )

    @classmethod
    def new_order(cls):
        order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [(0, 0, {"product_id": cls.product.id, "product_uom_qty": 2, "price_unit": 100.0})],
            }
        )
        order.action_confirm()
        return order

    def documents(self, response):
        root = etree.fromstring(response.content)
        return [d.findtext("c:Номер", namespaces=NS) for d in root.findall("c:Документ", NS)]

    def started(self):
        client = OneCClient(self, "sale")
        self.assertEqual(client.checkauth()[0], "success")
        client.init()
        return client

    def assertRefused(self, lines, text):
        self.assertEqual(lines[0], "failure", lines)
        self.assertIn(text, lines[1])

    # ------------------------------------------------------------------ hole 7: the cookie after success
    def test_cookie_spent_after_success(self):
        client = self.started()
        self.assertEqual(self.documents(client.call("query", raw=True)), [self.order.name])
        self.assertEqual(client.call("success")[0], "success")
        self.assertEqual(self.order.onec_state, "sent")
        session = self.last_session("sale")
        self.assertEqual(session.state, "done")

        later = self.new_order()
        for mode in ("query", "init", "success"):
            with self.subTest(mode=mode):
                self.assertRefused(client.call(mode), "checkauth")
        # Nothing was sent with the spent cookie, and the session was not reopened.
        self.assertEqual((later.onec_state, later.onec_session_id.id), (False, False))
        self.assertEqual((self.order.onec_state, self.order.onec_session_id), ("sent", session))
        self.assertEqual(session.state, "done")
        # A new exchange takes the new order.
        self.assertEqual(self.documents(self.started().call("query", raw=True)), [later.name])

    def test_cookie_expires_when_idle(self):
        self.assertEqual(self.backend.session_idle_minutes, 30)
        client = self.started()
        session = self.last_session("sale")
        session.date_last = fields.Datetime.now() - timedelta(minutes=31)
        self.assertRefused(client.call("query"), "expired")
        self.assertFalse(self.order.onec_state, "no order sent by an idle session")
        # The timeout is the backend's setting; a refused call does not refresh the session.
        self.backend.session_idle_minutes = 60
        self.assertEqual(self.documents(client.call("query", raw=True)), [self.order.name])
        self.assertEqual(self.order.onec_state, "queried")
        # Whatever the activity, a session ends 12 hours after checkauth.
        session.date_start = fields.Datetime.now() - timedelta(hours=12, minutes=1)
        self.assertRefused(client.call("success"), "expired")
        self.assertEqual(self.order.onec_state, "queried")

    # ------------------------------------------------------------------ hole 10: no password oracle
    def checkauth_raw(self, login, password):
        response = OneCClient(self, "catalog", login=login, password=password).call("checkauth", auth=True, raw=True)
        return response.status_code, response.headers.get("Content-Type"), response.content

    def logins(self, user):
        self.env.invalidate_all()
        return self.env["res.users.log"].search_count([("create_uid", "=", user.id)]), user.login_date

    def test_checkauth_portal_user_is_no_password_oracle(self):
        before = self.logins(self.portal_user)
        self.assertEqual(before, (0, False))
        wrong = self.checkauth_raw("portal_1c_probe", "not-the-password")
        self.assertEqual(wrong[2].decode().split("\n")[0], "failure")
        right = self.checkauth_raw("portal_1c_probe", "Portal-probe-pw-1")
        self.assertEqual(right, wrong, "a correct password of a portal user answers exactly like a wrong one")
        self.assertEqual(self.checkauth_raw("no_such_login_1c", "whatever"), wrong)
        self.assertEqual(self.logins(self.portal_user), before, "no login recorded")
        self.assertFalse(self.env["mlm.onec.session"].search([]))

    def test_checkauth_exchange_user_in_group_without_backend(self):
        groups = self.env.ref("base.group_portal") | self.env.ref("mlm_onec_bridge.group_onec_exchange")
        other = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Spare 1C user",
                    "login": "spare_1c_user",
                    "password": "Spare-1c-user-pw-1",
                    "groups_id": [(6, 0, groups.ids)],
                }
            )
        )
        wrong = self.checkauth_raw("spare_1c_user", "nope")
        self.assertEqual(self.checkauth_raw("spare_1c_user", "Spare-1c-user-pw-1"), wrong)
        self.assertEqual(self.logins(other), (0, False))
        # The real exchange user still gets in, and only his login is recorded.
        client = OneCClient(self, "catalog")
        self.assertEqual(client.checkauth()[0], "success")
        self.assertEqual(self.logins(self.exchange_user)[0], 1)
