"""The plan sandbox: replay a draft copy of a plan version on the last closed periods, without touching any real
record (docs/ENGINE.md "Plan sandbox").

Each period is read by the one reader (``period._read_inputs``) with the distributors' inputs its close kept
(``InputScope.closed``: sponsor and placement trees, statuses, coefficients, join days, highest ranks and standing
PV at computation time, not today's), run through the draft plan's engine, and compared with the stored statements
of the period (what was really paid): an unchanged draft reproduces them to the cent. Periods closed before the
close kept its inputs are read with today's distributors, the sponsors their statements recorded and the highest
ranks of the rank history. Only the sandbox's own summary rows are written.
"""

import base64
import io
import time

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import compute_period
from ..tools import pgcopy
from .mlm_commission_data import InputScope

SANDBOX_CHANNEL = "root.mlm_commission"
TOP_CHANGES = 10
STORED_COLUMNS = [("distributor", "int8"), ("sponsor", "int8"), ("total", "int8"), ("rank", "int8")]


class MlmPlanSandbox(models.Model):
    _name = "mlm.plan.sandbox"
    _description = "Plan Sandbox"
    _order = "id desc"

    name = fields.Char(required=True)
    base_plan_id = fields.Many2one("mlm.plan", string="Plan Version", required=True, readonly=True, ondelete="cascade")
    draft_plan_id = fields.Many2one(
        "mlm.plan", readonly=True, ondelete="set null", help="The copy you change and replay."
    )
    company_id = fields.Many2one(related="base_plan_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_count = fields.Integer(string="Closed Periods", default=6, required=True)
    state = fields.Selection(
        [("draft", "Draft"), ("queued", "Queued"), ("done", "Done")], default="draft", required=True, readonly=True
    )
    replayed_at = fields.Datetime(readonly=True)
    seconds = fields.Float(string="Replay Seconds", readonly=True, digits=(16, 1))
    result_ids = fields.One2many("mlm.plan.sandbox.result", "sandbox_id", string="Periods", readonly=True)
    rank_ids = fields.One2many("mlm.plan.sandbox.rank", "sandbox_id", string="Earners per Rank", readonly=True)
    change_ids = fields.One2many("mlm.plan.sandbox.change", "sandbox_id", string="Winners and Losers", readonly=True)
    old_total = fields.Monetary(string="Paid", readonly=True)
    new_total = fields.Monetary(string="Draft Would Pay", readonly=True)
    bv_total = fields.Monetary(string="BV", readonly=True)
    old_ratio = fields.Float(string="Payout Ratio (%)", readonly=True, digits=(16, 2))
    new_ratio = fields.Float(string="Draft Payout Ratio (%)", readonly=True, digits=(16, 2))
    xlsx_file = fields.Binary(string="Workbook", readonly=True, attachment=True)
    xlsx_name = fields.Char(readonly=True)

    @api.constrains("period_count")
    def _check_period_count(self):
        if any(not 1 <= s.period_count <= 36 for s in self):
            raise UserError(self.env._("Replay between 1 and 36 closed periods."))

    # ------------------------------------------------------------------ actions
    def action_run(self):
        """Enqueue the replay (a queue_job job) and return at once."""
        self.check_access("write")
        for sandbox in self:
            sandbox.state = "queued"
            sandbox.with_delay(
                channel=SANDBOX_CHANNEL,
                description=self.env._("Plan sandbox %(name)s", name=sandbox.name),
                max_retries=1,
            )._replay_job()
        return True

    def action_run_now(self):
        """Replay in this request through the same job (tests, small networks)."""
        return self.with_context(queue_job__no_delay=True).action_run()

    def action_open_draft(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "mlm.plan",
            "res_id": self.draft_plan_id.id,
            "view_mode": "form",
        }

    def action_open_chart(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Paid and draft, per period"),
            "res_model": "mlm.plan.sandbox.result",
            "view_mode": "graph,list",
            "domain": [("sandbox_id", "=", self.id)],
            "context": {"graph_measure": "total", "graph_groupbys": ["period_id", "series"]},
        }

    # ------------------------------------------------------------------ the replay
    def _periods(self):
        self.ensure_one()
        return self.env["mlm.commission.period"].search(
            [("company_id", "=", self.company_id.id), ("state", "in", ("closed", "paid"))],
            order="date_to desc",
            limit=self.period_count,
        )

    def _replay_job(self):
        """The job: replay every period, then replace the sandbox's results (one transaction)."""
        self.ensure_one()
        started = time.monotonic()
        periods = self._periods().sorted("date_from")
        if not periods:
            raise UserError(self.env._("%(company)s has no closed period to replay.", company=self.company_id.name))
        plan = self.draft_plan_id
        spec, engine_class, ranks = plan._get_engine_spec(), plan._get_engine_class(), plan._get_ranks()
        replays = [self._replay_period(period, spec, engine_class, ranks) for period in periods]
        self.result_ids.unlink()
        self.rank_ids.unlink()
        self.change_ids.unlink()
        self.env["mlm.plan.sandbox.result"].create([v for r in replays for v in r["results"]])
        self.env["mlm.plan.sandbox.rank"].create([v for r in replays for v in r["ranks"]])
        overall = self._merge_distributors(replays)
        changes = [v for r in replays for v in r["changes"]]
        changes += self._prepare_change_vals(False, *overall)
        self.env["mlm.plan.sandbox.change"].create(changes)
        old = sum(r["old_cents"] for r in replays)
        new = sum(r["new_cents"] for r in replays)
        bv = sum(r["bv_cents"] for r in replays)
        self.write(
            {
                "state": "done",
                "replayed_at": fields.Datetime.now(),
                "old_total": old / 100.0,
                "new_total": new / 100.0,
                "bv_total": bv / 100.0,
                "old_ratio": 100.0 * old / bv if bv > 0 else 0.0,
                "new_ratio": 100.0 * new / bv if bv > 0 else 0.0,
                "xlsx_file": base64.b64encode(self._build_xlsx(replays, overall)),
                "xlsx_name": f"sandbox-{self.id}.xlsx",
                "seconds": time.monotonic() - started,
            }
        )
        return True

    def _replay_period(self, period, spec, engine_class, ranks):
        """One closed period: its inputs with the stored genealogy, the draft plan's engine, compared with what
        the period's statements stored. Returns plain values for the result rows and the workbook."""
        stored = self._stored_statements(period)
        kept = period._has_stored_inputs()
        data = period._read_inputs(InputScope.closed(period.id) if kept else InputScope.company(carried=True), ranks)
        pos = data.index.positions(stored["distributor"])
        known = pos >= 0
        if not kept:  # closed before the close kept its inputs: the sponsor each statement recorded (0: a root)
            data.sponsor_idx[pos[known]] = data.index.positions(stored["sponsor"][known])
            data.highest_rank = self._highest_rank_then(period, data, ranks)
        try:
            result = compute_period(data.inputs(), spec, engine_class=engine_class)
        except ValueError as error:
            raise UserError(
                self.env._("Period %(period)s cannot be replayed: %(error)s", period=period.name, error=str(error))
            ) from error
        old_cents = np.zeros(data.size, dtype=np.int64)
        old_cents[pos[known]] = stored["total"][known]
        old_rank = np.zeros(data.size, dtype=np.int64)
        old_rank[pos[known]] = stored["rank"][known]
        new_rank = np.where(result.paid_rank >= 0, data.rank_ids[np.maximum(result.paid_rank, 0)], 0)
        new_cents = result.total_cents
        bv_cents = int(result.bv_cents.sum())
        vals = {"sandbox_id": self.id, "period_id": period.id, "bv": bv_cents / 100.0}
        results = [
            dict(vals, series=series, total=int(cents.sum()) / 100.0, earners=int(np.count_nonzero(cents > 0)))
            for series, cents in (("paid", old_cents), ("draft", new_cents))
        ]
        rank_rows = []
        for rank_id in data.rank_ids:
            rank_rows.append(
                {
                    "sandbox_id": self.id,
                    "period_id": period.id,
                    "rank_id": int(rank_id),
                    "old_earners": int(np.count_nonzero((old_rank == rank_id) & (old_cents > 0))),
                    "new_earners": int(np.count_nonzero((new_rank == rank_id) & (new_cents > 0))),
                }
            )
        changed = (old_cents != 0) | (new_cents != 0)
        ids = data.ids[changed]
        return {
            "period": period,
            "ids": ids,
            "old": old_cents[changed],
            "new": new_cents[changed],
            "old_cents": int(old_cents.sum()),
            "new_cents": int(new_cents.sum()),
            "bv_cents": bv_cents,
            "results": results,
            "ranks": rank_rows,
            "changes": self._prepare_change_vals(period, ids, old_cents[changed], new_cents[changed]),
        }

    def _stored_statements(self, period):
        """The period's statements as arrays (one binary COPY): distributor, sponsor, total cents, paid rank."""
        self.env["mlm.commission.statement"].flush_model()
        cr = self.env.cr
        query = SQL(
            "SELECT distributor_id::int8, COALESCE(sponsor_id, 0)::int8, round(total * 100)::int8,"
            "       COALESCE(paid_rank_id, 0)::int8"
            "  FROM mlm_commission_statement WHERE period_id = %s",
            period.id,
        )
        return pgcopy.copy_out(cr._obj, cr.mogrify(query.code, query.params).decode(), STORED_COLUMNS)

    def _highest_rank_then(self, period, data, ranks):
        """Highest rank ever as it stood when the period started, from the rank history: the ranks of entries
        dated before the period and the previous ranks of later entries (distributors without history: today's)."""
        self.env["mlm.rank.history"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT h.distributor_id, COALESCE(CASE WHEN h.date < %(start)s THEN h.rank_id
                                                       ELSE h.previous_rank_id END, 0)
                  FROM mlm_rank_history h
                 WHERE h.company_id = %(company)s
                """,
                start=period.date_from,
                company=period.company_id.id,
            )
        )
        rows = np.array(self.env.cr.fetchall(), dtype=np.int64).reshape(-1, 2)
        highest = data.highest_rank.copy()
        pos = data.index.positions(rows[:, 0])
        known = pos >= 0
        pos, held = pos[known], self.env["mlm.commission.period"]._plan_rank_indexes(ranks, rows[known, 1])
        highest[np.unique(pos)] = -1
        np.maximum.at(highest, pos, held)
        return highest

    @staticmethod
    def _merge_distributors(replays):
        """(ids, old cents, new cents) summed over the periods, per distributor."""
        ids = np.concatenate([r["ids"] for r in replays])
        unique, inverse = np.unique(ids, return_inverse=True)
        old = np.bincount(inverse, weights=np.concatenate([r["old"] for r in replays]), minlength=len(unique))
        new = np.bincount(inverse, weights=np.concatenate([r["new"] for r in replays]), minlength=len(unique))
        return unique, np.rint(old).astype(np.int64), np.rint(new).astype(np.int64)

    def _prepare_change_vals(self, period, ids, old, new):
        """The biggest winners and losers (draft minus paid) of one period, or of all (``period`` False)."""
        delta = new - old
        order = np.argsort(delta, kind="stable")
        losers = [i for i in order[:TOP_CHANGES] if delta[i] < 0]
        winners = [i for i in order[::-1][:TOP_CHANGES] if delta[i] > 0]
        return [
            {
                "sandbox_id": self.id,
                "period_id": period.id if period else False,
                "distributor_id": int(ids[i]),
                "kind": kind,
                "old_amount": int(old[i]) / 100.0,
                "new_amount": int(new[i]) / 100.0,
            }
            for kind, picked in (("winner", winners), ("loser", losers))
            for i in picked
        ]

    def _build_xlsx(self, replays, overall):
        """Summary per period, earners per rank, and every distributor's paid and draft totals."""
        import xlsxwriter  # external dependency, loaded on use

        buffer = io.BytesIO()
        # names are text, never formulas or links (and not run through xlsxwriter's per-string pattern checks)
        options = {"in_memory": True, "constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
        workbook = xlsxwriter.Workbook(buffer, options)
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        env = self.env
        sheet = workbook.add_worksheet(env._("Periods"))
        heads = [
            env._("Period"),
            env._("BV"),
            env._("Paid"),
            env._("Draft"),
            env._("Paid / BV (%)"),
            env._("Draft / BV (%)"),
        ]
        sheet.write_row(0, 0, heads, bold)
        for row, replay in enumerate(replays, start=1):
            bv = replay["bv_cents"]
            sheet.write(row, 0, replay["period"].name)
            for col, cents in enumerate((bv, replay["old_cents"], replay["new_cents"]), start=1):
                sheet.write_number(row, col, cents / 100.0, money)
            sheet.write_number(row, 4, 100.0 * replay["old_cents"] / bv if bv > 0 else 0.0)
            sheet.write_number(row, 5, 100.0 * replay["new_cents"] / bv if bv > 0 else 0.0)
        sheet = workbook.add_worksheet(env._("Ranks"))
        sheet.write_row(0, 0, [env._("Period"), env._("Rank"), env._("Earners paid"), env._("Earners draft")], bold)
        rank_names = {r.id: r.name for r in self.draft_plan_id.rank_ids.rank_id}
        row = 1
        for replay in replays:
            for vals in replay["ranks"]:
                sheet.write(row, 0, replay["period"].name)
                sheet.write(row, 1, rank_names.get(vals["rank_id"], ""))
                sheet.write_number(row, 2, vals["old_earners"])
                sheet.write_number(row, 3, vals["new_earners"])
                row += 1
        ids, old, new = overall
        names = self._distributor_names(ids)
        sheet = workbook.add_worksheet(env._("Distributors"))
        heads = [env._("Distributor ID"), env._("Name"), env._("Paid"), env._("Draft"), env._("Difference")]
        sheet.write_row(0, 0, heads, bold)
        # the amounts converted by numpy; each cell written by its typed method (no type dispatch per cell)
        amounts = zip((old / 100.0).tolist(), (new / 100.0).tolist(), ((new - old) / 100.0).tolist(), strict=True)
        write_string, write_number, blank = sheet.write_string, sheet.write_number, ("", "")
        for row, (dist, (paid, draft, diff)) in enumerate(zip(ids.tolist(), amounts, strict=True), 1):
            code, name = names.get(dist, blank)
            write_string(row, 0, code)
            write_string(row, 1, name)
            write_number(row, 2, paid, money)
            write_number(row, 3, draft, money)
            write_number(row, 4, diff, money)
        workbook.close()
        return buffer.getvalue()

    def _distributor_names(self, ids):
        if not len(ids):
            return {}
        self.env.cr.execute(
            SQL(
                "SELECT d.id, COALESCE(d.code, ''), COALESCE(p.name, '') FROM mlm_distributor d"
                " JOIN res_partner p ON p.id = d.partner_id WHERE d.id = ANY(%s)",
                [int(x) for x in ids],
            )
        )
        return {row[0]: (row[1], row[2]) for row in self.env.cr.fetchall()}


class MlmPlanSandboxResult(models.Model):
    _name = "mlm.plan.sandbox.result"
    _description = "Plan Sandbox Period Result"
    _order = "sandbox_id, period_id, series"

    sandbox_id = fields.Many2one("mlm.plan.sandbox", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="sandbox_id.company_id", store=True)
    currency_id = fields.Many2one(related="sandbox_id.currency_id")
    period_id = fields.Many2one("mlm.commission.period", required=True, ondelete="cascade")
    series = fields.Selection([("paid", "Paid"), ("draft", "Draft plan")], required=True)
    total = fields.Monetary(string="Commissions")
    bv = fields.Monetary(string="BV")
    ratio = fields.Float(string="Payout Ratio (%)", compute="_compute_ratio", store=True, aggregator="avg")
    earners = fields.Integer()

    @api.depends("total", "bv")
    def _compute_ratio(self):
        for result in self:
            result.ratio = 100.0 * result.total / result.bv if result.bv > 0 else 0.0


class MlmPlanSandboxRank(models.Model):
    _name = "mlm.plan.sandbox.rank"
    _description = "Plan Sandbox Earners per Rank"
    _order = "sandbox_id, period_id, id"

    sandbox_id = fields.Many2one("mlm.plan.sandbox", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="sandbox_id.company_id", store=True)
    period_id = fields.Many2one("mlm.commission.period", required=True, ondelete="cascade")
    rank_id = fields.Many2one("mlm.rank", required=True, ondelete="cascade")
    old_earners = fields.Integer(string="Earners Paid")
    new_earners = fields.Integer(string="Earners Draft")


class MlmPlanSandboxChange(models.Model):
    _name = "mlm.plan.sandbox.change"
    _description = "Plan Sandbox Winner or Loser"
    _order = "sandbox_id, period_id, kind, id"

    sandbox_id = fields.Many2one("mlm.plan.sandbox", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="sandbox_id.company_id", store=True)
    currency_id = fields.Many2one(related="sandbox_id.currency_id")
    period_id = fields.Many2one("mlm.commission.period", ondelete="cascade", help="Empty: all replayed periods.")
    distributor_id = fields.Many2one("mlm.distributor", required=True, ondelete="cascade")
    kind = fields.Selection([("winner", "Winner"), ("loser", "Loser")], required=True)
    old_amount = fields.Monetary(string="Paid")
    new_amount = fields.Monetary(string="Draft")
    difference = fields.Monetary(compute="_compute_difference", store=True)

    @api.depends("old_amount", "new_amount")
    def _compute_difference(self):
        for change in self:
            change.difference = change.new_amount - change.old_amount
