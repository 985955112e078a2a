"""Genealogy benchmark on a generated network (default 100k distributors).

    $ODOO_VENV/bin/python mlm_network/benchmarks/bench_network.py --config CONF --db DB [--size 100000]

The database must have mlm_network installed and no distributors yet (setup/bench_network.sh makes one). The
network is generated and committed; every other measurement runs in a savepoint that is rolled back. Each figure is
printed beside the naive per-record ORM way, measured in the same run on a sample and extrapolated.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "setup"))
from odoo_env import odoo_env


def timed(fn, repeat=1):
    runs = []
    result = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), result


def line(label, ours, naive, unit="s", note=""):
    ratio = naive / ours if ours else float("inf")
    print(f"  {label:<46} ours {ours:>10.4f} {unit}   naive {naive:>12.4f} {unit}   x{ratio:,.0f} {note}")


def rolled_back(env, fn):
    with env.cr.savepoint(flush=False) as sp:
        try:
            return fn()
        finally:
            sp.close(rollback=True)
            env.invalidate_all()


def naive_descendants(env, root, limit):
    """Per-record ORM walk: one search per visited distributor (what a loop over recruit records does)."""
    Distributor = env["mlm.distributor"]
    queue, seen = [root.id], 0
    while queue and seen < limit:
        node = queue.pop()
        children = Distributor.search([("sponsor_id", "=", node)])
        seen += 1
        queue.extend(children.ids)
    return seen


def bench_enrolment(env, size):
    Distributor = env["mlm.distributor"]
    generator = env["mlm.network.generator"]
    seconds, root = timed(lambda: generator.generate(size=size, seed=42))
    env.cr.commit()
    print(
        f"network: {size:,} distributors generated set-based in {seconds:.1f} s "
        f"({size / seconds:,.0f} distributors/s); max depth {max(Distributor.search([]).mapped('depth'))}"
    )
    sample = 200
    sponsors = Distributor.search([("status", "=", "active")], limit=sample)

    def orm_enrol():
        partners = env["res.partner"].create(
            [{"name": f"Bench {i}", "email": f"bench{i}@example.org"} for i in range(sample)]
        )
        for partner, sponsor in zip(partners, sponsors, strict=False):
            Distributor.enroll(partner, sponsor)
        env.flush_all()

    orm_seconds, _ = timed(lambda: rolled_back(env, orm_enrol))
    rows = [
        [f"B{i:07d}", f"Import {i}", f"imp{i}@example.org", f"B{(i - 1) // 3:07d}" if i else root.code, "2025-01-01"]
        for i in range(2000)
    ]
    rows.reverse()

    def do_import():
        result = Distributor.load(["code", "name", "email", "sponsor_code", "join_date"], rows)
        assert result["ids"], result["messages"][:3]
        env.flush_all()

    import_seconds, _ = timed(lambda: rolled_back(env, do_import))
    print("enrolment rate (distributors/s, higher is better):")
    print(f"  set-based generator                            {size / seconds:>12,.0f}")
    print(f"  import of 2,000 rows, reverse order (load)     {2000 / import_seconds:>12,.0f}")
    print(f"  one by one through enroll() (naive ORM path)   {sample / orm_seconds:>12,.0f}")
    return root


def bench_move(env, root):
    from odoo.models import BaseModel

    Distributor = env["mlm.distributor"]
    legs = root._get_leg_sizes()
    leg_id, leg_size = legs[0]
    node = Distributor.browse(leg_id)
    target = Distributor.browse(legs[1][0])
    moved = leg_size - 1
    print(f"move: {node.display_name} with {moved:,} descendants under {target.display_name}")
    ours, _log = timed(lambda: rolled_back(env, lambda: node._move_in_genealogy(target, "with_downline", "bench")))
    # Odoo's own way: BaseModel.write on the parent field runs _parent_store_update (our guard is bypassed here)
    orm_write, _ = timed(
        lambda: rolled_back(env, lambda: (BaseModel.write(node, {"sponsor_id": target.id}), env.flush_all()))
    )
    sample = Distributor.search(node._get_downline_domain(), limit=500)

    def per_record():
        for dist in sample:
            dist.write({"depth": dist.depth + 1})  # one ORM write per descendant, as a loop would do
            env.cr.execute(
                "UPDATE mlm_distributor SET parent_path = %s WHERE id = %s",
                (target.parent_path + dist.parent_path, dist.id),
            )
        env.flush_all()

    per_record_seconds, _ = timed(lambda: rolled_back(env, per_record))
    line("move with downline vs per-record loop", ours, per_record_seconds * moved / len(sample), note="(extrap.)")
    line("move with downline vs Odoo's ORM parent_store", ours, orm_write)


def bench_downline(env, root):
    Distributor = env["mlm.distributor"]
    total = root.downline_count
    ours, count = timed(lambda: root._downline_counts()[root.id], repeat=5)
    assert count == total
    orm_child_of, orm_count = timed(lambda: Distributor.search_count([("id", "child_of", root.id)]) - 1, repeat=3)
    assert orm_count == total
    sample = 2000
    naive_seconds, seen = timed(lambda: naive_descendants(env, root, sample))
    print(f"downline of the top leader: {total:,} distributors")
    line("count the downline vs per-record walk", ours, naive_seconds * total / seen, note="(extrap.)")
    line("count the downline vs ORM child_of count", ours, orm_child_of)

    def page():
        records = Distributor.search(root._get_downline_domain(), order="code", limit=80)
        return records.read(["code", "name", "depth", "rank_id", "status", "join_date"])

    ours_page, rows = timed(page, repeat=5)
    assert len(rows) == 80

    def naive_page():
        seen = naive_descendants(env, root, sample)
        return seen

    naive_page_seconds, seen = timed(naive_page)
    line(
        "list the first page of 80 vs per-record walk",
        ours_page,
        naive_page_seconds * total / seen,
        note="(extrap.; all must be visited to sort)",
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    with odoo_env(args.config, args.db, commit=False) as env:
        if env["mlm.distributor"].search_count([]):
            print("the database already has distributors: use a fresh one", file=sys.stderr)
            sys.exit(1)
        root = bench_enrolment(env, args.size)
        bench_move(env, root)
        bench_downline(env, root)


if __name__ == "__main__":
    main()
