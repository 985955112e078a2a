#!/usr/bin/env python3
"""The daily autoship batch at scale, our way and a competent ORM baseline, in the same run on the same data.

    $VENV/bin/python mlm_autoship/benchmarks/bench_autoship.py -c odoo.conf -d DB [--due 2000] [--sample 200]
        [--profile]

``DB`` must have ``mlm_autoship`` installed. The script inserts ``--due`` active autoships due today (one product,
owners drawn from 1,000 partners, each with a card of the Demo provider) and times, each stage rolled back after:

1. enqueue: the cron's ``_enqueue_cycles`` (one SQL read, one job per 200 autoships);
2. claim, the whole batch: our set-based claim (``INSERT .. ON CONFLICT DO NOTHING`` + one ``UPDATE`` of the next
   dates per job) against the baseline per job (one ``search`` of existing cycles, one ``create(vals_list)``, one
   ``write`` per autoship for its own next date);
3. orders for ``--sample`` cycles: one ``sale.order.create(vals_list)`` per job against one ``create`` per cycle;
4. charge, confirm, invoice and payment of ``--sample`` cycles (the Demo provider), in jobs of 200: our batch
   (transactions in one ``create``, one provider request per cycle, then ``action_confirm``, ``_create_invoices``
   and ``action_post`` once per job, and the job's payments, one per transaction, created, posted and reconciled
   at once by ``_mlm_create_payments``) against the previous batch (the same, but Odoo's ``_create_payment`` called
   once per transaction) and against the per-cycle path (each cycle charged, confirmed, invoiced, posted and paid
   on its own, as Odoo's ``_post_process`` does per transaction);
5. with ``--profile``: cProfile of our batch and of the previous batch on ``--sample`` cycles, the 25 most
   expensive functions (cumulative) and the 15 with the most own time.

Everything runs as queue_job runs the jobs: without ``tracking_disable`` in the context (the chatter's tracking and
followers are part of the cost). The total for 100,000 autoships on ``--workers`` job workers is extrapolated from
the per-cycle times (stages 2-4); the load average is printed before and after each stage.
"""

# a command-line report: printing is its output
# pylint: disable=print-used

import argparse
import cProfile
import io
import pstats
import time
from contextlib import contextmanager
from unittest.mock import patch

import odoo
from odoo import SUPERUSER_ID, Command, api, fields
from odoo.tools import SQL

CHUNK = 200


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--due", type=int, default=2_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="job runner capacity for the extrapolation")
    parser.add_argument("--target", type=int, default=100_000, help="autoships due on one day, extrapolated")
    parser.add_argument("--profile", action="store_true", help="cProfile our batch of --sample cycles")
    return parser.parse_args()


def setup(env, due):
    company = env.company
    provider = env.ref("payment.payment_provider_demo")
    provider.write({"state": "test", "company_id": company.id})
    if not provider.journal_id:
        provider.journal_id = env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
    method = env.ref("payment.payment_method_unknown")
    product = env["product.product"].create(
        {"name": "Bench Pack", "type": "consu", "list_price": 30.0, "mlm_pv": 25.0, "mlm_bv": 20.0}
    )
    partners = env["res.partner"].create([{"name": f"Bench Owner {i}"} for i in range(1000)])
    tokens = env["payment.token"].create(
        [
            {
                "provider_id": provider.id,
                "payment_method_id": method.id,
                "partner_id": p.id,
                "payment_details": "4242",
                "provider_ref": f"bench-{p.id}",
                "demo_simulated_state": "done",
            }
            for p in partners
        ]
    )
    env.flush_all()
    today = fields.Date.context_today(env.user)
    env.cr.execute(
        SQL(
            """
            INSERT INTO mlm_autoship (name, partner_id, partner_shipping_id, owner_type, company_id,
                                      payment_token_id, frequency, month_day, interval_weeks, start_date, next_date,
                                      state, amount_total, pv_total, create_uid, create_date, write_uid, write_date)
            SELECT 'BENCH' || g, p.id, p.id, 'customer', %(company)s, t.id, 'monthly', %(day)s, 4, %(today)s,
                   %(today)s, 'active', 30, 25, 1, now(), 1, now()
              FROM generate_series(1, %(due)s) g
              JOIN unnest(%(partners)s::int[], %(tokens)s::int[]) WITH ORDINALITY AS pt(pid, tid, n)
                ON pt.n = mod(g, 1000) + 1
              JOIN res_partner p ON p.id = pt.pid
              JOIN payment_token t ON t.id = pt.tid
            """,
            company=company.id,
            day=min(today.day, 28),
            today=today,
            due=due,
            partners=partners.ids,
            tokens=tokens.ids,
        )
    )
    env.cr.execute(
        SQL(
            """
            INSERT INTO mlm_autoship_line (autoship_id, sequence, company_id, product_id, quantity, price_unit,
                                           price_subtotal, pv_subtotal, create_uid, create_date, write_uid,
                                           write_date)
            SELECT a.id, 10, a.company_id, %(product)s, 1, 30, 30, 25, 1, now(), 1, now()
              FROM mlm_autoship a WHERE left(a.name, 5) = 'BENCH'
            """,
            product=product.id,
        )
    )
    env.invalidate_all()
    return env["mlm.autoship"].search([("name", "=like", "BENCH%")], order="id"), today


