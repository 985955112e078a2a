"""One description of each table the commission run writes in bulk, from which every piece of SQL is generated.

A :class:`ResultTable` lists its columns once: the column's type in the table, how the run stages it (the binary
COPY type of the engine's array and the staging column's name), the expression turning the staged value into the
stored one, and what it references. From that come the table's ``CREATE TABLE`` (``create_sql``), the temporary
staging table (``staging_ddl``), the COPY column list (``copy_columns``), the ``INSERT ... SELECT`` from the staging
table (``insert_sql``), and the integrity queries (``orphans_sql``, ``cleanup_sql``).

Referential integrity: the tables have no foreign keys (measured on 421k commission lines, the INSERT takes 5 s
without them and 31 s with Odoo's six). Instead every reference is declared here with what happens when its target
row is deleted, and the targets' ``unlink`` run the generated cleanup (:func:`cleanup_references`) before they
delete: ``cascade`` deletes the rows (a period's preview), ``set null`` clears the reference (the sponsor a
statement recorded, the rank of a line), ``restrict`` is checked by the target's own ``ondelete`` rule (a
distributor with statements cannot be deleted). :func:`orphans` counts the rows pointing nowhere (tests, migration).

Plain Python + ``odoo.tools.SQL``; the COPY itself is :mod:`.pgcopy`.
"""

from dataclasses import dataclass

from odoo.tools import SQL

from . import pgcopy

ON_DELETE = ("cascade", "set null", "restrict")


@dataclass(frozen=True)
class Column:
    """One column of a result table.

    ``pgtype``: its type in the table. ``stage_type``: the binary COPY type (int2/int4/int8/float8/bool) when the
    run stages it from an array, ``stage`` the staging column's (and array's) name (default: ``name``), ``expr``
    the stored value from the staged one (``{}`` stands for the staging column). ``param``: the value is a
    parameter of the insert instead (one value for every row). A column with neither is not written by the run.
    ``ref``: ``(table, on_delete)`` of what it references.
    """

    name: str
    pgtype: str
    stage_type: str = None
    stage: str = None
    expr: str = "{}"
    param: str = None
    not_null: bool = False
    ref: tuple = None

    @property
    def stage_name(self):
        return self.stage or self.name

    @property
    def staged(self):
        return self.stage_type is not None


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

    def __init__(self, name, columns, indexes=(), fillfactor=None):
        self.name = name
        self.columns = tuple(columns)
        self.indexes = tuple(indexes)  # (index name, unique, (columns...))
        # free space left in each page, so that updating a row's non-indexed columns (a statement's state on close
        # and payout) is a HOT update that writes no index entry (measured at 100k: 3.8 s instead of 11 s)
        self.fillfactor = fillfactor
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"{name}: duplicate column")
        for column in self.columns:
            if column.ref and column.ref[1] not in ON_DELETE:
                raise ValueError(f"{name}.{column.name}: on_delete must be one of {ON_DELETE}")
        self.stage = StagingTable(f"{name}_stage", [(c.stage_name, c.stage_type) for c in self.columns if c.staged])

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

    def staging_ddl(self):
        return self.stage.staging_ddl()

    def copy_columns(self):
        return self.stage.copy_columns()

    # ------------------------------------------------------------------ writing
    def insert_sql(self, **params):
        """``INSERT INTO table (...) SELECT ... FROM staging table``; ``params`` give the ``param`` columns."""
        written = [c for c in self.columns if c.staged or c.param]
        missing = {c.param for c in written if c.param} - set(params)
        if missing:
            raise ValueError(f"{self.name}: missing parameters {sorted(missing)}")
        values = [
            SQL("%s", params[c.param]) if c.param else SQL(c.expr.format(_ident(c.stage_name).code)) for c in written
        ]
        return SQL(
            "INSERT INTO %s (%s) SELECT %s FROM %s",
            _ident(self.name),
            SQL(", ").join(_ident(c.name) for c in written),
            SQL(", ").join(values),
            _ident(self.stage.name),
        )

    def write_rows(self, cr, arrays, **params):
        """Stage ``arrays`` by binary COPY and insert them (one statement), then drop the staging table."""
        self.stage.load(cr, arrays)
        cr.execute(self.insert_sql(**params))
        self.stage.drop(cr)

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
def _cents(name):
    return Column(name, "numeric", stage_type="int8", stage=f"{name}_cents", expr="{} / 100.0")


