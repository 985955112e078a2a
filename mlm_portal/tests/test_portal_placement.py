from odoo.tests import HttpCase, tagged

from .common import PASSWORD, MlmPlacementPortalCommon


@tagged("post_install", "-at_install")
class TestPortalPlacement(HttpCase, MlmPlacementPortalCommon):
    def _login(self, user):
        self.authenticate(user.login, PASSWORD)

    def _csrf(self, url="/my/profile"):
        html = self.url_open(url).text
        marker = 'name="csrf_token" value="'
        start = html.index(marker) + len(marker)
        return html[start : html.index('"', start)]

    def test_fixture_tree(self):
        self.assertEqual((self.alice.placement_parent_id, self.alice.placement_position), (self.root, "left"))
        self.assertEqual((self.erin.placement_parent_id, self.erin.placement_position), (self.carol, "left"))
        self.assertEqual((self.frank.placement_parent_id, self.frank.placement_position), (self.bob, "left"))
        self.assertEqual((self.hana | self.ivan).mapped("placement_state"), ["holding", "holding"])

    def test_leg_volumes_of_the_period(self):
        legs = self.root._placement_leg_volumes()[self.root.id]
        # left: alice 200 + carol 300 + erin 120 + dave 100; right: bob 50 + frank 150
        self.assertEqual((legs[1]["pv"], legs[1]["gv"]), (200.0, 720.0))
        self.assertEqual((legs[2]["pv"], legs[2]["gv"]), (50.0, 200.0))
        self.assertIsNone(legs[1]["carry"])

    def test_placement_page(self):
        self._login(self.user_root)
        html = self.url_open("/my/placement").text
        self.assertIn("o_mlm_pl_top", html)
        self.assertIn("720.00", html)
        self.assertIn("200.00", html)
        for name in ("Alice", "Bob", "Carol", "Dave", "Frank"):
            self.assertIn(name, html)
        self.assertNotIn('o_mlm_pl_name fw-bold text-truncate small">Erin', html)  # three levels shown
        html = self.url_open(f"/my/placement?root={self.carol.id}").text
        self.assertIn("Erin", html)
        self.assertIn("o_mlm_pl_up", html)
        html = self.url_open("/my/placement?search=eri").text
        self.assertIn("o_mlm_pl_found_item", html)
        self.assertIn(f"/my/placement?root={self.erin.id}", html)

    def test_placement_page_only_inside_the_own_downline(self):
        self._login(self.user_alice)
        self.assertEqual(self.url_open(f"/my/placement?root={self.carol.id}").status_code, 200)
        self.assertEqual(self.url_open(f"/my/placement?root={self.bob.id}").status_code, 404)
        self.assertEqual(self.url_open(f"/my/placement?root={self.root.id}").status_code, 404)
        self.assertNotIn("Frank", self.url_open("/my/placement?search=fra").text)

    def test_holding_tank_place_and_refusals(self):
        self._login(self.user_root)
        html = self.url_open("/my/placement/holding").text
        self.assertIn("Hana Waiting", html)
        self.assertIn("Ivan Waiting", html)
        csrf = self._csrf("/my/placement/holding")
        response = self.url_open(
            "/my/placement/place", data={"recruit_id": self.hana.id, "target": "right", "csrf_token": csrf}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_mlm_placed_done", response.text)
        self.assertEqual((self.hana.placement_parent_id, self.hana.placement_position), (self.bob, "right"))
        # a taken position: the page says so, nothing changes
        response = self.url_open(
            "/my/placement/place",
            data={"recruit_id": self.ivan.id, "target": f"{self.bob.id}:2", "csrf_token": csrf},
        )
        self.assertIn("o_mlm_place_error", response.text)
        self.assertEqual(self.ivan.placement_state, "holding")
        # another distributor cannot place the root's recruit
        self._login(self.user_alice)
        csrf = self._csrf()
        response = self.url_open(
            "/my/placement/place",
            data={"recruit_id": self.ivan.id, "target": f"{self.carol.id}:2", "csrf_token": csrf},
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.ivan.placement_state, "holding")

    def test_no_placement_pages_without_a_placement_tree(self):
        self.company.mlm_placement_type = "none"
        self._login(self.user_root)
        self.assertEqual(self.url_open("/my/placement").status_code, 404)
        self.assertEqual(self.url_open("/my/placement/holding").status_code, 404)


@tagged("post_install", "-at_install")
class TestPlacementPhoneTour(HttpCase, MlmPlacementPortalCommon):
    """Placing a recruit from the holding tank on a 375 px wide touch screen."""

    browser_size = "375x740"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_root.password = cls.user_root.login  # start_tour logs in with the login as password

    def test_place_from_the_holding_tank_on_a_phone(self):
        self.start_tour("/my/placement", "mlm_portal_placement_tour", login=self.user_root.login)
        self.assertEqual((self.hana.placement_parent_id, self.hana.placement_position), (self.bob, "right"))
        self.assertEqual(self.ivan.placement_state, "holding")
