from odoo import Command
from odoo.tests import tagged

from .common import MlmCommissionCommon


@tagged("post_install", "-at_install")
class TestCalculatorUsesTheEngine(MlmCommissionCommon):
    """The calculator runs the buyer's upline through ``compute_period``: compression, paid levels, matching,
    coefficients and rounding are the engine's."""

    def _calculator(self, buyer, quantity=2):
        return self.env["mlm.commission.calculator"].create(
            {
                "distributor_id": buyer.id,
                "line_ids": [Command.create({"product_id": self.product.id, "quantity": quantity})],
            }
        )

    def _rows(self, calculator):
        return [(row["level"], row["sponsor"], row["bonus"], row["amount"]) for row in calculator._upline_earnings()]

    def test_levels_matching_and_compression(self):
        # alice holds Bronze (pays 2 levels and 1 matching generation), everybody else Member (1 level)
        self.alice.sudo().rank_id = self.rank_bronze
        calculator = self._calculator(self.erin)  # 2 x BV 30.00 = 60.00
        self.assertEqual(
            self._rows(calculator),
            [
                (1, self.carol, "Unilevel", 6.0),  # 10 % of 60.00
                (1, self.alice, "Matching", 0.6),  # 10 % of carol's 6.00
                (2, self.alice, "Unilevel", 3.0),  # 5 % of 60.00
            ],
        )
        # carol inactive: compressed away, alice is erin's first level (10 %), with her coefficient 1.5
        self.carol.sudo().status = "inactive"
        self.alice.sudo().mlm_coefficient = 1.5
        calculator = self._calculator(self.erin)
        self.assertEqual(self._rows(calculator), [(1, self.alice, "Unilevel", 9.0)])
        # without compression carol keeps level 1 (and earns nothing), alice is level 2: 5 % x 1.5 = 4.50
        self.plan.compression = False
        calculator = self._calculator(self.erin)
        self.assertEqual(self._rows(calculator), [(2, self.alice, "Unilevel", 4.5)])

    def test_html_is_qweb_and_escaped(self):
        self.carol.partner_id.name = "Carol <b>Bold</b>"
        html = str(self._calculator(self.erin).result_html)
        self.assertIn("o_mlm_calculator_row", html)
        self.assertIn("Carol &lt;b&gt;Bold&lt;/b&gt;", html)
        self.assertNotIn("<b>Bold</b>", html)
        self.assertIn("6.00", html)


@tagged("post_install", "-at_install")
class TestDocumentsShowVolume(MlmCommissionCommon):
    """PV and BV per line and in total on orders and invoices, from the formula the volume ledger uses."""

    def test_sale_order_lines_and_totals(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.alice.partner_id.id,
                "order_line": [
                    Command.create({"product_id": self.product.id, "product_uom_qty": 3, "discount": 10.0}),
                    Command.create({"product_id": self.product.id, "product_uom_qty": 1}),
                ],
            }
        )
        # 3 x PV 40 = 120, 3 x BV 30 x 90 % = 81.00; 1 x 40 / 30.00
        self.assertEqual(order.order_line.mapped("mlm_pv"), [120.0, 40.0])
        self.assertEqual(order.order_line.mapped("mlm_bv"), [81.0, 30.0])
        self.assertEqual((order.mlm_pv_total, order.mlm_bv_total), (160.0, 111.0))
        self.assertEqual(order._mlm_get_pv(), 160.0)
        # under the "sale" trigger the ledger holds exactly the lines' figures
        self.company.mlm_volume_trigger = "sale"
        order.action_confirm()
        ledger = self.env["mlm.volume.line"].search([("sale_line_id", "in", order.order_line.ids)])
        self.assertEqual(sorted(ledger.mapped("pv")), [40.0, 120.0])
        self.assertEqual(sorted(ledger.mapped("bv")), [30.0, 81.0])

    def test_invoice_lines_totals_and_ledger(self):
        invoice = self._invoice(self.alice.partner_id, quantity=2, discount=50.0)
        line = invoice.invoice_line_ids
        self.assertEqual((line.mlm_pv, line.mlm_bv), (80.0, 30.0))
        self.assertEqual((invoice.mlm_pv_total, invoice.mlm_bv_total), (80.0, 30.0))
        ledger = self.env["mlm.volume.line"].search([("move_line_id", "=", line.id)])
        self.assertEqual((ledger.pv, ledger.bv), (80.0, 30.0))
        refund = self._invoice(self.alice.partner_id, quantity=1, move_type="out_refund")
        self.assertEqual((refund.mlm_pv_total, refund.mlm_bv_total), (40.0, 30.0))
        ledger = self.env["mlm.volume.line"].search([("move_line_id", "=", refund.invoice_line_ids.id)])
        self.assertEqual((ledger.pv, ledger.bv), (-40.0, -30.0))
        html = self.env["ir.actions.report"]._render_qweb_html("account.account_invoices", invoice.ids)[0]
        self.assertIn(b"o_mlm_line_pv", html)
        self.assertIn(b"o_mlm_total_pv", html)

    def test_sales_manager_sees_the_trigger(self):
        manager = self.env["res.users"].create(
            {
                "name": "Sales Manager",
                "login": "mlm_sales_manager",
                "groups_id": [Command.set([self.env.ref("sales_team.group_sale_manager").id])],
            }
        )
        order = self.env["sale.order"].create(
            {"partner_id": self.alice.partner_id.id, "order_line": [Command.create({"product_id": self.product.id})]}
        )
        as_manager = order.with_user(manager)
        self.assertEqual(as_manager.mlm_volume_trigger, "invoice")
        self.assertEqual(as_manager.read(["mlm_pv_total", "mlm_bv_total"])[0]["mlm_pv_total"], 40.0)
        arch = as_manager.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="mlm_volume_trigger"', arch)
        self.assertIn('name="mlm_pv"', arch)


@tagged("post_install", "-at_install")
class TestStatementListAndDisclosure(MlmCommissionCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._load_reference_volume()
        cls.plan.threshold = 50.0  # carol's 11.06 is held below the threshold
        cls.period.action_compute_now()
        cls.period.action_close()

    def test_held_reason_only_when_held(self):
        statements = self.period.statement_ids
        held = statements.filtered(lambda s: s.held_reason != "none")
        self.assertEqual(held.distributor_id, self.carol)
        arch = self.env["mlm.commission.statement"].get_views([(False, "list")])["views"]["list"]["arch"]
        field = arch[arch.index('<field name="held_reason"') :]
        field = field[: field.index("/>")]
        self.assertIn('optional="show"', field)
        self.assertIn("invisible=\"held_reason == 'none'\"", field)

    def test_income_disclosure_currency_and_chart(self):
        wizard = self.env["mlm.income.disclosure"].create(
            {"date_from": self.period.date_from, "date_to": self.period.date_to}
        )
        html = str(wizard.result_html)
        self.assertIn(self.currency.name, html)
        self.assertEqual(html.count('class="o_mlm_disclosure_bar"'), 2)  # Member (5) and Bronze (2)
        chart = wizard._report_values()["chart"]
        self.assertEqual(
            [(b["rank"], b["count"], b["width"]) for b in chart["bars"]], [("Member", 5, 340.0), ("Bronze", 2, 136.0)]
        )
        pdf_html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("mlm_commission.report_income_disclosure", wizard.ids)[0]
            .decode()
        )
        self.assertIn("<svg", pdf_html)
        self.assertIn("o_mlm_disclosure_bar", pdf_html)
        self.assertIn(self.currency.name, pdf_html)
