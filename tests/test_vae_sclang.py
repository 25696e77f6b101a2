"""SuperCollider morphs two melodies through `bridge serve` with the VAE.

supercollider/tests/vae_interpolate.scd checks one reply per point (indices, counts, note
types); this test also checks that the endpoints come back close to the inputs. That holds
only for a trained model: with the shipped checkpoint the endpoints are compared, without it a
tiny random VAE is served and only the replies' shape is checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from clients import ROOT, require_client, run_sclang_script, serve

from engines import default_checkpoint
from engines.notes import Note, notes_to_tokens

pytestmark = pytest.mark.slow

SCRIPT = ROOT / "supercollider" / "tests" / "vae_interpolate.scd"
POINTS = 6
CLOSE = 0.75  # share of the 32 grid steps an endpoint must share with its input
# The melodies in the script, as notes (pitch start duration velocity).
A = [(p, 0.5 * i, 0.5, 100) for i, p in enumerate([62, 66, 69, 66, 74, 69, 66, 69,
                                                    71, 69, 67, 66, 64, 62, 64, 66])]  # fmt: skip
B = [(67, 0, 1, 90), (71, 1, 1, 90), (74, 2, 1.5, 90), (72, 3.5, 0.5, 90), (71, 4, 1, 90),
     (69, 5, 1, 90), (67, 6, 2, 90)]  # fmt: skip


@pytest.fixture(scope="module")
def vae_checkpoint(request: pytest.FixtureRequest) -> tuple[Path, bool]:
    """The shipped checkpoint (trained: True) or conftest's tiny random one (False)."""
    shipped = default_checkpoint("vae")
    if (shipped / "config.json").is_file():
        return shipped, True
    return request.getfixturevalue("tiny_vae_checkpoint"), False


def grid(quads: list[tuple]) -> list[int]:
    return notes_to_tokens([Note(int(p), float(s), float(d), int(v)) for p, s, d, v in quads], 32)


def test_sclang_vae_interpolate(vae_checkpoint: tuple[Path, bool]) -> None:
    sclang = require_client("sclang")
    checkpoint, trained = vae_checkpoint
    with serve(vae=checkpoint) as port:
        output = run_sclang_script(sclang, SCRIPT, str(port), str(POINTS), "45")
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
