from odoo import api, fields, models


class MlmPayoutWizard(models.TransientModel):
    _name = "mlm.payout.wizard"
    _description = "Commission Payouts"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    journal_id = fields.Many2one(
        "account.journal",
        required=True,
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
        help="Bank transfer or cash journal the payments go out of.",
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

    @api.model
    def _default_period_ids(self):
        if self.env.context.get("active_model") == "mlm.commission.period":
            return self.env["mlm.commission.period"].browse(self.env.context.get("active_ids", []))
        return self.env["mlm.commission.period"].search([("state", "=", "closed")])

    @api.depends("period_ids")
    def _compute_summary(self):
        for wizard in self:
            statements = wizard._statements_to_pay()
            wizard.statement_count = len(statements)
            wizard.amount_total = sum(statements.mapped("payable"))

    def _statements_to_pay(self):
        return self.env["mlm.commission.statement"].search(
            [
                ("period_id", "in", self.period_ids.ids),
                ("state", "=", "closed"),
                ("payable", ">", 0),
            ]
        )

    def action_pay(self):
        self.ensure_one()
        payments = self.period_ids._create_payouts(self.journal_id, self.date)
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.payment",
            "view_mode": "list,form",
            "domain": [("id", "in", payments.ids)],
            "name": self.env._("Commission Payments"),
        }
