from datetime import timedelta

from odoo import Command, fields

from odoo.addons.mlm_portal.tests.common import PASSWORD, MlmPortalCommon  # noqa: F401


class MlmAutoshipCommon(MlmPortalCommon):
    """The portal fixtures plus Odoo's Demo payment provider (enabled in test mode), a card saved for Alice and one
    for the referred customer, and an autoship for each, due today.

    Alice's autoship: 2 x Vitamin Pack (50.00, 40 PV each) = 100.00, 80 PV, monthly; the customer's (referred by
    Carol): 1 x Vitamin Pack.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env.user)
        cls.provider = cls.env.ref("payment.payment_provider_demo")
        cls.provider.write({"state": "test", "is_published": True, "company_id": cls.company.id})
        if not cls.provider.journal_id:
            cls.provider.journal_id = cls.bank_journal
        cls.payment_method = cls.env.ref("payment.payment_method_unknown")
        cls.product.product_tmpl_id.write({"is_published": True, "sale_ok": True})
        cls.token_alice = cls._token(cls.alice.partner_id)
        cls.customer.email = "customer@example.com"
        cls.token_customer = cls._token(cls.customer)
        cls.autoship_alice = cls._autoship(cls.alice.partner_id, cls.token_alice, quantity=2)
        cls.autoship_customer = cls._autoship(cls.customer, cls.token_customer)

    @classmethod
    def _token(cls, partner, state="done"):
        return cls.env["payment.token"].create(
            {
                "provider_id": cls.provider.id,
                "payment_method_id": cls.payment_method.id,
                "partner_id": partner.id,
                "payment_details": "4242",
                "provider_ref": f"demo-{partner.id}",
                "demo_simulated_state": state,
            }
        )

    @classmethod
    def _autoship(cls, partner, token, quantity=1.0, day=None):
        autoship = cls.env["mlm.autoship"].create(
            {
                "partner_id": partner.id,
                "company_id": cls.company.id,
                "payment_token_id": token.id if token else False,
                "line_ids": [Command.create({"product_id": cls.product.id, "quantity": quantity})],
            }
        )
        autoship.next_date = day or cls.today
        return autoship

    def _run_batch(self, day=None):
        """What the daily cron enqueues, run at once (queue_job's test mode)."""
        self.env["mlm.autoship"].with_context(queue_job__no_delay=True)._enqueue_cycles(day or self.today)

    def _days(self, n):
        return self.today + timedelta(days=n)
