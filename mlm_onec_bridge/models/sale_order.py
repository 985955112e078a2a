# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import uuid

from odoo import fields, models
from odoo.osv import expression
from odoo.tools import html2plaintext


class SaleOrder(models.Model):
    _inherit = "sale.order"

    onec_guid = fields.Char(string="1C GUID", index="btree_not_null", copy=False, readonly=True)
    onec_state = fields.Selection(
        [("queried", "Sent, waiting for 1C's confirmation"), ("sent", "Taken by 1C")],
        string="1C Exchange",
        copy=False,
        readonly=True,
        index=True,
        tracking=True,
    )
    onec_session_id = fields.Many2one(
        "mlm.onec.session", string="1C Exchange Session", copy=False, readonly=True, index="btree_not_null"
    )
    onec_sent_date = fields.Datetime(string="Taken by 1C on", copy=False, readonly=True)
    onec_number = fields.Char(string="1C Number", copy=False, readonly=True)
    onec_paid_date = fields.Date(string="Paid (1C)", copy=False, readonly=True, tracking=True)
    onec_shipped_date = fields.Date(string="Shipped (1C)", copy=False, readonly=True, tracking=True)

    def _onec_get_query_domain(self, backend):
        if not backend.send_orders:
            return expression.FALSE_DOMAIN
        return [
            ("company_id", "=", backend.company_id.id),
            ("state", "=", "sale"),
            ("onec_state", "in", (False, "queried")),
        ]

    def _onec_get_pv(self):
        """PV (point volume) of the order, sent to 1C as a requisite (``mlm_commission``'s order PV)."""
        self.ensure_one()
        return self._mlm_get_pv()

    def _onec_get_requisites(self):
        """Order-level requisites (ЗначенияРеквизитов) 1C stores with the order; extend to add more."""
        self.ensure_one()
        partner = self.partner_id.commercial_partner_id
        code = partner.mlm_code or (partner.mlm_referrer_id.code if partner.mlm_referrer_id else "")
        pv = self._onec_get_pv()
        requisites = [
            ("Номер заказа", self.name),
            ("Код дистрибьютора", code or ""),
            ("PV", "" if pv is None else f"{pv:.2f}"),
            ("Статус заказа", "Подтвержден"),
        ]
        if self.client_order_ref:
            requisites.append(("Номер заказа клиента", self.client_order_ref))
        return requisites

    def _onec_prepare_partner(self):
        partner = self.partner_id.commercial_partner_id._onec_ensure_guid()
        address = ", ".join(
            part
            for part in (
                partner.zip,
                partner.country_id.name,
                partner.state_id.name,
                partner.city,
                partner.street,
                partner.street2,
            )
            if part
        )
        return {
            "guid": partner.onec_guid,
            "name": partner.name,
            "legal_name": partner.name,
            "is_company": partner.is_company,
            "inn": partner.vat or "",
            "kpp": partner.onec_kpp or "",
            "address": address,
            "email": partner.email or "",
            "phone": partner.phone or partner.mobile or "",
        }

    def _onec_prepare_line(self, line):
        """One ``Товар`` of the order document. ``Сумма`` is the line amount as 1C reads it: without the
        taxes marked ``УчтеноВСумме=false`` (excluded), with those marked ``true`` (included)."""
        product = line.product_id
        price_reduce = line.price_unit * (1 - (line.discount or 0.0) / 100.0)
        computed = line.tax_id.compute_all(
            price_reduce, line.currency_id, line.product_uom_qty, product=product, partner=self.partner_shipping_id
        )
        amounts = {tax["id"]: tax["amount"] for tax in computed["taxes"]}
        taxes = [
            {
                "name": "НДС" if tax.amount_type == "percent" else tax.name,
                "included": tax.price_include,
                "amount": line.currency_id.round(amounts.get(tax.id, 0.0)),
                "rate": tax.amount if tax.amount_type == "percent" else None,
            }
            for tax in line.tax_id
        ]
        included = sum(tax["amount"] for tax in taxes if tax["included"])
        discount = line.currency_id.round(line.price_unit * line.product_uom_qty * line.discount / 100.0)
        return {
            "guid": product.onec_variant_guid or product.product_tmpl_id.onec_guid or f"odoo-product-{product.id}",
            "article": product.default_code or "",
            # the product's name as 1C knows it (the article goes in Артикул), not the line's "[code] name"
            "name": product.with_context(display_default_code=False).display_name[:250],
            "unit_name": line.product_uom.name,
            # the unit's OKEI code, as 1C sent it with the product (its own unit when the line has none)
            "unit_code": (line.product_uom or product.uom_id).onec_okei_code or product.uom_id.onec_okei_code or "",
            "unit_full_name": line.product_uom.name,
            "is_service": product.type == "service",
            "price_unit": line.price_unit,
            "quantity": line.product_uom_qty,
            "amount": line.price_subtotal + included,
            "discount": discount,
            "taxes": taxes,
            "requisites": [],
        }

    def _onec_prepare_document(self):
        """Plain dict of the order for :func:`..tools.cml_writer.build_orders_document`."""
        self.ensure_one()
        if not self.onec_guid:
            self.onec_guid = str(uuid.uuid4())
        date = fields.Datetime.context_timestamp(self, self.date_order)
        tax_total = sum(self.order_line.mapped("price_tax"))
        return {
            "guid": self.onec_guid,
            "number": self.name,
            "date": date.strftime("%Y-%m-%d"),
            "time": date.strftime("%H:%M:%S"),
            "currency": self.currency_id.name,
            "rate": 1,
            "amount_total": self.amount_total,
            "comment": html2plaintext(self.note)[:500] if self.note else "",
            "partner": self._onec_prepare_partner(),
            "taxes": [{"name": "НДС", "included": False, "amount": tax_total}] if tax_total else [],
            "lines": [
                self._onec_prepare_line(line) for line in self.order_line.filtered(lambda ln: not ln.display_type)
            ],
            "requisites": self._onec_get_requisites(),
        }

    def _onec_apply_update(self, values):
        """Apply what 1C reports about the order: ``{paid, shipped, cancelled, number}`` (from its requisites)."""
        self.ensure_one()
        vals = {}
        if values.get("number") and values["number"] != self.onec_number:
            vals["onec_number"] = values["number"]
        for key in ("paid", "shipped"):
            if values.get(key) and values[key] != self[f"onec_{key}_date"]:
                vals[f"onec_{key}_date"] = values[key]
        if vals:
            self.write(vals)
        if values.get("cancelled") and self.state not in ("cancel",):
            self.with_context(disable_cancel_warning=True)._action_cancel()
            return True
        return bool(vals)
