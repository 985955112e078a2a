import random
import threading
import time
from datetime import timedelta
from unittest.mock import patch

import psycopg2

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.registry import Registry
from odoo.service.model import retrying
from odoo.tests import BaseCase, TransactionCase, get_db_name, tagged
from odoo.tools import mute_logger

from ..tools import placement


class TestPlacementDecisions(BaseCase):
    """The plain-Python decisions, on hand-built snapshots."""

    def test_breadth_first_fills_level_by_level_left_to_right(self):
        children = {1: {1: 2, 2: 3}, 2: {1: 4, 2: 5}, 3: {1: 6}}
        self.assertEqual(placement.first_free_breadth_first(children, 1, 2), (3, 2))
        placement.take(children, 3, 2, 7)
        self.assertEqual(placement.first_free_breadth_first(children, 1, 2), (4, 1))
        self.assertIsNone(placement.first_free_breadth_first(children, 1, 2, max_levels=2))
        with self.assertRaises(ValueError):
            placement.take(children, 3, 2, 8)

    def test_outside_edge_and_sides(self):
        children = {1: {1: 2, 2: 3}, 2: {1: 4}, 4: {2: 9}}
        self.assertEqual(placement.outside_edge(children, 1, 1), (4, 1))
        self.assertEqual(placement.outside_edge(children, 1, 2), (3, 2))
        self.assertEqual(placement.binary_side("weaker", leg_volumes={1: 500.0, 2: 120.0}, leg_sizes=(1, 9)), 2)
        self.assertEqual(placement.binary_side("weaker", leg_volumes={1: 0.0, 2: 0.0}, leg_sizes=(4, 2)), 2)
        self.assertEqual(placement.binary_side("weaker", leg_sizes=(0, 0)), 1)
        self.assertEqual(placement.binary_side("outer", sponsor_slot=2), 2)
        self.assertEqual(placement.binary_side("outer", sponsor_slot=None), 1)
        self.assertEqual([placement.binary_side("alternate", placed_recruits=n) for n in range(4)], [1, 2, 1, 2])
        self.assertEqual(placement.decide(children, 1, "spillover", "binary", 2), (2, 2))
        self.assertEqual(placement.decide(children, 1, "right", "binary", 2), (3, 2))
        self.assertEqual(placement.decide({}, 1, "left", "matrix", 3), (1, 1))

    def test_placer_decides_like_decide_from_scratch(self):
        """Placer keeps its frontiers and edges between decisions: on random sequences of recruits it takes the
        positions found from scratch each time (the bottom of the outside edge, the first free breadth-first)."""
        rng = random.Random(7)
        for tree_type, width, max_levels in (("binary", 2, 0), ("matrix", 3, 3), ("matrix", 2, 0)):
            children, nodes = {}, [1]
            placer = placement.Placer(children, tree_type, width, max_levels)
            for node in range(2, 400):
                sponsor = rng.choice(nodes)
                pref = rng.choice(["left", "right", "spillover", "outer"]) if tree_type == "binary" else "spillover"
                facts = {"sponsor_slot": rng.choice([1, 2])} if pref == "outer" else {}
                if tree_type == "binary" and pref != "spillover":
                    expected = placement.outside_edge(children, sponsor, placement.binary_side(pref, **facts))
                elif tree_type == "binary":
                    expected = placement.first_free_breadth_first(children, sponsor, 2)
                else:
                    expected = placement.first_free_breadth_first(children, sponsor, width, max_levels)
                self.assertEqual(placer.decide(sponsor, pref, **facts), expected)
                if expected:
                    placement.take(children, expected[0], expected[1], node)
                    nodes.append(node)


