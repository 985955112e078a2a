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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    with odoo_env(args.config, args.db) as env:
        Distributor = env["mlm.distributor"]
        root = Distributor.search([("sponsor_id", "=", False)], order="id", limit=1)
        legs = root._get_leg_sizes()
        leader = Distributor.browse(legs[0][0]) if legs else root
        member = (
            Distributor.search(
                leader._get_downline_domain() + [("status", "=", "active"), ("depth", ">=", leader.depth + 3)],
                order="depth desc, id",
                limit=1,
            )
            or leader
        )
        ensure_user(
            env,
            "sales.manager",
            "sales.manager",
            "Sales Manager",
            [env.ref("sales_team.group_sale_manager"), env.ref("mlm_network.group_mlm_manager")],
        )
        ensure_user(env, "leader", "leader", leader.name, [env.ref("base.group_portal")], leader.partner_id)
        ensure_user(env, "member", "member", member.name, [env.ref("base.group_portal")], member.partner_id)
        print(
            f"  leader / leader          portal distributor {leader.display_name}, {leader.downline_count} in downline"
        )
        print(f"  member / member          portal distributor {member.display_name}, depth {member.depth}")


if __name__ == "__main__":
    main()
