from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from odoo.tests import BaseCase, tagged

from odoo.addons.mlm_telephony.tools.ami_calls import CallBuilder, dialstring_number
from odoo.addons.mlm_telephony.tools.ami_protocol import (
    AmiProtocolError,
    AmiStreamParser,
    format_action,
    iter_trace_messages,
)

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "telephony"


def load(name):
    for folder in (DATA, SHARED):
        if (folder / name).exists():
            return (folder / name).read_bytes()
    raise FileNotFoundError(name)


@tagged("post_install", "-at_install")
class TestAmiProtocol(BaseCase):
    def test_framing_is_independent_of_chunking(self):
        data = load("ami-originate-with-events.txt").replace(b"\n", b"\r\n")
        whole = AmiStreamParser().feed(data + b"\r\n\r\n")
        parser = AmiStreamParser()
        pieces = []
        for i in range(0, len(data), 7):  # 7-byte chunks split CRLFs and keys
            pieces.extend(parser.feed(data[i : i + 7]))
        pieces.extend(parser.feed(b"\r\n\r\n"))
        self.assertEqual(len(whole), 750)  # the Originate action, its response, 748 events
        self.assertEqual(pieces, whole)
        self.assertEqual(sum(1 for m in whole if "event" in m), 748)
        self.assertEqual(whole[1]["response"], "Success")
        self.assertEqual(whole[2]["uniqueid"], "1414510600.0")

    def test_banner_and_values(self):
        parser = AmiStreamParser(expect_banner=True)
        messages = parser.feed(b"Asterisk Call Manager/5.0.1\r\nResponse: Success\r\nMessage: a: b\r\n\r\nEvent: X")
        self.assertEqual(parser.banner, "Asterisk Call Manager/5.0.1")
        self.assertEqual(messages, [{"response": "Success", "message": "a: b"}])
        self.assertEqual(parser.feed(b"\r\n\r\n"), [{"event": "X"}])

    def test_oversized_message_refused(self):
        parser = AmiStreamParser(max_message_bytes=1000)
        with self.assertRaises(AmiProtocolError):
            parser.feed(b"Event: Flood\r\nData: " + b"x" * 2000)

    def test_action_injection_refused(self):
        payload = format_action("Originate", {"ActionID": "1", "Exten": "101"}, {"MLM_DIAL": "77011234567"})
        self.assertEqual(
            payload,
            b"Action: Originate\r\nActionID: 1\r\nExten: 101\r\nVariable: MLM_DIAL=77011234567\r\n\r\n",
        )
        with self.assertRaises(AmiProtocolError):
            format_action("Originate", {"Exten": "101\r\nAction: Command\r\nCommand: core stop now"})

    def test_dialstring_number(self):
        self.assertEqual(dialstring_number("trunk/87071112233"), "87071112233")
        self.assertEqual(dialstring_number("SIP/gw/+77011234567@ctx"), "+77011234567")
        self.assertEqual(dialstring_number("ddddd"), "")
        self.assertEqual(dialstring_number("PJSIP/101"), "101")


