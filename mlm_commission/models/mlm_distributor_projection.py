"""The shared real-time projection behind ``mlm.distributor.get_mlm_projection`` (not a model: its helpers).

Every worker reads the same state, kept in PostgreSQL; no process keeps anything between requests.

- ``mlm_projection_state`` (one row per company: the period, plan and leg-rank slots the state is for, and its
  ``generation``), ``mlm_projection_node`` (per distributor: the engine's figures and what moving them forward
  needs) and ``mlm_projection_earning`` (per distributor and bonus type: cents and rows) are written by
  :func:`fold`, a queue_job job (one engine run of the company through the one reader), enqueued every minute
  by ``res.company.cron_mlm_projection_fold`` for companies with pending changes, and at once after a bulk
  change.
- Generations: a fold writes its rows into new tables of a new generation (one per table and company, children
  of ``mlm_projection_node`` / ``mlm_projection_earning`` with a ``CHECK`` on the company and the generation):
  one binary COPY, one ``INSERT ... SELECT`` into a table without index, then its indexes; it publishes them by
  pointing the state row at the new generation, in the same transaction. Readers read the state's generation
  and only its rows, so they never see a half-written fold, and nothing is updated or deleted row by row (at a
  million distributors, updating the changed rows in place took more than a 120 s job). The tables of older
  generations are dropped by the next fold but one (a reader that read the previous state row still finds its
  rows).
- ``mlm_projection_delta`` is written by the transactions that change the inputs, in the same transaction:
  a row per new ledger line (``l``), per distributor whose status, coefficient, join date or highest rank changed
  (``d``), per new distributor (``n``) and per change of the tree (``t``: a move, a deletion, another sponsor or
  company). The fold deletes the rows its snapshot sees (Odoo's transactions are REPEATABLE READ: exactly the
  changes its run read), so what a reader sees pending is exactly what the state misses.
- :class:`SharedProjection` reads one distributor: its stored row, its recruits and its earnings when nothing
  pending concerns it (three index lookups); with pending ledger lines below it, the rows of their paths and
  applies them exactly (``engine.projection.Pending``); otherwise it answers ``None`` and the caller falls back
  to the engine (subtree or company), exactly but slower, until the next fold.
"""

import logging
import time

import numpy as np

from odoo import fields
from odoo.tools import SQL

from ..engine import compute_period
from ..engine.projection import (
    EARNING_COLUMNS,
    NODE_COLUMNS,
    earning_arrays,
    empty_period_values,
    incremental,
    node_arrays,
    project_pending,
    stored_values,
)
from ..tools import pgcopy
from .mlm_commission_data import InputReader, InputScope

_logger = logging.getLogger(__name__)

# A team smaller than this is projected by running the engine on its subtree when the shared state cannot answer.
SMALL_TEAM = 20_000
# More pending changes than this in a company: the state is not moved forward in a request (the fold catches up).
MAX_PENDING = 5_000
# A change of this many rows or more enqueues the fold at once (smaller ones wait for the cron).
BULK_CHANGE = 1_000
# Rows per binary COPY payload of the fold.
COPY_CHUNK = 200_000
# Advisory lock class of the fold (with the company id): one fold per company at a time.
FOLD_LOCK = 0x4D4C4D50

