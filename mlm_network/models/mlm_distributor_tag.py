from odoo import fields, models


class MlmDistributorTag(models.Model):
    _name = "mlm.distributor.tag"
    _description = "Distributor Tag (group or team)"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    color = fields.Integer()
    active = fields.Boolean(default=True)

    _sql_constraints = [("name_uniq", "unique (name)", "A tag with this name already exists.")]
