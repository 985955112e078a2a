import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL, float_is_zero

from . import mlm_distributor_projection as projection

_logger = logging.getLogger(__name__)

# Object-valued context marker (as OCA queue_job does): it cannot travel through JSON-RPC, so only server code
# holding this very object can create or change ledger lines.
SYSTEM_MARKER = object()
PROTECTED_FIELDS = {
    "company_id",
    "date",
    "distributor_id",
    "partner_id",
    "volume_type",
    "pv",
    "bv",
    "product_id",
    "quantity",
    "sale_line_id",
    "move_line_id",
    "source_key",
    "revision",
    "origin",
    "reason",
    "origin_line_id",
    "origin_date",
}
# The generated columns the commission run reads (``mlm_commission_data.InputReader._read_ledger``): PV as float8,
# BV in cents (``numeric::int8`` rounds half away from zero, as ``round()`` does), the day of the fast-start window
# (``COALESCE(origin_date, date)``: a reversal counts on the day of the line it reverses) as a day ordinal
# (``datetime.date.toordinal``), and whether the line is customer volume.
ENGINE_COLUMNS = (
    ("engine_pv", "float8", "pv::float8"),
    ("engine_bv_cents", "int8", "(bv * 100)::int8"),
    ("engine_day", "int8", "(COALESCE(origin_date, date) - DATE '0001-01-01' + 1)::int8"),
    ("engine_customer", "bool", "volume_type = 'customer'"),
)


