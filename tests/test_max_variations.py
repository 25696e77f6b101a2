"""The Max for Live devices' variations and the Generate device, run in the message-passing
model (tools/maxsim.py) against the daemon's real replies.

A device's request (what its [udpsend] would send) goes to an in-process Daemon serving the
tiny engines; each indexed reply that comes back goes into the device's [udpreceive], and the
messages its [js bridge_clip.js] receives then run through the script under node with a fake
Live set (test_maxpat's), which must write one clip per variation.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from clients import WAIT, daemon_client, wire_notes

from bridge.server.osc import OscClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

from maxsim import Sim  # noqa: E402
from test_maxpat import FAKE_LIVE_SETUP, LIVE, device, live_text, named, request_sent  # noqa: E402

PRIMER = [60, 0.0, 0.5, 90, 62, 0.5, 0.5, 80, 64, 1.0, 1.0, 70]


def js_messages(sim: Sim) -> list[list[Any]]:
    """What [js bridge_clip.js] received, as [message, atoms...]."""
    return [[m.selector, *m.args] for obj, _, m in sim.log if obj.cls == "js"]


def writes(sim: Sim) -> list[list[Any]]:
    return [m for m in js_messages(sim) if m[0] == "writevariation"]


# --- the Generate device: the request its controls make ---------------------------------------


def test_generate_device_asks_the_rnn_for_melodies_from_nothing() -> None:
    sim = device("bridge Generate.amxd")
    sim.press(live_text(sim, "Generate"))
    msg = request_sent(sim, "/bridge/rnn/continue")
    assert msg[2:] == ["temperature", 1.0, "steps", 32, "variations", 1], "no notes, no seed"
    sim.click(named(sim, "Bars"), 4)
    sim.click(named(sim, "Variations"), 3)
    sim.click(named(sim, "Temperature"), 0.8)
    sim.press(live_text(sim, "Generate"))
    assert request_sent(sim, "/bridge/rnn/continue")[2:] == [
        "temperature",
        0.8,
        "steps",
        64,
        "variations",
        3,
    ]


def test_generate_device_samples_the_vae_and_sends_a_seed_only_when_fixed() -> None:
    sim = device("bridge Generate.amxd")
    sim.click(named(sim, "Engine"), 1)
    sim.click(named(sim, "Variations"), 5)
    sim.click(named(sim, "Seed"), 7)
    sim.press(live_text(sim, "Generate"))
    first = request_sent(sim, "/bridge/vae/sample")
    assert first[2:] == ["n", 5, "temperature", 1.0]
    sim.click(named(sim, "Fixed Seed"), 1)
    sim.press(live_text(sim, "Generate"), 1)  # a button that sends 1, not a bang, works too
    second = request_sent(sim, "/bridge/vae/sample")
    assert second[2:] == ["n", 5, "temperature", 1.0, "seed", 7] and second[1] == first[1] + 1
    sim.click(named(sim, "Engine"), 0)
    sim.press(live_text(sim, "Generate"))
    assert request_sent(sim, "/bridge/rnn/continue")[2:] == [
        "temperature",
        1.0,
        "steps",
        32,
        "variations",
        5,
        "seed",
        7,
    ]
    assert [m[0] for m in sim.all_sent()].count("/bridge/vae/sample") == 2


# --- every device with variations, against the daemon's replies ----------------------------


@pytest.fixture(scope="module")
def daemon(tiny_engines: dict[str, Any]) -> Iterator[OscClient]:
    with daemon_client(tiny_engines) as client:
        yield client


def ask_continue(sim: Sim) -> None:
    sim.click(named(sim, "Variations"), 3)
    sim.press(live_text(sim, "Continue"))
    sim.press(sim.box("js bridge_clip.js"), "primer", *PRIMER)


def ask_bars(sim: Sim) -> None:
    sim.click(named(sim, "Variations"), 2)
    sim.press(live_text(sim, "Make bars"))


def ask_generate(engine: int, count: int):
    def ask(sim: Sim) -> None:
        sim.click(named(sim, "Engine"), engine)
        sim.click(named(sim, "Variations"), count)
        sim.press(live_text(sim, "Generate"))

    return ask


CASES = {
    "continue": ("bridge Continue.amxd", ask_continue, "/bridge/rnn/continue", "Continue", 3),
    "bars": ("bridge Bars.amxd", ask_bars, "/bridge/gan/bars", "Bars", 2),
    "generate-rnn": ("bridge Generate.amxd", ask_generate(0, 4), "/bridge/rnn/continue", "RNN", 4),
    "generate-vae": ("bridge Generate.amxd", ask_generate(1, 3), "/bridge/vae/sample", "VAE", 3),
    "generate-one": ("bridge Generate.amxd", ask_generate(1, 1), "/bridge/vae/sample", "VAE", 1),
}


def daemon_replies(client: OscClient, request: list[Any]) -> list[list[Any]]:
    """Send a device's request as it is; the daemon's replies to it, up to the last index."""
    address, rid = request[0], request[1]
    client.send(address, *request[1:])
    got: list[list[Any]] = []
    while True:
        m = client.receive(WAIT)
        assert m is not None, f"no reply to {request}"
        if not m.args or m.args[0] != rid:
            continue
        assert m.address == address.replace("/bridge/", "/bridge/reply/", 1), m
        got.append([m.address, *m.args])
        if len(got) == m.args[2]:
            return got


def run_clip_script(messages: list[list[Any]], tmp_path: Path) -> dict[str, Any]:
    """bridge_clip.js under node with the fake Live set, given these messages."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    harness = tmp_path / "fake_live.js"
    harness.write_text(
        FAKE_LIVE_SETUP
        + r"""
for (const [name, ...args] of JSON.parse(process.argv[3])) ctx[name](...args);
console.log(JSON.stringify({out, slots: slots.map(s => s.clip), scenes}));
"""
    )
    script = LIVE / "bridge_clip.js"
    run = subprocess.run(
        [node, str(harness), str(script), json.dumps(messages)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize("case", CASES)
def test_each_variation_becomes_its_own_clip(daemon: OscClient, case: str, tmp_path: Path) -> None:
    name, ask, address, clip_name, count = CASES[case]
    sim = device(name)
    ask(sim)
    request = request_sent(sim, address)
    replies = daemon_replies(daemon, request)
    assert [r[2:4] for r in replies] == [[i, count] for i in range(count)]
    # UDP may reorder them: the device writes each as it comes, named by its index
    for reply in reversed(replies):
        sim.udp_in(*reply)
    got = writes(sim)
    assert len(got) == count, "one write per variation"
    for reply, write in zip(reversed(replies), got, strict=True):
        notes = wire_notes(reply[4:])
        assert notes, "an empty variation would make an empty clip"
        assert write == ["writevariation", clip_name, *reply[2:]]

    result = run_clip_script(got, tmp_path)
    made = [s for s in result["slots"][2:] if s is not None]
    expected = (
        [clip_name]
        if count == 1
        else [f"{clip_name} variation {count - i}/{count}" for i in range(count)]
    )
    assert [s["name"] for s in made] == expected
    for slot, reply in zip(made, reversed(replies), strict=True):
        assert [[n["pitch"], n["velocity"]] for n in slot["notes"]] == [
            [n.pitch, n.velocity] for n in wire_notes(reply[4:])
        ]
