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
