# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""A local stand-in for 1C:Enterprise's standard OData interface, for tests (1C itself cannot run here).

Implements the documented behaviour the export relies on:

* ``/odata/standard.odata/<EntitySet>?$format=json``: GET (``$filter=<Field> eq '<value>'``) and POST
  (create; a ``Ref_Key`` in the body is used as the object's reference; an existing key is refused
  with 400 as 1C does);
* ``<EntitySet>(guid'<key>')``: GET (404 when missing), PATCH (update);
* ``<EntitySet>(guid'<key>')/Post``: posts a document;
* HTTP Basic authentication (401 otherwise); errors as ``{"odata.error": {...}}``.

Faults can be injected: ``server.faults.append({"method": "POST", "status": 503, "apply": True})``
answers 503 once, after having applied the request when ``apply`` is true (a lost answer).
"""

import base64
import json
import re
import threading
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/base/odata/standard.odata/"
_KEY_RE = re.compile(r"^(?P<set>[^(/]+)(?:\(guid'(?P<key>[0-9a-fA-F-]{36})'\))?(?:/(?P<action>\w+))?$")
_FILTER_RE = re.compile(r"^(?P<field>\w+) eq '(?P<value>(?:[^']|'')*)'$")


def _error(code, message):
    return {"odata.error": {"code": str(code), "message": {"lang": "ru", "value": message}}}


class _Handler(BaseHTTPRequestHandler):
    server_version = "1C-OData-Test/1.0"

    def log_message(self, format, *args):
        return

    def _send(self, status, payload=None):
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8") if payload is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json;odata=minimalmetadata;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, method):
        srv = self.server
        parsed = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(parsed.path)
        query = urllib.parse.parse_qs(parsed.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        srv.calls.append((method, path))
        expected = "Basic " + base64.b64encode(f"{srv.username}:{srv.password}".encode()).decode()
        if self.headers.get("Authorization") != expected:
            return self._send(401, _error(401, "Ошибка аутентификации"))
        if not path.startswith(PREFIX) or query.get("$format") != ["json"]:
            return self._send(400, _error(400, "Неверный адрес или формат"))
        match = _KEY_RE.match(path[len(PREFIX) :])
        if not match:
            return self._send(400, _error(400, "Неверный адрес"))
        entity_set, key, action = match.group("set"), match.group("key"), match.group("action")
        fault = next(
            (f for f in srv.faults if f.get("method", method) == method and f.get("set", entity_set) == entity_set),
            None,
        )
        if fault:
            srv.faults.remove(fault)
            if not fault.get("apply"):
                return self._send(fault["status"], _error(fault["status"], "Сервис временно недоступен"))
        with srv.lock:
            status, payload = self._apply(method, entity_set, key, action, raw, query)
        if fault:
            return self._send(fault["status"], _error(fault["status"], "Сервис временно недоступен"))
        return self._send(status, payload)

    def _apply(self, method, entity_set, key, action, raw, query):
        store = self.server.store.setdefault(entity_set, {})
        try:
            body = json.loads(raw.decode("utf-8")) if raw else {}
        except ValueError:
            return 400, _error(400, "Ошибка разбора JSON")
        if method == "GET" and not key:
            items = list(store.values())
            for flt in query.get("$filter", []):
                found = _FILTER_RE.match(flt)
                if not found:
                    return 400, _error(400, "Неподдерживаемый фильтр")
                value = found.group("value").replace("''", "'")
                items = [item for item in items if str(item.get(found.group("field"))) == value]
            top = int(query.get("$top", ["0"])[0] or 0)
            return 200, {"value": items[:top] if top else items}
        if method == "GET":
            return (200, store[key]) if key in store else (404, _error(404, "Объект не найден"))
        if method == "POST" and not key:
            if not isinstance(body, dict) or not body.get("Description", body.get("Date")):
                return 400, _error(400, "Не заполнены обязательные реквизиты")
            ref = body.get("Ref_Key") or str(uuid.uuid4())
            if ref in store:
                return 400, _error(400, "Объект с таким ключом уже существует")
            entity = dict(body, Ref_Key=ref, DataVersion="AAAAAQAAAAA=", DeletionMark=False)
            if entity_set.startswith("Document_"):
                entity.update(Number=f"0000-{len(store) + 1:06d}", Posted=False)
            store[ref] = entity
            return 201, entity
        if method == "PATCH" and key and not action:
            if key not in store:
                return 404, _error(404, "Объект не найден")
            store[key].update(body)
            return 200, store[key]
        if method == "POST" and key and action == "Post":
            if key not in store:
                return 404, _error(404, "Объект не найден")
            store[key]["Posted"] = True
            return 200, {}
        return 405, _error(405, "Метод не поддерживается")

    def do_GET(self):
        self._handle("GET")

    def do_POST(self):
        self._handle("POST")

    def do_PATCH(self):
        self._handle("PATCH")


class ODataTestServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, username="odata", password="odata-pw"):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.username = username
        self.password = password
        self.store = {}
        self.calls = []
        self.faults = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/base"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()
        self.thread.join(5)