DDL = [
    SQL(
        """
        CREATE TABLE IF NOT EXISTS mlm_projection_state (
            company_id int4 PRIMARY KEY, date_from date NOT NULL, date_to date NOT NULL, plan_key text NOT NULL,
            slots int4[] NOT NULL, company_bv_cents int8 NOT NULL, closed_periods int4 NOT NULL,
            distributors int4 NOT NULL, built_at timestamp NOT NULL, pool_ids int4[], pool_gv float8[])
        """
    ),
    SQL("ALTER TABLE mlm_projection_state ADD COLUMN IF NOT EXISTS pool_ids int4[]"),
    SQL("ALTER TABLE mlm_projection_state ADD COLUMN IF NOT EXISTS pool_gv float8[]"),
    SQL(
        "CREATE TABLE IF NOT EXISTS mlm_projection_node (company_id int4 NOT NULL, %s, legs_holding int4[] NOT NULL,"
        " legs_capped float8[] NOT NULL, PRIMARY KEY (company_id, distributor_id))",
        SQL(", ").join(SQL("%s %s NOT NULL", SQL.identifier(name), SQL(pgtype)) for name, pgtype in NODE_COLUMNS),
    ),
    *(
        SQL("ALTER TABLE mlm_projection_node ADD COLUMN IF NOT EXISTS %s %s", SQL.identifier(name), SQL(pgtype))
        for name, pgtype in [*NODE_COLUMNS, ("legs_holding", "int4[]"), ("legs_capped", "float8[]")]
    ),
    SQL("CREATE INDEX IF NOT EXISTS mlm_projection_node_sponsor_idx ON mlm_projection_node (company_id, sponsor_id)"),
    SQL(
        "CREATE TABLE IF NOT EXISTS mlm_projection_earning (company_id int4 NOT NULL, %s,"
        " PRIMARY KEY (company_id, distributor_id, bonus_type))",
        SQL(", ").join(SQL("%s %s NOT NULL", SQL.identifier(name), SQL(pgtype)) for name, pgtype in EARNING_COLUMNS),
    ),
    SQL(
        """
        CREATE TABLE IF NOT EXISTS mlm_projection_delta (
            id bigserial PRIMARY KEY, company_id int4 NOT NULL, distributor_id int4, line_id int4,
            kind char(1) NOT NULL)
        """
    ),
    SQL("CREATE INDEX IF NOT EXISTS mlm_projection_delta_company_idx ON mlm_projection_delta (company_id)"),
    # generations (rows written before them are generation 0, in the parent tables)
    SQL("ALTER TABLE mlm_projection_state ADD COLUMN IF NOT EXISTS generation int4 NOT NULL DEFAULT 0"),
    SQL("ALTER TABLE mlm_projection_node ADD COLUMN IF NOT EXISTS generation int4 NOT NULL DEFAULT 0"),
    SQL("ALTER TABLE mlm_projection_earning ADD COLUMN IF NOT EXISTS generation int4 NOT NULL DEFAULT 0"),
    SQL("CREATE SEQUENCE IF NOT EXISTS mlm_projection_generation_seq"),
]
# (table, its indexes in a generation's table) of the tables written by generation
GENERATION_TABLES = (
    ("mlm_projection_node", [(True, ("distributor_id",)), (False, ("sponsor_id",))]),
    ("mlm_projection_earning", [(True, ("distributor_id", "bonus_type"))]),
)
NODE_SQL_COLUMNS = SQL(", ").join(SQL.identifier(name) for name, _pgtype in NODE_COLUMNS)


def create_tables(cr):
    for query in DDL:
        cr.execute(query)


def record_changes(env, kind, distributors=None, lines=None):
    """Record changes of the projection's inputs in the writing transaction: ``lines`` (ledger line ids) or
    ``distributors`` (ids) with ``kind`` (``l``, ``d``, ``n``, ``t``: see the module doc). Returns the rows
    written; a bulk change enqueues the fold of the companies concerned."""
    cr = env.cr
    if lines:
        cr.execute(
            SQL(
                """
                INSERT INTO mlm_projection_delta (company_id, distributor_id, line_id, kind)
                SELECT company_id, distributor_id, id, 'l' FROM mlm_volume_line WHERE id = ANY(%s)
                RETURNING company_id
                """,
                list(lines),
            )
        )
    elif distributors:
        cr.execute(
            SQL(
                """
                INSERT INTO mlm_projection_delta (company_id, distributor_id, kind)
                SELECT company_id, id, %s FROM mlm_distributor WHERE id = ANY(%s)
                RETURNING company_id
                """,
                kind,
                list(distributors),
            )
        )
    else:
        return 0
    companies = [row[0] for row in cr.fetchall()]
    if len(companies) >= BULK_CHANGE:
        env["res.company"].sudo().browse(sorted(set(companies)))._mlm_projection_enqueue_fold()
    return len(companies)


def plan_key(plan, spec):
    engine_class = plan._get_engine_class()
    return f"{plan.id}:{engine_class.__module__}.{engine_class.__qualname__}:{spec!r}"


def closed_periods(env, company):
    env["mlm.commission.period"].flush_model(["state", "company_id"])
    env.cr.execute(
        SQL(
            "SELECT count(*) FROM mlm_commission_period WHERE company_id = %s AND state IN ('closed', 'paid')",
            company.id,
        )
    )
    return env.cr.fetchone()[0]


