from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_amount


class MlmDistributor(models.Model):
    """The distributor's e-wallet.

    The balance is not stored anywhere but in the accounting: it is the credit balance of the company's e-wallet
    liability account for the distributor's partner (posted lines only). Commissions paid to the e-wallet credit
    it, purchases paid from it debit it, and any correction an accountant posts on that account counts at once, so
    the balance always agrees with the balance sheet to the cent and there is no second ledger to keep in sync.
    Kept in its own file while ``mlm_distributor.py`` (the real-time projection) is being reworked; merge the two
    classes when that work has landed.
    """

    _inherit = "mlm.distributor"  # pylint: disable=consider-merging-classes-inherited

    mlm_wallet_currency_id = fields.Many2one(related="company_id.currency_id", string="E-Wallet Currency")
    mlm_wallet_balance = fields.Monetary(
        string="E-Wallet Balance",
        compute="_compute_mlm_wallet_balance",
        currency_field="mlm_wallet_currency_id",
        # money of one person: MLM staff and invoicing users only (the portal shows a distributor their own, read
        # with sudo after the access check), never an upline reading a downline record through RPC
        groups="mlm_network.group_mlm_user,account.group_account_invoice",
        help="Commissions paid to the e-wallet less what the e-wallet paid: the distributor's balance on the "
        "e-wallet account set in the MLM settings.",
    )

    @api.depends_context("company")
    def _compute_mlm_wallet_balance(self):
        balances = self._mlm_wallet_balances()
        for distributor in self:
            distributor.mlm_wallet_balance = balances.get(distributor.id, 0.0)

    def _mlm_wallet_balances(self):
        """{distributor id: e-wallet balance}, one grouped read of the e-wallet account per company."""
        result = {}
        MoveLine = self.env["account.move.line"].sudo()
        for company, distributors in self.sudo().grouped("company_id").items():
            account = company.mlm_wallet_account_id
            if not account:
                continue
            groups = MoveLine._read_group(
                [
                    ("account_id", "=", account.id),
                    ("company_id", "=", company.id),
                    ("parent_state", "=", "posted"),
                    ("partner_id", "in", distributors.partner_id.ids),
                ],
                ["partner_id"],
                ["balance:sum"],
            )
            by_partner = {partner.id: -balance for partner, balance in groups}
            currency = company.currency_id
            for distributor in distributors:
                result[distributor.id] = currency.round(by_partner.get(distributor.partner_id.id, 0.0))
        return result

    def _mlm_wallet_move_lines(self):
        """The posted e-wallet account lines of this distributor, newest first (its e-wallet history)."""
        self.ensure_one()
        account = self.sudo().company_id.mlm_wallet_account_id
        if not account:
            return self.env["account.move.line"].sudo()
        return (
            self.env["account.move.line"]
            .sudo()
            .search(
                [
                    ("account_id", "=", account.id),
                    ("company_id", "=", self.company_id.id),
                    ("parent_state", "=", "posted"),
                    ("partner_id", "=", self.partner_id.id),
                ],
                order="date desc, id desc",
            )
        )

    def action_view_wallet(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("E-Wallet of %(name)s", name=self.display_name),
            "res_model": "account.move.line",
            "view_mode": "list,form",
            "domain": [("id", "in", self._mlm_wallet_move_lines().ids)],
            "context": {"create": False},
        }

    def _mlm_wallet_check_invoice(self, invoice):
        """Refuse an invoice that this distributor's e-wallet may not pay."""
        company = self.company_id
        if invoice.move_type != "out_invoice" or invoice.state != "posted":
            raise UserError(self.env._("Only a posted customer invoice can be paid from an e-wallet."))
        if invoice.commercial_partner_id != self.partner_id.commercial_partner_id:
            raise UserError(
                self.env._(
                    "Invoice %(invoice)s is not billed to %(distributor)s: an e-wallet pays its owner's invoices only.",
                    invoice=invoice.name,
                    distributor=self.display_name,
                )
            )
        if invoice.company_id != company or invoice.currency_id != company.currency_id:
            raise UserError(
                self.env._(
                    "The e-wallet pays invoices of %(company)s in %(currency)s only.",
                    company=company.name,
                    currency=company.currency_id.name,
                )
            )

    def _mlm_wallet_check_amount(self, invoice, amount, balance):
        """The amount to pay (rounded; by default all the balance, at most the due), or a clear refusal."""
        currency = self.company_id.currency_id
        due = currency.round(invoice.amount_residual)
        amount = currency.round(min(balance, due) if amount is None else amount)

        def money(value):
            return format_amount(self.env, value, currency)

        if currency.compare_amounts(amount, 0.0) <= 0:
            raise UserError(
                self.env._(
                    "Nothing to pay: the e-wallet balance of %(distributor)s is %(balance)s and %(due)s is due.",
                    distributor=self.display_name,
                    balance=money(balance),
                    due=money(due),
                )
            )
        if currency.compare_amounts(amount, balance) > 0:
            raise UserError(
                self.env._(
                    "%(amount)s is more than the e-wallet balance of %(distributor)s (%(balance)s).",
                    amount=money(amount),
                    distributor=self.display_name,
                    balance=money(balance),
                )
            )
        if currency.compare_amounts(amount, due) > 0:
            raise UserError(
                self.env._(
                    "%(amount)s is more than the amount due on %(invoice)s (%(due)s).",
                    amount=money(amount),
                    invoice=invoice.name,
                    due=money(due),
                )
            )
        return amount

    def _mlm_wallet_pay(self, invoice, amount=None, date=None):
        """Pay (part of) a posted customer invoice of this distributor from their e-wallet.

        One journal entry in the commission journal debits the e-wallet account and credits the invoice's
        receivable, and is reconciled with the invoice. ``amount`` defaults to the smaller of the balance and the
        amount due; more than either is refused. Spending is serialised per distributor by a row lock, so two
        payments at once cannot overdraw the e-wallet. Returns the journal entry.
        """
        self.ensure_one()
        invoice.ensure_one()
        invoice.check_access("write")
        distributor = self.sudo()
        company = distributor.company_id
        distributor._mlm_wallet_check_invoice(invoice)
        journal, wallet = company._mlm_wallet_setup()
        # one payer at a time per distributor: the balance read below cannot change until this transaction ends
        self.env.cr.execute(SQL("SELECT id FROM mlm_distributor WHERE id = %s FOR UPDATE", distributor.id))
        self.env.flush_all()
        balance = distributor._mlm_wallet_balances().get(distributor.id, 0.0)
        amount = distributor._mlm_wallet_check_amount(invoice, amount, balance)
        receivables = invoice.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        )
        label = self.env._("E-wallet payment of %(invoice)s", invoice=invoice.name)
        move = self.env["account.move"].create(
            {
                "move_type": "entry",
                "journal_id": journal.id,
                "date": date or fields.Date.context_today(self),
                "ref": label,
                "company_id": company.id,
                "line_ids": [
                    Command.create(
                        {
                            "name": label,
                            "account_id": wallet.id,
                            "partner_id": distributor.partner_id.id,
                            "debit": amount,
                        }
                    ),
                    Command.create(
                        {
                            "name": label,
                            "account_id": receivables[:1].account_id.id,
                            "partner_id": invoice.commercial_partner_id.id,
                            "credit": amount,
                        }
                    ),
                ],
            }
        )
        move._post(soft=False)
        (move.line_ids.filtered(lambda line: line.account_id == receivables[:1].account_id) | receivables).reconcile()
        return move
