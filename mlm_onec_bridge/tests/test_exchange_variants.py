# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""1C characteristics (``Ид`` = ``<product>#<characteristic>``) become Odoo variants, over the real protocol."""

from lxml import etree

from odoo.tests import tagged

from ..tools import cml_writer
from .common import OneCClient, OnecExchangeCommon

NS = "urn:1C.ru:commerceml_2"
PRODUCT = "var-product-1"

CATALOG = f"""<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.10">
<Классификатор><Ид>vc</Ид><Наименование>К</Наименование></Классификатор>
<Каталог СодержитТолькоИзменения="true"><Ид>vk</Ид><ИдКлассификатора>vc</ИдКлассификатора><Наименование>К</Наименование>
<Товары><Товар><Ид>{PRODUCT}</Ид><Артикул>TSH</Артикул><Наименование>Футболка</Наименование>
<БазоваяЕдиница Код="796">шт</БазоваяЕдиница></Товар></Товары></Каталог></КоммерческаяИнформация>"""


def offer(char_id, size, colour, price, qty, article=""):
    return (
        f"<Предложение><Ид>{PRODUCT}#{char_id}</Ид><Артикул>{article}</Артикул>"
        f"<Наименование>Футболка ({size}, {colour})</Наименование><ХарактеристикиТовара>"
        f"<ХарактеристикаТовара><Наименование>Размер</Наименование><Значение>{size}</Значение>"
        f"</ХарактеристикаТовара><ХарактеристикаТовара><Наименование>Цвет</Наименование>"
        f"<Значение>{colour}</Значение></ХарактеристикаТовара></ХарактеристикиТовара>"
        f"<Цены><Цена><ИдТипаЦены>var-price</ИдТипаЦены><ЦенаЗаЕдиницу>{price}</ЦенаЗаЕдиницу>"
        f'<Валюта>RUB</Валюта></Цена></Цены><Склад ИдСклада="var-wh" КоличествоНаСкладе="{qty}"/>'
        f"</Предложение>"
    )


