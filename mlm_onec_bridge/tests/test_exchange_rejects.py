# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Records that cannot be imported are errors 1C hears about (issue 15, point a), played over real HTTP."""

from odoo.tests import tagged

from .common import OneCClient, OnecExchangeCommon

NS = "urn:1C.ru:commerceml_2"


def catalog(*goods):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.10">'
        f'<Каталог СодержитТолькоИзменения="true"><Ид>rk</Ид><Наименование>К</Наименование><Товары>{"".join(goods)}'
        f"</Товары></Каталог></КоммерческаяИнформация>"
    ).encode()


def good(guid, name, rate=None, deleted=False):
    taxes = (
        f"<СтавкиНалогов><СтавкаНалога><Наименование>НДС</Наименование><Ставка>{rate}</Ставка></СтавкаНалога>"
        f"</СтавкиНалогов>"
        if rate is not None
        else ""
    )
    status = "<Статус>Удален</Статус>" if deleted else ""
    return (
        f'<Товар><Ид>{guid}</Ид><Наименование>{name}</Наименование><БазоваяЕдиница Код="796">шт</БазоваяЕдиница>'
        f"{taxes}{status}</Товар>"
    )


def offers(*guids):
    items = "".join(
        f"<Предложение><Ид>{guid}</Ид><Наименование>{guid}</Наименование><Цены><Цена><ИдТипаЦены>rp</ИдТипаЦены>"
        f"<ЦенаЗаЕдиницу>10</ЦенаЗаЕдиницу><Валюта>RUB</Валюта></Цена></Цены></Предложение>"
        for guid in guids
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.10">'
        f'<ПакетПредложений СодержитТолькоИзменения="true"><Ид>rp</Ид><Наименование>П</Наименование>'
        f"<ТипыЦен><ТипЦены><Ид>rp</Ид><Наименование>Розничная</Наименование><Валюта>RUB</Валюта></ТипЦены>"
        f"</ТипыЦен><Предложения>{items}</Предложения></ПакетПредложений></КоммерческаяИнформация>"
    ).encode()


@tagged("post_install", "-at_install")
class TestRejectedRecords(OnecExchangeCommon):
    def _run(self, filename, data):
        answer, _progress = OneCClient(self, "catalog").upload_and_import(filename, data)
        self.env.invalidate_all()
        return answer

    def test_offers_without_goods_are_errors_told_to_1c(self):
        answer = self._run("import.xml", catalog(good("r-1", "Один"), good("r-del", "Удалённый", deleted=True)))
        self.assertEqual(answer, ["success"])
        answer = self._run("offers.xml", offers("r-1", "r-ghost-1", "r-ghost-2", "r-del", "r-1#no-chars"))
        session = self.last_session()
        # the matched offer is imported, the 3 unmatched ones are errors on the session and in 1C's answer
        self.assertEqual(answer[0], "success")
        self.assertTrue(answer[1].startswith("WARNING: 3 records of offers.xml were not imported"), answer)
        self.assertIn("r-ghost-1", answer[1])
        self.assertEqual(session.rejected_count, 3)
        lines = session.rejected_log.strip().splitlines()
        self.assertEqual(len(lines), 3)
        self.assertEqual(sum("its product is in no goods file" in line for line in lines), 2)
        self.assertIn("Offer r-1#no-chars", lines[2])
        self.assertEqual(session.stats["offers_rejected"], 3)
        self.assertEqual(session.stats["offers_skipped_deleted"], 1, "an offer of a good 1C deleted is no error")
        self.assertEqual(session.stats["prices_created"], 1)
        self.assertEqual(self.onec_products().list_price, 10.0)
        self.assertIn(session, session.search([("rejected_count", ">", 0)]))

    def test_vat_rates_map_to_company_taxes(self):
        tax_10, tax_0 = self.ensure_sale_taxes(10, 0)
        tax_20 = self.vat_taxes.filtered(lambda t: t.amount == 20)
        answer = self._run(
            "import.xml",
            catalog(
                good("t-20", "Двадцать", "20"),
                good("t-10", "Десять", "10%"),
                good("t-0", "Ноль", "0"),
                good("t-none", "Без налога", "Без НДС"),
            ),
        )
        self.assertEqual(answer, ["success"])
        taxes = {p.onec_guid: p.taxes_id for p in self.onec_products()}
        self.assertEqual(taxes["t-20"], tax_20)
        self.assertEqual(taxes["t-10"], tax_10)
        self.assertEqual(taxes["t-0"], tax_0)
        self.assertFalse(taxes["t-none"], "Без НДС: no tax, not the default taxes of new products")

    def test_vat_rate_without_tax_fails_naming_the_tax(self):
        answer = self._run("import.xml", catalog(good("t-ok", "Хорошо", "20"), good("t-12", "Двенадцать", "12")))
        self.assertEqual(answer[0], "failure")
        self.assertIn("No sale tax of 12%", answer[1])
        self.assertIn("Двенадцать (t-12)", answer[1])
        self.assertEqual(self.last_session().state, "failed")
        self.assertFalse(self.onec_products(), "the failed call wrote nothing")
        # the company creates the tax, 1C repeats the exchange: everything comes in
        tax_12 = self.ensure_sale_taxes(12)
        answer = self._run("import.xml", catalog(good("t-ok", "Хорошо", "20"), good("t-12", "Двенадцать", "12")))
        self.assertEqual(answer, ["success"])
        self.assertEqual(self.onec_products().filtered(lambda p: p.onec_guid == "t-12").taxes_id, tax_12)
