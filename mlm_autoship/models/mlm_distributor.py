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
