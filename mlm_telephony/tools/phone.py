"""Phone number keys for caller-ID matching (plain Python, no ORM).

Every number (on a contact or reported by a PBX) is reduced to one key: the E.164 number without ``+``
(``"8 (701) 123-45-67"`` in Kazakhstan -> ``"77011234567"``). ``phonenumbers`` (the library Odoo's
``phone_validation`` uses) does the national-prefix work; without it, or for numbers it cannot place, the key is
the digits only, so lookups stay exact and indexable.
"""

import re

try:
    import phonenumbers
except ImportError:  # pragma: no cover - phonenumbers is an external dependency of the add-on
    phonenumbers = None

_NON_DIGITS = re.compile(r"\D+")


def digits(number):
    return _NON_DIGITS.sub("", number or "")


def phone_key(number, region=None, internal_max_length=4):
    """Normalised key of ``number``; ``region`` is the ISO country code used for national formats."""
    raw = (number or "").strip()
    only_digits = digits(raw)
    if not only_digits:
        return ""
    if len(only_digits) <= internal_max_length:
        return only_digits  # an internal extension
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    if phonenumbers is not None:
        candidates = [raw] if raw.startswith("+") else [raw, "+" + only_digits]
        for candidate in candidates:
            try:
                parsed = phonenumbers.parse(candidate, (region or "").upper() or None)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_possible_number(parsed):
                return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]
    return only_digits
