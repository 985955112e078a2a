import dataclasses

import numpy as np

from odoo import api, fields, models

from ..engine import PeriodInputs, compute_period, ordinal_days


class MlmCommissionCalculator(models.TransientModel):
    _name = "mlm.commission.calculator"
    _description = "Commission Calculator"

    distributor_id = fields.Many2one("mlm.distributor", string="Buyer (distributor)", required=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, required=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    plan_id = fields.Many2one("mlm.plan", default=lambda self: self.env.company.mlm_plan_id, required=True)
    line_ids = fields.One2many("mlm.commission.calculator.line", "calculator_id", string="Products")
    total_pv = fields.Float(string="PV", compute="_compute_result", digits="Product Unit of Measure")
    total_bv = fields.Monetary(string="BV", compute="_compute_result")
    # rendered by QWeb (mlm_commission.mlm_commission_calculator_result): every value is escaped
    result_html = fields.Html(compute="_compute_result", sanitize=False)

    @api.depends("line_ids.pv", "line_ids.bv", "distributor_id", "plan_id")
    def _compute_result(self):
        for wizard in self:
            wizard.total_pv = sum(wizard.line_ids.mapped("pv"))
            wizard.total_bv = wizard.currency_id.round(sum(wizard.line_ids.mapped("bv")))
            wizard.result_html = self.env["ir.qweb"]._render(
                "mlm_commission.mlm_commission_calculator_result",
                {"rows": wizard._upline_earnings(), "currency": wizard.currency_id},
            )

    def _upline_earnings(self):
        """What the upline earns on this purchase: a list of dicts (level, sponsor, rank, bonus, rate, amount).

        The commission engine (``compute_period``) runs on a small subtree: the buyer and its sponsors up to the
        top, the purchase as the buyer's only ledger line. The period's PV is not known yet, so each sponsor keeps
        its current rank and counts as active when its status is active: the engine gets each sponsor's current
        rank as a fixed rank (``PeriodInputs.fixed_rank``: no rank test is evaluated) and a plan minimum PV of 0
        (no rank advancement, pool, threshold or compliance gate either). Compression,
        level rates, paid levels, matching, fast start, personal coefficients and rounding are the engine's.
        """
        self.ensure_one()
        if not (self.distributor_id and self.plan_id):
            return []
        chain = self._chain()
        inputs, spec, ranks = self._engine_inputs(chain)
        result = compute_period(inputs, spec, engine_class=self.plan_id._get_engine_class())
        labels = dict(self.plan_id._get_bonus_type_selection())
        rows = result.rows
        buyer = len(chain) - 1
        earned = []
        for k in np.flatnonzero(rows["beneficiary"] != buyer):
            sponsor = chain[int(rows["beneficiary"][k])]
            bonus = int(rows["bonus_type"][k])
            earned.append(
                {
                    "level": int(rows["compressed_level"][k] or rows["level"][k]),
                    "sponsor": sponsor,
                    "rank": ranks[int(rows["rank"][k])].rank_id if int(rows["rank"][k]) >= 0 else sponsor.rank_id,
                    "bonus": labels.get(str(bonus), str(bonus)),
                    "rate": float(rows["rate"][k]),
                    "amount": int(rows["amount_cents"][k]) / 100.0,
                }
            )
        return sorted(earned, key=lambda row: (-row["sponsor"].depth, row["bonus"]))

    def _chain(self):
        """The buyer's sponsors from the top down, then the buyer."""
        ids = [int(x) for x in (self.distributor_id.parent_path or "").split("/") if x]
        return self.env["mlm.distributor"].browse(ids)

    def _engine_inputs(self, chain):
        """(PeriodInputs, PlanSpec, rank rules) of the purchase on ``chain`` (see ``_upline_earnings``)."""
        plan = self.plan_id
        ranks = plan._get_ranks()
        index = {rule.rank_id.id: i for i, rule in enumerate(ranks)}
        spec = plan._get_engine_spec()
        # the sponsors keep their current ranks (fixed_rank below); no advancement, pool, threshold or gate
        rules = tuple(dataclasses.replace(rule, advancement_bonus_cents=0) for rule in spec.ranks)
        spec = dataclasses.replace(
            spec, min_pv=0.0, ranks=rules, pool_rate=0.0, pool_min_rank=None, threshold_cents=0, compliance_share=None
        )
        n = len(chain)
        rank_of = np.array([index.get(d.rank_id.id, 0) for d in chain], dtype=np.int64)
        today = fields.Date.context_today(self)
        days = ordinal_days([d.join_date or today for d in chain] + [today])
        buyer = n - 1
        inputs = PeriodInputs(
            sponsor_idx=np.arange(-1, n - 1, dtype=np.int64),
            active_status=[d.status == "active" for d in chain],
            coefficient=[d.mlm_coefficient for d in chain],
            join_day=days[:n],
            highest_rank=rank_of,
            carried_cents=np.zeros(n, dtype=np.int64),
            line_dist=np.array([buyer], dtype=np.int64),
            line_pv=np.array([self.total_pv], dtype=np.float64),
            line_bv_cents=np.array([round(self.total_bv * 100)], dtype=np.int64),
            line_day=np.array([days[n]], dtype=np.int64),
            line_customer=np.zeros(1, dtype=bool),
            fixed_rank=rank_of,
        )
        return inputs, spec, ranks


class MlmCommissionCalculatorLine(models.TransientModel):
    _name = "mlm.commission.calculator.line"
    _description = "Commission Calculator Line"

    calculator_id = fields.Many2one("mlm.commission.calculator", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="calculator_id.currency_id")
    product_id = fields.Many2one("product.product", required=True)
    quantity = fields.Float(default=1.0, digits="Product Unit of Measure")
    price_unit = fields.Monetary(compute="_compute_price_unit", store=True, readonly=False, precompute=True)
    discount = fields.Float(string="Discount (%)")
    pv = fields.Float(string="PV", compute="_compute_volume", digits="Product Unit of Measure")
    bv = fields.Monetary(string="BV", compute="_compute_volume")
    subtotal = fields.Monetary(compute="_compute_volume")

    @api.depends("product_id")
    def _compute_price_unit(self):
        for line in self:
            line.price_unit = line.product_id.lst_price

    @api.depends("product_id", "quantity", "discount", "price_unit")
    def _compute_volume(self):
        for line in self:
            factor = 1.0 - (line.discount or 0.0) / 100.0
            line.pv, line.bv = (
                line.product_id._mlm_line_volume(line.quantity, line.discount) if line.product_id else (0, 0)
            )
            line.subtotal = line.price_unit * line.quantity * factor
