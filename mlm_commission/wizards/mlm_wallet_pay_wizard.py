from odoo import api, fields, models
from odoo.exceptions import UserError


class MlmWalletPayWizard(models.TransientModel):
    _name = "mlm.wallet.pay.wizard"
    _description = "Pay an Invoice from the E-Wallet"

    invoice_id = fields.Many2one(
        "account.move",
        required=True,
        default=lambda self: self._default_invoice_id(),
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted')]",
    )
    partner_id = fields.Many2one(related="invoice_id.commercial_partner_id", string="Customer")
    # read through sudo: an accountant pays the invoice without access to the network
    distributor_id = fields.Many2one("mlm.distributor", compute="_compute_distributor_id")
    currency_id = fields.Many2one(related="invoice_id.currency_id")
    amount_due = fields.Monetary(related="invoice_id.amount_residual", string="Amount Due")
    wallet_balance = fields.Monetary(string="E-Wallet Balance", compute="_compute_distributor_id")
    amount = fields.Monetary(
        compute="_compute_amount", store=True, readonly=False, precompute=True, help="At most the balance and the due."
    )
    date = fields.Date(required=True, default=fields.Date.context_today)

    @api.model
    def _default_invoice_id(self):
        if self.env.context.get("active_model") == "account.move":
            return self.env.context.get("active_id")
        return False

    @api.depends("invoice_id")
    def _compute_distributor_id(self):
        for wizard in self:
            distributor = wizard.invoice_id.commercial_partner_id.sudo().mlm_distributor_id
            wizard.distributor_id = distributor
            wizard.wallet_balance = distributor.mlm_wallet_balance

    @api.depends("invoice_id")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = min(wizard.wallet_balance, wizard.amount_due)

    def action_pay(self):
        self.ensure_one()
        if not self.distributor_id:
            raise UserError(
                self.env._(
                    "%(partner)s is not a distributor: only distributors have an e-wallet.",
                    partner=self.invoice_id.commercial_partner_id.display_name,
                )
            )
        self.distributor_id._mlm_wallet_pay(self.invoice_id, self.amount, self.date)
        return {"type": "ir.actions.act_window_close"}
