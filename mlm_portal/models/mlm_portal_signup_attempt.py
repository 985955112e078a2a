from datetime import timedelta

from odoo import api, fields, models


class MlmPortalSignupAttempt(models.Model):
    _name = "mlm.portal.signup.attempt"
    _description = "Referral Sign-up Attempt"
    _order = "id desc"

    ip_address = fields.Char(string="IP Address", required=True, index=True, readonly=True)
    sponsor_code = fields.Char(readonly=True)
    email = fields.Char(readonly=True)
    result = fields.Selection(
        [
            ("ok", "Signed up"),
            ("unknown_sponsor", "Unknown or terminated sponsor"),
            ("rate_limited", "Too many attempts"),
            ("invalid", "Invalid form"),
            ("duplicate", "Already registered or duplicate"),
        ],
        required=True,
        readonly=True,
    )
    message = fields.Char(readonly=True)
    distributor_id = fields.Many2one("mlm.distributor", readonly=True, ondelete="set null")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, readonly=True)

    @api.model
    def _is_rate_limited(self, ip_address, company):
        """True when ``ip_address`` made the company's allowed number of attempts within the last hour."""
        since = fields.Datetime.now() - timedelta(hours=1)
        count = self.sudo().search_count([("ip_address", "=", ip_address), ("create_date", ">=", since)])
        return count >= max(company.mlm_signup_rate_limit, 1)

    @api.autovacuum
    def _gc_old_attempts(self):
        self.sudo().search([("create_date", "<", fields.Datetime.now() - timedelta(days=90))]).unlink()
