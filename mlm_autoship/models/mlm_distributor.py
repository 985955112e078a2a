from odoo import api, models
from odoo.tools import SQL


class MlmDistributor(models.Model):
    _inherit = "mlm.distributor"

    @api.model
    def _mlm_standing_pv_query(self, date_to, where):
        """PV per cycle of the distributors' own active autoships started by the period's end (one grouped query:
        a hash join at a million distributors, not an index probe per distributor)."""
        self.env["mlm.autoship"].flush_model(["distributor_id", "owner_type", "state", "start_date", "pv_total"])
        return SQL(
            """SELECT a.distributor_id, SUM(a.pv_total)::float8
                 FROM mlm_autoship a JOIN mlm_distributor d ON d.id = a.distributor_id
                WHERE a.owner_type = 'distributor' AND a.state = 'active' AND a.start_date <= %s AND %s
                GROUP BY a.distributor_id""",
            date_to,
            where,
        )

    @api.model
    def _mlm_standing_version_sql(self, company):
        """Every version of the company's autoships: a row written in any way is a new row version (a new ``xmin``
        or ``ctid``)."""
        self.env["mlm.autoship"].flush_model()
        return SQL(
            "(SELECT COALESCE(sum(hashtextextended(a.xmin::text || a.ctid::text, a.id)), 0) + count(*)"
            " FROM mlm_autoship a WHERE a.company_id = %s)",
            company.id,
        )
