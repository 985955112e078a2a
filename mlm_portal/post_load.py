"""Python terms of other add-ons in Kazakh, from mlm_portal/i18n_extra.

Odoo 18 reads the terms of an add-on's Python code (``_()``, ``_lt()``) from that add-on's own ``i18n`` and
``i18n_extra`` folders only (``odoo.tools.translate.CodeTranslations``), with no hook to add to them, and ships no
Kazakh for website_sale: the checkout's step names and buttons ("Review Order", "Delivery", "Payment") stay English.
This patch adds the Python terms that mlm_portal/i18n_extra/<lang>.po holds for another add-on (entries marked
``odoo-python``, with a ``code:addons/<add-on>/...`` reference) to that add-on's terms; the add-on's own translation
wins where it has one. Terms of views and records, and JavaScript terms, need no patch (see the header of
i18n_extra/kk.po).
"""

import functools
import logging

from odoo.tools.misc import ReadonlyDict, file_path
from odoo.tools.translate import PYTHON_TRANSLATION_COMMENT, CodeTranslations, TranslationFileReader

_logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=16)
def _extra_python_terms(lang):
    """{add-on: {source: translation}} of the Python terms in mlm_portal/i18n_extra for ``lang`` (ll_CC)."""
    terms = {}
    for name in dict.fromkeys((lang.split("_")[0], lang)):
        try:
            path = file_path(f"mlm_portal/i18n_extra/{name}.po")
        except FileNotFoundError:
            continue
        with open(path, "rb") as po_file:
            for row in TranslationFileReader(po_file, fileformat="po"):
                if row.get("type") == "code" and row.get("value") and PYTHON_TRANSLATION_COMMENT in row["comments"]:
                    # the add-on of the code: path (addons/website_sale/models/website.py)
                    module = row["name"].split("/")[1] if row["name"].startswith("addons/") else row["module"]
                    terms.setdefault(module, {})[row["src"]] = row["value"]
    return terms


def post_load():
    original = CodeTranslations._load_python_translations
    if getattr(original, "mlm_portal_extra", False):
        return

    def _load_python_translations(self, module_name, lang):
        original(self, module_name, lang)
        extra = _extra_python_terms(lang).get(module_name)
        if extra:
            own = self.python_translations[(module_name, lang)]
            self.python_translations[(module_name, lang)] = ReadonlyDict({**extra, **own})

    _load_python_translations.mlm_portal_extra = True
    CodeTranslations._load_python_translations = _load_python_translations
    _logger.info(
        "mlm_portal: patched CodeTranslations._load_python_translations to add the Python terms of other add-ons "
        "kept in mlm_portal/i18n_extra"
    )
