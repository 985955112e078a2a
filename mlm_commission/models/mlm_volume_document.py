from odoo import api, fields, models


class MlmVolumeDocument(models.AbstractModel):
    """The PV/BV totals of a sales document (order, invoice) and the company's "volume counts on" setting.

    A document model inherits this and names the one2many of its lines that carry ``mlm_pv``/``mlm_bv`` in
    ``_mlm_volume_lines_field``: the totals, their dependencies and the label are declared once here.
    """

    _name = "mlm.volume.document.mixin"
    _description = "Document with PV and BV totals"
    _mlm_volume_lines_field = None

    # declared for the mixin's own setup; the documents' own definitions of both fields take precedence
    company_id = fields.Many2one("res.company")
    currency_id = fields.Many2one("res.currency")
    mlm_pv_total = fields.Float(
        string="Total PV", compute="_compute_mlm_volume_total", store=True, digits="Product Unit of Measure"
    )
    mlm_bv_total = fields.Monetary(string="Total BV", compute="_compute_mlm_volume_total", store=True)
    mlm_volume_trigger = fields.Selection(
        related="company_id.mlm_volume_trigger",
        string="Volume Counts On",
        help="When this document's PV and BV reach the volume ledger (the company's setting).",
    )

    @api.depends(lambda self: (f"{self._mlm_volume_lines_field}.mlm_pv", f"{self._mlm_volume_lines_field}.mlm_bv"))
    def _compute_mlm_volume_total(self):
        for document in self:
            lines = document[self._mlm_volume_lines_field]
            document.mlm_pv_total = sum(lines.mapped("mlm_pv"))
            document.mlm_bv_total = sum(lines.mapped("mlm_bv"))
