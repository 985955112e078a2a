"""Randomised cross-check of the vectorised engine against a tiny literal implementation.

The reference below follows the plan's wording one ledger line and one
distributor at a time (recursion over the tree, walking up sponsor by sponsor
for every line, decimal rounding), with none of the engine's aggregation,
pointer jumping or level-by-level arrays.
"""

import random
import sys
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from odoo.tests.common import BaseCase

from odoo.addons.mlm_commission.engine import PeriodInputs, PlanSpec, RankRule, compute_period


def ref_round(value):
    """Half-up (away from zero) to the cent, exact in decimal."""
    return int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def dec(value):
    return Decimal(repr(value))


def reference(inp, plan):  # noqa: C901 - one literal walk per rule, on purpose
    n = len(inp["sponsor"])
    sponsor = inp["sponsor"]
    children = defaultdict(list)
    for d, s in enumerate(sponsor):
        if s >= 0:
            children[s].append(d)
    pv, bv, cust = [0] * n, [0] * n, [0] * n
    for d, p, b, _day, is_customer in inp["lines"]:
        pv[d] += p
        bv[d] += b
        if is_customer:
            cust[d] += b
    active = [inp["status"][d] and pv[d] >= plan.min_pv for d in range(n)]

    gv, rank, best = [0] * n, [0] * n, [0] * n  # best: highest paid rank in d's subtree, d included

    def visit(d):
        for c in children[d]:
            visit(c)
        gv[d] = pv[d] + sum(gv[c] for c in children[d])
        paid = 0
        for r, rule in enumerate(plan.ranks):
            if r == 0:
                continue
            capped = pv[d]
            for c in children[d]:
                capped += min(gv[c], rule.max_leg_share * rule.min_gv) if rule.max_leg_share < 1 else gv[c]
            legs = sum(1 for c in children[d] if best[c] >= rule.leg_rank)
            if pv[d] >= rule.min_pv and capped >= rule.min_gv and legs >= rule.min_legs:
                paid = r
        rank[d] = paid
        best[d] = max([paid] + [best[c] for c in children[d]])

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * n + 100))
    for root in (d for d in range(n) if sponsor[d] < 0):
        visit(root)

    coef = inp["coef"]
    rows = {}  # (beneficiary, type, source, level, compressed level, rank) -> [rate, base]

    def add(key, rate, base):
        rows.setdefault(key, [rate, 0])[1] += base

    # unilevel and fast start: one walk per ledger line
    for d, _p, b, day, _c in inp["lines"]:
        anc, k, dist = sponsor[d], 0, 1
        while anc >= 0 and k < len(plan.level_rates):
            if plan.compression and not active[anc]:
                anc, dist = sponsor[anc], dist + 1
                continue
            k += 1
            if active[anc] and plan.ranks[rank[anc]].paid_levels >= k:
                add((anc, 1, d, dist, k, rank[anc]), plan.level_rates[k - 1], b)
            anc, dist = sponsor[anc], dist + 1
        join = inp["join"][d]
        s = sponsor[d]
        if plan.fast_start_rate and s >= 0 and active[s] and join <= day < join + plan.fast_start_days:
            add((s, 2, d, 1, 1, rank[s]), plan.fast_start_rate, b)
    for d in range(n):
        for r, rule in enumerate(plan.ranks):
            # a status that is not active earns no advancement (issue 13)
            if rule.advancement_bonus_cents and inp["status"][d] and inp["highest"][d] < r <= rank[d]:
                add((d, 3, -1, 0, 0, r), 1.0, rule.advancement_bonus_cents)

    def amounts(keys):
        out = {}
        for key in keys:
            rate, base = rows[key]
            out[key] = (rate, base, ref_round(Decimal(base) * dec(rate) * dec(coef[key[0]])))
        return out

    result = amounts(list(rows))
    earned = [0] * n
    for key, (_rate, _base, amount) in result.items():
        if key[1] == 1:
            earned[key[0]] += amount
    # matching: walk up g sponsors from every active earner
    matching = {}
    for s in range(n):
        if not active[s] or not earned[s]:
            continue
        anc = s
        for g in range(1, len(plan.matching_rates) + 1):
            anc = sponsor[anc]
            if anc < 0:
                break
            if active[anc] and plan.ranks[rank[anc]].matching_generations >= g:
                rate = plan.matching_rates[g - 1]
                amount = ref_round(Decimal(earned[s]) * dec(rate) * dec(coef[anc]))
                matching[(anc, 4, s, g, g, rank[anc])] = (rate, earned[s], amount)
    result.update(matching)
    # pool: by GV among the paid ranks >= the pool rank (float shares, as a share cannot be exact)
    company = sum(bv)
    if plan.pool_rate and plan.pool_min_rank is not None and company > 0:
        members = [d for d in range(n) if rank[d] >= plan.pool_min_rank and inp["status"][d]]
        total = sum(max(gv[d], 0) for d in members)
        for d in members:
            if total > 0:
                share = plan.pool_rate * max(gv[d], 0) / total
                amount = ref_round(dec(round(company * share * coef[d], 6)))
                result[(d, 5, -1, 0, 0, rank[d])] = (share, company, amount)
    result = {k: v for k, v in result.items() if v[2] != 0}
    totals = [0] * n
    for key, (_r, _b, amount) in result.items():
        totals[key[0]] += amount

    def subtree(values, d):
        return values[d] + sum(subtree(values, c) for c in children[d])

    payable, carry, held = [0] * n, [0] * n, [0] * n
    for d in range(n):
        due = totals[d] + inp["carried"][d]
        reason = 0
        if (
            due
            and plan.compliance_share is not None
            and (subtree(bv, d) <= 0 or subtree(cust, d) < plan.compliance_share * subtree(bv, d))
        ):
            reason = 2
        elif due and due < plan.threshold_cents:
            reason = 1
        held[d] = reason
        carry[d], payable[d] = (due, 0) if reason else (0, due)
    leg_rank = [plan.ranks[rank[d]].leg_rank for d in range(n)]
    return {
        "pv": pv,
        "gv": gv,
        "active": active,
        "rank": rank,
        "rows": result,
        "totals": totals,
        "payable": payable,
        "carry": carry,
        "held": held,
        "legs": [sum(1 for c in children[d] if best[c] >= leg_rank[d]) for d in range(n)],
        "highest": [max(inp["highest"][d], rank[d]) if inp["status"][d] else inp["highest"][d] for d in range(n)],
        "group_bv": [subtree(bv, d) for d in range(n)],
    }


