from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.mlm_network.tools.genealogy import prefix_upper_bound


class MlmDistributor(models.Model):
    _inherit = "mlm.distributor"  # pylint: disable=consider-merging-classes-inherited

    def _placement_leg_volumes(self):
        """The current period's volumes of each placement leg: ``pv`` of the leg's first member, ``gv`` of the
        whole leg (its members' ledger lines dated in the period, the lines the commission run reads). ``carry``
        is left to the plans that carry volume over (binary)."""
        result = super()._placement_leg_volumes()
        placed = self.filtered(lambda d: d.placement_state == "placed")
        if not placed:
            return result
        self.flush_model(["placement_parent_id", "placement_slot", "placement_path"])
        self.env["mlm.volume.line"].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT id, placement_parent_id, placement_slot, placement_path, company_id FROM mlm_distributor"
                " WHERE placement_parent_id = ANY(%s)",
                placed.ids,
            )
        )
        legs = self.env.cr.fetchall()
        if not legs:
            return result
        Period = self.env["mlm.commission.period"].sudo()
        today = fields.Date.context_today(self)
        bounds = {}
        for company in self.env["res.company"].browse({leg[4] for leg in legs}):
            _period, date_from, date_to = Period._get_current_period(company, today)
            bounds[company.id] = (date_from, date_to)
        values = SQL(", ").join(
            SQL(
                "(%s, %s, %s, %s, %s::date, %s::date)",
                leg_id,
                path,
                prefix_upper_bound(path),
                company_id,
                *bounds[company_id],
            )
            for leg_id, _parent, _slot, path, company_id in legs
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT l.leg, COALESCE(sum(v.pv), 0), COALESCE(sum(v.pv) FILTER (WHERE v.distributor_id = l.leg), 0)
                  FROM (VALUES %s) AS l(leg, low, high, company, date_from, date_to)
                  JOIN mlm_distributor d ON d.placement_path COLLATE "C" >= l.low COLLATE "C"
                                        AND d.placement_path COLLATE "C" < l.high COLLATE "C"
                  JOIN mlm_volume_line v ON v.distributor_id = d.id AND v.company_id = l.company
                                        AND v.date >= l.date_from AND v.date <= l.date_to
                 GROUP BY l.leg
                """,
                values,
            )
        )
        volumes = {leg: (gv, pv) for leg, gv, pv in self.env.cr.fetchall()}
        for leg_id, parent_id, slot, _path, _company in legs:
            gv, pv = volumes.get(leg_id, (0.0, 0.0))
            result.setdefault(parent_id, {}).setdefault(slot, {"carry": None}).update({"pv": pv, "gv": gv})
        return result
