"""18.0.1.2.0: the result tables' references are declared once (tools/result_table.py) and kept whole by the
cleanup of the models they reference, instead of foreign keys.

Rows written before that cleanup existed may point to deleted rows: the declared rules are applied to them once
(a deleted period's rows are removed, a deleted sponsor, source, rank, payment or entry is cleared). The tables'
columns and indexes are created from the same description by the models' ``init`` during the update.
"""

import logging

from odoo.addons.mlm_commission.tools import result_table

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    result_table.repair(cr)
    left = result_table.orphans(cr)
    if left:
        _logger.warning("Commission results still referencing deleted distributors: %s", left)
