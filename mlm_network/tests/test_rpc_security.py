from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import MlmNetworkCommon


@tagged("post_install", "-at_install")
class TestRpcSecurity(MlmNetworkCommon):
    """Public methods of distributors called by users who may not act on the records (as over JSON-RPC)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Users = cls.env["res.users"].with_context(no_reset_password=True)
        portal = cls.env.ref("base.group_portal")
        cls.user_bob = Users.create(
            {"login": "bob_portal", "partner_id": cls.bob.partner_id.id, "groups_id": [Command.set(portal.ids)]}
        )
        cls.user_alice = Users.create(
            {"login": "alice_portal", "partner_id": cls.alice.partner_id.id, "groups_id": [Command.set(portal.ids)]}
        )
        cls.user_reader = Users.create(
            {
                "name": "Network Reader",
                "login": "mlm_reader_rpc",
                "groups_id": [Command.set(cls.env.ref("mlm_network.group_mlm_user").ids)],
            }
        )
        cls.document = cls.env["ir.attachment"].create({"name": "passport.png", "raw": b"scan"})

    def test_kyc_submit_refused_on_others(self):
        self.alice.kyc_state = "rejected"
        self.carol.kyc_state = "verified"
        everyone = self.Distributor.search([])
        for user in (self.user_bob, self.user_reader):
            with self.assertRaises(AccessError, msg=user.login):
                everyone.with_user(user).action_kyc_submit()
            with self.assertRaises(AccessError, msg=user.login):
                self.alice.with_user(user).action_kyc_submit()
        self.assertEqual(
            (self.alice.kyc_state, self.carol.kyc_state, self.bob.kyc_state), ("rejected", "verified", "unverified")
        )

    def test_kyc_submit_on_own_record_after_upload_only(self):
        alice = self.alice.with_user(self.user_alice)
        with self.assertRaises(UserError):
            alice.action_kyc_submit()  # no document yet
        self.assertEqual(self.alice.kyc_state, "unverified")
        self.alice.kyc_document_ids = [Command.link(self.document.id)]
        self.alice.kyc_state = "rejected"
        alice.action_kyc_submit()
        self.assertEqual(self.alice.kyc_state, "pending")
        # a decision taken is not reset by the distributor
        self.alice.kyc_state = "verified"
        with self.assertRaises(UserError):
            alice.action_kyc_submit()
        self.assertEqual(self.alice.kyc_state, "verified")
        # an identity-check officer may
        officer = self.env["res.users"].create(
            {
                "name": "KYC Officer",
                "login": "kyc_rpc",
                "groups_id": [Command.set(self.env.ref("mlm_network.group_kyc_officer").ids)],
            }
        )
        self.carol.with_user(officer).action_kyc_submit()
        self.assertEqual(self.carol.kyc_state, "pending")

    def test_import_needs_the_right_to_create(self):
        before = self.Distributor.search_count([])
        rows = [["Y0000001", "Injected", "injected@example.com", self.bob.code]]
        for user in (self.user_bob, self.user_reader):
            with self.assertRaises(AccessError, msg=user.login):
                self.Distributor.with_user(user).load(["code", "name", "email", "sponsor_code"], rows)
        self.assertEqual(self.Distributor.search_count([]), before)

    def test_match_keys_are_for_kyc_officers_and_managers(self):
        self.alice.identity_number = "880101300123"
        with self.assertRaises(AccessError):
            self.alice.with_user(self.user_reader).read(["match_identity"])
        with self.assertRaises(AccessError):
            self.Distributor.with_user(self.user_reader).search([("match_identity", "=like", "88%")])
        self.assertEqual(self.alice.match_identity, "880101300123")
