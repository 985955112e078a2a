import dataclasses

from odoo import api, fields, models
from odoo.exceptions import ValidationError

# the engine's code of the standing-order bonus (mlm_commission engine.spec.BONUS_STANDING_ORDER)
BONUS_CUSTOMER_AUTOSHIP = "8"


class MlmPlan(models.Model):
    _inherit = "mlm.plan"

    autoship_min_pv = fields.Float(
        string="Active With an Autoship Of (PV)",
        help="A distributor with an active autoship of at least this PV per cycle is active (unilevel, compression) "
        "whatever their PV this period, e.g. active = PV >= 100 or an active autoship of >= 100 PV. 0: off.",
    )
    autoship_customer_rate = fields.Float(
        string="Customer Autoship Bonus (%)",
        digits=(16, 4),
        help="Share of the BV of the customers' autoship orders paid to the distributor the customer belongs to, in "
        "the period the order's volume is dated in (as customer volume); refunds claw it back. 0: off.",
    )

    @api.constrains("autoship_customer_rate")
    def _check_autoship_customer_rate(self):
        if any(not 0 <= plan.autoship_customer_rate <= 100 for plan in self):
            raise ValidationError(self.env._("Percentages must be between 0 and 100."))

    def _get_rule_fields(self):
        return super()._get_rule_fields() | {"autoship_min_pv", "autoship_customer_rate"}

    def _get_bonus_type_selection(self):
        return super()._get_bonus_type_selection() + [(BONUS_CUSTOMER_AUTOSHIP, self.env._("Customer autoships"))]

    def _get_engine_spec(self):
        spec = super()._get_engine_spec()
        flags = [rule.autoship_counts for rule in self._get_ranks()]
        ranks = tuple(
            dataclasses.replace(rule, standing_counts=flag) for rule, flag in zip(spec.ranks, flags, strict=True)
        )
        return dataclasses.replace(
            spec,
            standing_min_pv=self.autoship_min_pv,
            standing_order_rate=self.autoship_customer_rate / 100.0,
            ranks=ranks,
        )


class MlmPlanRank(models.Model):
    _inherit = "mlm.plan.rank"

    autoship_counts = fields.Boolean(
        string="Autoship Meets Min. PV",
        help="An active autoship of the plan's autoship PV meets this rank's personal PV requirement.",
    )
