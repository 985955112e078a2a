"""The whole JSON-RPC surface of our add-ons, as a hostile portal distributor of another branch reaches it.

Every public method (no leading underscore) that our add-ons define on their models or add to Odoo's is called
over ``/web/dataset/call_kw`` by a portal distributor on records outside their downline: it must be refused,
unless it is in ``PORTAL_METHODS`` with the reason a portal user may call it. Every field of our add-ons that a
portal user may read is listed in ``PORTAL_FIELDS`` with the reason. A new public method or a new portal-readable
field without an entry fails here.
"""

import inspect
import pathlib

from odoo import models
from odoo.tests import HttpCase, JsonRpcException, tagged

from odoo.addons.mlm_portal.tests.common import PASSWORD, MlmPortalCommon

REPO = pathlib.Path(__file__).resolve().parent.parent
ADDONS = sorted(p.parent.name for p in REPO.glob("*/__manifest__.py"))

# "model.method": why a portal user may call it (each still checks the records: see the tests named)
PORTAL_METHODS = {
    "mlm.distributor.action_kyc_submit": "a distributor sends their own uploaded identity documents for verification;"
    " own record only, never over a decision (mlm_network test_rpc_security)",
    "mlm.distributor.get_mlm_projection": "a distributor's own volumes, legs and projected earnings (the /my/volume"
    " page); others' are for MLM staff (mlm_portal test_portal_security)",
    "mlm.distributor.action_place": "a sponsor places their own recruits waiting in the holding tank, only in their"
    " own placement downline (checked before sudo; mlm_network test_placement, mlm_portal test_portal_placement)",
    "mlm.portal.goal.create": "a distributor sets personal goals for themselves only (record rule and create check)",
    "mlm.portal.goal.write": "a distributor edits their own goals; the owner (distributor_id, company_id) is refused",
    "mlm.portal.goal.unlink": "a distributor deletes their own goals (record rule; /my/team delete button)",
    "res.users.signup": "Odoo's public sign-up; our override only activates the portal prospect behind a valid token",
}

# Arguments for the methods that need some (anything the method would accept from a caller).
METHOD_ARGS = {
    "create": lambda case: [[{"name": "x"}]],
    "write": lambda case: [{"name": "x"}],
    "load": lambda case: [["code", "name", "sponsor_code"], [["Z1", "Injected", case.root.code]]],
    "enroll": lambda case: [case.bob.partner_id.id, case.root.id],
    "signup": lambda case: [{"login": "intruder@example.com", "password": "x-intruder-1"}, "forged-token"],
    "reconcile": lambda case: [],
}

