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

``--step logo`` (also part of ``--step companies``) gives both companies their brand: a logo drawn here with Pillow
(a leaf in a teal circle and «Вита Нова» in DejaVu Sans Bold, a transparent 400 x 120 PNG, so that no image file is
kept in the repository), the same logo on the company's websites (the portal's header shows the website's logo), and
the logo's colours as the document layout's primary and secondary colours (the portal and the app use them too).
Safe to run again.
"""

# a command-line script: printing is its output
# pylint: disable=print-used

import argparse
import base64
import io
import math

from odoo_env import odoo_env
from PIL import Image, ImageDraw, ImageFont

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
# the brand: the circle and the leaf's colours, the name's colour
PRIMARY = "#0F7B6C"
SECONDARY = "#7CB342"
INK = "#0B4A42"
BRAND_NAME = "Вита Нова"
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def logo_png(width=400, height=120, scale=4):
    """The demo's logo as PNG bytes: drawn ``scale`` times larger, then reduced (smooth edges without Cairo)."""
    w, h = width * scale, height * scale
    image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    # the mark: a teal disc with a light green leaf across it, its vein in teal
    radius = h * 0.44
    cx, cy = h / 2, h / 2
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=PRIMARY)
    length, half_width, angle = radius * 0.72, radius * 0.36, math.radians(-40)

    def point(x, y):
        return (cx + x * math.cos(angle) - y * math.sin(angle), cy + x * math.sin(angle) + y * math.cos(angle))

    steps = 48
    edge = [
        (-length + 2 * length * i / steps, half_width * math.sin(math.pi * i / steps) ** 0.8) for i in range(steps + 1)
    ]
    leaf = [point(x, y) for x, y in edge] + [point(x, -y) for x, y in reversed(edge)]
    draw.polygon(leaf, fill=SECONDARY)
    draw.line([point(-length * 1.15, 0), point(length * 0.85, 0)], fill=PRIMARY, width=int(radius * 0.07))
    # the name, as large as fits beside the mark
    left, room = h * 1.08, w - h * 1.08 - scale * 4
    try:
        size = int(h * 0.42)
        font = ImageFont.truetype(FONT, size)
        while font.getlength(BRAND_NAME) > room and size > 10:
            size -= scale
            font = ImageFont.truetype(FONT, size)
        top = (h - (font.getbbox(BRAND_NAME)[3] + font.getbbox(BRAND_NAME)[1])) / 2
    except OSError:  # no DejaVu: Pillow's own small font, the mark still carries the brand
        font, top = ImageFont.load_default(), h / 2
    draw.text((left, top), BRAND_NAME, font=font, fill=INK)
    image = image.resize((width, height), Image.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def branding(env, companies):
    """The logo and its colours on ``companies`` and on their websites (again on each run)."""
    logo = base64.b64encode(logo_png())
    companies.write({"logo": logo, "primary_color": PRIMARY, "secondary_color": SECONDARY})
    if "website" in env:
        websites = env["website"].search([("company_id", "in", companies.ids)])
        websites.write({"logo": logo})
    else:
        websites = []
    print(f"  logo and colours: {', '.join(companies.mapped('name'))}; {len(websites)} website(s)")


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
    parser.add_argument("--step", choices=("currency", "companies", "logo"), required=True)
    args = parser.parse_args()
    with odoo_env(args.config, args.db) as env:
        if args.step == "logo":
            sister = env["res.company"].search([("name", "=", SISTER["name"])], limit=1)
            branding(env, env.ref("base.main_company") | sister)
            return
        main = main_company(env)
        if args.step == "companies":
            branding(env, main | sister_company(env))


if __name__ == "__main__":
    main()
