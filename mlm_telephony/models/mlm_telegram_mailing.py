from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..tools import telegram


class MlmTelegramMailing(models.Model):
    """A mass Telegram message to the subscribed chats of a distributor segment.

    *Send* creates one ``mlm.telegram.message`` per subscribed chat (one INSERT ... SELECT, unique per chat, so
    sending twice adds nobody twice) and wakes the sending job, which sends them in batches at the bot's rate,
    retrying temporary failures (flood limit, Telegram down) and giving up on blocked chats.
    """

    _name = "mlm.telegram.mailing"
    _description = "Telegram Mass Message"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(required=True)
    company_id = fields.Many2one(related="bot_id.company_id", store=True, index=True)
    bot_id = fields.Many2one(
        "mlm.telegram.bot",
        required=True,
        default=lambda self: self.env["mlm.telegram.bot"]._get_for_company(self.env.company),
        ondelete="restrict",
    )
    segment_id = fields.Many2one("mlm.distributor.segment", required=True, ondelete="restrict", index=True)
    body = fields.Text(required=True, help="Plain text, at most 4096 characters.")
    state = fields.Selection(
        [("draft", "Draft"), ("sending", "Sending"), ("done", "Done")],
        default="draft",
        required=True,
        tracking=True,
        readonly=True,
    )
    recipient_ids = fields.One2many("mlm.telegram.message", "mailing_id", string="Recipients", readonly=True)
    pending_count = fields.Integer(string="To Send", compute="_compute_counts")
    sent_count = fields.Integer(string="Sent", compute="_compute_counts")
    failed_count = fields.Integer(string="Failed", compute="_compute_counts")

    _sql_constraints = [
        ("body_length", "CHECK(char_length(body) <= 4096)", "A Telegram message has at most 4096 characters."),
    ]

    def _compute_counts(self):
        counts = {
            (mailing.id, state): count
            for mailing, state, count in self.env["mlm.telegram.message"]._read_group(
                [("mailing_id", "in", self.ids)], ["mailing_id", "state"], ["__count"]
            )
        }
        for mailing in self:
            mailing.pending_count = counts.get((mailing.id, "pending"), 0)
            mailing.sent_count = counts.get((mailing.id, "sent"), 0)
            mailing.failed_count = counts.get((mailing.id, "failed"), 0)

    # ------------------------------------------------------------------ actions
    def action_send(self):
        """Enqueue a job that queues the message for every subscribed chat of the segment (a large segment takes
        longer than a request), then lets the sending job send it."""
        self.check_access("write")
        to_send = self.filtered(lambda m: m.state != "done")
        for mailing in to_send:
            if not (mailing.body or "").strip():
                raise UserError(self.env._("The message of %(name)s is empty.", name=mailing.name))
        to_send.write({"state": "sending"})
        for mailing in to_send:
            mailing.with_delay(
                channel="root.mlm_mail",
                identity_key=f"mlm_telegram_mailing:{mailing.id}",
                description=self.env._("Telegram message %(name)s", name=mailing.name),
            )._prepare_job()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("The Telegram message is being queued for its segment."),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _prepare_job(self):
        """Job: one pending message per subscribed chat, then wake the sending job (rate limits and retries)."""
        created = self._prepare_messages()
        self.env.ref("mlm_telephony.ir_cron_mlm_telegram_send")._trigger()
        return created

    def _prepare_messages(self):
        """One pending message per subscribed chat of each mailing's segment; returns the number created."""
        Message = self.env["mlm.telegram.message"]
        self.env["mlm.telegram.chat"].flush_model()
        Message.flush_model()
        created = 0
        for mailing in self:
            partner_ids = self.env["res.partner"]._search(mailing.segment_id._get_partner_domain())
            self.env.cr.execute(
                SQL(
                    """
                INSERT INTO mlm_telegram_message (mailing_id, bot_id, chat_link_id, partner_id, company_id, state,
                                                  attempts, create_uid, create_date, write_uid, write_date)
                SELECT %(mailing)s, %(bot)s, c.id, c.partner_id, %(company)s, 'pending', 0,
                       %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
                  FROM mlm_telegram_chat c
                 WHERE c.bot_id = %(bot)s AND c.state = 'active' AND c.partner_id IN (%(partners)s)
                ON CONFLICT (mailing_id, chat_link_id) DO NOTHING
                    """,
                    mailing=mailing.id,
                    company=mailing.company_id.id,
                    bot=mailing.bot_id.id,
                    partners=partner_ids.subselect(),
                    uid=self.env.uid,
                )
            )
            created += self.env.cr.rowcount
        Message.invalidate_model()
        return created

    # ------------------------------------------------------------------ sending job
    @api.model
    def _get_messages_to_send_domain(self):
        return [
            ("state", "=", "pending"),
            ("mailing_id.state", "=", "sending"),
            "|",
            ("next_attempt", "=", False),
            ("next_attempt", "<=", fields.Datetime.now()),
        ]

    @api.model
    def cron_send(self, limit=None):
        """Send one batch per bot of due messages; tells the cron framework what remains, so it runs again."""
        Message = self.env["mlm.telegram.message"]
        domain = self._get_messages_to_send_domain()
        done = 0
        for bot in self.env["mlm.telegram.bot"].search([("active", "=", True)]):
            batch = Message.search(domain + [("bot_id", "=", bot.id)], limit=limit or bot.batch_size, order="id")
            if batch:
                batch._send(telegram.RateLimiter(bot.rate_limit))
                done += len(batch)
        remaining = Message.search_count(domain)
        self._finish_done()
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done

    def _finish_done(self):
        """Mailings with nothing left to send (nothing pending, even later) are done."""
        sending = self.search([("state", "=", "sending")])
        pending = {
            mailing
            for (mailing,) in self.env["mlm.telegram.message"]._read_group(
                [("mailing_id", "in", sending.ids), ("state", "=", "pending")], ["mailing_id"]
            )
        }
        finished = sending.filtered(lambda m: m not in pending)
        finished.write({"state": "done"})
