"""bridge's OSC decoding of numbers and strings (read a run of numbers at a time) against
python-osc's, on random, cut and damaged datagrams; and a large feed read whole."""

from __future__ import annotations

import random

from pythonosc.osc_message import OscMessage

from bridge.server.osc import Malformed, Message, decode, encode
from bridge.server.protocol import parse_notes


def python_osc(dgram: bytes) -> list | None:
    try:
        return OscMessage(dgram).params
    except Exception:
        return None


def same(a: list, b: list) -> bool:
    if len(a) != len(b):
        return False
    return all(x == y or (x != x and y != y) for x, y in zip(a, b, strict=True))


def test_numbers_and_strings_decode_as_python_osc_does() -> None:
    rng = random.Random(7)
    checked = 0
    for _ in range(5000):
        tags = "".join(rng.choice("ifs") for _ in range(rng.randint(1, 8)))
        values = [
            rng.randint(-(2**31), 2**31 - 1) if t == "i"
            else rng.uniform(-1e6, 1e6) if t == "f"
            else "ab" * rng.randint(0, 3)
            for t in tags
        ]  # fmt: skip
        dgram = bytearray(encode("/x", values))
        if rng.random() < 0.4:
            del dgram[rng.randint(8, len(dgram)) :]  # cut short
        args_at = 4 + (len(tags) + 2 + 3) // 4 * 4  # past the address and the type tags
        if rng.random() < 0.3 and len(dgram) > args_at:
            dgram[rng.randrange(args_at, len(dgram))] = rng.randrange(256)  # damaged
        dgram = bytes(dgram)
        packets, _ = decode(dgram)
        ours = packets[0] if packets else None
        theirs = python_osc(dgram)
        if isinstance(ours, Message) and ours.address == "/x":
            assert theirs is not None and same(ours.args, theirs), dgram
            checked += 1
        elif theirs is not None and isinstance(ours, Malformed):
            raise AssertionError(f"python-osc reads {dgram!r}, bridge calls it malformed")
    assert checked > 2000


def test_a_feed_of_3000_notes_is_read_whole() -> None:
    notes = [x for k in range(3000) for x in (40 + k % 48, k * 0.25, 0.5, 1 + k % 127)]
    packets, problems = decode(encode("/bridge/rnn/stream/feed", [1, "stream", 5, "notes", *notes]))
    assert not problems and packets[0].args[4:] == notes
    parsed = parse_notes(packets[0].args[4:])
    assert [(n.pitch, n.start, n.duration, n.velocity) for n in parsed] == [
        tuple(notes[i : i + 4]) for i in range(0, len(notes), 4)
    ]
