"""Corpora -> cached token arrays, a deterministic split by tune, transposition.

Sources:
- ``folk``: every tune of music21's bundled ABC collections (O'Neill 1850, Ryan's Mammoth,
  Nottingham, Essen), each tune parsed on its own so one bad tune is skipped, not fatal;
- ``bach``: the soprano line of each Bach chorale bundled with music21;
- a folder path: every ``.mid``/``.midi`` file below it (all voices reduced to one by the
  monophonic rule of :mod:`engines.notes`).

Parsing happens once; the result is cached as arrays in ``$BRIDGE_CACHE`` (default
``~/.cache/bridge``). A tune belongs to train, valid or test by a hash of its name, so the
split never changes when tunes are added or removed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from engines.notes import NOTE_ON_BASE, Note, notes_to_tokens, read_midi

log = logging.getLogger(__name__)

FOLK_FOLDERS = ("oneills1850", "ryansMammoth", "nottingham-dataset", "essenFolksong")
CACHE_VERSION = 1
MIN_NOTES = 8
SPLITS = ("train", "valid", "test")
T = TypeVar("T")


def cache_dir() -> Path:
    return Path(os.environ.get("BRIDGE_CACHE", Path.home() / ".cache" / "bridge"))


def split_of(name: str) -> str:
    """train (90%), valid (5%) or test (5%), from a stable hash of the tune's name."""
    h = zlib.crc32(name.encode()) % 100
    return "train" if h < 90 else "valid" if h < 95 else "test"


