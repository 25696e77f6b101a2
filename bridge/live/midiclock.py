"""MIDI clock: ``MidiClock`` follows an incoming 24-pulses-per-quarter clock for tempo and
transport (start, stop, continue); ``MidiEvent`` is an incoming message and its arrival time.
The bridge never sends MIDI clock.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

CLOCK, START, CONTINUE, STOP = 0xF8, 0xFA, 0xFB, 0xFC
PPQN = 24


@dataclass(frozen=True)
class MidiEvent:
    """An incoming message and the clock time it arrived."""

    message: tuple[int, ...]
    time: float


class MidiClock:
    """Follows an incoming MIDI clock: tempo from the pulses, and start/stop/continue.

    ``feed(event)`` takes every realtime message; the callbacks run on the caller's thread:
    ``on_tempo(bpm)`` when the tempo (averaged over the last beat of pulses) moves by more
    than ``tolerance`` BPM, ``on_start(t)``, ``on_continue(t)``, ``on_stop(t)``.
    """

    def __init__(
        self,
        on_tempo: Callable[[float], None] | None = None,
        on_start: Callable[[float], None] | None = None,
        on_stop: Callable[[float], None] | None = None,
        on_continue: Callable[[float], None] | None = None,
        tolerance: float = 0.5,
    ) -> None:
        self.on_tempo, self.on_start = on_tempo, on_start
        self.on_stop, self.on_continue = on_stop, on_continue
        self.tolerance = tolerance
        self.running = False
        self.bpm: float | None = None
        self.pulses = 0  # since the last start
        self.last_pulse: float | None = None
        self.start_time: float | None = None
        self._times: deque[float] = deque(maxlen=PPQN + 1)

    def feed(self, event: MidiEvent) -> bool:
        """Handle a realtime message; False if it is not one (pass it on)."""
        if not event.message:
            return False
        status, t = event.message[0], event.time
        if status == CLOCK:
            self._pulse(t)
        elif status == START:
            self.running, self.pulses, self.start_time = True, 0, t
            if self.on_start:
                self.on_start(t)
        elif status == CONTINUE:
            self.running = True
            if self.on_continue:
                self.on_continue(t)
        elif status == STOP:
            self.running = False
            if self.on_stop:
                self.on_stop(t)
        else:
            return False
        return True

    def _pulse(self, t: float) -> None:
        if self.running:
            self.pulses += 1
        self.last_pulse = t
        self._times.append(t)
        if len(self._times) < self._times.maxlen:  # type: ignore[operator]
            return
        span = self._times[-1] - self._times[0]
        if span <= 0:
            return
        bpm = 60.0 / (PPQN * span / (len(self._times) - 1))
        if self.bpm is None or abs(bpm - self.bpm) > self.tolerance:
            self.bpm = bpm
            if self.on_tempo:
                self.on_tempo(bpm)

    def next_beat(self, after: float) -> float:
        """The clock time of the first beat (quarter note since start) after ``after``,
        extrapolated from the last pulse at the current tempo."""
        if self.bpm is None or self.last_pulse is None:
            return after
        beat = 60.0 / self.bpm
        # After Start, pulse 1 (the first after it) is beat 0, pulse 25 beat 1, and so on.
        into = (self.pulses - 1) % PPQN if self.running and self.pulses > 0 else 0
        t = self.last_pulse - into * beat / PPQN  # the last beat at or before the last pulse
        if t > after:
            return t
        return t + (math.floor((after - t) / beat) + 1) * beat


__all__ = ["CLOCK", "CONTINUE", "MidiClock", "MidiEvent", "PPQN", "START", "STOP"]
