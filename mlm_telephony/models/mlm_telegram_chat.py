from markupsafe import Markup

from odoo import api, fields, models


class MlmTelegramChat(models.Model):
    """A Telegram chat linked to a contact (and so to a distributor) through the bot's ``/start <token>``."""

    _name = "mlm.telegram.chat"
    _description = "Telegram Chat"
    _order = "id desc"
    _rec_name = "partner_id"

    bot_id = fields.Many2one("mlm.telegram.bot", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="bot_id.company_id", store=True, index=True)
    chat_id = fields.Char(string="Chat ID", required=True, readonly=True)
    partner_id = fields.Many2one("res.partner", string="Contact", required=True, ondelete="cascade", index=True)
    distributor_id = fields.Many2one(related="partner_id.mlm_distributor_id", store=True, index="btree_not_null")
    username = fields.Char(readonly=True)
    telegram_name = fields.Char(readonly=True)
    state = fields.Selection(
        [("active", "Subscribed"), ("stopped", "Unsubscribed")], required=True, default="active", index=True
    )
    stop_reason = fields.Selection(
        [("user", "Sent /stop"), ("blocked", "Blocked the bot"), ("manual", "Unsubscribed in Odoo")], readonly=True
    )
    linked_date = fields.Datetime(readonly=True, default=fields.Datetime.now)
    stopped_date = fields.Datetime(readonly=True)

    _sql_constraints = [
        ("chat_unique", "UNIQUE(bot_id, chat_id)", "A Telegram chat is linked to one contact per bot."),
    ]

    @api.model
    def _link(self, bot, partner, update):
        """Link (or re-link) the update's chat to ``partner``; idempotent."""
        chat = self.search([("bot_id", "=", bot.id), ("chat_id", "=", str(update.chat_id))])
        vals = {
            "partner_id": partner.id,
            "username": update.username,
            "telegram_name": update.name,
            "state": "active",
            "stop_reason": False,
            "stopped_date": False,
        }
        if chat:
            was_active = chat.state == "active" and chat.partner_id == partner
            chat.write(vals)
        else:
            was_active = False
            chat = self.create({**vals, "bot_id": bot.id, "chat_id": str(update.chat_id)})
        if not was_active:
            partner._message_log(
                body=Markup("<p>{}</p>").format(
                    self.env._("Telegram chat linked (%(user)s).", user=update.username or update.name or "-")
                )
            )
        return chat

    def _stop(self, reason):
        active = self.filtered(lambda c: c.state == "active")
        if not active:
            return
        active.write({"state": "stopped", "stop_reason": reason, "stopped_date": fields.Datetime.now()})
        reasons = dict(self._fields["stop_reason"]._description_selection(self.env))
        body = Markup("<p>{}</p>").format(
            self.env._("Telegram messages stopped (%(reason)s).", reason=reasons.get(reason))
        )
        active.partner_id._message_log_batch(bodies={partner.id: body for partner in active.partner_id})

    def action_unsubscribe(self):
        self.check_access("write")
        self._stop("manual")
