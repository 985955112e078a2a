import io

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL


class MlmIncomeDisclosure(models.TransientModel):
    _name = "mlm.income.disclosure"
    _description = "Income Disclosure Statement"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date_from = fields.Date(
        required=True, default=lambda self: fields.Date.context_today(self) - relativedelta(years=1, day=1)
    )
    date_to = fields.Date(
        required=True, default=lambda self: fields.Date.context_today(self) - relativedelta(months=0, day=1, days=1)
    )
    result_html = fields.Html(compute="_compute_result_html", sanitize=False)

    def _get_rows(self):
        """Per paid rank (each distributor's highest paid rank over the closed periods of the range):
        distributors, median, mean, and share earning nothing over the whole range."""
        self.ensure_one()
        self.env["mlm.commission.statement"].flush_model()
        self.env["mlm.commission.period"].flush_model()
        self.env.cr.execute(
            SQL(
                """
            WITH per AS (
                SELECT s.distributor_id, sum(s.total) AS earned,
                       (array_agg(s.paid_rank_id ORDER BY r.sequence DESC NULLS LAST))[1] AS rank_id
                  FROM mlm_commission_statement s
                  JOIN mlm_commission_period p ON p.id = s.period_id
                  LEFT JOIN mlm_rank r ON r.id = s.paid_rank_id
                 WHERE p.company_id = %(company)s AND p.state IN ('closed', 'paid')
                   AND p.date_from >= %(start)s AND p.date_to <= %(end)s
                 GROUP BY s.distributor_id
            )
            SELECT per.rank_id, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY per.earned),
                   avg(per.earned), avg((per.earned <= 0)::int), max(per.earned)
              FROM per LEFT JOIN mlm_rank r ON r.id = per.rank_id
             GROUP BY per.rank_id, r.sequence
             ORDER BY r.sequence NULLS FIRST
            """,
                company=self.company_id.id,
                start=self.date_from,
                end=self.date_to,
            )
        )
        rows = self.env.cr.fetchall()
        ranks = self.env["mlm.rank"].browse([r[0] for r in rows if r[0]])
        names = {rank.id: rank.name for rank in ranks}
        currency = self.currency_id
        return [
            {
                "rank": names.get(rank_id, self.env._("No rank")),
                "count": count,
                "median": currency.round(median),
                "mean": currency.round(mean),
                "zero_share": round(zero * 100, 1),
                "max": currency.round(top),
            }
            for rank_id, count, median, mean, zero, top in rows
        ]

    def _headers(self):
        return [
            self.env._("Paid rank"),
            self.env._("Distributors"),
            self.env._("Median"),
            self.env._("Mean"),
            self.env._("Earning nothing (%)"),
            self.env._("Highest"),
        ]

    @api.depends("company_id", "date_from", "date_to")
    def _compute_result_html(self):
        QWeb = self.env["ir.qweb"]
        for wizard in self:
            wizard.result_html = QWeb._render("mlm_commission.income_disclosure_body", wizard._report_values())

    def _report_values(self):
        """What the screen and the PDF show: the rows, the currency and the bar chart (an SVG built by QWeb)."""
        self.ensure_one()
        rows = self._get_rows()
        return {
            "o": self,
            "rows": rows,
            "headers": self._headers(),
            "currency": self.currency_id,
            "chart": self._chart(rows),
        }

    def _chart(self, rows):
        """Geometry of the bar chart of distributors per paid rank (one horizontal bar per rank), for the SVG."""
        top = max([row["count"] for row in rows] or [0]) or 1
        label_width, bar_width, height, gap = 160, 340, 22, 8
        bars = [
            {
                "rank": row["rank"],
                "count": row["count"],
                "mean": row["mean"],
                "y": i * (height + gap),
                "width": round(bar_width * row["count"] / top, 1),
            }
            for i, row in enumerate(rows)
        ]
        return {
            "bars": bars,
            "label_width": label_width,
            "bar_height": height,
            "width": label_width + bar_width + 140,
            "height": max(len(bars) * (height + gap), height),
        }

    def action_print(self):
        self.ensure_one()
        return self.env.ref("mlm_commission.action_report_income_disclosure").report_action(self)

    def _export_xlsx(self):
        self.ensure_one()
        import xlsxwriter  # external dependency, loaded on use

        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = workbook.add_worksheet(self.env._("Income disclosure"))
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        sheet.write(
            0, 0, self.env._("Income disclosure %(start)s - %(end)s", start=self.date_from, end=self.date_to), bold
        )
        for col, title in enumerate(self._headers()):
            sheet.write(2, col, title, bold)
        for i, row in enumerate(self._get_rows(), start=3):
            sheet.write(i, 0, row["rank"])
            sheet.write_number(i, 1, row["count"])
            sheet.write_number(i, 2, row["median"], money)
            sheet.write_number(i, 3, row["mean"], money)
            sheet.write_number(i, 4, row["zero_share"])
            sheet.write_number(i, 5, row["max"], money)
        sheet.set_column(0, 5, 18)
        workbook.close()
        return buffer.getvalue()

    def action_export_xlsx(self):
        self.ensure_one()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._("Income disclosure %(start)s %(end)s.xlsx", start=self.date_from, end=self.date_to),
                "raw": self._export_xlsx(),
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}
