"""The demo's companies: a Russian company in roubles and its Kazakh sister company in tenge.

``--step currency`` runs on a database where only ``base`` is installed: Odoo's main company becomes
«ООО «Вита Нова»», Moscow, RUB, so that what the add-ons' install creates for it (the default pricelist, Odoo's
own demo orders) is in roubles. Installing ``account`` loads the generic chart of accounts (Odoo 18 Community has
no Russian chart), which sets the United States and dollars as the company's fiscal country and currency, and
Odoo's demo data renames the company.

``--step companies`` runs after the add-ons are installed, before any journal item of the main company exists
(Odoo refuses to change a company's currency after that): the main company again (name, Moscow address, RUB,
Russia as its fiscal country), then the Kazakh company that Odoo's ``l10n_kz`` demo creates (Kazakh chart of
accounts, VAT 12 %, KZT) becomes «ТОО «Вита Нова Казахстан»», Almaty (created when missing), and the
administrator works in both companies. Their networks, plans and sales are made by ``generate_network.py`` and
``demo_commissions.py``.
"""

# a command-line script: printing is its output
# pylint: disable=print-used

import argparse

from odoo_env import odoo_env

MAIN = {
    "name": "ООО «Вита Нова»",
    "street": "ул. Тверская, д. 12, стр. 1",
    "street2": "офис 305",
    "city": "Москва",
    "zip": "125009",
    "phone": "+7 495 123-45-67",
    "email": "info@vitanova.example.ru",
    "website": "https://vitanova.example.ru",
    "vat": "7707123456",
    "company_registry": "1237700123456",
}
SISTER = {
    "name": "ТОО «Вита Нова Казахстан»",
    "street": "пр. Абая, д. 150/230",
    "street2": "офис 12",
    "city": "Алматы",
    "zip": "050046",
    "phone": "+7 727 355-12-00",
    "email": "info@vitanova.example.kz",
    "website": "https://vitanova.example.kz",
    "vat": "230540012345",
    "company_registry": "230540012345",
}


def main_company(env):
    """Odoo's main company as the Russian demo company, in roubles (refused once it has journal items)."""
    company = env.ref("base.main_company")
    rub = env.ref("base.RUB")
    rub.active = True
    values = {**MAIN, "country_id": env.ref("base.ru").id, "currency_id": rub.id}
    if "account_fiscal_country_id" in company._fields:
        # the generic chart of accounts sets the United States (and dollars) as the fiscal country
        values["account_fiscal_country_id"] = values["country_id"]
    company.write(values)
    env.ref("base.user_admin").tz = "Europe/Moscow"
    print(f"  main company: {company.name}, {company.city}, {company.currency_id.name}")
    return company


def sister_company(env):
    company = env.ref("base.demo_company_kz", raise_if_not_found=False)
    company = company or env["res.company"].search([("name", "=", SISTER["name"])], limit=1)
    kzt = env.ref("base.KZT")
    kzt.active = True
    values = {**SISTER, "country_id": env.ref("base.kz").id, "currency_id": kzt.id}
    if not company:
        company = env["res.company"].create(values)
    else:
        company.write({k: v for k, v in values.items() if k != "currency_id" or not company.chart_template})
    if not company.chart_template:
        Template = env["account.chart.template"]
        Template.try_loading("kz" if "kz" in Template._get_chart_template_mapping() else "generic_coa", company)
    for user in env.ref("base.user_root") | env.ref("base.user_admin"):
        user.company_ids |= company
    print(f"  sister company: {company.name}, {company.city}, {company.currency_id.name}")
    return company


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--step", choices=("currency", "companies"), required=True)
    args = parser.parse_args()
    with odoo_env(args.config, args.db) as env:
        main_company(env)
        if args.step == "companies":
            sister_company(env)


if __name__ == "__main__":
    main()
