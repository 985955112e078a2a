"""PBX providers: one documented interface, one thin class per PBX (plain Python, no ORM).

A provider receives its configuration as a plain ``dict`` (built by ``mlm.telephony.provider._provider_config``)
and exchanges plain data with the models:

* ``originate(extension, number)`` - click-to-call: ring the user's extension, then connect it to ``number``;
  returns the provider's id of the new call when it gives one.
* ``webhook_secret()`` - the shared secret webhooks are checked against; a provider without one refuses every
  webhook (a key left empty must never make an empty signature valid).
* ``verify_webhook(request)`` - authenticate an incoming webhook (:class:`WebhookRequest`); ``True``/``False``,
  :class:`SignatureError` when it is signed but stale (outside the provider's replay window).
* ``parse_webhook(request)`` - turn an authenticated webhook into a :class:`WebhookResult`: call updates (dicts
  with the keys of :data:`CALL_KEYS`, ``None`` meaning "unknown, keep what is stored"), the idempotency key of
  the event, and optionally a caller-ID question to answer.
* ``recording_url(ref)`` - where the recording of a call can be downloaded, given the provider's reference.

Adding a PBX = one subclass decorated with ``@register("code")`` plus the selection value on the model.
"""

import base64
import hashlib
import hmac
import posixpath
import re
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import requests

from .ami_client import AmiClient

UTC = timezone.utc  # datetime.UTC needs Python 3.11; Odoo 18 supports 3.10

CALL_KEYS = (
    "call_id",
    "direction",
    "caller",
    "callee",
    "extension",
    "start",
    "answer",
    "end",
    "status",
    "duration",
    "recording_ref",
    "recording_url",
    "final",
    "pbx_user",
)
HTTP_TIMEOUT = 15
PROVIDERS = {}


class ProviderError(Exception):
    """The PBX refused or failed a request (message safe to show to the user)."""


class SignatureError(Exception):
    """A webhook failed authentication or is stale (replayed outside the accepted window)."""


@dataclass
class WebhookRequest:
    method: str
    headers: dict
    params: dict
    body: bytes = b""
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))


@dataclass
class WebhookResult:
    updates: list = field(default_factory=list)
    event_key: str | None = None
    # (key, call id): the signed values of the event may only ever describe this call (see ZadarmaProvider)
    call_binding: tuple | None = None
    lookup_number: str | None = None  # the PBX asks "who is this number?"
    response: object = None  # body to answer when there is no lookup


def register(code):
    def decorator(cls):
        cls.code = code
        PROVIDERS[code] = cls
        return cls

    return decorator


def get_provider(config):
    try:
        cls = PROVIDERS[config["type"]]
    except KeyError as error:
        raise ProviderError("Unknown PBX type {!r}".format(config.get("type"))) from error
    return cls(config)


def _update(**values):
    return {key: values.get(key) for key in CALL_KEYS}


def _compare(given, expected):
    return bool(given) and bool(expected) and hmac.compare_digest(str(given).encode(), str(expected).encode())


class TelephonyProvider:
    """Base class; see the module docstring for the contract of each method."""

    code = None

    def __init__(self, config):
        self.config = config

    def originate(self, extension, number):
        raise ProviderError("Click-to-call is not available for this PBX")

    def webhook_secret(self):
        return self.config.get("webhook_token") or ""

    def verify_webhook(self, request):
        token = request.headers.get("X-Mlm-Token") or request.params.get("token")
        return _compare(token, self.webhook_secret())

    def _check_window(self, request, moment, raw):
        """Refuse an event whose own timestamp is missing or outside the replay window, in either direction.

        Within the window, replays are caught by the events table (``mlm.telephony.event``), which keeps events
        much longer than any window: the two together refuse every replay."""
        window = timedelta(seconds=self.config.get("replay_window") or 86400)
        if moment is None or abs(request.received_at - moment) > window:
            raise SignatureError(f"stale or undated notification (time {raw!r})")

    def parse_webhook(self, request):
        number = request.params.get("number") or request.params.get("phone")
        return WebhookResult(lookup_number=number)

    def recording_url(self, ref):
        base = self.config.get("recording_base_url")
        if not ref or not base:
            return None
        return base.rstrip("/") + "/" + urllib.parse.quote(posixpath.basename(ref))


