import itertools

from odoo import models

from odoo.addons.mlm_network.tools.placement import free_positions_breadth_first, outside_edge

SEARCH_LIMIT = 20


class MlmDistributor(models.Model):
    _inherit = "mlm.distributor"  # pylint: disable=consider-merging-classes-inherited

    def _portal_placement_levels(self, levels):
        """The placement tree under ``self`` (a placed distributor, sudo) for the portal, level by level:
        ``[[node or None, ...], ...]``, each level listing the positions under the previous one left to right
        (``width ** k`` entries at level ``k``). A node is a dict with its id, name, code, position and the
        volumes of its legs (``_placement_leg_volumes``); None under an existing node is an open position, None
        under None is nothing. One range scan bounded by depth, one read of the names, one volume query."""
        self.ensure_one()
        width = self._placement_width(self.company_id)
        children, _paths, _depths = self._placement_snapshot(levels=levels - 1)
        rows = [[self.id]]
        for _level in range(levels - 1):
            rows.append(
                [
                    children.get(node, {}).get(slot) if node else None
                    for node in rows[-1]
                    for slot in range(1, width + 1)
                ]
            )
        ids = [node for row in rows for node in row if node]
        records = self.browse(ids)
        volumes = records._placement_leg_volumes()
        info = {
            d.id: {
                "id": d.id,
                "name": d.name,
                "code": d.code,
                "slot": d.placement_slot,
                "legs": [
                    volumes.get(d.id, {}).get(slot) or {"pv": 0.0, "gv": 0.0, "carry": None}
                    for slot in range(1, width + 1)
                ],
            }
            for d in records
        }
        result = []
        for k, row in enumerate(rows):
            parents = rows[k - 1] if k else [None]
            result.append(
                [
                    {"node": info[node]} if node else {"open": bool(k and parents[i // width]), "slot": i % width + 1}
                    for i, node in enumerate(row)
                ]
            )
        return result

    def _portal_placement_next(self, limit=6):
        """Where a recruit of ``self`` can go: ``{"left": (parent, slot), "right": ..., "open": [(parent, slot)]}``
        (the outside edges of a binary tree, and the first free positions breadth-first)."""
        self.ensure_one()
        company = self.company_id
        width = self._placement_width(company)
        children, _paths, _depths = self._placement_snapshot()
        max_levels = company.mlm_matrix_depth if company.mlm_placement_type == "matrix" else 0
        found = list(itertools.islice(free_positions_breadth_first(children, self.id, width, max_levels), limit))
        result = {"open": [(self.browse(parent), slot) for parent, slot in found]}
        if company.mlm_placement_type == "binary":
            for side, slot in (("left", 1), ("right", 2)):
                parent, slot = outside_edge(children, self.id, slot)
                result[side] = (self.browse(parent), slot)
        return result

    def _portal_placement_search(self, term):
        """Placed members of the placement downline of ``self`` whose name or ID contains ``term``."""
        self.ensure_one()
        return self.search(
            [
                ("placement_path", "=like", f"{self.placement_path}%"),
                ("id", "!=", self.id),
                "|",
                ("name", "ilike", term),
                ("code", "ilike", term),
            ],
            limit=SEARCH_LIMIT,
            order="placement_depth, id",
        )
