import logging
from datetime import timedelta

import requests

from odoo import fields, models
from odoo.tools import SQL

from ..tools import telegram

_logger = logging.getLogger(__name__)

MESSAGE_STATES = [("pending", "To Send"), ("sent", "Sent"), ("failed", "Failed")]


class MlmTelegramMessage(models.Model):
    """One recipient of a Telegram mass message, with its sending state."""

    _name = "mlm.telegram.message"
    _description = "Telegram Message"
    _order = "id"
    _rec_name = "partner_id"

    mailing_id = fields.Many2one("mlm.telegram.mailing", required=True, ondelete="cascade", readonly=True)
    bot_id = fields.Many2one(related="mailing_id.bot_id", store=True, index=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    chat_link_id = fields.Many2one("mlm.telegram.chat", string="Chat", required=True, ondelete="cascade", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Contact", readonly=True, index=True)
    state = fields.Selection(MESSAGE_STATES, required=True, default="pending", readonly=True, index=True)
    attempts = fields.Integer(readonly=True)
    next_attempt = fields.Datetime(readonly=True)
    sent_date = fields.Datetime(readonly=True)
    telegram_message_id = fields.Char(string="Telegram Message ID", readonly=True)
    error = fields.Char(readonly=True)

    _sql_constraints = [
        ("chat_once", "UNIQUE(mailing_id, chat_link_id)", "A mass message goes once to each chat."),
    ]

    def _send(self, limiter, session=None):
        """Send these pending messages, one Bot API call each at the limiter's rate; states written in one query."""
        bots = {bot.id: (bot.api_url, bot.bot_token, bot.max_attempts) for bot in self.bot_id.sudo()}
        now = fields.Datetime.now()
        results, blocked = [], self.env["mlm.telegram.chat"]
        with requests.Session() as own_session:
            for message in self:
                api_url, token, max_attempts = bots[message.bot_id.id]
                limiter.acquire()
                result = message._send_one(api_url, token, max_attempts, now, session or own_session)
                results.append(result)
                if result.get("blocked"):
                    blocked |= message.chat_link_id
        self._write_results(results)
        blocked._stop("blocked")
        return results

    def _send_one(self, api_url, token, max_attempts, now, session):
        self.ensure_one()
        attempts = self.attempts + 1
        try:
            message_id = telegram.send_message(
                api_url, token, self.chat_link_id.chat_id, self.mailing_id.body, session=session
            )
        except telegram.TelegramError as error:
            retry = error.retryable and attempts < max_attempts
            delay = error.retry_after or 30 * 2 ** (attempts - 1)
            _logger.info("Telegram message %s: attempt %s failed: %s", self.id, attempts, error)
            return {
                "id": self.id,
                "state": "pending" if retry else "failed",
                "attempts": attempts,
                "next_attempt": now + timedelta(seconds=delay) if retry else None,
                "error": str(error)[:250],
                "message_id": None,
                "blocked": error.chat_unreachable,
            }
        return {
            "id": self.id,
            "state": "sent",
            "attempts": attempts,
            "next_attempt": None,
            "error": None,
            "message_id": str(message_id) if message_id else None,
        }

    def _write_results(self, results):
        if not results:
            return
        self.flush_model()
        self.env.cr.execute(
            SQL(
                """
            UPDATE mlm_telegram_message m
               SET state = r.state, attempts = r.attempts, next_attempt = r.next_attempt, error = r.error,
                   telegram_message_id = COALESCE(r.message_id, m.telegram_message_id),
                   sent_date = CASE WHEN r.state = 'sent' THEN NOW() AT TIME ZONE 'UTC' ELSE m.sent_date END,
                   write_date = NOW() AT TIME ZONE 'UTC', write_uid = %(uid)s
              FROM unnest(%(ids)s::int[], %(states)s::varchar[], %(attempts)s::int[], %(next)s::timestamp[],
                          %(errors)s::varchar[], %(message_ids)s::varchar[])
                   AS r(id, state, attempts, next_attempt, error, message_id)
             WHERE m.id = r.id
                """,
                uid=self.env.uid,
                ids=[r["id"] for r in results],
                states=[r["state"] for r in results],
                attempts=[r["attempts"] for r in results],
                next=[r["next_attempt"] for r in results],
                errors=[r["error"] for r in results],
                message_ids=[r["message_id"] for r in results],
            )
        )
        self.invalidate_model()
