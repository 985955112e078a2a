from odoo.tests import HttpCase, JsonRpcException, tagged

from .common import PASSWORD, MlmPortalCommon

PAGES = [
    "/my/network",
    "/my/network/export.xlsx",
    "/my/network/tree",
    "/my/volume",
    "/my/commissions",
    "/my/referral",
    "/my/profile",
    "/my/team",
]


@tagged("post_install", "-at_install")
class TestPortalAccess(HttpCase, MlmPortalCommon):
    """Every route and id-taking URL, by who asks: nobody, another branch, the upline, the downline, guessed ids;
    then the same through JSON-RPC on the models behind the pages."""

    def _get(self, url):
        return self.url_open(url, allow_redirects=False)

    def _login(self, user):
        self.authenticate(user.login, PASSWORD)

    def test_pages_need_a_login(self):
        self.authenticate(None, None)
        for url in PAGES + [f"/my/network/member/{self.alice.id}", f"/my/commissions/{self.statement_alice.id}"]:
            response = self._get(url)
            self.assertIn(response.status_code, (302, 303), url)
            self.assertIn("/web/login", response.headers["Location"], url)

    def test_json_routes_need_a_login(self):
        self.authenticate(None, None)
        for route, params in (
            ("/my/network/tree/children", {"parent_id": self.root.id}),
            ("/my/network/tree/search", {"term": "Alice"}),
            ("/my/network/tree/path", {"member_id": self.erin.id}),
        ):
            with self.assertRaises(JsonRpcException, msg=route):
                self.make_jsonrpc_request(route, params)

    def test_only_sponsors_post_team_news(self):
        self._login(self.user_erin)  # erin has no recruit
        page = self.url_open("/my/team").text
        self.assertNotIn("o_mlm_announce_form", page)
        marker = 'name="csrf_token" value="'
        token = page[page.index(marker) + len(marker) :].split('"', 1)[0]
        response = self.url_open("/my/team/announce", data={"title": "x", "body": "y", "csrf_token": token})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(self.env["mlm.portal.announcement"].search([("author_id", "=", self.erin.id)]))

    def test_pages_open_for_a_distributor(self):
        self._login(self.user_alice)
        for url in PAGES:
            response = self._get(url)
            self.assertEqual(response.status_code, 200, url)

    def test_portal_user_who_is_not_a_distributor(self):
        self.env["res.users"].create(
            {
                "login": "plain",
                "password": PASSWORD,
                "name": "Plain Customer",
                "groups_id": [(6, 0, [self.portal_group.id])],
            }
        )
        self.authenticate("plain", PASSWORD)
        for url in PAGES:
            self.assertEqual(self._get(url).status_code, 404, url)
        # the portal home still works, without the MLM cards
        home = self._get("/my/home")
        self.assertEqual(home.status_code, 200)
        self.assertNotIn("o_mlm_home", home.text)

    def test_member_cards_follow_the_tree(self):
        cases = [
            (self.user_alice, self.carol, 200),  # upline sees downline
            (self.user_root, self.erin, 200),  # three levels down
            (self.user_carol, self.alice, 404),  # downline may not see the upline
            (self.user_bob, self.carol, 404),  # another branch
            (self.user_erin, self.bob, 404),
            (self.user_alice, self.alice, 200),  # oneself
        ]
        for user, member, status in cases:
            self._login(user)
            for url in (f"/my/network/member/{member.id}", f"/my/network/photo/{member.id}"):
                self.assertEqual(self._get(url).status_code, status, f"{user.login} -> {url}")
        self._login(self.user_alice)
        for guessed in (0, 999999, -1):
            self.assertEqual(self._get(f"/my/network/member/{guessed}").status_code, 404)

    def test_statements_are_the_owner_only(self):
        urls = [f"/my/commissions/{self.statement_alice.id}{suffix}" for suffix in ("", "/pdf", "/xlsx")]
        self._login(self.user_alice)
        for url in urls:
            self.assertEqual(self._get(url).status_code, 200, url)
        # neither the upline, nor the downline, nor another branch reads alice's statement
        for user in (self.user_root, self.user_carol, self.user_bob):
            self._login(user)
            for url in urls:
                self.assertEqual(self._get(url).status_code, 404, f"{user.login} -> {url}")
        self._login(self.user_alice)
        self.assertEqual(self._get("/my/commissions/999999").status_code, 404)

    def test_goal_deletion_is_the_owner_only(self):
        goal = self.env["mlm.portal.goal"].create(
            {"distributor_id": self.alice.id, "goal_type": "pv", "target_value": 100, "date_deadline": "2099-01-01"}
        )
        for user in (self.user_root, self.user_carol, self.user_bob):
            self._login(user)
            page = self.url_open("/my/team").text
            marker = 'name="csrf_token" value="'
            token = page[page.index(marker) + len(marker) :].split('"', 1)[0]
            response = self.url_open(f"/my/team/goal/{goal.id}/delete", data={"csrf_token": token})
            self.assertEqual(response.status_code, 404, user.login)
            self.assertTrue(goal.exists())
        self._login(self.user_alice)
        page = self.url_open("/my/team").text
        token = page[page.index('name="csrf_token" value="') + 25 :].split('"', 1)[0]
        self.url_open(f"/my/team/goal/{goal.id}/delete", data={"csrf_token": token})
        self.assertFalse(goal.exists())

    def test_tree_json_routes_check_the_tree(self):
        self._login(self.user_carol)
        children = self.make_jsonrpc_request("/my/network/tree/children", {"parent_id": self.carol.id})
        self.assertEqual([n["name"] for n in children["nodes"]], ["Erin"])
        for route, params in (
            ("/my/network/tree/children", {"parent_id": self.alice.id}),
            ("/my/network/tree/children", {"parent_id": self.bob.id}),
            ("/my/network/tree/path", {"member_id": self.root.id}),
            ("/my/network/tree/path", {"member_id": self.frank.id}),
        ):
            with self.assertRaises(JsonRpcException, msg=f"{route} {params}"):
                self.make_jsonrpc_request(route, params)
        # the search only ever finds the user's own downline
        found = self.make_jsonrpc_request("/my/network/tree/search", {"term": "a"})["results"]
        self.assertFalse(found)
        found = self.make_jsonrpc_request("/my/network/tree/search", {"term": "Frank"})["results"]
        self.assertFalse(found)
        found = self.make_jsonrpc_request("/my/network/tree/search", {"term": "Erin"})["results"]
        self.assertEqual([r["id"] for r in found], [self.erin.id])

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw", {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        )

    def test_rpc_reads_only_the_own_downline(self):
        self._login(self.user_alice)
        # a distributor is a contact: through RPC a portal user reads their own record only; the downline, even
        # the members who share their contact details (carol), is shown by the pages, never the upline or another
        # branch
        rows = self._call("mlm.distributor", "search_read", [[]], {"fields": ["code", "name", "email"]})
        self.assertEqual({r["id"] for r in rows}, set(self.alice.ids))
        self.assertEqual({r["email"] for r in rows}, {"alice@example.com"})
        for other in (self.root, self.bob, self.frank, self.carol, self.dave, self.erin):
            with self.assertRaises(JsonRpcException):
                self._call("mlm.distributor", "read", [other.ids, ["code"]])
        # sensitive fields stay closed even on one's own record
        for field in ("identity_number", "kyc_document_ids", "mlm_coefficient", "agreement_ip", "mlm_wallet_balance"):
            with self.assertRaises(JsonRpcException, msg=field):
                self._call("mlm.distributor", "read", [self.alice.ids, [field]])
        # a portal user writes nothing on distributors, not even their own record
        with self.assertRaises(JsonRpcException):
            self._call("mlm.distributor", "write", [self.alice.ids, {"rank_id": self.rank_gold.id}])
        # a context key does not switch the rules off
        rows = self._call(
            "mlm.distributor", "search_read", [[]], {"fields": ["code"], "context": {"active_test": False}}
        )
        self.assertNotIn(self.root.id, [r["id"] for r in rows])

    def test_rpc_statements_lines_and_volume_are_own(self):
        self._login(self.user_alice)
        statements = self._call("mlm.commission.statement", "search_read", [[]], {"fields": ["distributor_id"]})
        self.assertTrue(statements)
        self.assertEqual({s["distributor_id"][0] for s in statements}, {self.alice.id})
        lines = self._call("mlm.commission.line", "search_read", [[]], {"fields": ["beneficiary_id"]})
        self.assertEqual({ln["beneficiary_id"][0] for ln in lines}, {self.alice.id})
        volume = self._call("mlm.volume.line", "search_read", [[]], {"fields": ["distributor_id"]})
        self.assertEqual({v["distributor_id"][0] for v in volume}, {self.alice.id})
        with self.assertRaises(JsonRpcException):
            self._call("mlm.commission.statement", "read", [self.statement_root.ids, ["total"]])
        with self.assertRaises(JsonRpcException):
            self._call("mlm.commission.period", "search_read", [[]], {"fields": ["name"]})

    def test_rpc_goals_and_announcements(self):
        self._login(self.user_carol)
        goal_id = self._call(
            "mlm.portal.goal",
            "create",
            [{"distributor_id": self.carol.id, "goal_type": "pv", "target_value": 300, "date_deadline": "2099-01-01"}],
        )
        self.assertTrue(goal_id)
        with self.assertRaises(JsonRpcException):
            self._call(
                "mlm.portal.goal",
                "create",
                [
                    {
                        "distributor_id": self.alice.id,
                        "goal_type": "pv",
                        "target_value": 1,
                        "date_deadline": "2099-01-01",
                    }
                ],
            )
        with self.assertRaises(JsonRpcException):
            self._call("mlm.portal.announcement", "create", [{"name": "x", "body": "y", "author_id": self.carol.id}])
        # announcements of the upline are readable, those of another branch are not
        Announcement = self.env["mlm.portal.announcement"]
        upline_news = Announcement.create({"name": "From Alice", "body": "<p>Hi</p>", "author_id": self.alice.id})
        other_news = Announcement.create({"name": "From Bob", "body": "<p>Hi</p>", "author_id": self.bob.id})
        (upline_news | other_news).write({"state": "published"})
        rows = self._call("mlm.portal.announcement", "search_read", [[]], {"fields": ["name"]})
        self.assertEqual([r["name"] for r in rows], ["From Alice"])
