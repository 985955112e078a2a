# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class MlmOnecProperty(models.Model):
    """A property of 1C's classifier (``Свойство``), remembered per exchange node.

    1C 8.3 sends the classifier in a file of its own (``import___*.xml`` with only ``Классификатор``) and the
    goods in others, in the same exchange or a later one: product property values name these by ``Ид``."""

    _name = "mlm.onec.property"
    _description = "1C Classifier Property"
    _order = "name, id"

    backend_id = fields.Many2one("mlm.onec.backend", required=True, ondelete="cascade", index=True, readonly=True)
    onec_guid = fields.Char(string="1C GUID", required=True, readonly=True)
    name = fields.Char(required=True, readonly=True)
    value_type = fields.Char(readonly=True)
    values = fields.Json(readonly=True, help="Values of a reference property: {value Ид: text}.")

    _sql_constraints = [
        ("guid_backend_uniq", "unique(backend_id, onec_guid)", "A 1C property is imported once per exchange node."),
    ]
