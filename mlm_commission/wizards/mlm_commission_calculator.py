from markupsafe import Markup, escape

from odoo import api, fields, models


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
    result_html = fields.Html(compute="_compute_result", sanitize=False)

    @api.depends("line_ids.pv", "line_ids.bv", "distributor_id", "plan_id")
    def _compute_result(self):
        for wizard in self:
            wizard.total_pv = sum(wizard.line_ids.mapped("pv"))
            wizard.total_bv = wizard.currency_id.round(sum(wizard.line_ids.mapped("bv")))
            wizard.result_html = wizard._render_upline(wizard._upline_earnings())

    def _upline_earnings(self):
        """[(level, distributor, rank, rate, amount)] each upline level would earn on this purchase.

        Uses the sponsors' current rank and status (the period's PV is not known yet), the plan's rates and
        compression, and each sponsor's personal coefficient.
        """
        self.ensure_one()
        if not (self.distributor_id and self.plan_id):
            return []
        ids = [int(x) for x in (self.distributor_id.parent_path or "").split("/") if x][:-1]
        sponsors = self.env["mlm.distributor"].browse(list(reversed(ids)))
        rates = [lvl.rate / 100.0 for lvl in self.plan_id.level_ids.sorted("level")]
        paid_levels = {rule.rank_id.id: rule.paid_levels for rule in self.plan_id.rank_ids}
        result, level = [], 0
        for sponsor in sponsors:
            active = sponsor.status == "active"
            if self.plan_id.compression and not active:
                continue
            level += 1
            if level > len(rates):
                break
            pays = active and paid_levels.get(sponsor.rank_id.id, 0) >= level
            rate = rates[level - 1] if pays else 0.0
            amount = self.currency_id.round(self.total_bv * rate * sponsor.mlm_coefficient)
            result.append((level, sponsor, sponsor.rank_id, rate, amount))
        return result

    def _render_upline(self, rows):
        if not rows:
            return Markup("")
        header = Markup(
            "<table class='table table-sm'><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
            "<th class='text-end'>%s</th><th class='text-end'>%s</th></tr></thead><tbody>"
        ) % (
            self.env._("Level"),
            self.env._("Sponsor"),
            self.env._("Rank"),
            self.env._("Rate (%)"),
            self.env._("Earns"),
        )
        body = Markup("").join(
            Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td class='text-end'>%s</td><td class='text-end'>%s</td></tr>")
            % (level, escape(sponsor.display_name), escape(rank.name or ""), f"{rate * 100:.2f}", f"{amount:.2f}")
            for level, sponsor, rank, rate, amount in rows
        )
        return header + body + Markup("</tbody></table>")


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
            line.pv = line.product_id.mlm_pv_effective * line.quantity
            line.bv = line.product_id.mlm_bv_effective * line.quantity * factor
            line.subtotal = line.price_unit * line.quantity * factor
