from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs

from ..models.mlm_commission_period import MAIL_CHANNEL
from ..models.mlm_commission_run import RUN_CHANNEL
from .common import MlmCommissionCommon

RUN_LOGGER = "odoo.addons.mlm_commission.models.mlm_commission_run"


@tagged("post_install", "-at_install")
class TestCommissionJobs(MlmCommissionCommon):
    """Compute, close and payouts run as queue_job jobs: the button enqueues and returns, the job does the work.

    The reference fixture of ``test_commission_run`` pays 151.65 in ``period``, 74.95 of it to root."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_reference_volume()

    def setUp(self):
        super().setUp()
        # the fixtures run jobs at once; here they are enqueued as the buttons do in production
        self.period = self.period.with_context(queue_job__no_delay=False)

    def _identity(self):
        return f"mlm_commission_run:{self.company.id}"

    def test_compute_enqueues_and_returns(self):
        with trap_jobs() as trap:
            self.assertTrue(self.period.action_compute())
            run = self.period.last_run_id
            self.assertEqual((run.state, run.run_type), ("queued", "compute"))
            self.assertEqual(self.period.state, "open", "nothing is computed in the request")
            self.assertFalse(self.period.line_ids)
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(
                run._execute_job, properties={"channel": RUN_CHANNEL, "identity_key": self._identity()}
            )
            self.assertEqual(run.job_uuid, trap.enqueued_jobs[0].uuid)
            trap.perform_enqueued_jobs()
        self.assertEqual((run.state, run.progress, run.stage), ("done", 100.0, "done"))
        self.assertEqual(self.period.state, "computed")
        self.assertEqual(self.period.total_amount, 151.65)
        self.assertEqual(self._statement(self.period, self.root).total, 74.95)

    def test_job_gives_the_synchronous_result(self):
        with trap_jobs() as trap:
            self.period.action_compute()
            trap.perform_enqueued_jobs()
        by_job = sorted(
            self.period.line_ids.mapped(lambda ln: (ln.beneficiary_id.id, ln.bonus_type, ln.level, ln.amount))
        )
        self.period.action_compute_now()
        self.period.invalidate_recordset()
        by_request = sorted(
            self.period.line_ids.mapped(lambda ln: (ln.beneficiary_id.id, ln.bonus_type, ln.level, ln.amount))
        )
        self.assertEqual(by_job, by_request)
        self.assertEqual(self.period.run_ids.mapped("state"), ["done", "done"])

    def test_two_requests_one_run(self):
        """Two requests for the same company: the second is refused, even when it could not yet see the first's
        run (a concurrent transaction): the unique index on busy runs refuses it; one job is enqueued."""
        with trap_jobs() as trap:
            self.period.action_compute()
            with self.assertRaisesRegex(UserError, "already queued or running"):
                self.next_period.with_context(queue_job__no_delay=False).action_compute()
            Period = self.period.__class__
            with (
                patch.object(Period, "_busy_run", lambda period, exclude=None: period.env["mlm.commission.run"]),
                self.assertRaisesRegex(UserError, "already queued or running"),
            ):
                self.next_period.with_context(queue_job__no_delay=False).action_compute()
            trap.assert_jobs_count(1)
        self.assertEqual(len(self.env["mlm.commission.run"].search([("company_id", "=", self.company.id)])), 1)

    def test_identity_one_pending_job_per_company(self):
        """Enqueued for real (queue.job records): a second enqueue for the company while one waits is merged."""
        run = self.env["mlm.commission.run"].create({"period_id": self.period.id})
        run.with_context(queue_job__no_delay=False)._enqueue()
        job = self.env["queue.job"].search([("uuid", "=", run.job_uuid)])
        self.assertEqual((job.state, job.channel, job.identity_key), ("pending", RUN_CHANNEL, self._identity()))
        self.assertEqual(job.method_name, "_execute_job")
        run.with_context(queue_job__no_delay=False)._enqueue()
        self.assertEqual(self.env["queue.job"].search_count([("identity_key", "=", self._identity())]), 1)
        run.action_cancel()
        self.assertEqual((run.state, job.state), ("cancelled", "cancelled"))

    def test_cancel_queued_run(self):
        with trap_jobs() as trap:
            self.period.action_compute()
            run = self.period.last_run_id
            self.period.action_cancel_run()
            self.assertEqual(run.state, "cancelled")
            trap.perform_enqueued_jobs()
        self.assertEqual(run.state, "cancelled")
        self.assertEqual(self.period.state, "open", "a cancelled run does nothing when its job comes")

    def test_failed_close_keeps_state_and_retries(self):
        self.period.action_compute_now()
        lines_before = self.period.line_ids.ids

        def boom(*args, **kwargs):
            raise ValueError("journal locked")

        with trap_jobs() as trap:
            self.period.action_close()
            run = self.period.last_run_id
            self.assertEqual((run.run_type, run.state, self.period.state), ("close", "queued", "computed"))
            job = trap.enqueued_jobs[0]
            with (
                patch.object(self.period.__class__, "_close_post_accounting", boom),
                mute_logger(RUN_LOGGER),
                self.assertRaisesRegex(UserError, "journal locked"),
            ):
                trap.perform_enqueued_jobs()
            self.assertEqual(run.state, "failed")
            self.period.invalidate_recordset()
            self.assertEqual(self.period.state, "computed")
            self.assertFalse(self.period.move_id)
            self.assertEqual(self.period.line_ids.ids, lines_before)
            self.assertEqual(set(self.period.statement_ids.mapped("state")), {"preview"})
            self.assertFalse(self.root.rank_history_ids.filtered(lambda h: h.date == self.period.date_to))
            # retry the same job: it closes the period
            job.perform()
            self.assertEqual(run.state, "done")
            self.assertEqual(self.period.state, "closed")
            self.assertEqual(self.period.move_id.state, "posted")
            self.assertEqual(set(self.period.statement_ids.mapped("state")), {"closed"})
            # statement e-mails: one job per batch on the mail channel, rendered into the mail queue at once
            mail_jobs = [j for j in trap.enqueued_jobs if j.method_name == "_send_statement_mails"]
            self.assertEqual(len(mail_jobs), 1)
            self.assertEqual(mail_jobs[0].channel, MAIL_CHANNEL)
            to_mail = self.period.statement_ids.filtered(lambda s: s.total or s.payable or s.carry_out)
            self.assertEqual(mail_jobs[0].recordset, to_mail)
            self.assertFalse(self.env["mail.mail"].search([("model", "=", "mlm.commission.statement")]))
            mail_jobs[0].perform()
        mails = self.env["mail.mail"].search([("model", "=", "mlm.commission.statement")])
        self.assertEqual(sorted(mails.mapped("res_id")), sorted(to_mail.ids))
        self.assertEqual(set(mails.mapped("state")), {"outgoing"}, "queued for Odoo's mail scheduler")

    def test_payout_enqueued(self):
        self.period.with_context(queue_job__no_delay=True).action_close()
        wizard = (
            self.env["mlm.payout.wizard"]
            .with_context(active_model="mlm.commission.period", active_ids=self.period.ids, queue_job__no_delay=False)
            .create({"journal_id": self.bank_journal.id})
        )
        with trap_jobs() as trap:
            action = wizard.action_pay()
            self.assertEqual(action["tag"], "display_notification")
            self.assertEqual(self.period.state, "closed")
            trap.assert_jobs_count(1, only=self.period._create_payouts)
            trap.assert_enqueued_job(
                self.period._create_payouts,
                args=(self.bank_journal, wizard.date),
                kwargs={"method": "transfer"},
                properties={"channel": RUN_CHANNEL, "identity_key": f"mlm_commission_payout:{self.company.id}"},
            )
            trap.perform_enqueued_jobs()
        self.assertEqual(self.period.state, "paid")
        self.assertEqual(self._statement(self.period, self.root).payment_id.amount, 74.95)

    def test_two_periods_close_one_job_after_the_other(self):
        """Closing two periods of a company enqueues the older one's close; that job, once done, enqueues the
        next (periods close in date order, one run per company at a time)."""
        self._load_reference_volume(day=self.next_period.date_from)
        periods = (self.next_period | self.period).with_context(queue_job__no_delay=False)
        with trap_jobs() as trap:
            periods.action_close()
            trap.assert_jobs_count(1)
            first = self.period.last_run_id
            self.assertEqual((first.run_type, first.then_close_period_ids), ("close", self.next_period))
            self.assertFalse(self.next_period.run_ids)
            trap.perform_enqueued_jobs()
            self.assertEqual((self.period.state, self.next_period.state), ("closed", "open"))
            second = self.next_period.last_run_id
            self.assertEqual((second.run_type, second.state), ("close", "queued"))
            trap.assert_jobs_count(2)
            trap.perform_enqueued_jobs()
        self.assertEqual((self.period.state, self.next_period.state), ("closed", "closed"))
        self.assertEqual(self.period.total_amount, 151.65)
