from odoo import fields, models, tools
from odoo.tools import SQL

HORIZON_DAYS = 100


class MlmAutoshipForecast(models.Model):
    """Every upcoming cycle of the active autoships over the next ~3 months (a view): the calendar of upcoming
    charges and the forecast of the next periods' autoship volume and revenue, at the autoships' current prices."""

    _name = "mlm.autoship.forecast"
    _description = "Upcoming Autoship Cycle"
    _auto = False
    _order = "cycle_date, autoship_id"
    _rec_name = "autoship_id"
    _depends = {
        "mlm.autoship": [
            "partner_id",
            "distributor_id",
            "owner_type",
            "company_id",
            "next_date",
            "frequency",
            "month_day",
            "interval_weeks",
            "state",
            "amount_total",
            "pv_total",
        ]
    }

    autoship_id = fields.Many2one("mlm.autoship", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Owner", readonly=True)
    distributor_id = fields.Many2one("mlm.distributor", readonly=True)
    owner_type = fields.Selection([("distributor", "Distributor"), ("customer", "Customer")], readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    cycle_date = fields.Date(readonly=True)
    amount_total = fields.Monetary(string="Revenue", readonly=True)
    pv_total = fields.Float(string="PV", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE VIEW mlm_autoship_forecast AS
                SELECT row_number() OVER (ORDER BY c.cycle_date, a.id) AS id, a.id AS autoship_id, a.partner_id,
                       a.distributor_id, a.owner_type, a.company_id, c.cycle_date, a.amount_total, a.pv_total
                  FROM mlm_autoship a
                  CROSS JOIN LATERAL (
                       SELECT a.next_date AS cycle_date
                       UNION ALL
                       SELECT (a.next_date + (k * 7 * GREATEST(a.interval_weeks, 1)))::date
                         FROM generate_series(1, %(horizon)s / 7) k
                        WHERE a.frequency = 'weekly'
                       UNION ALL
                       SELECT (date_trunc('month', a.next_date) + make_interval(months => k)
                               + make_interval(days => LEAST(GREATEST(a.month_day, 1),
                                   extract(day FROM date_trunc('month', a.next_date) + make_interval(months => k + 1)
                                           - interval '1 day')::int) - 1))::date
                         FROM generate_series(1, %(months)s) k
                        WHERE a.frequency = 'monthly'
                  ) c
                 WHERE a.state = 'active'
                   AND c.cycle_date <= CURRENT_DATE + %(horizon)s
                """,
                horizon=HORIZON_DAYS,
                months=HORIZON_DAYS // 28 + 1,
            )
        )
