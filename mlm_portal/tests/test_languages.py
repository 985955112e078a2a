import logging
import re
import unittest

import lxml.html

from odoo.tests import HttpCase, tagged

from .common import PASSWORD, MlmPortalCommon

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
    r"|My Company|My Website|YourCompany|Bronze|Silver|Gold|Member|Unilevel|Kazakhstan|Almaty"
    r"|[\w.+-]+@[\w.-]+|https?://\S+|/\S*|[A-Z]{1,3}\d*|[A-Z]+\d*/[\w/]+)\b"
)
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# the pages of the 375 px tour (mlm_portal/static/tests/tours/mlm_app_tour.js PAGES)
MY_PAGES = [
    "/my",
    "/my/network",
    "/my/network/tree",
    "/my/volume",
    "/my/commissions",
    "/my/referral",
    "/my/team",
    "/my/profile",
    "/my/notifications",
    "/my/account",
    "/my/security",
]
ODOO_PAGES = ("/my/account", "/my/security")  # Odoo's own pages
ODOO_MODULES = [
    "mlm_network",
    "mlm_commission",
    "mlm_portal",
    "portal",
    "website",
    "website_sale",
    "auth_signup",
    "web",
]


def visible_texts(html, scope=None):
    """The text nodes a visitor reads (no script, style or template), from ``scope`` (a CSS class) if given."""
    root = lxml.html.fromstring(html)
    # lists of countries and states are data; the language switcher names each language in itself
    hidden = "//script | //style | //noscript | //template | //svg | //head | //select/option"
    for element in root.xpath(f"{hidden} | //*[contains(@class, 'language_selector')]"):
        element.drop_tree()
    if scope:
        nodes = root.xpath(f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {scope} ')]")
        root = nodes[0] if nodes else root
    # (markup shown as text is a template kept in a hidden field, not something a person reads)
    return [" ".join(text.split()) for text in root.itertext() if text.strip() and "<" not in text]


def english_only(text):
    """Whether the text still reads as English: Latin words left after the allow-list, and no other letter."""
    rest = ALLOWED.sub(" ", text)
    letters = [c for c in rest if c.isalpha()]
    return bool(LATIN_WORD.search(rest)) and all(c.isascii() for c in letters)


@tagged("post_install", "-at_install")
class TestTranslationCoverage(HttpCase, MlmPortalCommon):
    """The share of visible text translated on each /my page in Russian and Kazakh (goal: 98 %)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        langs = cls.env["res.lang"]
        for code in ("ru_RU", "kk_KZ"):
            langs |= cls.env["res.lang"]._activate_lang(code)
        cls.env["ir.module.module"]._load_module_terms(ODOO_MODULES, ["ru_RU", "kk_KZ"], overwrite=True)
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

    # The goal of issue 18 on our own pages' content (Odoo's /my/account and /my/security excluded: their kk terms
    # are Odoo's, which ships no kk.po for portal, website or auth_signup). It fails until the coordinator's next
    # export and translation of our i18n/*.po: the strings added since (the phone cards' "Level", /my/notifications,
    # the personal page form) are English in every language today. Remove expectedFailure then.
    @unittest.expectedFailure
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
                if own < 0.98 and url not in ODOO_PAGES:
                    low[f"{prefix}{url}"] = f"{own:.1%}"
        self.assertFalse(low, "our own content below 98 %")

    def test_odoo_terms_from_i18n_extra(self):
        """mlm_portal/i18n_extra/kk.po translates Odoo's own portal terms that Odoo leaves English in Kazakh."""
        self.authenticate("alice", PASSWORD)
        texts = visible_texts(self.url_open("/kk/my/network").text)
        self.assertIn("Мазмұнға өту", texts)
        self.assertNotIn("Skip to Content", texts)
