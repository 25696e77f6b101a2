"""Polyphonic corpora -> cached event arrays, a split by piece, transposition.

Sources:

- ``scores`` (default): music21's bundled polyphonic scores: Palestrina's masses
  (``.krn``), Bach (the chorales and the rest), Monteverdi's madrigals, the trecento
  collection and the string quartets (Haydn, Mozart, Beethoven). Every part of a piece is
  merged into one polyphonic stream, ties joined; a note's velocity comes from the last
  dynamic marked in its part (``pp`` .. ``ff`` as music21 reads them), else
  :data:`~engines.perf.events.DEFAULT_VELOCITY`. Scores teach notes and rhythm only: their
  "timing" is the written one and their "dynamics" at most what is marked.
- a parsed corpus: a cache file (``.npz``) built here or on another machine;
- a folder: every ``.mid``/``.midi`` file below it, learned as it is (real velocities and
  timing, on the 1/96-beat grid). A file with a note past beat
  :data:`~engines.perf.events.MAX_BEAT` or more than :data:`MAX_FILE_EVENTS` events is
  refused and a corrupt file skipped, each with a one-line warning.

Parsing runs in worker processes (``workers``, default 2) and happens once: the result is
cached as arrays (``.npz``) in :func:`engines.corpus.cache_dir` (``$BRIDGE_CACHE``). A cache
file that cannot be read whole (a run killed while writing it, a truncated copy) is rebuilt
with a warning. ``limit_files`` takes the first files of each collection (tests, quick runs).

A piece is train, valid or test by a hash of its name (:func:`engines.corpus.split_of`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.corpus import cache_dir, music21_corpus_root, split_of
from engines.notes import Note
from engines.perf.events import (
    DEFAULT_VELOCITY,
    MAX_BEAT,
    NOTE_OFF,
    NOTE_ON,
    SHIFT,
    notes_to_events,
    read_midi_poly,
)

log = logging.getLogger(__name__)

CACHE_VERSION = 1
MIN_NOTES = 16
MAX_FILE_EVENTS = 500_000  # a MIDI file longer than this is refused (a few hours of piano)
SCORE_COLLECTIONS = ("palestrina", "bach", "monteverdi", "trecento", "haydn", "mozart", "beethoven")
QUARTETS = ("haydn", "mozart", "beethoven")  # only their string quartets
SCORE_SUFFIXES = (".krn", ".mxl", ".xml", ".musicxml")
# Parsing cost on this CPU, uncontended: Palestrina ~1.2 s a movement (1,318: 26
# core-minutes), trecento ~2 s, Monteverdi ~1.9 s, Haydn ~4.6 s, a whole Beethoven quartet
# ~40 s, a Bach chorale ~0.1 s. To stay under 10 minutes on 2 cores (shared with other
# jobs: here they ran at a fifth of their speed) the default takes every 8th Palestrina
# movement (165) and every 4th trecento piece (26), and all the rest: ~680
# pieces. ``stride=1`` takes everything (about half an hour on 2 free cores).
PALESTRINA_STRIDE = 8


@dataclass
class PerfCorpus:
    """Pieces as event sequences: piece i is ``events[offsets[i]:offsets[i + 1]]``."""

    names: list[str]
    events: np.ndarray  # uint16, all pieces concatenated
    offsets: np.ndarray  # int64, len(names) + 1

    def __len__(self) -> int:
        return len(self.names)

    def piece(self, i: int) -> np.ndarray:
        return self.events[self.offsets[i] : self.offsets[i + 1]]

    def pieces(self, split: str) -> list[np.ndarray]:
        return [self.piece(i) for i, n in enumerate(self.names) if split_of(n) == split]

    @staticmethod
    def from_pieces(names: list[str], pieces: list[np.ndarray]) -> PerfCorpus:
        lengths = np.array([len(p) for p in pieces], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        events = np.concatenate(pieces).astype(np.uint16) if pieces else np.zeros(0, np.uint16)
        return PerfCorpus(list(names), events, offsets)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # a name of its own per process: torchrun's processes may all build the cache at once
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez_compressed(
            tmp, events=self.events, offsets=self.offsets, names=np.array(self.names)
        )
        tmp.replace(path)  # atomic: a reader never sees half a file from this writer

    @staticmethod
    def load(path: Path) -> PerfCorpus:
        with np.load(path) as z:
            corpus = PerfCorpus([str(n) for n in z["names"]], z["events"], z["offsets"])
        if len(corpus.offsets) != len(corpus.names) + 1 or (
            len(corpus.names) and corpus.offsets[-1] != len(corpus.events)
        ):
            raise ValueError("offsets and events disagree")
        return corpus


def score_notes(score: object) -> list[Note]:
    """Every note of every part of a music21 score, in beats (quarter notes) from its start,
    ties joined, velocities from the part's dynamics."""
    from music21 import chord, dynamics, note

    parts = list(getattr(score, "parts", None) or [score])
    out: list[Note] = []
    for part in parts:
        try:
            part = part.stripTies()  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a malformed tie keeps the notes as written
            pass
        velocity = DEFAULT_VELOCITY
        flat = part.flatten()  # type: ignore[attr-defined]
        for el in flat.getElementsByClass([note.Note, chord.Chord, dynamics.Dynamic]):
            if isinstance(el, dynamics.Dynamic):
                scalar = el.volumeScalar
                if scalar is not None:
                    velocity = max(1, min(127, round(127 * float(scalar))))
                continue
            length = float(el.duration.quarterLength)
            if length <= 0:  # grace notes
                continue
            start = float(el.getOffsetInHierarchy(flat))
            pitches = el.pitches if isinstance(el, chord.Chord) else [el.pitch]
            for p in pitches:
                if 0 <= p.midi <= 127:
                    out.append(Note(int(p.midi), start, length, velocity))
    return out


