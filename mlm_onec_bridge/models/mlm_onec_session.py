# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import hashlib
import logging
import os
import secrets
import shutil
import time
from datetime import timedelta

from odoo import api, fields, models, tools

from ..tools import cml_writer, protocol, safe_xml, safe_zip

_logger = logging.getLogger(__name__)

SESSION_LIFETIME = timedelta(hours=12)  # upper bound, whatever the activity; see also the backend's idle timeout
# Once 1C confirmed the orders (``mode=success``), the cookie may only bring back order changes (``file``, then
# ``import``, which some 1C versions send after ``success``); ``init``, ``query`` and ``success`` are refused.
MODES_AFTER_SUCCESS = ("file", "import")
MAX_LOG_LINES_PER_CALL = 200
# 1C writes CommerceML 2 with this namespace from 2.05 on, and without any namespace before
SUPPORTED_NAMESPACES = ("", "urn:1C.ru:commerceml_2")


class ExchangeError(Exception):
    """A failure the exchange answers with ``failure`` + this (already translated) reason."""


class MlmOnecSession(models.Model):
    _name = "mlm.onec.session"
    _description = "1C Exchange Session"
    _order = "id desc"

    name = fields.Char(compute="_compute_name")
    backend_id = fields.Many2one("mlm.onec.backend", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    user_id = fields.Many2one("res.users", string="Exchange User", readonly=True)
    exchange_type = fields.Selection([("catalog", "Catalog"), ("sale", "Orders")], required=True, readonly=True)
    state = fields.Selection(
        [("open", "In progress"), ("done", "Done"), ("failed", "Failed")],
        default="open",
        required=True,
        readonly=True,
        index=True,
    )
    token_hash = fields.Char(readonly=True, index=True, groups="base.group_system")
    version = fields.Char(string="Schema Version", readonly=True)
    date_start = fields.Datetime(default=fields.Datetime.now, readonly=True)
    date_last = fields.Datetime(string="Last Call", default=fields.Datetime.now, readonly=True)
    file_state = fields.Json(readonly=True, copy=False)
    stats = fields.Json(readonly=True, copy=False)
    stats_text = fields.Text(string="Figures", compute="_compute_stats_text")
    log = fields.Text(readonly=True)
    rejected_count = fields.Integer(string="Records Not Imported", readonly=True, copy=False)
    rejected_log = fields.Text(string="Not Imported", readonly=True, copy=False)
    order_ids = fields.One2many("sale.order", "onec_session_id", string="Orders Sent")

    @api.depends("exchange_type", "date_start")
    def _compute_name(self):
        types = dict(self._fields["exchange_type"].selection)
        for session in self:
            session.name = f"{types.get(session.exchange_type, '')} {session.date_start or ''}"

    @api.depends("stats")
    def _compute_stats_text(self):
        for session in self:
            session.stats_text = "\n".join(f"{key}: {value}" for key, value in sorted((session.stats or {}).items()))

    # ------------------------------------------------------------------ session and cookie
    @api.model
    def _hash_token(self, token):
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @api.model
    def _open(self, backend, exchange_type, user):
        """Start an exchange (``mode=checkauth``); returns ``(session, cookie value)``."""
        token = secrets.token_urlsafe(32)
        session = self.create(
            {
                "backend_id": backend.id,
                "exchange_type": exchange_type,
                "user_id": user.id,
                "token_hash": self._hash_token(token),
            }
        )
        session._log(self.env._("Authenticated as %(user)s.", user=user.login))
        return session, token

    @api.model
    def _find_by_cookie(self, token, exchange_type):
        """The session of a cookie, spent or not (``_check_usable`` says whether it may still serve)."""
        if not token:
            return self.browse()
        return self.search(
            [("token_hash", "=", self._hash_token(token)), ("exchange_type", "=", exchange_type)], limit=1
        )

    def _check_usable(self, mode):
        """Raise :class:`ExchangeError` when this session may not serve ``mode``: expired (idle for longer than
        the backend's timeout, or older than ``SESSION_LIFETIME``), spent by ``success``, or failed. The state lives
        in this table, so every worker sees the same answer."""
        self.ensure_one()
        now = fields.Datetime.now()
        idle = self.backend_id.session_idle_minutes or 30
        if self.date_start < now - SESSION_LIFETIME or (self.date_last or self.date_start) < now - timedelta(
            minutes=idle
        ):
            raise ExchangeError(
                self.env._(
                    "This exchange session has expired (no call for %(minutes)s minutes, or older than 12 hours): "
                    "1C must call checkauth again.",
                    minutes=idle,
                )
            )
        if self.state == "done" and mode not in MODES_AFTER_SUCCESS:
            raise ExchangeError(
                self.env._(
                    "This exchange session is closed: 1C already confirmed it with 'success'. "
                    "Call checkauth to start a new exchange."
                )
            )
        if self.state == "failed" and mode != "init":
            raise ExchangeError(self.env._("No valid exchange session: call checkauth first."))

    def _log(self, message):
        self.ensure_one()
        stamp = fields.Datetime.now().strftime("%H:%M:%S")
        self.write({"log": f"{self.log or ''}{stamp} {message}\n", "date_last": fields.Datetime.now()})

    def _log_warnings(self, warnings):
        if not warnings:
            return
        lines = warnings[:MAX_LOG_LINES_PER_CALL]
        text = "\n".join(f"  - {line}" for line in lines)
        if len(warnings) > len(lines):
            text += "\n  " + self.env._("... and %(count)s more notes", count=len(warnings) - len(lines))
        self._log(self.env._("Skipped or defaulted:") + "\n" + text)

    def _add_rejected(self, lines):
        """Records of 1C that could not be imported (translated reasons): kept visible on the session (its
        "Not Imported" tab, the "With records not imported" filter) and told to 1C in the answer of the file."""
        if not lines:
            return
        kept = lines[:MAX_LOG_LINES_PER_CALL]
        text = "\n".join(kept)
        if len(lines) > len(kept):
            text += "\n" + self.env._("... and %(count)s more", count=len(lines) - len(kept))
        self.write(
            {
                "rejected_count": self.rejected_count + len(lines),
                "rejected_log": f"{self.rejected_log or ''}{text}\n",
            }
        )

    def _remember_deleted(self, guids):
        """GUIDs of goods 1C marked deleted (not created here), per node: their offers, in this exchange or a later
        one, are no error."""
        backend = self.backend_id
        if guids and set(guids) - set(backend.deleted_guids or []):
            backend.deleted_guids = sorted(set(backend.deleted_guids or []) | set(guids))

    def _add_stats(self, counter):
        stats = dict(self.stats or {})
        for key, value in counter.items():
            if value:
                stats[key] = stats.get(key, 0) + value
        self.stats = stats

    def _fail(self, reason):
        self.ensure_one()
        self._log(self.env._("FAILURE: %(reason)s", reason=reason))
        self.state = "failed"

    # ------------------------------------------------------------------ files
    def _get_directory(self):
        self.ensure_one()
        path = os.path.join(tools.config.filestore(self.env.cr.dbname), "onec_exchange", str(self.id))
        os.makedirs(path, exist_ok=True)
        return path

    def _file_path(self, filename):
        try:
            relative = protocol.safe_filename(filename)
        except protocol.ProtocolError as exc:
            raise ExchangeError(self.env._("Invalid file name %(name)s.", name=filename)) from exc
        return os.path.join(self._get_directory(), relative)

    def _action_init(self, version):
        """``mode=init``: forget files of an earlier run of this session, negotiate the version."""
        self.ensure_one()
        directory = self._get_directory()
        shutil.rmtree(directory, ignore_errors=False)
        os.makedirs(directory, exist_ok=True)
        negotiated = cml_writer.negotiate_version(version) if version else ""
        self.write({"file_state": {}, "version": negotiated or self.version})
        backend = self.backend_id
        file_limit = min(backend.file_limit, backend.max_file_size * 1024 * 1024)
        return protocol.answer_init(backend.zip_allowed, file_limit, version=negotiated or None)

    def _action_file(self, filename, data):
        """``mode=file``: append one part to the file (1C sends big files in several parts)."""
        self.ensure_one()
        backend = self.backend_id
        if len(data) > backend.file_limit:
            raise ExchangeError(
                self.env._("The part is larger than the announced limit of %(limit)s bytes.", limit=backend.file_limit)
            )
        path = self._file_path(filename)
        size = os.path.getsize(path) if os.path.exists(path) else 0
        if size + len(data) > backend.max_file_size * 1024 * 1024:
            raise ExchangeError(
                self.env._(
                    "File %(name)s exceeds the limit of %(limit)s MB.", name=filename, limit=backend.max_file_size
                )
            )
        if filename.lower().endswith(".zip") and not backend.zip_allowed:
            raise ExchangeError(self.env._("Zip archives are not accepted by this exchange."))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "ab") as fh:
            fh.write(data)
        file_state = dict(self.file_state or {})
        file_state.pop(protocol.safe_filename(filename), None)  # a new part: the file must be checked again
        self.file_state = file_state
        self._log(self.env._("Received %(bytes)s bytes of %(name)s.", bytes=len(data), name=filename))
        if self.exchange_type == "sale" and filename.lower().endswith(".xml"):
            return self._apply_sale_file_if_complete(filename, path) or protocol.answer_success()
        return protocol.answer_success()

    def _apply_sale_file_if_complete(self, filename, path):
        """Order changes: some 1C versions send no ``import`` after the file; apply it once it is complete.

        An incomplete file (more parts to come) is left for the next part or for ``mode=import``;
        a hostile one is refused at once.
        """
        try:
            safe_xml.check_well_formed(path)
        except safe_xml.etree.XMLSyntaxError:
            self._log(self.env._("File %(name)s is not complete yet: waiting for more parts.", name=filename))
            return None
        return self._action_import(filename)

    def _unpack_archives(self):
        directory = self._get_directory()
        limit = self.backend_id.max_file_size * 1024 * 1024
        for name in sorted(os.listdir(directory)):
            if not name.lower().endswith(".zip"):
                continue
            path = os.path.join(directory, name)
            try:
                members = safe_zip.safe_extract(path, directory, max_total=limit)
            except safe_zip.UnsafeZipError as exc:
                os.remove(path)
                raise ExchangeError(
                    self.env._("Archive %(name)s refused: %(reason)s", name=name, reason=str(exc))
                ) from exc
            os.remove(path)
            self._log(self.env._("Unpacked %(name)s: %(files)s", name=name, files=", ".join(members)))

    def _check_file(self, filename, path):
        """Refuse a truncated, hostile or wrongly encoded file before anything of it is written."""
        try:
            version, root = safe_xml.check_well_formed(path)
        except safe_xml.UnsafeXmlError as exc:
            raise ExchangeError(
                self.env._("File %(name)s refused: %(reason)s", name=filename, reason=str(exc))
            ) from exc
        except safe_xml.etree.XMLSyntaxError as exc:
            raise ExchangeError(
                self.env._(
                    "File %(name)s is not well-formed XML (truncated or wrong encoding?): %(reason)s",
                    name=filename,
                    reason=str(exc),
                )
            ) from exc
        if root != "КоммерческаяИнформация":
            raise ExchangeError(
                self.env._(
                    "File %(name)s is not a CommerceML document (its root element is %(root)s).",
                    name=filename,
                    root=root,
                )
            )
        namespace = safe_xml.root_namespace(path)
        if namespace not in SUPPORTED_NAMESPACES or (version or "2").strip().split(".")[0] != "2":
            raise ExchangeError(
                self.env._(
                    "File %(name)s is in an unsupported schema (%(schema)s, version %(version)s): only CommerceML 2 "
                    "(2.03 to 2.10, namespace urn:1C.ru:commerceml_2) is imported. Set the exchange node in 1C to "
                    "CommerceML 2.",
                    name=filename,
                    schema=namespace or "-",
                    version=version or "?",
                )
            )
        self._log(
            self.env._("File %(name)s checked (schema version %(version)s).", name=filename, version=version or "?")
        )
        return version

    # ------------------------------------------------------------------ import
    def _action_import(self, filename):
        """``mode=import``: import a slice of the file; returns the protocol answer (``progress``/``success``)."""
        self.ensure_one()
        self._unpack_archives()
        path = self._file_path(filename)
        if not os.path.isfile(path):
            raise ExchangeError(self.env._("File %(name)s was not uploaded.", name=filename))
        key = protocol.safe_filename(filename)
        file_state = dict(self.file_state or {})
        state = dict(file_state.get(key) or {})
        if state.get("finished"):
            if state.get("rejected"):  # 1C calls import after a sale file already applied: the same answer
                return protocol.answer_success(self._rejected_summary(filename, state["rejected"]))
            return protocol.answer_success()
        if not state.get("checked"):
            state.update(checked=True, version=self._check_file(filename, path), done=0, phase="items")
        if self.exchange_type == "sale":
            state.update(finished=True, rejected=self._import_order_changes(path))
        else:
            deadline = time.monotonic() + self.backend_id.time_budget
            importer = self.env["mlm.onec.importer"]
            if state["phase"] == "items":
                done, finished, counter, warnings = importer._import_catalog_slice(self, path, state["done"], deadline)
                products = counter.pop("file_products", 0)
                state.update(
                    rejected=state.get("rejected", 0) + counter.get("offers_rejected", 0),
                    done=done,
                    only_changes=state.get("only_changes") or counter.pop("only_changes", 0) > 0,
                    products=state.get("products", 0) + products,
                )
                counter.pop("only_changes", None)
                self._add_stats(counter)
                self._log_warnings(warnings)
                if finished:
                    state.update(phase="done", finished=True)
                    if state["products"] and not state["only_changes"]:
                        state["full_export"] = True  # a portion of a full export: archived after the last one
                    elif not state["products"]:
                        file_state[key] = state
                        self.file_state = file_state
                        self._archive_full_export()  # offers come after the last portion of the goods
                        file_state = dict(self.file_state or {})
        file_state[key] = state
        self.file_state = file_state
        if state.get("finished"):
            self._log(self.env._("Import of %(name)s finished.", name=filename))
            if state.get("rejected"):
                return protocol.answer_success(self._rejected_summary(filename, state["rejected"]))
            return protocol.answer_success()
        self._log(self.env._("Import of %(name)s: %(done)s items so far.", name=filename, done=state["done"]))
        return protocol.answer_progress(self.env._("%(done)s items imported", done=state["done"]))

    def _rejected_summary(self, filename, count):
        """The warning line of ``success`` for a file with records that could not be imported.

        Offers whose product is in no goods file are *not* answered with ``failure``: real 1C exports do send them
        (the shared ``offers0_1.xml`` of a real 1C holds 8 offers of goods its ``import0_1.xml`` does not have, a CMS
        module's fixture 11 of 14), and 1C repeats a failed exchange as a whole: one offer 1C keeps sending would
        stop every price and stock update of the node for good. So the matched records are imported, each record
        that is not is kept with its reason on the session (``rejected_count``, ``rejected_log``: the exchange log
        shows them and filters on them) and 1C's log gets this second line after ``success``, which 1C writes into
        its exchange log. A missing tax (a configuration error the company fixes in Odoo) answers ``failure``."""
        first = (self.rejected_log or "").strip().splitlines()[:3]
        return " ".join(
            self.env._(
                "WARNING: %(count)s records of %(name)s were not imported (see the exchange log in Odoo): %(first)s",
                count=count,
                name=filename,
                first="; ".join(first),
            ).split()
        )

    def _archive_full_export(self):
        """Once per session, after the last portion of a full export (the first offers, prices or rests file,
        or 1C's ``complete``/``deactivate``): archive the products that no portion holds."""
        self.ensure_one()
        file_state = dict(self.file_state or {})
        keys = [k for k, st in file_state.items() if isinstance(st, dict) and st.get("full_export")]
        if not keys:
            return
        paths = [self._file_path(k) for k in keys]
        counter = self.env["mlm.onec.importer"]._archive_missing(self, [p for p in paths if os.path.isfile(p)])
        self._add_stats(counter)
        for k in keys:
            file_state[k] = dict(file_state[k], full_export=False, archived=True)
        self.file_state = file_state

    def _action_complete(self):
        """``type=catalog&mode=complete`` (or ``deactivate``): 1C has sent every file of the exchange."""
        self.ensure_one()
        self._archive_full_export()
        self.state = "done"
        return protocol.answer_success()

    # ------------------------------------------------------------------ orders
    def _action_query(self):
        """``type=sale&mode=query``: the order document for 1C (bytes), remembering which orders it holds."""
        self.ensure_one()
        orders = self.env["sale.order"].search(
            self.env["sale.order"]._onec_get_query_domain(self.backend_id), order="id"
        )
        documents = [order._onec_prepare_document() for order in orders]
        now = fields.Datetime.context_timestamp(self, fields.Datetime.now())
        data = cml_writer.build_orders_document(
            documents,
            version=self.version or cml_writer.DEFAULT_VERSION,
            generated_at=now.strftime("%Y-%m-%dT%H:%M:%S"),
            encoding=self.backend_id.answer_encoding,
        )
        orders.write({"onec_state": "queried", "onec_session_id": self.id})
        self._log(self.env._("Sent %(count)s orders to 1C.", count=len(orders)))
        return data

    def _action_success(self):
        """``type=sale&mode=success``: 1C confirms it took the orders of the last query."""
        self.ensure_one()
        orders = self.order_ids.filtered(lambda o: o.onec_state == "queried")
        orders.write({"onec_state": "sent", "onec_sent_date": fields.Datetime.now()})
        self._log(self.env._("1C confirmed %(count)s orders.", count=len(orders)))
        self.state = "done"
        return protocol.answer_success()

    def _import_order_changes(self, path):
        """Order documents sent back by 1C: paid, shipped, cancelled, 1C's number (requisites of each Документ).

        A document that is no order of this shop (1C's own orders, another site's) is not imported: it is kept
        with the reason on the session and told to 1C after ``success``. Returns the number of such documents."""
        updates = []
        for _event, element in safe_xml.secure_iterparse(path, events=("end",)):
            if safe_xml.localname(element) != "Документ":
                continue
            values = {"guid": "", "number_odoo": "", "requisites": {}}
            for child in element:
                name = safe_xml.localname(child)
                if name == "Ид":
                    values["guid"] = (child.text or "").strip()
                elif name == "Номер":
                    values["number_odoo"] = (child.text or "").strip()
                elif name == "ЗначенияРеквизитов":
                    for req in child:
                        pair = {safe_xml.localname(sub): (sub.text or "").strip() for sub in req}
                        values["requisites"][pair.get("Наименование", "")] = pair.get("Значение", "")
            updates.append(values)
            element.clear(keep_tail=False)
        guids = [u["guid"] for u in updates if u["guid"]]
        names = [u["number_odoo"] for u in updates if u["number_odoo"]]
        orders = self.env["sale.order"].search(
            [("company_id", "=", self.company_id.id), "|", ("onec_guid", "in", guids), ("name", "in", names)]
        )
        by_guid = {o.onec_guid: o for o in orders if o.onec_guid}
        by_name = {o.name: o for o in orders}
        changed = 0
        rejected = []
        for update in updates:
            order = by_guid.get(update["guid"]) or by_name.get(update["number_odoo"])
            if not order:
                rejected.append(
                    self.env._(
                        "Order %(ref)s (number %(number)s) from 1C: no order of this shop has this Ид or number, "
                        "not imported (orders created in 1C are not taken into Odoo).",
                        ref=update["guid"] or "-",
                        number=update["number_odoo"] or "-",
                    )
                )
                continue
            changed += order._onec_apply_update(self._parse_order_requisites(update["requisites"]))
        self._add_rejected(rejected)
        self._add_stats({"orders_updated": changed, "orders_rejected": len(rejected)})
        self._log(self.env._("%(count)s orders updated from 1C.", count=changed))
        return len(rejected)

    @api.model
    def _parse_order_requisites(self, requisites):
        def _date(value):
            value = (value or "").strip()
            if not value or value.startswith("0001"):
                return False
            for fmt in ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y"):
                try:
                    return fields.Datetime.to_datetime(
                        time.strftime("%Y-%m-%d %H:%M:%S", time.strptime(value, fmt))
                    ).date()
                except ValueError:
                    continue
            return False

        def _true(value):
            return (value or "").strip().lower() in ("true", "1", "да", "истина")

        paid = _date(requisites.get("Дата оплаты по 1С"))
        if not paid and _true(requisites.get("Заказ оплачен")):
            # the 2.03 flag of the official sample: paid on the date of the status change, else of the document
            paid = (
                _date((requisites.get("Дата изменения статуса") or "").split(" ")[0])
                or _date(requisites.get("Дата по 1С"))
                or fields.Date.context_today(self)
            )
        return {
            "paid": paid,
            "shipped": _date(requisites.get("Дата отгрузки по 1С")),
            "cancelled": _true(requisites.get("Отменен")) or _true(requisites.get("ПометкаУдаления")),
            "number": requisites.get("Номер по 1С") or "",
        }

    # ------------------------------------------------------------------ housekeeping
    @api.model
    def _cron_cleanup(self):
        """Remove the upload directories of sessions older than their lifetime."""
        old = self.search([("date_last", "<", fields.Datetime.now() - SESSION_LIFETIME * 2)])
        for session in old:
            path = os.path.join(tools.config.filestore(self.env.cr.dbname), "onec_exchange", str(session.id))
            if os.path.isdir(path):
                shutil.rmtree(path)
        old.filtered(lambda s: s.state == "open").write({"state": "done"})