def offers(*items):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.10">
<ПакетПредложений СодержитТолькоИзменения="true"><Ид>vp</Ид><Наименование>П</Наименование>
<ТипыЦен><ТипЦены><Ид>var-price</Ид><Наименование>Розничная</Наименование><Валюта>RUB</Валюта></ТипЦены></ТипыЦен>
<Склады><Склад><Ид>var-wh</Ид><Наименование>Москва</Наименование></Склад></Склады>
<Предложения>{"".join(items)}</Предложения></ПакетПредложений></КоммерческаяИнформация>""".encode()


@tagged("post_install", "-at_install")
class TestCharacteristics(OnecExchangeCommon):
    def _send(self, filename, data):
        answer, _progress = OneCClient(self, "catalog").upload_and_import(filename, data)
        self.assertEqual(answer[0], "success", answer)
        self.env.invalidate_all()  # the request wrote through its own environment
        return self.last_session()

    def _variant(self, char_id):
        return (
            self.env["product.product"]
            .with_context(active_test=False)
            .search([("onec_variant_guid", "=", f"{PRODUCT}#{char_id}")])
        )

    def _price(self, variant):
        return (
            self.env["product.pricelist.item"]
            .search([("product_id", "=", variant.id), ("applied_on", "=", "0_product_variant")])
            .fixed_price
        )

    def test_characteristics_become_variants(self):
        self._send("import.xml", CATALOG.encode())
        template = self.onec_products()
        self.assertEqual(len(template), 1)
        self._send(
            "offers.xml",
            offers(
                offer("s-red", "S", "Красный", "1 200,00", 5, "TSH-S-R"),
                offer("m-red", "M", "Красный", "1250", 3),
                offer("s-blue", "S", "Синий", "1190", 0),
            ),
        )
        # attributes by name, values by name, one line per attribute
        self.assertEqual(
            sorted(template.attribute_line_ids.mapped("attribute_id.name")), ["Размер", "Цвет"], "attribute lines"
        )
        s_red, m_red, s_blue = self._variant("s-red"), self._variant("m-red"), self._variant("s-blue")
        self.assertTrue(all((s_red.active, m_red.active, s_blue.active)))
        self.assertEqual(s_red.default_code, "TSH-S-R")
        self.assertEqual(
            sorted(s_red.product_template_attribute_value_ids.mapped("name")), ["S", "Красный"], "its combination"
        )
        # dynamic attributes: only 1C's characteristics are variants; (M, blue), which 1C does not have, is none
        self.assertEqual(set(template.attribute_line_ids.attribute_id.mapped("create_variant")), {"dynamic"})
        all_variants = template.with_context(active_test=False).product_variant_ids
        self.assertEqual(all_variants, s_red | m_red | s_blue)
        m_blue = (m_red | s_blue).product_template_attribute_value_ids.filtered(lambda v: v.name in ("M", "Синий"))
        self.assertEqual(len(m_blue), 2)
        self.assertFalse(template._is_combination_possible(m_blue), "the shop cannot build (M, blue)")
        self.assertFalse(template._create_product_variant(m_blue))
        self.assertTrue(template._is_combination_possible(m_red.product_template_attribute_value_ids))
        # each characteristic's price on its variant, the template shows the lowest; stock per variant
        self.assertEqual([self._price(v) for v in (s_red, m_red, s_blue)], [1200.0, 1250.0, 1190.0])
        self.assertEqual(template.list_price, 1190.0)
        levels = {level.product_id: level.quantity for level in template.onec_stock_ids}
        self.assertEqual(levels, {s_red: 5.0, m_red: 3.0, s_blue: 0.0})
        pricelist = self.env["product.pricelist"].search([("onec_guid", "=", "var-price")])
        self.assertEqual(pricelist._get_product_price(m_red, 1.0), 1250.0)

        # the same file again: nothing changes
        session = self._send(
            "offers.xml",
            offers(
                offer("s-red", "S", "Красный", "1 200,00", 5, "TSH-S-R"),
                offer("m-red", "M", "Красный", "1250", 3),
                offer("s-blue", "S", "Синий", "1190", 0),
            ),
        )
        stats = session.stats or {}
        for key in ("variants_created", "attributes_created", "prices_created", "prices_updated", "stock_updated"):
            self.assertFalse(stats.get(key), key)
        # a new characteristic adds a value and a variant; a changed price and stock update in place
        self._send(
            "offers.xml",
            offers(offer("l-red", "L", "Красный", "1300", 2), offer("m-red", "M", "Красный", "1275", 4)),
        )
        l_red = self._variant("l-red")
        self.assertTrue(l_red.active)
        self.assertEqual(self._price(l_red), 1300.0)
        self.assertEqual(self._price(m_red), 1275.0)
        self.assertEqual(template.onec_stock_ids.filtered(lambda lv: lv.product_id == m_red).quantity, 4.0)
        every = template.with_context(active_test=False).product_variant_ids
        self.assertEqual(every, s_red | m_red | s_blue | l_red, "no combination (L, blue) built")
        self.assertEqual(len(self.onec_products()), 1, "still one product")

        # an order of a variant goes to 1C with the characteristic's Ид
        partner = self.env["res.partner"].create({"name": "Variant buyer"})
        order = self.env["sale.order"].create(
            {"partner_id": partner.id, "order_line": [(0, 0, {"product_id": m_red.id, "product_uom_qty": 1})]}
        )
        order.action_confirm()
        self.env.flush_all()
        client = OneCClient(self, "sale")
        self.assertEqual(client.checkauth()[0], "success")
        client.init()
        document = client.call("query", raw=True).content
        self.assertEqual(cml_writer.validation_errors(document), [])
        root = etree.fromstring(document)
        ids = [node.text for node in root.iter(f"{{{NS}}}Ид")]
        self.assertIn(f"{PRODUCT}#m-red", ids)

    def test_articles_kept_and_order_line_names(self):
        """Offers without Артикул: the variants carry the product's article; orders name the product, not
        ``[code] name``."""
        self._send("import.xml", CATALOG.encode())
        self._send(
            "offers.xml",
            offers(
                offer("s-red", "S", "Красный", "1200", 5, "TSH-S-R"),
                offer("m-red", "M", "Красный", "1250", 3),
                offer("s-blue", "S", "Синий", "1190", 0),
            ),
        )
        s_red, m_red, s_blue = self._variant("s-red"), self._variant("m-red"), self._variant("s-blue")
        self.assertEqual((s_red.default_code, m_red.default_code, s_blue.default_code), ("TSH-S-R", "TSH", "TSH"))
        self.assertEqual(self.onec_products().onec_article, "TSH")
        # a later characteristic without article too; then 1C renames the product's article: its variants follow
        self._send("offers.xml", offers(offer("l-red", "L", "Красный", "1300", 2)))
        self.assertEqual(self._variant("l-red").default_code, "TSH")
        self._send("import.xml", CATALOG.replace("<Артикул>TSH</Артикул>", "<Артикул>TSH2</Артикул>").encode())
        self.assertEqual(
            [v.default_code for v in (s_red, m_red, s_blue, self._variant("l-red"))],
            ["TSH-S-R", "TSH2", "TSH2", "TSH2"],
        )

        partner = self.env["res.partner"].create({"name": "Article buyer"})
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    (0, 0, {"product_id": m_red.id, "product_uom_qty": 1}),
                    (0, 0, {"product_id": s_red.id, "product_uom_qty": 1}),
                ],
            }
        )
        self.assertTrue(order.order_line[0].name.startswith("[TSH2] "), "Odoo's line description has the code")
        order.action_confirm()
        client = OneCClient(self, "sale")
        self.assertEqual(client.checkauth()[0], "success")
        client.init()
        root = etree.fromstring(client.call("query", raw=True).content)
        lines = {
            node.findtext(f"{{{NS}}}Ид"): (node.findtext(f"{{{NS}}}Наименование"), node.findtext(f"{{{NS}}}Артикул"))
            for node in root.iter(f"{{{NS}}}Товар")
        }
        self.assertEqual(
            lines,
            {
                f"{PRODUCT}#m-red": ("Футболка (M, Красный)", "TSH2"),
                f"{PRODUCT}#s-red": ("Футболка (S, Красный)", "TSH-S-R"),
            },
        )

    def test_characteristic_products_in_import_xml_and_bad_ones(self):
        """Some 1C configurations send characteristics as products of import.xml; incomplete ones are logged."""
        catalog = f"""<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.10">
