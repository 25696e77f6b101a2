"""``bridge eval perf``: the performance model on held-out pieces, with named checks and bars.

Checks on the corpus's test split (pieces the model never saw):

- ``nll``: NLL per event at least 10% below an interpolated Witten-Bell n-gram
  (:mod:`engines.perf.ngram`) fitted to the same training events (transposed as the model's
  were), the model reading windows of 256 events from BOS as in training;
- ``polyphony``: continuations of held-out primers (8 beats, then 8 beats sampled at
  temperature 1) against what the pieces really do next: mean notes sounding (over time)
  and mean chord size (notes starting together) each within 20%;
- ``density``: asked densities of 1, 2, 3, 4 and 6 notes per beat (no primer, 8 beats):
  the density achieved within +-25% of the one asked in >= 80% of samples, as served (the
  default ``density_hold``); the same after held-out primers, and both by the conditioning
  alone (``density_hold`` 0), are reported beside it;
- ``key``: a major-scale pitch-class histogram (a random key each, no primer, 8 beats):
  >= 90% of all notes in that key, as served (pitch classes weighted 0 never start); the
  share by the conditioning alone (nothing masked) is reported beside it.

And musician's checks on written material (not the corpus): each of the 24 keys, major and
minor, through the histogram alone (>= 80% of notes in the key, no empty reply); chordal
primers low (around C2) and high (around C6) answered within an octave of their register;
temperatures 0.1, 0.5 and 1.0 never give an empty reply.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from engines.notes import Note
from engines.perf.data import PerfCorpus, transpose
from engines.perf.engine import DENSITY_HOLD
from engines.perf.events import BOS, TICKS_PER_BEAT, VOCAB_SIZE, events_to_notes
from engines.perf.ngram import WittenBell
from engines.written import MAJOR, MINOR

PRIMER_BEATS = 8.0
REPLY_BEATS = 8.0
DENSITIES = (1.0, 2.0, 3.0, 4.0, 6.0)
NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")


def polyphony(notes: Sequence[Note], beats: float) -> dict[str, float]:
    """Mean notes sounding over ``beats`` (silence counts as 0) and mean chord size (notes
    per distinct onset)."""
    sounding = sum(min(n.end, beats) - n.start for n in notes if n.start < beats) / beats
    onsets: dict[int, int] = {}
    for n in notes:
        if n.start < beats:
            key = round(n.start * TICKS_PER_BEAT)
            onsets[key] = onsets.get(key, 0) + 1
    chord = float(np.mean(list(onsets.values()))) if onsets else 0.0
    return {"sounding": float(sounding), "chord": chord}


def in_key(notes: Sequence[Note], scale: frozenset[int]) -> float:
    return sum(n.pitch % 12 in scale for n in notes) / max(1, len(notes))


def scale_of(tonic: int, mode: str) -> frozenset[int]:
    steps = MAJOR if mode == "major" else (*MINOR, 11)  # the raised 7th belongs to minor
    return frozenset((tonic + s) % 12 for s in steps)


def histogram(scale: frozenset[int]) -> list[float]:
    return [1.0 if pc in scale else 0.0 for pc in range(12)]


def _split_piece(piece: np.ndarray) -> tuple[list[Note], list[Note]] | None:
    """A held-out piece's first PRIMER_BEATS and the REPLY_BEATS after them (starts from 0);
    None for a piece too short or silent there."""
    notes = events_to_notes(piece)
    primer = [n for n in notes if n.start < PRIMER_BEATS]
    after = [
        Note(n.pitch, n.start - PRIMER_BEATS, n.duration, n.velocity)
        for n in notes
        if PRIMER_BEATS <= n.start < PRIMER_BEATS + REPLY_BEATS
    ]
    if len(primer) < 4 or len(after) < 4:
        return None
    primer = [
        Note(n.pitch, n.start, min(n.end, PRIMER_BEATS) - n.start, n.velocity) for n in primer
    ]
    return primer, after


def nll_check(engine: Any, corpus: PerfCorpus, order: int) -> dict[str, Any]:
    train, test = corpus.pieces("train"), corpus.pieces("test")
    if not test:
        raise ValueError("the corpus has no test pieces")
    augmented = []
    for p in train:  # the model saw transpositions of +-6 semitones: so does the baseline
        ons = p[p < 128]
        lo, hi = (int(ons.min()), int(ons.max())) if len(ons) else (0, 127)
        augmented += [transpose(p, s) for s in range(-6, 7) if lo + s >= 0 and hi + s <= 127]
    ngram = WittenBell.fit(augmented, order, VOCAB_SIZE, BOS)
    model_total = sum(float(engine.event_nll(p, seq_len=256).sum()) for p in test)
    ngram_total = sum(float(ngram.nll(p).sum()) for p in test)
    events = int(sum(len(p) for p in test))
    model_nll, ngram_nll = model_total / events, ngram_total / events
    gain = 1 - model_nll / ngram_nll
    return {
        "test_pieces": len(test),
        "test_events": events,
        "model_nll_per_event": round(model_nll, 4),
        "ngram_nll_per_event": round(ngram_nll, 4),
        "ngram_order": order,
        "improvement": round(gain, 4),
        "bar": "model NLL >= 10% below the n-gram's",
        "passed": bool(gain >= 0.10),
    }


def polyphony_check(engine: Any, corpus: PerfCorpus, samples: int, seed: int) -> dict[str, Any]:
    pairs = [s for s in (_split_piece(p) for p in corpus.pieces("test")) if s is not None]
    if not pairs:
        raise ValueError("no held-out piece is long enough for the polyphony check")
    real, model = [], []
    for i in range(samples):
        primer, after = pairs[i % len(pairs)]
        real.append(polyphony(after, REPLY_BEATS))
        reply = engine.continue_(primer, beats=REPLY_BEATS, seed=seed + i)
        model.append(polyphony(reply, REPLY_BEATS))
    out: dict[str, Any] = {"samples": samples, "primers": min(samples, len(pairs))}
    passed = True
    for key in ("sounding", "chord"):
        r, m = float(np.mean([x[key] for x in real])), float(np.mean([x[key] for x in model]))
        ratio = m / r if r else float("inf")
        out[key] = {"held_out": round(r, 3), "model": round(m, 3), "ratio": round(ratio, 3)}
        passed &= abs(ratio - 1) <= 0.20
    out["bar"] = "mean notes sounding and chord size within 20% of the held-out music's"
    out["passed"] = bool(passed)
    return out


def _density_rows(
    engine: Any, primers: list[list[Note]], samples: int, seed: int, hold: float
) -> dict[str, Any]:
    rows = []
    for i in range(samples):
        asked = DENSITIES[i % len(DENSITIES)]
        primer = primers[i % len(primers)] if primers else []
        reply = engine.continue_(
            primer, beats=REPLY_BEATS, seed=seed + i, density=asked, density_hold=hold
        )
        got = len(reply) / REPLY_BEATS
        rows.append((asked, got, abs(got - asked) <= 0.25 * asked))
    return {
        "within_25pct": round(sum(r[2] for r in rows) / len(rows), 3),
        "mean_achieved": {
            f"{d:g}": round(float(np.mean([r[1] for r in rows if r[0] == d])), 3)
            for d in DENSITIES
            if any(r[0] == d for r in rows)
        },
    }


def density_check(engine: Any, corpus: PerfCorpus, samples: int, seed: int) -> dict[str, Any]:
    """As served (the default density hold) from nothing (the bar) and after held-out
    primers (a performer's case, reported); each also by the conditioning alone
    (``density_hold`` 0, reported)."""
    pairs = [s for s in (_split_piece(p) for p in corpus.pieces("test")) if s is not None]
    primers = [p for p, _ in pairs]
    out: dict[str, Any] = {"samples": samples, "density_hold": DENSITY_HOLD.default}
    for how, given in (("from_nothing", []), ("after_primer", primers)):
        out[how] = _density_rows(engine, given, samples, seed, DENSITY_HOLD.default)
        out[how]["conditioning_alone"] = _density_rows(engine, given, samples, seed, 0.0)
    out["within_25pct"] = out["from_nothing"]["within_25pct"]
    out["mean_achieved"] = out["from_nothing"]["mean_achieved"]
    out["bar"] = (
        "achieved density within +-25% of the asked in >= 80% of samples (from nothing, as served)"
    )
    out["passed"] = bool(out["within_25pct"] >= 0.80)
    return out


def key_check(engine: Any, samples: int, seed: int) -> dict[str, Any]:
    """As served (a pitch class weighted 0 never starts) and by the conditioning alone
    (out-of-key weights 0.001: the same histogram to the model, nothing masked)."""
    rng = np.random.default_rng(seed)
    tally = {"served": [0, 0, 0], "conditioning_alone": [0, 0, 0]}  # in key, notes, empty
    for i in range(samples):
        scale = scale_of(int(rng.integers(12)), "major")
        for how, floor in (("served", 0.0), ("conditioning_alone", 1e-3)):
            weights = [max(w, floor) for w in histogram(scale)]
            reply = engine.continue_([], beats=REPLY_BEATS, seed=seed + i, pitch_classes=weights)
            tally[how][0] += sum(n.pitch % 12 in scale for n in reply)
            tally[how][1] += len(reply)
            tally[how][2] += not reply
    share = {how: t[0] / max(1, t[1]) for how, t in tally.items()}
    return {
        "samples": samples,
        "notes": tally["served"][1],
        "in_key": round(share["served"], 4),
        "in_key_conditioning_alone": round(share["conditioning_alone"], 4),
        "empty": tally["served"][2],
        "bar": ">= 90% of notes in the major key asked (as served)",
        "passed": bool(share["served"] >= 0.90),
    }


def chords(base: int, tonic: int, mode: str) -> list[Note]:
    """Four bars of written chords (I IV V I, a beat each, four to a bar) from ``base``."""
    third = 4 if mode == "major" else 3
    prog = [(0, third, 7), (5, 9 if mode == "major" else 8, 12), (7, 11, 14), (0, third, 7)]
    return [
        Note(base + tonic + p, bar * 4 + beat, 1.0, 80)
        for bar in range(4)
        for beat in range(4)
        for p in prog[(bar + beat // 2) % 4]
    ]


def musician_checks(engine: Any, seed: int) -> dict[str, Any]:
    keys = {}
    for mode in ("major", "minor"):
        for tonic in range(12):
            scale = scale_of(tonic, mode)
            replies = [
                engine.continue_(
                    [], beats=REPLY_BEATS, seed=seed + s, pitch_classes=histogram(scale)
                )
                for s in range(2)
            ]
            notes = [n for r in replies for n in r]
            keys[f"{NAMES[tonic]} {mode}"] = {
                "in_key": round(in_key(notes, scale), 3),
                "empty": sum(not r for r in replies),
            }
    keys_ok = all(k["in_key"] >= 0.8 and k["empty"] == 0 for k in keys.values())
    registers = {}
    for name, base in (("low", 36), ("high", 84)):
        primer = chords(base, 0, "major")
        centre = float(np.mean([n.pitch for n in primer]))
        replies = [engine.continue_(primer, beats=4, seed=seed + s) for s in range(4)]
        pitches = [n.pitch for r in replies for n in r]
        mean = float(np.mean(pitches)) if pitches else float("nan")
        registers[name] = {
            "primer_mean_pitch": round(centre, 1),
            "reply_mean_pitch": round(mean, 1),
            "empty": sum(not r for r in replies),
            "ok": bool(pitches and abs(mean - centre) <= 12),
        }
    temps = {}
    for t in (0.1, 0.5, 1.0):
        replies = [
            engine.continue_(chords(48, k, "major"), beats=4, temperature=t, seed=seed + k)
            for k in range(6)
        ]
        temps[f"{t:g}"] = {
            "empty": sum(not r for r in replies),
            "mean_notes": round(float(np.mean([len(r) for r in replies])), 1),
        }
    return {
        "keys": {
            "bar": "every key: >= 80% of notes in it, no empty reply",
            "passed": bool(keys_ok),
            "by_key": keys,
        },
        "registers": {
            "bar": "reply's mean pitch within an octave of the primer's",
            "passed": all(r["ok"] for r in registers.values()),
            **registers,
        },
        "temperatures": {
            "bar": "no empty reply at 0.1, 0.5, 1.0",
            "passed": all(v["empty"] == 0 for v in temps.values()),
            **temps,
        },
    }


def evaluate(
    engine: Any, corpus: PerfCorpus, samples: int = 40, order: int = 5, seed: int = 0
) -> dict[str, Any]:
    """Every check; each has ``bar`` and ``passed``."""
    checks = {
        "nll": nll_check(engine, corpus, order),
        "polyphony": polyphony_check(engine, corpus, samples, seed),
        "density": density_check(engine, corpus, samples, seed),
        "key": key_check(engine, samples, seed),
    }
    musician = musician_checks(engine, seed)
    return {
        "checkpoint": engine.checkpoint(),
        "checks": checks,
        "musician": musician,
        "passed": all(c["passed"] for c in [*checks.values(), *musician.values()]),
    }


def format_report(report: dict[str, Any]) -> str:
    def verdict(c: dict[str, Any]) -> str:
        return "PASS" if c["passed"] else "FAIL"

    c, m = report["checks"], report["musician"]
    nll, poly, dens, key = c["nll"], c["polyphony"], c["density"], c["key"]
    lines = [
        f"nll        {verdict(nll)}: {nll['model_nll_per_event']:.3f} vs n-gram "
        f"{nll['ngram_nll_per_event']:.3f} nats/event ({100 * nll['improvement']:.1f}% better; "
        f"{nll['test_events']} events of {nll['test_pieces']} test pieces)",
        f"polyphony  {verdict(poly)}: sounding {poly['sounding']['model']} vs "
        f"{poly['sounding']['held_out']}, chord size {poly['chord']['model']} vs "
        f"{poly['chord']['held_out']}",
        f"density    {verdict(dens)}: {100 * dens['within_25pct']:.0f}% within 25% from nothing, "
        f"{100 * dens['after_primer']['within_25pct']:.0f}% after held-out primers; achieved "
        f"by asked: {dens['mean_achieved']} / {dens['after_primer']['mean_achieved']}",
        f"           conditioning alone (density_hold 0): "
        f"{100 * dens['from_nothing']['conditioning_alone']['within_25pct']:.0f}% / "
        f"{100 * dens['after_primer']['conditioning_alone']['within_25pct']:.0f}%; achieved "
        f"{dens['from_nothing']['conditioning_alone']['mean_achieved']} / "
        f"{dens['after_primer']['conditioning_alone']['mean_achieved']}",
        f"key        {verdict(key)}: {100 * key['in_key']:.1f}% of {key['notes']} notes in key "
        f"(conditioning alone, nothing masked: {100 * key['in_key_conditioning_alone']:.1f}%)",
        f"keys       {verdict(m['keys'])}: worst "
        + ", ".join(
            f"{k} {v['in_key']:.2f}"
            for k, v in sorted(m["keys"]["by_key"].items(), key=lambda kv: kv[1]["in_key"])[:3]
        ),
        f"registers  {verdict(m['registers'])}: "
        + ", ".join(
            f"{r}: primer {m['registers'][r]['primer_mean_pitch']} -> reply "
            f"{m['registers'][r]['reply_mean_pitch']}"
            for r in ("low", "high")
        ),
        f"temps      {verdict(m['temperatures'])}: "
        + ", ".join(
            f"T={t}: {v['mean_notes']} notes, {v['empty']} empty"
            for t, v in m["temperatures"].items()
            if isinstance(v, dict)
        ),
        "PASSED" if report["passed"] else "some checks FAILED",
    ]
    return "\n".join(lines)
