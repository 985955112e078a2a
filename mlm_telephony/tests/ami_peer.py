"""A local test peer speaking the Asterisk Manager Interface over real TCP (Asterisk is not installable here).

It greets with a banner, checks ``Login`` credentials, answers ``Ping``/``Logoff``/``Originate`` (recording
every action it receives), streams scripted events to logged-in sessions and can drop every connection to
imitate a PBX restart.
"""

import socket
import threading

from odoo.addons.mlm_telephony.tools.ami_protocol import AmiStreamParser


def encode_message(fields):
    return ("".join(f"{key}: {value}\r\n" for key, value in fields.items()) + "\r\n").encode()


class AmiTestPeer:
    def __init__(self, username="odoo", secret="s3cret", banner="Asterisk Call Manager/5.0.1"):
        self.username = username
        self.secret = secret
        self.banner = banner
        self.actions = []
        self.logins = 0
        self.failed_logins = 0
        self.on_originate = None  # callable(action) -> bytes of events to stream after the response
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(8)
        self.port = self._server.getsockname()[1]
        self._sessions = []
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._closed = True
        self.drop_all()
        self._server.close()

    # ------------------------------------------------------------------ server side
    def _accept_loop(self):
        while not self._closed:
            try:
                conn, _addr = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        parser = AmiStreamParser()
        logged_in = False
        try:
            conn.sendall(f"{self.banner}\r\n".encode())
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                for action in parser.feed(data):
                    with self._cond:
                        self.actions.append(action)
                    logged_in = self._answer(conn, action, logged_in)
                    if logged_in is None:
                        return
        except OSError:
            return  # the client went away (or drop_all closed the socket): end of this session
        finally:
            with self._cond:
                if conn in self._sessions:
                    self._sessions.remove(conn)
            conn.close()

    def _answer(self, conn, action, logged_in):
        name = action.get("action", "").lower()
        action_id = action.get("actionid", "")
        if name == "login":
            if action.get("username") == self.username and action.get("secret") == self.secret:
                conn.sendall(
                    encode_message({"Response": "Success", "ActionID": action_id, "Message": "Authentication accepted"})
                )
                with self._cond:
                    self.logins += 1
                    self._sessions.append(conn)
                    self._cond.notify_all()
                return True
            with self._cond:
                self.failed_logins += 1
                self._cond.notify_all()
            conn.sendall(
                encode_message({"Response": "Error", "ActionID": action_id, "Message": "Authentication failed"})
            )
            return None
        if not logged_in:
            conn.sendall(encode_message({"Response": "Error", "ActionID": action_id, "Message": "Permission denied"}))
            return logged_in
        if name == "logoff":
            conn.sendall(
                encode_message({"Response": "Goodbye", "ActionID": action_id, "Message": "Thanks for all the fish."})
            )
            return None
        if name == "ping":
            conn.sendall(encode_message({"Response": "Success", "ActionID": action_id, "Ping": "Pong"}))
        elif name == "originate":
            conn.sendall(
                encode_message(
                    {"Response": "Success", "ActionID": action_id, "Message": "Originate successfully queued"}
                )
            )
            if self.on_originate:
                self.push(self.on_originate(action))
        else:
            conn.sendall(
                encode_message({"Response": "Error", "ActionID": action_id, "Message": "Invalid/unknown command"})
            )
        return logged_in

    # ------------------------------------------------------------------ test side
    def wait_for_logins(self, count, timeout=10.0):
        with self._cond:
            return self._cond.wait_for(lambda: self.logins >= count, timeout)

    def wait_for_failed_logins(self, count, timeout=10.0):
        with self._cond:
            return self._cond.wait_for(lambda: self.failed_logins >= count, timeout)

    def push(self, data):
        """Send raw bytes (events) to every logged-in session."""
        with self._cond:
            sessions = list(self._sessions)
        for conn in sessions:
            try:
                conn.sendall(data)
            except OSError:
                continue  # a session closing at this very moment: the listener will reconnect
        return len(sessions)

    def drop_all(self):
        """Close every connection, as a PBX restart does."""
        with self._cond:
            sessions, self._sessions = self._sessions, []
        for conn in sessions:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                conn.close()  # already disconnected
                continue
            conn.close()