class PlacementCommon(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, queue_job__no_delay=True))
        cls.Distributor = cls.env["mlm.distributor"]
        cls.company = cls.env.company
        cls.company.write(
            {
                "mlm_placement_type": "binary",
                "mlm_holding_days": 0,
                "mlm_placement_preference": "spillover",
                "mlm_duplicate_policy": "flag",
            }
        )
        cls.root = cls._make("Top")

    @classmethod
    def _make(cls, name, sponsor=None, **vals):
        partner = cls.env["res.partner"].create({"name": name, "email": f"{name.lower()}@placement.example.com"})
        return cls.env["mlm.distributor"].enroll(partner, sponsor, **vals)

    def _spot(self, dist):
        return dist.placement_parent_id, dist.placement_position

    def assertPlacementInvariants(self):
        """Paths, depths and parents agree; no position is taken twice; filled counts are right."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT c.id, c.placement_path, c.placement_depth, p.placement_path,
                   (SELECT count(*) FROM mlm_distributor k WHERE k.placement_parent_id = c.id),
                   COALESCE(c.placement_child_count, 0)
              FROM mlm_distributor c LEFT JOIN mlm_distributor p ON p.id = c.placement_parent_id
             WHERE c.placement_state = 'placed'
            """
        )
        for dist_id, path, depth, parent_path, children, count in self.env.cr.fetchall():
            self.assertEqual(path, f"{parent_path or ''}{dist_id}/")
            self.assertEqual(depth, path.count("/") - 1)
            self.assertEqual(children, count, f"filled positions of {dist_id}")


