"""1C demo: an exchange user and settings for the main company, and a catalog received from "1C".

The real 1C sample files (``mlm_onec_bridge/tests/data``) and a product with characteristics (sizes of a
T-shirt, which become variants) are imported the way 1C sends them: one exchange session, ``import``
calls until ``success``. Idempotent: a second run finds the catalog and imports nothing.
"""

import argparse
import os
import shutil

from odoo_env import REPO_DIR, odoo_env

LOGIN = "onec.exchange"
NS = "urn:1C.ru:commerceml_2"
SHIRT = "demo-tshirt-logo"
RETAIL = "279b6812-740b-11e8-80c8-0cc47ab29cd1"  # the price type of the real offers0_1.xml (its sales price)
SIZES = (("s", "S", "2 490"), ("m", "M", "2 490"), ("l", "L", "2 690"), ("xl", "XL", "2 690"))

SHIRT_CATALOG = f"""<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.10">
<Каталог СодержитТолькоИзменения="true"><Ид>demo-catalog</Ид><Наименование>Мерч</Наименование><Товары>
<Товар><Ид>{SHIRT}</Ид><Артикул>MERCH-TS</Артикул><Наименование>Футболка с логотипом</Наименование>
<БазоваяЕдиница Код="796">шт</БазоваяЕдиница><Описание>Хлопок 100%</Описание></Товар>
</Товары></Каталог></КоммерческаяИнформация>"""

SHIRT_OFFERS = f"""<?xml version="1.0" encoding="UTF-8"?>
<КоммерческаяИнформация xmlns="{NS}" ВерсияСхемы="2.10">
<ПакетПредложений СодержитТолькоИзменения="true"><Ид>demo-offers</Ид><Наименование>Мерч</Наименование>
<ТипыЦен><ТипЦены><Ид>{RETAIL}</Ид><Наименование>BASE</Наименование><Валюта>RUB</Валюта></ТипЦены></ТипыЦен>
<Склады><Склад><Ид>demo-wh</Ид><Наименование>Основной склад (1С)</Наименование></Склад></Склады>
<Предложения>{
    "".join(
        f"<Предложение><Ид>{SHIRT}#{code}</Ид><Артикул>MERCH-TS-{size}</Артикул><ХарактеристикиТовара>"
        f"<ХарактеристикаТовара><Наименование>Размер</Наименование><Значение>{size}</Значение>"
        f"</ХарактеристикаТовара></ХарактеристикиТовара><Цены><Цена><ИдТипаЦены>{RETAIL}</ИдТипаЦены>"
        f"<ЦенаЗаЕдиницу>{price}</ЦенаЗаЕдиницу></Цена></Цены>"
        f'<Склад ИдСклада="demo-wh" КоличествоНаСкладе="{12 + n * 5}"/></Предложение>'
        for n, (code, size, price) in enumerate(SIZES)
    )
}</Предложения></ПакетПредложений></КоммерческаяИнформация>"""


def ensure_backend(env):
    company = env.ref("base.main_company")
    groups = [env.ref("base.group_portal"), env.ref("mlm_onec_bridge.group_onec_exchange")]
    user = env["res.users"].with_context(active_test=False).search([("login", "=", LOGIN)])
    if not user:
        user = (
            env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": "1C Exchange",
                    "login": LOGIN,
                    "password": LOGIN,
                    "company_id": company.id,
                    "company_ids": [(6, 0, company.ids)],
                    "groups_id": [(6, 0, [g.id for g in groups])],
                }
            )
        )
    ensure_vat_taxes(env, company, (20, 18))
    backend = env["mlm.onec.backend"].search([("company_id", "=", company.id)], limit=1)
    if not backend:
        backend = env["mlm.onec.backend"].create(
            {"name": "1C:Управление торговлей (demo)", "company_id": company.id, "exchange_user_id": user.id}
        )
    return backend


def ensure_vat_taxes(env, company, rates):
    """The sale taxes of the VAT rates the real 1C files carry (an import stops on a rate with no tax in Odoo)."""
    Tax = env["account.tax"]
    for rate in rates:
        domain = [("company_id", "=", company.id), ("type_tax_use", "=", "sale"), ("amount_type", "=", "percent")]
        if not Tax.search([*domain, ("amount", "=", rate)], limit=1):
            Tax.create({"name": f"НДС {rate}%", "amount": rate, "type_tax_use": "sale", "company_id": company.id})


def import_files(env, backend, files):
    """Play 1C's catalog exchange on the server side: one session, ``import`` until ``success`` per file."""
    session = env["mlm.onec.session"].create(
        {"backend_id": backend.id, "exchange_type": "catalog", "user_id": backend.exchange_user_id.id}
    )
    directory = session._get_directory()
    for name, content in files:
        path = os.path.join(directory, name)
        if isinstance(content, str) and os.path.isfile(content):
            shutil.copy(content, path)
        else:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(content)
        for _call in range(100):
            answer = session.with_company(backend.company_id)._action_import(name)
            if not answer.startswith("progress"):
                break
        if not answer.startswith("success"):
            raise SystemExit(f"1C demo import of {name} failed: {answer}")
    session.state = "done"
    return session


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    with odoo_env(args.config, args.db) as env:
        backend = ensure_backend(env)
        Template = env["product.template"].with_context(active_test=False)
        if not Template.search_count([("onec_guid", "!=", False), ("company_id", "=", backend.company_id.id)]):
            data = os.path.join(REPO_DIR, "mlm_onec_bridge", "tests", "data")
            import_files(
                env,
                backend,
                [
                    ("import.xml", os.path.join(data, "import0_1.xml")),
                    ("offers.xml", os.path.join(data, "offers0_1.xml")),
                ],
            )
            import_files(env, backend, [("import.xml", SHIRT_CATALOG), ("offers.xml", SHIRT_OFFERS)])
        count = Template.search_count([("onec_guid", "!=", False), ("company_id", "=", backend.company_id.id)])
    print(f"  {LOGIN} / {LOGIN}   1C exchange user (1C's exchange node: http://<host>:<port>/1c_exchange)")
    print(f"  {count} products came from 1C (Network > 1C > Exchange Log shows the sessions)")


if __name__ == "__main__":
    main()
