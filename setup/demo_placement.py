"""Demo of the placement tree: a second company with a binary placement tree, a holding tank in use (recruits
waiting to be placed by their sponsor) and a portal login for its top distributor.

``build_placement_demo(env)`` is the function other demo steps call (the binary plan of this company is set up by
the commission demo); run as a script it builds the demo on a database.
"""

import argparse
import random
from datetime import timedelta

from odoo_env import odoo_env

from odoo import fields

COMPANY_NAME = "Binary Demo Co"
FIRST_NAMES = ["Aida", "Bolat", "Dana", "Erlan", "Gulnara", "Ilyas", "Kamila", "Marat", "Nurlan", "Saule", "Timur"]
LAST_NAMES = ["Abenova", "Bekov", "Dauletova", "Ermekov", "Iskakova", "Kassymov", "Nurlanova", "Omarov", "Sadykova"]
PREFERENCES = ["spillover", "spillover", "spillover", "weaker", "left", "right", "alternate", "outer"]


def _people(rng, count):
    return [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _i in range(count)]


def build_placement_demo(env, size=40, waiting=4, seed=16):
    """Create (once) the binary demo company and its placement tree; return ``{"company", "top", "waiting"}``.

    ``size`` distributors are enrolled in batches (placed at enrolment, set-based, with their sponsors'
    preferences); then the company turns its holding tank on and ``waiting`` more recruits wait to be placed,
    one of them past its deadline (the hourly holding-tank cron places it).
    """
    company = env["res.company"].search([("name", "=", COMPANY_NAME)], limit=1)
    Distributor = env["mlm.distributor"]
    if company and Distributor.search_count([("company_id", "=", company.id)]):
        top = Distributor.search([("company_id", "=", company.id), ("sponsor_id", "=", False)], order="id", limit=1)
        holding = Distributor.search([("company_id", "=", company.id), ("placement_state", "=", "holding")])
        return {"company": company, "top": top, "waiting": holding}
    if not company:
        company = env["res.company"].create({"name": COMPANY_NAME, "currency_id": env.company.currency_id.id})
    env.user.company_ids |= company
    company.write(
        {
            "mlm_placement_type": "binary",
            "mlm_holding_days": 0,
            "mlm_placement_preference": "spillover",
            "mlm_duplicate_policy": "flag",
        }
    )
    env = env(context=dict(env.context, allowed_company_ids=[company.id]))
    Distributor = env["mlm.distributor"].with_company(company)
    rng = random.Random(seed)

    def enrol(names, sponsors):
        partners = env["res.partner"].create(
            [
                {"name": name, "email": f"binary.{i}.{rng.randrange(10**6)}@example.com", "company_id": company.id}
                for i, name in enumerate(names)
            ]
        )
        return Distributor.create(
            [
                {"partner_id": p.id, "sponsor_id": s.id if s else False, "status": "active", "company_id": company.id}
                for p, s in zip(partners, sponsors, strict=True)
            ]
        )

    top = enrol(["Binary Leader"], [None])
    top.placement_preference = "spillover"
    members = top
    while len(members) < size:
        batch = min(8, size - len(members))
        sponsors = [rng.choice(members[: max(3, len(members) // 2)]) for _i in range(batch)]
        new = enrol(_people(rng, batch), sponsors)
        for dist in new:
            dist.placement_preference = rng.choice(PREFERENCES)
        members |= new
    company.mlm_holding_days = 7
    sponsors = [top] * (waiting - 1) + [members[1]]
    holding = enrol(_people(rng, waiting), sponsors[:waiting])
    if holding:
        env.cr.execute(
            "UPDATE mlm_distributor SET placement_deadline = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(hours=1), holding[-1].id],
        )
        holding.invalidate_recordset(["placement_deadline"])
    if "mlm.volume.line" in env:
        today = fields.Date.context_today(top)
        for dist in members:
            env["mlm.volume.line"]._create_adjustment(dist, rng.choice([0, 40, 60, 100, 150]), 0.0, today, "demo")
    return {"company": company, "top": top, "waiting": holding}


def ensure_portal_login(env, distributor, login):
    user = env["res.users"].with_context(active_test=False).search([("login", "=", login)])
    vals = {
        "name": distributor.name,
        "login": login,
        "password": login,
        "partner_id": distributor.partner_id.id,
        "company_id": distributor.company_id.id,
        "company_ids": [(6, 0, distributor.company_id.ids)],
        "groups_id": [(6, 0, env.ref("base.group_portal").ids)],
    }
    if user:
        user.write(vals)
    else:
        env["res.users"].with_context(no_reset_password=True).create(vals)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--size", type=int, default=40)
    args = parser.parse_args()
    with odoo_env(args.config, args.db) as env:
        demo = build_placement_demo(env, size=args.size)
        ensure_portal_login(env, demo["top"], "binary.leader")
        print(
            f"  binary.leader / binary.leader   portal distributor {demo['top'].display_name} of {COMPANY_NAME}:"
            f" /my/placement, {len(demo['waiting'])} recruits in the holding tank (/my/placement/holding)"
        )


if __name__ == "__main__":
    main()
