"""Streaming over real UDP: a daemon with its Live part, a tiny RNN, a python-osc client."""

from __future__ import annotations

import select
import socket
import struct
import time
from collections.abc import Iterator

import pytest
from clients import expect

from bridge.live.live import Live, running
from bridge.server.daemon import Daemon
from bridge.server.osc import OscClient, decode, encode


@pytest.fixture
def bridge(tiny_rnn) -> Iterator[tuple[Daemon, Live]]:
    daemon = Daemon({"rnn": tiny_rnn}, port=0)
    with running(daemon, realtime=False) as live:
        yield daemon, live


@pytest.fixture
def client(bridge) -> Iterator[OscClient]:
    host, port = bridge[0].address
    with OscClient(host, port) as c:
        yield c


def collect(client: OscClient, seconds: float) -> list[tuple[float, str, list]]:
    """Every message for ``seconds``, with its arrival time."""
    out = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        m = client.receive(left)
        if m is not None:
            out.append((time.monotonic(), m.address, m.args))
    return out


def timetagged(raw: socket.socket, seconds: float) -> list[tuple[float, float, object]]:
    """Every bundle on ``raw`` for ``seconds``: (arrival time.time(), timetag, first message)."""
    out = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([raw], [], [], left)
        if not ready:
            break
        data = raw.recv(65536)
        if data.startswith(b"#bundle"):
            seconds_, fraction = struct.unpack(">II", data[8:16])
            tag = seconds_ - 2_208_988_800 + fraction / 2**32
            out.append((time.time(), tag, decode(data)[0][0]))
    return out


def test_stream_plays_notes_in_time_and_ends(bridge) -> None:
    # With a lookahead every note carries the time it is meant for (its bundle's timetag):
    # the grid is checked on those, exactly, not on arrival times a busy machine moves.
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.bind(("127.0.0.1", 0))
    try:
        raw.sendto(encode("/bridge/rnn/stream/start", [7, "tempo", 240, "seed", 1, "steps", 32,
                                                       "lookahead", 50]),
                   bridge[0].address)  # fmt: skip
        reply = decode(raw.recv(65536))[0][0]
        assert reply.address == "/bridge/reply/rnn/stream/start"
        rid, sid = reply.args
        assert rid == 7 and 0 < sid <= 2**24  # random, exact in a Pd float
        got = timetagged(raw, 2.6)
    finally:
        raw.close()
    notes = [(tag, m.args) for _, tag, m in got if m.address == "/bridge/note"]
    assert notes, "32 steps of a random model gave no notes"
    step = 60 / 240 / 4
    t0 = notes[0][0]
    for tag, (stream, pitch, velocity, beats, ms) in notes:
        assert stream == sid and 0 <= pitch <= 127 and velocity == 100
        assert beats > 0 and ms == pytest.approx(beats * 250, abs=0.01)
        off_grid = (tag - t0) / step - round((tag - t0) / step)
        assert abs(off_grid) * step < 0.001  # onsets on the 16th-note grid
    last = notes[-1][0] + notes[-1][1][4] / 1000
    assert last - t0 <= 32 * step + 0.001


def test_stop_set_feed_and_errors(client: OscClient) -> None:
    client.send("/bridge/rnn/stream/start", 1, "tempo", 200.0, "channel", 2, "seed", 3)
    sid = expect(client, "/bridge/reply/rnn/stream/start")[1]
    expect(client, "/bridge/note")
    client.send("/bridge/rnn/stream/set", 2, "stream", sid, "tempo", 90, "temperature", 0.7)
    assert expect(client, "/bridge/reply/rnn/stream/set") == [2, sid]
    client.send("/bridge/rnn/stream/feed", 3, "stream", sid, "notes", 60, 0, 1, 100, 64, 1, 1, 100)
    assert expect(client, "/bridge/reply/rnn/stream/feed") == [3, sid]
    client.send("/bridge/rnn/stream/stop", 4, "stream", sid)
    assert expect(client, "/bridge/reply/rnn/stream/stop") == [4, sid]
    after = collect(client, 0.6)
    assert [a for _, addr, a in after if addr == "/bridge/note"] == []
    client.send("/bridge/rnn/stream/stop", 5, "stream", sid)
    error = expect(client, "/bridge/error")
    assert error[:2] == [5, "/bridge/rnn/stream/stop"] and f"no stream {sid}" in error[2]
    client.send("/bridge/rnn/stream/start", 6, "tempo", 1000)
    error = expect(client, "/bridge/error")
    assert error[0] == 6 and "tempo must be 20..400" in error[2]
    client.send("/bridge/rnn/stream/start", 8, "channel", 17)
    assert "channel" in expect(client, "/bridge/error")[2]


