# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Real CommerceML exports of public projects (``<repo>/../shared/onec``, origins in its README), played over
real HTTP as 1C plays them: what each file holds is what Odoo holds afterwards, and a re-import changes nothing."""

import io
import os
import zipfile
from xml.sax.saxutils import escape

from PIL import Image

from odoo.tests import tagged

from ..tools import cml_reader
from .common import OneCClient, OnecExchangeCommon

# beside the repository; MLM_ONEC_CORPUS names it for a checkout that sits elsewhere (a git worktree)
SHARED = os.environ.get("MLM_ONEC_CORPUS") or os.path.normpath(
    os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "onec")
)
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


class CorpusCase(OnecExchangeCommon):
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


@tagged("post_install", "-at_install")
class TestRealCorpus(CorpusCase):
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
        self.assertEqual(self._price_items().pricelist_id.currency_id.name, "RUB", "Валюта 'руб' is the rouble")
        self._assert_nothing_changes("real/ready-script/import.xml", "real/ready-script/offers.xml")


PACKAGE = "real/package-2.09"
NS = "urn:1C.ru:commerceml_2"


def package_file(case, prefix):
    folder = os.path.join(SHARED, PACKAGE)
    corpus_path(case, "README.md")
    names = sorted(n for n in os.listdir(folder) if n.startswith(prefix)) if os.path.isdir(folder) else []
    case.assertTrue(names, f"no {prefix}*.xml in {folder}")
    return [os.path.join(folder, n) for n in names]


def goods_for_package(case, classifier_path, offers_path):
    """The goods file of the 1C 8.3 package (not in the public repository), modelled on it: one Товар per
    offer of ``offers___``, in the classifier's groups, with values of its properties, and no classifier."""
    groups, properties, offers = [], [], []
    for kind, data in cml_reader.iter_catalog(classifier_path):
        if kind == "group":
            groups.append(data)
        elif kind == "property" and any(data["values"].values()):
            properties.append(dict(data, values={k: v for k, v in data["values"].items() if v}))
    for kind, data in cml_reader.iter_catalog(offers_path):
        if kind == "offer":
            offers.append(data)
    products = []
    expected = {}
    for n, offer in enumerate(offers):
        group = groups[n % len(groups)]
        prop = properties[n % len(properties)]
        value_id, value = sorted(prop["values"].items())[n % len(prop["values"])]
        expected[offer["guid"]] = (group["guid"], prop["name"], value)
        products.append(
            f"<Товар><Ид>{offer['guid']}</Ид><Наименование>{escape(offer['name'] or offer['guid'])}</Наименование>"
            f'<БазоваяЕдиница Код="796" НаименованиеПолное="Штука">шт</БазоваяЕдиница>'
            f"<Группы><Ид>{group['guid']}</Ид></Группы><ЗначенияСвойств><ЗначенияСвойства><Ид>{prop['guid']}</Ид>"
            f"<Значение>{value_id}</Значение></ЗначенияСвойства></ЗначенияСвойств></Товар>"
        )
    document = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.09">'
        f'<Каталог СодержитТолькоИзменения="true"><Ид>86bca4ea-eb3a-4beb-b0d6-2090dbef560e</Ид>'
        f"<ИдКлассификатора>86bca4ea-eb3a-4beb-b0d6-2090dbef560e</ИдКлассификатора>"
        f"<Наименование>Косметика и гигиена</Наименование><Товары>{''.join(products)}</Товары></Каталог>"
        f"</КоммерческаяИнформация>"
    )
    return document.encode(), expected, groups


