import json
from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo.tests import HttpCase, tagged

from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs

from .common import MlmTelephonyCommon
from .http_peer import HttpTestPeer

SECRET = "tg-secret-0123456789_abc"
TOKEN = "123456:TEST-token"


class TelegramBotApiPeer(HttpTestPeer):
    """A local stand-in for api.telegram.org following the Bot API's documented answers.

    ``behaviour`` maps a chat id to a list of outcomes consumed one per ``sendMessage`` (the last one repeats):
    ``"ok"``, ``"flood"`` (429 with ``retry_after``), ``"blocked"`` (403), ``"down"`` (502 without JSON)."""

    def __init__(self, behaviour):
        self.behaviour = {chat: list(outcomes) for chat, outcomes in behaviour.items()}
        self.next_message_id = 500
        super().__init__(self._answer)

    def _answer(self, request):
        method = request["path"].rsplit("/", 1)[-1]
        if request["path"] != f"/bot{TOKEN}/{method}":
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        if method != "sendMessage":
            return 200, {"ok": True, "result": True}
        payload = request["json"] or {}
        outcomes = self.behaviour.get(str(payload.get("chat_id")), ["ok"])
        outcome = outcomes.pop(0) if len(outcomes) > 1 else outcomes[0]
        if outcome == "flood":
            return 429, {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 7",
                "parameters": {"retry_after": 7},
            }
        if outcome == "blocked":
            return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        if outcome == "down":
            return 502, b"<html>Bad Gateway</html>"
        self.next_message_id += 1
        chat = {"id": payload["chat_id"], "type": "private"}
        return 200, {"ok": True, "result": {"message_id": self.next_message_id, "chat": chat, "text": payload["text"]}}

    def sent_to(self, chat_id):
        return [r for r in self.requests if (r["json"] or {}).get("chat_id") == chat_id]


class TelegramCommon(MlmTelephonyCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bot = cls.env["mlm.telegram.bot"].create(
            {
                "name": "Network bot",
                "bot_username": "acme_network_bot",
                "bot_token": TOKEN,
                "webhook_secret": SECRET,
                "rate_limit": 1000,
            }
        )
        cls.segment = cls.env["mlm.distributor.segment"].create(
            {"name": "Alice's team", "leg_of_id": cls.alice.id, "status": "active"}
        )

    @classmethod
    def link(cls, distributor, chat_id, state="active"):
        return cls.env["mlm.telegram.chat"].create(
            {"bot_id": cls.bot.id, "chat_id": str(chat_id), "partner_id": distributor.partner_id.id, "state": state}
        )


@tagged("post_install", "-at_install")
class TestTelegramWebhook(TelegramCommon, HttpCase):
    """The bot's webhook over real HTTP: secret header, /start <token>, /stop, duplicates."""

    def update(self, update_id, text, chat_id=4242, chat_type="private", secret=SECRET):
        body = {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": 1767225600,
                "from": {"id": chat_id, "is_bot": False, "first_name": "Alice", "username": "alice_kz"},
                "chat": {"id": chat_id, "type": chat_type},
                "text": text,
            },
        }
        headers = {"Content-Type": "application/json"}
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return self.url_open(f"/mlm_telephony/telegram/{self.bot.id}", data=json.dumps(body), headers=headers)

    def chats(self):
        self.env.invalidate_all()
        return self.env["mlm.telegram.chat"].search([("bot_id", "=", self.bot.id)])

    def test_start_stop_forged_and_duplicates(self):
        partner = self.alice.partner_id
        partner._mlm_ensure_telegram_tokens()
        token = partner.mlm_telegram_token
        self.assertEqual(partner.mlm_telegram_link, f"https://t.me/acme_network_bot?start={token}")

        self.assertEqual(self.update(1001, f"/start {token}", secret="not-the-secret").status_code, 403)
        self.assertEqual(self.update(1001, f"/start {token}", secret=None).status_code, 403)
        self.assertFalse(self.chats(), "nothing is linked by a forged update")

        response = self.update(1001, f"/start {token}")
        self.assertEqual(response.status_code, 200, response.text)
        answer = response.json()
        self.assertEqual((answer["method"], answer["chat_id"]), ("sendMessage", 4242))
        self.assertIn("Alice", answer["text"])
        self.assertRecordValues(
            self.chats(),
            [{"chat_id": "4242", "partner_id": partner.id, "distributor_id": self.alice.id, "state": "active"}],
        )
        self.assertEqual(self.chats().username, "alice_kz")

        # Telegram redelivers update 1001 (no answer in time): ignored, even with another text.
        duplicate = self.update(1001, "/stop")
        self.assertEqual((duplicate.status_code, duplicate.json()), (200, {}))
        self.assertEqual(self.chats().state, "active")

        bad = self.update(1002, "/start not-a-valid-token-at-all", chat_id=777)
        self.assertIn("not valid", bad.json()["text"])
        self.assertEqual(len(self.chats()), 1, "an unknown token links nothing")
        group = self.update(1003, f"/start {token}", chat_id=-100555, chat_type="group")
        self.assertEqual((group.status_code, group.json()), (200, {}))
        self.assertEqual(len(self.chats()), 1, "group chats are not linked")

        stop = self.update(1004, "/stop")
        self.assertIn("/start", stop.json()["text"])
        self.assertRecordValues(self.chats(), [{"state": "stopped", "stop_reason": "user"}])
        self.update(1005, f"/start {token}")
        self.assertRecordValues(self.chats(), [{"state": "active", "stop_reason": False}])

        garbage = self.url_open(
            f"/mlm_telephony/telegram/{self.bot.id}",
            data="not json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"},
        )
        self.assertEqual(garbage.status_code, 400)
        self.assertEqual(self.url_open("/mlm_telephony/telegram/999999", data="{}").status_code, 404)
        # Read as a telephony manager: the multi-company rule applies, so the company must be stored.
        received = self.env["mlm.telegram.update"].with_user(self.tel_manager).search([("bot_id", "=", self.bot.id)])
        self.assertEqual(sorted(received.mapped("update_id")), [1001, 1002, 1003, 1004, 1005])

    def test_token_is_admin_only(self):
        fields = self.env["mlm.telegram.bot"].with_user(self.tel_manager).fields_get()
        self.assertNotIn("bot_token", fields)
        self.assertNotIn("webhook_secret", fields)
        self.assertIn("bot_token", self.env["mlm.telegram.bot"].fields_get())


