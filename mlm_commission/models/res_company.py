from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from . import mlm_distributor_projection as projection

PROJECTION_CHANNEL = "root.mlm_projection"


class ResCompany(models.Model):
    _inherit = "res.company"

    mlm_volume_trigger = fields.Selection(
        [("sale", "Confirmed sale order"), ("invoice", "Posted customer invoice"), ("paid", "Paid invoice")],
        string="Volume Counts On",
        default="invoice",
        required=True,
        help="Which document event credits PV/BV to the volume ledger. Credit notes always give negative volume.",
    )
    mlm_period_type = fields.Selection(
        [("month", "Monthly"), ("week", "Weekly")], string="Commission Periods", default="month", required=True
    )
    mlm_plan_id = fields.Many2one("mlm.plan", string="Compensation Plan", domain="[('company_id', '=', id)]")
    mlm_commission_journal_id = fields.Many2one(
        "account.journal", string="Commission Journal", domain="[('type', '=', 'general'), ('company_id', '=', id)]"
    )
    mlm_commission_expense_account_id = fields.Many2one(
        "account.account",
        string="Commission Expense Account",
    )
    mlm_commission_payable_account_id = fields.Many2one(
        "account.account",
        string="Commissions Payable Account",
        help="A payable (reconcilable) account; each distributor's balance on it is what the company owes them.",
    )
    mlm_commission_held_account_id = fields.Many2one(
        "account.account",
        string="Held Commissions Account",
        help="A liability account for commissions earned but not payable yet: held by the customer-volume gate "
        "or carried forward below the payout threshold. They move to the payable account when a later period "
        "releases them. Created next to the payable account on the first close when left empty.",
    )
    mlm_wallet_account_id = fields.Many2one(
        "account.account",
        string="E-Wallet Account",
        help="A liability account holding the distributors' e-wallet balances: commissions paid to the e-wallet are "
        "credited to it per distributor, and purchases paid from the e-wallet are debited from it.",
    )
    mlm_statement_email = fields.Boolean(string="Email Statements on Close", default=True)
    mlm_auto_close = fields.Boolean(
        string="Close Periods Automatically", help="Close each computed period a few days after it ends."
    )
    mlm_auto_close_days = fields.Integer(string="Close After (days)", default=5)

    def _mlm_held_account(self):
        """The held commissions account, created next to the payable account the first time it is needed."""
        self.ensure_one()
        if self.mlm_commission_held_account_id:
            return self.mlm_commission_held_account_id
        payable = self.mlm_commission_payable_account_id
        Account = self.env["account.account"].sudo().with_company(self)
        account = Account.create(
            {
                "name": self.env._("Commissions Held"),
                "code": Account._search_new_account_code(payable.code or "219100"),
                "account_type": "liability_current",
                "company_ids": [self.id],
            }
        )
        self.sudo().mlm_commission_held_account_id = account
        return account

    def _mlm_wallet_setup(self):
        """(journal, e-wallet account) of this company, or a clear error when they are not set up."""
        self.ensure_one()
        journal, account = self.mlm_commission_journal_id, self.mlm_wallet_account_id
        if not (journal and account):
            raise UserError(
                self.env._(
                    "Set the commission journal and the e-wallet account in the MLM settings of %(company)s.",
                    company=self.name,
                )
            )
        if not account.account_type.startswith("liability"):
            raise UserError(
                self.env._(
                    "The e-wallet account %(account)s must be a liability account: it holds what the company owes "
                    "its distributors.",
                    account=account.display_name,
                )
            )
        return journal, account

    # ------------------------------------------------------------------ shared projection
    @api.model
    def cron_mlm_projection_fold(self):
        """Enqueue the fold of the shared projection (``mlm_distributor_projection.fold``) of every company with a
        plan whose state misses changes, is for another period or plan, or does not exist yet."""
        if not self.env.su and not self.env.user.has_group("mlm_network.group_mlm_manager"):
            raise AccessError(self.env._("Only the scheduler and MLM managers refresh the real-time projection."))
        companies = self.sudo().search([("mlm_plan_id", "!=", False)])
        stale = companies.filtered(lambda company: company._mlm_projection_stale())
        stale._mlm_projection_enqueue_fold()
        return True

    def _mlm_projection_stale(self):
        self.ensure_one()
        Period = self.env["mlm.commission.period"].sudo()
        period, date_from, date_to = Period._get_current_period(self, fields.Date.context_today(self.env.user))
        plan = period.plan_id or self.mlm_plan_id
        shared = projection.SharedProjection(self.env, self, date_from, date_to, plan, plan._get_engine_spec())
        header = shared.header()
        return header is None or bool(header[2])

    def _mlm_projection_enqueue_fold(self):
        for company in self:
            company.with_delay(
                channel=PROJECTION_CHANNEL,
                identity_key=f"mlm_projection_fold:{company.id}",
                description=self.env._("Shared projection of %(company)s", company=company.name),
                max_retries=3,
            )._mlm_projection_fold()
        return True

    def _mlm_projection_fold(self):
        """Job: rebuild this company's shared projection state (one engine run, written by binary COPY)."""
        self.ensure_one()
        return projection.fold(self.env, self)
