import threading

from odoo.tests import HttpCase, tagged

from odoo.addons.mlm_telephony.cli.ami_listener import ProviderListener, ProviderLock

from .ami_peer import AmiTestPeer
from .common import MlmTelephonyCommon
from .test_ami_client import wait_until
from .test_ami_parser import load


@tagged("post_install", "-at_install")
class TestListenerService(MlmTelephonyCommon, HttpCase):
    """The listener as deployed (``odoo-bin mlm_ami_listener``): its own cursors, the advisory lock, a real TCP
    session with the PBX. HttpCase puts the registry in test mode, so the listener's cursors see this test's
    transaction instead of committing."""

    def test_one_listener_per_database(self):
        first = ProviderLock(self.env.cr.dbname, self.asterisk.id)
        second = ProviderLock(self.env.cr.dbname, self.asterisk.id)
        other_provider = ProviderLock(self.env.cr.dbname, self.zadarma.id)
        try:
            self.assertTrue(first.acquire())
            self.assertFalse(second.acquire(), "a second listener of the same PBX stands by")
            self.assertTrue(other_provider.acquire(), "another PBX has its own listener")
            first.release()
            self.assertTrue(second.acquire(), "the stand-by takes over once the first one stops")
        finally:
            for lock in (first, second, other_provider):
                lock.release()

    def test_listener_stores_calls_from_the_pbx(self):
        with AmiTestPeer() as peer:
            self.asterisk.ami_port = peer.port
            self.env.flush_all()
            stop = threading.Event()
            service = ProviderListener(self.env.cr.dbname, self.asterisk.id, stop, lock_retry=0.1)
            stored = threading.Event()
            original_store = service._store

            def store(reports):
                original_store(reports)
                if any(r.final for r in reports):
                    stored.set()

            service._store = store
            thread = threading.Thread(target=service.run, daemon=True)
            thread.start()
            try:
                self.assertTrue(peer.wait_for_logins(1))
                peer.push(load("ami13-inbound-answered.txt"))
                self.assertTrue(stored.wait(20), "the call reached the database")
            finally:
                stop.set()
                thread.join(10)
            self.assertTrue(wait_until(lambda: not thread.is_alive()))
        self.env.invalidate_all()
        call = self.env["mlm.call"].search([("provider_id", "=", self.asterisk.id)])
        self.assertRecordValues(
            call,
            [
                {
                    "provider_call_id": "1700000000.16",
                    "status": "answered",
                    "duration": 66,
                    "partner_id": self.alice.partner_id.id,
                    "user_id": self.operator.id,
                }
            ],
        )
        self.assertEqual(service.listener.connections, 1)
