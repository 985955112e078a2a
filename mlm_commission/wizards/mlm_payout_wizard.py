from odoo import api, fields, models
from odoo.exceptions import UserError


class MlmPayoutWizard(models.TransientModel):
    _name = "mlm.payout.wizard"
    _description = "Commission Payouts"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    method = fields.Selection(
        [
            ("transfer", "Bank transfer"),
            ("batch", "Bank transfer file (batched)"),
            ("cash", "Cash"),
            ("wallet", "E-wallet balance"),
        ],
        string="Pay By",
        required=True,
        default="transfer",
        help="Bank transfer and cash make one outbound payment per distributor (the 1C export sends these). "
        "Bank transfer file pays thousands of distributors per batch: one journal entry and one transfer file "
        "(CSV) per batch, for networks too large for a payment each. E-wallet balance moves the amount from the "
        "commission payable to the distributor's e-wallet, which can pay their purchases.",
    )
    journal_type = fields.Char(compute="_compute_journal_type")
    journal_id = fields.Many2one(
        "account.journal",
        compute="_compute_journal_id",
        store=True,
        readonly=False,
        precompute=True,
        domain="[('type', '=', journal_type), ('company_id', '=', company_id)]",
        help="Bank or cash journal the payments go out of (not used for the e-wallet).",
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    period_ids = fields.Many2many(
        "mlm.commission.period",
        string="Periods",
        domain="[('state', '=', 'closed'), ('company_id', '=', company_id)]",
        default=lambda self: self._default_period_ids(),
    )
    statement_count = fields.Integer(compute="_compute_summary")
    amount_total = fields.Monetary(compute="_compute_summary", currency_field="currency_id")
    currency_id = fields.Many2one(related="company_id.currency_id")

    @api.depends("method")
    def _compute_journal_type(self):
        for wizard in self:
            wizard.journal_type = "cash" if wizard.method == "cash" else "bank"

    @api.depends("method", "company_id")
    def _compute_journal_id(self):
        for wizard in self:
            if wizard.method == "wallet":
                wizard.journal_id = False
            elif wizard.journal_id.type != wizard.journal_type:
                wizard.journal_id = self.env["account.journal"].search(
                    [("type", "=", wizard.journal_type), ("company_id", "=", wizard.company_id.id)], limit=1
                )

    @api.model
    def _default_period_ids(self):
        if self.env.context.get("active_model") == "mlm.commission.period":
            return self.env["mlm.commission.period"].browse(self.env.context.get("active_ids", []))
        return self.env["mlm.commission.period"].search([("state", "=", "closed")])

    @api.depends("period_ids")
    def _compute_summary(self):
        for wizard in self:
            # one grouped read: a period of a large network has hundreds of thousands of statements
            [(count, amount)] = self.env["mlm.commission.statement"]._read_group(
                wizard._statements_to_pay_domain(), [], ["__count", "payable:sum"]
            )
            wizard.statement_count = count
            wizard.amount_total = amount or 0.0

    def _statements_to_pay_domain(self):
        return [("period_id", "in", self.period_ids.ids), ("state", "=", "closed"), ("payable", ">", 0)]

    def action_pay(self):
        self.ensure_one()
        if self.method != "wallet" and not self.journal_id:
            raise UserError(self.env._("Choose the journal the payments go out of."))
        job = self.period_ids.with_delay(
            channel="root.mlm_commission",
            identity_key=f"mlm_commission_payout:{self.company_id.id}",
            description=self.env._("Commission payouts %(periods)s", periods=", ".join(self.period_ids.mapped("name"))),
            max_retries=1,
        )._create_payouts(self.journal_id, self.date, method=self.method)
        result = job.result if job else None
        if result is None:
            # enqueued: the payments appear when the job has run (Queue Jobs shows its progress)
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._("The payouts are queued; they run in the background."),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        if self.method in ("wallet", "batch"):
            return {
                "type": "ir.actions.act_window",
                "res_model": "account.move",
                "view_mode": "form" if len(result) == 1 else "list,form",
                "res_id": result[:1].id,
                "domain": [("id", "in", result.ids)],
                "name": self.env._("Commissions to E-Wallet")
                if self.method == "wallet"
                else self.env._("Commission Transfers"),
            }
        payments = result
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.payment",
            "view_mode": "list,form",
            "domain": [("id", "in", payments.ids)],
            "name": self.env._("Commission Payments"),
        }
