"""The corpus loader: music21's ABC tunes, folders of MIDI files, the split, the cache."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from engines.corpus import (
    Corpus,
    load_corpus,
    random_transpose,
    split_abc_tunes,
    split_of,
)
from engines.notes import NOTE_ON_BASE, Note, write_midi


def test_split_is_deterministic_and_roughly_90_5_5() -> None:
    names = [f"tune-{i}" for i in range(4000)]
    splits = [split_of(n) for n in names]
    assert splits == [split_of(n) for n in names]
    assert 0.87 < splits.count("train") / 4000 < 0.93
    assert splits.count("valid") > 100 and splits.count("test") > 100


def test_abc_file_is_split_into_tunes_with_the_header() -> None:
    text = "%header\nL:1/8\nX:1\nT:a\nK:G\nGAB|\n\nX:2\nT:b\nK:D\nDEF|\n"
    tunes = split_abc_tunes(text)
    assert [n for n, _ in tunes] == ["1", "2"]
    assert tunes[1][1].startswith("%header\nL:1/8\nX:2")


def test_folk_slice_parses_real_tunes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path))
    corpus = load_corpus("folk", limit_files=1, workers=1, progress=False)
    assert len(corpus) > 300
    assert corpus.names[0].startswith("oneills1850/")
    tune = corpus.tune(0)
    assert (tune >= NOTE_ON_BASE).sum() >= 8
    assert list(tmp_path.glob("corpus-folk-*.npz")), "the parsed corpus is cached"
    again = load_corpus("folk", limit_files=1, progress=False)
    assert again.names == corpus.names and np.array_equal(again.tokens, corpus.tokens)


def test_midi_folder_skips_a_corrupt_file_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "mine"
    (folder / "sub").mkdir(parents=True)
    for k in range(3):
        notes = [Note(60 + (i * (k + 2)) % 12, i * 0.5, 0.5) for i in range(16)]
        write_midi(notes, folder / "sub" / f"t{k}.mid")
    (folder / "broken.mid").write_bytes(b"MThd not really")
    with caplog.at_level(logging.WARNING):
        corpus = load_corpus(str(folder), workers=1, progress=False)
    assert sorted(corpus.names) == ["sub/t0.mid", "sub/t1.mid", "sub/t2.mid"]
    assert "broken.mid" in caplog.text


def test_a_folder_without_midi_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no .mid files"):
        load_corpus(str(tmp_path), progress=False)
    with pytest.raises(ValueError, match="'folk', 'bach' or a folder"):
        load_corpus(str(tmp_path / "missing"), progress=False)


def test_random_transpose_keeps_pitches_in_range() -> None:
    rng = np.random.default_rng(0)
    tune = np.array([NOTE_ON_BASE + 126, 0, NOTE_ON_BASE + 120, 1], dtype=np.uint8)
    for _ in range(50):
        out = random_transpose(tune, rng, 6).astype(int)
        assert out[1] == 0 and out[3] == 1
        assert -6 <= out[0] - tune[0] <= 1 and out[0] - NOTE_ON_BASE <= 127


def test_corpus_save_load(tmp_path: Path) -> None:
    c = Corpus.from_tunes(["a", "b"], [np.array([2, 0, 1]), np.array([5])])
    c.save(tmp_path / "c.npz")
    d = Corpus.load(tmp_path / "c.npz")
    assert d.names == ["a", "b"] and list(d.tune(1)) == [5]


def _tunes_folder(folder: Path, n: int = 3) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(n):
        notes = [Note(60 + (i * (k + 2)) % 12, i * 0.5, 0.5) for i in range(16)]
        write_midi(notes, folder / f"t{k}.mid")


def test_a_damaged_cache_is_rebuilt_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))
    _tunes_folder(tmp_path / "mine")
    first = load_corpus(str(tmp_path / "mine"), workers=1, progress=False)
    (cache,) = (tmp_path / "cache").glob("corpus-*.npz")
    whole = cache.read_bytes()
    for damaged in (whole[: len(whole) // 2], whole[:10], b"", b"\x00" * 64):
        cache.write_bytes(damaged)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            again = load_corpus(str(tmp_path / "mine"), workers=1, progress=False)
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "damaged" in warnings[0] and str(cache) in warnings[0]
        assert "\n" not in warnings[0]
        assert again.names == first.names and np.array_equal(again.tokens, first.tokens)
        assert cache.read_bytes() != damaged, "the rebuilt corpus is cached again"
    # arrays that load but disagree (offsets past the tokens) are damage too
    Corpus(first.names, first.tokens[:5], first.offsets).save(cache)
    with caplog.at_level(logging.WARNING):
        again = load_corpus(str(tmp_path / "mine"), workers=1, progress=False)
    assert np.array_equal(again.tokens, first.tokens)


def _far_note_midi(path: Path, beat: int) -> None:
    """A tiny MIDI file: a few ordinary notes, then one note at ``beat``."""
    import mido

    track = mido.MidiTrack()
    for i in range(10):
        track.append(mido.Message("note_on", note=60 + i, velocity=90, time=0 if i == 0 else 240))
        track.append(mido.Message("note_off", note=60 + i, velocity=0, time=240))
    track.append(mido.Message("note_on", note=72, velocity=90, time=beat * 480))
    track.append(mido.Message("note_off", note=72, velocity=0, time=480))
    mid = mido.MidiFile(ticks_per_beat=480)
    mid.tracks.append(track)
    mid.save(str(path))


def test_a_note_at_beat_four_million_is_refused_by_the_limit_in_little_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import tracemalloc

    from engines.corpus import _parse_score_file
    from engines.notes import MAX_MIDI_BEAT, read_midi

    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))
    _tunes_folder(tmp_path / "mine")
    far = tmp_path / "mine" / "far.mid"
    _far_note_midi(far, 4_000_000)
    assert far.stat().st_size < 1000
    tracemalloc.start()
    name, tokens, why = _parse_score_file(("far.mid", str(far)))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert tokens is None and "beat 4,000,0" in why and f"{MAX_MIDI_BEAT:,}" in why
    assert peak < 5_000_000, f"peak {peak:,} bytes"
    with caplog.at_level(logging.WARNING):
        corpus = load_corpus(str(tmp_path / "mine"), workers=1, progress=False)
    assert sorted(corpus.names) == ["t0.mid", "t1.mid", "t2.mid"]
    (warning,) = [r.getMessage() for r in caplog.records if "far.mid" in r.getMessage()]
    assert "limit" in warning and "\n" not in warning
    # within the limit the same file is read
    _far_note_midi(far, MAX_MIDI_BEAT - 100)
    assert MAX_MIDI_BEAT - 100 < max(n.start for n in read_midi(far)) < MAX_MIDI_BEAT


def test_a_midi_file_with_too_many_notes_is_refused(tmp_path: Path) -> None:
    from engines import notes

    write_midi([Note(60, i * 0.25, 0.25) for i in range(50)], tmp_path / "many.mid")
    assert len(notes.read_midi(tmp_path / "many.mid")) == 50
    limit = notes.MAX_MIDI_NOTES
    try:
        notes.MAX_MIDI_NOTES = 20
        with pytest.raises(ValueError, match="more than 20 notes"):
            notes.read_midi(tmp_path / "many.mid")
    finally:
        notes.MAX_MIDI_NOTES = limit
