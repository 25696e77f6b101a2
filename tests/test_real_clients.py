"""End-to-end tests with real OSC clients: liblo's oscsend/oscdump and SuperCollider's sclang.

Each test talks to `bridge serve --port 0`, run as a subprocess on conftest's tiny random-init
RNN checkpoint, over real UDP on 127.0.0.1. A missing client binary skips its tests, unless
BRIDGE_REQUIRE_CLIENTS=1 (set by scripts/test.sh, and so by CI), which makes it a failure.
The helpers are in clients.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clients import (
    ROOT,
    SCLANG_SCRIPT_TIMEOUT,
    Liblo,
    assert_quadruples,
    require_client,
    run_sclang_script,
    serve,
    serve_for_liblo,
)

pytestmark = pytest.mark.slow

SC_SCRIPT = ROOT / "supercollider" / "tests" / "bridge_roundtrip.scd"


@pytest.fixture(scope="module")
def liblo(tiny_rnn_checkpoint: Path) -> Iterator[Liblo]:
    """A bridge and an oscdump, registered: oscsend's replies go to oscdump's port."""
    with serve_for_liblo(100, rnn=tiny_rnn_checkpoint) as client:
        yield client


def test_oscsend_ping_gets_pong_protocol_1(liblo: Liblo) -> None:
    rid = liblo.send("/bridge/ping", "i")
    pong = liblo.dump.wait_for("/bridge/pong", rid)
    assert pong.types == "iis"
    assert pong.args[:2] == (rid, 1)
    assert pong.args[2], "the version string is empty"


def test_oscsend_engines_lists_rnn(liblo: Liblo) -> None:
    rid = liblo.send("/bridge/engines", "i")
    reply = liblo.dump.wait_for("/bridge/reply/engines", rid)
    assert set(reply.types[1:]) <= {"s"}, reply
    assert "rnn" in reply.args[1:]


# The same request with every number as int32, then as float32 (Max sends either).
PRIMER_INTS = [60, 0, 1, 100, 62, 1, 1, 100, 64, 2, 1, 90, 67, 3, 1, 110]
CONTINUE_AS = {
    "int32": ("sisisis" + "i" * 16, ["temperature", 1, "steps", 48, "seed", 5, "notes"]),
    "float32": (
        "sfsfsfs" + "f" * 16,
        ["temperature", 0.9, "steps", 48.0, "seed", 5.0, "notes"],
    ),
}


@pytest.mark.parametrize("number_type", list(CONTINUE_AS))
def test_oscsend_rnn_continue(liblo: Liblo, number_type: str) -> None:
    types, head = CONTINUE_AS[number_type]
    primer = [float(x) if number_type == "float32" else x for x in PRIMER_INTS]
    first = liblo.send("/bridge/rnn/continue", "i" + types, *head, *primer)
    again = liblo.send("/bridge/rnn/continue", "i" + types, *head, *primer)
    reply = liblo.dump.wait_for("/bridge/reply/rnn/continue", first)
    quads = assert_quadruples(reply)
    assert quads, f"48 steps of a random model gave no notes: {reply}"
    # The same seed gives the same continuation, every time.
    assert liblo.dump.wait_for("/bridge/reply/rnn/continue", again).args[1:] == reply.args[1:]


@pytest.mark.parametrize(
    ("types", "values", "words"),
    [
        ("sisi", ["temperature", -1, "steps", 8], "temperature must be > 0"),
        ("sf", ["temprature", 0.5], "temprature"),
        ("si", ["steps", 0], "steps"),
        ("siii", ["notes", 60, 0, 1], "notes"),  # not a whole quadruple
    ],
    ids=["negative-temperature", "misspelt-key", "zero-steps", "partial-note"],
)
def test_oscsend_bad_request_gets_error(
    liblo: Liblo, types: str, values: list[object], words: str
) -> None:
    rid = liblo.send("/bridge/rnn/continue", "i" + types, *values)
    error = liblo.dump.wait_for("/bridge/error", rid)
    assert error.types == "iss", error
    assert error.args[1] == "/bridge/rnn/continue"
    assert words in error.args[2], f"the message {error.args[2]!r} does not say {words!r}"


# --- SuperCollider: a real sclang script -----------------------------------------------------


def test_sclang_roundtrip(tiny_rnn_checkpoint: Path) -> None:
    """supercollider/tests/bridge_roundtrip.scd: ping, continue a primer, a bad temperature."""
    sclang = require_client("sclang")
    # The bridge is on a free port, so sclang keeps its own langPort (57120 if free).
    with serve(rnn=tiny_rnn_checkpoint) as port:
        run_sclang_script(sclang, SC_SCRIPT, str(port), str(SCLANG_SCRIPT_TIMEOUT))
