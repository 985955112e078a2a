# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Accounting export to 1C:Accounting, against a local server with 1C's documented OData behaviour."""

from datetime import timedelta

from lxml import etree

from odoo import fields
from odoo.tests import TransactionCase, tagged

from .odata_server import ODataTestServer

PARTNERS = "Catalog_Контрагенты"
SALES = "Document_РеализацияТоваровУслуг"
PAYMENTS = "Document_ПоступлениеНаРасчетныйСчет"


@tagged("post_install", "-at_install")
class TestODataExport(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        cls.backend = cls.env["mlm.onec.backend"].create(
            {
                "name": "1C accounting",
                "company_id": cls.company.id,
                "odata_user": "odata",
                "odata_password": "odata-pw",
                "odata_timeout": 5,
                "odata_max_attempts": 3,
            }
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "ИП Петров", "vat": "500100732259", "is_company": True, "onec_kpp": ""}
        )
        cls.product = cls.env["product.template"].create(
            {"name": "Шампунь", "list_price": 250.0, "onec_guid": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"}
        )
        cls.order = cls.env["sale.order"].create(
            {
                "partner_id": cls.customer.id,
                "order_line": [
                    (
                        0,
                        0,
                        {
                            "product_id": cls.product.product_variant_id.id,
                            "product_uom_qty": 4,
                            "price_unit": 250.0,
                            "tax_id": [(5, 0, 0)],
                        },
                    )
                ],
            }
        )
        cls.order.action_confirm()
        # a posted customer payment (minimal accounting: no chart of accounts in the test database)
        journal = cls.env["account.journal"].create({"name": "Bank T", "type": "bank", "code": "BNKT"})
        outstanding = cls.env["account.account"].create(
            {"name": "Outstanding receipts", "code": "1021", "account_type": "asset_current", "reconcile": True}
        )
        receivable = cls.env["account.account"].create(
            {"name": "Receivable", "code": "1210", "account_type": "asset_receivable", "reconcile": True}
        )
        journal.inbound_payment_method_line_ids.payment_account_id = outstanding
        cls.customer.property_account_receivable_id = receivable
        cls.payment = cls.env["account.payment"].create(
            {
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": cls.customer.id,
                "amount": 1000.0,
                "journal_id": journal.id,
                "memo": "Оплата заказа",
            }
        )
        cls.payment.action_post()
        cls.Record = cls.env["mlm.onec.export.record"]

    def setUp(self):
        super().setUp()
        self.server = ODataTestServer()
        self.server.__enter__()
        self.addCleanup(self.server.__exit__)
        self.backend.odata_url = self.server.base_url

    def _records(self):
        return self.Record.search([("backend_id", "=", self.backend.id)])

    def test_export_counterparty_and_sale_posted(self):
        self.backend.action_enqueue_exports()
        records = self._records()
        self.assertEqual(sorted(records.mapped("kind")), ["partner", "payment", "sale"])
        self.Record._cron_send_pending()
        self.assertEqual(set(records.mapped("state")), {"sent"})
        partner_rec = records.filtered(lambda r: r.kind == "partner")
        sale_rec = records.filtered(lambda r: r.kind == "sale")
        counterparty = self.server.store[PARTNERS][partner_rec.ref_key]
        self.assertEqual(counterparty["ИНН"], "500100732259")
        self.assertEqual(counterparty["Description"], "ИП Петров")
        sale = self.server.store[SALES][sale_rec.ref_key]
        self.assertEqual(sale["Контрагент_Key"], partner_rec.ref_key)
        self.assertEqual(sale["СуммаДокумента"], 1000.0)
        self.assertEqual(sale["Товары"][0]["Номенклатура_Key"], "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
        self.assertEqual(sale["Товары"][0]["Количество"], 4.0)
        self.assertTrue(sale["Posted"])
        self.assertTrue(sale_rec.posted)
        payment_rec = records.filtered(lambda r: r.kind == "payment")
        payment = self.server.store[PAYMENTS][payment_rec.ref_key]
        self.assertEqual(payment["СуммаДокумента"], 1000.0)
        self.assertEqual(payment["ВидОперации"], "ОплатаПокупателя")
        self.assertEqual(payment["Контрагент_Key"], partner_rec.ref_key)
        self.assertEqual(payment["НазначениеПлатежа"], "Оплата заказа")
        self.assertTrue(payment["Posted"])
        self.assertIn("POST", sale_rec.request_body)
        self.assertIn("Ref_Key", sale_rec.answer_body)

        # a second export of the same records updates them in 1C under the same key: no duplicate
        self.customer.name = "ИП Петров А.А."
        self.backend.action_enqueue_exports()
        self.assertEqual(self._records(), records)
        self.Record._cron_send_pending()
        self.assertEqual(len(self.server.store[PARTNERS]), 1)
        self.assertEqual(len(self.server.store[SALES]), 1)
        self.assertEqual(self.server.store[PARTNERS][partner_rec.ref_key]["Description"], "ИП Петров А.А.")
        self.assertIn(
            ("PATCH", f"/base/odata/standard.odata/{PARTNERS}(guid'{partner_rec.ref_key}')"), self.server.calls
        )

    def test_lost_answer_then_retry_creates_no_duplicate(self):
        # 1C creates the document but the answer is lost (503 after applying): a transient error
        self.server.faults.append({"method": "POST", "set": SALES, "status": 503, "apply": True})
        self.backend.action_enqueue_exports()
        before = fields.Datetime.now()
        self.Record._cron_send_pending()
        sale_rec = self._records().filtered(lambda r: r.kind == "sale")
        self.assertEqual(sale_rec.state, "error")
        self.assertTrue(sale_rec.transient_error)
        self.assertEqual(sale_rec.attempts, 1)
        self.assertIn("503", sale_rec.error)
        self.assertIn("503", sale_rec.answer_body)
        self.assertGreaterEqual(sale_rec.next_attempt, before + timedelta(seconds=59))
        # the back-off holds the cron back ...
        self.Record._cron_send_pending()
        self.assertEqual(sale_rec.attempts, 1)
        # ... until the time has come
        sale_rec.next_attempt = fields.Datetime.now() - timedelta(seconds=1)
        self.Record._cron_send_pending()
        self.assertEqual(sale_rec.state, "sent")
        self.assertEqual(sale_rec.attempts, 2)
        self.assertEqual(len(self.server.store[SALES]), 1, "the retry must not create a second document")
        self.assertTrue(self.server.store[SALES][sale_rec.ref_key]["Posted"])

    def test_backoff_doubles_and_stops(self):
        for _i in range(3):
            self.server.faults.append({"method": "POST", "set": PARTNERS, "status": 503})
        self.Record._enqueue(self.backend, "partner", self.customer)
        record = self._records()
        delays = []
        for _i in range(3):
            now = fields.Datetime.now()
            record.action_retry()
            if record.next_attempt:
                delays.append(round((record.next_attempt - now).total_seconds() / 60))
        self.assertEqual(delays, [1, 2], "back-off doubles: 1 then 2 minutes")
        self.assertEqual(record.attempts, 3)
        self.assertFalse(record.transient_error, "after the last automatic attempt only a manual retry remains")
        self.assertFalse(record.next_attempt)
        record.action_retry()  # manual retry button, the server works again
        self.assertEqual(record.state, "sent")
        self.assertEqual(len(self.server.store[PARTNERS]), 1)

    def test_wrong_credentials_is_not_retried(self):
        self.backend.odata_password = "wrong"
        self.Record._enqueue(self.backend, "partner", self.customer)
        self.Record._cron_send_pending()
        record = self._records()
        self.assertEqual(record.state, "error")
        self.assertIn("401", record.error)
        self.assertFalse(record.transient_error)
        self.assertFalse(record.next_attempt)
        self.assertFalse(self.server.store.get(PARTNERS))

    def test_payout_needs_the_commission_addon(self):
        record = self.Record.create(
            {
                "backend_id": self.backend.id,
                "kind": "payout",
                "res_model": "res.partner",
                "res_id": self.customer.id,
                "name": "payout",
                "entity_set": self.backend.entity_payout,
            }
        )
        record.action_retry()
        self.assertEqual(record.state, "error")
        self.assertFalse(record.transient_error)
        self.assertIn("commission", record.error)

    def test_file_alternative(self):
        self.backend.export_mode = "file"
        self.backend.action_enqueue_exports()
        self.Record._cron_send_pending()
        self.assertFalse(self.server.calls, "file mode never calls OData")
        action = self.backend.action_download_export_file()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        root = etree.fromstring(attachment.raw)
        objects = root.findall("Объект")
        self.assertEqual([o.get("Тип") for o in objects], [PARTNERS, SALES, PAYMENTS])
        self.assertEqual(objects[0].findtext("Реквизит[@Имя='ИНН']"), "500100732259")
        self.assertEqual(objects[1].findtext("Реквизит[@Имя='Контрагент_Key']"), objects[0].get("Ref_Key"))
        self.assertEqual(set(self._records().mapped("state")), {"sent"})

    def test_missing_url_waits_for_manual_retry(self):
        self.backend.odata_url = False
        self.Record._enqueue(self.backend, "partner", self.customer)
        self.Record._cron_send_pending()
        record = self._records()
        self.assertEqual(record.state, "error")
        self.assertIn("URL", record.error)
        self.assertFalse(record.transient_error)
