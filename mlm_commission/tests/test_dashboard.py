from datetime import timedelta

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, tagged, users

from .common import MlmCommissionCommon


class DashboardCommon(MlmCommissionCommon):
    """The reference fixture of ``test_commission_run`` in ``period``, plus:

    - gina, a recruit of carol who joined in ``period`` (no volume) and is in no branch;
    - dave holds Silver by hand (paid Member: short of his rank);
    - in ``next_period``: carol 50 PV / 40.00 BV, alice 20 PV / 10.00 BV;
    - a company target for ``period`` (PV 1000, BV 1000.00, 2 recruits) and one for Almaty (BV 2000.00).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gina = cls._make_distributor(
            "Gina", cls.carol, branch_id=False, join_date=cls.period.date_from + timedelta(days=4)
        )
        cls._load_reference_volume()
        cls._adjust(cls.carol, 50, 40.0, cls.next_period.date_from)
        cls._adjust(cls.alice, 20, 10.0, cls.next_period.date_from + timedelta(days=3))
        cls.dave.rank_id = cls.rank_silver
        cls.Target = cls.env["mlm.sales.target"]
        cls.target = cls.Target.create(
            {
                "date_from": cls.period.date_from,
                "target_pv": 1000.0,
                "target_bv": 1000.0,
                "target_recruits": 2,
            }
        )
        cls.branch_target = cls.Target.create(
            {"date_from": cls.period.date_from, "branch_id": cls.branch_region.id, "target_bv": 2000.0}
        )
        cls.period.action_compute_now()
        cls.next_period.action_compute_now()


@tagged("post_install", "-at_install")
class TestDashboard(DashboardCommon):
    def test_target_defaults_and_constraints(self):
        self.assertEqual(self.target.date_to, self.period.date_to, "a target spans a month by default")
        with self.assertRaises(ValidationError):
            self.Target.create({"date_from": self.period.date_from + timedelta(days=10), "target_pv": 5})
        # another branch may have its own target for the same month
        self.Target.create({"date_from": self.period.date_from, "branch_id": self.branch.id, "target_pv": 5})

    def test_dashboard_figures(self):
        data = self.env["mlm.commission.dashboard"].get_dashboard_data(period_id=self.period.id, months=12)
        self.assertEqual(data["period"]["id"], self.period.id)
        kpis = data["kpis"]
        self.assertEqual((kpis["pv"], kpis["bv"]), (1020.0, 820.55))
        self.assertEqual((kpis["prev_pv"], kpis["prev_bv"], kpis["bv_change"]), (0.0, 0.0, None))
        # root, alice, carol, dave, erin, frank reach 100 PV; bob (50) and gina (0) do not
        self.assertEqual((kpis["members"], kpis["active"], kpis["recruits"]), (8, 6, 1))
        self.assertEqual(kpis["commissions"], self.period.total_amount)
        self.assertEqual(kpis["commissions"], 151.65)
        self.assertEqual(kpis["at_risk"], 1)
        # monthly series: 12 months ending with the period's month, the sales in its last two
        monthly = data["monthly"]
        self.assertEqual(len(monthly), 12)
        self.assertEqual(monthly[-1]["month"], str(self.period.date_from))
        self.assertEqual((monthly[-1]["pv"], monthly[-1]["bv"]), (1020.0, 820.55))
        self.assertEqual(sum(m["bv"] for m in monthly[:-1]), 0.0)
        # seasonality: one month of history, so its calendar month averages the period and the others are empty
        season = {s["month"]: s for s in data["seasonality"]}
        month = season[self.period.date_from.month]
        self.assertEqual((month["avg_bv"], month["avg_pv"], month["years"], month["index"]), (820.55, 1020.0, 1, 100.0))
        # branches: Almaty holds everybody but gina
        branches = {row["name"]: row for row in data["branches"]}
        almaty = branches["Kazakhstan / Almaty"]
        self.assertEqual(
            (almaty["members"], almaty["active"], almaty["recruits"], almaty["pv"], almaty["bv"]),
            (7, 6, 0, 1020.0, 820.55),
        )
        self.assertEqual(almaty["commissions"], 151.65)
        nobranch = branches["No branch"]
        self.assertEqual((nobranch["members"], nobranch["recruits"], nobranch["bv"]), (1, 1, 0.0))
        # targets: actual over each target's own dates, the region target counts its city
        company_target, region_target = data["targets"]
        self.assertEqual(company_target["id"], self.target.id)
        self.assertEqual((company_target["actual_pv"], company_target["pv_percent"]), (1020.0, 102.0))
        self.assertEqual((company_target["actual_bv"], company_target["bv_percent"]), (820.55, 82.1))
        self.assertEqual((company_target["actual_recruits"], company_target["recruits_percent"]), (1, 50.0))
        self.assertEqual((region_target["actual_bv"], region_target["bv_percent"]), (820.55, 41.0))
        self.assertIsNone(region_target["pv_percent"], "no PV target, no percentage")
        # top earners: the period's statements, highest first
        earners = data["top_earners"]
        self.assertEqual(earners[0]["distributor_id"], self.root.id)
        self.assertEqual((earners[0]["total"], earners[0]["rank"]), (74.95, "Bronze"))
        self.assertEqual(round(sum(r["total"] for r in earners), 2), 151.65)
        top_pv = data["top_pv"]
        self.assertEqual([r["distributor_id"] for r in top_pv[:2]], [self.carol.id, self.alice.id])
        self.assertEqual((top_pv[0]["pv"], top_pv[0]["prev_pv"]), (300.0, 0.0))
        # at risk: dave, short of the Silver he holds
        (risk,) = data["at_risk"]
        self.assertEqual(
            (risk["distributor_id"], risk["risk"], risk["rank"], risk["paid_rank"]),
            (self.dave.id, "rank", "Silver", "Member"),
        )
        self.assertEqual(risk["statement_id"], self._statement(self.period, self.dave).id)

    def test_next_period_compares_with_previous(self):
        self.period.action_close()  # activity is compared with the last closed period
        self.next_period.action_compute_now()
        data = self.env["mlm.commission.dashboard"].get_dashboard_data(period_id=self.next_period.id, months=24)
        self.assertEqual(len(data["monthly"]), 24)
        self.assertEqual([(m["pv"], m["bv"]) for m in data["monthly"][-2:]], [(1020.0, 820.55), (70.0, 50.0)])
        kpis = data["kpis"]
        self.assertEqual((kpis["pv"], kpis["bv"], kpis["prev_bv"]), (70.0, 50.0, 820.55))
        self.assertEqual(kpis["bv_change"], -93.9)  # 50.00 / 820.55 - 1
        top_pv = data["top_pv"]
        self.assertEqual(
            [(r["distributor_id"], r["pv"], r["prev_pv"]) for r in top_pv],
            [(self.carol.id, 50.0, 300.0), (self.alice.id, 20.0, 200.0)],
        )
        # carol bought less than half of last period's PV: activity falling; alice too, but she was made Bronze
        # by the close and is paid Member now: short of her rank (which comes first). Most PV lost first.
        self.assertEqual(
            [
                (r["distributor_id"], r["risk"], r["rank"], r["paid_rank"], r["pv"], r["prev_pv"])
                for r in data["at_risk"]
            ],
            [
                (self.carol.id, "activity", "Member", "Member", 50.0, 300.0),
                (self.alice.id, "rank", "Bronze", "Member", 20.0, 200.0),
            ],
        )
        self.assertEqual(data["targets"], [], "no target covers the next period")

    def test_volume_added_after_the_preview_counts(self):
        """Figures come from the preview's statements plus the ledger lines added since, never a stale preview."""
        self._adjust(self.carol, 10, 5.0, self.period.date_from + timedelta(days=2))
        data = self.env["mlm.commission.dashboard"].get_dashboard_data(period_id=self.period.id)
        self.assertEqual((data["kpis"]["pv"], data["kpis"]["bv"]), (1030.0, 825.55))
        self.assertEqual((data["monthly"][-1]["pv"], data["monthly"][-1]["bv"]), (1030.0, 825.55))
        self.assertEqual((data["top_pv"][0]["distributor_id"], data["top_pv"][0]["pv"]), (self.carol.id, 310.0))
        self.assertEqual(data["kpis"]["commissions"], 151.65, "earnings stay those of the last preview")

    def test_default_period_is_the_latest_started(self):
        data = self.env["mlm.commission.dashboard"].get_dashboard_data()
        latest = self.env["mlm.commission.period"].search([("company_id", "=", self.company.id)], limit=1)
        self.assertEqual(data["period"]["id"], latest.id)


