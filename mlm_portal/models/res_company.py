from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    mlm_privacy_version = fields.Char(string="Current Privacy Policy Version", default="1.0")
    mlm_signup_rate_limit = fields.Integer(
        string="Sign-ups per IP and Hour",
        default=5,
        help="Referral sign-up attempts accepted from one IP address within an hour.",
    )
    mlm_distributor_pricelist_id = fields.Many2one(
        "product.pricelist",
        string="Distributor Pricelist",
        help="Pricelist given to distributors who sign up on the portal; the shop shows them these prices.",
    )
