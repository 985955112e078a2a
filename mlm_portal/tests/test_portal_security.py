from odoo.tests import HttpCase, JsonRpcException, tagged

from .common import PASSWORD, MlmPortalCommon


@tagged("post_install", "-at_install")
class TestPortalSecurity(HttpCase, MlmPortalCommon):
    """What a hostile distributor tries around the pages: JSON-RPC on public methods, ownership fields, private
    fields of a downline that shares its contact details, searches, sign-up answers, guessed ids."""

    def _login(self, user):
        self.authenticate(user.login, PASSWORD)

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw", {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        )

    def _csrf(self, url="/my/team"):
        page = self.url_open(url).text
        marker = 'name="csrf_token" value="'
        return page[page.index(marker) + len(marker) :].split('"', 1)[0]

    # hole 1 ------------------------------------------------------------------------------------------------------
    def test_kyc_submit_over_rpc_needs_own_record(self):
        self.alice.kyc_state = "rejected"
        self.env.flush_all()
        self._login(self.user_bob)
        everyone = self.env["mlm.distributor"].search([]).ids
        for ids in (everyone, self.alice.ids):
            with self.assertRaises(JsonRpcException):
                self._call("mlm.distributor", "action_kyc_submit", [ids])
        self._login(self.user_alice)  # her own record, but nothing uploaded since the rejection
        with self.assertRaises(JsonRpcException):
            self._call("mlm.distributor", "action_kyc_submit", [self.alice.ids])
        self.assertEqual(self.alice.kyc_state, "rejected")
        self.assertEqual(self.env["mlm.distributor"].search_count([("kyc_state", "=", "pending")]), 0)

    # hole 2 ------------------------------------------------------------------------------------------------------
    def test_upline_reads_no_private_field_of_a_sharing_member(self):
        self.carol.partner_id.write({"street": "Abay 1", "zip": "050000", "vat": "KZ880101300123"})
        self.carol.identity_number = "880101300123"
        self.assertTrue(self.carol.portal_share_contact)
        self.env.flush_all()
        self._login(self.user_alice)
        for fields in (["street"], ["zip"], ["vat"], ["match_identity"], ["match_vat"], ["match_email"], ["user_ids"]):
            with self.assertRaises(JsonRpcException, msg=fields):
                self._call("mlm.distributor", "read", [self.carol.ids, fields])
        with self.assertRaises(JsonRpcException):
            self._call("res.partner", "read", [self.carol.partner_id.ids, ["street", "zip", "vat"]])
        users = self._call(
            "res.users", "search_read", [[("partner_id", "=", self.carol.partner_id.id)]], {"fields": ["login"]}
        )
        self.assertEqual(users, [])
        rows = self._call("mlm.distributor", "search_read", [[]], {"fields": ["code"]})
        self.assertEqual([r["id"] for r in rows], self.alice.ids)
        # what consent shares is on the member card
        page = self.url_open(f"/my/network/member/{self.carol.id}").text
        for shown in ("carol@example.com", "+7 701 000 0001", "Almaty"):
            self.assertIn(shown, page)
        for hidden in ("Abay 1", "050000", "KZ880101300123", "880101300123"):
            self.assertNotIn(hidden, page)

    # hole 3 ------------------------------------------------------------------------------------------------------
    def test_goal_owner_cannot_be_changed_by_the_portal(self):
        self._login(self.user_carol)
        goal_id = self._call(
            "mlm.portal.goal",
            "create",
            [{"distributor_id": self.carol.id, "goal_type": "pv", "target_value": 300, "date_deadline": "2099-01-01"}],
        )
        for vals in ({"distributor_id": self.alice.id}, {"distributor_id": self.bob.id}, {"company_id": 1}):
            with self.assertRaises(JsonRpcException, msg=vals):
                self._call("mlm.portal.goal", "write", [[goal_id], vals])
        self._call("mlm.portal.goal", "write", [[goal_id], {"target_value": 400}])
        goal = self.env["mlm.portal.goal"].browse(goal_id)
        self.assertEqual((goal.distributor_id, goal.target_value), (self.carol, 400))
        self.assertFalse(self.env["mlm.portal.goal"].search([("distributor_id", "in", (self.alice | self.bob).ids)]))

    # hole 4 ------------------------------------------------------------------------------------------------------
    def test_projection_of_others_is_for_staff(self):
        self._login(self.user_alice)
        for other in (self.carol, self.erin, self.root, self.bob):
            with self.assertRaises(JsonRpcException, msg=other.name):
                self._call("mlm.distributor", "get_mlm_projection", [other.ids])
        own = self._call("mlm.distributor", "get_mlm_projection", [self.alice.ids])
        self.assertEqual(own["projected_total"], self.alice.get_mlm_projection()["projected_total"])
        self.assertEqual(self.url_open("/my/volume").status_code, 200)

    # hole 8 ------------------------------------------------------------------------------------------------------
    def test_network_search_matches_only_shared_contact_details(self):
        self.assertFalse(self.dave.portal_share_contact)
        self.dave.partner_id.phone = "+7 701 999 1234"
        self.env.flush_all()
        self._login(self.user_alice)
        for term in ("dave@", "dave@example.com", "999 1234"):
            self.assertEqual(self.make_jsonrpc_request("/my/network/tree/search", {"term": term})["results"], [])
            html = self.url_open(f"/my/network?search={term}").text
            self.assertNotIn(f"/my/network/member/{self.dave.id}", html, term)
        # carol shares hers: found by e-mail and phone; dave still found by name
        for term in ("carol@", "000 0001"):
            found = self.make_jsonrpc_request("/my/network/tree/search", {"term": term})["results"]
            self.assertEqual([r["id"] for r in found], self.carol.ids, term)
        found = self.make_jsonrpc_request("/my/network/tree/search", {"term": "Dave"})["results"]
        self.assertEqual([r["id"] for r in found], self.dave.ids)

    # hole 9 ------------------------------------------------------------------------------------------------------
    def _join(self, email):
        page = self.url_open(f"/join/{self.carol.code}")
        marker = 'name="csrf_token" value="'
        start = page.text.index(marker) + len(marker)
        data = {
            "csrf_token": page.text[start : page.text.index('"', start)],
            "name": "Someone",
            "email": email,
            "accept_agreement": "1",
            "accept_privacy": "1",
        }
        return self.url_open(f"/join/{self.carol.code}", data=data)

    def test_signup_does_not_reveal_registered_addresses(self):
        users_before = self.env["res.users"].search_count([])
        Mail = self.env["mail.mail"]
        mails_before = Mail.search([])
        registered = self._join("ALICE@Example.com")
        self.assertEqual(registered.status_code, 200)
        self.assertIn("o_mlm_join_done", registered.text)
        self.assertNotIn("already registered", registered.text)
        self.assertEqual(self.env["res.users"].search_count([]), users_before)
        # the owner of the address is sent Odoo's password reset e-mail, queued
        reset = Mail.search([]) - mails_before
        self.assertEqual(reset.mapped("email_to"), ['"Alice" <alice@example.com>'])
        self.assertIn("reset_password", reset.body_html)
        # a pattern is an address like any other: no match on "ali%"
        pattern = self._join("ali%@example.com")
        self.assertEqual(pattern.status_code, 200)
        self.assertNotIn("already registered", pattern.text)
        self.assertFalse((Mail.search([]) - mails_before - reset).filtered(lambda m: "alice@" in m.email_to))
        fresh = self._join("newcomer@example.com")
        self.assertEqual(fresh.status_code, 200)
        strip = [(registered, "alice@example.com"), (fresh, "newcomer@example.com")]
        self.assertEqual(
            *[r.text[r.text.index("o_mlm_join_done") :].replace(e, "").split("</div>")[0] for r, e in strip]
        )
        self.assertEqual(self.env["res.users"].search_count([("login", "=", "newcomer@example.com")]), 1)

    # hole 10 (portal) --------------------------------------------------------------------------------------------
    def test_statement_pdf_of_missing_or_foreign_ids_is_404(self):
        self._login(self.user_alice)
        for statement_id in (0, 999999, self.statement_root.id):
            for suffix in ("", "/pdf", "/xlsx"):
                url = f"/my/commissions/{statement_id}{suffix}"
                self.assertEqual(self.url_open(url, allow_redirects=False).status_code, 404, url)
        # Odoo's report route with a guessed id: not found, not a crash
        for statement_id in (0, 999999):
            url = f"/report/pdf/mlm_commission.report_commission_statement/{statement_id}"
            self.assertEqual(self.url_open(url, allow_redirects=False).status_code, 404, url)
