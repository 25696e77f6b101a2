"""Musician's checks of the VAE, on melodies written here (engines/written.py), not the corpus.

- reconstruction by rhythm: the share of the 32 steps that come back as they were given
  (``reconstruct``: what the ends of a morph and ``attribute 0`` play), for half notes to
  running 16ths, in the 12 keys, major and minor, three registers;
- the ends of a morph (``interpolate`` at its default temperature 1) are the melodies given,
  as reconstructed;
- each attribute vector moves melodies the right way in every register (+1 raises density,
  register or syncopation over the reconstruction, -1 lowers it; the written melodies have no
  syncopation, so for them -1 is right when none appears).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from engines.notes import Note, notes_to_tokens
from engines.vae.engine import VaeEngine
from engines.written import REGISTERS, RHYTHMS, primers

MIN_RECONSTRUCTION = 0.90  # for quarter notes and running 8ths (issue 14's bar)
MIN_RIGHT_WAY = 0.80

MEASURES: dict[str, Callable[[Sequence[Note]], float]] = {
    "density": lambda notes: float(len(notes)),
    "register": lambda notes: float(np.mean([n.pitch for n in notes])) if notes else np.nan,
    "syncopation": lambda notes: (
        float(np.mean([(n.start * 2) % 1 > 1e-6 for n in notes])) if notes else np.nan
    ),
}


def _grid(notes: Sequence[Note]) -> np.ndarray:
    return np.asarray(notes_to_tokens(notes, n_steps=32))


def _check(name: str, value: float, bar: str, passed: bool) -> dict[str, Any]:
    return {"name": name, "value": round(float(value), 3), "bar": bar, "passed": bool(passed)}


def run_checks(engine: VaeEngine) -> dict[str, Any]:
    """The named checks with their bars (see the module doc)."""
    checks = []
    recon: dict[str, float] = {}
    for rhythm in RHYTHMS:
        items = primers(rhythms=(rhythm,))
        acc = [float((_grid(engine.reconstruct(p.notes)) == _grid(p.notes)).mean()) for p in items]
        recon[rhythm] = float(np.mean(acc))
        if rhythm in ("quarter", "eighth"):
            bar = MIN_RECONSTRUCTION
            checks.append(_check(f"reconstruction, {rhythm} notes", recon[rhythm], f">= {bar}",
                                 recon[rhythm] >= bar))  # fmt: skip
    items = primers(registers=("middle",), rhythms=("quarter", "eighth"))
    same = 0
    for i in range(0, len(items) - 1, 2):
        a, b = list(items[i].notes), list(items[i + 1].notes)
        morph = engine.interpolate(a, b, steps=5, temperature=1.0, seed=i)
        same += (morph[0] == engine.reconstruct(a)) + (morph[-1] == engine.reconstruct(b))
    share = same / (2 * (len(items) // 2))
    checks.append(_check("morph ends equal the melodies' reconstructions, T=1", share, "1.0",
                         share == 1.0))  # fmt: skip
    moves: dict[str, dict[str, float]] = {}
    for name, measure in MEASURES.items():
        if name not in engine.attributes:
            continue
        for register in REGISTERS:
            items = primers(registers=(register,), rhythms=("quarter", "eighth"))
            right = 0
            for p in items:
                base = measure(engine.reconstruct(p.notes))
                up = measure(engine.attribute(p.notes, name, 1.0))
                down = measure(engine.attribute(p.notes, name, -1.0))
                # a melody with no syncopation cannot lose any: staying at 0 is right
                right += int(up > base) + int(down < base or down == base == 0)
            share = right / (2 * len(items))
            moves.setdefault(name, {})[register] = share
            checks.append(_check(f"{name} vector moves the right way, {register} register",
                                 share, f">= {MIN_RIGHT_WAY}", share >= MIN_RIGHT_WAY))  # fmt: skip
    return {
        "checks": checks,
        "passed": all(c["passed"] for c in checks),
        "reconstruction_by_rhythm": {k: round(v, 3) for k, v in recon.items()},
        "attribute_right_way": moves,
    }


def format_checks(result: dict[str, Any]) -> list[str]:
    lines = ["musician's checks (written melodies: 12 keys, major and minor, three registers):"]
    for c in result["checks"]:
        verdict = "PASS" if c["passed"] else "FAIL"
        lines.append(f"  {c['name']:<58}{c['value']:>8.3f}  (bar {c['bar']}): {verdict}")
    recon = ", ".join(f"{k} {v:.3f}" for k, v in result["reconstruction_by_rhythm"].items())
    lines.append(f"  reconstruction by rhythm: {recon}")
    return lines


__all__ = ["format_checks", "run_checks"]