@register("asterisk")
class AsteriskProvider(TelephonyProvider):
    """Asterisk: calls come from the AMI listener; click-to-call by ``Originate``; caller ID by webhook."""

    def client(self):
        cfg = self.config
        return AmiClient(
            cfg["ami_host"], cfg["ami_port"], cfg["ami_username"], cfg["ami_secret"], timeout=cfg.get("timeout") or 10
        )

    def originate(self, extension, number):
        cfg = self.config
        channel = (cfg.get("originate_channel") or "Local/{extension}@from-internal").format(extension=extension)
        client = self.client()
        try:
            client.connect()
            response = client.originate(
                channel,
                cfg.get("originate_context") or "from-internal",
                number,
                caller_id=f"{number} <{number}>",
                variables={"MLM_DIAL": number, "MLM_EXTENSION": extension},
            )
        finally:
            client.close()
        return response.get("actionid")


# Zadarma signs ``base64(hex(HMAC-SHA1(api_secret, concatenated fields)))`` in the ``Signature`` header, the
# fields depending on the event (see the PHP examples of Zadarma's API documentation, "Notifications in PBX").
# Neither ``event`` nor ``pbx_call_id`` (except in NOTIFY_RECORD) is signed: the replay protection therefore rests
# on the signed values, see ZadarmaProvider.verify_webhook and parse_webhook.
ZADARMA_SIGNED = {
    "NOTIFY_START": ("caller_id", "called_did", "call_start"),
    "NOTIFY_INTERNAL": ("caller_id", "called_did", "call_start"),
    "NOTIFY_IVR": ("caller_id", "called_did", "call_start"),
    "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
    "NOTIFY_END": ("caller_id", "called_did", "call_start"),
    "NOTIFY_OUT_START": ("internal", "destination", "call_start"),
    "NOTIFY_OUT_END": ("internal", "destination", "call_start"),
    "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
}
# NotifyEnd.php: 'answered', 'busy', 'cancel', 'no answer', 'failed', 'no money', 'unallocated number', 'no limit',
# 'no day limit', 'line limit', 'no money, no limit'; everything not listed here is a failure.
ZADARMA_DISPOSITION = {"answered": "answered", "busy": "busy", "cancel": "missed", "no answer": "missed"}


def zadarma_signature(secret, text):
    """``base64(hex(HMAC-SHA1(secret, text)))``: Zadarma encodes the hexadecimal digest, not the raw bytes."""
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


def zadarma_api_auth(key, secret, method, params):
    """``Authorization`` header of Zadarma's REST API (v1) for ``method`` (e.g. ``/v1/request/callback/``)."""
    query = urllib.parse.urlencode(sorted(params.items()))
    text = method + query + hashlib.md5(query.encode()).hexdigest()
    return f"{key}:{zadarma_signature(secret, text)}"


