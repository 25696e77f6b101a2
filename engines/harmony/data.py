"""The Bach chorales as four voices on the 16th-note grid, parsed once and cached as arrays.

Source: ``music21.corpus.getComposer('bach')``; a file counts when it has exactly four parts
(soprano, alto, tenor, bass, in that order unless the part names say otherwise). Each voice
is read with its ties merged, a chord in a voice gives its top note, and it is put on the
16th-note grid by the monophonic rule of :mod:`engines.notes` (:func:`notes_to_tokens`).
Per chorale we keep

- ``pitch`` int8 [T, 4]: the MIDI pitch sounding at each 16th step, ``REST`` (-1) for silence
  (voices in the order soprano, alto, tenor, bass);
- ``onset`` bool [T, 4]: a note starts at this step;
- ``pos`` int8 [T]: the 16th step in the bar (a pickup bar counts from the end, so a one-beat
  pickup starts at step 12 of 4/4);
- ``key``: the key music21 finds in all four voices (tonic pitch class, minor or not).

Fermatas are not kept: a performer's melody has none, so the model must do without them.
The cache lives in :func:`engines.corpus.cache_dir` as ``harmony-chorales-v1-<limit>.npz``;
one that cannot be read or whose arrays disagree with its offsets (a run killed while
writing it, a full disk) is rebuilt with a warning.

The split is by chorale and by tune: chorales whose sopranos are the same tune (the corpus
holds several harmonisations of some hymns, in different keys) always fall in the same
split, so no held-out melody was seen in training. :func:`split_chorales` shuffles the tunes
with a fixed seed; the checkpoint keeps the names it was trained and checked on.
"""

from __future__ import annotations

import logging
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.corpus import cache_dir, music21_corpus_root, top_notes
from engines.gan.data import _parse_jobs
from engines.notes import NOTE_ON_BASE, OFF, STEPS_PER_BAR, STEPS_PER_BEAT, Note, notes_to_tokens

log = logging.getLogger(__name__)

CACHE_VERSION = 1
REST = -1
VOICES = ("soprano", "alto", "tenor", "bass")
SPLIT_SEED = 16
SPLIT_SHARES = (0.8, 0.1, 0.1)  # train, valid, test: share of tunes


