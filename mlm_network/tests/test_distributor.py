from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged, users

from .common import MlmNetworkCommon


@tagged("post_install", "-at_install")
class TestDistributor(MlmNetworkCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Users = cls.env["res.users"].with_context(no_reset_password=True)
        cls.user_reader = Users.create(
            {
                "name": "Network Reader",
                "login": "mlm_reader",
                "email": "reader@example.com",
                "groups_id": [(6, 0, [cls.env.ref("mlm_network.group_mlm_user").id])],
            }
        )
        cls.user_manager = Users.create(
            {
                "name": "Network Manager",
                "login": "mlm_manager",
                "email": "manager@example.com",
                "groups_id": [(6, 0, [cls.env.ref("mlm_network.group_mlm_manager").id])],
            }
        )

    def test_enrol_gives_code_depth_and_counts(self):
        self.assertRegex(self.alice.code, r"^D\d{7}$")
        self.assertEqual(self.alice.partner_id.mlm_code, self.alice.code)
        self.assertEqual(self.alice.display_name, f"[{self.alice.code}] Alice")
        self.assertEqual((self.root.depth, self.alice.depth, self.carol.depth, self.erin.depth), (0, 1, 2, 3))
        self.assertEqual(self.root.downline_count, 6)
        self.assertEqual(self.alice.downline_count, 3)
        self.assertEqual(self.erin.downline_count, 0)
        self.assertEqual(self.root.recruit_count, 2)
        self.assertEqual(self.root._get_leg_sizes(), [(self.alice.id, 4), (self.bob.id, 2)])
        self.assertIn("Alice", self.root.leg_summary)
        self.assertEqual(len({d.code for d in self.root | self.alice | self.bob | self.carol}), 4)
        self.assertTreeInvariants()

    def test_code_found_by_name_search_everywhere(self):
        found = self.Distributor.name_search(self.carol.code)
        self.assertEqual([r[0] for r in found], [self.carol.id])
        partners = self.env["res.partner"].name_search(self.carol.code)
        self.assertIn(self.carol.partner_id.id, [r[0] for r in partners])

    def test_code_never_changes(self):
        with self.assertRaises(UserError):
            self.alice.code = "D9999999"

    def test_downline_and_upline(self):
        downline = self.Distributor.search(self.alice._get_downline_domain())
        self.assertEqual(downline, self.carol | self.dave | self.erin)
        action = self.erin.action_view_upline()
        self.assertEqual(self.Distributor.search(action["domain"]), self.root | self.alice | self.carol)
        action = self.alice.action_view_downline()
        self.assertEqual(len(self.Distributor.search(action["domain"])), 4)
        colours = self.Distributor.with_context(mlm_genealogy_root_id=self.root.id).browse(
            (self.carol | self.frank).ids
        )
        self.assertNotEqual(colours[0].leg_color, colours[1].leg_color)
        self.assertEqual(self.carol.leg_color, self.dave.leg_color, "one leg, one colour")

    def test_sponsor_changes_only_through_moves_and_never_cycles(self):
        with self.assertRaises(UserError):
            self.alice.sponsor_id = self.bob
        with self.assertRaises(UserError):
            self.alice._move_in_genealogy(self.erin, "with_downline", "loop")
        with self.assertRaises(UserError):
            self.alice._move_in_genealogy(self.alice, "with_downline", "self")

    def test_move_with_downline(self):
        log = self.alice._move_in_genealogy(self.frank, "with_downline", "Requested by both sponsors")
        self.assertEqual(self.alice.sponsor_id, self.frank)
        self.assertEqual((self.alice.depth, self.carol.depth, self.erin.depth), (3, 4, 5))
        self.assertEqual(self.bob.downline_count, 5)
        self.assertEqual(log.moved_count, 3)
        self.assertEqual((log.old_sponsor_id, log.new_sponsor_id, log.option), (self.root, self.frank, "with_downline"))
        self.assertTrue(self.erin.parent_path.startswith(self.frank.parent_path))
        self.assertTreeInvariants()
        with self.assertRaises(AccessError):
            log.with_user(self.user_manager).reason = "rewrite history"
        with self.assertRaises(UserError):
            log.unlink()

    def test_move_roll_up(self):
        log = self.alice._move_in_genealogy(self.bob, "roll_up", "Compliance decision")
        self.assertEqual(self.alice.sponsor_id, self.bob)
        self.assertEqual(self.carol.sponsor_id, self.root)
        self.assertEqual(self.dave.sponsor_id, self.root)
        self.assertEqual((self.carol.depth, self.erin.depth, self.alice.depth), (1, 2, 2))
        self.assertEqual(self.alice.downline_count, 0)
        self.assertEqual(log.moved_count, 3)
        self.assertTreeInvariants()
        # a distributor may then move under one of its former recruits, now rolled up
        self.alice._move_in_genealogy(self.erin, "roll_up", "Again")
        self.assertEqual(self.alice.depth, 3)
        self.assertTreeInvariants()

    def test_move_requires_manager(self):
        with self.assertRaises(AccessError):
            self.alice.with_user(self.user_reader)._move_in_genealogy(self.bob, "with_downline", "no")
        self.alice.with_user(self.user_manager)._move_in_genealogy(self.bob, "with_downline", "ok")
        self.assertEqual(self.alice.sponsor_id, self.bob)

    def test_move_wizard(self):
        wizard = self.env["mlm.move.wizard"].create(
            {
                "distributor_id": self.carol.id,
                "new_sponsor_id": self.bob.id,
                "option": "roll_up",
                "reason": "Wizard move",
            }
        )
        wizard.action_move()
        self.assertEqual(self.carol.sponsor_id, self.bob)
        self.assertEqual(self.erin.sponsor_id, self.alice)
        self.assertTreeInvariants()

    def test_statuses_are_dated(self):
        self.dave.action_suspend()
        self.assertEqual(self.dave.status, "suspended")
        self.assertEqual(self.dave.status_date, fields.Date.today())
        with self.assertRaises(ValidationError):
            self._make_distributor("Recruit of suspended", self.dave)
        self.dave.action_terminate()
        self.assertEqual(self.dave.termination_date, fields.Date.today())
        self.assertFalse(self.dave.partner_id.is_distributor)

    def test_ranks_history_and_highest(self):
        self.assertEqual(self.alice.rank_id, self.rank_member)
        self.alice._set_rank(self.rank_gold, "qualified")
        self.alice._set_rank(self.rank_bronze, "fell back")
        self.assertEqual(self.alice.rank_id, self.rank_bronze)
        self.assertEqual(self.alice.highest_rank_id, self.rank_gold)
        self.assertEqual(self.alice.rank_history_ids.mapped("rank_id"), self.rank_bronze | self.rank_gold)
        self.alice.rank_id = self.rank_silver
        self.assertEqual(len(self.alice.rank_history_ids), 3)
        self.assertEqual(self.alice.highest_rank_id, self.rank_gold)

    def test_branch_counts(self):
        self.assertEqual(self.branch.member_count, 7)
        self.frank.action_deactivate()
        self.branch.invalidate_recordset()
        self.assertEqual(self.branch.active_member_count, 6)
        self.assertEqual(self.branch.new_member_count, 7)
        self.assertEqual(self.branch.complete_name, "Kazakhstan / Almaty")

    def test_duplicates_are_flagged_or_blocked(self):
        twin = self._make_distributor("Alice Twin", self.bob, email="ALICE@example.com ")
        self.assertEqual(twin.duplicate_state, "flagged")
        self.assertEqual(twin.duplicate_of_ids, self.alice)
        self.assertIn("email", twin.duplicate_reason)
        self.assertIn(twin, self.Distributor.search([("duplicate_state", "=", "flagged")]))
        twin.action_clear_duplicate()
        self.assertEqual(twin.duplicate_state, "cleared")
        self.company.mlm_duplicate_policy = "block"
        with self.assertRaises(ValidationError):
            self._make_distributor("Bob Again", self.root, email="bob@example.com")

    def test_self_sponsoring_is_impossible(self):
        with self.assertRaises(ValidationError):
            self._make_distributor("Carol's second account", self.carol, email="carol@example.com")

    def test_reenrolment_waits(self):
        self.frank.action_terminate()
        with self.assertRaises(ValidationError):
            self.Distributor.enroll(self.frank.partner_id, self.bob)
        self.frank.termination_date = fields.Date.today() - timedelta(days=181)
        again = self.Distributor.enroll(self.frank.partner_id, self.bob)
        self.assertNotEqual(again.code, self.frank.code)
        self.assertEqual(self.frank.partner_id.mlm_distributor_id, again)

    def test_cooling_off_cancel_flags_starter_order(self):
        product = self.env["product.product"].create({"name": "Starter kit", "list_price": 99.0})
        customer = self.env["res.partner"].create({"name": "Newbie", "email": "newbie@example.com"})
        order = self.env["sale.order"].create(
            {"partner_id": customer.id, "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})]}
        )
        order.action_confirm()
        newbie = self.Distributor.enroll(customer, self.alice, starter_order_id=order.id)
        self.assertEqual(newbie.cooling_off_deadline, newbie.join_date + timedelta(days=14))
        newbie.action_cancel_cooling_off()
        self.assertEqual(newbie.status, "terminated")
        self.assertTrue(order.mlm_refund_requested)
        self.assertTrue(order.activity_ids)
        late = self._make_distributor("Late", self.alice, join_date=fields.Date.today() - timedelta(days=30))
        with self.assertRaises(UserError):
            late.action_cancel_cooling_off()

    def test_anonymise_keeps_node_and_history(self):
        with self.assertRaises(UserError):
            self.erin.action_anonymize()
        self.erin.identity_number = "990101300123"
        self.erin.action_terminate()
        node_path = self.erin.parent_path
        self.erin.action_anonymize()
        self.assertEqual(self.erin.name, f"Anonymised {self.erin.code}")
        self.assertFalse(self.erin.email)
        self.assertFalse(self.erin.identity_number)
        self.assertEqual(self.erin.parent_path, node_path)
        self.assertEqual(self.erin.sponsor_id, self.carol)
        self.assertTrue(self.erin.anonymized_date)
        self.assertTreeInvariants()

    @users("mlm_reader")
    def test_reader_reads_but_cannot_write_or_see_identity(self):
        alice = self.alice.with_user(self.env.user)
        self.assertEqual(alice.name, "Alice")
        with self.assertRaises(AccessError):
            alice.write({"branch_id": False})
        with self.assertRaises(AccessError):
            alice.read(["identity_number"])
        with self.assertRaises(AccessError):
            self.env["mlm.distributor"].enroll(self.alice.partner_id, self.bob)

    def test_kyc_officer_verifies(self):
        officer = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "KYC Officer",
                    "login": "kyc_officer",
                    "groups_id": [(6, 0, [self.env.ref("mlm_network.group_kyc_officer").id])],
                }
            )
        )
        self.alice.with_user(officer).action_kyc_verify()
        self.assertEqual(self.alice.kyc_state, "verified")
        self.assertEqual(self.alice.kyc_verified_by_id, officer)
        with self.assertRaises(AccessError):
            self.alice.with_user(self.user_manager).action_kyc_reject()

    def test_multi_company_rule(self):
        other = self.env["res.company"].create({"name": "Other MLM Co"})
        self.user_manager.write({"company_ids": [(4, other.id)]})
        foreign = self.Distributor.with_company(other).create(
            {"name": "Foreign", "email": "foreign@example.com", "company_id": other.id, "status": "active"}
        )
        visible = self.Distributor.with_user(self.user_manager).with_company(self.company).search([])
        self.assertNotIn(foreign, visible)
        self.assertIn(self.alice, visible)

    def test_enroll_wizard(self):
        partner = self.env["res.partner"].create({"name": "Wizard Person", "email": "wizard@example.com"})
        action = partner.action_mlm_enroll()
        wizard = (
            self.env["mlm.enroll.wizard"]
            .with_context(**action["context"])
            .create({"sponsor_id": self.bob.id, "agreement_accepted": False})
        )
        with self.assertRaises(UserError):
            wizard.action_enroll()
        wizard.agreement_accepted = True
        result = wizard.action_enroll()
        dist = self.Distributor.browse(result["res_id"])
        self.assertEqual(dist.sponsor_id, self.bob)
        self.assertEqual(dist.agreement_version, "1.0")
        self.assertTrue(partner.is_distributor)
        self.assertIn(partner, self.env["res.partner"].search([("is_distributor", "=", True)]))
        with self.assertRaises(UserError):
            self.Distributor.enroll(partner, self.bob)
