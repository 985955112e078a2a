from odoo.tests import tagged

from .common import MlmCommissionCommon


@tagged("post_install", "-at_install")
class TestSamplePlan(MlmCommissionCommon):
    def test_sample_plan_is_complete_and_runs(self):
        plan = self.env["mlm.plan"]._create_sample_plan(self.company, "Sample")
        self.assertEqual(plan.level_ids.mapped("rate"), [8, 6, 5, 4, 3, 2, 2])
        self.assertEqual(len(plan.rank_ids), 6)
        self.assertEqual(plan.rank_ids.sorted("rank_sequence")[0].min_pv, 0)
        spec = plan._get_engine_spec()
        self.assertEqual(len(spec.level_rates), 7)
        self.assertAlmostEqual(spec.level_rates[0], 0.08)
