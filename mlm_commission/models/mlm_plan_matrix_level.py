from odoo import models


class MlmPlanMatrixLevel(models.Model):
    _name = "mlm.plan.matrix.level"
    _inherit = "mlm.plan.level.mixin"
    _description = "Matrix Level Rate of a Compensation Plan"
    _order = "plan_id, level"
    _plan_levels_field = "matrix_level_ids"

    _sql_constraints = [("plan_matrix_level_uniq", "unique(plan_id, level)", "A level appears once per plan.")]

    def _levels_gap_message(self):
        return self.env._("Matrix levels must be 1, 2, 3 ... without gaps.")
