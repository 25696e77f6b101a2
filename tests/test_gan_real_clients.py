"""/bridge/gan/bars from a real OSC client: liblo's oscsend, replies read by oscdump.

`bridge serve --port 0` runs as a subprocess on a tiny random-init GAN checkpoint; the
helpers (serve output, oscsend, oscdump) are in clients.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from clients import Liblo, assert_quadruples, serve_for_liblo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def liblo(tiny_gan_checkpoint: Path) -> Iterator[Liblo]:
    """A bridge serving the GAN and an oscdump registered for its replies."""
    with serve_for_liblo(500, gan=tiny_gan_checkpoint) as client:
        yield client


PREV = [60, 0, 1, 100, 64, 1, 1, 100, 67, 2, 2, 100]


@pytest.mark.parametrize("number_type", ["int32", "float32"])
def test_oscsend_gan_bars(liblo: Liblo, number_type: str) -> None:
    kind = "i" if number_type == "int32" else "f"
    prev = PREV if kind == "i" else [float(x) for x in PREV]
    types = "i" + "s" * 5 + "s" + kind + "s" + kind * len(PREV)
    values = ["chords", "C", "Am", "F", "G7", "seed", 4, "prev", *prev]
    first = liblo.send("/bridge/gan/bars", types, *values)
    again = liblo.send("/bridge/gan/bars", types, *values)
    reply = liblo.dump.wait_for("/bridge/reply/gan/bars", first)
    quads = assert_quadruples(reply)
    assert quads and all(0 <= start < 16 and start + dur <= 16 for _, start, dur, _ in quads)
    assert liblo.dump.wait_for("/bridge/reply/gan/bars", again).args[1:] == reply.args[1:]


def test_oscsend_gan_unknown_chord_gets_error(liblo: Liblo) -> None:
    rid = liblo.send("/bridge/gan/bars", "isss", "chords", "C", "Hm")
    error = liblo.dump.wait_for("/bridge/error", rid)
    assert error.args[1] == "/bridge/gan/bars" and "unknown chord 'Hm'" in error.args[2]