@register("zadarma")
class ZadarmaProvider(TelephonyProvider):
    """Zadarma cloud PBX: ``NOTIFY_*`` webhooks signed with the API secret, REST API for callback and records."""

    def _time(self, value):
        tz = self.config.get("tzinfo") or UTC
        try:
            local = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
        except (TypeError, ValueError):
            return None
        return local.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)

    def webhook_secret(self):
        return self.config.get("api_secret") or ""

    def verify_webhook(self, request):
        """The ``Signature`` header over the event's signed fields, with the API secret; the ``call_start`` of the
        event (signed) must be within the replay window."""
        fields = ZADARMA_SIGNED.get(request.params.get("event"))
        secret = self.webhook_secret()
        if not fields or not secret:
            return False
        expected = zadarma_signature(secret, "".join(request.params.get(name, "") for name in fields))
        if not _compare(request.headers.get("Signature"), expected):
            return False
        if "call_start" in fields:
            raw = request.params.get("call_start")
            self._check_window(request, self._time(raw), raw)
        return True

    @staticmethod
    def replay_keys(params):
        """``(event key, call binding)`` of a notification, built from what Zadarma signs only.

        * The event key is the event name plus the digest of the signed text exactly as signed (concatenated:
          moving characters from one signed field to the next keeps a valid signature, so it must keep the key).
          A captured notification replayed with other unsigned values (``pbx_call_id``, ``duration``,
          ``disposition``...) has the same key and is ignored as a duplicate.
        * The binding ties the signed values to the ``pbx_call_id`` first seen with them: the same signed values
          under another event name (``event`` is not signed either) cannot create another call. Not needed for
          NOTIFY_RECORD, whose ``pbx_call_id`` is signed.

        A consequence: of several NOTIFY_INTERNAL of one call (ringing extensions in turn, same signed values),
        only the first is applied; NOTIFY_END brings the extension that answered.
        """
        event = params.get("event", "")
        fields = ZADARMA_SIGNED.get(event, ())
        text = "".join(params.get(name, "") for name in fields)
        digest = hashlib.sha256(text.encode()).hexdigest()
        binding = None
        if "pbx_call_id" not in fields:
            binding = ("zadarma-call:{}:{}".format("+".join(fields), digest), params.get("pbx_call_id") or "")
        return f"zadarma:{event}:{digest}", binding

    def parse_webhook(self, request):
        p = request.params
        event = p.get("event", "")
        call_id = p.get("pbx_call_id")
        key, binding = self.replay_keys(p)
        start = self._time(p.get("call_start"))
        now = request.received_at
        if event in ("NOTIFY_START", "NOTIFY_INTERNAL"):
            upd = _update(
                call_id=call_id,
                direction="inbound",
                caller=p.get("caller_id"),
                callee=p.get("called_did"),
                extension=p.get("internal"),
                start=start,
                status="ringing",
                final=False,
            )
        elif event == "NOTIFY_ANSWER":
            upd = _update(
                call_id=call_id,
                direction="inbound",
                caller=p.get("caller_id"),
                extension=p.get("destination") or p.get("internal"),
                start=start,
                answer=now,
                status="answered",
                final=False,
            )
        elif event in ("NOTIFY_END", "NOTIFY_OUT_END"):
            outbound = event == "NOTIFY_OUT_END"
            duration = int(p.get("duration") or 0)
            status = ZADARMA_DISPOSITION.get(p.get("disposition", ""), "failed")
            if outbound and status == "missed":
                status = "no_answer"
            answered = status == "answered"
            upd = _update(
                call_id=call_id,
                direction="outbound" if outbound else "inbound",
                caller=p.get("internal") if outbound else p.get("caller_id"),
                callee=p.get("destination") if outbound else p.get("called_did"),
                extension=p.get("internal"),
                start=start,
                end=now,
                answer=now - timedelta(seconds=duration) if answered else None,
                duration=duration if answered else 0,
                status=status,
                final=True,
                recording_ref=p.get("call_id_with_rec") if p.get("is_recorded") == "1" else None,
            )
        elif event == "NOTIFY_OUT_START":
            upd = _update(
                call_id=call_id,
                direction="outbound",
                caller=p.get("internal"),
                callee=p.get("destination"),
                extension=p.get("internal"),
                start=start,
                status="ringing",
                final=False,
            )
        elif event == "NOTIFY_RECORD":
            upd = _update(call_id=call_id, recording_ref=p.get("call_id_with_rec"))
        else:
            return WebhookResult(event_key=key, call_binding=binding)
        return WebhookResult(updates=[upd], event_key=key, call_binding=binding)

    def _api(self, method, params):
        cfg = self.config
        params = {**params, "format": "json"}
        url = (cfg.get("api_url") or "https://api.zadarma.com").rstrip("/") + method
        headers = {
            "Authorization": zadarma_api_auth(cfg.get("api_key") or "", cfg.get("api_secret") or "", method, params)
        }
        response = requests.get(url, params=sorted(params.items()), headers=headers, timeout=HTTP_TIMEOUT)
        try:
            data = response.json()
        except ValueError as error:
            raise ProviderError(f"Zadarma answered HTTP {response.status_code} without JSON") from error
        if data.get("status") != "success":
            raise ProviderError(data.get("message") or "Zadarma error")
        return data

    def originate(self, extension, number):
        self._api("/v1/request/callback/", {"from": extension, "to": number})

    def recording_url(self, ref):
        if not ref:
            return None
        data = self._api("/v1/pbx/record/request/", {"call_id": ref, "lifetime": 5184000})
        # PbxRecordRequest: "link", or "links" (a list) when the call has several recordings.
        return data.get("link") or next(iter(data.get("links") or []), None)


