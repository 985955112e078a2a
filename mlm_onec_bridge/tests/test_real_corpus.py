# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Real CommerceML exports of public projects (``<repo>/../shared/onec``, origins in its README), played over
real HTTP as 1C plays them: what each file holds is what Odoo holds afterwards, and a re-import changes nothing."""

import os

from odoo.tests import tagged

from ..tools import cml_reader
from .common import OneCClient, OnecExchangeCommon

SHARED = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "onec"))
CHANGE_KEYS = (
    "products_created",
    "products_updated",
    "variants_created",
    "attributes_created",
    "prices_created",
    "prices_updated",
    "stock_updated",
    "groups_created",
    "groups_updated",
    "products_archived",
)


def corpus_path(case, relative):
    path = os.path.join(SHARED, relative)
    if not os.path.isdir(SHARED):
        case.fail(f"the real 1C exports are missing: {SHARED} must sit beside the repository (CI has it)")
    case.assertTrue(os.path.isfile(path), f"corpus file {path} is missing")
    return path


def file_counts(path):
    """What one file holds, counted by the streaming reader (independent of the importer)."""
    counts = {"products": set(), "variants": set(), "prices": 0, "stock": 0, "groups": 0, "properties": set()}
    for kind, data in cml_reader.iter_catalog(path):
        if kind == "group":
            counts["groups"] += 1
        elif kind == "property":
            counts["properties"].add(data["guid"])
        elif kind in ("product", "offer"):
            base, char = cml_reader.split_guid(data["guid"])
            if kind == "product" and not data["deleted"]:
                counts["products"].add(base)
            if char and data["characteristics"]:
                counts["variants"].add(data["guid"])
            if kind == "offer":
                counts["prices"] += len(data["prices"])
                counts["stock"] += len(data["stock"]) or (data["quantity"] is not None)
    return counts


@tagged("post_install", "-at_install")
class TestRealCorpus(OnecExchangeCommon):
    def _play(self, *relatives):
        """One 1C exchange per file (checkauth, init, file in parts, import until success)."""
        sessions = self.env["mlm.onec.session"]
        for relative in relatives:
            path = corpus_path(self, relative)
            with open(path, "rb") as fh:
                data = fh.read()
            answer, _progress = OneCClient(self, "catalog").upload_and_import(os.path.basename(path), data)
            self.assertEqual(answer[0], "success", f"{relative}: {answer}")
            self.env.invalidate_all()
            sessions |= self.last_session()
        return sessions

    def _assert_nothing_changes(self, *relatives):
        for session in self._play(*relatives):
            changed = {key: session.stats[key] for key in CHANGE_KEYS if (session.stats or {}).get(key)}
            self.assertEqual(changed, {}, f"re-import changed something: {session.log}")

    def _variants(self):
        return self.onec_products().with_context(active_test=False).product_variant_ids.filtered("onec_variant_guid")

    def _price_items(self):
        return self.env["product.pricelist.item"].search(
            [("pricelist_id.onec_guid", "!=", False), ("product_tmpl_id", "in", self.onec_products().ids)]
        )

    def _stock(self):
        return self.env["mlm.onec.stock"].search([("product_tmpl_id", "in", self.onec_products().ids)])

    def _categories(self):
        return self.env["product.category"].search([("onec_guid", "!=", False)])

    def test_off_doc_1c_characteristics(self):
        """1C's official sample (2.04): 4 characteristics of 2 products sent as products of import.xml."""
        catalog = file_counts(corpus_path(self, "real/off-doc-1c/import.xml"))
        offers = file_counts(corpus_path(self, "real/off-doc-1c/offers.xml"))
        self.assertEqual((len(catalog["products"]), len(catalog["variants"]), catalog["groups"]), (2, 4, 1))
        self._play("real/off-doc-1c/import.xml", "real/off-doc-1c/offers.xml")
        self.assertEqual(len(self.onec_products()), 2)
        self.assertEqual(len(self._variants()), 4)
        self.assertTrue(all(self._variants().mapped("active")))
        self.assertEqual(len(self.onec_products().with_context(active_test=True).product_variant_ids), 4)
        self.assertEqual(len(self._categories()), catalog["groups"])
        self.assertEqual(self._categories().parent_id, self.backend.category_id)
        self.assertEqual((offers["prices"], offers["stock"]), (8, 2))
        self.assertEqual(len(self._price_items()), offers["prices"], "4 price types x 2 offers")
        self.assertEqual(len(self._stock()), offers["stock"])
        self._assert_nothing_changes("real/off-doc-1c/import.xml", "real/off-doc-1c/offers.xml")

    def test_ready_script(self):
        """A CMS module's fixture (2.05): one product, its offer and the offer of one characteristic."""
        catalog = file_counts(corpus_path(self, "real/ready-script/import.xml"))
        offers = file_counts(corpus_path(self, "real/ready-script/offers.xml"))
        self._play("real/ready-script/import.xml", "real/ready-script/offers.xml")
        product = self.onec_products()
        self.assertEqual(len(product), len(catalog["products"]))
        self.assertEqual(len(self._variants()), len(offers["variants"]))
        self.assertEqual(len(self._categories()), catalog["groups"])
        self.assertEqual(product.onec_properties["Бренд"], "GSFR")
        self.assertEqual(product.onec_properties["Цвет"], "Красный;Черный")
        self.assertEqual(len(self._price_items()), offers["prices"])
        self._assert_nothing_changes("real/ready-script/import.xml", "real/ready-script/offers.xml")
