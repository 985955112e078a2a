"""Create the demo logins: a sales manager and two portal distributors at different places of the tree."""

import argparse

from odoo_env import odoo_env


def ensure_user(env, login, password, name, groups, partner=None):
    user = env["res.users"].with_context(active_test=False).search([("login", "=", login)])
    vals = {"name": name, "login": login, "password": password, "groups_id": [(6, 0, [g.id for g in groups])]}
    if partner:
        vals["partner_id"] = partner.id
    if user:
        user.write(vals)
    else:
        user = env["res.users"].with_context(no_reset_password=True).create(vals)
    return user


def pick_demo_distributors(env, company):
    """(leader, member) of the demo logins: the head of the root's biggest first-level leg, and an active
    distributor at least three levels below, with recruits of their own, living in the company's country when
    the network has one."""
    Distributor = env["mlm.distributor"]
    root = Distributor.search([("sponsor_id", "=", False), ("company_id", "=", company.id)], order="id", limit=1)
    legs = root._get_leg_sizes() if root else []
    leader = Distributor.browse(legs[0][0]) if legs else root
    if not leader:
        return leader, leader
    domain = leader._get_downline_domain() + [("status", "=", "active"), ("depth", ">=", leader.depth + 3)]
    for extra in (
        [("recruit_ids", "!=", False), ("partner_id.country_id", "=", company.country_id.id)],
        [("recruit_ids", "!=", False)],
        [],
    ):
        member = Distributor.search(domain + extra, order="depth desc, id", limit=1)
        if member:
            return leader, member
    return leader, leader


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    with odoo_env(args.config, args.db) as env:
        leader, member = pick_demo_distributors(env, env.company)
        # invoicing too: the sales manager takes a sale all the way to volume (confirm, invoice, post: the
        # companies count volume on the posted invoice), in the Russian company and its Kazakh sister
        manager = ensure_user(
            env,
            "sales.manager",
            "sales.manager",
            "Sales Manager",
            [
                env.ref("sales_team.group_sale_manager"),
                env.ref("account.group_account_invoice"),
                env.ref("mlm_network.group_mlm_manager"),
            ],
        )
        companies = env.company | env["res.company"].search([("mlm_plan_id", "!=", False)])
        manager.write({"company_ids": [(6, 0, companies.ids)], "company_id": env.company.id})
        ensure_user(env, "leader", "leader", leader.name, [env.ref("base.group_portal")], leader.partner_id)
        ensure_user(env, "member", "member", member.name, [env.ref("base.group_portal")], member.partner_id)
        # the demo company is Russian: its two distributors read the portal in Russian
        if "ru_RU" in dict(env["res.lang"].get_installed()):
            (leader | member).partner_id.lang = "ru_RU"
        print(
            f"  leader / leader          portal distributor {leader.display_name}, {leader.downline_count} in downline"
        )
        print(f"  member / member          portal distributor {member.display_name}, depth {member.depth}")


if __name__ == "__main__":
    main()
