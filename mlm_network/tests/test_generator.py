from collections import Counter

from odoo.tests import tagged

from odoo.addons.mlm_network.models.mlm_network_generator import KK_CITIES, KK_FIRST_FEMALE

from .common import MlmNetworkCommon


@tagged("post_install", "-at_install")
class TestNetworkGenerator(MlmNetworkCommon):
    def test_generate_believable_network(self):
        root = self.env["mlm.network.generator"].generate(size=600, seed=3)
        network = self.Distributor.search([("id", "child_of", root.id)])
        self.assertEqual(len(network), 600)
        self.assertEqual(root.downline_count, 599)
        self.assertTreeInvariants()
        statuses = Counter(network.mapped("status"))
        self.assertGreater(statuses["active"], 300)
        self.assertTrue(statuses["inactive"] and statuses["terminated"])
        countries = set(network.mapped("country_id.code"))
        self.assertTrue({"RU", "KZ", "ES", "US"} <= countries)
        kazakh = network.filtered(lambda d: d.country_id.code == "KZ")
        self.assertTrue(set(kazakh.mapped("city")) <= set(KK_CITIES))
        women = kazakh.filtered(lambda d: d.name.split()[0] in KK_FIRST_FEMALE)
        self.assertTrue(all(not d.name.endswith(("ов", "ев")) for d in women), "surnames agree with gender")
        self.assertTrue(women)
        self.assertEqual(len(set(network.mapped("code"))), 600)
        self.assertTrue(all(d.partner_id.commercial_partner_id == d.partner_id for d in network[:20]))
        joins = network.mapped("join_date")
        self.assertGreater((max(joins) - min(joins)).days, 500)
        self.assertTrue(network.mapped("branch_id"))
        # ORM still works on generated records: enrol under a generated leader, then move it
        leaf = network.filtered(lambda d: d.status == "active")[-1]
        newcomer = self._make_distributor("After generation", leaf)
        self.assertEqual(newcomer.depth, leaf.depth + 1)
        self.assertGreaterEqual(root.rank_id.sequence, self.rank_member.sequence)
