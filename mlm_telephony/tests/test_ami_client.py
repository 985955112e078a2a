import threading
import time

from odoo.tests import BaseCase, tagged

from odoo.addons.mlm_telephony.tools.ami_calls import CallBuilder
from odoo.addons.mlm_telephony.tools.ami_client import AmiAuthError, AmiClient, AmiListener
from odoo.addons.mlm_telephony.tools.providers import AsteriskProvider

from .ami_peer import AmiTestPeer
from .test_ami_parser import load


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@tagged("post_install", "-at_install")
class TestAmiClient(BaseCase):
    """The AMI client and listener against a local peer speaking the AMI wire protocol over TCP."""

    def setUp(self):
        super().setUp()
        self.peer = AmiTestPeer().__enter__()
        self.addCleanup(self.peer.close)

    def client(self, secret="s3cret"):
        return AmiClient("127.0.0.1", self.peer.port, "odoo", secret, timeout=5)

    def test_login_ping_logoff(self):
        client = self.client().connect()
        self.assertEqual(client.banner, "Asterisk Call Manager/5.0.1")
        self.assertTrue(client.ping())
        client.close()
        self.assertTrue(wait_until(lambda: any(a.get("action") == "Logoff" for a in self.peer.actions)))
        login = self.peer.actions[0]
        self.assertEqual((login["action"], login["username"], login["secret"]), ("Login", "odoo", "s3cret"))

    def test_wrong_password(self):
        with self.assertRaises(AmiAuthError):
            self.client(secret="wrong").connect()
        self.assertEqual(self.peer.failed_logins, 1)

    def test_originate_click_to_call(self):
        provider = AsteriskProvider(
            {
                "ami_host": "127.0.0.1",
                "ami_port": self.peer.port,
                "ami_username": "odoo",
                "ami_secret": "s3cret",
                "originate_channel": "PJSIP/{extension}",
                "originate_context": "from-internal",
            }
        )
        provider.originate("101", "77011234567")
        originate = next(a for a in self.peer.actions if a.get("action") == "Originate")
        self.assertEqual(originate["channel"], "PJSIP/101")
        self.assertEqual(originate["exten"], "77011234567")
        self.assertEqual(originate["context"], "from-internal")
        self.assertEqual(originate["async"], "true")
        self.assertEqual(originate["variables"], {"MLM_DIAL": "77011234567", "MLM_EXTENSION": "101"})

    def _listen(self, sink, **kwargs):
        stop = threading.Event()
        listener = AmiListener(
            self.client, CallBuilder(), sink, min_backoff=0.05, max_backoff=0.2, read_timeout=0.05, **kwargs
        )
        thread = threading.Thread(target=listener.run, args=(stop,), daemon=True)
        thread.start()

        def finish():
            stop.set()
            thread.join(5)

        self.addCleanup(finish)
        return listener, finish

    def test_listener_turns_events_into_calls_and_reconnects(self):
        stored = []
        listener, finish = self._listen(stored.extend)
        self.assertTrue(self.peer.wait_for_logins(1))
        self.peer.push(load("ami-originate-with-events.txt").replace(b"\n", b"\r\n") + b"\r\n\r\n")
        self.assertTrue(wait_until(lambda: any(r.final for r in stored)))
        self.assertEqual([r.call_id for r in stored if r.final], ["1414510600.0"])

        # The PBX restarts in the middle of a call: the listener reconnects, the half call is dropped.
        events = load("ami13-inbound-answered.txt")
        cut = events.index(b"Event: DialEnd")
        self.peer.push(events[:cut])
        time.sleep(0.2)
        self.peer.drop_all()
        self.assertTrue(self.peer.wait_for_logins(2), "reconnected after the drop")
        self.peer.push(load("ami13-inbound-missed.txt"))
        self.assertTrue(wait_until(lambda: len([r for r in stored if r.final]) == 2))
        finish()
        self.assertEqual([r.status for r in stored if r.final], ["answered", "missed"])
        self.assertEqual(listener.connections, 2)
        self.assertGreaterEqual(listener.failures, 1)

    def test_listener_backs_off_while_pbx_refuses(self):
        self.peer.secret = "changed"
        listener, finish = self._listen(lambda reports: None)
        self.assertTrue(self.peer.wait_for_failed_logins(3), "keeps retrying")
        self.assertEqual(listener.connections, 0)
        self.peer.secret = "s3cret"
        self.assertTrue(self.peer.wait_for_logins(1), "recovers once the password is right again")
        finish()

    def test_listener_keeps_reports_when_the_database_fails(self):
        attempts, stored = [], []

        def flaky_sink(reports):
            attempts.append(len(reports))
            if len(attempts) == 1:
                raise ConnectionError("database restarting")
            stored.extend(reports)

        _listener, finish = self._listen(flaky_sink)
        self.assertTrue(self.peer.wait_for_logins(1))
        with self.assertLogs("odoo.addons.mlm_telephony.tools.ami_client", "ERROR"):
            self.peer.push(load("ami13-outbound-busy.txt"))
            self.assertTrue(wait_until(lambda: any(r.final for r in stored)))
        finish()
        self.assertEqual([r.status for r in stored if r.final], ["busy"], "the failed batch was stored later")