# The ITooLabs "CRM API" (MegaFon Virtual PBX, Kcell, Moldcell, Gravitel... run the same platform). Sources, see
# readme/CONFIGURE.md: the PBX posts form fields ``cmd``, ``crm_token`` and, for
#   history: type (in|out|missed), status, phone, user, ext, groupRealName, telnum, diversion,
#            start (YYYYmmddTHHMMSSZ, UTC), duration, callid, link, rating
#   event:   type (INCOMING|ACCEPTED|COMPLETED|CANCELLED|OUTGOING|TRANSFERRED), direction (in|out, newer PBX
#            versions), phone, diversion, user, ext, groupRealName, telnum, callid
#   contact: phone, callid; answer JSON {"contact_name", "responsible"} (responsible = PBX login)
ITOOLABS_HISTORY_STATUS = {
    "success": "answered",
    "missed": "missed",
    "cancel": "missed",
    "busy": "busy",
    "notavailable": "failed",
    "notallowed": "failed",
    "notfound": "failed",
}
ITOOLABS_EVENT_STATUS = {
    "INCOMING": "ringing",
    "OUTGOING": "ringing",
    "ACCEPTED": "answered",
    "COMPLETED": "answered",
    "CANCELLED": "missed",
    "TRANSFERRED": "answered",
}
ITOOLABS_API_PATH = "/sys/crm_api.wcgp"
_CALL_ID = re.compile(r"^[\w.:@-]{1,128}$")


