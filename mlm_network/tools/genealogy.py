"""Plain-Python genealogy helpers: no ORM import, testable without a database.

A node's ``parent_path`` is Odoo's materialised path: the ids from the root down
to the node itself, each followed by ``/`` (``"1/7/42/"``).
"""

import random
import re
from collections import defaultdict


def path_ids(parent_path):
    """Ids on a materialised path, root first, the node itself last."""
    return [int(x) for x in (parent_path or "").split("/") if x]


def depth_of(parent_path):
    """Depth of a node: 0 for a root."""
    return max(len(path_ids(parent_path)) - 1, 0)


def prefix_upper_bound(prefix):
    """Smallest string greater than every path that starts with ``prefix``.

    Paths hold only digits and ``/``; in the C collation ``/`` sorts just before
    ``0``, so ``[prefix, prefix[:-1] + "0")`` is the range of the subtree and an
    index range scan answers it.
    """
    if not prefix.endswith("/"):
        raise ValueError("a parent_path prefix ends with '/'")
    return prefix[:-1] + "0"


def leg_of(parent_path, root_path):
    """Id of the first-level leg (direct recruit of the root) containing the node.

    None for the root itself or for a node outside the root's downline.
    """
    if not parent_path or not root_path or not parent_path.startswith(root_path):
        return None
    rest = parent_path[len(root_path) :]
    if not rest:
        return None
    return int(rest.split("/", 1)[0])


def topological_order(rows, key, parent_key):
    """Order rows so that each row comes after the row it names as parent.

    ``rows`` are dicts; ``key(row)`` is the row's own code (or None) and
    ``parent_key(row)`` the parent's code (or None). Parents that are not in
    ``rows`` are taken as already existing. Returns ``(generations, cycles)``:
    a list of lists of row indexes, generation by generation, and the indexes of
    rows caught in a cycle (they are never ordered).
    """
    index_by_code = {}
    for i, row in enumerate(rows):
        code = key(row)
        if code:
            index_by_code.setdefault(code, i)
    children = defaultdict(list)
    pending = set()
    current = []
    for i, row in enumerate(rows):
        parent = parent_key(row)
        parent_index = index_by_code.get(parent) if parent else None
        if parent_index is None or parent_index == i:
            if parent_index == i:
                pending.add(i)  # a row sponsoring itself: a cycle of one
                continue
            current.append(i)
        else:
            children[parent_index].append(i)
            pending.add(i)
    generations = []
    while current:
        generations.append(current)
        nxt = []
        for i in current:
            for c in children.get(i, ()):
                pending.discard(c)
                nxt.append(c)
        current = sorted(nxt)
    return generations, sorted(pending)


def generate_network_shape(n, seed=42, leader_bias=0.35, recent_window=100, recent_share=0.6):
    """Sponsor index for each of ``n`` distributors (``-1`` for the root).

    A mix of preferential attachment (a distributor with more recruits is
    likelier to recruit again: a few leaders grow large downlines) and of
    recruiting by recent joiners (which gives the long chains real networks
    have: depth 40+ at 100k). Most distributors end with 0-3 recruits.
    Sponsors always precede their recruits, so index order is join order.
    """
    rng = random.Random(seed)
    sponsors = [-1] * n
    tickets = [0]  # one ticket per node plus one per recruit: preferential attachment
    for i in range(1, n):
        r = rng.random()
        if r < recent_share:
            lo = max(0, i - recent_window)
            sponsor = rng.randrange(lo, i)
        elif r < recent_share + leader_bias:
            sponsor = tickets[rng.randrange(len(tickets))]
        else:
            sponsor = rng.randrange(0, i)
        sponsors[i] = sponsor
        tickets.append(i)
        tickets.append(sponsor)
    return sponsors


def build_paths(sponsor_index, ids):
    """Materialised paths and depths for nodes in join order (sponsors first)."""
    paths = [None] * len(ids)
    depths = [0] * len(ids)
    for i, s in enumerate(sponsor_index):
        if s < 0:
            paths[i] = f"{ids[i]}/"
        else:
            paths[i] = f"{paths[s]}{ids[i]}/"
            depths[i] = depths[s] + 1
    return paths, depths


def match_keys(email=None, phone=None, mobile=None, vat=None, identity=None):
    """Normalised keys that reveal the same person behind two distributors (indexed columns)."""

    def alnum(value):
        return re.sub(r"[^0-9A-Za-z]", "", value or "").upper() or None

    return {
        "match_email": (email or "").strip().lower() or None,
        "match_phone": re.sub(r"\D", "", mobile or phone or "")[-10:] or None,
        "match_vat": alnum(vat),
        "match_identity": alnum(identity),
    }
