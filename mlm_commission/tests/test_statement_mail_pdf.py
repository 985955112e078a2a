import io
from unittest import TestCase
from unittest.mock import patch

from PIL import Image

from odoo.tests import tagged
from odoo.tools.pdf import PdfReader
from odoo.tools.safe_eval import safe_eval, time

from ..models.ir_actions_report import PRERENDERED_PDF_KEY
from ..tools import pdf_batch
from .common import MlmCommissionCommon

REPORT = "mlm_commission.report_commission_statement"
# a leader with this many recruits earns on as many lines: a statement of several pages
RECRUITS = 90


def pdf_text(pdf):
    """The text of a PDF, whitespace collapsed (wkhtmltopdf places words apart: read as tabs and new lines)."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def page_count(pdf):
    return len(PdfReader(io.BytesIO(pdf)).pages)


class StatementPdfCommon(MlmCommissionCommon):
    """Statements of four distributors of two languages, a leader's of several pages among them, to print for real
    (``Report`` forces the PDF rendering that tests otherwise replace by HTML)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("ru_RU")
        cls.env["ir.module.module"].search([("name", "=", "mlm_commission")])._update_translations("ru_RU")
        # four distributors of two languages, none of them on another's statement (sources and sponsors are others)
        cls.leader = cls._make_distributor("Leader Lewis", cls.root)
        cls.clara = cls._make_distributor("Clara Crane", cls.root)
        cls.aigerim = cls._make_distributor("Айгерим Садыкова", cls.root)
        cls.bolat = cls._make_distributor("Болат Ахметов", cls.root)
        (cls.aigerim | cls.bolat).partner_id.lang = "ru_RU"
        partners = cls.env["res.partner"].create(
            [{"name": f"Recruit {i:02d}", "email": f"recruit{i}@example.com"} for i in range(1, RECRUITS + 1)]
        )
        Distributor = cls.env["mlm.distributor"]
        recruits = Distributor.create(
            [
                Distributor._prepare_enroll_values(partner, cls.leader, {"branch_id": cls.branch.id})
                for partner in partners
            ]
        )
        for sponsor, name in ((cls.clara, "Dana Dove"), (cls.aigerim, "Ерлан Жумабаев"), (cls.bolat, "Гульнара Ким")):
            recruits |= cls._make_distributor(name, sponsor)
        for distributor in cls.leader | cls.clara | cls.aigerim | cls.bolat | recruits:
            cls._adjust(distributor, 100, 20.0)
        cls.period.action_compute_now()
        cls.people = cls.leader | cls.clara | cls.aigerim | cls.bolat
        cls.statements = cls.period.statement_ids.filtered(lambda s: s.distributor_id in cls.people)
        cls.Report = cls.env["ir.actions.report"].with_context(force_report_rendering=True)


