from odoo.addons.mail.tests.common import mail_new_test_user
from odoo.addons.mlm_network.tests.common import MlmNetworkCommon
from odoo.addons.mlm_telephony.tools.ami_calls import CallBuilder
from odoo.addons.mlm_telephony.tools.ami_protocol import iter_trace_messages

from .test_ami_parser import load


class MlmTelephonyCommon(MlmNetworkCommon):
    """The network of ``MlmNetworkCommon`` plus phones, operators with extensions and one PBX of each type."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.country_id = cls.env.ref("base.kz")
        cls.operator = mail_new_test_user(
            cls.env,
            login="tel_operator",
            name="Operator Aigul",
            email="aigul@example.com",
            groups="base.group_user,mlm_network.group_mlm_user,mlm_telephony.mlm_telephony_group_user",
        )
        cls.operator.mlm_phone_extension = "101"
        cls.operator.mlm_pbx_login = "aigul"
        cls.operator2 = mail_new_test_user(
            cls.env,
            login="tel_operator2",
            name="Operator Dana",
            email="dana@example.com",
            groups="base.group_user,mlm_network.group_mlm_user,mlm_telephony.mlm_telephony_group_user",
        )
        cls.operator2.mlm_phone_extension = "102"
        cls.tel_manager = mail_new_test_user(
            cls.env,
            login="tel_manager",
            name="Telephony Manager",
            email="telmgr@example.com",
            groups="base.group_user,mlm_network.group_mlm_manager,mlm_telephony.mlm_telephony_group_manager",
        )
        # The caller of the recorded inbound call, 8 701 123 45 67 as dialled in Kazakhstan.
        cls.alice.partner_id.write({"phone": "+7 701 123 4567", "user_id": cls.operator.id})
        cls.alice.rank_id = cls.rank_silver
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Customer Berik",
                "mobile": "8 (701) 987-65-43",
                "user_id": cls.operator2.id,
            }
        )
        cls.asterisk = cls.env["mlm.telephony.provider"].create(
            {
                "name": "Office Asterisk",
                "provider_type": "asterisk",
                "ami_host": "127.0.0.1",
                "ami_port": 5038,
                "ami_username": "odoo",
                "ami_secret": "s3cret",
                "webhook_token": "asterisk-token-0123456789",
                "recording_base_url": "https://pbx.example.com/rec/",
            }
        )
        cls.zadarma = cls.env["mlm.telephony.provider"].create(
            {
                "name": "Zadarma",
                "provider_type": "zadarma",
                "api_key": "zd-key",
                "api_secret": "zd-secret",
                "pbx_timezone": "Asia/Almaty",
            }
        )
        cls.itoolabs = cls.env["mlm.telephony.provider"].create(
            {
                "name": "MegaFon",
                "provider_type": "itoolabs",
                "webhook_token": "crm-token-0123456789abcdef",
                "api_key": "ats-key",
            }
        )

    @classmethod
    def trace_reports(cls, *names):
        builder = CallBuilder()
        reports = []
        for name in names:
            reports.extend(builder.feed_many(iter_trace_messages(load(name))))
        return reports