@tagged("post_install", "-at_install")
class TestPlacement(PlacementCommon):
    def test_root_and_spillover_breadth_first(self):
        self.assertEqual((self.root.placement_state, self.root.placement_path), ("placed", f"{self.root.id}/"))
        recruits = [self._make(f"R{i}", self.root) for i in range(6)]
        r = recruits
        self.assertEqual(self._spot(r[0]), (self.root, "left"))
        self.assertEqual(self._spot(r[1]), (self.root, "right"))
        self.assertEqual(self._spot(r[2]), (r[0], "left"))
        self.assertEqual(self._spot(r[3]), (r[0], "right"))
        self.assertEqual(self._spot(r[4]), (r[1], "left"))
        self.assertEqual(self._spot(r[5]), (r[1], "right"))
        self.assertEqual(r[5].placement_path, f"{self.root.id}/{r[1].id}/{r[5].id}/")
        self.assertEqual((r[5].placement_depth, r[5].placement_slot), (2, 2))
        self.assertEqual(self.root.placement_child_count, 2)
        self.assertEqual(self.root.placement_child_ids, r[0] | r[1])
        self.assertPlacementInvariants()

    def test_batch_of_sign_ups_never_share_a_position(self):
        partners = self.env["res.partner"].create([{"name": f"B{i}"} for i in range(7)])
        batch = self.Distributor.create([{"partner_id": p.id, "sponsor_id": self.root.id} for p in partners])
        spots = {(d.placement_parent_id.id, d.placement_slot) for d in batch}
        self.assertEqual(len(spots), 7)
        self.assertEqual(set(batch.mapped("placement_depth")), {1, 2, 3})
        self.assertPlacementInvariants()

    def test_left_right_outer_alternate_preferences(self):
        self.root.placement_preference = "left"
        a, b, c = (self._make(n, self.root) for n in ("LA", "LB", "LC"))
        self.assertEqual([self._spot(x) for x in (a, b, c)], [(self.root, "left"), (a, "left"), (b, "left")])
        self.root.placement_preference = "right"
        d, e = (self._make(n, self.root) for n in ("RD", "RE"))
        self.assertEqual([self._spot(x) for x in (d, e)], [(self.root, "right"), (d, "right")])
        # outer: d sits on the right of the root, so d's recruits go down d's right edge (after e)
        d.placement_preference = "outer"
        f = self._make("OF", d)
        self.assertEqual(self._spot(f), (e, "right"))
        # alternate: b has no recruit placed yet: left, right, left (bottom of the left edge)
        b.placement_preference = "alternate"
        g, h, i = (self._make(n, b) for n in ("AG", "AH", "AI"))
        self.assertEqual([self._spot(x) for x in (g, h, i)], [(c, "left"), (b, "right"), (g, "left")])
        self.assertPlacementInvariants()

    def test_weaker_leg_by_volume_through_the_hook(self):
        self.root.placement_preference = "weaker"
        left = self._make("WL", self.root)  # no volume, no members: left
        right = self._make("WR", self.root)  # left has one member more
        self.assertEqual((self._spot(left), self._spot(right)), ((self.root, "left"), (self.root, "right")))
        volumes = {
            self.root.id: {1: {"pv": 0.0, "gv": 900.0, "carry": 0.0}, 2: {"pv": 0.0, "gv": 100.0, "carry": 850.0}}
        }
        cls = type(self.Distributor)
        with patch.object(cls, "_placement_leg_volumes", autospec=True, side_effect=lambda recs: volumes):
            third = self._make("W3", self.root)  # right: 100 + 850 carried > 900: the left is weaker
            self.assertEqual(self._spot(third), (left, "left"))
            volumes[self.root.id][2]["carry"] = 0.0
            fourth = self._make("W4", self.root)
            self.assertEqual(self._spot(fourth), (right, "right"))
        base = self.Distributor._placement_leg_volumes
        self.assertEqual(base.__func__(self.root)[self.root.id][1], {"pv": 0.0, "gv": 0.0, "carry": None})

    def test_matrix_width_and_depth(self):
        self.company.write({"mlm_placement_type": "matrix", "mlm_matrix_width": 3, "mlm_matrix_depth": 2})
        top = self._make("MatrixTop")
        recruits = self.Distributor.create(
            [
                {"partner_id": p.id, "sponsor_id": top.id}
                for p in self.env["res.partner"].create([{"name": f"M{i}"} for i in range(12)])
            ]
        )
        self.assertEqual(top.placement_child_count, 3)
        self.assertEqual(recruits[:3].mapped("placement_slot"), [1, 2, 3])
        self.assertFalse(recruits[0].placement_position)
        self.assertEqual(recruits[3].placement_parent_id, recruits[0])
        self.assertEqual(recruits[11].placement_parent_id, recruits[2])
        self.assertEqual(recruits[11].placement_slot, 3)
        with self.assertRaisesRegex(UserError, "full"):
            self._make("M13", top)
        self.assertPlacementInvariants()

    def test_placements_are_not_edited_by_hand(self):
        child = self._make("Edit", self.root)
        with self.assertRaises(UserError):
            child.write({"placement_parent_id": self.root.id})
        with self.assertRaises(UserError):
            child.write({"placement_position": "right"})

    def test_unique_position_in_the_database(self):
        a = self._make("U1", self.root)
        b = self._make("U2", self.root)
        self.env.flush_all()
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.UniqueViolation), self.env.cr.savepoint():
            self.env.cr.execute(
                "UPDATE mlm_distributor SET placement_slot = %s WHERE id = %s", (a.placement_slot, b.id)
            )

    def test_no_placement_tree_by_default(self):
        self.company.mlm_placement_type = "none"
        plain = self._make("Plain", self.root)
        self.assertFalse(plain.placement_state)
        self.assertFalse(plain.placement_parent_id)


