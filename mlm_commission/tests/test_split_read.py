"""A large company's ledger read by two connections in one snapshot equals the read of one connection.

Committed data (another connection sees nothing else), cleaned afterwards: the main company's distributors and
ledger lines of a month long past, so that no other test's rows fall in the period read.
"""

from datetime import date
from unittest.mock import patch

import numpy as np

from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged
from odoo.tools import SQL

from odoo.addons.mlm_commission.models import mlm_commission_data as data_module
from odoo.addons.mlm_commission.models.mlm_commission_data import (
    READ_SNAPSHOT_KEY,
    InputReader,
    InputScope,
    export_read_snapshot,
)

START, END = date(2001, 3, 1), date(2001, 3, 31)
LEDGER_FIELDS = ("line_id", "line_dist_id", "line_pv", "line_bv_cents", "line_day", "line_customer", "line_standing")


@tagged("post_install", "-at_install")
class TestSplitRead(BaseCase):
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
            for partner in partners:
                distributors |= Distributor.enroll(partner, distributors[-1:] if distributors else False)
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
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
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

    def test_split_only_when_another_connection_sees_the_same(self):
        """The reader splits a large ledger only in a snapshot exported by a transaction that has written
        nothing: a write after the export, or a small ledger, keeps it to one connection."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env["res.company"].browse(self.company_id)
            snapshot = export_read_snapshot(env)
            self.assertTrue(snapshot)
            reader = InputReader(env(context={READ_SNAPSHOT_KEY: snapshot}), company, START, END, env["mlm.plan.rank"])
            self.assertIsNone(reader._split_block(InputScope.company()), "a small ledger: one connection")
            with patch.object(data_module, "SPLIT_READ_MIN_BLOCKS", 0):
                self.assertIsNotNone(reader._split_block(InputScope.company()))
                self.assertIsNone(reader._split_block(InputScope.closed(0)), "only the live company scope")
                cr.execute(
                    SQL("UPDATE mlm_distributor SET write_date = write_date WHERE id = %s", self.distributor_ids[0])
                )
                self.assertIsNone(reader._split_block(InputScope.company()), "written since the export")
            self.assertIsNone(export_read_snapshot(env), "a transaction that wrote exports none")
            cr.rollback()