@dataclass
class Chorales:
    """Chorales as parallel arrays: chorale i is rows ``offsets[i]:offsets[i + 1]``."""

    names: list[str]
    offsets: np.ndarray  # int64 [n + 1]
    pitch: np.ndarray  # int8 [T, 4]
    onset: np.ndarray  # bool [T, 4]
    pos: np.ndarray  # int8 [T]
    key: np.ndarray  # int8 [n, 2]: tonic pitch class, minor (0/1)

    def __len__(self) -> int:
        return len(self.names)

    def rows(self, i: int) -> slice:
        return slice(int(self.offsets[i]), int(self.offsets[i + 1]))

    def piece(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pitch [T, 4], onset [T, 4], pos [T]) of chorale i."""
        r = self.rows(i)
        return self.pitch[r], self.onset[r], self.pos[r]

    def subset(self, names: list[str]) -> Chorales:
        index = {n: i for i, n in enumerate(self.names)}
        pieces = []
        for n in names:
            if n in index:
                p, o, pos = self.piece(index[n])
                pieces.append((n, {"pitch": p, "onset": o, "pos": pos}))
        keys = [self.key[index[n]] for n in names if n in index]
        return Chorales.from_pieces(pieces, keys)

    @staticmethod
    def from_pieces(
        pieces: list[tuple[str, dict[str, np.ndarray]]], keys: list[np.ndarray] | None = None
    ) -> Chorales:
        names = [n for n, _ in pieces]
        lengths = [len(a["pos"]) for _, a in pieces]
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)

        def cat(k: str, shape: tuple[int, ...], dtype: type) -> np.ndarray:
            arrays = [a[k] for _, a in pieces]
            return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(shape, dtype)

        if keys is None:
            keys = [a["key"] for _, a in pieces]
        key = np.array(keys, dtype=np.int8).reshape(-1, 2)
        return Chorales(names, offsets, cat("pitch", (0, 4), np.int8),
                        cat("onset", (0, 4), np.bool_), cat("pos", (0,), np.int8), key)  # fmt: skip

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        arrays = {"offsets": self.offsets, "pitch": self.pitch, "onset": self.onset,
                  "pos": self.pos, "key": self.key}  # fmt: skip
        np.savez_compressed(tmp, names=np.array(self.names), **arrays)
        tmp.replace(path)

    @staticmethod
    def load(path: Path) -> Chorales:
        """The cached chorales; ValueError when the file is truncated or inconsistent."""
        try:
            with np.load(path) as z:
                c = Chorales([str(n) for n in z["names"]], z["offsets"], z["pitch"],
                             z["onset"], z["pos"], z["key"])  # fmt: skip
        except (OSError, EOFError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise ValueError(f"cannot read {path}: {type(exc).__name__}: {exc}") from exc
        total = int(c.offsets[-1]) if len(c.offsets) else -1
        if (
            len(c.offsets) != len(c.names) + 1
            or len(c.key) != len(c.names)
            or not len(c.pitch) == len(c.onset) == len(c.pos) == total
        ):
            raise ValueError(f"{path} is inconsistent (truncated?)")
        return c


def tokens_to_grid(tokens: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Grid tokens of :mod:`engines.notes` -> (pitch [T] with REST, onset [T])."""
    pitch = np.full(len(tokens), REST, dtype=np.int16)
    onset = np.zeros(len(tokens), dtype=bool)
    current = REST
    for t, tok in enumerate(tokens):
        if tok >= NOTE_ON_BASE:
            current, onset[t] = tok - NOTE_ON_BASE, True
        elif tok == OFF:
            current = REST
        pitch[t] = current
    return pitch, onset


def _voice_order(parts: list) -> list[int] | None:
    """Part indices of soprano, alto, tenor, bass: by name, else in score order."""
    names = [f"{p.partName or ''} {p.id or ''}".lower() for p in parts]
    found = []
    for voice in ("sopran", "alt", "tenor", "bass"):
        hit = [i for i, n in enumerate(names) if voice in n]
        found.append(hit[0] if hit else None)
    if None not in found and len(set(found)) == 4:
        return found  # type: ignore[return-value]
    return [0, 1, 2, 3]


def _bar_positions(part: object, n_steps: int) -> np.ndarray:
    """The 16th step in the bar of every grid step, from the part's measures."""
    pos = np.arange(n_steps) % STEPS_PER_BAR
    measures = list(part.getElementsByClass("Measure"))  # type: ignore[attr-defined]
    for k, m in enumerate(measures):
        start = int(round(float(m.offset) * STEPS_PER_BEAT))
        length = int(round(float(m.duration.quarterLength) * STEPS_PER_BEAT))
        bar = int(round(float(m.barDuration.quarterLength) * STEPS_PER_BEAT)) or STEPS_PER_BAR
        lead = bar - length if k == 0 and 0 < length < bar else 0  # a pickup bar
        end = min(start + max(length, 1), n_steps)
        if start < n_steps:
            pos[start:end] = np.minimum(lead + np.arange(end - start), 127)
    return pos.astype(np.int8)