def loadavg():
    with open("/proc/loadavg", encoding="ascii") as f:
        return f.read().strip()


def timed(label, fn):
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    print(f"  {label:<58} {seconds:9.2f} s")
    return seconds, value


def baseline_claim(autoships, day):
    """What a competent ORM developer writes per job: existing cycles in one search, the missing ones in one
    create, then each autoship's own next date."""
    Cycle = autoships.env["mlm.autoship.cycle"]
    existing = set(Cycle.search([("autoship_id", "in", autoships.ids), ("cycle_date", "=", day)]).autoship_id.ids)
    todo = autoships.filtered(lambda a: a.id not in existing and a.state == "active" and a.next_date <= day)
    Cycle.create([{"autoship_id": a.id, "cycle_date": a.next_date} for a in todo])
    for autoship in todo:
        autoship.next_date = autoship._following_date(autoship.next_date)
    autoships.env.flush_all()


def in_chunks(records, fn):
    for start in range(0, len(records), CHUNK):
        fn(records[start : start + CHUNK])


def previous_create_payments(txs):
    """The payments as the previous batch made them: Odoo's ``_create_payment`` once per transaction."""
    payments = txs.env["account.payment"]
    for tx in txs.filtered(lambda t: t.state == "done" and t.operation != "validation" and not t.payment_id):
        payments |= tx.with_company(tx.company_id)._create_payment()
    return payments


@contextmanager
def previous_payments(env):
    """Our batch with the previous payment step (one ``_create_payment`` per transaction)."""
    with patch.object(type(env["payment.transaction"]), "_mlm_create_payments", previous_create_payments):
        yield


def previous_charge(cycles):
    with previous_payments(cycles.env):
        cycles._charge_all()


