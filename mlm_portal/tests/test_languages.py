from odoo.tests import HttpCase, tagged

from .common import PASSWORD, MlmPortalCommon


@tagged("post_install", "-at_install")
class TestPortalLanguages(HttpCase, MlmPortalCommon):
    """Every page in Russian, Spanish, Kazakh and English, with the website's language switcher, in the company's
    colours."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.langs = cls.env["res.lang"]
        for code in ("ru_RU", "es_ES", "kk_KZ"):
            cls.langs |= cls.env["res.lang"]._activate_lang(code)
        cls.env["ir.module.module"].search(
            [("name", "in", ("mlm_portal", "mlm_commission", "mlm_network"))]
        )._update_translations(["ru_RU", "es_ES", "kk_KZ"])
        website = cls.env["website"].get_current_website()
        website.language_ids |= cls.langs | cls.env.ref("base.lang_en")

    def test_pages_in_every_language(self):
        self.authenticate("alice", PASSWORD)
        expected = {
            "ru": ("Моя структура", "Выписки"),
            "es": ("Mi red", "Extractos"),
            "kk": ("Менің құрылымым", "Үзінділер"),
        }
        for prefix, (network, statements) in expected.items():
            with self.subTest(lang=prefix):
                page = self.url_open(f"/{prefix}/my/network")
                self.assertEqual(page.status_code, 200)
                self.assertIn(network, page.text)
                self.assertIn(statements, self.url_open(f"/{prefix}/my/commissions").text)
                for url in ("/my/network/tree", "/my/volume", "/my/referral", "/my/profile", "/my/team", "/my/home"):
                    self.assertEqual(self.url_open(f"/{prefix}{url}").status_code, 200, url)
        english = self.url_open("/en/my/network").text
        self.assertIn("My network", english)
        # the website's language switcher offers the other languages on the same page
        for prefix in ("ru", "es", "kk"):
            self.assertIn(f'/{prefix}/my/network"', english)
        # signing up through a referral link in Kazakh
        self.authenticate(None, None)
        join = self.url_open(f"/kk/join/{self.carol.code}").text
        self.assertIn(self.carol.name, join)
        self.assertNotIn("Create my account", join)

    def test_company_branding(self):
        self.company.write({"primary_color": "#123456", "secondary_color": "#654321"})
        self.authenticate("alice", PASSWORD)
        page = self.url_open("/my/network").text
        self.assertIn("--mlm-primary: #123456", page)
        self.assertIn("--mlm-secondary: #654321", page)
