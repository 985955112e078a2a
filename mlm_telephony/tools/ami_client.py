"""A small synchronous AMI client and a reconnecting event listener (plain Python, no ORM).

``AmiClient`` opens one TCP connection, logs in, sends actions and reads messages. ``AmiListener`` keeps a
client connected (reconnecting with exponential back-off), feeds every event to a
:class:`~.ami_calls.CallBuilder` and hands the call reports to a *sink* callable. The sink is where the
database work happens (see ``cli/ami_listener.py``): this module knows nothing about Odoo.
"""

import itertools
import logging
import socket
import threading
import time

from .ami_protocol import AmiProtocolError, AmiStreamParser, format_action

_logger = logging.getLogger(__name__)


class AmiError(Exception):
    """Base class of AMI client errors."""


class AmiConnectionClosed(AmiError):
    """The peer closed the connection."""


class AmiAuthError(AmiError):
    """Login refused."""


class AmiActionError(AmiError):
    """An action was answered with ``Response: Error``."""


class AmiClient:
    """One AMI session. Not thread-safe: one thread per client."""

    _ids = itertools.count(1)

    def __init__(self, host, port, username, secret, timeout=10.0, events="on"):
        self.host = host
        self.port = int(port)
        self.username = username
        self.secret = secret
        self.timeout = timeout
        self.events = events
        self.banner = None
        self._sock = None
        self._parser = None
        self._pending = []  # events read while waiting for a response

    # ------------------------------------------------------------ connection
    def connect(self):
        self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        self._parser = AmiStreamParser(expect_banner=True)
        deadline = time.monotonic() + self.timeout
        while self._parser.banner is None:
            self._pending.extend(self._recv(deadline - time.monotonic()))
        self.banner = self._parser.banner
        if not self.banner.startswith("Asterisk Call Manager"):
            self.close()
            raise AmiProtocolError(f"not an AMI server: {self.banner[:80]!r}")
        response = self.request("Login", {"Username": self.username, "Secret": self.secret, "Events": self.events})
        if response.get("response", "").lower() != "success":
            self.close()
            raise AmiAuthError(response.get("message") or "Authentication failed")
        return self

    def close(self):
        sock, self._sock = self._sock, None
        if sock is None:
            return
        try:
            sock.sendall(format_action("Logoff", {"ActionID": f"logoff-{next(self._ids)}"}))
        except OSError as error:
            _logger.debug("AMI logoff not sent: %s", error)
        sock.close()

    @property
    def connected(self):
        return self._sock is not None

    # ------------------------------------------------------------ I/O
    def _recv(self, timeout):
        if self._sock is None:
            raise AmiConnectionClosed("not connected")
        self._sock.settimeout(max(timeout, 0.001))
        try:
            data = self._sock.recv(65536)
        except TimeoutError:
            return []
        if not data:
            raise AmiConnectionClosed(f"connection closed by {self.host}:{self.port}")
        return self._parser.feed(data)

    def send_action(self, action, fields=None, variables=None):
        action_id = f"mlm-{id(self) % 100000}-{next(self._ids)}"
        payload = format_action(action, {"ActionID": action_id, **(fields or {})}, variables)
        self._sock.sendall(payload)
        return action_id

    def request(self, action, fields=None, variables=None, timeout=None):
        """Send an action and wait for its response; events arriving meanwhile are kept for ``read_events``."""
        action_id = self.send_action(action, fields, variables)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no AMI response to {action}")
            response = None
            for message in self._recv(remaining):
                if "response" in message and message.get("actionid") == action_id:
                    response = message
                elif "event" in message:
                    self._pending.append(message)  # keep every event of the same read, before and after
            if response is not None:
                return response

    def read_events(self, timeout=1.0):
        """Events received within ``timeout`` seconds (possibly none)."""
        events, self._pending = self._pending, []
        if not events:
            events = [m for m in self._recv(timeout) if "event" in m]
        return events

    # ------------------------------------------------------------ actions
    def originate(self, channel, context, exten, caller_id=None, timeout_ms=30000, variables=None):
        """Click-to-call: ring ``channel`` (the user's phone), then dial ``exten`` in ``context``."""
        response = self.request(
            "Originate",
            {
                "Channel": channel,
                "Context": context,
                "Exten": exten,
                "Priority": 1,
                "CallerID": caller_id,
                "Timeout": timeout_ms,
                "Async": "true",
            },
            variables,
        )
        if response.get("response", "").lower() != "success":
            raise AmiActionError(response.get("message") or "Originate failed")
        return response

    def ping(self):
        return self.request("Ping").get("response", "").lower() == "success"


class AmiListener:
    """Keep an AMI session up and turn its events into call reports.

    :param client_factory: callable returning a new, not yet connected :class:`AmiClient`
    :param builder: a :class:`~.ami_calls.CallBuilder`
    :param sink: callable receiving a list of :class:`~.ami_calls.CallRecord`; if it raises, the reports are
        kept and offered again on the next round (bounded by ``max_pending``)
    """

    def __init__(
        self,
        client_factory,
        builder,
        sink,
        min_backoff=1.0,
        max_backoff=60.0,
        ping_interval=30.0,
        read_timeout=0.5,
        max_pending=10000,
    ):
        self.client_factory = client_factory
        self.builder = builder
        self.sink = sink
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.ping_interval = ping_interval
        self.read_timeout = read_timeout
        self.max_pending = max_pending
        self.connections = 0
        self.failures = 0
        self.reports_stored = 0
        self.connected = threading.Event()
        self._pending = []

    def run(self, stop):
        """Run until ``stop`` (a ``threading.Event``) is set."""
        delay = self.min_backoff
        while not stop.is_set():
            client = self.client_factory()
            try:
                client.connect()
                self.connections += 1
                self.connected.set()
                delay = self.min_backoff
                _logger.info("AMI connected to %s:%s (%s)", client.host, client.port, client.banner)
                self._session(client, stop)
            except (OSError, AmiError, AmiProtocolError) as error:
                self.failures += 1
                dropped = self.builder.reset()
                _logger.warning(
                    "AMI connection to %s:%s lost: %s; %d calls in progress dropped; retrying in %.0f s",
                    client.host,
                    client.port,
                    error,
                    dropped,
                    delay,
                )
            finally:
                self.connected.clear()
                client.close()
            if stop.wait(delay):
                break
            delay = min(delay * 2, self.max_backoff)
        self._flush()

    def _session(self, client, stop):
        last_traffic = time.monotonic()
        while not stop.is_set():
            events = client.read_events(self.read_timeout)
            now = time.monotonic()
            if events:
                last_traffic = now
                self._pending.extend(self.builder.feed_many(events))
            elif now - last_traffic > self.ping_interval:
                if not client.ping():
                    raise AmiConnectionClosed("ping refused")
                last_traffic = now
            self._flush()

    def _flush(self):
        if not self._pending:
            return
        reports, self._pending = self._pending, []
        try:
            self.sink(reports)
        except Exception:
            # The database may be restarting: keep the reports for the next round, never lose them silently.
            _logger.exception("AMI listener could not store %d call reports; will retry", len(reports))
            self._pending = reports[-self.max_pending :]
            return
        self.reports_stored += len(reports)
