"""Plain-Python tests of the genealogy helpers: no database."""

from collections import Counter

import pytest

from odoo.addons.mlm_network.tools.genealogy import (
    build_paths,
    depth_of,
    generate_network_shape,
    leg_of,
    path_ids,
    prefix_upper_bound,
    topological_order,
)


def test_paths_and_depths():
    assert path_ids("1/7/42/") == [1, 7, 42]
    assert depth_of("1/") == 0
    assert depth_of("1/7/42/") == 2
    assert leg_of("1/7/42/", "1/") == 7
    assert leg_of("1/", "1/") is None
    assert leg_of("2/9/", "1/") is None


def test_prefix_upper_bound_bounds_the_subtree():
    low = "1/7/"
    high = prefix_upper_bound(low)
    inside = ["1/7/", "1/7/8/", "1/7/99999/3/"]
    outside = ["1/70/", "1/8/", "1/6/", "2/"]
    assert all(low <= p < high for p in inside)
    assert not any(low < p < high for p in outside)
    with pytest.raises(ValueError):
        prefix_upper_bound("1/7")


def test_topological_order_handles_forward_references_and_cycles():
    rows = [
        {"code": "C", "sponsor": "B"},  # its sponsor comes later in the file
        {"code": "B", "sponsor": "A"},
        {"code": "A", "sponsor": "EXISTING"},
        {"code": "X", "sponsor": "Y"},  # X and Y sponsor each other
        {"code": "Y", "sponsor": "X"},
        {"code": "Z", "sponsor": "Z"},  # sponsors itself
    ]
    generations, cycles = topological_order(rows, key=lambda r: r["code"], parent_key=lambda r: r["sponsor"])
    assert generations == [[2], [1], [0]]
    assert cycles == [3, 4, 5]


def test_generated_shape_is_believable():
    n = 20000
    sponsors = generate_network_shape(n, seed=7)
    assert sponsors[0] == -1
    assert all(0 <= s < i for i, s in enumerate(sponsors) if i)
    recruits = Counter(sponsors)
    share_small = sum(1 for i in range(n) if recruits.get(i, 0) <= 3) / n
    assert share_small > 0.9, "most distributors have 0-3 recruits"
    assert max(recruits[i] for i in range(n)) >= 10, "a few leaders recruit many"
    _paths, depths = build_paths(sponsors, list(range(1, n + 1)))
    assert max(depths) >= 25
    assert generate_network_shape(500, seed=7) == generate_network_shape(500, seed=7)


def test_build_paths():
    paths, depths = build_paths([-1, 0, 0, 1], [10, 11, 12, 13])
    assert paths == ["10/", "10/11/", "10/12/", "10/11/13/"]
    assert depths == [0, 1, 1, 2]
