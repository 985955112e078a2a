from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import MlmCommissionCommon


@tagged("post_install", "-at_install")
class TestVolumeLedger(MlmCommissionCommon):
    def _lines(self, distributor=None):
        domain = [("distributor_id", "=", (distributor or self.carol).id)]
        return self.env["mlm.volume.line"].search(domain)

    def test_variant_override(self):
        self.assertEqual((self.product.mlm_pv_effective, self.product.mlm_bv_effective), (40.0, 30.0))
        self.product.write({"mlm_volume_override": True, "mlm_pv_variant": 12.0, "mlm_bv_variant": 9.5})
        self.assertEqual((self.product.mlm_pv_effective, self.product.mlm_bv_effective), (12.0, 9.5))

    def test_posted_invoice_personal_volume(self):
        move = self._invoice(self.carol.partner_id, quantity=3, discount=10.0)
        lines = self._lines()
        self.assertEqual(len(lines), 1)
        # PV 40 x 3; BV 30 x 3 less the 10 % discount
        self.assertEqual((lines.pv, lines.bv, lines.volume_type), (120.0, 81.0, "personal"))
        self.assertEqual(lines.date, self.period_start)
        self.assertEqual(lines.move_line_id.move_id, move)
        # re-processing never doubles
        move._mlm_sync_volume()
        self.assertEqual(len(self._lines()), 1)

    def test_customer_volume_goes_to_referrer(self):
        self._invoice(self.customer, quantity=2)
        line = self._lines()
        self.assertEqual((line.pv, line.bv, line.volume_type, line.partner_id), (80.0, 60.0, "customer", self.customer))

    def test_nobody_credited(self):
        stranger = self.env["res.partner"].create({"name": "Walk-in"})
        self._invoice(stranger)
        self.assertFalse(self.env["mlm.volume.line"].search([("partner_id", "=", stranger.id)]))

    def test_cancel_reverses_and_repost(self):
        move = self._invoice(self.carol.partner_id, quantity=2)
        move.button_draft()
        lines = self._lines()
        self.assertEqual(len(lines), 2)
        self.assertEqual(sum(lines.mapped("pv")), 0.0)
        self.assertEqual(sum(lines.mapped("bv")), 0.0)
        move.action_post()
        lines = self._lines()
        self.assertEqual(len(lines), 3)
        self.assertEqual(sum(lines.mapped("bv")), 60.0)

    def test_credit_note_in_later_period(self):
        move = self._invoice(self.carol.partner_id, quantity=2)
        reversal = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=move.ids)
            .create({"journal_id": move.journal_id.id, "date": self.next_period.date_from})
        )
        reversal.refund_moves()
        refund = self.env["account.move"].search([("reversed_entry_id", "=", move.id)])
        refund.invoice_date = self.next_period.date_from
        refund.action_post()
        negative = self._lines().filtered(lambda ln: ln.bv < 0)
        self.assertEqual((negative.pv, negative.bv, negative.date), (-80.0, -60.0, self.next_period.date_from))

    def test_sale_trigger(self):
        self.company.mlm_volume_trigger = "sale"
        order = self.env["sale.order"].create(
            {
                "partner_id": self.dave.partner_id.id,
                "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 2})],
            }
        )
        order.action_confirm()
        line = self._lines(self.dave)
        self.assertEqual((line.pv, line.bv, line.sale_line_id.order_id), (80.0, 60.0, order))
        order._action_cancel()
        self.assertEqual(sum(self._lines(self.dave).mapped("bv")), 0.0)

    def test_paid_trigger(self):
        self.company.mlm_volume_trigger = "paid"
        move = self._invoice(self.carol.partner_id, quantity=1)
        self.assertFalse(self._lines())
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=move.ids).create(
            {"journal_id": self.bank_journal.id}
        )._create_payments()
        self.assertEqual(self._lines().bv, 30.0)

    def test_rpc_protection(self):
        Line = self.env["mlm.volume.line"]
        with self.assertRaises(AccessError):
            Line.create(
                {
                    "company_id": self.company.id,
                    "date": self.period_start,
                    "distributor_id": self.carol.id,
                    "volume_type": "personal",
                    "pv": 1000,
                    "bv": 1000,
                    "source_key": "forged",
                }
            )
        with self.assertRaises(AccessError):
            Line.with_context(mlm_volume_system="anything").create(
                {
                    "company_id": self.company.id,
                    "date": self.period_start,
                    "distributor_id": self.carol.id,
                    "volume_type": "personal",
                    "pv": 1000,
                    "bv": 1000,
                    "source_key": "forged",
                }
            )
        line = self._adjust(self.carol, 10, 10.0)
        with self.assertRaises(AccessError):
            line.write({"bv": 999})
        with self.assertRaises(AccessError):
            line.unlink()

    def test_adjustment_manager_only(self):
        user = self.env["res.users"].create(
            {
                "name": "MLM Reader",
                "login": "mlm_reader_commission",
                "groups_id": [Command.set([self.env.ref("mlm_network.group_mlm_user").id])],
            }
        )
        with self.assertRaises(AccessError):
            self.env["mlm.volume.line"].with_user(user)._create_adjustment(
                self.carol, 10, 10.0, self.period_start, "bonus"
            )
        self.assertTrue(self.env["mlm.volume.line"].with_user(user).search_count([]) >= 0)
        wizard = self.env["mlm.volume.adjust.wizard"].create(
            {
                "distributor_id": self.carol.id,
                "pv": 5,
                "bv": 4.5,
                "reason": "goodwill",
                "date": self.period_start,
            }
        )
        wizard.action_confirm()
        line = self._lines()
        self.assertEqual((line.volume_type, line.reason, line.bv), ("adjustment", "goodwill", 4.5))
