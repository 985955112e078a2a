import json
import re

from odoo import Command, fields
from odoo.tools import file_open

from odoo.addons.mlm_commission.tests.common import MlmCommissionCommon

PASSWORD = "portal-pass-123"


def _my_pages():
    """The /my pages of the back office, from the one list the tours walk (static/tests/tours/my_pages.js)."""
    with file_open("mlm_portal/static/tests/tours/my_pages.js") as source:
        text = source.read()
    listed = re.search(
        r"// MY_PAGES JSON begins\nexport const MY_PAGES = (.*?);\n// MY_PAGES JSON ends", text, re.DOTALL
    )
    return [page["url"] for page in json.loads(listed.group(1))]


MY_PAGES = _my_pages()


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


class MlmPlacementPortalCommon(MlmPortalCommon):
    """The portal fixtures in a binary placement tree (spillover), with two recruits of the root in the holding
    tank::

        root ── L alice ── L carol ── L erin
             │         └── R dave
             └── R bob ─── L frank
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {"mlm_placement_type": "binary", "mlm_placement_preference": "spillover", "mlm_holding_days": 0}
        )
        everyone = cls.root | cls.alice | cls.bob | cls.carol | cls.dave | cls.erin | cls.frank
        everyone._placement_enrol()
        cls.company.mlm_holding_days = 3
        cls.hana = cls._make_distributor("Hana Waiting", cls.root)
        cls.ivan = cls._make_distributor("Ivan Waiting", cls.root)
