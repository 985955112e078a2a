import json
import logging

from requests import Session

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.mail.tools.web_push import DeviceUnreachableError, push_to_end_point

_logger = logging.getLogger(__name__)

NOTIFY_BATCH = 1000
NOTIFY_CHANNEL = "root.mlm_mail"
# kind -> the distributor's switch for it
NOTIFY_FIELDS = {
    "recruit": "mlm_notify_recruit",
    "rank": "mlm_notify_rank",
    "statement": "mlm_notify_statement",
    "autoship": "mlm_notify_autoship",
}


class MlmDistributor(models.Model):
    _inherit = "mlm.distributor"

    mlm_notify_recruit = fields.Boolean(string="Notify Me of New Recruits", default=True)
    mlm_notify_rank = fields.Boolean(string="Notify Me of Ranks Reached", default=True)
    mlm_notify_statement = fields.Boolean(string="Notify Me When a Statement Is Ready", default=True)
    mlm_notify_autoship = fields.Boolean(string="Notify Me of Failed Autoship Payments", default=True)

    # ------------------------------------------------------------------ notifications
    def _mlm_notify_message(self, kind, values):
        """(title, body, path) of a notification, in the distributor's language."""
        self.ensure_one()
        env = self.with_context(lang=self.partner_id.lang or self.env.lang).env
        if kind == "recruit":
            return (
                env._("New recruit in your team"),
                env._("%(name)s (%(code)s) joined your team.", name=values.get("name"), code=values.get("code")),
                "/my/network",
            )
        if kind == "rank":
            return (
                env._("Rank reached: %(rank)s", rank=values.get("rank")),
                env._("Congratulations! You reached %(rank)s in %(period)s.", **values),
                "/my/volume",
            )
        if kind == "statement":
            return (
                env._("Your statement is ready"),
                env._("Your commission statement of %(period)s is ready.", **values),
                "/my/commissions",
            )
        if kind == "autoship":
            return (
                env._("Autoship payment failed"),
                env._("The payment of your autoship %(name)s failed: please update your card.", **values),
                values.get("path") or "/my",
            )
        raise ValueError(kind)

    def _mlm_notify(self, kind, values=None, mail_fallback=True):
        """Notify these distributors of ``kind`` (see NOTIFY_FIELDS) where they have not switched it off: as web
        push on the devices where they installed the app and allowed notifications (``mail``'s machinery and
        VAPID keys), else by e-mail when ``mail_fallback``. Call it from a job: it contacts push services."""
        field = NOTIFY_FIELDS[kind]
        wanted = self.sudo().filtered(field)
        if not wanted:
            return 0
        devices = self.env["mail.push.device"].sudo().search([("partner_id", "in", wanted.partner_id.ids)])
        by_partner = {}
        for device in devices:
            by_partner.setdefault(device.partner_id.id, []).append(device)
        params = self.env["ir.config_parameter"].sudo()
        private_key = params.get_param("mail.web_push_vapid_private_key")
        public_key = params.get_param("mail.web_push_vapid_public_key")
        session, unreachable, mails, sent = Session(), set(), [], 0
        for distributor in wanted:
            title, body, path = distributor._mlm_notify_message(kind, values or {})
            url = distributor._mlm_public_url(path)
            targets = by_partner.get(distributor.partner_id.id) if private_key and public_key else None
            if targets:
                payload = json.dumps({"title": title, "options": {"body": body, "data": {"url": url}}})
                for device in targets:
                    try:
                        push_to_end_point(
                            base_url=distributor._mlm_public_url(),
                            device={"id": device.id, "endpoint": device.endpoint, "keys": device.keys},
                            payload=payload,
                            vapid_private_key=private_key,
                            vapid_public_key=public_key,
                            session=session,
                        )
                        sent += 1
                    except DeviceUnreachableError:
                        unreachable.add(device.id)
                    except Exception as error:  # noqa: BLE001 - a push service's failure must not stop the batch
                        _logger.warning("Web push to %s failed: %s", device.endpoint[:60], error)
            elif mail_fallback and distributor.partner_id.email:
                mails.append(
                    {
                        "subject": title,
                        "body_html": f'<p>{body}</p><p><a href="{url}">{url}</a></p>',
                        "email_from": distributor.company_id.email_formatted or self.env.user.email_formatted,
                        "recipient_ids": [(4, distributor.partner_id.id)],
                        "auto_delete": True,
                        "model": "mlm.distributor",
                        "res_id": distributor.id,
                    }
                )
        if unreachable:
            self.env["mail.push.device"].sudo().browse(list(unreachable)).unlink()
        if mails:
            self.env["mail.mail"].sudo().create(mails)
        return sent + len(mails)

    def _mlm_notify_later(self, kind, values=None, mail_fallback=True):
        """Enqueue ``_mlm_notify`` in jobs of NOTIFY_BATCH distributors (never inside a request)."""
        ids = self.ids
        for start in range(0, len(ids), NOTIFY_BATCH):
            self.browse(ids[start : start + NOTIFY_BATCH]).with_delay(
                channel=NOTIFY_CHANNEL,
                description=self.env._("Notifications: %(kind)s", kind=kind),
            )._mlm_notify(kind, values, mail_fallback)

    def enroll(self, partner, sponsor=False, **values):
        distributor = super().enroll(partner, sponsor, **values)
        if distributor.sponsor_id:
            distributor.sponsor_id._mlm_notify_later("recruit", {"name": distributor.name, "code": distributor.code})
        return distributor


class MlmCommissionPeriod(models.Model):
    _inherit = "mlm.commission.period"

    def _close_send_statements(self):
        """Also tell the distributors, on their installed app, that their statement is ready (the statement
        e-mail is the other channel) and who reached a higher rank in this period."""
        result = super()._close_send_statements()
        self._mlm_notify_closed()
        return result

    def _mlm_notify_closed(self):
        self.ensure_one()
        self.env["mlm.commission.statement"].flush_model()
        self.env["mlm.rank.history"].flush_model()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
            SELECT s.distributor_id FROM mlm_commission_statement s
             WHERE s.period_id = %s AND (s.total != 0 OR s.payable != 0)
             ORDER BY s.distributor_id
            """,
                self.id,
            )
        )
        Distributor = self.env["mlm.distributor"]
        Distributor.browse([row[0] for row in cr.fetchall()])._mlm_notify_later(
            "statement", {"period": self.name}, mail_fallback=False
        )
        cr.execute(
            SQL(
                """
            SELECT h.distributor_id, h.rank_id FROM mlm_rank_history h
              JOIN mlm_rank r ON r.id = h.rank_id
              LEFT JOIN mlm_rank p ON p.id = h.previous_rank_id
             WHERE h.company_id = %s AND h.date = %s AND (p.id IS NULL OR r.sequence > p.sequence)
             ORDER BY h.rank_id, h.distributor_id
            """,
                self.company_id.id,
                self.date_to,
            )
        )
        by_rank = {}
        for distributor_id, rank_id in cr.fetchall():
            by_rank.setdefault(rank_id, []).append(distributor_id)
        for rank_id, ids in by_rank.items():
            rank = self.env["mlm.rank"].browse(rank_id)
            Distributor.browse(ids)._mlm_notify_later("rank", {"rank": rank.name, "period": self.name})