# "model.field": why a portal user may read it (on the records their record rules give them: their own)
PORTAL_FIELDS = {
    "mlm.distributor.code": "the distributor's own ID, on every page",
    "mlm.distributor.partner_id": "the contact behind the distributor (their own)",
    "mlm.distributor.company_id": "multi-company",
    "mlm.distributor.sponsor_id": "their sponsor's name on the profile",
    "mlm.distributor.sponsor_code": "their sponsor's ID",
    "mlm.distributor.recruit_ids": "their direct recruits (ids; records readable only through the pages)",
    "mlm.distributor.parent_path": "genealogy path (ids of the upline, no personal data)",
    "mlm.distributor.depth": "level in the genealogy",
    "mlm.distributor.recruit_count": "counts of the network card",
    "mlm.distributor.downline_count": "counts of the network card",
    "mlm.distributor.leg_count": "counts of the network card",
    "mlm.distributor.leg_summary": "legs of their own downline (names shown on the portal)",
    "mlm.distributor.leg_color": "tree colours",
    "mlm.distributor.join_date": "their own enrolment",
    "mlm.distributor.enrollment_source": "their own enrolment",
    "mlm.distributor.agreement_version": "the agreement they accepted",
    "mlm.distributor.agreement_date": "the agreement they accepted",
    "mlm.distributor.cooling_off_deadline": "their right to cancel",
    "mlm.distributor.starter_order_id": "their own starter order",
    "mlm.distributor.status": "their status",
    "mlm.distributor.status_date": "their status",
    "mlm.distributor.termination_date": "their status",
    "mlm.distributor.termination_reason": "their status",
    "mlm.distributor.rank_id": "their rank",
    "mlm.distributor.highest_rank_id": "their rank",
    "mlm.distributor.rank_history_ids": "their rank history (own rule)",
    "mlm.distributor.branch_id": "their branch",
    "mlm.distributor.tag_ids": "their groups and teams",
    "mlm.distributor.duplicate_state": "state of the enrolment check on their own record (no key, no other record)",
    "mlm.distributor.duplicate_of_ids": "ids only: the records are not readable by them",
    "mlm.distributor.duplicate_reason": "shown to the distributor whose enrolment was flagged",
    "mlm.distributor.anonymized_date": "their own erasure",
    "mlm.distributor.move_log_ids": "ids only: the logs are not readable by them",
    "mlm.distributor.portal_share_contact": "their own privacy choice (profile page)",
    "product.pricelist.item.product_id": "Odoo's own field (the shop's prices); mlm_onec_bridge only indexes it",
    "product.pricelist.item.product_tmpl_id": "Odoo's own field (the shop's prices); mlm_onec_bridge only indexes it",
    "mlm.distributor.mlm_notify_recruit": "their own notification switches (/my/notifications)",
    "mlm.distributor.mlm_notify_rank": "their own notification switches (/my/notifications)",
    "mlm.distributor.mlm_notify_statement": "their own notification switches (/my/notifications)",
    "mlm.distributor.mlm_notify_autoship": "their own notification switches (/my/notifications)",
    "mlm.distributor.ref_greeting": "their own personal page's greeting (/my/referral; public on /ref/<ID>)",
    "mlm.distributor.ref_product_ids": "their own personal page's featured products (published products only)",
    "mlm.distributor.privacy_version": "the privacy policy they accepted",
    "mlm.distributor.privacy_date": "the privacy policy they accepted",
    "mlm.distributor.announcement_ids": "their own team news",
    "mlm.distributor.goal_ids": "their own goals",
    "mlm.distributor.campaign_id": "UTM of their own sign-up",
    "mlm.distributor.source_id": "UTM of their own sign-up",
    "mlm.distributor.medium_id": "UTM of their own sign-up",
    "mlm.distributor.volume_line_ids": "their own volume ledger (own rule)",
    "mlm.distributor.statement_ids": "their own statements (own rule)",
    "mlm.distributor.mlm_telegram_chat_ids": "ids only: the chats are not readable by them",
    "mlm.distributor.mlm_call_count": "count of their own calls",
    "mlm.distributor.mlm_wallet_currency_id": "currency of their wallet (the balance itself is for staff)",
    **dict.fromkeys(
        [
            "mlm.distributor.placement_parent_id",
            "mlm.distributor.placement_parent_code",
            "mlm.distributor.placement_position",
            "mlm.distributor.placement_slot",
            "mlm.distributor.placement_path",
            "mlm.distributor.placement_depth",
            "mlm.distributor.placement_child_ids",
            "mlm.distributor.placement_child_count",
            "mlm.distributor.placement_state",
            "mlm.distributor.placement_deadline",
            "mlm.distributor.placement_date",
            "mlm.distributor.placement_preference",
        ],
        "their own place in the placement tree (ids of the upline, position, holding tank deadline; no personal"
        " data); changed only by action_place and placement moves, never by write",
    ),
}

