"""Asterisk Manager Interface (AMI) wire protocol: framing of messages, encoding of actions.

Plain Python, no ORM. An AMI message is a block of ``Key: Value`` lines ended by an empty line; the server
greets a new connection with one banner line (``Asterisk Call Manager/5.0.1``). Keys are case-insensitive in
practice (``Uniqueid``, ``UniqueID``), so messages are exposed as dictionaries with lower-case keys.
"""

MAX_MESSAGE_BYTES = 256 * 1024


class AmiProtocolError(Exception):
    """The peer sent something that is not AMI (oversized block, unsafe action value)."""


def parse_block(block):
    """Parse one message block (bytes without the final empty line) into a dict with lower-case keys.

    The first occurrence of a repeated key wins, except ``variable``/``chanvariable`` lines which are
    collected into ``variables`` (name -> value) so ``Originate`` responses and channel variables survive.
    """
    message = {}
    for line in block.decode("utf-8", "replace").split("\n"):
        key, sep, value = line.partition(":")
        if not sep:
            if line:
                # Unstructured output (e.g. the body of a "Response: Follows"): keep it, do not guess a key.
                message.setdefault("output", []).append(line)
            continue
        key = key.lower()
        if value[:1] == " ":
            value = value[1:]
        if key in ("variable", "chanvariable") and "=" in value:
            name, _eq, val = value.partition("=")
            message.setdefault("variables", {})[name] = val
        if key not in message:
            message[key] = value
    return message


class AmiStreamParser:
    """Incremental framing of an AMI byte stream into messages.

    ``feed(data)`` accepts any chunking of the stream (a message may be split across TCP reads, even inside
    a ``\\r\\n``) and returns the complete messages. With ``expect_banner=True`` the first line is the server
    banner, available as ``banner`` once received.
    """

    def __init__(self, expect_banner=False, max_message_bytes=MAX_MESSAGE_BYTES):
        self.banner = None
        self._expect_banner = expect_banner
        self._buffer = b""
        self._max = max_message_bytes

    def feed(self, data):
        # AMI never puts CR inside values: dropping every CR makes CRLF/LF streams and split CRLFs equal.
        self._buffer += data.replace(b"\r", b"")
        if self._expect_banner and self.banner is None:
            line, sep, rest = self._buffer.partition(b"\n")
            if not sep:
                self._check_size()
                return []
            self.banner = line.decode("utf-8", "replace").strip()
            self._buffer = rest
        messages = []
        buffer, pos = self._buffer, 0
        while True:
            end = buffer.find(b"\n\n", pos)
            if end < 0:
                break
            block = buffer[pos:end].strip(b"\n")
            pos = end + 2
            if block:
                messages.append(parse_block(block))
        self._buffer = buffer[pos:]
        self._check_size()
        return messages

    def _check_size(self):
        if len(self._buffer) > self._max:
            raise AmiProtocolError(f"AMI message larger than {self._max} bytes")


def _check_value(value):
    text = str(value)
    if "\r" in text or "\n" in text:
        raise AmiProtocolError("line break in an AMI action value")
    return text


def format_action(action, fields=None, variables=None):
    """Encode an action; refuses line breaks in values (they would inject headers or whole actions).

    :param str action: e.g. ``"Originate"``
    :param dict fields: ordered header fields (``ActionID`` included by the caller)
    :param dict variables: channel variables, sent as repeated ``Variable: name=value`` lines
    """
    lines = [f"Action: {_check_value(action)}"]
    for key, value in (fields or {}).items():
        if value is None or value is False:
            continue
        lines.append(f"{_check_value(key)}: {_check_value(value)}")
    for name, value in (variables or {}).items():
        lines.append(f"Variable: {_check_value(name)}={_check_value(value)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def iter_trace_messages(data):
    """Messages of a recorded AMI stream (bytes), e.g. the reference traces: a convenience for tests/benchmarks."""
    parser = AmiStreamParser()
    messages = parser.feed(data + b"\n\n")
    return messages
