import json
import logging
import re

from odoo import http
from odoo.http import request

from ..tools import telegram
from ..tools.providers import TelephonyProvider, WebhookRequest

_logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
_ECHO = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class MlmTelephonyController(http.Controller):
    """Endpoints called by PBXs and SMS gateways. They authenticate the caller (token or signature) before reading
    anything, then work in sudo on behalf of the provider's company; they hold no business logic."""

    def _json(self, status, body):
        return request.make_response(json.dumps(body), headers=[("Content-Type", "application/json")], status=status)

    def _provider_sudo(self, provider_id):
        provider_sudo = request.env["mlm.telephony.provider"].sudo().browse(provider_id).exists()
        if not provider_sudo or not provider_sudo.active:
            return None
        return provider_sudo.with_company(provider_sudo.company_id)

    def _webhook_request(self):
        httprequest = request.httprequest
        body = httprequest.get_data(cache=True)[:MAX_BODY]
        params = dict(httprequest.args.items())
        if httprequest.mimetype == "application/json" and body:
            try:
                payload = json.loads(body)
            except ValueError:
                payload = {}
            if isinstance(payload, dict):
                params.update({k: str(v) for k, v in payload.items() if not isinstance(v, (dict, list))})
        else:
            params.update(httprequest.form.items())
        return WebhookRequest(method=httprequest.method, headers=dict(httprequest.headers), params=params, body=body)

    @http.route(
        "/mlm_telephony/webhook/<int:provider_id>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def webhook(self, provider_id, **_kwargs):
        provider_sudo = self._provider_sudo(provider_id)
        if provider_sudo is None:
            return self._json(404, {"error": "unknown provider"})
        echo = request.httprequest.args.get("zd_echo")
        if echo is not None and provider_sudo.provider_type == "zadarma":
            # Zadarma checks the address by asking to echo a value: answer it verbatim, nothing else.
            if not _ECHO.match(echo):
                return self._json(400, {"error": "bad echo"})
            return request.make_response(echo, headers=[("Content-Type", "text/plain")])
        status, body = provider_sudo._handle_webhook(self._webhook_request())
        return self._json(status, body)

    @http.route(
        "/mlm_telephony/caller_id/<int:provider_id>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def caller_id(self, provider_id, **_kwargs):
        """``?number=...`` with the provider's token (``X-Mlm-Token`` header or ``token`` parameter).
        ``format=text`` answers the name only, for Asterisk's ``CURL()`` in the dialplan."""
        provider_sudo = self._provider_sudo(provider_id)
        if provider_sudo is None:
            return self._json(404, {"error": "unknown provider"})
        webhook = self._webhook_request()
        # The generic token check, whatever the PBX type.
        if not TelephonyProvider(provider_sudo._provider_config()).verify_webhook(webhook):
            return self._json(403, {"error": "forbidden"})
        info = provider_sudo._caller_id_info(webhook.params.get("number") or "")
        if webhook.params.get("format") == "text":
            return request.make_response(info.get("name") or "", headers=[("Content-Type", "text/plain")])
        return self._json(200, info)

    @http.route(
        "/mlm_telephony/sms/status/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def sms_status(self, token, **_kwargs):
        """Delivery reports of the SMS gateway (SMSC posts ``id``, ``phone``, ``status``)."""
        gateway_sudo = request.env["mlm.sms.gateway"].sudo()._mlm_find_by_token(token)
        if not gateway_sudo:
            return self._json(403, {"error": "forbidden"})
        params = {**request.httprequest.args, **request.httprequest.form}
        found = gateway_sudo._process_status(params.get("id", ""), params.get("phone", ""), params.get("status"))
        return request.make_response("OK" if found else "UNKNOWN", headers=[("Content-Type", "text/plain")])

    @http.route(
        "/mlm_telephony/telegram/<int:bot_id>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def telegram_update(self, bot_id, **_kwargs):
        """Updates of the company's Telegram bot (``setWebhook`` with a secret token)."""
        bot_sudo = request.env["mlm.telegram.bot"].sudo().browse(bot_id).exists()
        if not bot_sudo or not bot_sudo.active:
            return self._json(404, {"error": "unknown bot"})
        secret = request.httprequest.headers.get("X-Telegram-Bot-Api-Secret-Token")
        if not telegram.check_secret(secret, bot_sudo.webhook_secret):
            _logger.warning("Telegram bot %s: update with a wrong secret token refused", bot_id)
            return self._json(403, {"error": "forbidden"})
        body = request.httprequest.get_data(cache=False)
        if len(body) > telegram.MAX_UPDATE_BYTES:
            return self._json(413, {"error": "too large"})
        try:
            update = telegram.parse_update(json.loads(body))
        except ValueError:
            update = None
        if update is None:
            return self._json(400, {"error": "not a Telegram update"})
        bot_sudo = bot_sudo.with_company(bot_sudo.company_id)
        return self._json(200, bot_sudo._handle_update(update))
