from odoo import api, fields, models
from odoo.tools import SQL


class MlmTelephonyEvent(models.Model):
    """Webhook events already received, one row per (provider, event key): retries and replays are ignored."""

    _name = "mlm.telephony.event"
    _description = "Telephony Webhook Event"
    _order = "id desc"

    provider_id = fields.Many2one("mlm.telephony.provider", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    key = fields.Char(required=True, readonly=True)
    payload = fields.Text(readonly=True)

    _sql_constraints = [
        ("key_unique", "UNIQUE(provider_id, key)", "This webhook event was already received."),
    ]

    @api.autovacuum
    def _gc_old_events(self, days=30):
        """Forget events older than ``days`` (the replay window of every provider is much shorter)."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM mlm_telephony_event"
                " WHERE create_date < NOW() AT TIME ZONE 'UTC' - make_interval(days => %s)",
                days,
            )
        )
