"""The one reader of a period's inputs (not a model: a helper of the run, the projection and any plan type).

:meth:`InputReader.read_inputs` reads, for one company period and a :class:`InputScope`, the distributors and the
ledger lines by binary COPY into numpy arrays, with one set of rules for every caller:

- a distributor's ``active_status`` is ``status = 'active'``; its coefficient defaults to 1.0; its join day is its
  join date (today when it has none); its highest rank ever is mapped to the plan's rank index (``-1``: none);
- a ledger line belongs to the period by its ``date``; its day for the fast-start window is
  ``COALESCE(origin_date, date)`` (a reversal counts on the day of the line it reverses, so fast start is clawed
  back like unilevel); its BV is in cents, ``customer`` is ``volume_type = 'customer'``;
- a line of the company crediting a distributor outside the scope's network is refused (never dropped silently)
  for the whole company; in a subtree only the subtree's lines are read;
- a distributor's ``standing_pv`` (PV per cycle of their standing orders, for the plan's standing rule) comes
  from the grouped query of ``mlm.distributor._mlm_standing_pv_query`` (none here: 0; ``mlm_autoship`` gives
  active autoships);
- a ledger line's ``standing`` flag (it comes from a standing order: the plan's standing-order bonus) is the SQL
  expression of ``mlm.volume.line._mlm_standing_line_sql`` for the plan of the ranks read (FALSE here;
  ``mlm_autoship`` gives customers' autoship orders);
- carried amounts (``carry_out`` of the previous closed period's statements, in cents) are read on request,
  with the binary carry (``binary_carry_left/right`` and ``binary_pending``, volume hundredths) of the same period;
- the placement tree (binary and matrix plans): ``placement_parent_id``, ``placement_slot - 1`` as the engine's
  position (0 left, 1 right; the matrix slot from 0) and ``placement_state = 'holding'``.

Scopes: :meth:`InputScope.company` (the run, the projection cache), :meth:`InputScope.closed` (a closed period
with the distributors' inputs its close kept instead of today's: the plan sandbox), :meth:`InputScope.subtree` (a
distributor's team as its own network, the distributor as the root) and :meth:`InputScope.changes` (the
distributors written after a time and the ledger lines above an id: what the projection cache applies to its state).
"""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from odoo import fields, sql_db
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine import IdIndex, PeriodInputs, PlacementInputs
from ..tools import pgcopy
from ..tools.result_table import PERIOD_INPUT

_logger = logging.getLogger(__name__)

ORDINAL_EPOCH = SQL("DATE '0001-01-01'")
# A row version is (id, xmin, ctid): a row written in any way is a new version. The rows' system columns are read
# as they are (binary COPY, no text conversion in the database) and hashed here (``row_versions``), by the run
# while it reads the rows and by the close's scan alike (``mlm.commission.period._inputs_fingerprint_parts``).
VERSION_COLUMNS = [("version_xmin", "xid"), ("version_ctid", "tid")]
_MIX1, _MIX2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def version_sql(alias):
    """The columns of ``VERSION_COLUMNS`` for the table aliased ``alias`` (after a comma)."""
    return SQL(", %s, %s", SQL.identifier(alias, "xmin"), SQL.identifier(alias, "ctid"))


def _mix64(values):
    """splitmix64's finaliser (uint64 arithmetic wraps): a well-spread 64-bit hash of each value."""
    values = values ^ (values >> np.uint64(30))
    values = values * _MIX1
    values = values ^ (values >> np.uint64(27))
    values = values * _MIX2
    return values ^ (values >> np.uint64(31))


def row_versions(ids, arrays):
    """A 64-bit hash (int64) of each row's version from its id and the ``VERSION_COLUMNS`` read with it."""
    values = _mix64(np.asarray(ids, dtype=np.int64).view(np.uint64))
    values = _mix64(values ^ arrays["version_xmin"].view(np.uint64))
    return _mix64(values ^ arrays["version_ctid"].view(np.uint64)).view(np.int64)


def exact_sum(values):
    """The exact sum of an int64 array as a Python int (no wrap-around): the high and low 32 bits summed apart."""
    values = np.asarray(values, dtype=np.int64)
    return int((values >> 32).sum()) * (1 << 32) + int((values & 0xFFFFFFFF).sum())