def random_case(rng):
    n = rng.randint(1, 40)
    chain = rng.random()  # the share of distributors recruited by the one who joined just before: deep trees
    parent = [-1] + [
        -1 if rng.random() < 0.05 else (i - 1 if rng.random() < chain else rng.randrange(0, i)) for i in range(1, n)
    ]
    perm = list(range(n))
    rng.shuffle(perm)  # store the distributors in an order unrelated to the tree
    sponsor = [0] * n
    for old, new in enumerate(perm):
        sponsor[new] = perm[parent[old]] if parent[old] >= 0 else -1
    lines = []
    for _ in range(rng.randint(0, 4 * n)):
        d = rng.randrange(n)
        p = rng.choice([-60, -20, 20, 50, 80, 100, 150, 300])
        lines.append((d, p, p * 100 + rng.randint(-99, 99), rng.randint(0, 39), rng.random() < 0.4))
    k = rng.randint(1, 4)
    ranks = [
        RankRule(
            paid_levels=rng.randint(0, 3),
            matching_generations=rng.randint(0, 2),
            advancement_bonus_cents=rng.choice([0, 1_000]),
        )
    ]
    for _r in range(1, k):
        ranks.append(
            RankRule(
                min_pv=rng.choice([0, 50, 100]),
                min_gv=rng.choice([0, 100, 300, 800]),
                max_leg_share=rng.choice([0.3, 0.5, 1.0]),
                min_legs=rng.randint(0, 3),
                leg_rank=rng.randint(-1, k - 1),
                paid_levels=rng.randint(0, 5),
                matching_generations=rng.randint(0, 3),
                advancement_bonus_cents=rng.choice([0, 1_000, 2_550]),
            )
        )
    plan = PlanSpec(
        min_pv=rng.choice([0, 50, 100]),
        compression=rng.random() < 0.5,
        level_rates=tuple(rng.choice([0.1, 0.05, 0.04, 0.03, 0.15, 0.07]) for _ in range(rng.randint(0, 5))),
        ranks=tuple(ranks),
        fast_start_rate=rng.choice([0.0, 0.2, 0.15]),
        fast_start_days=rng.choice([0, 10, 30]),
        matching_rates=tuple(rng.choice([0.1, 0.05, 0.25]) for _ in range(rng.randint(0, 3))),
        pool_rate=rng.choice([0.0, 0.02, 0.05]),
        pool_min_rank=rng.choice([None, rng.randrange(k)]),
        threshold_cents=rng.choice([0, 1_000, 5_000]),
        compliance_share=rng.choice([None, 0.3, 0.5]),
    )
    inp = {
        "sponsor": sponsor,
        "status": [rng.random() < 0.85 for _ in range(n)],
        "coef": [rng.choice([1.0, 1.0, 1.25, 0.5, 1.1]) for _ in range(n)],
        "join": [rng.randint(0, 39) for _ in range(n)],
        "highest": [rng.randint(-1, k - 1) for _ in range(n)],
        "carried": [rng.choice([0, 0, 500, -300, 1_999]) for _ in range(n)],
        "lines": lines,
    }
    return inp, plan


