import logging
import re

import lxml.html

from odoo.tests import HttpCase, tagged

from odoo.addons.mlm_portal import post_load

from .common import MY_PAGES, PASSWORD, MlmPlacementPortalCommon, MlmPortalCommon

_logger = logging.getLogger(__name__)


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


# Text a translation never changes: names of the fixtures, IDs, codes, units, brands, e-mail and web addresses.
ALLOWED = re.compile(
    r"\b(?:D\d+|Root|Alice|Bob|Carol|Dave|Erin|Frank|PV|GV|BV|USD|EUR|RUB|KZT|ID|QR|XLSX|PDF|CSV|SMS|UTM|Odoo"
    r"|My Company|My Website|YourCompany|Vitamin Pack|Demo|Bronze|Silver|Gold|Member|Unilevel|Kazakhstan|Almaty"
    r"|[\w.+-]+@[\w.-]+|https?://\S+|/\S*|[A-Z]{1,3}\d*|[A-Z]+\d*/[\w/]+)\b"
)
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# the add-ons whose templates, menus and fields the /my pages show (installing a language from the settings loads the
# terms of every installed add-on; loading only these keeps the test short, and one missing shows as English)
ODOO_MODULES = [
    "mlm_network",
    "mlm_commission",
    "mlm_portal",
    "mlm_autoship",
    "web",
    "portal",
    "website",
    "website_sale",
    "auth_signup",
    "auth_totp",
    "auth_totp_portal",
    "account",
    "account_payment",
    "account_edi_ubl_cii",
    "sale",
    "payment",
]


