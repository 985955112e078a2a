import csv
import hashlib
import io
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import numpy as np
import psycopg2
from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models, sql_db
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, mute_logger

from ..engine import compute_period
from ..tools.result_table import CLOSE_RANK, COMMISSION_LINE, COMMISSION_STATEMENT, PERIOD_INPUT, cleanup_references
from .mlm_commission_data import InputReader, InputScope, no_jit
from .mlm_commission_statement import REPORT_DETAIL_LIMIT
from .mlm_distributor_projection import plan_key
from .mlm_volume_line import SYSTEM_MARKER

_logger = logging.getLogger(__name__)

# First key of the PostgreSQL advisory lock taken by a commission run (the second is the company id).
RUN_LOCK_NAMESPACE = 0x4D4C4D43  # "MLMC"
# Statement e-mails are rendered and queued (mail.mail) per batch, each batch a job on the mail channel. With the
# PDF statement attached, Odoo rendered it per e-mail (one wkhtmltopdf run, 1.5-1.9 s): 500 statements of PDFs took
# 10 min and were killed at a million, hence batches of 40. The job now renders the PDFs of its batch in one
# wkhtmltopdf run per language (``mlm.commission.statement._send_statement_mails``), measured on 2 shared cores at a
# load average of 3-5 (readme/BENCHMARK.md, bench_statement_mail.py): 100 typical one-page statements 12.5 s (154 s
# before) at load 3, 25.7 s at load 5; 40 of the top of the tree (2,858 lines, 97 pages) 14.6-19.2 s (74 s before);
# the 100 heaviest (173 pages) 31.4 s at load 4.6. At a million distributors, in the month-end benchmark (4 workers
# on 2 cores beside the payouts, load 4-5), a job of 100 statements of the top of the tree took 71 s and the next
# was killed by limit_time_real (120 s): so 40 statements per job, and at most STATEMENT_MAIL_LINES_PDF commission
# lines printed in a job (~1.7 ms each beside ~0.25 s per e-mail at load 5; a batch of leaders of up to
# REPORT_DETAIL_LIMIT lines each is cut smaller), for jobs well under a minute.
STATEMENT_MAIL_BATCH = 500
STATEMENT_MAIL_BATCH_PDF = 40
STATEMENT_MAIL_LINES_PDF = 3_000
MAIL_CHANNEL = "root.mlm_mail"
# Distributors paid per payout job (payments or e-wallet lines made through the ORM: a job stays well inside
# Odoo's limit_time_real at any network size; the next batch is a job of its own).
PAYOUT_BATCH = 250
# Distributors paid per job of a batched bank payout (method ``batch``): one journal entry of two lines and one
# transfer file per job, whatever the number of distributors in it.
PAYOUT_BANK_BATCH = 5_000
# Distributors whose paid rank (and statement state) one job of the close stores: at 1M distributors a single
# UPDATE of all of them takes minutes on a loaded machine (each changed rank rewrites ~15 indexes).
CLOSE_CHUNK = 100_000
FROZEN_FIELDS = {"date_from", "date_to", "company_id", "plan_id", "period_type"}
# Written by the run and the close only (never through RPC).
RESULT_FIELDS = {
    "state",
    "move_id",
    "computed_date",
    "closed_date",
    "total_amount",
    "payable_amount",
    "company_bv",
    "company_pv",
    "line_count",
    "statement_count",
    "compute_seconds",
    "ledger_max_id",
    "preview_fingerprint",
    "preview_pending",
}
# A preview of a company of more distributors than this is published by a job of its own (``_publish_preview``):
# the run's job reads, computes and COPYs the rows into tables not attached yet; the next job indexes them,
# flags the risks and swaps them in, so that each job fits Odoo's default limit_time_real at a million.
PUBLISH_SPLIT_SIZE = 200_000
# From this many commission lines up, the run writes the lines' table on a second connection while its own
# writes the statements and kept ranks (``_build_elsewhere``): two PostgreSQL backends COPY at once (at 100k
# distributors, 0.4M lines: lines 0.9 s + indexes 0.6 s beside statements 0.9 s + risks, indexes and ranks 1 s).
WRITE_ELSEWHERE_MIN_ROWS = 100_000
# how long the second connection waits for a lock before it fails the run (rather than wait on this one forever)
WRITE_ELSEWHERE_LOCK_TIMEOUT = "30s"


class RunCancelled(Exception):
    """Raised inside a run when its user asked to cancel it."""


