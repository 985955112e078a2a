from datetime import datetime

import psycopg2.errors

from odoo import SUPERUSER_ID, api, fields
from odoo.exceptions import AccessError, UserError
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, tagged, users

from .ami_peer import AmiTestPeer
from .common import MlmTelephonyCommon
from .http_peer import HttpTestPeer


@tagged("post_install", "-at_install")
class TestCalls(MlmTelephonyCommon):
    def test_phone_keys_and_lookup(self):
        self.assertEqual(self.alice.partner_id.mlm_phone_key, "77011234567")
        self.assertEqual(self.customer.mlm_mobile_key, "77019876543")
        found = self.env["res.partner"]._mlm_find_by_phone_keys(
            ["77011234567", "77019876543", "70000000000"], self.company
        )
        self.assertEqual(found, {"77011234567": self.alice.partner_id, "77019876543": self.customer})

    def test_ami_reports_make_one_call_with_contact_user_and_chatter(self):
        reports = self.trace_reports("ami13-inbound-answered.txt")
        self.assertEqual(len(reports), 2)  # ringing, then finished
        self.asterisk._ami_store_reports(reports[:1])
        call = self.env["mlm.call"].search([("provider_id", "=", self.asterisk.id)])
        self.assertEqual((len(call), call.status, call.is_final), (1, "ringing", False))
        self.asterisk._ami_store_reports(reports[1:])
        self.asterisk._ami_store_reports(reports)  # the same call reported again (e.g. after a restart)
        call = self.env["mlm.call"].search([("provider_id", "=", self.asterisk.id)])
        self.assertEqual(len(call), 1, "idempotent on the PBX call id")
        self.assertRecordValues(
            call,
            [
                {
                    "provider_call_id": "1700000000.16",
                    "direction": "inbound",
                    "status": "answered",
                    "is_final": True,
                    "caller_number": "87011234567",
                    "callee_number": "101",
                    "external_number": "77011234567",
                    "extension": "101",
                    "partner_id": self.alice.partner_id.id,
                    "distributor_id": self.alice.id,
                    "user_id": self.operator.id,
                    "duration": 66,
                    "start": datetime(2023, 11, 14, 22, 13, 20),
                    "end": datetime(2023, 11, 14, 22, 14, 34),
                    "recording_url": "https://pbx.example.com/rec/in-87011234567-101-1700000000.16.wav",
                }
            ],
        )
        self.assertIn("<audio", call.recording_player)
        for record in (self.alice.partner_id, self.alice):
            notes = record.message_ids.filtered(lambda m: "talk time 1:06" in (m.body or ""))
            self.assertEqual(len(notes), 1, f"one chatter note on {record._name}, not one per report")
        self.assertEqual(self.alice.partner_id.mlm_call_count, 1)
        self.assertEqual(self.alice.mlm_call_count, 1)

    def test_missed_inbound_call_creates_callback_activity(self):
        self.customer.mobile = "+7 701 987 6543"
        self.asterisk._ami_store_reports(self.trace_reports("ami13-inbound-missed.txt", "ami13-outbound-busy.txt"))
        missed = self.env["mlm.call"].search([("provider_call_id", "=", "1700000600.20")])
        busy_out = self.env["mlm.call"].search([("provider_call_id", "=", "1700001200.30")])
        self.assertEqual((missed.status, missed.partner_id, missed.user_id), ("missed", self.customer, self.operator2))
        self.assertEqual(len(missed.activity_ids), 1)
        activity = missed.activity_ids
        self.assertEqual(activity.user_id, self.operator2)
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertEqual(activity.summary, "Call back 77019876543")
        self.assertEqual((busy_out.status, busy_out.direction), ("busy", "outbound"))
        self.assertFalse(busy_out.activity_ids, "outbound calls need no call-back")

    def test_caller_id_info(self):
        info = self.asterisk._caller_id_info("8 701 123 45 67")
        self.assertEqual(
            info,
            {
                "number": "77011234567",
                "found": True,
                "name": self.alice.partner_id.display_name,
                "partner_id": self.alice.partner_id.id,
                "distributor_code": self.alice.code,
                "rank": "Silver",
                "responsible": "Operator Aigul",
                "responsible_login": "aigul",
                "responsible_extension": "101",
            },
        )
        self.assertEqual(self.asterisk._caller_id_info("+1 202 555 0100"), {"number": "12025550100", "found": False})

    @users("tel_operator")
    def test_click_to_call_asterisk(self):
        with AmiTestPeer() as peer:
            self.asterisk.sudo().ami_port = peer.port
            partner = self.alice.partner_id.with_user(self.env.user)
            action = partner.action_mlm_call_phone()
            self.assertEqual(action["tag"], "display_notification")
        originate = next(a for a in peer.actions if a.get("action") == "Originate")
        self.assertEqual((originate["channel"], originate["exten"]), ("Local/101@from-internal", "77011234567"))

    @users("tel_operator")
    def test_click_to_call_errors(self):
        with AmiTestPeer(secret="other") as peer:
            self.asterisk.sudo().ami_port = peer.port
            with self.assertRaisesRegex(UserError, "could not place the call"):
                self.alice.partner_id.with_user(self.env.user).action_mlm_call_phone()
        self.env.user.sudo().mlm_phone_extension = False
        with self.assertRaisesRegex(UserError, "extension"):
            self.alice.partner_id.with_user(self.env.user).action_mlm_call_phone()

    def test_access_rights(self):
        self.asterisk._ami_store_reports(self.trace_reports("ami13-inbound-answered.txt"))
        call = self.env["mlm.call"].search([("provider_call_id", "=", "1700000000.16")])
        as_operator = call.with_user(self.operator)
        self.assertEqual(as_operator.status, "answered")
        with self.assertRaises(AccessError):
            as_operator.write({"status": "missed"})
        with self.assertRaises(AccessError):
            self.asterisk.with_user(self.operator).ami_secret  # noqa: B018 - reading is the test
        with self.assertRaises(AccessError):
            self.asterisk.with_user(self.tel_manager).webhook_token  # noqa: B018
        self.assertEqual(self.asterisk.with_user(self.tel_manager).name, "Office Asterisk")
        # Another company's calls stay out of sight.
        other = self.env["res.company"].create({"name": "Other Co"})
        other_pbx = self.env["mlm.telephony.provider"].create({"name": "Other PBX", "company_id": other.id})
        other_pbx._upsert_calls(
            [{"call_id": "x1", "direction": "inbound", "caller": "77010000000", "callee": "100", "status": "ringing"}]
        )
        visible = self.env["mlm.call"].with_user(self.operator).search([])
        self.assertEqual(visible, call)

    def test_recordings_downloaded_into_attachments(self):
        audio = b"ID3" + bytes(range(256)) * 40

        def api(request):
            if request["path"] == "/v1/pbx/record/request/":
                self.assertEqual(request["query"]["call_id"], "1700000000.777")
                return 200, {"status": "success", "link": f"{peer.url}/records/in_abc123.mp3"}
            if request["path"] == "/records/in_abc123.mp3":
                return 200, audio
            return 404, {"status": "error"}

        self.zadarma.store_recordings = True
        call = self.zadarma._upsert_calls(
            [
                {
                    "call_id": "in_abc123",
                    "direction": "inbound",
                    "caller": "+77011234567",
                    "callee": "77272000000",
                    "start": datetime(2026, 1, 1, 10, 0),
                    "end": fields.Datetime.now(),
                    "status": "answered",
                    "final": True,
                    "recording_ref": "1700000000.777",
                }
            ]
        )
        with self.assertRaises(AccessError):
            call.with_user(self.operator).action_fetch_recording()
        with HttpTestPeer(api) as peer:
            self.zadarma.api_url = peer.url
            failed = self.env["mlm.call"].cron_store_recordings()
        self.assertEqual(failed, [])
        attachment = call.recording_attachment_id
        self.assertEqual((attachment.name, attachment.raw, attachment.mimetype), ("in_abc123.mp3", audio, "audio/mpeg"))
        self.assertIn(f"/web/content/{attachment.id}", call.recording_player)
        self.assertEqual(self.env["mlm.call"].cron_store_recordings(), [], "nothing left to download")

    def test_recording_download_failure_is_reported(self):
        call = self.asterisk._upsert_calls(
            [
                {
                    "call_id": "c-404",
                    "direction": "inbound",
                    "caller": "77011234567",
                    "callee": "101",
                    "status": "answered",
                    "final": True,
                    "recording_url": "http://127.0.0.1:9/missing.wav",
                }
            ]
        )
        with self.assertRaisesRegex(UserError, "could not be downloaded"):
            call.with_user(self.tel_manager).action_fetch_recording()
        self.assertFalse(call.recording_attachment_id)

    @users("tel_operator")
    def test_click_to_call_from_lead(self):
        lead = self.env["crm.lead"].sudo().create({"name": "Wants to join", "phone": "8 701 555 66 77"})
        with AmiTestPeer() as peer:
            self.asterisk.sudo().ami_port = peer.port
            lead.with_user(self.env.user).action_mlm_call()
        originate = next(a for a in peer.actions if a.get("action") == "Originate")
        self.assertEqual(originate["exten"], "77015556677")
        self.assertEqual(originate["variables"]["MLM_DIAL"], "77015556677")


