from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged

from .common import PASSWORD, MlmPortalCommon


@tagged("post_install", "-at_install")
class TestReferralShop(HttpCase, MlmPortalCommon):
    """Visitors who follow a referral link buy as that distributor's customers; PV shown; expired lots never sold."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product.product_tmpl_id.write({"is_published": True, "website_published": True})
        cls.website = cls.env["website"].get_current_website()

    def test_referral_cookie_attributes_the_order(self):
        response = self.url_open(f"/ref/{self.carol.code}", allow_redirects=False)
        self.assertEqual(response.status_code, 200)  # carol's personal page, its "Shop now" button opens /shop
        self.assertIn('href="/shop"', response.text)
        self.assertEqual(self.opener.cookies.get("mlm_ref"), self.carol.code)
        page = self.url_open(f"/shop/{self.product.product_tmpl_id.id}").text
        self.assertIn("o_mlm_product_pv", page)
        self.assertIn("40.00 PV", page)
        self.make_jsonrpc_request("/shop/cart/update_json", {"product_id": self.product.id, "add_qty": 2})
        order = self.env["sale.order"].search([("website_id", "=", self.website.id)], order="id desc", limit=1)
        self.assertEqual(order.mlm_referrer_id, self.carol)
        cart = self.url_open("/shop/cart").text
        self.assertIn("o_mlm_cart_pv", cart)
        self.assertIn("80.00 PV", cart)
        # the visitor checks out as a new customer; the back office confirms and invoices the order
        customer = self.env["res.partner"].create({"name": "Web Visitor", "email": "visitor@example.com"})
        order.partner_id = customer
        order.action_confirm()
        self.assertEqual(customer.mlm_referrer_id, self.carol)
        invoice = order._create_invoices()
        invoice.action_post()
        volume = self.env["mlm.volume.line"].search([("move_line_id", "in", invoice.invoice_line_ids.ids)])
        self.assertEqual(volume.distributor_id, self.carol)
        self.assertEqual(volume.volume_type, "customer")
        self.assertEqual((volume.pv, volume.bv), (80.0, 60.0))

    def test_cookie_wins_over_an_earlier_referrer_for_that_order(self):
        customer = self.customer  # referred by carol in the fixtures
        order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "mlm_referrer_id": self.bob.id,
                "order_line": [Command.create({"product_id": self.product.id, "product_uom_qty": 1})],
            }
        )
        self.assertEqual(order._mlm_credited_distributor(), (self.bob, "customer"))
        order.action_confirm()
        self.assertEqual(customer.mlm_referrer_id, self.carol)  # the customer stays carol's
        # a distributor buying through somebody's link still earns their own personal volume
        own = self.env["sale.order"].create({"partner_id": self.alice.partner_id.id, "mlm_referrer_id": self.bob.id})
        self.assertEqual(own._mlm_credited_distributor(), (self.alice, "personal"))

    def test_distributor_prices_on_the_shop(self):
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "Distributor prices",
                "item_ids": [
                    Command.create({"compute_price": "percentage", "percent_price": 25, "applied_on": "3_global"})
                ],
            }
        )
        self.alice.partner_id.property_product_pricelist = pricelist
        self.authenticate("alice", "portal-pass-123")
        page = self.url_open(f"/shop/{self.product.product_tmpl_id.id}").text
        self.assertIn("37.50", page)  # 50.00 less 25 %

    def test_expired_lots_are_never_sold(self):
        product = self.env["product.product"].create(
            {
                "name": "Omega Capsules",
                "is_storable": True,
                "tracking": "lot",
                "use_expiration_date": True,
                "list_price": 20.0,
                "mlm_pv": 10.0,
                "is_published": True,
            }
        )
        warehouse = self.website.warehouse_id or self.env["stock.warehouse"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        stock = warehouse.lot_stock_id
        now = fields.Datetime.now()
        expired = self.env["stock.lot"].create(
            {"name": "OLD-1", "product_id": product.id, "expiration_date": now - timedelta(days=3)}
        )
        fresh = self.env["stock.lot"].create(
            {"name": "NEW-1", "product_id": product.id, "expiration_date": now + timedelta(days=200)}
        )
        Quant = self.env["stock.quant"].with_context(inventory_mode=True)
        Quant.create(
            {"product_id": product.id, "location_id": stock.id, "lot_id": expired.id, "inventory_quantity": 5}
        )._apply_inventory()
        Quant.create(
            {"product_id": product.id, "location_id": stock.id, "lot_id": fresh.id, "inventory_quantity": 3}
        )._apply_inventory()
        self.assertEqual(product.with_context(warehouse_id=warehouse.id).free_qty, 8.0)
        self.assertEqual(self.website._get_product_available_qty(product), 3.0)
        # first expiry, first out: the warehouse hands out the lot that expires first (and never an expired one)
        self.assertEqual(stock.removal_strategy_id, self.env.ref("product_expiry.removal_fefo"))
        order = self.env["sale.order"].create(
            {
                "partner_id": self.customer.id,
                "warehouse_id": warehouse.id,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": 4})],
            }
        )
        order.action_confirm()
        move_lines = order.picking_ids.move_ids.move_line_ids
        self.assertEqual(move_lines.lot_id, fresh)
        self.assertEqual(sum(move_lines.mapped("quantity")), 3.0)


@tagged("post_install", "-at_install")
class TestPersonalPage(HttpCase, MlmPortalCommon):
    """/ref/<ID>: the distributor's photo or initials, greeting, featured products, contact, shop and join."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.featured = cls.product.product_tmpl_id
        cls.featured.write({"is_published": True, "name": "Vitamin Pack"})
        cls.hidden = cls.env["product.template"].create({"name": "Unpublished Serum", "is_published": False})

    def test_personal_page(self):
        self.carol.partner_id.email = "carol@example.com"
        self.carol.write(
            {
                "ref_greeting": "Привет! <b>Try these</b>",
                "ref_product_ids": [Command.set((self.featured | self.hidden).ids)],
            }
        )
        self.env.flush_all()
        page = self.url_open(f"/ref/{self.carol.code}").text
        self.assertEqual(self.opener.cookies.get("mlm_ref"), self.carol.code)
        self.assertIn("o_mlm_ref_page", page)
        self.assertIn(self.carol.partner_id.name, page)
        self.assertIn("o_mlm_ref_initials", page)  # no photo: the initials
        self.assertIn("Привет! &lt;b&gt;Try these&lt;/b&gt;", page)  # escaped
        self.assertIn(f'href="/join/{self.carol.code}"', page)
        self.assertIn('href="/shop"', page)
        self.assertIn("Vitamin Pack", page)
        self.assertNotIn("Unpublished Serum", page)
        # carol shares her contact details: e-mail and phone buttons
        self.assertIn("mailto:carol@example.com", page)
        self.assertIn("tel:+7 701 000 0001", page)
        self.carol.portal_share_contact = False
        self.env.flush_all()
        page = self.url_open(f"/ref/{self.carol.code}").text
        self.assertNotIn("o_mlm_ref_contact", page)
        self.assertNotIn("carol@example.com", page)
        self.assertNotIn("+7 701 000 0001", page)

    def test_photo(self):
        self.carol.partner_id.image_1920 = (
            b"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
        )
        self.env.flush_all()
        page = self.url_open(f"/ref/{self.carol.code}").text
        self.assertIn("o_mlm_ref_photo", page)
        self.assertIn('src="data:image/png;base64,', page)

    def test_distributor_edits_the_page(self):
        self.authenticate("carol", PASSWORD)
        page = self.url_open("/my/referral").text
        marker = 'name="csrf_token" value="'
        start = page.index(marker) + len(marker)
        token = page[start : page.index('"', start)]
        self.assertIn("o_mlm_ref_edit", page)
        self.assertIn("Vitamin Pack", page)
        self.assertNotIn("Unpublished Serum", page)
        response = self.url_open(
            "/my/referral/page",
            data={
                "csrf_token": token,
                "greeting": "  Welcome to my shop  ",
                "product_ids": [str(self.featured.id), str(self.hidden.id), "x"],
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_mlm_ref_saved", response.text)
        self.assertEqual(self.carol.ref_greeting, "Welcome to my shop")
        self.assertEqual(self.carol.ref_product_ids, self.featured)  # never an unpublished product
        # without the CSRF token the form is refused
        response = self.url_open("/my/referral/page", data={"greeting": "hacked"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.carol.ref_greeting, "Welcome to my shop")

    def test_at_most_six_products(self):
        products = self.env["product.template"].create([{"name": f"P{i}", "is_published": True} for i in range(7)])
        with self.assertRaises(ValidationError):
            self.carol.ref_product_ids = [Command.set(products.ids)]
