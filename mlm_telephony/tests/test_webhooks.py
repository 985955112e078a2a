import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from .common import MlmTelephonyCommon
from .http_peer import HttpTestPeer


def zadarma_sign(secret, *parts):
    digest = hmac.new(secret.encode(), "".join(parts).encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(digest.encode()).decode()


@tagged("post_install", "-at_install")
class TestWebhooks(MlmTelephonyCommon, HttpCase):
    """Webhooks over real HTTP: valid and forged signatures, replays, duplicates."""

    def post(self, provider, data, headers=None, path="webhook"):
        return self.url_open(f"/mlm_telephony/{path}/{provider.id}", data=data, headers=headers or {})

    def calls(self, provider):
        self.env.invalidate_all()
        return self.env["mlm.call"].search([("provider_id", "=", provider.id)])

    # ------------------------------------------------------------------ Zadarma
    def zadarma_start(self, minutes_ago=0):
        local = datetime.now(ZoneInfo("Asia/Almaty")) - timedelta(minutes=minutes_ago)
        return local.strftime("%Y-%m-%d %H:%M:%S")

    def test_zadarma_echo(self):
        response = self.url_open(f"/mlm_telephony/webhook/{self.zadarma.id}?zd_echo=a1B2c3")
        self.assertEqual((response.status_code, response.text), (200, "a1B2c3"))
        response = self.url_open(f"/mlm_telephony/webhook/{self.zadarma.id}?zd_echo=%3Cscript%3E")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.url_open("/mlm_telephony/webhook/999999?zd_echo=x").status_code, 404)

    def test_zadarma_call_flow_signatures_and_replays(self):
        start = self.zadarma_start()
        caller, did = "+77011234567", "77272000000"
        notify_start = {
            "event": "NOTIFY_START",
            "call_start": start,
            "pbx_call_id": "in_abc123",
            "caller_id": caller,
            "called_did": did,
        }
        forged = self.post(
            self.zadarma, notify_start, {"Signature": zadarma_sign("not-the-secret", caller, did, start)}
        )
        self.assertEqual(forged.status_code, 403)
        self.assertFalse(self.calls(self.zadarma), "nothing stored from a forged notification")
        unsigned = self.post(self.zadarma, notify_start)
        self.assertEqual(unsigned.status_code, 403)

        ok = self.post(self.zadarma, notify_start, {"Signature": zadarma_sign("zd-secret", caller, did, start)})
        self.assertEqual(ok.status_code, 200, ok.text)
        call = self.calls(self.zadarma)
        self.assertRecordValues(
            call,
            [
                {
                    "status": "ringing",
                    "direction": "inbound",
                    "partner_id": self.alice.partner_id.id,
                    "external_number": "77011234567",
                }
            ],
        )
        # Almaty is UTC+5: the call start is stored in UTC.
        self.assertEqual(call.start, datetime.strptime(start, "%Y-%m-%d %H:%M:%S") - timedelta(hours=5))

        notify_end = {
            "event": "NOTIFY_END",
            "call_start": start,
            "pbx_call_id": "in_abc123",
            "caller_id": caller,
            "called_did": did,
            "internal": "101",
            "duration": "95",
            "disposition": "answered",
            "status_code": "16",
            "is_recorded": "1",
            "call_id_with_rec": "1700000000.777",
        }
        signature = {"Signature": zadarma_sign("zd-secret", caller, did, start)}
        self.assertEqual(self.post(self.zadarma, notify_end, signature).status_code, 200)
        replay = self.post(self.zadarma, notify_end, signature)
        self.assertEqual((replay.status_code, replay.json()), (200, {"status": "duplicate"}))
        tampered = dict(notify_end, duration="5")  # duration is not signed by Zadarma: the replay key still holds
        self.assertEqual(self.post(self.zadarma, tampered, signature).json(), {"status": "duplicate"})

        call = self.calls(self.zadarma)
        self.assertRecordValues(
            call,
            [
                {
                    "status": "answered",
                    "is_final": True,
                    "duration": 95,
                    "extension": "101",
                    "user_id": self.operator.id,
                    "recording_ref": "1700000000.777",
                }
            ],
        )
        notes = self.alice.partner_id.message_ids.filtered(lambda m: "talk time 1:35" in (m.body or ""))
        self.assertEqual(len(notes), 1, "the replay logged nothing twice")

    def test_zadarma_stale_and_outbound(self):
        old = self.zadarma_start(minutes_ago=60 * 30)
        params = {
            "event": "NOTIFY_OUT_START",
            "call_start": old,
            "pbx_call_id": "out_1",
            "internal": "101",
            "destination": "87019876543",
        }
        stale = self.post(self.zadarma, params, {"Signature": zadarma_sign("zd-secret", "101", "87019876543", old)})
        self.assertEqual((stale.status_code, stale.json()), (403, {"error": "stale"}))
        start = self.zadarma_start()
        end = {
            "event": "NOTIFY_OUT_END",
            "call_start": start,
            "pbx_call_id": "out_2",
            "internal": "101",
            "destination": "87019876543",
            "duration": "0",
            "disposition": "busy",
            "is_recorded": "0",
        }
        response = self.post(self.zadarma, end, {"Signature": zadarma_sign("zd-secret", "101", "87019876543", start)})
        self.assertEqual(response.status_code, 200)
        self.assertRecordValues(
            self.calls(self.zadarma),
            [
                {
                    "provider_call_id": "out_2",
                    "direction": "outbound",
                    "status": "busy",
                    "partner_id": self.customer.id,
                    "user_id": self.operator.id,
                }
            ],
        )

    def test_zadarma_click_to_call_signs_api_request(self):
        with HttpTestPeer(lambda r: (200, {"status": "success", "from": 101, "to": 77019876543})) as api:
            self.zadarma.api_url = api.url
            self.operator.mlm_telephony_provider_id = self.zadarma
            self.customer.with_user(self.operator).action_mlm_call_mobile()
        request = api.requests[0]
        self.assertEqual(request["path"], "/v1/request/callback/")
        self.assertEqual(request["query"], {"format": "json", "from": "101", "to": "77019876543"})
        query = "format=json&from=101&to=77019876543"
        expected = "zd-key:" + zadarma_sign(
            "zd-secret", "/v1/request/callback/", query, hashlib.md5(query.encode()).hexdigest()
        )
        self.assertEqual(request["headers"]["Authorization"], expected)

    # ------------------------------------------------------------------ ITooLabs / MegaFon
    def test_itoolabs_events_history_contact(self):
        token = "crm-token-0123456789abcdef"
        start = fields.Datetime.now().replace(microsecond=0) - timedelta(minutes=10)
        incoming = {
            "cmd": "event",
            "type": "INCOMING",
            "phone": "77019876543",
            "diversion": "77272000000",
            "user": "aigul",
            "ext": "101",
            "callid": "mf-1",
            "crm_token": token,
        }
        self.assertEqual(self.post(self.itoolabs, dict(incoming, crm_token="wrong")).status_code, 403)
        self.assertEqual(
            self.post(self.itoolabs, {k: v for k, v in incoming.items() if k != "crm_token"}).status_code, 403
        )
        self.assertEqual(self.post(self.itoolabs, incoming).status_code, 200)
        self.assertRecordValues(self.calls(self.itoolabs), [{"status": "ringing", "partner_id": self.customer.id}])

        history = {
            "cmd": "history",
            "type": "in",
            "status": "Success",
            "phone": "77019876543",
            "user": "aigul",
            "ext": "101",
            "start": start.strftime("%Y%m%dT%H%M%SZ"),  # UTC, within the replay window
            "duration": "42",
            "callid": "mf-1",
            "link": "https://records.megapbx.ru/rec/mf-1.mp3",
            "crm_token": token,
        }
        self.assertEqual(self.post(self.itoolabs, history).status_code, 200)
        self.assertEqual(self.post(self.itoolabs, history).json(), {"status": "duplicate"})
        logged = self.env["mlm.telephony.event"].search([("provider_id", "=", self.itoolabs.id)])
        self.assertEqual(sorted(logged.mapped("key")), ["call:mf-1", "event:INCOMING:mf-1", "history:mf-1"])
        self.assertTrue(all("crm_token" not in (event.payload or "") for event in logged), "the token is not logged")
        self.assertRecordValues(
            self.calls(self.itoolabs),
            [
                {
                    "status": "answered",
                    "is_final": True,
                    "duration": 42,
                    "user_id": self.operator.id,
                    "start": start,
                    "end": start + timedelta(seconds=42),
                    "recording_url": "https://records.megapbx.ru/rec/mf-1.mp3",
                }
            ],
        )

        missed = dict(history, type="missed", status="missed", duration="0", callid="mf-2", link="")
        self.assertEqual(self.post(self.itoolabs, missed).status_code, 200)
        call = self.calls(self.itoolabs).filtered(lambda c: c.provider_call_id == "mf-2")
        self.assertEqual((call.status, len(call.activity_ids)), ("missed", 1))

        contact = self.post(
            self.itoolabs, {"cmd": "contact", "phone": "77011234567", "callid": "mf-3", "crm_token": token}
        )
        self.assertEqual(contact.json(), {"contact_name": self.alice.partner_id.display_name, "responsible": "aigul"})

    def test_itoolabs_make_call(self):
        answers = iter([(200, {"uuid": "c0ffee"}), (401, {"error": "Invalid token"})])
        with HttpTestPeer(lambda r: next(answers)) as api:
            # The PBX's address as shown in its cabinet; the command path is added.
            self.itoolabs.api_url = api.url
            self.operator.mlm_telephony_provider_id = self.itoolabs
            self.alice.with_user(self.operator).action_mlm_call()
            with self.assertRaisesRegex(UserError, "HTTP 401: Invalid token"):
                self.alice.with_user(self.operator).action_mlm_call()
        self.assertEqual(api.requests[0]["path"], "/sys/crm_api.wcgp")
        self.assertEqual(
            api.requests[0]["form"], {"cmd": "makeCall", "phone": "77011234567", "user": "aigul", "token": "ats-key"}
        )

    def test_itoolabs_outbound_events_keep_their_direction(self):
        token = "crm-token-0123456789abcdef"
        base = {"cmd": "event", "phone": "77019876543", "user": "aigul", "ext": "101", "callid": "mf-out"}
        for kind in ("OUTGOING", "ACCEPTED"):
            response = self.post(self.itoolabs, dict(base, type=kind, direction="out", crm_token=token))
            self.assertEqual(response.status_code, 200, response.text)
        self.assertRecordValues(
            self.calls(self.itoolabs),
            [
                {
                    "direction": "outbound",
                    "status": "answered",
                    "caller_number": "101",
                    "callee_number": "77019876543",
                    "external_number": "77019876543",
                    "partner_id": self.customer.id,
                }
            ],
        )

    # ------------------------------------------------------------------ caller ID
    def test_caller_id_endpoint(self):
        url = f"/mlm_telephony/caller_id/{self.asterisk.id}?number=87011234567"
        self.assertEqual(self.url_open(url).status_code, 403)
        self.assertEqual(self.url_open(url, headers={"X-Mlm-Token": "wrong-token-000000000"}).status_code, 403)
        response = self.url_open(url, headers={"X-Mlm-Token": "asterisk-token-0123456789"})
        self.assertEqual(response.status_code, 200)
        data = response.json()
        self.assertEqual(
            (data["name"], data["distributor_code"], data["rank"], data["responsible_extension"]),
            (self.alice.partner_id.display_name, self.alice.code, "Silver", "101"),
        )
        text = self.url_open(url + "&format=text&token=asterisk-token-0123456789")
        self.assertEqual(text.text, self.alice.partner_id.display_name)

    # ------------------------------------------------------------------ SMS delivery reports
    def test_sms_status_callback(self):
        gateway = self.env["mlm.sms.gateway"].create(
            {"name": "SMSC", "login": "l", "password": "p", "callback_token": "cb-token-0123456789abcdef"}
        )
        with HttpTestPeer(lambda r: (200, {"id": r["form"]["id"], "cnt": 1})) as api:
            gateway.api_url = api.url + "/sys/send.php"
            self.customer._message_sms("Your order is ready", partner_ids=self.customer.ids)  # sent at once
        sent = api.requests[0]["form"]
        self.assertEqual(
            (sent["phones"], sent["mes"], sent["login"], sent["psw"], sent["fmt"]),
            ("77019876543", "Your order is ready", "l", "p", "3"),
        )
        # SMSC message ids are 32-bit integers (1..2147483647), not Odoo's hexadecimal SMS uuids.
        self.assertTrue(sent["id"].isdigit() and 1 <= int(sent["id"]) <= 2147483647, sent["id"])
        notification = self.env["mail.notification"].search(
            [("res_partner_id", "=", self.customer.id), ("notification_type", "=", "sms")]
        )
        self.assertEqual(notification.notification_status, "pending")
        report = {"id": sent["id"], "phone": "77019876543", "status": "1"}
        self.assertEqual(self.url_open("/mlm_telephony/sms/status/not-the-token-000000", data=report).status_code, 403)
        response = self.url_open("/mlm_telephony/sms/status/cb-token-0123456789abcdef", data=report)
        self.assertEqual((response.status_code, response.text), (200, "OK"))
        self.env.invalidate_all()
        self.assertEqual(notification.notification_status, "sent")
        unknown = self.url_open("/mlm_telephony/sms/status/cb-token-0123456789abcdef", data=dict(report, id="nope"))
        self.assertEqual(unknown.text, "UNKNOWN")
        self.assertTrue(json.dumps(report))