# The ledger of a large company is read by two connections at once in the same snapshot (``export_read_snapshot``):
# the second reads this share of the table's blocks while the first reads the distributors and the rest (measured
# at 100k distributors: distributors 0.4 s, ledger 1.2 s on one connection), from this many blocks (8 kB each,
# ~100k lines) up; below, a second connection costs more than it saves.
READ_SNAPSHOT_KEY = "mlm_read_snapshot"
SPLIT_READ_SHARE = 0.6
SPLIT_READ_MIN_BLOCKS = 2048


def export_read_snapshot(env):
    """This transaction's snapshot exported for the reader's second connection (:class:`InputReader`), or None in
    tests (their data is not committed: another connection sees none of it). The second connection sees what this
    transaction sees except its own changes: export it only before the transaction writes what the reader reads
    (``mlm.commission.run._execute`` does at the start of a queue_job job's transaction, where queue_job has only
    locked the job's row). PostgreSQL exports no snapshot from a subtransaction: call it before any savepoint."""
    if env.registry.in_test_mode():
        return None
    env.cr.execute(SQL("SELECT pg_export_snapshot()"))
    return env.cr.fetchone()[0]


def no_jit(cr):
    """No JIT compilation for the rest of the transaction: the run's queries read every row of a company once, and
    PostgreSQL's JIT (on by default, above a plan cost these queries always reach) spends more compiling them
    (0.6 s for the distributors' COPY at 100k) than it saves."""
    cr.execute(SQL("SET LOCAL jit = off"))


DISTRIBUTOR_COLUMNS = [
    ("id", "int8"),
    ("sponsor", "int8"),
    ("active", "bool"),
    ("coefficient", "float8"),
    ("join_day", "int8"),
    ("highest_rank_id", "int8"),
    ("depth", "int8"),
    ("ours", "bool"),
    ("standing_pv", "float8"),
    ("placement_parent", "int8"),
    ("placement_position", "int2"),
    ("holding", "bool"),
]
LEDGER_COLUMNS = [
    ("id", "int8"),
    ("dist", "int8"),
    ("pv", "float8"),
    ("bv_cents", "int8"),
    ("day", "int8"),
    ("customer", "bool"),
    ("standing", "bool"),
]


@dataclass(frozen=True)
class InputScope:
    """What to read: ``kind`` is ``company``, ``subtree`` or ``changes`` (see the module documentation)."""

    kind: str
    root_id: int = 0
    low: str = None  # subtree: parent_path range [low, high)
    high: str = None
    ledger_after: int = None  # changes: ledger lines with a higher id
    written_after: object = None  # changes: distributors written later (a UTC datetime)
    carried: bool = False
    line_ids: bool = False  # also read the ledger lines' ids
    period_id: int = 0  # closed: the period whose kept inputs are read
    versions: bool = False  # company: also sum the rows' versions (``PeriodData.versions``, the fingerprint's)

    @classmethod
    def company(cls, carried=False, line_ids=False, versions=False):
        return cls("company", carried=carried, line_ids=line_ids, versions=versions)

    @classmethod
    def closed(cls, period_id, carried=True):
        """A closed period's whole company with the distributors' inputs its close kept (``PERIOD_INPUT``), not
        today's: the genealogy, placement and statuses at computation time (the plan sandbox)."""
        return cls("closed", carried=carried, period_id=period_id)

    @classmethod
    def subtree(cls, distributor):
        low, high = distributor._subtree_range()
        return cls("subtree", root_id=distributor.id, low=low, high=high)

    @classmethod
    def changes(cls, ledger_after, written_after):
        return cls("changes", ledger_after=ledger_after, written_after=written_after, line_ids=True)


def versions_summary(dist, lines):
    """What the inputs fingerprint counts of the rows read: (rows, exact sum of their version hashes[, rows
    without a join date]) of the ledger lines and of the distributors."""
    return {
        "ledger": (len(lines["version"]), exact_sum(lines["version"])),
        "distributors": (len(dist["version"]), exact_sum(dist["version"]), int(dist["no_join_date"].sum())),
    }