def _parse_four_voices(job: tuple[str, str]) -> tuple[str, dict[str, np.ndarray] | None, str]:
    name, path = job
    try:
        from music21 import converter

        score = converter.parse(path)
        parts = list(score.parts)
        if len(parts) != 4:
            return name, None, f"{len(parts)} parts, not a four-voice chorale"
        order = _voice_order(parts)
        voices = [[Note(p, s, d) for s, d, p in top_notes(parts[i].stripTies())] for i in order]
        n_steps = max(int(round(max(n.end for n in v) * STEPS_PER_BEAT)) for v in voices if v)
        grids = [tokens_to_grid(notes_to_tokens(v, n_steps)) for v in voices]
        pitch = np.stack([g[0] for g in grids], axis=1)
        onset = np.stack([g[1] for g in grids], axis=1)
        if (pitch == REST).all(axis=0).any():
            return name, None, "a voice has no notes"
        k = score.analyze("key")
        key = np.array([k.tonic.pitchClass, int(k.mode == "minor")], dtype=np.int8)
        pos = _bar_positions(parts[order[0]], n_steps)
        return name, {"pitch": pitch, "onset": onset, "pos": pos, "key": key}, ""
    except Exception as exc:  # a corrupt file is skipped, never fatal
        return name, None, f"cannot read it ({type(exc).__name__}: {exc})"


def chorale_jobs(limit_files: int | None = None) -> list[tuple[str, str]]:
    """(name, path) of music21's Bach files, name relative to its corpus folder."""
    from music21 import corpus

    root = music21_corpus_root()
    paths = sorted(Path(p) for p in corpus.getComposer("bach"))
    jobs = []
    for p in paths[:limit_files]:
        try:
            name = str(p.relative_to(root))
        except ValueError:
            name = p.name
        jobs.append((name, str(p)))
    return jobs


def load_chorales(
    *,
    limit_files: int | None = None,
    workers: int | None = None,
    progress: bool = True,
    use_cache: bool = True,
) -> Chorales:
    """The four-voice chorales (see the module doc), parsed once and cached."""
    workers = workers or min(2, os.cpu_count() or 1)
    path = cache_dir() / f"harmony-chorales-v{CACHE_VERSION}-{limit_files or 'all'}.npz"
    if use_cache and path.exists():
        try:
            return Chorales.load(path)
        except ValueError as exc:
            log.warning("rebuilding the chorale cache: %s", exc)
    jobs = chorale_jobs(limit_files)
    pieces = _parse_jobs(jobs, _parse_four_voices, workers, progress, "parsing chorales")
    chorales = Chorales.from_pieces(pieces)
    if len(chorales) == 0:
        raise ValueError("no four-voice chorales found in music21's corpus")
    log.info("%d four-voice chorales of %d files, %d steps", len(chorales), len(jobs),
             len(chorales.pos))  # fmt: skip
    if use_cache:
        chorales.save(path)
    return chorales


def tune_key(pitch: np.ndarray, onset: np.ndarray) -> tuple:
    """A chorale's soprano tune, transposition-free: its intervals and note lengths."""
    s = pitch[:, 0].astype(int)
    starts = np.flatnonzero(onset[:, 0])
    notes = s[starts]
    lengths = np.diff(np.append(starts, len(s)))
    return tuple(np.diff(notes).tolist()), tuple(lengths.tolist())


def split_chorales(chorales: Chorales, seed: int = SPLIT_SEED) -> dict[str, list[str]]:
    """Names per split (train, valid, test); chorales sharing a tune stay together."""
    groups: dict[tuple, list[str]] = {}
    for i, name in enumerate(chorales.names):
        p, o, _ = chorales.piece(i)
        groups.setdefault(tune_key(p, o), []).append(name)
    tunes = sorted(groups.values())
    order = np.random.default_rng(seed).permutation(len(tunes))
    n_train = int(round(SPLIT_SHARES[0] * len(tunes)))
    n_valid = int(round(SPLIT_SHARES[1] * len(tunes)))
    split: dict[str, list[str]] = {"train": [], "valid": [], "test": []}
    for rank, t in enumerate(order):
        which = "train" if rank < n_train else "valid" if rank < n_train + n_valid else "test"
        split[which].extend(tunes[t])
    return {k: sorted(v) for k, v in split.items()}


__all__ = ["Chorales", "REST", "VOICES", "load_chorales", "split_chorales", "tokens_to_grid"]