class MlmCommissionPeriod(models.Model):
    _name = "mlm.commission.period"
    _description = "Commission Period"
    _inherit = ["mail.thread"]
    _order = "company_id, date_from desc"

    name = fields.Char(required=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_type = fields.Selection([("month", "Monthly"), ("week", "Weekly")], default="month", required=True)
    date_from = fields.Date(required=True)
    date_to = fields.Date(required=True)
    state = fields.Selection(
        [("open", "Open"), ("computed", "Computed"), ("closed", "Closed"), ("paid", "Paid")],
        default="open",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    plan_id = fields.Many2one(
        "mlm.plan",
        string="Plan Version",
        default=lambda self: self.env.company.mlm_plan_id,
        domain="[('company_id', '=', company_id)]",
        tracking=True,
        help="The plan version this period computes with; fixed when the period closes.",
    )
    line_ids = fields.One2many("mlm.commission.line", "period_id", string="Commission Lines")
    statement_ids = fields.One2many("mlm.commission.statement", "period_id", string="Statements")
    run_ids = fields.One2many("mlm.commission.run", "period_id", string="Runs")
    last_run_id = fields.Many2one("mlm.commission.run", string="Latest Run", compute="_compute_last_run")
    run_progress = fields.Float(compute="_compute_last_run")
    run_state = fields.Selection(
        [
            ("queued", "Queued"),
            ("running", "Running"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        string="Last Run",
        compute="_compute_last_run",
    )
    move_id = fields.Many2one("account.move", string="Journal Entry", readonly=True, copy=False)
    computed_date = fields.Datetime(readonly=True, copy=False)
    closed_date = fields.Datetime(readonly=True, copy=False)
    total_amount = fields.Monetary(string="Total Commissions", readonly=True, copy=False)
    payable_amount = fields.Monetary(string="Payable", readonly=True, copy=False)
    company_bv = fields.Monetary(string="Company BV", readonly=True, copy=False)
    company_pv = fields.Float(string="Company PV", readonly=True, copy=False)
    line_count = fields.Integer(readonly=True, copy=False)
    statement_count = fields.Integer(readonly=True, copy=False)
    compute_seconds = fields.Float(string="Run Time (s)", readonly=True, copy=False)
    ledger_max_id = fields.Integer(
        readonly=True,
        copy=False,
        help="Last volume ledger line the preview read: the real-time projection adds only the lines after it.",
    )
    preview_pending = fields.Json(
        readonly=True,
        copy=False,
        help="A preview computed and written into tables not attached yet, published by the next job of its run "
        "(large companies): the tables and the period's figures.",
    )
    preview_fingerprint = fields.Char(
        readonly=True,
        copy=False,
        help="Digest of everything the preview of an ended period read (``_inputs_fingerprint``): the close pays "
        "that preview without computing it again while the digest is unchanged.",
    )

    _sql_constraints = [("dates_check", "CHECK(date_from <= date_to)", "A period ends after it starts.")]

    @api.depends("run_ids")
    def _compute_last_run(self):
        for period in self:
            last = period.run_ids.sorted("id")[-1:]
            period.last_run_id = last
            period.run_progress = last.progress
            period.run_state = last.state

    @api.constrains("date_from", "date_to", "company_id")
    def _check_overlap(self):
        for period in self:
            overlapping = self.search_count(
                [
                    ("id", "!=", period.id),
                    ("company_id", "=", period.company_id.id),
                    ("date_from", "<=", period.date_to),
                    ("date_to", ">=", period.date_from),
                ]
            )
            if overlapping:
                raise ValidationError(self.env._("Commission periods of a company cannot overlap."))

    def init(self):
        if not self.env.su:  # Odoo's registry hook (run as superuser), public by name: not for RPC callers
            raise AccessError(self.env._("Only the server sets up the database."))
        self.env.cr.execute(CLOSE_RANK.create_sql())
        self.env.cr.execute(PERIOD_INPUT.create_sql())

    def write(self, vals):
        if RESULT_FIELDS.intersection(vals) and self.env.context.get("mlm_volume_system") is not SYSTEM_MARKER:
            raise UserError(self.env._("The state and the results of a period change only through its actions."))
        if FROZEN_FIELDS.intersection(vals) and any(p.state in ("closed", "paid") for p in self):
            raise UserError(self.env._("A closed period cannot change; record corrections in the next open period."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_closed(self):
        if any(p.state not in ("open", "computed") for p in self):
            raise UserError(self.env._("Closed periods cannot be deleted."))

    def unlink(self):
        # result tables have no foreign keys (bulk writes): their declared cleanup removes the previews
        self.env["mlm.commission.line"].flush_model()
        self.env["mlm.commission.statement"].flush_model()
        cleanup_references(self.env.cr, "mlm_commission_period", self.ids)
        self.env["mlm.commission.line"].invalidate_model()
        self.env["mlm.commission.statement"].invalidate_model()
        return super().unlink()

    # ------------------------------------------------------------------ periods
    @api.model
    def _period_bounds(self, company, day):
        """(start, end, kind) of the period of ``company`` containing ``day`` by its period type: the calendar
        month, or Monday to Sunday for weekly periods."""
        if company.mlm_period_type == "week":
            start = day - timedelta(days=day.weekday())
            return start, start + timedelta(days=6), "week"
        start = day.replace(day=1)
        return start, start + relativedelta(months=1, days=-1), "month"

    @api.model
    def _get_current_period(self, company, day):
        """(period, date_from, date_to) of ``company`` on ``day``, the one rule of every caller (projection,
        portal, dashboard, reminders, segments): the period containing the day (an empty recordset when none
        exists yet) and its dates, or else the bounds of the company's period type (``_period_bounds``)."""
        period = self.search(
            [("company_id", "=", company.id), ("date_from", "<=", day), ("date_to", ">=", day)], limit=1
        )
        if period:
            return period, period.date_from, period.date_to
        start, end, _kind = self._period_bounds(company, day)
        return period, start, end

    @api.model
    def _get_or_create_period(self, company, day):
        period = self._get_current_period(company, day)[0]
        if period:
            return period
        start, end, kind = self._period_bounds(company, day)
        name = (
            start.strftime("%Y-%m")
            if kind == "month"
            else self.env._("%(year)s week %(week)s", year=start.isocalendar()[0], week=start.isocalendar()[1])
        )
        return self.create(
            {
                "name": name,
                "company_id": company.id,
                "date_from": start,
                "date_to": end,
                "period_type": kind,
                "plan_id": company.mlm_plan_id.id,
            }
        )

    @api.model
    def _last_closed_date(self, company):
        self.flush_model(["state", "date_to", "company_id"])
        self.env.cr.execute(
            SQL(
                "SELECT max(date_to) FROM mlm_commission_period WHERE company_id = %s AND state IN ('closed', 'paid')",
                company.id,
            )
        )
        return self.env.cr.fetchone()[0]

    @api.model
    def cron_create_periods(self):
        """Make sure every company with a plan has its current period (and the next one near month end)."""
        today = fields.Date.context_today(self)
        for company in self.env["res.company"].search([("mlm_plan_id", "!=", False)]):
            self._get_or_create_period(company, today)
            self._get_or_create_period(company, today + timedelta(days=3))

    @api.model
    def cron_nightly_preview(self):
        """Queue a preview of every open or computed period that contains today or ended recently."""
        today = fields.Date.context_today(self)
        periods = self.search(
            [
                ("state", "in", ("open", "computed")),
                ("date_from", "<=", today),
                ("date_to", ">=", today - timedelta(days=7)),
            ]
        )
        for period in periods:
            if not period._busy_run():
                period.action_compute()

    @api.model
    def cron_auto_close(self):
        today = fields.Date.context_today(self)
        periods = self.search([("state", "=", "computed"), ("company_id.mlm_auto_close", "=", True)])
        due = periods.filtered(lambda p: p.date_to + timedelta(days=p.company_id.mlm_auto_close_days) <= today)
        for period in due.sorted("date_from"):
            if period._earlier_open_periods():
                _logger.info("Period %s not closed automatically: an earlier period is still open", period.name)
                continue
            if period._busy_run():
                _logger.info("Period %s not closed automatically: a run of its company is queued", period.name)
                continue
            period.action_close()

    # ------------------------------------------------------------------ actions
    def _busy_run(self, exclude=None):
        self.ensure_one()
        return self.env["mlm.commission.run"].search(
            [
                ("company_id", "=", self.company_id.id),
                ("state", "in", ("queued", "running")),
                ("id", "not in", exclude.ids if exclude else []),
            ],
            limit=1,
        )

    def _check_computable(self):
        for period in self:
            if period.state not in ("open", "computed"):
                raise UserError(self.env._("Period %(name)s is closed: it cannot be computed again.", name=period.name))
            if not period.plan_id:
                raise UserError(self.env._("Choose a compensation plan for period %(name)s.", name=period.name))

    def action_compute(self):
        """Enqueue a background preview run on queue_job and return at once."""
        self._check_computable()
        self._enqueue_runs("compute")
        return True

    def action_compute_now(self):
        """Compute the preview in this request, through the same job (scripts, small networks, tests)."""
        self.with_context(queue_job__no_delay=True).action_compute()
        return True

    def _enqueue_runs(self, run_type, then_close=None, after_run=None):
        """One run record per period (business history and progress), each handed to queue_job. A company with
        a queued or running run is refused, also when two requests enqueue at the same moment (unique index).

        ``then_close``: periods the close run closes next, one run after the other, when it succeeds;
        ``after_run``: the run enqueueing this one as its last step (not counted as busy)."""
        runs = self.env["mlm.commission.run"]
        for period in self:
            if period._busy_run(exclude=after_run):
                raise UserError(
                    self.env._(
                        "A commission run is already queued or running for %(company)s.", company=period.company_id.name
                    )
                )
            try:
                with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                    run = runs.create(
                        {
                            "period_id": period.id,
                            "run_type": run_type,
                            "then_close_period_ids": [Command.set((then_close or self.browse()).ids)],
                        }
                    )
                    run.flush_recordset()
            except psycopg2.errors.UniqueViolation as error:
                raise UserError(
                    self.env._(
                        "A commission run is already queued or running for %(company)s.", company=period.company_id.name
                    )
                ) from error
            runs |= run
        runs._enqueue()
        return runs

    def action_cancel_run(self):
        self.last_run_id.filtered(lambda r: r.state in ("queued", "running")).action_cancel()
        return True

    def action_view_lines(self):
        return self._action_open("mlm.commission.line", self.env._("Commission Lines"), "list,pivot,graph")

    def action_view_statements(self):
        return self._action_open("mlm.commission.statement", self.env._("Statements"), "list,form,pivot")

    def _action_open(self, model, name, view_mode):
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": view_mode,
            "domain": [("period_id", "in", self.ids)],
            "context": {"search_default_group_bonus": 0},
        }

    # ------------------------------------------------------------------ the run
    def _acquire_run_lock(self):
        """One run per company at a time: a transaction-level advisory lock, refused (not awaited) when taken."""
        self.ensure_one()
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", RUN_LOCK_NAMESPACE, self.company_id.id))
        if not self.env.cr.fetchone()[0]:
            raise UserError(
                self.env._(
                    "Another commission run is in progress for %(company)s; try again when it has finished.",
                    company=self.company_id.name,
                )
            )

    def _compute_commissions(self, progress=None, publish_later=False):
        """Compute this period's preview and replace the previous one, in the current transaction.

        Reads the ledger and the tree set-based (binary COPY into numpy), runs the engine and writes lines and
        statements in bulk. Any error leaves the previous preview untouched (the caller rolls back).
        ``publish_later``: the rows go into new tables only, without their indexes, and the period keeps its
        previous preview until ``_publish_preview`` (the next job) swaps them in (``preview_pending``).
        """
        self.ensure_one()
        progress = progress or (lambda stage, value: None)
        started = time.monotonic()
        self._check_computable()
        self._acquire_run_lock()
        self._drop_pending_preview()
        plan = self.plan_id
        spec = plan._get_engine_spec()
        ranks = plan._get_ranks()
        progress("read", 5)
        # an ended period's preview is what its close pays: what it read is fingerprinted (in this transaction's
        # snapshot, the one the reader sees) and every distributor's paid rank is kept for the close
        closable = self.date_to < fields.Date.context_today(self)
        self.env["mlm.volume.line"].flush_model()
        self.env.cr.execute(SQL("SELECT COALESCE(max(id), 0) FROM mlm_volume_line"))
        ledger_max_id = self.env.cr.fetchone()[0]
        # the rows' versions are summed while they are read: the fingerprint scans the ledger only at the close
        data = self._read_inputs(InputScope.company(carried=True, versions=closable), ranks)
        fingerprint = self._inputs_fingerprint(data.versions) if closable else False
        progress("engine", 30)
        engine_class = plan._get_engine_class()
        result = compute_period(
            data.inputs(), spec, engine_class=engine_class, on_stage=lambda name, _seconds: progress(name, 50)
        )
        data.drop_ledger()  # what is written next fits beside the results, not beside the ledger too
        progress("write", 60)
        statement_count, tables = self._write_results(data, result, close_ranks=closable, defer=publish_later)
        progress("done", 95)
        currency = self.currency_id
        values = {
            "state": "computed",
            "computed_date": fields.Datetime.now(),
            "total_amount": currency.round(int(result.total_cents.sum()) / 100.0),
            "payable_amount": currency.round(int(result.payable_cents.sum()) / 100.0),
            "company_bv": currency.round(int(result.bv_cents.sum()) / 100.0),
            "company_pv": float(result.pv.sum()),
            "line_count": result.row_count,
            "statement_count": statement_count,
            "ledger_max_id": ledger_max_id,
            "preview_fingerprint": fingerprint,
            "compute_seconds": time.monotonic() - started,
        }
        if publish_later:
            values["computed_date"] = fields.Datetime.to_string(values["computed_date"])
            super().write({"preview_pending": {"tables": tables, "values": values}})
        else:
            super().write(values)
        return result

    def _publish_preview(self, progress=None):
        """Publish the preview a run computed with ``publish_later`` (its own job): index its new tables, flag
        the statements at risk, swap the tables in for the previous preview's and write the period's figures.
        Nothing to do when no preview waits."""
        self.ensure_one()
        progress = progress or (lambda stage, value: None)
        pending = self.preview_pending
        if not pending:
            return False
        self._acquire_run_lock()
        started = time.monotonic()
        cr, tables = self.env.cr, pending["tables"]
        kinds = [
            ("line", COMMISSION_LINE, None),
            ("statement", COMMISSION_STATEMENT, self._flag_risks),
            ("rank", CLOSE_RANK, None),
            ("input", PERIOD_INPUT, None),
        ]
        for kind, table, _before_index in kinds:
            if tables.get(kind) and tables[kind] not in table.built_tables(cr, [self.id]):
                raise UserError(
                    self.env._(
                        "The preview of %(period)s waiting to be published is gone: compute it again.", period=self.name
                    )
                )
        progress("index", 20)
        for kind, table, before_index in kinds:
            if tables.get(kind):
                table.index_period(cr, tables[kind], before_index=before_index)
        progress("publish", 90)
        for kind, table, _before_index in kinds:
            if tables.get(kind):
                table.attach_period(cr, self.id, tables[kind])
            elif kind == "rank":
                table.drop_periods(cr, [self.id])
        self.env["mlm.commission.line"].invalidate_model()
        self.env["mlm.commission.statement"].invalidate_model()
        self.invalidate_recordset(["line_ids", "statement_ids"])
        values = dict(pending["values"])
        values["computed_date"] = fields.Datetime.to_datetime(values["computed_date"])
        values["compute_seconds"] += time.monotonic() - started
        super().write(dict(values, preview_pending=False))
        return True

    def _drop_pending_preview(self):
        """Drop a preview computed and never published (its job failed or was cancelled) and the tables of any
        that failed half way. True when a preview was waiting."""
        self.ensure_one()
        for table in (COMMISSION_LINE, COMMISSION_STATEMENT, CLOSE_RANK, PERIOD_INPUT):
            table.drop_built(self.env.cr, [self.id])
        if not self.preview_pending:
            return False
        return super().write({"preview_pending": False})

    def _publish_separately(self):
        """True when this period's preview is published by a job of its own (``PUBLISH_SPLIT_SIZE``)."""
        self.ensure_one()
        self.env["mlm.distributor"].flush_model(["company_id"])
        self.env.cr.execute(
            SQL(
                "SELECT count(*) > %(size)s FROM (SELECT 1 FROM mlm_distributor WHERE company_id = %(company)s"
                " LIMIT %(size)s + 1) t",
                size=PUBLISH_SPLIT_SIZE,
                company=self.company_id.id,
            )
        )
        return self.env.cr.fetchone()[0]

    def _read_inputs(self, scope, ranks=None):
        """This period's inputs for ``scope`` (an :class:`InputScope`), read by the one reader of the run, the
        projection and every plan type (:class:`InputReader`)."""
        self.ensure_one()
        ranks = ranks if ranks is not None else (self.plan_id or self.company_id.mlm_plan_id)._get_ranks()
        return InputReader(self.env, self.company_id, self.date_from, self.date_to, ranks).read_inputs(scope)

    @api.model
    def _plan_rank_indexes(self, ranks, rank_ids):
        """Plan rank index of each mlm.rank id (the highest plan rank not above it; -1 for none or 0)."""
        result = np.full(len(rank_ids), -1, dtype=np.int64)
        if not len(rank_ids) or not rank_ids.any():
            return result
        all_ranks = (
            self.env["mlm.rank"]
            .with_context(active_test=False)
            .search_read([("id", "in", [int(x) for x in np.unique(rank_ids[rank_ids > 0])])], ["sequence"])
        )
        seq_of = np.zeros(int(rank_ids.max()) + 1, dtype=np.int64)
        for rank in all_ranks:
            seq_of[rank["id"]] = rank["sequence"]
        rank_seqs = np.array([r.rank_id.sequence for r in ranks], dtype=np.int64)
        has = rank_ids > 0
        result[has] = np.searchsorted(rank_seqs, seq_of[rank_ids[has]], side="right") - 1
        return result

    def _previous_period(self):
        self.ensure_one()
        return self.search(
            [
                ("company_id", "=", self.company_id.id),
                ("date_to", "<", self.date_from),
                ("state", "in", ("closed", "paid")),
            ],
            order="date_to desc",
            limit=1,
        )

    @staticmethod
    def _rank_ids_of(rank_ids, indexes):
        """mlm.rank ids of plan rank indexes (0 for -1)."""
        if not len(rank_ids):
            return np.zeros(len(indexes), dtype=np.int64)
        return np.where(indexes >= 0, rank_ids[np.maximum(indexes, 0)], 0)

    def _write_results(self, data, result, close_ranks=False, defer=False):
        """Replace the preview: each result table's rows of the period go by one binary COPY into a new table
        of the period; all then replace the previous ones at once, as the last step (``ResultTable``: no row is
        deleted, queries on the results wait only from that swap to the commit). ``close_ranks`` (an ended
        period, whose preview the close may pay): also keep every distributor's paid rank for the close
        (``_close_rank_arrays``) and what the run read of every distributor for the plan sandbox
        (``PERIOD_INPUT``); else the kept ranks of an earlier preview are dropped. ``defer``: the tables are built
        only, published by ``_publish_preview``. Returns ``(statement count, {kind: table name or None})``.

        The lines' table, then the kept ranks' and inputs', are built by a second connection while the run's own
        builds the statements' (``_write_elsewhere``): two PostgreSQL backends COPY at once."""
        cr = self.env.cr
        self.env["mlm.commission.line"].flush_model()
        self.env["mlm.commission.statement"].flush_model()
        ids, rows = data.ids, result.rows
        source = rows["source"]
        builds = [
            (
                "line",
                COMMISSION_LINE,
                {
                    "beneficiary_id": ids[rows["beneficiary"]],
                    "source_id": np.where(source >= 0, ids[np.maximum(source, 0)], 0),
                    "bonus_type": rows["bonus_type"],
                    "level": rows["level"],
                    "compressed_level": rows["compressed_level"],
                    "rank_id": self._rank_ids_of(data.rank_ids, rows["rank"]),
                    "rate": rows["rate"],
                    "base_cents": rows["base_cents"],
                    "amount_cents": rows["amount_cents"],
                },
                {"date_from": self.date_from},
            )
        ]
        if close_ranks:
            builds.append(("rank", CLOSE_RANK, self._close_rank_arrays(data, result), {}))
            # what the run read of every distributor, kept for the plan sandbox with the preview the close pays
            builds.append(("input", PERIOD_INPUT, data.distributor_columns, {}))
        with ThreadPoolExecutor(max_workers=1) as elsewhere:
            if self._write_elsewhere(len(builds[0][2]["beneficiary_id"])):
                built = elsewhere.submit(self._build_elsewhere, builds, defer)
            else:
                built = self._build_tables(cr, builds, defer)
            del builds
            statement_count, statement_table = self._write_statements(data, result, defer)
            tables = dict(built if isinstance(built, dict) else built.result(), statement=statement_table)
        tables.setdefault("rank", None)
        if defer:  # published by _publish_preview
            return statement_count, tables
        COMMISSION_LINE.attach_period(cr, self.id, tables["line"])
        COMMISSION_STATEMENT.attach_period(cr, self.id, tables["statement"])
        if tables["rank"]:
            CLOSE_RANK.attach_period(cr, self.id, tables["rank"])
            PERIOD_INPUT.attach_period(cr, self.id, tables["input"])
        else:
            CLOSE_RANK.drop_periods(cr, [self.id])
        self.env["mlm.commission.line"].invalidate_model()
        self.env["mlm.commission.statement"].invalidate_model()
        self.invalidate_recordset(["line_ids", "statement_ids"])
        return statement_count, tables

    def _write_elsewhere(self, rows):
        """True when the lines' table is written on a second connection (``WRITE_ELSEWHERE_MIN_ROWS``); never in
        tests, whose transaction another connection cannot see into."""
        return rows >= WRITE_ELSEWHERE_MIN_ROWS and not self.env.registry.in_test_mode()

    def _build_tables(self, cr, builds, defer):
        """``{kind: name}`` of the tables of ``builds`` (``[(kind, ResultTable, arrays, params)]``) built for this
        period on ``cr``, not attached (``ResultTable.build_period``; ``defer``: without their indexes)."""
        return {
            kind: table.build_period(cr, self.id, arrays, defer_index=defer, **params)
            for kind, table, arrays, params in builds
        }

    def _build_elsewhere(self, builds, defer):
        """``_build_tables`` on a connection of its own, committed there (a thread of the run): the tables are not
        attached, so nobody sees them until the run's own transaction attaches them and commits; a run that fails
        after it leaves unattached tables, which the next compute drops (``_drop_pending_preview``)."""
        _logger.info("Period %s: %s written by a second connection", self.id, ", ".join(b[1].name for b in builds))
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute(SQL("SET LOCAL lock_timeout = %s", WRITE_ELSEWHERE_LOCK_TIMEOUT))
            return self._build_tables(cr, builds, defer)

    def _write_statements(self, data, result, defer):
        """The statements' table of the preview ``result``, built and not attached: ``(statement count, name)``."""
        cr = self.env.cr
        ids, rank_ids, carried = data.ids, data.rank_ids, data.carried
        # statements: every distributor with volume, earnings, carry or an active status
        keep = (
            (result.pv != 0)
            | (result.total_cents != 0)
            | (carried != 0)
            | (result.carry_cents != 0)
            | result.active
            | (result.bv_cents != 0)
            | getattr(result, "keep_statement", False)  # a plan type's own reasons (binary carry)
        )
        sel = np.nonzero(keep)[0]
        stat = {
            "distributor_id": ids[sel],
            "sponsor_id": np.where(data.sponsor_idx[sel] >= 0, ids[np.maximum(data.sponsor_idx[sel], 0)], 0),
            "depth": data.depth[sel],
            "pv": result.pv[sel],
            "gv": result.gv[sel],
            "bv_cents": result.bv_cents[sel],
            "customer_bv_cents": result.customer_bv_cents[sel],
            "group_bv_cents": result.group_bv_cents[sel],
            "group_customer_bv_cents": result.group_customer_bv_cents[sel],
            "active": result.active[sel],
            "paid_rank_id": self._rank_ids_of(rank_ids, result.paid_rank[sel]),
            "legs_qualified": result.legs_qualified[sel],
            "leg_count": result.leg_count[sel],
            "total_cents": result.total_cents[sel],
            "carry_in_cents": carried[sel],
            "payable_cents": result.payable_cents[sel],
            "carry_cents": result.carry_cents[sel],
            "held": result.held_reason[sel],
            "risk": 0,  # set by _flag_risks on the new rows
        }
        stat.update(self._plan_type_statement_arrays(result, sel))
        statement_table = COMMISSION_STATEMENT.build_period(
            cr,
            self.id,
            stat,
            before_index=self._flag_risks,
            defer_index=defer,
            date_from=self.date_from,
            state="preview",
        )
        return len(sel), statement_table

    @staticmethod
    def _plan_type_statement_arrays(result, sel):
        """The statement columns of one plan type (``zero_default`` in the result table) the engine computed."""
        return {
            column.source_name: getattr(result, column.name)[sel]
            for column in COMMISSION_STATEMENT.columns
            if column.zero_default and hasattr(result, column.name)
        }

    def _flag_risks(self, table):
        """Mark the statements of ``table`` (this period's new rows) of active distributors short of the rank
        they hold, or whose PV fell below half of the previous closed period's (one UPDATE)."""
        previous = self._previous_period()
        self.env.cr.execute(
            SQL(
                """
                UPDATE %(table)s s
                   SET risk = CASE WHEN COALESCE(held.sequence, -1) > paid.sequence THEN 'rank' ELSE 'activity' END
                  FROM mlm_distributor d
                  LEFT JOIN mlm_rank held ON held.id = d.rank_id
                  LEFT JOIN mlm_commission_statement prev
                         ON prev.distributor_id = d.id AND prev.period_id = %(previous)s,
                       (SELECT id, COALESCE(sequence, -1) AS sequence FROM mlm_rank UNION ALL SELECT 0, -1) paid
                 WHERE d.id = s.distributor_id AND d.status = 'active' AND paid.id = COALESCE(s.paid_rank_id, 0)
                   AND (COALESCE(held.sequence, -1) > paid.sequence OR (prev.pv > 0 AND s.pv < prev.pv * 0.5))
                """,
                table=SQL.identifier(table),
                previous=previous.id or 0,
            )
        )

    # ------------------------------------------------------------------ close
    def _earlier_open_periods(self):
        """The periods of the same company that end before this one starts and are not closed yet."""
        self.ensure_one()
        return self.search(
            [
                ("company_id", "=", self.company_id.id),
                ("date_to", "<", self.date_from),
                ("state", "in", ("open", "computed")),
            ],
            order="date_from",
        )

    def action_close(self):
        """Enqueue the close of each period (recompute, paid ranks, genealogy snapshot, accounting, statements by
        email) on queue_job and return at once.

        Periods close in date order: several periods of a company are closed oldest first, one job after the other
        (each close run enqueues the next when it succeeds), and a period whose company still has an earlier open
        period outside the selection is refused (its carry-forward and ranks would reach no period, or go back in
        time)."""
        self._check_closable(also_closing=self)
        for company in self.company_id:
            periods = self.filtered(lambda p, c=company: p.company_id == c).sorted("date_from")
            periods[0]._enqueue_runs("close", then_close=periods[1:])
        return True

    def _check_closable(self, also_closing=None):
        """Refuse what cannot be closed now; ``also_closing``: periods closed before these in the same request."""
        for period in self:
            if period.state not in ("open", "computed"):
                raise UserError(self.env._("Period %(name)s is closed already.", name=period.name))
            if period.date_to >= fields.Date.context_today(self):
                raise UserError(self.env._("Period %(name)s has not ended yet.", name=period.name))
            earlier = period._earlier_open_periods() - (also_closing or self.browse())
            if earlier:
                raise UserError(
                    self.env._(
                        "Period %(name)s cannot be closed before the earlier period %(earlier)s of %(company)s: "
                        "close the periods in date order.",
                        name=period.name,
                        earlier=", ".join(earlier.mapped("name")),
                        company=period.company_id.name,
                    )
                )

    def _close(self, step="compute", progress=None):
        """One job of the close (``step``); returns the next step, enqueued as a job of its own, or None when the
        close is complete. Each step runs in its own transaction and fits a production worker at 1M distributors:

        - ``compute``: the preview the close pays: the period's latest preview when it is still current (nothing
          it read has changed since, ``_preview_current``), else a full run; the preview of an ended period keeps
          the paid rank of every distributor for the next steps (``mlm_commission_close_rank``);
        - ``publish`` (a company above ``PUBLISH_SPLIT_SIZE`` distributors, when ``compute`` computed): the new
          preview's tables indexed and swapped in (``_publish_preview``);
        - ``close``: in one transaction, the journal entry and the period's state; back to ``compute`` when the
          preview is not current any more (ledger lines of the period, distributors, the plan changed since);
        - ``ranks`` (as many jobs as needed, ``CLOSE_CHUNK`` distributors each): the kept ranks stored on the
          distributors with their rank history, and the same distributors' statements marked closed;
        - ``mails``: the statement e-mails, enqueued in batches into Odoo's mail queue.

        A failed step rolls back its own transaction only and its job can be requeued: until ``close`` succeeds
        the period stays "computed" with its preview and nothing of the close is stored; after it, the kept ranks
        wait in their table for the ``ranks`` jobs (the run stays running, so no other run of the company starts
        before they are stored, and payouts wait for them).
        """
        self.ensure_one()
        progress = progress or (lambda stage, value: None)
        if step == "compute":
            self._check_closable()
            if self._preview_current():
                _logger.info("Period %s: its preview is current, the close pays it without computing it", self.name)
                return "close"
            split = self._publish_separately()
            self._compute_commissions(progress=progress, publish_later=split)
            return "publish" if split else "close"
        if step == "publish":
            self._publish_preview(progress=progress)
            return "close"
        if step == "close":
            return self._close_finalize(progress)
        if step == "ranks":
            return "ranks" if self._close_store_ranks() else "mails"
        if step == "mails":
            self._close_send_statements()
            return None
        raise ValueError(f"unknown close step {step!r}")

    def _close_finalize(self, progress):
        """The close's one transaction: the journal entry and the period's state (see ``_close``)."""
        self._check_closable()
        self._acquire_run_lock()
        if not self._preview_current():
            _logger.info("Period %s: its inputs changed since its preview; the close computes it again", self.name)
            return "compute"
        progress("accounting", 30)
        self._close_post_accounting()
        super().write({"state": "closed", "closed_date": fields.Datetime.now()})
        return "ranks"

    def _preview_current(self):
        """True when the period's preview is what a run would compute now, so the close pays it as it is: the
        preview of the ended period kept every distributor's paid rank, and nothing it read has changed since
        (``_inputs_fingerprint`` the same)."""
        self.ensure_one()
        if self.state != "computed" or not self.preview_fingerprint:
            return False
        if not CLOSE_RANK.period_children(self.env.cr, [self.id]):
            return False
        return self._inputs_fingerprint() == self.preview_fingerprint

    def _inputs_fingerprint(self, versions=None):
        """A digest of everything a run of this period reads (``_inputs_fingerprint_parts``), computed in the
        current transaction's snapshot: two runs with the same digest compute the same preview. ``versions``: the
        row counts and version sums the reader took while reading (``PeriodData.versions``), instead of scanning
        the ledger and the distributors again."""
        self.ensure_one()
        return hashlib.sha256(repr(self._inputs_fingerprint_parts(versions)).encode()).hexdigest()

    def _inputs_fingerprint_parts(self, versions=None):
        """``[(name, value)]`` of what a run of the period reads; override to add what a plan type reads.

        Rows are fingerprinted by their versions, not by a time or an id: every row written, whatever the path
        (the ORM, or SQL that sets no ``write_date``, such as tree moves and placements), is a new row version (a
        new ``ctid``, and the ``xmin`` of the transaction that wrote it), and a row inserted by a transaction still
        open when the preview read the table (an id or a ``write_date`` below the ones the preview saw) changes
        the count. For the period's ledger lines and the company's distributors: the row count and the sum of a
        64-bit hash of each row's (id, xmin, ctid), read as they are by binary COPY and hashed and summed exactly in
        Python (``mlm_commission_data.row_versions``); a row changed or added changes them (a collision is below
        2**-60). The preview's run sums the hashes while it reads the rows (``InputScope.company(versions=True)``);
        the close scans only the versions (``InputReader.scan_versions``). A change that cannot alter
        the preview (a phone number) only makes the close compute again. The plan (its engine class and every
        rule, ``plan_key``), the ranks' order, the previous closed period (the carry-in), the period's dates and
        the standing orders (``mlm.distributor._mlm_standing_version_sql``) complete it."""
        plan = self.plan_id
        ranks = plan._get_ranks()
        Distributor = self.env["mlm.distributor"]
        no_jit(self.env.cr)
        Distributor.flush_model()
        self.env["mlm.volume.line"].flush_model()
        self.env["mlm.rank"].flush_model(["sequence"])
        if not versions:  # the close: scanned in this snapshot (the run counted them while it read the rows)
            versions = InputReader(self.env, self.company_id, self.date_from, self.date_to, ranks).scan_versions()
        ledger, distributors = versions["ledger"], versions["distributors"]
        self.env.cr.execute(
            SQL(
                """
            SELECT (SELECT string_agg(r.id || ':' || COALESCE(r.sequence, 0), ',' ORDER BY r.id) FROM mlm_rank r),
                   %(standing)s
            """,
                standing=Distributor._mlm_standing_version_sql(self.company_id),
            )
        )
        rank_order, standing = self.env.cr.fetchone()
        return [
            ("period", self.id, self.company_id.id, str(self.date_from), str(self.date_to)),
            ("plan", plan_key(plan, plan._get_engine_spec()), [r.rank_id.id for r in ranks]),
            ("ranks", rank_order),
            ("previous", self._previous_period().id),
            ("ledger", [str(x) for x in ledger]),
            ("distributors", [str(x) for x in distributors]),
            # a distributor without a join date joins "today" for the reader
            ("today", str(fields.Date.context_today(self)) if int(distributors[2]) else None),
            ("standing", str(standing)),
        ]

    def _close_rank_arrays(self, data, result):
        """Every distributor's paid rank of the preview ``result`` (those without a statement too), kept for the
        close's ``ranks`` step in a new table of the period (``CLOSE_RANK``, swapped in with the preview's other
        tables): one COPY, no per-record write.

        The highest rank ever is kept only where the engine raised it (a rank reached while the status is not
        active is not "highest ever", see docs/ENGINE.md)."""
        rank_ids = data.rank_ids
        raised = result.new_highest_rank > data.highest_rank
        return {
            "distributor_id": data.ids,
            "rank_id": self._rank_ids_of(rank_ids, result.paid_rank),
            "highest_rank_id": np.where(raised, self._rank_ids_of(rank_ids, result.new_highest_rank), 0),
        }

    def _has_stored_inputs(self):
        """True when the close of this period kept its inputs (periods closed before they were kept: False)."""
        self.ensure_one()
        return bool(PERIOD_INPUT.period_children(self.env.cr, [self.id]))

    def _close_store_ranks(self):
        """Store the next ``CLOSE_CHUNK`` kept ranks (``_close_rank_arrays``) on their distributors, set-based: one
        INSERT of rank history (only where the rank changes), one UPDATE of the ranks and highest ranks (only where
        they change), the same distributors' statements marked closed, and the stored ranks deleted. Returns True
        while kept ranks are left (the next job continues), False once everything is stored. A network has up to
        a million distributors: no per-record ORM write, and no job updates more than a chunk of them."""
        cr = self.env.cr
        self.env["mlm.distributor"].flush_model()
        self.env["mlm.rank.history"].flush_model()
        self.env["mlm.commission.statement"].flush_model()
        cr.execute(
            SQL(
                """
            CREATE TEMP TABLE mlm_close_rank_chunk ON COMMIT DROP AS
            SELECT distributor_id, rank_id, highest_rank_id FROM mlm_commission_close_rank
             WHERE period_id = %s ORDER BY distributor_id LIMIT %s
            """,
                self.id,
                CLOSE_CHUNK,
            )
        )
        cr.execute(SQL("SELECT count(*), max(distributor_id) FROM mlm_close_rank_chunk"))
        count, upto = cr.fetchone()
        now = SQL("(now() AT TIME ZONE 'UTC')")
        cr.execute(
            SQL(
                """
            INSERT INTO mlm_rank_history (distributor_id, company_id, rank_id, previous_rank_id, date, reason,
                   user_id, create_uid, write_uid, create_date, write_date)
            SELECT d.id, d.company_id, s.rank_id, d.rank_id, %(date)s, %(reason)s,
                   %(uid)s, %(uid)s, %(uid)s, %(now)s, %(now)s
              FROM mlm_close_rank_chunk s JOIN mlm_distributor d ON d.id = s.distributor_id
             WHERE d.rank_id IS DISTINCT FROM s.rank_id
             ORDER BY d.id
            """,
                date=self.date_to,
                reason=self.env._("Paid rank of period %(period)s", period=self.name),
                uid=self.env.uid,
                now=now,
            )
        )
        cr.execute(
            SQL(
                """
            UPDATE mlm_distributor d
               SET rank_id = s.rank_id,
                   highest_rank_id = COALESCE(s.highest_rank_id, d.highest_rank_id),
                   write_uid = %(uid)s, write_date = %(now)s
              FROM mlm_close_rank_chunk s
             WHERE d.id = s.distributor_id
               AND (d.rank_id IS DISTINCT FROM s.rank_id
                    OR (s.highest_rank_id IS NOT NULL AND d.highest_rank_id IS DISTINCT FROM s.highest_rank_id))
            """,
                uid=self.env.uid,
                now=now,
            )
        )
        # the statements of the same distributors (all that are left with the last chunk)
        cr.execute(
            SQL(
                "UPDATE mlm_commission_statement SET state = 'closed'"
                " WHERE period_id = %s AND state = 'preview' AND (%s OR distributor_id <= %s)",
                self.id,
                count < CLOSE_CHUNK,
                upto or 0,
            )
        )
        cr.execute(
            SQL(
                "DELETE FROM mlm_commission_close_rank WHERE period_id = %s AND distributor_id <= %s",
                self.id,
                upto or 0,
            )
        )
        cr.execute(SQL("DROP TABLE mlm_close_rank_chunk"))
        self.env["mlm.distributor"].invalidate_model()
        self.env["mlm.rank.history"].invalidate_model()
        self.env["mlm.commission.statement"].invalidate_model(["state"])
        return count == CLOSE_CHUNK

    def _get_accounting_setup(self):
        company = self.company_id
        journal = company.mlm_commission_journal_id
        expense = company.mlm_commission_expense_account_id
        payable = company.mlm_commission_payable_account_id
        if not (journal and expense and payable):
            raise UserError(
                self.env._(
                    "Set the commission journal, expense account and payable account in the MLM settings of "
                    "%(company)s.",
                    company=company.name,
                )
            )
        return journal, expense, payable

    def _close_totals(self):
        """The period's statements summed in cents, one query (never a recordset of them): ``total`` earned,
        ``payable``, ``held`` (what the period newly holds or carries, ``carry_out - carry_in`` where positive) and
        ``released`` (where negative: held pay this period releases, or a clawback settled), and ``count`` of
        statements with a positive payable. The statements are the per-distributor subledger of the entry."""
        self.ensure_one()
        self.env["mlm.commission.statement"].flush_model()
        self.env.cr.execute(
            SQL(
                """
            SELECT COALESCE(sum(round(total * 100)), 0)::int8,
                   COALESCE(sum(round(payable * 100)), 0)::int8,
                   COALESCE(sum(greatest(round((carry_out - carry_in) * 100), 0)), 0)::int8,
                   COALESCE(-sum(least(round((carry_out - carry_in) * 100), 0)), 0)::int8,
                   count(*) FILTER (WHERE payable > 0)
              FROM mlm_commission_statement WHERE period_id = %s
            """,
                self.id,
            )
        )
        total, payable, held, released, count = self.env.cr.fetchone()
        return {"total": total, "payable": payable, "held": held, "released": released, "count": count}

    def _prepare_move_vals(self):
        """One summary entry per period, whatever the size of the network (docs/ENGINE.md, "Held pay in the
        accounts"): the period's ``payable`` credited to the commissions payable account, what it newly holds or
        carries credited to the held commissions account and what it releases debited from it, the total earned
        debited to the expense account. As ``payable + carry_out = total + carry_in`` for every statement, the
        entry balances to the cent; the statements are its per-distributor subledger (the payable account's
        balance of the period is the sum of its statements' payable), and payouts reconcile against its payable
        line. Held pay never sits in the payable account, so payouts cannot pay it.
        """
        journal, expense, payable = self._get_accounting_setup()
        sums = self._close_totals()
        if not (sums["total"] or sums["payable"] or sums["held"] or sums["released"]):
            return None
        held = self.company_id._mlm_held_account() if sums["held"] or sums["released"] else None
        label = self.env._("Commissions %(period)s", period=self.name)

        def line(account, cents, name=label):
            return Command.create(
                {
                    "name": name,
                    "account_id": account.id,
                    "debit": -cents / 100.0 if cents < 0 else 0.0,
                    "credit": cents / 100.0 if cents > 0 else 0.0,
                }
            )

        line_vals = []
        if sums["payable"]:
            line_vals.append(line(payable, sums["payable"]))
        if sums["held"]:
            line_vals.append(line(held, sums["held"], self.env._("Commissions held %(period)s", period=self.name)))
        if sums["released"]:
            line_vals.append(
                line(held, -sums["released"], self.env._("Held commissions released %(period)s", period=self.name))
            )
        if sums["total"]:
            line_vals.append(line(expense, -sums["total"]))
        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "date": self.date_to,
            "ref": label,
            "company_id": self.company_id.id,
            "line_ids": line_vals,
        }

    def _close_post_accounting(self):
        vals = self._prepare_move_vals()
        if vals:
            move = self.env["account.move"].sudo().create(vals)
            move._post(soft=False)
            super().write({"move_id": move.id})
        return True

    def _close_send_statements(self):
        """Enqueue the statement e-mails in batches (each batch rendered at once into Odoo's mail queue)."""
        if not self.company_id.mlm_statement_email:
            return
        template = self.env.ref("mlm_commission.mail_template_commission_statement", raise_if_not_found=False)
        if not template:
            return
        with_pdf = bool(template.sudo().report_template_ids)
        Statement = self.env["mlm.commission.statement"]
        for ids in self._statement_mail_batches(with_pdf):
            Statement.browse(ids).with_delay(
                channel=MAIL_CHANNEL,
                description=self.env._("Statement e-mails of %(period)s", period=self.name),
            )._send_statement_mails()

    def _statement_mail_batches(self, with_pdf):
        """[[statement id]] of the e-mail jobs of this period, in id order: the statements with an amount whose
        distributor has an e-mail address. Without a PDF, STATEMENT_MAIL_BATCH per job; with the PDF,
        STATEMENT_MAIL_BATCH_PDF per job and at most STATEMENT_MAIL_LINES_PDF lines printed (a statement of more than
        REPORT_DETAIL_LIMIT lines prints a summary instead: counted as none)."""
        self.env["mlm.commission.statement"].flush_model()
        self.env["mlm.commission.line"].flush_model()
        lines = SQL("0")
        if with_pdf:
            lines = SQL(
                """(SELECT CASE WHEN count(*) > %s THEN 0 ELSE count(*) END FROM mlm_commission_line l
                     WHERE l.period_id = s.period_id AND l.beneficiary_id = s.distributor_id)""",
                REPORT_DETAIL_LIMIT,
            )
        self.env.cr.execute(
            SQL(
                """
            SELECT s.id, %s FROM mlm_commission_statement s
              JOIN mlm_distributor d ON d.id = s.distributor_id
              JOIN res_partner p ON p.id = d.partner_id
             WHERE s.period_id = %s AND (s.total != 0 OR s.payable != 0 OR s.carry_out != 0)
               AND COALESCE(p.email, '') != ''
             ORDER BY s.id
            """,
                lines,
                self.id,
            )
        )
        size, budget = (STATEMENT_MAIL_BATCH_PDF, STATEMENT_MAIL_LINES_PDF) if with_pdf else (STATEMENT_MAIL_BATCH, 0)
        batches, batch, printed = [], [], 0
        for statement_id, count in self.env.cr.fetchall():
            if batch and (len(batch) == size or (budget and printed + count > budget)):
                batches.append(batch)
                batch, printed = [], 0
            batch.append(statement_id)
            printed += count
        if batch:
            batches.append(batch)
        return batches

    # ------------------------------------------------------------------ payouts
    def _payout_batch(self, after_partner=0, limit=None):
        """The next batch of distributors to pay, one query (no recordset of statements): ``[(partner id,
        [statement ids], cents)]`` of the closed statements of these periods with a positive payable, summed per
        partner, partners above ``after_partner`` in id order, at most ``limit`` (``PAYOUT_BATCH``)."""
        self.env["mlm.commission.statement"].flush_model()
        self.env["mlm.distributor"].flush_model(["partner_id"])
        self.env.cr.execute(
            SQL(
                """
            SELECT d.partner_id, array_agg(s.id ORDER BY s.id), sum(round(s.payable * 100))::int8
              FROM mlm_commission_statement s
              JOIN mlm_distributor d ON d.id = s.distributor_id
             WHERE s.period_id = ANY(%s) AND s.state = 'closed' AND s.payable > 0 AND d.partner_id > %s
             GROUP BY d.partner_id
             ORDER BY d.partner_id
             LIMIT %s
            """,
                self.ids,
                after_partner,
                limit or PAYOUT_BATCH,
            )
        )
        return self.env.cr.fetchall()

    def _create_payouts(self, journal, date, method="transfer", after_partner=None):
        """Job: pay the next batch of distributors (``PAYOUT_BATCH``) of every closed statement with a positive
        payable of these periods, then enqueue the following batch as a job of its own (each job fits a production
        worker, whatever the network's size). Every job reconciles what it pays with the periods' commission
        payables, marks its statements paid (one UPDATE) and the periods paid once nothing is left to pay.

        ``method``: ``transfer`` or ``cash`` make one outbound payment per distributor out of ``journal``;
        ``batch`` pays ``PAYOUT_BANK_BATCH`` distributors per job by bank transfer with one journal entry in
        ``journal`` and one transfer file per batch (``_pay_batch_by_bank_file``); ``wallet`` moves the payables
        to the distributors' e-wallet balances (one journal entry per batch, no payment). Returns what this batch
        made (payments, or journal entries for the batches and the e-wallet), and what the following batches made
        when they run at once (no job runner: tests, scripts).
        """
        if len(self.company_id) > 1:
            raise UserError(self.env._("Pay out the periods of one company at a time."))
        closing = self.env["mlm.commission.run"].search(
            [("period_id", "in", self.ids), ("run_type", "=", "close"), ("state", "in", ("queued", "running"))]
        )
        if closing:
            raise UserError(
                self.env._(
                    "The close of %(periods)s is still storing ranks and statements; pay out when it is done.",
                    periods=", ".join(closing.period_id.mapped("name")),
                )
            )
        batch = self._payout_batch(after_partner or 0, limit=PAYOUT_BANK_BATCH if method == "batch" else None)
        if not batch:
            if after_partner is None:
                raise UserError(self.env._("Nothing to pay in the selected periods."))
            self._mark_paid_if_settled()
            return self.env["account.move" if method in ("wallet", "batch") else "account.payment"]
        _journal, _expense, payable = self[:1]._get_accounting_setup()
        if method == "wallet":
            made = self._pay_batch_to_wallet(batch, date, payable)
        elif method == "batch":
            made = self._pay_batch_by_bank_file(batch, journal, date, payable)
        else:
            made = self._pay_batch_by_payments(batch, journal, date, payable)
        self._mark_paid_if_settled()
        following = self.with_delay(
            channel="root.mlm_commission",
            description=self.env._("Commission payouts %(periods)s", periods=", ".join(self.mapped("name"))),
            max_retries=1,
        )._create_payouts(journal, date, method=method, after_partner=batch[-1][0])
        result = getattr(following, "result", None)
        return made | result if result is not None else made

    def _pay_batch_by_payments(self, batch, journal, date, payable):
        """One outbound payment per distributor of ``batch``, posted and reconciled; statements marked paid."""
        label = self.env._("Commissions %(periods)s", periods=", ".join(self.mapped("name")))
        # no chatter message nor follower per payment: thousands of them per job (measured: the followers alone
        # were most of a batch's time)
        payments = (
            self.env["account.payment"]
            .with_context(tracking_disable=True)
            .create(
                [
                    {
                        "payment_type": "outbound",
                        "partner_type": "supplier",
                        "partner_id": partner_id,
                        "amount": cents / 100.0,
                        "journal_id": journal.id,
                        "date": date,
                        "memo": label,
                        "destination_account_id": payable.id,
                    }
                    for partner_id, _ids, cents in batch
                ]
            )
        )
        payments.action_post()
        self._reconcile_commission_payables(payable, payments.move_id.line_ids)
        statement_ids, payment_ids = [], []
        for (_partner, ids, _cents), payment in zip(batch, payments, strict=True):
            statement_ids += ids
            payment_ids += [payment.id] * len(ids)
        self._set_statements_paid(statement_ids, "payment_id", payment_ids)
        return payments

    def _prepare_wallet_move_vals(self, batch, date, payable):
        """One entry in the commission journal: the batch's total debited to the payable account (one line, which
        reconciles with the periods' entries), and each distributor's amount credited to the e-wallet account
        with the distributor as partner (their e-wallet balance)."""
        journal = self[:1]._get_accounting_setup()[0]
        _journal, wallet = self[:1].company_id._mlm_wallet_setup()
        label = self.env._("Commissions to e-wallet %(periods)s", periods=", ".join(self.mapped("name")))
        line_vals = [
            Command.create({"name": label, "account_id": wallet.id, "partner_id": partner_id, "credit": cents / 100.0})
            for partner_id, _ids, cents in batch
        ]
        total = sum(cents for _partner, _ids, cents in batch)
        line_vals.append(Command.create({"name": label, "account_id": payable.id, "debit": total / 100.0}))
        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "date": date,
            "ref": label,
            "company_id": self[:1].company_id.id,
            "line_ids": line_vals,
        }

    def _pay_batch_to_wallet(self, batch, date, payable):
        """Move the payables of ``batch`` onto the distributors' e-wallet balances; returns the journal entry."""
        move = (
            self.env["account.move"]
            .sudo()
            .with_context(tracking_disable=True)
            .create(self._prepare_wallet_move_vals(batch, date, payable))
        )
        move._post(soft=False)
        self._reconcile_commission_payables(payable, move.line_ids)
        statement_ids = [sid for _partner, ids, _cents in batch for sid in ids]
        self._set_statements_paid(statement_ids, "payout_move_id", [move.id] * len(statement_ids))
        return move

    def _prepare_bank_batch_move_vals(self, batch, journal, date, payable):
        """One entry in the bank ``journal`` for a batch of bank transfers: the batch's total debited to the
        commission payable account (one line, reconciled with the periods' entries) and credited to the
        journal's outstanding payments account (the bank statement's one line of the batch reconciles with it;
        the bank account itself when the journal has none). The distributors' amounts are in the transfer file
        and on their statements (``payout_move_id``)."""
        outstanding = journal.outbound_payment_method_line_ids.payment_account_id[:1] or journal.default_account_id
        if not outstanding:
            raise UserError(
                self.env._(
                    "Set the bank account or an outstanding payments account of journal %(journal)s.",
                    journal=journal.display_name,
                )
            )
        total = sum(cents for _partner, _ids, cents in batch) / 100.0
        label = self.env._(
            "Commission transfers %(periods)s (%(count)s distributors)",
            periods=", ".join(self.mapped("name")),
            count=len(batch),
        )
        return {
            "move_type": "entry",
            "journal_id": journal.id,
            "date": date,
            "ref": label,
            "company_id": self[:1].company_id.id,
            "line_ids": [
                Command.create({"name": label, "account_id": payable.id, "debit": total}),
                Command.create({"name": label, "account_id": outstanding.id, "credit": total}),
            ],
        }

    def _pay_batch_by_bank_file(self, batch, journal, date, payable):
        """Pay ``batch`` by bank transfer in one go: one posted entry of two lines (``_prepare_bank_batch_move_vals``)
        reconciled with the periods' payables, the statements marked paid by it, and the transfer file the bank
        executes attached to it (``_bank_transfer_file``). Returns the entry."""
        if journal.type != "bank":
            raise UserError(self.env._("Batched transfers go out of a bank journal."))
        move = (
            self.env["account.move"]
            .sudo()
            .with_context(tracking_disable=True)
            .create(self._prepare_bank_batch_move_vals(batch, journal, date, payable))
        )
        move._post(soft=False)
        self._reconcile_commission_payables(payable, move.line_ids)
        statement_ids = [sid for _partner, ids, _cents in batch for sid in ids]
        self._set_statements_paid(statement_ids, "payout_move_id", [move.id] * len(statement_ids))
        self.env["ir.attachment"].sudo().create(
            {
                "name": f"{move.name.replace('/', '_')}.csv",
                "raw": self._bank_transfer_file(batch, move),
                "mimetype": "text/csv",
                "res_model": "account.move",
                "res_id": move.id,
            }
        )
        return move

    def _bank_transfer_file(self, batch, move):
        """The transfer file of ``batch`` (CSV, one row per distributor: partner, name, bank account, BIC, amount,
        currency, reference), read in one query; a distributor without a bank account has an empty one, for the
        accountant to complete before sending the file."""
        self.env["res.partner.bank"].flush_model()
        self.env.cr.execute(
            SQL(
                """
            SELECT p.id, p.name, b.acc_number, bank.bic
              FROM res_partner p
              LEFT JOIN LATERAL (SELECT acc_number, bank_id FROM res_partner_bank pb
                                  WHERE pb.partner_id = p.id AND pb.active ORDER BY pb.sequence, pb.id LIMIT 1) b
                     ON TRUE
              LEFT JOIN res_bank bank ON bank.id = b.bank_id
             WHERE p.id = ANY(%s)
            """,
                [partner for partner, _ids, _cents in batch],
            )
        )
        accounts = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        currency = self[:1].currency_id
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["partner_id", "name", "account_number", "bic", "amount", "currency", "reference"])
        for partner, _ids, cents in batch:
            name, number, bic = accounts.get(partner, ("", "", ""))
            amount = f"{cents // 100}.{cents % 100:02d}"
            writer.writerow([partner, name or "", number or "", bic or "", amount, currency.name, move.name])
        return out.getvalue().encode()

    def _set_statements_paid(self, statement_ids, field, values):
        """Mark statements paid by what paid them (``field``: payment_id or payout_move_id), one UPDATE."""
        Statement = self.env["mlm.commission.statement"]
        Statement.flush_model()
        self.env.cr.execute(
            SQL(
                """
            UPDATE mlm_commission_statement s SET state = 'paid', %s = v.ref
              FROM unnest(%s::int4[], %s::int4[]) AS v(id, ref)
             WHERE s.id = v.id
            """,
                SQL.identifier(field),
                statement_ids,
                values,
            )
        )
        Statement.invalidate_model(["state", field])

    def _reconcile_commission_payables(self, payable, lines):
        """Reconcile the payable lines among ``lines`` with the open commission payables of these periods'
        entries (their summary lines; per-distributor lines of periods closed before summary entries)."""
        to_reconcile = (self.move_id.line_ids | lines).filtered(
            lambda line: line.account_id == payable and not line.reconciled and line.parent_state == "posted"
        )
        if to_reconcile.filtered("debit") and to_reconcile.filtered("credit"):
            to_reconcile.sudo().reconcile()
        return True

    def _mark_paid_if_settled(self):
        """Closed periods without a closed statement left to pay become paid (one query per period)."""
        self.env["mlm.commission.statement"].flush_model(["state", "payable", "period_id"])
        for period in self.filtered(lambda p: p.state == "closed"):
            self.env.cr.execute(
                SQL(
                    "SELECT EXISTS(SELECT 1 FROM mlm_commission_statement"
                    " WHERE period_id = %s AND state != 'paid' AND payable > 0)",
                    period.id,
                )
            )
            if not self.env.cr.fetchone()[0]:
                super(MlmCommissionPeriod, period).write({"state": "paid"})
        return True