@tagged("post_install", "-at_install")
class TestRealPackage(CorpusCase):
    """1C 8.3's package (2.09): classifier alone in ``import___*.xml``, then goods, offers, prices, rests."""

    def _exchange(self, files):
        """One exchange session with several files, as 1C 8.3 sends a package: ``[(name, bytes)]``."""
        client = OneCClient(self, "catalog")
        self.assertEqual(client.checkauth()[0], "success")
        part = int(client.init()["file_limit"])
        for name, data in files:
            self.assertEqual(client.send_file(name, data, part)[0], "success")
            answer, _progress = client.import_until_done(name, max_calls=500)
            self.assertEqual(answer[0], "success", f"{name}: {answer}")
        client.call("complete")
        self.env.invalidate_all()
        return self.last_session()

    def test_package_classifier_apart_from_goods(self):
        self.backend.batch_size = 250
        classifier_path = package_file(self, "import___")[0]
        offers_paths = package_file(self, "offers___")
        prices_path = package_file(self, "prices___")[0]
        rests_path = package_file(self, "rests___")[0]
        with_items = [p for p in offers_paths if any(k == "offer" for k, __ in cml_reader.iter_catalog(p))]
        self.assertEqual(len(with_items), 1, "one offers file lists the offers, the other holds properties")
        goods, expected, groups = goods_for_package(self, classifier_path, with_items[0])
        classifier = file_counts(classifier_path)
        self.assertEqual((classifier["groups"], len(classifier["products"])), (97, 0))
        self.assertEqual(len(expected), 978)

        def read(path):
            with open(path, "rb") as fh:
                return os.path.basename(path), fh.read()

        # exchange 1: the classifier alone; exchange 2: goods, offers, prices, rests
        self._exchange([read(classifier_path)])
        self.assertEqual(
            self.env["mlm.onec.property"].search_count([("backend_id", "=", self.backend.id)]),
            len(classifier["properties"]),
        )
        session = self._exchange(
            [("import___goods.xml", goods)] + [read(p) for p in offers_paths] + [read(prices_path), read(rests_path)]
        )
        products = self.onec_products()
        self.assertEqual(len(products), 978)
        categories = {c.onec_guid: c for c in self._categories()}
        self.assertEqual(len(categories), 97)
        for group in groups:
            parent = categories[group["parent_guid"]] if group["parent_guid"] else self.backend.category_id
            self.assertEqual(categories[group["guid"]].parent_id, parent, group["name"])
        for product in products:
            group_guid, prop_name, value = expected[product.onec_guid]
            self.assertEqual(product.categ_id, categories[group_guid])
            self.assertEqual((product.onec_properties or {}).get(prop_name), value, session.log[-3000:])
        self.assertEqual(len(self._price_items()), file_counts(prices_path)["prices"])
        self.assertEqual(len(self._stock()), file_counts(rests_path)["stock"])
        self.assertFalse((session.stats or {}).get("offers_skipped"), session.log)
        # the goods again, without the classifier: nothing moves, nothing is wiped
        self._assert_nothing_changes_package([("import___goods.xml", goods)])
        self.assertEqual(
            {p.onec_guid: p.categ_id.onec_guid for p in self.onec_products()},
            {guid: e[0] for guid, e in expected.items()},
        )

    def _assert_nothing_changes_package(self, files):
        session = self._exchange(files)
        changed = {key: session.stats[key] for key in CHANGE_KEYS if (session.stats or {}).get(key)}
        self.assertEqual(changed, {}, session.log)


def _umi_images(path):
    """The pictures import.xml of the UMI.CMS fixture refers to (not in the public repository): 1C sends them
    in the zip beside the catalog, at those paths. ``{path: JPEG bytes}``, one colour per picture."""
    images = {}
    for n, (_kind, data) in enumerate(
        (kind, data) for kind, data in cml_reader.iter_catalog(path) if kind == "product" and data["images"]
    ):
        buffer = io.BytesIO()
        Image.new("RGB", (8 + n, 8), (40 * n, 90, 200)).save(buffer, "JPEG")
        images[data["images"][0]] = buffer.getvalue()
    return images


