from odoo import api, fields, models


class ResUsers(models.Model):
    _inherit = "res.users"

    mlm_phone_extension = fields.Char(
        string="Phone Extension",
        index="btree_not_null",
        copy=False,
        help="Internal number of this user's phone on the PBX: calls to and from it are assigned to the user.",
    )
    mlm_telephony_provider_id = fields.Many2one(
        "mlm.telephony.provider",
        string="PBX",
        copy=False,
        help="The PBX of this user's phone, used for click-to-call (default: the first PBX of the company).",
    )
    mlm_pbx_login = fields.Char(string="PBX Login", copy=False, help="The user's login on a cloud PBX (ITooLabs).")

    @property
    def SELF_READABLE_FIELDS(self):
        return super().SELF_READABLE_FIELDS + ["mlm_phone_extension", "mlm_pbx_login", "mlm_telephony_provider_id"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        # the extension decides whose calls a user gets: internal users set theirs, portal users never
        if self.env.user.share:
            return super().SELF_WRITEABLE_FIELDS
        return super().SELF_WRITEABLE_FIELDS + ["mlm_phone_extension"]

    _sql_constraints = [
        (
            "mlm_extension_company_unique",
            "UNIQUE(mlm_phone_extension, company_id)",
            "Two users of one company cannot share a phone extension.",
        ),
    ]

    @api.model
    def _mlm_find_by_extensions(self, extensions, company):
        """Map extensions to users of ``company`` with one search."""
        extensions = [e for e in extensions if e]
        if not extensions:
            return {}
        users = self.with_context(active_test=True).search(
            [
                ("mlm_phone_extension", "in", extensions),
                ("company_ids", "in", company.ids),
            ]
        )
        return {user.mlm_phone_extension: user for user in users}
