"""Loopback latency of every engine verb that declares a typical request (``Verb.bench``), and
the bars the README's Speed table holds the figures to.

A verb's entry is named ``<engine>-<verb>`` (``rnn-continue``, ``gan-bars``,
``vae-interpolate``): its bench request is sent to a real daemon over loopback UDP, each time
with its own seed, and timed to the last reply. No torch at module level.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from bridge.bench.core import Request, loopback_latency

# The README's Speed bars: entry -> (figure, the most it may be, the bar in words).
BARS: dict[str, tuple[str, float, str]] = {
    "rnn-step": ("p99_ms", 1.0, "p99 <= 1 ms"),
    "rnn-continue": ("p99_ms", 20.0, "p99 <= 20 ms"),
    "startup": ("max_s", 5.0, "<= 5 s"),
    "vae-interpolate": ("p99_ms", 40.0, "p99 <= 40 ms"),
    "gan-bars": ("p99_ms", 30.0, "p99 <= 30 ms"),
    "harmony-harmonize": ("p99_ms", 50.0, "p99 <= 50 ms"),
    "perf-continue": ("p99_ms", 30.0, "p99 <= 30 ms"),
    "stream-osc": ("p99_ms", 2.0, "p99 <= 2 ms"),
    "stream-midi": ("p99_ms", 2.0, "p99 <= 2 ms"),
    "stream-load": ("over_5ms", 0, "none over 5 ms"),
    "harmony-live": ("p99_ms", 5.0, "p99 <= 5 ms"),
    "feed-flood": ("p99_ms", 2.0, "players' p99 <= 2 ms"),
    "perf-stream-midi": ("p99_ms", 2.0, "p99 <= 2 ms"),
    "perf-chord-spread": ("max_ms", 1.0, "max <= 1 ms"),
    "perf-stream-load": ("over_5ms", 0, "none over 5 ms"),
}

# Request figures docs/bench.json has held at the top level (beside "request"), by its names.
FIGURE_NAMES: dict[str, dict[str, str]] = {
    "rnn-continue": {"steps": "steps"},
    "vae-interpolate": {"steps": "points"},
    "gan-bars": {"chords": "bars"},
}


def bar_verdict(entry: str, figures: Mapping[str, Any]) -> str:
    """``p99 <= 20 ms: met`` (or ``NOT MET``) for an entry with a bar; "" otherwise. A MIDI
    benchmark that lost messages (``lost``, ``voices_missing``) has not met its bar."""
    if entry not in BARS or BARS[entry][0] not in figures:
        return ""
    key, limit, words = BARS[entry]
    lost = figures.get("lost") or figures.get("voices_missing") or 0
    if lost:
        return f"{words}: NOT MET ({lost} lost)"
    return f"{words}: {'met' if figures[key] <= limit else 'NOT MET'}"


def verb_entries() -> dict[str, tuple[str, Any]]:
    """``<engine>-<verb>`` -> (engine name, verb) for every registered engine's verb with a
    bench request."""
    from engines import available_engines, engine_class

    return {
        f"{name}-{verb.name}": (name, verb)
        for name in available_engines()
        for verb in engine_class(name).verbs
        if verb.bench
    }


def request_figures(verb: Any) -> dict[str, Any]:
    """What the bench request asks: a scalar parameter's value, a list's length (notes: the
    number of notes)."""
    words = list(verb.bench)
    names = {p.name for p in verb.params}
    starts = [i for i, w in enumerate(words) if isinstance(w, str) and w in names]
    out: dict[str, Any] = {}
    for i, j in zip(starts, [*starts[1:], len(words)], strict=True):
        param, values = verb.param(words[i]), words[i + 1 : j]
        if param.kind == "notes":
            out[param.name] = len(values) // 4
        elif param.kind in ("strings", "floats"):
            out[param.name] = len(values)
        else:
            out[param.name] = values[0]
    return out


def bench_verb(name: str, engine: Any, verb: Any, n: int = 500, warmup: int = 20) -> dict[str, Any]:
    """Latency (ms) of ``/bridge/<name>/<verb>`` with the verb's bench request (and a seed per
    request, if it takes one), from sending it to its last reply, through a real daemon with
    one torch thread (:func:`bridge.bench.core.loopback_latency`)."""
    address = f"/bridge/{name}/{verb.name}"
    seeded = verb.param("seed") is not None

    def request(i: int) -> Request:
        return address, [*verb.bench, *(("seed", i) if seeded else ())]

    replies = None if verb.reply == "indexed" else 1
    try:
        figures = loopback_latency({name: engine}, request, replies, n, warmup)
    except RuntimeError as exc:  # the engine refused its own request: e.g. a checkpoint without
        return {"skipped": str(exc)}  # what the verb needs
    config = getattr(engine, "config", None)
    asked = request_figures(verb)
    legacy = FIGURE_NAMES.get(f"{name}-{verb.name}", {})
    return {
        **figures,
        **{new: asked[old] for old, new in legacy.items()},
        "request": asked,
        "warmup": warmup,
        "threads": 1,
        "device": str(getattr(engine, "device", "cpu")),
        "config": dataclasses.asdict(config) if dataclasses.is_dataclass(config) else None,
    }


__all__ = ["BARS", "bar_verdict", "bench_verb", "request_figures", "verb_entries"]
