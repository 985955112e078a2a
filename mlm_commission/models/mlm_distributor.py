import dataclasses

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..engine import CommissionEngine, IdIndex, PeriodInputs, compute_period
from ..tools import pgcopy
from .mlm_commission_period import ORDINAL_EPOCH
from .mlm_distributor_projection import SMALL_TEAM, ProjectionCache

LEDGER_COLUMNS = [("dist", "int8"), ("pv", "float8"), ("bv_cents", "int8"), ("day", "int8"), ("customer", "bool")]


class MlmDistributor(models.Model):
    _inherit = "mlm.distributor"

    mlm_coefficient = fields.Float(
        string="Personal Coefficient",
        default=1.0,
        digits=(16, 4),
        tracking=True,
        groups="mlm_network.group_mlm_user",
        help="Multiplies everything this distributor earns (1.0 = normal).",
    )
    volume_line_ids = fields.One2many("mlm.volume.line", "distributor_id", string="Volume Ledger")
    statement_ids = fields.One2many("mlm.commission.statement", "distributor_id", string="Commission Statements")

    def init(self):
        res = super().init()
        # the real-time projection asks "did anything in this subtree change since the preview?"
        self.env.cr.execute(
            SQL("CREATE INDEX IF NOT EXISTS mlm_distributor_write_date_idx ON mlm_distributor (write_date)")
        )
        return res

    @api.constrains("mlm_coefficient")
    def _check_mlm_coefficient(self):
        if any(d.mlm_coefficient < 0 for d in self):
            raise ValidationError(self.env._("A personal coefficient cannot be negative."))

    def action_view_volume(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Volume of %(name)s", name=self.display_name),
            "res_model": "mlm.volume.line",
            "view_mode": "list,pivot,graph,form",
            "domain": [("distributor_id", "=", self.id)],
        }

    def action_view_statements(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Statements of %(name)s", name=self.display_name),
            "res_model": "mlm.commission.statement",
            "view_mode": "list,form",
            "domain": [("distributor_id", "=", self.id)],
        }

    # ------------------------------------------------------------------ real-time projection
    def get_mlm_projection(self, period=None):
        """Volumes, legs, rank progress and projected earnings of this distributor in the open period.

        Exactly what a preview run would give this distributor now (leadership pool included). In order:

        1. the per-process projection cache of the company's period (see :class:`ProjectionCache`), moved forward
           by the ledger lines added since it was built: a few milliseconds, whatever the size of the network;
        2. the period's preview, when nothing in this distributor's subtree changed since it ran;
        3. for a small team: the engine on this distributor's subtree, read by two binary COPYs over index range
           scans of ``parent_path`` (when the distributor is not in the leadership pool, which needs the company);
        4. otherwise the cache is built: the company's tree and period ledger read as a preview reads them and
           one engine run (about the time of the read part of a preview), then kept for the next calls.
        """
        self.ensure_one()
        # projected earnings of others are for MLM staff; a distributor sees their own (the portal pages)
        self._check_own_or_group("mlm_network.group_mlm_user", "read")
        if period is not None and not isinstance(period, models.BaseModel):
            period = None  # over RPC: the open period, never a record id chosen by the caller
        me = self.sudo()
        Period = self.env["mlm.commission.period"].sudo()
        today = fields.Date.context_today(self)
        period = period or Period.search(
            [("company_id", "=", me.company_id.id), ("date_from", "<=", today), ("date_to", ">=", today)], limit=1
        )
        plan = period.plan_id or me.company_id.mlm_plan_id
        if not plan:
            return {}
        date_from, date_to = (
            (period.date_from, period.date_to) if period else Period._period_bounds(me.company_id, today)[:2]
        )
        ranks = plan._get_ranks()
        spec = plan._get_engine_spec()
        exact_engine = plan._get_engine_class() is CommissionEngine
        self.env["mlm.distributor"].flush_model()
        self.env["mlm.volume.line"].flush_model()
        cache = ProjectionCache(self.env, me.company_id, date_from, date_to, plan, ranks, spec)
        if exact_engine:
            values = cache.projection(me, build=False)
            if values:
                return values
        low, high = me._subtree_range()
        has_pool = spec.pool_min_rank is not None and bool(spec.pool_rate)
        if (
            period
            and period.state == "computed"
            and period.ledger_max_id
            and me._preview_is_current(period, low, high, company_wide=has_pool)
        ):
            return self._projection_from_preview(me, period, plan, ranks)
        if not exact_engine or me._subtree_smaller_than(low, high, SMALL_TEAM):
            values, paid = self._projection_from_subtree(me, plan, ranks, spec, low, high, date_from, date_to)
            if not exact_engine or not has_pool or paid < spec.pool_min_rank:
                return values
        return cache.projection(me, build=True) or {}

    def _subtree_smaller_than(self, low, high, limit):
        self.env.cr.execute(
            SQL(
                """
                SELECT count(*) < %(limit)s FROM (
                    SELECT 1 FROM mlm_distributor d
                     WHERE d.parent_path COLLATE "C" >= %(low)s COLLATE "C"
                       AND d.parent_path COLLATE "C" < %(high)s COLLATE "C"
                     LIMIT %(limit)s) t
                """,
                limit=limit,
                low=low,
                high=high,
            )
        )
        return self.env.cr.fetchone()[0]

    def _projection_from_subtree(self, me, plan, ranks, spec, low, high, date_from, date_to):
        """The engine on ``me``'s subtree (``me`` as its root), without the leadership pool.

        Returns the projection values and ``me``'s paid rank index.
        """
        cr = self.env.cr
        tree = SQL(
            """
            SELECT d.id::int8, COALESCE(d.sponsor_id, 0)::int8, d.status = 'active',
                   COALESCE(d.mlm_coefficient, 1.0)::float8, (d.join_date - %(epoch)s + 1)::int8,
                   COALESCE(d.highest_rank_id, 0)::int8
              FROM mlm_distributor d
             WHERE d.parent_path COLLATE "C" >= %(low)s COLLATE "C" AND d.parent_path COLLATE "C" < %(high)s COLLATE "C"
            """,
            epoch=ORDINAL_EPOCH,
            low=low,
            high=high,
        )
        arrays = pgcopy.copy_out(
            cr._obj,
            cr.mogrify(tree.code, tree.params).decode(),
            [
                ("id", "int8"),
                ("sponsor", "int8"),
                ("active", "bool"),
                ("coefficient", "float8"),
                ("join_day", "int8"),
                ("highest_rank_id", "int8"),
            ],
        )
        index = IdIndex(arrays["id"])
        sponsor_idx = index.positions(arrays["sponsor"])
        sponsor_idx[index.positions([me.id])[0]] = -1  # the subtree's root
        highest = self.env["mlm.commission.period"]._plan_rank_indexes(ranks, arrays["highest_rank_id"])
        lines = self._projection_lines_from_ledger(low, high, date_from, date_to)
        n = len(index)
        inputs = PeriodInputs(
            sponsor_idx,
            arrays["active"],
            arrays["coefficient"],
            arrays["join_day"],
            highest,
            np.zeros(n, dtype=np.int64),
            index.positions(lines["dist"]),
            lines["pv"],
            lines["bv_cents"],
            lines["day"],
            lines["customer"],
        )
        spec = dataclasses.replace(spec, pool_rate=0.0, pool_min_rank=None)
        result = compute_period(inputs, spec, engine_class=plan._get_engine_class())
        i = int(index.positions([me.id])[0])
        values = self._projection_values(me, plan, ranks, result, i, index, sponsor_idx, date_from, date_to)
        return values, int(result.paid_rank[i])

    def _preview_is_current(self, period, low, high, company_wide=False):
        """True when nothing in this subtree changed since the period's preview: no new ledger line, no
        distributor written (status, coefficient) after it, no move in the genealogy. ``company_wide``: no new
        ledger line in the whole company either (the leadership pool shares the company's BV)."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT EXISTS(
                    SELECT 1 FROM mlm_volume_line v JOIN mlm_distributor d ON d.id = v.distributor_id
                     WHERE v.id > %(last)s AND v.company_id = %(company)s
                       AND (%(company_wide)s OR (d.parent_path COLLATE "C" >= %(low)s COLLATE "C"
                                                AND d.parent_path COLLATE "C" < %(high)s COLLATE "C")))
                    OR EXISTS(
                    SELECT 1 FROM mlm_distributor d
                     WHERE d.write_date > %(computed)s
                       AND d.parent_path COLLATE "C" >= %(low)s COLLATE "C"
                       AND d.parent_path COLLATE "C" < %(high)s COLLATE "C")
                    OR EXISTS(SELECT 1 FROM mlm_move_log m WHERE m.create_date > %(computed)s)
                """,
                last=period.ledger_max_id,
                company=period.company_id.id,
                company_wide=company_wide,
                computed=period.computed_date,
                low=low,
                high=high,
            )
        )
        return not cr.fetchone()[0]

    def _projection_from_preview(self, me, period, plan, ranks):
        """The projection read from the period's current preview (statement and lines of ``me``)."""
        Statement = self.env["mlm.commission.statement"].sudo()
        statement = Statement.search([("period_id", "=", period.id), ("distributor_id", "=", me.id)], limit=1)
        recruits = Statement.search_read(
            [("period_id", "=", period.id), ("sponsor_id", "=", me.id)], ["distributor_id", "gv"]
        )
        labels = dict(plan._get_bonus_type_selection())
        groups = (
            self.env["mlm.commission.line"]
            .sudo()
            ._read_group(
                [("period_id", "=", period.id), ("beneficiary_id", "=", me.id)], ["bonus_type"], ["amount:sum"]
            )
        )
        currency = me.company_id.currency_id
        rank_index = {rule.rank_id.id: i for i, rule in enumerate(ranks)}
        paid = rank_index.get(statement.paid_rank_id.id, -1)
        next_rule = ranks[paid + 1] if paid + 1 < len(ranks) else None
        return {
            "date_from": period.date_from,
            "date_to": period.date_to,
            "pv": statement.pv,
            "gv": statement.gv,
            "active": statement.is_active,
            "legs": sorted(
                ({"distributor_id": r["distributor_id"][0], "volume": r["gv"]} for r in recruits),
                key=lambda leg: -leg["volume"],
            ),
            "paid_rank_id": statement.paid_rank_id.id,
            "paid_rank": statement.paid_rank_id.name or "",
            "next_rank": next_rule
            and {
                "rank_id": next_rule.rank_id.id,
                "name": next_rule.rank_id.name,
                "pv_missing": max(next_rule.min_pv - statement.pv, 0.0),
                "gv_missing": max(next_rule.min_gv - statement.gv, 0.0),
                "legs_missing": max(next_rule.min_legs - statement.legs_qualified, 0),
            },
            "earnings": {labels[code]: currency.round(amount) for code, amount in groups},
            "projected_total": currency.round(statement.total),
            "currency_id": currency.id,
        }

    def _projection_lines_from_ledger(self, low, high, date_from, date_to):
        """The subtree's ledger of the period, aggregated per distributor, day and customer flag."""
        cr = self.env.cr
        ledger = SQL(
            """
            SELECT v.distributor_id::int8, sum(v.pv)::float8, sum(round(v.bv * 100))::int8,
                   (v.date - %(epoch)s + 1)::int8, v.volume_type = 'customer'
              FROM mlm_volume_line v JOIN mlm_distributor d ON d.id = v.distributor_id
             WHERE d.parent_path COLLATE "C" >= %(low)s COLLATE "C" AND d.parent_path COLLATE "C" < %(high)s COLLATE "C"
               AND v.date >= %(start)s AND v.date <= %(end)s
             GROUP BY v.distributor_id, v.date, v.volume_type = 'customer'
            """,
            epoch=ORDINAL_EPOCH,
            low=low,
            high=high,
            start=date_from,
            end=date_to,
        )
        return pgcopy.copy_out(cr._obj, cr.mogrify(ledger.code, ledger.params).decode(), LEDGER_COLUMNS)

    def _projection_values(self, me, plan, ranks, result, i, index, sponsor_idx, date_from, date_to):
        currency = me.company_id.currency_id
        rows = result.rows
        mine = rows["beneficiary"] == i
        labels = dict(plan._get_bonus_type_selection())
        by_bonus = {}
        for code, cents in zip(rows["bonus_type"][mine], rows["amount_cents"][mine], strict=True):
            by_bonus[labels[str(int(code))]] = by_bonus.get(labels[str(int(code))], 0) + int(cents)
        recruits = np.nonzero(sponsor_idx == i)[0]
        legs = sorted(
            ({"distributor_id": int(index.ids[r]), "volume": float(result.gv[r])} for r in recruits),
            key=lambda leg: -leg["volume"],
        )
        paid = int(result.paid_rank[i])
        next_rule = ranks[paid + 1] if paid + 1 < len(ranks) else None
        return {
            "date_from": date_from,
            "date_to": date_to,
            "pv": float(result.pv[i]),
            "gv": float(result.gv[i]),
            "active": bool(result.active[i]),
            "legs": legs,
            "paid_rank_id": ranks[paid].rank_id.id if paid >= 0 else False,
            "paid_rank": ranks[paid].rank_id.name if paid >= 0 else "",
            "next_rank": next_rule
            and {
                "rank_id": next_rule.rank_id.id,
                "name": next_rule.rank_id.name,
                "pv_missing": max(next_rule.min_pv - float(result.pv[i]), 0.0),
                "gv_missing": max(next_rule.min_gv - float(result.gv[i]), 0.0),
                "legs_missing": max(next_rule.min_legs - int(result.legs_qualified[i]), 0),
            },
            "earnings": {label: currency.round(cents / 100.0) for label, cents in by_bonus.items()},
            "projected_total": currency.round(int(result.total_cents[i]) / 100.0),
            "currency_id": currency.id,
        }