<Каталог СодержитТолькоИзменения="true"><Ид>vk</Ид><Наименование>К</Наименование><Товары>
<Товар><Ид>var-cap#1</Ид><Наименование>Кепка (белая)</Наименование><ХарактеристикиТовара><ХарактеристикаТовара>
<Наименование>Цвет</Наименование><Значение>Белый</Значение></ХарактеристикаТовара></ХарактеристикиТовара></Товар>
<Товар><Ид>var-cap#2</Ид><Наименование>Кепка (чёрная)</Наименование><ХарактеристикиТовара><ХарактеристикаТовара>
<Наименование>Цвет</Наименование><Значение>Чёрный</Значение></ХарактеристикаТовара></ХарактеристикиТовара></Товар>
<Товар><Ид>var-cap#3</Ид><Наименование>Кепка (?)</Наименование></Товар>
</Товары></Каталог></КоммерческаяИнформация>"""
        session = self._send("import.xml", catalog.encode())
        template = self.onec_products()
        self.assertEqual(template.onec_guid, "var-cap")
        self.assertEqual(template.name, "Кепка (белая)")
        variants = template.product_variant_ids
        self.assertEqual(sorted(variants.mapped("onec_variant_guid")), ["var-cap#1", "var-cap#2"])
        self.assertIn("var-cap#3: a characteristic without ХарактеристикиТовара, skipped", session.log)
        # an offer of a characteristic that names only some of the product's attributes is one more variant
        self._send("import.xml", CATALOG.encode())
        self._send("offers.xml", offers(offer("s-red", "S", "Красный", "100", 1)))
        subset = offers(offer("x", "S", "Красный", "100", 1)).replace(
            "<ХарактеристикаТовара><Наименование>Цвет</Наименование><Значение>Красный</Значение>"
            "</ХарактеристикаТовара>".encode(),
            b"",
        )
        self._send("offers.xml", subset)
        self.assertEqual(sorted(self._variant("x").product_template_attribute_value_ids.mapped("name")), ["S", "—"])

    def test_one_attribute_sales_price_per_variant(self):
        """With one attribute, each variant's sales price is exactly its 1C price (extra price per value)."""
        self._send("import.xml", CATALOG.encode())
        sized = offers(
            offer("s", "S", "x", "2 490", 1),
            offer("m", "M", "x", "2 490", 1),
            offer("xl", "XL", "x", "2 690", 1),
        ).replace(
            "<ХарактеристикаТовара><Наименование>Цвет</Наименование><Значение>x</Значение></ХарактеристикаТовара>".encode(),
            b"",
        )
        self._send("offers.xml", sized)
        template = self.onec_products()
        self.assertEqual(template.list_price, 2490.0)
        self.assertEqual(
            [self._variant(code).lst_price for code in ("s", "m", "xl")], [2490.0, 2490.0, 2690.0], "1C's prices"
        )
        # a later offers file with only one changed characteristic keeps the others right
        self._send(
            "offers.xml",
            offers(offer("s", "S", "x", "2 390", 1)).replace(
                "<ХарактеристикаТовара><Наименование>Цвет</Наименование><Значение>x</Значение>"
                "</ХарактеристикаТовара>".encode(),
                b"",
            ),
        )
        self.assertEqual(template.list_price, 2390.0)
        self.assertEqual([self._variant(code).lst_price for code in ("s", "m", "xl")], [2390.0, 2490.0, 2690.0])


