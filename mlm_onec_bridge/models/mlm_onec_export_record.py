# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging
import uuid
from datetime import timedelta

from lxml import etree

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.odata_client import ODataError

_logger = logging.getLogger(__name__)

KIND_ORDER = {"partner": 0, "sale": 1, "payment": 2, "payout": 3}


class MlmOnecExportRecord(models.Model):
    """One object sent (or to send) to 1C:Accounting; the exchange journal of the accounting export."""

    _name = "mlm.onec.export.record"
    _description = "1C Accounting Export Record"
    _order = "id desc"

    backend_id = fields.Many2one("mlm.onec.backend", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one(related="backend_id.company_id", store=True, index=True)
    kind = fields.Selection(
        [
            ("partner", "Counterparty"),
            ("sale", "Sale"),
            ("payment", "Customer Payment"),
            ("payout", "Commission Payout"),
        ],
        required=True,
        readonly=True,
    )
    res_model = fields.Char(string="Model", required=True, readonly=True)
    res_id = fields.Many2oneReference(string="Record", model_field="res_model", required=True, readonly=True)
    name = fields.Char(readonly=True)
    entity_set = fields.Char(string="1C Object", readonly=True)
    ref_key = fields.Char(
        string="1C Ref_Key",
        readonly=True,
        copy=False,
        index=True,
        default=lambda self: str(uuid.uuid4()),
        help="Chosen before the first send, so that a retried send never creates a duplicate.",
    )
    state = fields.Selection(
        [("to_send", "To send"), ("sent", "Sent"), ("error", "Error")],
        default="to_send",
        required=True,
        readonly=True,
        index=True,
    )
    attempts = fields.Integer(readonly=True)
    next_attempt = fields.Datetime(readonly=True, index=True)
    date_sent = fields.Datetime(readonly=True)
    posted = fields.Boolean(string="Posted in 1C", readonly=True)
    error = fields.Text(readonly=True)
    transient_error = fields.Boolean(readonly=True, help="The last error may go away by itself: retried automatically.")
    request_body = fields.Text(string="Request", readonly=True)
    answer_body = fields.Text(string="Answer", readonly=True)

    _sql_constraints = [
        ("record_uniq", "unique(backend_id, kind, res_model, res_id)", "A record is exported once per kind."),
        ("ref_key_uniq", "unique(backend_id, ref_key)", "The 1C key must be unique."),
    ]

    # ------------------------------------------------------------------ queueing
    @api.model
    def _enqueue(self, backend, kind, records):
        """Export records for ``records`` (one query for the existing ones, one create for the rest).

        Already sent records are queued again (an update in 1C under the same Ref_Key).
        """
        if not records:
            return self.browse()
        existing = self.search(
            [
                ("backend_id", "=", backend.id),
                ("kind", "=", kind),
                ("res_model", "=", records._name),
                ("res_id", "in", records.ids),
            ]
        )
        by_res = {rec.res_id: rec for rec in existing}
        existing.filtered(lambda r: r.state == "sent").write({"state": "to_send", "next_attempt": False, "attempts": 0})
        new = self.create(
            [
                {
                    "backend_id": backend.id,
                    "kind": kind,
                    "res_model": records._name,
                    "res_id": record.id,
                    "name": record.display_name,
                    "entity_set": backend._get_entity_set(kind),
                }
                for record in records
                if record.id not in by_res
            ]
        )
        return existing | new

    @api.model
    def _enqueue_company_documents(self, backend):
        """Queue confirmed sales, their customers, posted customer payments and the commission payouts of the
        backend's company."""
        company = backend.company_id
        orders = self.env["sale.order"].search([("company_id", "=", company.id), ("state", "=", "sale")])
        payments = self.env["account.payment"].search(
            [
                ("company_id", "=", company.id),
                ("payment_type", "=", "inbound"),
                ("partner_type", "=", "customer"),
                ("state", "in", ("in_process", "paid")),
            ]
        )
        # commission payouts of closed periods, paid by mlm_commission's payout wizard
        payouts = (
            self.env["mlm.commission.statement"]
            .sudo()
            .search([("payment_id", "!=", False), ("period_id.company_id", "=", company.id)])
            .payment_id.filtered(lambda p: p.state in ("in_process", "paid"))
        )
        partners = (orders.partner_id | payments.partner_id | payouts.partner_id).commercial_partner_id
        self._enqueue(backend, "partner", partners)
        self._enqueue(backend, "sale", orders)
        self._enqueue(backend, "payment", payments)
        self._enqueue(backend, "payout", payouts)

    # ------------------------------------------------------------------ actions
    def action_retry(self):
        """Manual retry button: send now, whatever the back-off says."""
        self._send()
        return True

    @api.model
    def _cron_send_pending(self, limit=200):
        """Send what is due: new records and transient errors whose back-off has passed."""
        now = fields.Datetime.now()
        records = self.search(
            [
                ("backend_id.export_mode", "=", "odata"),
                "|",
                ("state", "=", "to_send"),
                "&",
                "&",
                ("state", "=", "error"),
                ("transient_error", "=", True),
                ("next_attempt", "<=", now),
            ],
            limit=limit,
        )
        records._send()

    # ------------------------------------------------------------------ sending
    def _send(self):
        for backend in self.backend_id:
            records = self.filtered(lambda r, b=backend: r.backend_id == b)
            try:
                client = backend._get_odata_client()
            except UserError as exc:  # e.g. no URL: every record of this backend waits for a manual retry
                records.write({"state": "error", "error": str(exc), "transient_error": False, "next_attempt": False})
                continue
            for record in records.sorted(lambda r: (KIND_ORDER[r.kind], r.id)):
                record._send_one(client)

    def _send_one(self, client):
        self.ensure_one()
        backend = self.backend_id
        client.journal.clear()
        try:
            payload = self.with_context(onec_client=client)._prepare_payload()
            client.journal.clear()
            answer = client.upsert(self.entity_set, self.ref_key, payload)
            posted = False
            if self.kind != "partner" and backend.odata_post_documents:
                client.post_document(self.entity_set, self.ref_key)
                posted = True
        except ODataError as exc:
            self._record_failure(client, str(exc), exc.transient)
            return False
        except UserError as exc:
            self._record_failure(client, str(exc), False)
            return False
        self.write(
            {
                "state": "sent",
                "attempts": self.attempts + 1,
                "date_sent": fields.Datetime.now(),
                "posted": posted,
                "error": False,
                "transient_error": False,
                "next_attempt": False,
                "request_body": self._journal_text(client, requests=True),
                "answer_body": json.dumps(answer, ensure_ascii=False, indent=1) if answer else "",
            }
        )
        return True

    def _record_failure(self, client, message, transient):
        attempts = self.attempts + 1
        retry = transient and attempts < self.backend_id.odata_max_attempts
        delay = timedelta(minutes=(self.backend_id.odata_retry_minutes or 1) * 2 ** (attempts - 1))
        _logger.warning("1C export of %s %s failed (attempt %s): %s", self.res_model, self.res_id, attempts, message)
        self.write(
            {
                "state": "error",
                "attempts": attempts,
                "error": message,
                "transient_error": retry,
                "next_attempt": fields.Datetime.now() + delay if retry else False,
                "request_body": self._journal_text(client, requests=True),
                "answer_body": self._journal_text(client, requests=False),
            }
        )

    @api.model
    def _journal_text(self, client, requests):
        lines = []
        for method, url, body, status, answer in client.journal:
            lines.append(f"{method} {url}" + (f"\n{body}" if requests and body else ""))
            if not requests:
                lines.append(f"-> {status}: {answer[:2000]}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ payloads
    def _get_source(self):
        self.ensure_one()
        source = self.env[self.res_model].browse(self.res_id).exists()
        if not source:
            raise UserError(self.env._("The exported record %(name)s no longer exists.", name=self.name))
        return source

    def _prepare_payload(self):
        """JSON body of the 1C object; one method per kind: ``_prepare_payload_<kind>(source)``."""
        self.ensure_one()
        return getattr(self, f"_prepare_payload_{self.kind}")(self._get_source())

    def _partner_key(self, partner):
        """Ref_Key of the counterparty in 1C (queues the counterparty when it is not yet queued)."""
        record = self._enqueue(self.backend_id, "partner", partner.commercial_partner_id)[:1]
        client = self.env.context.get("onec_client")
        if client is not None and record.state != "sent" and not record._send_one(client):
            raise ODataError(
                self.env._(
                    "The counterparty %(name)s could not be sent first: %(error)s", name=record.name, error=record.error
                ),
                transient=record.transient_error,
            )
        return record.ref_key

    def _prepare_payload_partner(self, partner):
        is_company = partner.is_company
        return {
            "Description": partner.name[:100],
            "НаименованиеПолное": partner.name,
            "ИНН": partner.vat or "",
            "КПП": (partner.onec_kpp or "") if is_company else "",
            "ЮридическоеФизическоеЛицо": "ЮридическоеЛицо" if is_company else "ФизическоеЛицо",
            "Комментарий": self.env._("From Odoo, distributor code %(code)s", code=partner.mlm_code)
            if partner.mlm_code
            else "",
        }

    def _prepare_payload_sale(self, order):
        lines = []
        for number, line in enumerate(order.order_line.filtered(lambda ln: not ln.display_type), start=1):
            lines.append(
                {
                    "LineNumber": str(number),
                    "Номенклатура_Key": line.product_id.product_tmpl_id.onec_guid or None,
                    "Содержание": line.name[:150] if line.name else line.product_id.display_name,
                    "Количество": line.product_uom_qty,
                    "Цена": line.price_unit,
                    "Сумма": line.price_subtotal,
                    "СуммаНДС": line.price_tax,
                }
            )
        return {
            "Date": fields.Datetime.to_string(order.date_order).replace(" ", "T"),
            "Контрагент_Key": self._partner_key(order.partner_id),
            "СуммаДокумента": order.amount_total,
            "ВалютаДокумента": order.currency_id.name,
            "Комментарий": self.env._("Odoo order %(name)s", name=order.name),
            "Товары": lines,
        }

    def _prepare_payload_payment(self, payment):
        return {
            "Date": fields.Date.to_string(payment.date) + "T00:00:00",
            "ВидОперации": "ОплатаПокупателя",
            "Контрагент_Key": self._partner_key(payment.partner_id),
            "СуммаДокумента": payment.amount,
            "ВалютаДокумента": payment.currency_id.name,
            "НазначениеПлатежа": payment.memo or payment.name or "",
            "Комментарий": self.env._("Odoo payment %(name)s", name=payment.name),
        }

    def _prepare_payload_payout(self, payout):
        """Commission payout of a closed period. ``mlm_commission`` provides ``_onec_prepare_payout_payload``."""
        if not hasattr(payout, "_onec_prepare_payout_payload"):
            raise UserError(
                self.env._("Commission payouts cannot be exported: the commission add-on does not provide them yet.")
            )
        payload = payout._onec_prepare_payout_payload()
        if payload.get("partner_id"):
            partner = self.env["res.partner"].browse(payload.pop("partner_id"))
            payload["Контрагент_Key"] = self._partner_key(partner)
        return payload

    # ------------------------------------------------------------------ file alternative
    def _export_to_file(self):
        """The records as one XML file (same data as the OData bodies) for manual loading; marks them sent."""
        root = etree.Element("ВыгрузкаВ1С", Источник="Odoo", Дата=fields.Datetime.now().isoformat())
        for record in self.sorted(lambda r: (KIND_ORDER[r.kind], r.id)):
            payload = record._prepare_payload()
            node = etree.SubElement(root, "Объект", Тип=record.entity_set, Ref_Key=record.ref_key)
            _dict_to_xml(node, payload)
        data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        self.write(
            {
                "state": "sent",
                "date_sent": fields.Datetime.now(),
                "error": False,
                "transient_error": False,
                "next_attempt": False,
                "answer_body": self.env._("Exported to a file for manual loading."),
            }
        )
        return data


def _dict_to_xml(parent, payload):
    for key, value in payload.items():
        if isinstance(value, list):
            table = etree.SubElement(parent, "ТабличнаяЧасть", Имя=key)
            for row in value:
                _dict_to_xml(etree.SubElement(table, "Строка"), row)
        elif value is not None:
            etree.SubElement(parent, "Реквизит", Имя=key).text = str(value)
