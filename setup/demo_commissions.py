"""Demo sales and commissions (when mlm_commission is installed).

A compensation plan, products with PV/BV, and sales through real sale orders and posted invoices in the last month
and this month; last month's period is computed and closed (accounting, statements), this month's is previewed.
"""

import argparse
import random
from datetime import timedelta

from odoo_env import odoo_env

from odoo import Command, fields

PRODUCTS = [
    ("Vitamin D3 Complex", 24.90, 20, 15.0),
    ("Protein Shake Vanilla", 39.90, 35, 28.0),
    ("Collagen Beauty", 54.00, 45, 38.0),
    ("Starter Kit", 99.00, 50, 20.0),
]


def setup_accounting(env, company):
    if not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
    Account = env["account.account"]
    expense = Account.search([("code", "=", "619100"), ("company_ids", "in", company.id)], limit=1) or Account.create(
        {"name": "Commission Expense", "code": "619100", "account_type": "expense"}
    )
    payable = Account.search([("code", "=", "219100"), ("company_ids", "in", company.id)], limit=1) or Account.create(
        {"name": "Commissions Payable", "code": "219100", "account_type": "liability_payable", "reconcile": True}
    )
    journal = env["account.journal"].search([("code", "=", "COMM"), ("company_id", "=", company.id)], limit=1)
    journal = journal or env["account.journal"].create(
        {"name": "Commissions", "code": "COMM", "type": "general", "company_id": company.id}
    )
    company.write(
        {
            "mlm_commission_journal_id": journal.id,
            "mlm_commission_expense_account_id": expense.id,
            "mlm_commission_payable_account_id": payable.id,
        }
    )


def sell(env, buyers, products, day, rng, pricelist):
    """One confirmed sale order and one posted invoice per buyer, dated ``day``."""
    orders = env["sale.order"].create(
        [
            {
                "partner_id": buyer.id,
                "pricelist_id": pricelist.id,
                "date_order": fields.Datetime.to_datetime(day),
                "order_line": [
                    Command.create({"product_id": p.id, "product_uom_qty": rng.randint(1, 3)})
                    for p in rng.sample(products, rng.randint(1, 3))
                ],
            }
            for buyer in buyers
        ]
    )
    orders.action_confirm()
    invoices = orders._create_invoices()
    invoices.write({"invoice_date": day})
    invoices.action_post()
    return invoices


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--buyers", type=int, default=160, help="distributors buying each month")
    args = parser.parse_args()
    with odoo_env(args.config, args.db) as env:
        if "mlm.plan" not in env:
            return
        company = env.company
        if company.mlm_plan_id:
            print("  demo commissions already set up")
            return
        rng = random.Random(7)
        setup_accounting(env, company)
        plan = env["mlm.plan"]._create_sample_plan(company, "Unilevel 2026")
        company.write({"mlm_plan_id": plan.id, "mlm_volume_trigger": "invoice", "mlm_statement_email": False})
        products = env["product.product"].create(
            [
                {"name": name, "list_price": price, "mlm_pv": pv, "mlm_bv": bv, "type": "consu", "taxes_id": False}
                for name, price, pv, bv in PRODUCTS
            ]
        )
        # Odoo's demo data (website_sale) adds pricelists in other currencies by country: sell in the company's own
        pricelist = env["product.pricelist"].search(
            [("currency_id", "=", company.currency_id.id), ("company_id", "in", [False, company.id])], limit=1
        ) or env["product.pricelist"].create({"name": "Public prices", "currency_id": company.currency_id.id})
        active = env["mlm.distributor"].search([("status", "=", "active")], order="id")
        leaders = active.filtered(lambda d: d.depth <= 3)
        customers = env["res.partner"].create(
            [
                {
                    "name": f"Customer {i + 1} of {d.name}",
                    "email": f"customer{i + 1}@example.com",
                    "mlm_referrer_id": d.id,
                }
                for i, d in enumerate(rng.sample(list(active), 40))
            ]
        )
        today = fields.Date.context_today(env.user)
        last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
        for start, end in ((last_month, today.replace(day=1) - timedelta(days=1)), (today.replace(day=1), today)):
            buyers = leaders | env["mlm.distributor"].browse(rng.sample(active.ids, min(args.buyers, len(active))))
            partners = buyers.partner_id | customers.browse(rng.sample(customers.ids, 25))
            for chunk in range(0, len(partners), 50):
                day = start + timedelta(days=rng.randrange(max((end - start).days, 1)))
                sell(env, partners[chunk : chunk + 50], list(products), day, rng, pricelist)
        Period = env["mlm.commission.period"]
        previous = Period._get_or_create_period(company, last_month)
        previous.action_compute_now()
        previous.with_context(queue_job__no_delay=True).action_close()  # the demo is built at once
        current = Period._get_or_create_period(company, today)
        current.action_compute_now()
        print(
            f"  plan {plan.name}: {len(products)} products, sales in {previous.name} (closed, "
            f"{len(previous.statement_ids)} statements) and {current.name} (preview)"
        )


if __name__ == "__main__":
    main()
