"""`bridge generate gan`, `bridge train gan` and `bridge eval gan` on tiny models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from bridge.cli.main import main
from engines.notes import Note, read_midi, write_midi


def run(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_generate_gan_repeats_the_chords_to_fill_the_bars(
    tiny_gan_checkpoint: Path, tmp_path: Path
) -> None:
    out, prev = tmp_path / "out.mid", tmp_path / "prev.mid"
    write_midi([Note(60, 0, 1, 80), Note(67, 1, 3, 80), Note(72, 4, 4, 80)], prev)
    ck = ["--checkpoint", str(tiny_gan_checkpoint), "--device", "cpu", "--seed", "2"]
    args = ["generate", "gan", "--chords", "C Am F G", "--bars", "8", "--prev", str(prev), *ck]
    assert "over 8 bars" in run(*args, "-o", str(out))
    notes = read_midi(out)
    assert notes and max(n.end for n in notes) <= 32 + 1e-6
    again = tmp_path / "again.mid"
    run(*args, "-o", str(again))
    assert read_midi(again) == notes
    both = tmp_path / "chords.mid"
    run("generate", "gan", "--chords", "C,G7", "-o", str(both), "--with-chords", *ck)
    pitches = {n.pitch for n in read_midi(both) if n.duration == 4.0}
    assert {48, 52, 55} <= pitches  # the C major triad under bar 1


def test_generate_gan_bad_chord_is_a_clean_error(tiny_gan_checkpoint: Path, tmp_path: Path) -> None:
    ck = ["--checkpoint", str(tiny_gan_checkpoint), "--device", "cpu"]
    out = str(tmp_path / "x.mid")
    result = CliRunner().invoke(main, ["generate", "gan", "--chords", "C Hm", "-o", out, *ck])
    assert result.exit_code != 0 and "unknown chord 'Hm'" in result.output


def test_train_and_eval_gan_on_toy_bars(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engines.gan.data as data

    rng = np.random.default_rng(0)
    pieces = []
    for p in range(20):
        pitch = rng.integers(60, 80, size=(4, 16)).astype(np.int16)
        onset = np.ones((4, 16), dtype=bool)
        chord = rng.integers(0, 24, size=(4, 2)).astype(np.int16)
        follows = np.array([False, True, True, True])
        arrays = {"pitch": pitch, "onset": onset, "chord": chord, "follows": follows}
        pieces.append((f"toy/{p}", arrays))
    toy = data.BarCorpus.from_pieces(pieces)
    monkeypatch.setattr(data, "load_bars", lambda *a, **k: toy)
    out = tmp_path / "g"
    text = run("train", "gan", "-o", str(out), "--steps", "4", "--eval-every", "2",
               "--g-channels", "16", "--d-channels", "8", "--device", "cpu")  # fmt: skip
    assert "saved" in text and (out / "model.safetensors").is_file()
    report = run("eval", "gan", "--checkpoint", str(out), "--bars", "40", "--device", "cpu")
    assert "chord-tone ratio" in report and ("PASS" in report or "FAIL" in report)
