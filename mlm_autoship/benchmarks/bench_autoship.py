#!/usr/bin/env python3
"""The daily autoship batch at scale, our way and a competent ORM baseline, in the same run on the same data.

    $VENV/bin/python mlm_autoship/benchmarks/bench_autoship.py -c odoo.conf -d DB [--due 100000] [--sample 200]

``DB`` must have ``mlm_autoship`` installed. The script inserts ``--due`` active autoships due today (one product,
owners drawn from 1,000 partners, each with a card of the Demo provider) and times, each stage rolled back after:

1. enqueue: the cron's ``_enqueue_cycles`` (one SQL read, one job per 200 autoships);
2. claim, the whole batch: our set-based claim (``INSERT .. ON CONFLICT DO NOTHING`` + one ``UPDATE`` of the next
   dates per job) against the baseline per job (one ``search`` of existing cycles, one ``create(vals_list)``, one
   ``write`` per autoship for its own next date);
3. orders for ``--sample`` cycles: one ``sale.order.create(vals_list)`` per job against one ``create`` per cycle;
4. charge, confirm, invoice and payment of ``--sample`` cycles through Odoo's payment flow (the Demo provider):
   the part that must stay per order in the ORM (one provider request, one invoice, one payment each).

The total for ``--due`` autoships is extrapolated from the per-cycle times of stages 3 and 4 (measured) and the
whole-batch times of stages 1 and 2; the load average is printed with the figures.
"""

# a command-line report: printing is its output
# pylint: disable=print-used

import argparse
import os
import time

import odoo
from odoo import SUPERUSER_ID, api, fields
from odoo.tools import SQL

CHUNK = 200


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="job runner capacity for the extrapolation")
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


def main():
    args = parse()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database, "--log-level=warn"])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True, "queue_job__no_delay": False})
        print(f"load average before: {os.getloadavg()}")
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

        _orders_seconds, cycles = timed("ours: one sale.order.create(vals_list) per job", ours_orders)
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

        print(f"\n4. charge, confirm, invoice, pay {args.sample} cycles (Demo provider, Odoo's payment flow)")

        def charge():
            cycles = Cycle._claim(sample, day)
            cycles._create_orders()
            env.flush_all()
            start = time.perf_counter()
            cycles._charge_all()
            env.flush_all()
            return time.perf_counter() - start, cycles

        t_total, (t_charge, cycles) = timed("ours: orders + charges (the whole job)", charge)
        paid = len(cycles.filtered(lambda c: c.state == "paid"))
        print(f"  {'of which charges':<58} {t_charge:9.2f} s  ({paid} paid)")
        cr.execute("ROLLBACK TO SAVEPOINT bench")

        per_cycle = t_total / args.sample
        per_cycle_base = (t_orders_base + t_charge) / args.sample
        claim_per = t_claim / args.due
        claim_base_per = t_claim_base / args.due
        ours = args.due * (per_cycle + claim_per) / args.workers
        base = args.due * (per_cycle_base + claim_base_per) / args.workers
        ms_ours, ms_base = 1000 * (per_cycle + claim_per), 1000 * (per_cycle_base + claim_base_per)
        print(f"\nper cycle: ours {ms_ours:.1f} ms, baseline {ms_base:.1f} ms")
        print(f"{args.due} autoships on {args.workers} workers: ours {ours / 60:.1f} min, baseline {base / 60:.1f} min")
        print(f"load average after: {os.getloadavg()}")
        cr.rollback()


if __name__ == "__main__":
    main()
