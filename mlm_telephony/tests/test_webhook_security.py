"""Webhook authentication of every provider over real HTTP (issue 12, holes 5 and 6).

For each provider: no secret configured, empty signature or token, wrong signature, replays with changed unsigned
fields, stale timestamps. Each refusal is checked by its HTTP answer and by what is stored (calls, events)."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from odoo import fields
from odoo.tests import HttpCase, tagged

from .common import MlmTelephonyCommon
from .test_webhooks import zadarma_sign

CALLER, DID = "+77011234567", "77272000000"
CRM_TOKEN = "crm-token-0123456789abcdef"


@tagged("post_install", "-at_install")
class TestWebhookSecurity(MlmTelephonyCommon, HttpCase):
    def post(self, provider, data, headers=None, path="webhook"):
        return self.url_open(f"/mlm_telephony/{path}/{provider.id}", data=data, headers=headers or {})

    def calls(self, provider):
        self.env.invalidate_all()
        return self.env["mlm.call"].search([("provider_id", "=", provider.id)])

    def events(self, provider):
        self.env.invalidate_all()
        return self.env["mlm.telephony.event"].search([("provider_id", "=", provider.id)])

    @staticmethod
    def almaty(minutes_ago=0):
        local = datetime.now(ZoneInfo("Asia/Almaty")) - timedelta(minutes=minutes_ago)
        return local.strftime("%Y-%m-%d %H:%M:%S")

    def notify_start(self, start=None, call_id="in_sec_1"):
        return {
            "event": "NOTIFY_START",
            "call_start": self.almaty() if start is None else start,
            "pbx_call_id": call_id,
            "caller_id": CALLER,
            "called_did": DID,
        }

    def signed(self, params, secret="zd-secret"):
        return {"Signature": zadarma_sign(secret, params["caller_id"], params["called_did"], params["call_start"])}

    @staticmethod
    def utc_stamp(minutes_ago=0):
        return (fields.Datetime.now() - timedelta(minutes=minutes_ago)).strftime("%Y%m%dT%H%M%SZ")

    # ------------------------------------------------------------------ no secret configured
    def test_zadarma_without_api_secret_refuses_webhooks(self):
        self.assertFalse(self.zadarma.webhook_secret_missing)
        self.zadarma.api_secret = False
        self.assertTrue(self.zadarma.webhook_secret_missing, "the form warns that webhooks are refused")
        params = self.notify_start()
        # What today's main accepted: a signature computed with the empty key.
        response = self.post(self.zadarma, params, self.signed(params, secret=""))
        self.assertEqual((response.status_code, response.json()), (403, {"error": "forbidden"}))
        self.assertEqual(self.post(self.zadarma, params, {"Signature": ""}).status_code, 403)
        self.assertEqual(self.post(self.zadarma, params).status_code, 403)
        self.assertFalse(self.calls(self.zadarma))
        self.assertFalse(self.events(self.zadarma))

    def test_itoolabs_without_token_refuses_webhooks(self):
        self.itoolabs.webhook_token = False
        self.assertTrue(self.itoolabs.webhook_secret_missing)
        event = {"cmd": "event", "type": "INCOMING", "phone": "77019876543", "ext": "101", "callid": "mf-sec-0"}
        for token in ("", None, CRM_TOKEN):
            data = dict(event, crm_token=token) if token is not None else event
            with self.subTest(token=token):
                self.assertEqual(self.post(self.itoolabs, data).status_code, 403)
        self.assertFalse(self.calls(self.itoolabs))

    def test_generic_webhook_and_caller_id_without_token_refused(self):
        self.asterisk.webhook_token = False
        self.assertTrue(self.asterisk.webhook_secret_missing)
        for path in ("caller_id", "webhook"):
            with self.subTest(path=path):
                url = f"/mlm_telephony/{path}/{self.asterisk.id}?number=87011234567&token="
                self.assertEqual(self.url_open(url, headers={"X-Mlm-Token": ""}).status_code, 403)
                self.assertEqual(self.url_open(url).status_code, 403)

    def test_telegram_without_secret_refuses_updates(self):
        bot = self.env["mlm.telegram.bot"].create({"name": "No secret bot", "bot_token": "1:x"})
        bot.webhook_secret = False
        update = {"update_id": 1, "message": {"message_id": 1, "chat": {"id": 5, "type": "private"}, "text": "/stop"}}
        for secret in ("", None):
            headers = {"Content-Type": "application/json"}
            if secret is not None:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret
            with self.subTest(secret=secret):
                response = self.url_open(f"/mlm_telephony/telegram/{bot.id}", data=json.dumps(update), headers=headers)
                self.assertEqual(response.status_code, 403)
        self.assertFalse(self.env["mlm.telegram.update"].search([("bot_id", "=", bot.id)]))

    def test_provider_form_warns_without_secret(self):
        arch = self.env["mlm.telephony.provider"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="webhook_secret_alert"', arch)
        self.assertIn("every webhook of", arch)

    # ------------------------------------------------------------------ Zadarma: signature
    def test_zadarma_empty_and_wrong_signatures_refused(self):
        params = self.notify_start()
        for headers in ({}, {"Signature": ""}, self.signed(params, secret="not-the-secret"), {"Signature": "x" * 56}):
            with self.subTest(headers=headers):
                self.assertEqual(self.post(self.zadarma, params, headers).status_code, 403)
        # A signature of other values does not cover these.
        other = dict(params, caller_id="+77019999999")
        self.assertEqual(self.post(self.zadarma, params, self.signed(other)).status_code, 403)
        self.assertFalse(self.calls(self.zadarma))

    # ------------------------------------------------------------------ Zadarma: replays
    def test_zadarma_replay_with_new_call_id_creates_no_call(self):
        params = self.notify_start()
        headers = self.signed(params)
        self.assertEqual(self.post(self.zadarma, params, headers).json()["status"], "ok")
        self.assertEqual(self.calls(self.zadarma).provider_call_id, "in_sec_1")

        # The same request again (a retry or a replay): ignored.
        self.assertEqual(self.post(self.zadarma, params, headers).json(), {"status": "duplicate"})
        # Characters moved from one signed field to the next keep the signature: still the same notification.
        shifted = dict(params, caller_id=CALLER[:-2], called_did=CALLER[-2:] + DID)
        self.assertEqual(self.post(self.zadarma, shifted, headers).json(), {"status": "duplicate"})
        # The captured request with another pbx_call_id (not signed by Zadarma): refused.
        for call_id in ("in_sec_2", ""):
            replay = self.post(self.zadarma, dict(params, pbx_call_id=call_id), headers)
            self.assertEqual((replay.status_code, replay.json()), (403, {"error": "replay"}))
        shifted = dict(shifted, pbx_call_id="in_sec_3")
        self.assertEqual(self.post(self.zadarma, shifted, headers).json(), {"error": "replay"})
        # The event name is not signed either: the same values as another event cannot name another call.
        as_end = dict(params, event="NOTIFY_END", pbx_call_id="in_sec_4", disposition="answered", duration="600")
        response = self.post(self.zadarma, as_end, headers)
        self.assertEqual((response.status_code, response.json()), (403, {"error": "replay"}))

        self.assertRecordValues(self.calls(self.zadarma), [{"provider_call_id": "in_sec_1", "status": "ringing"}])

        # The genuine end of the call (same id, same signed values) is still applied once.
        end = dict(params, event="NOTIFY_END", internal="101", duration="30", disposition="answered")
        self.assertEqual(self.post(self.zadarma, end, headers).json()["status"], "ok")
        self.assertEqual(self.post(self.zadarma, dict(end, duration="3000"), headers).json()["status"], "duplicate")
        self.assertRecordValues(
            self.calls(self.zadarma),
            [{"provider_call_id": "in_sec_1", "status": "answered", "duration": 30, "is_final": True}],
        )

    def test_zadarma_stale_future_or_undated_refused(self):
        cases = {
            "two days old": self.almaty(minutes_ago=60 * 48),
            "two days ahead": self.almaty(minutes_ago=-60 * 48),
            "undated": "",
            "not a date": "yesterday",
        }
        for label, start in cases.items():
            with self.subTest(label):
                params = self.notify_start(start=start, call_id=f"stale-{len(start)}")
                response = self.post(self.zadarma, params, self.signed(params))
                self.assertEqual((response.status_code, response.json()), (403, {"error": "stale"}))
        self.assertFalse(self.calls(self.zadarma))
        # The window is the provider's setting.
        self.zadarma.replay_window = 600
        params = self.notify_start(start=self.almaty(minutes_ago=15))
        self.assertEqual(self.post(self.zadarma, params, self.signed(params)).status_code, 403)
        params = self.notify_start(start=self.almaty(minutes_ago=5))
        self.assertEqual(self.post(self.zadarma, params, self.signed(params)).status_code, 200)
        self.assertEqual(len(self.calls(self.zadarma)), 1)

    # ------------------------------------------------------------------ ITooLabs / MegaFon
    def history(self, **values):
        return {
            "cmd": "history",
            "type": "in",
            "status": "Success",
            "phone": "77019876543",
            "user": "aigul",
            "ext": "101",
            "start": self.utc_stamp(minutes_ago=5),
            "duration": "42",
            "callid": "mf-sec-1",
            "crm_token": CRM_TOKEN,
            **values,
        }

    def test_itoolabs_empty_and_wrong_token_refused(self):
        for token in ("", "crm-token-0123456789abcdeX", CRM_TOKEN.upper()):
            with self.subTest(token=token):
                self.assertEqual(self.post(self.itoolabs, self.history(crm_token=token)).status_code, 403)
        self.assertFalse(self.calls(self.itoolabs))

    def test_itoolabs_replay_with_changed_fields_ignored(self):
        self.assertEqual(self.post(self.itoolabs, self.history()).json()["status"], "ok")
        for changed in ({"duration": "4200"}, {"type": "missed", "status": "missed"}, {"status": "Busy"}):
            with self.subTest(**changed):
                self.assertEqual(self.post(self.itoolabs, self.history(**changed)).json(), {"status": "duplicate"})
        event = {"cmd": "event", "type": "ACCEPTED", "phone": "77019876543", "ext": "101", "callid": "mf-sec-1"}
        self.assertEqual(self.post(self.itoolabs, dict(event, crm_token=CRM_TOKEN)).json()["status"], "ok")
        self.assertEqual(
            self.post(self.itoolabs, dict(event, crm_token=CRM_TOKEN, ext="102")).json(), {"status": "duplicate"}
        )
        self.assertRecordValues(
            self.calls(self.itoolabs),
            [{"provider_call_id": "mf-sec-1", "status": "answered", "duration": 42, "extension": "101"}],
        )

    def test_itoolabs_stale_history_refused(self):
        for start in (self.utc_stamp(minutes_ago=60 * 48), self.utc_stamp(minutes_ago=-60 * 48), "", "garbage"):
            with self.subTest(start=start):
                response = self.post(self.itoolabs, self.history(start=start, callid=f"mf-old-{len(start)}"))
                self.assertEqual((response.status_code, response.json()), (403, {"error": "stale"}))
        self.assertFalse(self.calls(self.itoolabs))
