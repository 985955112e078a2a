from odoo import api, fields, models
from odoo.exceptions import ValidationError


class MlmPlanLevelMixin(models.AbstractModel):
    """A rate per level of a compensation plan (unilevel levels, matrix levels): the plan, the level (1, 2, 3 ...
    without gaps, once per plan: each model declares its own unique constraint) and the rate in %. A plan version in
    use is locked, so are its levels."""

    _name = "mlm.plan.level.mixin"
    _description = "Rate per Level of a Compensation Plan"
    _order = "plan_id, level"
    # the plan's One2many holding this model's levels (the gap check reads the plan's whole list)
    _plan_levels_field = None

    plan_id = fields.Many2one("mlm.plan", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    level = fields.Integer(required=True, default=1)
    rate = fields.Float(string="Rate (%)", required=True)

    @api.constrains("level", "rate")
    def _check_values(self):
        for line in self:
            if line.level < 1 or not 0 <= line.rate <= 100:
                raise ValidationError(self.env._("Levels start at 1 and rates are between 0 and 100 %."))
            levels = sorted(line.plan_id[self._plan_levels_field].mapped("level"))
            if levels != list(range(1, len(levels) + 1)):
                raise ValidationError(self._levels_gap_message())

    def _levels_gap_message(self):
        """The error of levels with a gap (each model names its kind of levels)."""
        return self.env._("Levels must be 1, 2, 3 ... without gaps.")

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
