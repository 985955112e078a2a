from odoo.tests import HttpCase, tagged

from .common import MlmNetworkCommon


@tagged("post_install", "-at_install")
class TestNetworkHttp(HttpCase, MlmNetworkCommon):
    def test_genealogy_tour(self):
        self.start_tour("/odoo", "mlm_genealogy_tour", login="admin")

    def test_views_and_actions_load_over_rpc(self):
        self.authenticate("admin", "admin")
        for view_type in ("hierarchy", "list", "form", "kanban", "search", "pivot", "graph"):
            result = self.make_jsonrpc_request(
                "/web/dataset/call_kw",
                {
                    "model": "mlm.distributor",
                    "method": "get_views",
                    "args": [[[False, view_type]]],
                    "kwargs": {},
                },
            )
            self.assertIn(view_type, result["views"])
        records = self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {
                "model": "mlm.distributor",
                "method": "web_search_read",
                "args": [[("sponsor_id", "=", self.root.id)]],
                "kwargs": {"specification": {"code": {}, "name": {}, "leg_color": {}, "rank_id": {"fields": {}}}},
            },
        )
        self.assertEqual({r["name"] for r in records["records"]}, {"Alice", "Bob"})
        for xmlid in (
            "mlm_distributor_action",
            "mlm_distributor_genealogy_action",
            "mlm_distributor_flagged_action",
            "mlm_move_log_action",
            "mlm_branch_action",
            "mlm_rank_action",
        ):
            action = self.make_jsonrpc_request("/web/action/load", {"action_id": f"mlm_network.{xmlid}"})
            self.assertEqual(action["type"], "ir.actions.act_window")
        for method in ("action_view_downline", "action_view_upline"):
            action = self.make_jsonrpc_request(
                "/web/dataset/call_button",
                {"model": "mlm.distributor", "method": method, "args": [[self.alice.id]], "kwargs": {}},
            )
            self.assertEqual(action["res_model"], "mlm.distributor")

    def test_portal_user_cannot_read_distributors_by_rpc(self):
        self.env["res.users"].with_context(no_reset_password=True).create(
            {
                "name": "Portal Person",
                "login": "portal_person",
                "password": "portal_person_pw",
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )
        self.authenticate("portal_person", "portal_person_pw")
        response = self.url_open(
            "/web/dataset/call_kw",
            data=__import__("json").dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": "mlm.distributor",
                        "method": "search_read",
                        "args": [[]],
                        "kwargs": {"fields": ["name"]},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        # refused outright, or (when mlm_portal gives portal distributors their own subtree) nothing to read
        self.assertFalse(response.json().get("result"))
