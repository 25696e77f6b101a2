"""Perf streams in Max: max_patches/bridge.perfstream.maxpat and `ableton/bridge Perform
Stream.amxd`, run in the message-passing model (tools/maxsim.py). Their requests go as they are
to a real Daemon with live streams (the tiny perf engine, over UDP); its start reply and its
`/bridge/note` events go back into the patch's [udpreceive], and [makenote] must get each note
with its own velocity. The rnn Stream patch's client keeps passing only its own stream's notes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clients import WAIT

from bridge.live.live import running
from bridge.server.daemon import Daemon
from bridge.server.osc import OscClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from maxsim import Sim  # noqa: E402
from test_maxpat import MAX, device, named, request_sent  # noqa: E402

pytestmark = pytest.mark.slow

START, SET, STOP = (f"/bridge/perf/stream/{v}" for v in ("start", "set", "stop"))
DONE = "/bridge/perf/stream/done"
C_MAJOR = {0, 2, 4, 5, 7, 9, 11}


@pytest.fixture(scope="module")
def daemon(tiny_perf: Any) -> Iterator[OscClient]:
    """An in-process Daemon with live streams serving the tiny perf engine, and a client."""
    d = Daemon({"perf": tiny_perf}, port=0)
    with running(d, realtime=False):
        host, port = d.address
        with OscClient(host, port) as client:
            yield client


def exchange(client: OscClient, request: list[Any], until: str | None = None) -> list[list]:
    """Send a patch's request as it is; its reply (an error fails), then every message up to
    one to ``until`` (None: the reply alone), each as [address, *args]."""
    client.send(request[0], *request[1:])
    reply = request[0].replace("/bridge/", "/bridge/reply/", 1)
    got: list[list] = []
    deadline = time.monotonic() + WAIT * 3
    while time.monotonic() < deadline:
        m = client.receive(WAIT)
        assert m is not None, f"nothing after {request} ({len(got)} messages)"
        assert m.address != "/bridge/error", (request, m)
        got.append([m.address, *m.args])
        if (m.address == reply and until is None) or m.address == until:
            return got
    pytest.fail(f"no {until or reply} after {request}")


def makenote_inputs(sim: Sim) -> list[tuple[int, int]]:
    """(pitch, velocity) of each note [makenote] played (its velocity inlet is set first)."""
    velocities = [m.atoms()[0] for o, i, m in sim.log if o.cls == "makenote" and i == 1]
    return list(zip(sim.played, velocities, strict=True))


def test_patch_sends_beats_and_density_only_when_aimed() -> None:
    sim = Sim.load(MAX / "bridge.perfstream.maxpat").start()
    play = named(sim, "play")
    sim.click(play, 1)
    assert request_sent(sim, START)[2:] == ["tempo", 120.0, "temperature", 1.0, "beats", 0]
    sim.udp_in("/bridge/reply/perf/stream/start", request_sent(sim, START)[1], 5)
    sim.click(named(sim, "temperature"), 0.7)
    assert request_sent(sim, SET)[2:] == ["stream", 5, "tempo", 120.0, "temperature", 0.7]
    sim.click(named(sim, "aim"), 1)
    sim.click(named(sim, "density"), 3.5)
    assert request_sent(sim, SET)[2:] == [
        *["stream", 5, "tempo", 120.0, "temperature", 0.7, "density", 3.5]
    ]
    sim.click(play, 0)
    assert request_sent(sim, STOP)[2:] == ["stream", 5]
    sim.click(named(sim, "beats"), 16)
    sim.click(play, 1)
    assert request_sent(sim, START)[2:] == [
        *["tempo", 120.0, "temperature", 0.7, "beats", 16, "density", 3.5]
    ]


def test_patch_plays_a_real_streams_chords_with_their_velocities(daemon: OscClient) -> None:
    sim = Sim.load(MAX / "bridge.perfstream.maxpat").start()
    sim.click(named(sim, "tempo"), 300.0)
    sim.click(named(sim, "beats"), 4)
    sim.click(named(sim, "aim"), 1)
    sim.click(named(sim, "density"), 4.0)
    sim.click(named(sim, "play"), 1)
    start = request_sent(sim, START)
    assert start[2:] == ["tempo", 300.0, "temperature", 1.0, "beats", 4, "density", 4.0]
    got = exchange(daemon, start, until=DONE)
    reply, notes = got[0], [m for m in got if m[0] == "/bridge/note"]
    assert reply[:2] == ["/bridge/reply/perf/stream/start", start[1]]
    assert notes, "the tiny perf engine played nothing in 4 beats at density 4"
    sid = reply[2]
    for m in got:
        sim.udp_in(*m)
    sim.udp_in("/bridge/note", sid + 1, 61, 50, 0.5, 100.0)  # another stream's: not ours
    assert makenote_inputs(sim) == [(m[2], m[3]) for m in notes]
    for _, stream, _pitch, _vel, beats, ms in notes:
        assert stream == sid and ms == pytest.approx(beats * 200, abs=0.5)  # 300 BPM


def test_patch_sets_and_stops_a_real_stream(daemon: OscClient) -> None:
    sim = Sim.load(MAX / "bridge.perfstream.maxpat").start()
    sim.click(named(sim, "play"), 1)
    start = request_sent(sim, START)
    (reply,) = exchange(daemon, start)[-1:]
    sim.udp_in(*reply)
    sim.click(named(sim, "aim"), 1)
    sim.click(named(sim, "density"), 1.5)
    set_req = request_sent(sim, SET)
    assert set_req[2:4] == ["stream", reply[2]] and set_req[-2:] == ["density", 1.5]
    assert exchange(daemon, set_req)[-1][:3] == [
        "/bridge/reply/perf/stream/set",
        set_req[1],
        reply[2],
    ]
    sim.click(named(sim, "play"), 0)
    stop = request_sent(sim, STOP)
    assert exchange(daemon, stop)[-1][:3] == ["/bridge/reply/perf/stream/stop", stop[1], reply[2]]
    assert [m for o, i, m in sim.log if o.cls == "makenote" and i == "stop"], "notes flushed"


def test_device_follows_lives_tempo_and_streams_chords(daemon: OscClient) -> None:
    sim = device("bridge Perform Stream.amxd")
    sim.press(sim.box("live.observer tempo"), 240.0)  # Live's tempo, observed
    sim.click(named(sim, "Beats"), 4)
    sim.press(named(sim, "Play"), 1)
    start = request_sent(sim, START)
    assert start[2:] == ["tempo", 240.0, "temperature", 1.0, "beats", 4]
    got = exchange(daemon, start, until=DONE)
    notes = [m for m in got if m[0] == "/bridge/note"]
    for m in got:
        sim.udp_in(*m)
    assert makenote_inputs(sim) == [(m[2], m[3]) for m in notes]
    sid = got[0][2]
    sim.press(named(sim, "Play"), 0)
    assert request_sent(sim, STOP)[2:] == ["stream", sid]

    sim.click(named(sim, "Aim Density"), 1)
    sim.click(named(sim, "Density"), 3.0)
    sim.click(named(sim, "Beats"), 0)
    sim.press(named(sim, "Play"), 1)
    start = request_sent(sim, START)
    assert start[2:] == ["tempo", 240.0, "temperature", 1.0, "beats", 0, "density", 3.0]
    (reply,) = exchange(daemon, start)[-1:]
    sim.udp_in(*reply)
    sim.press(sim.box("live.observer tempo"), 100.0)
    set_req = request_sent(sim, SET)
    assert set_req[2:] == ["stream", reply[2], "tempo", 100.0, "temperature", 1.0, "density", 3.0]
    assert exchange(daemon, set_req)[-1][0] == "/bridge/reply/perf/stream/set"
    sim.press(named(sim, "Play"), 0)
    assert exchange(daemon, request_sent(sim, STOP))[-1][0] == "/bridge/reply/perf/stream/stop"


def test_client_takes_any_engines_stream_as_its_own() -> None:
    """The client learns its stream's number from the start reply of rnn, ngram or perf."""
    for engine in ("ngram", "perf"):
        sim = Sim.load(MAX / "bridge.maxpat", args=["57120", "7401"]).start()
        base = sim.sent[0][1]
        sim.udp_in(f"/bridge/reply/{engine}/stream/start", base + 2, 9)
        sim.udp_in("/bridge/note", 9, 64, 33, 0.5, 250.0)
        sim.udp_in("/bridge/note", 8, 65, 100, 0.5, 250.0)
        assert [repr(m) for i, m in sim.outputs if i == 1] == ["list 64 33 0.5 250.0"]
