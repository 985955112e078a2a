from odoo import models


class MlmPlanLevel(models.Model):
    _name = "mlm.plan.level"
    _inherit = "mlm.plan.level.mixin"
    _description = "Unilevel Rate of a Compensation Plan"
    _order = "plan_id, level"
    _plan_levels_field = "level_ids"

    _sql_constraints = [("plan_level_uniq", "unique(plan_id, level)", "A level appears once per plan.")]

    def _levels_gap_message(self):
        return self.env._("Unilevel levels must be 1, 2, 3 ... without gaps.")
