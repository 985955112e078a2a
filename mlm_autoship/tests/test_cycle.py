from unittest.mock import patch

from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import MlmAutoshipCommon


class CrashError(Exception):
    """A worker dying half way through a job."""


@tagged("post_install", "-at_install")
class TestAutoshipCycle(MlmAutoshipCommon):
    def test_full_cycle_order_payment_invoice_ledger(self):
        self._run_batch()
        cycle = self.autoship_alice.cycle_ids
        self.assertEqual(len(cycle), 1)
        self.assertEqual(cycle.state, "paid")
        self.assertEqual(cycle.key, f"AS{self.autoship_alice.id}-{self.today.strftime('%Y%m%d')}")
        order = cycle.order_id
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.partner_id, self.alice.partner_id)
        self.assertAlmostEqual(order.amount_total, 100.00, places=2)
        self.assertAlmostEqual(order.mlm_pv_total, 80.0)
        tx = order.transaction_ids
        self.assertEqual(len(tx), 1)
        self.assertEqual((tx.state, tx.provider_code, tx.token_id), ("done", "demo", self.token_alice))
        self.assertEqual(tx.reference, f"{cycle.key}-1")
        invoice = order.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(invoice.state, "posted")
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))
        self.assertAlmostEqual(invoice.amount_total, 100.00, places=2)
        # the volume ledger picked the invoice up (the fixtures' company counts volume on posted invoices)
        ledger = self.env["mlm.volume.line"].search(
            [("distributor_id", "=", self.alice.id), ("origin", "=", invoice.name)]
        )
        self.assertEqual(len(ledger), 1)
        self.assertAlmostEqual(ledger.pv, 80.0)
        self.assertAlmostEqual(ledger.bv, 60.0)
        self.assertEqual(ledger.volume_type, "personal")
        # the customer's autoship credits the referring distributor as customer volume
        customer_order = self.autoship_customer.cycle_ids.order_id
        customer_line = self.env["mlm.volume.line"].search([("origin", "=", customer_order.invoice_ids.name)])
        self.assertEqual((customer_line.distributor_id, customer_line.volume_type), (self.carol, "customer"))
        # the owner is told through the mail queue (no PDF rendered in the batch)
        paid_mails = self.env["mail.mail"].search(
            [("recipient_ids", "in", self.alice.partner_id.ids), ("subject", "ilike", order.name)]
        )
        self.assertEqual(len(paid_mails), 1)
        self.assertEqual(paid_mails.state, "outgoing")
        # the autoship moved on by one month, on its day
        self.assertEqual(self.autoship_alice.next_date, self.autoship_alice._following_date(self.today))
        self.assertGreater(self.autoship_alice.next_date, self.today)

    def test_one_declined_card_does_not_fail_the_batch(self):
        """One job: Alice's card is declined, her second autoship and the customer's are paid, each order with its
        own invoice (never merged with another order of the same owner) and its own ledger line."""
        second = self._autoship(self.alice.partner_id, self._token(self.alice.partner_id), quantity=3)
        self.token_alice.demo_simulated_state = "error"
        self._run_batch()
        self.assertEqual(self.autoship_alice.cycle_ids.state, "failed")
        paid = (second | self.autoship_customer).cycle_ids
        self.assertEqual(paid.mapped("state"), ["paid", "paid"])
        for cycle in paid:
            invoice = cycle.order_id.invoice_ids
            self.assertEqual(len(invoice), 1)
            self.assertEqual(invoice.invoice_line_ids.sale_line_ids.order_id, cycle.order_id)
            self.assertEqual(invoice.amount_total, cycle.order_id.amount_total)
            self.assertIn(invoice.payment_state, ("in_payment", "paid"))
            tx = cycle.order_id.transaction_ids
            self.assertEqual((tx.invoice_ids, tx.payment_id.state), (invoice, "paid"))
            self.assertEqual(len(self.env["mlm.volume.line"].search([("move_line_id", "in", invoice.line_ids.ids)])), 1)
        self.assertEqual(second.cycle_ids.order_id.amount_total, 150.0)
        self.assertIn("paid", second.message_ids[:1].body)

    def test_odoo_automatic_invoice_setting_changes_nothing(self):
        """With Odoo's "automatic invoice" on (website sales), a cycle still gets one invoice, linked to its
        transaction and paid by it."""
        self.env["ir.config_parameter"].sudo().set_param("sale.automatic_invoice", True)
        self._run_batch()
        cycle = self.autoship_customer.cycle_ids
        self.assertEqual(cycle.state, "paid")
        invoice = cycle.order_id.invoice_ids
        self.assertEqual(len(invoice), 1)
        self.assertEqual(cycle.order_id.transaction_ids.invoice_ids, invoice)
        self.assertIn(invoice.payment_state, ("in_payment", "paid"))

    def test_running_twice_charges_once(self):
        self._run_batch()
        self._run_batch()
        self.autoship_alice.next_date = self.today  # even when the date is set back to a paid cycle's date
        self._run_batch()
        cycles = self.autoship_alice.cycle_ids
        self.assertEqual(len(cycles), 1)
        self.assertEqual(len(cycles.order_id.transaction_ids), 1)

    def test_one_cycle_per_autoship_and_date(self):
        self._run_batch()
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env["mlm.autoship.cycle"].create({"autoship_id": self.autoship_alice.id, "cycle_date": self.today})

    def test_failed_payment_retries_then_skips_and_pauses(self):
        self.token_alice.demo_simulated_state = "error"
        mails_before = self.env["mail.mail"].search_count([])
        self._run_batch()
        cycle = self.autoship_alice.cycle_ids
        self.assertEqual((cycle.state, cycle.attempt_count), ("failed", 1))
        self.assertEqual(cycle.next_retry_date, self._days(1))
        self.assertEqual(cycle.order_id.state, "draft")  # nothing confirmed, no volume
        self.assertFalse(self.env["mlm.volume.line"].search([("origin", "=", cycle.order_id.name)]))
        self.assertEqual(self.autoship_alice.state, "active")
        # day 1 and day 3: retried, still failing; the owner told each time
        for attempt, day, next_retry in ((2, 1, 3), (3, 3, 5)):
            self._run_batch(self._days(day))
            self.assertEqual((cycle.state, cycle.attempt_count), ("failed", attempt))
            self.assertEqual(cycle.next_retry_date, self._days(next_retry))
        # nothing is retried before its date
        self._run_batch(self._days(4))
        self.assertEqual(cycle.attempt_count, 3)
        # day 5: the last retry fails: skipped and paused, never cancelled
        self._run_batch(self._days(5))
        self.assertEqual((cycle.state, cycle.skip_reason, cycle.attempt_count), ("skipped", "payment", 4))
        self.assertEqual(cycle.order_id.state, "cancel")
        self.assertEqual(self.autoship_alice.state, "paused")
        self.assertEqual(len(cycle.order_id.transaction_ids), 4)
        self.assertEqual(set(cycle.order_id.transaction_ids.mapped("state")), {"error"})
        mails = self.env["mail.mail"].search([], order="id desc", limit=20)
        to_alice = mails.filtered(lambda m: self.alice.partner_id in m.recipient_ids)
        self.assertGreaterEqual(self.env["mail.mail"].search_count([]) - mails_before, 4)
        self.assertEqual(len(to_alice.filtered(lambda m: "/my/autoship/" in (m.body_html or ""))), 4)

    def test_failed_payment_reaches_the_installed_app(self):
        """A distributor who installed the back office app gets a web push for each failed payment (mlm_portal)."""
        self.env["mail.push.device"].get_web_push_vapid_public_key()
        self.env["mail.push.device"].sudo().create(
            {"partner_id": self.alice.partner_id.id, "endpoint": "https://push.example.com/alice", "keys": "{}"}
        )
        self.token_alice.demo_simulated_state = "error"
        with patch("odoo.addons.mlm_portal.models.mlm_app_notification.push_to_end_point") as push:
            self._run_batch()
        self.assertEqual(push.call_count, 1)
        self.assertIn(self.autoship_alice.name, push.call_args.kwargs["payload"])
        self.assertIn("/my/autoship/", push.call_args.kwargs["payload"])

    def test_failed_payment_sms_only_through_a_configured_gateway(self):
        """With mlm_telephony but no SMS gateway (the demo), no SMS is queued for Odoo's IAP: e-mail (and push)
        only. Once the company has a gateway, each failed attempt queues one SMS with the link to the card."""
        if "mlm.sms.gateway" not in self.env:
            self.skipTest("mlm_telephony is not installed")
        self.alice.partner_id.mobile = "+7 701 555 0101"
        self.token_alice.demo_simulated_state = "error"
        SMS = self.env["sms.sms"].sudo()
        self.assertFalse(self.env["mlm.sms.gateway"].sudo().search([("company_id", "=", self.company.id)]))
        self._run_batch()
        cycle = self.autoship_alice.cycle_ids
        self.assertEqual((cycle.state, cycle.attempt_count), ("failed", 1))
        self.assertFalse(SMS.search([("partner_id", "=", self.alice.partner_id.id)]))
        mail = self.env["mail.mail"].search([("recipient_ids", "in", self.alice.partner_id.ids)], order="id desc")
        self.assertIn("/my/autoship/", mail[:1].body_html or "")
        self.env["mlm.sms.gateway"].sudo().create({"name": "SMSC", "company_id": self.company.id})
        self._run_batch(self._days(1))
        self.assertEqual(cycle.attempt_count, 2)
        sms = SMS.search([("partner_id", "=", self.alice.partner_id.id)])
        self.assertEqual(len(sms), 1)
        self.assertEqual(sms.number, "+7 701 555 0101")
        self.assertIn(self.autoship_alice._portal_full_url(), sms.body)

    def test_retry_now_charges_a_few_at_once_and_more_in_jobs(self):
        self.token_alice.demo_simulated_state = "error"
        for i in range(4):
            self._autoship(self.alice.partner_id, self.token_alice, quantity=i + 1)
        self._run_batch()
        failed = self.env["mlm.autoship.cycle"].search([("partner_id", "=", self.alice.partner_id.id)], order="id")
        self.assertEqual(len(failed), 5)
        self.assertEqual(set(failed.mapped("state")), {"failed"})
        self.token_alice.demo_simulated_state = "done"  # the owner's card works again
        # more than a few: jobs, nothing charged inside the request
        with trap_jobs() as trap:
            action = failed[:4].with_context(queue_job__no_delay=False).action_retry_now()
            self.assertEqual(action["tag"], "display_notification")
            self.assertEqual(set(failed.mapped("state")), {"failed"})
            self.assertEqual(set(failed.mapped("attempt_count")), {1})
            trap.assert_jobs_count(1)
            trap.perform_enqueued_jobs()
        self.assertEqual(failed[:4].mapped("state"), ["paid"] * 4)
        # a few: charged at once
        self.assertIs(failed[4].action_retry_now(), True)
        self.assertEqual(failed[4].state, "paid")
        for cycle in failed:
            self.assertEqual(len(cycle.order_id.transaction_ids.filtered(lambda t: t.state == "done")), 1)

    def test_retry_succeeds_after_a_card_update(self):
        self.token_alice.demo_simulated_state = "error"
        self._run_batch()
        cycle = self.autoship_alice.cycle_ids
        self.assertEqual(cycle.state, "failed")
        new_card = self._token(self.alice.partner_id)
        self.autoship_alice.payment_token_id = new_card
        self._run_batch(self._days(1))
        self.assertEqual(cycle.state, "paid")
        self.assertEqual(cycle.order_id.state, "sale")
        self.assertEqual(cycle.order_id.transaction_ids.filtered(lambda t: t.state == "done").token_id, new_card)
        self.assertEqual(self.autoship_alice.state, "active")

    def test_crash_half_way_charges_nobody_twice_and_misses_nobody(self):
        """A worker dies in the middle of a batch: its job's transaction rolls back (queue_job runs it again). The
        chunks done before stay done; the re-run charges each remaining autoship once."""
        autoships = self.autoship_alice | self.autoship_customer
        for i in range(6):
            autoships |= self._autoship(self.alice.partner_id, self.token_alice, quantity=i + 1)
        Cycle = type(self.env["mlm.autoship.cycle"])
        original = Cycle._charge
        calls = []

        def dying_charge(cycle, tx):
            calls.append(cycle.id)
            if len(calls) == 6:
                raise CrashError("worker killed")
            return original(cycle, tx)

        due = self.env["mlm.autoship"].search([("state", "=", "active"), ("next_date", "<=", self.today)], order="id")
        self.assertEqual(len(due), 8)
        crashed = 0
        with patch.object(Cycle, "_charge", dying_charge):
            for start in range(0, len(due), 4):  # two jobs of four, each its own transaction as queue_job runs them
                try:
                    with self.env.cr.savepoint():
                        due[start : start + 4]._run_cycles(self.today)
                except CrashError:
                    crashed += 1
        self.assertEqual(crashed, 1)
        self.env.invalidate_all()
        # the first chunk (4 autoships) committed, the second rolled back entirely
        paid = self.env["mlm.autoship.cycle"].search([("autoship_id", "in", autoships.ids)])
        self.assertEqual(len(paid), 4)
        self.assertEqual(set(paid.mapped("state")), {"paid"})
        self._run_batch()
        self._run_batch()
        cycles = self.env["mlm.autoship.cycle"].search([("autoship_id", "in", autoships.ids)])
        self.assertEqual(len(cycles), 8)
        self.assertEqual(set(cycles.mapped("state")), {"paid"})
        for cycle in cycles:
            self.assertEqual(len(cycle.order_id.transaction_ids), 1, cycle.key)
            self.assertEqual(len(cycle.order_id.invoice_ids), 1, cycle.key)

    def test_skip_pause_resume_cancel(self):
        self.env = self.env(context=dict(self.env.context, tracking_disable=False))
        autoship = self.autoship_alice.with_env(self.env)
        autoship._skip_next()
        skipped = autoship.cycle_ids
        self.assertEqual((skipped.state, skipped.cycle_date), ("skipped", self.today))
        self.assertEqual(autoship.next_date, autoship._following_date(self.today))
        self.autoship_alice.next_date = self.today
        self._run_batch()
        self.assertEqual(autoship.cycle_ids, skipped, "a skipped date is never charged")
        autoship._pause("test")
        self.env.cr.precommit.run()  # tracking values are written on commit
        autoship.next_date = self.today
        self._run_batch()
        self.assertEqual(autoship.cycle_ids, skipped, "a paused autoship is not charged")
        autoship._cancel()
        self.env.cr.precommit.run()
        self.assertEqual((autoship.state, autoship.end_date), ("cancelled", self.today))
        autoship._resume()
        self.assertEqual(autoship.state, "cancelled")
        tracked = autoship.message_ids.tracking_value_ids.filtered(lambda v: v.field_id.name == "state")
        self.assertGreaterEqual(len(tracked), 2)

    def test_monthly_dates(self):
        from ..models.mlm_autoship import first_cycle_date, next_cycle_date

        day = self.today.replace(year=2027, month=1, day=31)
        self.assertEqual(str(next_cycle_date("monthly", day, 31, 0)), "2027-02-28")
        self.assertEqual(str(next_cycle_date("monthly", day.replace(month=2, day=28), 31, 0)), "2027-03-31")
        self.assertEqual(str(next_cycle_date("weekly", day, 0, 2)), "2027-02-14")
        self.assertEqual(str(first_cycle_date("monthly", day.replace(day=10), 5)), "2027-02-05")
        self.assertEqual(str(first_cycle_date("monthly", day.replace(day=10), 15)), "2027-01-15")

    def test_reminder_once_per_charge(self):
        self.company.mlm_autoship_reminder_days = 3
        self.autoship_alice.next_date = self._days(3)
        self.env["mlm.autoship"].with_context(queue_job__no_delay=True).cron_autoship_reminders()
        self.assertEqual(self.autoship_alice.reminder_date, self._days(3))
        count = self.env["mail.mail"].search_count([("recipient_ids", "in", self.alice.partner_id.ids)])
        self.env["mlm.autoship"].with_context(queue_job__no_delay=True).cron_autoship_reminders()
        self.assertEqual(
            self.env["mail.mail"].search_count([("recipient_ids", "in", self.alice.partner_id.ids)]), count
        )

    def test_forecast_and_cohort(self):
        self.autoship_alice.next_date = self._days(1)
        forecast = self.env["mlm.autoship.forecast"].search([("autoship_id", "=", self.autoship_alice.id)])
        self.assertGreaterEqual(len(forecast), 3)
        self.assertEqual(forecast[0].cycle_date, self._days(1))
        self.assertAlmostEqual(forecast[0].amount_total, 100.0)
        self.assertAlmostEqual(forecast[0].pv_total, 80.0)
        self.autoship_customer._cancel()
        cohort = self.env["mlm.autoship.cohort"].search([("autoship_id", "=", self.autoship_customer.id)])
        self.assertEqual(len(cohort), 1)
        self.assertTrue(cohort.cancelled)
