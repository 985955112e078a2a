import io
from unittest.mock import patch

from PIL import Image

from odoo.tests import HttpCase, tagged

from .common import PASSWORD, MlmPortalCommon

PUSH = "odoo.addons.mlm_portal.models.mlm_app_notification.push_to_end_point"


@tagged("post_install", "-at_install")
class TestDistributorApp(HttpCase, MlmPortalCommon):
    """The back office as an installable web app: manifest, icons, service worker, notifications."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_root.password = cls.user_root.login  # browser_js logs in with the login as password

    def test_manifest_and_icons(self):
        self.company.primary_color = "#1f6f43"
        response = self.url_open("/my/manifest.webmanifest")
        self.assertEqual(response.status_code, 200)
        self.assertIn("application/manifest+json", response.headers["Content-Type"])
        manifest = response.json()
        self.assertIn(self.env["website"].get_current_website().company_id.name, manifest["name"])
        self.assertEqual((manifest["scope"], manifest["display"]), ("/my", "standalone"))
        self.assertTrue(manifest["start_url"].startswith("/my"))
        sizes = {icon["sizes"] for icon in manifest["icons"]}
        self.assertTrue({"192x192", "512x512"} <= sizes)
        for icon in manifest["icons"]:
            image = Image.open(io.BytesIO(self.url_open(icon["src"]).content))
            self.assertEqual(f"{image.width}x{image.height}", icon["sizes"])
        self.assertEqual(self.url_open("/mlm/app/icon-77.png").status_code, 404)
        worker = self.url_open("/my/service-worker.js")
        self.assertEqual(worker.status_code, 200)
        self.assertIn("javascript", worker.headers["Content-Type"])
        self.assertEqual(worker.headers["Service-Worker-Allowed"], "/my")
        self.assertNotIn("__MLM_OFFLINE_TEXT__", worker.text)
        # the /my pages link the manifest; the shop does not become the app
        self.authenticate(self.user_root.login, self.user_root.login)
        self.assertIn('rel="manifest"', self.url_open("/my/network").text)
        self.assertNotIn('rel="manifest" href="/my', self.url_open("/shop").text)

    def test_service_worker_registers_and_keeps_the_pages(self):
        """In Chromium: the worker registers on /my, controls the page and keeps the pages it saw for offline."""
        self.start_tour("/my/network", "mlm_portal_app_tour", login=self.user_root.login)

    def test_switches_and_push_registration(self):
        self.authenticate(self.user_alice.login, PASSWORD)
        page = self.url_open("/my/notifications")
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_mlm_push_enable", page.text)
        marker = 'name="csrf_token" value="'
        start = page.text.index(marker) + len(marker)
        token = page.text[start : page.text.index('"', start)]
        response = self.url_open("/my/notifications", data={"csrf_token": token, "mlm_notify_rank": "1"})
        self.assertIn("o_mlm_notify_saved", response.text)
        self.assertEqual(
            (self.alice.mlm_notify_recruit, self.alice.mlm_notify_rank, self.alice.mlm_notify_statement),
            (False, True, False),
        )
        key = self.make_jsonrpc_request("/mlm/app/vapid")
        self.assertTrue(key)
        self.make_jsonrpc_request(
            "/mlm/app/push/register",
            {
                "endpoint": "https://push.example.com/alice-phone",
                "keys": '{"p256dh": "x", "auth": "y"}',
                "vapid_public_key": key,
            },
        )
        device = self.env["mail.push.device"].sudo().search([("endpoint", "=", "https://push.example.com/alice-phone")])
        self.assertEqual(device.partner_id, self.alice.partner_id)

    def test_new_recruit_reaches_the_sponsor(self):
        Mail = self.env["mail.mail"]
        # carol has no device: an e-mail; alice has one: a web push and no e-mail
        self.env["mail.push.device"].get_web_push_vapid_public_key()
        self.env["mail.push.device"].sudo().create(
            {"partner_id": self.alice.partner_id.id, "endpoint": "https://push.example.com/a", "keys": "{}"}
        )
        with patch(PUSH) as push:
            partner = self.env["res.partner"].create({"name": "Zhanna Recruit", "email": "zhanna@example.com"})
            recruit = self.env["mlm.distributor"].enroll(partner, self.carol)
            partner2 = self.env["res.partner"].create({"name": "Timur Recruit", "email": "timur@example.com"})
            self.env["mlm.distributor"].enroll(partner2, self.alice)
        mail = Mail.search([("recipient_ids", "in", self.carol.partner_id.ids), ("body_html", "ilike", "Zhanna")])
        self.assertEqual(len(mail), 1)
        self.assertIn(recruit.code, mail.body_html)
        self.assertIn("/my/network", mail.body_html)
        self.assertEqual(push.call_count, 1)
        self.assertIn("Timur Recruit", push.call_args.kwargs["payload"])
        self.assertFalse(
            Mail.search([("recipient_ids", "in", self.alice.partner_id.ids), ("body_html", "ilike", "Timur")])
        )
        # switched off: nothing
        self.carol.mlm_notify_recruit = False
        before = Mail.search_count([])
        partner3 = self.env["res.partner"].create({"name": "Off Recruit", "email": "off@example.com"})
        self.env["mlm.distributor"].enroll(partner3, self.carol)
        self.assertEqual(Mail.search_count([]), before)

    def test_statement_ready_and_rank_reached_after_the_close(self):
        self.env["mail.push.device"].get_web_push_vapid_public_key()
        self.env["mail.push.device"].sudo().create(
            {"partner_id": self.root.partner_id.id, "endpoint": "https://push.example.com/root", "keys": "{}"}
        )
        with patch(PUSH) as push:
            self.period._mlm_notify_closed()
        payloads = [call.kwargs["payload"] for call in push.call_args_list]
        self.assertTrue(any(self.period.name in payload and "statement" in payload for payload in payloads))
        # no e-mail for statements (the statement e-mail is that channel)
        self.assertFalse(
            self.env["mail.mail"].search([("model", "=", "mlm.distributor"), ("subject", "ilike", "statement")])
        )