@tagged("post_install", "-at_install")
class TestTelegramMassMessage(TelegramCommon):
    """A mass message to a segment through a local Bot API peer: retries, blocked chats, idempotency."""

    def test_mass_message_is_a_job(self):
        """The button enqueues one job per message (mail channel, one pending job per message) and returns."""
        self.link(self.alice, 11)
        self.link(self.carol, 12)
        mailing = (
            self.env["mlm.telegram.mailing"]
            .with_context(queue_job__no_delay=False)
            .create({"name": "Training", "segment_id": self.segment.id, "body": "Training on Friday at 10:00"})
        )
        with trap_jobs() as trap:
            action = mailing.action_send()
            self.assertEqual(action["tag"], "display_notification")
            self.assertEqual(mailing.state, "sending")
            self.assertFalse(mailing.recipient_ids, "nothing is queued in the request")
            trap.assert_enqueued_job(
                mailing._prepare_job,
                properties={"channel": "root.mlm_mail", "identity_key": f"mlm_telegram_mailing:{mailing.id}"},
            )
            trap.perform_enqueued_jobs()
        self.assertEqual(sorted(mailing.recipient_ids.chat_link_id.mapped("chat_id")), ["11", "12"])
        self.assertEqual(set(mailing.recipient_ids.mapped("state")), {"pending"})

    def test_mass_message_states_retries_and_idempotency(self):
        self.link(self.alice, 11)
        self.link(self.carol, 12)
        self.link(self.carol, 17)  # a second Telegram account of Carol's
        self.link(self.dave, 13, state="stopped")  # sent /stop earlier
        self.link(self.erin, 14)
        self.link(self.bob, 15)  # not in Alice's team
        mailing = self.env["mlm.telegram.mailing"].create(
            {"name": "Training", "segment_id": self.segment.id, "body": "Training on Friday at 10:00"}
        )
        self.assertEqual(mailing.bot_id, self.bot, "the company's bot by default")
        mailing.action_send()
        mailing.action_send()  # a double click queues nobody twice
        messages = mailing.recipient_ids
        self.assertEqual(sorted(messages.chat_link_id.mapped("chat_id")), ["11", "12", "14", "17"])
        self.assertEqual(set(messages.mapped("state")), {"pending"})

        behaviour = {"12": ["flood", "ok"], "14": ["blocked"], "17": ["down"]}
        start = datetime(2026, 3, 2, 9, 0, 0)
        Mailing = self.env["mlm.telegram.mailing"]
        with TelegramBotApiPeer(behaviour) as api:
            self.bot.api_url = api.url
            with freeze_time(start):
                self.assertEqual(Mailing.cron_send(), 4)
                self.assertEqual(Mailing.cron_send(), 0, "nothing is due before the retry time")
            by_chat = {m.chat_link_id.chat_id: m for m in messages}
            self.assertRecordValues(
                by_chat["11"] | by_chat["12"] | by_chat["14"] | by_chat["17"],
                [
                    {"state": "sent", "attempts": 1, "telegram_message_id": "501", "next_attempt": False},
                    {
                        "state": "pending",
                        "attempts": 1,
                        "telegram_message_id": False,
                        "next_attempt": start + timedelta(seconds=7),
                    },
                    {"state": "failed", "attempts": 1, "telegram_message_id": False, "next_attempt": False},
                    {
                        "state": "pending",
                        "attempts": 1,
                        "telegram_message_id": False,
                        "next_attempt": start + timedelta(seconds=30),
                    },
                ],
            )
            self.assertEqual(by_chat["14"].error, "Forbidden: bot was blocked by the user")
            self.assertEqual(by_chat["12"].error, "Too Many Requests: retry after 7")
            self.assertRecordValues(by_chat["14"].chat_link_id, [{"state": "stopped", "stop_reason": "blocked"}])
            with freeze_time(start + timedelta(seconds=8)):
                self.assertEqual(Mailing.cron_send(), 1, "the flood-limited message is due again")
            with freeze_time(start + timedelta(seconds=31)):
                self.assertEqual(Mailing.cron_send(), 1)
            with freeze_time(start + timedelta(seconds=31 + 61)):
                self.assertEqual(Mailing.cron_send(), 1)
                self.assertEqual(Mailing.cron_send(), 0)
            self.assertEqual(len(api.requests), 1 + 2 + 1 + 3)
            self.assertEqual(
                api.sent_to("11")[0]["json"],
                {"chat_id": "11", "text": "Training on Friday at 10:00", "link_preview_options": {"is_disabled": True}},
            )

        self.assertRecordValues(
            by_chat["12"] | by_chat["17"],
            [
                {"state": "sent", "attempts": 2, "error": False},
                {"state": "failed", "attempts": 3, "error": "HTTP 502"},
            ],
        )
        self.assertEqual((mailing.sent_count, mailing.failed_count, mailing.pending_count), (2, 2, 0))
        self.assertEqual(mailing.state, "done")
        mailing.action_send()  # sending a finished message again queues nothing new and sends nothing
        self.assertEqual(len(mailing.recipient_ids), 4)