def free_offer(char_id, chars, price, qty):
    """An offer of a characteristic naming any properties (``chars``: [(name, value)])."""
    named = "".join(
        f"<ХарактеристикаТовара><Наименование>{n}</Наименование><Значение>{v}</Значение></ХарактеристикаТовара>"
        for n, v in chars
    )
    return (
        f"<Предложение><Ид>{PRODUCT}#{char_id}</Ид><Наименование>Футболка {char_id}</Наименование>"
        f"<ХарактеристикиТовара>{named}</ХарактеристикиТовара>"
        f"<Цены><Цена><ИдТипаЦены>var-price</ИдТипаЦены><ЦенаЗаЕдиницу>{price}</ЦенаЗаЕдиницу>"
        f'<Валюта>RUB</Валюта></Цена></Цены><Склад ИдСклада="var-wh" КоличествоНаСкладе="{qty}"/>'
        f"</Предложение>"
    )


@tagged("post_install", "-at_install")
class TestCharacteristicSubsets(OnecExchangeCommon):
    """Real exports: one product's characteristics name different sets of properties (modelled on
    ready-script/offers.xml and off-doc-1c/offers.xml, where a characteristic names Размер and Цвет)."""

    _send = TestCharacteristics._send
    _variant = TestCharacteristics._variant
    _price = TestCharacteristics._price

    def _all_variants(self):
        return self.onec_products().with_context(active_test=False).product_variant_ids

    def test_subsets_of_properties_one_variant_each(self):
        self._send("import.xml", CATALOG.encode())
        first = [
            ("a", [("Размер", "S"), ("Цвет", "Красный"), ("Длина", "70")], 100, 1),
            ("b", [("Размер", "S"), ("Цвет", "Красный")], 110, 2),
            ("c", [("Размер", "M")], 120, 3),
            ("d", [("Цвет", "Синий"), ("Длина", "80")], 130, 4),
        ]
        self._send("offers.xml", offers(*(free_offer(*entry) for entry in first)))
        variants = self._all_variants()
        self.assertEqual(len(variants), 4, "exactly one variant per characteristic, no cartesian product")
        self.assertEqual(sorted(variants.mapped("onec_variant_guid")), [f"{PRODUCT}#{c}" for c in "abcd"])
        self.assertTrue(all(variants.mapped("active")))
        combos = {
            v.onec_variant_guid.split("#")[1]: sorted(v.product_template_attribute_value_ids.mapped("name"))
            for v in variants
        }
        self.assertEqual(
            combos,
            {"a": ["70", "S", "Красный"], "b": ["S", "Красный", "—"], "c": ["M", "—", "—"], "d": ["80", "Синий", "—"]},
        )
        template = self.onec_products()
        self.assertEqual(
            {level.product_id.onec_variant_guid[-1]: level.quantity for level in template.onec_stock_ids},
            {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0},
        )
        self.assertEqual([self._price(self._variant(c)) for c in "abcd"], [100.0, 110.0, 120.0, 130.0])
        # a later characteristic names a new property: the existing variants stay, with "—" for it
        self._send("offers.xml", offers(free_offer("e", [("Материал", "Хлопок"), ("Размер", "L")], 140, 5)))
        variants = self._all_variants()
        self.assertEqual(len(variants), 5)
        self.assertTrue(all(variants.mapped("active")))
        self.assertEqual(
            sorted(self._variant("a").product_template_attribute_value_ids.mapped("name")), ["70", "S", "Красный", "—"]
        )
        self.assertEqual(len(template.attribute_line_ids), 4)
        # the same offers again change nothing
        session = self._send("offers.xml", offers(*(free_offer(*entry) for entry in first)))
        for key in ("variants_created", "attributes_created", "prices_created", "prices_updated", "stock_updated"):
            self.assertFalse((session.stats or {}).get(key), key)
        self.assertEqual(len(self._all_variants()), 5)

    def test_more_than_a_thousand_combinations(self):
        """12 sizes x 10 colours x 3 x 3 = 1 080 combinations (above Odoo's limit of 1 000): 1C's 60 are made."""
        self._send("import.xml", CATALOG.encode())
        sizes = [str(40 + n) for n in range(12)]
        colours = [f"Цвет{n}" for n in range(10)]
        entries = []
        for n in range(60):
            chars = [
                ("Размер", sizes[n % 12]),
                ("Цвет", colours[n % 10]),
                ("Рост", str(n % 3)),
                ("Полнота", str(n // 20)),
            ]
            entries.append((f"k{n}", chars, 1000 + n, n))
        session = self._send("offers.xml", offers(*(free_offer(*entry) for entry in entries)))
        template = self.onec_products()
        self.assertEqual(
            sorted(len(line.value_ids) for line in template.attribute_line_ids), [3, 3, 10, 12], "1 080 possible"
        )
        self.assertEqual(len(self._all_variants()), 60)
        self.assertEqual(session.stats.get("variants_created"), 60)
        self.assertFalse(session.stats.get("offers_skipped"))
        self.assertEqual(self._price(self._variant("k59")), 1059.0)


@tagged("post_install", "-at_install")
class TestVariantsTimeLimit(OnecExchangeCommon):
    """Seconds per import call are a limit also inside a large characteristics batch (issue 15, point 9)."""

    _send = TestCharacteristics._send
    _variant = TestCharacteristics._variant
    _price = TestCharacteristics._price

    def test_progress_in_the_middle_of_a_characteristics_batch(self):
        self._send("import.xml", CATALOG.encode())
        self.backend.write({"batch_size": 500, "time_budget": 0})  # one batch; each call's time is up at once
        sizes = [str(40 + n) for n in range(12)]
        data = offers(*(offer(f"c{size}", size, "Красный", 1000 + int(size), int(size)) for size in sizes))
        client = OneCClient(self, "catalog")
        answer, progress = client.upload_and_import("offers.xml", data)
        self.env.invalidate_all()
        self.assertEqual(answer, ["success"])
        # each call creates one variant and finds its time is up: 11 calls answer "progress" before the 12th
        # completes the batch (prices and stock of all 12)
        self.assertEqual(progress, 11)
        self.assertEqual([a[1][0] for a in client.answers if a[0] == "import"], ["progress"] * 11 + ["success"])
        variants = {size: self._variant(f"c{size}") for size in sizes}
        self.assertTrue(all(v.active for v in variants.values()))
        self.assertEqual(
            self.onec_products().product_variant_ids, self.env["product.product"].concat(*variants.values())
        )
        self.assertEqual({s: self._price(v) for s, v in variants.items()}, {s: 1000.0 + int(s) for s in sizes})
        levels = {lv.product_id: lv.quantity for lv in self.onec_products().onec_stock_ids}
        self.assertEqual(levels, {v: float(s) for s, v in variants.items()})
        stats = self.last_session().stats
        self.assertEqual((stats["variants_created"], stats["prices_created"], stats["stock_updated"]), (12, 12, 12))
