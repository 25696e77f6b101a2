"""perf streams and perf call and response over real UDP and a real JACK server (``jackd -d
dummy``) with the tiny perf engine: chords, notes ending, set, feed (OSC and MIDI input),
stop, ownership, and (SIGTERM: test_midi) a polyphonic answer with velocities."""

from __future__ import annotations

import select
import struct
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from clients import expect, require_client
from test_midi import Receiver, Sender, jack, notes_on, unmatched  # noqa: F401

from bridge.live.callresponse import CallResponseOptions
from bridge.live.live import Live, LiveOptions, running
from bridge.server.daemon import Daemon
from bridge.server.osc import Message, OscClient, decode

pytestmark = pytest.mark.slow

START = "/bridge/perf/stream/start"
C_ONLY = (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)


@pytest.fixture
def bridge(tiny_perf) -> Iterator[tuple[Daemon, Live]]:
    daemon = Daemon({"perf": tiny_perf}, port=0)
    with running(daemon, realtime=False) as live:
        yield daemon, live


def start(client: OscClient, request_id: int, *keys: object) -> int:
    client.send(START, request_id, "seed", 1, *keys)
    rid, sid = expect(client, "/bridge/reply/perf/stream/start")
    assert rid == request_id
    return sid


def timed_notes(client: OscClient, until: str, timeout: float = 20.0) -> list[tuple[float, list]]:
    """Every ``/bridge/note`` (sent early in bundles: ``lookahead``) with its bundle's
    timetag, until a message to ``until`` comes."""
    got = []
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([client.sock], [], [], left)
        if not ready:
            break
        data, _ = client.sock.recvfrom(65536)
        tag = struct.unpack(">II", data[8:16]) if data.startswith(b"#bundle") else (0, 0)
        packets, _ = decode(data)
        for m in packets:
            if isinstance(m, Message) and m.address == "/bridge/note":
                got.append((tag[0] + tag[1] / 2**32, m.args))
            elif isinstance(m, Message) and m.address == until:
                return got
    pytest.fail(f"no {until} within {timeout:g} s; {len(got)} notes")


