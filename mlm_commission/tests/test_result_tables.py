"""The result tables' SQL comes from one description; deleting what they reference leaves no orphan row."""

import numpy as np

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.mlm_commission.tools import result_table
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
                Column("period_id", "int4", "int4", not_null=True, ref=("mlm_commission_period", "cascade")),
                Column("rank_id", "int4", "int4", expr="NULLIF({}, 0)", ref=("mlm_rank", "set null")),
                Column("amount", "numeric", "int8", stage="amount_cents", expr="{} / 100.0"),
                Column("date_from", "date", param="date_from"),
                Column("note", "varchar"),
            ],
            indexes=[("demo_result_period_idx", False, ("period_id",))],
        )
        self.assertEqual(
            self._sql(table.staging_ddl()),
            'CREATE TEMP TABLE "demo_result_stage" ("period_id" int4, "rank_id" int4, "amount_cents" int8)'
            " ON COMMIT DROP",
        )
        self.assertEqual(table.copy_columns(), [("period_id", "int4"), ("rank_id", "int4"), ("amount_cents", "int8")])
        self.assertEqual(
            self._sql(table.insert_sql(date_from="2024-05-01")),
            'INSERT INTO "demo_result" ("period_id", "rank_id", "amount", "date_from") SELECT "period_id",'
            ' NULLIF("rank_id", 0), "amount_cents" / 100.0, \'2024-05-01\' FROM "demo_result_stage"',
        )
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
        with self.assertRaises(ValueError):
            table.insert_sql()  # date_from missing
        # the real tables: the staging columns are the engine arrays the run hands over
        self.assertEqual(
            [name for name, _type in COMMISSION_LINE.copy_columns()],
            [
                "period_id",
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
        self.assertIn(("carry_cents", "int8"), COMMISSION_STATEMENT.copy_columns())

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
        """ResultTable.write stages arrays and inserts them with the declared conversions."""
        self._load_reference_volume()
        cr = self.env.cr
        self.env["mlm.commission.line"].flush_model()
        COMMISSION_LINE.write_rows(
            cr,
            {
                "period_id": np.array([self.period.id]),
                "beneficiary_id": np.array([self.alice.id]),
                "source_id": np.array([0]),
                "bonus_type": np.array([1]),
                "level": np.array([1]),
                "compressed_level": np.array([1]),
                "rank_id": np.array([0]),
                "rate": np.array([0.05]),
                "base_cents": np.array([12345]),
                "amount_cents": np.array([617]),
            },
            date_from=self.period.date_from,
        )
        line = self.env["mlm.commission.line"].search([("period_id", "=", self.period.id)])
        self.assertEqual(len(line), 1)
        self.assertEqual(
            (line.beneficiary_id, line.source_distributor_id.id, line.bonus_type, line.rank_id.id),
            (self.alice, False, "1", False),
        )
        self.assertEqual((line.base_amount, line.amount, line.date_from), (123.45, 6.17, self.period.date_from))

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
        # the period: its preview goes with it
        period_id = self.period.id
        self.period.unlink()
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
        self.env.cr.execute(
            "UPDATE mlm_commission_statement SET period_id = -7 WHERE distributor_id = %s", [self.root.id]
        )
        result_table.repair(self.env.cr)  # what the 18.0.1.2.0 migration runs
        self.assertEqual(result_table.orphans(self.env.cr), {})
        self.env.cr.execute(
            "SELECT count(*) FROM mlm_commission_line WHERE rank_id IS NULL AND period_id = %s", [self.period.id]
        )
        self.assertEqual(self.env.cr.fetchone()[0], count)
        self.env.cr.execute("SELECT count(*) FROM mlm_commission_statement WHERE period_id = -7")
        self.assertEqual(self.env.cr.fetchone()[0], 0)