def fold(env, company, period=None):
    """Rebuild ``company``'s shared state for its current period (or ``period``; the job, see the module doc).
    Returns the number of distributors stored, or None when another fold of the company holds the lock.

    The rows go into the tables of a new generation (:func:`write_generation`), published with the state row
    (:func:`publish_generation`) in the same transaction."""
    cr = env.cr
    cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", FOLD_LOCK, company.id))
    if not cr.fetchone()[0]:
        return None
    # first statement of the transaction's snapshot: the changes deleted are exactly the changes read below
    cr.execute(SQL("DELETE FROM mlm_projection_delta WHERE company_id = %s", company.id))
    if period:
        date_from, date_to = period.date_from, period.date_to
    else:
        Period = env["mlm.commission.period"].sudo()
        period, date_from, date_to = Period._get_current_period(company, fields.Date.context_today(env.user))
    plan = period.plan_id or company.mlm_plan_id
    if not plan:
        cr.execute(SQL("DELETE FROM mlm_projection_state WHERE company_id = %s", company.id))
        drop_generations(cr, company, keep=())
        return 0
    started = time.perf_counter()
    ranks = plan._get_ranks()
    spec = plan._get_engine_spec()
    data = InputReader(env, company, date_from, date_to, ranks).read_inputs(InputScope.company())
    inputs = data.inputs()
    result = compute_period(inputs, spec, engine_class=plan._get_engine_class())
    nodes = node_arrays(inputs, spec, result, data.ids)
    earnings = earning_arrays(result, data.ids)
    pooled = spec.pool_rate and spec.pool_min_rank is not None
    members = np.flatnonzero((result.paid_rank >= spec.pool_min_rank) & inputs.active_status) if pooled else []
    header = {
        "date_from": date_from,
        "date_to": date_to,
        "plan_key": plan_key(plan, spec),
        "slots": [int(t) for t in nodes["slots"]],
        "company_bv_cents": int(result.bv_cents.sum()),
        "closed_periods": closed_periods(env, company),
        "distributors": data.size,
        "pool_ids": [int(data.ids[m]) for m in members],
        "pool_gv": [float(result.gv[m]) for m in members],
    }
    del data, inputs, result  # the run's rows and the ledger: not needed for writing (peak memory)
    computed = time.perf_counter()
    generation = write_generation(cr, company, nodes, earnings)
    written = time.perf_counter()
    publish_generation(cr, company, generation, header)
    _logger.info(
        "Projection fold of company %s, generation %s: %s distributors, read and engine %.1f s, write %.1f s,"
        " publish %.1f s",
        company.id,
        generation,
        header["distributors"],
        computed - started,
        written - computed,
        time.perf_counter() - written,
    )
    return header["distributors"]


def write_generation(cr, company, nodes, earnings):
    """Write the node and earning rows of ``company`` into the tables of a new generation (see the module doc),
    not yet read by anybody; returns the generation."""
    cr.execute(SQL("SELECT nextval('mlm_projection_generation_seq')"))
    generation = cr.fetchone()[0]
    slots = nodes.pop("slots")
    holding = nodes.pop("legs_holding")
    capped = nodes.pop("legs_capped")
    columns = list(NODE_COLUMNS) + [(f"lh_{i}", "int8") for i in range(len(slots))]
    columns += [(f"lc_{r}", "float8") for r in range(len(capped))]
    arrays = dict(nodes, **{f"lh_{i}": holding[i] for i in range(len(slots))})
    arrays.update({f"lc_{r}": capped[r] for r in range(len(capped))})
    names = [name for name, _pgtype in NODE_COLUMNS]
    staged = [SQL("s.%s", SQL.identifier(name)) for name in names]
    staged.append(
        SQL("ARRAY[%s]::int4[]", SQL(", ").join(SQL("s.%s", SQL.identifier(f"lh_{i}")) for i in range(len(slots))))
    )
    staged.append(
        SQL("ARRAY[%s]::float8[]", SQL(", ").join(SQL("s.%s", SQL.identifier(f"lc_{r}")) for r in range(len(capped))))
    )
    [(node_table, node_indexes), (earning_table, earning_indexes)] = GENERATION_TABLES
    _write_table(
        cr,
        company,
        generation,
        node_table,
        node_indexes,
        columns,
        arrays,
        [*names, "legs_holding", "legs_capped"],
        staged,
    )
    _write_table(
        cr,
        company,
        generation,
        earning_table,
        earning_indexes,
        list(EARNING_COLUMNS),
        earnings,
        [name for name, _pgtype in EARNING_COLUMNS],
        [SQL("s.%s", SQL.identifier(name)) for name, _pgtype in EARNING_COLUMNS],
    )
    return generation


