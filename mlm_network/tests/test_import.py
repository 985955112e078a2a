import base64
import csv
import io

from odoo.tests import tagged

from .common import MlmNetworkCommon


@tagged("post_install", "-at_install")
class TestGenealogyImport(MlmNetworkCommon):
    FIELDS = ["code", "name", "email", "sponsor_code", "join_date"]

    def _rows(self):
        # Children come before their sponsors in the file; one sponsor already exists in the database.
        return [
            ["X0000004", "Imported Grandchild", "gc@example.com", "X0000002", "2025-03-01"],
            ["X0000002", "Imported Child", "child@example.com", "X0000001", "2025-02-01"],
            ["X0000003", "Imported Sibling", "sib@example.com", "X0000001", "2025-02-15"],
            ["X0000001", "Imported Leader", "leader@example.com", self.bob.code, "2025-01-01"],
        ]

    def test_load_in_any_order(self):
        result = self.Distributor.load(self.FIELDS, self._rows())
        self.assertFalse([m for m in result["messages"] if m["type"] == "error"], result["messages"])
        self.assertEqual(len(result["ids"]), 4)
        imported = {d.code: d for d in self.Distributor.browse(result["ids"])}
        self.assertEqual(imported["X0000001"].sponsor_id, self.bob)
        self.assertEqual(imported["X0000002"].sponsor_id, imported["X0000001"])
        self.assertEqual(imported["X0000004"].sponsor_id, imported["X0000002"])
        self.assertEqual(imported["X0000004"].depth, 4)
        self.assertEqual(imported["X0000004"].enrollment_source, "import")
        self.assertEqual(self.bob.downline_count, 5)
        self.assertEqual(result["ids"][0], imported["X0000004"].id, "ids follow the file's row order")
        self.assertTreeInvariants()

    def test_bad_row_imports_nothing(self):
        rows = self._rows() + [["X0000005", "Orphan", "orphan@example.com", "NOPE", "2025-01-01"]]
        before = self.Distributor.search_count([])
        result = self.Distributor.load(self.FIELDS, rows)
        self.assertFalse(result["ids"])
        errors = [m for m in result["messages"] if m["type"] == "error"]
        self.assertEqual(len(errors), 1)
        self.assertIn("NOPE", errors[0]["message"])
        self.assertEqual(errors[0]["rows"]["from"], 4)
        self.assertEqual(self.Distributor.search_count([]), before)

    def test_cycle_in_file_is_reported(self):
        rows = [["Y1", "A", "a1@example.com", "Y2", ""], ["Y2", "B", "b2@example.com", "Y1", ""]]
        result = self.Distributor.load(self.FIELDS, rows)
        self.assertFalse(result["ids"])
        self.assertEqual(len(result["messages"]), 2)

    def test_standard_import_wizard_with_csv(self):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["Distributor ID", "Name", "Email", "Sponsor ID", "Join Date"])
        writer.writerows(self._rows())
        importer = self.env["base_import.import"].create(
            {
                "res_model": "mlm.distributor",
                "file": base64.b64decode(base64.b64encode(buffer.getvalue().encode())),
                "file_type": "text/csv",
                "file_name": "genealogy.csv",
            }
        )
        options = {"has_headers": True, "quoting": '"', "separator": ",", "date_format": "%Y-%m-%d"}
        result = importer.execute_import(
            self.FIELDS, ["Distributor ID", "Name", "Email", "Sponsor ID", "Join Date"], options
        )
        self.assertFalse([m for m in result["messages"] if m["type"] == "error"], result["messages"])
        self.assertEqual(self.Distributor.search_count([("code", "=like", "X000000%")]), 4)
        self.assertTreeInvariants()

    def test_codes_given_by_sequence_and_duplicates_flagged(self):
        rows = [
            ["", "New Leader", "newleader@example.com", self.bob.code, "2025-01-01"],
            ["", "Alice Again", "alice@example.com", self.bob.code, "2025-01-02"],
        ]
        result = self.Distributor.load(self.FIELDS, rows)
        self.assertFalse([m for m in result["messages"] if m["type"] == "error"], result["messages"])
        leader, twin = self.Distributor.browse(result["ids"])
        self.assertRegex(leader.code, r"^D\d{7}$")
        self.assertEqual(leader.partner_id.mlm_code, leader.code)
        self.assertEqual(twin.duplicate_state, "flagged")
        self.assertEqual(twin.duplicate_of_ids, self.alice)
        self.assertEqual(leader.rank_id, self.rank_member)
        self.assertEqual(leader.cooling_off_deadline.isoformat(), "2025-01-15")

    def test_file_duplicate_codes_and_blocked_sponsor(self):
        self.frank.action_suspend()
        rows = [["W1", "One", "w1@example.com", self.frank.code, ""], ["W1", "Two", "w2@example.com", "", ""]]
        result = self.Distributor.load(self.FIELDS, rows)
        self.assertFalse(result["ids"])
        text = " ".join(m["message"] for m in result["messages"])
        self.assertIn("also on row 1", text)
        self.assertIn("terminated or suspended", text)

    def test_orm_path_for_relational_columns(self):
        tag = self.env["mlm.distributor.tag"].create({"name": "Importers"})
        fields = self.FIELDS + ["tag_ids"]
        rows = [row + ["Importers"] for row in self._rows()]
        result = self.Distributor.load(fields, rows)
        self.assertFalse([m for m in result["messages"] if m["type"] == "error"], result["messages"])
        imported = self.Distributor.browse(result["ids"])
        self.assertEqual(imported.mapped("tag_ids"), tag)
        self.assertEqual(imported.filtered(lambda d: d.code == "X0000004").depth, 4)
        self.assertTreeInvariants()

    def test_ten_thousand_rows(self):
        rows = [
            [
                f"Z{i:07d}",
                f"Bulk {i}",
                f"bulk{i}@example.com",
                f"Z{(i - 1) // 3:07d}" if i else self.root.code,
                "2025-01-01",
            ]
            for i in range(2000)
        ]
        rows.reverse()
        result = self.Distributor.load(self.FIELDS, rows)
        self.assertFalse([m for m in result["messages"] if m["type"] == "error"])
        self.assertEqual(len(result["ids"]), 2000)
        self.assertEqual(self.root.downline_count, 6 + 2000)
        self.assertTreeInvariants()
