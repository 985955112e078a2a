"""The engine spec of a plan, kept in the registry's cache of every worker (``mlm.plan._get_engine_spec_cached``).

Building a :class:`PlanSpec` reads the plan, its ranks, levels and matching generations through the ORM: about ten
queries and 10-20 ms, which the real-time projection used to pay on every request. The cached spec is dropped from
every worker's cache (Odoo's registry signalling, as for access rules) whenever a record it is built from is
created, written or deleted: the plan itself, its rank, level, matching and matrix-level rules, and the ranks.
"""

from odoo import api, models, tools


class MlmPlanSpecCacheMixin(models.AbstractModel):
    _name = "mlm.plan.spec.cache.mixin"
    _description = "Drops the cached engine specs when a plan rule changes"

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result


class MlmPlan(models.Model):
    _name = "mlm.plan"
    _inherit = ["mlm.plan", "mlm.plan.spec.cache.mixin"]

    @tools.ormcache("self.id")
    def _get_engine_spec_cached(self):
        """``_get_engine_spec()`` of this plan, computed once per worker until a rule changes (the spec is an
        immutable value)."""
        return self.sudo()._get_engine_spec()


class MlmPlanRank(models.Model):
    _name = "mlm.plan.rank"
    _inherit = ["mlm.plan.rank", "mlm.plan.spec.cache.mixin"]


class MlmPlanLevel(models.Model):
    _name = "mlm.plan.level"
    _inherit = ["mlm.plan.level", "mlm.plan.spec.cache.mixin"]


class MlmPlanMatching(models.Model):
    _name = "mlm.plan.matching"
    _inherit = ["mlm.plan.matching", "mlm.plan.spec.cache.mixin"]


class MlmPlanMatrixLevel(models.Model):
    _name = "mlm.plan.matrix.level"
    _inherit = ["mlm.plan.matrix.level", "mlm.plan.spec.cache.mixin"]


class MlmRank(models.Model):
    _name = "mlm.rank"
    _inherit = ["mlm.rank", "mlm.plan.spec.cache.mixin"]
