import logging
import posixpath
import urllib.parse

import requests
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.phone import phone_key
from ..tools.providers import ProviderError

_logger = logging.getLogger(__name__)
HTTP_TIMEOUT = 30
MAX_RECORDING_BYTES = 64 * 1024 * 1024

DIRECTIONS = [("inbound", "Inbound"), ("outbound", "Outbound"), ("internal", "Internal")]
STATUSES = [
    ("ringing", "Ringing"),
    ("answered", "Answered"),
    ("missed", "Missed"),
    ("no_answer", "Not Answered"),
    ("busy", "Busy"),
    ("failed", "Failed"),
]


class MlmCall(models.Model):
    _name = "mlm.call"
    _description = "Phone Call"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "start desc, id desc"
    _rec_name = "display_number"
    _mail_post_access = "read"

    provider_id = fields.Many2one(
        "mlm.telephony.provider", required=True, ondelete="restrict", index=True, readonly=True
    )
    company_id = fields.Many2one(related="provider_id.company_id", store=True, index=True)
    provider_call_id = fields.Char(string="PBX Call ID", required=True, readonly=True, index=True)
    direction = fields.Selection(DIRECTIONS, required=True, default="inbound", readonly=True)
    status = fields.Selection(STATUSES, required=True, default="ringing", readonly=True, tracking=True, index=True)
    is_final = fields.Boolean(string="Finished", readonly=True)
    caller_number = fields.Char(readonly=True)
    callee_number = fields.Char(readonly=True)
    external_number = fields.Char(
        readonly=True, index="btree_not_null", help="The outside party's number, normalised (E.164 without +)."
    )
    display_number = fields.Char(compute="_compute_display_number")
    extension = fields.Char(readonly=True, index="btree_not_null")
    partner_id = fields.Many2one("res.partner", string="Contact", index="btree_not_null", tracking=True)
    distributor_id = fields.Many2one("mlm.distributor", index="btree_not_null")
    user_id = fields.Many2one("res.users", index="btree_not_null", tracking=True)
    start = fields.Datetime(readonly=True, index=True)
    answer = fields.Datetime(readonly=True)
    end = fields.Datetime(readonly=True)
    duration = fields.Integer(string="Talk Time (s)", readonly=True)
    duration_display = fields.Char(string="Talk Time", compute="_compute_duration_display")
    recording_ref = fields.Char(string="Recording Reference", readonly=True)
    recording_url = fields.Char(string="Recording", readonly=True)
    recording_attachment_id = fields.Many2one("ir.attachment", string="Recording File", readonly=True)
    recording_player = fields.Html(compute="_compute_recording_player", sanitize=False)

    _sql_constraints = [
        ("provider_call_unique", "UNIQUE(provider_id, provider_call_id)", "A call is recorded once per PBX."),
    ]

    @api.depends("external_number", "caller_number", "callee_number", "partner_id")
    def _compute_display_number(self):
        for call in self:
            number = call.external_number or call.caller_number or call.callee_number or ""
            call.display_number = f"{call.partner_id.name} ({number})" if call.partner_id else number

    @api.depends("duration")
    def _compute_duration_display(self):
        for call in self:
            minutes, secs = divmod(call.duration or 0, 60)
            call.duration_display = f"{minutes}:{secs:02d}"

    @api.depends("recording_url", "recording_attachment_id")
    def _compute_recording_player(self):
        for call in self:
            src = (
                f"/web/content/{call.recording_attachment_id.id}"
                if call.recording_attachment_id
                else call.recording_url
            )
            if src and (src.startswith(("https://", "http://", "/web/content/"))):
                player = Markup('<audio controls="controls" preload="none" src="{}"></audio>')
                call.recording_player = player.format(src)
            else:
                call.recording_player = False

    # ------------------------------------------------------------------ building
    @api.model
    def _prepare_call_vals(self, provider, update, region, length, users, partners):
        """Values of ``mlm.call`` for one provider update; ``None`` in the update means "unchanged"."""
        direction = update.get("direction")
        caller, callee = update.get("caller"), update.get("callee")
        external = callee if direction == "outbound" else caller if direction == "inbound" else None
        vals = {"provider_call_id": update["call_id"], "provider_id": provider.id}
        simple = {
            "direction": direction,
            "caller_number": caller,
            "callee_number": callee,
            "extension": update.get("extension"),
            "start": update.get("start"),
            "answer": update.get("answer"),
            "end": update.get("end"),
            "status": update.get("status"),
            "duration": update.get("duration"),
            "recording_ref": update.get("recording_ref"),
            "recording_url": update.get("recording_url"),
        }
        vals.update({k: v for k, v in simple.items() if v is not None})
        for name in ("start", "answer", "end"):
            if vals.get(name):
                vals[name] = vals[name].replace(microsecond=0)  # Odoo datetimes are to the second
        if update.get("final"):
            vals["is_final"] = True
        if external:
            key = phone_key(external, region, length)
            vals["external_number"] = key
            partner = partners.get(key)
            if partner:
                vals["partner_id"] = partner.id
                vals["distributor_id"] = partner.mlm_distributor_id.id
        user = users.get(update.get("extension") or "")
        if user:
            vals["user_id"] = user.id
        if vals.get("recording_ref") and not vals.get("recording_url") and provider.provider_type == "asterisk":
            vals["recording_url"] = provider._get_provider().recording_url(vals["recording_ref"])
        return vals

    def _on_call_finished(self):
        """Follow-ups of finished calls: chatter notes, call-back activities for missed inbound calls."""
        self._log_on_chatter()
        missed = self.filtered(lambda c: c.direction == "inbound" and c.status in ("missed", "busy"))
        if missed:
            missed._schedule_callback()

    def _chatter_body(self):
        self.ensure_one()
        labels = dict(self._fields["status"]._description_selection(self.env))
        directions = dict(self._fields["direction"]._description_selection(self.env))
        return Markup("{}<br/>{}").format(
            self.env._(
                "%(direction)s call, %(status)s, talk time %(duration)s",
                direction=directions.get(self.direction),
                status=labels.get(self.status),
                duration=self.duration_display,
            ),
            self.env._(
                "Number: %(number)s, user: %(user)s",
                number=self.external_number or self.caller_number or "",
                user=self.user_id.name or self.extension or "-",
            ),
        )

    def _log_on_chatter(self):
        with_partner = self.filtered("partner_id")
        if not with_partner:
            return
        bodies = {call.partner_id.id: call._chatter_body() for call in with_partner}
        with_partner.partner_id._message_log_batch(bodies=bodies)
        with_dist = with_partner.filtered("distributor_id")
        if with_dist:
            with_dist.distributor_id._message_log_batch(
                bodies={call.distributor_id.id: bodies[call.partner_id.id] for call in with_dist}
            )

    def _callback_user(self):
        self.ensure_one()
        return (
            self.user_id
            or self.partner_id.user_id
            or self.provider_id.callback_user_id
            or self.env.ref("base.user_admin", raise_if_not_found=False)
        )

    def _schedule_callback(self):
        activity_type = self.env.ref("mail.mail_activity_data_call", raise_if_not_found=False)
        vals_list = []
        model_id = self.env["ir.model"]._get_id(self._name)
        for call in self:
            user = call._callback_user()
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": call.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": self.env._(
                        "Call back %(number)s", number=call.external_number or call.caller_number or ""
                    ),
                    "note": escape(
                        self.env._("Missed call at %(time)s", time=fields.Datetime.to_string(call.start) or "")
                    ),
                    "user_id": user.id if user else self.env.uid,
                    "date_deadline": fields.Date.context_today(self),
                }
            )
        self.env["mail.activity"].sudo().create(vals_list)

    # ------------------------------------------------------------------ actions
    def action_call_back(self):
        self.ensure_one()
        number = self.external_number or self.caller_number
        return self.env["mlm.telephony.provider"]._mlm_click_to_call(number, self.partner_id, provider=self.provider_id)

    def action_fetch_recording(self):
        """Download the recordings of these calls into attachments (cloud PBX links expire)."""
        self.check_access("write")
        failed = self.sudo()._store_recordings()
        if failed:
            raise UserError(self.env._("The recording could not be downloaded: %(error)s", error=failed[0][1]))
        return True

    def _store_recordings(self):
        """Fetch each call's recording into an ``ir.attachment``; returns ``[(call, error)]`` for failures."""
        failed, vals_list, calls = [], [], []
        for call in self.filtered(lambda c: (c.recording_ref or c.recording_url) and not c.recording_attachment_id):
            try:
                url = call.recording_url or call.provider_id._get_provider().recording_url(call.recording_ref)
                if not url:
                    continue
                data, mimetype = self._download(url)
            except (requests.RequestException, ProviderError, ValueError) as error:
                _logger.warning("Recording of call %s not downloaded: %s", call.id, error)
                failed.append((call, error))
                continue
            calls.append((call, url))
            vals_list.append(
                {
                    "name": posixpath.basename(urllib.parse.urlparse(url).path) or f"call-{call.id}.wav",
                    "raw": data,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": call.id,
                }
            )
        attachments = self.env["ir.attachment"].create(vals_list)
        for (call, url), attachment in zip(calls, attachments, strict=True):
            call.write({"recording_attachment_id": attachment.id, "recording_url": url})
        return failed

    @api.model
    def _download(self, url):
        if not url.startswith(("https://", "http://")):
            raise ValueError("not an HTTP address")
        with requests.get(url, timeout=HTTP_TIMEOUT, stream=True) as response:
            response.raise_for_status()
            chunks, size = [], 0
            for chunk in response.iter_content(65536):
                size += len(chunk)
                if size > MAX_RECORDING_BYTES:
                    raise ValueError(f"recording larger than {MAX_RECORDING_BYTES} bytes")
                chunks.append(chunk)
            mimetype = (response.headers.get("Content-Type") or "audio/mpeg").split(";")[0]
        return b"".join(chunks), mimetype

    @api.model
    def cron_store_recordings(self, limit=50):
        """Keep a copy of recent recordings of the PBXs whose links expire (``store_recordings``)."""
        calls = self.search(self._get_recordings_to_store_domain(), limit=limit, order="end desc")
        return calls._store_recordings()

    @api.model
    def _get_recordings_to_store_domain(self):
        return [
            ("provider_id.store_recordings", "=", True),
            ("is_final", "=", True),
            ("recording_attachment_id", "=", False),
            "|",
            ("recording_ref", "!=", False),
            ("recording_url", "!=", False),
            ("end", ">=", fields.Datetime.subtract(fields.Datetime.now(), days=7)),
        ]
