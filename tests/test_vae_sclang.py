"""SuperCollider morphs two melodies through `bridge serve` with the VAE.

supercollider/tests/vae_interpolate.scd checks one reply per point (indices, counts, note
types); this test also checks that the endpoints come back close to the inputs. That holds
only for a trained model: with the shipped checkpoint the endpoints are compared, without it a
tiny random VAE is served and only the replies' shape is checked.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_real_clients import (
    LISTENING,
    SCLANG_TIMEOUT,
    STARTUP_TIMEOUT,
    Lines,
    bridge_executable,
    require_client,
    stop,
)

from engines import default_checkpoint
from engines.notes import Note, notes_to_tokens

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "supercollider" / "tests" / "vae_interpolate.scd"
POINTS = 6
CLOSE = 0.75  # share of the 32 grid steps an endpoint must share with its input
# The melodies in the script, as notes (pitch start duration velocity).
A = [(p, 0.5 * i, 0.5, 100) for i, p in enumerate([62, 66, 69, 66, 74, 69, 66, 69,
                                                    71, 69, 67, 66, 64, 62, 64, 66])]  # fmt: skip
B = [(67, 0, 1, 90), (71, 1, 1, 90), (74, 2, 1.5, 90), (72, 3.5, 0.5, 90), (71, 4, 1, 90),
     (69, 5, 1, 90), (67, 6, 2, 90)]  # fmt: skip


@contextmanager
def serve_vae(checkpoint: Path) -> Iterator[int]:
    """`bridge serve --port 0 --vae CHECKPOINT`; yields the port once it is listening."""
    cmd = [bridge_executable(), "serve", "--port", "0", "--device", "cpu", "--vae", str(checkpoint)]
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


@pytest.fixture(scope="module")
def vae_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bool]:
    """The shipped checkpoint (trained: True) or a tiny random one (False)."""
    shipped = default_checkpoint("vae")
    if (shipped / "config.json").is_file():
        return shipped, True
    from engines.vae.engine import VaeEngine
    from engines.vae.model import VaeConfig

    folder = tmp_path_factory.mktemp("tiny-vae")
    config = VaeConfig(embed=8, enc_hidden=16, latent=8, dec_hidden=16, dec_layers=1)
    VaeEngine.from_config(config, device="cpu").save(folder)
    return folder, False


def grid(quads: list[tuple]) -> list[int]:
    return notes_to_tokens([Note(int(p), float(s), float(d), int(v)) for p, s, d, v in quads], 32)


def test_sclang_vae_interpolate(vae_checkpoint: tuple[Path, bool]) -> None:
    sclang = require_client("sclang")
    checkpoint, trained = vae_checkpoint
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QTWEBENGINE_DISABLE_SANDBOX": "1"}
    with serve_vae(checkpoint) as port:
        cmd = [sclang, str(SCRIPT), str(port), str(POINTS), "45"]
        try:
            done = subprocess.run(
                cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                timeout=SCLANG_TIMEOUT, env=env, cwd=ROOT,
            )  # fmt: skip
        except subprocess.TimeoutExpired as e:
            out = e.stdout.decode() if isinstance(e.stdout, bytes) else e.stdout or ""
            pytest.fail(f"sclang ran past {SCLANG_TIMEOUT:g} s; output:\n{out}", pytrace=False)
    output = done.stdout + done.stderr
    verdicts = [line for line in output.splitlines() if line.startswith(("PASS:", "FAIL:"))]
    assert verdicts and verdicts[0].startswith("PASS:"), f"sclang said:\n{output}"
    assert done.returncode == 0, f"sclang exited {done.returncode}:\n{output}"
    points: dict[int, list[tuple]] = {}
    for line in output.splitlines():
        if line.startswith("POINT "):
            index, count, *values = line.split()[1:]
            assert int(count) == POINTS
            nums = [float(v) for v in values]
            points[int(index)] = [tuple(nums[i : i + 4]) for i in range(0, len(nums), 4)]
    assert sorted(points) == list(range(POINTS)), output
    if not trained:
        return  # a random model's endpoints say nothing; the shape was checked
    for got, want in ((points[0], A), (points[POINTS - 1], B)):
        same = sum(x == y for x, y in zip(grid(got), grid(want), strict=True)) / 32
        assert same >= CLOSE, f"endpoint shares {same:.2f} of its steps with the input: {got}"
