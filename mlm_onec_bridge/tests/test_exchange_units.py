# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Units round-trip through their OKEI code (issue 15, point 6): catalog in, orders out, over real HTTP."""

from lxml import etree

from odoo.tests import tagged

from .common import OneCClient, OnecExchangeCommon

NS = "urn:1C.ru:commerceml_2"
XNS = {"c": NS}
UNITS = [
    ("u-pce", "796", "шт", "Штука"),
    ("u-pair", "715", "пар", "Пара (2 шт.)"),
    ("u-kg", "166", "кг", "Килограмм"),
    ("u-l", "112", "л", "Литр"),
    ("u-m", "006", "м", "Метр"),
    ("u-roll", "736", "рул", "Рулон"),
]


def catalog():
    goods = "".join(
        f"<Товар><Ид>{guid}</Ид><Артикул>A-{guid}</Артикул><Наименование>Товар {guid}</Наименование>"
        f'<БазоваяЕдиница Код="{code}" НаименованиеПолное="{full}">{short}</БазоваяЕдиница></Товар>'
        for guid, code, short, full in UNITS
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.10">'
        f'<Каталог СодержитТолькоИзменения="true"><Ид>uk</Ид><Наименование>К</Наименование><Товары>{goods}'
        f"</Товары></Каталог></КоммерческаяИнформация>"
    ).encode()


@tagged("post_install", "-at_install")
class TestUnitsRoundTrip(OnecExchangeCommon):
    def test_okei_codes_in_and_out(self):
        Uom = self.env["uom.uom"].with_context(active_test=False)
        before = Uom.search_count([])
        answer, _progress = OneCClient(self, "catalog").upload_and_import("import.xml", catalog())
        self.assertEqual(answer, ["success"])
        self.env.invalidate_all()
        products = {p.onec_guid: p for p in self.onec_products()}
        ref = self.env.ref
        self.assertEqual(products["u-pce"].uom_id, ref("uom.product_uom_unit"))
        self.assertEqual(products["u-kg"].uom_id, ref("uom.product_uom_kgm"))
        self.assertEqual(products["u-l"].uom_id, ref("uom.product_uom_litre"))
        self.assertEqual(products["u-m"].uom_id, ref("uom.product_uom_meter"))
        # Odoo has no pair nor roll: created once, in the Units category, with their code
        pair, roll = products["u-pair"].uom_id, products["u-roll"].uom_id
        self.assertEqual(Uom.search_count([]), before + 2)
        self.assertEqual(
            (pair.name, pair.onec_okei_code, pair.category_id), ("пар", "715", ref("uom.product_uom_categ_unit"))
        )
        self.assertEqual((pair.uom_type, pair.factor_inv), ("bigger", 2.0))
        self.assertEqual(
            (roll.name, roll.onec_okei_code, roll.category_id), ("рул", "736", ref("uom.product_uom_categ_unit"))
        )
        self.assertEqual(products["u-pair"].uom_po_id, pair)
        # a second exchange finds them by their code: no new unit, nothing changed
        answer, _progress = OneCClient(self, "catalog").upload_and_import("import.xml", catalog())
        self.assertEqual(answer, ["success"])
        self.assertEqual(Uom.search_count([]), before + 2)
        self.assertFalse((self.last_session().stats or {}).get("products_updated"))

        # orders go back to 1C with the code of each product's unit, not always 796
        partner = self.env["res.partner"].create({"name": "Покупатель"})
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [
                    (0, 0, {"product_id": products[guid].product_variant_id.id, "product_uom_qty": 2})
                    for guid, __, __, __ in UNITS
                ],
            }
        )
        order.action_confirm()
        client = OneCClient(self, "sale")
        self.assertEqual(client.checkauth()[0], "success")
        client.init()
        root = etree.fromstring(client.call("query", raw=True).content)
        lines = root.findall("c:Документ/c:Товары/c:Товар", XNS)
        codes = {line.findtext("c:Ид", namespaces=XNS): line.find("c:БазоваяЕдиница", XNS).get("Код") for line in lines}
        self.assertEqual(codes, {guid: code for guid, code, __, __ in UNITS})
        kg = next(line for line in lines if line.findtext("c:Ид", namespaces=XNS) == "u-kg")
        self.assertEqual(kg.find("c:БазоваяЕдиница", XNS).get("МеждународноеСокращение"), None, "PCE only for pieces")