def baseline_charge(cycles):
    """The per-cycle path the batch replaced: each cycle's transaction created and sent, then Odoo's flow for that
    one order (confirm, invoice, post, payment), its state, e-mail and chatter written on their own."""
    env = cycles.env
    template = env.ref("mlm_autoship.mail_template_autoship_paid")
    for cycle in cycles:
        token, order = cycle.autoship_id.payment_token_id, cycle.order_id.sudo()
        tx = (
            env["payment.transaction"]
            .sudo()
            .create(
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
        )
        tx._send_payment_request()
        if tx.state != "done":
            continue
        if order.state in ("draft", "sent"):
            order.action_confirm()
        tx._invoice_sale_orders()
        tx._post_process()
        cycle.write({"state": "paid", "attempt_count": cycle.attempt_count + 1})
        template.send_mail(cycle.id)
        cycle.autoship_id.message_post(body=f"Cycle {cycle.cycle_date} paid: order {order.name}.")


def run_jobs(cycles, charge):
    """``charge`` on the cycles in jobs of CHUNK (each job flushed as its transaction would be)."""
    for start in range(0, len(cycles), CHUNK):
        charge(cycles[start : start + CHUNK])
        cycles.env.flush_all()


def main():
    args = parse()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        # the context of a queue_job job: no tracking_disable
        env = api.Environment(cr, SUPERUSER_ID, {"queue_job__no_delay": False})
        print(f"load average before: {loadavg()}")
        _setup_seconds, (autoships, day) = timed(
            f"setup: {args.due} autoships due today (SQL insert)", lambda: setup(env, args.due)
        )
        cr.execute("SAVEPOINT bench")
        Autoship = env["mlm.autoship"]
        print(f"\n1. enqueue ({args.due} due)")
        timed("ours: _enqueue_cycles (jobs created, not run)", lambda: Autoship._enqueue_cycles(day))
        cr.execute("ROLLBACK TO SAVEPOINT bench")
        env.invalidate_all()

        print(f"\n2. claim {args.due} cycles, in jobs of {CHUNK}")
        t_claim, _ = timed(
            "ours: set-based INSERT .. ON CONFLICT + one UPDATE",
            lambda: in_chunks(autoships, lambda c: c._claim_sql(day)),
        )
        cr.execute("ROLLBACK TO SAVEPOINT bench")
        env.invalidate_all()
        t_claim_base, _ = timed(
            "baseline: search + create(vals_list) + write per autoship",
            lambda: in_chunks(autoships, lambda c: baseline_claim(c, day)),
        )
        cr.execute("ROLLBACK TO SAVEPOINT bench")
        env.invalidate_all()

        sample = autoships[: args.sample]
        Cycle = env["mlm.autoship.cycle"]
        print(f"\n3. sale orders of {args.sample} cycles")

        def ours_orders():
            cycles = Cycle._claim(sample, day)
            cycles._create_orders()
            env.flush_all()
            return cycles

        t_orders, _cycles = timed("ours: one sale.order.create(vals_list) per job", ours_orders)
        cr.execute("ROLLBACK TO SAVEPOINT bench")
        env.invalidate_all()

        def baseline_orders():
            cycles = Cycle._claim(sample, day)
            for cycle in cycles:
                order = env["sale.order"].create(cycle.autoship_id._prepare_order_vals(cycle))
                cycle.order_id = order
            env.flush_all()

        t_orders_base, _ = timed("baseline: one sale.order.create per cycle", baseline_orders)
        cr.execute("ROLLBACK TO SAVEPOINT bench")
        env.invalidate_all()

        print(f"\n4. charge, confirm, invoice, pay {args.sample} cycles (Demo provider), jobs of {CHUNK}")
        timings = {}
        for label, charge in (
            ("ours: batch per job, the job's payments at once", lambda c: c._charge_all()),
            ("previous batch: one _create_payment per transaction", previous_charge),
            ("baseline: the per-cycle path", baseline_charge),
        ):
            cycles = Cycle._claim(sample, day)
            cycles._create_orders()
            env.flush_all()
            queries = cr.sql_log_count
            seconds, _ = timed(label, lambda cycles=cycles, charge=charge: run_jobs(cycles, charge))
            queries = cr.sql_log_count - queries
            paid = cycles.filtered(lambda c: c.state == "paid")
            invoices = paid.order_id.invoice_ids.filtered(lambda m: m.state == "posted")
            open_invoices = invoices.filtered(lambda m: m.payment_state not in ("paid", "in_payment"))
            payments = paid.order_id.transaction_ids.payment_id
            print(
                f"  {'':<58} {len(paid)} paid, {len(invoices)} invoices posted ({len(open_invoices)} unpaid), "
                f"{len(payments)} payments, {queries / args.sample:.0f} queries/cycle; load {loadavg()}"
            )
            timings[label] = seconds
            cr.execute("ROLLBACK TO SAVEPOINT bench")
            env.invalidate_all()
        t_charge, t_charge_prev, t_charge_base = timings.values()

        if args.profile:
            for label, charge in (("our batch", lambda c: c._charge_all()), ("the previous batch", previous_charge)):
                print(f"\n5. cProfile of {label} of {args.sample} cycles (charges, the orders made before)")
                cycles = Cycle._claim(sample, day)
                cycles._create_orders()
                env.flush_all()
                profiler = cProfile.Profile()
                profiler.enable()
                run_jobs(cycles, charge)
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
                print(out.getvalue())
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
                print(out.getvalue())
                cr.execute("ROLLBACK TO SAVEPOINT bench")
                env.invalidate_all()

        per_cycle = (t_orders + t_charge) / args.sample + t_claim / args.due
        per_cycle_prev = (t_orders + t_charge_prev) / args.sample + t_claim / args.due
        per_cycle_base = (t_orders_base + t_charge_base) / args.sample + t_claim_base / args.due
        print(
            f"\nstage 4 per cycle: ours {1000 * t_charge / args.sample:.1f} ms, previous batch "
            f"{1000 * t_charge_prev / args.sample:.1f} ms, baseline {1000 * t_charge_base / args.sample:.1f} ms"
        )
        print(
            f"per cycle (stages 2-4): ours {1000 * per_cycle:.1f} ms, previous batch {1000 * per_cycle_prev:.1f} ms, "
            f"baseline {1000 * per_cycle_base:.1f} ms"
        )
        totals = ", ".join(
            f"{name} {args.target * seconds / args.workers / 60:.1f} min"
            for name, seconds in (("ours", per_cycle), ("previous batch", per_cycle_prev), ("baseline", per_cycle_base))
        )
        print(f"{args.target} autoships on {args.workers} workers: {totals}")
        print(f"load average after: {loadavg()}")
        cr.rollback()


if __name__ == "__main__":
    main()
