from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools.result_table import COMMISSION_LINE
from .mlm_volume_line import SYSTEM_MARKER


class MlmCommissionLine(models.Model):
    _name = "mlm.commission.line"
    _description = "Commission Line"
    _order = "period_id desc, beneficiary_id, bonus_type, level, id"
    _rec_name = "beneficiary_id"
    # Result rows written in bulk by the run (hundreds of thousands per period). The table is created in init()
    # from its one description (tools/result_table.py), without foreign keys: measured on 421k rows, the INSERT
    # takes 5 s without them and 31 s with Odoo's six. Integrity comes from the run, which writes ids it read in
    # the same transaction, and from the cleanup the referenced models run when they delete (same description).
    _auto = False

    period_id = fields.Many2one("mlm.commission.period", required=True, readonly=True, index=True, ondelete="cascade")
    # company and currency come through the period: fewer foreign keys to check per row on bulk writes
    company_id = fields.Many2one(related="period_id.company_id")
    currency_id = fields.Many2one(related="period_id.currency_id")
    beneficiary_id = fields.Many2one("mlm.distributor", required=True, readonly=True, index=True)
    bonus_type = fields.Selection(selection="_selection_bonus_type", required=True, readonly=True)
    source_distributor_id = fields.Many2one("mlm.distributor", readonly=True)
    level = fields.Integer(readonly=True, help="Sponsor-tree level between beneficiary and source (0: none).")
    compressed_level = fields.Integer(readonly=True, help="Paid level after compression.")
    rank_id = fields.Many2one("mlm.rank", string="Rank Rule", readonly=True, help="Paid rank of the beneficiary.")
    rate = fields.Float(readonly=True, digits=(16, 6), help="Share of the base (0.05 = 5 %).")
    rate_percent = fields.Float(string="Rate (%)", compute="_compute_rate_percent", digits=(16, 4))
    base_amount = fields.Monetary(string="Base BV", readonly=True)
    amount = fields.Monetary(readonly=True, help="Rounded, after the beneficiary's personal coefficient.")
    period_state = fields.Selection(related="period_id.state", string="Period State")
    branch_id = fields.Many2one(related="beneficiary_id.branch_id", string="Branch")
    date_from = fields.Date(string="Period Start", readonly=True)

    def init(self):
        if not self.env.su:  # Odoo's registry hook (run as superuser), public by name: not for RPC callers
            raise AccessError(self.env._("Only the server sets up the database."))
        self.env.cr.execute(COMMISSION_LINE.create_sql())

    @api.model
    def _selection_bonus_type(self):
        return self.env["mlm.plan"]._get_bonus_type_selection()

    def _compute_rate_percent(self):
        for line in self:
            line.rate_percent = line.rate * 100.0

    @api.model_create_multi
    def create(self, vals_list):
        if self.env.context.get("mlm_volume_system") is not SYSTEM_MARKER:
            raise AccessError(self.env._("Commission lines are written by the commission run only."))
        with COMMISSION_LINE.ids_lock(self.env.cr):  # the run reserves ranges of ids from the same sequence
            return super().create(vals_list)

    def write(self, vals):
        if self.env.context.get("mlm_volume_system") is not SYSTEM_MARKER:
            raise AccessError(self.env._("Commission lines are written by the commission run only."))
        return super().write(vals)

    @api.ondelete(at_uninstall=True)
    def _unlink_only_by_system(self):
        if self.env.context.get("mlm_volume_system") is not SYSTEM_MARKER:
            raise AccessError(self.env._("Commission lines are written by the commission run only."))

    def action_open_sources(self):
        """The ledger lines behind this commission line (source distributor's volume in the period)."""
        self.ensure_one()
        self.check_access("read")
        domain = [
            ("company_id", "=", self.company_id.id),
            ("date", ">=", self.period_id.date_from),
            ("date", "<=", self.period_id.date_to),
        ]
        domain.append(("distributor_id", "=", (self.source_distributor_id or self.beneficiary_id).id))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Source volume"),
            "res_model": "mlm.volume.line",
            "view_mode": "list,form",
            "domain": domain,
        }
