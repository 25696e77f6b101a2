"""Training progress beyond one epoch's bar: the time the whole run has left."""

from __future__ import annotations

import time


def time_left(start: float, done: int, total: int, max_minutes: float | None = None) -> str:
    """The whole run's time left, ``h:mm:ss`` (or ``m:ss``), from the steps ``done`` of
    ``total`` since ``start`` (``time.monotonic()``); a ``max_minutes`` budget caps it. "?"
    before the first step."""
    elapsed = time.monotonic() - start
    if done <= 0:
        return "?"
    left = elapsed / done * max(0, total - done)
    if max_minutes is not None:
        left = min(left, max(0.0, max_minutes * 60 - elapsed))
    seconds = round(left)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