@tagged("post_install", "-at_install")
class TestStatementMailPdf(StatementPdfCommon):
    """The statement e-mails of a batch: the PDFs rendered in one wkhtmltopdf pass per language, each e-mail with
    its own statement's PDF, a leader's statement of several pages included."""

    def _send(self, statements):
        """Run the e-mail job on ``statements`` with real PDFs: {distributor: (mail, its one PDF attachment)}, and
        the wkhtmltopdf calls [(lang, bodies)]."""
        Report = self.registry["ir.actions.report"]
        original = Report._run_wkhtmltopdf
        calls = []

        def counting(report, bodies, *args, **kwargs):
            calls.append((report.env.lang, len(bodies)))
            return original(report, bodies, *args, **kwargs)

        with patch.object(Report, "_run_wkhtmltopdf", counting):
            count = statements.with_context(force_report_rendering=True)._send_statement_mails()
        self.assertEqual(count, len(statements))
        mails = self.env["mail.mail"].search([("model", "=", statements._name), ("res_id", "in", statements.ids)])
        self.assertEqual(sorted(mails.mapped("res_id")), sorted(statements.ids), "one e-mail per statement")
        result = {}
        for mail in mails:
            statement = statements.browse(mail.res_id)
            pdfs = mail.attachment_ids.filtered(lambda a: a.mimetype == "application/pdf")
            self.assertEqual(len(pdfs), 1, "exactly one PDF per e-mail")
            # the file name of today: the report's print_report_name, in the e-mail's language
            report = self.env.ref("mlm_commission.action_report_commission_statement")
            report = report.with_context(lang=statement.distributor_id.lang)
            name = safe_eval(report.print_report_name, {"object": statement, "time": time})
            self.assertEqual(pdfs.name, f"{name}.pdf")
            self.assertTrue(name.endswith(f" {statement.period_id.name} {statement.distributor_id.code}"))
            result[statement.distributor_id] = (mail, pdfs)
        return result, calls

    def _assert_own_pdf(self, mailed, people):
        """Each PDF names its own distributor (name and code) and no other of ``people``; Russian statements are in
        Russian."""
        for distributor, (_mail, attachment) in mailed.items():
            text = pdf_text(attachment.raw)
            self.assertIn(distributor.display_name, text)
            self.assertIn(distributor.code, text)
            for other in people - distributor:
                self.assertNotIn(other.name, text, f"{other.name} on {distributor.name}'s statement")
                self.assertNotIn(other.display_name, text)
            self.assertIn("Перенесено" if distributor.lang == "ru_RU" else "Carried forward", text)

    def test_one_pass_per_language(self):
        mailed, calls = self._send(self.statements)
        self.assertEqual(set(mailed), set(self.people))
        self.assertEqual(sorted(calls), [("en_US", 1), ("ru_RU", 1)], "one wkhtmltopdf run per language, not per mail")
        self._assert_own_pdf(mailed, self.people)
        # the leader's statement: several pages, all of it (its last line and the totals), and the same pages as
        # Odoo's own rendering of that statement alone
        leader_pdf = mailed[self.leader][1].raw
        alone, _format = self.Report.with_context(lang="en_US")._render_qweb_pdf(
            REPORT, self.statements.filtered(lambda s: s.distributor_id == self.leader).ids
        )
        self.assertGreater(page_count(leader_pdf), 1)
        self.assertEqual(page_count(leader_pdf), page_count(alone))
        text = pdf_text(leader_pdf)
        self.assertIn(f"Recruit {RECRUITS:02d}", text)
        self.assertIn("Recruit 01", text)
        self.assertIn(self.env.company.name, text)
        for other in self.people - self.leader:
            self.assertEqual(page_count(mailed[other][1].raw), 1)

    def test_pdfs_not_cut_safely_are_rendered_one_by_one(self):
        """When the batch PDF cannot be cut safely, each e-mail still gets its own PDF, from Odoo's own rendering."""
        statements = self.statements.filtered(lambda s: s.distributor_id in self.clara | self.aigerim)
        with patch.object(pdf_batch, "split_pdf", return_value=None):
            mailed, calls = self._send(statements)
        # one try per language, then one run per statement
        self.assertEqual(sorted(calls), [("en_US", 1), ("en_US", 1), ("ru_RU", 1), ("ru_RU", 1)])
        self._assert_own_pdf(mailed, self.clara | self.aigerim)

    def test_prerendered_pdfs_served_to_their_job_only(self):
        """A PDF rendered beforehand is served for its report, record and language, within its job only."""
        statement = self.statements[:1]
        report = self.env.ref("mlm_commission.action_report_commission_statement")
        Report = self.env["ir.actions.report"].with_context(lang="en_US")
        with Report._serve_prerendered_pdfs({("en_US", report.id, statement.id): b"%PDF-1.4 job"}) as token:
            job_report = Report.with_context(**{PRERENDERED_PDF_KEY: token})
            self.assertEqual(job_report._render_qweb_pdf(REPORT, statement.ids), (b"%PDF-1.4 job", "pdf"))
            # without the token, in another language, for another record: Odoo's rendering (HTML in tests)
            self.assertEqual(Report._render_qweb_pdf(REPORT, statement.ids)[1], "html")
            self.assertEqual(job_report.with_context(lang="ru_RU")._render_qweb_pdf(REPORT, statement.ids)[1], "html")
            self.assertEqual(job_report._render_qweb_pdf(REPORT, self.statements[1:2].ids)[1], "html")
        self.assertEqual(job_report._render_qweb_pdf(REPORT, statement.ids)[1], "html", "gone with the job")
        self.assertEqual(Report._render_qweb_pdf_batch(REPORT, statement.ids), {}, "HTML in tests unless asked")


class PdfObject(dict):
    """A PDF dictionary as the reader gives it (direct objects: ``get_object`` is themselves)."""

    def get_object(self):
        return self


class TestPdfMarkers(TestCase):
    """Cutting a merged PDF by its marker images: every marker once, in order, one per page, or not at all."""

    token = 41

    def page(self, *images):
        """A page showing images of these (width, height); an index alone is the marker of that article."""
        xobjects = {
            f"/Im{n}": PdfObject(
                {"/Subtype": "/Image", "/Width": size[0], "/Height": size[1]}
                if isinstance(size, tuple)
                else {"/Subtype": "/Image", "/Width": size + 1, "/Height": self.token}
            )
            for n, size in enumerate(images)
        }
        return PdfObject({"/Resources": PdfObject({"/XObject": PdfObject(xobjects)})})

    def starts(self, *pages, count=3):
        reader = type("Reader", (), {"pages": list(pages)})
        return pdf_batch.marker_pages(reader, self.token, count)

    def test_markers(self):
        page = self.page
        logo = (450, 120)
        self.assertEqual(self.starts(page(0, logo), page(), page(1, logo), page(2)), [0, 2, 3])
        self.assertEqual(self.starts(page(0), page((1, 40)), page(1), page((3, 40)), page(2)), [0, 2, 4])
        self.assertIsNone(self.starts(page(logo), page(0), page(1), page(2)), "the first page is the first record's")
        self.assertIsNone(self.starts(page(0), page(2), page(1)), "out of order")
        self.assertIsNone(self.starts(page(0), page(1, 2)), "two records on one page")
        self.assertIsNone(self.starts(page(0), page(1), page()), "a marker lost")
        self.assertIsNone(self.starts(page(0), page(1), page(1), page(2)), "a marker twice")
        self.assertIsNone(self.starts(page(0), page(1), page(2), count=4), "a record missing")
        self.assertIsNone(self.starts(PdfObject({}), page(1), page(2)), "a page without resources")

    def test_marker_image(self):
        image = Image.open(io.BytesIO(pdf_batch.marker_png(self.token, 6)))
        self.assertEqual((image.size, image.getextrema()), ((7, self.token), (255, 255)), "white, 7 x token pixels")