@tagged("post_install", "-at_install")
class TestHoldingTank(PlacementCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.left = cls._make("Left", cls.root)
        cls.right = cls._make("Right", cls.root)
        cls.company.mlm_holding_days = 3
        cls.sponsor = cls.left
        cls.waiting = cls._make("Waiting", cls.left)
        cls.other = cls._make("Other", cls.right)
        Users = cls.env["res.users"].with_context(no_reset_password=True)
        portal = cls.env.ref("base.group_portal")
        cls.user_sponsor = Users.create(
            {"login": "ht_sponsor", "partner_id": cls.left.partner_id.id, "groups_id": [Command.set(portal.ids)]}
        )
        cls.user_other = Users.create(
            {"login": "ht_other", "partner_id": cls.right.partner_id.id, "groups_id": [Command.set(portal.ids)]}
        )

    def test_recruits_wait_in_the_holding_tank(self):
        self.assertEqual(self.waiting.placement_state, "holding")
        self.assertFalse(self.waiting.placement_parent_id)
        delay = self.waiting.placement_deadline - fields.Datetime.now()
        self.assertTrue(timedelta(days=2, hours=23) < delay <= timedelta(days=3))

    def test_sponsor_places_own_recruit_by_hand(self):
        self.waiting.with_user(self.user_sponsor).action_place(self.left.id, "right")
        self.assertEqual((self.waiting.placement_state, *self._spot(self.waiting)), ("placed", self.left, "right"))
        self.assertFalse(self.waiting.placement_deadline)
        log = self.env["mlm.move.log"].search([("distributor_id", "=", self.waiting.id)])
        self.assertEqual(
            (log.tree, log.option, log.new_placement_parent_id, log.new_placement_slot),
            ("placement", "place", self.left, 2),
        )
        self.assertPlacementInvariants()

    def test_sponsor_places_with_a_side(self):
        second = self._make("Second", self.left)
        self.waiting.with_user(self.user_sponsor).action_place(False, "right")
        second.with_user(self.user_sponsor).action_place(False, "right")
        self.assertEqual(
            [self._spot(x) for x in (self.waiting, second)], [(self.left, "right"), (self.waiting, "right")]
        )

    def test_others_cannot_place(self):
        for user in (self.user_other,):
            with self.assertRaises(AccessError):
                self.waiting.with_user(user).action_place(self.right.id, "left")
        # the sponsor cannot place outside their own placement downline, nor on a taken position
        with self.assertRaises(ValidationError):
            self.waiting.with_user(self.user_sponsor).action_place(self.right.id, "left")
        with self.assertRaises(ValidationError):
            self.waiting.with_user(self.user_sponsor).action_place(self.root.id, "left")
        self._make("Taken", self.root)  # waits too
        self.assertEqual(self.waiting.placement_state, "holding")
        with self.assertRaises(AccessError):
            self.Distributor.with_user(self.user_sponsor).cron_place_holding_tank()

    def test_cron_places_after_the_deadline_with_the_preference(self):
        self.left.placement_preference = "right"
        later = self._make("Later", self.left)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE mlm_distributor SET placement_deadline = now() - interval '1 hour' WHERE id = %s", [self.waiting.id]
        )
        self.Distributor.invalidate_model()
        self.assertEqual(self.Distributor.cron_place_holding_tank(), 1)
        self.assertEqual(self._spot(self.waiting), (self.left, "right"))
        self.assertEqual(later.placement_state, "holding")
        log = self.env["mlm.move.log"].search([("distributor_id", "=", self.waiting.id)])
        self.assertEqual(log.option, "auto_place")
        self.assertEqual(self.waiting.join_date, fields.Date.context_today(self.waiting))

    def test_recruits_of_a_waiting_recruit_wait_for_their_sponsor(self):
        grandchild = self._make("Grandchild", self.waiting)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE mlm_distributor SET placement_deadline = now() - interval '1 hour' WHERE id = ANY(%s)",
            [[self.waiting.id, grandchild.id]],
        )
        self.Distributor.invalidate_model()
        self.assertEqual(self.Distributor.cron_place_holding_tank(), 2)
        self.assertEqual(grandchild.placement_parent_id, self.waiting)

    def test_open_positions(self):
        self.assertEqual(self.left._placement_open_positions(limit=3), [(self.left, 1), (self.left, 2)])
        self.assertEqual(
            self.root._placement_open_positions(limit=3), [(self.left, 1), (self.left, 2), (self.right, 1)]
        )
        self.assertEqual(self.waiting._placement_open_positions(), [])

    def test_move_with_downline(self):
        self.waiting.with_user(self.user_sponsor).action_place(self.left.id, "left")
        manager = self.env.user
        self.assertTrue(manager.has_group("mlm_network.group_mlm_manager"))
        with self.assertRaisesRegex(UserError, "cycle"):
            self.left._move_in_placement(self.waiting, "left", "test")
        log = self.waiting._move_in_placement(self.left, "right", "Balance the legs")
        self.assertEqual(self._spot(self.waiting), (self.left, "right"))
        self.assertEqual(
            (log.option, log.old_placement_parent_id, log.new_placement_slot), ("placement_move", self.left, 2)
        )
        self.assertPlacementInvariants()


