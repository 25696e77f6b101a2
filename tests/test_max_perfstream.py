"""Perf streams in Max: max_patches/bridge.perfstream.maxpat and `ableton/bridge Perform
Stream.amxd`, run in the message-passing model (tools/maxsim.py). Their requests go as they are
to a real Daemon with live streams (the tiny perf engine, over UDP); its start reply and its
`/bridge/note` events go back into the patch's [udpreceive], and [makenote] must get each note
with its own velocity. The rnn Stream patch's client keeps passing only its own stream's notes.
What the performer plays into [midiin] goes to the stream as a feed, a phrase once every key
is up, with the Feed toggle on.
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
from patcher import Patcher  # noqa: E402
from test_maxpat import MAX, device, named, request_sent  # noqa: E402

pytestmark = pytest.mark.slow

START, SET, STOP, FEED = (f"/bridge/perf/stream/{v}" for v in ("start", "set", "stop", "feed"))
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


def play(sim: Sim, events: list[tuple[float, int, int]]) -> None:
    """(ms, pitch, velocity) events out of [midiparse], as the track's [midiin] gives them."""
    parse = sim.box("midiparse")
    for t, pitch, velocity in events:
        sim.time_ms = t
        sim.press(parse, pitch, velocity)


def feeds(sim: Sim) -> list[list]:
    return [m[2:] for m in sim.all_sent() if m[0] == FEED]


def test_device_feeds_each_phrase_once_every_key_is_up() -> None:
    sim = device("bridge Perform Stream.amxd")
    sim.press(sim.box("live.observer tempo"), 240.0)  # 250 ms a beat
    play(sim, [(0, 60, 100), (250, 60, 0)])
    assert feeds(sim) == [], "no stream plays yet: nothing to feed"
    sim.press(named(sim, "Play"), 1)
    sim.udp_in("/bridge/reply/perf/stream/start", request_sent(sim, START)[1], 7)

    # a chord (keys down at 1000 and 1025 ms), one key up, then the other: one phrase
    play(sim, [(1000, 60, 100), (1025, 64, 70), (1250, 60, 0)])
    assert feeds(sim) == [], "a key is still down"
    play(sim, [(1500, 64, 0)])
    assert feeds(sim) == [["stream", 7, "notes", 60, 0.0, 1.0, 100, 64, 0.1, 1.9, 70]]

    # overlapping notes are one phrase; a key struck again before its note-off ends its note
    play(sim, [(2000, 67, 90), (2125, 69, 80), (2250, 67, 0), (2375, 69, 60), (2500, 69, 0)])
    assert feeds(sim)[1:] == [
        ["stream", 7, "notes", 67, 0.0, 1.0, 90, 69, 0.5, 1.0, 80, 69, 1.5, 0.5, 60]
    ]
    play(sim, [(3000, 72, 0)])  # the note-off of a key never seen down: nothing
    assert len(feeds(sim)) == 2

    # Feed off: played (and passed through) but not fed; on again: fed
    sim.click(named(sim, "Feed"), 0)
    play(sim, [(4000, 62, 100), (4250, 62, 0)])
    assert len(feeds(sim)) == 2
    sim.click(named(sim, "Feed"), 1)
    play(sim, [(5000, 65, 110), (5500, 65, 0)])
    assert feeds(sim)[2:] == [["stream", 7, "notes", 65, 0.0, 2.0, 110]]

    # stopped: nothing; started again, the new stream's id
    sim.press(named(sim, "Play"), 0)
    play(sim, [(6000, 65, 110), (6500, 65, 0)])
    assert len(feeds(sim)) == 3
    sim.press(named(sim, "Play"), 1)
    sim.udp_in("/bridge/reply/perf/stream/start", request_sent(sim, START)[1], 8)
    play(sim, [(7000, 48, 30), (7125, 48, 0)])
    assert feeds(sim)[3:] == [["stream", 8, "notes", 48, 0.0, 0.5, 30]]


def test_patch_feeds_at_its_tempo_and_a_real_stream_takes_the_feed(daemon: OscClient) -> None:
    sim = Sim.load(MAX / "bridge.perfstream.maxpat").start()
    assert named(sim, "feed").value == 1, "Feed is on at load"
    sim.click(named(sim, "tempo"), 60.0)  # a second a beat
    sim.click(named(sim, "play"), 1)
    start = request_sent(sim, START)
    (reply,) = exchange(daemon, start)[-1:]
    sim.udp_in(*reply)
    play(sim, [(0, 60, 100), (500, 67, 50), (2000, 67, 0), (2500, 60, 0)])
    feed = request_sent(sim, FEED)
    # in the order the keys went up, as the daemon's own MIDI input hands a phrase on
    assert feed[2:] == ["stream", reply[2], "notes", 67, 0.5, 1.5, 50, 60, 0.0, 2.5, 100]
    assert exchange(daemon, feed)[-1][:3] == ["/bridge/reply/perf/stream/feed", feed[1], reply[2]]
    sim.click(named(sim, "feed"), 0)
    play(sim, [(3000, 62, 100), (3100, 62, 0)])
    assert feeds(sim) == [feed[2:]]
    sim.click(named(sim, "play"), 0)
    assert exchange(daemon, request_sent(sim, STOP))[-1][0] == "/bridge/reply/perf/stream/stop"


def test_model_coll_removes_an_entry() -> None:
    p = Patcher((0.0, 0.0, 400.0, 400.0))
    held = p.obj("coll", 20, 100)
    for i, text in enumerate(("60 1.5 100", "64 2. 90", "remove 60", "remove 61")):
        p.connect(p.msg(text, 20 + 100 * i, 20), 0, held, 0)
    sim = Sim(p.layout().document()["patcher"], MAX)
    for text in ("60 1.5 100", "64 2. 90"):
        sim.click(sim.box(text))
    assert sim.box("coll").data == {60: [1.5, 100], 64: [2.0, 90]}
    sim.click(sim.box("remove 60"))
    sim.click(sim.box("remove 61"))  # not there: nothing
    assert sim.box("coll").data == {64: [2.0, 90]}
