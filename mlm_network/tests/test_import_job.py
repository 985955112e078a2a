import csv
import io
from unittest.mock import patch

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..models import mlm_distributor_import
from ..models.mlm_distributor_import_job import IMPORT_CHANNEL
from .common import MlmNetworkCommon

HEADERS = ["Distributor ID", "Name", "Email", "Sponsor ID", "Join Date", "Status"]
FIELDS = ["code", "name", "email", "sponsor_code", "join_date", "status"]
OPTIONS = {"has_headers": True, "quoting": '"', "separator": ",", "date_format": "%Y-%m-%d"}


@tagged("post_install", "-at_install")
class TestGenealogyImportJob(MlmNetworkCommon):
    """Files of more rows than the threshold (patched to 50 here) imported through Odoo's import screen are queued:
    one job on the import channel, all or nothing, run as the importing manager."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="import_manager", groups="base.group_user,mlm_network.group_mlm_manager"
        )
        cls.mlm_user = new_test_user(
            cls.env, login="import_reader", groups="base.group_user,mlm_network.group_mlm_user"
        )
        cls.portal = new_test_user(cls.env, login="import_portal", groups="base.group_portal")

    def setUp(self):
        super().setUp()
        self.startPatcher(patch.object(mlm_distributor_import, "IMPORT_JOB_THRESHOLD", 50))
        # as in production: with_delay enqueues (the fixtures run jobs at once)
        self.menv = self.env(user=self.manager, context=dict(self.env.context, queue_job__no_delay=False))
        self.Import = self.menv["mlm.distributor.import.job"]

    def _rows(self, count, sponsor=None):
        """A tree of ``count`` rows, three recruits each, under ``sponsor`` (bob by default), children first."""
        rows = [
            [
                f"J{i:07d}",
                f"Job {i}",
                f"job{i}@example.com",
                f"J{(i - 1) // 3:07d}" if i else (sponsor or self.bob).code,
                "2025-01-01",
                "active",
            ]
            for i in range(count)
        ]
        rows.reverse()
        return rows

    def _execute(self, rows, dryrun=False):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(HEADERS)
        writer.writerows(rows)
        importer = self.menv["base_import.import"].create(
            {
                "res_model": "mlm.distributor",
                "file": buffer.getvalue().encode(),
                "file_type": "text/csv",
                "file_name": "genealogy.csv",
            }
        )
        return importer.execute_import(FIELDS, HEADERS, dict(OPTIONS), dryrun=dryrun)

    def _imported(self):
        return self.Distributor.search([("code", "=like", "J%")])

    def test_large_file_is_queued_then_imported(self):
        before = self.Distributor.search_count([])
        with trap_jobs() as trap:
            result = self._execute(self._rows(60))
            self.assertFalse(result["ids"])
            self.assertEqual(
                [(m["type"], m["message"]) for m in result["messages"]],
                [("info", "Import of 60 distributors queued: see Network > Imports.")],
            )
            self.assertEqual(self.Distributor.search_count([]), before, "nothing is imported in the request")
            record = self.Import.search([])
            self.assertEqual(len(record), 1)
            self.assertEqual(
                (record.state, record.row_count, record.user_id, record.name),
                ("queued", 60, self.manager, "genealogy.csv"),
            )
            trap.assert_jobs_count(1)
            trap.assert_enqueued_job(record._execute_job, properties={"channel": IMPORT_CHANNEL})
            job = trap.enqueued_jobs[0]
            self.assertEqual(record.job_uuid, job.uuid)
            self.assertEqual(job.user_id, self.manager.id, "the job runs with the importing user's rights")
            trap.perform_enqueued_jobs()
        self.assertEqual(
            (record.state, record.imported_count, record.error_count, record.progress), ("done", 60, 0, 100.0)
        )
        imported = self._imported()
        self.assertEqual(len(imported), 60)
        self.assertEqual(self.Distributor.search_count([]), before + 60)
        by_code = {d.code: d for d in imported}
        self.assertEqual(by_code["J0000000"].sponsor_id, self.bob)
        for i in range(1, 60):
            self.assertEqual(by_code[f"J{i:07d}"].sponsor_id, by_code[f"J{(i - 1) // 3:07d}"], f"sponsor of {i}")
        self.assertEqual(by_code["J0000000"].depth, 2)
        self.assertEqual(by_code["J0000059"].depth, 6)
        self.assertEqual(set(imported.mapped("enrollment_source")), {"import"})
        self.assertEqual(self.bob.downline_count, 1 + 60)
        self.assertTreeInvariants()

    def test_refused_rows_import_nothing_then_retry(self):
        """The file passes the checks of the request; when the job runs a row is refused (its sponsor was
        suspended meanwhile, another row's status is unknown): nothing is imported, the errors are on the record
        with their rows; once the file's cause is fixed in the database, a retry imports everything."""
        rows = self._rows(60, sponsor=self.frank)
        with trap_jobs() as trap:
            self._execute(rows)
            record = self.Import.search([])
            self.frank.action_suspend()
            trap.perform_enqueued_jobs()
        self.assertEqual((record.state, record.imported_count, record.error_count), ("failed", 0, 1))
        # the root row J0000000 is the file's last row (60)
        self.assertEqual(record.error_message, f"Row 60: sponsor {self.frank.code} is terminated or suspended.")
        self.assertFalse(self._imported())
        self.frank.action_activate()
        with trap_jobs() as trap:
            record.with_user(self.manager).action_retry()
            self.assertEqual((record.state, record.error_message), ("queued", False))
            trap.assert_jobs_count(1)
            self.assertEqual(record.job_uuid, trap.enqueued_jobs[0].uuid)
            trap.perform_enqueued_jobs()
        self.assertEqual((record.state, record.imported_count, record.attempt_count), ("done", 60, 2))
        self.assertEqual(len(self._imported()), 60)
        self.assertEqual(self._imported().filtered(lambda d: d.code == "J0000000").sponsor_id, self.frank)
        self.assertTreeInvariants()

    def test_conversion_error_is_reported_with_its_row(self):
        rows = self._rows(60)
        rows[4][5] = "sleeping"  # row 5 of the file (J0000055)
        with trap_jobs() as trap:
            self._execute(rows)
            trap.perform_enqueued_jobs()
        record = self.Import.search([])
        self.assertEqual((record.state, record.error_count), ("failed", 1))
        self.assertTrue(record.error_message.startswith("Row 5: "), record.error_message)
        self.assertIn("sleeping", record.error_message)
        self.assertFalse(self._imported())
        with self.assertRaisesRegex(Exception, "Only a failed import"):
            (record | self.Import.create({"name": "x", "state": "done"})).action_retry()

    def test_cheap_errors_refused_in_the_request(self):
        rows = self._rows(60, sponsor=self.bob)
        rows[-1][3] = "NOPE"  # the tree's root row, row 60
        rows[0][1] = " "  # row 1: no name
        with trap_jobs() as trap:
            result = self._execute(rows)
            trap.assert_jobs_count(0)
        self.assertFalse(result["ids"])
        self.assertEqual(
            [(m["type"], m["rows"]["from"], m["message"]) for m in result["messages"]],
            [
                ("error", 0, "Row 1: the name is missing."),
                ("error", 59, "Row 60: unknown sponsor ID NOPE."),
            ],
        )
        self.assertFalse(self.Import.search([]))

    def test_small_file_and_test_mode_stay_synchronous(self):
        with trap_jobs() as trap:
            result = self._execute(self._rows(50))
            self.assertEqual(len(result["ids"]), 50)
            self.assertFalse([m for m in result["messages"] if m["type"] == "error"])
            self.assertEqual(len(self._imported()), 50)
            # a test of a large file runs in the request and is rolled back
            rows = [
                [f"K{i}", f"Test {i}", f"k{i}@example.com", self.root.code, "2025-01-01", "active"] for i in range(60)
            ]
            result = self._execute(rows, dryrun=True)
            self.assertEqual(len(result["ids"]), 60)
            trap.assert_jobs_count(0)
        self.assertFalse(self.Import.search([]))
        self.assertFalse(self.Distributor.search([("code", "=like", "K%")]))

    def test_only_managers_queue_and_see_imports(self):
        record = self.Import.create({"name": "genealogy.csv", "row_count": 60})
        for user in (self.portal, self.mlm_user):
            env = self.env(user=user)
            with self.assertRaises(AccessError, msg=user.login):
                env["mlm.distributor.import.job"].create({"name": "x"})
            with self.assertRaises(AccessError, msg=user.login):
                env["mlm.distributor.import.job"].search([])
            with self.assertRaises(AccessError, msg=user.login):
                record.with_user(user).read(["state"])
            with self.assertRaises(AccessError, msg=user.login):
                record.with_user(user).action_retry()
            with self.assertRaises(AccessError, msg=user.login):
                env["mlm.distributor"].with_context(mlm_import_queue="x.csv").load(FIELDS, self._rows(60))
        self.assertEqual(self.Import.search_count([]), 1)
