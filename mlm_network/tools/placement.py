"""Plain-Python placement decisions for binary and matrix trees: no ORM import, testable without a database.

A tree snapshot is a dict ``children`` mapping a node id to ``{slot: child id}`` (slots from 1; binary: 1 is
left, 2 is right). Decisions fill the snapshot as they go, so a batch of recruits never takes one position twice.
"""

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
