#!/usr/bin/env python3
"""Statement e-mails with the PDF attached: Odoo's per-e-mail rendering beside one wkhtmltopdf pass per language.

    $ODOO_PY mlm_commission/benchmarks/bench_statement_mail.py -c CONF -d DB [--count 40] [--company NAME]
        [--langs en_US,ru_RU] [--report-url http://127.0.0.1:8301] [--compute]

``DB`` holds a period with statements (computed or closed; ``--compute`` computes the latest open period of the
company first and commits it, as bench_dashboard.py does). In ONE transaction that the script rolls back, it takes
``--count`` statements that the close would e-mail (amounts not zero, in id order, as ``_close_send_statements``
batches them), optionally gives their distributors the languages ``--langs`` in turn (so the batch has several
language groups), then renders their e-mails into the mail queue twice:

1. the baseline, Odoo's own way: ``mail.template.send_mail_batch`` as before, one wkhtmltopdf run per e-mail
   (``_render_qweb_pdf(report, [res_id])`` in ``mail.template._generate_template_attachments``);
2. the statement job, ``mlm.commission.statement._send_statement_mails``: one wkhtmltopdf run per language group,
   cut per statement.

It prints the wall time of each, seconds per PDF, the wkhtmltopdf runs, and the machine's load average. wkhtmltopdf
loads the report's CSS from the Odoo server at ``report.url`` (or ``web.base.url``): run the server of ``DB``
(``odoo -c CONF --http-port PORT``) and pass its address as ``--report-url``, or the PDFs are rendered unstyled.
"""

# a command-line report: printing is its output
# pylint: disable=print-used

import argparse
import io
import os
import time
from unittest.mock import patch

import bench_run

from odoo.tools import SQL
from odoo.tools.pdf import PdfReader


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument(
        "--count", type=int, default=40, help="statements of the batch (40: the jobs' size before this change)"
    )
    parser.add_argument("--offset", type=int, default=0, help="skip the first statements (the top of the tree)")
    parser.add_argument("--no-baseline", action="store_true", help="time the statement job only")
    parser.add_argument("--company", help="company name (default: the company of the latest computed period)")
    parser.add_argument("--langs", default="", help="languages given to the distributors in turn, e.g. en_US,ru_RU")
    parser.add_argument("--report-url", help="address of the running Odoo server wkhtmltopdf loads the CSS from")
    parser.add_argument("--compute", action="store_true", help="compute the latest open period first (committed)")
    return parser.parse_args()


def load():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def find_period(env, args):
    Period = env["mlm.commission.period"]
    domain = []
    if args.company:
        company = env["res.company"].search([("name", "=", args.company)], limit=1)
        if not company:
            raise SystemExit(f"no company {args.company!r}")
        domain = [("company_id", "=", company.id)]
    period = Period.search([*domain, ("state", "in", ("computed", "closed", "paid"))], order="date_from desc", limit=1)
    if not period and args.compute:
        period = Period.search([*domain, ("state", "=", "open")], order="date_from desc", limit=1)
        if period:
            start = time.perf_counter()
            period._compute_commissions()
            env.cr.commit()  # a benchmark's setup step, kept like bench_dashboard.py's preview
            print(f"  preview of {period.name} (once, committed)            {time.perf_counter() - start:9.3f} s")
    if not period:
        raise SystemExit("no computed period: run with --compute, or compute one first")
    return period


def statement_ids(env, period, count, offset):
    env["mlm.commission.statement"].flush_model()
    env.cr.execute(
        SQL(
            """
            SELECT id FROM mlm_commission_statement
             WHERE period_id = %s AND (total != 0 OR payable != 0 OR carry_out != 0)
             ORDER BY id LIMIT %s OFFSET %s
            """,
            period.id,
            count,
            offset,
        )
    )
    return [row[0] for row in env.cr.fetchall()]


