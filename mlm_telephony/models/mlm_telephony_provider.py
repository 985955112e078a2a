import json
import logging
import secrets
from zoneinfo import ZoneInfo

import requests

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from odoo.addons.base.models.res_partner import _tz_get

from ..tools import providers as pbx
from ..tools.ami_calls import CallBuilder
from ..tools.ami_client import AmiError
from ..tools.ami_protocol import AmiProtocolError
from ..tools.phone import phone_key

_logger = logging.getLogger(__name__)

SECRET_PARAMS = {"crm_token", "token", "api_key", "secret"}  # never kept in the webhook log
PROVIDER_TYPES = [
    ("asterisk", "Asterisk (AMI)"),
    ("zadarma", "Zadarma"),
    ("itoolabs", "ITooLabs / MegaFon Virtual PBX"),
]


def _new_token(_records=None):
    return secrets.token_urlsafe(32)


class MlmTelephonyProvider(models.Model):
    _name = "mlm.telephony.provider"
    _description = "Telephony Provider (PBX)"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    provider_type = fields.Selection(PROVIDER_TYPES, string="PBX Type", required=True, default="asterisk")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    callback_user_id = fields.Many2one(
        "res.users",
        string="Default Responsible",
        help="Receives the call-back activity of a missed call when neither the extension nor the contact names a "
        "user.",
    )
    pbx_timezone = fields.Selection(
        _tz_get,
        string="PBX Time Zone",
        default="UTC",
        help="Time zone of the times the PBX writes (CEL events, Zadarma call_start).",
    )
    phone_region = fields.Char(
        string="Country of National Numbers",
        size=2,
        compute="_compute_phone_region",
        store=True,
        readonly=False,
        precompute=True,
        help="ISO code of the country whose national format the PBX uses (8 701 ... in Kazakhstan); "
        "defaults to the company's country.",
    )
    internal_number_length = fields.Integer(
        default=4, help="Numbers with at most this many digits are internal extensions."
    )
    replay_window = fields.Integer(
        string="Replay Window (s)",
        default=86400,
        help="Signed notifications about calls that started longer ago than this (or as far in the future) are "
        "refused; within it, a notification already received is ignored. At most 7 days.",
    )
    store_recordings = fields.Boolean(
        help="Download the recordings of finished calls into Odoo (cloud PBX links expire after a while).",
    )
    recording_base_url = fields.Char(
        string="Recordings URL", help="Base address where the PBX publishes its recordings (Asterisk)."
    )
    webhook_token = fields.Char(
        default=_new_token,
        copy=False,
        groups="base.group_system",
        help="Shared secret the PBX sends with webhooks and caller-ID requests (ITooLabs: the CRM token).",
    )
    # Asterisk
    ami_host = fields.Char(string="AMI Host", default="127.0.0.1")
    ami_port = fields.Integer(string="AMI Port", default=5038)
    ami_username = fields.Char(string="AMI User", groups="base.group_system")
    ami_secret = fields.Char(string="AMI Password", groups="base.group_system")
    originate_channel = fields.Char(
        default="Local/{extension}@from-internal",
        help="Channel rung first on click-to-call; {extension} is replaced by the user's extension.",
    )
    originate_context = fields.Char(default="from-internal", help="Dialplan context of the dialled number.")
    # Cloud PBX
    api_url = fields.Char(string="API Address")
    api_key = fields.Char(string="API Key", groups="base.group_system")
    api_secret = fields.Char(string="API Secret", groups="base.group_system")

    call_count = fields.Integer(compute="_compute_call_count")
    webhook_url = fields.Char(compute="_compute_webhook_url")
    webhook_secret_missing = fields.Boolean(
        compute="_compute_webhook_secret_missing",
        help="Without its secret (Zadarma: the API secret; other PBXs: the webhook token) every webhook of this PBX "
        "is refused.",
    )

    _sql_constraints = [
        ("ami_port_range", "CHECK(ami_port >= 0 AND ami_port < 65536)", "The AMI port must be between 0 and 65535."),
        (
            "replay_window_range",
            "CHECK(replay_window > 0 AND replay_window <= 604800)",
            "The replay window must be between 1 second and 7 days (webhook events are kept 30 days).",
        ),
    ]

    @api.depends("company_id")
    def _compute_phone_region(self):
        for provider in self:
            provider.phone_region = provider.company_id.country_id.code or False

    def _compute_call_count(self):
        counts = dict(self.env["mlm.call"]._read_group([("provider_id", "in", self.ids)], ["provider_id"], ["__count"]))
        for provider in self:
            provider.call_count = counts.get(provider, 0)

    @api.depends("provider_type", "api_secret", "webhook_token")
    def _compute_webhook_secret_missing(self):
        for provider in self:
            try:
                provider.webhook_secret_missing = not provider._get_provider().webhook_secret()
            except pbx.ProviderError:
                provider.webhook_secret_missing = True

    @api.depends("provider_type")
    def _compute_webhook_url(self):
        base = self.get_base_url()
        for provider in self:
            provider.webhook_url = f"{base}/mlm_telephony/webhook/{provider.id or 0}"

    # ------------------------------------------------------------------ actions
    def action_regenerate_token(self):
        self.check_access("write")
        for provider in self.sudo():
            provider.webhook_token = _new_token()

    def action_view_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("mlm_telephony.mlm_call_action")
        action["domain"] = [("provider_id", "=", self.id)]
        return action

    def action_test_connection(self):
        """Asterisk: log in and ping over AMI; shows the result as a notification."""
        self.ensure_one()
        self.check_access("write")
        if self.provider_type != "asterisk":
            raise UserError(self.env._("Only Asterisk connections can be tested from here."))
        client = self._get_provider().client()
        try:
            client.connect()
            client.ping()
        except (OSError, AmiError, AmiProtocolError) as error:
            raise UserError(self.env._("Connection failed: %(error)s", error=error)) from error
        finally:
            client.close()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"type": "success", "message": self.env._("Connected to %(banner)s", banner=client.banner)},
        }

    # ------------------------------------------------------------------ provider plumbing
    def _provider_config(self):
        """Plain configuration of the provider, secrets included: only for server-side code."""
        self.ensure_one()
        sudo = self.sudo()
        return {
            "type": sudo.provider_type,
            "webhook_token": sudo.webhook_token,
            "ami_host": sudo.ami_host,
            "ami_port": sudo.ami_port,
            "ami_username": sudo.ami_username,
            "ami_secret": sudo.ami_secret,
            "originate_channel": sudo.originate_channel,
            "originate_context": sudo.originate_context,
            "api_url": sudo.api_url,
            "api_key": sudo.api_key,
            "api_secret": sudo.api_secret,
            "recording_base_url": sudo.recording_base_url,
            "replay_window": sudo.replay_window,
            "tzinfo": ZoneInfo(sudo.pbx_timezone or "UTC"),
        }

    def _get_provider(self):
        return pbx.get_provider(self._provider_config())

    def _phone_region(self):
        return (self.phone_region or "").upper() or None

    def _phone_key(self, number):
        return phone_key(number, self._phone_region(), self.internal_number_length or 4)

    # ------------------------------------------------------------------ AMI listener
    def _ami_call_builder(self):
        self.ensure_one()
        length = self.internal_number_length or 4
        return CallBuilder(internal_max_length=length, pbx_tz=ZoneInfo(self.pbx_timezone or "UTC"))

    def _ami_store_reports(self, reports):
        """Store call reports of the AMI listener (list of ``CallRecord``)."""
        self.ensure_one()
        updates = [
            {
                "call_id": r.call_id,
                "direction": r.direction,
                "caller": r.caller,
                "callee": r.callee,
                "extension": r.extension or None,
                "start": r.start,
                "answer": r.answer,
                "end": r.end,
                "status": r.status,
                "duration": r.duration if r.final else None,
                "recording_ref": r.recording,
                "final": r.final,
            }
            for r in reports
        ]
        return self._upsert_calls(updates)

    # ------------------------------------------------------------------ webhooks
    def _record_event(self, key, payload):
        """Remember a webhook event; ``False`` when it was already received (a retry or a replay)."""
        self.ensure_one()
        if not key:
            return True
        self.env.cr.execute(
            SQL(
                """INSERT INTO mlm_telephony_event (provider_id, company_id, key, payload, create_date, write_date,
                                                create_uid, write_uid)
               VALUES (%s, %s, %s, %s, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC', %s, %s)
               ON CONFLICT (provider_id, key) DO NOTHING RETURNING id""",
                self.id,
                self.company_id.id,
                key[:255],
                json.dumps(payload, default=str)[:20000],
                self.env.uid,
                self.env.uid,
            )
        )
        return bool(self.env.cr.fetchone())

    def _check_call_binding(self, binding):
        """``binding`` is ``(key, call id)``: the signed values behind ``key`` may only describe the call id first
        received with them (stored in the events table, shared by every worker). ``True`` when they do."""
        self.ensure_one()
        if not binding:
            return True
        key, call_id = binding
        if self._record_event(key, {"call_id": call_id}):
            return True
        self.env.cr.execute(
            SQL("SELECT payload FROM mlm_telephony_event WHERE provider_id = %s AND key = %s", self.id, key[:255])
        )
        row = self.env.cr.fetchone()
        try:
            first = json.loads(row[0] or "{}").get("call_id") if row else None
        except ValueError:
            first = None
        return first == call_id

    def _handle_webhook(self, request):
        """Authenticate, de-duplicate and apply one webhook; returns ``(http_status, body)``.

        Called by the controller with the provider in sudo (the caller is the PBX, not a user).
        """
        self.ensure_one()
        provider = self._get_provider()
        if not provider.webhook_secret():
            _logger.warning("Telephony provider %s: webhook refused, no secret is configured for it", self.id)
            return 403, {"error": "forbidden"}
        try:
            valid = provider.verify_webhook(request)
        except pbx.SignatureError as error:
            _logger.warning("Telephony provider %s: stale webhook refused: %s", self.id, error)
            return 403, {"error": "stale"}
        if not valid:
            _logger.warning("Telephony provider %s: webhook with a bad signature or token refused", self.id)
            return 403, {"error": "forbidden"}
        result = provider.parse_webhook(request)
        if result.lookup_number is not None:
            return 200, self._caller_id_answer(result.lookup_number)
        if not self._check_call_binding(result.call_binding):
            _logger.warning("Telephony provider %s: signed values replayed for another call refused", self.id)
            return 403, {"error": "replay"}
        payload = {k: v for k, v in request.params.items() if k.lower() not in SECRET_PARAMS}
        if not self._record_event(result.event_key, payload):
            return 200, {"status": "duplicate"}
        calls = self._upsert_calls(result.updates)
        return 200, result.response or {"status": "ok", "calls": calls.ids}

    def _caller_id_answer(self, number):
        info = self._caller_id_info(number)
        if self.provider_type == "itoolabs":
            return {"contact_name": info.get("name") or "", "responsible": info.get("responsible_login") or ""}
        return info

    def _caller_id_info(self, number):
        """Who is ``number``: contact, distributor code and rank, responsible user. One indexed query."""
        self.ensure_one()
        key = self._phone_key(number)
        partner = self.env["res.partner"]._mlm_find_by_phone_keys([key], self.company_id).get(key)
        if not partner:
            return {"number": key, "found": False}
        distributor = partner.mlm_distributor_id
        user = partner.user_id
        return {
            "number": key,
            "found": True,
            "name": partner.display_name,
            "partner_id": partner.id,
            "distributor_code": distributor.code or "",
            "rank": distributor.rank_id.name or "",
            "responsible": user.name or "",
            "responsible_login": user.mlm_pbx_login or "",
            "responsible_extension": user.mlm_phone_extension or "",
        }

    # ------------------------------------------------------------------ calls
    def _claim_call_ids(self, call_ids):
        """Serialise concurrent first reports of one call (two webhooks for a new call at the same time).

        Each new call id is claimed by a row in the webhook event table. If another transaction claimed it and
        committed after our snapshot, PostgreSQL raises a serialization failure (REPEATABLE READ), on which Odoo
        retries the whole request, which then finds the call and updates it instead of creating it twice.
        """
        if not call_ids:
            return
        self.env.cr.execute(
            SQL(
                """INSERT INTO mlm_telephony_event (provider_id, company_id, key, create_date, write_date,
                                                    create_uid, write_uid)
                   SELECT %s, %s, 'call:' || cid, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC', %s, %s
                     FROM unnest(%s::varchar[]) AS cid
                   ON CONFLICT (provider_id, key) DO NOTHING""",
                self.id,
                self.company_id.id,
                self.env.uid,
                self.env.uid,
                sorted(call_ids),
            )
        )

    def _upsert_calls(self, updates):
        """Create or update calls from provider updates (dicts, see ``tools.providers.CALL_KEYS``).

        Idempotent on (provider, provider call id). Numbers are normalised, contacts and users matched with one
        query each; completed calls are logged on the contact's and distributor's chatter, and missed inbound
        calls get a call-back activity.
        """
        self.ensure_one()
        Call = self.env["mlm.call"].sudo()
        updates = [u for u in updates if u.get("call_id")]
        if not updates:
            return Call
        existing = {
            c.provider_call_id: c
            for c in Call.search(
                [
                    ("provider_id", "=", self.id),
                    ("provider_call_id", "in", [u["call_id"] for u in updates]),
                ]
            )
        }
        self._claim_call_ids({u["call_id"] for u in updates} - set(existing))
        region, length = self._phone_region(), self.internal_number_length or 4
        extensions = {u["extension"] for u in updates if u.get("extension")}
        users = self.env["res.users"].sudo()._mlm_find_by_extensions(extensions, self.company_id)
        keys = set()
        for u in updates:
            for number in (u.get("caller"), u.get("callee")):
                if number:
                    keys.add(phone_key(number, region, length))
        partners = self.env["res.partner"]._mlm_find_by_phone_keys(keys, self.company_id)
        to_create, touched, finished = [], Call, Call
        for u in updates:
            vals = self.env["mlm.call"]._prepare_call_vals(self, u, region, length, users, partners)
            call = existing.get(u["call_id"])
            if call:
                was_final = call.is_final
                call.write({k: v for k, v in vals.items() if k != "provider_call_id"})
                touched |= call
                if vals.get("is_final") and not was_final:
                    finished |= call
            elif u["call_id"] not in {v["provider_call_id"] for v in to_create}:
                to_create.append(vals)
            else:
                same = next(v for v in to_create if v["provider_call_id"] == u["call_id"])
                same.update({k: v for k, v in vals.items() if v not in (None, False) or k == "is_final"})
        if to_create:
            created = Call.create(to_create)
            touched |= created
            finished |= created.filtered("is_final")
        if finished:
            finished._on_call_finished()
        return touched

    # ------------------------------------------------------------------ click-to-call
    @api.model
    def _mlm_default_provider(self):
        return self.search([("company_id", "in", self.env.companies.ids)], limit=1)

    @api.model
    def _mlm_click_to_call(self, number, partner=None, provider=None):
        """Ask the PBX to ring the current user's extension and connect it to ``number``."""
        user = self.env.user
        if not number:
            raise UserError(self.env._("There is no phone number to call."))
        provider = provider or user.mlm_telephony_provider_id or self._mlm_default_provider()
        if not provider:
            raise UserError(self.env._("No telephony provider is configured for your company."))
        provider.check_access("read")
        extension = user.mlm_phone_extension
        if provider.provider_type == "itoolabs":
            extension = user.mlm_pbx_login or extension
        if not extension:
            raise UserError(self.env._("Set your phone extension in your user preferences first."))
        target = provider._dial_number(number)
        try:
            provider._get_provider().originate(extension, target)
        except (pbx.ProviderError, AmiError, AmiProtocolError, OSError, requests.RequestException) as error:
            raise UserError(self.env._("The PBX could not place the call: %(error)s", error=error)) from error
        _logger.info(
            "Click-to-call by user %s: extension %s -> %s (partner %s)",
            user.id,
            extension,
            target,
            partner.id if partner else None,
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "Calling %(number)s: pick up your phone (extension %(extension)s).",
                    number=number,
                    extension=extension,
                ),
            },
        }

    def _dial_number(self, number):
        """The number as the PBX dials it: digits, with the international prefix kept for outside numbers."""
        key = self._phone_key(number)
        if not key:
            raise UserError(self.env._("%(number)s is not a phone number.", number=number))
        return key
