import logging
import time

from odoo import api, fields, models, sql_db
from odoo.exceptions import UserError
from odoo.tools import SQL

from .mlm_commission_data import READ_SNAPSHOT_KEY, export_read_snapshot
from .mlm_commission_period import RunCancelled

_logger = logging.getLogger(__name__)

# queue_job channel of the commission runs (capacity 1 in the runner's configuration) and the prefix of the
# per-company identity key: one waiting run per company, whatever the node or worker that enqueues it.
RUN_CHANNEL = "root.mlm_commission"
# Share of a close run's progress bar of each of its steps (jobs): the preview, the closing transaction, the mails.
CLOSE_PROGRESS = {
    "compute": (0.0, 60.0),
    "publish": (60.0, 70.0),
    "close": (70.0, 75.0),
    "ranks": (75.0, 95.0),
    "mails": (95.0, 100.0),
}
# The same for a preview run: its one job, or its two for a large company (computing, then publishing).
PREVIEW_PROGRESS = {None: (0.0, 85.0), "publish": (85.0, 100.0)}


class MlmCommissionRun(models.Model):
    _name = "mlm.commission.run"
    _description = "Commission Run"
    _order = "id desc"

    period_id = fields.Many2one("mlm.commission.period", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="period_id.company_id", store=True, index=True)
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="queued",
        required=True,
        readonly=True,
        index=True,
    )
    run_type = fields.Selection(
        [("compute", "Preview"), ("close", "Close")], default="compute", required=True, readonly=True
    )
    then_close_period_ids = fields.Many2many(
        "mlm.commission.period",
        "mlm_commission_run_then_close_rel",
        "run_id",
        "period_id",
        string="Then Close",
        readonly=True,
        help="Later periods of the company closed next, oldest first, one run after the other, once this close "
        "succeeds (periods close in date order).",
    )
    job_uuid = fields.Char(string="Job UUID", readonly=True, copy=False, index=True)
    stage = fields.Char(readonly=True)
    progress = fields.Float(readonly=True)
    cancel_requested = fields.Boolean(readonly=True)
    message = fields.Text(readonly=True)
    date_start = fields.Datetime(readonly=True)
    date_end = fields.Datetime(readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True)
    line_count = fields.Integer(readonly=True)

    @api.depends("period_id", "create_date")
    def _compute_display_name(self):
        for run in self:
            run.display_name = self.env._("Run %(id)s of %(period)s", id=run.id, period=run.period_id.name or "")

    def init(self):
        # one queued or running run per company, also between two requests that enqueue at the same moment
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS mlm_commission_run_one_busy_per_company"
                " ON mlm_commission_run (company_id) WHERE state IN ('queued', 'running')"
            )
        )

    def action_cancel(self):
        """Ask a queued or running run to stop; it rolls back and leaves the previous preview."""
        for run in self:
            if run.state == "queued":
                run.write({"state": "cancelled", "message": self.env._("Cancelled before it started.")})
                run._queue_job().filtered(
                    lambda j: j.state in ("wait_dependencies", "pending", "enqueued")
                ).sudo().button_cancelled()
            elif run.state == "running":
                run.write({"cancel_requested": True})
        return True

    # ------------------------------------------------------------------ jobs
    def _queue_job(self):
        self.ensure_one()
        if not self.job_uuid:
            return self.env["queue.job"]
        return self.env["queue.job"].sudo().search([("uuid", "=", self.job_uuid)], limit=1)

    def _enqueue(self, step=None):
        """Hand the run to queue_job (channel of capacity 1, one pending job per company) and return at once.
        ``step``: the next job of a close (see ``mlm.commission.period._close``); the first job has none."""
        for run in self:
            job = run.with_delay(
                channel=RUN_CHANNEL,
                identity_key=f"mlm_commission_run:{run.company_id.id}" + (f":{step}" if step else ""),
                description=run.display_name + (f" ({step})" if step else ""),
                max_retries=1,
            )._execute_job(**({"step": step} if step else {}))
            if job and run.exists():
                if step:
                    # inside the previous step's job, whose progress the side channel has written already: the
                    # same row written again in this transaction would be a serialization failure
                    run._side_update(job_uuid=job.uuid)
                else:
                    run.job_uuid = job.uuid
        return True

    def _execute_job(self, step=None):
        """Job: run this commission run, or one step of a close (its first when ``step`` is None); a failure rolls
        its work back, marks the run failed and fails the job (requeue it, or start a new run, to try again). A
        step that has a next step (a close's, or a large preview's publishing) enqueues it and leaves the run
        running."""
        self.ensure_one()
        if self.state == "cancelled":
            return False
        if step and self.cancel_requested and self.period_id.state in ("open", "computed"):
            self.period_id._drop_pending_preview()  # a preview computed and not published yet
            self._side_update(
                state="cancelled",
                date_end=fields.Datetime.now(),
                message=self.env._("Cancelled by the user between two of its jobs; the period keeps its preview."),
            )
            return False
        done = self._execute(raise_errors=True, step=step)
        if isinstance(done, str):  # the next step of a close, or the publishing of a large preview
            self._enqueue(step=done)
            return True
        following = self.then_close_period_ids.sorted("date_from")
        if done and self.run_type == "close" and following:
            following[0]._enqueue_runs("close", then_close=following[1:], after_run=self)
        return done

    # ------------------------------------------------------------------ side channel
    def _side_update(self, **values):
        """Write progress fields through a separate connection so other users see them while the run's own
        transaction is still open. A run not yet committed (tests, compute-now) is written in-transaction."""
        self.ensure_one()
        assignments = SQL(", ").join(SQL("%s = %s", SQL.identifier(k), v) for k, v in values.items())
        with sql_db.db_connect(self.env.cr.dbname).cursor() as side_cr:
            side_cr.execute(
                SQL("UPDATE mlm_commission_run SET %s WHERE id = %s RETURNING cancel_requested", assignments, self.id)
            )
            row = side_cr.fetchone()
        if row is None:
            self.write(values)
            # in the database at once, as the side channel would: the one-busy-run-per-company index sees it
            self.flush_recordset()
            return self.cancel_requested
        return row[0]

    def _progress_callback(self, step=None):
        if self.run_type == "close":
            low, high = CLOSE_PROGRESS.get(step, (0.0, 100.0))
        elif step == "publish" or self.period_id._publish_separately():
            low, high = PREVIEW_PROGRESS[step]
        else:
            low, high = (0.0, 100.0)

        def progress(stage, value):
            if self._side_update(stage=stage, progress=low + (high - low) * value / 100.0):
                raise RunCancelled()

        return progress

    def _perform(self, progress, step=None):
        """The work of the run: ``(result, step)``: for a close, the next step of the period's close and the step
        done; for a preview, the engine's result (or ``"publish"``, the next job, for a large company, or None when
        that job published it) and the step done."""
        period = self.period_id
        if self.run_type == "close":
            step = step or "compute"
            return period._close(step, progress=progress), step
        if step == "publish":
            period._publish_preview(progress=progress)
            return None, step
        split = period._publish_separately()
        result = period._compute_commissions(progress=progress, publish_later=split)
        return ("publish" if split else result), step

    def _in_stored_job(self):
        """True inside a queue_job job run by the job runner (stored, started), not a job run inline
        (``queue_job__no_delay``: the caller's transaction)."""
        uuid = self.env.context.get("job_uuid")
        return bool(
            uuid
            and self.env["queue.job"].sudo().search_count([("uuid", "=", uuid), ("state", "=", "started")], limit=1)
        )

    def _execute(self, raise_errors=False, step=None):
        """Compute the period (or one step of its close) in a savepoint: any error or a cancel rolls it back and
        keeps the period as it was. Returns False (failed or cancelled), True (done), or the name of the next step
        of a close (its own job)."""
        self.ensure_one()
        started = time.monotonic()
        if not step or step == "compute":
            self._side_update(state="running", progress=0.0, date_start=fields.Datetime.now())
        else:
            self._side_update(state="running", stage=step)
        # the snapshot the reader's second connection shares, exported before the savepoint (PostgreSQL exports
        # none from a subtransaction), only in a stored job (its transaction has written nothing: queue_job
        # committed the job's start and locked its row; inline, a caller may have written what the reader reads),
        # and only for the steps that read a period's inputs
        run = self
        if step in (None, "compute") and self._in_stored_job():
            run = self.with_context(**{READ_SNAPSHOT_KEY: export_read_snapshot(self.env)})
        try:
            with self.env.cr.savepoint():
                result, step = run._perform(run._progress_callback(step), step)
        except RunCancelled:
            self._side_update(
                state="cancelled",
                date_end=fields.Datetime.now(),
                message=self.env._("Cancelled by the user; the previous preview is kept."),
            )
            return False
        except Exception as error:
            if isinstance(error, UserError):
                _logger.warning("Commission run %s of period %s refused: %s", self.id, self.period_id.id, error)
            else:
                _logger.exception("Commission run %s of period %s failed", self.id, self.period_id.id)
            self._side_update(
                state="failed", date_end=fields.Datetime.now(), message=str(error), duration=time.monotonic() - started
            )
            if raise_errors and isinstance(error, UserError):
                raise
            if raise_errors:
                raise UserError(self.env._("The commission run failed: %(error)s", error=str(error))) from error
            return False
        if self.run_type == "close":
            next_step = result
            if step == "compute":
                self._side_update(line_count=self.period_id.line_count)
            if next_step:
                self._side_update(
                    stage=next_step,
                    progress=CLOSE_PROGRESS[next_step][0],
                    duration=(self.duration or 0.0) + time.monotonic() - started,
                )
                return next_step
            self._side_update(
                state="done",
                progress=100.0,
                stage="done",
                date_end=fields.Datetime.now(),
                duration=(self.duration or 0.0) + time.monotonic() - started,
            )
            return True
        if isinstance(result, str):  # a large company's preview: published by the next job
            self._side_update(
                stage=result,
                progress=PREVIEW_PROGRESS[result][0],
                duration=(self.duration or 0.0) + time.monotonic() - started,
            )
            return result
        self._side_update(
            state="done",
            progress=100.0,
            stage="done",
            date_end=fields.Datetime.now(),
            duration=(self.duration or 0.0) + time.monotonic() - started,
            line_count=result.row_count if result is not None else self.period_id.line_count,
        )
        return True
