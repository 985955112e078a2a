from odoo import fields, models


class MlmRank(models.Model):
    _name = "mlm.rank"
    _description = "Distributor Rank"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char()
    sequence = fields.Integer(default=10, help="Higher sequence means a higher rank.")
    color = fields.Integer()
    badge = fields.Image(max_width=256, max_height=256)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", index=True, help="Leave empty to share the rank between companies.")
    distributor_count = fields.Integer(compute="_compute_distributor_count")

    def _compute_distributor_count(self):
        counts = dict(self.env["mlm.distributor"]._read_group([("rank_id", "in", self.ids)], ["rank_id"], ["__count"]))
        for rank in self:
            rank.distributor_count = counts.get(rank, 0)

    def _is_above(self, other):
        """True when this rank is higher than ``other`` (an empty ``other`` is below every rank)."""
        self.ensure_one()
        return not other or (self.sequence, self.id) > (other.sequence, other.id)
