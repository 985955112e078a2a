from odoo import models


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _get_translation_frontend_modules_name(cls):
        """The website's pages load the JavaScript terms of these add-ons: ours too (the genealogy tree, the copy
        buttons), with the Kazakh of Odoo's own JavaScript terms in i18n_extra/kk.po."""
        return [*super()._get_translation_frontend_modules_name(), "mlm_portal"]
