from odoo import fields, models
from odoo.http import request

REFERRAL_COOKIE = "mlm_ref"


class Website(models.Model):
    _inherit = "website"

    def _get_product_available_qty(self, product, **kwargs):
        """What the shop may sell: Odoo's free quantity less the lots already past their expiry date, which the
        delivery will never pick (product_expiry reserves only lots that have not expired)."""
        free_qty = super()._get_product_available_qty(product, **kwargs)
        if not product.use_expiration_date:
            return free_qty
        location = self.warehouse_id.view_location_id
        domain = [
            ("product_id", "=", product.id),
            ("location_id.usage", "=", "internal"),
            ("expiration_date", "<", fields.Datetime.now()),
        ]
        if location:
            domain.append(("location_id", "child_of", location.id))
        groups = self.env["stock.quant"].sudo()._read_group(domain, [], ["quantity:sum", "reserved_quantity:sum"])
        expired = (groups[0][0] or 0.0) - (groups[0][1] or 0.0) if groups else 0.0
        return max(free_qty - max(expired, 0.0), 0.0)

    def _prepare_sale_order_values(self, partner_sudo):
        """A web shop order remembers the distributor whose referral link the visitor followed (cookie)."""
        values = super()._prepare_sale_order_values(partner_sudo)
        referrer = self._mlm_referrer_from_request()
        if referrer:
            values["mlm_referrer_id"] = referrer.id
        return values

    def _mlm_referrer_from_request(self):
        """The living distributor named by the visitor's referral cookie, in this website's company."""
        code = request and request.httprequest.cookies.get(REFERRAL_COOKIE)
        if not code:
            return self.env["mlm.distributor"]
        return (
            self.env["mlm.distributor"]
            .sudo()
            .search(
                [("code", "=", code[:32]), ("company_id", "=", self.company_id.id), ("status", "!=", "terminated")],
                limit=1,
            )
        )
