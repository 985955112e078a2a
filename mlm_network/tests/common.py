from odoo.tests import TransactionCase


class MlmNetworkCommon(TransactionCase):
    """A small genealogy built once for the whole class.

    ::

        root
        ├── alice
        │   ├── carol
        │   │   └── erin
        │   └── dave
        └── bob
            └── frank
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # queue_job runs the jobs in the test's transaction (tests of the enqueueing use trap_jobs)
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, queue_job__no_delay=True))
        cls.Distributor = cls.env["mlm.distributor"]
        cls.company = cls.env.company
        cls.company.write({"mlm_duplicate_policy": "flag", "mlm_cooling_off_days": 14, "mlm_reenroll_days": 180})
        cls.rank_member = cls.env.ref("mlm_network.rank_member")
        cls.rank_bronze = cls.env.ref("mlm_network.rank_bronze")
        cls.rank_silver = cls.env.ref("mlm_network.rank_silver")
        cls.rank_gold = cls.env.ref("mlm_network.rank_gold")
        cls.branch_region = cls.env["mlm.branch"].create({"name": "Kazakhstan", "level": "region"})
        cls.branch = cls.env["mlm.branch"].create(
            {"name": "Almaty", "level": "city", "parent_id": cls.branch_region.id}
        )
        cls.root = cls._make_distributor("Root Leader")
        cls.alice = cls._make_distributor("Alice", cls.root)
        cls.bob = cls._make_distributor("Bob", cls.root)
        cls.carol = cls._make_distributor("Carol", cls.alice)
        cls.dave = cls._make_distributor("Dave", cls.alice)
        cls.erin = cls._make_distributor("Erin", cls.carol)
        cls.frank = cls._make_distributor("Frank", cls.bob)

    @classmethod
    def _make_distributor(cls, name, sponsor=None, **vals):
        slug = name.lower().replace(" ", ".")
        partner = cls.env["res.partner"].create(
            {"name": name, "email": vals.pop("email", f"{slug}@example.com"), "phone": vals.pop("phone", False)}
        )
        values = {"branch_id": cls.branch.id, "status": "active"}
        values.update(vals)
        return cls.env["mlm.distributor"].enroll(partner, sponsor, **values)

    def assertTreeInvariants(self):
        """Paths, depths and sponsors agree for every distributor; no cycles."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT c.id, c.parent_path, c.depth, c.sponsor_id, p.parent_path
              FROM mlm_distributor c LEFT JOIN mlm_distributor p ON p.id = c.sponsor_id
            """
        )
        for dist_id, path, depth, _sponsor_id, sponsor_path in self.env.cr.fetchall():
            expected = f"{sponsor_path or ''}{dist_id}/"
            self.assertEqual(path, expected, f"path of {dist_id}")
            self.assertEqual(depth, path.count("/") - 1, f"depth of {dist_id}")
            ids = [int(x) for x in path.split("/") if x]
            self.assertEqual(len(ids), len(set(ids)), f"cycle through {dist_id}")
