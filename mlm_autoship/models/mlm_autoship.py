import calendar
import logging
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

JOB_CHANNEL = "root.mlm_autoship"
MAIL_CHANNEL = "root.mlm_mail"
BATCH_SIZE = 200


def next_cycle_date(frequency, day, month_day, interval_weeks):
    """The cycle after ``day``: the chosen day of the next month (its last day when shorter), or N weeks later."""
    if frequency == "weekly":
        return day + timedelta(weeks=max(interval_weeks, 1))
    following = day + relativedelta(months=1)
    last = calendar.monthrange(following.year, following.month)[1]
    return following.replace(day=min(max(month_day, 1), last))


def first_cycle_date(frequency, today, month_day):
    """The first cycle on or after ``today``: the chosen day of this month (or the next one when it has passed)."""
    if frequency == "weekly":
        return today
    last = calendar.monthrange(today.year, today.month)[1]
    candidate = today.replace(day=min(max(month_day, 1), last))
    if candidate >= today:
        return candidate
    return next_cycle_date(frequency, candidate, month_day, 0)


class MlmAutoship(models.Model):
    _name = "mlm.autoship"
    _description = "Autoship (Recurring Order)"
    _inherit = ["mail.thread", "mail.activity.mixin", "portal.mixin"]
    _order = "next_date, id"

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: self.env._("New"))
    partner_id = fields.Many2one(
        "res.partner", string="Owner", required=True, index=True, tracking=True, help="Who is charged and invoiced."
    )
    distributor_id = fields.Many2one(
        "mlm.distributor",
        compute="_compute_distributor",
        store=True,
        index="btree_not_null",
        help="The distributor the orders credit: the owner themselves, or the distributor who referred the customer.",
    )
    owner_type = fields.Selection(
        [("distributor", "Distributor"), ("customer", "Customer")], compute="_compute_distributor", store=True
    )
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    line_ids = fields.One2many("mlm.autoship.line", "autoship_id", string="Products", copy=True)
    partner_shipping_id = fields.Many2one(
        "res.partner",
        string="Delivery Address",
        compute="_compute_partner_shipping_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
    )
    carrier_id = fields.Many2one("delivery.carrier", string="Shipping Method", tracking=True)
    payment_token_id = fields.Many2one(
        "payment.token",
        string="Saved Card",
        tracking=True,
        domain="[('partner_id', 'child_of', partner_id), ('active', '=', True)]",
    )
    frequency = fields.Selection(
        [("monthly", "Monthly"), ("weekly", "Every N weeks")], default="monthly", required=True, tracking=True
    )
    month_day = fields.Integer(
        string="Day of the Month",
        compute="_compute_month_day",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Monthly autoships are charged on this day (the month's last day when the month is shorter).",
    )
    interval_weeks = fields.Integer(string="Every (Weeks)", default=4, tracking=True)
    start_date = fields.Date(default=fields.Date.context_today, required=True, readonly=True, copy=False)
    next_date = fields.Date(
        string="Next Charge",
        compute="_compute_next_date",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
        tracking=True,
        copy=False,
    )
    state = fields.Selection(
        [("active", "Active"), ("paused", "Paused"), ("cancelled", "Cancelled")],
        default="active",
        required=True,
        tracking=True,
        copy=False,
        index=True,
    )
    pause_reason = fields.Char(tracking=True, copy=False)
    end_date = fields.Date(string="Cancelled On", readonly=True, copy=False, tracking=True)
    reminder_date = fields.Date(
        string="Reminder Sent For", readonly=True, copy=False, help="The charge date of the last reminder sent."
    )
    amount_total = fields.Monetary(
        string="Amount", compute="_compute_totals", store=True, help="At the last known prices (the owner's pricelist)."
    )
    pv_total = fields.Float(string="PV", compute="_compute_totals", store=True, digits="Product Unit of Measure")
    cycle_ids = fields.One2many("mlm.autoship.cycle", "autoship_id", string="Cycles")
    cycle_count = fields.Integer(compute="_compute_cycle_count")
    failed_cycle_count = fields.Integer(compute="_compute_cycle_count")

    # ------------------------------------------------------------------ computes
    @api.depends("partner_id", "partner_id.mlm_distributor_id", "partner_id.mlm_referrer_id")
    def _compute_distributor(self):
        Ledger = self.env["mlm.volume.line"]
        for autoship in self:
            distributor, volume_type = Ledger._credited_distributor(autoship.partner_id)
            autoship.distributor_id = distributor
            autoship.owner_type = "distributor" if volume_type == "personal" else "customer"

    @api.depends("partner_id")
    def _compute_partner_shipping_id(self):
        for autoship in self:
            if not autoship.partner_shipping_id or autoship.partner_shipping_id not in autoship.partner_id.child_ids:
                autoship.partner_shipping_id = autoship.partner_id.address_get(["delivery"])["delivery"]

    @api.depends("start_date")
    def _compute_month_day(self):
        for autoship in self:
            if not autoship.month_day:
                autoship.month_day = min((autoship.start_date or fields.Date.context_today(self)).day, 28)

    @api.depends("frequency", "month_day")
    def _compute_next_date(self):
        today = fields.Date.context_today(self)
        for autoship in self:
            # a new day of the month applies in the month of the coming charge (never before today)
            base = max(autoship.next_date or today, today)
            if autoship.frequency == "monthly":
                base = base.replace(day=1) if autoship.next_date and autoship.next_date >= today else today
            autoship.next_date = first_cycle_date(autoship.frequency, base, autoship.month_day)
            if autoship.next_date < today:
                autoship.next_date = first_cycle_date(autoship.frequency, today, autoship.month_day)

    @api.depends("line_ids.price_subtotal", "line_ids.pv_subtotal")
    def _compute_totals(self):
        for autoship in self:
            autoship.amount_total = sum(autoship.line_ids.mapped("price_subtotal"))
            autoship.pv_total = sum(autoship.line_ids.mapped("pv_subtotal"))

    def _compute_cycle_count(self):
        counts = {
            (autoship.id, state): count
            for autoship, state, count in self.env["mlm.autoship.cycle"]._read_group(
                [("autoship_id", "in", self.ids)], ["autoship_id", "state"], ["__count"]
            )
        }
        for autoship in self:
            autoship.cycle_count = sum(c for (a, _s), c in counts.items() if a == autoship.id)
            autoship.failed_cycle_count = counts.get((autoship.id, "failed"), 0)

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for autoship in self:
            autoship.access_url = f"/my/autoship/{autoship.id}"
        return result

    # ------------------------------------------------------------------ constraints
    @api.constrains("month_day", "interval_weeks", "frequency")
    def _check_frequency(self):
        for autoship in self:
            if autoship.frequency == "monthly" and not 1 <= autoship.month_day <= 31:
                raise ValidationError(self.env._("The day of the month must be between 1 and 31."))
            if autoship.frequency == "weekly" and not 1 <= autoship.interval_weeks <= 52:
                raise ValidationError(self.env._("An autoship repeats every 1 to 52 weeks."))

    @api.constrains("payment_token_id", "partner_id")
    def _check_token_owner(self):
        for autoship in self:
            token = autoship.payment_token_id
            if token and token.partner_id.commercial_partner_id != autoship.partner_id.commercial_partner_id:
                raise ValidationError(self.env._("An autoship is charged to a card of its owner only."))

    # ------------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("name") or vals["name"] == self.env._("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("mlm.autoship") or "/"
        autoships = super().create(vals_list)
        autoships._touch_distributors()
        return autoships

    def write(self, vals):
        if "partner_id" in vals and self.cycle_ids:
            raise UserError(self.env._("The owner of an autoship that has cycles cannot change."))
        touched = self if {"state", "partner_id", "start_date", "line_ids"} & set(vals) else self.browse()
        result = super().write(vals)
        touched._touch_distributors()
        return result

    def _touch_distributors(self):
        """The plan's autoship rule reads each distributor's active autoships: tell the shared real-time projection
        that these distributors changed (mlm_commission), so that it does not answer from a stale state."""
        self.filtered(lambda a: a.owner_type == "distributor").distributor_id._mlm_projection_changed()

    # ------------------------------------------------------------------ actions (backend)
    def action_pause(self):
        self.check_access("write")
        self._pause(self.env._("Paused by %(user)s.", user=self.env.user.name))

    def action_resume(self):
        self.check_access("write")
        self._resume()

    def action_cancel(self):
        self.check_access("write")
        self._cancel()

    def action_skip_next(self):
        self.check_access("write")
        self._skip_next()

    def action_charge_now(self):
        """Charge the due cycle of these autoships now (a job; the daily batch would do it on its date)."""
        self.check_access("write")
        today = fields.Date.context_today(self)
        due = self.filtered(lambda a: a.state == "active" and a.next_date <= today)
        if not due:
            raise UserError(self.env._("No active autoship here is due today."))
        due.with_delay(channel=JOB_CHANNEL, description=self.env._("Autoship charges"))._run_cycles(today)

    # ------------------------------------------------------------------ owner's changes (portal and backend)
    def _pause(self, reason):
        self.filtered(lambda a: a.state == "active").write({"state": "paused", "pause_reason": reason})

    def _resume(self):
        for autoship in self.filtered(lambda a: a.state == "paused"):
            today = fields.Date.context_today(autoship)
            vals = {"state": "active", "pause_reason": False}
            if autoship.next_date < today:
                vals["next_date"] = first_cycle_date(autoship.frequency, today, autoship.month_day)
            autoship.write(vals)

    def _cancel(self):
        """Cancelled at once: no further charge; a cycle already paid stays paid (its order ships)."""
        today = fields.Date.context_today(self)
        self.filtered(lambda a: a.state != "cancelled").write({"state": "cancelled", "end_date": today})

    def _skip_next(self):
        """The next cycle is recorded as skipped (its key is taken: the batch can never charge it) and the date moves
        on by one cycle."""
        Cycle = self.env["mlm.autoship.cycle"]
        for autoship in self.filtered(lambda a: a.state == "active"):
            skipped = autoship.next_date
            Cycle.create(
                {
                    "autoship_id": autoship.id,
                    "cycle_date": skipped,
                    "state": "skipped",
                    "skip_reason": "owner",
                }
            )
            autoship.next_date = autoship._following_date(skipped)
            autoship.message_post(body=self.env._("The cycle of %(date)s is skipped.", date=skipped))

    def _set_next_date(self, day):
        self.ensure_one()
        if day < fields.Date.context_today(self):
            raise ValidationError(self.env._("The next charge cannot be in the past."))
        if self.cycle_ids.filtered(lambda c: c.cycle_date == day):
            raise ValidationError(self.env._("This date has a cycle already."))
        vals = {"next_date": day}
        if self.frequency == "monthly":
            vals["month_day"] = day.day
        self.write(vals)

    def _retry_after_card_update(self):
        """A new card: the failed cycles are charged again now (a job), a paused autoship stays paused until its
        owner resumes it."""
        failed = self.cycle_ids.filtered(lambda c: c.state == "failed")
        if failed:
            failed.with_delay(
                channel=JOB_CHANNEL, description=self.env._("Autoship retry after a card update")
            )._charge_all()

    def _following_date(self, day):
        self.ensure_one()
        return next_cycle_date(self.frequency, day, self.month_day, self.interval_weeks)

    # ------------------------------------------------------------------ batch
    @api.model
    def cron_autoship_run(self):
        """Daily: enqueue the due autoships and the due retries, in chunks, on the autoship channel."""
        self.check_access("write")  # the cron's user; never a portal user over RPC
        today = fields.Date.context_today(self)
        self._enqueue_cycles(today)

    @api.model
    def cron_autoship_reminders(self):
        """Daily: remind owners N days (the company's setting) before each charge, once per charge date."""
        self.check_access("write")
        for company in self.env["res.company"].search([("mlm_autoship_reminder_days", ">", 0)]):
            day = fields.Date.context_today(self) + timedelta(days=company.mlm_autoship_reminder_days)
            autoships = self.search(self._get_reminder_domain(company, day))
            for start in range(0, len(autoships), BATCH_SIZE):
                autoships[start : start + BATCH_SIZE].with_delay(
                    channel=MAIL_CHANNEL, description=self.env._("Autoship reminders")
                )._send_reminders()

    @api.model
    def _get_due_domain(self, day):
        return [("state", "=", "active"), ("next_date", "<=", day)]

    @api.model
    def _get_reminder_domain(self, company, day):
        return [
            ("company_id", "=", company.id),
            ("state", "=", "active"),
            ("next_date", "=", day),
            "|",
            ("reminder_date", "=", False),
            ("reminder_date", "!=", day),
        ]

    @api.model
    def _enqueue_cycles(self, day, batch_size=BATCH_SIZE):
        """One job per chunk of due autoships, one per chunk of due retries; returns the jobs' count."""
        self.flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM mlm_autoship WHERE state = 'active' AND next_date <= %s ORDER BY id",
                day,
            )
        )
        due_ids = [row[0] for row in self.env.cr.fetchall()]
        retry_ids = self.env["mlm.autoship.cycle"]._due_retry_ids(day)
        description = self.env._("Autoship charges of %(day)s", day=day)
        jobs = 0
        for start in range(0, len(due_ids), batch_size):
            self.browse(due_ids[start : start + batch_size]).with_delay(
                channel=JOB_CHANNEL, description=description
            )._run_cycles(day)
            jobs += 1
        Cycle = self.env["mlm.autoship.cycle"]
        for start in range(0, len(retry_ids), batch_size):
            Cycle.browse(retry_ids[start : start + batch_size]).with_delay(
                channel=JOB_CHANNEL, description=self.env._("Autoship payment retries of %(day)s", day=day)
            )._run_retries(day)
            jobs += 1
        return jobs

    def _run_cycles(self, day):
        """The job: claim each due autoship's cycle (one row per autoship and date: the idempotency key), create the
        cycles' sale orders in one ``create``, then charge each. Safe to run again: a claimed cycle is never claimed
        twice, a paid one never charged again."""
        cycles = self.env["mlm.autoship.cycle"]._claim(self, day)
        cycles._create_orders()
        cycles.filtered(lambda c: c.state == "pending")._charge_all()
        return len(cycles)

    def _claim_sql(self, day):
        """Insert the pending cycle of every due autoship of ``self`` and move its next date on (set-based)."""
        uid = self.env.uid
        self.flush_model()
        self.env["mlm.autoship.cycle"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mlm_autoship_cycle (autoship_id, company_id, partner_id, cycle_date, key, state,
                                                attempt_count, create_uid, create_date, write_uid, write_date)
                SELECT a.id, a.company_id, a.partner_id, a.next_date,
                       'AS' || a.id || '-' || to_char(a.next_date, 'YYYYMMDD'), 'pending', 0,
                       %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM mlm_autoship a
                 WHERE a.id = ANY(%(ids)s) AND a.state = 'active' AND a.next_date <= %(day)s
                ON CONFLICT (autoship_id, cycle_date) DO NOTHING
                RETURNING id, autoship_id, cycle_date
                """,
                uid=uid,
                ids=self.ids,
                day=day,
            )
        )
        claimed = self.env.cr.fetchall()
        # every due autoship moves on, whether its cycle was claimed now or earlier (a re-run after a crash)
        self.env.cr.execute(
            SQL(
                "SELECT id, next_date, frequency, month_day, interval_weeks FROM mlm_autoship "
                "WHERE id = ANY(%s) AND state = 'active' AND next_date <= %s",
                self.ids,
                day,
            )
        )
        moves = []
        for autoship_id, next_date, frequency, month_day, weeks in self.env.cr.fetchall():
            following = next_cycle_date(frequency, next_date, month_day, weeks)
            while following <= day:
                following = next_cycle_date(frequency, following, month_day, weeks)
            moves.append((autoship_id, following))
        if moves:
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE mlm_autoship a SET next_date = v.next_date, write_date = now() AT TIME ZONE 'UTC',
                           write_uid = %s
                      FROM (SELECT unnest(%s::int[]) AS id, unnest(%s::date[]) AS next_date) v
                     WHERE a.id = v.id
                    """,
                    uid,
                    [m[0] for m in moves],
                    [m[1] for m in moves],
                )
            )
        self.invalidate_model(["next_date"])
        self.env["mlm.autoship.cycle"].invalidate_model()
        return claimed

    def _prepare_order_vals(self, cycle):
        """The sale order of one cycle: the owner's pricelist and the products' prices and PV of the day."""
        self.ensure_one()
        return {
            "partner_id": self.partner_id.id,
            "partner_shipping_id": self.partner_shipping_id.id or self.partner_id.id,
            "company_id": self.company_id.id,
            "origin": cycle.key,
            "client_order_ref": self.name,
            "mlm_autoship_cycle_id": cycle.id,
            "order_line": [
                Command.create({"product_id": line.product_id.id, "product_uom_qty": line.quantity})
                for line in self.line_ids
                if line.product_id.sale_ok and line.product_id.active
            ],
        }

    # ------------------------------------------------------------------ notifications
    def _send_reminders(self):
        template = self.env.ref("mlm_autoship.mail_template_autoship_reminder")
        for autoship in self:
            template.send_mail(autoship.id)
            autoship._notify_extra(
                self.env._(
                    "Your autoship %(name)s is charged on %(date)s: %(amount)s %(currency)s. Manage it: %(url)s",
                    name=autoship.name,
                    date=autoship.next_date,
                    amount=autoship.amount_total,
                    currency=autoship.currency_id.name,
                    url=autoship._portal_full_url(),
                )
            )
            autoship.reminder_date = autoship.next_date

    def _portal_full_url(self):
        self.ensure_one()
        return f"{self.get_base_url()}{self.access_url}"

    def _notify_extra(self, body):
        """Messages beyond e-mail: an SMS through Odoo's SMS queue when the company has an SMS gateway of
        ``mlm_telephony``. Override to add a channel (Telegram, push)."""
        self.ensure_one()
        phone = self.partner_id.mobile or self.partner_id.phone
        if phone and self._sms_gateway():
            self.env["sms.sms"].sudo().create({"number": phone, "body": body, "partner_id": self.partner_id.id})

    def _sms_gateway(self):
        """The company's configured SMS gateway (``mlm_telephony``), or None. Without one no SMS is queued: Odoo
        would hand it to its IAP service, which needs an account and a network route the company may not have."""
        self.ensure_one()
        if "mlm.sms.gateway" not in self.env or "sms.sms" not in self.env:
            return None
        return self.env["mlm.sms.gateway"]._get_for_company(self.company_id) or None