class PeriodData:
    """The arrays read for one scope. Distributors in id order (the engine order); ``index`` maps ids to it.

    Distributors: ``ids``, ``sponsor_ids`` (0: none), ``sponsor_idx`` (engine index, -1: none or outside the
    scope), ``active``, ``coefficient``, ``join_day``, ``highest_rank`` (plan rank index), ``depth``, ``ours``
    (of the company: only ``changes`` reads other companies' rows). Ledger: ``line_id`` (when asked),
    ``line_dist_id``, ``line_dist`` (engine index, -1 outside), ``line_pv``, ``line_bv_cents``, ``line_day``,
    ``line_customer``, ``line_standing``. ``carried``: cents per distributor (zeros unless asked).
    """

    def __init__(self, dist, lines, rank_ids, highest, root_id=0):
        self.distributor_columns = dist  # the arrays as read, by DISTRIBUTOR_COLUMNS name (what a close keeps)
        self.ids = dist["id"]
        self.index = IdIndex(self.ids)
        self.sponsor_ids = dist["sponsor"]
        self.sponsor_idx = self.index.positions(self.sponsor_ids)
        if root_id:
            self.sponsor_idx[self.index.positions([root_id])[0]] = -1  # the subtree's root
        self.active = dist["active"]
        self.coefficient = dist["coefficient"]
        self.join_day = dist["join_day"]
        self.highest_rank_id = dist["highest_rank_id"]
        self.highest_rank = highest
        self.depth = dist["depth"]
        self.ours = dist["ours"]
        self.standing_pv = dist["standing_pv"]
        self.rank_ids = rank_ids
        self.line_id = lines.get("id")
        self.line_dist_id = lines["dist"]
        self.line_dist = self.index.positions(self.line_dist_id)
        self.line_pv = lines["pv"]
        self.line_bv_cents = lines["bv_cents"]
        self.line_day = lines["day"]
        self.line_customer = lines["customer"]
        self.line_standing = lines["standing"]
        self.carried = np.zeros(len(self.ids), dtype=np.int64)
        self.placement_parent_ids = dist["placement_parent"]
        self.placement_parent_idx = self.index.positions(self.placement_parent_ids)
        if root_id:
            self.placement_parent_idx[self.index.positions([root_id])[0]] = -1
        self.placement_position = dist["placement_position"]
        self.holding = dist["holding"]
        zeros = np.zeros(len(self.ids), dtype=np.int64)
        self.binary_carry_left, self.binary_carry_right, self.binary_pending = zeros, zeros.copy(), zeros.copy()
        # what was read, as the inputs fingerprint counts it: (rows, exact sum of row-version hashes[, rows
        # without a join date]) of the ledger lines and of the distributors; None unless the scope asked
        self.versions = versions_summary(dist, lines) if "version" in dist and "version" in lines else None

    def placement(self):
        """The engine's :class:`PlacementInputs` (placement tree and binary carry-in) of this data."""
        return PlacementInputs(
            self.placement_parent_idx,
            self.placement_position,
            self.holding,
            self.binary_carry_left,
            self.binary_carry_right,
            self.binary_pending,
        )

    @property
    def size(self):
        return len(self.ids)

    def drop_ledger(self):
        """Free the ledger lines' arrays (a few hundred MB at a million distributors) once the engine has run."""
        self.line_id = self.line_dist_id = self.line_dist = None
        self.line_pv = self.line_bv_cents = self.line_day = self.line_customer = self.line_standing = None

    def inputs(self):
        """The engine's :class:`PeriodInputs` of this data."""
        return PeriodInputs(
            self.sponsor_idx,
            self.active,
            self.coefficient,
            self.join_day,
            self.highest_rank,
            self.carried,
            self.line_dist,
            self.line_pv,
            self.line_bv_cents,
            self.line_day,
            self.line_customer,
            standing_pv=self.standing_pv,
            placement=self.placement(),
            line_standing=self.line_standing,
        )


