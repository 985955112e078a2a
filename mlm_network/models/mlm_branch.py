from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class MlmBranch(models.Model):
    _name = "mlm.branch"
    _description = "Regional Branch"
    _parent_store = True
    _order = "complete_name"
    _rec_name = "complete_name"

    name = fields.Char(required=True, translate=True)
    code = fields.Char()
    complete_name = fields.Char(compute="_compute_complete_name", store=True, recursive=True)
    level = fields.Selection(
        [("region", "Region"), ("city", "City"), ("district", "District")], required=True, default="city"
    )
    parent_id = fields.Many2one("mlm.branch", string="Parent Branch", index=True, ondelete="restrict")
    child_ids = fields.One2many("mlm.branch", "parent_id", string="Sub-branches")
    parent_path = fields.Char(index=True)
    manager_id = fields.Many2one("res.users")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    active = fields.Boolean(default=True)
    distributor_ids = fields.One2many("mlm.distributor", "branch_id", string="Members")
    member_count = fields.Integer(compute="_compute_member_counts")
    active_member_count = fields.Integer(compute="_compute_member_counts")
    new_member_count = fields.Integer(string="New This Month", compute="_compute_member_counts")

    @api.depends("name", "parent_id.complete_name")
    def _compute_complete_name(self):
        for branch in self:
            if branch.parent_id:
                branch.complete_name = f"{branch.parent_id.complete_name} / {branch.name}"
            else:
                branch.complete_name = branch.name

    def _compute_member_counts(self):
        Distributor = self.env["mlm.distributor"]
        month_start = fields.Date.context_today(self) + relativedelta(day=1)
        domain = [("branch_id", "in", self.ids)]
        total = dict(Distributor._read_group(domain, ["branch_id"], ["__count"]))
        active = dict(Distributor._read_group(domain + [("status", "=", "active")], ["branch_id"], ["__count"]))
        new = dict(Distributor._read_group(domain + [("join_date", ">=", month_start)], ["branch_id"], ["__count"]))
        for branch in self:
            branch.member_count = total.get(branch, 0)
            branch.active_member_count = active.get(branch, 0)
            branch.new_member_count = new.get(branch, 0)

    @api.constrains("parent_id")
    def _check_parent(self):
        if self._has_cycle():
            raise ValidationError(self.env._("A branch cannot be its own parent."))

    def action_view_members(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("mlm_network.mlm_distributor_action")
        action["domain"] = [("branch_id", "=", self.id)]
        action["context"] = {"default_branch_id": self.id}
        return action