def engine_rows(res):
    rows = res.rows
    out = {}
    for i in range(res.row_count):
        key = tuple(
            int(rows[f][i]) for f in ("beneficiary", "bonus_type", "source", "level", "compressed_level", "rank")
        )
        out[key] = (float(rows["rate"][i]), int(rows["base_cents"][i]), int(rows["amount_cents"][i]))
    return out


class TestEngineAgainstReference(BaseCase):
    def test_random_trees(self):
        rng = random.Random(20261122)
        for case in range(400):
            inp, plan = random_case(rng)
            res = compute_period(to_inputs(inp), plan)
            ref = reference(inp, plan)
            msg = f"random case {case}"
            self.assertEqual(res.pv.tolist(), ref["pv"], msg)
            self.assertEqual(res.gv.tolist(), ref["gv"], msg)
            self.assertEqual(res.active.tolist(), ref["active"], msg)
            self.assertEqual(res.paid_rank.tolist(), ref["rank"], msg)
            got = engine_rows(res)
            self.assertEqual(sorted(got), sorted(ref["rows"]), msg)
            for key, (rate, base, amount) in ref["rows"].items():
                self.assertEqual(got[key][1:], (base, amount), f"{msg} row {key}")
                self.assertAlmostEqual(got[key][0], rate, 12, f"{msg} row {key}")
            self.assertEqual(res.total_cents.tolist(), ref["totals"], msg)
            self.assertEqual(res.payable_cents.tolist(), ref["payable"], msg)
            self.assertEqual(res.carry_cents.tolist(), ref["carry"], msg)
            self.assertEqual(res.held_reason.tolist(), ref["held"], msg)
            self.assertEqual(res.legs_qualified.tolist(), ref["legs"], msg)
            self.assertEqual(res.new_highest_rank.tolist(), ref["highest"], msg)
            self.assertEqual(res.group_bv_cents.tolist(), ref["group_bv"], msg)
            # the paid rank is the highest rank whose detail says "qualifies"
            qualifies = [res.rank_detail(r)["qualifies"] for r in range(len(plan.ranks))]
            highest_qualified = [max(r for r in range(len(plan.ranks)) if qualifies[r][d]) for d in range(res.pv.size)]
            self.assertEqual(highest_qualified, ref["rank"], msg)


def subtree_inputs(inp, root):
    """The period restricted to ``root``'s subtree, ``root`` made a root: what a projection reads."""
    children = defaultdict(list)
    for d, s in enumerate(inp["sponsor"]):
        if s >= 0:
            children[s].append(d)
    members, todo = [], [root]
    while todo:
        d = todo.pop()
        members.append(d)
        todo.extend(children[d])
    new = {d: i for i, d in enumerate(members)}
    sub = {key: [inp[key][d] for d in members] for key in ("status", "coef", "join", "highest", "carried")}
    sub["sponsor"] = [new.get(inp["sponsor"][d], -1) if d != root else -1 for d in members]
    sub["lines"] = [(new[x[0]], *x[1:]) for x in inp["lines"] if x[0] in new]
    return sub, members


def to_inputs(inp):
    lines = inp["lines"]
    return PeriodInputs(
        inp["sponsor"], inp["status"], inp["coef"], inp["join"], inp["highest"], inp["carried"],
        [x[0] for x in lines], [x[1] for x in lines], [x[2] for x in lines], [x[3] for x in lines],
        [x[4] for x in lines], standing_pv=inp.get("standing"),
    )  # fmt: skip


class TestEngineProjection(BaseCase):
    def test_subtree_gives_the_same_figures_except_pool(self):
        rng = random.Random(7)
        for case in range(150):
            inp, plan = random_case(rng)
            full = compute_period(to_inputs(inp), plan)
            root = rng.randrange(len(inp["sponsor"]))
            sub_inp, members = subtree_inputs(inp, root)
            sub = compute_period(to_inputs(sub_inp), plan)
            msg = f"projection case {case}"
            for i, d in enumerate(members):
                self.assertEqual(sub.paid_rank[i], full.paid_rank[d], msg)
                self.assertEqual(sub.gv[i], full.gv[d], msg)
                for bonus in (1, 2, 3, 4):
                    got = sub.rows["amount_cents"][(sub.rows["beneficiary"] == i) & (sub.rows["bonus_type"] == bonus)]
                    want = full.rows["amount_cents"][
                        (full.rows["beneficiary"] == d) & (full.rows["bonus_type"] == bonus)
                    ]
                    self.assertEqual(int(got.sum()), int(want.sum()), f"{msg} distributor {d} bonus {bonus}")
