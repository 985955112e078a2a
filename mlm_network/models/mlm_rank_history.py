from odoo import fields, models


class MlmRankHistory(models.Model):
    _name = "mlm.rank.history"
    _description = "Distributor Rank History"
    _order = "date desc, id desc"

    distributor_id = fields.Many2one("mlm.distributor", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="distributor_id.company_id", store=True, index=True)
    rank_id = fields.Many2one("mlm.rank", required=True, ondelete="restrict")
    previous_rank_id = fields.Many2one("mlm.rank", ondelete="restrict")
    date = fields.Date(required=True, default=fields.Date.context_today)
    reason = fields.Char()
    user_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