@tagged("post_install", "-at_install")
class TestConcurrentReports(BaseCase):
    """Two transactions report the same new call at once (two webhooks): the later one must be retried, not
    create a second call or fail on the unique constraint. Real, committed transactions on two connections."""

    def test_second_first_report_is_retried(self):
        registry = Registry(get_db_name())
        with registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            provider_id = env["mlm.telephony.provider"].create({"name": "Concurrency PBX"}).id
        update = {
            "call_id": "race-1",
            "direction": "inbound",
            "caller": "77010000001",
            "callee": "100",
            "status": "ringing",
        }
        try:
            with registry.cursor() as cr1, registry.cursor() as cr2:
                env1 = api.Environment(cr1, SUPERUSER_ID, {})
                env2 = api.Environment(cr2, SUPERUSER_ID, {})
                # Both transactions take their snapshot before either has stored the call.
                env1["mlm.telephony.provider"].browse(provider_id).name  # noqa: B018
                env2["mlm.telephony.provider"].browse(provider_id).name  # noqa: B018
                env1["mlm.telephony.provider"].browse(provider_id)._upsert_calls([update])
                cr1.commit()
                with self.assertRaises(psycopg2.errors.SerializationFailure):
                    env2["mlm.telephony.provider"].browse(provider_id)._upsert_calls([update])
                cr2.rollback()
                # What Odoo's retry does: a new snapshot sees the call and updates it.
                env2.invalidate_all()
                env2["mlm.telephony.provider"].browse(provider_id)._upsert_calls([dict(update, status="answered")])
                cr2.commit()
                calls = env2["mlm.call"].search([("provider_id", "=", provider_id)])
                self.assertEqual((len(calls), calls.status), (1, "answered"))
        finally:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["mlm.call"].search([("provider_id", "=", provider_id)]).unlink()
                env["mlm.telephony.event"].search([("provider_id", "=", provider_id)]).unlink()
                env["mlm.telephony.provider"].browse(provider_id).unlink()
