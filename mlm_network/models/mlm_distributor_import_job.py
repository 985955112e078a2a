import json
import logging
import time

from odoo import api, fields, models, sql_db
from odoo.exceptions import UserError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# queue_job channel of the genealogy imports (capacity 1 in the runner's configuration: one import at a time).
IMPORT_CHANNEL = "root.mlm_import"
# A file of more rows than this, imported through Odoo's import screen, is queued as a job; smaller files import in
# the request, with Odoo's usual display of the errors.
IMPORT_JOB_THRESHOLD = 5000
# One job imports the whole file in one transaction (all or nothing). 100,000 rows take about 52 s and 650 MB
# (readme/BENCHMARK.md), within a worker's limits (limit_time_real 120 s, limit_memory_hard 2.5 GB). Larger files
# are refused at once: split them, sponsors first (a file's sponsors may already be in the database).
IMPORT_JOB_MAX_ROWS = 100_000
# errors kept on the import record
MAX_ERRORS = 200


class MlmDistributorImportJob(models.Model):
    _name = "mlm.distributor.import.job"
    _description = "Genealogy Import"
    _order = "id desc"

    name = fields.Char(string="File", required=True, readonly=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True, default=lambda self: self.env.company
    )
    user_id = fields.Many2one(
        "res.users", string="Imported By", required=True, readonly=True, default=lambda self: self.env.user
    )
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="queued",
        required=True,
        readonly=True,
        index=True,
    )
    stage = fields.Char(readonly=True)
    progress = fields.Float(readonly=True)
    row_count = fields.Integer(string="Rows", readonly=True)
    imported_count = fields.Integer(string="Imported", readonly=True)
    error_count = fields.Integer(string="Errors", readonly=True)
    error_message = fields.Text(string="Error Messages", readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="Rows File", readonly=True, copy=False)
    job_uuid = fields.Char(string="Job UUID", readonly=True, copy=False, index=True)
    attempt_count = fields.Integer(string="Attempts", readonly=True)
    date_start = fields.Datetime(string="Started", readonly=True)
    date_end = fields.Datetime(string="Ended", readonly=True)
    duration = fields.Float(string="Duration (s)", readonly=True)

    # ------------------------------------------------------------------ actions
    def action_retry(self):
        """Queue a failed import again, with the same rows (after fixing what its errors say in the database)."""
        self.check_access("write")
        failed = self.filtered(lambda imp: imp.state == "failed")
        if failed != self:
            raise UserError(self.env._("Only a failed import can be retried."))
        failed.write({"state": "queued", "stage": False, "progress": 0.0, "error_count": 0, "error_message": False})
        failed._enqueue()
        return True

    # ------------------------------------------------------------------ business methods
    @api.model
    def _queue_import(self, import_fields, data, file_name):
        """Store the rows of a large file, queue its import and return ``load``'s answer for the import screen."""
        self.check_access("create")
        if len(data) > IMPORT_JOB_MAX_ROWS:
            message = self.env._(
                "The file has %(count)s rows; one import takes at most %(max)s. Split it into several files, "
                "sponsors first.",
                count=len(data),
                max=IMPORT_JOB_MAX_ROWS,
            )
            return {"ids": False, "messages": [{"type": "error", "message": message}], "nextrow": 0}
        record = self.create({"name": file_name or self.env._("Genealogy import"), "row_count": len(data)})
        record.attachment_id = self.env["ir.attachment"].create(
            {
                "name": f"{record.name}.json",
                "raw": json.dumps({"fields": list(import_fields), "rows": data}).encode(),
                "mimetype": "application/json",
                "res_model": self._name,
                "res_id": record.id,
            }
        )
        record._enqueue()
        message = self.env._("Import of %(count)s distributors queued: see Network > Imports.", count=len(data))
        return {"ids": [], "messages": [{"type": "info", "message": message}], "nextrow": 0}

    def _enqueue(self):
        for record in self:
            job = record.with_delay(
                channel=IMPORT_CHANNEL,
                description=self.env._("Genealogy import %(name)s", name=record.name),
                max_retries=1,
            )._execute_job()
            if job and record.exists():
                record.job_uuid = job.uuid
        return True

    def _execute_job(self):
        """Job: import the stored rows with ``mlm.distributor.load``, all or nothing, as the importing user.

        Refused rows leave nothing imported and their errors on the record; any other error marks the record failed
        and fails the job. The record is updated only through a side connection (see ``_side_update``)."""
        self.ensure_one()
        if self.state != "queued":
            return False
        started = time.monotonic()
        self._side_update(
            state="running",
            stage=self.env._("Reading the file"),
            progress=0.0,
            date_start=fields.Datetime.now(),
            date_end=None,
            attempt_count=self.attempt_count + 1,
        )
        try:
            stored = json.loads(self.attachment_id.raw)
            Distributor = self.env["mlm.distributor"].with_context(
                import_file=True,
                tracking_disable=True,
                mlm_import_queue=False,
                mlm_import_progress=self._progress_callback(),
            )
            result = Distributor.load(stored["fields"], stored["rows"])
        except Exception as error:
            _logger.exception("Genealogy import %s failed", self.id)
            self._side_update(
                state="failed",
                date_end=fields.Datetime.now(),
                duration=time.monotonic() - started,
                error_count=1,
                error_message=str(error),
            )
            raise
        errors = [m for m in result["messages"] if m.get("type") == "error"]
        if errors or not result["ids"]:
            self._side_update(
                state="failed",
                stage=self.env._("Refused: nothing imported"),
                date_end=fields.Datetime.now(),
                duration=time.monotonic() - started,
                imported_count=0,
                error_count=len(errors),
                error_message=self._format_errors(errors or result["messages"]),
            )
            return self.env._("Import refused: %(count)s errors, nothing imported.", count=len(errors))
        self._side_update(
            state="done",
            stage=self.env._("Done"),
            progress=100.0,
            date_end=fields.Datetime.now(),
            duration=time.monotonic() - started,
            imported_count=len(result["ids"]),
        )
        return self.env._("%(count)s distributors imported.", count=len(result["ids"]))

    def _format_errors(self, messages):
        lines = []
        for message in messages[:MAX_ERRORS]:
            text = message.get("message") or ""
            rows = message.get("rows")
            if rows:
                prefix = self.env._("Row %(row)s:", row=rows["from"] + 1)
                if not text.startswith(prefix):
                    text = f"{prefix} {text}"
            lines.append(text)
        if len(messages) > MAX_ERRORS:
            lines.append(self.env._("... and %(count)s more.", count=len(messages) - MAX_ERRORS))
        return "\n".join(lines)

    def _progress_callback(self):
        def progress(stage, value):
            self._side_update(stage=stage, progress=value)

        return progress

    def _side_update(self, **values):
        """Write state and progress through a separate connection, so others see them while the job's transaction
        is open and a failure's rollback keeps them. An import not yet committed (tests) is written in-transaction.
        The job's own transaction never writes this record (it would wait for the side connection's lock)."""
        self.ensure_one()
        assignments = SQL(", ").join(SQL("%s = %s", SQL.identifier(k), v) for k, v in values.items())
        with sql_db.db_connect(self.env.cr.dbname).cursor() as side_cr:
            side_cr.execute(
                SQL(
                    "UPDATE mlm_distributor_import_job SET %s, write_date = now() at time zone 'UTC' WHERE id = %s"
                    " RETURNING id",
                    assignments,
                    self.id,
                )
            )
            row = side_cr.fetchone()
        if row is None:
            self.write(values)
        else:
            self.invalidate_recordset(list(values))
