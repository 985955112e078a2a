from odoo import Command, fields

from odoo.addons.mlm_commission.tests.common import MlmCommissionCommon

PASSWORD = "portal-pass-123"


class MlmPortalCommon(MlmCommissionCommon):
    """The commission fixtures with portal users on the tree, a closed and paid period and an open, computed one.

    ::

        root (leader)
        ├── alice
        │   ├── carol
        │   │   └── erin
        │   └── dave
        └── bob
            └── frank
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.mlm_signup_rate_limit = 5
        cls.portal_group = cls.env.ref("base.group_portal")
        for dist in (cls.root, cls.alice, cls.bob, cls.carol, cls.erin):
            login = dist.name.split()[0].lower()
            user = cls.env["res.users"].create(
                {
                    "login": login,
                    "password": PASSWORD,
                    "partner_id": dist.partner_id.id,
                    "groups_id": [Command.set([cls.portal_group.id])],
                }
            )
            setattr(cls, f"user_{login}", user)
        cls.carol.partner_id.write({"city": "Almaty", "phone": "+7 701 000 0001"})
        cls.carol.portal_share_contact = True
        # a closed and paid period (the month before last) ...
        cls._load_reference_volume()
        cls.period.action_compute_now()
        cls.period.action_close()
        cls.env["mlm.payout.wizard"].with_context(
            active_model="mlm.commission.period", active_ids=cls.period.ids
        ).create({"journal_id": cls.bank_journal.id}).action_pay()
        # ... and the open period of today, computed
        today = fields.Date.context_today(cls.env.user)
        cls.current = cls.env["mlm.commission.period"]._get_or_create_period(cls.company, today)
        cls._load_reference_volume(today)
        cls.current.action_compute_now()
        cls.statement_root = cls.env["mlm.commission.statement"].search(
            [("period_id", "=", cls.period.id), ("distributor_id", "=", cls.root.id)]
        )
        cls.statement_alice = cls.env["mlm.commission.statement"].search(
            [("period_id", "=", cls.period.id), ("distributor_id", "=", cls.alice.id)]
        )
