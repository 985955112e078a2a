from werkzeug.exceptions import NotFound

from odoo import Command, fields, http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal

MAX_QTY = 1000


class AutoshipPortal(CustomerPortal):
    """The owner's autoships on the portal. Every route checks the record rule first (``check_access``), then
    works on ``*_sudo`` records through the model's owner methods (``_pause``, ``_skip_next``...)."""

    # ------------------------------------------------------------------ access
    def _autoship_sudo(self, autoship_id):
        autoship = request.env["mlm.autoship"].browse(int(autoship_id))
        try:
            autoship.check_access("read")
            autoship_sudo = autoship.sudo().exists()
        except (AccessError, MissingError) as error:
            raise NotFound() from error
        if not autoship_sudo:
            raise NotFound()
        return autoship_sudo

    def _owner_tokens_sudo(self, partner):
        return (
            request.env["payment.token"]
            .sudo()
            .search(
                [
                    ("partner_id", "child_of", partner.commercial_partner_id.id),
                    ("active", "=", True),
                    ("provider_id.state", "in", ("enabled", "test")),
                ],
                order="id desc",
            )
        )

    def _sellable_product_sudo(self, product_id):
        product = request.env["product.product"].sudo().browse(int(product_id or 0)).exists()
        if not product or not product.sale_ok or not product.active or not product.is_published:
            raise NotFound()
        return product

    @staticmethod
    def _qty(value):
        try:
            qty = float(value or 1)
        except ValueError:
            return 1.0
        return min(max(qty, 0.0), MAX_QTY)

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "autoship_count" in counters:
            values["autoship_count"] = request.env["mlm.autoship"].search_count([("state", "!=", "cancelled")])
        return values

    # ------------------------------------------------------------------ pages
    @http.route("/my/autoships", type="http", auth="user", website=True, readonly=True)
    def portal_my_autoships(self, **kw):
        autoships = request.env["mlm.autoship"].search([], order="state, next_date")
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "autoships", "autoships": autoships})
        return request.render("mlm_autoship.portal_my_autoships", values)

    @http.route("/my/autoship/<int:autoship_id>", type="http", auth="user", website=True, readonly=True)
    def portal_my_autoship(self, autoship_id, **kw):
        autoship_sudo = self._autoship_sudo(autoship_id)
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "page_name": "autoship",
                "autoship": autoship_sudo,
                "tokens": self._owner_tokens_sudo(autoship_sudo.partner_id),
                "products": request.env["product.product"]
                .sudo()
                .search([("sale_ok", "=", True), ("is_published", "=", True)], limit=200, order="name"),
                "cycles": autoship_sudo.cycle_ids[:12],
                "message": kw.get("message"),
                "error": kw.get("error"),
                "today": fields.Date.context_today(autoship_sudo),
            }
        )
        return request.render("mlm_autoship.portal_my_autoship", values)

    # ------------------------------------------------------------------ owner's changes
    def _back(self, autoship_sudo, message=None, error=None):
        url = f"/my/autoship/{autoship_sudo.id}"
        if message:
            url += f"?message={message}"
        elif error:
            url += f"?error={error}"
        return request.redirect(url)

    @http.route("/my/autoship/<int:autoship_id>/skip", type="http", auth="user", website=True, methods=["POST"])
    def portal_autoship_skip(self, autoship_id, **kw):
        autoship_sudo = self._autoship_sudo(autoship_id)
        autoship_sudo._skip_next()
        return self._back(autoship_sudo, message="skipped")

    @http.route("/my/autoship/<int:autoship_id>/pause", type="http", auth="user", website=True, methods=["POST"])
    def portal_autoship_pause(self, autoship_id, **kw):
        autoship_sudo = self._autoship_sudo(autoship_id)
        autoship_sudo._pause(request.env._("Paused by the owner on the portal."))
        return self._back(autoship_sudo, message="paused")

    @http.route("/my/autoship/<int:autoship_id>/resume", type="http", auth="user", website=True, methods=["POST"])
    def portal_autoship_resume(self, autoship_id, **kw):
        autoship_sudo = self._autoship_sudo(autoship_id)
        autoship_sudo._resume()
        return self._back(autoship_sudo, message="resumed")

    @http.route("/my/autoship/<int:autoship_id>/cancel", type="http", auth="user", website=True, methods=["POST"])
    def portal_autoship_cancel(self, autoship_id, **kw):
        autoship_sudo = self._autoship_sudo(autoship_id)
        autoship_sudo._cancel()
        return self._back(autoship_sudo, message="cancelled")

    @http.route("/my/autoship/<int:autoship_id>/date", type="http", auth="user", website=True, methods=["POST"])
    def portal_autoship_date(self, autoship_id, next_date=None, **kw):
        autoship_sudo = self._autoship_sudo(autoship_id)
        try:
            autoship_sudo._set_next_date(fields.Date.to_date(next_date))
        except (ValueError, TypeError, ValidationError):
            return self._back(autoship_sudo, error="date")
        return self._back(autoship_sudo, message="date")

    @http.route("/my/autoship/<int:autoship_id>/card", type="http", auth="user", website=True, methods=["POST"])
    def portal_autoship_card(self, autoship_id, token_id=None, **kw):
        autoship_sudo = self._autoship_sudo(autoship_id)
        token = self._owner_tokens_sudo(autoship_sudo.partner_id).filtered(lambda t: str(t.id) == str(token_id))
        if not token:
            return self._back(autoship_sudo, error="card")
        autoship_sudo.payment_token_id = token
        autoship_sudo._retry_after_card_update()
        return self._back(autoship_sudo, message="card")

    @http.route("/my/autoship/<int:autoship_id>/line", type="http", auth="user", website=True, methods=["POST"])
    def portal_autoship_line(self, autoship_id, product_id=None, quantity=1, line_id=None, **kw):
        """Add a product, change a line's quantity (0 removes it) or swap its product."""
        autoship_sudo = self._autoship_sudo(autoship_id)
        if autoship_sudo.state == "cancelled":
            return self._back(autoship_sudo, error="cancelled")
        qty = self._qty(quantity)
        line_sudo = autoship_sudo.line_ids.filtered(lambda ln: str(ln.id) == str(line_id)) if line_id else None
        if line_id and not line_sudo:
            raise NotFound()
        if line_sudo and not qty:
            if len(autoship_sudo.line_ids) == 1:
                return self._back(autoship_sudo, error="last_line")
            line_sudo.unlink()
        elif line_sudo:
            vals = {"quantity": qty}
            if product_id:
                vals["product_id"] = self._sellable_product_sudo(product_id).id
            line_sudo.write(vals)
        elif qty:
            product = self._sellable_product_sudo(product_id)
            autoship_sudo.line_ids = [Command.create({"product_id": product.id, "quantity": qty})]
        return self._back(autoship_sudo, message="products")

    # ------------------------------------------------------------------ sign-up from the shop
    @http.route("/shop/autoship", type="http", auth="user", website=True, methods=["POST"])
    def shop_autoship_create(self, product_id=None, quantity=1, month_day=None, **kw):
        """ "Deliver every month": the product of the product page, or the cart's products, as a new autoship of the
        user, charged from next month on the chosen day (today's cart is checked out as usual)."""
        partner = request.env.user.partner_id
        if product_id:
            product = self._sellable_product_sudo(product_id)
            lines = [Command.create({"product_id": product.id, "quantity": self._qty(quantity) or 1})]
        else:
            order = request.website.sale_get_order()
            lines = [
                Command.create({"product_id": line.product_id.id, "quantity": line.product_uom_qty})
                for line in order.website_order_line
                if line.product_id.sale_ok and not line.is_delivery
            ]
        if not lines:
            return request.redirect("/shop/cart")
        today = fields.Date.context_today(partner)
        day = int(month_day) if str(month_day or "").isdigit() and 1 <= int(month_day) <= 28 else min(today.day, 28)
        tokens = self._owner_tokens_sudo(partner)
        autoship_sudo = (
            request.env["mlm.autoship"]
            .sudo()
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": request.website.company_id.id,
                    "month_day": day,
                    "line_ids": lines,
                    "payment_token_id": tokens[:1].id,
                }
            )
        )
        autoship_sudo._set_next_date(autoship_sudo._following_date(today))
        autoship_sudo.message_subscribe(partner_ids=partner.ids)
        return request.redirect(f"/my/autoship/{autoship_sudo.id}?message=created")
