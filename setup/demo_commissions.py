"""Demo sales and commissions (when mlm_commission is installed), for the Russian company and its Kazakh sister.

Each company gets a compensation plan with its amounts in its own currency, products with PV/BV and VAT included
in the price (20 % in Russia, 12 % in Kazakhstan), and twelve months of sales: in the last two months a sample of
the buyers (the demo logins among them) through real sale orders and posted invoices, everything else as sales
imported from 1C (ledger lines written set-based, one INSERT per batch). Every past month is computed and closed in
date order (accounting, ranks, statements); this month is previewed. The Kazakh company first gets a network of its
own.
"""

# a command-line script: printing is its output
# pylint: disable=print-used

import argparse
import random
import time
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from demo_users import pick_demo_distributors
from odoo_env import odoo_env

from odoo import Command, fields

# (English name, Russian name, Kazakh name, PV)
PRODUCTS = [
    ("Vitamin D3 Complex", "Комплекс витамина D3", "D3 дәрумені кешені", 20),
    ("Protein Shake Vanilla", "Протеиновый коктейль «Ваниль»", "Ванильді протеин коктейлі", 35),
    ("Collagen Beauty", "Коллаген «Бьюти»", "«Бьюти» коллагені", 45),
    ("Starter Kit", "Стартовый набор", "Бастапқы жинақ", 50),
]
# per company: prices and BV of the products (in its currency, VAT included), VAT rate, the plan's money scale
# (the sample plan's amounts are in dollars), network size (0: the network generated before), buyers per month
# (at the end of the year; fewer before), of whom those buying through real orders and invoices in the last months
COMPANIES = {
    "RUB": {
        "prices": [(1490, 900), (2990, 1700), (3990, 2300), (7900, 1200)],
        "vat": 20,
        "scale": 75,
        "plan": "Unilevel 2026",
        "size": 0,
        "buyers": 160,
        "invoiced": 60,
        "customers": 40,
    },
    "KZT": {
        "prices": [(7900, 4800), (15900, 9000), (21500, 12200), (41900, 6400)],
        "vat": 12,
        "scale": 400,
        "plan": "Unilevel 2026 (KZ)",
        "size": 150,
        "buyers": 35,
        "invoiced": 15,
        "customers": 10,
    },
}
MONTHS = 12  # of sales history, this month included
REAL_MONTHS = 2  # the last ones: a sample of the buyers through real orders and invoices
# seasonality of direct selling: a January start, a summer dip, a strong autumn and December
SEASON = {1: 1.05, 2: 0.95, 3: 1.0, 4: 1.0, 5: 0.95, 6: 0.85, 7: 0.8, 8: 0.85, 9: 1.05, 10: 1.1, 11: 1.15, 12: 1.25}


