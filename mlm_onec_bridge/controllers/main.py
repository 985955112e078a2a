# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The CommerceML exchange endpoint 1C's standard "обмен с сайтом" client talks to.

The controller only authenticates, finds the session and renders the protocol answer; the work
is done by ``mlm.onec.session``. Each 1C call is one HTTP request and therefore one database
transaction: this is what makes a long import resumable (1C repeats ``mode=import`` while we
answer ``progress``; a crash loses at most the slice of the call in progress). Every call runs
inside a savepoint: on failure its writes are rolled back and only the failure is logged.
"""

import base64
import binascii
import logging

from lxml import etree

from odoo import SUPERUSER_ID, api, fields, http
from odoo.exceptions import AccessDenied, UserError, ValidationError
from odoo.http import request

from ..models.mlm_onec_session import ExchangeError
from ..tools import protocol, safe_xml, safe_zip

_logger = logging.getLogger(__name__)

EXPECTED_ERRORS = (
    ExchangeError,
    UserError,
    ValidationError,
    protocol.ProtocolError,
    safe_xml.UnsafeXmlError,
    safe_zip.UnsafeZipError,
    etree.XMLSyntaxError,
    OSError,
)


class OnecExchangeController(http.Controller):
    @http.route(
        ["/1c_exchange", "/1c_exchange.php", "/bitrix/admin/1c_exchange.php"],
        type="http",
        auth="none",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def exchange(self, **kwargs):
        params = request.httprequest.args
        exchange_type = params.get("type", "")
        mode = params.get("mode", "")
        env = request.env(user=SUPERUSER_ID)
        try:
            protocol.check_type_mode(exchange_type, mode)
        except protocol.ProtocolError:
            _logger.warning("1C exchange: unknown type/mode %r/%r", exchange_type, mode)
            return self._answer(protocol.answer_failure(env._("Unknown type or mode.")), "utf-8")
        if mode == "checkauth":
            return self._checkauth(env, exchange_type)
        session = env["mlm.onec.session"]._find_by_cookie(
            protocol.parse_cookie(request.httprequest.headers.get("Cookie")), exchange_type
        )
        if not session:
            _logger.warning("1C exchange: %s/%s without a valid session cookie", exchange_type, mode)
            return self._answer(
                protocol.answer_failure(env._("No valid exchange session: call checkauth first.")), "utf-8"
            )
        try:
            session.with_context(lang=session.user_id.lang)._check_usable(mode)
        except ExchangeError as exc:
            _logger.warning("1C exchange: %s/%s refused on session %s: %s", exchange_type, mode, session.id, exc)
            return self._answer(protocol.answer_failure(str(exc)), "utf-8")
        session.date_last = fields.Datetime.now()
        backend = session.backend_id
        env = api.Environment(env.cr, session.user_id.id, dict(env.context, lang=session.user_id.lang), su=True)
        session = session.with_env(env).with_company(backend.company_id)
        encoding = backend.answer_encoding
        try:
            with env.cr.savepoint():
                if mode == "init":
                    session.state = "open"
                    answer = session._action_init(params.get("version"))
                elif mode == "file":
                    answer = session._action_file(params.get("filename", ""), request.httprequest.get_data())
                elif mode == "import":
                    answer = session._action_import(params.get("filename", ""))
                elif mode == "query":
                    data = session._action_query()
                    return request.make_response(
                        data, headers=[("Content-Type", f"application/xml; charset={encoding}")]
                    )
                elif mode == "success":
                    answer = session._action_success()
                elif exchange_type == "catalog" and mode in ("complete", "deactivate"):
                    answer = session._action_complete()
                else:  # deactivate / complete / info: acknowledged, nothing to do
                    answer = protocol.answer_success()
        except EXPECTED_ERRORS as exc:
            reason = (
                str(exc)
                if isinstance(exc, (ExchangeError, UserError, ValidationError))
                else env._("%(mode)s failed: %(reason)s", mode=mode, reason=str(exc))
            )
            _logger.warning("1C exchange %s/%s failed: %s", exchange_type, mode, reason)
            session._fail(reason)
            return self._answer(protocol.answer_failure(reason), encoding)
        return self._answer(answer, encoding)

    def _exchange_user(self, env, login):
        """``(user, backend)`` when ``login`` is the exchange user of an active backend, else empty recordsets.
        Looked up before any password check, so that other users' passwords are never tested here."""
        users = env["res.users"]
        user = users.search([("login", "=", login)], limit=1) if login else users
        if not user or not user.has_group("mlm_onec_bridge.group_onec_exchange"):
            return users, env["mlm.onec.backend"]
        return user, env["mlm.onec.backend"].search([("exchange_user_id", "=", user.id)], limit=1)

    def _checkauth(self, env, exchange_type):
        """HTTP Basic of 1C. A user who may not exchange gets exactly the answer of a wrong password, and his
        password is not checked (no login recorded): the endpoint is no password oracle for portal users."""
        login, password = self._basic_credentials()
        user, backend = self._exchange_user(env, login)
        authenticated = False
        if backend:
            try:
                credential = {"login": login, "password": password, "type": "password"}
                auth_info = env["res.users"]._login(request.db, credential, {"interactive": False})
                authenticated = auth_info["uid"] == user.id
            except AccessDenied:
                authenticated = False
        if not authenticated:
            _logger.warning("1C exchange: authentication failed for %r (wrong password or not an exchange user)", login)
            return self._answer(protocol.answer_failure(env._("Wrong login or password.")), "utf-8")
        session, token = env["mlm.onec.session"].with_company(backend.company_id)._open(backend, exchange_type, user)
        return self._answer(protocol.answer_checkauth(token, sessid=str(session.id)), backend.answer_encoding)

    def _basic_credentials(self):
        header = request.httprequest.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return "", ""
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True)
        except (binascii.Error, ValueError):
            return "", ""
        # 1C sends the credentials in UTF-8; older platforms in windows-1251
        try:
            text = decoded.decode("utf-8")
        except UnicodeDecodeError:
            text = decoded.decode("windows-1251", errors="replace")
        login, _sep, password = text.partition(":")
        return login, password

    def _answer(self, text, encoding):
        return request.make_response(
            protocol.encode_answer(text, encoding), headers=[("Content-Type", f"text/plain; charset={encoding}")]
        )
