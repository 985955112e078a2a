import base64
import io
import json
from urllib.parse import urlencode

from werkzeug.exceptions import NotFound

from odoo import Command, fields, http
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.http import request

from odoo.addons.portal.controllers.portal import CustomerPortal
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..models.mlm_distributor import REF_PRODUCT_LIMIT

PAGE_SIZE = 20
STATEMENT_PAGE_SIZE = 100
EXPORT_LIMIT = 200000
MAX_UPLOAD = 10 * 1024 * 1024
IDENTITY_MIMETYPES = ("image/jpeg", "image/png", "application/pdf")
STATUS_VALUES = ("prospect", "active", "inactive", "suspended", "terminated")


class MlmPortal(CustomerPortal):
    """The distributor's portal pages.

    Pages and JSON routes that only read are ``readonly=True``: with ``db_replica_host`` set, Odoo serves them from
    the streaming replica (and, should one ever write, retries it on the primary). Routes that write stay read/write:
    the POST forms, the PDF statement (rendering a report may store asset bundles as attachments) and ``/my``, which
    overrides portal's read/write route (a child route cannot change its parent's mode).
    """

    # ------------------------------------------------------------------ access
    def _mlm_me(self):
        """The portal user's own distributor (sudo), or 404 when the user is not a distributor."""
        distributor = request.env.user.partner_id.mlm_distributor_id
        if not distributor:
            raise NotFound()
        return distributor.sudo()

    def _mlm_member(self, distributor_id):
        """A member of the user's downline (or the user), read with sudo only after checking the genealogy path:
        the same condition as the portal record rule on distributors (``child_of`` the user's distributor)."""
        me = self._mlm_me()
        member_sudo = request.env["mlm.distributor"].sudo().browse(int(distributor_id)).exists()
        if (
            not member_sudo
            or member_sudo.company_id != me.company_id
            or not (member_sudo.parent_path or "").startswith(me.parent_path)
        ):
            raise NotFound()
        return member_sudo

    def _mlm_statement(self, statement_id):
        statement = request.env["mlm.commission.statement"].browse(int(statement_id))
        try:
            statement.check_access("read")
            statement_sudo = statement.sudo().exists()
        except (AccessError, MissingError) as error:
            raise NotFound() from error
        if not statement_sudo or statement_sudo.distributor_id != self._mlm_me():
            raise NotFound()
        return statement_sudo

    def _mlm_values(self, page_name, **values):
        result = self._prepare_portal_layout_values()
        me = self._mlm_me()
        company = me.company_id
        result.update(
            {
                "page_name": page_name,
                "me": me,
                "currency": company.currency_id,
                "mlm_brand_style": f"--mlm-primary: {company.primary_color or '#714B67'}; "
                f"--mlm-secondary: {company.secondary_color or '#017E84'};",
            }
        )
        result.update(values)
        return result

    # ------------------------------------------------------------------ home
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        distributor = request.env.user.partner_id.mlm_distributor_id
        if distributor and "mlm_statement_count" in counters:
            values["mlm_statement_count"] = request.env["mlm.commission.statement"].search_count(
                [("distributor_id", "=", distributor.id)]
            )
        return values

    @http.route(["/my", "/my/home"], type="http", auth="user", website=True)
    def home(self, **kw):
        distributor = request.env.user.partner_id.mlm_distributor_id
        if not distributor:
            return super().home(**kw)
        values = self._prepare_portal_layout_values()
        values.update(self._prepare_home_portal_values([]))
        values["mlm_cards"] = distributor.sudo()._portal_counters()
        values["me"] = distributor.sudo()
        return request.render("portal.portal_my_home", values)

    # ------------------------------------------------------------------ network list
    def _network_filters(self, kw):
        filters = {}
        for key in ("level", "rank_id", "leg_id"):
            if str(kw.get(key) or "").isdigit():
                filters[key] = int(kw[key])
        if kw.get("status") in STATUS_VALUES:
            filters["status"] = kw["status"]
        for key in ("active", "new"):
            if kw.get(key):
                filters[key] = True
        if kw.get("search"):
            filters["search"] = kw["search"][:100]
        return filters

    @http.route(["/my/network", "/my/network/page/<int:page>"], type="http", auth="user", website=True, readonly=True)
    def portal_my_network(self, page=1, order="level", desc=None, **kw):
        me = self._mlm_me()
        filters = self._network_filters(kw)
        total, rows = me._portal_network_rows(
            filters, order=order, descending=bool(desc), offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE
        )
        url_args = {
            k: v for k, v in kw.items() if k in ("search", "level", "rank_id", "leg_id", "status", "active", "new")
        }
        url_args.update({"order": order, "desc": desc or ""})
        pager = portal_pager(url="/my/network", url_args=url_args, total=total, page=page, step=PAGE_SIZE)
        period, date_from, date_to = me._portal_period()
        ranks = request.env["mlm.rank"].sudo().search([("company_id", "in", [False, me.company_id.id])])
        values = self._mlm_values(
            "mlm_network",
            rows=rows,
            total=total,
            pager=pager,
            filters=filters,
            order=order,
            desc=desc,
            url_args=url_args,
            ranks=ranks,
            legs=me._portal_legs(),
            period=period,
            date_from=date_from,
            date_to=date_to,
            statuses=dict(request.env["mlm.distributor"]._fields["status"]._description_selection(request.env)),
            computed_date=period.computed_date if period else False,
        )
        return request.render("mlm_portal.portal_my_network", values)

    @http.route("/my/network/export.xlsx", type="http", auth="user", website=True, readonly=True)
    def portal_my_network_export(self, order="level", desc=None, **kw):
        import xlsxwriter  # external dependency, loaded on use

        me = self._mlm_me()
        _total, rows = me._portal_network_rows(
            self._network_filters(kw), order=order, descending=bool(desc), limit=EXPORT_LIMIT
        )
        statuses = dict(request.env["mlm.distributor"]._fields["status"]._description_selection(request.env))
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True})
        sheet = workbook.add_worksheet(request.env._("My network"))
        bold = workbook.add_format({"bold": True})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        headers = [
            request.env._("Name"),
            request.env._("Distributor ID"),
            request.env._("Level"),
            request.env._("Rank"),
            request.env._("Status"),
            request.env._("PV"),
            request.env._("GV"),
            request.env._("Joined"),
        ]
        for col, title in enumerate(headers):
            sheet.write(0, col, title, bold)
        for line, row in enumerate(rows, start=1):
            sheet.write(line, 0, row["name"])
            sheet.write(line, 1, row["code"] or "")
            sheet.write_number(line, 2, row["level"])
            sheet.write(line, 3, row["rank"])
            sheet.write(line, 4, statuses.get(row["status"], row["status"]))
            sheet.write_number(line, 5, row["pv"])
            sheet.write_number(line, 6, row["gv"])
            if row["join_date"]:
                sheet.write_datetime(line, 7, fields.Datetime.to_datetime(row["join_date"]), day)
        sheet.set_column(0, 0, 30)
        sheet.set_column(1, 7, 12)
        workbook.close()
        return self._xlsx_response(buffer.getvalue(), request.env._("network-%(code)s.xlsx", code=me.code or me.id))

    def _xlsx_response(self, content, filename):
        return request.make_response(
            content,
            headers=[
                ("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                ("Content-Disposition", http.content_disposition(filename)),
            ],
        )

    # ------------------------------------------------------------------ genealogy tree
    @http.route("/my/network/tree", type="http", auth="user", website=True, readonly=True)
    def portal_my_network_tree(self, **kw):
        me = self._mlm_me()
        root = me._portal_tree_nodes(node_ids=[me.id])
        values = self._mlm_values("mlm_tree", root_json=json.dumps(root[0] if root else {}))
        return request.render("mlm_portal.portal_my_network_tree", values)

    @http.route("/my/network/tree/children", type="json", auth="user", website=True, readonly=True)
    def portal_tree_children(self, parent_id, offset=0):
        parent = self._mlm_member(parent_id)
        me = self._mlm_me()
        return {"nodes": me._portal_tree_nodes(parent_ids=[parent.id], offset=max(int(offset), 0))}

    @http.route("/my/network/tree/search", type="json", auth="user", website=True, readonly=True)
    def portal_tree_search(self, term):
        me = self._mlm_me()
        term = (term or "").strip()[:100]
        if len(term) < 2:
            return {"results": []}
        rows = me._portal_search_downline(term)
        return {"results": [{"id": r["id"], "name": r["name"], "code": r["code"], "level": r["level"]} for r in rows]}

    @http.route("/my/network/tree/path", type="json", auth="user", website=True, readonly=True)
    def portal_tree_path(self, member_id):
        member = self._mlm_member(member_id)
        me = self._mlm_me()
        ids = me._portal_path_to(member)
        nodes = {node["id"]: node for node in me._portal_tree_nodes(node_ids=ids, limit=len(ids))}
        return {"path": [nodes[i] for i in ids if i in nodes]}

    @http.route("/my/network/photo/<int:distributor_id>", type="http", auth="user", website=True, readonly=True)
    def portal_member_photo(self, distributor_id):
        member = self._mlm_member(distributor_id)
        stream = request.env["ir.binary"]._get_image_stream_from(
            member.partner_id, "avatar_128", placeholder="base/static/img/avatar_grey.png"
        )
        return stream.get_response(max_age=3600)

    # ------------------------------------------------------------------ member card
    @http.route("/my/network/member/<int:distributor_id>", type="http", auth="user", website=True, readonly=True)
    def portal_member_card(self, distributor_id, **kw):
        member = self._mlm_member(distributor_id)
        me = self._mlm_me()
        period, __, __ = me._portal_period()
        statement = (
            request.env["mlm.commission.statement"]
            .sudo()
            .search([("period_id", "=", period.id), ("distributor_id", "=", member.id)], limit=1)
        )
        values = self._mlm_values(
            "mlm_member",
            member=member,
            level=member.depth - me.depth,
            statement=statement,
            recruit_count=member.recruit_count,
            downline_count=member._downline_counts().get(member.id, 0),
            show_contact=member.portal_share_contact or member == me,
        )
        return request.render("mlm_portal.portal_member_card", values)

    # ------------------------------------------------------------------ volume and rank
    @http.route("/my/volume", type="http", auth="user", website=True, readonly=True)
    def portal_my_volume(self, **kw):
        me = self._mlm_me()
        projection = me.get_mlm_projection() or {}
        legs = projection.get("legs", [])
        leg_records = request.env["mlm.distributor"].sudo().browse([leg["distributor_id"] for leg in legs])
        names = {d.id: (d.name, d.code) for d in leg_records}
        values = self._mlm_values(
            "mlm_volume",
            projection=projection,
            legs=[
                dict(leg, name=names[leg["distributor_id"]][0], code=names[leg["distributor_id"]][1]) for leg in legs
            ],
            requirements=me._portal_rank_progress(projection) if projection else [],
            preview_gap=me._portal_preview_gap(projection),
        )
        return request.render("mlm_portal.portal_my_volume", values)

    # ------------------------------------------------------------------ commissions
    @http.route(
        ["/my/commissions", "/my/commissions/page/<int:page>"], type="http", auth="user", website=True, readonly=True
    )
    def portal_my_commissions(self, page=1, **kw):
        me = self._mlm_me()
        Statement = request.env["mlm.commission.statement"]
        domain = [("distributor_id", "=", me.id)]
        total = Statement.search_count(domain)
        pager = portal_pager(url="/my/commissions", total=total, page=page, step=PAGE_SIZE)
        statements = Statement.search(domain, order="date_from desc", limit=PAGE_SIZE, offset=pager["offset"])
        payouts = statements.sudo().search(
            [("distributor_id", "=", me.id), "|", ("payment_id", "!=", False), ("payout_move_id", "!=", False)],
            order="date_from desc",
            limit=24,
        )
        unpaid, carried = me._portal_balance()
        values = self._mlm_values(
            "mlm_commissions",
            statements=statements.sudo(),
            pager=pager,
            payouts=payouts,
            unpaid=unpaid,
            carried=carried,
            wallet=getattr(me, "mlm_wallet_balance", None),
        )
        return request.render("mlm_portal.portal_my_commissions", values)

    @http.route(
        ["/my/commissions/<int:statement_id>", "/my/commissions/<int:statement_id>/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
        readonly=True,
    )
    def portal_my_statement(self, statement_id, page=1, **kw):
        statement = self._mlm_statement(statement_id)
        labels = dict(request.env["mlm.plan"].sudo()._get_bonus_type_selection())
        Line = request.env["mlm.commission.line"].sudo()
        domain = [("period_id", "=", statement.period_id.id), ("beneficiary_id", "=", statement.distributor_id.id)]
        total = Line.search_count(domain)
        pager = portal_pager(url=f"/my/commissions/{statement.id}", total=total, page=page, step=STATEMENT_PAGE_SIZE)
        lines = Line.search(
            domain, order="bonus_type, level, amount desc, id", limit=STATEMENT_PAGE_SIZE, offset=pager["offset"]
        )
        by_level = Line._read_group(domain, ["bonus_type", "level"], ["amount:sum", "__count"])
        values = self._mlm_values(
            "mlm_statement",
            statement=statement,
            lines=lines,
            line_count=total,
            pager=pager,
            labels=labels,
            by_level=[
                {"bonus": labels.get(bonus, bonus), "level": level, "amount": amount, "count": count}
                for bonus, level, amount, count in by_level
            ],
            bonus_totals=statement._bonus_totals(),
        )
        return request.render("mlm_portal.portal_my_statement", values)

    @http.route("/my/commissions/<int:statement_id>/pdf", type="http", auth="user", website=True)
    def portal_my_statement_pdf(self, statement_id, download=None, **kw):
        statement = self._mlm_statement(statement_id)
        return self._show_report(
            statement, "pdf", "mlm_commission.action_report_commission_statement", download=bool(download)
        )

    @http.route("/my/commissions/<int:statement_id>/xlsx", type="http", auth="user", website=True, readonly=True)
    def portal_my_statement_xlsx(self, statement_id, **kw):
        statement = self._mlm_statement(statement_id)
        filename = request.env._("statement-%(period)s.xlsx", period=statement.period_id.name)
        return self._xlsx_response(statement._export_xlsx(), filename)

    # ------------------------------------------------------------------ referral
    @http.route("/my/notifications", type="http", auth="user", website=True, methods=["GET", "POST"])
    def portal_my_notifications(self, **post):
        """The distributor's notification switches, and the button that turns web push on for this device."""
        me = self._mlm_me()
        fields_ = ("mlm_notify_recruit", "mlm_notify_rank", "mlm_notify_statement", "mlm_notify_autoship")
        saved = False
        if request.httprequest.method == "POST":
            me.write({name: bool(post.get(name)) for name in fields_})
            saved = True
        devices = request.env["mail.push.device"].sudo().search_count([("partner_id", "=", me.partner_id.id)])
        values = self._prepare_portal_layout_values()
        values.update({"distributor": me, "page_name": "mlm_notifications", "saved": saved, "devices": devices})
        return request.render("mlm_portal.portal_my_notifications", values)

    @http.route("/my/referral", type="http", auth="user", website=True, readonly=True)
    def portal_my_referral(self, campaign_id=None, **kw):
        me = self._mlm_me()
        base = request.httprequest.host_url.rstrip("/")
        campaigns = request.env["utm.campaign"].sudo().search([("is_auto_campaign", "=", False)], limit=50)
        campaign = campaigns.filtered(lambda c: str(c.id) == str(campaign_id))[:1]
        suffix = f"?utm_source=referral&utm_medium=distributor&utm_campaign={campaign.name}" if campaign else ""
        join_url = f"{base}/join/{me.code}{suffix}"
        shop_url = f"{base}/ref/{me.code}{suffix}"
        groups = (
            request.env["mlm.distributor"]
            .sudo()
            ._read_group([("sponsor_id", "=", me.id)], ["campaign_id"], ["__count"], order="__count desc")
        )
        by_campaign = [(campaign.name or request.env._("Direct"), count) for campaign, count in groups]
        values = self._mlm_values(
            "mlm_referral",
            join_url=join_url,
            qr_url="/report/barcode/?"
            + urlencode({"barcode_type": "QR", "value": join_url, "width": 240, "height": 240}),
            shop_url=shop_url,
            campaigns=campaigns,
            campaign=campaign,
            by_campaign=by_campaign,
            ref_saved=bool(kw.get("saved")),
            ref_products=request.env["product.template"]
            .sudo()
            .search(
                [("is_published", "=", True), ("sale_ok", "=", True), ("company_id", "in", (False, me.company_id.id))],
                order="website_sequence, name",
                limit=200,
            ),
            ref_limit=REF_PRODUCT_LIMIT,
        )
        return request.render("mlm_portal.portal_my_referral", values)

    @http.route("/my/referral/page", type="http", auth="user", website=True, methods=["POST"])
    def portal_my_referral_page(self, greeting="", **post):
        """Save the greeting and the featured products of the distributor's personal page (/ref/<ID>)."""
        me = self._mlm_me()
        ids = [int(value) for value in request.httprequest.form.getlist("product_ids") if str(value).isdigit()]
        products = (
            request.env["product.template"]
            .sudo()
            .search(
                [
                    ("id", "in", ids),
                    ("is_published", "=", True),
                    ("sale_ok", "=", True),
                    ("company_id", "in", (False, me.company_id.id)),
                ],
                limit=REF_PRODUCT_LIMIT,
            )
        )
        me.write({"ref_greeting": (greeting or "").strip()[:1000], "ref_product_ids": [Command.set(products.ids)]})
        return request.redirect("/my/referral?saved=1")

    # ------------------------------------------------------------------ profile and identity
    @http.route("/my/profile", type="http", auth="user", website=True, methods=["GET", "POST"])
    def portal_my_profile(self, **post):
        me = self._mlm_me()
        message = error = None
        if request.httprequest.method == "POST":
            if post.get("form") == "privacy":
                me.write({"portal_share_contact": bool(post.get("portal_share_contact"))})
                message = request.env._("Your privacy settings are saved.")
            elif post.get("form") == "identity":
                error = self._save_identity_documents(me)
                if not error:
                    message = request.env._("Thank you: your documents were sent for verification.")
        values = self._mlm_values(
            "mlm_profile",
            message=message,
            error=error,
            kyc_state=me.kyc_state,
            kyc_states=dict(me._fields["kyc_state"]._description_selection(request.env)),
            document_count=len(me.kyc_document_ids),
        )
        return request.render("mlm_portal.portal_my_profile", values)

    def _save_identity_documents(self, me):
        files = request.httprequest.files.getlist("documents")
        files = [f for f in files if f and f.filename]
        if not files:
            return request.env._("Choose at least one file.")
        attachments = []
        for upload in files:
            data = upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                return request.env._("%(name)s is larger than 10 MB.", name=upload.filename)
            mimetype = request.env["ir.attachment"]._compute_mimetype({"raw": data})
            if mimetype not in IDENTITY_MIMETYPES:
                return request.env._("%(name)s is not a JPEG, PNG or PDF file.", name=upload.filename)
            attachments.append(
                {
                    "name": upload.filename[:128],
                    "datas": base64.b64encode(data),
                    "res_model": "mlm.distributor",
                    "res_id": me.id,
                    "mimetype": mimetype,
                }
            )
        created = request.env["ir.attachment"].sudo().create(attachments)
        me.write({"kyc_document_ids": [(4, a.id) for a in created]})
        if me.kyc_state in ("unverified", "rejected"):
            me.action_kyc_submit()
        me.message_post(
            body=request.env._("%(count)s identity document(s) uploaded on the portal.", count=len(created)),
            subtype_xmlid="mail.mt_note",
        )
        return None

    # ------------------------------------------------------------------ team news and goals
    @http.route("/my/team", type="http", auth="user", website=True, readonly=True)
    def portal_my_team(self, **kw):
        me = self._mlm_me()
        announcements = request.env["mlm.portal.announcement"].search([], limit=30)
        goals = request.env["mlm.portal.goal"].search([("distributor_id", "=", me.id)])
        values = self._mlm_values(
            "mlm_team",
            announcements=announcements.sudo(),
            goals=goals,
            can_post=bool(me.recruit_ids),
            ranks=request.env["mlm.rank"].sudo().search([("company_id", "in", [False, me.company_id.id])]),
            error=kw.get("error"),
            today=fields.Date.context_today(me),
        )
        return request.render("mlm_portal.portal_my_team", values)

    @http.route("/my/team/announce", type="http", auth="user", website=True, methods=["POST"])
    def portal_team_announce(self, title="", body="", **kw):
        me = self._mlm_me()
        if not me.recruit_ids:
            raise NotFound()
        if not title.strip() or not body.strip():
            return request.redirect("/my/team?error=announcement")
        announcement = (
            request.env["mlm.portal.announcement"]
            .sudo()
            .create({"name": title.strip()[:200], "body": body.strip()[:20000], "author_id": me.id})
        )
        announcement.action_publish()
        return request.redirect("/my/team")

    @http.route("/my/team/goal", type="http", auth="user", website=True, methods=["POST"])
    def portal_team_goal(self, goal_type="pv", target_value="0", target_rank_id=None, date_deadline=None, **kw):
        me = self._mlm_me()
        try:
            request.env["mlm.portal.goal"].create(
                {
                    "distributor_id": me.id,
                    "goal_type": goal_type if goal_type in ("pv", "recruits", "rank") else "pv",
                    "target_value": float(target_value or 0),
                    "target_rank_id": int(target_rank_id) if str(target_rank_id or "").isdigit() else False,
                    "date_deadline": fields.Date.to_date(date_deadline),
                }
            )
        except (ValueError, TypeError, ValidationError):
            return request.redirect("/my/team?error=goal")
        return request.redirect("/my/team")

    @http.route("/my/team/goal/<int:goal_id>/delete", type="http", auth="user", website=True, methods=["POST"])
    def portal_team_goal_delete(self, goal_id, **kw):
        goal = request.env["mlm.portal.goal"].browse(goal_id)
        try:
            goal.check_access("unlink")
            goal.unlink()
        except (AccessError, MissingError) as error:
            raise NotFound() from error
        return request.redirect("/my/team")

    # ------------------------------------------------------------------ placement tree and holding tank
    def _mlm_placed_me(self):
        """The user's distributor when their company has a placement tree and they are placed in it; else 404."""
        me = self._mlm_me()
        if me.company_id.mlm_placement_type == "none" or me.placement_state != "placed":
            raise NotFound()
        return me

    def _mlm_placement_member(self, distributor_id):
        """A member of the user's placement downline (or the user), read with sudo after checking the path."""
        me = self._mlm_placed_me()
        member_sudo = request.env["mlm.distributor"].sudo().browse(int(distributor_id)).exists()
        if (
            not member_sudo
            or member_sudo.company_id != me.company_id
            or member_sudo.placement_state != "placed"
            or not (member_sudo.placement_path or "").startswith(me.placement_path)
        ):
            raise NotFound()
        return member_sudo

    @http.route("/my/placement", type="http", auth="user", website=True, readonly=True)
    def portal_my_placement(self, root=None, search=None, **kw):
        me = self._mlm_placed_me()
        top = self._mlm_placement_member(root) if str(root or "").isdigit() else me
        binary = me.company_id.mlm_placement_type == "binary"
        term = (search or "").strip()[:100]
        values = self._mlm_values(
            "mlm_placement",
            top=top,
            binary=binary,
            width=me._placement_width(me.company_id),
            levels=top._portal_placement_levels(3 if binary else 2),
            up=top.placement_parent_id if top != me else False,
            next_positions=me._portal_placement_next(),
            search=term,
            found=me._portal_placement_search(term) if len(term) >= 2 else None,
            holding_count=request.env["mlm.distributor"]
            .sudo()
            .search_count([("sponsor_id", "=", me.id), ("placement_state", "=", "holding")]),
        )
        return request.render("mlm_portal.portal_my_placement", values)

    def _mlm_holding_values(self, me, **values):
        recruits = (
            request.env["mlm.distributor"]
            .sudo()
            .search([("sponsor_id", "=", me.id), ("placement_state", "=", "holding")], order="placement_deadline, id")
        )
        return self._mlm_values(
            "mlm_holding",
            recruits=recruits,
            binary=me.company_id.mlm_placement_type == "binary",
            next_positions=me._portal_placement_next() if me.placement_state == "placed" else {"open": []},
            sponsor_placed=me.placement_state == "placed",
            **values,
        )

    @http.route("/my/placement/holding", type="http", auth="user", website=True, readonly=True)
    def portal_my_holding_tank(self, placed=None, **kw):
        me = self._mlm_me()
        if me.company_id.mlm_placement_type == "none":
            raise NotFound()
        placed_sudo = request.env["mlm.distributor"]
        if str(placed or "").isdigit():
            placed_sudo = placed_sudo.sudo().browse(int(placed)).exists()
            if placed_sudo.sponsor_id != me:
                placed_sudo = request.env["mlm.distributor"]
        return request.render("mlm_portal.portal_my_holding_tank", self._mlm_holding_values(me, placed=placed_sudo))

    @http.route("/my/placement/place", type="http", auth="user", website=True, methods=["POST"])
    def portal_place_recruit(self, recruit_id=None, target="", **kw):
        """Place a recruit from the holding tank: ``target`` is ``left``/``right`` (the outside edge of that leg)
        or ``<parent id>:<position>`` (an open position). ``action_place`` checks the caller is the sponsor."""
        me = self._mlm_me()
        if not str(recruit_id or "").isdigit():
            raise NotFound()
        recruit = request.env["mlm.distributor"].browse(int(recruit_id))
        parent, position = False, target
        if ":" in target:
            parent_text, _sep, position = target.partition(":")
            if not parent_text.isdigit() or not position.isdigit():
                raise NotFound()
            parent, position = int(parent_text), int(position)
        elif target not in ("left", "right"):
            raise NotFound()
        try:
            recruit.action_place(parent, position)
        except AccessError as error:
            raise NotFound() from error
        except (UserError, ValidationError) as error:
            values = self._mlm_holding_values(me, placed=request.env["mlm.distributor"], error=str(error))
            return request.render("mlm_portal.portal_my_holding_tank", values)
        return request.redirect(f"/my/placement/holding?placed={recruit.id}")
