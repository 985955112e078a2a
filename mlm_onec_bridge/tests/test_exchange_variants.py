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
        # Odoo builds every combination: the one 1C does not have (M, blue) is archived, not offered
        all_variants = template.with_context(active_test=False).product_variant_ids
        self.assertEqual(len(all_variants), 4)
        stray = all_variants - s_red - m_red - s_blue
        self.assertFalse(stray.active)
        self.assertFalse(template._is_combination_possible(stray.product_template_attribute_value_ids))
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
        active = template.with_context(active_test=True).product_variant_ids
        self.assertEqual(active, s_red | m_red | s_blue | l_red, "new combinations Odoo built (L, blue) archived")
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
        # a characteristic offer that names only some of the product's attributes is refused with a reason
        self._send("import.xml", CATALOG.encode())
        self._send("offers.xml", offers(offer("s-red", "S", "Красный", "100", 1)))
        bad = offers(offer("x", "S", "Красный", "100", 1)).replace(
            "<ХарактеристикаТовара><Наименование>Цвет</Наименование><Значение>Красный</Значение>"
            "</ХарактеристикаТовара>".encode(),
            b"",
        )
        session = self._send("offers.xml", bad)
        self.assertIn("do not name a value for each attribute", session.log)
        self.assertFalse(self._variant("x"))

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
