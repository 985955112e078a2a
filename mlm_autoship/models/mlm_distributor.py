from odoo import api, models
from odoo.tools import SQL


class MlmDistributor(models.Model):
    _inherit = "mlm.distributor"

    @api.model
    def _mlm_standing_pv_sql(self, date_to):
        """PV per cycle of the distributor's own active autoships started by the period's end."""
        self.env["mlm.autoship"].flush_model(["distributor_id", "owner_type", "state", "start_date", "pv_total"])
        return SQL(
            """COALESCE((SELECT SUM(a.pv_total) FROM mlm_autoship a
                          WHERE a.distributor_id = d.id AND a.owner_type = 'distributor' AND a.state = 'active'
                            AND a.start_date <= %s), 0)::float8""",
            date_to,
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
