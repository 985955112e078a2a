# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from odoo.addons.mlm_commission.tests.common import MlmCommissionCommon

from .odata_server import ODataTestServer

PARTNERS = "Catalog_Контрагенты"
PAYOUTS = "Document_СписаниеСРасчетногоСчета"


@tagged("post_install", "-at_install")
class TestPayoutExport(MlmCommissionCommon):
    """A real closed and paid commission period, its payouts exported to 1C:Accounting over OData."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_reference_volume()
        cls.period.action_compute_now()
        cls.period.action_close()
        cls.env["mlm.payout.wizard"].with_context(
            active_model="mlm.commission.period", active_ids=cls.period.ids
        ).create({"journal_id": cls.bank_journal.id}).action_pay()
        cls.paid = cls.env["mlm.commission.statement"].search(
            [("period_id", "=", cls.period.id), ("payment_id", "!=", False)]
        )
        cls.backend = cls.env["mlm.onec.backend"].create(
            {
                "name": "1C accounting",
                "company_id": cls.company.id,
                "odata_user": "odata",
                "odata_password": "odata-pw",
                "odata_timeout": 5,
            }
        )
        cls.Record = cls.env["mlm.onec.export.record"]

    def setUp(self):
        super().setUp()
        self.server = ODataTestServer()
        self.server.__enter__()
        self.addCleanup(self.server.__exit__)
        self.backend.odata_url = self.server.base_url

    def test_payouts_exported_once_with_their_counterparty(self):
        self.assertTrue(self.paid)
        self.backend.action_enqueue_exports()
        payouts = self.Record.search([("backend_id", "=", self.backend.id), ("kind", "=", "payout")])
        self.assertEqual(sorted(payouts.mapped("res_id")), sorted(self.paid.payment_id.ids))
        self.Record._cron_send_pending()
        self.assertEqual(set(payouts.mapped("state")), {"sent"}, payouts.mapped("error"))
        documents = self.server.store[PAYOUTS]
        self.assertEqual(len(documents), len(self.paid))
        partner_keys = {
            r.res_id: r.ref_key
            for r in self.Record.search([("backend_id", "=", self.backend.id), ("kind", "=", "partner")])
        }
        for record in payouts:
            payment = self.env["account.payment"].browse(record.res_id)
            document = documents[record.ref_key]
            statement = self.paid.filtered(lambda s, p=payment: s.payment_id == p)
            self.assertEqual(document["СуммаДокумента"], statement.payable)
            self.assertEqual(document["Контрагент_Key"], partner_keys[payment.partner_id.commercial_partner_id.id])
            self.assertIn(self.period.name, document["НазначениеПлатежа"])
            self.assertTrue(document["Posted"])
        # the total sent to 1C is the period's payout, to the cent
        self.assertEqual(
            round(sum(d["СуммаДокумента"] for d in documents.values()), 2), round(sum(self.paid.mapped("payable")), 2)
        )
        # exporting again updates the same documents: nothing is duplicated in 1C
        self.backend.action_enqueue_exports()
        self.Record._cron_send_pending()
        self.assertEqual(len(self.server.store[PAYOUTS]), len(self.paid))
        self.assertEqual(len(self.server.store[PARTNERS]), len(set(partner_keys.values())))
