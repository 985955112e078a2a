"""Telegram mass messages: queueing a segment's recipients, and the sending rate against the bot's limit.

Run on a database where ``mlm_telephony`` is installed (everything is rolled back at the end)::

    $VENV/bin/python mlm_telephony/benchmarks/bench_telegram.py -c odoo.conf -d <db> \
        [--distributors 5000] [--send 300] [--rate 50]

1. Queueing: ``mlm.telegram.mailing._prepare_messages`` (one ``INSERT ... SELECT`` of the segment's subscribed
   chats) beside the naive baseline in the same run: one ``create`` per chat in a loop.
2. Sending: ``mlm.telegram.message._send`` of ``--send`` messages to a local Bot API peer (a small HTTP server
   answering like api.telegram.org) with the bot's rate limit ``--rate``, beside the same messages sent
   without a limit (the peer's and the ORM's own speed): the limited rate must stay at or under ``--rate``.
"""

import argparse
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import odoo
from odoo.tools import SQL


class BotApiPeer:
    """A local stand-in for api.telegram.org answering every sendMessage with success."""

    def __enter__(self):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = b'{"ok": true, "result": {"message_id": 1, "chat": {"id": 1, "type": "private"}}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def make_network(env, count):
    Distributor = env["mlm.distributor"]
    partners = env["res.partner"].create([{"name": f"Bench TG {n}"} for n in range(count)])
    root = Distributor.enroll(partners[0], False)
    for partner in partners[1:]:
        Distributor.enroll(partner, root)
    return partners


def link_chats(env, bot, partners):
    env.cr.execute(
        SQL(
            """INSERT INTO mlm_telegram_chat (bot_id, company_id, chat_id, partner_id, state, linked_date,
                                              create_date, write_date, create_uid, write_uid)
               SELECT %(bot)s, %(company)s, (1000000 + p.n)::varchar, p.id, 'active', NOW(), NOW(), NOW(), 1, 1
                 FROM unnest(%(ids)s::int[]) WITH ORDINALITY AS p(id, n)""",
            bot=bot.id,
            company=bot.company_id.id,
            ids=partners.ids,
        )
    )
    env["mlm.telegram.chat"].invalidate_model()


def bench_queue(env, bot, segment):
    Mailing = env["mlm.telegram.mailing"]
    mailing = Mailing.create({"name": "Bench", "segment_id": segment.id, "bot_id": bot.id, "body": "Hello"})
    start = time.perf_counter()
    created = mailing._prepare_messages()
    fast = time.perf_counter() - start

    baseline = Mailing.create({"name": "Bench naive", "segment_id": segment.id, "bot_id": bot.id, "body": "Hello"})
    start = time.perf_counter()
    partners = env["res.partner"].search(segment._get_partner_domain())
    chats = env["mlm.telegram.chat"].search([("bot_id", "=", bot.id), ("state", "=", "active")])
    Message = env["mlm.telegram.message"]
    for chat in chats:
        if chat.partner_id in partners:
            Message.create(
                {
                    "mailing_id": baseline.id,
                    "chat_link_id": chat.id,
                    "partner_id": chat.partner_id.id,
                    "company_id": bot.company_id.id,
                }
            )
    env.flush_all()
    naive = time.perf_counter() - start
    return mailing, created, fast, naive


def bench_send(env, mailing, count, rate, url):
    from odoo.addons.mlm_telephony.tools import telegram  # importable once the addons path is configured

    messages = mailing.recipient_ids[:count]
    mailing.bot_id.sudo().write({"api_url": url, "bot_token": "1:BENCH"})
    mailing.state = "sending"
    results = {}
    for label, limit in (("unlimited", 1e9), ("limited", rate)):
        env.cr.execute(
            SQL(
                "UPDATE mlm_telegram_message SET state = 'pending', attempts = 0 WHERE id = ANY(%s)",
                messages.ids,
            )
        )
        messages.invalidate_recordset()
        limiter = telegram.RateLimiter(limit)
        start = time.perf_counter()
        outcome = messages._send(limiter)
        elapsed = time.perf_counter() - start
        sent = sum(1 for r in outcome if r["state"] == "sent")
        results[label] = (sent, elapsed, sent / elapsed)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--distributors", type=int, default=5000)
    parser.add_argument("--send", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0)
    args = parser.parse_args()
    odoo.tools.config.parse_config(["-c", args.config, "-d", args.database])
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {"tracking_disable": True, "mail_notrack": True})
        try:
            start = time.perf_counter()
            partners = make_network(env, args.distributors)
            setup = time.perf_counter() - start
            bot = env["mlm.telegram.bot"].create({"name": "Bench bot", "bot_username": "bench_bot"})
            link_chats(env, bot, partners)
            segment = env["mlm.distributor.segment"].create({"name": "Bench segment"})
            print(f"network of {args.distributors} distributors with a Telegram chat each: {setup:.1f} s")
            mailing, created, fast, naive = bench_queue(env, bot, segment)
            print(f"queue {created} recipients: INSERT ... SELECT {fast * 1000:.0f} ms")
            print(f"   baseline, one create() per chat:  {naive * 1000:.0f} ms ({naive / fast:.0f}x slower)")

            with BotApiPeer() as url:
                results = bench_send(env, mailing, args.send, args.rate, url)
            for label, (sent, elapsed, per_second) in results.items():
                print(f"send {sent} messages {label:>9}: {elapsed:.2f} s, {per_second:.1f} messages/s")
            print(f"   configured limit: {args.rate:.1f} messages/s")
        finally:
            cr.rollback()


if __name__ == "__main__":
    main()
