from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

MAIL_BATCH = 1000
MAIL_CHANNEL = "root.mlm_mail"


class MlmPortalAnnouncement(models.Model):
    _name = "mlm.portal.announcement"
    _description = "Team Announcement"
    _order = "publish_date desc, id desc"

    name = fields.Char(string="Title", required=True)
    body = fields.Html(required=True, sanitize_style=True)
    author_id = fields.Many2one("mlm.distributor", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one(related="author_id.company_id", store=True)
    state = fields.Selection(
        [("draft", "Draft"), ("sending", "Sending"), ("published", "Published")], default="draft", required=True
    )
    publish_date = fields.Datetime(readonly=True, index=True)
    email = fields.Boolean(string="Send by E-mail", default=True)
    mail_cursor = fields.Integer(
        readonly=True, help="Last downline member e-mailed (by id): sending resumes after it, never twice."
    )
    recipient_count = fields.Integer(readonly=True)

    def action_publish(self):
        """Publish to the author's downline: shown on their portal at once, e-mailed in batches by queue_job."""
        for announcement in self:
            if announcement.state != "draft":
                raise UserError(self.env._("This announcement is already published."))
        self.write({"state": "sending", "publish_date": fields.Datetime.now(), "mail_cursor": 0, "recipient_count": 0})
        self._enqueue_send()

    def _enqueue_send(self):
        for announcement in self:
            announcement.with_delay(
                channel=MAIL_CHANNEL,
                identity_key=f"mlm_portal_announcement:{announcement.id}",
                description=self.env._("E-mail the announcement %(title)s", title=announcement.name),
            )._send_job()

    def _send_job(self):
        """Job: e-mail one batch to the downline, then enqueue the next batch (each job stays small)."""
        self.ensure_one()
        if self.state == "sending" and self._send_batch():
            self._enqueue_send()
        return self.recipient_count

    def _send_batch(self):
        """E-mail the next batch of the downline (one mail per member, created in one call). False when done."""
        self.ensure_one()
        if not self.email:
            self.state = "published"
            return False
        low, high = self.author_id._subtree_range()
        self.env.cr.execute(
            SQL(
                """
                SELECT d.id, d.partner_id FROM mlm_distributor d JOIN res_partner p ON p.id = d.partner_id
                 WHERE d.parent_path COLLATE "C" > %(low)s COLLATE "C"
                   AND d.parent_path COLLATE "C" < %(high)s COLLATE "C"
                   AND d.id > %(cursor)s AND d.status NOT IN ('terminated', 'suspended')
                   AND p.email IS NOT NULL AND p.email != '' AND p.active
                 ORDER BY d.id LIMIT %(limit)s
                """,
                low=low,
                high=high,
                cursor=self.mail_cursor,
                limit=MAIL_BATCH,
            )
        )
        rows = self.env.cr.fetchall()
        if not rows:
            self.state = "published"
            return False
        partners = self.env["res.partner"].browse([partner_id for __, partner_id in rows])
        template = self.env.ref("mlm_portal.mail_template_announcement")
        rendered = template._render_field("body_html", self.ids, compute_lang=False)[self.id]
        subject = template._render_field("subject", self.ids)[self.id]
        blacklisted = set(
            self.env["mail.blacklist"].sudo().search([("email", "in", partners.mapped("email"))]).mapped("email")
        )
        self.env["mail.mail"].sudo().create(
            [
                {
                    "subject": subject,
                    "body_html": rendered,
                    "email_from": self.author_id.company_id.email_formatted or self.env.user.email_formatted,
                    "recipient_ids": [(4, partner.id)],
                    "auto_delete": True,
                    "model": self._name,
                    "res_id": self.id,
                }
                for partner in partners
                if partner.email_normalized not in blacklisted
            ]
        )
        more = len(rows) == MAIL_BATCH
        self.write(
            {
                "mail_cursor": rows[-1][0],
                "recipient_count": self.recipient_count + len(rows),
                "state": "sending" if more else "published",
            }
        )
        return more
