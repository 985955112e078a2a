# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""1C's catalog exchange played over real HTTP with the shared real files."""

import io
import zipfile
from unittest.mock import patch

from PIL import Image

from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import EXCHANGE_LOGIN, EXCHANGE_PASSWORD, OneCClient, OnecExchangeCommon, read_data

FIRST_GUID = "bd8c4e15-18f9-11e7-80c2-0cc47ab29cd1"
PRICE_TYPE_GUID = "279b6812-740b-11e8-80c8-0cc47ab29cd1"


@tagged("post_install", "-at_install")
class TestCatalogExchange(OnecExchangeCommon):
    def _price(self, product):
        pricelist = self.env["product.pricelist"].search(
            [("onec_guid", "=", PRICE_TYPE_GUID), ("company_id", "=", self.company.id)]
        )
        item = self.env["product.pricelist.item"].search(
            [("pricelist_id", "=", pricelist.id), ("product_tmpl_id", "=", product.id)]
        )
        self.assertEqual(len(item), 1)
        return item.fixed_price

    def _import_shared_catalog(self):
        client = OneCClient(self, "catalog")
        answer, progress = client.upload_and_import("import0_1.xml", read_data("import0_1.xml"))
        self.assertEqual(answer[0], "success", answer)
        self.assertGreaterEqual(progress, 3, "35 products in batches of 10 must answer 'progress' first")
        client = OneCClient(self, "catalog")
        answer, _progress = client.upload_and_import("offers0_1.xml", read_data("offers0_1.xml"), use_zip=True)
        self.assertEqual(answer[0], "success", answer)
        return answer

    def test_full_catalog_exchange_and_reimport(self):
        answer = self._import_shared_catalog()
        self.assertTrue(answer[1].startswith("WARNING: 8 records of offers0_1.xml were not imported"), answer)
        products = self.onec_products()
        self.assertEqual(len(products), 35, "35 live products; the one marked Удален is not created")
        first = products.filtered(lambda p: p.onec_guid == FIRST_GUID)
        self.assertEqual(first.default_code, "PM-421-WP")
        self.assertEqual(first.barcode, "8809288404089")
        self.assertEqual(first.uom_id, self.env.ref("uom.product_uom_unit"))
        self.assertEqual(first.categ_id.name, "Коврики для дома")
        self.assertEqual(first.categ_id.parent_id, self.backend.category_id)
        self.assertEqual(first.onec_properties["Страна производства"], "КОРЕЯ, РЕСПУБЛИКА")
        self.assertEqual(first.onec_properties["Линейка"], "Portable")
        self.assertEqual(first.onec_properties["ВидНоменклатуры"], "Коврики для дома")
        # offers: price type -> pricelist, prices, stock per warehouse
        pricelist = self.env["product.pricelist"].search([("onec_guid", "=", PRICE_TYPE_GUID)])
        self.assertEqual(pricelist.name, "BASE")
        self.assertEqual(pricelist.currency_id.name, "RUB")
        self.assertEqual(self._price(first), 100.0)
        self.assertEqual(first.list_price, 100.0)
        stock = {s.warehouse_id.name: s.quantity for s in first.onec_stock_ids}
        self.assertEqual(stock, {"Владивосток": 1.0, "Новосибирск": 0.0, "Москва": 376.0})
        self.assertEqual(first.onec_qty_available, 377.0)
        self.assertEqual(self.env["mlm.onec.warehouse"].search_count([("company_id", "=", self.company.id)]), 3)
        offers_session = self.last_session()
        # 8 offers of goods the real import0_1.xml does not hold: imported is what matches, each of the 8 is an
        # error kept on the session and told to 1C; the offer of the good marked deleted is no error
        self.assertEqual(offers_session.stats["offers_rejected"], 8)
        self.assertEqual(offers_session.stats["offers_skipped_deleted"], 1)
        self.assertEqual(offers_session.rejected_count, 8)
        self.assertEqual(offers_session.rejected_log.count("its product is in no goods file"), 8)
        self.assertEqual(offers_session.stats["prices_created"], 35)
        import_session = offers_session.search([("id", "<", offers_session.id)], limit=1)
        self.assertEqual(import_session.stats["products_created"], 35)
        self.assertEqual(import_session.stats["products_skipped_deleted"], 1)

        # Re-importing the same files changes nothing
        self.env.flush_all()
        stamps = dict(products.mapped(lambda p: (p.id, p.write_date)))
        self._import_shared_catalog()
        session = self.last_session()
        self.assertNotIn("prices_updated", session.stats or {})
        self.assertNotIn("stock_updated", session.stats or {})
        products.invalidate_recordset()
        self.assertEqual(dict(products.mapped(lambda p: (p.id, p.write_date))), stamps)
        import_session = session.search([("id", "<", session.id)], limit=1)
        self.assertEqual(import_session.stats["products_unchanged"], 35)
        self.assertEqual(len(self.onec_products()), 35)

        # A changed price (and stock) updates exactly that product
        offers = read_data("offers0_1.xml").decode("utf-8-sig")
        offers = offers.replace("<ЦенаЗаЕдиницу>100</ЦенаЗаЕдиницу>", "<ЦенаЗаЕдиницу>149.90</ЦенаЗаЕдиницу>", 1)
        offers = offers.replace('КоличествоНаСкладе="376"', 'КоличествоНаСкладе="370"', 1)
        client = OneCClient(self, "catalog")
        answer, _progress = client.upload_and_import("offers0_1.xml", offers.encode("utf-8"))
        self.assertEqual(answer[0], "success", answer)
        session = self.last_session()
        self.assertEqual(session.stats["prices_updated"], 1)
        self.assertEqual(session.stats["stock_updated"], 1)
        first.invalidate_recordset()
        self.assertEqual(self._price(first), 149.9)
        self.assertEqual(first.list_price, 149.9)
        self.assertEqual(first.onec_qty_available, 371.0)

    def test_stock_of_mapped_warehouses_becomes_on_hand_quantity(self):
        """With inventory tracking on, the stock of a 1C warehouse mapped to an Odoo warehouse is set on hand by
        inventory moves of the differences only: the same stock again moves nothing, a change moves the gap."""
        self.backend.track_inventory = True
        self._import_shared_catalog()
        first = self.onec_products().filtered(lambda p: p.onec_guid == FIRST_GUID)
        self.assertTrue(first.is_storable)
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.company.id)], limit=1)
        moscow = self.env["mlm.onec.warehouse"].search([("name", "=", "Москва"), ("company_id", "=", self.company.id)])
        moscow.stock_warehouse_id = warehouse  # mapping a warehouse brings its last imported stock in
        product = first.product_variant_id
        self.assertEqual(product.with_context(warehouse_id=warehouse.id).qty_available, 376.0)
        moves = self.env["stock.move"].search([("product_id", "=", product.id), ("is_inventory", "=", True)])
        self.assertEqual(len(moves), 1)
        self._import_shared_catalog()
        self.assertEqual(self.env["stock.move"].search_count([("product_id", "=", product.id)]), 1)
        offers = read_data("offers0_1.xml").decode("utf-8-sig")
        offers = offers.replace('КоличествоНаСкладе="376"', 'КоличествоНаСкладе="370"', 1)
        answer, _progress = OneCClient(self, "catalog").upload_and_import("offers0_1.xml", offers.encode("utf-8"))
        self.assertEqual(answer[0], "success", answer)
        product.invalidate_recordset()
        self.assertEqual(product.with_context(warehouse_id=warehouse.id).qty_available, 370.0)
        self.assertEqual(self.env["stock.move"].search_count([("product_id", "=", product.id)]), 2)

    def test_changed_product_and_archive_missing(self):
        self._import_shared_catalog()
        data = read_data("import0_1.xml").decode("utf-8-sig")
        # rename the first product and drop the last one from a full export
        data = data.replace("Портативный коврик Portable 140x200x1 см, Деревянные лошадки", "Коврик переименован", 1)
        start = data.rindex("<Товар>")
        end = data.index("</Товар>", start) + len("</Товар>")
        dropped = data[start:end].split("<Ид>")[1].split("</Ид>")[0]
        data = data[:start] + data[end:]
        client = OneCClient(self, "catalog")
        answer, _progress = client.upload_and_import("import0_1.xml", data.encode("utf-8"))
        self.assertEqual(answer[0], "success", answer)
        self.assertEqual(len(self.onec_products().filtered("active")), 35, "archived at the end of the exchange")
        self.assertEqual(client.call("complete")[0], "success")
        self.env.invalidate_all()
        session = self.last_session()
        self.assertEqual(session.stats["products_updated"], 1)
        self.assertEqual(session.stats["products_archived"], 1)
        products = self.onec_products()
        self.assertEqual(products.filtered(lambda p: p.onec_guid == FIRST_GUID).name, "Коврик переименован")
        self.assertFalse(products.filtered(lambda p: p.onec_guid == dropped).active)
        self.assertEqual(len(products.filtered("active")), 34)
        # the dropped product comes back unchanged in the next full export: it is restored
        client = OneCClient(self, "catalog")
        answer, _progress = client.upload_and_import("import0_1.xml", read_data("import0_1.xml"))
        self.assertEqual(answer[0], "success", answer)
        self.env.invalidate_all()
        self.assertTrue(products.filtered(lambda p: p.onec_guid == dropped).active, "reappearing product restored")
        self.assertEqual(len(self.onec_products().filtered("active")), 35)
        self.assertEqual(self.last_session().stats.get("products_updated"), 2, "the restored one and the renamed one")

    def test_full_export_in_portions_archives_once_after_the_last(self):
        """goods/1 and goods/2 of one full export: nothing is archived per portion; after the last (the offers
        file or ``complete``) only what no portion holds."""
        self._import_shared_catalog()
        data = read_data("import0_1.xml").decode("utf-8-sig")
        head, rest = data.split("<Товары>", 1)
        items, tail = rest.rsplit("</Товары>", 1)
        products = ["<Товар>" + chunk for chunk in items.split("<Товар>")[1:]]
        dropped = products.pop().split("<Ид>")[1].split("</Ид>")[0]
        half = len(products) // 2
        portions = [
            head + "<Товары>" + "".join(part) + "</Товары>" + tail for part in (products[:half], products[half:])
        ]
        client = OneCClient(self, "catalog")
        self.assertEqual(client.checkauth()[0], "success")
        client.init()
        for n, portion in enumerate(portions, 1):
            name = f"goods/{n}/import___portion.xml"
            self.assertEqual(client.send_file(name, portion.encode(), 64 * 1024)[0], "success")
            self.assertEqual(client.import_until_done(name)[0][0], "success")
            self.env.invalidate_all()
            self.assertEqual(len(self.onec_products().filtered("active")), 35, f"nothing archived after portion {n}")
        offers = read_data("offers0_1.xml")
        self.assertEqual(client.send_file("offers0_1.xml", offers, 64 * 1024)[0], "success")
        self.assertEqual(client.import_until_done("offers0_1.xml")[0][0], "success")
        self.assertEqual(client.call("complete")[0], "success")
        self.env.invalidate_all()
        active = self.onec_products().filtered("active")
        self.assertEqual(len(active), 34)
        self.assertNotIn(dropped, active.mapped("onec_guid"))
        self.assertEqual(self.last_session().stats["products_archived"], 1, "once per session")

    def test_partial_export_touches_only_its_products(self):
        self._import_shared_catalog()
        data = read_data("import0_1.xml").decode("utf-8-sig")
        data = data.replace('<Каталог СодержитТолькоИзменения="false">', '<Каталог СодержитТолькоИзменения="true">')
        head, rest = data.split("<Товары>", 1)
        first_product = rest[: rest.index("</Товар>") + len("</Товар>")]
        partial = head + "<Товары>" + first_product + "</Товары></Каталог></КоммерческаяИнформация>"
        client = OneCClient(self, "catalog")
        answer, _progress = client.upload_and_import("import0_1.xml", partial.encode("utf-8"))
        self.assertEqual(answer[0], "success", answer)
        self.assertEqual(len(self.onec_products().filtered("active")), 35, "partial export archives nothing")
        self.assertEqual(self.last_session().stats["products_unchanged"], 1)


