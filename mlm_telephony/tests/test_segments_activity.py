from odoo import fields
from odoo.tests import tagged

from odoo.addons.mlm_commission.tests.common import MlmCommissionCommon


@tagged("post_install", "-at_install")
class TestActivitySegments(MlmCommissionCommon):
    """Segments on the commission data: activity this period, PV missing, inactive periods, rank at risk."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env.user)
        cls.current = cls.env["mlm.commission.period"]._get_or_create_period(cls.company, cls.today)
        # this period (plan minimum 100 PV): Alice active, Bob 30 PV short, Carol 90 PV short, the others 100 short
        cls._adjust(cls.alice, 120, 90.0, cls.today)
        cls._adjust(cls.bob, 70, 50.0, cls.today)
        cls._adjust(cls.carol, 10, 8.0, cls.today)
        cls.Segment = cls.env["mlm.distributor.segment"]

    def _members(self, **vals):
        segment = self.Segment.create(dict({"name": "Segment", "company_id": self.company.id}, **vals))
        return self.env["mlm.distributor"].search(segment._get_distributor_domain()), segment

    def test_active_and_below_minimum(self):
        members, _segment = self._members(activity="active")
        self.assertEqual(members, self.alice)
        members, segment = self._members(activity="below_minimum", pv_gap_max=50)
        self.assertEqual(members, self.bob)
        partners = self.env["res.partner"].search(segment._get_partner_domain())
        self.assertEqual(partners, self.bob.partner_id)
        members, _segment = self._members(activity="below_minimum")
        self.assertEqual(members, self.network - self.alice)
        self.frank.action_suspend()
        members, _segment = self._members(activity="below_minimum")
        self.assertNotIn(self.frank, members, "only distributors with status active can become active")

    def test_inactive_in_the_last_two_closed_periods(self):
        members, _segment = self._members(activity="inactive_two")
        self.assertFalse(members, "fewer than two closed periods: nobody is known inactive yet")
        self._adjust(self.alice, 150, 100.0, self.period.date_from)
        self._adjust(self.frank, 100, 80.0, self.next_period.date_from)
        self.period.action_close()
        self.next_period.action_close()
        members, _segment = self._members(activity="inactive_two")
        self.assertEqual(members, self.root | self.bob | self.carol | self.dave | self.erin)

    def test_short_of_their_rank(self):
        self.alice._set_rank(self.rank_silver, "held before")
        self.current.action_compute_now()
        at_risk = self.current.statement_ids.filtered(lambda s: s.risk == "rank").distributor_id
        self.assertIn(self.alice, at_risk)
        members, _segment = self._members(activity="rank_risk")
        self.assertEqual(members, at_risk)

    def test_reminders_follow_the_commission_period(self):
        reminder = self.env["mlm.telephony.reminder"].create(
            {
                "name": "Reach the minimum",
                "segment_id": self._members(activity="below_minimum")[1].id,
                "subject": "5 days left",
                "body": "You need more PV to stay active this period.",
                "days_before_period_end": 5,
            }
        )
        self.assertEqual(reminder._get_period_bounds(self.today), (self.current.date_from, self.current.date_to))

    def test_weekly_periods_follow_the_commission_rule(self):
        """Reminders and segments take the period bounds of mlm.commission.period (Monday to Sunday for a weekly
        company without a period record yet, not the calendar month)."""
        Period = self.env["mlm.commission.period"]
        self.current.unlink()
        self.company.mlm_period_type = "week"
        day = fields.Date.from_string("2031-05-15")
        reminder = self.env["mlm.telephony.reminder"].with_company(self.company)
        self.assertEqual(tuple(map(str, reminder._get_period_bounds(day))), ("2031-05-12", "2031-05-18"))
        segment = self._members(activity="active")[1]
        today = fields.Date.context_today(self.env.user)
        self.assertEqual(segment._current_period_bounds(), Period._get_current_period(self.company, today)[1:])
        self.assertEqual(segment._current_period_bounds()[0].weekday(), 0)
