"""Musician's checks of a continuator, on primers written here (not taken from the corpus).

A performer hears at once what an average over a test set hides: a low register answered two
octaves up, a minor tune continued in major, a low temperature that goes silent or drones on
one pitch. Each check plays the engine primers in all 12 keys, major and minor, in three
registers (around C2, C4 and C6) and four rhythms (half notes to running 16ths), and scores
the continuations against a bar. Everything runs through ``continue_`` exactly as a request
does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from engines.notes import Note
from engines.written import REGISTERS, Primer, primers

BARS = 8  # each continuation: 8 bars of 16th steps
STEPS = BARS * 16
DRONE_RUN = 8  # this many notes of one pitch in a row is a drone

# The bars, from issue 14 of the tracker ("Models that a musician trusts").
IN_KEY_MEAN = 0.90
IN_KEY_WORST_KEY = 0.85
MAX_DRIFT = 3.0
MAX_DRONE_SHARE = 0.10
DENSITY_RANGE = (0.67, 1.5)


class Continuator(Protocol):
    def continue_(
        self, notes: Sequence[Note], steps: int, temperature: float, seed: int | None
    ) -> list[Note]: ...


def longest_run(notes: Sequence[Note]) -> int:
    best = run = 0
    last = None
    for n in notes:
        run = run + 1 if n.pitch == last else 1
        last = n.pitch
        best = max(best, run)
    return best


def mean_pitch(notes: Sequence[Note]) -> float:
    return sum(n.pitch for n in notes) / len(notes)


def score(
    engine: Continuator, items: Sequence[Primer], temperature: float, seeds: int = 1
) -> dict[str, Any]:
    """Continue every primer ``seeds`` times at ``temperature`` and measure each reply."""
    rows = []
    for k, p in enumerate(items):
        for s in range(seeds):
            out = engine.continue_(list(p.notes), STEPS, temperature, 1000 * k + s)
            rows.append((p, out))
    replies = len(rows)
    empty = sum(not out for _, out in rows)
    drones = sum(longest_run(out) >= DRONE_RUN for _, out in rows)
    ratios = [(len(out) / BARS) / (len(p.notes) / 2) for p, out in rows]
    in_range = sum(DENSITY_RANGE[0] <= r <= DENSITY_RANGE[1] for r in ratios)
    drift = [abs(mean_pitch(out) - mean_pitch(p.notes)) for p, out in rows if out]
    by_key: dict[tuple[int, str], list[int]] = {}
    wrong_third = thirds = 0
    for p, out in rows:
        counts = by_key.setdefault((p.tonic, p.mode), [0, 0])
        counts[0] += sum(n.pitch % 12 in p.scale for n in out)
        counts[1] += len(out)
        if p.mode == "minor":  # the major third of a minor key is the tell-tale wrong note
            wrong_third += sum((n.pitch - p.tonic) % 12 == 4 for n in out)
            thirds += len(out)
    key_share = {k: c[0] / max(c[1], 1) for k, c in by_key.items()}
    total_in = sum(c[0] for c in by_key.values())
    total = sum(c[1] for c in by_key.values())
    return {
        "temperature": temperature,
        "replies": replies,
        "empty": empty / replies,
        "drone": drones / replies,
        "density_ratio_median": sorted(ratios)[len(ratios) // 2],
        "density_in_range": in_range / replies,
        "drift_mean": sum(drift) / max(len(drift), 1),
        "in_key": total_in / max(total, 1),
        "in_key_worst": min(key_share.values()) if key_share else 0.0,
        "minor_major_third": wrong_third / max(thirds, 1) if thirds else None,
    }


MAX_MINOR_MAJOR_THIRD = 0.02  # our bar: Bach's chorales have none, the old model had 3.6%


def _check(name: str, value: float, bar: str, passed: bool) -> dict[str, Any]:
    return {"name": name, "value": value, "bar": bar, "passed": bool(passed)}


def run_checks(engine: Continuator, seeds: int = 2) -> dict[str, Any]:
    """The named checks with their bars: every primer (12 keys, major and minor, three
    registers, four rhythms) continued for 8 bars, ``seeds`` times, at temperatures 1, 0.5
    and 0.1."""
    major = primers(modes=("major",))
    minor = primers(modes=("minor",))
    runs = {t: score(engine, major, t, seeds) for t in (1.0, 0.5, 0.1)}
    minor_1 = score(engine, minor, 1.0, seeds)
    registers = {r: score(engine, primers(registers=(r,)), 1.0, seeds) for r in REGISTERS}
    one = runs[1.0]
    checks = [
        _check("in key, 12 major keys, T=1", one["in_key"], f">= {IN_KEY_MEAN}",
               one["in_key"] >= IN_KEY_MEAN),
        _check("in key, worst major key, T=1", one["in_key_worst"], f">= {IN_KEY_WORST_KEY}",
               one["in_key_worst"] >= IN_KEY_WORST_KEY),
    ]  # fmt: skip
    for r, res in registers.items():
        checks.append(_check(f"in key, {r} register (C{2 + 2 * list(REGISTERS).index(r)}), "
                             "T=1", res["in_key"], f">= {IN_KEY_MEAN}",
                             res["in_key"] >= IN_KEY_MEAN))  # fmt: skip
    for t, res in runs.items():
        checks.append(_check(f"mean-pitch drift (semitones), T={t:g}", res["drift_mean"],
                             f"<= {MAX_DRIFT:g}", res["drift_mean"] <= MAX_DRIFT))  # fmt: skip
    for t in (0.5, 0.1):
        res = runs[t]
        lo, hi = DENSITY_RANGE
        checks += [
            _check(f"empty replies, T={t:g}", res["empty"], "0", res["empty"] == 0),
            _check(f"replies with {DRONE_RUN}+ notes of one pitch in a row, T={t:g}",
                   res["drone"], f"<= {MAX_DRONE_SHARE:.0%}", res["drone"] <= MAX_DRONE_SHARE),
            _check(f"notes per bar / primer's (median), T={t:g}", res["density_ratio_median"],
                   f"{lo}..{hi}", lo <= res["density_ratio_median"] <= hi),
        ]  # fmt: skip
    third = minor_1["minor_major_third"] or 0.0
    bar = MAX_MINOR_MAJOR_THIRD
    checks.append(_check("major third after minor primers, T=1", third, f"<= {bar:.0%}",
                         third <= bar))  # fmt: skip
    return {
        "seeds": seeds,
        "checks": checks,
        "passed": all(c["passed"] for c in checks),
        "runs": {f"{t:g}": res for t, res in runs.items()},
        "minor": minor_1,
    }


def format_checks(result: dict[str, Any]) -> list[str]:
    """A line per check: name, value, bar, PASS or FAIL."""
    lines = [f"musician's checks (written primers, {result['seeds']} seeds each):"]
    for c in result["checks"]:
        value = c["value"]
        text = f"{value:.3f}" if isinstance(value, float) else str(value)
        lines.append(f"  {c['name']:<58}{text:>8}  (bar {c['bar']}): "
                     + ("PASS" if c["passed"] else "FAIL"))  # fmt: skip
    return lines


__all__ = ["format_checks", "longest_run", "run_checks", "score"]
