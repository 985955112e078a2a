import io

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

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
        for wizard in self:
            rows = wizard._get_rows()
            head = Markup("").join(Markup("<th>%s</th>") % h for h in wizard._headers())
            body = Markup("").join(
                Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>")
                % (
                    row["rank"],
                    row["count"],
                    f"{row['median']:.2f}",
                    f"{row['mean']:.2f}",
                    f"{row['zero_share']:.1f}",
                    f"{row['max']:.2f}",
                )
                for row in rows
            )
            wizard.result_html = Markup(
                "<table class='table table-sm'><thead><tr>%s</tr></thead><tbody>%s</tbody></table>"
            ) % (head, body)

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
