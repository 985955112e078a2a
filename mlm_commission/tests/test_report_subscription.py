import base64
import io
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from .common import MlmCommissionCommon


@tagged("post_install", "-at_install")
class TestReportSubscription(MlmCommissionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Report Manager",
                "login": "report.manager",
                "email": "report.manager@example.com",
                "groups_id": [Command.set([cls.env.ref("mlm_network.group_mlm_manager").id])],
            }
        )
        cls.mlm_user = cls.env["res.users"].create(
            {
                "name": "MLM Clerk",
                "login": "mlm.clerk",
                "groups_id": [Command.set([cls.env.ref("mlm_network.group_mlm_user").id])],
            }
        )
        cls.today = fields.Date.context_today(cls.env.user)
        cls._load_reference_volume()
        cls.Subscription = cls.env["mlm.report.subscription"].with_context(queue_job__no_delay=False)

    def _xlsx_sheets(self, attachment):
        import openpyxl

        return openpyxl.load_workbook(io.BytesIO(base64.b64decode(attachment.datas))).sheetnames

    def test_due_subscriptions_are_mailed_through_a_job(self):
        Subscription = self.Subscription.with_user(self.manager)
        weekly = Subscription.create({"report": "dashboard", "frequency": "weekly", "next_date": self.today})
        monthly = Subscription.create(
            {"report": "income_disclosure", "frequency": "monthly", "next_date": self.today - timedelta(days=40)}
        )
        later = Subscription.create(
            {"report": "dashboard", "frequency": "daily", "next_date": self.today + timedelta(1)}
        )
        with trap_jobs() as trap:
            self.Subscription._cron_send_due()
            trap.assert_jobs_count(2)
            trap.assert_enqueued_job(weekly._send_report, properties={"channel": "root.mlm_mail"})
            self.assertFalse(self.env["mail.mail"].search([("recipient_ids", "in", self.manager.partner_id.ids)]))
            trap.perform_enqueued_jobs()
        self.assertEqual(weekly.next_date, self.today + timedelta(weeks=1))
        # 40 days late: the next date is the first monthly step after today, not one step after the old date
        month = relativedelta(months=1)
        self.assertEqual(monthly.next_date, self.today - timedelta(days=40) + month + month)
        self.assertEqual(later.next_date, self.today + timedelta(1))
        self.assertFalse(later.last_sent)
        mails = self.env["mail.mail"].search([("recipient_ids", "in", self.manager.partner_id.ids)], order="id")
        self.assertEqual(len(mails), 2)
        self.assertEqual(mails.mapped("state"), ["outgoing", "outgoing"])
        # sent in the order of their dates: the late monthly one first
        self.assertEqual(
            [m.attachment_ids.name for m in mails],
            [f"Income Disclosure (last 12 months) {self.today}.xlsx", f"Management Dashboard {self.today}.xlsx"],
        )
        self.assertEqual(self._xlsx_sheets(mails[0].attachment_ids), ["Income disclosure"])
        self.assertEqual(
            self._xlsx_sheets(mails[1].attachment_ids), ["Key figures", "Branches", "Top earners", "Top PV", "At risk"]
        )
        self.assertTrue(weekly.last_sent and monthly.last_sent)

    def test_managers_only(self):
        with self.assertRaises(AccessError):
            self.Subscription.with_user(self.mlm_user).create({"report": "dashboard"})
        with self.assertRaises(ValidationError):
            self.Subscription.create({"report": "dashboard", "user_id": self.mlm_user.id})
        mine = self.Subscription.with_user(self.manager).create({"report": "dashboard"})
        other_manager = self.manager.copy({"login": "report.manager2"})
        self.assertFalse(self.Subscription.with_user(other_manager).search([("id", "=", mine.id)]))