@tagged("post_install", "-at_install")
class TestCatalogResume(OnecExchangeCommon):
    def test_crash_mid_import_then_resume(self):
        """A call that crashes leaves no half-written batch; the next ``import`` call continues."""
        Importer = type(self.env["mlm.onec.importer"])
        original = Importer._flush_batch
        calls = {"n": 0}

        def crashing_flush(importer, backend, batch, ctx, counter, warnings):
            calls["n"] += 1
            original(importer, backend, batch, ctx, counter, warnings)
            if calls["n"] == 2:  # two batches written in this call, then the worker dies before answering
                raise MemoryError("worker killed")

        client = OneCClient(self, "catalog")
        self.assertEqual(client.checkauth()[0], "success")
        client.init()
        client.send_file("import0_1.xml", read_data("import0_1.xml"), 64 * 1024)
        self.assertEqual(client.call("import", filename="import0_1.xml")[0], "progress")
        self.assertEqual(client.call("import", filename="import0_1.xml")[0], "progress")
        self.assertEqual(len(self.onec_products()), 20)
        self.backend.time_budget = 600  # the rest (two batches) in one call
        with patch.object(Importer, "_flush_batch", crashing_flush), mute_logger("odoo.http"):
            response = client.call("import", raw=True, filename="import0_1.xml", expect_status=500)
        self.assertEqual(response.status_code, 500)
        self.assertEqual(calls["n"], 2)
        self.assertEqual(len(self.onec_products()), 20, "the crashed call's batches were rolled back")
        answer, _progress = client.import_until_done("import0_1.xml")
        self.assertEqual(answer[0], "success")
        self.assertEqual(len(self.onec_products()), 35)
        self.assertEqual(len(set(self.onec_products().mapped("onec_guid"))), 35)

    def test_other_company_is_separate(self):
        """Each company has its own exchange user and catalog; record rules keep them apart."""
        other = self.env["res.company"].create({"name": "Other company KZ", "country_id": self.env.ref("base.kz").id})
        group = self.env["account.tax.group"].create({"name": "НДС", "company_id": other.id})
        self.env["account.tax"].create(
            {
                "name": "НДС 20%",
                "amount": 20,
                "type_tax_use": "sale",
                "company_id": other.id,
                "tax_group_id": group.id,
                "country_id": other.country_id.id,
            }
        )
        user2 = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "1C KZ",
                    "login": "onec_kz",
                    "password": "Onec-Kz-Pw-12345",
                    "company_id": other.id,
                    "company_ids": [(6, 0, other.ids)],
                    "groups_id": [
                        (
                            6,
                            0,
                            [
                                self.env.ref("base.group_portal").id,
                                self.env.ref("mlm_onec_bridge.group_onec_exchange").id,
                            ],
                        )
                    ],
                }
            )
        )
        self.env["mlm.onec.backend"].create(
            {"name": "1C KZ", "company_id": other.id, "exchange_user_id": user2.id, "file_limit": 64 * 1024}
        )
        client = OneCClient(self, "catalog", login="onec_kz", password="Onec-Kz-Pw-12345")
        answer, _progress = client.upload_and_import("import0_1.xml", read_data("import0_1.xml"))
        self.assertEqual(answer[0], "success")
        self.assertFalse(self.onec_products(), "nothing lands in the first company")
        products = self.Product.search([("company_id", "=", other.id), ("onec_guid", "!=", False)])
        self.assertEqual(len(products), 35)
        # the same 1C groups imported into the first company make its own categories, under its own root
        self.assertEqual(
            OneCClient(self, "catalog").upload_and_import("import0_1.xml", read_data("import0_1.xml"))[0][0], "success"
        )
        self.env.invalidate_all()
        mine = self.onec_products().categ_id
        self.assertTrue(mine)
        self.assertFalse(mine & products.categ_id, "categories are not shared between companies")
        self.assertEqual(set(mine.mapped("name")), set(products.categ_id.mapped("name")))
        manager = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "Manager main",
                    "login": "onec_mgr_main",
                    "company_id": self.company.id,
                    "company_ids": [(6, 0, self.company.ids)],
                    "groups_id": [(6, 0, [self.env.ref("mlm_onec_bridge.group_onec_manager").id])],
                }
            )
        )
        sessions = self.env["mlm.onec.session"].with_user(manager).search([])
        self.assertFalse(sessions.filtered(lambda s: s.company_id == other))
        self.assertEqual(self.env["mlm.onec.backend"].with_user(manager).search([]), self.backend)

    def test_zip_with_images_and_rests_file(self):
        """A zip holding import.xml and its image; then the newer split rests.xml (2.08+) for stock."""
        image = io.BytesIO()
        Image.new("RGB", (4, 4), (200, 10, 10)).save(image, format="PNG")
        catalog = """<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.10">
<Классификатор><Ид>c1</Ид><Наименование>К</Наименование></Классификатор>
<Каталог СодержитТолькоИзменения="true"><Ид>k1</Ид><ИдКлассификатора>c1</ИдКлассификатора>
<Наименование>К</Наименование><Товары><Товар><Ид>img-product-1</Ид><Наименование>Маска</Наименование>
<БазоваяЕдиница Код="166" НаименованиеПолное="Килограмм">кг</БазоваяЕдиница>
<Картинка>import_files/ab/mask.png</Картинка><Картинка>import_files/ab/missing.png</Картинка>
</Товар></Товары></Каталог></КоммерческаяИнформация>""".encode()
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("import.xml", catalog)
            zf.writestr("import_files/ab/mask.png", image.getvalue())
        client = OneCClient(self, "catalog")
        self.assertEqual(client.checkauth()[0], "success")
        client.init()
        self.assertEqual(client.send_file("goods.zip", archive.getvalue(), 1024)[0], "success")
        answer, _progress = client.import_until_done("import.xml")
        self.assertEqual(answer[0], "success", answer)
        product = self.onec_products()
        self.assertEqual(product.name, "Маска")
        self.assertTrue(product.image_1920)
        self.assertEqual(product.uom_id, self.env.ref("uom.product_uom_kgm"))
        rests = """<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.10">
<ПакетПредложений СодержитТолькоИзменения="true"><Ид>p1</Ид><Наименование>Остатки</Наименование>
<Склады><Склад><Ид>wh-1</Ид><Наименование>Алматы</Наименование></Склад></Склады>
<Предложения><Предложение><Ид>img-product-1</Ид><Остатки><Остаток><Склад><Ид>wh-1</Ид>
<Количество>12,5</Количество></Склад></Остаток></Остатки></Предложение></Предложения>
</ПакетПредложений></КоммерческаяИнформация>""".encode()
        client = OneCClient(self, "catalog")
        answer, _progress = client.upload_and_import("rests.xml", rests)
        self.assertEqual(answer[0], "success", answer)
        self.assertEqual(product.onec_stock_ids.warehouse_id.name, "Алматы")
        self.assertEqual(product.onec_qty_available, 12.5)