@tagged("post_install", "-at_install")
class TestRealUmiCms(CorpusCase):
    def test_umi_cms_catalog_with_pictures_and_offers(self):
        """UMI.CMS module's fixture (2.04, no namespace): 3 goods with a picture each, 14 offers of which 11 are for
        goods the catalog does not hold."""
        catalog_path = corpus_path(self, "real/umi-cms/import.xml")
        offers_path = corpus_path(self, "real/umi-cms/offers.xml")
        catalog, offers = file_counts(catalog_path), file_counts(offers_path)
        images = _umi_images(catalog_path)
        self.assertEqual((len(catalog["products"]), catalog["groups"], len(images)), (3, 1, 3))
        offer_guids = [data["guid"] for kind, data in cml_reader.iter_catalog(offers_path) if kind == "offer"]
        self.assertEqual(len(offer_guids), 14)
        matched = [guid for guid in offer_guids if guid in catalog["products"]]
        self.assertEqual(len(matched), 3)
        # the catalog and its pictures in one zip, as 1C sends them
        with open(catalog_path, "rb") as fh:
            catalog_data = fh.read()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("import.xml", catalog_data)
            for name, content in images.items():
                archive.writestr(name, content)
        client = OneCClient(self, "catalog")
        self.assertEqual(client.checkauth()[0], "success")
        part = int(client.init()["file_limit"])
        self.assertEqual(client.send_file("umi.zip", buffer.getvalue(), part)[0], "success")
        self.assertEqual(client.import_until_done("import.xml")[0], ["success"])
        with open(offers_path, "rb") as fh:
            offers_data = fh.read()
        self.assertEqual(client.send_file("offers.xml", offers_data, part)[0], "success")
        answer, _progress = client.import_until_done("offers.xml")
        self.assertEqual(client.call("complete")[0], "success")
        self.env.invalidate_all()
        session = self.last_session()
        # counts in the files = counts in Odoo
        products = self.onec_products()
        self.assertEqual(sorted(products.mapped("onec_guid")), sorted(catalog["products"]))
        self.assertEqual(len(self._categories()), catalog["groups"])
        self.assertEqual(self._categories().parent_id, self.backend.category_id)
        self.assertEqual(len(products.filtered("image_1920")), 3, "each product has its picture from the zip")
        for product in products:
            self.assertEqual(product.onec_properties["Производитель (дополнительно)"][:3], "ЗАО")
            self.assertEqual(product.taxes_id.mapped("amount"), [18.0])
        self.assertEqual(offers["prices"], 70)
        self.assertEqual(len(self._price_items()), 3 * 5, "5 price types x the 3 matched offers")
        self.assertEqual(len(self._price_items().pricelist_id), 5)
        self.assertEqual(len(self._stock()), 3)
        self.assertEqual(sorted(self._stock().mapped("quantity")), [26.0, 29.0, 34.0])
        # the 11 offers of goods not in the catalog: errors on the session and in 1C's answer, not lost silently
        self.assertEqual(answer[0], "success")
        self.assertTrue(answer[1].startswith("WARNING: 11 records of offers.xml were not imported"), answer)
        self.assertEqual(session.rejected_count, 11)
        self.assertEqual(session.stats["offers_rejected"], 11)
        rejected = session.rejected_log
        for guid in set(offer_guids) - set(matched):
            self.assertIn(guid, rejected)
        self.assertFalse(session.stats.get("products_archived"))
        # played again (the same zip, the same offers): nothing changes
        client = OneCClient(self, "catalog")
        self.assertEqual(client.checkauth()[0], "success")
        client.init()
        self.assertEqual(client.send_file("umi.zip", buffer.getvalue(), part)[0], "success")
        self.assertEqual(client.import_until_done("import.xml")[0], ["success"])
        self.assertEqual(client.send_file("offers.xml", offers_data, part)[0], "success")
        self.assertEqual(client.import_until_done("offers.xml")[0][0], "success")
        self.env.invalidate_all()
        session = self.last_session()
        changed = {key: session.stats[key] for key in CHANGE_KEYS if (session.stats or {}).get(key)}
        self.assertEqual(changed, {}, session.log)
        self.assertEqual(session.stats["products_unchanged"], 3)


