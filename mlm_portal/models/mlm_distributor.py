from werkzeug import urls

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

REF_PRODUCT_LIMIT = 6  # featured products on a distributor's personal page

# Columns the portal's network list may be sorted by (URL value -> SQL), never user text in ORDER BY.
NETWORK_ORDERS = {
    "name": SQL("p.name"),
    "code": SQL("d.code"),
    "level": SQL("d.depth"),
    "rank": SQL("r.sequence"),
    "status": SQL("d.status"),
    "pv": SQL("COALESCE(s.pv, 0)"),
    "gv": SQL("COALESCE(s.gv, 0)"),
    "join_date": SQL("d.join_date"),
}
TREE_PAGE = 50


class MlmDistributor(models.Model):
    _inherit = ["mlm.distributor", "utm.mixin"]
    _name = "mlm.distributor"

    portal_share_contact = fields.Boolean(
        string="Show My Contact Details to My Upline",
        help="When set, the distributors above you see your e-mail, phone and city on your member card.",
    )
    ref_greeting = fields.Text(
        string="Personal Page Greeting",
        help="The distributor's own words on their personal page (/ref/<ID>), shown to the visitors they invite.",
    )
    ref_product_ids = fields.Many2many(
        "product.template",
        "mlm_distributor_ref_product_rel",
        "distributor_id",
        "product_tmpl_id",
        string="Featured Products",
        help="Up to six published products the distributor shows on their personal page.",
    )
    privacy_version = fields.Char(string="Privacy Policy Version", readonly=True)
    privacy_date = fields.Datetime(string="Privacy Policy Accepted On", readonly=True)
    announcement_ids = fields.One2many("mlm.portal.announcement", "author_id", string="Team Announcements")
    goal_ids = fields.One2many("mlm.portal.goal", "distributor_id", string="Personal Goals")

    @api.constrains("ref_product_ids")
    def _check_ref_product_ids(self):
        for distributor in self:
            if len(distributor.ref_product_ids) > REF_PRODUCT_LIMIT:
                raise ValidationError(
                    self.env._("A personal page features at most %(limit)s products.", limit=REF_PRODUCT_LIMIT)
                )

    def _ref_page_products(self):
        """The featured products a visitor may see: published, for sale, in the distributor's company or shared."""
        self.ensure_one()
        return self.ref_product_ids.sudo().filtered(
            lambda p: p.is_published and p.sale_ok and p.company_id in (self.company_id, self.env["res.company"])
        )[:REF_PRODUCT_LIMIT]

    def _ref_page_initials(self):
        """Up to two initials of the distributor's name, shown when they have no photo."""
        self.ensure_one()
        words = (self.partner_id.sudo().name or self.code or "").split()
        return "".join(word[0] for word in words[:2]).upper()

    # ------------------------------------------------------------------ public links (mails)
    def _mlm_public_url(self, path=""):
        """Absolute URL of ``path`` on the company's public site, for links in e-mails.

        The company's website with its domain when one is set (the address distributors know), else the
        database's ``web.base.url``: never the address a request happened to come from (127.0.0.1 behind a
        proxy, a worker's port)."""
        self.ensure_one()
        website = (
            self.env["website"].sudo().search([("company_id", "=", self.company_id.id)], order="sequence, id", limit=1)
        )
        base = (website.get_base_url() if website else self.get_base_url()).rstrip("/")
        return f"{base}/{path.lstrip('/')}" if path else base

    def _mlm_signup_url(self):
        """The set-password link of this distributor's new portal account, on the public site."""
        self.ensure_one()
        partner = self.partner_id.sudo()
        link = urls.url_parse(partner._get_signup_url())
        return self._mlm_public_url(link.replace(scheme="", netloc="").to_url())

    # ------------------------------------------------------------------ portal helpers
    # Every helper below runs on the distributor of the portal user (``self``, read with sudo by the controller
    # after the access check) and only ever reads that distributor's own subtree.
    def _portal_period(self):
        """(period or empty recordset, date_from, date_to) of the open commission period today."""
        self.ensure_one()
        Period = self.env["mlm.commission.period"].sudo()
        return Period._get_current_period(self.company_id, fields.Date.context_today(self))

    def _portal_network_where(self, filters, period):
        """The WHERE clause of the downline list: the strict downline of ``self`` plus the user's filters."""
        low, high = self._subtree_range()
        where = [
            SQL(
                'd.parent_path COLLATE "C" > %(low)s COLLATE "C" AND d.parent_path COLLATE "C" < %(high)s COLLATE "C"',
                low=low,
                high=high,
            )
        ]
        if filters.get("level"):
            where.append(SQL("d.depth = %s", self.depth + int(filters["level"])))
        if filters.get("rank_id"):
            where.append(SQL("d.rank_id = %s", int(filters["rank_id"])))
        if filters.get("status"):
            where.append(SQL("d.status = %s", filters["status"]))
        if filters.get("active"):
            where.append(SQL("s.is_active IS TRUE"))
        if filters.get("new"):
            where.append(SQL("d.join_date >= %s", self._portal_period()[1]))
        if filters.get("leg_id"):
            leg_low = f"{low}{int(filters['leg_id'])}/"
            where.append(
                SQL(
                    'd.parent_path COLLATE "C" >= %(low)s COLLATE "C"'
                    ' AND d.parent_path COLLATE "C" < %(high)s COLLATE "C"',
                    low=leg_low,
                    high=leg_low[:-1] + "0",
                )
            )
        if filters.get("search"):
            term = "%" + filters["search"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            # e-mail and phone only of the members who share their contact details with their upline
            where.append(
                SQL(
                    "(p.name ILIKE %(term)s OR d.code ILIKE %(term)s"
                    " OR (d.portal_share_contact AND (p.email ILIKE %(term)s OR p.phone ILIKE %(term)s)))",
                    term=term,
                )
            )
        return SQL(" AND ").join(where)

    def _portal_network_rows(self, filters, order="level", descending=False, offset=0, limit=20):
        """(total, rows) of the downline list: one count and one page query, both bounded by a range scan of the
        materialised path. Volumes are those of the open period's last computation (its statements)."""
        self.ensure_one()
        self.env["mlm.distributor"].flush_model()
        self.env["res.partner"].flush_model(["name", "email", "phone"])
        period, __, __ = self._portal_period()
        where = self._portal_network_where(filters, period)
        sort_key = order if order in NETWORK_ORDERS else "level"
        # join only what the filters and the sort need: on a 100k downline the page is sorted before the LIMIT
        needs = {
            "p": bool(filters.get("search")) or sort_key == "name",
            "s": bool(filters.get("active")) or sort_key in ("pv", "gv"),
            "r": sort_key == "rank",
        }
        joins = SQL(" ").join(
            join
            for key, join in (
                ("p", SQL("JOIN res_partner p ON p.id = d.partner_id")),
                ("r", SQL("LEFT JOIN mlm_rank r ON r.id = d.rank_id")),
                (
                    "s",
                    SQL(
                        "LEFT JOIN mlm_commission_statement s ON s.period_id = %s AND s.distributor_id = d.id",
                        period.id or 0,
                    ),
                ),
            )
            if needs[key]
        )
        cr = self.env.cr
        cr.execute(SQL("SELECT count(*) FROM mlm_distributor d %s WHERE %s", joins, where))
        total = cr.fetchone()[0]
        direction = SQL("DESC NULLS LAST") if descending else SQL("ASC NULLS FIRST")
        cr.execute(
            SQL(
                """
                WITH page AS (
                    SELECT d.id, row_number() OVER () AS position FROM (
                        SELECT d.id FROM mlm_distributor d %(joins)s WHERE %(where)s
                         ORDER BY %(sort)s %(direction)s, d.id LIMIT %(limit)s OFFSET %(offset)s
                    ) d
                )
                SELECT d.id, p.name, d.code, d.depth - %(depth)s, d.rank_id, d.status, COALESCE(s.pv, 0),
                       COALESCE(s.gv, 0), d.join_date, split_part(substr(d.parent_path, %(cut)s), '/', 1)::int,
                       COALESCE(s.is_active, FALSE)
                  FROM page
                  JOIN mlm_distributor d ON d.id = page.id
                  JOIN res_partner p ON p.id = d.partner_id
                  LEFT JOIN mlm_commission_statement s ON s.period_id = %(period)s AND s.distributor_id = d.id
                 ORDER BY page.position
                """,
                joins=joins,
                where=where,
                sort=NETWORK_ORDERS[sort_key],
                direction=direction,
                limit=limit,
                offset=offset,
                depth=self.depth,
                cut=len(self.parent_path) + 1,
                period=period.id or 0,
            )
        )
        fetched = cr.fetchall()
        ranks = self._portal_rank_names({row[4] for row in fetched if row[4]})
        rows = [
            {
                "id": row[0],
                "name": row[1],
                "code": row[2],
                "level": row[3],
                "rank": ranks.get(row[4], ""),
                "status": row[5],
                "pv": float(row[6]),
                "gv": float(row[7]),
                "join_date": row[8],
                "leg_id": row[9],
                "active": row[10],
            }
            for row in fetched
        ]
        return total, rows

    def _portal_rank_names(self, rank_ids):
        return {rank.id: rank.name for rank in self.env["mlm.rank"].sudo().browse(list(rank_ids))}

    def _portal_legs(self):
        """[(id, name, code)] of the first-level legs (direct recruits), for the leg filter and the tree colours."""
        self.ensure_one()
        self.env.cr.execute(
            SQL(
                """
                SELECT d.id, p.name, d.code FROM mlm_distributor d JOIN res_partner p ON p.id = d.partner_id
                 WHERE d.sponsor_id = %s ORDER BY d.id
                """,
                self.id,
            )
        )
        return self.env.cr.fetchall()

    def _portal_tree_nodes(self, parent_ids=None, node_ids=None, offset=0, limit=TREE_PAGE):
        """Tree nodes as dicts: the children of ``parent_ids`` (paged), or the given ``node_ids``; each with its
        own count of direct recruits, so the tree can offer to expand it without loading it."""
        self.ensure_one()
        self.env["mlm.distributor"].flush_model()
        period, __, __ = self._portal_period()
        if node_ids is not None:
            condition = SQL("d.id = ANY(%s)", list(node_ids))
        else:
            condition = SQL("d.sponsor_id = ANY(%s)", list(parent_ids))
        self.env.cr.execute(
            SQL(
                """
                SELECT d.id, d.sponsor_id, p.name, d.code, d.rank_id, d.status, COALESCE(s.pv, 0), COALESCE(s.gv, 0),
                       (SELECT count(*) FROM mlm_distributor c WHERE c.sponsor_id = d.id), d.depth - %(depth)s,
                       split_part(substr(d.parent_path, %(cut)s), '/', 1)
                  FROM mlm_distributor d
                  JOIN res_partner p ON p.id = d.partner_id
                  LEFT JOIN mlm_commission_statement s ON s.period_id = %(period)s AND s.distributor_id = d.id
                 WHERE %(condition)s
                 ORDER BY COALESCE(s.gv, 0) DESC, d.id
                 LIMIT %(limit)s OFFSET %(offset)s
                """,
                depth=self.depth,
                cut=len(self.parent_path) + 1,
                period=period.id or 0,
                condition=condition,
                limit=limit,
                offset=offset,
            )
        )
        fetched = self.env.cr.fetchall()
        ranks = self._portal_rank_names({row[4] for row in fetched if row[4]})
        return [
            {
                "id": row[0],
                "sponsor_id": row[1],
                "name": row[2],
                "code": row[3] or "",
                "rank": ranks.get(row[4], ""),
                "status": row[5],
                "pv": float(row[6]),
                "gv": float(row[7]),
                "children": row[8],
                "level": row[9],
                "leg_id": int(row[10]) if row[10] else row[0],
                "photo": f"/my/network/photo/{row[0]}",
            }
            for row in fetched
        ]

    def _portal_path_to(self, member):
        """Ids from ``self`` down to ``member`` (both included), read off the materialised path."""
        self.ensure_one()
        ids = [int(part) for part in member.parent_path.strip("/").split("/")]
        return ids[ids.index(self.id) :]

    def _portal_search_downline(self, term, limit=10):
        """Members of the downline matching ``term`` by name or code, or by e-mail or phone for those who share
        their contact details (for the tree's search box)."""
        _total, rows = self._portal_network_rows({"search": term}, order="level", limit=limit)
        return rows

    def _portal_counters(self):
        """The figures of the portal home cards."""
        self.ensure_one()
        period, date_from, date_to = self._portal_period()
        low, high = self._subtree_range()
        self.env["mlm.distributor"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT count(*), count(*) FILTER (WHERE join_date >= %(start)s AND join_date <= %(end)s)
                  FROM mlm_distributor
                 WHERE parent_path COLLATE "C" > %(low)s COLLATE "C" AND parent_path COLLATE "C" < %(high)s COLLATE "C"
                """,
                start=date_from,
                end=date_to,
                low=low,
                high=high,
            )
        )
        downline, recruits = self.env.cr.fetchone()
        projection = self.get_mlm_projection() or {}
        open_statements = (
            self.env["mlm.commission.statement"]
            .sudo()
            .search_count([("distributor_id", "=", self.id), ("state", "=", "closed"), ("payable", ">", 0)])
        )
        return {
            "period": period,
            "date_from": date_from,
            "date_to": date_to,
            "downline_count": downline,
            "new_recruits": recruits,
            "pv": projection.get("pv", 0.0),
            "gv": projection.get("gv", 0.0),
            "projected_total": projection.get("projected_total", 0.0),
            "open_statements": open_statements,
            "currency": self.company_id.currency_id,
        }

    def _portal_rank_progress(self, projection):
        """Every rule of the next rank with what is reached (percent may exceed 100) and what is still missing,
        as the engine's rank tests see it (see ``mlm.distributor._mlm_next_rank``)."""
        self.ensure_one()
        return (projection.get("next_rank") or {}).get("requirements", [])

    def _portal_preview_gap(self, projection):
        """The open period's preview statement of this distributor when its PV or GV differ from the live
        projection (orders counted since the preview ran), else an empty recordset."""
        self.ensure_one()
        period, __, __ = self._portal_period()
        if not period or not projection:
            return self.env["mlm.commission.statement"]
        statement = (
            self.env["mlm.commission.statement"]
            .sudo()
            .search(
                [("period_id", "=", period.id), ("distributor_id", "=", self.id), ("state", "=", "preview")], limit=1
            )
        )
        if statement and (
            abs(statement.pv - projection.get("pv", 0.0)) > 1e-6 or abs(statement.gv - projection.get("gv", 0.0)) > 1e-6
        ):
            return statement
        return self.env["mlm.commission.statement"]

    def _portal_balance(self):
        """(payable not yet paid, carried forward) of this distributor, from closed statements."""
        self.ensure_one()
        Statement = self.env["mlm.commission.statement"].sudo()
        unpaid = Statement.search([("distributor_id", "=", self.id), ("state", "=", "closed")])
        last = Statement.search(
            [("distributor_id", "=", self.id), ("state", "in", ("closed", "paid"))], order="date_from desc", limit=1
        )
        currency = self.company_id.currency_id
        return currency.round(sum(unpaid.mapped("payable"))), currency.round(last.carry_out)
