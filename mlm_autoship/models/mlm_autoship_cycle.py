import logging
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .mlm_autoship import BATCH_SIZE, JOB_CHANNEL

_logger = logging.getLogger(__name__)

PAID_TX_STATES = ("authorized", "done")
# failed cycles a person may retry inside the request; more are charged by jobs
RETRY_INLINE_MAX = 3


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
        """Staff: charge failed cycles again (after the owners updated their cards). A few are charged at once, so
        that the person sees the result; more go to jobs of ``BATCH_SIZE`` cycles on the autoship channel (nothing
        long inside the request)."""
        self.check_access("write")
        failed = self.filtered(lambda c: c.state == "failed")
        if not failed:
            raise UserError(self.env._("Only cycles whose payment failed can be charged again."))
        if len(failed) <= RETRY_INLINE_MAX:
            failed._charge_all()
            return True
        description = self.env._("Autoship payment retries")
        for start in range(0, len(failed), BATCH_SIZE):
            failed[start : start + BATCH_SIZE].with_delay(channel=JOB_CHANNEL, description=description)._charge_all()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("%(count)s payments will be charged again in the background.", count=len(failed)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

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
        """Charge the cycles of one job as a batch: one transaction and one provider request per cycle, then the
        paid ones confirmed, invoiced, posted (the volume ledger in one pass) and paid with Odoo's own methods
        called once on the whole recordset where Odoo allows it (:meth:`_on_paid_batch`).

        A paid cycle (or one with a confirmed transaction) is never charged again. A declined card is a failed
        attempt of that cycle only (retried on the company's schedule); any other error propagates and rolls the
        whole job back (queue_job runs it again: the transactions' references are the same, so is the providers'
        idempotency key)."""
        todo = self.filtered(lambda c: c.state in ("pending", "failed"))
        paid_tx = {}
        for cycle in todo:
            done = cycle.order_id.transaction_ids.filtered(lambda t: t.state in PAID_TX_STATES)
            if done:
                paid_tx[cycle] = done[:1]
        no_card = todo.filtered(
            lambda c: (
                c not in paid_tx and not (c.autoship_id.payment_token_id and c.autoship_id.payment_token_id.active)
            )
        )
        to_charge = todo.filtered(lambda c: c not in paid_tx) - no_card
        failures = [(cycle, self.env._("No saved card."), None) for cycle in no_card]
        for cycle, tx in zip(to_charge, to_charge._create_transactions(), strict=True):
            error = cycle._charge(tx)
            if tx.state in PAID_TX_STATES:
                paid_tx[cycle] = tx
            else:
                failures.append((cycle, error or tx.state_message or self.env._("The payment was declined."), tx))
        for cycle, error, tx in failures:
            cycle._on_failed(error, tx)
        if paid_tx:
            paid = self.browse([cycle.id for cycle in paid_tx])
            paid._on_paid_batch(self.env["payment.transaction"].union(*paid_tx.values()))

    def _charge(self, tx):
        """Send the payment request of one cycle's transaction (the only per-cycle call to the provider); returns
        the decline message, or False."""
        self.ensure_one()
        try:
            with self.env.cr.savepoint():
                tx._send_payment_request()
        except (UserError, ValidationError) as declined:
            return str(declined)
        return False

    def _create_transactions(self):
        """The next attempt's transaction of each cycle: reference ``<key>-<attempt>``."""
        vals_list = []
        for cycle in self:
            token, order = cycle.autoship_id.payment_token_id, cycle.order_id
            vals_list.append(
                {
                    "provider_id": token.provider_id.id,
                    "payment_method_id": token.payment_method_id.id,
                    "reference": f"{cycle.key}-{cycle.attempt_count + 1}",
                    "amount": order.amount_total,
                    "currency_id": order.currency_id.id,
                    "partner_id": order.partner_id.id,
                    "token_id": token.id,
                    "operation": "offline",
                    "sale_order_ids": [Command.set(order.ids)],
                }
            )
        # one create per transaction: Odoo 18's constraint ``payment.transaction._check_token_is_active`` reads
        # ``self.token_id`` without a loop and fails on a batch (the ORM's only way, as Odoo's own flows do)
        Transaction = self.env["payment.transaction"].sudo()
        return Transaction.union(*(Transaction.create(vals) for vals in vals_list))

    def _on_paid_batch(self, txs):
        """Odoo's own flow after a payment, once per job where Odoo allows a recordset: the orders confirmed in one
        ``action_confirm``, invoiced in one ``_create_invoices`` (one invoice per order), posted in one
        ``action_post`` (the volume ledger follows in one pass under every volume trigger); then one payment per
        transaction, reconciled with its invoice, all created, posted and reconciled at once
        (:meth:`payment.transaction._mlm_create_payments`), and the cycles, e-mails and chatter written in bulk."""
        txs = txs.sudo()
        orders = self.order_id.sudo()
        # without Odoo's confirmation e-mail sent at once: the cycle's own is queued below
        orders.filtered(lambda o: o.state in ("draft", "sent") and o._is_confirmation_amount_reached()).action_confirm()
        done = txs.filtered(lambda t: t.state == "done" and not t.is_post_processed)
        to_invoice = done.sale_order_ids.filtered(lambda o: o.state == "sale" and not o.invoice_ids and o._is_paid())
        if to_invoice:
            to_invoice._force_lines_to_invoice_policy_order()
            invoices = to_invoice.with_context(raise_if_nothing_to_invoice=False)._create_invoices(
                grouped=True, final=True
            )
            by_order = {}
            for invoice in invoices:
                invoice._portal_ensure_token()
                by_order[invoice.invoice_line_ids.sale_line_ids.order_id[:1].id] = invoice
            for tx in done:
                invoice = by_order.get(tx.sale_order_ids[:1].id)
                if invoice:
                    tx.invoice_ids = [Command.set(invoice.ids)]
            invoices.filtered(lambda m: m.state == "draft").action_post()
        # one payment per transaction, as Odoo's ``_create_payment``, but created, posted and reconciled once per job
        done._mlm_create_payments()
        # the confirmed transactions are post-processed above (confirm, invoice, post, pay): only the flag of
        # payment's own post-processing is left. Not sale's ``_post_process``: with ``sale.automatic_invoice`` on it
        # would invoice again (nothing left: the transaction's invoice link reset to none) and render invoice PDFs
        done.is_post_processed = True
        # authorized ones (providers capturing later): Odoo's own flow
        (txs - done).filtered(lambda t: not t.is_post_processed)._post_process()
        self._mark_paid()
        self.env.ref("mlm_autoship.mail_template_autoship_paid").send_mail_batch(self.ids)
        bodies = {}
        for cycle in self:
            body = escape(
                self.env._(
                    "Cycle %(date)s paid: order %(order)s, %(amount)s %(currency)s, %(pv)s PV.",
                    date=cycle.cycle_date,
                    order=cycle.order_id.name,
                    amount=cycle.order_id.amount_total,
                    currency=cycle.order_id.currency_id.name,
                    pv=cycle.order_id.mlm_pv_total,
                )
            )
            previous = bodies.get(cycle.autoship_id.id)
            bodies[cycle.autoship_id.id] = previous + Markup("<br/>") + body if previous else body
        self.autoship_id._message_log_batch(bodies)

    def _mark_paid(self):
        """The cycles paid: one ``write`` per attempt count (a retried cycle has more)."""
        for attempts, cycles in self.grouped(lambda c: c.attempt_count + (0 if c.state == "paid" else 1)).items():
            cycles.write({"state": "paid", "attempt_count": attempts, "next_retry_date": False, "last_error": False})

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
