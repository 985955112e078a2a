from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mlm_volume_trigger = fields.Selection(related="company_id.mlm_volume_trigger", readonly=False)
    mlm_period_type = fields.Selection(related="company_id.mlm_period_type", readonly=False)
    mlm_plan_id = fields.Many2one(related="company_id.mlm_plan_id", readonly=False)
    mlm_commission_journal_id = fields.Many2one(related="company_id.mlm_commission_journal_id", readonly=False)
    mlm_commission_expense_account_id = fields.Many2one(
        related="company_id.mlm_commission_expense_account_id", readonly=False
    )
    mlm_commission_payable_account_id = fields.Many2one(
        related="company_id.mlm_commission_payable_account_id", readonly=False
    )
    mlm_commission_held_account_id = fields.Many2one(
        related="company_id.mlm_commission_held_account_id", readonly=False
    )
    mlm_wallet_account_id = fields.Many2one(related="company_id.mlm_wallet_account_id", readonly=False)
    mlm_statement_email = fields.Boolean(related="company_id.mlm_statement_email", readonly=False)
    mlm_auto_close = fields.Boolean(related="company_id.mlm_auto_close", readonly=False)
    mlm_auto_close_days = fields.Integer(related="company_id.mlm_auto_close_days", readonly=False)
