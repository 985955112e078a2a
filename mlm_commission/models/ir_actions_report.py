import io
import logging
import uuid
from contextlib import contextmanager

from odoo import models, tools
from odoo.exceptions import UserError

from ..tools import pdf_batch

_logger = logging.getLogger(__name__)

# Context key of a batch of e-mails whose PDFs were rendered beforehand in one pass: its value is the token of the
# registry below (a string: the context stays hashable).
PRERENDERED_PDF_KEY = "mlm_prerendered_pdf"
# token -> {(lang, report id, record id): PDF bytes}; filled and emptied by ``_serve_prerendered_pdfs`` around one
# call in this process (nothing another worker needs: the PDFs end up in the mail queue of the same transaction).
_PRERENDERED_PDFS = {}
# Reports whose records, printed several at once, go through ONE wkhtmltopdf pass cut per record (see
# ``_prints_in_one_pass``).
ONE_PASS_REPORTS = ("mlm_commission.report_commission_statement",)


class IrActionsReport(models.Model):
    _inherit = "ir.actions.report"

    def _render_qweb_pdf(self, report_ref, res_ids=None, data=None):
        """The PDF of one record rendered beforehand with others (``_render_qweb_pdf_batch``), when the context holds
        the token of ``_serve_prerendered_pdfs`` and that PDF was rendered for this report, record and language;
        Odoo's rendering otherwise."""
        pdfs = _PRERENDERED_PDFS.get(self.env.context.get(PRERENDERED_PDF_KEY))
        ids = [res_ids] if isinstance(res_ids, int) else res_ids
        if pdfs and not data and ids and len(ids) == 1:
            pdf = pdfs.get((self.env.lang, self._get_report(report_ref).id, ids[0]))
            if pdf is not None:
                return pdf, "pdf"
        return super()._render_qweb_pdf(report_ref, res_ids=res_ids, data=data)

    def _render_qweb_pdf_prepare_streams(self, report_ref, data, res_ids=None):
        """Several records of a report printed in one pass (``_prints_in_one_pass``: the commission statement, printed
        in bulk from the list or ``/report/pdf``): their PDFs from ONE wkhtmltopdf run, cut per record
        (``_render_qweb_pdf_batch``), where Odoo gives wkhtmltopdf one document per record, which Debian's
        wkhtmltopdf refuses (exit code 1, an empty PDF). When they cannot be cut safely, each record is rendered
        alone. Odoo's rendering for one record, repeated records (Odoo prints them in one uncut document) and other
        reports."""
        report = self._get_report(report_ref)
        ids = list(res_ids or [])
        if len(ids) < 2 or len(set(ids)) != len(ids) or not report._prints_in_one_pass():
            return super()._render_qweb_pdf_prepare_streams(report_ref, data, res_ids=res_ids)
        pdfs = self._render_qweb_pdf_batch(report_ref, ids, data=data)
        if pdfs:
            return {res_id: {"stream": io.BytesIO(pdfs[res_id]), "attachment": None} for res_id in ids}
        streams = {}
        for res_id in ids:
            streams.update(super()._render_qweb_pdf_prepare_streams(report_ref, dict(data or {}), res_ids=[res_id]))
        return streams

    def _prints_in_one_pass(self):
        """Whether several records of this report print in ONE wkhtmltopdf pass cut per record by markers
        (``_render_qweb_pdf_prepare_streams``): reports with one article per record and no running header or
        footer (``ONE_PASS_REPORTS``). Override to add a report."""
        self.ensure_one()
        return self.report_name in ONE_PASS_REPORTS

    @contextmanager
    def _serve_prerendered_pdfs(self, pdfs):
        """Within this block, ``_render_qweb_pdf`` of one record in an environment whose context holds
        ``{PRERENDERED_PDF_KEY: token}`` (the token yielded) returns ``pdfs[(lang, report id, record id)]``."""
        token = uuid.uuid4().hex
        _PRERENDERED_PDFS[token] = pdfs
        try:
            yield token
        finally:
            _PRERENDERED_PDFS.pop(token, None)

    def _render_qweb_pdf_batch(self, report_ref, res_ids, data=None):
        """{record id: PDF bytes} of the records ``res_ids`` of a PDF report, rendered in ONE wkhtmltopdf pass in
        this environment's language and cut per record (see ``tools/pdf_batch.py``: Debian's wkhtmltopdf takes one
        document only). Empty when it cannot be done safely (the caller then renders each record as Odoo does):
        reports rendered as HTML in tests, reports saved as attachments, per-record headers or footers, an article
        that is not one record's, markers not found where they should be. ``data`` as Odoo's ``_render_qweb_pdf``
        takes it (the ``/report/pdf`` route's options and context)."""
        report = self._get_report(report_ref)
        if not res_ids or report.report_type != "qweb-pdf" or report.attachment:
            return {}
        # as ir.actions.report._pre_render_qweb_pdf: tests render reports as HTML unless they ask for the PDF
        if (tools.config["test_enable"] or tools.config["test_file"]) and not self.env.context.get(
            "force_report_rendering"
        ):
            return {}
        if self.get_wkhtmltopdf_state() == "install":
            return {}
        Report = self.with_context(webp_as_jpg=True, debug=False)
        data = {**(data or {}), "report_type": "pdf", "debug": False}
        html = Report._render_qweb_html(report_ref, list(res_ids), data=data)[0]
        bodies, html_ids, header, footer, paperformat_args = report.with_context(debug=False)._prepare_html(
            html, report_model=report.model
        )
        if html_ids != list(res_ids) or pdf_batch.has_running_blocks(html):
            _logger.warning(
                "Report %s: one pass for %s records not possible, rendered one by one", report.report_name, len(res_ids)
            )
            return {}
        token = pdf_batch.new_token()
        merged = pdf_batch.merge_bodies(bodies, token)
        try:
            content = merged and Report._run_wkhtmltopdf(
                [merged],
                report_ref=report_ref,
                header=header,
                footer=footer,
                landscape=self.env.context.get("landscape"),
                specific_paperformat_args=paperformat_args,
                set_viewport_size=self.env.context.get("set_viewport_size"),
            )
        except UserError:  # wkhtmltopdf failed on the whole batch (memory): each record may still render alone
            _logger.warning("Report %s: one run for %s records failed", report.report_name, len(res_ids), exc_info=True)
            content = None
        parts = content and pdf_batch.split_pdf(content, token, len(res_ids))
        if not parts:
            _logger.warning(
                "Report %s: the PDF of %s records not cut safely, rendered one by one", report.report_name, len(res_ids)
            )
            return {}
        return dict(zip(res_ids, parts, strict=True))
