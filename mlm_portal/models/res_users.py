from odoo import api, fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model
    def signup(self, values, token=None):
        """Completing the e-mailed sign-up link proves the address: the portal sign-up's distributor becomes active."""
        login, password = super().signup(values, token=token)
        if token:
            user = self.search([("login", "=", login)], limit=1)
            distributor = user.partner_id.mlm_distributor_id.sudo()
            if distributor.status == "prospect" and distributor.enrollment_source == "portal":
                distributor.write({"status": "active", "status_date": fields.Date.context_today(self)})
        return login, password
