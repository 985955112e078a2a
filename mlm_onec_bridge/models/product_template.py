# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import api, fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    onec_guid = fields.Char(
        string="1C GUID",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="Ид of the product in 1C; the key of the CommerceML exchange.",
    )
    onec_hash = fields.Char(
        copy=False,
        readonly=True,
        groups="base.group_system",
        help="Fingerprint of the last imported data: an unchanged product is not rewritten.",
    )
    onec_article = fields.Char(
        string="1C Article",
        copy=False,
        readonly=True,
        help="Артикул 1C gives the product: the reference of its variants whose characteristic has none of its own.",
    )
    onec_properties = fields.Json(string="1C Properties", copy=False, readonly=True)
    onec_backend_id = fields.Many2one(
        "mlm.onec.backend",
        string="1C Exchange Node",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        groups="base.group_user",
        help="The exchange node (1C database) whose catalog the product comes from: a full export of that node "
        "archives its missing products only.",
    )
    onec_properties_text = fields.Text(string="1C Properties and Requisites", compute="_compute_onec_properties_text")
    onec_stock_ids = fields.One2many("mlm.onec.stock", "product_tmpl_id", string="1C Stock Levels")
    onec_qty_available = fields.Float(
        string="1C Stock", compute="_compute_onec_qty_available", digits="Product Unit of Measure"
    )

    @api.depends("onec_properties")
    def _compute_onec_properties_text(self):
        for product in self:
            data = product.onec_properties or {}
            product.onec_properties_text = "\n".join(f"{key}: {value}" for key, value in data.items())

    @api.depends("onec_stock_ids.quantity")
    def _compute_onec_qty_available(self):
        totals = dict(
            self.env["mlm.onec.stock"]._read_group(
                [("product_tmpl_id", "in", self.ids)], ["product_tmpl_id"], ["quantity:sum"]
            )
        )
        for product in self:
            product.onec_qty_available = totals.get(product, 0.0)

    def _is_combination_possible(self, combination, parent_combination=None, ignore_no_variant=False):
        """A product with 1C characteristics sells exactly those: a combination of its (dynamic) attribute
        values that is no 1C characteristic is not possible, so neither the shop nor a sale creates it."""
        possible = super()._is_combination_possible(
            combination, parent_combination=parent_combination, ignore_no_variant=ignore_no_variant
        )
        if not possible or not self.onec_guid or self.env.context.get("onec_import"):
            return possible
        variants = self.with_context(active_test=False).product_variant_ids
        if not any(variants.mapped("onec_variant_guid")):
            return possible
        variant = self._get_variant_for_combination(combination)
        return bool(variant.onec_variant_guid and variant.active)


class ProductProduct(models.Model):
    _inherit = "product.product"

    onec_variant_guid = fields.Char(
        string="1C Characteristic GUID",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="Ид of the product's characteristic in 1C (<product>#<characteristic>): the variant's exchange key.",
    )
