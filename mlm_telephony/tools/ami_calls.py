"""Build calls from an Asterisk AMI event stream (plain Python, no ORM).

Both generations of the event set are understood:

* Asterisk 11: ``Newchannel``, ``Dial`` (``SubEvent: Begin/End``), ``Bridge`` (``Bridgestate: Link``),
  ``LocalBridge``, ``Rename``, ``Hangup``, ``CEL`` (carries ``LinkedID`` and ``EventTime``);
* Asterisk 13 and later: ``DialBegin``/``DialEnd``, ``BridgeEnter``/``BridgeLeave``, ``Linkedid`` on every
  channel event, optional ``Timestamp`` header (``timestampevents=yes`` in ``manager.conf``).

Channels are grouped into one call by union of their unique ids: the ``Linkedid`` when the PBX sends it, and
otherwise every relation the events reveal (a dial from one channel to another, a bridge, the two halves of a
``Local`` channel). The call id is the oldest unique id of the group, which is the ``Linkedid`` of Asterisk.

A call is reported twice: once when its first real leg starts ringing (``final=False``, for a caller-ID
pop-up or a live view) and once when its last channel hangs up (``final=True``). The consumer upserts on
``call_id``, so both reports (and any repetition after a reconnect) make one record.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timezone

UTC = timezone.utc  # datetime.UTC needs Python 3.11; Odoo 18 supports 3.10

ANSWER_STATUSES = {"ANSWER"}
BUSY_STATUSES = {"BUSY"}
FAILED_STATUSES = {"CHANUNAVAIL", "CONGESTION", "INVALIDARGS", "DONTCALL", "TORTURE"}
UNKNOWN_NUMBERS = {"", "<unknown>", "unknown", "anonymous", "<null>"}
_DIGITS = re.compile(r"\D+")


@dataclass
class CallRecord:
    """One call as the CRM sees it. Datetimes are naive UTC (Odoo's convention)."""

    call_id: str
    direction: str  # inbound | outbound | internal
    caller: str
    callee: str
    extension: str  # the internal party: the user's phone extension
    start: datetime
    answer: datetime | None
    end: datetime | None
    status: str  # ringing | answered | missed | no_answer | busy | failed
    recording: str | None = None
    final: bool = False

    @property
    def duration(self):
        """Talk time in seconds (answer to end)."""
        if self.answer and self.end:
            return max(0, round((self.end - self.answer).total_seconds()))
        return 0

    @property
    def total_duration(self):
        """Ring plus talk time in seconds (start to end)."""
        if self.start and self.end:
            return max(0, round((self.end - self.start).total_seconds()))
        return 0


def uid_key(uid):
    """Sort key of an Asterisk unique id ``"1414510600.12"`` (epoch seconds, sequence)."""
    head, _dot, tail = (uid or "").partition(".")
    try:
        return (int(head.rsplit("-", 1)[-1]), int(tail or 0), uid)
    except ValueError:
        return (0, 0, uid or "")


def clean_number(value):
    value = (value or "").strip()
    return "" if value.lower() in UNKNOWN_NUMBERS else value


def is_local_channel(name):
    return (name or "").startswith("Local/")


def dialstring_number(dialstring):
    """The number in a dial string (``trunk/89161234567``, ``PJSIP/101``, ``SIP/gw/+7701..@ctx``), if any."""
    target = (dialstring or "").split("&")[0].rsplit("/", 1)[-1].split("@")[0].split(",")[0]
    return target if _DIGITS.sub("", target) and re.fullmatch(r"\+?[\d*#]+", target) else ""


class _Channel:
    __slots__ = ("answered", "created", "exten", "hungup", "name", "number", "uid")

    def __init__(self, uid, name, number, exten, created):
        self.uid = uid
        self.name = name
        self.number = number
        self.exten = exten
        self.created = created
        self.answered = None
        self.hungup = None


class _Leg:
    __slots__ = ("answered", "begin", "dialstring", "dst", "dst_number", "src", "status")

    def __init__(self, src, dst, dialstring, dst_number, begin):
        self.src = src
        self.dst = dst
        self.dialstring = dialstring
        self.dst_number = dst_number
        self.begin = begin
        self.status = None
        self.answered = False


class _Call:
    __slots__ = ("channels", "legs", "notified", "recording", "target")

    def __init__(self):
        self.channels = {}
        self.legs = []
        self.recording = None
        self.target = None  # MLM_DIAL variable set by our own Originate (click-to-call)
        self.notified = False


class CallBuilder:
    """Turns AMI events into :class:`CallRecord` objects.

    :param is_internal: callable ``number -> bool`` telling extensions from outside numbers; the default
        treats numbers of at most ``internal_max_length`` digits as extensions.
    :param pbx_tz: ``tzinfo`` of the ``EventTime`` of CEL events (the PBX's local time); UTC by default.
    :param clock: callable returning the current aware UTC datetime, used for events without a time of
        their own when the listener runs live; in a replay the last known event time is used instead.
    """

    def __init__(self, is_internal=None, internal_max_length=4, pbx_tz=UTC, clock=None):
        self.is_internal = is_internal or (lambda n: 0 < len(_DIGITS.sub("", n)) <= internal_max_length)
        self.pbx_tz = pbx_tz
        self.clock = clock
        self._uid_call = {}
        self._bridges = {}
        self._last_time = None
        self.events_seen = 0

    # ------------------------------------------------------------------ public
    @property
    def open_calls(self):
        return len({id(call) for call in self._uid_call.values()})

    def reset(self):
        """Forget calls in progress (after a reconnection the stream has a gap); returns how many were dropped."""
        dropped = self.open_calls
        self._uid_call.clear()
        self._bridges.clear()
        return dropped

    def feed(self, event):
        """Consume one AMI message (dict with lower-case keys); return the list of call reports it produced."""
        name = event.get("event")
        if not name:
            return []
        self.events_seen += 1
        when = self._event_time(event)
        handler = getattr(self, "_on_" + name.lower(), None)
        if handler is None:
            return self._link_by_linkedid(event, when)
        return handler(event, when) or []

    def feed_many(self, events):
        reports = []
        for event in events:
            reports.extend(self.feed(event))
        return reports

    # ------------------------------------------------------------------ time
    def _event_time(self, event):
        stamp = event.get("timestamp")
        if stamp:
            try:
                when = datetime.fromtimestamp(float(stamp), UTC)
            except ValueError:
                when = None
            if when:
                self._last_time = when
                return when
        if event.get("event") == "CEL" and event.get("eventtime"):
            try:
                local = datetime.strptime(event["eventtime"][:19], "%Y-%m-%d %H:%M:%S")
            except ValueError:
                local = None
            if local:
                when = local.replace(tzinfo=self.pbx_tz).astimezone(UTC)
                self._last_time = when
                return when
        if self.clock:
            return self.clock()
        return self._last_time or datetime.now(UTC)

    # ------------------------------------------------------------------ grouping
    def _call_of(self, uid):
        return self._uid_call.get(uid)

    def _merge(self, uid_a, uid_b):
        call_a, call_b = self._call_of(uid_a), self._call_of(uid_b)
        if not call_a or not call_b or call_a is call_b:
            return call_a or call_b
        if len(call_a.channels) < len(call_b.channels):
            call_a, call_b = call_b, call_a
        call_a.channels.update(call_b.channels)
        call_a.legs.extend(call_b.legs)
        call_a.recording = call_a.recording or call_b.recording
        call_a.target = call_a.target or call_b.target
        call_a.notified = call_a.notified or call_b.notified
        for uid in call_b.channels:
            self._uid_call[uid] = call_a
        return call_a

    def _link_by_linkedid(self, event, when):
        uid, linked = event.get("uniqueid"), event.get("linkedid")
        if uid and linked and uid != linked:
            self._merge(uid, linked)
        return []

    # ------------------------------------------------------------------ handlers
    def _on_newchannel(self, event, when):
        uid = event.get("uniqueid")
        if not uid or uid in self._uid_call:
            return []
        channel = _Channel(
            uid, event.get("channel", ""), clean_number(event.get("calleridnum")), event.get("exten", ""), when
        )
        linked = event.get("linkedid")
        call = self._call_of(linked) if linked and linked != uid else None
        if call is None:
            call = _Call()
        call.channels[uid] = channel
        self._uid_call[uid] = call
        return []

    def _update_caller_id(self, event):
        call = self._call_of(event.get("uniqueid"))
        number = clean_number(event.get("calleridnum"))
        if call and number:
            call.channels[event["uniqueid"]].number = number

    def _on_newcallerid(self, event, when):
        self._update_caller_id(event)
        return self._link_by_linkedid(event, when)

    def _on_newstate(self, event, when):
        self._link_by_linkedid(event, when)
        self._update_caller_id(event)
        call = self._call_of(event.get("uniqueid"))
        if call and event.get("channelstate") == "6":
            channel = call.channels[event["uniqueid"]]
            channel.answered = channel.answered or when
        return []

    def _on_rename(self, event, when):
        call = self._call_of(event.get("uniqueid"))
        if call:
            call.channels[event["uniqueid"]].name = event.get("newname", "")
        return []

    def _on_varset(self, event, when):
        call = self._call_of(event.get("uniqueid"))
        if call:
            variable = event.get("variable", "")
            if variable == "MIXMONITOR_FILENAME" and event.get("value"):
                call.recording = event["value"]
            elif variable in ("MLM_DIAL", "__MLM_DIAL") and event.get("value"):
                call.target = event["value"]
        return []

    def _begin_leg(self, src, dst, dialstring, dst_number, dst_channel, when):
        if not src or not dst:
            return []
        call = self._merge(src, dst) if self._call_of(dst) else self._call_of(src)
        if call is None:
            return []
        if dst not in call.channels:
            # The destination was announced by no Newchannel (listener joined mid-call): learn it here.
            call.channels[dst] = _Channel(dst, dst_channel, dst_number, "", when)
            self._uid_call[dst] = call
        call.legs.append(_Leg(src, dst, dialstring, dst_number, when))
        real_legs = sum(1 for leg in call.legs if not is_local_channel(call.channels[leg.dst].name))
        root = call.channels[min(call.channels, key=uid_key)]
        # For a click-to-call the user's own phone rings first: announce the call when the target rings.
        wanted = 2 if is_local_channel(root.name) else 1
        if not call.notified and real_legs >= wanted:
            call.notified = True
            return [self._report(call, final=False)]
        return []

    def _on_dial(self, event, when):  # Asterisk 11
        if event.get("subevent", "").lower() == "begin":
            return self._begin_leg(
                event.get("uniqueid"),
                event.get("destuniqueid"),
                event.get("dialstring", ""),
                clean_number(event.get("connectedlinenum")),
                event.get("destination", ""),
                when,
            )
        call = self._call_of(event.get("uniqueid"))
        if call:
            for leg in reversed(call.legs):
                if leg.src == event["uniqueid"] and leg.status is None:
                    leg.status = event.get("dialstatus", "")
                    break
        return []

    def _on_dialbegin(self, event, when):  # Asterisk 12+
        self._link_by_linkedid(event, when)
        return self._begin_leg(
            event.get("uniqueid"),
            event.get("destuniqueid"),
            event.get("dialstring", ""),
            clean_number(event.get("destcalleridnum")),
            event.get("destchannel", ""),
            when,
        )

    def _on_dialend(self, event, when):
        call = self._call_of(event.get("uniqueid"))
        if call:
            for leg in reversed(call.legs):
                if leg.dst == event.get("destuniqueid") and leg.status is None:
                    leg.status = event.get("dialstatus", "")
                    break
        return []

    def _mark_bridged(self, uid_a, uid_b):
        call = self._merge(uid_a, uid_b)
        if call:
            for leg in call.legs:
                if {leg.src, leg.dst} == {uid_a, uid_b}:
                    leg.answered = True
        return call

    def _on_bridge(self, event, when):  # Asterisk 11
        if event.get("bridgestate", "").lower() == "link":
            self._mark_bridged(event.get("uniqueid1"), event.get("uniqueid2"))
        return []

    def _on_localbridge(self, event, when):
        self._merge(event.get("uniqueid1"), event.get("uniqueid2"))
        return []

    def _on_bridgeenter(self, event, when):  # Asterisk 12+
        self._link_by_linkedid(event, when)
        bridge, uid = event.get("bridgeuniqueid"), event.get("uniqueid")
        if bridge and uid in self._uid_call:
            members = self._bridges.setdefault(bridge, set())
            for other in members:
                self._mark_bridged(other, uid)
            members.add(uid)
        return []

    def _on_bridgeleave(self, event, when):
        members = self._bridges.get(event.get("bridgeuniqueid"))
        if members is not None:
            members.discard(event.get("uniqueid"))
            if not members:
                del self._bridges[event["bridgeuniqueid"]]
        return []

    def _on_cel(self, event, when):
        uid, linked = event.get("uniqueid"), event.get("linkedid")
        if uid and linked and uid != linked:
            self._merge(uid, linked)
        call = self._call_of(uid)
        if call is None:
            return []
        channel = call.channels[uid]
        kind = event.get("eventname")
        if kind == "CHAN_START":
            channel.created = when
        elif kind == "ANSWER":
            channel.answered = when
        elif kind == "HANGUP":
            channel.hungup = when
        return []

    def _on_hangup(self, event, when):
        self._link_by_linkedid(event, when)
        uid = event.get("uniqueid")
        call = self._call_of(uid)
        if call is None:
            return []
        channel = call.channels[uid]
        channel.hungup = channel.hungup or when
        if any(ch.hungup is None for ch in call.channels.values()):
            return []
        for known in call.channels:
            self._uid_call.pop(known, None)
        return [self._report(call, final=True)]

    # ------------------------------------------------------------------ report
    def _report(self, call, final):
        channels = call.channels
        root = channels[min(channels, key=uid_key)]
        real_legs = [leg for leg in call.legs if not is_local_channel(channels[leg.dst].name)]

        def leg_number(leg):
            return dialstring_number(leg.dialstring) or leg.dst_number or channels[leg.dst].number

        def leg_answered(leg):
            return leg.status in ANSWER_STATUSES or leg.answered

        if is_local_channel(root.name) and real_legs:
            # Originate through a Local channel (click-to-call): first the user's phone rings, then the target.
            caller = leg_number(real_legs[0])
            callee_legs = real_legs[1:]
            fallback_callee = call.target or ""
        else:
            caller = root.number
            callee_legs = real_legs
            fallback_callee = call.target or root.exten
        answered_legs = [leg for leg in callee_legs if leg_answered(leg)]
        callee_leg = (answered_legs or callee_legs or [None])[-1]
        callee = leg_number(callee_leg) if callee_leg else fallback_callee

        caller_internal, callee_internal = self.is_internal(caller), self.is_internal(callee)
        if caller_internal and callee_internal:
            direction, extension = "internal", caller
        elif caller_internal:
            direction, extension = "outbound", caller
        else:
            direction, extension = "inbound", callee if callee_internal else ""

        answer = None
        if answered_legs:
            dst = channels[answered_legs[-1].dst]
            answer = dst.answered or answered_legs[-1].begin
        ends = [ch.hungup for ch in channels.values() if ch.hungup]
        end = max(ends) if final and ends else None
        start = min((ch.created for ch in channels.values() if ch.created), default=root.created)
        status = self._status(final, answer, callee_legs, direction)
        return CallRecord(
            call_id=root.uid,
            direction=direction,
            caller=caller,
            callee=callee,
            extension=extension,
            start=_naive(start),
            answer=_naive(answer),
            end=_naive(end),
            status=status,
            recording=call.recording,
            final=final,
        )

    @staticmethod
    def _status(final, answer, callee_legs, direction):
        if answer:
            return "answered"
        if not final:
            return "ringing"
        last = callee_legs[-1].status if callee_legs else None
        if last in BUSY_STATUSES:
            return "busy"
        if last in FAILED_STATUSES:
            return "failed"
        return "missed" if direction == "inbound" else "no_answer"


def _naive(when):
    if when is None:
        return None
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when
