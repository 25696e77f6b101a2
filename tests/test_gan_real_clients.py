"""/bridge/gan/bars from a real OSC client: liblo's oscsend, replies read by oscdump.

`bridge serve --port 0` runs as a subprocess on a tiny random-init GAN checkpoint; the
helpers (serve output, oscsend, oscdump) are test_real_clients.py's.
"""

from __future__ import annotations

import itertools
import re
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_real_clients import (
    LISTENING,
    STARTUP_TIMEOUT,
    Liblo,
    Lines,
    OscDump,
    assert_quadruples,
    bridge_executable,
    require_client,
    stop,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_gan_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from engines.gan.engine import GanEngine
    from engines.gan.model import GanConfig

    folder = tmp_path_factory.mktemp("tiny-gan")
    config = GanConfig(z_dim=8, g_channels=16, cond_channels=8, d_channels=8)
    GanEngine.from_config(config, device="cpu").save(folder)
    return folder


@contextmanager
def serve_gan(checkpoint: Path) -> Iterator[int]:
    """`bridge serve` with the GAN checkpoint on a free port; yields the port."""
    cmd = [bridge_executable(), "serve", "--port", "0", "--device", "cpu", "--gan", str(checkpoint)]
    proc = subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = Lines(proc)
    try:
        match = out.wait_for(LISTENING.fullmatch, STARTUP_TIMEOUT, "'bridge listening on' line")
        assert isinstance(match, re.Match)
        yield int(match.group(1))
    finally:
        stop(proc, "bridge serve")
    assert proc.returncode in (0, -signal.SIGTERM), out.text()


@pytest.fixture(scope="module")
def liblo(tiny_gan_checkpoint: Path) -> Iterator[Liblo]:
    """A bridge serving the GAN and an oscdump registered for its replies."""
    require_client("oscsend")
    require_client("oscdump")
    with serve_gan(tiny_gan_checkpoint) as port:
        dump = OscDump()
        try:
            client = Liblo(port, dump, itertools.count(500))
            rid = client.send("/bridge/register", "isi", "port", dump.port)
            assert dump.wait_for("/bridge/reply/register", rid).args == (rid, dump.port)
            yield client
        finally:
            dump.close()


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