def setup_accounting(env, company):
    if not company.chart_template:
        env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    Account = env["account.account"]
    expense = Account.search([("code", "=", "619100"), ("company_ids", "in", company.id)], limit=1) or Account.create(
        {"name": "Commission Expense", "code": "619100", "account_type": "expense", "company_ids": company.ids}
    )
    payable = Account.search([("code", "=", "219100"), ("company_ids", "in", company.id)], limit=1) or Account.create(
        {
            "name": "Commissions Payable",
            "code": "219100",
            "account_type": "liability_payable",
            "reconcile": True,
            "company_ids": company.ids,
        }
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


def ensure_vat(env, company, rate):
    """The company's sale VAT at ``rate`` %, included in the price (retail prices in Russia and Kazakhstan are)."""
    Tax = env["account.tax"]
    domain = [("company_id", "=", company.id), ("type_tax_use", "=", "sale"), ("amount_type", "=", "percent")]
    tax = Tax.search([*domain, ("amount", "=", rate), ("price_include_override", "=", "tax_included")], limit=1)
    if not tax:
        # a copy of the chart's sale VAT (its tax group and tax accounts) at this rate, or a new tax
        model = Tax.search([*domain, ("amount", "=", rate)], limit=1) or company.account_sale_tax_id
        country = company.account_fiscal_country_id or company.country_id
        values = {
            "name": f"НДС {rate}% (в т.ч.)",
            "amount": rate,
            "price_include_override": "tax_included",
            "country_id": country.id,
        }
        if model:
            if model.amount != rate or model.country_id != country:
                # the generic chart's 15 % (a United States tax): a group of its own, in the company's country
                group = model.tax_group_id.copy({"name": f"НДС {rate}%", "country_id": country.id})
                values["tax_group_id"] = group.id
            tax = model.copy(values)
        else:
            tax = Tax.create({**values, "type_tax_use": "sale", "company_id": company.id})
    company.account_sale_tax_id = tax
    return tax


def create_products(env, company, spec, tax):
    products = env["product.product"].create(
        [
            {
                "name": name,
                "list_price": price,
                "mlm_pv": pv,
                "mlm_bv": bv,
                "type": "consu",
                "company_id": company.id,
                "taxes_id": [Command.set(tax.ids)],
            }
            for (name, _ru, _kk, pv), (price, bv) in zip(PRODUCTS, spec["prices"], strict=True)
        ]
    )
    installed = {code for code, _name in env["res.lang"].get_installed()}
    for lang, column in (("ru_RU", 1), ("kk_KZ", 2)):
        if lang in installed:
            for product, row in zip(products, PRODUCTS, strict=True):
                product.product_tmpl_id.with_context(lang=lang).name = row[column]
    return products


def create_plan(env, company, spec):
    plan = env["mlm.plan"]._create_sample_plan(company, spec["plan"])
    plan.threshold = plan.threshold * spec["scale"]
    for rule in plan.rank_ids:
        rule.advancement_bonus = rule.advancement_bonus * spec["scale"]
    company.write({"mlm_plan_id": plan.id, "mlm_volume_trigger": "invoice", "mlm_statement_email": False})
    return plan


def sell(env, buyers, products, day, rng, pricelist):
    """One confirmed sale order and one posted invoice per buyer, dated ``day``."""
    orders = env["sale.order"].create(
        [
            {
                "partner_id": buyer.id,
                "pricelist_id": pricelist.id,
                "company_id": pricelist.company_id.id or env.company.id,
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


def month_buyers(rng, spec, month, k, active, leaders, regular, customers, today):
    """(distributors, customers) buying in ``month`` (the ``k``-th of the history) until ``today``: those who had
    joined, a network growing over the year with the season, the leaders and ``regular`` buyers (the demo logins)
    every month; this month's share so far."""
    month_end = min(month + relativedelta(months=1, days=-1), today)
    joined = active.filtered(lambda d: d.join_date <= month_end)
    share = (month_end.day / (month + relativedelta(months=1, days=-1)).day) if month_end == today else 1.0
    count = int(spec["buyers"] * (0.55 + 0.45 * k / (MONTHS - 1)) * SEASON[month.month] * share)
    buyers = leaders.filtered(lambda d: d.join_date <= month_end) | regular
    buyers |= joined.browse(rng.sample(joined.ids, min(count, len(joined))))
    some = customers.browse(
        rng.sample(customers.ids, min(len(customers), max(3, int(len(customers) * 5 // 8 * share))))
    )
    return buyers, some


def write_history(env, company, products, rng, months, today):
    """The sales imported from 1C: ledger lines (personal and customer volume) of ``months`` until ``today``,
    set-based."""
    Volume = env["mlm.volume.line"]._system()
    vals_list = []
    for month, distributors, customers in months:
        days = (min(month + relativedelta(months=1), today + timedelta(days=1)) - month).days
        buyers = [(p, p.mlm_distributor_id, "personal") for p in distributors.partner_id]
        buyers += [(p, p.mlm_referrer_id, "customer") for p in customers]
        for n, (partner, credited, volume_type) in enumerate(buyers):
            day = month + timedelta(days=rng.randrange(days))
            for product in rng.sample(products, rng.randint(1, 3)):
                qty = rng.randint(1, 3)
                vals_list.append(
                    {
                        "company_id": company.id,
                        "date": day,
                        "distributor_id": credited.id,
                        "partner_id": partner.id,
                        "volume_type": volume_type,
                        "pv": product.mlm_pv * qty,
                        "bv": company.currency_id.round(product.mlm_bv * qty),
                        "product_id": product.id,
                        "quantity": qty,
                        "source_key": f"demo-history:{company.id}:{month:%Y%m}:{n}:{product.id}",
                        "revision": 1,
                        "origin": f"1C {month:%Y-%m}/{n + 1:04d}",
                        "reason": "Sales imported from 1C",
                    }
                )
    for start in range(0, len(vals_list), 2000):
        Volume._insert_lines(vals_list[start : start + 2000])
    return len(vals_list)


def build_company(env, company, spec, rng, regular_logins=True):
    """Plan, products, a year of sales, the past months closed, this month previewed; returns a summary."""
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    company = company.with_env(env)
    Distributor = env["mlm.distributor"]
    if spec["size"] and not Distributor.search_count([("company_id", "=", company.id)]):
        env["mlm.network.generator"].generate(size=spec["size"], seed=43, company=company)
    setup_accounting(env, company)
    tax = ensure_vat(env, company, spec["vat"])
    plan = create_plan(env, company, spec)
    products = create_products(env, company, spec, tax)
    # Odoo's demo data (website_sale) adds pricelists in other currencies by country: sell in the company's own
    pricelist = env["product.pricelist"].search(
        [("currency_id", "=", company.currency_id.id), ("company_id", "in", [False, company.id])],
        order="company_id",
        limit=1,
    ) or env["product.pricelist"].create(
        {"name": "Розничные цены", "currency_id": company.currency_id.id, "company_id": company.id}
    )
    active = Distributor.search([("status", "=", "active"), ("company_id", "=", company.id)], order="id")
    leaders = active.filtered(lambda d: d.depth <= 3)
    regular = Distributor.browse()
    if regular_logins:
        leader, member = pick_demo_distributors(env, company)
        # the member and the first of their team buy every month: volume, commissions and a statement to show
        regular = leader | member | member.recruit_ids.filtered(lambda d: d.status == "active")[:4]
    from faker import Faker

    fake = Faker("ru_RU")
    fake.seed_instance(company.id)
    customers = env["res.partner"].create(
        [
            {
                "name": fake.name(),
                "email": f"customer{company.id}.{i + 1}@example.com",
                "phone": fake.phone_number(),
                "city": company.city,
                "country_id": company.country_id.id,
                "mlm_referrer_id": d.id,
            }
            for i, d in enumerate(rng.sample(list(active), min(spec["customers"], len(active))))
        ]
    )
    today = fields.Date.context_today(env.user)
    this_month = today.replace(day=1)
    first = this_month - relativedelta(months=MONTHS - 1)
    history, real = [], []
    for k in range(MONTHS):
        month = first + relativedelta(months=k)
        buyers, some = month_buyers(rng, spec, month, k, active, leaders, regular, customers, today)
        if k >= MONTHS - REAL_MONTHS:
            # a sample buys through real orders and invoices (the demo logins among them), the rest is imported
            others = (buyers - regular).ids
            sample = regular | buyers.browse(
                rng.sample(others, max(0, min(len(others), spec["invoiced"] - len(regular))))
            )
            real.append((month, sample, some[: len(some) // 3]))
            buyers, some = buyers - sample, some[len(some) // 3 :]
        history.append((month, buyers, some))
    lines = write_history(env, company, list(products), rng, history, today)
    invoices = 0
    for month, buyers, some in real:
        end = min(month + relativedelta(months=1, days=-1), today)
        partners = buyers.partner_id | some
        for chunk in range(0, len(partners), 50):
            day = month + timedelta(days=rng.randrange(max((end - month).days, 1)))
            invoices += len(sell(env, partners[chunk : chunk + 50], list(products), day, rng, pricelist))
    Period = env["mlm.commission.period"]
    past = Period.browse()
    for k in range(MONTHS - 1):
        past |= Period._get_or_create_period(company, first + relativedelta(months=k))
    past.with_context(queue_job__no_delay=True).action_close()  # the demo is built at once: oldest first
    current = Period._get_or_create_period(company, today)
    current.action_compute_now()
    return (
        f"  {company.name}: plan {plan.name} in {company.currency_id.name}, {len(products)} products "
        f"(VAT {spec['vat']}% included), {lines} ledger lines imported, {invoices} invoices; "
        f"{len(past)} months closed ({sum(past.mapped('statement_count'))} statements), {current.name} previewed"
    )


def sister_company(env):
    company = env.ref("base.demo_company_kz", raise_if_not_found=False)
    return company if company and company.currency_id.name == "KZT" else env["res.company"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    with odoo_env(args.config, args.db) as env:
        if "mlm.plan" not in env:
            return
        company = env.company
        if company.mlm_plan_id:
            print("  demo commissions already set up")
            return
        for lang in ("ru_RU", "kk_KZ"):
            env["res.lang"]._activate_lang(lang)
        rng = random.Random(7)
        for target, regular in ((company, True), (sister_company(env), False)):
            if not target:
                continue
            started = time.monotonic()
            spec = COMPANIES.get(target.currency_id.name, COMPANIES["RUB"])
            summary = build_company(env, target, spec, rng, regular_logins=regular)
            print(f"{summary} ({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
