import logging
import secrets

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import telegram

_logger = logging.getLogger(__name__)


def _new_secret(_records=None):
    return secrets.token_urlsafe(32)


class MlmTelegramBot(models.Model):
    """The company's Telegram bot: distributors link their chat by ``/start <token>`` (deep link), leave by
    ``/stop``; mass messages to segments go out through it (``mlm.telegram.mailing``)."""

    _name = "mlm.telegram.bot"
    _description = "Telegram Bot"
    _order = "id"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    bot_username = fields.Char(help="The bot's @username without @, used in the invitation links.")
    bot_token = fields.Char(groups="base.group_system", copy=False, help="Token given by @BotFather.")
    webhook_secret = fields.Char(
        default=_new_secret,
        copy=False,
        groups="base.group_system",
        help="Secret Telegram sends back in the X-Telegram-Bot-Api-Secret-Token header of every update.",
    )
    api_url = fields.Char(string="Bot API Address", required=True, default=telegram.DEFAULT_API_URL)
    rate_limit = fields.Float(
        string="Messages per Second",
        default=25.0,
        help="Mass messages are sent at most this fast (Telegram allows about 30 per second per bot).",
    )
    max_attempts = fields.Integer(
        default=3,
        help="A message that fails for a temporary reason (flood limit, Telegram down) is tried again "
        "up to this many times in all.",
    )
    batch_size = fields.Integer(default=50, help="Messages sent per transaction by the sending job.")
    webhook_url = fields.Char(compute="_compute_webhook_url")
    chat_count = fields.Integer(string="Linked Chats", compute="_compute_chat_count")

    _sql_constraints = [
        ("rate_positive", "CHECK(rate_limit > 0)", "The sending rate must be positive."),
        ("attempts_positive", "CHECK(max_attempts >= 1)", "A message is tried at least once."),
        ("batch_positive", "CHECK(batch_size >= 1)", "The batch size must be positive."),
    ]

    @api.depends("company_id")
    def _compute_webhook_url(self):
        base = self.get_base_url()
        for bot in self:
            bot.webhook_url = f"{base}/mlm_telephony/telegram/{bot.id or 0}"

    def _compute_chat_count(self):
        counts = dict(
            self.env["mlm.telegram.chat"]._read_group(
                [("bot_id", "in", self.ids), ("state", "=", "active")], ["bot_id"], ["__count"]
            )
        )
        for bot in self:
            bot.chat_count = counts.get(bot, 0)

    # ------------------------------------------------------------------ actions
    def action_set_webhook(self):
        """Register this database's address and secret with Telegram (``setWebhook``)."""
        self.ensure_one()
        self.check_access("write")
        bot_sudo = self.sudo()
        if not bot_sudo.bot_token:
            raise UserError(self.env._("Enter the bot token given by @BotFather first."))
        if not bot_sudo.webhook_secret:
            # Without a secret every update would be refused (see the controller): say so instead.
            raise UserError(self.env._("Set a webhook secret first: updates without it are refused."))
        try:
            telegram.set_webhook(bot_sudo.api_url, bot_sudo.bot_token, self.webhook_url, bot_sudo.webhook_secret)
            me = telegram.get_me(bot_sudo.api_url, bot_sudo.bot_token) or {}
        except (telegram.TelegramError, ValueError) as error:
            raise UserError(self.env._("Telegram refused the webhook: %(error)s", error=error)) from error
        if me.get("username"):
            self.bot_username = me["username"]
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("Telegram now sends the bot's messages to %(url)s", url=self.webhook_url),
            },
        }

    def action_view_chats(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("mlm_telephony.mlm_telegram_chat_action")
        action["domain"] = [("bot_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------ helpers
    @api.model
    def _get_for_company(self, company):
        return self.search([("company_id", "=", company.id)], limit=1)

    def _invite_link(self, token):
        self.ensure_one()
        if not (self.bot_username and token):
            return False
        return f"https://t.me/{self.bot_username}?start={token}"

    # ------------------------------------------------------------------ webhook
    def _record_update(self, update_id):
        """Remember an update id; ``False`` when Telegram already delivered it (a retry)."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                """INSERT INTO mlm_telegram_update (bot_id, company_id, update_id, create_date, create_uid, write_date,
                                                   write_uid)
                   VALUES (%s, %s, %s, NOW() AT TIME ZONE 'UTC', %s, NOW() AT TIME ZONE 'UTC', %s)
                   ON CONFLICT (bot_id, update_id) DO NOTHING RETURNING id""",
                self.id,
                self.company_id.id,
                update_id,
                self.env.uid,
                self.env.uid,
            )
        )
        return bool(self.env.cr.fetchone())

    def _handle_update(self, update):
        """Apply one authenticated update (called in sudo by the controller); returns the webhook answer."""
        self.ensure_one()
        if not self._record_update(update.update_id):
            return {}
        if update.chat_id is None or update.chat_type != "private" or not update.command:
            return {}
        handler = getattr(self, f"_command_{update.command}", None)
        return handler(update) if handler else {}

    def _command_start(self, update):
        Partner = self.env["res.partner"]
        token = update.argument if telegram.PAYLOAD_RE.match(update.argument or "") else None
        partner = Partner._mlm_find_by_telegram_token(token, self.company_id) if token else Partner
        if not partner:
            return telegram.reply(
                update.chat_id,
                self.env._("This invitation link is not valid. Ask your sponsor or the company for a new one."),
            )
        self.env["mlm.telegram.chat"]._link(self, partner, update)
        return telegram.reply(
            update.chat_id,
            self.with_context(lang=partner.lang).env._(
                "Hello %(name)s, you will receive the news of %(company)s here. Send /stop to unsubscribe.",
                name=partner.name,
                company=self.company_id.name,
            ),
        )

    def _command_stop(self, update):
        chats = self.env["mlm.telegram.chat"].search([("bot_id", "=", self.id), ("chat_id", "=", update.chat_id)])
        chats._stop("user")
        lang = chats[:1].partner_id.lang
        return telegram.reply(
            update.chat_id,
            self.with_context(lang=lang).env._(
                "You are unsubscribed and will receive no more messages. Send /start to subscribe again."
            ),
        )