def poll(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_stream_plays_chords_over_udp_and_its_notes_end(bridge) -> None:
    daemon, live = bridge
    with OscClient(*daemon.address) as c:
        sid = start(c, 1, "tempo", 400, "beats", 16, "lookahead", 200)
        notes = timed_notes(c, "/bridge/perf/stream/done")
    assert notes and all(args[0] == sid for _, args in notes)
    onsets = Counter(tag for tag, _ in notes)
    assert max(onsets.values()) >= 2  # several notes in one bundle time: a chord
    assert all(args[3] > 0 and args[4] > 0 for _, args in notes)  # every note has an end
    assert all(1 <= args[2] <= 127 for _, args in notes)
    assert not live.scheduler.sounding() and not live.workers["perf"].ids()


def test_set_feed_stop_and_ownership_over_udp(bridge) -> None:
    daemon, live = bridge
    worker = live.workers["perf"]
    with OscClient(*daemon.address) as c, OscClient(*daemon.address) as other:
        sid = start(c, 1, "tempo", 240, "density", 2.0)
        c.send("/bridge/perf/stream/set", 2, "stream", sid, "density", 8.0,
               "pitch_classes", *C_ONLY)  # fmt: skip
        assert expect(c, "/bridge/reply/perf/stream/set") == [2, sid]
        s = worker.get(sid)
        assert poll(lambda: s.session is not None and s.session.density == 8.0)
        assert s.session.pitch_classes is not None
        c.send("/bridge/perf/stream/set", 3, "stream", sid, "pitch_classes", 1, 0, 1)
        error = expect(c, "/bridge/error")
        assert error[:2] == [3, "/bridge/perf/stream/set"]  # 3 weights, not 12
        offset = s.offset
        c.send("/bridge/perf/stream/feed", 4, "stream", sid,
               "notes", 48, 0, 4, 90, 52, 0, 4, 70, 55, 0, 4, 80)  # fmt: skip
        assert expect(c, "/bridge/reply/perf/stream/feed") == [4, sid]
        assert poll(lambda: s.offset >= offset + 4 - 1e-6)  # the session heard 4 beats
        for rid, (verb, *keys) in enumerate(
            [("set", "density", 1.0), ("feed", "notes", 60, 0, 1, 90), ("stop",)], start=5
        ):
            other.send(f"/bridge/perf/stream/{verb}", rid, "stream", sid, *keys)
            assert expect(other, "/bridge/error") == [
                rid, f"/bridge/perf/stream/{verb}", f"stream {sid} belongs to another client"
            ]  # fmt: skip
        assert worker.ids() == [sid]
        assert poll(lambda: live.scheduler.sounding(sid), 20.0)
        c.send("/bridge/perf/stream/stop", 9, "stream", sid)
        assert expect(c, "/bridge/reply/perf/stream/stop") == [9, sid]
        assert not live.scheduler.sounding(sid) and not worker.ids()


def test_a_bad_feed_or_primer_is_refused_with_its_id_and_the_stream_untouched(bridge) -> None:
    daemon, live = bridge
    worker = live.workers["perf"]
    far = ("notes", 60, 0, 1, 90, 64, 150_000, 1, 90)  # note 2 ends past the last beat
    with OscClient(*daemon.address) as c:
        c.send(START, 1, "tempo", 120, *far)
        rid, address, message = expect(c, "/bridge/error")
        assert (rid, address) == (1, START) and "150001" in message
        assert worker.ids() == []  # no stream was started
        sid = start(c, 2, "tempo", 120)
        s = worker.get(sid)
        assert poll(lambda: s.session is not None)
        offset = s.offset
        c.send("/bridge/perf/stream/feed", 3, "stream", sid, *far)
        rid, address, message = expect(c, "/bridge/error")
        assert (rid, address) == (3, "/bridge/perf/stream/feed") and "150001" in message
        assert s.feeds_waiting == 0  # nothing was queued for the worker
        c.send("/bridge/perf/stream/set", 4, "stream", sid, "density", 6.0)
        assert expect(c, "/bridge/reply/perf/stream/set") == [4, sid]
        assert poll(lambda: s.session.density == 6.0)  # the worker has run what came before
        assert s.offset == offset  # the session heard nothing
        c.send("/bridge/perf/stream/feed", 5, "stream", sid, "notes", 60, 0, 2, 90)
        assert expect(c, "/bridge/reply/perf/stream/feed") == [5, sid]
        assert poll(lambda: s.offset >= offset + 2 - 1e-6)  # a good feed is heard


@pytest.fixture
def jack_bridge(jack: str, tiny_perf) -> Iterator[tuple[Daemon, Live]]:  # noqa: F811
    options = LiveOptions(
        virtual_midi=True,
        client_name="bridge-perf",
        respond_with="perf",
        callresponse=CallResponseOptions(silence=0.4, response_bars=1, seed=3, channel=2),
    )
    daemon = Daemon({"perf": tiny_perf}, port=0)
    with running(daemon, options, realtime=False) as live:
        yield daemon, live


def most_sounding(messages: list[tuple[float, list[int]]]) -> int:
    """The most notes sounding at once, replaying the messages in order."""
    sounding: set[tuple[int, int]] = set()
    most = 0
    for _, m in messages:
        key = (m[0] & 0x0F, m[1])
        if m[0] & 0xF0 == 0x90 and m[2] > 0:
            sounding.add(key)
            most = max(most, len(sounding))
        elif m[0] & 0xF0 in (0x80, 0x90):
            sounding.discard(key)
    return most


def test_a_stream_over_jack_hears_played_chords_and_stop_ends_every_note(jack_bridge) -> None:
    daemon, live = jack_bridge
    recv = Receiver("bridge-perf:out")
    send = Sender("bridge-perf-in:in")
    try:
        with OscClient(*daemon.address) as c:
            sid = start(c, 1, "tempo", 300, "channel", 5, "density", 6.0)
            assert recv.wait_for(lambda ms: most_sounding(ms) >= 2, 20.0), recv.messages[-20:]
            s = live.workers["perf"].get(sid)
            offset = s.offset
            for p in (48, 55, 64):  # a chord played into the bridge's MIDI input
                send.send(0x90, p, 100)
            time.sleep(0.3)
            for p in (48, 55, 64):
                send.send(0x80, p, 0)
            assert poll(lambda: s.offset > offset)  # the stream's session heard it
            c.send("/bridge/perf/stream/stop", 2, "stream", sid)
            assert expect(c, "/bridge/reply/perf/stream/stop") == [2, sid]
            # the chord played also starts call and response (channel 2), which may still be
            # playing: a long deadline, as a note left hanging never ends
            assert recv.wait_for(lambda ms: not unmatched(ms), 20.0), unmatched(recv.messages)
        stream = [m for _, m in recv.messages if m[0] & 0xF0 in (0x80, 0x90) and m[0] & 0xF == 4]
        assert len(stream) >= 4  # on channel 5
    finally:
        send.close()
        recv.close()


def test_call_and_response_answers_a_chord_with_chords(jack_bridge) -> None:
    daemon, live = jack_bridge
    recv = Receiver("bridge-perf:out")
    send = Sender("bridge-perf-in:in")
    try:
        for chord in ((48, 64, 67), (45, 64, 69), (41, 65, 69)):
            for p in chord:
                send.send(0x90, p, 90)
            time.sleep(0.25)
            for p in chord:
                send.send(0x80, p, 0)
        answer = lambda ms: [(t, m) for t, m in ms if m[0] & 0x0F == 1]  # noqa: E731 channel 2
        assert recv.wait_for(lambda ms: notes_on(answer(ms)), 15.0), "no answer"
        assert poll(lambda: live.callresponse is not None and live.callresponse.state == "idle",
                    15.0)  # fmt: skip
        assert recv.wait_for(lambda ms: not unmatched(ms), 5.0), unmatched(recv.messages)
        ons = notes_on(answer(recv.messages))
        assert most_sounding(answer(recv.messages)) >= 2  # polyphonic
        assert len({m[2] for _, m in ons}) >= 2  # the model's velocities, not one for all
    finally:
        send.close()
        recv.close()


def test_the_perf_benches_measure_chords_and_many_streams(tiny_perf) -> None:
    from bridge.bench.live import bench_perf_stream_midi, bench_stream_load

    require_client("jackd")
    figures = bench_perf_stream_midi(tiny_perf, seconds=3, tempo=240, density=8.0)
    assert figures["n"] > 10 and figures["chord_spread"]["n"] > 0
    assert figures["chord_spread"]["max_ms"] >= 0
    load = bench_stream_load(tiny_perf, 3, 3, 240, engine_name="perf", keys=("density", 8.0))
    assert load["streams"] == 3 and load["n"] > 30
    assert (load["over_5ms"] > 0) == (load["max_ms"] > 5.0)