def timed(env, label, send, statements):
    """Run ``send`` (which queues the e-mails of ``statements``), print its figures; the mails' PDF page counts."""
    Report = env.registry["ir.actions.report"]
    original = Report._run_wkhtmltopdf
    runs = []

    def counting(report, bodies, *args, **kwargs):
        start = time.perf_counter()
        try:
            return original(report, bodies, *args, **kwargs)
        finally:
            runs.append(time.perf_counter() - start)

    with patch.object(Report, "_run_wkhtmltopdf", counting):
        start = time.perf_counter()
        send()
        env.flush_all()
        elapsed = time.perf_counter() - start
    mails = env["mail.mail"].search(
        [("model", "=", statements._name), ("res_id", "in", statements.ids)], order="id desc", limit=len(statements)
    )
    pages, size = {}, 0
    for mail in mails:
        pdfs = mail.attachment_ids.filtered(lambda a: a.mimetype == "application/pdf")
        assert len(pdfs) == 1, f"e-mail {mail.id}: {len(pdfs)} PDFs"
        pages[mail.res_id] = len(PdfReader(io.BytesIO(pdfs.raw)).pages)
        size += len(pdfs.raw)
    n = len(statements)
    print(
        f"  {label:<44} {elapsed:8.2f} s  {elapsed / n:6.3f} s per PDF  "
        f"({len(runs)} wkhtmltopdf runs, {sum(runs):.2f} s in them; {sum(pages.values())} pages, "
        f"{size / n / 1024:.0f} KB per PDF; load {load()})"
    )
    return elapsed, pages


def main():
    args = parse()
    with bench_run.superuser_env(args) as env:
        cr = env.cr
        period = find_period(env, args)
        env = env(context=dict(env.context, allowed_company_ids=[period.company_id.id]))
        statements = env["mlm.commission.statement"].browse(statement_ids(env, period, args.count, args.offset))
        if not statements:
            raise SystemExit(f"{period.name}: no statement to e-mail")
        if args.report_url:
            env["ir.config_parameter"].set_param("report.url", args.report_url)
        langs = [code for code in args.langs.split(",") if code]
        for code in langs:
            env["res.lang"]._activate_lang(code)
        for index, statement in enumerate(statements):
            if langs:
                statement.distributor_id.partner_id.lang = langs[index % len(langs)]
        template = env.ref("mlm_commission.mail_template_commission_statement")
        groups = {lang: len(ids) for lang, (_t, ids) in template._classify_per_lang(statements.ids).items()}
        print(
            f"period {period.name} of {period.company_id.name}: {len(statements)} statements, languages {groups}; "
            f"load average {load()}"
        )
        # warm-up (not timed): the report's QWeb compiled, the CSS bundle served once
        env["ir.actions.report"]._render_qweb_pdf("mlm_commission.report_commission_statement", statements[:1].ids)
        env.cr.execute(
            SQL(
                "SELECT count(*), max(n) FROM (SELECT count(*) AS n FROM mlm_commission_line WHERE period_id = %s "
                "AND beneficiary_id = ANY(%s) GROUP BY beneficiary_id) lines",
                period.id,
                statements.distributor_id.ids,
            )
        )
        print("  commission lines on them: %s distributors with lines, at most %s lines" % env.cr.fetchone())
        if not args.no_baseline:
            before, old_pages = timed(
                env,
                "Odoo: one wkhtmltopdf run per e-mail",
                lambda: template.send_mail_batch(statements.ids),
                statements,
            )
        after, new_pages = timed(
            env, "statement job: one run per language", statements._send_statement_mails, statements
        )
        multi = sum(1 for pages in new_pages.values() if pages > 1)
        if not args.no_baseline:
            assert old_pages == new_pages, "the same pages per statement both ways"
            print(f"  speed-up {before / after:.1f}x; same pages per statement both ways; multi-page: {multi}")
        cr.rollback()


if __name__ == "__main__":
    main()
