from odoo import models


class MlmCommissionStatement(models.Model):
    _inherit = "mlm.commission.statement"

    def _get_report_base_filename(self):
        self.ensure_one()
        return self.env._("Statement %(period)s %(code)s", period=self.period_id.name, code=self.distributor_id.code)
