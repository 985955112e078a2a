from odoo import api, fields, models
from odoo.exceptions import ValidationError


class MlmPlanRank(models.Model):
    _name = "mlm.plan.rank"
    _description = "Rank Rule of a Compensation Plan"
    _order = "plan_id, rank_sequence, id"

    plan_id = fields.Many2one("mlm.plan", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="plan_id.company_id", store=True)
    currency_id = fields.Many2one(related="plan_id.currency_id")
    rank_id = fields.Many2one("mlm.rank", required=True, ondelete="restrict")
    rank_sequence = fields.Integer(related="rank_id.sequence", store=True)
    min_pv = fields.Float(string="Min. PV")
    min_gv = fields.Float(string="Min. GV")
    max_leg_share = fields.Float(
        string="Max. Leg Share",
        default=1.0,
        help="Each leg counts at most this share of the minimum GV (1.0 = no cap).",
    )
    min_legs = fields.Integer(string="Qualified Legs")
    leg_rank_id = fields.Many2one("mlm.rank", help="Rank a leg must hold somewhere to qualify.")
    paid_levels = fields.Integer(help="Unilevel levels paid to this rank.")
    matching_generations = fields.Integer()
    advancement_bonus = fields.Monetary(help="Paid once, on first reaching the rank.")

    _sql_constraints = [("plan_rank_uniq", "unique(plan_id, rank_id)", "A rank appears once per plan.")]

    @api.constrains("max_leg_share", "min_legs", "paid_levels", "matching_generations", "min_pv", "min_gv")
    def _check_values(self):
        for rule in self:
            if (
                rule.max_leg_share <= 0
                or min(rule.min_legs, rule.paid_levels, rule.matching_generations) < 0
                or rule.min_pv < 0
                or rule.min_gv < 0
            ):
                raise ValidationError(self.env._("Rank rule values must be positive."))

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
