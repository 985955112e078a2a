from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class MlmSalesTarget(models.Model):
    _name = "mlm.sales.target"
    _description = "Sales Target"
    _order = "date_from desc, branch_id, id"

    name = fields.Char(compute="_compute_name", store=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    branch_id = fields.Many2one(
        "mlm.branch",
        index=True,
        domain="[('company_id', '=', company_id)]",
        help="Leave empty for a company-wide target. A branch target counts the branch and its sub-branches.",
    )
    date_from = fields.Date(
        string="From", required=True, default=lambda self: fields.Date.context_today(self).replace(day=1)
    )
    date_to = fields.Date(
        string="To",
        compute="_compute_date_to",
        store=True,
        readonly=False,
        precompute=True,
        required=True,
        help="The end of the target period (the end of the month by default).",
    )
    target_pv = fields.Float(string="Target PV", digits="Product Unit of Measure")
    target_bv = fields.Monetary(string="Target BV")
    target_recruits = fields.Integer(string="Target New Recruits")
    note = fields.Text()

    _sql_constraints = [
        ("dates_check", "CHECK(date_from <= date_to)", "A target ends after it starts."),
        (
            "positive_check",
            "CHECK(COALESCE(target_pv, 0) >= 0 AND COALESCE(target_bv, 0) >= 0 AND COALESCE(target_recruits, 0) >= 0)",
            "Targets cannot be negative.",
        ),
    ]

    @api.depends("date_from")
    def _compute_date_to(self):
        for target in self:
            if target.date_from and (not target.date_to or target.date_to < target.date_from):
                target.date_to = target.date_from + relativedelta(day=31)

    @api.depends("branch_id", "date_from", "date_to", "company_id")
    def _compute_name(self):
        for target in self:
            scope = target.branch_id.complete_name or target.company_id.name or ""
            target.name = self.env._(
                "%(scope)s: %(date_from)s - %(date_to)s",
                scope=scope,
                date_from=target.date_from or "",
                date_to=target.date_to or "",
            )

    @api.constrains("company_id", "branch_id", "date_from", "date_to")
    def _check_overlap(self):
        for target in self:
            clash = self.search_count(
                [
                    ("id", "!=", target.id),
                    ("company_id", "=", target.company_id.id),
                    ("branch_id", "=", target.branch_id.id),
                    ("date_from", "<=", target.date_to),
                    ("date_to", ">=", target.date_from),
                ]
            )
            if clash:
                raise ValidationError(
                    self.env._(
                        "%(name)s overlaps another target of the same scope: one target per branch and dates.",
                        name=target.name,
                    )
                )
