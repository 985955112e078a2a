import hashlib
from datetime import datetime

from odoo.tests import BaseCase, tagged

from odoo.addons.mlm_telephony.tools import smsc, telegram
from odoo.addons.mlm_telephony.tools.phone import phone_key
from odoo.addons.mlm_telephony.tools.providers import (
    IToolabsProvider,
    WebhookRequest,
    ZadarmaProvider,
    zadarma_signature,
)


@tagged("post_install", "-at_install")
class TestTools(BaseCase):
    def test_phone_keys(self):
        cases = [
            ("8 (701) 123-45-67", "KZ", "77011234567"),
            ("+7 701 123 4567", None, "77011234567"),
            ("87011234567", "RU", "77011234567"),
            ("0034 612 345 678", "KZ", "34612345678"),
            ("612345678", "ES", "34612345678"),
            ("101", "KZ", "101"),
            ("", "KZ", ""),
        ]
        for number, region, expected in cases:
            with self.subTest(number=number):
                self.assertEqual(phone_key(number, region), expected)

    def test_zadarma_signature_is_base64_of_hex_digest(self):
        # PHP: base64_encode(hash_hmac('sha1', '79161234567' . '74951234567' . '2026-01-01 10:00:00', 'secret'))
        self.assertEqual(
            zadarma_signature("secret", "79161234567749512345672026-01-01 10:00:00"),
            "YTg5YjBkMGVhOWU2YTRlMWM3MjE0YTA1MjJjNjBkMGU4ZWY3NjI1Mw==",
        )

    def test_zadarma_unknown_event_is_refused(self):
        provider = ZadarmaProvider({"api_secret": "secret"})
        request = WebhookRequest("POST", {"Signature": "x"}, {"event": "NOTIFY_SOMETHING"})
        self.assertFalse(provider.verify_webhook(request))

    def test_itoolabs_history_statuses(self):
        provider = IToolabsProvider({"webhook_token": "t"})
        base = {
            "cmd": "history",
            "phone": "77019876543",
            "ext": "101",
            "start": "20260101T101500Z",
            "duration": "0",
            "callid": "c1",
        }
        expectations = [
            ({"type": "out", "status": "Busy"}, ("outbound", "busy")),
            ({"type": "out", "status": "Cancel"}, ("outbound", "no_answer")),
            ({"type": "in", "status": "NotAvailable"}, ("inbound", "failed")),
            ({"type": "missed", "status": "missed"}, ("inbound", "missed")),
        ]
        for extra, (direction, status) in expectations:
            with self.subTest(**extra):
                update = provider.parse_webhook(WebhookRequest("POST", {}, {**base, **extra})).updates[0]
                self.assertEqual((update["direction"], update["status"]), (direction, status))
                self.assertEqual(update["start"], datetime(2026, 1, 1, 10, 15))

    def test_smsc_delivery_statuses(self):
        self.assertEqual(smsc.status_to_sms_state("1"), ("sent", False))
        self.assertEqual(smsc.status_to_sms_state("0"), ("pending", False))
        self.assertEqual(smsc.status_to_sms_state("20"), ("error", "sms_not_delivered"))
        self.assertEqual(smsc.status_to_sms_state("22"), ("error", "sms_invalid_destination"))
        self.assertIsNone(smsc.status_to_sms_state("abc"))

    def test_zadarma_answer_and_record_notifications(self):
        provider = ZadarmaProvider({"api_secret": "secret"})
        now = datetime(2026, 1, 1, 10, 0, 30)
        answer = provider.parse_webhook(
            WebhookRequest(
                "POST",
                {},
                {
                    "event": "NOTIFY_ANSWER",
                    "call_start": "2026-01-01 10:00:00",
                    "pbx_call_id": "in_1",
                    "caller_id": "77011234567",
                    "destination": "101",
                },
                received_at=now,
            )
        )
        # De-duplicated on what Zadarma signs (caller_id, destination, call_start), not on pbx_call_id.
        signed = hashlib.sha256(b"770112345671012026-01-01 10:00:00").hexdigest()
        self.assertEqual(answer.event_key, f"zadarma:NOTIFY_ANSWER:{signed}")
        self.assertEqual(answer.call_binding, (f"zadarma-call:caller_id+destination+call_start:{signed}", "in_1"))
        update = answer.updates[0]
        self.assertEqual(
            (update["status"], update["extension"], update["answer"], update["start"]),
            ("answered", "101", now, datetime(2026, 1, 1, 10, 0)),
        )
        record = provider.parse_webhook(
            WebhookRequest(
                "POST",
                {},
                {
                    "event": "NOTIFY_RECORD",
                    "pbx_call_id": "in_1",
                    "call_id_with_rec": "1700.5",
                },
            )
        )
        self.assertEqual(record.event_key, "zadarma:NOTIFY_RECORD:" + hashlib.sha256(b"in_11700.5").hexdigest())
        self.assertIsNone(record.call_binding, "pbx_call_id is signed in NOTIFY_RECORD")
        self.assertEqual((record.updates[0]["call_id"], record.updates[0]["recording_ref"]), ("in_1", "1700.5"))
        self.assertIsNone(record.updates[0]["status"], "a recording notice leaves the call's status alone")

    def test_itoolabs_event_direction(self):
        provider = IToolabsProvider({"webhook_token": "t"})
        base = {"cmd": "event", "phone": "77019876543", "ext": "101", "callid": "c2"}
        accepted_out = provider.parse_webhook(WebhookRequest("POST", {}, dict(base, type="ACCEPTED", direction="out")))
        update = accepted_out.updates[0]
        self.assertEqual(
            (update["direction"], update["caller"], update["callee"], update["status"]),
            ("outbound", "101", "77019876543", "answered"),
        )
        # An older PBX without "direction": an ACCEPTED event does not guess which end is the client.
        update = provider.parse_webhook(WebhookRequest("POST", {}, dict(base, type="ACCEPTED"))).updates[0]
        self.assertEqual((update["direction"], update["caller"], update["callee"]), (None, None, None))
        update = provider.parse_webhook(WebhookRequest("POST", {}, dict(base, type="OUTGOING"))).updates[0]
        self.assertEqual((update["direction"], update["caller"]), ("outbound", "101"))

    def test_telegram_update_parsing(self):
        update = telegram.parse_update(
            {
                "update_id": 7,
                "message": {
                    "chat": {"id": 42, "type": "private"},
                    "from": {"id": 42, "first_name": "Aigul", "last_name": "S", "username": "aigul"},
                    "text": "/start@acme_bot  AbC-123_xyz0123456789",
                },
            }
        )
        self.assertEqual(
            (update.update_id, update.chat_id, update.command, update.argument, update.name),
            (7, 42, "start", "AbC-123_xyz0123456789", "Aigul S"),
        )
        self.assertIsNone(telegram.parse_update({"message": {}}), "no update_id: not an update")
        self.assertIsNone(telegram.parse_update(["update_id"]))
        plain = telegram.parse_update({"update_id": 8, "message": {"chat": {"id": 1, "type": "private"}, "text": "hi"}})
        self.assertIsNone(plain.command)
        self.assertFalse(telegram.check_secret("a", "b"))
        self.assertFalse(telegram.check_secret(None, "b"))
        self.assertTrue(telegram.check_secret("same-secret", "same-secret"))

    def test_telegram_rate_limiter(self):
        now = [100.0]
        slept = []

        def sleep(seconds):
            slept.append(seconds)
            now[0] += seconds

        limiter = telegram.RateLimiter(4, clock=lambda: now[0], sleep=sleep)
        for _i in range(12):
            limiter.acquire()
        # The first at once, then one every 0.25 s: 11 waits, 2.75 s; never more than 4 in any second.
        self.assertEqual(len(slept), 11)
        self.assertAlmostEqual(sum(slept), 2.75)
        self.assertAlmostEqual(now[0], 102.75)
        now[0] += 10  # after a pause no burst is saved up: the second one waits again
        limiter.acquire()
        self.assertEqual(len(slept), 11)
        limiter.acquire()
        self.assertEqual(len(slept), 12)
        self.assertAlmostEqual(slept[-1], 0.25)
