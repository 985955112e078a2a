"""Vectorised sponsor-tree helpers on numpy arrays (no loop per distributor).

A tree is an int64 array ``sponsor`` where ``sponsor[i]`` is the index of the
sponsor of ``i`` and -1 marks a root. Loops below run over depths or over
pointer-jumping rounds (log2 of the depth), never over distributors.
"""

import numpy as np


def _max_rounds(n):
    return max(int(n).bit_length(), 1) + 2


def depths(sponsor):
    """Depth of every node (0 for a root), by pointer jumping.

    Raises ``ValueError`` when the sponsor links contain a cycle.
    """
    n = len(sponsor)
    ptr = sponsor.copy()
    dist = (ptr >= 0).astype(np.int64)
    for _ in range(_max_rounds(n)):
        live = np.flatnonzero(ptr >= 0)
        if not len(live):
            return dist
        up = ptr[live]
        dist[live] += dist[up]  # gathers before it scatters: a simultaneous update
        ptr[live] = ptr[up]
    raise ValueError("the sponsor links contain a cycle")


class DepthLevels:
    """Nodes grouped by depth, to walk the tree level by level."""

    def __init__(self, sponsor):
        self.sponsor = sponsor
        self.depth = depths(sponsor)
        n = len(sponsor)
        self.max_depth = int(self.depth.max()) if n else -1
        self.order = np.argsort(self.depth, kind="stable")
        counts = np.bincount(self.depth, minlength=self.max_depth + 1) if n else np.zeros(0, np.int64)
        self.bounds = np.concatenate(([0], np.cumsum(counts)))

    def nodes_at(self, depth):
        return self.order[self.bounds[depth] : self.bounds[depth + 1]]

    def bottom_up(self, include_roots=False):
        """Node arrays from the deepest level up to depth 1 (or 0)."""
        stop = -1 if include_roots else 0
        for depth in range(self.max_depth, stop, -1):
            yield self.nodes_at(depth)

    def subtree_sum(self, values):
        """Sum of ``values`` over each node's subtree, the node included."""
        acc = np.array(values, copy=True)
        sponsor = self.sponsor
        for nodes in self.bottom_up():
            np.add.at(acc, sponsor[nodes], acc[nodes])
        return acc


def nearest_ancestor_where(sponsor, flag):
    """For each node, the nearest strict ancestor whose ``flag`` is True (-1 if none).

    Pointer jumping: a pointer resting on a node without the flag jumps to that
    node's own pointer, so every node skips whole runs of flagless ancestors in
    O(log depth) rounds.
    """
    n = len(sponsor)
    ptr = sponsor.copy()
    for _ in range(_max_rounds(n)):
        live = np.flatnonzero(ptr >= 0)
        live = live[~flag[ptr[live]]]
        if not len(live):
            return ptr
        ptr[live] = ptr[ptr[live]]
    raise ValueError("the sponsor links contain a cycle")
