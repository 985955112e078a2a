"""Telegram Bot API client, webhook parsing and a send-rate limiter (plain Python, no ORM).

Formats from the Bot API documentation (core.telegram.org/bots/api):

* every method is ``POST https://api.telegram.org/bot<token>/<method>`` with a JSON body; the answer is
  ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description": "...",
  "parameters": {"retry_after": seconds}}`` (``retry_after`` with 429 "Too Many Requests");
* ``sendMessage(chat_id, text)`` returns the sent ``Message`` (``message_id``); text is 1-4096 characters;
* ``setWebhook(url, secret_token, allowed_updates)``: Telegram then POSTs each ``Update`` as JSON with the header
  ``X-Telegram-Bot-Api-Secret-Token`` (1-256 characters ``A-Za-z0-9_-``), and retries until it gets HTTP 200;
* an ``Update`` has a unique increasing ``update_id``; ``message.chat.id`` identifies the chat, ``message.text`` the
  command; deep links ``https://t.me/<bot>?start=<payload>`` send ``/start <payload>`` (payload up to 64
  characters ``A-Za-z0-9_-``);
* answering a webhook with ``{"method": "sendMessage", ...}`` makes Telegram send that message (no extra request);
* broadcast limits: about 30 messages per second over all chats.
"""

import hmac
import re
import threading
import time
from dataclasses import dataclass

import requests

DEFAULT_API_URL = "https://api.telegram.org"
HTTP_TIMEOUT = 20
MAX_TEXT = 4096
MAX_UPDATE_BYTES = 256 * 1024
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_COMMAND_RE = re.compile(r"^/(?P<command>[A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]+)?(?:\s+(?P<arg>\S.*))?$", re.DOTALL)


class TelegramError(Exception):
    """A Bot API call failed. ``retryable`` errors (429, 5xx, network) may be tried again after ``retry_after``
    seconds; the others (400 chat not found, 403 blocked by the user, 401 bad token) will fail again."""

    def __init__(self, message, code=None, retry_after=None, retryable=False):
        super().__init__(message)
        self.code = code
        self.retry_after = retry_after
        self.retryable = retryable

    @property
    def chat_unreachable(self):
        """The user blocked the bot or the chat is gone: stop writing to it."""
        return self.code == 403 or (self.code == 400 and "chat not found" in str(self).lower())


def call(api_url, token, method, payload, timeout=HTTP_TIMEOUT, session=None):
    """Call one Bot API method; returns its ``result`` or raises :class:`TelegramError`."""
    url = "{}/bot{}/{}".format((api_url or DEFAULT_API_URL).rstrip("/"), token, method)
    try:
        response = (session or requests).post(url, json=payload, timeout=timeout)
    except requests.RequestException as error:
        raise TelegramError(f"Telegram unreachable: {error.__class__.__name__}", retryable=True) from error
    try:
        data = response.json()
    except ValueError:
        data = {}
    if response.status_code == 200 and data.get("ok"):
        return data.get("result")
    code = data.get("error_code") or response.status_code
    retry_after = (data.get("parameters") or {}).get("retry_after")
    description = data.get("description") or f"HTTP {response.status_code}"
    raise TelegramError(description, code=code, retry_after=retry_after, retryable=code == 429 or code >= 500)


def send_message(api_url, token, chat_id, text, session=None):
    """``sendMessage``; returns the Telegram ``message_id``."""
    result = call(
        api_url,
        token,
        "sendMessage",
        {"chat_id": chat_id, "text": text[:MAX_TEXT], "link_preview_options": {"is_disabled": True}},
        session=session,
    )
    return (result or {}).get("message_id")


def set_webhook(api_url, token, url, secret_token):
    if not SECRET_RE.match(secret_token or ""):
        raise ValueError("a webhook secret is 1-256 characters A-Z, a-z, 0-9, _ and -")
    payload = {"url": url, "secret_token": secret_token, "allowed_updates": ["message"]}
    return call(api_url, token, "setWebhook", payload)


def get_me(api_url, token):
    return call(api_url, token, "getMe", {})


def check_secret(given, expected):
    return bool(given) and bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


@dataclass
class Update:
    update_id: int
    chat_id: int | None = None
    chat_type: str | None = None
    username: str | None = None
    name: str | None = None
    command: str | None = None
    argument: str | None = None


def parse_update(data):
    """An :class:`Update` from a decoded webhook body, or ``None`` when it is not an update at all."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return None
    update = Update(update_id=data["update_id"])
    message = data.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return update
    chat, sender = message["chat"], message.get("from") or {}
    if isinstance(chat.get("id"), int):
        update.chat_id = chat["id"]
        update.chat_type = chat.get("type")
    update.username = (sender.get("username") or chat.get("username") or "")[:64] or None
    name = " ".join(filter(None, [sender.get("first_name"), sender.get("last_name")]))
    update.name = name[:128] or None
    match = _COMMAND_RE.match((message.get("text") or "").strip())
    if match:
        update.command = match["command"].lower()
        update.argument = (match["arg"] or "").strip() or None
    return update


def reply(chat_id, text):
    """A webhook answer that makes Telegram send ``text`` to the chat."""
    return {"method": "sendMessage", "chat_id": chat_id, "text": text[:MAX_TEXT]}


class RateLimiter:
    """At most ``rate`` acquisitions per second, evenly spaced (one every ``1 / rate`` seconds, no burst, so no
    one-second window ever holds more than ``rate``); thread-safe. ``clock`` and ``sleep`` are injectable."""

    def __init__(self, rate, clock=time.monotonic, sleep=time.sleep):
        self.rate = max(float(rate), 0.1)
        self.clock, self.sleep = clock, sleep
        self._next = None
        self._lock = threading.Lock()
        self.waited = 0.0

    def acquire(self):
        with self._lock:
            now = self.clock()
            if self._next is not None and now < self._next:
                wait = self._next - now
                self.sleep(wait)
                self.waited += wait
                now = self._next
            self._next = now + 1 / self.rate
