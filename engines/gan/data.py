"""Bars over chords: melody bars with the triad under each half bar, cached as arrays.

Sources (both bundled with music21, parsed once, cached in :func:`engines.corpus.cache_dir`):

- ``bach``: the chorales. The soprano is the melody; the chord under each half bar (two
  beats) is read from all voices: every sounding pitch class is weighted by how long it
  sounds in the half (the bass twice, as chorales are mostly in root position), and the
  major or minor triad covering most of that weight wins. It counts only when it is clear:
  its three tones cover at least ``MIN_COVERAGE`` of the weight and its root and third both
  sound. Half bars of a chorale change chord on most beats, so a chord per bar would be
  blurred; the model is therefore conditioned on a chord per half bar, and one chord per
  bar (what the engine takes) is the same chord in both halves.
- ``folk``: tunes of music21's ABC collections whose quoted strings are real chord symbols
  (most quoted strings there are fingerings or directions, so a tune is only parsed when at
  least ``MIN_CHORD_SYMBOLS`` of them read as chords, and only ``harmony.ChordSymbol``
  objects that :func:`engines.gan.chords.parse_chord` accepts are used). The chord of a
  half bar is the last symbol at or before its start.

Only 4-beat bars (4/4, 2/2) are kept; a bar counts as a training example when both halves
have a chord, and the bar before it (when directly before it in the piece) is its ``prev``.
A tie across the bar line is read as a new onset at the bar's first step.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.corpus import (
    FOLK_FOLDERS,
    cache_dir,
    music21_corpus_root,
    read_cache,
    split_abc_tunes,
    split_of,
    top_notes,
)
from engines.gan.chords import Triad, parse_chord
from engines.notes import STEPS_PER_BAR, STEPS_PER_BEAT

log = logging.getLogger(__name__)

CACHE_VERSION = 1
BAR_BEATS = 4.0
HALF = STEPS_PER_BAR // 2
MIN_COVERAGE = 0.6
MIN_CHORD_SYMBOLS = 4
REST = -1
NO_CHORD = -1


@dataclass
class BarCorpus:
    """Pieces as runs of 4-beat bars: piece i is bars ``offsets[i]:offsets[i + 1]``.

    - ``pitch`` int8 [bars, 16]: the MIDI pitch sounding at each 16th step, ``REST`` (-1)
      for silence;
    - ``onset`` bool [bars, 16]: a note starts at this step;
    - ``chord`` int8 [bars, 2]: the triad index (root + 12 * minor) of each half bar, or
      ``NO_CHORD``;
    - ``follows`` bool [bars]: the bar directly follows the previous bar of its piece.
    """

    names: list[str]
    offsets: np.ndarray
    pitch: np.ndarray
    onset: np.ndarray
    chord: np.ndarray
    follows: np.ndarray

    def __len__(self) -> int:
        return len(self.names)

    @property
    def n_bars(self) -> int:
        return len(self.pitch)

    def piece_of_bar(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.names)), np.diff(self.offsets))

    def split_mask(self, split: str) -> np.ndarray:
        """bool [bars]: the bar's piece is in ``split`` (by :func:`engines.corpus.split_of`)."""
        in_split = np.array([split_of(n) == split for n in self.names], dtype=bool)
        return in_split[self.piece_of_bar()] if len(self.names) else np.zeros(0, dtype=bool)

    def examples(self, split: str | None = None) -> BarExamples:
        """(bar, prev bar, chords) triples for every bar with a chord in both halves."""
        keep = (self.chord >= 0).all(axis=1)
        if split is not None:
            keep &= self.split_mask(split)
        idx = np.flatnonzero(keep)
        has_prev = self.follows[idx] & (idx > 0)
        prev_idx = np.where(has_prev, idx - 1, 0)
        prev_pitch = np.where(has_prev[:, None], self.pitch[prev_idx], REST).astype(np.int8)
        prev_onset = np.where(has_prev[:, None], self.onset[prev_idx], False)
        return BarExamples(
            pitch=self.pitch[idx],
            onset=self.onset[idx],
            chord=self.chord[idx],
            prev_pitch=prev_pitch,
            prev_onset=prev_onset,
            bar_index=idx,
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp,
            names=np.array(self.names),
            offsets=self.offsets,
            pitch=self.pitch,
            onset=self.onset,
            chord=self.chord,
            follows=self.follows,
        )
        tmp.replace(path)

    @staticmethod
    def load(path: Path) -> BarCorpus:
        with np.load(path) as z:
            return BarCorpus(
                [str(n) for n in z["names"]],
                z["offsets"],
                z["pitch"],
                z["onset"],
                z["chord"],
                z["follows"],
            )

    @staticmethod
    def from_pieces(pieces: list[tuple[str, dict[str, np.ndarray]]]) -> BarCorpus:
        names = [n for n, _ in pieces]
        lengths = [len(a["pitch"]) for _, a in pieces]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

        def cat(key: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
            arrays = [a[key] for _, a in pieces]
            return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(shape, dtype)

        return BarCorpus(
            names,
            offsets,
            cat("pitch", (0, STEPS_PER_BAR), np.int8),
            cat("onset", (0, STEPS_PER_BAR), np.bool_),
            cat("chord", (0, 2), np.int8),
            cat("follows", (0,), np.bool_),
        )


@dataclass
class BarExamples:
    """Training examples as parallel arrays (see :meth:`BarCorpus.examples`)."""

    pitch: np.ndarray  # int8 [N, 16]
    onset: np.ndarray  # bool [N, 16]
    chord: np.ndarray  # int8 [N, 2]
    prev_pitch: np.ndarray  # int8 [N, 16], all REST when there is no bar before
    prev_onset: np.ndarray  # bool [N, 16]
    bar_index: np.ndarray  # int64 [N], the bar in the corpus

    def __len__(self) -> int:
        return len(self.pitch)

    def take(self, idx: np.ndarray) -> BarExamples:
        return BarExamples(*(getattr(self, k)[idx] for k in self.__dataclass_fields__))


def transpose_examples(
    ex: BarExamples, shifts: np.ndarray, low: int, high: int
) -> tuple[BarExamples, np.ndarray]:
    """Transpose example i by ``shifts[i]`` semitones (melody, prev bar and chords together).

    A shift that would take a note outside ``low..high`` is tried an octave lower and higher
    (the same key); returns the transposed examples and a mask of those that fit.
    """
    both = np.concatenate([ex.pitch, ex.prev_pitch], axis=1).astype(np.int16)
    sounding = both != REST
    lo = np.where(sounding, both, 999).min(axis=1)
    hi = np.where(sounding, both, -999).max(axis=1)
    lo = np.where(sounding.any(axis=1), lo, low)
    hi = np.where(sounding.any(axis=1), hi, low)
    chosen = np.zeros(len(ex), dtype=np.int16)
    ok = np.zeros(len(ex), dtype=bool)
    for delta in (0, -12, 12, -24, 24):
        s = shifts.astype(np.int16) + delta
        fits = ~ok & (lo + s >= low) & (hi + s <= high)
        chosen = np.where(fits, s, chosen)
        ok |= fits

    def shift(p: np.ndarray) -> np.ndarray:
        return np.where(p == REST, REST, p.astype(np.int16) + chosen[:, None]).astype(np.int16)

    chord = ex.chord.astype(np.int16)
    root = (chord % 12 + shifts[:, None]) % 12
    new_chord = np.where(chord >= 0, root + 12 * (chord // 12), NO_CHORD)
    out = BarExamples(
        shift(ex.pitch),
        ex.onset.copy(),
        new_chord.astype(np.int16),
        shift(ex.prev_pitch),
        ex.prev_onset.copy(),
        ex.bar_index.copy(),
    )
    return out, ok


# --- parsing -------------------------------------------------------------------------------


def bar_grid(notes: list[tuple[float, float, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(start, end, pitch) in beats from the bar's start -> pitch and onset rows [16].

    Monophonic rule of engines.notes: the highest pitch wins a shared onset, and a note is
    cut where the next one starts.
    """
    pitch = np.full(STEPS_PER_BAR, REST, dtype=np.int16)
    onset = np.zeros(STEPS_PER_BAR, dtype=bool)
    by_step: dict[int, tuple[int, int]] = {}
    for start, end, p in notes:
        s = int(np.floor(start * STEPS_PER_BEAT + 0.5))
        e = int(np.floor(end * STEPS_PER_BEAT + 0.5))
        if not 0 <= s < STEPS_PER_BAR:
            continue
        e = min(max(e, s + 1), STEPS_PER_BAR)
        if s not in by_step or p > by_step[s][1]:
            by_step[s] = (e, p)
    for s in sorted(by_step):
        e, p = by_step[s]
        pitch[s:e] = p
        onset[s] = True
    # a later onset cuts the note before it: the grid above already overwrote its tail
    return pitch, onset


def chord_of_weights(weights: np.ndarray) -> int:
    """Pitch-class weights [12] -> the clear triad index, or NO_CHORD."""
    total = float(weights.sum())
    if total <= 0:
        return NO_CHORD
    best, best_cov = NO_CHORD, 0.0
    for index in range(24):
        t = Triad.from_index(index)
        cov = float(weights[list(t.pitch_classes)].sum()) / total
        if cov > best_cov + 1e-9:
            best, best_cov = index, cov
    if best < 0 or best_cov < MIN_COVERAGE:
        return NO_CHORD
    root, third, _ = Triad.from_index(best).pitch_classes
    if weights[root] <= 0 or weights[third] <= 0:
        return NO_CHORD
    return best


def _soprano_index(score: object) -> int:
    parts = list(score.parts)  # type: ignore[attr-defined]
    for i, p in enumerate(parts):
        name = f"{p.partName or ''} {p.id or ''}".lower()
        if "soprano" in name or "sopran" in name:
            return i
    return 0


def _part_notes(part: object) -> list[tuple[float, float, int]]:
    """(start, end, pitch) in beats from the part's start; chords give their top note."""
    return [(start, start + dur, p) for start, dur, p in top_notes(part)]


def _measures(part: object) -> list[tuple[float, float, int]]:
    """(offset, length in beats, number) of each measure of a part."""
    return [
        (float(m.offset), float(m.duration.quarterLength), int(m.number or 0))
        for m in part.getElementsByClass("Measure")  # type: ignore[attr-defined]
    ]


def _bars_from(
    melody: list[tuple[float, float, int]],
    measures: list[tuple[float, float, int]],
    chord_at: object,
) -> dict[str, np.ndarray]:
    """The 4-beat bars of a melody, each with the chord of its two halves."""
    pitch, onset, chords, follows = [], [], [], []
    melody = sorted(melody)
    starts = np.array([n[0] for n in melody]) if melody else np.zeros(0)
    last_end = None
    for offset, length, _ in measures:
        if abs(length - BAR_BEATS) > 1e-6:
            last_end = None
            continue
        lo = int(np.searchsorted(starts, offset - 1e-6))
        hi = int(np.searchsorted(starts, offset + BAR_BEATS - 1e-6))
        rel = [(s - offset, e - offset, p) for s, e, p in melody[lo:hi]]
        p, o = bar_grid(rel)
        pitch.append(p)
        onset.append(o)
        chords.append([chord_at(offset), chord_at(offset + BAR_BEATS / 2)])  # type: ignore[operator]
        follows.append(last_end is not None and abs(last_end - offset) < 1e-6)
        last_end = offset + BAR_BEATS
    return {
        "pitch": np.array(pitch, dtype=np.int16).reshape(-1, STEPS_PER_BAR),
        "onset": np.array(onset, dtype=bool).reshape(-1, STEPS_PER_BAR),
        "chord": np.array(chords, dtype=np.int16).reshape(-1, 2),
        "follows": np.array(follows, dtype=bool),
    }


def _parse_chorale(job: tuple[str, str]) -> tuple[str, dict[str, np.ndarray] | None, str]:
    name, path = job
    try:
        from music21 import converter

        score = converter.parse(path)
        parts = list(score.parts)
        if len(parts) < 4:
            return name, None, f"{len(parts)} parts, not a four-voice chorale"
        sop = _soprano_index(score)
        voices = [_part_notes(p) for p in parts]
        bass = len(parts) - 1

        def chord_at(t0: float) -> int:
            weights = np.zeros(12)
            for vi, notes in enumerate(voices):
                for s, e, p in notes:
                    overlap = min(e, t0 + BAR_BEATS / 2) - max(s, t0)
                    if overlap > 0:
                        weights[p % 12] += overlap * (2.0 if vi == bass else 1.0)
            return chord_of_weights(weights)

        bars = _bars_from(voices[sop], _measures(parts[sop]), chord_at)
        if not len(bars["pitch"]):
            return name, None, "no 4-beat bars"
        return name, bars, ""
    except Exception as exc:  # a corrupt file is skipped, never fatal
        return name, None, f"cannot read it ({type(exc).__name__}: {exc})"


def _parse_abc_with_chords(job: tuple[str, str]) -> tuple[str, dict[str, np.ndarray] | None, str]:
    name, text = job
    try:
        from music21 import converter, harmony

        score = converter.parse(text, format="abc")
        parts = list(getattr(score, "parts", [])) or [score]
        part = parts[0]
        symbols = []
        for cs in part.flatten().getElementsByClass(harmony.ChordSymbol):
            try:
                symbols.append((float(cs.offset), parse_chord(cs.figure).index))
            except ValueError:
                continue
        if len(symbols) < MIN_CHORD_SYMBOLS:
            return name, None, f"only {len(symbols)} chord symbols"
        times = np.array([t for t, _ in symbols])

        def chord_at(t0: float) -> int:
            i = int(np.searchsorted(times, t0 + 1e-6)) - 1
            return symbols[i][1] if i >= 0 else NO_CHORD

        bars = _bars_from(_part_notes(part), _measures(part), chord_at)
        if not len(bars["pitch"]):
            return name, None, "no 4-beat bars"
        return name, bars, ""
    except Exception as exc:
        return name, None, f"cannot read it ({type(exc).__name__}: {exc})"


_QUOTED = re.compile(r'"([^"]*)"')


def _has_chord_symbols(tune: str) -> bool:
    """Cheap pre-filter on the ABC text: enough quoted strings read as chords."""
    count = 0
    for line in tune.splitlines():
        if len(line) > 1 and line[1] == ":" and line[0].isalpha():
            continue  # header or inline field
        for q in _QUOTED.findall(line):
            try:
                parse_chord(q)
                count += 1
            except ValueError:
                pass
    return count >= MIN_CHORD_SYMBOLS


def _bach_jobs(limit_files: int | None) -> Iterator[tuple[str, str]]:
    root = music21_corpus_root() / "bach"
    files = sorted(p for p in root.iterdir() if p.suffix in (".mxl", ".xml", ".krn"))
    for f in files[:limit_files]:
        yield f"bach/{f.name}", str(f)


def _folk_jobs(limit_files: int | None) -> Iterator[tuple[str, str]]:
    root = music21_corpus_root()
    for folder in FOLK_FOLDERS:
        for f in sorted((root / folder).glob("*.abc"))[:limit_files]:
            text = f.read_text(encoding="utf-8", errors="replace")
            for i, (number, tune) in enumerate(split_abc_tunes(text)):
                if _has_chord_symbols(tune):
                    yield f"{folder}/{f.name}#{i}:{number}", tune


def _parse_jobs(
    jobs: list[tuple[str, str]], parse: object, workers: int, progress: bool, desc: str
) -> list[tuple[str, dict[str, np.ndarray]]]:
    from tqdm import tqdm

    out = []
    if not jobs:
        return out
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        results = pool.map(parse, jobs, chunksize=4)  # type: ignore[arg-type]
        for name, bars, why in tqdm(results, total=len(jobs), desc=desc, disable=not progress):
            if bars is None:
                # a file that fails to parse is named as a warning; a piece that has no
                # usable bars (3/4 time, no chord symbols) is left out quietly
                level = logging.WARNING if why.startswith("cannot read") else logging.DEBUG
                log.log(level, "skipped %s: %s", name, why)
                continue
            out.append((name, bars))
    return out


def load_bars(
    sources: tuple[str, ...] = ("bach", "folk"),
    *,
    limit_files: int | None = None,
    workers: int | None = None,
    progress: bool = True,
    use_cache: bool = True,
) -> BarCorpus:
    """Bars over chords from ``bach`` and/or ``folk`` (see the module doc), cached.

    ``limit_files`` parses only the first files of each collection (for tests).
    """
    unknown = set(sources) - {"bach", "folk"}
    if unknown or not sources:
        raise ValueError(f"bar sources are 'bach' and 'folk', got {', '.join(sources)}")
    workers = workers or min(2, os.cpu_count() or 1)
    key = f"gan-bars-{'+'.join(sorted(sources))}-v{CACHE_VERSION}-{limit_files or 'all'}"
    path = cache_dir() / f"{key}.npz"
    cached = read_cache(path, BarCorpus.load) if use_cache else None
    if cached is not None:
        return cached
    pieces: list[tuple[str, dict[str, np.ndarray]]] = []
    if "bach" in sources:
        jobs = list(_bach_jobs(limit_files))
        pieces += _parse_jobs(jobs, _parse_chorale, workers, progress, "parsing chorales")
    if "folk" in sources:
        jobs = list(_folk_jobs(limit_files))
        pieces += _parse_jobs(jobs, _parse_abc_with_chords, workers, progress, "parsing folk")
    corpus = BarCorpus.from_pieces(pieces)
    if corpus.n_bars == 0:
        raise ValueError(f"no usable bars in {', '.join(sources)}")
    log.info(
        "%d pieces, %d bars, %d with a chord in both halves",
        len(corpus),
        corpus.n_bars,
        int((corpus.chord >= 0).all(axis=1).sum()),
    )
    if use_cache:
        corpus.save(path)
    return corpus