@dataclass
class Corpus:
    """Tunes as token sequences: tune i is ``tokens[offsets[i]:offsets[i + 1]]``."""

    names: list[str]
    tokens: np.ndarray  # uint8, all tunes concatenated
    offsets: np.ndarray  # int64, len(names) + 1

    def __len__(self) -> int:
        return len(self.names)

    def tune(self, i: int) -> np.ndarray:
        return self.tokens[self.offsets[i] : self.offsets[i + 1]]

    def indices(self, split: str) -> list[int]:
        return [i for i, n in enumerate(self.names) if split_of(n) == split]

    def tunes(self, split: str) -> list[np.ndarray]:
        return [self.tune(i) for i in self.indices(split)]

    def subset(self, limit: int) -> Corpus:
        """The first ``limit`` tunes (for tests and quick runs)."""
        if limit >= len(self):
            return self
        return Corpus.from_tunes(self.names[:limit], [self.tune(i) for i in range(limit)])

    @staticmethod
    def from_tunes(names: list[str], tunes: list[np.ndarray]) -> Corpus:
        lengths = np.array([len(t) for t in tunes], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        tokens = np.concatenate(tunes).astype(np.uint8) if tunes else np.zeros(0, dtype=np.uint8)
        return Corpus(list(names), tokens, offsets)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez_compressed(
            tmp, tokens=self.tokens, offsets=self.offsets, names=np.array(self.names)
        )
        tmp.replace(path)

    @staticmethod
    def load(path: Path) -> Corpus:
        """A cached corpus; a damaged or inconsistent cache file raises ValueError."""
        with np.load(path, allow_pickle=False) as z:
            corpus = Corpus([str(n) for n in z["names"]], z["tokens"], z["offsets"])
        offsets = corpus.offsets
        if (
            corpus.tokens.dtype != np.uint8
            or offsets.ndim != 1
            or len(offsets) != len(corpus.names) + 1
            or (len(offsets) and (offsets[0] != 0 or offsets[-1] != len(corpus.tokens)))
            or bool((np.diff(offsets) < 0).any())
        ):
            raise ValueError("its arrays do not agree")
        return corpus


def read_cache(path: Path, load: Callable[[Path], T]) -> T | None:
    """A cache file read by ``load``, or None when there is none or it is damaged (cut
    short, not an npz, arrays that disagree): a damaged one is deleted with a one-line
    warning, so the caller rebuilds it instead of stopping until someone deletes it."""
    if not path.exists():
        return None
    try:
        return load(path)
    except Exception as exc:  # zipfile, zlib, numpy and key errors: all mean "rebuild"
        why = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
        log.warning("the cache %s is damaged (%s); rebuilding it", path, why)
        path.unlink(missing_ok=True)
        return None


def music21_corpus_root() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def split_abc_tunes(text: str) -> list[tuple[str, str]]:
    """An ABC file -> (X number, tune text) for each tune, with the file header prepended."""
    parts = re.split(r"(?m)^(?=X:)", text)
    header = parts[0] if parts and not parts[0].startswith("X:") else ""
    out = []
    for part in parts:
        if not part.startswith("X:"):
            continue
        number = part.split("\n", 1)[0][2:].strip()
        out.append((number, header + part))
    return out


def top_notes(part: object) -> list[tuple[float, float, int]]:
    """(start, duration, pitch) in beats of a music21 part's notes, from the part's start;
    a chord gives its top note, chord symbols and grace notes are skipped."""
    from music21 import chord, harmony, note

    out = []
    for el in part.flatten().notes:  # type: ignore[attr-defined]
        if isinstance(el, harmony.Harmony) or el.duration.quarterLength <= 0:
            continue
        if isinstance(el, note.Note):
            pitch = el.pitch.midi
        elif isinstance(el, chord.Chord) and el.pitches:
            pitch = max(p.midi for p in el.pitches)
        else:
            continue
        out.append((float(el.offset), float(el.duration.quarterLength), int(pitch)))
    return out


def _stream_notes(stream: object) -> list[Note]:
    """Notes of a music21 stream's first part, chords reduced to their top note."""
    parts = getattr(stream, "parts", None)
    part = parts[0] if parts else stream
    return [Note(p, start, dur, 100) for start, dur, p in top_notes(part) if 0 <= p <= 127]


def _parse_abc_tune(job: tuple[str, str]) -> tuple[str, list[int] | None, str]:
    name, text = job
    try:
        from music21 import converter

        notes = _stream_notes(converter.parse(text, format="abc"))
        if len(notes) < MIN_NOTES:
            return name, None, f"only {len(notes)} notes"
        return name, notes_to_tokens(notes), ""
    except Exception as exc:  # one bad tune must never stop a run
        return name, None, f"{type(exc).__name__}: {exc}"


def _parse_score_file(job: tuple[str, str]) -> tuple[str, list[int] | None, str]:
    name, path = job
    try:
        if path.lower().endswith((".mid", ".midi")):
            notes = read_midi(path)
        else:
            from music21 import converter

            notes = _stream_notes(converter.parse(path))
        if len(notes) < MIN_NOTES:
            return name, None, f"only {len(notes)} notes"
        return name, notes_to_tokens(notes), ""
    except Exception as exc:
        return name, None, f"{type(exc).__name__}: {exc}"


def _folk_jobs(limit_files: int | None) -> Iterator[tuple[str, str]]:
    root = music21_corpus_root()
    for folder in FOLK_FOLDERS:
        files = sorted((root / folder).glob("*.abc"))[:limit_files]
        for f in files:
            text = f.read_text(encoding="utf-8", errors="replace")
            for i, (number, tune) in enumerate(split_abc_tunes(text)):
                yield f"{folder}/{f.name}#{i}:{number}", tune


def _bach_jobs(limit_files: int | None) -> Iterator[tuple[str, str]]:
    root = music21_corpus_root() / "bach"
    files = sorted(p for p in root.iterdir() if p.suffix in (".mxl", ".xml", ".krn"))
    for f in files[:limit_files]:
        yield f"bach/{f.name}", str(f)


def _midi_jobs(folder: Path) -> Iterator[tuple[str, str]]:
    for f in sorted(folder.rglob("*")):
        if f.suffix.lower() in (".mid", ".midi") and f.is_file():
            yield str(f.relative_to(folder)), str(f)


def _parse_all(
    jobs: list[tuple[str, str]],
    parse: Callable[[tuple[str, str]], tuple[str, list[int] | None, str]],
    workers: int,
    progress: bool,
    desc: str,
) -> Corpus:
    from tqdm import tqdm

    names: list[str] = []
    tunes: list[np.ndarray] = []
    skipped = 0
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        results = pool.map(parse, jobs, chunksize=8)
        for name, tokens, why in tqdm(results, total=len(jobs), desc=desc, disable=not progress):
            if tokens is None:
                skipped += 1
                log.warning("skipped %s: %s", name, why)
                continue
            names.append(name)
            tunes.append(np.asarray(tokens, dtype=np.uint8))
    log.info("%s: %d tunes parsed, %d skipped", desc, len(names), skipped)
    return Corpus.from_tunes(names, tunes)


def load_corpus(
    source: str = "folk",
    *,
    limit_files: int | None = None,
    workers: int | None = None,
    progress: bool = True,
    use_cache: bool = True,
) -> Corpus:
    """``folk``, ``bach`` or a folder of MIDI files -> a cached :class:`Corpus`.

    ``limit_files`` parses only the first files of each collection (for tests).
    """
    workers = workers or min(2, os.cpu_count() or 1)
    if source in ("folk", "bach"):
        key = f"{source}-v{CACHE_VERSION}-{limit_files or 'all'}"
        jobs = list(_folk_jobs(limit_files) if source == "folk" else _bach_jobs(limit_files))
        parse = _parse_abc_tune if source == "folk" else _parse_score_file
    else:
        folder = Path(source).expanduser()
        if not folder.is_dir():
            raise ValueError(f"corpus must be 'folk', 'bach' or a folder of .mid files: {source}")
        jobs = list(_midi_jobs(folder))
        if not jobs:
            raise ValueError(f"no .mid files under {folder}")
        digest = hashlib.sha1(
            "\n".join(f"{n}:{os.path.getmtime(p)}" for n, p in jobs).encode()
        ).hexdigest()[:12]
        key = f"midi-{digest}-v{CACHE_VERSION}"
        parse = _parse_score_file
    path = cache_dir() / f"corpus-{key}.npz"
    cached = read_cache(path, Corpus.load) if use_cache else None
    if cached is not None:
        return cached
    corpus = _parse_all(jobs, parse, workers, progress, f"parsing {source}")
    if len(corpus) == 0:
        raise ValueError(f"no usable tunes in {source}")
    if use_cache:
        corpus.save(path)
    return corpus


def pitch_range(tune: np.ndarray) -> tuple[int, int]:
    """Lowest and highest pitch of a token sequence (0, -1 when it has no notes)."""
    ons = tune[(tune >= NOTE_ON_BASE) & (tune < NOTE_ON_BASE + 128)].astype(int) - NOTE_ON_BASE
    return (int(ons.min()), int(ons.max())) if len(ons) else (0, -1)


def random_transpose(tune: np.ndarray, rng: np.random.Generator, max_shift: int = 6) -> np.ndarray:
    """Transpose by a random shift in [-max_shift, max_shift] that keeps pitches in 0..127."""
    lo, hi = pitch_range(tune)
    if hi < lo:
        return tune
    shift = int(rng.integers(max(-max_shift, -lo), min(max_shift, 127 - hi) + 1))
    out = tune.astype(np.int64)
    mask = (out >= NOTE_ON_BASE) & (out < NOTE_ON_BASE + 128)
    out[mask] += shift
    return out.astype(np.uint8)