# Fields our add-ons add to Odoo's models, readable where Odoo's own portal rules let the user read the record.
PORTAL_FIELDS.update(
    {
        **dict.fromkeys(
            [
                "product.category.onec_guid",
                "product.pricelist.onec_guid",
                "product.product.mlm_bv_effective",
                "product.product.mlm_bv_variant",
                "product.product.mlm_pv_effective",
                "product.product.mlm_pv_variant",
                "product.product.mlm_volume_override",
                "product.product.onec_variant_guid",
                "product.template.mlm_bv",
                "product.template.mlm_bv_currency_id",
                "product.template.mlm_pv",
                "product.template.onec_article",
                "product.template.onec_guid",
                "product.template.onec_properties",
                "product.template.onec_properties_text",
                "product.template.onec_qty_available",
                "product.template.onec_stock_ids",
            ],
            "catalogue data shown in the shop (volumes per product, 1C ids, stock), the same for every customer",
        ),
        **dict.fromkeys(
            [
                "res.company.mlm_agreement_version",
                "res.company.mlm_autoship_reminder_days",
                "res.company.mlm_autoship_retry_days",
                "res.company.mlm_auto_close",
                "res.company.mlm_auto_close_days",
                "res.company.mlm_commission_expense_account_id",
                "res.company.mlm_commission_held_account_id",
                "res.company.mlm_commission_journal_id",
                "res.company.mlm_commission_payable_account_id",
                "res.company.mlm_cooling_off_days",
                "res.company.mlm_distributor_pricelist_id",
                "res.company.mlm_duplicate_policy",
                "res.company.mlm_holding_days",
                "res.company.mlm_matrix_depth",
                "res.company.mlm_matrix_width",
                "res.company.mlm_placement_preference",
                "res.company.mlm_placement_type",
                "res.company.mlm_period_type",
                "res.company.mlm_plan_id",
                "res.company.mlm_privacy_version",
                "res.company.mlm_reenroll_days",
                "res.company.mlm_signup_rate_limit",
                "res.company.mlm_statement_email",
                "res.company.mlm_volume_trigger",
                "res.company.mlm_wallet_account_id",
            ],
            "settings of the user's own company (readable by every user): switches, numbers, ids; no personal data",
        ),
        **dict.fromkeys(
            [
                "res.partner.is_distributor",
                "res.partner.mlm_branch_id",
                "res.partner.mlm_call_count",
                "res.partner.mlm_code",
                "res.partner.mlm_distributor_id",
                "res.partner.mlm_distributor_ids",
                "res.partner.mlm_join_date",
                "res.partner.mlm_mobile_key",
                "res.partner.mlm_phone_key",
                "res.partner.mlm_rank_id",
                "res.partner.mlm_referrer_id",
                "res.partner.mlm_sponsor_id",
                "res.partner.mlm_status",
                "res.partner.onec_guid",
                "res.partner.onec_kpp",
            ],
            "the user's own contact (Odoo's portal rule: their commercial entity; downline contacts not readable)",
        ),
        **dict.fromkeys(
            ["res.users.mlm_pbx_login", "res.users.mlm_phone_extension", "res.users.mlm_telephony_provider_id"],
            "the user's own telephony settings (SELF_READABLE_FIELDS); portal users cannot write the extension",
        ),
        **dict.fromkeys(
            [
                "sale.order.mlm_autoship_cycle_id",
                "sale.order.mlm_autoship_id",
                "sale.order.mlm_referrer_id",
                "sale.order.mlm_refund_requested",
                "sale.order.onec_guid",
                "sale.order.onec_number",
                "sale.order.onec_paid_date",
                "sale.order.onec_sent_date",
                "sale.order.onec_session_id",
                "sale.order.onec_shipped_date",
                "sale.order.onec_state",
            ],
            "the user's own orders (Odoo's portal rule on sale.order): referral and 1C exchange state",
        ),
        **dict.fromkeys(
            [
                "account.move.line.mlm_bv",
                "account.move.line.mlm_pv",
                "account.move.mlm_bv_total",
                "account.move.mlm_pv_total",
                "account.move.mlm_volume_trigger",
                "sale.order.line.mlm_bv",
                "sale.order.line.mlm_pv",
                "sale.order.mlm_bv_total",
                "sale.order.mlm_pv_total",
                "sale.order.mlm_volume_trigger",
            ],
            "the user's own orders and invoices (Odoo's portal rules): their PV/BV per line and in total, and when the"
            " volume counts (the company's setting), shown on the portal order and invoice pages",
        ),
    }
)
# Fields that are never readable by a portal user, not even on their own record, nor on a sharing member's.
SENSITIVE = (
    "identity_number",
    "kyc_state",
    "kyc_photo",
    "kyc_document_ids",
    "kyc_note",
    "agreement_ip",
    "match_email",
    "match_phone",
    "match_vat",
    "match_identity",
    "mlm_coefficient",
    "mlm_wallet_balance",
    "mlm_wallet_line_ids",
    "bank_ids",
)


MAGIC_FIELDS = {*models.MAGIC_COLUMNS, "display_name"}


def _our_methods(model_class):
    """Public callables our add-ons define on ``model_class`` (not Odoo's own ones)."""
    names = set()
    for klass in model_class.__mro__:
        module = getattr(klass, "__module__", "") or ""
        parts = module.split(".")
        if len(parts) < 3 or parts[:2] != ["odoo", "addons"] or parts[2] not in ADDONS:
            continue
        for name, value in vars(klass).items():
            if name.startswith("_") or isinstance(value, property) or not inspect.isfunction(value):
                continue
            names.add(name)
    return names