@tagged("post_install", "-at_install")
class TestTelephonyTour(TelegramCommon, HttpCase):
    """The backend screens in a real browser: calls smart button, recording player, click-to-call against a
    local PBX API peer, and the segment's Telegram mass message."""

    def test_backend_tour(self):
        self.tel_manager.write({"mlm_phone_extension": "103", "mlm_pbx_login": "manager"})
        self.tel_manager.mlm_telephony_provider_id = self.itoolabs
        self.env["mlm.call"].create(
            {
                "provider_id": self.itoolabs.id,
                "provider_call_id": "tour-1",
                "direction": "inbound",
                "status": "answered",
                "is_final": True,
                "caller_number": "77011234567",
                "external_number": "77011234567",
                "partner_id": self.alice.partner_id.id,
                "distributor_id": self.alice.id,
                "start": datetime(2026, 3, 2, 9, 0, 0),
                "duration": 65,
                "recording_url": "https://records.example.com/rec/alice.mp3",
            }
        )
        self.link(self.alice, 9001)
        with HttpTestPeer(lambda r: (200, {"uuid": "tour-call"})) as pbx:
            self.itoolabs.api_url = pbx.url
            self.start_tour(
                f"/odoo/action-mlm_network.mlm_distributor_action/{self.alice.id}",
                "mlm_telephony_tour",
                login="tel_manager",
            )
        self.assertEqual(
            [r["form"] for r in pbx.requests],
            [{"cmd": "makeCall", "phone": "77011234567", "user": "manager", "token": "ats-key"}],
        )
        mailing = self.env["mlm.telegram.mailing"].search([("segment_id", "=", self.segment.id)])
        self.assertRecordValues(mailing, [{"state": "sending", "body": "Training on Friday at 10:00"}])
        # the button enqueued the job; the job queues one message per subscribed chat
        job = self.env["queue.job"].search([("identity_key", "=", f"mlm_telegram_mailing:{mailing.id}")])
        self.assertEqual((job.state, job.method_name), ("pending", "_prepare_job"))
        self.assertFalse(mailing.recipient_ids)
        Job.load(self.env, job.uuid).perform()
        self.assertEqual(mailing.recipient_ids.chat_link_id.chat_id, "9001")
