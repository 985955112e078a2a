import dataclasses

from odoo import fields, models


class MlmPlan(models.Model):
    _inherit = "mlm.plan"

    autoship_min_pv = fields.Float(
        string="Active With an Autoship Of (PV)",
        help="A distributor with an active autoship of at least this PV per cycle is active (unilevel, compression) "
        "whatever their PV this period, e.g. active = PV >= 100 or an active autoship of >= 100 PV. 0: off.",
    )

    def _get_rule_fields(self):
        return super()._get_rule_fields() | {"autoship_min_pv"}

    def _get_engine_spec(self):
        spec = super()._get_engine_spec()
        flags = [rule.autoship_counts for rule in self._get_ranks()]
        ranks = tuple(
            dataclasses.replace(rule, standing_counts=flag) for rule, flag in zip(spec.ranks, flags, strict=True)
        )
        return dataclasses.replace(spec, standing_min_pv=self.autoship_min_pv, ranks=ranks)


class MlmPlanRank(models.Model):
    _inherit = "mlm.plan.rank"

    autoship_counts = fields.Boolean(
        string="Autoship Meets Min. PV",
        help="An active autoship of the plan's autoship PV meets this rank's personal PV requirement.",
    )
