"""The result tables' SQL comes from one description; deleting what they reference leaves no orphan row."""

from unittest.mock import patch

import numpy as np

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.mlm_commission.models.mlm_volume_line import SYSTEM_MARKER
from odoo.addons.mlm_commission.tools import pgcopy, result_table
from odoo.addons.mlm_commission.tools.pgcopy import Field as F
from odoo.addons.mlm_commission.tools.result_table import COMMISSION_LINE, COMMISSION_STATEMENT, Column, ResultTable

from .common import MlmCommissionCommon


@tagged("post_install", "-at_install")
class TestResultTables(MlmCommissionCommon):
    def _sql(self, sql):
        return self.env.cr.mogrify(sql.code, sql.params).decode()

    def test_generated_sql(self):
        table = ResultTable(
            "demo_result",
            [
                Column(
                    "period_id",
                    "int4",
                    F("int4"),
                    param="period_id",
                    not_null=True,
                    ref=("mlm_commission_period", "cascade"),
                ),
                Column("rank_id", "int4", F("int4", null_zero=True), ref=("mlm_rank", "set null")),
                Column("amount", "numeric", F("cents"), source="amount_cents"),
                Column("date_from", "date", F("date"), param="date_from"),
                Column("note", "varchar"),
            ],
            indexes=[
                ("demo_result_period_idx", False, ("period_id",)),
                ("demo_rank_idx", True, ("period_id", "rank_id")),
            ],
        )
        self.assertEqual(
            [name for name, _field in table.copy_fields({"period_id": 3, "date_from": "2024-05-01"})],
            ["id", "period_id", "rank_id", "amount", "date_from"],
        )
        with self.assertRaises(ValueError):
            table.copy_fields({"period_id": 3})  # date_from missing
        # a period's own table: the period is constant there, rows are read by id
        self.assertEqual(table.child_indexes(), [(False, ("id",)), (True, ("rank_id",))])
        self.assertEqual(table.child_name(3, 1001), "demo_result_p3_1001")
        self.assertEqual(table.period_table, "mlm_commission_period")
        create = self._sql(table.create_sql())
        self.assertIn(
            'CREATE TABLE IF NOT EXISTS "demo_result" (id serial PRIMARY KEY, "period_id" int4 NOT NULL,'
            ' "rank_id" int4, "amount" numeric, "date_from" date, "note" varchar)',
            create,
        )
        self.assertIn('ALTER TABLE "demo_result" ADD COLUMN IF NOT EXISTS "note" varchar', create)
        self.assertIn('CREATE INDEX IF NOT EXISTS "demo_result_period_idx" ON "demo_result" ("period_id")', create)
        self.assertEqual(
            [self._sql(q) for q in table.cleanup_sql("mlm_rank", [7])],
            ['UPDATE "demo_result" SET "rank_id" = NULL WHERE "rank_id" = ANY(ARRAY[7])'],
        )
        self.assertEqual(
            [self._sql(q) for q in table.cleanup_sql("mlm_commission_period", [3])],
            ['DELETE FROM "demo_result" WHERE "period_id" = ANY(ARRAY[3])'],
        )
        # the real tables: the arrays the run hands over
        self.assertEqual(
            [c.source_name for c in COMMISSION_LINE.columns if c.field and not c.param],
            [
                "beneficiary_id",
                "source_id",
                "bonus_type",
                "level",
                "compressed_level",
                "rank_id",
                "rate",
                "base_cents",
                "amount_cents",
            ],
        )
        self.assertIn("carry_cents", [c.source_name for c in COMMISSION_STATEMENT.columns])

    def test_tables_match_their_description(self):
        """The database columns of both result tables are exactly the described ones (plus id)."""
        for table in (COMMISSION_LINE, COMMISSION_STATEMENT):
            self.env.cr.execute(
                "SELECT column_name, udt_name FROM information_schema.columns WHERE table_name = %s", [table.name]
            )
            found = dict(self.env.cr.fetchall())
            expected = {c.name: c.pgtype for c in table.columns} | {"id": "int4"}
            self.assertEqual(found, expected)

    def test_write_round_trip(self):
        """write_period COPYs arrays into the period's own table with the declared conversions, and a second write
        replaces the first without deleting rows: the first table is dropped."""
        self._load_reference_volume()
        cr = self.env.cr
        self.env["mlm.commission.line"].flush_model()
        arrays = {
            "beneficiary_id": np.array([self.alice.id, self.bob.id]),
            "source_id": np.array([0, self.carol.id]),
            "bonus_type": np.array([1, 3]),
            "level": np.array([1, 2]),
            "compressed_level": np.array([1, 2]),
            "rank_id": np.array([0, self.rank_bronze.id]),
            "rate": np.array([0.05, 0.1 + 0.2]),
            "base_cents": np.array([12345, -5]),
            "amount_cents": np.array([617, 0]),
        }
        first = COMMISSION_LINE.write_period(cr, self.period.id, arrays, date_from=self.period.date_from)
        self.assertEqual(COMMISSION_LINE.period_children(cr, [self.period.id]), [first])
        lines = self.env["mlm.commission.line"].search([("period_id", "=", self.period.id)], order="level")
        self.assertEqual(
            [
                (
                    ln.beneficiary_id,
                    ln.source_distributor_id,
                    ln.bonus_type,
                    ln.rank_id,
                    ln.rate,
                    ln.base_amount,
                    ln.amount,
                    ln.date_from,
                )
                for ln in lines
            ],
            [
                (
                    self.alice,
                    self.env["mlm.distributor"],
                    "1",
                    self.env["mlm.rank"],
                    0.05,
                    123.45,
                    6.17,
                    self.period.date_from,
                ),
                (self.bob, self.carol, "3", self.rank_bronze, 0.3, -0.05, 0.0, self.period.date_from),
            ],
        )
        # exactly what the SQL conversions give (float8::numeric, cents / 100)
        cr.execute(
            "SELECT rate = 0.3::float8::numeric, base_amount = -5 / 100.0, base_amount::text FROM mlm_commission_line"
            " WHERE period_id = %s AND level = 2",
            [self.period.id],
        )
        self.assertEqual(cr.fetchone(), (True, True, "-0.05"))
        # the ORM reads, writes and deletes through the table as before
        lines[1].with_context(mlm_volume_system=SYSTEM_MARKER).write({"level": 5})
        lines[1].invalidate_recordset()
        self.assertEqual(lines[1].level, 5)
        ids_before = lines.ids
        second = COMMISSION_LINE.write_period(
            cr, self.period.id, {k: v[:1] for k, v in arrays.items()}, date_from=self.period.date_from
        )
        self.assertNotEqual(first, second)
        self.assertEqual(COMMISSION_LINE.period_children(cr, [self.period.id]), [second])
        self.env["mlm.commission.line"].invalidate_model()
        lines = self.env["mlm.commission.line"].search([("period_id", "=", self.period.id)])
        self.assertEqual(len(lines), 1)
        self.assertFalse(set(lines.ids) & set(ids_before), "new rows, new ids")
        lines.with_context(mlm_volume_system=SYSTEM_MARKER).unlink()
        self.assertFalse(self.env["mlm.commission.line"].search([("period_id", "=", self.period.id)]))

    def test_floats_as_postgresql_numeric(self):
        """The COPY writes a float exactly as PostgreSQL's float8::numeric (15 significant digits), cents exactly
        as cents / 100.0, labels, NULLs and dates."""
        rng = np.random.default_rng(4)
        values = np.concatenate(
            [
                np.round(rng.random(2000) * 300, 2),
                np.cumsum(np.round(rng.random(2000) * 300, 2)),
                rng.random(2000) * 10.0 ** rng.integers(-15, 16, 2000),
                -rng.random(100),
                [0.0, -0.0, 0.1 + 0.2, 1e-13, 9.999999999999996, 123456789012345.6, 5e-324, 1.7e308],
                10.0 ** np.arange(-20, 20),
                np.nextafter(10.0 ** np.arange(-20, 20), 0),
            ]
        )
        count = len(values)
        cents = rng.integers(-(10**15), 10**15, count)
        codes = rng.integers(0, 3, count)
        cr = self.env.cr
        cr.execute("CREATE TEMP TABLE pgcopy_probe (f numeric, ff float8, c numeric, ci int8, x varchar, d date)")
        pgcopy.copy_rows(
            cr._obj,
            "pgcopy_probe",
            {"f": values, "ff": values, "c": cents, "ci": cents, "x": codes, "d": self.period.date_from},
            [
                ("f", F("decimal")),
                ("ff", F("float8")),
                ("c", F("cents")),
                ("ci", F("int8")),
                ("x", F("text", labels=((0, None), (1, "rank")))),
                ("d", F("date")),
            ],
        )
        cr.execute(
            """
            SELECT count(*),
                   count(*) FILTER (WHERE f::text IS DISTINCT FROM ff::numeric::text),
                   count(*) FILTER (WHERE c != ci / 100.0),
                   count(*) FILTER (WHERE x IS NULL), count(*) FILTER (WHERE x = 'rank'),
                   count(*) FILTER (WHERE d = %s)
              FROM pgcopy_probe
            """,
            [self.period.date_from],
        )
        self.assertEqual(
            cr.fetchone(),
            (count, 0, 0, int((codes != 1).sum()), int((codes == 1).sum()), count),  # a code without label: NULL
        )

    def test_copy_decoded_block_by_block(self):
        """A binary COPY's rows are decoded as they arrive, in blocks cut anywhere (inside the header, a row or the
        trailer): the same arrays as the whole payload; a NULL or a short payload is refused."""
        rng = np.random.default_rng(7)
        columns = [("i", "int8"), ("f", "float8"), ("b", "bool"), ("s", "int2")]
        arrays = {
            "i": rng.integers(-(10**12), 10**12, 1000),
            "f": rng.random(1000),
            "b": rng.integers(0, 2, 1000).astype(bool),
            "s": rng.integers(-300, 300, 1000).astype(np.int16),
        }
        payload = pgcopy.encode(arrays, columns)
        for piece, block in ((5, 64), (1 << 20, 1 << 20), (333, 1000)):
            decoder = pgcopy.Decoder(columns, block=block)
            for start in range(0, len(payload), piece):
                decoder.feed(payload[start : start + piece])
            decoded = decoder.result()
            for name, _pg_type in columns:
                self.assertEqual(decoded[name].tolist(), arrays[name].tolist(), (name, piece, block))
        self.assertEqual(
            len(pgcopy.decode(pgcopy.encode({n: a[:0] for n, a in arrays.items()}, columns), columns)["i"]), 0
        )
        with self.assertRaises(ValueError):
            pgcopy.decode(payload[:-3], columns)

    def test_uniform_columns_as_constants(self):
        """A column holding one value in every row (a plan type's all-zero amounts, one reference, one rate) is
        written as a constant cell: the same values as the row-by-row conversions, NULL for a zero reference."""
        fields = [
            ("c", F("cents")),
            ("f", F("decimal")),
            ("i", F("int4")),
            ("r", F("int4", null_zero=True)),
            ("b", F("bool")),
        ]
        count = 5
        uniform = {
            "c": np.zeros(count, dtype=np.int64),
            "f": np.full(count, 0.1 + 0.2),
            "i": np.full(count, -7),
            "r": np.zeros(count, dtype=np.int64),
            "b": np.ones(count, dtype=bool),
        }
        cr = self.env.cr
        cr.execute("CREATE TEMP TABLE pgcopy_uniform (c numeric, f numeric, i int4, r int4, b bool, by_row bool)")
        pgcopy.copy_rows(cr._obj, "pgcopy_uniform", dict(uniform, by_row=False), [*fields, ("by_row", F("bool"))])
        with patch.object(pgcopy, "_uniform", return_value=False):
            pgcopy.copy_rows(cr._obj, "pgcopy_uniform", dict(uniform, by_row=True), [*fields, ("by_row", F("bool"))])
        cr.execute("SELECT DISTINCT c::text, f::text, i, r, b FROM pgcopy_uniform")
        self.assertEqual(cr.fetchall(), [("0.00", "0.3", -7, None, True)])
        cr.execute("SELECT count(*) FROM pgcopy_uniform GROUP BY by_row")
        self.assertEqual([row[0] for row in cr.fetchall()], [count, count])

    def test_deletes_leave_no_orphans(self):
        """Deleting a period, a rank or a distributor referenced by results leaves no row pointing nowhere."""
        self._load_reference_volume()
        self.period.action_compute_now()
        cr = self.env.cr
        self.assertTrue(self.period.line_ids and self.period.statement_ids)
        self.assertEqual(result_table.orphans(cr), {})
        # a distributor with statements is refused (restrict)
        with self.assertRaises(UserError):
            self.carol.unlink()
        # a sponsor recorded on statements who is later deleted: the reference is cleared (set null)
        ghost = self._make_distributor("Ghost")
        self.env["mlm.commission.statement"].flush_model()
        cr.execute(
            "UPDATE mlm_commission_statement SET sponsor_id = %s WHERE period_id = %s", [ghost.id, self.period.id]
        )
        cr.execute(
            "UPDATE mlm_commission_line SET source_distributor_id = %s WHERE period_id = %s", [ghost.id, self.period.id]
        )
        ghost.unlink()
        self.assertEqual(result_table.orphans(cr), {})
        cr.execute(
            "SELECT count(*) FROM mlm_commission_statement WHERE period_id = %s AND sponsor_id IS NULL",
            [self.period.id],
        )
        self.assertEqual(cr.fetchone()[0], len(self.period.statement_ids))
        # a paid rank deleted: cleared on lines and statements
        paid_ranks = self.period.statement_ids.paid_rank_id
        self.assertTrue(paid_ranks)
        self.plan.rank_ids.filtered(lambda r: r.rank_id in paid_ranks).unlink()
        paid_ranks.unlink()
        self.assertEqual(result_table.orphans(cr), {})
        # the period: its preview goes with it, tables and all
        period_id = self.period.id
        self.assertEqual(len(COMMISSION_LINE.period_children(cr, [period_id])), 1)
        self.period.unlink()
        self.assertEqual(COMMISSION_LINE.period_children(cr, [period_id]), [])
        self.assertEqual(COMMISSION_STATEMENT.period_children(cr, [period_id]), [])
        cr.execute(
            "SELECT (SELECT count(*) FROM mlm_commission_line WHERE period_id = %(p)s),"
            " (SELECT count(*) FROM mlm_commission_statement WHERE period_id = %(p)s)",
            {"p": period_id},
        )
        self.assertEqual(cr.fetchone(), (0, 0))
        self.assertEqual(result_table.orphans(cr), {})

    def test_orphans_are_found(self):
        self._load_reference_volume()
        self.period.action_compute_now()
        self.env["mlm.commission.line"].flush_model()
        self.env.cr.execute("UPDATE mlm_commission_line SET rank_id = -5 WHERE period_id = %s", [self.period.id])
        count = len(self.period.line_ids)
        self.assertEqual(result_table.orphans(self.env.cr), {("mlm_commission_line", "rank_id"): count})
        # rows of a period deleted without the cleanup: in the table itself and in a period's table
        self.env.cr.execute(
            "INSERT INTO mlm_commission_statement (period_id, distributor_id, state) VALUES (-7, %s, 'preview')",
            [self.root.id],
        )
        self.env.cr.execute(
            "CREATE TABLE mlm_commission_statement_p99999999_1 (LIKE mlm_commission_statement);"
            " ALTER TABLE mlm_commission_statement_p99999999_1 INHERIT mlm_commission_statement;"
            " INSERT INTO mlm_commission_statement_p99999999_1 (id, period_id, distributor_id)"
            " VALUES (-1, 99999999, %s)",
            [self.root.id],
        )
        self.assertEqual(result_table.orphans(self.env.cr)[("mlm_commission_statement", "period_id")], 2)
        result_table.repair(self.env.cr)  # what the 18.0.1.2.0 migration runs
        self.assertEqual(result_table.orphans(self.env.cr), {})
        self.env.cr.execute(
            "SELECT count(*) FROM mlm_commission_line WHERE rank_id IS NULL AND period_id = %s", [self.period.id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], count)
        self.env.cr.execute("SELECT count(*) FROM mlm_commission_statement WHERE period_id IN (-7, 99999999)")
        self.assertEqual(self.env.cr.fetchone()[0], 0)
        self.assertEqual(COMMISSION_STATEMENT.period_children(self.env.cr, [99999999]), [], "its table is dropped")