@tagged("post_install", "-at_install")
class TestDashboardAccess(DashboardCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.users"].create(
            [
                {
                    "name": "Dashboard Reader",
                    "login": "mlm_dashboard_reader",
                    "groups_id": [(6, 0, [cls.env.ref("mlm_network.group_mlm_user").id])],
                },
                {
                    "name": "Plain Employee",
                    "login": "mlm_dashboard_employee",
                    "groups_id": [(6, 0, [cls.env.ref("base.group_user").id])],
                },
            ]
        )

    @users("mlm_dashboard_reader")
    def test_reader_sees_dashboard_not_writes_targets(self):
        data = self.env["mlm.commission.dashboard"].get_dashboard_data(period_id=self.period.id)
        self.assertEqual(data["kpis"]["bv"], 820.55)
        self.assertEqual(self.env["mlm.sales.target"].search_count([]), 2)
        with self.assertRaises(AccessError):
            self.env["mlm.sales.target"].create({"date_from": self.next_period.date_from, "target_pv": 1})

    @users("mlm_dashboard_employee")
    def test_employee_refused(self):
        with self.assertRaises(AccessError):
            self.env["mlm.commission.dashboard"].get_dashboard_data(period_id=self.period.id)


@tagged("post_install", "-at_install")
class TestDashboardTour(HttpCase, DashboardCommon):
    def test_dashboard_tour(self):
        self.start_tour("/odoo", "mlm_commission_dashboard_tour", login="admin")
