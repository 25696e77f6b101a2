"""The GAN verbs over real UDP on 127.0.0.1 (port 0, deadlines), with a tiny random GAN."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from clients import ask, daemon_client, wire_notes

from bridge.server.daemon import Daemon
from bridge.server.osc import OscClient
from engines.notes import Note

PREV = [60, 0, 1, 100, 62, 1, 1, 100, 64, 2, 2, 100]


@pytest.fixture
def client(tiny_gan: Any) -> Iterator[OscClient]:
    with daemon_client({"gan": tiny_gan}) as c:
        yield c


def test_bars_one_bar_per_chord_same_seed_same_reply(client: OscClient, tiny_gan: Any) -> None:
    args = ["chords", "C", "Am", "F", "G7", "seed", 5, "prev", *PREV]
    reply = ask(client, "/bridge/gan/bars", 3, *args)
    assert reply.address == "/bridge/reply/gan/bars"
    assert reply.args[0] == 3
    notes = wire_notes(reply.args[1:])
    assert notes and all(0 <= n.start < 16 and n.end <= 16 + 1e-6 for n in notes)
    prev = [Note(*PREV[i : i + 4]) for i in range(0, len(PREV), 4)]
    assert notes == tiny_gan.bars(["C", "Am", "F", "G7"], prev=prev, seed=5)
    assert ask(client, "/bridge/gan/bars", 4, *args).args[1:] == reply.args[1:]


def test_bars_accepts_float_numbers_and_no_prev(client: OscClient) -> None:
    as_int = ask(client, "/bridge/gan/bars", 1, "chords", "Dm7", "G7", "seed", 9)
    as_float = ask(client, "/bridge/gan/bars", 2.0, "chords", "Dm7", "G7", "seed", 9.0)
    assert as_int.address == as_float.address == "/bridge/reply/gan/bars"
    assert as_int.args[1:] == as_float.args[1:]
    floats = [float(x) for x in PREV]
    with_prev = ask(client, "/bridge/gan/bars", 5, "chords", "C", "seed", 1, "prev", *floats)
    assert with_prev.address == "/bridge/reply/gan/bars"


def test_bar_is_the_first_bar_of_bars(client: OscClient) -> None:
    one = ask(client, "/bridge/gan/bar", 8, "chord", "Bbm", "seed", 2, "prev", *PREV)
    many = ask(client, "/bridge/gan/bars", 9, "chords", "Bbm", "Eb", "seed", 2, "prev", *PREV)
    assert one.address == "/bridge/reply/gan/bar" and one.args[0] == 8
    first = [n for n in wire_notes(many.args[1:]) if n.start < 4]
    assert wire_notes(one.args[1:]) == first


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["chords", "C", "Hm7"], "unknown chord 'Hm7'"),
        (["seed", 1], "missing key chords"),
        (["chords"], "missing value for chords"),
        (["chords", "C", 7], "chords must be names"),
        (["chords", "C", "prev", 60, 4.5, 1, 100], "prev must be one bar"),
        (["chords", "C", "prev", 60, 0, 1], "groups of 4"),
        (["chords", *["C"] * 257], "1..256 chords"),
        (["chord", "C"], "unknown key 'chord'"),
    ],
    ids=[
        "unknown-chord",
        "no-chords",
        "empty-chords",
        "number-chord",
        "long-prev",
        "partial-note",
        "too-many",
        "wrong-key",
    ],  # fmt: skip
)
def test_bad_bars_request_gets_error(client: OscClient, args: list[Any], words: str) -> None:
    reply = ask(client, "/bridge/gan/bars", 12, *args)
    assert reply.address == "/bridge/error"
    assert reply.args[:2] == [12, "/bridge/gan/bars"]
    assert words in reply.args[2], reply.args[2]


def test_gan_not_loaded_is_an_error() -> None:
    with Daemon({}, port=0) as d, OscClient(*d.address) as c:
        reply = ask(c, "/bridge/gan/bars", 1, "chords", "C")
    assert reply.address == "/bridge/error" and "gan engine is not loaded" in reply.args[2]
