# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Orders to 1C (``type=sale&mode=query`` -> ``success``) and order changes coming back, over real HTTP."""

from lxml import etree

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ..tools import cml_writer
from .common import OneCClient, OnecExchangeCommon

NS = {"c": "urn:1C.ru:commerceml_2"}


@tagged("post_install", "-at_install")
class TestOrderExchange(OnecExchangeCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        tax_group = cls.env["account.tax.group"].create({"name": "НДС", "company_id": cls.company.id})
        cls.tax = cls.env["account.tax"].create(
            {
                "name": "НДС 20%",
                "amount": 20,
                "amount_type": "percent",
                "type_tax_use": "sale",
                "company_id": cls.company.id,
                "tax_group_id": tax_group.id,
                "country_id": cls.company.account_fiscal_country_id.id or cls.env.ref("base.ru").id,
            }
        )
        cls.product = cls.env["product.template"].create(
            {
                "name": "Крем для рук",
                "default_code": "CR-1",
                "list_price": 500.0,
                "type": "consu",
                "onec_guid": "11111111-2222-3333-4444-555555555555",
                "taxes_id": [(6, 0, cls.tax.ids)],
                "mlm_pv": 12.5,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "ООО Ромашка",
                "is_company": True,
                "vat": "7707083893",
                "onec_kpp": "773601001",
                "city": "Москва",
                "email": "romashka@example.com",
            }
        )
        cls.referrer_partner = cls.env["res.partner"].create({"name": "Distributor Dina"})
        cls.distributor = cls.env["mlm.distributor"].enroll(cls.referrer_partner, False, status="active")
        cls.customer.mlm_referrer_id = cls.distributor
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": cls.product.product_variant_id.id,
                            "product_uom_qty": 3,
                            "price_unit": 500.0,
                            "discount": 10.0,
                        },
                    )
                ],
            }
        )
        cls.order.action_confirm()
        cls.draft = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [(0, 0, {"product_id": cls.product.product_variant_id.id, "product_uom_qty": 1})],
            }
        )

    def _query(self, version="2.10"):
        client = OneCClient(self, "sale")
        self.assertEqual(client.checkauth()[0], "success")
        client.init(version=version)
        response = client.call("query", raw=True)
        self.assertIn("application/xml", response.headers["Content-Type"])
        return client, response.content

    def test_query_success_cycle(self):
        client, data = self._query()
        self.assertEqual(cml_writer.validation_errors(data), [], "the order document validates against 2.10 XSD")
        root = etree.fromstring(data)
        documents = root.findall("c:Документ", NS)
        self.assertEqual([d.findtext("c:Номер", namespaces=NS) for d in documents], [self.order.name])
        doc = documents[0]
        self.assertEqual(doc.findtext("c:Сумма", namespaces=NS), f"{self.order.amount_total:.2f}")
        self.assertEqual(self.order.amount_total, 1620.0)  # 3 x 500 - 10 % = 1350 + 20 % VAT
        partner = doc.find("c:Контрагенты/c:Контрагент", NS)
        self.assertEqual(partner.findtext("c:ИНН", namespaces=NS), "7707083893")
        self.assertEqual(partner.findtext("c:КПП", namespaces=NS), "773601001")
        line = doc.find("c:Товары/c:Товар", NS)
        self.assertEqual(line.findtext("c:Ид", namespaces=NS), "11111111-2222-3333-4444-555555555555")
        self.assertEqual(line.findtext("c:Количество", namespaces=NS), "3.000")
        self.assertEqual(line.findtext("c:Сумма", namespaces=NS), "1350.00")  # VAT excluded, shown apart
        self.assertEqual(line.findtext("c:Налоги/c:Налог/c:УчтеноВСумме", namespaces=NS), "false")
        self.assertEqual(line.findtext("c:Скидки/c:Скидка/c:Сумма", namespaces=NS), "150.00")
        self.assertEqual(line.findtext("c:Налоги/c:Налог/c:Сумма", namespaces=NS), "270.00")
        requisites = {
            r.findtext("c:Наименование", namespaces=NS): r.findtext("c:Значение", namespaces=NS)
            for r in doc.findall("c:ЗначенияРеквизитов/c:ЗначениеРеквизита", NS)
        }
        self.assertEqual(requisites["Код дистрибьютора"], self.distributor.code)
        self.assertEqual(requisites["PV"], "37.50")  # 3 x 12.5 PV
        self.assertEqual(self.order.onec_state, "queried")

        self.assertEqual(client.call("success")[0], "success")
        self.assertEqual(self.order.onec_state, "sent")
        self.assertTrue(self.order.onec_sent_date)
        # acknowledged orders are not sent again
        _client, data = self._query()
        self.assertFalse(etree.fromstring(data).findall("c:Документ", NS))

    def test_query_without_success_is_sent_again(self):
        self._query()
        _client, data = self._query(version="2.08")
        root = etree.fromstring(data)
        self.assertEqual(root.get("ВерсияСхемы"), "2.08")
        self.assertEqual(len(root.findall("c:Документ", NS)), 1)

    def test_windows_1251_answer(self):
        self.backend.answer_encoding = "windows-1251"
        _client, data = self._query()
        self.assertTrue(data.startswith(b"<?xml version='1.0' encoding='windows-1251'?>"))
        self.assertIn("Ромашка".encode("cp1251"), data)
        self.assertEqual(cml_writer.validation_errors(data), [])

    def test_order_changes_from_1c(self):
        self._query()
        changes = f"""<?xml version="1.0" encoding="windows-1251"?>
<КоммерческаяИнформация xmlns="urn:1C.ru:commerceml_2" ВерсияСхемы="2.08" ДатаФормирования="2026-01-05T10:00:00">
<Документ><Ид>{self.order.onec_guid}</Ид><Номер>{self.order.name}</Номер><Дата>2026-01-05</Дата>
<ЗначенияРеквизитов>
<ЗначениеРеквизита><Наименование>Номер по 1С</Наименование><Значение>ЦБ-000123</Значение></ЗначениеРеквизита>
<ЗначениеРеквизита><Наименование>Дата оплаты по 1С</Наименование><Значение>2026-01-04T12:00:00</Значение>
</ЗначениеРеквизита>
<ЗначениеРеквизита><Наименование>Дата отгрузки по 1С</Наименование><Значение>0001-01-01T00:00:00</Значение>
</ЗначениеРеквизита>
</ЗначенияРеквизитов></Документ>
<Документ><Ид>unknown-guid</Ид><Номер>S99999</Номер><Дата>2026-01-05</Дата></Документ>
</КоммерческаяИнформация>""".encode("cp1251")
        client = OneCClient(self, "sale")
        client.checkauth()
        client.init()
        self.assertEqual(client.send_file("orders.xml", changes, 64 * 1024)[0], "success")
        self.assertEqual(client.call("import", filename="orders.xml")[0], "success")
        self.assertEqual(self.order.onec_number, "ЦБ-000123")
        self.assertEqual(str(self.order.onec_paid_date), "2026-01-04")
        self.assertFalse(self.order.onec_shipped_date)
        session = self.last_session("sale")
        self.assertEqual(session.rejected_count, 1, "the unknown document is reported, not skipped silently")
        self.assertIn("Order unknown-guid (number S99999) from 1C", session.rejected_log)

        cancel = changes.replace("Номер по 1С".encode("cp1251"), "Отменен".encode("cp1251")).replace(
            "ЦБ-000123".encode("cp1251"), b"true"
        )
        client = OneCClient(self, "sale")
        client.checkauth()
        client.init()
        # without a final import call (some 1C versions): applied as soon as the file is complete
        self.assertEqual(client.send_file("orders.xml", cancel, 512)[0], "success")
        self.assertEqual(self.order.state, "cancel")
        self.assertIn("not complete yet", self.last_session("sale").log)
        self.assertEqual(client.call("import", filename="orders.xml")[0], "success")

    def test_one_node_per_company_receives_the_orders(self):
        """A company's second exchange node takes its catalog only: 1C asking it for orders gets none (each order
        goes to one 1C), and two nodes of a company cannot both receive orders."""
        user_b = (
            self.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "1C node B",
                    "login": "onec.b",
                    "password": "onec.b-pass-1",
                    "company_id": self.company.id,
                    "company_ids": [(6, 0, self.company.ids)],
                    "groups_id": [(6, 0, [self.env.ref("mlm_onec_bridge.group_onec_exchange").id])],
                }
            )
        )
        node_b = self.env["mlm.onec.backend"].create(
            {"name": "1C node B", "company_id": self.company.id, "exchange_user_id": user_b.id}
        )
        self.assertTrue(self.backend.send_orders)
        self.assertFalse(node_b.send_orders, "a company's further node exchanges its catalog only")
        client = OneCClient(self, "sale", login="onec.b", password="onec.b-pass-1")
        self.assertEqual(client.checkauth()[0], "success")
        client.init()
        data = client.call("query", raw=True).content
        self.assertFalse(etree.fromstring(data).findall("c:Документ", NS))
        self.assertFalse(self.order.onec_state)
        with self.assertRaisesRegex(ValidationError, "Only one 1C exchange node"):
            node_b.send_orders = True
        # the company's order node still gets the order
        _client, data = self._query()
        self.assertEqual(len(etree.fromstring(data).findall("c:Документ", NS)), 1)
