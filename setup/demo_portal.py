"""Demo content of the distributor portal: a published shop, the portal languages, team news and a personal goal."""

import argparse
from datetime import timedelta

from odoo_env import odoo_env

from odoo import fields
from odoo.tools.misc import format_date


def team_news(env, leader):
    """The leader's team news of the last weeks (in Russian, the team's language), dated from today."""
    now = fields.Datetime.now()
    today = now.date()
    webinar = today + timedelta(days=(1 - today.weekday()) % 7 or 7)  # next Tuesday
    last_month = format_date(env, today.replace(day=1) - timedelta(days=1), lang_code="ru_RU", date_format="LLLL")
    items = [
        (
            now - timedelta(days=40),
            "Добро пожаловать в команду!",
            (
                "<p>Новичкам: начните со страницы «Моя сеть» и своей ссылки-приглашения в разделе «Приглашение». "
                "Вопросы — в наш чат или мне лично.</p>"
            ),
        ),
        (
            now - timedelta(days=max(today.day - 3, 0)),  # early this month, after the close
            f"Итоги месяца: {last_month}",
            (
                "<p>Спасибо всем! Выписки за прошлый месяц уже в разделе «Комиссии». Поздравляем всех, кто поднялся "
                "в ранге.</p>"
            ),
        ),
        (
            now - timedelta(days=2),
            f"Вебинар {webinar:%d.%m} в 19:00 (МСК): новая линейка",
            "<p>Покажу новые продукты и бонус месяца. Приводите гостей — ссылка придёт накануне.</p>",
        ),
    ]
    News = env["mlm.portal.announcement"]
    return [
        (day, News.create({"name": title, "body": body, "author_id": leader.id, "email": False}))
        for day, title, body in items
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    with odoo_env(args.config, args.db) as env:
        if "mlm.portal.announcement" not in env:
            return
        products = env["product.template"].search([("mlm_pv", ">", 0)])
        products.write({"is_published": True})
        langs = env["res.lang"]
        for code in ("ru_RU", "es_ES", "kk_KZ"):
            langs |= env["res.lang"]._activate_lang(code)
        # Odoo's own terms too (portal, shop), so that every page of the demo switches language as a whole
        env["ir.module.module"].search([("state", "=", "installed")])._update_translations(langs.mapped("code"))
        website = env["website"].get_current_website()
        website.language_ids |= langs | env.ref("base.lang_en")
        transfer = env.ref("payment.payment_provider_transfer", raise_if_not_found=False)
        if transfer:
            transfer.write({"state": "enabled", "is_published": True})
            transfer._transfer_ensure_pending_msg_is_set()
        leader = env["res.users"].search([("login", "=", "leader")]).partner_id.mlm_distributor_id
        member = env["res.users"].search([("login", "=", "member")]).partner_id.mlm_distributor_id
        company = env.company
        if not company.mlm_distributor_pricelist_id:
            company.mlm_distributor_pricelist_id = env["product.pricelist"].create(
                {
                    "name": "Distributor prices (-20 %)",
                    "currency_id": company.currency_id.id,
                    "item_ids": [
                        (0, 0, {"compute_price": "percentage", "percent_price": 20, "applied_on": "3_global"})
                    ],
                }
            )
        (leader | member).partner_id.write({"property_product_pricelist": company.mlm_distributor_pricelist_id.id})
        if leader and not leader.announcement_ids:
            for day, news in team_news(env, leader):
                news.action_publish()
                news._send_job()
                news.publish_date = day
        if member and not member.goal_ids:
            today = fields.Date.context_today(member)
            env["mlm.portal.goal"].create(
                [
                    {
                        "distributor_id": member.id,
                        "goal_type": "pv",
                        "target_value": 300,
                        "date_start": today.replace(day=1),
                        "date_deadline": today + timedelta(days=30),
                    },
                    {
                        "distributor_id": member.id,
                        "goal_type": "recruits",
                        "target_value": 3,
                        "date_start": today.replace(day=1),
                        "date_deadline": today + timedelta(days=60),
                    },
                ]
            )
        if leader:
            print(f"  portal: /my (log in as leader), invite link /join/{leader.code}, shop link /ref/{leader.code}")


if __name__ == "__main__":
    main()
