from odoo import api, fields, models
from odoo.exceptions import ValidationError


class MlmAutoshipLine(models.Model):
    _name = "mlm.autoship.line"
    _description = "Autoship Product"
    _order = "autoship_id, sequence, id"

    autoship_id = fields.Many2one("mlm.autoship", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(related="autoship_id.company_id", store=True)
    currency_id = fields.Many2one(related="autoship_id.currency_id")
    product_id = fields.Many2one(
        "product.product", required=True, domain="[('sale_ok', '=', True)]", ondelete="restrict"
    )
    quantity = fields.Float(default=1.0, required=True, digits="Product Unit of Measure")
    price_unit = fields.Monetary(
        string="Unit Price",
        compute="_compute_price_unit",
        store=True,
        help="The owner's price today (the pricelist of the shop); each cycle's order is priced again on its day.",
    )
    price_subtotal = fields.Monetary(string="Amount", compute="_compute_subtotals", store=True)
    pv_subtotal = fields.Float(string="PV", compute="_compute_subtotals", store=True, digits="Product Unit of Measure")

    @api.depends("product_id", "quantity", "autoship_id.partner_id")
    def _compute_price_unit(self):
        for line in self:
            partner = line.autoship_id.partner_id
            pricelist = partner.property_product_pricelist
            if not line.product_id:
                line.price_unit = 0.0
            elif pricelist:
                line.price_unit = pricelist._get_product_price(
                    line.product_id, line.quantity or 1.0, currency=line.currency_id
                )
            else:
                line.price_unit = line.product_id.lst_price

    @api.depends("price_unit", "quantity", "product_id.mlm_pv", "product_id.mlm_pv_variant")
    def _compute_subtotals(self):
        for line in self:
            line.price_subtotal = line.price_unit * line.quantity
            line.pv_subtotal = line.product_id._mlm_line_volume(line.quantity)[0] if line.product_id else 0.0

    @api.constrains("quantity")
    def _check_quantity(self):
        if any(line.quantity <= 0 for line in self):
            raise ValidationError(self.env._("An autoship line needs a positive quantity."))

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        for autoship in lines.autoship_id:
            added = lines.filtered(lambda ln, a=autoship: ln.autoship_id == a)
            autoship.message_post(
                body=self.env._("Added: %(products)s", products=", ".join(added.product_id.mapped("display_name")))
            )
        lines.autoship_id._touch_distributors()
        return lines

    def write(self, vals):
        if {"product_id", "quantity"} & set(vals):
            for line in self:
                line.autoship_id.message_post(
                    body=self.env._(
                        "%(product)s x %(old)s changed.", product=line.product_id.display_name, old=line.quantity
                    )
                )
            self.autoship_id._touch_distributors()
        return super().write(vals)

    def unlink(self):
        for line in self:
            line.autoship_id.message_post(body=self.env._("Removed: %(product)s", product=line.product_id.display_name))
        self.autoship_id._touch_distributors()
        return super().unlink()
