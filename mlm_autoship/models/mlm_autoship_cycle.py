import logging
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

PAID_TX_STATES = ("authorized", "done")


class MlmAutoshipCycle(models.Model):
    """One charge date of an autoship. ``(autoship_id, cycle_date)`` is unique: the idempotency key of the charge.

    The payment transactions of a cycle have deterministic references (``<key>-<attempt>``); Odoo derives the
    providers' idempotency keys from the reference (``payment.utils.generate_idempotency_key``), so a charge sent
    again after a rolled-back job is recognised by the provider instead of being charged twice.
    """

    _name = "mlm.autoship.cycle"
    _description = "Autoship Cycle"
    _order = "cycle_date desc, id desc"
    _rec_name = "key"

    autoship_id = fields.Many2one("mlm.autoship", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(
        "res.company", compute="_compute_from_autoship", store=True, precompute=True, index=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Owner", compute="_compute_from_autoship", store=True, precompute=True, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    cycle_date = fields.Date(required=True, index=True)
    key = fields.Char(
        string="Idempotency Key", compute="_compute_key", store=True, precompute=True, readonly=True, index=True
    )
    state = fields.Selection(
        [("pending", "Pending"), ("paid", "Paid"), ("failed", "Payment Failed"), ("skipped", "Skipped")],
        default="pending",
        required=True,
        index=True,
    )
    skip_reason = fields.Selection([("owner", "By the owner"), ("payment", "Payment failed")])
    attempt_count = fields.Integer(string="Attempts", default=0, readonly=True)
    next_retry_date = fields.Date(index="btree_not_null", readonly=True)
    last_error = fields.Char(readonly=True)
    order_id = fields.Many2one("sale.order", readonly=True, index="btree_not_null", copy=False)
    transaction_ids = fields.Many2many(related="order_id.transaction_ids", string="Payments")
    invoice_ids = fields.Many2many(related="order_id.invoice_ids", string="Invoices")
    amount_total = fields.Monetary(related="order_id.amount_total", string="Amount")
    pv_total = fields.Float(related="order_id.mlm_pv_total", string="PV")

    _sql_constraints = [
        ("autoship_date_uniq", "unique(autoship_id, cycle_date)", "An autoship has one cycle per date."),
    ]

    @api.depends("autoship_id")
    def _compute_from_autoship(self):
        for cycle in self:
            cycle.company_id = cycle.autoship_id.company_id
            cycle.partner_id = cycle.autoship_id.partner_id

    @api.depends("autoship_id", "cycle_date")
    def _compute_key(self):
        for cycle in self:
            cycle.key = (
                f"AS{cycle.autoship_id.id}-{cycle.cycle_date.strftime('%Y%m%d')}"
                if cycle.autoship_id and cycle.cycle_date
                else False
            )

    # ------------------------------------------------------------------ actions
    def action_retry_now(self):
        """Staff: charge a failed cycle again now (after the owner updated their card)."""
        self.check_access("write")
        failed = self.filtered(lambda c: c.state == "failed")
        if not failed:
            raise UserError(self.env._("Only cycles whose payment failed can be charged again."))
        failed._charge_all()

    def action_skip(self):
        """Staff: give up a failed cycle (its order is cancelled); the autoship stays as it is."""
        self.check_access("write")
        for cycle in self.filtered(lambda c: c.state in ("pending", "failed")):
            cycle._skip("owner")

    # ------------------------------------------------------------------ batch steps
    @api.model
    def _claim(self, autoships, day):
        """The pending cycles of ``autoships`` due on or before ``day``: new ones inserted (set-based, ``ON CONFLICT
        DO NOTHING`` on the key), and those a crashed run left pending."""
        autoships._claim_sql(day)
        return self.search(
            [("autoship_id", "in", autoships.ids), ("state", "=", "pending"), ("cycle_date", "<=", day)],
            order="id",
        )

    @api.model
    def _due_retry_ids(self, day):
        self.flush_model(["state", "next_retry_date"])
        self.env.cr.execute(
            SQL(
                "SELECT id FROM mlm_autoship_cycle WHERE state = 'failed' AND next_retry_date <= %s ORDER BY id",
                day,
            )
        )
        return [row[0] for row in self.env.cr.fetchall()]

    def _run_retries(self, day):
        """The job of retries: charge again the failed cycles whose retry date has come."""
        self.filtered(lambda c: c.state == "failed" and c.next_retry_date and c.next_retry_date <= day)._charge_all()

    def _create_orders(self):
        """The sale orders of the cycles that have none, in one ``create`` (Odoo computes prices, taxes and PV)."""
        todo = self.filtered(lambda c: not c.order_id and c.state == "pending")
        vals_by_cycle = {cycle: cycle.autoship_id._prepare_order_vals(cycle) for cycle in todo}
        empty = todo.filtered(lambda c: not vals_by_cycle[c]["order_line"])
        orders = self.env["sale.order"].sudo().create([vals_by_cycle[c] for c in todo - empty])
        for cycle, order in zip(todo - empty, orders, strict=True):
            cycle.order_id = order
        for cycle in empty:
            cycle._skip("payment", self.env._("No product of the autoship can be sold any more."))
        for cycle in todo - empty:
            carrier = cycle.autoship_id.carrier_id
            if carrier:
                rate = carrier.rate_shipment(cycle.order_id)
                if rate.get("success"):
                    cycle.order_id.set_delivery_line(carrier, rate["price"])
        return orders

    def _charge_all(self):
        for cycle in self:
            cycle._charge()

    def _charge(self):
        """Charge one cycle's order to the autoship's saved card, then confirm, invoice and record the payment.

        A paid cycle (or one with a confirmed transaction) is never charged again. A declined card is a failed
        attempt (retried on the company's schedule); any other error propagates and rolls the job back.
        """
        self.ensure_one()
        if self.state not in ("pending", "failed"):
            return
        order = self.order_id
        paid_tx = order.transaction_ids.filtered(lambda t: t.state in PAID_TX_STATES)
        if paid_tx:
            self._on_paid(paid_tx[:1])
            return
        token = self.autoship_id.payment_token_id
        if not token or not token.active:
            self._on_failed(self.env._("No saved card."))
            return
        attempt = self.attempt_count + 1
        tx = self._create_transaction(token, attempt)
        error = False
        try:
            with self.env.cr.savepoint():
                tx._send_payment_request()
        except (UserError, ValidationError) as declined:
            error = str(declined)
        if tx.state in PAID_TX_STATES:
            self._on_paid(tx)
        else:
            self._on_failed(error or tx.state_message or self.env._("The payment was declined."), tx)

    def _create_transaction(self, token, attempt):
        order = self.order_id
        return (
            self.env["payment.transaction"]
            .sudo()
            .create(
                {
                    "provider_id": token.provider_id.id,
                    "payment_method_id": token.payment_method_id.id,
                    "reference": f"{self.key}-{attempt}",
                    "amount": order.amount_total,
                    "currency_id": order.currency_id.id,
                    "partner_id": order.partner_id.id,
                    "token_id": token.id,
                    "operation": "offline",
                    "sale_order_ids": [Command.set(order.ids)],
                }
            )
        )

    def _on_paid(self, tx):
        """Odoo's own flow: the transaction confirms the order, the order is invoiced, the invoice posted and the
        payment reconciled with it (the volume ledger follows under every volume trigger)."""
        tx = tx.sudo()
        order = self.order_id.sudo()
        if order.state in ("draft", "sent") and order._is_confirmation_amount_reached():
            order.action_confirm()  # without Odoo's confirmation e-mail sent at once: the cycle's own is queued
        if tx.state == "done":
            tx._invoice_sale_orders()
        if not tx.is_post_processed:
            tx._post_process()
        self.write(
            {
                "state": "paid",
                "attempt_count": self.attempt_count + (0 if self.state == "paid" else 1),
                "next_retry_date": False,
                "last_error": False,
            }
        )
        self.env.ref("mlm_autoship.mail_template_autoship_paid").send_mail(self.id)
        self.autoship_id.message_post(
            body=self.env._(
                "Cycle %(date)s paid: order %(order)s, %(amount)s %(currency)s, %(pv)s PV.",
                date=self.cycle_date,
                order=self.order_id.name,
                amount=self.order_id.amount_total,
                currency=self.order_id.currency_id.name,
                pv=self.order_id.mlm_pv_total,
            )
        )

    def _retry_days(self):
        """Days after the cycle date of each retry (the company's schedule, e.g. ``1,3,5``)."""
        self.ensure_one()
        text = self.company_id.mlm_autoship_retry_days or ""
        return sorted({int(x) for x in text.replace(" ", "").split(",") if x.isdigit()})

    def _on_failed(self, error, tx=None):
        """A failed attempt: a retry on the schedule, or, after the last one, the cycle skipped and the autoship
        paused (never cancelled). The owner is told each time, with the link to update the card."""
        attempt = self.attempt_count + 1
        retries = self._retry_days()
        vals = {"attempt_count": attempt, "last_error": (error or "")[:250]}
        if attempt <= len(retries):
            vals.update(state="failed", next_retry_date=self.cycle_date + timedelta(days=retries[attempt - 1]))
            self.write(vals)
            template = "mlm_autoship.mail_template_autoship_payment_failed"
        else:
            self.write(vals)
            self._skip("payment", error)
            self.autoship_id._pause(
                self.env._(
                    "Paused after %(count)s failed payments of the cycle of %(date)s.",
                    count=attempt,
                    date=self.cycle_date,
                )
            )
            template = "mlm_autoship.mail_template_autoship_paused"
        self.autoship_id.message_post(
            body=self.env._(
                "Payment of the cycle %(date)s failed (attempt %(attempt)s): %(error)s",
                date=self.cycle_date,
                attempt=attempt,
                error=error,
            )
        )
        self._notify_owner(template)

    def _skip(self, reason, error=None):
        self.ensure_one()
        if self.order_id and self.order_id.state in ("draft", "sent"):
            self.order_id.sudo()._action_cancel()
        self.write({"state": "skipped", "skip_reason": reason, "next_retry_date": False, "last_error": error})

    def _notify_owner(self, template_xmlid):
        self.ensure_one()
        self.env.ref(template_xmlid).send_mail(self.id)
        autoship = self.autoship_id
        if autoship.owner_type == "distributor" and autoship.distributor_id:
            # the installed app's web push (mlm_portal), where the distributor allowed it; the e-mail above stays
            autoship.distributor_id._mlm_notify(
                "autoship", {"name": autoship.name, "path": autoship.access_url}, mail_fallback=False
            )
        autoship._notify_extra(
            self.env._(
                "The payment of your autoship %(name)s failed. Update your card: %(url)s",
                name=autoship.name,
                url=autoship._portal_full_url(),
            )
        )
