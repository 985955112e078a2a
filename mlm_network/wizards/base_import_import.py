from odoo import models


class BaseImportImport(models.TransientModel):
    _inherit = "base_import.import"

    def execute_import(self, fields, columns, options, dryrun=False):
        """A real (not test) import of distributors may be queued as a job when the file is large (see
        ``mlm.distributor.load``); a test import always runs in the request and is rolled back."""
        importer = self
        if not dryrun and self.res_model == "mlm.distributor":
            importer = self.with_context(mlm_import_queue=self.file_name or True)
        return super(BaseImportImport, importer).execute_import(fields, columns, options, dryrun=dryrun)
