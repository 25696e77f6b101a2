"""Held-out evaluation of a continuator against an n-gram baseline.

Two views of the test split:

- likelihood: NLL per 16th step and per note of the model and of an interpolated
  Kneser-Ney n-gram fit on the train split (:mod:`engines.ngram.model`); the shipped model must
  beat the baseline's per-note NLL by at least ``REQUIRED_IMPROVEMENT``;
- continuations: for primers taken from the start of test tunes, sampled continuations are
  compared with the tunes' real continuations on two musical statistics: the share of notes
  in the primer's key and the notes per bar.

The key of a primer is estimated with the Krumhansl-Schmuckler algorithm: the primer's
duration-weighted pitch-class histogram is correlated with the 24 rotations of the
Krumhansl-Kessler major and minor profiles, and the best correlation wins. A major key's
scale is its 7 diatonic pitch classes; a minor key's is the natural minor plus the raised
7th (8 pitch classes), since the leading tone is idiomatic in minor-key melodies.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from engines.corpus import Corpus
from engines.ngram.model import NgramModel
from engines.notes import NOTE_ON_BASE, STEPS_PER_BAR, Note, tokens_to_notes
from engines.rnn import checks

log = logging.getLogger(__name__)

REQUIRED_IMPROVEMENT = 0.10  # relative per-note NLL improvement over the n-gram
MIN_PRIMER_NOTES = 4  # a key needs a few notes to be estimated

# Krumhansl & Kessler (1982) probe-tone profiles, tonic first.
MAJOR_PROFILE = (6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88)
MINOR_PROFILE = (6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17)
MAJOR_SCALE = (0, 2, 4, 5, 7, 9, 11)
MINOR_SCALE = (0, 2, 3, 5, 7, 8, 10, 11)  # natural minor + raised 7th
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


class Continuator(Protocol):
    """What evaluate() needs of an engine."""

    name: str

    def token_nll(self, tokens: Sequence[int] | np.ndarray) -> np.ndarray: ...

    def continue_(
        self, notes: Sequence[Note], steps: int, temperature: float, seed: int | None
    ) -> list[Note]: ...


def estimate_key(notes: Sequence[Note]) -> tuple[int, str]:
    """Krumhansl-Schmuckler key of ``notes``: (tonic pitch class 0..11, "major" | "minor")."""
    hist = np.zeros(12)
    for n in notes:
        hist[n.pitch % 12] += n.duration
    if not hist.any():
        raise ValueError("cannot estimate the key of no notes")
    best, key = -math.inf, (0, "major")
    for mode, profile in (("major", MAJOR_PROFILE), ("minor", MINOR_PROFILE)):
        for tonic in range(12):
            r = np.corrcoef(hist, np.roll(profile, tonic))[0, 1]
            if r > best:
                best, key = r, (tonic, mode)
    return key


def key_name(tonic: int, mode: str) -> str:
    return f"{PITCH_NAMES[tonic % 12]} {mode}"


def scale_pitch_classes(tonic: int, mode: str) -> frozenset[int]:
    """The pitch classes of a key: 7 for major, natural minor + raised 7th for minor."""
    degrees = MAJOR_SCALE if mode == "major" else MINOR_SCALE
    return frozenset((tonic + d) % 12 for d in degrees)


def _nll_stats(nlls: list[np.ndarray], notes: int) -> dict[str, float]:
    total = float(sum(x.sum() for x in nlls))
    steps = sum(len(x) for x in nlls)
    return {
        "per_step": total / max(steps, 1),
        "per_note": total / max(notes, 1),
        "total_nats": total,
    }


class _Tally:
    """Running statistics of a set of continuations."""

    def __init__(self) -> None:
        self.notes = self.in_key = self.silent = self.replies = 0

    def add(self, notes: Sequence[Note], scale: frozenset[int]) -> None:
        self.replies += 1
        self.notes += len(notes)
        self.in_key += sum(n.pitch % 12 in scale for n in notes)
        self.silent += not notes

    def result(self, bars: int) -> dict[str, float]:
        return {
            "in_key": self.in_key / max(self.notes, 1),
            "notes_per_bar": self.notes / max(self.replies * bars, 1),
            "silent": self.silent / max(self.replies, 1),
            "notes": self.notes,
        }


def choose_primers(
    tunes: Sequence[np.ndarray], n: int, primer_steps: int, continuation_steps: int, seed: int
) -> list[int]:
    """Indices of up to ``n`` tunes long enough for a primer and a real continuation, whose
    primer has at least ``MIN_PRIMER_NOTES`` notes; a seeded choice, in tune order."""
    eligible = [
        i
        for i, t in enumerate(tunes)
        if len(t) >= primer_steps + continuation_steps
        and int(np.count_nonzero(t[:primer_steps] >= NOTE_ON_BASE)) >= MIN_PRIMER_NOTES
    ]
    if len(eligible) <= n:
        return eligible
    rng = np.random.default_rng(seed)
    return sorted(int(i) for i in rng.choice(eligible, size=n, replace=False))


def evaluate(
    engine: Continuator,
    corpus: Corpus,
    *,
    n_continuations: int = 200,
    primer_bars: int = 4,
    continuation_bars: int = 2,
    ngram_order: int = 5,
    seed: int = 0,
    max_tunes: int | None = None,
    check_seeds: int = 2,
) -> dict[str, Any]:
    """Evaluate ``engine`` on the test split of ``corpus`` against an n-gram fit on train.

    ``max_tunes`` keeps only the first test tunes (for quick runs). ``check_seeds``: how many
    times the musician's checks (:mod:`engines.rnn.checks`) continue each written primer (0
    skips them). ``seed`` picks the
    primers; continuation ``i`` is sampled with seed ``i`` (model and n-gram alike), so a
    rerun gives the same numbers. Returns a JSON-ready dict of plain numbers;
    :func:`format_report` turns it into text.
    """
    t_start = time.perf_counter()
    train = corpus.tunes("train")
    test = corpus.tunes("test")[:max_tunes]
    if not train or not test:
        raise ValueError(f"need train and test tunes; got {len(train)} and {len(test)}")

    t0 = time.perf_counter()
    ngram = NgramModel.fit(train, ngram_order)
    t_fit = time.perf_counter() - t0
    log.info("fit a %d-gram on %d train tunes in %.1f s", ngram_order, len(train), t_fit)

    t0 = time.perf_counter()
    n_notes = sum(int(np.count_nonzero(t >= NOTE_ON_BASE)) for t in test)
    # note-on tokens are 2..129; BOS (130) never occurs inside a tune
    model = _nll_stats([np.asarray(engine.token_nll(t), dtype=np.float64) for t in test], n_notes)
    base = _nll_stats([ngram.token_nll(t) for t in test], n_notes)
    t_nll = time.perf_counter() - t0
    log.info("NLL of %d test tunes in %.1f s", len(test), t_nll)
    improvement = 1.0 - model["per_note"] / base["per_note"]

    t0 = time.perf_counter()
    p_steps, c_steps = primer_bars * STEPS_PER_BAR, continuation_bars * STEPS_PER_BAR
    chosen = choose_primers(test, n_continuations, p_steps, c_steps, seed)
    tallies = {"real": _Tally(), "model": _Tally(), "ngram": _Tally()}
    keys = {"major": 0, "minor": 0}
    for i, ti in enumerate(chosen):
        tune = test[ti]
        primer = tokens_to_notes(tune[:p_steps])
        tonic, mode = estimate_key(primer)
        keys[mode] += 1
        scale = scale_pitch_classes(tonic, mode)
        tallies["real"].add(tokens_to_notes(tune[p_steps : p_steps + c_steps]), scale)
        tallies["model"].add(
            engine.continue_(primer, steps=c_steps, temperature=1.0, seed=i), scale
        )
        tallies["ngram"].add(ngram.continue_(primer, steps=c_steps, temperature=1.0, seed=i), scale)
    t_cont = time.perf_counter() - t0

    return {
        "engine": str(getattr(engine, "name", type(engine).__name__)),
        "data": {
            "train_tunes": len(train),
            "train_steps": int(sum(len(t) for t in train)),
            "test_tunes": len(test),
            "test_steps": int(sum(len(t) for t in test)),
            "test_notes": n_notes,
        },
        "nll": {
            "model": model,
            "ngram": base,
            "ngram_order": ngram_order,
            "improvement_per_note": improvement,
            "required_improvement": REQUIRED_IMPROVEMENT,
            "passed": bool(improvement >= REQUIRED_IMPROVEMENT),
        },
        "continuations": {
            "n": len(chosen),
            "primer_bars": primer_bars,
            "continuation_bars": continuation_bars,
            "temperature": 1.0,
            "seed": seed,
            "major_keys": keys["major"],
            "minor_keys": keys["minor"],
            **{who: t.result(continuation_bars) for who, t in tallies.items()},
        },
        "musician": checks.run_checks(engine, check_seeds) if check_seeds else None,
        "seconds": {
            "ngram_fit": t_fit,
            "nll": t_nll,
            "continuations": t_cont,
            "total": time.perf_counter() - t_start,
        },
    }


def format_report(result: dict[str, Any]) -> str:
    """A plain-text report of an :func:`evaluate` result."""
    d, nll, c, s = result["data"], result["nll"], result["continuations"], result["seconds"]
    order = f"{nll['ngram_order']}-gram"
    verdict = "PASS" if nll["passed"] else "FAIL"
    lines = [
        f"{result['engine']} on the test split: {d['test_tunes']:,} tunes, "
        f"{d['test_steps']:,} steps, {d['test_notes']:,} notes "
        f"(baseline: {order} fit on {d['train_tunes']:,} train tunes, "
        f"{d['train_steps']:,} steps)",
        "",
        f"{'NLL (nats)':<24}{'model':>10}{order:>10}",
        f"{'per 16th step':<24}{nll['model']['per_step']:>10.4f}{nll['ngram']['per_step']:>10.4f}",
        f"{'per note':<24}{nll['model']['per_note']:>10.4f}{nll['ngram']['per_note']:>10.4f}",
        f"per-note improvement over the {order}: {nll['improvement_per_note']:+.1%} "
        f"(required >= {nll['required_improvement']:.0%}): {verdict}",
        "",
        f"continuations: {c['n']} test primers of {c['primer_bars']} bars "
        f"({c['major_keys']} major, {c['minor_keys']} minor), "
        f"{c['continuation_bars']} bars each at temperature {c['temperature']:g}",
        f"{'':<24}{'real':>10}{'model':>10}{order:>10}",
    ]
    whos = ("real", "model", "ngram")
    for label, key, fmt in (
        ("notes in primer's key", "in_key", "{:>10.1%}"),
        ("notes per bar", "notes_per_bar", "{:>10.2f}"),
        ("silent replies", "silent", "{:>10.1%}"),
    ):
        lines.append(f"{label:<24}" + "".join(fmt.format(c[w][key]) for w in whos))
    if result.get("musician"):
        lines += ["", *checks.format_checks(result["musician"])]
    lines += [
        "",
        f"time: {s['total']:.1f} s (n-gram fit {s['ngram_fit']:.1f} s, NLL {s['nll']:.1f} s, "
        f"continuations {s['continuations']:.1f} s)",
    ]
    return "\n".join(lines)


__all__ = [
    "evaluate",
    "format_report",
    "estimate_key",
    "key_name",
    "scale_pitch_classes",
    "REQUIRED_IMPROVEMENT",
]
