"""Events per second the AMI listener turns into calls, beside a naive baseline measured in the same run.

No database needed::

    $VENV/bin/python mlm_telephony/benchmarks/bench_ami_listener.py [--calls 20000] [--concurrent 50]

Synthetic Asterisk 13 traffic is made from the three recorded call shapes of ``tests/data`` (answered inbound
with recording, missed inbound, busy outbound), renumbered, ``--concurrent`` calls interleaved at a time.
Figures printed:

* framing + call building in memory (``AmiStreamParser`` + ``CallBuilder``);
* the same through a real TCP session: a local AMI peer streams the events, ``AmiListener`` builds the calls;
* naive baseline: line-by-line parsing and, for every event, a linear search of the open calls for the channel
  (what a first implementation without the unique-id index does).
"""

import argparse
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADDON = HERE.parent
import odoo.addons

odoo.addons.__path__.append(str(ADDON.parent))  # the repository, to import the add-on's plain-Python tools

from odoo.addons.mlm_telephony.tools.ami_calls import CallBuilder
from odoo.addons.mlm_telephony.tools.ami_client import AmiClient, AmiListener
from odoo.addons.mlm_telephony.tools.ami_protocol import AmiStreamParser

ID_HEADERS = ("Uniqueid", "Linkedid", "DestUniqueid", "DestLinkedid", "BridgeUniqueid")
TEMPLATES = ("ami13-inbound-answered.txt", "ami13-inbound-missed.txt", "ami13-outbound-busy.txt")


def make_stream(calls, concurrent):
    """Bytes of ``calls`` calls; returns (stream, number of events)."""
    templates = []
    for name in TEMPLATES:
        text = (ADDON / "tests" / "data" / name).read_bytes().decode()
        blocks = [b for b in text.split("\r\n\r\n") if b.strip()]
        uids = sorted(
            {line.split(": ", 1)[1] for b in blocks for line in b.split("\r\n") if line.split(":")[0] in ID_HEADERS}
        )
        templates.append((blocks, uids))
    pieces, events = [], 0
    for group_start in range(0, calls, concurrent):
        streams = []
        for n in range(group_start, min(calls, group_start + concurrent)):
            blocks, uids = templates[n % len(templates)]
            mapping = {uid: f"{1800000000 + n}.{i}" for i, uid in enumerate(uids)}
            renamed = []
            for block in blocks:
                for old, new in mapping.items():
                    block = block.replace(old, new)
                renamed.append(block + "\r\n\r\n")
            streams.append(renamed)
        while any(streams):
            for stream in streams:
                if stream:
                    pieces.append(stream.pop(0))
                    events += 1
    return "".join(pieces).encode(), events


def run_in_memory(stream):
    parser, builder = AmiStreamParser(), CallBuilder()
    start = time.perf_counter()
    finals = 0
    for i in range(0, len(stream), 4096):  # TCP-sized reads
        for report in builder.feed_many(parser.feed(stream[i : i + 4096])):
            finals += report.final
    return time.perf_counter() - start, finals


def run_naive(stream):
    """Baseline: parse line by line, find the call of each event by scanning every open call."""
    start = time.perf_counter()
    open_calls, finals, event = [], 0, {}
    for raw in stream.decode().split("\r\n"):
        if raw:
            key, _sep, value = raw.partition(": ")
            event[key.lower()] = value
            continue
        if not event:
            continue
        uid, linked = event.get("uniqueid"), event.get("linkedid") or event.get("uniqueid")
        call = next((c for c in open_calls if linked in c["uids"] or uid in c["uids"]), None)
        if call is None and event.get("event") == "Newchannel":
            call = {"uids": {uid}, "up": set()}
            open_calls.append(call)
        if call is not None:
            call["uids"].add(uid)
            if event.get("event") == "Newchannel":
                call["up"].add(uid)
            elif event.get("event") == "Hangup":
                call["up"].discard(uid)
                if not call["up"]:
                    open_calls.remove(call)
                    finals += 1
        event = {}
    return time.perf_counter() - start, finals


def run_tcp(stream, calls):
    from odoo.addons.mlm_telephony.tests.ami_peer import AmiTestPeer

    done = threading.Event()
    stored = []

    def sink(reports):
        stored.extend(r for r in reports if r.final)
        if len(stored) >= calls:
            done.set()

    with AmiTestPeer() as peer:
        stop = threading.Event()
        listener = AmiListener(
            lambda: AmiClient("127.0.0.1", peer.port, "odoo", "s3cret"), CallBuilder(), sink, read_timeout=0.01
        )
        thread = threading.Thread(target=listener.run, args=(stop,), daemon=True)
        thread.start()
        peer.wait_for_logins(1)
        start = time.perf_counter()
        peer.push(stream)
        done.wait(600)
        elapsed = time.perf_counter() - start
        stop.set()
        thread.join(10)
    return elapsed, len(stored)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--concurrent", type=int, default=50)
    args = parser.parse_args()
    stream, events = make_stream(args.calls, args.concurrent)
    print(f"{args.calls} calls, {events} events, {len(stream) / 1e6:.1f} MB, {args.concurrent} calls interleaved")
    for label, (elapsed, finals) in (
        ("in memory (parser + CallBuilder)", run_in_memory(stream)),
        ("over TCP (AmiListener, local AMI peer)", run_tcp(stream, args.calls)),
        ("naive baseline (linear search of open calls)", run_naive(stream)),
    ):
        print(
            f"{label:48s} {elapsed:8.2f} s  {events / elapsed:10,.0f} events/s  {finals / elapsed:9,.0f} calls/s"
            f"  ({finals} calls)"
        )


if __name__ == "__main__":
    main()