COMMISSION_LINE = ResultTable(
    "mlm_commission_line",
    [
        Column("period_id", "int4", "int4", not_null=True, ref=("mlm_commission_period", "cascade")),
        Column("beneficiary_id", "int4", "int4", not_null=True, ref=("mlm_distributor", "restrict")),
        Column(
            "source_distributor_id",
            "int4",
            "int4",
            stage="source_id",
            expr="NULLIF({}, 0)",
            ref=("mlm_distributor", "set null"),
        ),
        Column("bonus_type", "varchar", "int2", expr="{}::varchar", not_null=True),
        Column("level", "int4", "int4"),
        Column("compressed_level", "int4", "int4"),
        Column("rank_id", "int4", "int4", expr="NULLIF({}, 0)", ref=("mlm_rank", "set null")),
        Column("rate", "numeric", "float8"),
        Column("base_amount", "numeric", "int8", stage="base_cents", expr="{} / 100.0"),
        Column("amount", "numeric", "int8", stage="amount_cents", expr="{} / 100.0"),
        Column("date_from", "date", param="date_from"),
    ],
    indexes=[("mlm_commission_line_period_beneficiary_idx", False, ("period_id", "beneficiary_id"))],
)

COMMISSION_STATEMENT = ResultTable(
    "mlm_commission_statement",
    [
        Column("period_id", "int4", "int4", not_null=True, ref=("mlm_commission_period", "cascade")),
        Column("distributor_id", "int4", "int4", not_null=True, ref=("mlm_distributor", "restrict")),
        Column("sponsor_id", "int4", "int4", expr="NULLIF({}, 0)", ref=("mlm_distributor", "set null")),
        Column("depth", "int4", "int4"),
        Column("pv", "numeric", "float8"),
        Column("gv", "numeric", "float8"),
        _cents("bv"),
        _cents("customer_bv"),
        _cents("group_bv"),
        _cents("group_customer_bv"),
        Column("is_active", "bool", "bool", stage="active"),
        Column("paid_rank_id", "int4", "int4", expr="NULLIF({}, 0)", ref=("mlm_rank", "set null")),
        Column("legs_qualified", "int4", "int4"),
        Column("leg_count", "int4", "int4"),
        _cents("total"),
        _cents("carry_in"),
        _cents("payable"),
        Column("carry_out", "numeric", "int8", stage="carry_cents", expr="{} / 100.0"),
        Column(
            "held_reason",
            "varchar",
            "int2",
            stage="held",
            expr="CASE {} WHEN 1 THEN 'threshold' WHEN 2 THEN 'compliance' ELSE 'none' END",
        ),
        Column("state", "varchar", param="state"),
        Column("payment_id", "int4", ref=("account_payment", "set null")),
        Column("date_from", "date", param="date_from"),
        Column("risk", "varchar"),
        Column("payout_move_id", "int4", ref=("account_move", "set null")),
    ],
    indexes=[
        ("mlm_commission_statement_period_distributor_uniq", True, ("period_id", "distributor_id")),
        ("mlm_commission_statement_period_sponsor_idx", False, ("period_id", "sponsor_id")),
        ("mlm_commission_statement_distributor_idx", False, ("distributor_id",)),
    ],
    fillfactor=70,
)

# The paid rank the close gives every distributor (with a statement or not), kept from the close's first job (the
# preview it closes) to its second (the transaction that stores them and closes the period); a new preview of the
# period clears them (cascade cleanup of the period), the second job deletes them once stored.
CLOSE_RANK = ResultTable(
    "mlm_commission_close_rank",
    [
        Column("period_id", "int4", param="period_id", not_null=True, ref=("mlm_commission_period", "cascade")),
        Column("distributor_id", "int4", "int4", not_null=True, ref=("mlm_distributor", "cascade")),
        Column("rank_id", "int4", "int4", expr="NULLIF({}, 0)", ref=("mlm_rank", "set null")),
        Column("highest_rank_id", "int4", "int4", expr="NULLIF({}, 0)", ref=("mlm_rank", "set null")),
    ],
    indexes=[("mlm_commission_close_rank_period_idx", False, ("period_id",))],
)

RESULT_TABLES = (COMMISSION_LINE, COMMISSION_STATEMENT, CLOSE_RANK)


def cleanup_references(cr, target, ids):
    """Before rows ``ids`` of table ``target`` are deleted: apply every result table's ``cascade`` and
    ``set null`` rule to them."""
    if not ids:
        return
    for table in RESULT_TABLES:
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
