# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models

# OKEI codes (ОКЕИ) of Odoo's standard units: what 1C sends in ``БазоваяЕдиница Код=...`` and reads on orders
STANDARD_OKEI_CODES = {
    "uom.product_uom_unit": "796",
    "uom.product_uom_kgm": "166",
    "uom.product_uom_gram": "163",
    "uom.product_uom_ton": "168",
    "uom.product_uom_litre": "112",
    "uom.product_uom_cubic_meter": "113",
    "uom.product_uom_meter": "006",
    "uom.product_uom_cm": "004",
    "uom.product_uom_millimeter": "003",
    "uom.product_uom_km": "008",
    "uom.uom_square_meter": "055",
    "uom.product_uom_hour": "356",
    "uom.product_uom_day": "359",
    "uom.product_uom_inch": "039",
    "uom.product_uom_foot": "041",
    "uom.product_uom_yard": "043",
}


class UomUom(models.Model):
    _inherit = "uom.uom"

    onec_okei_code = fields.Char(
        string="OKEI Code",
        index="btree_not_null",
        copy=False,
        help="Code of the unit in the Russian classifier of units (ОКЕИ) 1C exchanges: 796 piece, 166 kg, 112 litre...",
    )

    @api.model
    def _onec_set_okei_codes(self):
        """Give Odoo's standard units their OKEI code (install and update; a code set by hand is kept). Odoo's unit
        records are ``noupdate``: a data record of this module could not write them on update."""
        for xmlid, code in STANDARD_OKEI_CODES.items():
            uom = self.env.ref(xmlid, raise_if_not_found=False)
            if uom and not uom.onec_okei_code:
                uom.onec_okei_code = code
