"""Demo binary plan: every company whose placement tree is binary (set by the placement demo) gets a hybrid
binary plan (binary 10 % on the weaker leg in PV, 1:1, carry capped at 5000, flush when inactive, rank caps; the seven
unilevel levels of the sample plan; matching on unilevel and binary earnings) as its compensation plan, and its
current period is previewed. Run after the placement demo; does nothing where no company has a binary tree."""

# a command-line script: printing is its output
# pylint: disable=print-used

import argparse
import random

from odoo_env import odoo_env


def add_volume(env, company, period, seed=16):
    """Some volume this period for the company's distributors (once), so that the legs, pairing and carry show."""
    Volume = env["mlm.volume.line"]
    if Volume.search_count([("company_id", "=", company.id), ("date", ">=", period.date_from)]):
        return
    rng = random.Random(seed)
    for dist in env["mlm.distributor"].search([("company_id", "=", company.id)]):
        pv = rng.choice([0, 50, 100, 100, 150, 200])
        if pv:
            Volume._create_adjustment(dist, pv, pv * 0.8, period.date_from, "Demo volume")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    with odoo_env(args.config, args.db) as env:
        if "mlm.plan" not in env or "mlm_placement_type" not in env["res.company"]._fields:
            return
        Plan = env["mlm.plan"]
        for company in env["res.company"].search([("mlm_placement_type", "=", "binary")]):
            plan = company.mlm_plan_id
            if plan.plan_type != "binary":
                plan = Plan.search([("company_id", "=", company.id), ("plan_type", "=", "binary")], limit=1)
                plan = plan or Plan._create_sample_binary_plan(company, "Binary Hybrid Plan")
                company.mlm_plan_id = plan
            period = env["mlm.commission.period"]._get_or_create_period(company, env.cr.now().date())
            add_volume(env, company, period)
            if period and period.state in ("open", "computed"):
                period.action_compute_now()
            print(f"{company.name}: plan {plan.display_name}, period {period.name} previewed")


if __name__ == "__main__":
    main()
