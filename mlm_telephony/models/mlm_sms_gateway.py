import hmac
import logging
import secrets

import requests

from odoo import api, fields, models

from ..tools import smsc
from ..tools.phone import digits

_logger = logging.getLogger(__name__)


class MlmSmsGateway(models.Model):
    """An HTTP SMS provider replacing Odoo's IAP for the SMS of its company (composer, templates, mass SMS)."""

    _name = "mlm.sms.gateway"
    _description = "SMS Gateway"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    gateway_type = fields.Selection([("smsc", "SMSC.kz / SMSC.ru")], required=True, default="smsc")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    api_url = fields.Char(string="API Address", required=True, default=smsc.DEFAULT_URL)
    login = fields.Char(groups="base.group_system")
    password = fields.Char(groups="base.group_system")
    sender = fields.Char(help="Sender name registered with the provider (leave empty for the default one).")
    callback_token = fields.Char(
        default=lambda self: secrets.token_urlsafe(24),
        copy=False,
        groups="base.group_system",
        index=True,
        help="Secret part of the delivery-report address given to the provider.",
    )
    callback_url = fields.Char(compute="_compute_callback_url", groups="base.group_system")

    @api.depends("callback_token")
    def _compute_callback_url(self):
        base = self.get_base_url()
        for gateway in self:
            gateway.callback_url = "{}/mlm_telephony/sms/status/{}".format(base, gateway.callback_token or "")

    @api.model
    def _get_for_company(self, company):
        return self.sudo().search([("company_id", "=", company.id)], limit=1)

    def _send_sms_batch(self, messages):
        """Send Odoo's batch (``[{'content', 'numbers': [{'uuid', 'number'}]}]``) and answer like IAP does:
        ``[{'uuid', 'state'}]``. Each text goes in one request to all its numbers under the id of its first SMS;
        the delivery report of each number is found again through ``sms.tracker.mlm_gateway_ref``.
        SMSC message ids are integers (1 to 2**31-1): the id of the first ``sms.sms`` of the text is used."""
        self.ensure_one()
        results, refs = [], {}
        for message in messages:
            numbers = message["numbers"]
            message_id = numbers[0]["sms_id"]
            phones = [digits(n["number"]) for n in numbers]
            try:
                ok, state = smsc.send(
                    self.api_url, self.login, self.password, phones, message["content"], message_id, sender=self.sender
                )
            except (requests.RequestException, smsc.SmscError) as error:
                _logger.warning("SMS gateway %s: sending %d SMS failed: %s", self.id, len(numbers), error)
                ok, state = False, "server_error"
            for number, phone in zip(numbers, phones, strict=True):
                results.append({"uuid": number["uuid"], "state": state})
                if ok:
                    refs[number["uuid"]] = f"{message_id}:{phone}"
        if refs:
            trackers = self.env["sms.tracker"].sudo().search([("sms_uuid", "in", list(refs))])
            for tracker in trackers:
                tracker.mlm_gateway_ref = refs[tracker.sms_uuid]
        return results

    def _process_status(self, message_id, phone, status):
        """Apply one delivery report; returns ``False`` if no SMS matches."""
        self.ensure_one()
        mapped = smsc.status_to_sms_state(status)
        ref = f"{message_id}:{digits(phone)}"
        trackers = self.env["sms.tracker"].sudo().search([("mlm_gateway_ref", "=", ref)])
        if not trackers:
            return False
        if mapped:
            state, failure_type = mapped
            trackers._action_update_from_sms_state(state, failure_type=failure_type)
        return True

    def action_test_message(self):
        """Opens Odoo's SMS composer to send a test message through this gateway."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Send a test SMS"),
            "res_model": "sms.composer",
            "view_mode": "form",
            "target": "new",
            "context": {"default_composition_mode": "numbers", "default_res_model": "res.partner"},
        }

    @api.model
    def _mlm_find_by_token(self, token):
        """The gateway whose callback token is ``token`` (constant-time comparison), or an empty recordset."""
        if not token or len(token) < 16:
            return self.browse()
        candidates = self.sudo().search([("callback_token", "=", token)], limit=1)
        if candidates and hmac.compare_digest(candidates.callback_token.encode(), token.encode()):
            return candidates
        return self.browse()
