from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..tools.placement import PLACEMENT_POSITIONS, PLACEMENT_PREFERENCES, PLACEMENT_STATES


class MlmDistributor(models.Model):
    """The placement tree: a second tree beside the sponsor (enroller) tree, for binary and matrix plans.

    ``placement_path`` is a materialised path like ``parent_path`` (ids from the root down to the node, each
    followed by ``/``), kept by set-based SQL; Odoo's ``_parent_store`` already serves the sponsor tree.
    """

    _inherit = "mlm.distributor"

    placement_parent_id = fields.Many2one(
        "mlm.distributor",
        string="Placement Parent",
        index=True,
        ondelete="restrict",
        check_company=True,
        readonly=True,
        copy=False,
        help="Upline in the placement tree (binary or matrix); the sponsor or someone in the sponsor's placement "
        "downline. Changed by placing from the holding tank or by a placement move.",
    )
    placement_parent_code = fields.Char(
        string="Placement Parent ID",
        compute="_compute_placement_parent_code",
        help="Distributor ID of the placement parent; used to import genealogies.",
    )
    placement_position = fields.Selection(
        PLACEMENT_POSITIONS, readonly=True, copy=False, help="Leg under the placement parent in a binary tree."
    )
    placement_slot = fields.Integer(
        readonly=True,
        copy=False,
        help="Position under the placement parent, from 1: left is 1 and right is 2 in a binary tree, "
        "1 to the width in a matrix.",
    )
    placement_path = fields.Char(index=True, readonly=True, copy=False)
    placement_depth = fields.Integer(readonly=True, copy=False, help="Number of placement parents above.")
    placement_child_ids = fields.One2many("mlm.distributor", "placement_parent_id", string="Placed Below")
    placement_child_count = fields.Integer(
        string="Filled Positions",
        readonly=True,
        copy=False,
        help="Positions taken directly below; every placement updates this row, which orders concurrent sign-ups.",
    )
    placement_state = fields.Selection(PLACEMENT_STATES, readonly=True, copy=False, index=True)
    placement_deadline = fields.Datetime(
        readonly=True, copy=False, help="When the holding tank places this recruit automatically."
    )
    placement_date = fields.Datetime(string="Placed On", readonly=True, copy=False)
    placement_preference = fields.Selection(
        PLACEMENT_PREFERENCES,
        help="Where this distributor's recruits are placed; empty: the company's default.",
    )

    def init(self):
        if not self.env.su:  # Odoo's registry hook (run as superuser), public by name: not for RPC callers
            raise AccessError(self.env._("Only the server sets up the database."))
        super().init()
        # Two sign-ups never take the same position.
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS mlm_distributor_placement_slot_uniq"
                " ON mlm_distributor (placement_parent_id, placement_slot) WHERE placement_parent_id IS NOT NULL"
            )
        )
        self.env.cr.execute(SQL("SELECT datcollate FROM pg_database WHERE datname = current_database()"))
        if self.env.cr.fetchone()[0] not in ("C", "POSIX"):
            self.env.cr.execute(
                SQL(
                    "CREATE INDEX IF NOT EXISTS mlm_distributor_placement_path_c_idx"
                    ' ON mlm_distributor (placement_path COLLATE "C")'
                )
            )

    @api.depends("placement_parent_id.code")
    def _compute_placement_parent_code(self):
        for dist in self:
            dist.placement_parent_code = dist.placement_parent_id.code
