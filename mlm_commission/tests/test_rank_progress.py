from odoo import fields
from odoo.tests import tagged
from odoo.tools import SQL

from ..engine import RankRule, rank_standing
from ..models import mlm_distributor_projection as shared_projection
from .common import MlmCommissionCommon


@tagged("post_install", "-at_install")
class TestRankProgress(MlmCommissionCommon):
    """Rank progress tells what the engine will pay.

    Reference volume (see test_commission_run): root PV 100, GV 1020, legs alice 720 (a Bronze) and bob 200.
    Silver needs PV 100 and GV 1000 with each leg counting at most 50 % x 1000 = 500: root's GV that counts is
    100 + 500 + 200 = 800, so root stays Bronze although its raw GV (1020) is above 1000.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_reference_volume()

    def _requirements(self, projection):
        return {req["key"]: req for req in projection["next_rank"]["requirements"]}

    def test_engine_standing_uses_the_leg_cap(self):
        silver = RankRule(min_pv=100, min_gv=1000, max_leg_share=0.5, min_legs=1, leg_rank=1)
        standing = rank_standing(silver, 100.0, [720.0, 200.0], 1)
        self.assertEqual((standing["gv"], standing["capped_gv"], standing["gv_missing"]), (1020.0, 800.0, 200.0))
        self.assertEqual(
            (standing["leg_cap"], standing["biggest_leg_counted"], standing["other_legs"]), (500, 500, 200)
        )
        self.assertTrue(standing["pv_ok"] and standing["legs_ok"])
        self.assertFalse(standing["gv_ok"] or standing["qualifies"])
        self.assertTrue(rank_standing(silver, 100.0, [500.0, 400.0], 1)["qualifies"])

    def _check_root(self, projection):
        self.assertEqual(projection["paid_rank_id"], self.rank_bronze.id)
        self.assertEqual(projection["next_rank"]["rank_id"], self.rank_silver.id)
        self.assertFalse(projection["next_rank"]["qualifies"])
        req = self._requirements(projection)
        self.assertEqual(list(req), ["pv", "gv", "legs"])
        self.assertEqual((req["pv"]["reached"], req["pv"]["percent"], req["pv"]["missing"]), (100.0, 100, False))
        self.assertEqual((req["legs"]["reached"], req["legs"]["target"], req["legs"]["missing"]), (1, 1, False))
        gv = req["gv"]
        self.assertEqual((gv["reached"], gv["target"], gv["percent"], gv["bar"]), (800.0, 1000.0, 80, 80))
        self.assertTrue(gv["missing"])
        self.assertEqual(gv["missing_text"], "200 GV more, outside your biggest leg")
        self.assertEqual(
            gv["note"],
            "Your biggest leg counts at most 500 of the 1,000 GV; you have 200 from the other legs and 100 of your "
            "own PV.",
        )
        self.assertEqual(projection["next_rank"]["gv_missing"], 200.0)

    def test_root_sees_the_leg_cap_on_every_path(self):
        # the engine on root's subtree (no preview, no warm cache)
        self._check_root(self.root.get_mlm_projection(period=self.period))
        # the shared state (the whole company's, folded)
        self.env.flush_all()
        shared_projection.fold(self.env, self.company, self.period)
        self._check_root(self.root.get_mlm_projection(period=self.period))
        # the period's preview
        self.env.cr.execute(SQL("DELETE FROM mlm_projection_state"))
        self.period.action_compute_now()
        self._check_root(self.root.get_mlm_projection(period=self.period))

    def test_bars_exceed_the_target(self):
        projection = self.alice.get_mlm_projection(period=self.period)
        req = self._requirements(projection)
        # alice: PV 200 of 100 -> 200 %, the bar full; GV 200 + carol 420 + dave 100 = 720 of 1000 (no leg capped)
        self.assertEqual((req["pv"]["percent"], req["pv"]["bar"], req["pv"]["missing"]), (200, 100, False))
        self.assertEqual((req["gv"]["reached"], req["gv"]["percent"]), (720.0, 72))
        self.assertEqual(req["gv"]["missing_text"], "280 GV more")
        self.assertEqual(req["legs"]["missing_text"], "1 more leg(s) with a Bronze")

    def test_all_bars_full_means_the_rank(self):
        """Nobody sees every requirement of the next rank reached without the engine paying it."""
        for distributor in self.network:
            next_rank = distributor.get_mlm_projection(period=self.period)["next_rank"]
            if next_rank:
                self.assertTrue(
                    any(req["missing"] for req in next_rank["requirements"]) or not next_rank["requirements"],
                    distributor.name,
                )
                self.assertFalse(next_rank["qualifies"], distributor.name)

    def test_backend_form_shows_the_progress(self):
        self._load_reference_volume(fields.Date.context_today(self.env.user))  # the form shows the current period
        html = str(self.root.mlm_rank_progress_html)
        self.assertIn("Silver", html)
        self.assertIn("Your biggest leg counts at most 500 of the 1,000 GV", html)
        self.assertIn("200 GV more, outside your biggest leg", html)
        self.assertIn("80%", html)
