"""18.0.1.1.0: announcements the retired cron had not finished sending resume as queue_job jobs."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["mlm.portal.announcement"].search([("state", "=", "sending")])._enqueue_send()
