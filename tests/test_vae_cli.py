"""`bridge generate vae ...` end to end on a tiny random VAE checkpoint."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bridge.cli.main import main
from engines.notes import Note, read_midi, write_midi


def test_generate_vae_interpolate_writes_the_whole_morph(
    tiny_vae_checkpoint: Path, tmp_path: Path
) -> None:
    a, b, out = tmp_path / "a.mid", tmp_path / "b.mid", tmp_path / "morph.mid"
    write_midi([Note(60 + i, i * 0.5, 0.5, 90) for i in range(16)], a)
    write_midi([Note(72 - i, i * 1.0, 1.0, 90) for i in range(8)], b)

    def run(output: Path) -> str:
        args = ["generate", "vae", "interpolate", "--a", str(a), "--b", str(b), "--steps", "8"]
        args += ["-o", str(output), "--seed", "1", "--checkpoint", str(tiny_vae_checkpoint)]
        result = CliRunner().invoke(main, [*args, "--device", "cpu"])
        assert result.exit_code == 0, result.output
        return result.output

    assert "wrote 8 melodies" in run(out)
    notes = read_midi(out)
    assert notes and max(n.end for n in notes) <= 64 + 1e-6  # 8 melodies x 8 beats
    again = tmp_path / "again.mid"
    run(again)
    assert read_midi(again) == notes  # the same seed, the same morph


def test_generate_vae_sample_and_errors(tiny_vae_checkpoint: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.mid"
    ck = ["--checkpoint", str(tiny_vae_checkpoint), "--device", "cpu"]
    result = CliRunner().invoke(main, ["generate", "vae", "sample", "-n", "4", "-o", str(out), *ck])
    assert result.exit_code == 0, result.output
    assert max(n.end for n in read_midi(out)) <= 32 + 1e-6
    empty = tmp_path / "empty.mid"
    write_midi([], empty)
    result = CliRunner().invoke(
        main, ["generate", "vae", "interpolate", "--a", str(empty), "--b", str(empty), "-o",
               str(out), *ck],
    )  # fmt: skip
    assert result.exit_code != 0 and "melody a is empty" in result.output
