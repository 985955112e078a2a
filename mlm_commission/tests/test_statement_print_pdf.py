import json
from contextlib import contextmanager
from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from ..tools import pdf_batch
from .common import MlmCommissionCommon
from .test_statement_mail_pdf import RECRUITS, REPORT, StatementPdfCommon, page_count, pdf_text


@tagged("post_install", "-at_install")
class TestStatementPrintPdf(StatementPdfCommon):
    """Statements printed several at once (the list's Print menu, ``/report/pdf/...``): ONE PDF of every selected
    statement in the selected order, each from a new page, from one wkhtmltopdf run (Debian's wkhtmltopdf refuses
    the one document per record that Odoo gives it)."""

    @contextmanager
    def _count_runs(self):
        """Within the block, the wkhtmltopdf runs (the number of documents of each) are appended to the list
        yielded."""
        Report = self.registry["ir.actions.report"]
        original = Report._run_wkhtmltopdf
        runs = []

        def counting(report, bodies, *args, **kwargs):
            runs.append(len(bodies))
            return original(report, bodies, *args, **kwargs)

        with patch.object(Report, "_run_wkhtmltopdf", counting):
            yield runs

    def _statement(self, distributor):
        return self.statements.filtered(lambda s: s.distributor_id == distributor)

    def _print(self, distributors):
        """(PDF, wkhtmltopdf runs) of the statements of ``distributors`` printed together, in this order."""
        ids = [self._statement(distributor).id for distributor in distributors]
        with self._count_runs() as runs:
            pdf, report_type = self.Report._render_qweb_pdf(REPORT, ids)
        self.assertEqual(report_type, "pdf")
        return pdf, runs

    def _assert_in_order(self, pdf, distributors):
        """The PDF names each of ``distributors`` (name and code), in this order, each statement complete."""
        text = pdf_text(pdf)
        positions = []
        for distributor in distributors:
            self.assertIn(distributor.display_name, text)
            self.assertIn(distributor.code, text)
            positions.append(text.index(distributor.display_name))
        self.assertEqual(positions, sorted(positions), "the statements in the selected order")
        # the labels in the language of the person printing (as one statement prints): totals and letterhead each
        self.assertEqual(text.count("Carried forward"), len(distributors), "each statement complete")
        self.assertGreaterEqual(text.count(self.env.company.name), len(distributors))

    def _single_pages(self, distributors):
        """The page counts of the statements of ``distributors`` printed one by one, as before."""
        counts = []
        for distributor in distributors:
            with self._count_runs() as runs:
                pdf, _format = self.Report._render_qweb_pdf(REPORT, self._statement(distributor).ids)
            self.assertEqual(runs, [1], "one statement: Odoo's own rendering, one document")
            self.assertIn(distributor.display_name, pdf_text(pdf))
            counts.append(page_count(pdf))
        return counts

    def test_print_several_in_one_pdf(self):
        # not the order of the ids: the leader (several pages) in the middle, a Russian statement last
        people = [self.clara, self.leader, self.aigerim]
        pdf, runs = self._print(people)
        self.assertEqual(runs, [1], "one wkhtmltopdf run of one document")
        self._assert_in_order(pdf, people)
        singles = self._single_pages(people)
        self.assertGreater(singles[1], 1, "the leader's statement has several pages")
        self.assertEqual(page_count(pdf), sum(singles), "each statement from a new page, as printed alone")
        text = pdf_text(pdf)
        self.assertLess(text.index(f"Recruit {RECRUITS:02d}"), text.index(self.aigerim.display_name))
        # the reverse selection, the reverse order
        pdf, runs = self._print(people[::-1])
        self.assertEqual(runs, [1])
        self._assert_in_order(pdf, people[::-1])

    def test_print_several_not_cut_safely(self):
        """When the one-pass PDF cannot be cut per statement, each statement is rendered alone: the same PDF."""
        people = [self.bolat, self.clara, self.aigerim]
        with patch.object(pdf_batch, "split_pdf", return_value=None):
            pdf, runs = self._print(people)
        self.assertEqual(runs, [1, 1, 1, 1], "the one try, then one run per statement")
        self._assert_in_order(pdf, people)
        self.assertEqual(page_count(pdf), 3)

    def test_print_one_and_html(self):
        """One statement prints as before (Odoo's rendering, the batch untouched); tests render HTML unless asked."""
        Report = self.registry["ir.actions.report"]
        with patch.object(Report, "_render_qweb_pdf_batch", side_effect=AssertionError("no batch")):
            pdf, runs = self._print([self.clara])
        self.assertEqual(runs, [1])
        self.assertEqual(page_count(pdf), 1)
        html, report_type = self.env["ir.actions.report"]._render_qweb_pdf(REPORT, self.statements.ids)
        self.assertEqual(report_type, "html")
        self.assertIn(self.clara.display_name, html.decode())


@tagged("post_install", "-at_install")
class TestStatementPrintHttp(HttpCase, MlmCommissionCommon):
    """The backend's bulk print, through ``/report/pdf`` as a commission user: one PDF of the statements, in order."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_reference_volume()
        cls.period.action_compute_now()
        cls.env["res.users"].create(
            {
                "name": "Statement Printer",
                "login": "mlm_statement_printer",
                "password": "mlm_statement_printer",
                "groups_id": [(6, 0, [cls.env.ref("mlm_network.group_mlm_user").id])],
            }
        )

    def test_print_route(self):
        people = [self.carol, self.alice, self.bob]
        statements = self.period.statement_ids
        ids = [statements.filtered(lambda s, d=distributor: s.distributor_id == d).id for distributor in people]
        # wkhtmltopdf fetches the report's assets from report.url: not from this test server, whose one test cursor
        # the print request holds (it would wait for ever); the PDF is made without them, as in the other tests
        self.env["ir.config_parameter"].set_param("report.url", "http://127.0.0.1:8329")
        self.authenticate("mlm_statement_printer", "mlm_statement_printer")
        # tests render reports as HTML unless the context asks for the PDF, as the web client's context would
        context = json.dumps({"force_report_rendering": True})
        response = self.url_open(f"/report/pdf/{REPORT}/{','.join(map(str, ids))}?context={context}", timeout=120)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Content-Type"], "application/pdf")
        text = pdf_text(response.content)
        positions = [text.index(distributor.display_name) for distributor in people]
        self.assertEqual(positions, sorted(positions), "the statements in the selected order")
        self.assertEqual(page_count(response.content), 3)
