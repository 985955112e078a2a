"""The cleanup that stands in for foreign keys on the result tables (see ``tools/result_table.py``).

Each model a result table references runs, before its rows are deleted, the ``cascade`` / ``set null`` rules the
tables declare for it; ``restrict`` references are refused by the model's own ``ondelete`` check (distributors).
"""

from odoo import models

from ..tools.result_table import cleanup_references


class MlmResultReferenced(models.AbstractModel):
    _name = "mlm.result.referenced"
    _description = "Referenced by Commission Results"

    def unlink(self):
        if self.ids:
            for model in ("mlm.commission.line", "mlm.commission.statement"):
                self.env[model].flush_model()
            cleanup_references(self.env.cr, self._table, self.ids)
            for model in ("mlm.commission.line", "mlm.commission.statement"):
                self.env[model].invalidate_model()
        return super().unlink()


class MlmRank(models.Model):
    _name = "mlm.rank"
    _inherit = ["mlm.rank", "mlm.result.referenced"]


class AccountPayment(models.Model):
    _name = "account.payment"
    _inherit = ["account.payment", "mlm.result.referenced"]


class AccountMove(models.Model):
    _name = "account.move"
    _inherit = ["account.move", "mlm.result.referenced"]


class MlmDistributor(models.Model):
    _name = "mlm.distributor"
    _inherit = ["mlm.distributor", "mlm.result.referenced"]
