"""Plain-Python placement decisions for binary and matrix trees: no ORM import, testable without a database.

A tree snapshot is a dict ``children`` mapping a node id to ``{slot: child id}`` (slots from 1; binary: 1 is
left, 2 is right). Decisions fill the snapshot as they go, so a batch of recruits never takes one position twice.
"""

from collections import deque

PLACEMENT_TYPES = [("none", "No placement tree"), ("binary", "Binary"), ("matrix", "Matrix")]
PLACEMENT_POSITIONS = [("left", "Left"), ("right", "Right")]
PLACEMENT_PREFERENCES = [
    ("left", "Left (outside of the left leg)"),
    ("right", "Right (outside of the right leg)"),
    ("weaker", "Weaker leg by volume"),
    ("outer", "Outer leg (the side the sponsor is on)"),
    ("alternate", "Alternate left and right"),
    ("spillover", "Spillover (first free position, breadth-first)"),
]
PLACEMENT_STATES = [("placed", "Placed"), ("holding", "In holding tank")]
SLOT_OF_POSITION = {"left": 1, "right": 2}
POSITION_OF_SLOT = {1: "left", 2: "right"}


def free_slot(children, node, width):
    """First free slot under ``node``, or None when its positions are all taken."""
    taken = children.get(node, {})
    for slot in range(1, width + 1):
        if slot not in taken:
            return slot
    return None


def outside_edge(children, node, slot):
    """Bottom of the outside edge that starts at ``node`` and always goes to ``slot``: ``(parent, slot)``."""
    while slot in children.get(node, {}):
        node = children[node][slot]
    return node, slot


def free_positions_breadth_first(children, root, width, max_levels=0):
    """Free positions under ``root``, breadth-first and left to right: ``(parent, slot)`` pairs, within
    ``max_levels`` levels below ``root`` (0: no limit)."""
    frontier = [root]
    level = 0
    while frontier and (not max_levels or level < max_levels):
        below = []
        for node in frontier:
            kids = children.get(node, {})
            for slot in range(1, width + 1):
                if slot in kids:
                    below.append(kids[slot])
                else:
                    yield node, slot
        frontier = below
        level += 1


def first_free_breadth_first(children, root, width, max_levels=0):
    """First free position breadth-first under ``root``, left to right: ``(parent, slot)``, or None when the
    ``max_levels`` levels below ``root`` are full (0: no limit)."""
    return next(free_positions_breadth_first(children, root, width, max_levels), None)


def subtree_size(children, node):
    """Members of the subtree of ``node`` (itself included)."""
    size, stack = 0, [node]
    while stack:
        current = stack.pop()
        size += 1
        stack.extend(children.get(current, {}).values())
    return size


def binary_side(preference, *, leg_volumes=None, leg_sizes=(0, 0), sponsor_slot=None, placed_recruits=0):
    """Side (1 left, 2 right) a sponsor's preference gives a binary recruit.

    ``weaker``: the leg with less volume (``leg_volumes`` by slot), then the leg with fewer members, then left.
    ``outer``: the side the sponsor is on under their own placement parent (left for a root).
    ``alternate``: left for the sponsor's 1st, 3rd, ... placed recruit, right for the 2nd, 4th, ...
    """
    if preference == "right":
        return 2
    if preference == "weaker":
        volumes = leg_volumes or {}
        key_left = (volumes.get(1, 0.0), leg_sizes[0])
        key_right = (volumes.get(2, 0.0), leg_sizes[1])
        return 2 if key_right < key_left else 1
    if preference == "outer":
        return sponsor_slot if sponsor_slot in (1, 2) else 1
    if preference == "alternate":
        return 1 if placed_recruits % 2 == 0 else 2
    return 1


def decide(children, sponsor, preference, tree_type, width, *, max_levels=0, **side_facts):
    """Position of one recruit of ``sponsor``: ``(parent, slot)`` or None when the sponsor's matrix is full.

    Binary: ``spillover`` fills breadth-first, every other preference goes to the bottom of the outside edge of
    the side it picks (``binary_side``). Matrix: always breadth-first (matrix fill) within ``max_levels``.
    The decision is written into ``children`` by the caller (``take``).
    """
    return Placer(children, tree_type, width, max_levels).decide(sponsor, preference, **side_facts)


class Placer:
    """The decisions of :func:`decide` for many recruits placed one after the other into one snapshot (the
    caller ``take``s each decision before the next), each in amortised constant time: the bottom of each outside
    edge and the breadth-first frontier of each sponsor are kept between decisions (positions are only ever
    filled, so neither moves back). Placing a whole network of n distributors costs O(n) plus, per sponsor, one
    walk over the full part of their downline, instead of a walk from the sponsor per recruit."""

    def __init__(self, children, tree_type, width, max_levels=0):
        self.children = children
        self.binary = tree_type == "binary"
        self.width = 2 if self.binary else width
        self.max_levels = 0 if self.binary else max_levels
        self._edges = {}  # (sponsor, side): a node on the sponsor's outside edge, the bottom when last seen
        self._frontiers = {}  # sponsor: deque of (node, level) of the breadth-first walk, the first not yet full

    def decide(self, sponsor, preference, **side_facts):
        if self.binary and preference != "spillover":
            side = binary_side(preference, **side_facts)
            parent, slot = outside_edge(self.children, self._edges.get((sponsor, side), sponsor), side)
            self._edges[(sponsor, side)] = parent
            return parent, slot
        return self._first_free(sponsor)

    def _first_free(self, sponsor):
        frontier = self._frontiers.setdefault(sponsor, deque([(sponsor, 0)]))
        while frontier:
            node, level = frontier[0]
            if self.max_levels and level >= self.max_levels:
                return None
            kids = self.children.get(node, {})
            slot = free_slot(self.children, node, self.width)
            if slot:
                return node, slot
            frontier.popleft()
            frontier.extend((kids[k], level + 1) for k in range(1, self.width + 1))
        return None


def take(children, parent, slot, node):
    """Record ``node`` at ``(parent, slot)`` in the snapshot; refuse a taken position."""
    kids = children.setdefault(parent, {})
    if slot in kids:
        raise ValueError(f"position {slot} under {parent} is taken")
    kids[slot] = node
