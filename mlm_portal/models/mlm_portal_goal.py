from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL


class MlmPortalGoal(models.Model):
    _name = "mlm.portal.goal"
    _description = "Personal Goal of a Distributor"
    _order = "date_deadline, id"
    # Fields that decide whose goal it is: Odoo does not re-check record rules after a write.
    _ownership_fields = ("distributor_id", "company_id")

    distributor_id = fields.Many2one(
        "mlm.distributor",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.user.partner_id.mlm_distributor_id,
    )
    company_id = fields.Many2one(related="distributor_id.company_id", store=True)
    goal_type = fields.Selection(
        [("pv", "Personal volume (PV)"), ("recruits", "New personal recruits"), ("rank", "Reach a rank")],
        string="Goal",
        required=True,
        default="pv",
    )
    target_value = fields.Float(help="PV, or number of recruits, to reach by the deadline.")
    target_rank_id = fields.Many2one("mlm.rank")
    date_start = fields.Date(string="From", required=True, default=fields.Date.context_today)
    date_deadline = fields.Date(string="By", required=True)
    progress_value = fields.Float(compute="_compute_progress")
    progress_percent = fields.Integer(compute="_compute_progress")
    reached = fields.Boolean(compute="_compute_progress")

    @api.constrains("goal_type", "target_value", "target_rank_id", "date_start", "date_deadline")
    def _check_goal(self):
        for goal in self:
            if goal.date_deadline < goal.date_start:
                raise ValidationError(self.env._("The deadline cannot be before the start."))
            if goal.goal_type == "rank" and not goal.target_rank_id:
                raise ValidationError(self.env._("Choose the rank to reach."))
            if goal.goal_type != "rank" and goal.target_value <= 0:
                raise ValidationError(self.env._("The target must be greater than zero."))

    @api.model_create_multi
    def create(self, vals_list):
        if not self._is_goal_staff():
            own = self.env.user.partner_id.sudo().mlm_distributor_id
            if not own or any(vals.get("distributor_id", own.id) != own.id for vals in vals_list):
                raise AccessError(self.env._("You can only set goals for yourself."))
        return super().create(vals_list)

    def write(self, vals):
        if not self._is_goal_staff() and set(vals) & set(self._ownership_fields):
            raise AccessError(self.env._("A goal cannot be given to another distributor."))
        return super().write(vals)

    def _is_goal_staff(self):
        return self.env.su or self.env.user.has_group("mlm_network.group_mlm_manager")

    @api.depends("goal_type", "target_value", "target_rank_id", "date_start", "date_deadline", "distributor_id")
    def _compute_progress(self):
        """PV from the volume ledger and recruits from the genealogy, one grouped query per kind for all goals."""
        goals = self.filtered("id")
        (self - goals).update({"progress_value": 0.0, "progress_percent": 0, "reached": False})
        pv, recruits = {}, {}
        by_type = {kind: goals.filtered(lambda g, k=kind: g.goal_type == k) for kind in ("pv", "recruits")}
        if by_type["pv"]:
            self.env["mlm.volume.line"].flush_model()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT g.id, COALESCE(sum(v.pv), 0) FROM mlm_portal_goal g
                      LEFT JOIN mlm_volume_line v ON v.distributor_id = g.distributor_id
                       AND v.date >= g.date_start AND v.date <= g.date_deadline
                     WHERE g.id = ANY(%s) GROUP BY g.id
                    """,
                    by_type["pv"].ids,
                )
            )
            pv = dict(self.env.cr.fetchall())
        if by_type["recruits"]:
            self.env["mlm.distributor"].flush_model()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT g.id, count(d.id) FROM mlm_portal_goal g
                      LEFT JOIN mlm_distributor d ON d.sponsor_id = g.distributor_id
                       AND d.join_date >= g.date_start AND d.join_date <= g.date_deadline
                     WHERE g.id = ANY(%s) GROUP BY g.id
                    """,
                    by_type["recruits"].ids,
                )
            )
            recruits = dict(self.env.cr.fetchall())
        for goal in goals:
            if goal.goal_type == "rank":
                current = goal.distributor_id.sudo().highest_rank_id.sequence or 0
                target = goal.target_rank_id.sequence or 0
                value = float(current)
                percent = 100 if current >= target else round(100.0 * current / target) if target else 0
            else:
                value = float((pv if goal.goal_type == "pv" else recruits).get(goal.id, 0.0))
                percent = min(100, round(100.0 * value / goal.target_value)) if goal.target_value else 0
            goal.progress_value = value
            goal.progress_percent = max(percent, 0)
            goal.reached = percent >= 100
