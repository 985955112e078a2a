# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The CommerceML "обмен с сайтом" HTTP protocol, as 1C's standard web-exchange client plays it.

Plain Python, no ORM: request validation and the exact text of the answers.

Sequence for the catalog: ``checkauth`` -> ``init`` -> ``file`` (one or more parts per file,
appended) -> ``import`` (repeated while we answer ``progress``) -> ``success``/``failure``.
Sequence for orders: ``checkauth`` -> ``init`` -> ``query`` -> ``success``; then 1C may send
``file`` (order changes) and ``import``.
"""

import os
import re

TYPES = ("catalog", "sale")
MODES = {
    "catalog": ("checkauth", "init", "file", "import", "deactivate", "complete"),
    "sale": ("checkauth", "init", "query", "success", "file", "import", "info"),
}
COOKIE_NAME = "onec_exchange"
_FILENAME_RE = re.compile(r"^[\w .\-()/]+$", re.UNICODE)


class ProtocolError(ValueError):
    """A request that breaks the protocol; ``str(exc)`` is the English reason (translated by the caller)."""


def check_type_mode(exchange_type, mode):
    if exchange_type not in TYPES:
        raise ProtocolError("unknown type")
    if mode not in MODES[exchange_type]:
        raise ProtocolError("unknown mode")


def safe_filename(filename):
    """Validate the ``filename`` 1C sends (``import.xml``, ``import_files/ab/cd.jpg``, ``offers0_1.xml``).

    Returns a normalised relative path; refuses absolute paths and ``..``.
    """
    name = (filename or "").replace("\\", "/").strip()
    if not name or not _FILENAME_RE.match(name) or name.startswith("/"):
        raise ProtocolError("invalid file name")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if not parts or any(part == ".." for part in parts):
        raise ProtocolError("invalid file name")
    return os.path.join(*parts)


def answer_success(*lines):
    return "\n".join(("success",) + tuple(str(line) for line in lines))


def answer_progress(message=""):
    return "progress\n" + message if message else "progress"


def answer_failure(reason):
    # 1C shows the second line to its user; keep it on one line.
    return "failure\n" + " ".join(str(reason).split())


def answer_checkauth(cookie_value, sessid=None, timestamp=None):
    lines = [COOKIE_NAME, cookie_value]
    if sessid:
        lines.append(f"sessid={sessid}")
    if timestamp:
        lines.append(f"timestamp={timestamp}")
    return answer_success(*lines)


def answer_init(zip_allowed, file_limit, sessid=None, version=None):
    lines = [f"zip={'yes' if zip_allowed else 'no'}", f"file_limit={int(file_limit)}"]
    if sessid:
        lines.append(f"sessid={sessid}")
    if version:
        lines.append(f"version={version}")
    return "\n".join(lines)


def parse_cookie(header):
    """Return the value of our cookie in a ``Cookie:`` header, or ''."""
    for part in (header or "").split(";"):
        key, _sep, value = part.strip().partition("=")
        if key == COOKIE_NAME:
            return value.strip()
    return ""


def encode_answer(text, encoding):
    """1C reads the answer in the charset we declare; unknown characters are replaced, never an error."""
    return text.encode(encoding, errors="replace")