class InputReader:
    """Reads one company period's inputs (see the module documentation)."""

    def __init__(self, env, company, date_from, date_to, ranks):
        self.env = env
        self.company = company
        self.date_from, self.date_to = date_from, date_to
        self.ranks = ranks

    def read_inputs(self, scope):
        no_jit(self.env.cr)
        self.env["mlm.distributor"].flush_model()
        self.env["mlm.volume.line"].flush_model()
        if scope.kind in ("company", "closed"):
            dist_where = SQL("d.company_id = %s", self.company.id)
            line_where = SQL("TRUE")
        elif scope.kind == "subtree":
            dist_where = SQL(
                'd.parent_path COLLATE "C" >= %(low)s COLLATE "C" AND d.parent_path COLLATE "C" < %(high)s COLLATE "C"',
                low=scope.low,
                high=scope.high,
            )
            line_where = SQL(
                "v.distributor_id IN (SELECT d.id FROM mlm_distributor d WHERE %s)",
                dist_where,
            )
        elif scope.kind == "changes":
            dist_where = SQL("d.write_date > %s", scope.written_after)
            line_where = SQL("v.id > %s", scope.ledger_after)
        else:
            raise ValueError(f"unknown scope {scope.kind}")
        versions = scope.versions and scope.kind == "company"
        split = self._split_block(scope)
        with ThreadPoolExecutor(max_workers=1) as other:
            if split:  # the ledger's last blocks, by the second connection, while this one reads the rest
                rest = other.submit(
                    self._read_elsewhere,
                    *self._ledger_query(SQL("v.ctid >= %s::tid", f"({split},0)"), scope.line_ids, versions),
                )
                line_where = SQL("%s AND v.ctid < %s::tid", line_where, f"({split},0)")
            if scope.kind == "closed":
                dist = self._read_kept_distributors(scope.period_id)
            else:
                dist = self._read_distributors(dist_where, versions=versions)
            lines = self._read_ledger(line_where, scope.line_ids, versions=versions)
            if split:
                tail = rest.result()
                for name in list(lines):  # column by column: one column's two parts at a time beside the rest
                    lines[name] = np.concatenate((lines[name], tail.pop(name)))
        data = PeriodData(
            dist,
            lines,
            np.array([r.rank_id.id for r in self.ranks], dtype=np.int64),
            self.env["mlm.commission.period"]._plan_rank_indexes(self.ranks, dist["highest_rank_id"]),
            root_id=scope.root_id,
        )
        if scope.kind in ("company", "closed"):
            self._check_ledger_distributors(data)
        if scope.carried:
            data.carried, binary = self._read_carried(data.index)
            data.binary_carry_left, data.binary_carry_right, data.binary_pending = binary
        return data

    def scan_versions(self):
        """The company's :func:`versions_summary` from a scan of the rows' versions only (the close's check that
        a preview is still current): the same hashes the run sums while it reads the rows."""
        no_jit(self.env.cr)
        self.env["mlm.distributor"].flush_model()
        self.env["mlm.volume.line"].flush_model()
        id_column = [("id", "int8")]
        dist = self._copy(
            SQL(
                "SELECT d.id::int8 %s, d.join_date IS NULL FROM mlm_distributor d WHERE d.company_id = %s",
                version_sql("d"),
                self.company.id,
            ),
            id_column + VERSION_COLUMNS + [("no_join_date", "bool")],
        )
        lines = self._copy(
            SQL(
                """SELECT v.id::int8 %s FROM mlm_volume_line v
                    WHERE v.company_id = %s AND v.date >= %s AND v.date <= %s""",
                version_sql("v"),
                self.company.id,
                self.date_from,
                self.date_to,
            ),
            id_column + VERSION_COLUMNS,
        )
        dist["version"] = row_versions(dist["id"], dist)
        lines["version"] = row_versions(lines["id"], lines)
        return versions_summary(dist, lines)

    # ------------------------------------------------------------------ queries
    def _copy(self, query, columns):
        cr = self.env.cr
        return pgcopy.copy_out(cr._obj, cr.mogrify(query.code, query.params).decode(), columns)

    def _read_distributors(self, where, versions=False):
        """The distributors matching ``where`` (alias ``d``), in id order; ``versions``: also each row's version
        hash and whether it has no join date (the inputs fingerprint)."""
        columns = DISTRIBUTOR_COLUMNS + (VERSION_COLUMNS + [("no_join_date", "bool")] if versions else [])
        query = SQL(
            """
            SELECT d.id::int8, COALESCE(d.sponsor_id, 0)::int8, d.status = 'active',
                   COALESCE(d.mlm_coefficient, 1.0)::float8,
                   (COALESCE(d.join_date, %(today)s) - %(epoch)s + 1)::int8, COALESCE(d.highest_rank_id, 0)::int8,
                   COALESCE(d.depth, 0)::int8, d.company_id = %(company)s, 0::float8,
                   COALESCE(d.placement_parent_id, 0)::int8, GREATEST(COALESCE(d.placement_slot, 1) - 1, 0)::int2,
                   COALESCE(d.placement_state = 'holding', FALSE) %(versions)s
              FROM mlm_distributor d
             WHERE %(where)s
             ORDER BY d.id
            """,
            today=fields.Date.context_today(self.env.user),
            epoch=ORDINAL_EPOCH,
            company=self.company.id,
            where=where,
            versions=SQL("%s, d.join_date IS NULL", version_sql("d")) if versions else SQL(),
        )
        dist = self._copy(query, columns)
        if versions:
            dist["version"] = row_versions(dist["id"], dist)
            del dist["version_xmin"], dist["version_ctid"]
        standing = self.env["mlm.distributor"]._mlm_standing_pv_query(self.date_to, where)
        if standing is not None:
            self.env.cr.execute(standing)
            rows = self.env.cr.fetchall()
            if rows:
                ids, pv = np.array(rows, dtype=np.float64).T
                pos = np.searchsorted(dist["id"], ids.astype(np.int64))
                dist["standing_pv"][pos] = pv
        return dist

    def _read_kept_distributors(self, period_id):
        """The distributors' columns a closed period's close kept (``PERIOD_INPUT``: its columns' ``source`` are
        this reader's names); a column it does not keep reads as the reader's neutral value (depth 0, ours)."""
        kept = {column.source_name: column for column in PERIOD_INPUT.columns}
        neutral = {"ours": SQL("TRUE")}
        select = []
        for name, pg_type in DISTRIBUTOR_COLUMNS:
            column = kept.get(name)
            if column is None:
                value = neutral.get(name, SQL("0"))
            elif column.ref:  # a reference cleared since (set null) reads as none, like the live reader's
                value = SQL("COALESCE(%s, 0)", SQL.identifier("k", column.name))
            else:
                value = SQL.identifier("k", column.name)
            select.append(SQL("(%s)::%s", value, SQL(pg_type)))
        query = SQL(
            "SELECT %s FROM %s k WHERE k.period_id = %s ORDER BY k.distributor_id",
            SQL(", ").join(select),
            SQL.identifier(PERIOD_INPUT.name),
            period_id,
        )
        return self._copy(query, DISTRIBUTOR_COLUMNS)

    def _split_block(self, scope):
        """The first block of the ledger that the second connection reads (:func:`export_read_snapshot`), or None
        when one connection reads it all: not the whole company, no snapshot exported, or a small ledger."""
        snapshot = self.env.context.get(READ_SNAPSHOT_KEY)
        if scope.kind != "company" or not snapshot:
            return None
        self.env.cr.execute(SQL("SELECT pg_relation_size('mlm_volume_line') / current_setting('block_size')::int8"))
        blocks = self.env.cr.fetchone()[0]
        if blocks < SPLIT_READ_MIN_BLOCKS:
            return None
        split = int(blocks * (1 - SPLIT_READ_SHARE))
        _logger.info(
            "%s: the ledger's blocks from %s of %s are read by a second connection", self.company.name, split, blocks
        )
        return split

    def _read_elsewhere(self, query, columns, finish):
        """Run a COPY of ``query`` on a second connection in this transaction's exported snapshot (it sees exactly
        what this one sees) and ``finish`` its arrays: the other half of a split read (a thread of its own)."""
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute(SQL("SET TRANSACTION SNAPSHOT %s", self.env.context[READ_SNAPSHOT_KEY]))
            no_jit(cr)
            arrays = pgcopy.copy_out(cr._obj, cr.mogrify(query.code, query.params).decode(), columns)
            cr.rollback()
        return finish(arrays)

    def _read_ledger(self, where, with_ids, versions=False):
        """The period's ledger lines as they are (a sequential scan for the company: the engine sums them with
        numpy, several times faster than a GROUP BY in the database), in the engine's form the database keeps
        beside each line (``mlm_volume_line.ENGINE_COLUMNS``: PV, BV in cents, the fast-start day, customer)."""
        query, columns, finish = self._ledger_query(where, with_ids, versions)
        return finish(self._copy(query, columns))

    def _ledger_query(self, where, with_ids, versions):
        """``(query, columns, finish)`` of the ledger lines matching ``where``: ``finish`` turns the COPY's arrays
        into the reader's (the rows' version hashes)."""
        with_ids = with_ids or versions  # a row's version hashes its id
        columns = (LEDGER_COLUMNS if with_ids else LEDGER_COLUMNS[1:]) + (VERSION_COLUMNS if versions else [])
        query = SQL(
            """
            SELECT %(id)s v.distributor_id::int8, v.engine_pv, v.engine_bv_cents, v.engine_day, v.engine_customer,
                   COALESCE(%(standing)s, FALSE) %(versions)s
              FROM mlm_volume_line v
             WHERE v.company_id = %(company)s AND v.date >= %(start)s AND v.date <= %(end)s AND %(where)s
            """,
            id=SQL("v.id::int8,") if with_ids else SQL(),
            standing=self.env["mlm.volume.line"]._mlm_standing_line_sql(self.ranks.plan_id[:1]),
            company=self.company.id,
            start=self.date_from,
            end=self.date_to,
            where=where,
            versions=version_sql("v") if versions else SQL(),
        )

        def finish(lines):
            if versions:
                lines["version"] = row_versions(lines["id"], lines)
                del lines["version_xmin"], lines["version_ctid"]
            return lines

        return query, columns, finish

    def _check_ledger_distributors(self, data):
        """Never drop volume silently: a line of this company crediting a distributor outside its network."""
        unknown_lines = data.line_dist < 0
        if not unknown_lines.any():
            return
        unknown = np.unique(data.line_dist_id[unknown_lines])
        raise UserError(
            self.env._(
                "%(count)s volume ledger lines of %(company)s in %(start)s - %(end)s credit distributors that "
                "are not in the company's network (ids %(ids)s): correct them before computing commissions.",
                count=int(unknown_lines.sum()),
                company=self.company.name,
                start=self.date_from,
                end=self.date_to,
                ids=", ".join(str(int(x)) for x in unknown[:20]),
            )
        )

    def _read_carried(self, index):
        """Amounts carried forward by the previous closed period (below threshold, held), as cents, and its binary
        carry: ``(carried, (carry_left, carry_right, pending))`` in cents / volume hundredths."""
        carried = np.zeros(len(index), dtype=np.int64)
        binary = tuple(np.zeros(len(index), dtype=np.int64) for _i in range(3))
        Period = self.env["mlm.commission.period"]
        Period.flush_model(["state", "date_to", "company_id"])
        self.env["mlm.commission.statement"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT s.distributor_id, round(s.carry_out * 100)::int8, round(s.binary_carry_left * 100)::int8,
                       round(s.binary_carry_right * 100)::int8, round(s.binary_pending * 100)::int8
                  FROM mlm_commission_statement s
                 WHERE (s.carry_out != 0 OR s.binary_carry_left != 0 OR s.binary_carry_right != 0
                        OR s.binary_pending != 0)
                   AND s.period_id = (
                       SELECT p.id FROM mlm_commission_period p
                        WHERE p.company_id = %(company)s AND p.date_to < %(start)s AND p.state IN ('closed', 'paid')
                        ORDER BY p.date_to DESC LIMIT 1)
                """,
                company=self.company.id,
                start=self.date_from,
            )
        )
        rows = self.env.cr.fetchall()
        if rows:
            arr = np.array(rows, dtype=np.int64)
            pos = index.positions(arr[:, 0])
            found = pos >= 0
            carried[pos[found]] = arr[found, 1]
            for k, target in enumerate(binary):
                target[pos[found]] = arr[found, 2 + k]
        return carried, binary