def visible_texts(html, scope=None):
    """The text nodes a visitor reads (the title, no script, style or template), from ``scope`` (a CSS class) if
    given."""
    root = lxml.html.fromstring(html)
    title = [" ".join(text.split()) for text in root.xpath("//head/title/text()") if text.strip()]
    # lists of countries and states are data; the language switcher names each language in itself
    hidden = "//script | //style | //noscript | //template | //svg | //head | //select/option"
    for element in root.xpath(f"{hidden} | //*[contains(@class, 'language_selector')]"):
        element.drop_tree()
    if scope:
        nodes = root.xpath(f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {scope} ')]")
        root = nodes[0] if nodes else root
    # (markup shown as text is a template kept in a hidden field, not something a person reads)
    texts = [" ".join(text.split()) for text in root.itertext() if text.strip() and "<" not in text]
    return texts if scope else title + texts  # the page's title (the browser's tab) is read too


def english_only(text):
    """Whether the text still reads as English: Latin words left after the allow-list, and no other letter."""
    rest = ALLOWED.sub(" ", text)
    letters = [c for c in rest if c.isalpha()]
    return bool(LATIN_WORD.search(rest)) and all(c.isascii() for c in letters)


@tagged("post_install", "-at_install")
class TestTranslationCoverage(HttpCase, MlmPlacementPortalCommon):
    """The share of visible text translated on each /my page in Russian and Kazakh (goal: 98 %), the pages of the
    tours (with a placement tree, for its pages), Odoo's own header, footer, account and security pages included."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        langs = cls.env["res.lang"]
        for code in ("ru_RU", "kk_KZ"):
            langs |= cls.env["res.lang"]._activate_lang(code)
        # in the order of their dependencies, as Odoo loads them (mlm_portal's i18n_extra after Odoo's own files)
        modules = cls.env["ir.module.module"].search([("name", "in", ODOO_MODULES)])
        modules._update_translations(["ru_RU", "kk_KZ"], overwrite=True)
        cls.env["website"].get_current_website().language_ids |= langs | cls.env.ref("base.lang_en")

    def _coverage(self, prefix):
        """{page: (share of translated text nodes of the whole page, of our own content, English-only texts)}."""
        pages = [*MY_PAGES, f"/my/network/member/{self.carol.id}", f"/my/commissions/{self.statement_alice.id}"]
        result = {}
        for url in pages:
            response = self.url_open(f"/{prefix}{url}")
            self.assertEqual(response.status_code, 200, url)
            shares = []
            for scope in (None, "o_portal_wrap"):
                texts = [t for t in visible_texts(response.text, scope) if any(c.isalpha() for c in t)]
                english = [t for t in texts if english_only(t)]
                shares.append((1 - len(english) / len(texts)) if texts else 1.0)
                if scope is None:
                    page_english = english
            result[url] = (*shares, page_english)
        return result

    # The goal of issue 18 on the whole page: our content and Odoo's own (header, footer, "My account", the account
    # details and security pages). Odoo ships no Kazakh for portal, website, website_sale, account, sale, payment or
    # auth_totp_portal: mlm_portal/i18n_extra/kk.po supplies those terms (see its header).
    def test_translated_share_per_page(self):
        self.authenticate("alice", PASSWORD)
        low = {}
        for prefix in ("ru", "kk"):
            coverage = self._coverage(prefix)
            for url, (page, own, english) in coverage.items():
                _logger.info(
                    "%s %s: page %.1f%%, own content %.1f%%; English: %s",
                    prefix,
                    url,
                    page * 100,
                    own * 100,
                    english[:12],
                )
                if min(page, own) < 0.98:
                    low[f"{prefix}{url}"] = f"page {page:.1%}, own content {own:.1%}: {english}"
        self.assertFalse(low, "pages below 98 % translated")

    def test_odoo_terms_from_i18n_extra(self):
        """mlm_portal/i18n_extra/kk.po translates Odoo's own portal terms that Odoo leaves English in Kazakh."""
        self.authenticate("alice", PASSWORD)
        texts = visible_texts(self.url_open("/kk/my/network").text)
        self.assertIn("Мазмұнға өту", texts)
        self.assertNotIn("Skip to Content", texts)

    def test_javascript_terms_in_kazakh(self):
        """The website's pages load mlm_portal's JavaScript terms (the genealogy tree's "level") and, from
        i18n_extra/kk.po, Odoo's own ones (the security page's dialogs), in Kazakh."""
        self.authenticate("alice", PASSWORD)
        body = self.url_open("/website/translations/any?lang=kk_KZ").json()
        terms = {message["id"]: message["string"] for mod in body["modules"].values() for message in mod["messages"]}
        self.assertEqual(terms.get("level"), "деңгей")
        self.assertEqual(terms.get("Show the team"), "Команданы көрсету")
        self.assertEqual(terms.get("Security Control"), "Қауіпсіздік тексерісі")
        self.assertEqual(terms.get("Confirm Password"), "Құпиясөзді растау")

    def test_python_terms_of_odoo_in_kazakh(self):
        """The checkout's steps and buttons (website_sale's Python terms) in Kazakh, from i18n_extra/kk.po through
        mlm_portal's post_load hook; Odoo's own Russian is untouched."""
        # Odoo's server calls the hook when it loads the add-on; under pytest-odoo the add-on is imported first, and
        # Odoo then skips the hook (odoo/modules/module.py load_openerp_module): call it (it patches once)
        post_load()
        website = self.env["website"].get_current_website()
        steps = [step["name"] for _xmlids, step in website._get_checkout_step_list()]
        names = {lang: [name._translate(lang) for name in steps] for lang in ("kk_KZ", "ru_RU")}
        self.assertEqual(names["kk_KZ"][0], "Тапсырысты тексеру")
        self.assertIn("Төлем", names["kk_KZ"])
        self.assertNotIn("Review Order", names["ru_RU"])
        self.assertNotIn("Тапсырысты тексеру", names["ru_RU"])

    def test_page_titles(self):
        """The browser's tab names the page in the visitor's language (else the website names it after its template,
        in English)."""
        self.authenticate("alice", PASSWORD)
        expected = {
            "/kk/my": "Менің аккаунтым | ",
            "/ru/my": "Моя учетная запись | ",
            "/kk/my/network/tree": "Генеалогия | ",
            "/ru/my/placement/holding": "Накопитель | ",
            f"/kk/my/network/member/{self.carol.id}": f"{self.carol.name} | ",
        }
        for url, title in expected.items():
            with self.subTest(url=url):
                page = lxml.html.fromstring(self.url_open(url).text)
                self.assertTrue(page.findtext(".//head/title").startswith(title), page.findtext(".//head/title"))


@tagged("post_install", "-at_install")
class TestCheckoutCoverage(HttpCase, MlmPortalCommon):
    """The checkout in Kazakh (cart, address form, checkout, payment): Odoo's website_sale and payment templates,
    translated by mlm_portal/i18n_extra/kk.po, at 98 % of the visible text."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        post_load()  # the checkout's steps (website_sale's Python terms): see test_python_terms_of_odoo_in_kazakh
        kazakh = cls.env["res.lang"]._activate_lang("kk_KZ")
        modules = cls.env["ir.module.module"].search([("name", "in", [*ODOO_MODULES, "website_payment"])])
        modules._update_translations(["kk_KZ"], overwrite=True)
        cls.website = cls.env["website"].get_current_website()
        cls.website.language_ids |= kazakh | cls.env.ref("base.lang_en")
        cls.product.product_tmpl_id.write({"is_published": True, "website_published": True})
        cls.alice.partner_id.write(
            {
                "street": "Абай даңғылы, 1",
                "city": "Алматы",
                "zip": "050000",
                "country_id": cls.env.ref("base.kz").id,
                "phone": "+7 701 000 0002",
                "email": "alice@example.com",
            }
        )

    def test_checkout_pages_in_kazakh(self):
        self.authenticate("alice", PASSWORD)
        self.make_jsonrpc_request("/shop/cart/update_json", {"product_id": self.product.id, "add_qty": 1})
        partner = self.alice.partner_id.id
        low = {}
        for url in ("/shop/cart", f"/shop/address?partner_id={partner}", "/shop/checkout", "/shop/payment"):
            response = self.url_open(f"/kk{url}")
            self.assertEqual(response.status_code, 200, url)
            self.assertIn(f"/kk{url.split('?')[0]}", response.url)  # the page itself, not a redirection
            texts = [t for t in visible_texts(response.text) if any(c.isalpha() for c in t)]
            english = [t for t in texts if english_only(t)]
            share = 1 - len(english) / len(texts)
            _logger.info("kk %s: %.1f%% of %d texts; English: %s", url, share * 100, len(texts), english)
            if share < 0.98:
                low[url] = f"{share:.1%}: {english}"
        self.assertFalse(low, "checkout pages below 98 % translated in Kazakh")
        payment = visible_texts(self.url_open("/kk/shop/payment").text)
        self.assertIn("Дүкен — Төлем тәсілін таңдау | My Website", payment)
        self.assertIn("Қазір төлеу", payment)
