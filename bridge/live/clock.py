"""Tempo and beat <-> seconds math, and the clock the live parts of the bridge wait on.

Everything that plays in time (the scheduler, the stream worker, call-and-response) asks a
``Clock`` for the time and sleeps with ``clock.wait(condition, timeout)``, never with
``time.sleep`` and never in a polling loop. The real clock is ``MonotonicClock``; tests pass a
``FakeClock`` and move time by hand, so timing tests run instantly and exactly.

A ``TempoMap`` places 16th-note steps in time and changes tempo from a given step on, so a
tempo change never moves a step that has already been placed before the change.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

from engines.notes import STEPS_PER_BEAT

MIN_TEMPO = 20.0
MAX_TEMPO = 400.0


def beats_to_seconds(beats: float, bpm: float) -> float:
    """Seconds that ``beats`` quarter notes last at ``bpm``."""
    return beats * 60.0 / bpm


def seconds_to_beats(seconds: float, bpm: float) -> float:
    """Quarter notes that fit in ``seconds`` at ``bpm``."""
    return seconds * bpm / 60.0


def step_seconds(bpm: float) -> float:
    """Seconds per 16th-note step at ``bpm``."""
    return 60.0 / (bpm * STEPS_PER_BEAT)


def clamp_tempo(bpm: float) -> float:
    """``bpm`` brought into the tempo range (for tempos measured, not asked for)."""
    return max(MIN_TEMPO, min(MAX_TEMPO, float(bpm)))


def check_tempo(bpm: float) -> float:
    """``bpm`` as a float, or ValueError in a performer's words."""
    if not MIN_TEMPO <= bpm <= MAX_TEMPO:
        raise ValueError(f"tempo must be {MIN_TEMPO:g}..{MAX_TEMPO:g} BPM, got {bpm:g}")
    return float(bpm)


class TempoMap:
    """Step -> time for one stream: step ``anchor_step`` sounds at ``anchor_time``, and steps
    after it follow at ``bpm``. ``set_tempo`` re-anchors, so earlier steps keep their times."""

    def __init__(self, bpm: float, anchor_time: float, anchor_step: int = 0) -> None:
        self.bpm = check_tempo(bpm)
        self.anchor_time = float(anchor_time)
        self.anchor_step = int(anchor_step)

    @property
    def step_seconds(self) -> float:
        return step_seconds(self.bpm)

    def time_of(self, step: float) -> float:
        """Clock time at which ``step`` (a 16th-note index, may be fractional) sounds."""
        return self.anchor_time + (step - self.anchor_step) * self.step_seconds

    def step_at(self, t: float) -> float:
        """The (fractional) step sounding at clock time ``t``."""
        return self.anchor_step + (t - self.anchor_time) / self.step_seconds

    def next_step_after(self, t: float) -> int:
        """The first whole step that sounds strictly after clock time ``t``."""
        s = self.step_at(t)
        n = int(s) + 1 if s >= 0 else -int(-s)
        while self.time_of(n - 1) > t:  # guard float rounding at exact boundaries
            n -= 1
        while self.time_of(n) <= t:
            n += 1
        return n

    def set_tempo(self, bpm: float, from_step: int) -> None:
        """Steps from ``from_step`` on follow ``bpm``; ``from_step`` keeps its current time."""
        t = self.time_of(from_step)
        self.bpm = check_tempo(bpm)
        self.anchor_time, self.anchor_step = t, int(from_step)

    def restart(self, anchor_time: float, anchor_step: int, bpm: float | None = None) -> None:
        """Place ``anchor_step`` at ``anchor_time`` (after a pause), optionally at a new tempo."""
        if bpm is not None:
            self.bpm = check_tempo(bpm)
        self.anchor_time, self.anchor_step = float(anchor_time), int(anchor_step)


class Clock(Protocol):
    """What live code needs from time: read it, wait on a condition until a deadline, and
    convert to Unix time (for OSC bundle timetags)."""

    def now(self) -> float:
        """Seconds on this clock (monotonic; the origin means nothing)."""
        ...

    def wait(self, cond: threading.Condition, timeout: float | None) -> None:
        """Wait on ``cond`` (held by the caller) until notified or ``timeout`` clock seconds
        pass (None: until notified). Like ``Condition.wait``, it may return early."""
        ...

    def to_unix(self, t: float) -> float:
        """Unix time (seconds since 1970) of clock time ``t``."""
        ...


