"""SMSC.kz / SMSC.ru HTTP gateway (plain Python, no ORM).

``send`` posts one message text to a list of phones (``/sys/send.php``, JSON answer ``fmt=3``) under our own
message id; SMSC then calls our status URL once per phone with ``id``, ``phone`` and ``status``.
``status_to_sms_state`` maps those codes to the states and failure types of Odoo's ``sms`` module.

Formats as documented by SMSC (smsc.kz/api/http/, smsc.ru/api/http/, the same API) and its own client libraries
(``smsc_api.php``/``smsc_api.cs``, "SMSC.RU API"): ``id`` is "a 32-bit number from 1 to 2147483647"; a send answers
``{"id": <id>, "cnt": <sms parts>}`` or ``{"error": "<text>", "error_code": <N>}`` (``fmt=3``).
"""

import requests

HTTP_TIMEOUT = 20
DEFAULT_URL = "https://smsc.kz/sys/send.php"

MAX_MESSAGE_ID = 2147483647
# Errors of send.php -> the "IAP states" Odoo's sms.sms understands (IAP_TO_SMS_FAILURE_TYPE); the others
# (1 bad parameters, 4 IP blocked, 5 bad date, 6 text or sender forbidden, 8 number not reachable, 9 too many
# identical requests) are kept as provider errors with their own code.
SEND_ERRORS = {
    2: "unregistered",  # wrong login or password
    3: "insufficient_credit",
    7: "wrong_number_format",
}
# Delivery statuses of the callback (and of status.php) -> (sms state, failure type); -3 "message not found" and
# unknown negative codes change nothing.
DELIVERY_STATES = {
    -1: ("pending", False),  # waiting to be sent
    0: ("pending", False),  # handed to the operator
    1: ("sent", False),  # delivered
    2: ("sent", False),  # read
    4: ("sent", False),  # link opened
    3: ("error", "sms_expired"),
    20: ("error", "sms_not_delivered"),
    22: ("error", "sms_invalid_destination"),
    23: ("error", "sms_not_allowed"),
    24: ("error", "sms_credit"),
    25: ("error", "sms_invalid_destination"),
}


class SmscError(Exception):
    pass


def send(url, login, password, phones, text, message_id, sender=None):
    """Send ``text`` to ``phones``; returns ``(ok, state)`` where ``state`` is an Odoo IAP-like state."""
    if not 1 <= int(message_id) <= MAX_MESSAGE_ID:
        raise SmscError(f"SMSC message ids are 1 to {MAX_MESSAGE_ID}, not {message_id}")
    payload = {
        "login": login,
        "psw": password,
        "phones": ",".join(phones),
        "mes": text,
        "id": message_id,
        "fmt": 3,
        "charset": "utf-8",
    }
    if sender:
        payload["sender"] = sender
    response = requests.post(url or DEFAULT_URL, data=payload, timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    try:
        data = response.json()
    except ValueError as error:
        raise SmscError("SMSC answered without JSON") from error
    if "error_code" in data or "error" in data:
        code = int(data.get("error_code") or 0)
        return False, SEND_ERRORS.get(code, f"smsc_error_{code}")
    return True, "success"


def status_to_sms_state(status):
    try:
        code = int(status)
    except (TypeError, ValueError):
        return None
    return DELIVERY_STATES.get(code, ("error", "sms_not_delivered") if code > 4 else None)
