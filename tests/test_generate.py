"""`bridge generate <engine> <verb> [key value ...]`, built from the verbs, on every registered
engine's tiny checkpoint: the words are its bench request, the notes the engine's own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import engines
from bridge.cli.main import main
from engines.notes import read_midi, write_midi

VERBS = [
    (name, verb)
    for name in engines.available_engines()
    for verb in engines.engine_class(name).verbs
    if verb.makes_notes and verb.bench
]


def words(verb: Any) -> list[str]:
    return [str(w) for w in verb.bench]


@pytest.mark.parametrize("engine,verb", VERBS, ids=lambda v: getattr(v, "name", v))
def test_generate_prints_the_verbs_notes(
    engine: str, verb: Any, tiny_checkpoints: dict[str, Path], tiny_engines: dict[str, Any]
) -> None:
    ck = ["--checkpoint", str(tiny_checkpoints[engine]), "--device", "cpu"]
    seed = ["seed", "5"] if verb.param("seed") else []
    result = CliRunner().invoke(main, ["generate", engine, verb.name, *words(verb), *seed, *ck])
    try:
        from bridge.cli.generate import parse_words
        from bridge.cli.main import auto_type

        values = parse_words(engine, verb, [auto_type(w) for w in [*words(verb), *seed]])
        reply = tiny_engines[engine].call(verb.name, values)
    except ValueError as exc:  # the tiny engine refuses (a VAE without attribute vectors)
        assert result.exit_code == 1 and str(exc) in result.output
        assert "Traceback" not in result.output
        return
    assert result.exit_code == 0, result.output
    melodies = reply if verb.reply == "indexed" else [reply]
    lines = [x for x in result.output.splitlines() if not x.startswith("#")]
    assert lines == [
        f"{n.pitch} {n.start:g} {n.duration:g} {n.velocity}" for m in melodies for n in m
    ]
    assert sum(x.startswith("# melody") for x in result.output.splitlines()) == (
        len(melodies) if verb.reply == "indexed" else 0
    )


def test_generate_options_words_and_midi_files(
    tiny_checkpoints: dict[str, Path], tiny_rnn: Any, tmp_path: Path
) -> None:
    from engines.notes import Note

    primer = [Note(60, 0.0, 1.0, 80), Note(64, 1.0, 1.0, 80)]
    write_midi(primer, tmp_path / "p.mid")
    ck = ["--checkpoint", str(tiny_checkpoints["rnn"]), "--device", "cpu"]
    out = tmp_path / "out.mid"
    # options (a MIDI file for a notes parameter) and words mix; -o writes the reply as MIDI
    args = ["generate", "rnn", "continue", "--notes", str(tmp_path / "p.mid"), "steps", "48"]
    result = CliRunner().invoke(main, [*args, "--seed", "3", "-o", str(out), *ck])
    assert result.exit_code == 0, result.output
    expected = tiny_rnn.continue_(primer, steps=48, seed=3)
    assert read_midi(out) == expected and f"wrote {len(expected)} notes" in result.output
    # the same rules as an OSC request: a bad value, an unknown key, a key given twice
    bad = CliRunner().invoke(main, ["generate", "rnn", "continue", "temperature", "-1", *ck])
    assert bad.exit_code == 1 and "temperature must be > 0, got -1" in bad.output
    bad = CliRunner().invoke(main, ["generate", "rnn", "continue", "stepz", "4", *ck])
    assert bad.exit_code == 1 and "did you mean 'steps'" in bad.output
    bad = CliRunner().invoke(main, ["generate", "rnn", "continue", "--steps", "4", "steps", "8"])
    assert bad.exit_code == 1 and "given twice" in bad.output


def test_generate_lists_the_verbs_that_make_notes() -> None:
    result = CliRunner().invoke(main, ["generate", "vae", "--help"])
    assert result.exit_code == 0
    for verb in engines.engine_class("vae").verbs:
        assert (f"  {verb.name} " in result.output) == verb.makes_notes, verb.name
    # the rnn's own options stay reachable without a verb
    result = CliRunner().invoke(main, ["generate", "rnn", "--help"])
    assert "continue" in result.output and "--primer" in result.output
