"""The binary and matrix plan types: installed through the documented extension points of ``mlm.plan``
(``_selection_plan_type``, ``_get_engine_class``, ``_get_engine_spec``, ``_get_bonus_type_selection``)."""

import dataclasses

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

from ..engine import BONUS_BINARY, BONUS_MATRIX, BinaryEngine, BinarySpec, MatrixSpec
from .mlm_plan import _cents

BINARY_RULE_FIELDS = {
    "binary_rate",
    "binary_volume_basis",
    "binary_ratio",
    "binary_cycle_volume",
    "binary_min_sponsored",
    "binary_carry_cap",
    "binary_flush_inactive",
    "matching_base",
    "matrix_level_ids",
}
BINARY_TYPES = ("binary", "matrix")


class MlmPlan(models.Model):
    _inherit = "mlm.plan"

    binary_rate = fields.Float(string="Binary Rate (%)", help="Share of the matched (weaker leg) volume paid.")
    binary_volume_basis = fields.Selection(
        [("bv", "BV"), ("pv", "PV")],
        string="Binary Volume",
        default="bv",
        required=True,
        help="Leg volume counted in BV (money) or in PV (points; one matched point pays like one currency unit).",
    )
    binary_ratio = fields.Selection(
        [("1:1", "1:1"), ("2:1", "2:1 / 1:2")],
        string="Pairing Ratio",
        default="1:1",
        required=True,
        help="2:1 / 1:2: each cycle takes two cycle volumes from the stronger leg of the period and one from the "
        "weaker leg.",
    )
    binary_cycle_volume = fields.Float(
        string="Cycle Volume",
        help="Volume of one pairing unit (e.g. 100); 0 pairs continuously (every cent or hundredth of a point).",
    )
    binary_min_sponsored = fields.Integer(
        string="Sponsored per Leg",
        default=1,
        help="Qualification: the earner is active and personally sponsored at least this many distributors placed "
        "in each leg.",
    )
    binary_carry_cap = fields.Float(
        string="Max. Carry per Leg", help="Unmatched volume carried to the next period, per leg (0 = no limit)."
    )
    binary_flush_inactive = fields.Boolean(
        string="Flush Carry When Inactive", default=True, help="An inactive distributor loses their carried volume."
    )
    matching_base = fields.Selection(
        [("unilevel", "Unilevel earnings"), ("binary", "Binary earnings"), ("both", "Unilevel and binary earnings")],
        string="Matching On",
        default="unilevel",
        required=True,
    )
    matrix_level_ids = fields.One2many("mlm.plan.matrix.level", "plan_id", string="Matrix Rates", copy=True)

    @api.model
    def _selection_plan_type(self):
        return super()._selection_plan_type() + [
            ("binary", self.env._("Binary (hybrid)")),
            ("matrix", self.env._("Matrix (hybrid)")),
        ]

    @api.constrains("binary_rate", "binary_cycle_volume", "binary_min_sponsored", "binary_carry_cap")
    def _check_binary_values(self):
        for plan in self:
            if not 0 <= plan.binary_rate <= 100:
                raise ValidationError(self.env._("Percentages must be between 0 and 100."))
            if min(plan.binary_cycle_volume, plan.binary_min_sponsored, plan.binary_carry_cap) < 0:
                raise ValidationError(self.env._("Binary plan values cannot be negative."))

    def write(self, vals):
        if BINARY_RULE_FIELDS.intersection(vals):
            self._check_not_locked()
        return super().write(vals)

    @api.model
    def _create_sample_binary_plan(self, company, name):
        """The sample plan (seven unilevel levels, six ranks) as a binary hybrid: binary 10 % of the weaker leg
        in PV, 1:1, carry capped at 5000 per leg, flushed when inactive, rank caps, matching on unilevel and binary
        earnings, and a two-level matrix bonus (demo data and benchmarks)."""
        plan = self._create_sample_plan(company, name)
        plan.write(
            {
                "plan_type": "binary",
                "binary_rate": 10.0,
                "binary_volume_basis": "pv",
                "binary_carry_cap": 5000.0,
                "matching_base": "both",
                "matrix_level_ids": [Command.create({"level": k + 1, "rate": r}) for k, r in enumerate([1.0, 0.5])],
            }
        )
        for rule, cap in zip(plan._get_ranks(), [100, 250, 500, 1000, 2500, 5000], strict=False):
            rule.binary_cap = cap
        return plan

    def _get_engine_class(self):
        if self.plan_type in BINARY_TYPES:
            return BinaryEngine
        return super()._get_engine_class()

    def _get_bonus_type_selection(self):
        return super()._get_bonus_type_selection() + [
            (str(BONUS_BINARY), self.env._("Binary")),
            (str(BONUS_MATRIX), self.env._("Matrix")),
        ]

    def _get_engine_spec(self):
        plan_spec = super()._get_engine_spec()
        if self.plan_type not in BINARY_TYPES:
            return plan_spec
        extra = dict(plan_spec.extra)
        if self.plan_type == "binary":
            extra["binary"] = self._get_binary_spec()
        extra["matrix"] = MatrixSpec(tuple(lvl.rate / 100.0 for lvl in self.matrix_level_ids.sorted("level")))
        return dataclasses.replace(plan_spec, extra=extra)

    def _get_binary_spec(self):
        self.ensure_one()
        cycle = _cents(self.binary_cycle_volume)
        return BinarySpec(
            rate=self.binary_rate / 100.0,
            volume_basis=self.binary_volume_basis,
            ratio=(2, 1) if self.binary_ratio == "2:1" else (1, 1),
            cycle_units=max(cycle, 1),
            min_sponsored=self.binary_min_sponsored,
            carry_cap=_cents(self.binary_carry_cap),
            flush_inactive=self.binary_flush_inactive,
            rank_caps_cents=tuple(_cents(rule.binary_cap) for rule in self._get_ranks()),
            matching_base=self.matching_base,
        )


class MlmPlanRank(models.Model):
    _inherit = "mlm.plan.rank"

    binary_cap = fields.Monetary(help="Most binary commission paid to this rank per period (0 = no cap).")

    @api.constrains("binary_cap")
    def _check_binary_cap(self):
        if any(rule.binary_cap < 0 for rule in self):
            raise ValidationError(self.env._("Rank rule values must be positive."))
