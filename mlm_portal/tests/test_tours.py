from odoo import Command
from odoo.tests import HttpCase, tagged

from .common import MlmPlacementPortalCommon, MlmPortalCommon


@tagged("post_install", "-at_install")
class TestPortalTours(HttpCase, MlmPortalCommon):
    """The distributor's flows in Chromium."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product.product_tmpl_id.write({"is_published": True, "name": "Vitamin Pack"})
        transfer = cls.env.ref("payment.payment_provider_transfer")
        transfer.write({"state": "enabled", "is_published": True})
        transfer._transfer_ensure_pending_msg_is_set()
        cls.user_root.password = cls.user_root.login  # start_tour logs in with the login as password

    def test_signup_through_a_referral_link(self):
        self.start_tour(f"/join/{self.carol.code}", "mlm_portal_signup_tour")
        distributor = (
            self.env["res.users"].search([("login", "=", "tour.recruit@example.com")]).partner_id.mlm_distributor_id
        )
        self.assertEqual(distributor.sponsor_id, self.carol)

    def test_statement_and_pdf(self):
        self.start_tour("/my/commissions", "mlm_portal_statement_tour", login=self.user_root.login)

    def test_referred_customer_buys_in_the_shop(self):
        self.start_tour(f"/ref/{self.carol.code}", "mlm_portal_shop_tour")
        order = self.env["sale.order"].search([("partner_id.email", "=", "shopper@example.com")])
        self.assertEqual(order.mlm_referrer_id, self.carol)
        self.assertEqual(order.state, "sent")  # paid by wire transfer: pending until the money arrives
        order.action_confirm()
        self.assertEqual(order.partner_id.mlm_referrer_id, self.carol)


class MlmFitTourCommon(MlmPlacementPortalCommon):
    """The pages the screen-fit tours walk, in a placement tree (so that its pages and the holding tank show), with a
    personal page of a long greeting and a product of a long name."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_root.password = cls.user_root.login  # start_tour logs in with the login as password
        cls.product.product_tmpl_id.write(
            {"is_published": True, "name": "Vitamin Pack with an Unusually Long Name for a Narrow Phone Screen"}
        )
        cls.root.write(
            {"ref_greeting": "Hello! " * 40, "ref_product_ids": [Command.set(cls.product.product_tmpl_id.ids)]}
        )


@tagged("post_install", "-at_install")
class TestPortalPhoneTour(HttpCase, MlmPortalCommon):
    """The network and the genealogy on a 375 px wide touch screen: the distributors' usual device."""

    browser_size = "375x740"
    touch_enabled = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_root.password = cls.user_root.login  # start_tour logs in with the login as password

    def test_network_and_tree_on_a_phone(self):
        self.start_tour("/my/network", "mlm_portal_network_tour", login=self.user_root.login)


@tagged("post_install", "-at_install")
class TestPortalPhoneFitTour(HttpCase, MlmFitTourCommon):
    """Every /my page (my_pages.js) on a 375 px wide touch screen."""

    browser_size = "375x740"
    touch_enabled = True

    def test_every_back_office_page_fits_a_phone(self):
        """No /my page overflows a 375 px screen or cuts a control off, and each shows its key control."""
        self.start_tour("/my", "mlm_portal_phone_fit_tour", login=self.user_root.login)


@tagged("post_install", "-at_install")
class TestPortalDesktopTour(HttpCase, MlmFitTourCommon):
    """The same pages on a 1440 px desktop screen: each loads, nothing overflows, the key controls show, the network
    is a table with every column."""

    browser_size = "1440x900"

    def test_every_back_office_page_fits_a_desktop(self):
        self.start_tour("/my", "mlm_portal_desktop_fit_tour", login=self.user_root.login)
