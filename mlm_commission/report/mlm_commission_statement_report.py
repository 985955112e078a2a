from werkzeug.exceptions import NotFound

from odoo import api, models


class ReportCommissionStatement(models.AbstractModel):
    _name = "report.mlm_commission.report_commission_statement"
    _description = "Commission Statement Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        """The statements to print: guessed or missing ids (``/report/pdf/.../0``) are not found, never a crash."""
        docs = self.env["mlm.commission.statement"].browse(docids)
        if not docs or docs.exists() != docs:
            raise NotFound()
        docs.check_access("read")
        return {"doc_ids": docs.ids, "doc_model": docs._name, "docs": docs, "data": data}
