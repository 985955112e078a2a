# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import fields, models


class AccountPayment(models.Model):
    _inherit = "account.payment"

    def _onec_prepare_payout_payload(self):
        """The 1C document of a commission payout (an outbound payment of ``mlm_commission``'s payout wizard):
        the entity set is the backend's configurable payout document type (by default a bank write-off)."""
        self.ensure_one()
        statements = self.env["mlm.commission.statement"].sudo().search([("payment_id", "=", self.id)])
        periods = ", ".join(sorted(set(statements.period_id.mapped("name"))))
        return {
            "Date": fields.Date.to_string(self.date) + "T00:00:00",
            "ВидОперации": "ПрочиеРасчетыСКонтрагентами",
            "partner_id": self.partner_id.commercial_partner_id.id,
            "СуммаДокумента": self.amount,
            "ВалютаДокумента": self.currency_id.name,
            "НазначениеПлатежа": self.env._("Commission payout for %(periods)s", periods=periods or self.name),
            "Комментарий": self.env._("Odoo payout %(name)s", name=self.name),
        }