NODE_B_LOGIN = "onec_exchange_node_b"
NODE_B_PASSWORD = "Onec-Exchange-Pw-B2"


def node_b_catalog(numbers):
    """A full export of another 1C database (node B) of the same company: its own goods ``nb-<n>``."""
    goods = "".join(
        f"<Товар><Ид>nb-{n}</Ид><Артикул>NB-{n}</Артикул><Наименование>Товар узла Б {n}</Наименование>"
        '<БазоваяЕдиница Код="796">шт</БазоваяЕдиница></Товар>'
        for n in numbers
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.10">
<Классификатор><Ид>nb-cls</Ид><Наименование>Б</Наименование></Классификатор>
<Каталог СодержитТолькоИзменения="false"><Ид>nb-cat</Ид><ИдКлассификатора>nb-cls</ИдКлассификатора>
<Наименование>Каталог Б</Наименование><Товары>{goods}</Товары></Каталог></КоммерческаяИнформация>""".encode()


@tagged("post_install", "-at_install")
class TestArchivePerNode(OnecExchangeCommon):
    """Two exchange nodes (two 1C databases) feed one company: a full export archives what is missing from that
    node's catalog only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        user_b = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "1C Exchange B",
                    "login": NODE_B_LOGIN,
                    "password": NODE_B_PASSWORD,
                    "groups_id": [
                        (
                            6,
                            0,
                            [
                                cls.env.ref("base.group_portal").id,
                                cls.env.ref("mlm_onec_bridge.group_onec_exchange").id,
                            ],
                        )
                    ],
                }
            )
        )
        cls.backend_b = cls.env["mlm.onec.backend"].create(
            {
                "name": "1C node B",
                "company_id": cls.company.id,
                "exchange_user_id": user_b.id,
                "file_limit": 64 * 1024,
                "batch_size": 10,
                "time_budget": 0,
                "archive_missing": True,
            }
        )

    def _full_export(self, login, password, filename, data):
        client = OneCClient(self, "catalog", login=login, password=password)
        answer, _progress = client.upload_and_import(filename, data)
        self.assertEqual(answer[0], "success", answer)
        self.assertEqual(client.call("complete")[0], "success")
        self.env.invalidate_all()
        return self.env["mlm.onec.session"].search([("backend_id.exchange_user_id.login", "=", login)], limit=1)

    def test_full_export_archives_only_its_node_products(self):
        data_a = read_data("import0_1.xml")
        self._full_export(EXCHANGE_LOGIN, EXCHANGE_PASSWORD, "import0_1.xml", data_a)
        self._full_export(NODE_B_LOGIN, NODE_B_PASSWORD, "import.xml", node_b_catalog(range(3)))
        products = self.onec_products()
        node_a = products.filtered(lambda p: p.onec_backend_id == self.backend)
        node_b = products.filtered(lambda p: p.onec_backend_id == self.backend_b)
        self.assertEqual((len(node_a), len(node_b)), (35, 3))
        self.assertEqual(set(node_b.mapped("onec_guid")), {"nb-0", "nb-1", "nb-2"})
        self.assertEqual(node_a.company_id, node_b.company_id)
        # a product of the company from before nodes were recorded: no node can claim it while there are two
        legacy = self.Product.create(
            {"name": "Legacy 1C product", "onec_guid": "legacy-1", "company_id": self.company.id}
        )
        # node A's full export without its last product: that one is archived, node B's 3 stay
        text = data_a.decode("utf-8-sig")
        start = text.rindex("<Товар>")
        end = text.index("</Товар>", start) + len("</Товар>")
        dropped = text[start:end].split("<Ид>")[1].split("</Ид>")[0]
        session = self._full_export(
            EXCHANGE_LOGIN, EXCHANGE_PASSWORD, "import0_1.xml", (text[:start] + text[end:]).encode()
        )
        self.assertEqual(session.backend_id, self.backend)
        self.assertEqual(session.stats["products_archived"], 1)
        self.assertEqual(node_a.filtered(lambda p: not p.active).mapped("onec_guid"), [dropped])
        self.assertEqual(node_b.mapped("active"), [True, True, True])
        self.assertTrue(legacy.active)
        # node B's full export without nb-2: only nb-2 is archived, node A's 34 stay
        session = self._full_export(NODE_B_LOGIN, NODE_B_PASSWORD, "import.xml", node_b_catalog(range(2)))
        self.assertEqual(session.backend_id, self.backend_b)
        self.assertEqual(session.stats["products_archived"], 1)
        self.assertEqual(node_b.filtered(lambda p: not p.active).mapped("onec_guid"), ["nb-2"])
        self.assertEqual(len(node_a.filtered("active")), 34)
        self.assertTrue(legacy.active)
        # with a single node, the company's products of no node are that node's (former behaviour)
        self.backend_b.active = False
        self.backend_b.company_id = self.env["res.company"].create({"name": "Other company"})
        session = self._full_export(
            EXCHANGE_LOGIN, EXCHANGE_PASSWORD, "import0_1.xml", (text[:start] + text[end:]).encode()
        )
        self.assertEqual(session.stats["products_archived"], 1)
        self.assertFalse(legacy.active)
