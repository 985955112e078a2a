"""One description of each table the commission run writes in bulk, from which every piece of SQL is generated.

A :class:`ResultTable` lists its columns once: the column's type in the table, how the run writes it (a
:class:`pgcopy.Field`: the kind of the engine's array and its conversion, e.g. cents to ``numeric``, a code to its
label, 0 to NULL, a float as ``float8::numeric``), the array's name, and what it references. From that come the
table's ``CREATE TABLE`` (``create_sql``), the binary COPY's column list and encoding (``copy_fields``), the indexes
of a period's table (``child_indexes``) and the integrity queries (``orphans_sql``, ``cleanup_sql``).

One table per computed period: the run writes a period's rows (:meth:`ResultTable.write_period`) by one binary COPY
in their final types, encoded in bounded chunks, into a new table with no index, builds its indexes, drops the
period's previous table and attaches the new one as a child of the result table (PostgreSQL inheritance, with a
``CHECK`` on the period so that the planner skips the other periods' tables). Replacing a preview of millions of rows
deletes none of them and writes each once. The ORM reads, writes and deletes through the parent table as usual (rows
it creates itself land in the parent). Inheritance rather than declarative partitioning: Odoo 18's registry only
recognises ordinary tables and views as a model's table (``odoo.tools.sql.existing_tables``). Locks: attaching
takes ``SHARE UPDATE EXCLUSIVE`` on the parent (readers and writers go on; another company's run waits at its own
swap until this one commits), dropping the previous period table ``ACCESS EXCLUSIVE`` on that table, so queries on
the result table wait from the swap to the commit: the swap is the last step of a run, right before its commit.

Referential integrity: the tables have no foreign keys (measured on 421k commission lines, the INSERT takes 5 s
without them and 31 s with Odoo's six). Instead every reference is declared here with what happens when its target
row is deleted, and the targets' ``unlink`` run the generated cleanup (:func:`cleanup_references`) before they
delete: ``cascade`` deletes the rows (a period's preview: its tables are dropped), ``set null`` clears the
reference (the sponsor a statement recorded, the rank of a line), ``restrict`` is checked by the target's own
``ondelete`` rule (a distributor with statements cannot be deleted). :func:`orphans` counts the rows pointing
nowhere (tests, migration).

Plain Python + ``odoo.tools.SQL``; the COPY itself is :mod:`.pgcopy`.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from odoo.tools import SQL

from . import pgcopy

ON_DELETE = ("cascade", "set null", "restrict")
# First key of the advisory lock held while a result table's ids are reserved (the second is the table's oid).
IDS_LOCK_NAMESPACE = 0x4D4C4D49  # "MLMI"
# the zeros of a zero-default column, by its field's kind
ZERO_DTYPES = {
    "int2": np.int16,
    "int4": np.int32,
    "int8": np.int64,
    "float8": np.float64,
    "bool": np.bool_,
    "cents": np.int64,
}


@dataclass(frozen=True)
class Column:
    """One column of a result table.

    ``pgtype``: its type in the table. ``field``: how the run writes it (a :class:`pgcopy.Field`: the array's kind
    and its conversion, e.g. cents to ``numeric``, a code to its label, 0 to NULL); ``source``: the array's name
    (default: ``name``); ``param``: the value is a parameter of the write instead (one value for every row). A
    column with no field is not written by the run. ``ref``: ``(table, on_delete)`` of what it references.
    """

    name: str
    pgtype: str
    field: pgcopy.Field = None
    source: str = None
    param: str = None
    not_null: bool = False
    ref: tuple = None
    zero_default: bool = False  # staged as zeros when the run gives no array (columns of one plan type)

    @property
    def source_name(self):
        return self.source or self.name


def _ident(name):
    return SQL.identifier(name)


class StagingTable:
    """A temporary table filled by one binary COPY from numpy arrays (dropped at commit)."""

    def __init__(self, name, columns):
        self.name = name
        self.columns = tuple(columns)  # (name, pgcopy type)

    def staging_ddl(self):
        cols = SQL(", ").join(SQL("%s %s", _ident(name), SQL(pg_type)) for name, pg_type in self.columns)
        return SQL("CREATE TEMP TABLE %s (%s) ON COMMIT DROP", _ident(self.name), cols)

    def copy_columns(self):
        return list(self.columns)

    def load(self, cr, arrays):
        """Create the staging table and COPY ``arrays`` (by column name) into it."""
        cr.execute(self.staging_ddl())
        pgcopy.copy_in(cr._obj, self.name, arrays, self.copy_columns())

    def drop(self, cr):
        cr.execute(SQL("DROP TABLE IF EXISTS %s", _ident(self.name)))


class ResultTable:
    """A table written in bulk by the run: see the module documentation."""

    def __init__(self, name, columns, indexes=(), period_key="period_id", fillfactor=None):
        self.name = name
        self.columns = tuple(columns)
        self.indexes = tuple(indexes)  # (index name, unique, (columns...))
        self.period_key = period_key
        # free space left in each page, so that updating a row's non-indexed columns (a statement's state on close
        # and payout) is a HOT update that writes no index entry (measured at 100k: 3.8 s instead of 11 s); the
        # tables of the periods get it too
        self.fillfactor = fillfactor
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{name}: duplicate column")
        for column in self.columns:
            if column.ref and column.ref[1] not in ON_DELETE:
                raise ValueError(f"{name}.{column.name}: on_delete must be one of {ON_DELETE}")

    # ------------------------------------------------------------------ DDL
    def create_sql(self):
        """The table (when missing), every column (added when missing: new columns reach existing databases) and
        its indexes."""
        cols = SQL(", ").join(
            SQL("%s %s%s", _ident(c.name), SQL(c.pgtype), SQL(" NOT NULL") if c.not_null else SQL())
            for c in self.columns
        )
        parts = [SQL("CREATE TABLE IF NOT EXISTS %s (id serial PRIMARY KEY, %s)", _ident(self.name), cols)]
        parts += [
            SQL("ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s", _ident(self.name), _ident(c.name), SQL(c.pgtype))
            for c in self.columns
        ]
        parts += [
            SQL(
                "CREATE %sINDEX IF NOT EXISTS %s ON %s (%s)",
                SQL("UNIQUE ") if unique else SQL(),
                _ident(index),
                _ident(self.name),
                SQL(", ").join(_ident(col) for col in cols_of),
            )
            for index, unique, cols_of in self.indexes
        ]
        if self.fillfactor:
            parts.append(SQL("ALTER TABLE %s SET (fillfactor = %s)", _ident(self.name), SQL(str(int(self.fillfactor)))))
        return SQL(";\n").join(parts)

    def copy_fields(self, params):
        """``[(column, Field)]`` of the COPY (``id`` first) and the arrays/constants by column name, from the
        run's ``arrays`` by source name and ``params``."""
        written = [c for c in self.columns if c.field is not None]
        missing = {c.param for c in written if c.param} - set(params)
        if missing:
            raise ValueError(f"{self.name}: missing parameters {sorted(missing)}")
        return [("id", pgcopy.Field("int4"))] + [(c.name, c.field) for c in written]

    def child_name(self, period_id, generation):
        return f"{self.name}_p{int(period_id)}_{int(generation)}"

    def child_indexes(self):
        """The columns of the indexes of one period's table: the declared ones without the period (constant
        there), and ``id`` (the ORM reads rows by id)."""
        found = [(False, ("id",))]
        for _index, unique, cols_of in self.indexes:
            cols = tuple(c for c in cols_of if c != self.period_key)
            if cols and cols not in [c for _u, c in found]:
                found.append((unique, cols))
        return found

    # ------------------------------------------------------------------ writing
    def reserve_ids(self, cr, count):
        """The first of ``count`` consecutive ids taken from the table's sequence in one step (``setval``); the
        ORM's ``create`` of the model takes the same lock (:meth:`ids_lock`)."""
        with self.ids_lock(cr):
            cr.execute(SQL("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", self.name))
            first = cr.fetchone()[0]
            if count > 1:
                cr.execute(SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", self.name, first + count - 1))
        return first

    @contextmanager
    def ids_lock(self, cr):
        """A session-level advisory lock held only while ids are taken (sequences are not transactional)."""
        cr.execute(SQL("SELECT pg_advisory_lock(%s, %s::regclass::oid::int)", IDS_LOCK_NAMESPACE, self.name))
        try:
            yield
        finally:
            cr.execute(SQL("SELECT pg_advisory_unlock(%s, %s::regclass::oid::int)", IDS_LOCK_NAMESPACE, self.name))

    @property
    def period_table(self):
        return next(c.ref[0] for c in self.columns if c.name == self.period_key)

    def period_children(self, cr, period_ids=None):
        """Names of the tables holding the rows of ``period_ids`` (one per computed period; all by default)."""
        patterns = [f"{self.name}\\_p{int(pid)}\\_%" for pid in period_ids] if period_ids is not None else None
        cr.execute(
            SQL(
                """
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = %s::regclass AND c.relname LIKE ANY(%s)
                 ORDER BY c.relname
                """,
                self.name,
                patterns if patterns is not None else [f"{self.name}\\_p%"],
            )
        )
        return [row[0] for row in cr.fetchall()]

    def write_period(self, cr, period_id, arrays, before_index=None, **params):
        """Replace the rows of period ``period_id`` by ``arrays`` (by source name) and ``params``: build the new
        table (:meth:`build_period`), then swap it in (:meth:`attach_period`). Returns the new table's name."""
        child = self.build_period(cr, period_id, arrays, before_index=before_index, **params)
        self.attach_period(cr, period_id, child)
        return child

    def build_period(self, cr, period_id, arrays, before_index=None, defer_index=False, **params):
        """The rows of period ``period_id`` in a new table of their own, not yet part of the result table.

        One binary COPY, encoded in bounded chunks, into a table with no index (nothing to maintain row by row);
        ``before_index(table)`` may update the new rows; then its indexes and its planner statistics (only the
        indexed columns): :meth:`index_period`, left to the caller with ``defer_index`` (a later job)."""
        params = dict(params, **{self.period_key: int(period_id)})
        fields = self.copy_fields(params)
        count = next((len(arrays[c.source_name]) for c in self.columns if c.field and not c.param), 0)
        first = self.reserve_ids(cr, count)
        child = self.child_name(period_id, first)
        cr.execute(
            SQL(
                "CREATE TABLE %s (LIKE %s INCLUDING DEFAULTS, CONSTRAINT %s CHECK (%s = %s))%s",
                _ident(child),
                _ident(self.name),
                _ident(f"{child}_period"),
                _ident(self.period_key),
                int(period_id),
                SQL(" WITH (fillfactor = %s)" % int(self.fillfactor)) if self.fillfactor else SQL(),
            )
        )
        pgcopy.copy_rows(cr._obj, _ident(child).code, self._copy_values(arrays, params, count, first), fields)
        if not defer_index:
            self.index_period(cr, child, before_index=before_index)
        return child

    def index_period(self, cr, child, before_index=None):
        """``before_index(child)``, then the indexes and planner statistics of a table from :meth:`build_period`."""
        if before_index:
            before_index(child)
        for unique, cols in self.child_indexes():
            cr.execute(
                SQL(
                    "CREATE %sINDEX ON %s (%s)",
                    SQL("UNIQUE ") if unique else SQL(),
                    _ident(child),
                    SQL(", ").join(_ident(col) for col in cols),
                )
            )
        keys = sorted({col for _unique, cols in self.child_indexes() for col in cols})
        cr.execute(SQL("ANALYZE %s (%s)", _ident(child), SQL(", ").join(_ident(col) for col in keys)))

    def built_tables(self, cr, period_ids):
        """Tables of ``period_ids`` built (:meth:`build_period`) and not attached: a preview whose publishing job
        has not run yet, failed or was cancelled."""
        cr.execute(
            SQL(
                """
                SELECT c.relname FROM pg_class c
                 WHERE c.relkind = 'r' AND c.relname LIKE ANY(%s)
                   AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid)
                 ORDER BY c.relname
                """,
                [f"{self.name}\\_p{int(pid)}\\_%" for pid in period_ids],
            )
        )
        return [row[0] for row in cr.fetchall()]

    def drop_built(self, cr, period_ids):
        """Drop the tables of ``period_ids`` built and never attached (:meth:`built_tables`)."""
        for child in self.built_tables(cr, period_ids):
            cr.execute(SQL("DROP TABLE %s", _ident(child)))

    def _copy_values(self, arrays, params, count, first):
        """The COPY's arrays and constants by column name (``id`` from ``first``)."""
        values = {"id": np.arange(first, first + count, dtype=np.int64)}
        for column in self.columns:
            if column.field is None:
                continue
            if column.param:
                values[column.name] = params[column.param]
            elif column.zero_default and column.source_name not in arrays:
                values[column.name] = np.zeros(count, dtype=ZERO_DTYPES[column.field.kind])
            else:
                values[column.name] = arrays[column.source_name]
        return values

    def write_rows(self, cr, arrays, **params):
        """Append rows to the table itself (a table without period tables, e.g. the close's kept ranks): one
        binary COPY, the ids reserved in one step."""
        fields = self.copy_fields(params)
        count = next((len(arrays[c.source_name]) for c in self.columns if c.field and not c.param), 0)
        if not count:
            return
        first = self.reserve_ids(cr, count)
        pgcopy.copy_rows(cr._obj, _ident(self.name).code, self._copy_values(arrays, params, count, first), fields)

    def attach_period(self, cr, period_id, child):
        """Make ``child`` (from :meth:`build_period`) the rows of the period: the previous ones go (their table
        dropped, nothing deleted row by row), the new table joins the result table."""
        self.drop_periods(cr, [period_id])
        cr.execute(SQL("ALTER TABLE %s INHERIT %s", _ident(child), _ident(self.name)))

    def drop_periods(self, cr, period_ids):
        """Remove the rows of ``period_ids``: delete any row in the table itself (rows the ORM created, or written
        before periods had tables of their own), then drop their tables (the lock that needs comes last)."""
        cr.execute(
            SQL("DELETE FROM ONLY %s WHERE %s = ANY(%s)", _ident(self.name), _ident(self.period_key), list(period_ids))
        )
        for child in self.period_children(cr, period_ids):
            cr.execute(SQL("DROP TABLE %s", _ident(child)))

    # ------------------------------------------------------------------ integrity
    def references(self, target=None):
        return [c for c in self.columns if c.ref and (target is None or c.ref[0] == target)]

    def cleanup_sql(self, target, ids):
        """Statements keeping this table whole when rows ``ids`` of ``target`` are deleted (cascade, set null)."""
        queries = []
        for column in self.references(target):
            if column.ref[1] == "cascade":
                queries.append(SQL("DELETE FROM %s WHERE %s = ANY(%s)", _ident(self.name), _ident(column.name), ids))
            elif column.ref[1] == "set null":
                queries.append(
                    SQL(
                        "UPDATE %s SET %s = NULL WHERE %s = ANY(%s)",
                        _ident(self.name),
                        _ident(column.name),
                        _ident(column.name),
                        ids,
                    )
                )
        return queries

    def restrict_sql(self, target, ids):
        """The ids among ``ids`` of ``target`` that rows of this table still reference with ``restrict``."""
        return [
            SQL(
                "SELECT DISTINCT %s FROM %s WHERE %s = ANY(%s)",
                _ident(column.name),
                _ident(self.name),
                _ident(column.name),
                ids,
            )
            for column in self.references(target)
            if column.ref[1] == "restrict"
        ]

    def repair_sql(self):
        """Statements applying the declared rules to rows already pointing nowhere (a migration, before the
        cleanup existed): ``cascade`` deletes them, ``set null`` clears the reference; ``restrict`` rows are left
        (and reported by :func:`orphans`)."""
        queries = []
        for column in self.references():
            missing = SQL(
                "%s IS NOT NULL AND NOT EXISTS(SELECT 1 FROM %s r WHERE r.id = %s.%s)",
                _ident(column.name),
                _ident(column.ref[0]),
                _ident(self.name),
                _ident(column.name),
            )
            if column.ref[1] == "cascade":
                queries.append(SQL("DELETE FROM %s WHERE %s", _ident(self.name), missing))
            elif column.ref[1] == "set null":
                queries.append(SQL("UPDATE %s SET %s = NULL WHERE %s", _ident(self.name), _ident(column.name), missing))
        return queries

    def orphans_sql(self):
        """One query: (column, rows whose reference points to no row) for every reference of the table."""
        parts = [
            SQL(
                "SELECT %s::text, count(*) FROM %s t WHERE t.%s IS NOT NULL"
                " AND NOT EXISTS(SELECT 1 FROM %s r WHERE r.id = t.%s)",
                column.name,
                _ident(self.name),
                _ident(column.name),
                _ident(column.ref[0]),
                _ident(column.name),
            )
            for column in self.references()
        ]
        return SQL(" UNION ALL ").join(parts)


# ---------------------------------------------------------------------------------------------------- the tables
F = pgcopy.Field
HELD_LABELS = ((0, "none"), (1, "threshold"), (2, "compliance"))
RISK_LABELS = ((0, None), (1, "rank"), (2, "activity"))


# the period of a row: one value for the whole write (and the key of the period's own table)
_PERIOD = Column(
    "period_id", "int4", F("int4"), param="period_id", not_null=True, ref=("mlm_commission_period", "cascade")
)


def _cents(name, source=None, zero_default=False):
    return Column(name, "numeric", F("cents"), source=source or f"{name}_cents", zero_default=zero_default)


# Binary plans (engine/binary.py): leg volumes, pairing and carry of the period, in volume units (hundredths of BV
# or PV); the next period's reader takes its carry-in from binary_carry_left/right and binary_pending.
BINARY_STATEMENT_COLUMNS = (
    "binary_left",
    "binary_right",
    "binary_carry_left_in",
    "binary_carry_right_in",
    "binary_matched",
    "binary_carry_left",
    "binary_carry_right",
    "binary_pending",
    "binary_capped",
)


def _ref(name, table, on_delete, source=None, not_null=False):
    return Column(
        name, "int4", F("int4", null_zero=not not_null), source=source, not_null=not_null, ref=(table, on_delete)
    )


COMMISSION_LINE = ResultTable(
    "mlm_commission_line",
    [
        _PERIOD,
        _ref("beneficiary_id", "mlm_distributor", "restrict", not_null=True),
        _ref("source_distributor_id", "mlm_distributor", "set null", source="source_id"),
        Column("bonus_type", "varchar", F("text"), not_null=True),
        Column("level", "int4", F("int4")),
        Column("compressed_level", "int4", F("int4")),
        _ref("rank_id", "mlm_rank", "set null"),
        Column("rate", "numeric", F("decimal")),
        _cents("base_amount", "base_cents"),
        _cents("amount"),
        Column("date_from", "date", F("date"), param="date_from"),
    ],
    indexes=[("mlm_commission_line_period_beneficiary_idx", False, ("period_id", "beneficiary_id"))],
)

COMMISSION_STATEMENT = ResultTable(
    "mlm_commission_statement",
    [
        _PERIOD,
        _ref("distributor_id", "mlm_distributor", "restrict", not_null=True),
        _ref("sponsor_id", "mlm_distributor", "set null"),
        Column("depth", "int4", F("int4")),
        Column("pv", "numeric", F("decimal")),
        Column("gv", "numeric", F("decimal")),
        _cents("bv"),
        _cents("customer_bv"),
        _cents("group_bv"),
        _cents("group_customer_bv"),
        Column("is_active", "bool", F("bool"), source="active"),
        _ref("paid_rank_id", "mlm_rank", "set null"),
        Column("legs_qualified", "int4", F("int4")),
        Column("leg_count", "int4", F("int4")),
        _cents("total"),
        _cents("carry_in"),
        _cents("payable"),
        _cents("carry_out", "carry_cents"),
        Column("held_reason", "varchar", F("text", labels=HELD_LABELS), source="held"),
        Column("state", "varchar", F("text"), param="state"),
        Column("payment_id", "int4", ref=("account_payment", "set null")),
        Column("date_from", "date", F("date"), param="date_from"),
        Column("risk", "varchar", F("text", labels=RISK_LABELS)),
        Column("payout_move_id", "int4", ref=("account_move", "set null")),
        *(_cents(name, zero_default=True) for name in BINARY_STATEMENT_COLUMNS),
        Column("binary_qualified", "bool", F("bool"), zero_default=True),
    ],
    indexes=[
        ("mlm_commission_statement_period_distributor_uniq", True, ("period_id", "distributor_id")),
        ("mlm_commission_statement_period_sponsor_idx", False, ("period_id", "sponsor_id")),
        ("mlm_commission_statement_distributor_idx", False, ("distributor_id",)),
    ],
    fillfactor=70,
)

# The paid rank the close gives every distributor (with a statement or not), kept by the preview of an ended period
# (a table of the period, replaced with the preview's other tables) until the close's ``ranks`` jobs store them and
# delete them chunk by chunk; a preview of a period not ended yet drops them.
CLOSE_RANK = ResultTable(
    "mlm_commission_close_rank",
    [
        _PERIOD,
        _ref("distributor_id", "mlm_distributor", "cascade", not_null=True),
        _ref("rank_id", "mlm_rank", "set null"),
        _ref("highest_rank_id", "mlm_rank", "set null"),
    ],
    indexes=[
        ("mlm_commission_close_rank_period_idx", False, ("period_id",)),
        ("mlm_commission_close_rank_period_distributor_idx", False, ("period_id", "distributor_id")),
    ],
)

# What the run of a closed period read of every distributor of the network (statement or not): the sponsor and
# placement trees, the statuses and the other per-distributor inputs at computation time, kept by the close so that
# the plan sandbox replays the period on them (docs/ENGINE.md "Plan sandbox") whatever changed since. ``source`` is
# the reader's column (mlm_commission_data.DISTRIBUTOR_COLUMNS): the close writes the arrays the reader read, and
# the reader reads a closed period's distributors back from here with the same names.
PERIOD_INPUT = ResultTable(
    "mlm_commission_period_input",
    [
        _PERIOD,
        _ref("distributor_id", "mlm_distributor", "cascade", source="id", not_null=True),
        _ref("sponsor_id", "mlm_distributor", "set null", source="sponsor"),
        Column("status_active", "bool", F("bool"), source="active"),
        Column("coefficient", "float8", F("float8")),
        Column("join_day", "int4", F("int4")),  # the join date's ordinal (datetime.date.toordinal)
        _ref("highest_rank_id", "mlm_rank", "set null"),
        Column("standing_pv", "float8", F("float8")),
        _ref("placement_parent_id", "mlm_distributor", "set null", source="placement_parent"),
        Column("placement_position", "int2", F("int2")),
        Column("holding", "bool", F("bool")),
    ],
    indexes=[("mlm_commission_period_input_period_distributor_uniq", True, ("period_id", "distributor_id"))],
)

RESULT_TABLES = (COMMISSION_LINE, COMMISSION_STATEMENT, CLOSE_RANK, PERIOD_INPUT)


def cleanup_references(cr, target, ids):
    """Before rows ``ids`` of table ``target`` are deleted: apply every result table's ``cascade`` and
    ``set null`` rule to them."""
    if not ids:
        return
    for table in RESULT_TABLES:
        if target == table.period_table:
            table.drop_periods(cr, list(ids))
        for query in table.cleanup_sql(target, list(ids)):
            cr.execute(query)


def restricted_ids(cr, target, ids):
    """The ids among ``ids`` of ``target`` still referenced by a ``restrict`` column of a result table."""
    found = set()
    for table in RESULT_TABLES:
        for query in table.restrict_sql(target, list(ids)):
            cr.execute(query)
            found.update(row[0] for row in cr.fetchall())
    return found


def repair(cr):
    """Apply the declared rules to the rows pointing nowhere already (see ``ResultTable.repair_sql``)."""
    for table in RESULT_TABLES:
        cr.execute(SQL("SELECT id FROM %s", _ident(table.period_table)))
        existing = {row[0] for row in cr.fetchall()}
        for child in table.period_children(cr):
            if int(child[len(table.name) + 2 :].split("_")[0]) not in existing:
                cr.execute(SQL("DROP TABLE %s", _ident(child)))
        for query in table.repair_sql():
            cr.execute(query)


def orphans(cr):
    """{(table, column): rows} of every reference pointing to no row (empty when the tables are whole)."""
    result = {}
    for table in RESULT_TABLES:
        cr.execute(table.orphans_sql())
        for column, count in cr.fetchall():
            if count:
                result[(table.name, column)] = count
    return result
