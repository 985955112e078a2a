from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools.misc import format_date

TOP_LIMIT = 10
RISK_LIMIT = 50
SEASONALITY_MONTHS = 36


class MlmCommissionDashboard(models.AbstractModel):
    """The management dashboard's figures, computed set-based (grouped SQL over the ledger, statements and
    distributors of one company): a handful of queries whatever the size of the network."""

    _name = "mlm.commission.dashboard"
    _description = "MLM Management Dashboard"

    @api.model
    def get_dashboard_data(self, period_id=False, months=12):
        """Everything the dashboard shows for one period of the current company.

        :param period_id: a commission period (default: the latest one that has started)
        :param months: length of the monthly sales series (12 or 24)
        """
        self.env["mlm.volume.line"].check_access("read")
        self.env["mlm.commission.statement"].check_access("read")
        months = 24 if months == 24 else 12
        Period = self.env["mlm.commission.period"]
        company = self.env.company
        period = Period.browse(period_id).exists() if period_id else Period
        if period:
            period.check_access("read")
            company = period.company_id
        else:
            period = Period.search(
                [("company_id", "=", company.id), ("date_from", "<=", fields.Date.context_today(self))], limit=1
            )
        today = fields.Date.context_today(self)
        date_from, date_to = (
            (period.date_from, period.date_to) if period else Period._get_current_period(company, today)[1:]
        )
        prev_from, prev_to = Period._period_bounds(company, date_from - timedelta(days=1))[:2]
        previous = Period.search(
            [("company_id", "=", company.id), ("date_from", "=", prev_from), ("date_to", "=", prev_to)], limit=1
        )
        for model in ("mlm.volume.line", "mlm.distributor", "mlm.commission.statement", "mlm.sales.target"):
            self.env[model].flush_model()
        ctx = {
            "company": company,
            "period": period,
            "previous": previous,
            "date_from": date_from,
            "date_to": date_to,
            "prev_from": prev_from,
            "prev_to": prev_to,
            "min_pv": (period.plan_id or company.mlm_plan_id).min_pv or 0.0,
        }
        monthly, seasonality = self._dashboard_monthly(ctx, months)
        self._dashboard_load_volumes(ctx)
        branches = self._dashboard_branches(ctx)
        top_earners, top_pv = self._dashboard_top(ctx)
        at_risk, risk_count = self._dashboard_at_risk(ctx)
        currency = company.currency_id
        return {
            "company": {"id": company.id, "name": company.name},
            "currency_id": currency.id,
            "periods": [
                {"id": p.id, "name": p.name, "state": p.state}
                for p in Period.search([("company_id", "=", company.id)], limit=36)
            ],
            "period": {
                "id": period.id,
                "name": period.name or format_date(self.env, date_from, date_format="LLLL yyyy"),
                "state": period.state or "open",
                "state_label": dict(Period._fields["state"]._description_selection(self.env)).get(
                    period.state or "open"
                ),
                "date_from": fields.Date.to_string(date_from),
                "date_to": fields.Date.to_string(date_to),
                "has_statements": bool(period.statement_count),
            },
            "previous": {
                "id": previous.id,
                "name": previous.name or format_date(self.env, prev_from, date_format="LLLL yyyy"),
            },
            "months": months,
            "kpis": self._dashboard_kpis(ctx, branches, risk_count),
            "monthly": monthly,
            "seasonality": seasonality,
            "branches": branches,
            "targets": self._dashboard_targets(ctx),
            "top_earners": top_earners,
            "top_pv": top_pv,
            "at_risk": at_risk,
        }

    # ------------------------------------------------------------------ parts
    @api.model
    def _dashboard_monthly(self, ctx, months):
        """PV/BV per month of the last ``months`` months, and the average per calendar month over up to three
        years (months without sales count as zero, from the first month with sales on)."""
        end = ctx["date_to"].replace(day=1)
        start = end - relativedelta(months=max(months, SEASONALITY_MONTHS) - 1)
        # a closed monthly period, or one whose preview read every line dated in it, holds its company PV/BV:
        # only the other months are summed from the ledger
        periods = self.env["mlm.commission.period"].search_read(
            [
                ("company_id", "=", ctx["company"].id),
                ("state", "in", ("computed", "closed", "paid")),
                ("period_type", "=", "month"),
                ("date_from", ">=", start),
                ("date_from", "<=", end),
            ],
            ["date_from", "company_pv", "company_bv", "state"],
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id FROM mlm_commission_period p
                 WHERE p.id = ANY(%s) AND p.state = 'computed'
                   AND EXISTS(SELECT 1 FROM mlm_volume_line v
                               WHERE v.company_id = p.company_id AND v.id > COALESCE(p.ledger_max_id, 0)
                                 AND v.date >= p.date_from AND v.date <= p.date_to)
                """,
                [row["id"] for row in periods],
            )
        )
        stale = {row[0] for row in self.env.cr.fetchall()}
        by_month = {
            row["date_from"]: (row["company_pv"], row["company_bv"])
            for row in periods
            if row["date_from"].day == 1 and row["id"] not in stale
        }
        ranges, month = [], start
        while month <= end:
            if month not in by_month:
                if ranges and ranges[-1][1] == month:
                    ranges[-1][1] = month + relativedelta(months=1)
                else:
                    ranges.append([month, month + relativedelta(months=1)])
            month += relativedelta(months=1)
        if not ranges:
            ranges.append([end, end])  # nothing to read
        self.env.cr.execute(
            SQL(
                """
                SELECT date_trunc('month', date)::date, COALESCE(sum(pv), 0)::float8, COALESCE(sum(bv), 0)::float8
                  FROM mlm_volume_line
                 WHERE company_id = %s AND (%s)
                 GROUP BY 1
                """,
                ctx["company"].id,
                SQL(" OR ").join(SQL("(date >= %s AND date < %s)", low, high) for low, high in ranges),
            )
        )
        by_month.update((row[0], row[1:]) for row in self.env.cr.fetchall())
        currency = ctx["company"].currency_id
        monthly = []
        for offset in range(months - 1, -1, -1):
            month = end - relativedelta(months=offset)
            pv, bv = by_month.get(month, (0.0, 0.0))
            monthly.append(
                {
                    "month": fields.Date.to_string(month),
                    "label": format_date(self.env, month, date_format="MMM yyyy"),
                    "pv": round(pv, 2),
                    "bv": currency.round(bv),
                }
            )
        first = min(by_month) if by_month else end
        sums = {m: [0.0, 0.0, 0] for m in range(1, 13)}
        month = first
        while month <= end:
            pv, bv = by_month.get(month, (0.0, 0.0))
            bucket = sums[month.month]
            bucket[0] += pv
            bucket[1] += bv
            bucket[2] += 1
            month += relativedelta(months=1)
        counted = [b for b in sums.values() if b[2]]
        overall = sum(b[1] / b[2] for b in counted) / len(counted) if counted else 0.0
        seasonality = []
        for number, (pv, bv, count) in sums.items():
            avg_bv = bv / count if count else 0.0
            seasonality.append(
                {
                    "month": number,
                    "label": format_date(self.env, date(2000, number, 1), date_format="LLL"),
                    "years": count,
                    "avg_pv": round(pv / count, 2) if count else 0.0,
                    "avg_bv": currency.round(avg_bv),
                    "index": round(avg_bv / overall * 100, 1) if overall else 0.0,
                }
            )
        return monthly, seasonality

    @api.model
    def _dashboard_period_volume(self, company, period, date_from, date_to):
        """SQL giving rows (distributor_id, pv, bv) that sum to each distributor's volume between the dates.

        A closed period's statements hold it exactly (volume dated in a closed period lands in the next open one);
        a computed preview's statements plus the ledger lines added since; otherwise the ledger itself. Reading
        ~100k statements instead of ~700k ledger lines per period is what keeps the dashboard fast.
        """
        ledger = SQL(
            "SELECT distributor_id, pv, bv FROM mlm_volume_line WHERE company_id = %s AND date >= %s AND date <= %s",
            company.id,
            date_from,
            date_to,
        )
        if not period or (period.date_from, period.date_to) != (date_from, date_to):
            return ledger
        statements = SQL("SELECT distributor_id, pv, bv FROM mlm_commission_statement WHERE period_id = %s", period.id)
        if period.state in ("closed", "paid"):
            return statements
        if period.state == "computed" and period.ledger_max_id:
            return SQL("%s UNION ALL %s AND id > %s", statements, ledger, period.ledger_max_id)
        return ledger

    @api.model
    def _dashboard_load_volumes(self, ctx):
        """PV/BV per distributor in the period and the previous one, into a temporary table (one grouped query)
        that the branch and top-PV figures read."""
        company = ctx["company"]
        current = self._dashboard_period_volume(company, ctx["period"], ctx["date_from"], ctx["date_to"])
        previous = self._dashboard_period_volume(company, ctx["previous"], ctx["prev_from"], ctx["prev_to"])
        self.env.cr.execute(SQL("DROP TABLE IF EXISTS mlm_dashboard_volume"))
        self.env.cr.execute(
            SQL(
                """
                CREATE TEMP TABLE mlm_dashboard_volume ON COMMIT DROP AS
                SELECT distributor_id,
                       sum(pv) FILTER (WHERE is_current)::float8 AS pv, sum(bv) FILTER (WHERE is_current) AS bv,
                       sum(pv) FILTER (WHERE NOT is_current)::float8 AS prev_pv,
                       sum(bv) FILTER (WHERE NOT is_current) AS prev_bv
                  FROM (SELECT distributor_id, pv, bv, true AS is_current FROM (%s) c
                        UNION ALL
                        SELECT distributor_id, pv, bv, false FROM (%s) p) u
                 GROUP BY distributor_id
                """,
                current,
                previous,
            )
        )

    @api.model
    def _dashboard_branches(self, ctx):
        """One row per branch (and one for distributors without a branch): members, active, recruits, PV/BV of the
        period and the previous one, commissions earned."""
        self.env.cr.execute(
            SQL(
                """
                WITH earned AS (
                    SELECT distributor_id, total FROM mlm_commission_statement WHERE period_id = %(period)s
                )
                SELECT d.branch_id,
                       count(*) FILTER (WHERE d.status != 'terminated' AND d.join_date <= %(date_to)s),
                       count(*) FILTER (WHERE d.status = 'active' AND COALESCE(vol.pv, 0) >= %(min_pv)s),
                       count(*) FILTER (WHERE d.join_date >= %(date_from)s AND d.join_date <= %(date_to)s),
                       COALESCE(sum(vol.pv), 0)::float8, COALESCE(sum(vol.bv), 0)::float8,
                       COALESCE(sum(vol.prev_pv), 0)::float8, COALESCE(sum(vol.prev_bv), 0)::float8,
                       COALESCE(sum(earned.total), 0)::float8
                  FROM mlm_distributor d
                  LEFT JOIN mlm_dashboard_volume vol ON vol.distributor_id = d.id
                  LEFT JOIN earned ON earned.distributor_id = d.id
                 WHERE d.company_id = %(company)s
                 GROUP BY d.branch_id
                """,
                company=ctx["company"].id,
                period=ctx["period"].id or 0,
                date_from=ctx["date_from"],
                date_to=ctx["date_to"],
                min_pv=ctx["min_pv"],
            )
        )
        rows = self.env.cr.fetchall()
        names = {b.id: b.complete_name for b in self.env["mlm.branch"].browse([r[0] for r in rows if r[0]])}
        currency = ctx["company"].currency_id
        branches = []
        for branch_id, members, active, recruits, pv, bv, prev_pv, prev_bv, earned in rows:
            branches.append(
                {
                    "branch_id": branch_id or False,
                    "name": names.get(branch_id) or self.env._("No branch"),
                    "members": members,
                    "active": active,
                    "recruits": recruits,
                    "pv": round(pv, 2),
                    "bv": currency.round(bv),
                    "prev_pv": round(prev_pv, 2),
                    "prev_bv": currency.round(prev_bv),
                    "bv_change": round((bv - prev_bv) / prev_bv * 100, 1) if prev_bv else None,
                    "commissions": currency.round(earned),
                }
            )
        branches.sort(key=lambda row: (-row["bv"], row["name"]))
        return branches

    @api.model
    def _dashboard_kpis(self, ctx, branches, risk_count):
        currency = ctx["company"].currency_id
        total = {
            key: sum(row[key] for row in branches)
            for key in ("members", "active", "recruits", "pv", "bv", "prev_pv", "prev_bv", "commissions")
        }
        self.env.cr.execute(
            SQL(
                "SELECT count(*) FROM mlm_distributor WHERE company_id = %s AND join_date >= %s AND join_date <= %s",
                ctx["company"].id,
                ctx["prev_from"],
                ctx["prev_to"],
            )
        )
        prev_recruits = self.env.cr.fetchone()[0]
        return {
            "pv": round(total["pv"], 2),
            "bv": currency.round(total["bv"]),
            "prev_pv": round(total["prev_pv"], 2),
            "prev_bv": currency.round(total["prev_bv"]),
            "pv_change": round((total["pv"] - total["prev_pv"]) / total["prev_pv"] * 100, 1)
            if total["prev_pv"]
            else None,
            "bv_change": round((total["bv"] - total["prev_bv"]) / total["prev_bv"] * 100, 1)
            if total["prev_bv"]
            else None,
            "members": total["members"],
            "active": total["active"],
            "recruits": total["recruits"],
            "prev_recruits": prev_recruits,
            "commissions": currency.round(total["commissions"]),
            "at_risk": risk_count,
        }

    @api.model
    def _dashboard_targets(self, ctx):
        """Targets overlapping the period, each with the actual PV/BV and recruits over its own dates (a branch
        target counts the branch and its sub-branches)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT t.id, t.target_pv::float8, t.target_bv::float8, t.target_recruits,
                       vol.pv::float8, vol.bv::float8, rec.n
                  FROM mlm_sales_target t
                  LEFT JOIN mlm_branch tb ON tb.id = t.branch_id
                 CROSS JOIN LATERAL (
                        SELECT COALESCE(sum(v.pv), 0) AS pv, COALESCE(sum(v.bv), 0) AS bv
                          FROM mlm_volume_line v
                          JOIN mlm_distributor d ON d.id = v.distributor_id
                          LEFT JOIN mlm_branch db ON db.id = d.branch_id
                         WHERE v.company_id = t.company_id AND v.date >= t.date_from AND v.date <= t.date_to
                           AND (t.branch_id IS NULL OR starts_with(db.parent_path, tb.parent_path))) vol
                 CROSS JOIN LATERAL (
                        SELECT count(*) AS n
                          FROM mlm_distributor d
                          LEFT JOIN mlm_branch db ON db.id = d.branch_id
                         WHERE d.company_id = t.company_id AND d.join_date >= t.date_from AND d.join_date <= t.date_to
                           AND (t.branch_id IS NULL OR starts_with(db.parent_path, tb.parent_path))) rec
                 WHERE t.company_id = %(company)s AND t.date_from <= %(date_to)s AND t.date_to >= %(date_from)s
                 ORDER BY t.branch_id NULLS FIRST, t.date_from, t.id
                """,
                company=ctx["company"].id,
                date_from=ctx["date_from"],
                date_to=ctx["date_to"],
            )
        )
        rows = self.env.cr.fetchall()
        targets = self.env["mlm.sales.target"].browse([r[0] for r in rows])
        by_id = {t.id: t for t in targets}
        currency = ctx["company"].currency_id

        def percent(actual, target):
            return round(actual / target * 100, 1) if target else None

        result = []
        for target_id, target_pv, target_bv, target_recruits, pv, bv, recruits in rows:
            target = by_id[target_id]
            result.append(
                {
                    "id": target_id,
                    "name": target.branch_id.complete_name or self.env._("Whole company"),
                    "date_from": fields.Date.to_string(target.date_from),
                    "date_to": fields.Date.to_string(target.date_to),
                    "target_pv": round(target_pv or 0.0, 2),
                    "actual_pv": round(pv, 2),
                    "pv_percent": percent(pv, target_pv),
                    "target_bv": currency.round(target_bv or 0.0),
                    "actual_bv": currency.round(bv),
                    "bv_percent": percent(bv, target_bv),
                    "target_recruits": target_recruits or 0,
                    "actual_recruits": recruits,
                    "recruits_percent": percent(recruits, target_recruits),
                }
            )
        return result

    @api.model
    def _dashboard_top(self, ctx):
        """The top earners of the period's statements and the top PV of the ledger, with last period's figures."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT s.distributor_id, s.total::float8, s.paid_rank_id, COALESCE(p.total, 0)::float8
                  FROM mlm_commission_statement s
                  LEFT JOIN mlm_commission_statement p
                         ON p.distributor_id = s.distributor_id AND p.period_id = %(previous)s
                 WHERE s.period_id = %(period)s AND s.total > 0
                 ORDER BY s.total DESC, s.distributor_id
                 LIMIT %(limit)s
                """,
                period=ctx["period"].id or 0,
                previous=ctx["previous"].id or 0,
                limit=TOP_LIMIT,
            )
        )
        earners = cr.fetchall()
        cr.execute(
            SQL(
                """
                SELECT distributor_id, COALESCE(pv, 0), COALESCE(prev_pv, 0)
                  FROM mlm_dashboard_volume
                 WHERE pv > 0
                 ORDER BY pv DESC, distributor_id
                 LIMIT %s
                """,
                TOP_LIMIT,
            )
        )
        by_pv = cr.fetchall()
        distributors = self._dashboard_names([r[0] for r in earners] + [r[0] for r in by_pv])
        ranks = {r.id: r.name for r in self.env["mlm.rank"].browse({r[2] for r in earners if r[2]})}
        currency = ctx["company"].currency_id
        top_earners = [
            dict(
                distributors[dist_id],
                rank=ranks.get(rank_id, ""),
                total=currency.round(total),
                prev_total=currency.round(prev_total),
            )
            for dist_id, total, rank_id, prev_total in earners
        ]
        top_pv = [dict(distributors[dist_id], pv=round(pv, 2), prev_pv=round(prev, 2)) for dist_id, pv, prev in by_pv]
        return top_earners, top_pv

    @api.model
    def _dashboard_at_risk(self, ctx):
        """Statements of the period flagged at risk (short of their rank, or activity falling), most PV lost first."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT s.id, s.distributor_id, s.risk, d.rank_id, s.paid_rank_id, s.pv::float8,
                       COALESCE(p.pv, 0)::float8, count(*) OVER ()
                  FROM mlm_commission_statement s
                  JOIN mlm_distributor d ON d.id = s.distributor_id
                  LEFT JOIN mlm_commission_statement p
                         ON p.distributor_id = s.distributor_id AND p.period_id = %(previous)s
                 WHERE s.period_id = %(period)s AND s.risk IS NOT NULL
                 ORDER BY COALESCE(p.pv, 0) - s.pv DESC, s.id
                 LIMIT %(limit)s
                """,
                period=ctx["period"].id or 0,
                previous=ctx["previous"].id or 0,
                limit=RISK_LIMIT,
            )
        )
        rows = cr.fetchall()
        distributors = self._dashboard_names([r[1] for r in rows])
        ranks = {r.id: r.name for r in self.env["mlm.rank"].browse({rank for r in rows for rank in r[3:5] if rank})}
        labels = dict(self.env["mlm.commission.statement"]._fields["risk"]._description_selection(self.env))
        at_risk = [
            dict(
                distributors[dist_id],
                statement_id=statement_id,
                risk=risk,
                risk_label=labels.get(risk, risk),
                rank=ranks.get(rank_id, ""),
                paid_rank=ranks.get(paid_rank_id, ""),
                pv=round(pv, 2),
                prev_pv=round(prev_pv, 2),
            )
            for statement_id, dist_id, risk, rank_id, paid_rank_id, pv, prev_pv, _count in rows
        ]
        return at_risk, rows[0][7] if rows else 0

    @api.model
    def _dashboard_names(self, distributor_ids):
        """{id: {distributor_id, name, code}} in one read."""
        distributors = self.env["mlm.distributor"].browse(set(distributor_ids))
        return {
            d["id"]: {"distributor_id": d["id"], "name": d["name"], "code": d["code"] or ""}
            for d in distributors.read(["name", "code"])
        }
