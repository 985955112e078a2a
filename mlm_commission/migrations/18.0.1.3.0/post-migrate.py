"""18.0.1.3.0: the real-time projection is shared by every worker: its state lives in PostgreSQL tables
(``mlm_projection_state``, ``_node``, ``_earning``, ``_delta``; see models/mlm_distributor_projection.py).

The tables are created here (and by ``mlm.distributor.init`` on every update); the first fold of each company is
enqueued, so the state exists before the cron's first minute.
"""

from odoo import SUPERUSER_ID, api

from odoo.addons.mlm_commission.models import mlm_distributor_projection as projection


def migrate(cr, version):
    projection.create_tables(cr)
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.company"].search([("mlm_plan_id", "!=", False)])._mlm_projection_enqueue_fold()
