"""Demo autoships: a share of the network (and a few referred customers) on monthly autoships charged to cards saved
with Odoo's Demo payment provider, last month's cycle charged (order, payment, invoice, volume), one card declining
(the failed-payment queue), one paused and one cancelled (the retention report)."""

import argparse
import random
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from odoo_env import odoo_env

from odoo import Command, fields


def _token(env, provider, method, partner, state="done"):
    return env["payment.token"].create(
        {
            "provider_id": provider.id,
            "payment_method_id": method.id,
            "partner_id": partner.id,
            "payment_details": f"{4000 + partner.id % 6000:04d}",
            "provider_ref": f"demo-{partner.id}",
            "demo_simulated_state": state,
        }
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--share", type=float, default=0.1, help="share of the distributors on autoship")
    parser.add_argument("--max", type=int, default=150, help="at most this many autoships")
    args = parser.parse_args()
    with odoo_env(args.config, args.db) as env:
        if "mlm.autoship" not in env or env["mlm.autoship"].search_count([], limit=1):
            return
        env = env(context=dict(env.context, queue_job__no_delay=True))
        company = env.company
        provider = env.ref("payment.payment_provider_demo")
        provider.write({"state": "test", "is_published": True, "company_id": company.id})
        method = env.ref("payment.payment_method_unknown")
        products = env["product.product"].search(
            [("mlm_pv", ">", 0), ("sale_ok", "=", True), ("company_id", "in", [False, company.id])], limit=6
        )
        if not products:
            return
        rng = random.Random(17)
        distributors = env["mlm.distributor"].search([("status", "=", "active"), ("company_id", "=", company.id)])
        count = min(args.max, int(len(distributors) * args.share))
        chosen = distributors.browse(rng.sample(distributors.ids, count)) if count else distributors.browse()
        member = env["res.users"].search([("login", "=", "member")]).partner_id.mlm_distributor_id
        if member:
            chosen |= member
        owners = chosen.partner_id
        customers = env["res.partner"].search(
            [("mlm_referrer_id.company_id", "=", company.id)], limit=max(5, count // 10)
        )
        owners |= customers
        # Odoo's demo data gives some contacts a pricelist in another (inactive) currency: not autoship owners here
        owners = owners.filtered(lambda p: p.property_product_pricelist.currency_id == company.currency_id)
        today = fields.Date.context_today(env.user)
        last_month = today - relativedelta(months=1)
        vals_list = []
        tokens = {}
        for i, partner in enumerate(owners):
            tokens[partner.id] = _token(env, provider, method, partner, "error" if i == 1 else "done")
            picked = products.browse(rng.sample(products.ids, min(len(products), rng.randint(1, 3))))
            vals_list.append(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "payment_token_id": tokens[partner.id].id,
                    "month_day": min(last_month.day, 28),
                    "line_ids": [Command.create({"product_id": p.id, "quantity": rng.randint(1, 3)}) for p in picked],
                }
            )
        autoships = env["mlm.autoship"].create(vals_list)
        autoships.write({"start_date": last_month - timedelta(days=rng.randint(0, 90))})
        autoships.write({"next_date": min(last_month.replace(day=min(last_month.day, 28)), today)})
        # last month's cycle: order, payment with the saved card, invoice and volume (one card declines)
        for start in range(0, len(autoships), 50):
            autoships[start : start + 50]._run_cycles(last_month.replace(day=min(last_month.day, 28)))
        if len(autoships) > 3:
            autoships[2]._pause("Demo: on holiday")
            autoships[3]._cancel()
        print(
            f"  autoships: {len(autoships)} ({len(customers)} of customers), "
            f"{env['mlm.autoship.cycle'].search_count([('state', '=', 'paid')])} cycles paid last month; "
            "portal: /my/autoships (log in as member)"
        )


if __name__ == "__main__":
    main()
