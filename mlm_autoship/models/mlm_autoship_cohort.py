from odoo import fields, models, tools
from odoo.tools import SQL


class MlmAutoshipCohort(models.Model):
    """Retention by start-month cohort (a view): one row per autoship and month since its start, up to the month it
    was cancelled (or this month). Count per cohort and month offset = autoships still running; the pivot's
    cohort rows against the offset columns is the retention table, ``cancelled`` the churn."""

    _name = "mlm.autoship.cohort"
    _description = "Autoship Retention by Cohort"
    _auto = False
    _order = "cohort_month, month_offset"
    _depends = {"mlm.autoship": ["company_id", "owner_type", "start_date", "end_date", "state"]}

    autoship_id = fields.Many2one("mlm.autoship", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    owner_type = fields.Selection([("distributor", "Distributor"), ("customer", "Customer")], readonly=True)
    cohort_month = fields.Date(string="Start Month", readonly=True)
    month_offset = fields.Integer(string="Months Since Start", readonly=True)
    cancelled = fields.Boolean(string="Cancelled That Month", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW mlm_autoship_cohort AS
                SELECT row_number() OVER (ORDER BY a.id, m.k) AS id, a.id AS autoship_id, a.company_id,
                       a.owner_type, date_trunc('month', a.start_date)::date AS cohort_month, m.k AS month_offset,
                       (a.state = 'cancelled' AND date_trunc('month', a.end_date) =
                        date_trunc('month', a.start_date) + make_interval(months => m.k)) AS cancelled
                  FROM mlm_autoship a
                  CROSS JOIN LATERAL generate_series(
                       0,
                       ((extract(year FROM COALESCE(a.end_date, CURRENT_DATE)) - extract(year FROM a.start_date))
                        * 12 + extract(month FROM COALESCE(a.end_date, CURRENT_DATE))
                        - extract(month FROM a.start_date))::int
                  ) AS m(k)
                """
            )
        )