class MonotonicClock:
    """The real clock: ``time.monotonic`` (CLOCK_MONOTONIC on Linux, also used by JACK)."""

    def __init__(self) -> None:
        # One offset taken at start, so timetags do not jump if the wall clock is adjusted.
        self._unix_offset = time.time() - time.monotonic()

    def now(self) -> float:
        return time.monotonic()

    def wait(self, cond: threading.Condition, timeout: float | None) -> None:
        cond.wait(None if timeout is None else max(0.0, timeout))

    def to_unix(self, t: float) -> float:
        return t + self._unix_offset


class FakeClock:
    """A clock for tests: time moves only when the test calls ``advance``.

    Threads that ``wait`` with a timeout are woken when the fake time reaches their deadline.
    ``advance`` and ``settle`` return only once every thread that waits on this clock has
    looked at its work again and is waiting for something in the future (or has ended), so
    after ``advance(dt)`` everything due by then has happened.
    """

    def __init__(self, start: float = 1000.0, unix_offset: float = 1.7e9) -> None:
        self._now = float(start)
        self._unix_offset = unix_offset
        self._state = threading.Condition()
        self._serial = 0
        # thread -> (condition it waits on, deadline or None, registration serial); a thread
        # in ``_known`` but not here is busy between waits.
        self._waiting: dict[threading.Thread, tuple[threading.Condition, float | None, int]] = {}
        self._known: set[threading.Thread] = set()
        self._seen: dict[threading.Thread, float] = {}  # the time each thread last read

    def now(self) -> float:
        with self._state:
            self._seen[threading.current_thread()] = self._now
            return self._now

    def to_unix(self, t: float) -> float:
        return t + self._unix_offset

    def wait(self, cond: threading.Condition, timeout: float | None) -> None:
        me = threading.current_thread()
        with self._state:
            # The timeout counts from the time the caller read, as with a real clock.
            base = self._seen.get(me, self._now)
            deadline = None if timeout is None else base + max(0.0, timeout)
            if deadline is not None and deadline <= self._now:
                return
            self._serial += 1
            self._known.add(me)
            self._waiting[me] = (cond, deadline, self._serial)
            self._state.notify_all()
        try:
            cond.wait()  # untimed on purpose: ``settle`` or the code's own notify wakes us
        finally:
            with self._state:
                self._waiting.pop(me, None)

    def forget(self) -> None:
        """Stop tracking the calling thread (call before it ends or stops waiting for good)."""
        with self._state:
            self._known.discard(threading.current_thread())
            self._state.notify_all()

    def _settled(self, kick: int) -> bool:
        for thread in list(self._known):
            if not thread.is_alive():
                self._known.discard(thread)
                continue
            entry = self._waiting.get(thread)
            if entry is None or entry[2] <= kick:
                return False
            if entry[1] is not None and entry[1] <= self._now:
                return False
        return True

    def _notify(self, conds: set[threading.Condition]) -> None:
        self._state.release()
        try:
            for c in conds:
                with c:
                    c.notify_all()
        finally:
            self._state.acquire()

    def settle(self, timeout: float = 5.0) -> None:
        """Wake every waiting thread once and wait (real time) until each is waiting again
        for something in the future. Threads tolerate the extra wake-up, as they must."""
        end = time.monotonic() + timeout
        with self._state:
            kick = self._serial
            self._notify({entry[0] for entry in self._waiting.values()})
            while not self._settled(kick):
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError("threads on the fake clock did not settle")
                stale = {c for c, _, serial in self._waiting.values() if serial <= kick}
                if stale:  # woken before they waited: wake them again
                    self._notify(stale)
                self._state.wait(min(left, 0.05))

    def advance(self, seconds: float) -> None:
        """Move time forward and let every thread handle what became due."""
        with self._state:
            self._now += seconds
        self.settle()

    def advance_to(self, t: float) -> None:
        with self._state:
            self._now = max(self._now, t)
        self.settle()

    def run(self, seconds: float) -> None:
        """Advance ``seconds``, stopping at every deadline on the way, so each thread wakes
        exactly at the time it asked for."""
        self.settle()  # deadlines are known only once every thread is waiting again
        end = self.now() + seconds
        while True:
            with self._state:
                due = [d for _, d, _ in self._waiting.values() if d is not None and d > self._now]
                now = self._now
            if now >= end:
                return
            self.advance_to(min([end, *due]))
