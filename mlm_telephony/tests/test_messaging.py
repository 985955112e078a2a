from datetime import date
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from .common import MlmTelephonyCommon
from .http_peer import HttpTestPeer


@tagged("post_install", "-at_install")
class TestSegments(MlmTelephonyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.segment = cls.env["mlm.distributor.segment"].create(
            {
                "name": "Alice's team",
                "leg_of_id": cls.alice.id,
                "status": "active",
            }
        )

    def test_segment_members(self):
        members = self.env["mlm.distributor"].search(self.segment._get_distributor_domain())
        self.assertEqual(members, self.alice | self.carol | self.dave | self.erin)
        self.assertEqual(self.segment.distributor_count, 4)
        self.segment.rank_ids = self.rank_silver
        self.assertEqual(self.env["mlm.distributor"].search(self.segment._get_distributor_domain()), self.alice)
        self.segment.rank_ids = False
        self.dave.action_deactivate()
        self.segment.invalidate_recordset(["distributor_count"])
        self.assertEqual(self.segment.distributor_count, 3)
        self.segment.status = "inactive"
        self.assertEqual(self.env["mlm.distributor"].search(self.segment._get_distributor_domain()), self.dave)

    def test_mailing_recipients_respect_blacklist(self):
        self.env["mail.blacklist"].create({"email": "carol@example.com"})
        mailing = self.segment._create_mailings("mail", subject="Training on Friday", body="<p>Join us</p>")
        self.assertEqual((mailing.mailing_model_real, mailing.mlm_segment_id), ("res.partner", self.segment))
        recipients = self.env["res.partner"].browse(mailing._get_recipients())
        self.assertEqual(
            recipients, (self.alice | self.dave | self.erin).partner_id, "the blacklisted distributor is left out"
        )
        self.assertEqual(self.segment.mailing_count, 1)

    def test_sms_mailing_needs_phone_and_respects_phone_blacklist(self):
        self.carol.partner_id.mobile = "+7 701 111 2233"
        self.erin.partner_id.mobile = "+7 701 444 5566"
        self.env["phone.blacklist"].sudo().add("+77014445566")
        self.env.flush_all()  # Odoo's blacklist search reads phone_sanitized with raw SQL, without flushing
        mailing = self.segment._create_mailings("sms", body="Rank up this month!")
        recipients = self.env["res.partner"].browse(mailing._get_recipients())
        self.assertIn(self.carol.partner_id, recipients)
        self.assertNotIn(self.erin.partner_id, recipients)

    def test_reminder_sent_once_per_period_before_its_end(self):
        reminder = self.env["mlm.telephony.reminder"].create(
            {
                "name": "Activity minimum",
                "segment_id": self.segment.id,
                "mailing_type": "sms",
                "subject": "Activity",
                "body": "5 days left to reach your activity minimum",
                "days_before_period_end": 5,
            }
        )
        Reminder = self.env["mlm.telephony.reminder"]
        with freeze_time("2026-03-20"):
            self.assertFalse(Reminder.cron_send_reminders(), "too early: March ends on the 31st")
        with freeze_time("2026-03-26"):
            mailings = Reminder.cron_send_reminders()
        self.assertEqual(len(mailings), 1)
        self.assertRecordValues(
            mailings,
            [
                {
                    "state": "in_queue",
                    "mailing_type": "sms",
                    "mlm_reminder_id": reminder.id,
                    "body_plaintext": "5 days left to reach your activity minimum",
                }
            ],
        )
        self.assertEqual(reminder.last_sent_date, date(2026, 3, 26))
        with freeze_time("2026-03-28"):
            self.assertFalse(Reminder.cron_send_reminders(), "once per period")
        with freeze_time("2026-04-25"):
            self.assertEqual(len(Reminder.cron_send_reminders()), 1, "April 30 - 5 days")


@tagged("post_install", "-at_install")
class TestSmsGateway(MlmTelephonyCommon):
    def test_sms_goes_through_gateway_and_errors_are_mapped(self):
        gateway = self.env["mlm.sms.gateway"].create(
            {"name": "SMSC", "login": "acme", "password": "pw", "sender": "ACME"}
        )
        answers = iter([(200, {"error": "no money", "error_code": 3}), (200, {"id": 1, "cnt": 1})])
        with HttpTestPeer(lambda r: next(answers)) as api:
            gateway.api_url = api.url + "/sys/send.php"
            # Odoo sends a chatter SMS at once (sms.sms.send -> _send): the gateway answers each request.
            self.customer._message_sms("First", partner_ids=self.customer.ids)
            self.customer._message_sms("Second", partner_ids=self.customer.ids)
        self.assertEqual(len(api.requests), 2)
        self.assertEqual(api.requests[0]["form"]["sender"], "ACME")
        failed = self.env["sms.sms"].search([("body", "=", "First")])
        self.assertEqual((failed.state, failed.failure_type), ("error", "sms_credit"))
        notifications = self.env["mail.notification"].search(
            [("res_partner_id", "=", self.customer.id), ("notification_type", "=", "sms")]
        )
        self.assertEqual(sorted(notifications.mapped("notification_status")), ["exception", "pending"])

    def test_without_gateway_odoo_iap_is_used(self):
        self.env["mlm.sms.gateway"].search([]).active = False
        with patch("odoo.addons.sms.tools.sms_api.SmsApi._send_sms_batch", return_value=[]) as iap:
            self.customer._message_sms("Via IAP", partner_ids=self.customer.ids)
        self.assertEqual(iap.call_count, 1)
