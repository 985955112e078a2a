# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A small client for 1C:Enterprise's standard OData interface (``/odata/standard.odata/``).

Plain Python (``urllib``), no ORM. What it relies on is 1C's documented behaviour:

* entity sets are ``Catalog_<name>``, ``Document_<name>``; an entity is addressed as
  ``Catalog_Контрагенты(guid'<Ref_Key>')``; ``$format=json`` selects JSON;
* ``POST`` on the entity set creates; the body may carry ``Ref_Key``, and 1C then creates the
  object with that reference (so the key is chosen by us, before the first send);
* ``PATCH`` on the entity updates; ``POST <entity>/Post`` posts a document;
* errors come back as ``{"odata.error": {"code": ..., "message": {"value": ...}}}``.

No duplicates on retry: :meth:`ODataClient.upsert` first reads the entity by its key. If an
earlier attempt created it (and its answer was lost), it is updated instead of created again.
"""

import base64
import json
import urllib.error
import urllib.parse
import urllib.request

TRANSIENT_STATUSES = (408, 425, 429, 500, 502, 503, 504)


class ODataError(Exception):
    def __init__(self, message, status=None, body="", transient=False):
        super().__init__(message)
        self.status = status
        self.body = body
        self.transient = transient


class ODataClient:
    def __init__(self, base_url, username, password, timeout=30):
        self.base_url = base_url.rstrip("/")
        if not self.base_url.endswith("/odata/standard.odata"):
            self.base_url += "/odata/standard.odata"
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self.headers = {
            "Authorization": f"Basic {token}",
            "Accept": "application/json",
            "Content-Type": "application/json; charset=utf-8",
        }
        self.timeout = timeout
        self.journal = []  # (method, url, request body, status, answer body) of every call

    def _url(self, entity_set, key=None, suffix=""):
        path = urllib.parse.quote(entity_set)
        if key:
            path += urllib.parse.quote(f"(guid'{key}')", safe="()'")
        if suffix:
            path += "/" + urllib.parse.quote(suffix)
        return f"{self.base_url}/{path}?$format=json"

    def _call(self, method, url, payload=None):
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8") if payload is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=self.headers)
        body_text = data.decode("utf-8") if data else ""
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                answer = resp.read().decode("utf-8", errors="replace")
                self.journal.append((method, url, body_text, resp.status, answer))
                return resp.status, (json.loads(answer) if answer.strip() else {})
        except urllib.error.HTTPError as exc:
            answer = exc.read().decode("utf-8", errors="replace")
            self.journal.append((method, url, body_text, exc.code, answer))
            if exc.code == 404 and method == "GET":
                return 404, None
            raise ODataError(
                _error_message(exc.code, answer), status=exc.code, body=answer, transient=exc.code in TRANSIENT_STATUSES
            ) from exc
        except (TimeoutError, urllib.error.URLError, ConnectionError) as exc:
            self.journal.append((method, url, body_text, None, str(exc)))
            raise ODataError(f"connection error: {exc}", transient=True) from exc
        except json.JSONDecodeError as exc:
            raise ODataError(f"invalid JSON answer: {exc}", transient=False) from exc

    def get(self, entity_set, key):
        status, answer = self._call("GET", self._url(entity_set, key))
        return None if status == 404 else answer

    def upsert(self, entity_set, ref_key, payload):
        """Create the entity with our ``Ref_Key`` or, when it already exists, update it. Returns the entity."""
        if self.get(entity_set, ref_key) is not None:
            _status, answer = self._call("PATCH", self._url(entity_set, ref_key), payload)
            return answer
        _status, answer = self._call("POST", self._url(entity_set), dict(payload, Ref_Key=ref_key))
        return answer

    def post_document(self, entity_set, ref_key):
        _status, answer = self._call("POST", self._url(entity_set, ref_key, "Post"))
        return answer


def _error_message(status, answer):
    try:
        error = json.loads(answer).get("odata.error", {})
        message = error.get("message", {}).get("value") or error.get("code")
    except (ValueError, AttributeError):
        message = answer[:200]
    return f"HTTP {status}: {message}"