class MlmVolumeLine(models.Model):
    _name = "mlm.volume.line"
    _description = "Volume Ledger Line"
    _order = "date desc, id desc"

    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id", store=True)
    date = fields.Date(required=True, readonly=True, index=True)
    distributor_id = fields.Many2one(
        "mlm.distributor", string="Credited Distributor", required=True, readonly=True, index=True, ondelete="restrict"
    )
    partner_id = fields.Many2one("res.partner", string="Buyer", readonly=True, index="btree_not_null")
    volume_type = fields.Selection(
        [("personal", "Personal"), ("customer", "Customer"), ("adjustment", "Adjustment")],
        required=True,
        readonly=True,
    )
    pv = fields.Float(string="PV", digits="Product Unit of Measure", readonly=True)
    bv = fields.Monetary(string="BV", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    quantity = fields.Float(digits="Product Unit of Measure", readonly=True)
    sale_line_id = fields.Many2one("sale.order.line", readonly=True, index="btree_not_null", ondelete="set null")
    move_line_id = fields.Many2one("account.move.line", readonly=True, index="btree_not_null", ondelete="set null")
    source_key = fields.Char(
        readonly=True,
        required=True,
        index=True,
        help="The source document line; every change of a source adds a line with the next revision.",
    )
    revision = fields.Integer(readonly=True, default=1)
    origin_line_id = fields.Many2one(
        "mlm.volume.line",
        string="Reverses",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="For a reversal (credit note, reduced or cancelled order, changed attribution): the line it reverses.",
    )
    origin_date = fields.Date(
        readonly=True,
        help="Date of the line this one reverses: the fast-start window of a clawback follows the original sale, "
        "even when the reversal is dated in a later period.",
    )
    origin = fields.Char(string="Source Document", readonly=True)
    reason = fields.Char(readonly=True)
    branch_id = fields.Many2one(related="distributor_id.branch_id", string="Branch")
    sponsor_id = fields.Many2one(related="distributor_id.sponsor_id", string="Sponsor")

    _sql_constraints = [
        ("source_revision_uniq", "unique(source_key, revision)", "This source line was processed already."),
    ]

    def init(self):
        if not self.env.su:  # Odoo's registry hook (run as superuser), public by name: not for RPC callers
            raise AccessError(self.env._("Only the server sets up the database."))
        self.env.cr.execute(
            SQL("CREATE INDEX IF NOT EXISTS mlm_volume_line_company_date_idx ON mlm_volume_line (company_id, date)")
        )
        # the line in the engine's form, computed by PostgreSQL when the row is written (generated columns, not
        # fields): the run reads them as they are instead of converting every line of the period on every read
        # (0.6 s of the 1.7 s ledger read at 100k distributors); adding them to an existing ledger rewrites it once
        for column, pg_type, expression in ENGINE_COLUMNS:
            self.env.cr.execute(
                SQL(
                    "ALTER TABLE mlm_volume_line ADD COLUMN IF NOT EXISTS %s %s GENERATED ALWAYS AS (%s) STORED",
                    SQL.identifier(column),
                    SQL(pg_type),
                    SQL(expression),
                )
            )

    # ------------------------------------------------------------------ protection
    def _is_system(self):
        return self.env.context.get("mlm_volume_system") is SYSTEM_MARKER

    @api.model
    def _system(self):
        """This model with the marker that allows creating ledger lines (server code only)."""
        return self.sudo().with_context(mlm_volume_system=SYSTEM_MARKER)

    @api.model_create_multi
    def create(self, vals_list):
        if not self._is_system():
            raise AccessError(
                self.env._(
                    "Volume ledger lines are created by the system only: use a sale, an invoice or a manual adjustment."
                )
            )
        lines = super().create(vals_list)
        self.flush_model()
        projection.record_changes(self.env, "l", lines=lines.ids)
        return lines

    def write(self, vals):
        if PROTECTED_FIELDS.intersection(vals) and not self._is_system():
            raise AccessError(self.env._("Volume ledger lines cannot be changed; record an adjustment instead."))
        return super().write(vals)

    @api.ondelete(at_uninstall=True)
    def _unlink_only_by_system(self):
        if not self._is_system():
            raise AccessError(self.env._("Volume ledger lines cannot be deleted; record an adjustment instead."))

    # ------------------------------------------------------------------ business
    @api.model
    def _credited_distributor(self, partner):
        """(distributor, volume type) a purchase by ``partner`` credits, or (empty, False)."""
        buyer = partner.commercial_partner_id
        if buyer.mlm_distributor_id:
            return buyer.mlm_distributor_id, "personal"
        referrer = buyer.mlm_referrer_id or partner.mlm_referrer_id
        if referrer and referrer.status != "terminated":
            return referrer, "customer"
        return self.env["mlm.distributor"], False

    @api.model
    def _mlm_standing_line_sql(self, plan):
        """SQL of "this ledger line comes from a standing order" (alias ``v``: ``mlm_volume_line``), read by the
        period reader for ``plan``'s standing-order bonus. FALSE here: ``mlm_autoship`` adds customers' autoships."""
        return SQL("FALSE")

    @api.model
    def _effective_date(self, company, day, last_closed=None):
        """``day``, or the first day after the last closed period when ``day`` falls in a closed one."""
        if last_closed is None:
            last_closed = self.env["mlm.commission.period"]._last_closed_date(company) or False
        if last_closed and day <= last_closed:
            return last_closed + timedelta(days=1)
        return day

    @api.model
    def _sync_sources(self, sources):
        """Bring the ledger to the wanted volume of each source line, adding only the differences.

        ``sources`` are dicts with ``source_key``, ``company`` (record), ``distributor`` (record or empty),
        ``volume_type``, ``pv``, ``bv``, ``date`` and optional ``partner_id``, ``product_id``, ``quantity``,
        ``sale_line_id``, ``move_line_id``, ``origin``. A source whose wanted volume is zero (cancelled, reset,
        no longer counting) gets the reversal of what it had. Re-processing never doubles a line.
        """
        if not sources:
            return self.browse()
        self.flush_model()
        keys = [s["source_key"] for s in sources]
        origin_keys = [s["origin_source_key"] for s in sources if s.get("origin_source_key")]
        self.env.cr.execute(
            SQL(
                """
            SELECT source_key, distributor_id, volume_type, sum(pv), sum(bv),
                   max(max(revision)) OVER (PARTITION BY source_key),
                   (array_agg(id ORDER BY revision))[1], (array_agg(date ORDER BY revision))[1]
              FROM mlm_volume_line
             WHERE source_key = ANY(%s)
             GROUP BY source_key, distributor_id, volume_type
            """,
                keys + origin_keys,
            )
        )
        existing = {}
        for key, dist_id, vtype, pv, bv, revision, first_id, first_date in self.env.cr.fetchall():
            existing.setdefault(key, {"revision": revision, "parts": []})["parts"].append(
                (dist_id, vtype, pv, bv, (first_id, first_date))
            )
        today = fields.Date.context_today(self)
        Period = self.env["mlm.commission.period"]
        companies = {source["company"] for source in sources}
        last_closed = {company.id: Period._last_closed_date(company) or False for company in companies}
        vals_list = []
        for source in sources:
            company = source["company"]
            rounding = company.currency_id.rounding
            state = existing.get(source["source_key"], {"revision": 0, "parts": []})
            revision = state["revision"]
            wanted_dist = source["distributor"].id if source["distributor"] else False
            entries = []
            # Reverse what another distributor (or volume type) holds for this source, then top up the wanted one.
            # A reversal keeps a reference to the first line of what it reverses (origin_line_id / origin_date).
            held_pv = held_bv = 0.0
            held_origin = (False, False)
            for dist_id, vtype, pv, bv, first in state["parts"]:
                if dist_id == wanted_dist and vtype == source["volume_type"]:
                    held_pv, held_bv, held_origin = pv, bv, first
                elif not (float_is_zero(pv, precision_digits=4) and float_is_zero(bv, precision_rounding=rounding)):
                    entries.append((dist_id, vtype, -pv, -bv, today, first))
            if wanted_dist:
                delta_pv = source["pv"] - held_pv
                delta_bv = company.currency_id.round(source["bv"] - held_bv)
                if not (
                    float_is_zero(delta_pv, precision_digits=4) and float_is_zero(delta_bv, precision_rounding=rounding)
                ):
                    day = source["date"] if not state["parts"] else today
                    origin = self._reversed_origin(source, existing, held_origin, delta_pv, delta_bv)
                    entries.append((wanted_dist, source["volume_type"], delta_pv, delta_bv, day, origin))
            for dist_id, vtype, pv, bv, day, (origin_id, origin_date) in entries:
                revision += 1
                vals_list.append(
                    {
                        "company_id": company.id,
                        "date": self._effective_date(company, day, last_closed[company.id]),
                        "distributor_id": dist_id,
                        "volume_type": vtype,
                        "pv": pv,
                        "bv": bv,
                        "source_key": source["source_key"],
                        "revision": revision,
                        "partner_id": source.get("partner_id"),
                        "product_id": source.get("product_id"),
                        "quantity": source.get("quantity", 0.0) if revision == 1 else 0.0,
                        "sale_line_id": source.get("sale_line_id"),
                        "move_line_id": source.get("move_line_id"),
                        "origin": source.get("origin"),
                        "origin_line_id": origin_id,
                        "origin_date": origin_date,
                    }
                )
        return self._insert_lines(vals_list)

    @api.model
    def _reversed_origin(self, source, existing, held_origin, delta_pv, delta_bv):
        """(line id, date) a change of ``source`` reverses, or (False, False).

        A source with an ``origin_source_key`` (a credit note line, pointing at the invoice line it refunds)
        reverses the first line of that key; a reduction of a source that already holds volume (an order line
        cancelled or reduced) reverses the source's own first line.
        """
        origin_key = source.get("origin_source_key")
        if origin_key and origin_key in existing:
            parts = existing[origin_key]["parts"]
            wanted = source["distributor"].id
            part = next((p for p in parts if p[0] == wanted), parts[0])
            return part[4]
        if held_origin[0] and (delta_pv < 0 or delta_bv < 0):
            return held_origin
        return (False, False)

    @api.model
    def _insert_lines(self, vals_list):
        """Insert ledger lines with one INSERT (the hot path of every posted invoice: no per-record ORM create).

        Only server code reaches this method; RPC goes through ``create``, which refuses.
        """
        if not vals_list:
            return self.browse()
        columns = [
            "company_id",
            "currency_id",
            "date",
            "distributor_id",
            "volume_type",
            "pv",
            "bv",
            "source_key",
            "revision",
            "partner_id",
            "product_id",
            "quantity",
            "sale_line_id",
            "move_line_id",
            "origin",
            "reason",
            "origin_line_id",
            "origin_date",
        ]
        currencies = {
            c.id: c.currency_id.id for c in self.env["res.company"].browse({v["company_id"] for v in vals_list})
        }
        now = fields.Datetime.now()
        numeric = {"pv", "bv", "quantity", "revision"}
        rows = []
        for vals in vals_list:
            values = dict(vals, currency_id=currencies[vals["company_id"]])
            cells = [SQL("%s", values.get(col) or (0 if col in numeric else None)) for col in columns]
            rows.append(SQL("(%s, %s, %s, %s, %s)", SQL(", ").join(cells), self.env.uid, self.env.uid, now, now))
        self.env.cr.execute(
            SQL(
                "INSERT INTO mlm_volume_line (%s, create_uid, write_uid, create_date, write_date)"
                " VALUES %s RETURNING id",
                SQL(", ").join(SQL.identifier(col) for col in columns),
                SQL(", ").join(rows),
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        projection.record_changes(self.env, "l", lines=ids)  # the shared projection's pending lines
        return self.browse(ids)

    @api.model
    def _create_adjustment(self, distributor, pv, bv, date, reason):
        """A manual adjustment (managers only, with a reason)."""
        if not self.env.user.has_group("mlm_network.group_mlm_manager"):
            raise AccessError(self.env._("Only MLM managers can adjust volumes."))
        if not reason:
            raise AccessError(self.env._("A volume adjustment needs a reason."))
        company = distributor.company_id
        key = f"adjustment:{distributor.id}:{fields.Datetime.now().isoformat()}:{self.env.uid}"
        self.env.cr.execute(SQL("SELECT nextval('mlm_volume_line_id_seq')"))
        key += f":{self.env.cr.fetchone()[0]}"
        return self._insert_lines(
            [
                {
                    "company_id": company.id,
                    "date": self._effective_date(company, date),
                    "distributor_id": distributor.id,
                    "volume_type": "adjustment",
                    "pv": pv,
                    "bv": company.currency_id.round(bv),
                    "source_key": key,
                    "reason": reason,
                    "origin": self.env._("Adjustment by %(user)s", user=self.env.user.name),
                    "revision": 1,
                }
            ]
        )

    def action_open_source(self):
        self.ensure_one()
        record = self.move_line_id.move_id or self.sale_line_id.order_id
        if not record:
            return False
        return {"type": "ir.actions.act_window", "res_model": record._name, "res_id": record.id, "view_mode": "form"}
