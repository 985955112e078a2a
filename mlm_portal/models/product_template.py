from odoo import models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    def _get_additionnal_combination_info(self, product_or_template, quantity, date, website):
        """The shop shows each product's PV next to its price."""
        info = super()._get_additionnal_combination_info(product_or_template, quantity, date, website)
        if product_or_template._name == "product.product":
            info["mlm_pv"] = product_or_template.mlm_pv_effective
        else:
            info["mlm_pv"] = product_or_template.mlm_pv
        return info
