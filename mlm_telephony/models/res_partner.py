import secrets

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.phone import phone_key


class ResPartner(models.Model):
    _inherit = "res.partner"

    mlm_phone_key = fields.Char(
        string="Phone Key",
        compute="_compute_mlm_phone_keys",
        store=True,
        index="btree_not_null",
        copy=False,
        help="Phone in E.164 without +, for caller identification.",
    )
    mlm_mobile_key = fields.Char(
        string="Mobile Key",
        compute="_compute_mlm_phone_keys",
        store=True,
        index="btree_not_null",
        copy=False,
    )
    mlm_call_count = fields.Integer(string="Calls", compute="_compute_mlm_call_count")
    mlm_telegram_token = fields.Char(
        string="Telegram Invitation Token",
        copy=False,
        index="btree_not_null",
        groups="mlm_telephony.mlm_telephony_group_user",
        help="Secret part of the contact's Telegram invitation link (/start <token>).",
    )
    mlm_telegram_link = fields.Char(
        string="Telegram Invitation",
        compute="_compute_mlm_telegram_link",
        groups="mlm_telephony.mlm_telephony_group_user",
    )
    mlm_telegram_chat_ids = fields.One2many(
        "mlm.telegram.chat", "partner_id", string="Telegram Chats", groups="mlm_telephony.mlm_telephony_group_user"
    )

    @api.depends("phone", "mobile", "country_id")
    def _compute_mlm_phone_keys(self):
        default_region = (self.env.company.country_id.code or "").upper() or None
        for partner in self:
            region = (partner.country_id.code or "").upper() or default_region
            partner.mlm_phone_key = phone_key(partner.phone, region) or False
            partner.mlm_mobile_key = phone_key(partner.mobile, region) or False

    @api.depends("mlm_telegram_token", "company_id")
    def _compute_mlm_telegram_link(self):
        Bot = self.env["mlm.telegram.bot"]
        bots = {}
        for partner in self:
            company = partner.company_id or self.env.company
            if company not in bots:
                bots[company] = Bot._get_for_company(company)
            bot = bots[company]
            partner.mlm_telegram_link = bot._invite_link(partner.mlm_telegram_token) if bot else False

    def _compute_mlm_call_count(self):
        counts = dict(self.env["mlm.call"]._read_group([("partner_id", "in", self.ids)], ["partner_id"], ["__count"]))
        for partner in self:
            partner.mlm_call_count = counts.get(partner, 0)

    @api.model
    def _mlm_find_by_phone_keys(self, keys, company=None):
        """Map each phone key to one contact (companies' own contacts first, then the most recent).

        One query on the two indexed key columns, whatever the number of keys.
        """
        keys = [k for k in keys if k]
        if not keys:
            return {}
        self.flush_model(["mlm_phone_key", "mlm_mobile_key", "active", "company_id"])
        company_id = company.id if company else None
        rows = self.env.execute_query(
            SQL(
                """
            SELECT DISTINCT ON (k.key) k.key, p.id
              FROM unnest(%(keys)s::varchar[]) AS k(key)
              JOIN res_partner p ON (p.mlm_phone_key = k.key OR p.mlm_mobile_key = k.key)
             WHERE p.active AND (p.company_id IS NULL OR p.company_id = %(company)s OR %(company)s IS NULL)
             ORDER BY k.key, (p.company_id IS NULL), p.id DESC
            """,
                keys=keys,
                company=company_id,
            )
        )
        partners = self.browse([pid for _key, pid in rows])
        by_id = {p.id: p for p in partners}
        return {key: by_id[pid] for key, pid in rows}

    def _mlm_ensure_telegram_tokens(self):
        """Give each of these contacts an invitation token (one UPDATE for all of them)."""
        self.check_access("write")
        missing = self.sudo().filtered(lambda p: not p.mlm_telegram_token)
        if missing:
            self.flush_model(["mlm_telegram_token"])
            self.env.cr.execute(
                SQL(
                    """UPDATE res_partner p SET mlm_telegram_token = t.token
                         FROM unnest(%s::int[], %s::varchar[]) AS t(id, token)
                        WHERE p.id = t.id AND p.mlm_telegram_token IS NULL""",
                    missing.ids,
                    [secrets.token_urlsafe(24) for _partner in missing],
                )
            )
            self.invalidate_recordset(["mlm_telegram_token", "mlm_telegram_link"])
        return self

    @api.model
    def _mlm_find_by_telegram_token(self, token, company):
        """The contact whose invitation token is ``token`` (of ``company`` or shared), or an empty recordset."""
        if not token or len(token) < 16:
            return self.browse()
        return (
            self.sudo()
            .search([("mlm_telegram_token", "=", token), ("company_id", "in", [False, company.id])], limit=1)
            .with_env(self.env)
        )

    def action_mlm_telegram_invite(self):
        self._mlm_ensure_telegram_tokens()
        return True

    def action_mlm_view_calls(self):
        self.ensure_one()
        self.check_access("read")
        action = self.env["ir.actions.act_window"]._for_xml_id("mlm_telephony.mlm_call_action")
        action["domain"] = [("partner_id", "=", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action

    def action_mlm_call_phone(self):
        self.ensure_one()
        return self.env["mlm.telephony.provider"]._mlm_click_to_call(self.phone, self)

    def action_mlm_call_mobile(self):
        self.ensure_one()
        return self.env["mlm.telephony.provider"]._mlm_click_to_call(self.mobile, self)