@tagged("post_install", "-at_install")
class TestPortalSurface(HttpCase, MlmPortalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # bob's branch (bob -> frank) is the hostile distributor's; alice's branch is outside it
        cls.alice.portal_share_contact = True

    def _call(self, model, method, args, kwargs=None):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw", {"model": model, "method": method, "args": args, "kwargs": kwargs or {}}
        )

    def _surface(self):
        """{model name: method names} of every model our add-ons define or extend, with our public methods."""
        surface = {}
        for name in self.env.registry:
            methods = _our_methods(type(self.env[name]))
            if methods:
                surface[name] = methods
        return surface

    def _target_ids(self, model):
        """Ids of records of ``model`` outside the hostile user's downline (alice's branch), or none."""
        Model = self.env[model].sudo()
        if Model._abstract or Model._transient:
            return []
        if model == "mlm.distributor":
            return self.alice.ids
        if model in ("res.partner", "res.users"):
            return (self.alice.partner_id if model == "res.partner" else self.user_alice).ids
        for field in ("beneficiary_id", "distributor_id", "author_id"):
            if field in Model._fields:
                return Model.search([(field, "=", self.alice.id)], limit=1).ids
        return Model.search([], limit=1).ids

    def test_every_public_method_is_refused_or_allowed(self):
        self.maxDiff = None
        surface = self._surface()
        self.assertIn("action_kyc_submit", surface["mlm.distributor"])
        self.assertIn("get_mlm_projection", surface["mlm.distributor"])
        for key in PORTAL_METHODS:
            model, method = key.rsplit(".", 1)
            self.assertIn(method, surface.get(model, set()) | {"create", "write", "unlink"}, f"stale entry {key}")
        self.env.flush_all()
        self.authenticate(self.user_bob.login, PASSWORD)
        accepted = []
        for model, methods in sorted(surface.items()):
            ids = self._target_ids(model)
            Model = type(self.env[model])
            for method in sorted(methods):
                key = f"{model}.{method}"
                if key in PORTAL_METHODS:
                    continue
                extra = METHOD_ARGS.get(method, lambda case: [])(self)
                is_model_method = getattr(getattr(Model, method), "_api", None) in ("model", "model_create")
                args = extra if is_model_method else [ids, *extra]
                try:
                    result = self._call(model, method, args)
                except JsonRpcException as error:
                    # on a record: refused for access; without one (no record of the model), any error is a
                    # refusal too (the transaction is rolled back, nothing is returned)
                    if ids and str(error) not in ("odoo.exceptions.AccessError", "odoo.exceptions.MissingError"):
                        accepted.append((key, str(error)))
                    continue
                if ids or result not in (None, False, True, [], {}):
                    accepted.append((key, repr(result)[:60]))
        self.assertEqual(accepted, [], "public methods a portal user of another branch may call: refuse or allow")

    def test_allowed_methods_refuse_records_of_others(self):
        self.authenticate(self.user_bob.login, PASSWORD)
        for method in ("action_kyc_submit", "get_mlm_projection"):
            for other in (self.alice, self.root, self.frank):
                with self.assertRaises(JsonRpcException, msg=f"{method} {other.name}"):
                    self._call("mlm.distributor", method, [other.ids])
        goal = self.env["mlm.portal.goal"].create(
            {"distributor_id": self.alice.id, "goal_type": "pv", "target_value": 5, "date_deadline": "2099-01-01"}
        )
        self.env.flush_all()
        for method, args in (("write", [goal.ids, {"target_value": 1}]), ("unlink", [goal.ids])):
            with self.assertRaises(JsonRpcException, msg=method):
                self._call("mlm.portal.goal", method, args)
        self.assertEqual(goal.target_value, 5)
        with self.assertRaises(JsonRpcException):
            self._call("res.users", "signup", [{"login": "intruder@example.com", "password": "x-1"}, "forged"])
        # placing from the holding tank: only the sponsor's own recruits (bob is frank's sponsor, not alice's)
        for other in (self.alice, self.carol):
            with self.assertRaises(JsonRpcException, msg=f"action_place {other.name}"):
                self._call("mlm.distributor", "action_place", [other.ids, self.bob.id, "left"])

    def test_standard_orm_methods_follow_the_rules(self):
        self.authenticate(self.user_bob.login, PASSWORD)
        self.assertEqual(self._call("mlm.distributor", "search_read", [[("id", "=", self.alice.id)], ["code"]]), [])
        rows = self._call("mlm.distributor", "search_read", [[]], {"fields": ["code"]})
        self.assertEqual([r["id"] for r in rows], self.bob.ids)
        with self.assertRaises(JsonRpcException):
            self._call("mlm.distributor", "read", [self.alice.ids, ["code"]])
        for model in sorted(self._our_models()):
            target = self._target_ids(model)
            for method, args in (
                ("write", [target, {"display_name": "x"}]),
                ("unlink", [target]),
                ("create", [[{}]]),
            ):
                if model == "mlm.portal.goal" or (method != "create" and not target):
                    continue
                with self.assertRaises(JsonRpcException, msg=f"{model}.{method}"):
                    self._call(model, method, args)
        before = self.env["mlm.distributor"].search_count([])
        with self.assertRaises(JsonRpcException):
            self._call(
                "mlm.distributor", "load", [["code", "name", "sponsor_code"], [["Z1", "Injected", self.bob.code]]]
            )
        self.assertEqual(self.env["mlm.distributor"].search_count([]), before)

    def _our_models(self):
        """Models our add-ons define (not Odoo's models they extend), abstract ones left out."""
        data = self.env["ir.model.data"].search([("module", "in", ADDONS), ("model", "=", "ir.model")])
        return {
            m.model
            for m in self.env["ir.model"].browse(data.mapped("res_id"))
            if m.model in self.env and not self.env[m.model]._abstract and self.env[m.model]._original_module in ADDONS
        }

    def test_every_portal_readable_field_is_listed(self):
        self.maxDiff = None
        portal_env = self.env(user=self.user_bob)
        readable = set()
        # our models, and the fields our add-ons add to Odoo's models
        for model in sorted(self._our_models() | set(self._surface()) | self._extended_models()):
            Model = portal_env[model]
            if not Model.has_access("read"):
                continue
            for name, field in Model._fields.items():
                if name in MAGIC_FIELDS or field.inherited or field._module not in ADDONS:
                    continue
                if not field.is_accessible(portal_env):
                    continue
                readable.add(f"{model}.{name}")
        unlisted = sorted(readable - set(PORTAL_FIELDS) - self._other_listed(readable))
        self.assertEqual(unlisted, [], "fields of our models a portal user may read: list them with a reason")
        for key in PORTAL_FIELDS:
            model, name = key.rsplit(".", 1)
            self.assertIn(name, self.env[model]._fields, f"stale entry {key}")

    def _extended_models(self):
        data = self.env["ir.model.data"].search([("module", "in", ADDONS), ("model", "=", "ir.model.fields")])
        return {f.model for f in self.env["ir.model.fields"].browse(data.mapped("res_id")) if f.model in self.env}

    def _other_listed(self, readable):
        """Models other than the distributor: every field of their own-records-only models, with the reason."""
        own_models = {
            "mlm.rank": "rank names and requirements, shown on the portal",
            "mlm.rank.history": "their own rank history (own rule)",
            "mlm.volume.line": "their own volume ledger (own rule)",
            "mlm.commission.statement": "their own statements (own rule)",
            "mlm.commission.line": "their own earnings lines (own rule)",
            "mlm.portal.announcement": "team news of their upline (upline rule)",
            "mlm.portal.goal": "their own goals (own rule)",
            "mlm.autoship": "their own autoships (own rule; changed only through the portal routes)",
            "mlm.autoship.line": "the products of their own autoships (own rule)",
            "mlm.autoship.cycle": "the history of their own autoships (own rule)",
        }
        return {key for key in readable if key.rsplit(".", 1)[0] in own_models}

    def test_sensitive_fields_unreadable_by_the_upline_of_a_sharing_member(self):
        self.carol.partner_id.write({"street": "Abay 1", "zip": "050000", "vat": "KZ880101300123"})
        self.carol.identity_number = "880101300123"
        self.env.flush_all()
        for user, target in (
            (self.user_alice, self.carol),
            (self.user_alice, self.alice),
            (self.user_root, self.carol),
        ):
            self.authenticate(user.login, PASSWORD)
            for name in SENSITIVE:
                if name not in self.env["mlm.distributor"]._fields:
                    continue
                with self.assertRaises(JsonRpcException, msg=f"{user.login} reads {name} of {target.name}"):
                    self._call("mlm.distributor", "read", [target.ids, [name]])
            with self.assertRaises(JsonRpcException):
                self._call("mlm.distributor", "search", [[("match_identity", "=like", "88%")]])
        self.authenticate(self.user_alice.login, PASSWORD)
        for name in ("street", "zip", "vat", "email", "user_ids"):
            with self.assertRaises(JsonRpcException, msg=name):
                self._call("res.partner", "read", [self.carol.partner_id.ids, [name]])
        logins = self._call(
            "res.users",
            "search_read",
            [[("partner_id", "=", self.carol.partner_id.id)]],
            {"fields": ["login", "login_date"]},
        )
        self.assertEqual(logins, [])
