from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    mlm_cooling_off_days = fields.Integer(
        string="Cooling-off Days",
        default=14,
        help="Days after enrolment during which a new distributor may cancel and have the starter order refunded.",
    )
    mlm_duplicate_policy = fields.Selection(
        [("block", "Block the enrolment"), ("flag", "Enrol and flag for review")],
        string="Duplicate Distributors",
        default="flag",
        required=True,
    )
    mlm_reenroll_days = fields.Integer(
        string="Re-enrolment Waiting Days",
        default=180,
        help="A terminated distributor cannot enrol again before this many days have passed.",
    )
    mlm_agreement_version = fields.Char(string="Current Agreement Version", default="1.0")
