import csv
import io
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs

from ..models import mlm_commission_period as period_module
from ..models.mlm_commission_data import InputScope, exact_sum
from ..models.mlm_commission_period import MAIL_CHANNEL
from ..models.mlm_commission_run import RUN_CHANNEL
from ..tools.result_table import COMMISSION_LINE, COMMISSION_STATEMENT
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

    def _perform_run(self, trap, run):
        """Perform the jobs of ``run`` as the runner would, each chained step once the step enqueuing it is done;
        returns them (jobs of other runs and e-mail batches stay enqueued)."""
        performed = []
        while True:
            jobs = [job for job in trap.enqueued_jobs if job.recordset == run]
            if not jobs:
                return performed
            trap.enqueued_jobs = [job for job in trap.enqueued_jobs if job.recordset != run]
            for job in jobs:
                job.perform()
                performed.append(job)

    def _preview(self, period):
        return sorted(period.line_ids.mapped(lambda ln: (ln.beneficiary_id.id, ln.bonus_type, ln.level, ln.amount)))

    def _staged_ranks(self, period):
        self.env.cr.execute(SQL("SELECT count(*) FROM mlm_commission_close_rank WHERE period_id = %s", period.id))
        return self.env.cr.fetchone()[0]

    def _built_tables(self):
        return {
            name: table.built_tables(self.env.cr, [self.period.id])
            for name, table in (("line", COMMISSION_LINE), ("statement", COMMISSION_STATEMENT))
        }

    def _first_job_of_a_preview(self, trap):
        """Press "compute" and perform the run's first job only; returns the run and the highest progress its
        stages reported (the first job of a large preview fills the bar up to 85 %, the publishing the rest)."""
        self.period.action_compute()
        run = self.period.last_run_id
        [first] = trap.enqueued_jobs
        trap.enqueued_jobs = []
        reported = []
        side_update = type(run)._side_update

        def record(this, **values):
            if "progress" in values:
                reported.append(values["progress"])
            return side_update(this, **values)

        with patch.object(type(run), "_side_update", record):
            first.perform()
        return run, max(reported)

    def test_large_preview_published_by_its_own_job(self):
        """A company above PUBLISH_SPLIT_SIZE distributors: the run's first job reads, computes and writes the
        rows into tables not attached yet (the period keeps its previous preview), the second indexes and swaps
        them in; the same preview as one job gives."""
        self.period.with_context(queue_job__no_delay=True).action_compute()
        expected = self._preview(self.period)
        self._adjust(self.carol, 10, 20.0)
        with trap_jobs() as trap, patch.object(period_module, "PUBLISH_SPLIT_SIZE", 0):
            run, reported = self._first_job_of_a_preview(trap)
            self.assertEqual((run.state, run.stage, run.progress), ("running", "publish", 85.0))
            self.assertEqual(reported, 85.0, "the computing job's stages stay below the publishing's share")
            self.assertTrue(self.period.preview_pending)
            self.assertEqual(self._preview(self.period), expected, "the previous preview is still the one shown")
            self.assertEqual(self.period.total_amount, 151.65)
            built = self._built_tables()
            self.assertTrue(built["line"] and built["statement"], "the new rows wait in tables of their own")
            [second] = trap.enqueued_jobs
            self.assertEqual((second.kwargs, second.channel), ({"step": "publish"}, RUN_CHANNEL))
            trap.enqueued_jobs = []
            second.perform()
        self.assertEqual((run.state, run.progress), ("done", 100.0))
        self.assertFalse(self.period.preview_pending)
        self.assertEqual(self._built_tables(), {"line": [], "statement": []}, "attached")
        self.period.invalidate_recordset()
        published = self._preview(self.period)
        total = self.period.total_amount
        self.assertNotEqual(published, expected)
        self.period.with_context(queue_job__no_delay=True).action_compute_now()
        self.period.invalidate_recordset()
        self.assertEqual(published, self._preview(self.period), "the same preview as one job computes")
        self.assertEqual(total, self.period.total_amount)

    def test_unpublished_preview_is_dropped(self):
        """A large preview computed and not published (its run cancelled between the two jobs, or a failed
        publishing job) leaves the period's preview as it was; its tables are dropped."""
        self.period.with_context(queue_job__no_delay=True).action_compute()
        expected = self._preview(self.period)
        self._adjust(self.carol, 10, 20.0)
        with trap_jobs() as trap, patch.object(period_module, "PUBLISH_SPLIT_SIZE", 0):
            run, _reported = self._first_job_of_a_preview(trap)
            self.assertTrue(self._built_tables()["line"])
            run.action_cancel()
            [second] = trap.enqueued_jobs
            trap.enqueued_jobs = []
            second.perform()
        self.assertEqual(run.state, "cancelled")
        self.assertFalse(self.period.preview_pending)
        self.assertEqual(self._built_tables(), {"line": [], "statement": []})
        self.assertEqual((self.period.state, self._preview(self.period)), ("computed", expected))
        # tables of a job that failed after writing some (its transaction committed nothing else): the next
        # compute drops them
        self.period._compute_commissions(publish_later=True)
        self.env.cr.execute(
            SQL("UPDATE mlm_commission_period SET preview_pending = NULL WHERE id = %s", self.period.id)
        )
        self.period.invalidate_recordset(["preview_pending"])
        self.assertTrue(self._built_tables()["line"])
        self.period._compute_commissions()
        self.assertEqual(self._built_tables(), {"line": [], "statement": []})

    def test_large_close_publishes_then_closes(self):
        """The close of a large company whose preview is not current: compute, publish, close, ranks, mails, the
        entry booked to the cent."""
        with trap_jobs() as trap, patch.object(period_module, "PUBLISH_SPLIT_SIZE", 0):
            self.period.action_close()
            run = self.period.last_run_id
            steps = [job.kwargs.get("step") for job in self._perform_run(trap, run)]
        self.assertEqual(steps, [None, "publish", "close", "ranks", "mails"])
        self.assertEqual((run.state, self.period.state), ("done", "closed"))
        self.assertEqual(sum(self.period.move_id.line_ids.mapped("debit")), 151.65)
        self.assertEqual(self.root.rank_id, self.rank_bronze)

    def test_close_is_a_chain_of_jobs(self):
        """The close runs as jobs (the preview it pays, the closing transaction, the ranks and statements in chunks,
        the e-mails), each its own transaction; the run shows the step and stays running (one run per company)
        until the last is done."""
        root_rank = self.root.rank_id
        with trap_jobs() as trap:
            self.period.action_close()
            run = self.period.last_run_id
            [first] = trap.enqueued_jobs
            self.assertEqual((first.kwargs, first.identity_key), ({}, self._identity()))
            trap.enqueued_jobs = []
            first.perform()
            self.assertEqual((run.state, run.stage, run.progress), ("running", "close", 70.0))
            self.assertEqual((self.period.state, self.period.total_amount), ("computed", 151.65))
            self.assertGreaterEqual(self._staged_ranks(self.period), len(self.network), "every distributor's rank")
            self.assertEqual(self.root.rank_id, root_rank, "nothing of the close is stored yet")
            with self.assertRaisesRegex(UserError, "already queued or running"):
                self.next_period.with_context(queue_job__no_delay=False).action_compute()
            [second] = trap.enqueued_jobs
            self.assertEqual((second.kwargs, second.channel), ({"step": "close"}, RUN_CHANNEL))
            trap.enqueued_jobs = []
            second.perform()
            self.assertEqual((self.period.state, run.state, run.stage), ("closed", "running", "ranks"))
            self.assertEqual(self.period.move_id.state, "posted")
            with self.assertRaisesRegex(UserError, "still storing ranks"):
                self.period._create_payouts(self.bank_journal, self.next_period.date_from)
            [third] = trap.enqueued_jobs
            self.assertEqual(third.kwargs, {"step": "ranks"})
            trap.enqueued_jobs = []
            third.perform()
            self.assertEqual(self._staged_ranks(self.period), 0, "the kept ranks are stored, then dropped")
            self.assertEqual(self.root.rank_id, self.rank_bronze)
            self.assertEqual(set(self.period.statement_ids.mapped("state")), {"closed"})
            [fourth] = trap.enqueued_jobs
            self.assertEqual(fourth.kwargs, {"step": "mails"})
            trap.enqueued_jobs = []
            fourth.perform()
            self.assertEqual((run.state, run.progress), ("done", 100.0))
            self.assertTrue(trap.enqueued_jobs)
            methods = {job.method_name for job in trap.enqueued_jobs}
            self.assertIn("_send_statement_mails", methods)
            # other installed add-ons may tell distributors too (mlm_portal's app notifications)
            self.assertLessEqual(methods, {"_send_statement_mails", "_mlm_notify"})

    def test_ranks_stored_in_chunks(self):
        """Two distributors per job: the ranks and the statements' state are stored chunk by chunk; a cancel asked
        once the period is closed does not stop them (the close is committed, its ranks must follow)."""
        self.period.with_context(queue_job__no_delay=True).action_compute()
        with trap_jobs() as trap, patch.object(period_module, "CLOSE_CHUNK", 2):
            self.period.action_close()
            run = self.period.last_run_id
            trap.perform_enqueued_jobs()  # compute
            staged = self._staged_ranks(self.period)
            trap.perform_enqueued_jobs()  # close
            self.assertEqual(self.period.state, "closed")
            trap.perform_enqueued_jobs()  # the first two distributors
            closed = self.period.statement_ids.filtered(lambda s: s.state == "closed")
            self.assertEqual(len(closed), 2)
            self.period.action_cancel_run()
            steps = self._perform_run(trap, run)
        self.assertEqual(run.state, "done")
        self.assertEqual([job.kwargs["step"] for job in steps], ["ranks"] * (staged // 2) + ["mails"])
        self.assertEqual(set(self.period.statement_ids.mapped("state")), {"closed"})
        for statement in self.period.statement_ids:
            self.assertEqual(statement.distributor_id.rank_id, statement.paid_rank_id)

    def test_chained_close_gives_the_close_result(self):
        """The same result as the close in one transaction had: every distributor holds the rank its statement
        paid (the rank history records the changes), the entry books the statements' totals to the cent."""
        self.period.with_context(queue_job__no_delay=True).action_compute()
        before = {d: d.rank_id for d in self.network}
        with trap_jobs() as trap:
            self.period.action_close()
            self._perform_run(trap, self.period.last_run_id)
        self.assertEqual(self.period.state, "closed")
        statements = {s.distributor_id: s for s in self.period.statement_ids}
        for distributor in self.network:
            paid = statements[distributor].paid_rank_id if distributor in statements else before[distributor]
            self.assertEqual(distributor.rank_id, paid, distributor.name)
        changed = self.network.filtered(lambda d: d.rank_id != before[d])
        history = self.env["mlm.rank.history"].search([("date", "=", self.period.date_to)])
        self.assertEqual(history.distributor_id, changed)
        self.assertEqual((self.root.rank_id, self.root.highest_rank_id), (self.rank_bronze, self.rank_bronze))
        move = self.period.move_id
        self.assertEqual(len(move.line_ids), 2, "one summary entry: payable and expense (nothing held)")
        self.assertEqual(sum(move.line_ids.mapped("debit")), 151.65)

    def test_failed_close_keeps_state_and_retries(self):
        self.period.action_compute_now()
        preview = self._preview(self.period)
        root_rank = self.root.rank_id

        def boom(*args, **kwargs):
            raise ValueError("journal locked")

        with trap_jobs() as trap:
            self.period.action_close()
            run = self.period.last_run_id
            self.assertEqual((run.run_type, run.state, self.period.state), ("close", "queued", "computed"))
            trap.perform_enqueued_jobs()  # the preview the close pays
            [job] = trap.enqueued_jobs
            trap.enqueued_jobs = []
            with (
                patch.object(self.period.__class__, "_close_post_accounting", boom),
                mute_logger(RUN_LOGGER),
                self.assertRaisesRegex(UserError, "journal locked"),
            ):
                job.perform()
            self.assertEqual(run.state, "failed")
            self.period.invalidate_recordset()
            self.assertEqual(self.period.state, "computed")
            self.assertFalse(self.period.move_id)
            self.assertEqual(self._preview(self.period), preview)
            self.assertEqual(set(self.period.statement_ids.mapped("state")), {"preview"})
            self.assertEqual(self.root.rank_id, root_rank)
            self.assertFalse(self.root.rank_history_ids.filtered(lambda h: h.date == self.period.date_to))
            self.assertTrue(self._staged_ranks(self.period), "the kept ranks wait for the retry")
            # retry the same job: it closes the period
            job.perform()
            self.assertEqual(self.period.state, "closed")
            self.assertEqual(self.period.move_id.state, "posted")
            self._perform_run(trap, run)
            self.assertEqual(run.state, "done")
            self.assertEqual(set(self.period.statement_ids.mapped("state")), {"closed"})
            self.assertEqual(self.root.rank_id, self.rank_bronze)
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

    def test_statement_mails_with_the_pdf_in_small_batches(self):
        """The statement e-mail attaches the PDF (one wkhtmltopdf run per language and job): its jobs take
        STATEMENT_MAIL_BATCH_PDF statements each, so that each fits a worker's time limit."""
        self.company.mlm_statement_email = True
        self.period.with_context(queue_job__no_delay=True).action_compute()
        with trap_jobs() as trap, patch.object(period_module, "STATEMENT_MAIL_BATCH_PDF", 2):
            self.period._close_send_statements()
        jobs = [j for j in trap.enqueued_jobs if j.method_name == "_send_statement_mails"]
        to_mail = self.period.statement_ids.filtered(lambda s: s.total or s.payable or s.carry_out)
        self.assertEqual(len(jobs), (len(to_mail) + 1) // 2)
        self.assertEqual(max(len(j.recordset) for j in jobs), 2)
        self.assertEqual(sum((j.recordset for j in jobs), self.env["mlm.commission.statement"]), to_mail)

    def test_statement_mail_batches_bounded_by_printed_lines(self):
        """With the PDF, a job prints at most STATEMENT_MAIL_LINES_PDF commission lines: a long statement goes with
        fewer others (alone when it has that many), a summarised one (above REPORT_DETAIL_LIMIT lines) counts none."""
        self.period.with_context(queue_job__no_delay=True).action_compute()
        to_mail = self.period.statement_ids.filtered(lambda s: s.total or s.payable or s.carry_out).sorted("id")
        lines = {statement.id: len(statement.line_ids) for statement in to_mail}
        self.assertGreater(len(to_mail), 2)
        budget = max(lines.values())
        with patch.object(period_module, "STATEMENT_MAIL_LINES_PDF", budget):
            batches = self.period._statement_mail_batches(with_pdf=True)
            self.assertEqual([statement_id for batch in batches for statement_id in batch], to_mail.ids)
            self.assertGreater(len(batches), 1)
            for batch in batches:
                self.assertLessEqual(sum(lines[statement_id] for statement_id in batch), budget)
            with patch.object(period_module, "REPORT_DETAIL_LIMIT", 0):
                self.assertEqual(self.period._statement_mail_batches(with_pdf=True), [to_mail.ids])
        self.assertEqual(self.period._statement_mail_batches(with_pdf=False), [to_mail.ids])
        with patch.object(period_module, "STATEMENT_MAIL_BATCH_PDF", 2):
            self.assertEqual(
                self.period._statement_mail_batches(with_pdf=True),
                [to_mail.ids[start : start + 2] for start in range(0, len(to_mail), 2)],
            )

    def test_ledger_line_between_steps_computes_again(self):
        """A sale of the period posted after the close's preview: the closing step sends the close back to the
        preview instead of closing what the statements do not show."""
        with trap_jobs() as trap:
            self.period.action_close()
            run = self.period.last_run_id
            trap.perform_enqueued_jobs()
            late = self._adjust(self.carol, 100, 100.0)  # carol's BV 100: her upline earns more
            steps = self._perform_run(trap, run)
        self.assertEqual([job.kwargs.get("step") for job in steps], ["close", "compute", "close", "ranks", "mails"])
        self.assertEqual((run.state, self.period.state), ("done", "closed"))
        self.assertGreaterEqual(self.period.ledger_max_id, late.id)
        self.assertGreater(self.period.total_amount, 151.65)
        self.assertEqual(self.period.move_id.amount_total, self.period.total_amount)

    def _count_engine_calls(self):
        """A patch counting the engine runs of the period model (``compute_period``), each still computed."""
        calls = []
        engine = period_module.compute_period

        def counted(*args, **kwargs):
            calls.append(1)
            return engine(*args, **kwargs)

        return patch.object(period_module, "compute_period", counted), calls

    def _assert_reconciled(self, total):
        """The close booked the statements: payable and expense of the entry are the statements' to the cent."""
        statements = self.period.statement_ids
        self.assertEqual(self.currency.round(sum(statements.mapped("total"))), total)
        payable_line = self.period.move_id.line_ids.filtered(lambda ln: ln.account_id == self.payable_account)
        self.assertEqual(payable_line.credit, self.currency.round(sum(statements.mapped("payable"))))
        self.assertEqual(sum(self.period.move_id.line_ids.mapped("debit")), total)
        self.assertEqual(set(statements.mapped("state")), {"closed"})

    def test_close_pays_the_current_preview_without_computing(self):
        """Nothing changed since the preview of the ended period: the close pays it as it is (no engine run), with
        the ranks that preview kept; the result is the close's that computes."""
        self.period.with_context(queue_job__no_delay=True).action_compute()
        preview = self._preview(self.period)
        self.assertTrue(self.period.preview_fingerprint)
        self.assertGreaterEqual(self._staged_ranks(self.period), len(self.network), "kept by the preview")
        patcher, calls = self._count_engine_calls()
        with patcher, trap_jobs() as trap:
            self.period.action_close()
            run = self.period.last_run_id
            steps = self._perform_run(trap, run)
        self.assertEqual(calls, [], "no engine run in the close")
        self.assertEqual([job.kwargs.get("step") for job in steps], [None, "close", "ranks", "mails"])
        self.assertEqual((run.state, self.period.state), ("done", "closed"))
        self.assertEqual(self._preview(self.period), preview)
        self.assertEqual((self.period.total_amount, self.root.rank_id), (151.65, self.rank_bronze))
        self._assert_reconciled(151.65)

    def test_close_computes_again_after_a_ledger_line(self):
        """A sale of the period posted after its preview: the close computes the period again (one engine run)
        and pays the new figures, to the cent."""
        self.period.with_context(queue_job__no_delay=True).action_compute()
        self.assertEqual(self.period.total_amount, 151.65)
        carol_bv = self._statement(self.period, self.carol).bv
        late = self._adjust(self.carol, 100, 100.0)  # carol's BV 100: her upline earns more
        patcher, calls = self._count_engine_calls()
        with patcher, trap_jobs() as trap:
            self.period.action_close()
            steps = self._perform_run(trap, self.period.last_run_id)
        self.assertEqual(len(calls), 1, "the close computed the period once")
        self.assertEqual([job.kwargs.get("step") for job in steps], [None, "close", "ranks", "mails"])
        self.assertEqual(self.period.state, "closed")
        self.assertGreaterEqual(self.period.ledger_max_id, late.id)
        self.assertGreater(self.period.total_amount, 151.65)
        self.assertEqual(self._statement(self.period, self.carol).bv, carol_bv + 100.0)
        self._assert_reconciled(self.period.total_amount)

    def test_inputs_fingerprint_follows_every_write(self):
        """The fingerprint changes with any write of what a run reads, by the ORM or by SQL setting no write date
        (tree moves, placements), and with the plan; it stays while nothing is written."""
        period = self.period
        first = period._inputs_fingerprint()
        self.assertEqual(period._inputs_fingerprint(), first, "nothing written: the same")
        self.env.cr.execute(SQL("UPDATE mlm_distributor SET depth = depth WHERE id = %s", self.carol.id))
        second = period._inputs_fingerprint()
        self.assertNotEqual(second, first, "a row written by SQL, even unchanged, is a new version")
        self.carol.mlm_coefficient = 0.5
        third = period._inputs_fingerprint()
        self.assertNotEqual(third, second)
        self.env["mlm.plan.level"].search([("plan_id", "=", period.plan_id.id)], limit=1).rate += 1
        self.assertNotEqual(period._inputs_fingerprint(), third, "a plan rule")
        fourth = period._inputs_fingerprint()
        self._adjust(self.root, 1, 1.0, day=self.next_period.date_from)
        self.assertEqual(period._inputs_fingerprint(), fourth, "a line of another period")

    def test_fingerprint_of_what_the_run_read_equals_the_scan(self):
        """The run sums the rows' versions while it reads them (no second scan of the ledger): the same digest as
        the close's scan, before and after writes (by the ORM and by SQL)."""
        period = self.period
        for change in (
            lambda: None,
            lambda: self.carol.write({"mlm_coefficient": 0.5}),
            lambda: self.env.cr.execute(SQL("UPDATE mlm_distributor SET depth = depth WHERE id = %s", self.dave.id)),
            lambda: self._adjust(self.root, 1, 1.0, day=period.date_from),
        ):
            change()
            data = period._read_inputs(InputScope.company(versions=True))
            self.assertEqual(period._inputs_fingerprint(data.versions), period._inputs_fingerprint())
        self.env.cr.execute(
            SQL("SELECT sum(x)::text FROM unnest(%s::int8[]) x", [2**63 - 1] * 3 + [-(2**63)] * 2 + [7])
        )
        self.assertEqual(exact_sum([2**63 - 1] * 3 + [-(2**63)] * 2 + [7]), int(self.env.cr.fetchone()[0]))

    def test_distributor_change_after_preview_computes_again(self):
        """A distributor's status changed after the preview (it changes who is paid): the close computes again."""
        self.period.with_context(queue_job__no_delay=True).action_compute()
        self.carol.status = "inactive"
        patcher, calls = self._count_engine_calls()
        with patcher:
            self.period.with_context(queue_job__no_delay=True).action_close()
        self.assertEqual(len(calls), 1)
        self.assertEqual(self.period.state, "closed")
        self._assert_reconciled(self.period.total_amount)

    def test_preview_before_period_end_keeps_no_ranks(self):
        """A preview of a period not ended yet is not what a close pays: no fingerprint, no kept ranks (the
        close computes); the kept ranks of an earlier preview are dropped with it."""
        self.period.with_context(queue_job__no_delay=True).action_compute()
        self.assertTrue(self._staged_ranks(self.period))
        last_day = self.period.date_to
        with patch.object(fields.Date, "context_today", staticmethod(lambda record, timestamp=None: last_day)):
            self.period.with_context(queue_job__no_delay=True).action_compute()
        self.assertFalse(self.period.preview_fingerprint)
        self.assertEqual(self._staged_ranks(self.period), 0)
        self.assertFalse(self.period._preview_current())

    def test_cancel_between_steps(self):
        root_rank = self.root.rank_id
        with trap_jobs() as trap:
            self.period.action_close()
            run = self.period.last_run_id
            trap.perform_enqueued_jobs()
            self.period.action_cancel_run()
            self.assertTrue(run.cancel_requested)
            trap.perform_enqueued_jobs()
        self.assertEqual((run.state, self.period.state), ("cancelled", "computed"))
        self.assertFalse(self.period.move_id)
        self.assertEqual(self.root.rank_id, root_rank)

    def test_entry_reconciles_with_statements_and_payout_batches(self):
        """The payable booked by the close is the statements' payable to the cent; payouts in batches (two
        distributors per job here) reconcile with it, its open residual always the statements left to pay."""
        self.period.with_context(queue_job__no_delay=True).action_close()
        payable_line = self.period.move_id.line_ids.filtered(lambda ln: ln.account_id == self.payable_account)
        to_pay = self.period.statement_ids.filtered(lambda s: s.payable > 0)
        self.assertEqual((payable_line.credit, self.currency.round(sum(to_pay.mapped("payable")))), (151.65, 151.65))
        self.assertEqual(self._payable_balance(), 151.65)
        wizard = (
            self.env["mlm.payout.wizard"]
            .with_context(active_model="mlm.commission.period", active_ids=self.period.ids)
            .create({"journal_id": self.bank_journal.id})
        )
        self.assertEqual((wizard.statement_count, wizard.amount_total), (len(to_pay), 151.65))
        with trap_jobs() as trap, patch.object(period_module, "PAYOUT_BATCH", 2):
            wizard.action_pay()
            batches = 0
            while trap.enqueued_jobs:
                job = trap.enqueued_jobs.pop(0)
                job.perform()
                batches += 1
                left = self.period.statement_ids.filtered(lambda s: s.state == "closed" and s.payable > 0)
                self.assertEqual(-payable_line.amount_residual, self.currency.round(sum(left.mapped("payable"))))
                self.assertEqual(self._payable_balance(), self.currency.round(sum(left.mapped("payable"))))
        self.assertEqual(batches, (len(to_pay) + 1) // 2 + 1, "one job per two distributors, then the last check")
        self.assertTrue(payable_line.reconciled)
        self.assertEqual(self.period.state, "paid")
        payments = to_pay.payment_id
        self.assertEqual(len(payments), len(to_pay), "one payment per distributor")
        for statement in to_pay:
            self.assertEqual(statement.payment_id.amount, statement.payable)
            self.assertEqual(statement.payment_id.partner_id, statement.distributor_id.partner_id)
        self.assertFalse(
            self.env["account.move.line"].search(
                [
                    ("account_id", "=", self.payable_account.id),
                    ("reconciled", "=", False),
                    ("parent_state", "=", "posted"),
                ]
            )
        )

    def _payable_balance(self):
        lines = self.env["account.move.line"].search(
            [("account_id", "=", self.payable_account.id), ("parent_state", "=", "posted")]
        )
        return self.currency.round(sum(lines.mapped("credit")) - sum(lines.mapped("debit")))

    def test_bank_batch_payouts_reconcile(self):
        """Batched bank payouts: one entry of two lines per batch of distributors (two per job here) in the bank
        journal, reconciled with the close's payable line, its transfer file attached (one row per distributor,
        the amounts summing to the entry); the statements are paid by it and the period is paid."""
        self.period.with_context(queue_job__no_delay=True).action_close()
        payable_line = self.period.move_id.line_ids.filtered(lambda ln: ln.account_id == self.payable_account)
        to_pay = self.period.statement_ids.filtered(lambda s: s.payable > 0)
        self.bank_journal.outbound_payment_method_line_ids.payment_account_id = False  # straight to the bank
        wizard = (
            self.env["mlm.payout.wizard"]
            .with_context(active_model="mlm.commission.period", active_ids=self.period.ids)
            .create({"journal_id": self.bank_journal.id, "method": "batch"})
        )
        with trap_jobs() as trap, patch.object(period_module, "PAYOUT_BANK_BATCH", 2):
            wizard.action_pay()
            while trap.enqueued_jobs:
                trap.enqueued_jobs.pop(0).perform()
                left = self.period.statement_ids.filtered(lambda s: s.state == "closed" and s.payable > 0)
                self.assertEqual(-payable_line.amount_residual, self.currency.round(sum(left.mapped("payable"))))
        self.assertEqual(self.period.state, "paid")
        self.assertTrue(payable_line.reconciled)
        self.assertFalse(to_pay.payment_id, "no payment per distributor")
        moves = to_pay.payout_move_id
        self.assertEqual(len(moves), (len(to_pay) + 1) // 2)
        self.assertEqual(self._payable_balance(), 0.0)
        for move in moves:
            self.assertEqual((move.journal_id, move.state, len(move.line_ids)), (self.bank_journal, "posted", 2))
            paid = to_pay.filtered(lambda s, m=move: s.payout_move_id == m)
            self.assertEqual(move.amount_total, self.currency.round(sum(paid.mapped("payable"))))
            bank_line = move.line_ids.filtered("credit")
            self.assertEqual(bank_line.account_id, self.bank_journal.default_account_id)
            [attachment] = self.env["ir.attachment"].search(
                [("res_model", "=", "account.move"), ("res_id", "=", move.id)]
            )
            rows = list(csv.reader(io.StringIO(attachment.raw.decode())))[1:]
            self.assertEqual(len(rows), len(paid))
            self.assertEqual(round(sum(float(row[4]) for row in rows), 2), move.amount_total)
            self.assertEqual(sorted(int(row[0]) for row in rows), sorted(paid.distributor_id.partner_id.ids))

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
        """Closing two periods of a company enqueues the older one's close; that close, once done (all its steps),
        enqueues the next (periods close in date order, one run per company at a time)."""
        self._load_reference_volume(day=self.next_period.date_from)
        periods = (self.next_period | self.period).with_context(queue_job__no_delay=False)
        with trap_jobs() as trap:
            periods.action_close()
            trap.assert_jobs_count(1)
            first = self.period.last_run_id
            self.assertEqual((first.run_type, first.then_close_period_ids), ("close", self.next_period))
            self.assertFalse(self.next_period.run_ids)
            self._perform_run(trap, first)
            self.assertEqual((self.period.state, self.next_period.state), ("closed", "open"))
            second = self.next_period.last_run_id
            self.assertEqual((second.run_type, second.state), ("close", "queued"))
            self._perform_run(trap, second)
        self.assertEqual((self.period.state, self.next_period.state), ("closed", "closed"))
        self.assertEqual(self.period.total_amount, 151.65)
