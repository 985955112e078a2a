from odoo import api, fields, models
from odoo.tools import SQL


class MlmTelegramUpdate(models.Model):
    """Telegram update ids already received per bot: Telegram redelivers an update until it gets HTTP 200, so a
    retried or replayed update is recognised and ignored."""

    _name = "mlm.telegram.update"
    _description = "Telegram Update Received"
    _order = "id desc"

    bot_id = fields.Many2one("mlm.telegram.bot", required=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="bot_id.company_id", store=True)
    update_id = fields.Integer(required=True, readonly=True)

    _sql_constraints = [
        ("update_unique", "UNIQUE(bot_id, update_id)", "This Telegram update was already received."),
    ]

    @api.autovacuum
    def _gc_old_updates(self, days=30):
        """Telegram keeps undelivered updates 24 hours at most: older ids can be forgotten."""
        self.env.cr.execute(
            SQL(
                "DELETE FROM mlm_telegram_update"
                " WHERE create_date < NOW() AT TIME ZONE 'UTC' - make_interval(days => %s)",
                days,
            )
        )
