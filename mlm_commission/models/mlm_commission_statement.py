import io

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..tools.result_table import COMMISSION_STATEMENT
from .ir_actions_report import PRERENDERED_PDF_KEY
from .mlm_volume_line import SYSTEM_MARKER

# A PDF statement lists every line up to this many; above it, lines are summarised per bonus and level.
REPORT_DETAIL_LIMIT = 500
HELD_REASONS = [("none", "Paid"), ("threshold", "Below threshold"), ("compliance", "Customer volume gate")]


class MlmCommissionStatement(models.Model):
    _name = "mlm.commission.statement"
    _description = "Commission Statement"
    _order = "period_id desc, total desc, id"
    _rec_name = "distributor_id"
    # Written in bulk by the run (one row per distributor and period): no foreign keys, see mlm.commission.line.
    _auto = False

    period_id = fields.Many2one("mlm.commission.period", required=True, readonly=True, index=True, ondelete="cascade")
    # company and currency come through the period: fewer foreign keys to check per row on bulk writes
    company_id = fields.Many2one(related="period_id.company_id")
    currency_id = fields.Many2one(related="period_id.currency_id")
    distributor_id = fields.Many2one("mlm.distributor", required=True, readonly=True, index=True)
    partner_id = fields.Many2one(related="distributor_id.partner_id", string="Partner")
    # genealogy snapshot at computation time
    sponsor_id = fields.Many2one("mlm.distributor", string="Sponsor Then", readonly=True)
    depth = fields.Integer(readonly=True)
    pv = fields.Float(string="PV", readonly=True, digits="Product Unit of Measure")
    gv = fields.Float(string="GV", readonly=True, digits="Product Unit of Measure")
    bv = fields.Monetary(string="BV", readonly=True)
    customer_bv = fields.Monetary(string="Customer BV", readonly=True)
    group_bv = fields.Monetary(string="Group BV", readonly=True)
    group_customer_bv = fields.Monetary(string="Group Customer BV", readonly=True)
    is_active = fields.Boolean(string="Active", readonly=True)
    paid_rank_id = fields.Many2one("mlm.rank", readonly=True)
    legs_qualified = fields.Integer(readonly=True)
    leg_count = fields.Integer(string="Legs", readonly=True)
    total = fields.Monetary(string="Earned", readonly=True)
    carry_in = fields.Monetary(string="Carried In", readonly=True)
    payable = fields.Monetary(readonly=True)
    carry_out = fields.Monetary(string="Carried Forward", readonly=True)
    held_reason = fields.Selection(HELD_REASONS, readonly=True, default="none")
    # binary plans (docs/ENGINE.md "Binary and matrix plans"): volumes in the plan's binary volume (BV or PV)
    binary_left = fields.Float(string="Left Leg Volume", readonly=True, help="Volume of the left leg this period.")
    binary_right = fields.Float(string="Right Leg Volume", readonly=True, help="Volume of the right leg this period.")
    binary_carry_left_in = fields.Float(string="Left Carry In", readonly=True)
    binary_carry_right_in = fields.Float(string="Right Carry In", readonly=True)
    binary_matched = fields.Float(string="Matched Volume", readonly=True, help="Weaker-leg volume paid this period.")
    binary_carry_left = fields.Float(string="Left Carry Out", readonly=True)
    binary_carry_right = fields.Float(string="Right Carry Out", readonly=True)
    binary_pending = fields.Float(
        string="Pending Volume", readonly=True, help="Volume waiting in the holding tank until placement."
    )
    binary_capped = fields.Monetary(
        string="Over the Binary Cap", readonly=True, help="Binary commission above the rank's cap: not paid."
    )
    binary_qualified = fields.Boolean(readonly=True)
    risk = fields.Selection(
        [("rank", "Short of their rank"), ("activity", "Activity falling")],
        string="At Risk",
        readonly=True,
        help="Short of their rank: this period pays a rank below the one they hold. Activity falling: PV less than "
        "half of the previous period's.",
    )
    state = fields.Selection(
        [("preview", "Preview"), ("closed", "Closed"), ("paid", "Paid")], default="preview", readonly=True
    )
    payment_id = fields.Many2one("account.payment", readonly=True)
    payout_move_id = fields.Many2one(
        "account.move",
        string="E-Wallet Entry",
        readonly=True,
        help="The entry that paid this statement to the e-wallet.",
    )
    line_ids = fields.One2many("mlm.commission.line", compute="_compute_line_ids", string="Commission Lines")
    date_from = fields.Date(string="Period Start", readonly=True)
    date_to = fields.Date(related="period_id.date_to", string="Period End")
    branch_id = fields.Many2one(related="distributor_id.branch_id", string="Branch")

    def init(self):
        if not self.env.su:  # Odoo's registry hook (run as superuser), public by name: not for RPC callers
            raise AccessError(self.env._("Only the server sets up the database."))
        self.env.cr.execute(COMMISSION_STATEMENT.create_sql())

    def _compute_line_ids(self):
        lines = self.env["mlm.commission.line"].search(
            [("period_id", "in", self.period_id.ids), ("beneficiary_id", "in", self.distributor_id.ids)]
        )
        grouped = {}
        for line in lines:
            grouped.setdefault((line.period_id.id, line.beneficiary_id.id), []).append(line.id)
        for statement in self:
            statement.line_ids = [(6, 0, grouped.get((statement.period_id.id, statement.distributor_id.id), []))]

    @api.model_create_multi
    def create(self, vals_list):
        if self.env.context.get("mlm_volume_system") is not SYSTEM_MARKER:
            raise AccessError(self.env._("Statements are written by the commission run only."))
        with COMMISSION_STATEMENT.ids_lock(self.env.cr):  # the run reserves ranges of ids from the same sequence
            return super().create(vals_list)

    def write(self, vals):
        if self.env.context.get("mlm_volume_system") is not SYSTEM_MARKER:
            raise AccessError(self.env._("Statements are written by the commission run only."))
        return super().write(vals)

    def _send_statement_mails(self):
        """Job: render these statements' e-mails in one batch into Odoo's mail queue (mail.mail, sent by its
        scheduled action), instead of one send per statement. Their PDF statements are rendered beforehand, one
        wkhtmltopdf pass per language (``_prerender_statement_pdfs``), and each e-mail attaches its own: Odoo's
        template would run wkhtmltopdf once per e-mail."""
        template = self.env.ref("mlm_commission.mail_template_commission_statement", raise_if_not_found=False)
        if not template or not self:
            return 0
        pdfs = self._prerender_statement_pdfs(template)
        with self.env["ir.actions.report"]._serve_prerendered_pdfs(pdfs) as token:
            mails = template.with_context(**{PRERENDERED_PDF_KEY: token}).send_mail_batch(self.ids, force_send=False)
        return len(mails)

    def _prerender_statement_pdfs(self, template):
        """{(lang, report id, statement id): PDF bytes} of these statements for the e-mails of ``template``: the
        statements grouped by the language the template renders each e-mail in (as ``mail.template`` groups them,
        ``_classify_per_lang``), each group in one wkhtmltopdf pass in its language. Statements left out (a group
        that could not be cut safely) get their PDF from Odoo, one by one."""
        report = self.env.ref("mlm_commission.action_report_commission_statement", raise_if_not_found=False)
        if not report or report not in template.sudo().report_template_ids:
            return {}
        pdfs = {}
        for lang_template, res_ids in template._classify_per_lang(self.ids).values():
            Report = lang_template.env["ir.actions.report"]
            for res_id, pdf in Report._render_qweb_pdf_batch(report, res_ids).items():
                pdfs[(Report.env.lang, report.id, res_id)] = pdf
        return pdfs

    def _bonus_totals(self):
        """[(bonus label, amount)] of this statement, in the plan's bonus order."""
        self.ensure_one()
        labels = dict(self.env["mlm.plan"]._get_bonus_type_selection())
        sums = {}
        for line in self.line_ids:
            sums[line.bonus_type] = sums.get(line.bonus_type, 0.0) + line.amount
        return [(labels[code], self.currency_id.round(amount)) for code, amount in sorted(sums.items())]

    def _report_summary(self):
        """Rows of the PDF statement when it has more lines than a PDF can sensibly hold (a top leader of a large
        network earns on thousands of sources): [(bonus label, level, sources, base, amount)] per bonus and level.
        Empty when every line fits; the XLSX always has every line."""
        self.ensure_one()
        Line = self.env["mlm.commission.line"]
        domain = [("period_id", "=", self.period_id.id), ("beneficiary_id", "=", self.distributor_id.id)]
        if Line.search_count(domain) <= REPORT_DETAIL_LIMIT:
            return []
        labels = dict(self.env["mlm.plan"]._get_bonus_type_selection())
        groups = Line._read_group(
            domain, ["bonus_type", "level"], ["__count", "base_amount:sum", "amount:sum"], order="bonus_type, level"
        )
        return [
            (labels.get(bonus, bonus), level, count, self.currency_id.round(base), self.currency_id.round(amount))
            for bonus, level, count, base, amount in groups
        ]

    def action_print(self):
        return self.env.ref("mlm_commission.action_report_commission_statement").report_action(self)

    def action_export_xlsx(self):
        self.ensure_one()
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Statement %(period)s %(code)s.xlsx",
                    period=self.period_id.name,
                    code=self.distributor_id.code or self.distributor_id.id,
                ),
                "raw": self._export_xlsx(),
                "res_model": self._name,
                "res_id": self.id,
                "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

    def _export_xlsx(self):
        """The statement as an XLSX workbook (bytes): header, one row per commission line, totals."""
        self.ensure_one()
        import xlsxwriter  # external dependency, loaded on use

        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = workbook.add_worksheet(self.env._("Statement"))
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        sheet.write(0, 0, self.env._("Commission statement"), bold)
        sheet.write(0, 1, self.period_id.name)
        sheet.write(1, 0, self.env._("Distributor"), bold)
        sheet.write(1, 1, self.distributor_id.display_name)
        sheet.write(2, 0, self.env._("Paid rank"), bold)
        sheet.write(2, 1, self.paid_rank_id.name or "")
        sheet.write(3, 0, self.env._("PV"), bold)
        sheet.write_number(3, 1, self.pv)
        sheet.write(4, 0, self.env._("GV"), bold)
        sheet.write_number(4, 1, self.gv)
        headers = [
            self.env._("Bonus"),
            self.env._("Source"),
            self.env._("Level"),
            self.env._("Rate (%)"),
            self.env._("Base BV"),
            self.env._("Amount"),
        ]
        for col, title in enumerate(headers):
            sheet.write(6, col, title, bold)
        labels = dict(self.env["mlm.plan"]._get_bonus_type_selection())
        row = 7
        for line in self.line_ids:
            sheet.write(row, 0, labels.get(line.bonus_type, line.bonus_type))
            sheet.write(row, 1, line.source_distributor_id.display_name or "")
            sheet.write_number(row, 2, line.level)
            sheet.write_number(row, 3, round(line.rate * 100, 4))
            sheet.write_number(row, 4, line.base_amount, money)
            sheet.write_number(row, 5, line.amount, money)
            row += 1
        row += 1
        for label, value in (
            (self.env._("Earned"), self.total),
            (self.env._("Carried in"), self.carry_in),
            (self.env._("Payable"), self.payable),
            (self.env._("Carried forward"), self.carry_out),
            *self._binary_summary(),
        ):
            sheet.write(row, 4, label, bold)
            sheet.write_number(row, 5, value, money)
            row += 1
        sheet.set_column(0, 1, 28)
        workbook.close()
        return buffer.getvalue()

    def _binary_summary(self):
        """(label, value) of the binary pairing of this statement (empty for statements without binary)."""
        self.ensure_one()
        figures = (
            (self.env._("Left leg volume"), self.binary_left),
            (self.env._("Right leg volume"), self.binary_right),
            (self.env._("Left carry in"), self.binary_carry_left_in),
            (self.env._("Right carry in"), self.binary_carry_right_in),
            (self.env._("Matched volume"), self.binary_matched),
            (self.env._("Left carry out"), self.binary_carry_left),
            (self.env._("Right carry out"), self.binary_carry_right),
            (self.env._("Pending volume (holding tank)"), self.binary_pending),
            (self.env._("Over the binary cap, not paid"), self.binary_capped),
        )
        if not any(value for _label, value in figures):
            return ()
        return figures
