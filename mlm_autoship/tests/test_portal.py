from odoo.tests import HttpCase, JsonRpcException, tagged

from odoo.addons.mlm_portal.tests.test_languages import english_only, visible_texts

from .common import PASSWORD, MlmAutoshipCommon


@tagged("post_install", "-at_install")
class TestAutoshipPortalAccess(HttpCase, MlmAutoshipCommon):
    """Nobody sees or changes another's autoship: not through the pages, not through JSON-RPC."""

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw", {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        )

    def test_rpc_reads_own_only_and_writes_nothing(self):
        bob_autoship = self._autoship(self.bob.partner_id, None)
        self.env.flush_all()
        self.authenticate(self.user_bob.login, PASSWORD)
        rows = self._call("mlm.autoship", "search_read", [[]], {"fields": ["name", "state"]})
        self.assertEqual([r["id"] for r in rows], bob_autoship.ids)
        cycles = self._call("mlm.autoship.cycle", "search_read", [[]], {"fields": ["key"]})
        self.assertEqual(cycles, [])
        with self.assertRaises(JsonRpcException):
            self._call("mlm.autoship", "read", [self.autoship_alice.ids, ["name"]])
        with self.assertRaises(JsonRpcException):
            self._call("mlm.autoship.line", "read", [self.autoship_alice.line_ids.ids, ["quantity"]])
        for target in (self.autoship_alice, bob_autoship):
            with self.assertRaises(JsonRpcException):
                self._call("mlm.autoship", "write", [target.ids, {"state": "cancelled"}])
            for method in ("action_cancel", "action_pause", "action_skip_next", "action_charge_now"):
                with self.assertRaises(JsonRpcException, msg=method):
                    self._call("mlm.autoship", method, [target.ids])
        with self.assertRaises(JsonRpcException):
            self._call("mlm.autoship", "create", [[{"partner_id": self.alice.partner_id.id}]])
        with self.assertRaises(JsonRpcException):
            self._call("mlm.autoship", "cron_autoship_run", [])
        self.assertEqual(self.autoship_alice.state, "active")
        self.assertEqual(bob_autoship.state, "active")

    def test_pages_of_another_owner_are_not_found(self):
        self.authenticate(self.user_bob.login, PASSWORD)
        alice_id = self.autoship_alice.id
        self.assertEqual(self.url_open(f"/my/autoship/{alice_id}").status_code, 404)
        for action in ("skip", "pause", "cancel", "date", "card", "line"):
            response = self.url_open(
                f"/my/autoship/{alice_id}/{action}",
                data={"csrf_token": self.csrf_token(), "next_date": "2099-01-01", "token_id": self.token_alice.id},
            )
            self.assertEqual(response.status_code, 404, action)
        self.assertEqual(self.autoship_alice.state, "active")
        self.assertFalse(self.autoship_alice.cycle_ids)

    def csrf_token(self, url="/my/profile"):
        html = self.url_open(url).text
        marker = 'name="csrf_token" value="'
        start = html.index(marker) + len(marker)
        return html[start : html.index('"', start)]

    def test_owner_changes_through_the_pages(self):
        self.authenticate(self.user_alice.login, PASSWORD)
        page = self.url_open(f"/my/autoship/{self.autoship_alice.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.autoship_alice.name, page.text)
        self.assertIn("100.00", page.text)
        url = f"/my/autoship/{self.autoship_alice.id}"
        other_card = self._token(self.bob.partner_id)
        response = self.url_open(f"{url}/card", data={"token_id": other_card.id, "csrf_token": self.csrf_token(url)})
        self.assertEqual(response.status_code, 200)
        self.assertIn("error=card", response.url)
        self.assertEqual(self.autoship_alice.payment_token_id, self.token_alice, "another owner's card is refused")
        # change the date, add a product, skip, then cancel
        self.url_open(f"{url}/date", data={"next_date": str(self._days(10)), "csrf_token": self.csrf_token(url)})
        self.assertEqual(self.autoship_alice.next_date, self._days(10))
        self.url_open(
            f"{url}/line", data={"product_id": self.product.id, "quantity": 1, "csrf_token": self.csrf_token(url)}
        )
        self.assertEqual(len(self.autoship_alice.line_ids), 2)
        self.assertAlmostEqual(self.autoship_alice.pv_total, 120.0)
        self.url_open(f"{url}/skip", data={"csrf_token": self.csrf_token(url)})
        self.assertEqual(self.autoship_alice.cycle_ids.mapped("state"), ["skipped"])
        self.url_open(f"{url}/cancel", data={"csrf_token": self.csrf_token(url)})
        self.assertEqual(self.autoship_alice.state, "cancelled")


@tagged("post_install", "-at_install")
class TestAutoshipPhoneTour(HttpCase, MlmAutoshipCommon):
    """Create from the cart, skip and cancel in one click, on a 375 px touch screen."""

    browser_size = "375x740"
    touch_enabled = True

    def test_create_skip_cancel_on_a_phone(self):
        self.user_erin.password = self.user_erin.login  # start_tour logs in with the login as password
        self.start_tour("/shop", "mlm_autoship_phone_tour", login=self.user_erin.login)
        autoship = self.env["mlm.autoship"].search([("partner_id", "=", self.erin.partner_id.id)])
        self.assertEqual(len(autoship), 1)
        self.assertEqual(autoship.state, "cancelled")
        self.assertEqual(autoship.month_day, 15)
        self.assertEqual(autoship.line_ids.product_id, self.product)
        self.assertEqual(autoship.cycle_ids.mapped("state"), ["skipped"])


@tagged("post_install", "-at_install")
class TestAutoshipFitTours(HttpCase, MlmAutoshipCommon):
    """The autoship pages on a phone (375 px) and on a desktop (1440 px): nothing overflows, the controls show."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_alice.password = cls.user_alice.login  # start_tour logs in with the login as password

    def test_autoship_pages_fit_a_phone(self):
        self.browser_size = "375x740"
        self.touch_enabled = True
        self.start_tour("/my/autoships", "mlm_autoship_fit_tour", login=self.user_alice.login)

    def test_autoship_pages_fit_a_desktop(self):
        self.browser_size = "1440x900"
        self.start_tour("/my/autoships", "mlm_autoship_fit_tour", login=self.user_alice.login)


@tagged("post_install", "-at_install")
class TestAutoshipLanguages(HttpCase, MlmAutoshipCommon):
    """The autoship pages in Russian and Kazakh: at least 98 % of the visible text translated, title included
    (mlm_portal's coverage test, on these pages)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        langs = cls.env["res.lang"]
        for code in ("ru_RU", "kk_KZ"):
            langs |= cls.env["res.lang"]._activate_lang(code)
        modules = cls.env["ir.module.module"].search(
            [("name", "in", ("web", "portal", "website", "website_sale", "sale", "mlm_portal", "mlm_autoship"))]
        )
        modules._update_translations(["ru_RU", "kk_KZ"], overwrite=True)
        cls.env["website"].get_current_website().language_ids |= langs

    def test_translated_share(self):
        self.authenticate("alice", PASSWORD)
        low = {}
        for prefix in ("ru", "kk"):
            for url in ("/my/autoships", f"/my/autoship/{self.autoship_alice.id}"):
                response = self.url_open(f"/{prefix}{url}")
                self.assertEqual(response.status_code, 200, url)
                texts = [t for t in visible_texts(response.text) if any(c.isalpha() for c in t)]
                english = [t for t in texts if english_only(t)]
                if 1 - len(english) / len(texts) < 0.98:
                    low[f"{prefix}{url}"] = english
        self.assertFalse(low, "English left on the autoship pages")