@tagged("post_install", "-at_install")
class TestConcurrentSignUps(BaseCase):
    """Two sign-ups under the same sponsor in two real transactions at once: the second waits for the first, fails
    with a serialization error, and Odoo's retry places it on the next free position. Committed data, cleaned."""

    def test_two_sign_ups_never_take_the_same_position(self):
        registry = Registry(get_db_name())
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            company = env.company
            saved = (company.mlm_placement_type, company.mlm_holding_days, company.mlm_placement_preference)
            company.write(
                {"mlm_placement_type": "binary", "mlm_holding_days": 0, "mlm_placement_preference": "spillover"}
            )
            partners = env["res.partner"].create([{"name": f"Race {n}"} for n in ("top", "a", "b")])
            top = env["mlm.distributor"].enroll(partners[0], False)
            ids = {"top": top.id, "partners": partners.ids, "company": company.id}
        created = []
        attempts = []
        try:
            with registry.cursor() as cr1:
                env1 = api.Environment(cr1, SUPERUSER_ID, {"tracking_disable": True})
                env1["mlm.distributor"].browse(ids["top"]).placement_child_count  # noqa: B018 (snapshot taken)
                ready = threading.Event()

                def second():
                    with registry.cursor() as cr2:
                        env2 = api.Environment(cr2, SUPERUSER_ID, {"tracking_disable": True})
                        env2.cr.execute("SELECT 1")  # its snapshot: before the first commits
                        ready.set()

                        def enrol():
                            attempts.append(1)
                            dist = env2["mlm.distributor"].enroll(
                                env2["res.partner"].browse(ids["partners"][2]),
                                env2["mlm.distributor"].browse(ids["top"]),
                            )
                            return dist.id, dist.placement_slot

                        created.append(retrying(enrol, env2))

                thread = threading.Thread(target=second)
                first = env1["mlm.distributor"].enroll(
                    env1["res.partner"].browse(ids["partners"][1]), env1["mlm.distributor"].browse(ids["top"])
                )
                created.append((first.id, first.placement_slot))
                with mute_logger("odoo.service.model"):
                    thread.start()
                    ready.wait(10)
                    time.sleep(0.5)  # the second is now blocked on the sponsor's row
                    cr1.commit()
                    thread.join(30)
            self.assertEqual(sorted(slot for _id, slot in created), [1, 2])
            self.assertEqual(len(attempts), 2, "the second sign-up was retried once")
        finally:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                dist_ids = [i for i, _slot in created] + [ids["top"]]
                cr.execute("DELETE FROM mlm_move_log WHERE distributor_id = ANY(%s)", [dist_ids])
                cr.execute("UPDATE mlm_distributor SET placement_parent_id = NULL WHERE id = ANY(%s)", [dist_ids])
                cr.execute("DELETE FROM mlm_distributor WHERE id = ANY(%s)", [dist_ids])
                env["res.partner"].browse(ids["partners"]).unlink()
                env["res.company"].browse(ids["company"]).write(
                    dict(
                        zip(("mlm_placement_type", "mlm_holding_days", "mlm_placement_preference"), saved, strict=True)
                    )
                )


