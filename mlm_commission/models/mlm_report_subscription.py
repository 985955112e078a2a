import io

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STEPS = {"daily": relativedelta(days=1), "weekly": relativedelta(weeks=1), "monthly": relativedelta(months=1)}


class MlmReportSubscription(models.Model):
    """A manager's subscription to a report by e-mail: the cron enqueues one job per due subscription, which renders
    the XLSX as the manager sees it and puts the e-mail with the attachment into Odoo's mail queue."""

    _name = "mlm.report.subscription"
    _description = "MLM Report Subscription"
    _order = "next_date, id"

    user_id = fields.Many2one(
        "res.users", string="Recipient", required=True, default=lambda self: self.env.user, ondelete="cascade"
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    report = fields.Selection(
        [("dashboard", "Management Dashboard"), ("income_disclosure", "Income Disclosure (last 12 months)")],
        required=True,
        default="dashboard",
    )
    frequency = fields.Selection(
        [("daily", "Daily"), ("weekly", "Weekly"), ("monthly", "Monthly")], required=True, default="weekly"
    )
    next_date = fields.Date(string="Next Sending", required=True, default=fields.Date.context_today)
    last_sent = fields.Datetime(readonly=True, copy=False)
    active = fields.Boolean(default=True)

    @api.constrains("user_id")
    def _check_manager(self):
        for subscription in self:
            if not subscription.user_id.has_group("mlm_network.group_mlm_manager"):
                raise ValidationError(
                    self.env._(
                        "%(user)s is not an MLM manager: only MLM managers receive these reports.",
                        user=subscription.user_id.name,
                    )
                )

    @api.model
    def _cron_send_due(self):
        """Enqueue the e-mail of every subscription due today and move its next date past today."""
        today = fields.Date.context_today(self)
        for subscription in self.search([("next_date", "<=", today)]):
            subscription.with_delay(
                channel="root.mlm_mail",
                description=self.env._("Report %(report)s by e-mail", report=subscription.report),
            )._send_report()
            next_date = subscription.next_date
            while next_date <= today:
                next_date += STEPS[subscription.frequency]
            subscription.next_date = next_date

    def _send_report(self):
        """The job: render the report with the recipient's rights and company, queue the e-mail."""
        self.ensure_one()
        label = dict(self._fields["report"]._description_selection(self.env))[self.report]
        as_user = self.with_user(self.user_id).with_company(self.company_id).with_context(lang=self.user_id.lang)
        content = getattr(as_user, f"_render_{self.report}")()
        today = fields.Date.context_today(self)
        mail = (
            self.env["mail.mail"]
            .sudo()
            .create(
                {
                    "subject": self.env._("%(report)s, %(date)s", report=label, date=today),
                    "body_html": self.env._("<p>The attached report was sent to you by your subscription.</p>"),
                    "recipient_ids": [Command.link(self.user_id.partner_id.id)],
                    "email_from": self.company_id.email_formatted or self.env.user.email_formatted,
                    "attachment_ids": [
                        Command.create(
                            {
                                "name": f"{label} {today}.xlsx",
                                "raw": content,
                                "mimetype": XLSX_MIMETYPE,
                                "res_model": self._name,
                                "res_id": self.id,
                            }
                        )
                    ],
                    "auto_delete": True,
                }
            )
        )
        self.last_sent = fields.Datetime.now()
        return mail

    # ------------------------------------------------------------------ renderers (run as the recipient)
    def _render_income_disclosure(self):
        return self.env["mlm.income.disclosure"].create({"company_id": self.env.company.id})._export_xlsx()

    def _render_dashboard(self):
        import xlsxwriter  # external dependency, loaded on use

        data = self.env["mlm.commission.dashboard"].get_dashboard_data()
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        bold = workbook.add_format({"bold": True})
        sheet = workbook.add_worksheet(self.env._("Key figures"))
        sheet.write(0, 0, f"{data['company']['name']}: {data['period']['name']}", bold)
        for row, (key, value) in enumerate(data["kpis"].items(), start=2):
            sheet.write(row, 0, key)
            sheet.write(row, 1, value if value is not None else "")
        sheet.set_column(0, 1, 20)
        for key, title in (
            ("branches", self.env._("Branches")),
            ("top_earners", self.env._("Top earners")),
            ("top_pv", self.env._("Top PV")),
            ("at_risk", self.env._("At risk")),
        ):
            rows = [row for row in data.get(key) or [] if isinstance(row, dict)]
            sheet = workbook.add_worksheet(title)
            columns = list(rows[0]) if rows else []
            for col, name in enumerate(columns):
                sheet.write(0, col, name, bold)
            for line, row in enumerate(rows, start=1):
                for col, name in enumerate(columns):
                    value = row[name]
                    if isinstance(value, bool) or value is None:
                        value = "" if value in (None, False) else "x"
                    elif not isinstance(value, int | float | str):
                        value = str(value)
                    sheet.write(line, col, value)
        workbook.close()
        return buffer.getvalue()
