from odoo import Command
from odoo.tests import tagged

from odoo.addons.mlm_commission.tests.common import MlmCommissionCommon

UNILEVEL = "1"


@tagged("post_install", "-at_install")
class TestAutoshipInThePlan(MlmCommissionCommon):
    """ "Active = PV >= 100 or an active autoship of >= 100 PV", read by the one period reader for every run.

    Reference volumes: bob has 50 PV (inactive on PV alone), frank below him 150 PV / 100.00 BV.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_reference_volume()
        cls.autoship_bob = cls.env["mlm.autoship"].create(
            {
                "partner_id": cls.bob.partner_id.id,
                "company_id": cls.company.id,
                "line_ids": [Command.create({"product_id": cls.product.id, "quantity": 3})],  # 120 PV
            }
        )
        cls.autoship_bob.start_date = cls.period.date_from

    def _uni(self):
        self.period.action_compute_now()
        return self._amounts(self.period, UNILEVEL)

    def test_rule_off_by_default(self):
        uni = self._uni()
        self.assertFalse(self._statement(self.period, self.bob).is_active)
        self.assertNotIn((self.bob, self.frank), uni)
        self.assertEqual(uni[(self.root, self.frank)], 10.00)

    def test_an_active_autoship_makes_active(self):
        self.plan.autoship_min_pv = 100
        self.assertEqual(self.plan._get_engine_spec().standing_min_pv, 100)
        uni = self._uni()
        self.assertTrue(self._statement(self.period, self.bob).is_active)
        self.assertEqual(uni[(self.bob, self.frank)], 10.00)  # bob is frank's level 1 again
        self.assertEqual(uni[(self.root, self.frank)], 5.00)  # root moves to level 2

    def test_too_small_paused_or_later_autoships_do_not(self):
        self.plan.autoship_min_pv = 150  # bob's autoship has 120 PV
        self.assertFalse(self._uni().get((self.bob, self.frank)))
        self.plan.autoship_min_pv = 100
        self.autoship_bob._pause("test")
        self.assertFalse(self._uni().get((self.bob, self.frank)))
        self.autoship_bob._resume()
        self.autoship_bob.start_date = self.next_period.date_from  # started after the period
        self.assertFalse(self._uni().get((self.bob, self.frank)))
        self.autoship_bob.start_date = self.period.date_to
        self.assertEqual(self._uni()[(self.bob, self.frank)], 10.00)

    def test_a_customer_autoship_does_not_qualify_its_distributor(self):
        self.plan.autoship_min_pv = 100
        customer = self.env["res.partner"].create({"name": "Bob's Customer", "mlm_referrer_id": self.bob.id})
        self.autoship_bob.partner_id = customer  # no cycle yet: the owner may change
        self.assertEqual((self.autoship_bob.owner_type, self.autoship_bob.distributor_id), ("customer", self.bob))
        self.assertFalse(self._uni().get((self.bob, self.frank)))

    def test_rank_rule_takes_the_autoship_as_personal_pv(self):
        self.plan.autoship_min_pv = 100
        bronze = self.plan.rank_ids.filtered(lambda r: r.rank_id == self.rank_bronze)
        bronze.min_gv = 200  # bob's GV; his 50 PV fail the rank's 100 PV
        self.period.action_compute_now()
        self.assertEqual(self._statement(self.period, self.bob).paid_rank_id, self.rank_member)
        bronze.autoship_counts = True
        self.period.action_compute_now()
        self.assertEqual(self._statement(self.period, self.bob).paid_rank_id, self.rank_bronze)