@tagged("post_install", "-at_install")
class TestPlacementBuild(PlacementCommon):
    """A network enrolled without a placement tree gets one by the job (``action_mlm_build_placement_tree``)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the root is placed already (enrolled under binary); the rest joins while the company has no tree
        cls.company.mlm_placement_type = "none"
        cls.a = cls._make("BA", cls.root)
        cls.b = cls._make("BB", cls.root)
        cls.c = cls._make("BC", cls.root)
        cls.d = cls._make("BD", cls.a)
        cls.e = cls._make("BE", cls.a)
        cls.f = cls._make("BF", cls.d)
        cls.loner = cls._make("Loner")  # no sponsor: a root of the placement tree
        cls.network = cls.a | cls.b | cls.c | cls.d | cls.e | cls.f | cls.loner
        Users = cls.env["res.users"].with_context(no_reset_password=True)
        cls.user_portal = Users.create(
            {
                "login": "build_portal",
                "partner_id": cls.a.partner_id.id,
                "groups_id": [Command.set(cls.env.ref("base.group_portal").ids)],
            }
        )

    def _build(self, **company_vals):
        self.company.write(dict({"mlm_placement_type": "binary"}, **company_vals))
        self.assertFalse(any(self.network.mapped("placement_state")))
        self.company.action_mlm_build_placement_tree()
        self.network.invalidate_recordset()

    def _logs(self):
        return self.env["mlm.move.log"].search([("distributor_id", "in", self.network.ids), ("tree", "=", "placement")])

    def test_binary_spillover_sponsors_first_and_idempotent(self):
        self._build(mlm_placement_preference="spillover")
        # root: a left, b right; c spills to a's left; d (a's) takes a's right; e (a's) spills to c's left;
        # f (d's) goes left of d
        expected = {
            self.a: (self.root, "left"),
            self.b: (self.root, "right"),
            self.c: (self.a, "left"),
            self.d: (self.a, "right"),
            self.e: (self.c, "left"),
            self.f: (self.d, "left"),
        }
        self.assertEqual({x: self._spot(x) for x in expected}, expected)
        self.assertEqual(self.f.placement_path, f"{self.root.id}/{self.a.id}/{self.d.id}/{self.f.id}/")
        self.assertEqual((self.loner.placement_state, self.loner.placement_path), ("placed", f"{self.loner.id}/"))
        self.assertEqual(self.root.placement_child_count, 2)
        self.assertPlacementInvariants()
        logs = self._logs()
        self.assertEqual(len(logs), 7)
        self.assertEqual(set(logs.mapped("option")), {"auto_place"})
        log_f = logs.filtered(lambda ln: ln.distributor_id == self.f)
        self.assertEqual((log_f.new_placement_parent_id, log_f.new_placement_slot), (self.d, 1))
        # the same tree built three distributors per job (each job enqueues the next)
        self.env.cr.execute("SAVEPOINT chunked")
        self.env["mlm.distributor"].flush_model()
        self.env.cr.execute(
            "UPDATE mlm_distributor SET placement_state = NULL, placement_parent_id = NULL, placement_slot = NULL,"
            " placement_path = NULL, placement_child_count = 0 WHERE id = ANY(%s)",
            [self.network.ids],
        )
        self.env.cr.execute("UPDATE mlm_distributor SET placement_child_count = 0 WHERE id = %s", [self.root.id])
        self.env.invalidate_all()
        self.assertEqual(self.env["mlm.distributor"]._placement_build_tree(self.company.id, limit=3)["placed"], 3)
        self.assertEqual({x: self._spot(x) for x in expected}, expected)
        self.assertPlacementInvariants()
        self.env.cr.execute("ROLLBACK TO SAVEPOINT chunked")
        self.env.invalidate_all()
        # a second run places nobody and logs nothing
        result = self.env["mlm.distributor"]._placement_build_tree(self.company.id)
        self.assertEqual(result, {"placed": 0, "held": 0})
        self.assertEqual(len(self._logs()), 7)

    def test_binary_outside_edges_with_preferences(self):
        self.root.placement_preference = "left"
        self.a.placement_preference = "right"
        self._build(mlm_placement_preference="outer")
        # root (left): a, b, c down root's left edge; a (right): d, e down a's right edge; d (company: outer,
        # d sits on a's right): f down d's right edge
        expected = {
            self.a: (self.root, "left"),
            self.b: (self.a, "left"),
            self.c: (self.b, "left"),
            self.d: (self.a, "right"),
            self.e: (self.d, "right"),
            self.f: (self.e, "right"),
        }
        self.assertEqual({x: self._spot(x) for x in expected}, expected)
        self.assertPlacementInvariants()

    def test_matrix_full_to_its_depth_goes_to_the_holding_tank(self):
        self.company.write({"mlm_matrix_width": 2, "mlm_matrix_depth": 1})
        self._build(mlm_placement_type="matrix")
        # root's matrix is one level of two: a and b; c waits in the holding tank; a's matrix: d and e
        self.assertEqual([self.a.placement_parent_id, self.b.placement_parent_id], [self.root, self.root])
        self.assertEqual([self.a.placement_slot, self.b.placement_slot], [1, 2])
        self.assertEqual(self.c.placement_state, "holding")
        self.assertEqual([self.d.placement_parent_id, self.e.placement_parent_id], [self.a, self.a])
        self.assertEqual(self.f.placement_parent_id, self.d)
        self.assertPlacementInvariants()
        self.assertEqual(self.env["mlm.distributor"]._placement_build_tree(self.company.id), {"placed": 0, "held": 0})

    def test_only_managers_build(self):
        self.company.mlm_placement_type = "binary"
        with self.assertRaises(AccessError):
            self.company.with_user(self.user_portal).action_mlm_build_placement_tree()
        with self.assertRaises(AccessError):
            self.env["mlm.distributor"].with_user(self.user_portal)._placement_build_tree(self.company.id)
        self.assertFalse(any(self.network.mapped("placement_state")))
        self.company.mlm_placement_type = "none"
        with self.assertRaises(UserError):
            self.company.action_mlm_build_placement_tree()


@tagged("post_install", "-at_install")
class TestPlacementImport(PlacementCommon):
    def test_import_with_placement_columns(self):
        fields_ = ["code", "name", "sponsor_code", "placement_parent_code", "placement_position"]
        rows = [
            ["IMP4", "Four", "IMP1", "IMP3", "left"],  # placed under a row further down in the file
            ["IMP1", "One", self.root.code, self.root.code, "right"],
            ["IMP2", "Two", "IMP1", "IMP1", "left"],
            ["IMP3", "Three", "IMP1", "IMP1", "right"],
            ["IMP5", "Five", "IMP1", "", ""],  # no placement given: the sponsor's preference (spillover)
        ]
        result = self.Distributor.load(fields_, rows)
        self.assertFalse(result["messages"], result["messages"])
        dists = {d.code: d for d in self.Distributor.browse(result["ids"])}
        self.assertEqual(self._spot(dists["IMP1"]), (self.root, "right"))
        self.assertEqual(self._spot(dists["IMP2"]), (dists["IMP1"], "left"))
        self.assertEqual(self._spot(dists["IMP3"]), (dists["IMP1"], "right"))
        self.assertEqual(self._spot(dists["IMP4"]), (dists["IMP3"], "left"))
        self.assertEqual(self._spot(dists["IMP5"]), (dists["IMP2"], "left"))
        self.assertPlacementInvariants()

    def test_import_refuses_a_taken_position_and_imports_nothing(self):
        self._make("Taken", self.root)  # left of the root
        fields_ = ["code", "name", "sponsor_code", "placement_parent_code", "placement_position"]
        rows = [["IMPX", "X", self.root.code, self.root.code, "left"]]
        result = self.Distributor.load(fields_, rows)
        self.assertFalse(result["ids"])
        self.assertIn("already taken", result["messages"][0]["message"])
        self.assertFalse(self.Distributor.search([("code", "=", "IMPX")]))
