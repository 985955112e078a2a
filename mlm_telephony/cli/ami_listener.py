"""``odoo-bin mlm_ami_listener``: the long-running Asterisk AMI listener of one database.

Run it as its own service next to the Odoo server (systemd unit in ``readme/USAGE.md``)::

    odoo-bin mlm_ami_listener -c /etc/odoo/odoo.conf -d production

One thread per active Asterisk provider of the database. Each thread first takes a PostgreSQL advisory lock
(session level, on a connection of its own, so it is released if the process dies): a second listener started
by mistake for the same database simply waits as a hot stand-by. Being a separate process, it keeps running
while Odoo workers restart; it reconnects to the PBX with exponential back-off.

Transactions: every batch of call reports is stored in its own cursor, committed when the batch is done
(``with registry.cursor()``). This is the only place of the add-on that commits, as any worker process does.
"""

import argparse
import logging
import signal
import threading

import odoo
from odoo.cli import Command
from odoo.modules.registry import Registry
from odoo.sql_db import db_connect
from odoo.tools import SQL

from ..tools.ami_client import AmiListener

_logger = logging.getLogger(__name__)

LOCK_NAMESPACE = 0x4D4C4D  # "MLM": first key of the advisory lock; the second is the provider id


class ProviderLock:
    """Session-level advisory lock of one provider on a dedicated connection."""

    def __init__(self, dbname, provider_id):
        self.dbname = dbname
        self.provider_id = provider_id
        self._cr = None

    def acquire(self):
        cr = db_connect(self.dbname).cursor()
        cr._cnx.autocommit = True
        cr.execute(SQL("SELECT pg_try_advisory_lock(%s, %s)", LOCK_NAMESPACE, self.provider_id))
        if cr.fetchone()[0]:
            self._cr = cr
            return True
        cr.close()
        return False

    def release(self):
        if self._cr is not None:
            self._cr.execute(SQL("SELECT pg_advisory_unlock(%s, %s)", LOCK_NAMESPACE, self.provider_id))
            self._cr.close()
            self._cr = None


class ProviderListener:
    """The AMI listener of one provider, storing its calls in the database."""

    def __init__(self, dbname, provider_id, stop, lock_retry=30.0):
        self.dbname = dbname
        self.provider_id = provider_id
        self.stop = stop
        self.lock_retry = lock_retry
        self.lock = ProviderLock(dbname, provider_id)
        self.listener = None

    def _env(self, cr):
        return odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})

    def _store(self, reports):
        with Registry(self.dbname).cursor() as cr:
            provider = self._env(cr)["mlm.telephony.provider"].browse(self.provider_id)
            provider.with_company(provider.company_id)._ami_store_reports(reports)

    def build(self):
        with Registry(self.dbname).cursor() as cr:
            provider = self._env(cr)["mlm.telephony.provider"].browse(self.provider_id)
            builder = provider._ami_call_builder()
            ami = provider._get_provider()
        return AmiListener(ami.client, builder, self._store)

    def run(self):
        while not self.stop.is_set() and not self.lock.acquire():
            _logger.info("AMI listener of provider %s already runs elsewhere; standing by", self.provider_id)
            if self.stop.wait(self.lock_retry):
                return
        try:
            self.listener = self.build()
            self.listener.run(self.stop)
        finally:
            self.lock.release()


def asterisk_provider_ids(dbname):
    with Registry(dbname).cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        return env["mlm.telephony.provider"].search([("provider_type", "=", "asterisk")]).ids


class MlmAmiListener(Command):
    """Listen to the Asterisk PBXs of a database and record their calls"""

    name = "mlm_ami_listener"

    def run(self, args):
        parser = argparse.ArgumentParser(prog="odoo-bin mlm_ami_listener", description=self.__doc__)
        parser.add_argument("-c", "--config", dest="config", help="Odoo configuration file")
        parser.add_argument("-d", "--database", dest="database", required=True)
        parser.add_argument("--provider", type=int, action="append", help="only these provider ids")
        options, rest = parser.parse_known_args(args)
        config_args = (["-c", options.config] if options.config else []) + ["-d", options.database] + rest
        odoo.tools.config.parse_config(config_args, setup_logging=True)
        dbname = options.database
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_a: stop.set())
        signal.signal(signal.SIGINT, lambda *_a: stop.set())
        provider_ids = options.provider or asterisk_provider_ids(dbname)
        if not provider_ids:
            _logger.error("No Asterisk provider in database %s", dbname)
            return 1
        threads = [
            threading.Thread(target=ProviderListener(dbname, pid, stop).run, name=f"ami-{pid}", daemon=True)
            for pid in provider_ids
        ]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(timeout=1.0)
        return 0
