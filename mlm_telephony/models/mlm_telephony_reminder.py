from datetime import timedelta

from odoo import api, fields, models


class MlmTelephonyReminder(models.Model):
    """A message sent automatically to a segment some days before the end of each period.

    Example: "you have not reached the activity minimum" 5 days before the month ends, to the segment of
    distributors below the minimum (criteria that ``mlm_commission`` adds to segments). Each run creates one
    mass mailing (email or SMS), so unsubscribe, blacklist and statistics are Odoo's own.
    """

    _name = "mlm.telephony.reminder"
    _description = "Scheduled Network Reminder"
    _order = "name"

    name = fields.Char(required=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(related="segment_id.company_id", store=True, index=True)
    segment_id = fields.Many2one("mlm.distributor.segment", required=True, ondelete="cascade")
    mailing_type = fields.Selection([("mail", "Email"), ("sms", "SMS")], required=True, default="sms")
    subject = fields.Char(required=True, translate=True)
    body = fields.Text(required=True, translate=True, help="Plain text for SMS, HTML allowed for email.")
    days_before_period_end = fields.Integer(default=5, required=True)
    last_sent_date = fields.Date(readonly=True, copy=False)
    mailing_ids = fields.One2many("mailing.mailing", "mlm_reminder_id", string="Sent Mailings")

    _sql_constraints = [
        ("days_positive", "CHECK(days_before_period_end >= 0)", "The number of days cannot be negative."),
    ]

    @api.model
    def _get_period_bounds(self, day):
        """(date_from, date_to) of the company's commission period containing ``day``: the period's own rule
        (``mlm.commission.period._get_current_period``, monthly or weekly by the company's period type)."""
        return self.env["mlm.commission.period"].sudo()._get_current_period(self.env.company, day)[1:]

    def _is_due(self, today):
        self.ensure_one()
        start, end = self.with_company(self.company_id)._get_period_bounds(today)
        send_on = end - timedelta(days=self.days_before_period_end)
        return send_on <= today and (not self.last_sent_date or self.last_sent_date < start)

    @api.model
    def _get_due_reminders_domain(self):
        return [("active", "=", True), ("segment_id.active", "=", True)]

    @api.model
    def cron_send_reminders(self):
        today = fields.Date.context_today(self)
        reminders = self.search(self._get_due_reminders_domain()).filtered(lambda r: r._is_due(today))
        return reminders._send_reminders(today)

    def _send_reminders(self, today):
        mailings = self.env["mailing.mailing"]
        for reminder in self:
            mailing = reminder.segment_id._create_mailings(reminder.mailing_type, reminder.subject, reminder.body)
            mailing.mlm_reminder_id = reminder
            mailings |= mailing
        if mailings:
            mailings.action_launch()
            self.write({"last_sent_date": today})
        return mailings

    def action_send_now(self):
        self.check_access("write")
        return self._send_reminders(fields.Date.context_today(self))
