"""18.0.1.1.0: team announcements are e-mailed by OCA queue_job jobs; the cron that polled them is removed (it was
noupdate data, so the update would keep it). Announcements still sending get a job after the update."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("mlm_portal.ir_cron_send_announcements", raise_if_not_found=False)
    if cron:
        cron.unlink()
    env["ir.model.data"].search([("module", "=", "mlm_portal"), ("name", "=", "ir_cron_send_announcements")]).unlink()