@tagged("post_install", "-at_install")
class TestRealOrdersDocument(CorpusCase):
    """The 2.03 orders document of 1C's official sample, as 1C sends it back in ``type=sale&mode=file``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        partner = cls.env["res.partner"].create({"name": "Покупатель сайта"})
        product = cls.env["product.product"].create({"name": "Телевизор", "list_price": 100.0})
        cls.orders = cls.env["sale.order"]
        for ident in ("92", "93"):  # the Ид the shop sent these orders with (mode=query)
            order = cls.env["sale.order"].create(
                {"partner_id": partner.id, "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})]}
            )
            order.action_confirm()
            order.onec_guid = ident
            cls.orders |= order

    def _send(self, data):
        client = OneCClient(self, "sale")
        self.assertEqual(client.checkauth()[0], "success")
        part = int(client.init(version="2.03")["file_limit"])
        file_answer = client.send_file("orders.xml", data, part)
        import_answer = client.call("import", filename="orders.xml")
        self.env.invalidate_all()
        return file_answer, import_answer, self.last_session("sale")

    def test_official_orders_document(self):
        path = corpus_path(self, "real/off-doc-1c/orders.xml")
        with open(path, "rb") as fh:
            data = fh.read()
        documents = data.count("<Документ>".encode())
        self.assertEqual(documents, 3)
        file_answer, import_answer, session = self._send(data)
        # 92 and 93 are this shop's orders: 1C's numbers applied; 36 (an order with goods and a customer of
        # another site) is no order of this shop: refused with the reason, in the session and in 1C's answer
        order_92, order_93 = self.orders
        self.assertEqual((order_92.onec_number, order_93.onec_number), ("MM92", "MM93"))
        self.assertEqual(self.orders.mapped("state"), ["sale", "sale"], "Проведен/Открыт: not cancelled")
        self.assertFalse(self.orders.filtered("onec_paid_date"))
        self.assertEqual(session.stats["orders_updated"], 2)
        self.assertEqual(session.stats["orders_rejected"], 1)
        self.assertEqual(session.rejected_count, 1)
        self.assertIn("Order 36 (number 36) from 1C", session.rejected_log)
        self.assertEqual(file_answer[0], "success")
        self.assertEqual(import_answer[0], "success")
        self.assertTrue(import_answer[1].startswith("WARNING: 1 records of orders.xml were not imported"))
        self.assertIn("Order 36", import_answer[1])
        self.assertEqual(documents, session.stats["orders_updated"] + session.rejected_count)
        # the same document again: nothing changes, 36 is told again
        _file_answer, _import_answer, session = self._send(data)
        self.assertFalse(session.stats.get("orders_updated"))
        self.assertEqual(session.rejected_count, 1)
        # derived: document 36 is one of ours and 1C marks it paid (Заказ оплачен) then cancels 93
        order_36 = self.orders[0].copy()
        order_36.action_confirm()
        order_36.onec_guid = "36"
        text = data.decode()
        text = text.replace(
            "<Наименование>Заказ оплачен</Наименование>\n<Значение>false",
            "<Наименование>Заказ оплачен</Наименование>\n<Значение>true",
        )
        head, doc_93 = text.split("<Ид>93</Ид>")
        doc_93 = doc_93.replace(
            "<Наименование>ПометкаУдаления</Наименование>\n<Значение>false",
            "<Наименование>ПометкаУдаления</Наименование>\n<Значение>true",
        )
        _file_answer, import_answer, session = self._send((head + "<Ид>93</Ид>" + doc_93).encode())
        self.assertEqual(import_answer, ["success"])
        self.assertEqual(str(order_36.onec_paid_date), "2007-10-30", "paid on the date of the status change")
        self.assertEqual(order_92.state, "sale")
        self.assertEqual(order_93.state, "cancel")
        self.assertEqual(session.stats["orders_updated"], 2)
        self.assertEqual(session.rejected_count, 0)
