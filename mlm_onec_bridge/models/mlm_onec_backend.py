# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import base64

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..tools import odata_client

DEFAULT_ENTITIES = {
    "partner": "Catalog_Контрагенты",
    "sale": "Document_РеализацияТоваровУслуг",
    "payment": "Document_ПоступлениеНаРасчетныйСчет",
    "payout": "Document_СписаниеСРасчетногоСчета",
}


class MlmOnecBackend(models.Model):
    _name = "mlm.onec.backend"
    _description = "1C Exchange Settings"
    _order = "company_id, name"

    name = fields.Char(required=True, default="1C")
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    # --- CommerceML exchange ("обмен с сайтом")
    exchange_user_id = fields.Many2one(
        "res.users",
        ondelete="restrict",
        help="The login 1C uses (HTTP Basic). Give it only the '1C exchange' group: it can do nothing else.",
    )
    zip_allowed = fields.Boolean(string="Accept Zip Archives", default=True)
    file_limit = fields.Integer(
        string="Part Size (bytes)",
        default=8 * 1024 * 1024,
        help="Maximum size of one uploaded part, announced to 1C in the answer to 'init'.",
    )
    max_file_size = fields.Integer(
        string="Maximum File Size (MB)",
        default=1024,
        help="Upper bound of one uploaded file (all its parts) and of what a zip archive may unpack to.",
    )
    answer_encoding = fields.Selection(
        [("utf-8", "UTF-8"), ("windows-1251", "windows-1251")],
        default="utf-8",
        required=True,
        help="Encoding of the answers and of the order document sent to 1C.",
    )
    session_idle_minutes = fields.Integer(
        string="Session Idle Timeout (min)",
        default=30,
        help="An exchange session (the cookie 1C gets from 'checkauth') stops working after this many minutes "
        "without a call, and for orders once 1C has confirmed them with 'success'. 1C then authenticates again.",
    )
    batch_size = fields.Integer(default=500, help="Products or offers written per batch.")
    time_budget = fields.Integer(
        string="Seconds per Import Call",
        default=20,
        help="An 'import' call stops after this time and answers 'progress'; 1C then calls again. "
        "0: one batch per call.",
    )
    track_inventory = fields.Boolean(
        string="Track 1C Goods in Inventory",
        help="Goods imported from 1C are tracked in Odoo's inventory; the stock of 1C warehouses mapped to Odoo "
        "warehouses becomes their on-hand quantity.",
    )
    archive_missing = fields.Boolean(
        string="Archive Products Missing from a Full Export",
        help="After a full (not partial) export, archive the products this exchange node imported that none of "
        "its files holds (other nodes' products of the company are left alone).",
    )
    send_orders = fields.Boolean(
        string="Send Orders to 1C",
        default=True,
        help="This exchange node receives the company's sale orders when its 1C asks for them. One node per company "
        "does: a company's further nodes exchange only their catalog.",
    )
    category_id = fields.Many2one(
        "product.category",
        string="Root Category",
        help="1C product groups are created under this category.",
    )
    list_price_type_guid = fields.Char(
        string="Sales Price Type (1C GUID)",
        help="Prices of this 1C price type also become the products' sales price. Empty: the first price type "
        "received is used and remembered here.",
    )
    # --- Accounting export (OData or file)
    export_mode = fields.Selection(
        [("odata", "OData (1C:Accounting web service)"), ("file", "XML file for manual loading")],
        default="odata",
        required=True,
    )
    odata_url = fields.Char(string="1C Base URL", help="e.g. https://1c.example.com/accounting (without /odata/...)")
    odata_user = fields.Char(string="1C User", groups="base.group_system")
    odata_password = fields.Char(string="1C Password", groups="base.group_system")
    odata_timeout = fields.Integer(string="Timeout (s)", default=30)
    odata_post_documents = fields.Boolean(string="Post Documents in 1C", default=True)
    odata_max_attempts = fields.Integer(string="Automatic Attempts", default=5)
    odata_retry_minutes = fields.Integer(
        string="First Retry After (min)", default=1, help="Doubled after every failed attempt (back-off)."
    )
    entity_partner = fields.Char(string="Counterparties", default=DEFAULT_ENTITIES["partner"], required=True)
    entity_sale = fields.Char(string="Sales", default=DEFAULT_ENTITIES["sale"], required=True)
    entity_payment = fields.Char(string="Customer Payments", default=DEFAULT_ENTITIES["payment"], required=True)
    entity_payout = fields.Char(
        string="Commission Payouts",
        default=DEFAULT_ENTITIES["payout"],
        required=True,
        help="Depends on the distributors' legal status: e.g. Document_СписаниеСРасчетногоСчета for payments to "
        "individual entrepreneurs, Document_ОтражениеЗарплатыВБухучете for employees under contract.",
    )
    deleted_guids = fields.Json(
        readonly=True, copy=False, help="Goods 1C sent marked deleted and never imported: their offers are no error."
    )
    session_count = fields.Integer(compute="_compute_counts")
    export_count = fields.Integer(compute="_compute_counts")

    _sql_constraints = [
        ("user_uniq", "unique(exchange_user_id)", "An exchange user serves one company only."),
    ]

    def init(self):
        # several exchange nodes (1C databases) may feed one company: the former one-per-company rule goes
        self.env.cr.execute("ALTER TABLE mlm_onec_backend DROP CONSTRAINT IF EXISTS mlm_onec_backend_company_uniq")

    @api.model_create_multi
    def create(self, vals_list):
        # a company's further nodes exchange their catalog only, unless told otherwise
        for vals in vals_list:
            if "send_orders" not in vals:
                company_id = vals.get("company_id") or self.env.company.id
                vals["send_orders"] = not self.search_count(
                    [("company_id", "=", company_id), ("send_orders", "=", True)], limit=1
                )
        return super().create(vals_list)

    def _compute_counts(self):
        sessions = dict(
            self.env["mlm.onec.session"]._read_group([("backend_id", "in", self.ids)], ["backend_id"], ["__count"])
        )
        exports = dict(
            self.env["mlm.onec.export.record"]._read_group(
                [("backend_id", "in", self.ids)], ["backend_id"], ["__count"]
            )
        )
        for backend in self:
            backend.session_count = sessions.get(backend, 0)
            backend.export_count = exports.get(backend, 0)

    @api.constrains("file_limit", "batch_size", "time_budget", "max_file_size", "session_idle_minutes")
    def _check_limits(self):
        for backend in self:
            sizes = (backend.file_limit, backend.batch_size, backend.max_file_size, backend.session_idle_minutes)
            if min(sizes) <= 0 or backend.time_budget < 0:
                raise ValidationError(
                    self.env._(
                        "Part size, batch size, file size and session idle timeout must be positive; the time "
                        "budget cannot be negative."
                    )
                )

    @api.constrains("send_orders", "company_id", "active")
    def _check_one_order_node(self):
        for backend in self.filtered("send_orders"):
            other = self.search(
                [("company_id", "=", backend.company_id.id), ("send_orders", "=", True), ("id", "!=", backend.id)],
                limit=1,
            )
            if other:
                raise ValidationError(
                    self.env._(
                        "Only one 1C exchange node of %(company)s receives its orders, and %(node)s does already: "
                        "untick 'Send Orders to 1C' there first (each order must go to one 1C only).",
                        company=backend.company_id.name,
                        node=other.name,
                    )
                )

    @api.constrains("exchange_user_id")
    def _check_exchange_user(self):
        group = self.env.ref("mlm_onec_bridge.group_onec_exchange")
        for backend in self.filtered("exchange_user_id"):
            if group not in backend.exchange_user_id.groups_id:
                raise ValidationError(
                    self.env._(
                        "The exchange user %(user)s must belong to the group '1C exchange'.",
                        user=backend.exchange_user_id.display_name,
                    )
                )

    # ------------------------------------------------------------------ actions
    def action_open_sessions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("mlm_onec_bridge.mlm_onec_session_action")
        action["domain"] = [("backend_id", "=", self.id)]
        return action

    def action_open_exports(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("mlm_onec_bridge.mlm_onec_export_record_action")
        action["domain"] = [("backend_id", "=", self.id)]
        return action

    def action_enqueue_exports(self):
        """Queue the company's counterparties, confirmed sales and customer payments for 1C:Accounting."""
        for backend in self:
            backend.env["mlm.onec.export.record"]._enqueue_company_documents(backend)
        return True

    def action_download_export_file(self):
        """File alternative: the pending records as one XML file for manual loading in 1C."""
        self.ensure_one()
        records = self.env["mlm.onec.export.record"].search(
            [("backend_id", "=", self.id), ("state", "in", ("to_send", "error"))]
        )
        if not records:
            raise UserError(self.env._("Nothing to export: no record is waiting to be sent."))
        data = records._export_to_file()
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"1c_export_{fields.Date.today()}.xml",
                "datas": base64.b64encode(data),
                "mimetype": "application/xml",
                "res_model": self._name,
                "res_id": self.id,
            }
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

    # ------------------------------------------------------------------ business
    def _get_odata_client(self):
        self.ensure_one()
        backend_sudo = self.sudo()  # credentials are readable by administrators only; used, never shown
        if not backend_sudo.odata_url:
            raise UserError(self.env._("Set the 1C base URL of %(name)s first.", name=self.display_name))
        return odata_client.ODataClient(
            backend_sudo.odata_url,
            backend_sudo.odata_user or "",
            backend_sudo.odata_password or "",
            timeout=backend_sudo.odata_timeout or 30,
        )

    def _get_entity_set(self, kind):
        self.ensure_one()
        return self[f"entity_{kind}"]

    def _get_root_category(self):
        self.ensure_one()
        if not self.category_id:
            self.category_id = self.env["product.category"].create({"name": self.env._("1C Catalog")})
        return self.category_id