def publish_generation(cr, company, generation, header):
    """Make ``generation`` the one readers read (the state row), and drop the tables of the generations before
    the one published until now (rows written before generations: deleted)."""
    cr.execute(SQL("SELECT generation FROM mlm_projection_state WHERE company_id = %s", company.id))
    row = cr.fetchone()
    previous = row[0] if row else None
    cr.execute(SQL("DELETE FROM mlm_projection_state WHERE company_id = %s", company.id))
    cr.execute(
        SQL(
            """
            INSERT INTO mlm_projection_state (company_id, date_from, date_to, plan_key, slots, company_bv_cents,
                                              closed_periods, distributors, built_at, pool_ids, pool_gv, generation)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC', %s, %s, %s)
            """,
            company.id,
            header["date_from"],
            header["date_to"],
            header["plan_key"],
            header["slots"],
            header["company_bv_cents"],
            header["closed_periods"],
            header["distributors"],
            header["pool_ids"],
            header["pool_gv"],
            generation,
        )
    )
    drop_generations(cr, company, keep=(generation, previous))


def generation_tables(cr, table, company):
    """{generation: table name} of ``company``'s generation tables of ``table``."""
    cr.execute(
        SQL(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = %s::regclass AND c.relname LIKE %s
            """,
            table,
            f"{table}\\_c{int(company.id)}\\_g%",
        )
    )
    return {int(name.rsplit("_g", 1)[1]): name for (name,) in cr.fetchall()}


def drop_generations(cr, company, keep):
    """Drop ``company``'s generation tables except those of ``keep``, and its rows written before generations."""
    for table, _indexes in GENERATION_TABLES:
        cr.execute(SQL("DELETE FROM ONLY %s WHERE company_id = %s", SQL.identifier(table), company.id))
        for generation, name in sorted(generation_tables(cr, table, company).items()):
            if generation not in keep:
                cr.execute(SQL("DROP TABLE %s", SQL.identifier(name)))


def _write_table(cr, company, generation, table, indexes, columns, arrays, names, staged):
    """``table``'s rows of ``company`` in a new table of ``generation``: ``arrays`` by binary COPY into a
    temporary table (bounded payloads), one ``INSERT ... SELECT`` (``names`` from the expressions ``staged``)
    into the new table, without index until then, then its indexes; it joins ``table`` (inheritance)."""
    stage = f"{table}_stage"
    cr.execute(
        SQL(
            "CREATE TEMP TABLE %s (%s) ON COMMIT DROP",
            SQL.identifier(stage),
            SQL(", ").join(SQL("%s %s", SQL.identifier(name), SQL(pgtype)) for name, pgtype in columns),
        )
    )
    size = len(arrays[columns[0][0]])
    for start in range(0, size, COPY_CHUNK):  # bounded COPY payloads (peak memory)
        pgcopy.copy_in(
            cr._obj, stage, {name: arrays[name][start : start + COPY_CHUNK] for name, _t in columns}, columns
        )
    child = f"{table}_c{int(company.id)}_g{int(generation)}"
    cr.execute(
        SQL(
            "CREATE TABLE %(child)s (LIKE %(table)s INCLUDING DEFAULTS,"
            " CONSTRAINT %(check)s CHECK (company_id = %(company)s AND generation = %(generation)s))",
            child=SQL.identifier(child),
            table=SQL.identifier(table),
            check=SQL.identifier(f"{child}_check"),
            company=int(company.id),
            generation=int(generation),
        )
    )
    cr.execute(
        SQL(
            "INSERT INTO %s (company_id, generation, %s) SELECT %s, %s, %s FROM %s s",
            SQL.identifier(child),
            SQL(", ").join(SQL.identifier(name) for name in names),
            int(company.id),
            int(generation),
            SQL(", ").join(staged),
            SQL.identifier(stage),
        )
    )
    cr.execute(SQL("DROP TABLE %s", SQL.identifier(stage)))
    for unique, cols in indexes:
        cr.execute(
            SQL(
                "CREATE %sINDEX ON %s (%s)",
                SQL("UNIQUE ") if unique else SQL(),
                SQL.identifier(child),
                SQL(", ").join(SQL.identifier(col) for col in cols),
            )
        )
    cr.execute(SQL("ANALYZE %s", SQL.identifier(child)))
    cr.execute(SQL("ALTER TABLE %s INHERIT %s", SQL.identifier(child), SQL.identifier(table)))


class SharedProjection:
    """One company period's shared state, seen from one transaction (see the module doc)."""

    def __init__(self, env, company, date_from, date_to, plan, spec):
        self.env = env
        self.company = company
        self.date_from, self.date_to = date_from, date_to
        self.plan, self.spec = plan, spec
        # pending lines are applied on the stored rows only where their rank and activity rules are the default
        # engine's: the standing-order rule and bonus (mlm_autoship) read figures the rows do not keep, so such
        # plans take the engine while changes are pending (exact, slower)
        standing = (
            spec.standing_min_pv > 0 or spec.standing_order_rate > 0 or any(rule.standing_counts for rule in spec.ranks)
        )
        self.incremental = incremental(plan._get_engine_class()) and not standing

    # ------------------------------------------------------------------ reads
    def header(self):
        """(slots, company BV cents, pending changes) of a state current for this period and plan (and the closes
        it knows: a close writes the highest ranks), else None."""
        self.env["mlm.commission.period"].flush_model(["state", "company_id"])
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT s.slots, s.company_bv_cents, s.pool_ids, s.pool_gv, s.generation,
                       s.closed_periods = (SELECT count(*) FROM mlm_commission_period p
                                            WHERE p.company_id = s.company_id AND p.state IN ('closed', 'paid')),
                       (SELECT count(*) FROM (SELECT 1 FROM mlm_projection_delta p WHERE p.company_id = s.company_id
                                              LIMIT %(limit)s) t)
                  FROM mlm_projection_state s
                 WHERE s.company_id = %(company)s AND s.date_from = %(start)s AND s.date_to = %(end)s
                   AND s.plan_key = %(key)s
                """,
                company=self.company.id,
                start=self.date_from,
                end=self.date_to,
                key=plan_key(self.plan, self.spec),
                limit=MAX_PENDING + 1,
            )
        )
        row = cr.fetchone()
        if not row or not row[5] or row[6] > MAX_PENDING:
            return None
        self.pool_members = dict(zip(row[2] or [], row[3] or [], strict=True))
        self.generation = row[4]
        return row[0], row[1], row[6]

    def _nodes(self, where):
        self.env.cr.execute(
            SQL(
                "SELECT %s, legs_holding, legs_capped FROM mlm_projection_node"
                " WHERE company_id = %s AND generation = %s AND %s",
                NODE_SQL_COLUMNS,
                self.company.id,
                self.generation,
                where,
            )
        )
        names = [name for name, _pgtype in NODE_COLUMNS] + ["legs_holding", "legs_capped"]
        return {row[0]: dict(zip(names, row, strict=True)) for row in self.env.cr.fetchall()}

    def _earnings(self, distributor_id):
        self.env.cr.execute(
            SQL(
                "SELECT bonus_type, cents, row_count FROM mlm_projection_earning"
                " WHERE company_id = %s AND generation = %s AND distributor_id = %s",
                self.company.id,
                self.generation,
                distributor_id,
            )
        )
        return {code: (cents, count) for code, cents, count in self.env.cr.fetchall()}

    def _pending(self):
        """Pending changes: [(kind, distributor id, parent path, pv, bv cents, day)] (line figures for lines of
        the period, else None)."""
        self.env.cr.execute(
            SQL(
                """
                SELECT p.kind, p.distributor_id, d.parent_path,
                       v.pv::float8, round(v.bv * 100)::int8, (COALESCE(v.origin_date, v.date) - DATE '0001-01-01' + 1)
                  FROM mlm_projection_delta p
                  LEFT JOIN mlm_distributor d ON d.id = p.distributor_id
                  LEFT JOIN mlm_volume_line v ON v.id = p.line_id AND v.date >= %(start)s AND v.date <= %(end)s
                 WHERE p.company_id = %(company)s
                """,
                company=self.company.id,
                start=self.date_from,
                end=self.date_to,
            )
        )
        return self.env.cr.fetchall()

    def values(self, me):
        """The projection figures of ``me`` (see ``engine.projection.stored_values``), or None when the shared
        state cannot give them exactly now."""
        header = self.header()
        if header is None:
            return self._empty(me)
        slots, company_bv, pending = header
        if not pending:
            return self._stored(me, slots)
        if not self.incremental:
            return None
        return self._with_pending(me, slots, company_bv)

    def _empty(self, me):
        """A period without ledger lines yet (a month's start, before its first fold): everybody at the lowest
        rank without volume, when the plan pays no rank above it without volume (else None)."""
        if not self.incremental:
            return None
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT EXISTS(SELECT 1 FROM mlm_volume_line v WHERE v.company_id = %(company)s
                                 AND v.date >= %(start)s AND v.date <= %(end)s),
                       ARRAY(SELECT d.id FROM mlm_distributor d WHERE d.sponsor_id = %(me)s ORDER BY d.id)
                """,
                company=self.company.id,
                start=self.date_from,
                end=self.date_to,
                me=me.id,
            )
        )
        has_lines, kids = cr.fetchone()
        if has_lines:
            return None
        highest = self.env["mlm.commission.period"]._plan_rank_indexes(
            self.plan._get_ranks(), np.array([me.highest_rank_id.id], dtype=np.int64)
        )[0]
        return empty_period_values(self.spec, me.status == "active", me.mlm_coefficient, int(highest), kids)

    def _stored(self, me, slots):
        rows = self._nodes(SQL("(distributor_id = %s OR sponsor_id = %s)", me.id, me.id))
        if me.id not in rows:
            return None
        kids = sorted((d, row["gv"]) for d, row in rows.items() if row["sponsor_id"] == me.id and d != me.id)
        return stored_values(rows[me.id], slots, kids, self._earnings(me.id))

    def _with_pending(self, me, slots, company_bv):
        """Apply the pending changes concerning ``me`` (see the module doc); None when one needs the engine."""
        lines, others, parent_paths = [], [], {}
        for kind, dist_id, path, pv, bv_cents, day in self._pending():
            if path is None:
                return None  # a distributor deleted since
            parent_paths[dist_id] = path
            if kind == "l":
                if pv is not None:  # a line of the period
                    lines.append((dist_id, pv, bv_cents, day))
            else:
                others.append((kind, dist_id, path))
        if any(kind == "t" for kind, _d, _p in others):
            return None  # a change of the tree: ranks and levels the rows cannot follow

        def path_of(x):
            return [int(i) for i in parent_paths[x].rstrip("/").split("/")]

        def rows_of(ids, b):
            return self._nodes(SQL("(distributor_id = ANY(%s) OR sponsor_id = %s)", ids, b))

        def members_of():
            return self.pool_members

        def check(rows, pooled):
            return not self._others_concern(me, others, rows, pooled)

        return project_pending(
            self.spec, slots, me.id, lines, path_of, rows_of, self._earnings(me.id), members_of, company_bv, check
        )

    def _others_concern(self, me, others, rows, pool):
        """True when a changed or new distributor may change ``me``'s figures: ``me`` itself, a new distributor
        below it (one more leg: ranks), a changed one below it near enough to pay it unilevel, matching or fast
        start; in the pool, a new distributor, or a changed one of a pool rank or on the paths."""
        spec = self.spec
        # a matching source within G generations, itself within L compressed levels above the change
        generations, levels = len(spec.matching_rates) + 1, len(spec.level_rates) + len(spec.matching_rates) + 1
        mine = rows[me.id]
        concerned = [(kind, d, path) for kind, d, path in others if pool or path.startswith(me.parent_path)]
        if not concerned:
            return False
        if any(kind == "n" or d == me.id for kind, d, _path in concerned):
            return True
        self.env.cr.execute(
            SQL(
                "SELECT distributor_id, depth, active_above, paid FROM mlm_projection_node"
                " WHERE company_id = %s AND generation = %s AND distributor_id = ANY(%s)",
                self.company.id,
                self.generation,
                [d for _kind, d, _path in concerned],
            )
        )
        found = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for _kind, dist_id, path in concerned:
            if dist_id not in found:
                return True
            depth, active_above, paid = found[dist_id]
            if pool and (paid >= spec.pool_min_rank or dist_id in rows):
                return True
            if path.startswith(me.parent_path) and (
                depth - mine["depth"] <= generations or active_above - mine["active_above"] <= levels
            ):
                return True
        return False
