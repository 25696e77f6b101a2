"""The Harmonize and Perform clients in Max: the Max for Live devices and the Max patches,
run in the message-passing model (tools/maxsim.py) against the daemon's real replies.

A device's or patch's request (what its [udpsend] would send) goes to an in-process Daemon
serving the tiny engines; its replies go back into the patch's [udpreceive]. For the devices,
what [js bridge_clip.js] then receives runs through the script under node with test_maxpat's
fake Live set: Harmonize must write the four voices together as one clip, Perform the
polyphonic answer with its velocities.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clients import WAIT, daemon_client, wire_notes

from bridge.server.osc import OscClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from maxsim import Sim  # noqa: E402
from test_max_variations import daemon_replies, js_messages, run_clip_script  # noqa: E402
from test_maxpat import MAX, device, js_received, named, request_sent  # noqa: E402

HARMONIZE = "/bridge/harmony/harmonize"
PERF = "/bridge/perf/continue"
MELODY = [67, 0.0, 1.0, 90, 69, 1.0, 1.0, 90, 71, 2.0, 2.0, 90, 72, 4.0, 1.0, 90, 67, 5.0, 3.0, 90]
CHORDS = [48, 0.0, 1.0, 100, 64, 0.0, 1.0, 60, 67, 0.0, 1.0, 70, 45, 1.0, 1.0, 90, 69, 1.0, 2.0, 50]


@pytest.fixture(scope="module")
def daemon(tiny_engines: dict[str, Any]) -> Iterator[OscClient]:
    with daemon_client(tiny_engines) as client:
        yield client


def one_reply(client: OscClient, request: list[Any]) -> list[Any]:
    """Send a patch's request as it is; the daemon's one reply to it (an error fails)."""
    address, rid = request[0], request[1]
    client.send(address, *request[1:])
    while True:
        m = client.receive(WAIT)
        assert m is not None, f"no reply to {request}"
        if m.args and m.args[0] == rid:
            assert m.address == address.replace("/bridge/", "/bridge/reply/", 1), m
            return [m.address, *m.args]


def played(n: Any) -> tuple[int, int, float, float]:
    """What [pipe] holds for a note at 120 BPM: pitch velocity ms delay-ms (rounded)."""
    return (n.pitch, n.velocity, round(n.duration * 500, 3), round(n.start * 500, 3))


def queued(sim: Sim) -> list[tuple[int, int, float, float]]:
    return sorted(
        (p, v, round(ms, 3), round(at, 3)) for p, v, ms, at in sim.box("pipe 0 0 0. 0").queue
    )


def writes(sim: Sim, selector: str) -> list[list[Any]]:
    return [m for m in js_messages(sim) if m[0] == selector]


# --- the Harmonize device --------------------------------------------------------------------


def test_harmonize_device_asks_greedy_then_sampled() -> None:
    sim = device("bridge Harmonize.amxd")
    clip = sim.box("js bridge_clip.js")
    sim.press(named(sim, "Harmonize"))
    assert js_received(sim)[-1] == "read melody"
    sim.press(clip, "melody", *MELODY)
    assert request_sent(sim, HARMONIZE)[2:] == ["notes", *MELODY], "temperature 0: greedy"
    sim.click(named(sim, "Temperature"), 0.7)
    sim.press(named(sim, "Harmonize"))
    sim.press(clip, "melody", 60, 0.0, 1.0, 100)
    assert request_sent(sim, HARMONIZE)[2:] == ["temperature", 0.7, "notes", 60, 0.0, 1.0, 100]
    sim.click(named(sim, "Temperature"), 0.0)
    sim.press(named(sim, "Harmonize"))
    sim.press(clip, "melody", 62, 0.0, 1.0, 100)
    assert request_sent(sim, HARMONIZE)[2:] == ["notes", 62, 0.0, 1.0, 100]


def test_harmonize_device_writes_the_four_voices_as_one_clip(
    daemon: OscClient, tmp_path: Path
) -> None:
    sim = device("bridge Harmonize.amxd")
    sim.press(named(sim, "Harmonize"))
    sim.press(sim.box("js bridge_clip.js"), "melody", *MELODY)
    replies = daemon_replies(daemon, request_sent(sim, HARMONIZE))
    assert [r[2:4] for r in replies] == [[i, 4] for i in range(4)]
    assert [n.pitch for n in wire_notes(replies[0][4:])] == MELODY[::4], "soprano as given"
    for reply in reversed(replies):  # UDP may reorder them; the script waits for all four
        sim.udp_in(*reply)
    got = writes(sim, "writepart")
    assert got == [["writepart", "Harmony", *r[2:]] for r in reversed(replies)]

    result = run_clip_script(got, tmp_path)
    made = [s for s in result["slots"][2:] if s is not None]
    assert [s["name"] for s in made] == ["Harmony"], "one clip, written once all four are in"
    voices = [wire_notes(r[4:]) for r in replies]
    written = sorted(
        (n["pitch"], round(n["start_time"], 6), n["velocity"]) for n in made[0]["notes"]
    )
    assert written == sorted((n.pitch, round(n.start, 6), n.velocity) for v in voices for n in v)
    assert made[0]["length"] == 8  # the melody's 8 beats: two whole bars
    assert result["out"][-1] == [1, [f"wrote {sum(map(len, voices))} notes to 'Harmony'"]]


def test_clip_script_collects_parts_in_any_order(tmp_path: Path) -> None:
    result = run_clip_script(
        [
            ["writepart", "Harmony", 2, 3, 55, 0, 2, 70],
            ["writepart", "Harmony", 0, 3, 67, 0, 2, 90],
            ["writepart", "Harmony", 0, 3, 72, 0, 1, 91],  # a new answer: the old parts go
            ["writepart", "Harmony", 1, 3, 64, 0, 1, 80],
            ["writepart", "Harmony", 2, 3, 48, 0, 1, 60, 43, 1, 1, 61],
            ["writepart", "Harmony", 0, 2, 60, 0],
        ],
        tmp_path,
    )
    made = [s for s in result["slots"][2:] if s is not None]
    assert len(made) == 1 and made[0]["name"] == "Harmony"
    assert [n["pitch"] for n in made[0]["notes"]] == [72, 64, 48, 43]
    assert [o[1][0] for o in result["out"]] == [
        "'Harmony': 1 of 3 parts in",
        "'Harmony': 2 of 3 parts in",
        "'Harmony': 1 of 3 parts in",
        "'Harmony': 2 of 3 parts in",
        "wrote 4 notes to 'Harmony'",
        "a note list needs 4 numbers per note, got 2",
    ]


def test_clip_script_keeps_an_end_a_hair_past_the_bar_line_in_its_bar(tmp_path: Path) -> None:
    # 8.0 beats as float32 on the wire comes back as 8.000000238...: still two bars, not three
    end = 8.000000238418579
    result = run_clip_script(
        [["write", "cut", 60, 0.0, end, 90], ["write", "on", 60, 0.0, 8.01, 90]], tmp_path
    )
    assert [s["length"] for s in result["slots"][2:4]] == [8, 12]


# --- the Perform device ----------------------------------------------------------------------


def test_perform_device_sends_chords_beats_and_density_when_aimed() -> None:
    sim = device("bridge Perform.amxd")
    clip = sim.box("js bridge_clip.js")
    sim.press(named(sim, "Perform"))
    assert js_received(sim)[-1] == "read primer"
    sim.press(clip, "primer", *CHORDS)
    assert request_sent(sim, PERF)[2:] == ["temperature", 1.0, "beats", 8, "notes", *CHORDS]
    sim.click(named(sim, "Aim Density"), 1)
    sim.click(named(sim, "Density"), 3.5)
    sim.click(named(sim, "Beats"), 16)
    sim.click(named(sim, "Temperature"), 0.8)
    sim.press(named(sim, "Perform"))
    sim.press(clip, "primer", *CHORDS[:8])
    assert request_sent(sim, PERF)[2:] == [
        "temperature",
        0.8,
        "beats",
        16,
        "density",
        3.5,
        "notes",
        *CHORDS[:8],
    ]
    sim.click(named(sim, "Aim Density"), 0)
    sim.press(named(sim, "Perform"))
    sim.press(clip, "primer", *CHORDS[:4])
    assert request_sent(sim, PERF)[2:6] == ["temperature", 0.8, "beats", 16]
    assert "density" not in request_sent(sim, PERF)


def test_perform_device_writes_the_answer_with_its_velocities(
    daemon: OscClient, tmp_path: Path
) -> None:
    sim = device("bridge Perform.amxd")
    sim.click(named(sim, "Aim Density"), 1)
    sim.press(named(sim, "Perform"))
    sim.press(sim.box("js bridge_clip.js"), "primer", *CHORDS)
    reply = one_reply(daemon, request_sent(sim, PERF))
    notes = wire_notes(reply[2:])
    assert notes, "the tiny model answered nothing in 8 beats"
    assert all(n.start < 8 for n in notes), notes
    # notes sounding at the end are cut there: 8 beats, up to float32's rounding on the wire
    assert max(n.start + n.duration for n in notes) < 8 + 1e-5, notes
    sim.udp_in(*reply)
    (write,) = writes(sim, "write")
    assert write == ["write", "Perform", *reply[2:]]

    result = run_clip_script([write], tmp_path)
    made = [s for s in result["slots"][2:] if s is not None]
    assert [s["name"] for s in made] == ["Perform"] and made[0]["length"] == 8
    assert [(n["pitch"], n["velocity"], n["duration"]) for n in made[0]["notes"]] == [
        (n.pitch, n.velocity, pytest.approx(n.duration)) for n in notes
    ]


# --- the Max patches -----------------------------------------------------------------------


def test_harmonize_patch_keeps_and_plays_every_voice(daemon: OscClient) -> None:
    sim = Sim.load(MAX / "bridge.harmonize.maxpat").start()
    sim.click(named(sim, "harmonize"))
    msg = request_sent(sim, HARMONIZE)
    assert msg[2] == "notes" and msg[3:7] == [67, 0.0, 1.0, 90] and len(msg) == 3 + 14 * 4
    replies = daemon_replies(daemon, msg)
    for reply in reversed(replies):
        sim.udp_in(*reply)
    voices = {i: wire_notes(r[4:]) for i, r in enumerate(replies)}
    assert sim.box("coll voices").data == {i: r[4:] for i, r in enumerate(replies)}
    # every voice's notes wait in [pipe] together, at 120 BPM: pitch velocity ms delay-ms
    assert queued(sim) == sorted(played(n) for v in voices.values() for n in v)
    sim.click(named(sim, "temperature"), 0.5)
    sim.click(named(sim, "harmonize"))
    assert request_sent(sim, HARMONIZE)[2:5] == ["temperature", 0.5, "notes"]


def test_perform_patch_sends_the_chords_and_plays_the_answer(daemon: OscClient) -> None:
    sim = Sim.load(MAX / "bridge.perform.maxpat").start()
    sim.click(named(sim, "perform"))
    msg = request_sent(sim, PERF)
    assert msg[2:6] == ["temperature", 1.0, "beats", 8] and msg[6] == "notes"
    assert msg[7:15] == [48, 0.0, 1.0, 96, 64, 0.0, 1.0, 96] and len(msg) == 7 + 16 * 4
    sim.click(named(sim, "aim"), 1)
    sim.click(named(sim, "density"), 3.0)
    sim.click(named(sim, "perform"))
    msg = request_sent(sim, PERF)
    assert msg[2:9] == ["temperature", 1.0, "beats", 8, "density", 3.0, "notes"]
    reply = one_reply(daemon, msg)
    notes = wire_notes(reply[2:])
    assert notes
    sim.udp_in(*reply)
    assert queued(sim) == sorted(played(n) for n in notes)