@tagged("post_install", "-at_install")
class TestCallBuilder(BaseCase):
    def build(self, *names, **kwargs):
        builder = CallBuilder(**kwargs)
        reports = []
        for name in names:
            reports.extend(builder.feed_many(iter_trace_messages(load(name))))
        return builder, reports

    def test_shared_trace_asterisk11_originate(self):
        """The recorded Asterisk 11 stream: Originate rings extension 259, which then calls 254."""
        builder, reports = self.build("ami-originate-with-events.txt")
        self.assertEqual(builder.events_seen, 748)
        final = [r for r in reports if r.final]
        self.assertEqual(len(final), 1)
        call = final[0]
        self.assertEqual(call.call_id, "1414510600.0")
        self.assertEqual((call.caller, call.callee), ("259", "254"))
        self.assertEqual(call.direction, "internal")
        self.assertEqual(call.extension, "259")
        self.assertEqual(call.start, datetime(2014, 10, 28, 16, 36, 40))
        self.assertEqual(call.answer, datetime(2014, 10, 28, 16, 36, 53))
        self.assertEqual(call.end, datetime(2014, 10, 28, 16, 36, 58))
        self.assertEqual((call.duration, call.total_duration), (5, 18))
        self.assertEqual(call.status, "answered")
        self.assertEqual(builder.open_calls, 0, "every channel hung up: nothing left in memory")
        ringing = [r for r in reports if not r.final]
        self.assertEqual(len(ringing), 1, "announced once, when 254 starts ringing")
        self.assertEqual((ringing[0].callee, ringing[0].status), ("254", "ringing"))

    def test_shared_trace_outside_number_and_pbx_timezone(self):
        """Same stream, 254 taken as an outside number and the PBX clock in Paris (UTC+1 on that day)."""
        _builder, reports = self.build(
            "ami-originate-with-events.txt", is_internal=lambda n: n == "259", pbx_tz=ZoneInfo("Europe/Paris")
        )
        call = reports[-1]
        self.assertEqual((call.direction, call.extension), ("outbound", "259"))
        self.assertEqual(call.start, datetime(2014, 10, 28, 15, 36, 40))
        self.assertEqual(call.end, datetime(2014, 10, 28, 15, 36, 58))

    def test_queue_status_trace_has_no_call(self):
        builder, reports = self.build("ami-queue-status.txt")
        self.assertEqual(reports, [])
        self.assertEqual(builder.open_calls, 0)

    def test_asterisk13_inbound_answered_with_recording(self):
        _builder, reports = self.build("ami13-inbound-answered.txt")
        self.assertEqual([r.final for r in reports], [False, True])
        call = reports[-1]
        self.assertEqual(call.call_id, "1700000000.16")
        self.assertEqual(
            (call.direction, call.caller, call.callee, call.extension), ("inbound", "87011234567", "101", "101")
        )
        self.assertEqual(call.start, datetime(2023, 11, 14, 22, 13, 20, 100000))
        self.assertEqual(call.answer, datetime(2023, 11, 14, 22, 13, 29))
        self.assertEqual(call.end, datetime(2023, 11, 14, 22, 14, 34, 600000))
        self.assertEqual(call.duration, 66)
        self.assertEqual(call.status, "answered")
        self.assertTrue(call.recording.endswith("in-87011234567-101-1700000000.16.wav"))

    def test_asterisk13_missed_and_busy(self):
        _builder, reports = self.build("ami13-inbound-missed.txt", "ami13-outbound-busy.txt")
        missed, busy = [r for r in reports if r.final]
        self.assertEqual(
            (missed.direction, missed.caller, missed.extension, missed.status, missed.duration),
            ("inbound", "+77019876543", "102", "missed", 0),
        )
        self.assertIsNone(missed.answer)
        self.assertEqual(missed.total_duration, 21)
        self.assertEqual(
            (busy.direction, busy.caller, busy.callee, busy.status), ("outbound", "101", "87071112233", "busy")
        )

    def test_interleaved_calls_are_told_apart(self):
        """Events of concurrent calls arrive mixed: correlation by Linkedid/Uniqueid keeps them apart."""
        streams = [
            iter_trace_messages(load(n))
            for n in ("ami13-inbound-answered.txt", "ami13-inbound-missed.txt", "ami13-outbound-busy.txt")
        ]
        mixed = []
        while any(streams):
            for stream in streams:
                if stream:
                    mixed.append(stream.pop(0))
        builder = CallBuilder()
        final = {r.call_id: r for r in builder.feed_many(mixed) if r.final}
        self.assertEqual(
            {k: v.status for k, v in final.items()},
            {
                "1700000000.16": "answered",
                "1700000600.20": "missed",
                "1700001200.30": "busy",
            },
        )
        self.assertEqual(final["1700000000.16"].duration, 66)
        self.assertEqual(builder.open_calls, 0)

    def test_reset_after_gap(self):
        builder = CallBuilder()
        events = iter_trace_messages(load("ami13-inbound-answered.txt"))
        builder.feed_many(events[:5])
        self.assertEqual(builder.open_calls, 1)
        self.assertEqual(builder.reset(), 1)
        self.assertEqual(builder.feed_many(events[5:]), [], "events of a forgotten call are ignored")
