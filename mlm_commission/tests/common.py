from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, fields
from odoo.tools import SQL

from odoo.addons.mlm_network.tests.common import MlmNetworkCommon


class MlmCommissionCommon(MlmNetworkCommon):
    """The network of ``MlmNetworkCommon`` plus a plan, products, accounting and last month's period.

    Periods: the month before last (``period``) and last month (``next_period``), both ended.
    Plan: unilevel 10 / 5 / 2 %, minimum PV 100, compression on; ranks Member (pays 1 level),
    Bronze (PV 100, GV 500, pays 2 levels, 1 matching generation, advancement bonus 25.00),
    Silver (PV 100, GV 1000, each leg capped at 50 % of it, one leg with a Bronze, pays 3 levels, bonus 100.00);
    matching 10 %; no fast start, pool, threshold or gate (tests switch them on).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.currency = cls.company.currency_id
        cls._setup_accounting()
        cls.plan = cls.env["mlm.plan"].create(
            {
                "name": "Test Plan",
                "company_id": cls.company.id,
                "min_pv": 100.0,
                "compression": True,
                "level_ids": [
                    Command.create({"level": 1, "rate": 10.0}),
                    Command.create({"level": 2, "rate": 5.0}),
                    Command.create({"level": 3, "rate": 2.0}),
                ],
                "matching_ids": [Command.create({"generation": 1, "rate": 10.0})],
                "rank_ids": [
                    Command.create({"rank_id": cls.rank_member.id, "paid_levels": 1}),
                    Command.create(
                        {
                            "rank_id": cls.rank_bronze.id,
                            "min_pv": 100,
                            "min_gv": 500,
                            "paid_levels": 2,
                            "matching_generations": 1,
                            "advancement_bonus": 25.0,
                        }
                    ),
                    Command.create(
                        {
                            "rank_id": cls.rank_silver.id,
                            "min_pv": 100,
                            "min_gv": 1000,
                            "max_leg_share": 0.5,
                            "min_legs": 1,
                            "leg_rank_id": cls.rank_bronze.id,
                            "paid_levels": 3,
                            "matching_generations": 1,
                            "advancement_bonus": 100.0,
                        }
                    ),
                ],
            }
        )
        cls.company.write(
            {
                "mlm_plan_id": cls.plan.id,
                "mlm_volume_trigger": "invoice",
                "mlm_period_type": "month",
                "mlm_statement_email": True,
            }
        )
        today = fields.Date.context_today(cls.env.user)
        cls.period_start = (today - relativedelta(months=2)).replace(day=1)
        cls.period = cls.env["mlm.commission.period"]._get_or_create_period(cls.company, cls.period_start)
        cls.next_period = cls.env["mlm.commission.period"]._get_or_create_period(
            cls.company, cls.period.date_to + timedelta(days=1)
        )
        cls.network = cls.root | cls.alice | cls.bob | cls.carol | cls.dave | cls.erin | cls.frank
        cls.network.write({"join_date": cls.period_start - timedelta(days=90)})
        cls.product = cls.env["product.product"].create(
            {
                "name": "Vitamin Pack",
                "type": "consu",
                "list_price": 50.0,
                "mlm_pv": 40.0,
                "mlm_bv": 30.0,
                "taxes_id": [Command.clear()],
            }
        )
        cls.customer = cls.env["res.partner"].create({"name": "Retail Customer", "mlm_referrer_id": cls.carol.id})

    @classmethod
    def _setup_accounting(cls):
        company = cls.company
        if not company.chart_template:
            cls.env["account.chart.template"].try_loading("generic_coa", company=company, install_demo=False)
        Account = cls.env["account.account"]
        cls.expense_account = Account.create(
            {
                "name": "Commission Expense",
                "code": "619100",
                "account_type": "expense",
            }
        )
        cls.payable_account = Account.create(
            {
                "name": "Commissions Payable",
                "code": "219100",
                "account_type": "liability_payable",
                "reconcile": True,
            }
        )
        cls.commission_journal = cls.env["account.journal"].create(
            {
                "name": "Commissions",
                "code": "COMM",
                "type": "general",
                "company_id": company.id,
            }
        )
        cls.bank_journal = cls.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        company.write(
            {
                "mlm_commission_journal_id": cls.commission_journal.id,
                "mlm_commission_expense_account_id": cls.expense_account.id,
                "mlm_commission_payable_account_id": cls.payable_account.id,
            }
        )

    @classmethod
    def _setup_binary_plan(cls):
        """The test plan made binary (10 %, matrix level 1 at 1 %) and a placement tree mirroring the sponsor
        tree: alice left and bob right of root, carol left and dave right of alice, erin left of carol, frank
        left of bob."""
        cls.plan.write(
            {
                "plan_type": "binary",
                "binary_rate": 10.0,
                "matrix_level_ids": [Command.create({"level": 1, "rate": 1.0})],
            }
        )
        placement = (
            (cls.alice, cls.root, 1),
            (cls.bob, cls.root, 2),
            (cls.carol, cls.alice, 1),
            (cls.dave, cls.alice, 2),
            (cls.erin, cls.carol, 1),
            (cls.frank, cls.bob, 1),
        )
        cls.env["mlm.distributor"].flush_model()
        paths = {cls.root.id: f"{cls.root.id}/"}
        cls.env.cr.execute(
            SQL(
                "UPDATE mlm_distributor SET placement_state = 'placed', placement_path = %s WHERE id = %s",
                paths[cls.root.id],
                cls.root.id,
            )
        )
        for child, parent, slot in placement:
            paths[child.id] = f"{paths[parent.id]}{child.id}/"
            cls.env.cr.execute(
                SQL(
                    "UPDATE mlm_distributor SET placement_parent_id = %s, placement_slot = %s, "
                    "placement_position = %s, placement_state = 'placed', placement_path = %s WHERE id = %s",
                    parent.id,
                    slot,
                    "left" if slot == 1 else "right",
                    paths[child.id],
                    child.id,
                )
            )
        cls.env["mlm.distributor"].invalidate_model()

    # ------------------------------------------------------------------ helpers
    @classmethod
    def _adjust(cls, distributor, pv, bv, day=None, reason="test volume"):
        return cls.env["mlm.volume.line"]._create_adjustment(distributor, pv, bv, day or cls.period_start, reason)

    @classmethod
    def _load_reference_volume(cls, day=None):
        """PV / BV of the reference fixture (see test_commission_run)."""
        for dist, pv, bv in (
            (cls.root, 100, 80.0),
            (cls.alice, 200, 150.0),
            (cls.bob, 50, 40.0),
            (cls.carol, 300, 250.0),
            (cls.dave, 100, 90.0),
            (cls.erin, 120, 110.55),
            (cls.frank, 150, 100.0),
        ):
            cls._adjust(dist, pv, bv, day)

    def _invoice(self, partner, quantity=1.0, price=50.0, move_type="out_invoice", date=None, discount=0.0):
        move = self.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": partner.id,
                "invoice_date": date or self.period_start,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "quantity": quantity,
                            "price_unit": price,
                            "discount": discount,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        move.action_post()
        return move

    def _statement(self, period, distributor):
        return period.statement_ids.filtered(lambda s: s.distributor_id == distributor)

    def _amounts(self, period, bonus_type=None):
        """{(beneficiary, source or False): amount} of a period's lines (of one bonus type)."""
        result = {}
        for line in period.line_ids:
            if bonus_type and line.bonus_type != bonus_type:
                continue
            key = (line.beneficiary_id, line.source_distributor_id or False)
            result[key] = self.currency.round(result.get(key, 0.0) + line.amount)
        return result

    def _total(self, period, distributor, bonus_type=None):
        return self.currency.round(
            sum(
                line.amount
                for line in period.line_ids
                if line.beneficiary_id == distributor and (not bonus_type or line.bonus_type == bonus_type)
            )
        )
