"""18.0.1.1.0: commission runs are OCA queue_job jobs; the home-made queue (a cron polling queued runs) is retired.

The cron record is removed (it was noupdate data, so the update would keep it), and runs still waiting in the old
queue are closed as cancelled before the new one-busy-run-per-company index is built: start them again from the
period, which enqueues a job.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("mlm_commission.ir_cron_mlm_commission_run", raise_if_not_found=False)
    if cron:
        cron.unlink()
    env["ir.model.data"].search(
        [("module", "=", "mlm_commission"), ("name", "=", "ir_cron_mlm_commission_run")]
    ).unlink()
    cr.execute(
        """
        UPDATE mlm_commission_run
           SET state = 'cancelled', message = 'The background queue was replaced by queue_job: compute again.'
         WHERE state IN ('queued', 'running')
        """
    )
