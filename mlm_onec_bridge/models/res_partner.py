# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import uuid

from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    onec_guid = fields.Char(
        string="1C GUID",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="Ид of the counterparty in the exchange with 1C (set on first export).",
    )
    onec_kpp = fields.Char(string="KPP", size=9, help="Russian tax registration reason code (КПП) of a company.")

    def _onec_ensure_guid(self):
        """Give every partner of the recordset a stable 1C GUID (one write per partner without one)."""
        for partner in self.filtered(lambda p: not p.onec_guid):
            partner.onec_guid = str(uuid.uuid4())
        return self
