"""A large company's run on two connections: the ledger read by two connections in one snapshot equals the read of
one connection, and the lines' table written on a second connection gives the preview one connection writes.

Committed data (another connection sees nothing else), cleaned afterwards: the main company's distributors, ledger
lines, plan and period of a month long past, so that no other test's rows fall in the period read.
"""

from contextlib import ExitStack
from datetime import date
from unittest.mock import patch

import numpy as np

from odoo import SUPERUSER_ID, Command, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import SQL

from odoo.addons.mlm_commission.models import mlm_commission_data as data_module
from odoo.addons.mlm_commission.models import mlm_commission_period as period_module
from odoo.addons.mlm_commission.models.mlm_commission_data import (
    READ_SNAPSHOT_KEY,
    InputReader,
    InputScope,
    export_read_snapshot,
)
from odoo.addons.mlm_commission.tools.result_table import COMMISSION_LINE, cleanup_references

START, END = date(2001, 3, 1), date(2001, 3, 31)
LEDGER_FIELDS = ("line_id", "line_dist_id", "line_pv", "line_bv_cents", "line_day", "line_customer", "line_standing")


@tagged("post_install", "-at_install")
class TestTwoConnections(BaseCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            cls.company_id = env.ref("base.main_company").id
            Distributor = env["mlm.distributor"].with_company(cls.company_id)
            partners = env["res.partner"].create([{"name": f"Split read {n}"} for n in range(30)])
            distributors = Distributor.browse()
            cr.execute(SQL("SELECT COALESCE(max(id), 0) FROM queue_job"))
            jobs_before = cr.fetchone()[0]
            for partner in partners:
                distributors |= Distributor.enroll(partner, distributors[-1:] if distributors else False)
            # the enrolments' jobs (a sponsor's "new recruit" notification) would outlive the cleanup
            env["mlm.distributor"].flush_model()
            cr.execute(SQL("DELETE FROM queue_job WHERE id > %s", jobs_before))
            cls.partner_ids, cls.distributor_ids = partners.ids, distributors.ids
            # enough lines for several blocks of the table, so that both connections read some
            env["mlm.volume.line"]._system()._insert_lines(
                [
                    {
                        "company_id": cls.company_id,
                        "currency_id": env.ref("base.main_company").currency_id.id,
                        "date": date(2001, 3, 1 + n % 28),
                        "distributor_id": distributors[n % len(distributors)].id,
                        "volume_type": ("adjustment", "customer")[n % 2],
                        "pv": 10.0 + n % 7,
                        "bv": 8.25 + n % 5,
                        "source_key": f"split-read:{n}",
                        "reason": "split read test",
                        "revision": 1,
                    }
                    for n in range(900)
                ]
            )
            plan = env["mlm.plan"].create(
                {
                    "name": "Two connections plan",
                    "company_id": cls.company_id,
                    "level_ids": [
                        Command.create({"level": 1, "rate": 10.0}),
                        Command.create({"level": 2, "rate": 5.0}),
                    ],
                    "rank_ids": [Command.create({"rank_id": env.ref("mlm_network.rank_member").id, "paid_levels": 2})],
                }
            )
            period = env["mlm.commission.period"].create(
                {
                    "name": "2001-03",
                    "company_id": cls.company_id,
                    "date_from": START,
                    "date_to": END,
                    "period_type": "month",
                    "plan_id": plan.id,
                }
            )
            cls.plan_id, cls.period_id = plan.id, period.id
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cleanup_references(cr, "mlm_commission_period", [cls.period_id])
            cr.execute(SQL("DELETE FROM mlm_commission_period WHERE id = %s", cls.period_id))
            env["mlm.plan"].browse(cls.plan_id).unlink()
            cr.execute(SQL("DELETE FROM mlm_volume_line WHERE source_key LIKE 'split-read:%%'"))
            cr.execute(SQL("DELETE FROM mlm_move_log WHERE distributor_id = ANY(%s)", cls.distributor_ids))
            cr.execute(SQL("UPDATE mlm_distributor SET sponsor_id = NULL WHERE id = ANY(%s)", cls.distributor_ids))
            cr.execute(SQL("DELETE FROM mlm_distributor WHERE id = ANY(%s)", cls.distributor_ids))
            env["res.partner"].browse(cls.partner_ids).unlink()

    def _read(self, env):
        company = env["res.company"].browse(self.company_id)
        reader = InputReader(env, company, START, END, env["mlm.plan.rank"])
        return reader.read_inputs(InputScope.company(versions=True))

    def test_two_connections_read_what_one_reads(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            cr.execute(
                SQL(
                    "SELECT (ctid::text::point)[0]::int FROM mlm_volume_line WHERE source_key LIKE 'split-read:%%'"
                    " ORDER BY ctid"
                )
            )
            blocks = [row[0] for row in cr.fetchall()]
            middle = blocks[len(blocks) // 2]
            self.assertLess(blocks[0], middle, "the lines span several blocks")
            one = self._read(env)
            snapshot = export_read_snapshot(env)
            self.assertTrue(snapshot)
            calls = []

            def split_block(reader, scope):
                calls.append(scope.kind)
                return middle

            with patch.object(InputReader, "_split_block", split_block):
                two = self._read(env(context={READ_SNAPSHOT_KEY: snapshot}))
            self.assertEqual(calls, ["company"])
            for name in LEDGER_FIELDS:
                order_one, order_two = np.argsort(one.line_id), np.argsort(two.line_id)
                self.assertEqual(getattr(one, name)[order_one].tolist(), getattr(two, name)[order_two].tolist(), name)
            self.assertEqual(len(two.line_id), len(set(two.line_id.tolist())), "no line read twice")
            self.assertEqual(one.versions, two.versions)
            self.assertEqual(one.ids.tolist(), two.ids.tolist())
            # the close's scan of the versions only gives what both reads summed
            company = env["res.company"].browse(self.company_id)
            scanned = InputReader(env, company, START, END, env["mlm.plan.rank"]).scan_versions()
            self.assertEqual(scanned, one.versions)

    def test_split_only_a_large_live_ledger(self):
        """The reader splits only a large ledger of the live company scope, in an exported snapshot (a row lock, as
        queue_job takes on its job, does not prevent the export)."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].browse(self.company_id)
            # a row lock is no write: queue_job locks its job's row before the job runs
            cr.execute(SQL("SELECT id FROM mlm_distributor WHERE id = %s FOR NO KEY UPDATE", self.distributor_ids[0]))
            snapshot = export_read_snapshot(env)
            self.assertTrue(snapshot)
            reader = InputReader(env(context={READ_SNAPSHOT_KEY: snapshot}), company, START, END, env["mlm.plan.rank"])
            self.assertIsNone(reader._split_block(InputScope.company()), "a small ledger: one connection")
            with patch.object(data_module, "SPLIT_READ_MIN_BLOCKS", 0):
                self.assertIsNotNone(reader._split_block(InputScope.company()))
                self.assertIsNone(reader._split_block(InputScope.closed(0)), "only the live company scope")
            cr.rollback()

    def _compute(self, elsewhere, fail=False):
        """Compute the period in a transaction of its own, the lines' table on a second connection or not
        (``fail``: the statements' write fails once the lines' table is built); committed unless it failed."""
        Period = period_module.MlmCommissionPeriod
        calls = []
        original = Period._build_elsewhere

        def build_elsewhere(record, builds, defer):
            calls.extend(table.name for _kind, table, _arrays, _params in builds)
            return original(record, builds, defer)

        with self.registry.cursor() as cr, ExitStack() as stack:
            env = api.Environment(cr, SUPERUSER_ID, {})
            period = env["mlm.commission.period"].browse(self.period_id)
            stack.enter_context(patch.object(period_module, "WRITE_ELSEWHERE_MIN_ROWS", 0 if elsewhere else 10**12))
            stack.enter_context(patch.object(Period, "_build_elsewhere", build_elsewhere))
            if fail:
                stack.enter_context(patch.object(Period, "_write_statements", side_effect=RuntimeError("disk full")))
                with self.assertRaises(RuntimeError):
                    period._compute_commissions()
                cr.rollback()
            else:
                period._compute_commissions()
        # an ended period: the kept ranks and inputs too, after the lines
        written = ["mlm_commission_line", "mlm_commission_close_rank", "mlm_commission_period_input"]
        self.assertEqual(calls, written if elsewhere else [])

    def _preview(self):
        """The period's lines (without ids) and statements' totals, read by a new transaction."""
        with self.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """SELECT beneficiary_id, source_distributor_id, bonus_type, level, rate::text,
                              base_amount::text, amount::text
                         FROM mlm_commission_line WHERE period_id = %s ORDER BY 1, 2, 3, 4, 5, 6, 7""",
                    self.period_id,
                )
            )
            lines = cr.fetchall()
            cr.execute(
                SQL(
                    "SELECT count(*), sum(total)::text, sum(pv)::text FROM mlm_commission_statement"
                    " WHERE period_id = %s",
                    self.period_id,
                )
            )
            statements = cr.fetchone()
            cr.execute(
                SQL(
                    """SELECT (SELECT array_agg(ARRAY[distributor_id, rank_id] ORDER BY distributor_id)
                                 FROM mlm_commission_close_rank WHERE period_id = %(period)s),
                              (SELECT array_agg(ARRAY[distributor_id, COALESCE(sponsor_id, 0)] ORDER BY distributor_id)
                                 FROM mlm_commission_period_input WHERE period_id = %(period)s)""",
                    period=self.period_id,
                )
            )
            kept = cr.fetchone()
            self.assertTrue(all(kept), "the kept ranks and inputs of an ended period")
            return lines, statements + kept, COMMISSION_LINE.built_tables(cr, [self.period_id])

    def test_lines_written_elsewhere_give_the_same_preview(self):
        self._compute(elsewhere=False)
        one = self._preview()
        self.assertTrue(one[0], "the period has lines")
        self._compute(elsewhere=True)
        self.assertEqual(self._preview(), one)
        # a run failing after the lines' table was built keeps the preview; the next compute drops the table
        self._compute(elsewhere=True, fail=True)
        lines, totals, unattached = self._preview()
        self.assertEqual((lines, totals), one[:2])
        self.assertEqual(len(unattached), 1, "the failed run's lines table, committed by its own connection")
        self._compute(elsewhere=False)
        self.assertEqual(self._preview(), one)
