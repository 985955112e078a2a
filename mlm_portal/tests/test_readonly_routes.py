import threading

from odoo.tests import HttpCase, tagged

from odoo.addons.mlm_portal.controllers.portal import MlmPortal

from .common import PASSWORD, MlmPortalCommon

# Served from the replica when ``db_replica_host`` is set: they only read.
READONLY_ROUTES = {
    "/my/network",
    "/my/network/page/<int:page>",
    "/my/network/export.xlsx",
    "/my/network/tree",
    "/my/network/tree/children",
    "/my/network/tree/search",
    "/my/network/tree/path",
    "/my/network/photo/<int:distributor_id>",
    "/my/network/member/<int:distributor_id>",
    "/my/volume",
    "/my/commissions",
    "/my/commissions/page/<int:page>",
    "/my/commissions/<int:statement_id>",
    "/my/commissions/<int:statement_id>/page/<int:page>",
    "/my/commissions/<int:statement_id>/xlsx",
    "/my/referral",
    "/my/team",
}
# They write (forms, sign-up attempts, report attachments) or override a read/write route of portal.
READ_WRITE_ROUTES = {
    "/my",
    "/my/home",
    "/my/profile",
    "/my/referral/page",
    "/my/commissions/<int:statement_id>/pdf",
    "/my/team/announce",
    "/my/team/goal",
    "/my/team/goal/<int:goal_id>/delete",
    "/ref/<string:code>",
    "/join/<string:code>",
}


@tagged("post_install", "-at_install")
class TestReadonlyRoutes(HttpCase, MlmPortalCommon):
    def test_routing_map_modes(self):
        thread = threading.current_thread()
        previous = getattr(thread, "dbname", None)
        thread.dbname = self.env.cr.dbname  # what a request sets; routing_map reads it
        try:
            rules = list(self.env["ir.http"].routing_map().iter_rules())
        finally:
            if previous is None:
                del thread.dbname
            else:
                thread.dbname = previous
        # a callable mode (decided per request) would show as neither True nor False below
        modes = {rule.rule: rule.endpoint.routing["readonly"] for rule in rules}
        self.assertEqual({path for path in READONLY_ROUTES if modes.get(path) is True}, READONLY_ROUTES)
        self.assertEqual({path for path in READ_WRITE_ROUTES if modes.get(path) is False}, READ_WRITE_ROUTES)

    def test_readonly_pages_work_on_a_readonly_cursor(self):
        """In test mode a readonly route gets a READ ONLY transaction: a write would fail there and Odoo would log
        its retry on a read/write cursor. Every page below answers without such a retry."""
        self.authenticate(self.user_root.login, PASSWORD)
        with self.assertNoLogs("odoo.http", level="WARNING"):
            network = self.url_open("/my/network")
            member = self.url_open(f"/my/network/member/{self.carol.id}")
            volume = self.url_open("/my/volume")
            commissions = self.url_open("/my/commissions")
            statement = self.url_open(f"/my/commissions/{self.statement_root.id}")
            xlsx = self.url_open(f"/my/commissions/{self.statement_root.id}/xlsx")
            tree = self.url_open("/my/network/tree")
            children = self.make_jsonrpc_request("/my/network/tree/children", {"parent_id": self.root.id})
            found = self.make_jsonrpc_request("/my/network/tree/search", {"term": "fran"})
        for response in (network, member, volume, commissions, statement, xlsx, tree):
            self.assertEqual(response.status_code, 200, response.url)
        self.assertIn("Carol", network.text)
        self.assertIn("Carol", member.text)
        self.assertIn("1,020.00", volume.text)  # the root's GV in the open period
        self.assertEqual(
            xlsx.headers["Content-Type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        self.assertEqual(sorted(node["name"] for node in children["nodes"]), ["Alice", "Bob"])
        self.assertEqual([row["name"] for row in found["results"]], ["Frank"])

    def test_readonly_route_refuses_writes(self):
        """The test cursor of a readonly route really is read-only: a write there is refused and the request is
        replayed on a read/write cursor (what Odoo does with a replica), which the log shows."""
        self.authenticate(self.user_root.login, PASSWORD)
        original = MlmPortal._mlm_values

        def writing_values(controller, page_name, **values):
            if page_name == "mlm_volume":
                partner = controller._mlm_me().partner_id.sudo()
                partner.write({"comment": "written"})
                partner.flush_recordset()
            return original(controller, page_name, **values)

        self.patch(MlmPortal, "_mlm_values", writing_values)
        with self.assertLogs("odoo.http", level="WARNING") as logs:
            response = self.url_open("/my/volume")
        self.assertEqual(response.status_code, 200)
        self.assertIn("retrying with a read/write cursor", logs.output[0])
