from odoo import api, fields, models
from odoo.exceptions import ValidationError


class MlmPlanMatrixLevel(models.Model):
    _name = "mlm.plan.matrix.level"
    _description = "Matrix Level Rate of a Compensation Plan"
    _order = "plan_id, level"

    plan_id = fields.Many2one("mlm.plan", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    level = fields.Integer(required=True, default=1)
    rate = fields.Float(string="Rate (%)", required=True)

    _sql_constraints = [("plan_matrix_level_uniq", "unique(plan_id, level)", "A level appears once per plan.")]

    @api.constrains("level", "rate")
    def _check_values(self):
        for line in self:
            if line.level < 1 or not 0 <= line.rate <= 100:
                raise ValidationError(self.env._("Levels start at 1 and rates are between 0 and 100 %."))
            levels = sorted(line.plan_id.matrix_level_ids.mapped("level"))
            if levels != list(range(1, len(levels) + 1)):
                raise ValidationError(self.env._("Matrix levels must be 1, 2, 3 ... without gaps."))

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.plan_id._check_not_locked()
        return records

    def write(self, vals):
        self.plan_id._check_not_locked()
        return super().write(vals)

    def unlink(self):
        self.plan_id._check_not_locked()
        return super().unlink()