@register("itoolabs")
class IToolabsProvider(TelephonyProvider):
    """ITooLabs / MegaFon "Virtual PBX" CRM API: the PBX posts ``cmd=history|event|contact`` with ``crm_token``;
    click-to-call is the ``makeCall`` command posted to the PBX's ``/sys/crm_api.wcgp`` with the PBX's own token."""

    def verify_webhook(self, request):
        """``crm_token`` is a shared token, not a signature: whoever captured a request can forge others, so the
        protection against replays is the de-duplication (one ``history`` per call id, one event of each type per
        call id) plus, for ``history``, its ``start`` (UTC) within the replay window."""
        if not _compare(request.params.get("crm_token"), self.webhook_secret()):
            return False
        if request.params.get("cmd") == "history":
            raw = request.params.get("start")
            self._check_window(request, self._time(raw), raw)
        return True

    @staticmethod
    def _time(value):
        for fmt in ("%Y%m%dT%H%M%SZ", "%Y-%m-%dT%H:%M:%SZ"):
            try:
                return datetime.strptime(value or "", fmt)
            except ValueError:
                continue
        return None

    @staticmethod
    def _is_outbound(params):
        """``history`` says it in ``type`` (in/out/missed); ``event`` in ``direction`` (in/out) when the PBX sends
        it, otherwise only the ``OUTGOING`` event tells an outbound call (later events then keep what is stored)."""
        if params.get("cmd") == "history":
            return (params.get("type") or "").lower() == "out"
        direction = (params.get("direction") or "").lower()
        if direction:
            return direction == "out"
        return (params.get("type") or "").upper() == "OUTGOING"

    def parse_webhook(self, request):
        p = request.params
        cmd, kind, call_id = p.get("cmd", ""), p.get("type", ""), p.get("callid")
        # One history per call whatever its type (in/out/missed), one event of each type per call.
        key = f"history:{call_id}" if cmd == "history" else f"{cmd}:{kind}:{call_id}"
        if cmd == "contact":
            return WebhookResult(event_key=None, lookup_number=p.get("phone"))
        outbound = self._is_outbound(p)
        ext = p.get("ext") or None
        phone = p.get("phone")
        ends = {"caller": ext, "callee": phone} if outbound else {"caller": phone, "callee": p.get("diversion") or ext}
        direction = "outbound" if outbound else "inbound"
        if cmd == "history":
            upd = self._history_update(p, request, direction, ends)
        elif cmd == "event":
            known = bool(p.get("direction")) or kind in ("INCOMING", "OUTGOING")
            upd = self._event_update(p, request, direction if known else None, ends)
        else:
            return WebhookResult(event_key=key, response={"error": "unknown command"})
        return WebhookResult(updates=[upd], event_key=key)

    def _history_update(self, p, request, direction, ends):
        start = self._time(p.get("start"))
        duration = int(p.get("duration") or 0)
        status = ITOOLABS_HISTORY_STATUS.get((p.get("status") or "").lower(), "failed")
        if (p.get("type") or "").lower() == "missed":
            status = "missed"
        if direction == "outbound" and status == "missed":
            status = "no_answer"
        answered = status == "answered"
        end = start + timedelta(seconds=duration) if start else request.received_at
        return _update(
            call_id=p.get("callid"),
            direction=direction,
            extension=p.get("ext") or None,
            start=start,
            end=end,
            answer=end - timedelta(seconds=duration) if answered else None,
            duration=duration if answered else 0,
            status=status,
            final=True,
            recording_url=p.get("link") or None,
            pbx_user=p.get("user"),
            **ends,
        )

    def _event_update(self, p, request, direction, ends):
        kind = p.get("type", "")
        status = ITOOLABS_EVENT_STATUS.get(kind)
        values = {"answer": request.received_at} if kind == "ACCEPTED" else {}
        if kind in ("INCOMING", "OUTGOING"):
            values["start"] = request.received_at
        if kind in ("COMPLETED", "CANCELLED"):
            # "history" brings the exact figures; the event only says the call is over.
            status = None
        if direction is None:
            # An old PBX without "direction": do not guess the ends of a call seen first by this event.
            ends = {"caller": None, "callee": None}
        return _update(
            call_id=p.get("callid"),
            direction=direction,
            extension=p.get("ext") or None,
            status=status,
            final=False,
            pbx_user=p.get("user"),
            **ends,
            **values,
        )

    def originate(self, extension, number):
        """``makeCall``: the PBX rings ``user`` (login, extension or phone) first, then dials ``phone`` (digits
        only, no leading +). It answers HTTP 200 with the new call's id (bare text or JSON), 400/401 with
        ``{"error": ...}``."""
        cfg = self.config
        if not cfg.get("api_url"):
            raise ProviderError("The PBX API address is not configured")
        url = cfg["api_url"].rstrip("/")
        if not url.endswith(ITOOLABS_API_PATH):
            url += ITOOLABS_API_PATH
        data = {
            "cmd": "makeCall",
            "phone": re.sub(r"\D", "", number),
            "user": extension,
            "token": cfg.get("api_key") or "",
        }
        response = requests.post(url, data=data, timeout=HTTP_TIMEOUT)
        try:
            body = response.json()
        except ValueError:
            body = response.text.strip()
        if response.status_code != 200:
            error = body.get("error") if isinstance(body, dict) else None
            raise ProviderError(
                "The PBX refused the call (HTTP {}{})".format(response.status_code, f": {error}" if error else "")
            )
        if isinstance(body, dict):
            body = body.get("uuid") or body.get("callid") or body.get("CallID")
        call_id = str(body).strip() if isinstance(body, (str, int)) else ""
        return call_id if _CALL_ID.match(call_id) else None