def _encode(notes: list[Note]) -> tuple[list[int] | None, str]:
    if notes and max(n.end for n in notes) > MAX_BEAT:
        return None, f"a note past beat {MAX_BEAT:g}: refused (absurd length)"
    if len(notes) < MIN_NOTES:
        return None, f"only {len(notes)} notes"
    events = notes_to_events(notes)
    if len(events) > MAX_FILE_EVENTS:
        return None, f"{len(events)} events, over {MAX_FILE_EVENTS}: refused (absurd length)"
    return events, ""


def parse_file(job: tuple[str, str]) -> tuple[str, list[int] | None, str]:
    """(name, path) -> (name, events or None, why not). Never raises."""
    name, path = job
    try:
        if path.lower().endswith((".mid", ".midi")):
            notes = read_midi_poly(path)
        else:
            from music21 import converter

            notes = score_notes(converter.parse(path))
        return (name, *_encode(notes))
    except Exception as exc:  # noqa: BLE001 - one corrupt file must never stop a run
        return name, None, f"corrupt or unreadable: {type(exc).__name__}: {exc}"


def score_jobs(
    limit_files: int | None = None, stride: int = PALESTRINA_STRIDE
) -> list[tuple[str, str]]:
    """(name, path) of the scores of :data:`SCORE_COLLECTIONS`; ``stride`` takes every
    n-th Palestrina movement and every (n/2)-th trecento piece (their parsing dominates)."""
    root = music21_corpus_root()
    jobs = []
    for folder in SCORE_COLLECTIONS:
        files = sorted(p for p in (root / folder).rglob("*") if p.suffix.lower() in SCORE_SUFFIXES)
        if folder in QUARTETS:
            files = [f for f in files if _quartet(f)]
        if folder == "palestrina":
            files = files[::stride]
        elif folder == "trecento":
            files = files[:: max(1, stride // 2)]
        for f in files[:limit_files]:
            jobs.append((f"{folder}/{f.relative_to(root / folder)}", str(f)))
    return jobs


def _quartet(path: Path) -> bool:
    """A string-quartet movement that parses in reasonable time: Mozart's sonata K. 545 is
    not a quartet; of Beethoven's only op. 18 no. 1 (as MusicXML; the ``.krn`` copies are
    the same music) is taken, his whole-quartet files taking ~40 s each to parse."""
    text = str(path)
    if "/mozart/" in text:
        return "k545" not in text
    if "/beethoven/" in text:
        return "opus18no1" in text and path.suffix == ".mxl"
    return True


def midi_jobs(folder: Path) -> list[tuple[str, str]]:
    return [
        (str(f.relative_to(folder)), str(f))
        for f in sorted(folder.rglob("*"))
        if f.suffix.lower() in (".mid", ".midi") and f.is_file()
    ]


def parse_all(jobs: list[tuple[str, str]], workers: int = 2, progress: bool = False) -> PerfCorpus:
    """Parse ``jobs`` in ``workers`` processes; warn (one line) for each file skipped."""
    from tqdm import tqdm

    names: list[str] = []
    pieces: list[np.ndarray] = []
    results: Iterator[tuple[str, list[int] | None, str]]
    if workers <= 1:
        results = map(parse_file, jobs)
        pool = None
    else:
        pool = ProcessPoolExecutor(max_workers=workers)
        results = pool.map(parse_file, jobs, chunksize=4)
    try:
        for name, events, why in tqdm(results, total=len(jobs), disable=not progress):
            if events is None:
                log.warning("skipped %s: %s", name, why)
                continue
            names.append(name)
            pieces.append(np.asarray(events, dtype=np.uint16))
    finally:
        if pool is not None:
            pool.shutdown()
    log.info("parsed %d pieces, skipped %d", len(names), len(jobs) - len(names))
    return PerfCorpus.from_pieces(names, pieces)


def corpus_cache_path(
    source: str, limit_files: int | None = None, stride: int = PALESTRINA_STRIDE
) -> Path:
    """Where the parsed corpus of ``source`` is cached (the file to copy between machines)."""
    if source == "scores":
        key = f"scores-s{stride}-{limit_files or 'all'}"
    else:
        folder = Path(source).expanduser()
        jobs = midi_jobs(folder)
        digest = hashlib.sha1(
            "\n".join(f"{n}:{os.path.getmtime(p)}:{os.path.getsize(p)}" for n, p in jobs).encode()
        ).hexdigest()[:12]
        key = f"midi-{digest}"
    return cache_dir() / f"perf-{key}-v{CACHE_VERSION}.npz"


def load_perf_corpus(
    source: str = "scores",
    *,
    limit_files: int | None = None,
    stride: int = PALESTRINA_STRIDE,
    workers: int | None = None,
    progress: bool = False,
    use_cache: bool = True,
) -> PerfCorpus:
    """``scores``, a folder of MIDI files or a parsed corpus (the ``.npz`` cache file, as
    built elsewhere by ``bridge train perf --prepare-only``) -> a :class:`PerfCorpus`."""
    workers = workers or min(2, os.cpu_count() or 1)
    if source.endswith(".npz"):  # a parsed corpus, copied from where it was built
        try:
            return PerfCorpus.load(Path(source).expanduser())
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            raise ValueError(f"cannot read the parsed corpus {source}: {exc}") from exc
    if source == "scores":
        jobs = score_jobs(limit_files, stride)
    else:
        folder = Path(source).expanduser()
        if not folder.is_dir():
            raise ValueError(f"corpus must be 'scores' or a folder of .mid files: {source}")
        jobs = midi_jobs(folder)[:limit_files]
        if not jobs:
            raise ValueError(f"no .mid files under {folder}")
    path = corpus_cache_path(source, limit_files, stride)
    if use_cache and path.exists():
        try:
            return PerfCorpus.load(path)
        except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as exc:
            log.warning("corpus cache %s is damaged (%s); rebuilding it", path, exc)
    corpus = parse_all(jobs, workers, progress)
    if len(corpus) == 0:
        raise ValueError(f"no usable pieces in {source}")
    if use_cache:
        corpus.save(path)
    return corpus


def pitch_range(piece: np.ndarray) -> tuple[int, int]:
    ons = piece[piece < NOTE_OFF].astype(int) - NOTE_ON
    return (int(ons.min()), int(ons.max())) if len(ons) else (0, -1)


def transpose(piece: np.ndarray, shift: int) -> np.ndarray:
    """Note-ons and -offs moved by ``shift`` semitones (the caller keeps them in range)."""
    out = piece.astype(np.int64)
    out[out < SHIFT] += shift
    return out


def random_transpose(piece: np.ndarray, rng: np.random.Generator, max_shift: int = 6) -> np.ndarray:
    """Transposed by a random shift in [-max_shift, max_shift] that keeps pitches in 0..127."""
    lo, hi = pitch_range(piece)
    if hi < lo:
        return piece.astype(np.int64)
    return transpose(piece, int(rng.integers(max(-max_shift, -lo), min(max_shift, 127 - hi) + 1)))