def test_lookahead_sends_timetagged_bundles_early(bridge) -> None:
    raw = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    raw.bind(("127.0.0.1", 0))
    try:
        raw.sendto(encode("/bridge/rnn/stream/start", [1, "lookahead", 200, "seed", 2,
                                                       "steps", 16]),
                   bridge[0].address)  # fmt: skip
        bundles = timetagged(raw, 2.5)
    finally:
        raw.close()
    assert bundles
    early = []
    for arrived, tag, message in bundles:
        assert message.address == "/bridge/note"
        assert tag - arrived < 0.25  # never sent more than the lookahead (200 ms) early
        early.append(tag - arrived)
    # Sent about 200 ms before the note's time: the median, so that a busy machine's late
    # wake-ups (a bench's business) cannot fail it.
    assert sorted(early)[len(early) // 2] > 0.1


def test_callresponse_state_without_midi_is_off(client: OscClient) -> None:
    client.send("/bridge/callresponse/state", 9)
    assert expect(client, "/bridge/reply/callresponse/state") == [9, "off"]


def test_stream_without_the_rnn_engine_is_an_error() -> None:
    daemon = Daemon({}, port=0)
    live = Live(daemon, realtime=False).start()
    daemon.start()
    try:
        with OscClient(*daemon.address) as c:
            c.send("/bridge/rnn/stream/start", 3)
            error = expect(c, "/bridge/error")
            assert error[0] == 3 and "rnn engine is not loaded" in error[2]
    finally:
        live.close()
        daemon.stop()


def test_registered_clients_hear_callresponse_states(bridge, client: OscClient) -> None:
    daemon, live = bridge
    with OscClient(*daemon.address) as listener:
        client.send("/bridge/register", 1, "port", listener.port)
        assert expect(listener, "/bridge/reply/register") == [1, listener.port]
        live._report_state("listening")  # as call and response does on a phrase's first note
        assert expect(listener, "/bridge/callresponse/state") == ["listening"]


def test_registered_ports_apply_to_note_bundles(bridge, client: OscClient) -> None:
    daemon, _ = bridge
    with OscClient(*daemon.address) as listener:
        client.send("/bridge/register", 1, "port", listener.port)
        assert expect(listener, "/bridge/reply/register") == [1, listener.port]
        client.send("/bridge/rnn/stream/start", 2, "lookahead", 100, "seed", 2, "steps", 16)
        sid = expect(listener, "/bridge/reply/rnn/stream/start")[1]
        note = expect(listener, "/bridge/note")  # sent in a bundle through the daemon
        assert note[0] == sid
        assert expect(listener, "/bridge/rnn/stream/done") == [sid]


def test_every_streaming_engine_has_its_stream_addresses(tiny_rnn) -> None:
    from engines.rnn.engine import RnnEngine

    daemon = Daemon({"rnn": tiny_rnn, "other": RnnEngine.tiny(seed=5)}, port=0)
    with running(daemon, realtime=False) as live, OscClient(*daemon.address) as c:
        assert sorted(live.workers) == ["other", "rnn"]
        c.send("/bridge/other/stream/start", 1, "seed", 1, "steps", 8, "tempo", 400)
        one = expect(c, "/bridge/reply/other/stream/start")[1]
        c.send("/bridge/rnn/stream/start", 2, "seed", 1)
        two = expect(c, "/bridge/reply/rnn/stream/start")[1]
        assert one != two  # numbers are unique across engines
        c.send("/bridge/rnn/stream/stop", 3, "stream", one)  # a stream belongs to its engine
        error = expect(c, "/bridge/error")
        assert error[:2] == [3, "/bridge/rnn/stream/stop"] and f"no stream {one}" in error[2]
        assert expect(c, "/bridge/other/stream/done") == [one]
        c.send("/bridge/other/stream/set", 4, "stream", two)
        assert f"no stream {two}" in expect(c, "/bridge/error")[2]


def test_an_engine_swap_ends_its_streams_and_restarts_the_worker(tmp_path) -> None:
    import engines
    from bridge.live.midi import MemoryMidiOutput
    from engines.rnn.engine import RnnEngine

    loaded = []
    for seed in (1, 2):  # two tiny checkpoints
        folder = tmp_path / f"rnn-{seed}"
        RnnEngine.tiny(seed=seed).save(folder)
        loaded.append(engines.load_engine(folder, "cpu"))
    old, new = loaded
    midi = MemoryMidiOutput()
    daemon = Daemon({"rnn": old}, port=0)
    live = Live(daemon, midi_output=midi, realtime=False).start()
    daemon.start()
    try:
        with OscClient(*daemon.address) as c:
            c.send("/bridge/rnn/stream/start", 1, "tempo", 300, "seed", 1)
            sid = expect(c, "/bridge/reply/rnn/stream/start")[1]
            expect(c, "/bridge/note")
            # what the daemon's /bridge/load does: the new engine in, then the hooks
            daemon.engines["rnn"] = new
            for hook in list(daemon.on_engine_swap):
                hook("rnn", old, new)
            assert expect(c, "/bridge/rnn/stream/done") == [sid]
            assert live.scheduler.sounding() == []
            ons = [m for m in midi.messages if m[0] & 0xF0 == 0x90 and m[2] > 0]
            offs = [m for m in midi.messages if m[0] & 0xF0 == 0x80]
            assert ons and len(ons) == len(offs)  # every note that sounded was ended
            assert live.workers["rnn"].engine is new
            c.send("/bridge/rnn/stream/stop", 2, "stream", sid)
            assert f"no stream {sid}" in expect(c, "/bridge/error")[2]
            c.send("/bridge/rnn/stream/start", 3, "tempo", 300, "seed", 1)
            rid, fresh = expect(c, "/bridge/reply/rnn/stream/start")
            assert rid == 3 and fresh != sid
            assert expect(c, "/bridge/note")[0] == fresh  # the new engine plays
    finally:
        live.close()
        daemon.stop()
