from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..engine import CommissionEngine, PlanSpec, RankRule

# Fields that decide amounts: frozen once a closed period used the plan version.
PLAN_RULE_FIELDS = {
    "plan_type",
    "min_pv",
    "compression",
    "level_ids",
    "rank_ids",
    "fast_start_rate",
    "fast_start_days",
    "matching_ids",
    "pool_rate",
    "pool_rank_id",
    "threshold",
    "compliance_enabled",
    "compliance_share",
}


def _cents(amount):
    """Integer cents of a currency amount (half-up, as the engine rounds)."""
    return int((abs(amount) * 100 + 0.5) // 1) * (1 if amount >= 0 else -1)


class MlmPlan(models.Model):
    _name = "mlm.plan"
    _description = "Compensation Plan"
    _order = "name, version desc"

    name = fields.Char(required=True, translate=True)
    version = fields.Integer(default=1, required=True, readonly=True, copy=False)
    previous_version_id = fields.Many2one("mlm.plan", readonly=True, copy=False)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    plan_type = fields.Selection(
        selection="_selection_plan_type",
        default="unilevel",
        required=True,
        help="Each plan type is computed by one engine class; other add-ons add types (binary, matrix).",
    )
    min_pv = fields.Float(
        string="Minimum Personal PV",
        default=100.0,
        help="Activity rule: a distributor is active when their status is active and their PV reaches this.",
    )
    compression = fields.Boolean(default=True, help="Inactive sponsors are skipped and do not use up a unilevel level.")
    level_ids = fields.One2many("mlm.plan.level", "plan_id", string="Unilevel Rates", copy=True)
    rank_ids = fields.One2many("mlm.plan.rank", "plan_id", string="Rank Rules", copy=True)
    fast_start_rate = fields.Float(string="Fast-start Bonus (%)")
    fast_start_days = fields.Integer(string="Fast-start Days", default=30)
    matching_ids = fields.One2many("mlm.plan.matching", "plan_id", string="Matching Bonus", copy=True)
    pool_rate = fields.Float(string="Leadership Pool (% of company BV)")
    pool_rank_id = fields.Many2one("mlm.rank", string="Pool From Rank")
    threshold = fields.Monetary(string="Payout Threshold", help="Smaller period totals are carried forward.")
    compliance_enabled = fields.Boolean(string="Customer Volume Gate")
    compliance_share = fields.Float(
        string="Minimum Customer Share (%)",
        default=30.0,
        help="A distributor is paid only when this share of their own and downline BV came from customers.",
    )
    period_ids = fields.One2many("mlm.commission.period", "plan_id", string="Periods")
    locked = fields.Boolean(compute="_compute_locked", help="A closed period ran with this version.")
    sandbox_of_id = fields.Many2one(
        "mlm.plan", string="Sandbox Copy Of", readonly=True, copy=False, help="A draft copy for the plan sandbox."
    )

    _sql_constraints = [
        ("name_version_uniq", "unique(company_id, name, version)", "A plan version exists already."),
    ]

    @api.model
    def _selection_plan_type(self):
        return [("unilevel", self.env._("Unilevel"))]

    @api.depends("period_ids.state")
    def _compute_locked(self):
        for plan in self:
            plan.locked = any(p.state in ("closed", "paid") for p in plan.period_ids)

    @api.depends("name", "version")
    def _compute_display_name(self):
        for plan in self:
            plan.display_name = self.env._("%(name)s (v%(version)s)", name=plan.name or "", version=plan.version)

    @api.constrains("compliance_share", "fast_start_rate", "pool_rate", "min_pv", "threshold")
    def _check_values(self):
        for plan in self:
            if (
                not 0 <= plan.compliance_share <= 100
                or not 0 <= plan.fast_start_rate <= 100
                or not 0 <= plan.pool_rate <= 100
            ):
                raise ValidationError(self.env._("Percentages must be between 0 and 100."))
            if plan.min_pv < 0 or plan.threshold < 0:
                raise ValidationError(self.env._("The minimum PV and the threshold cannot be negative."))

    def _get_rule_fields(self):
        """Fields that decide amounts (frozen once a closed period used the plan); add-ons add theirs."""
        return PLAN_RULE_FIELDS

    def write(self, vals):
        if self._get_rule_fields().intersection(vals):
            self._check_not_locked()
        return super().write(vals)

    def _check_not_locked(self):
        locked = self.filtered("locked")
        if locked:
            raise UserError(
                self.env._(
                    "Plan %(plan)s paid a closed period: its rules cannot change. Create a new version instead.",
                    plan=locked[0].display_name,
                )
            )

    def action_new_version(self):
        """Copy this plan as the next version, archive this one and make the copy the company's plan."""
        self.ensure_one()
        latest = self.with_context(active_test=False).search(
            [("company_id", "=", self.company_id.id), ("name", "=", self.name)], order="version desc", limit=1
        )
        new = self.copy({"version": latest.version + 1, "previous_version_id": self.id, "name": self.name})
        if self.company_id.mlm_plan_id == self:
            self.company_id.mlm_plan_id = new
        self.active = False
        return {"type": "ir.actions.act_window", "res_model": "mlm.plan", "res_id": new.id, "view_mode": "form"}

    def action_create_sandbox(self):
        """A draft copy of this version (archived: never a company's plan) and a sandbox replaying it."""
        self.ensure_one()
        self.check_access("write")
        sandbox_model = self.env["mlm.plan.sandbox"]
        count = sandbox_model.search_count([("base_plan_id", "=", self.id)]) + 1
        name = self.env._("%(plan)s (sandbox %(count)s)", plan=self.display_name, count=count)
        draft = self.copy({"name": name, "sandbox_of_id": self.id, "active": False})
        sandbox = sandbox_model.create({"name": name, "base_plan_id": self.id, "draft_plan_id": draft.id})
        return {
            "type": "ir.actions.act_window",
            "res_model": "mlm.plan.sandbox",
            "res_id": sandbox.id,
            "view_mode": "form",
        }

    # ------------------------------------------------------------------ engine
    @api.model
    def _create_sample_plan(self, company, name):
        """A seven-level compressed unilevel on the network's six ranks (demo data and benchmarks)."""
        ranks = self.env["mlm.rank"].search([("company_id", "in", [False, company.id])], order="sequence")[:6]
        rules = [
            Command.create(
                {
                    "rank_id": rank.id,
                    "min_pv": 100 if i else 0,
                    "min_gv": [0, 500, 2000, 8000, 30000, 100000][i],
                    "max_leg_share": [1, 1, 0.6, 0.5, 0.4, 0.4][i],
                    "min_legs": [0, 0, 1, 2, 3, 3][i],
                    "leg_rank_id": ranks[i - 2].id if i >= 2 else False,
                    "paid_levels": [1, 2, 3, 5, 6, 7][i],
                    "matching_generations": [0, 0, 1, 2, 3, 3][i],
                    "advancement_bonus": [0, 20, 50, 200, 1000, 5000][i],
                }
            )
            for i, rank in enumerate(ranks)
        ]
        return self.create(
            {
                "name": name,
                "company_id": company.id,
                "min_pv": 100,
                "compression": True,
                "level_ids": [Command.create({"level": k + 1, "rate": r}) for k, r in enumerate([8, 6, 5, 4, 3, 2, 2])],
                "matching_ids": [Command.create({"generation": g + 1, "rate": r}) for g, r in enumerate([10, 5, 5])],
                "rank_ids": rules,
                "fast_start_rate": 10,
                "fast_start_days": 30,
                "pool_rate": 1,
                "pool_rank_id": ranks[4].id if len(ranks) > 4 else False,
                "threshold": 10,
            }
        )

    def _get_ranks(self):
        """The plan's rank rules, lowest rank first (the engine's rank indexes)."""
        self.ensure_one()
        return self.rank_ids.sorted(lambda r: (r.rank_id.sequence, r.rank_id.id))

    def _get_engine_class(self):
        """The engine class computing this plan's type; override to add a plan type."""
        self.ensure_one()
        return CommissionEngine

    def _get_bonus_type_selection(self):
        return [
            ("1", self.env._("Unilevel")),
            ("2", self.env._("Fast start")),
            ("3", self.env._("Rank advancement")),
            ("4", self.env._("Matching")),
            ("5", self.env._("Leadership pool")),
        ]

    def _get_engine_spec(self):
        """The :class:`PlanSpec` the engine computes with."""
        self.ensure_one()
        ranks = self._get_ranks()
        if not ranks:
            raise UserError(self.env._("Plan %(plan)s has no ranks.", plan=self.display_name))
        index = {rule.rank_id.id: i for i, rule in enumerate(ranks)}
        rules = tuple(
            RankRule(
                min_pv=rule.min_pv,
                min_gv=rule.min_gv,
                max_leg_share=rule.max_leg_share or 1.0,
                min_legs=rule.min_legs,
                leg_rank=index.get(rule.leg_rank_id.id, -1),
                paid_levels=rule.paid_levels,
                matching_generations=rule.matching_generations,
                advancement_bonus_cents=_cents(rule.advancement_bonus),
            )
            for rule in ranks
        )
        pool_rank = None
        if self.pool_rate and self.pool_rank_id:
            eligible = [i for i, rule in enumerate(ranks) if rule.rank_id.sequence >= self.pool_rank_id.sequence]
            pool_rank = eligible[0] if eligible else None
        return PlanSpec(
            min_pv=self.min_pv,
            compression=self.compression,
            level_rates=tuple(lvl.rate / 100.0 for lvl in self.level_ids.sorted("level")),
            ranks=rules,
            fast_start_rate=self.fast_start_rate / 100.0,
            fast_start_days=self.fast_start_days,
            matching_rates=tuple(m.rate / 100.0 for m in self.matching_ids.sorted("generation")),
            pool_rate=self.pool_rate / 100.0 if pool_rank is not None else 0.0,
            pool_min_rank=pool_rank,
            threshold_cents=_cents(self.threshold),
            compliance_share=self.compliance_share / 100.0 if self.compliance_enabled else None,
        )
