"""A live session of the performance model: the sampler's state between calls.

:class:`PerfSession` holds what one stream (or one ``continue`` request) needs between
calls: the LSTM state and clock, the notes the model has sounding, the noise rows, the
density hold, the decoder of its events, and the octaves the music is heard moved by. It
steps through the compiled :mod:`engines.perf.step`; :class:`engines.perf.engine.PerfEngine`
opens it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import torch

from engines.base import Event, EventSession
from engines.common import check_sampling, seeded_generator
from engines.notes import Note
from engines.perf.events import (
    BOS,
    NOTE_OFF,
    SHIFT,
    TICKS_PER_BEAT,
    VELOCITY,
    VOCAB_SIZE,
    Decoder,
    check_notes,
    normalise,
    notes_to_events,
    to_ticks,
    velocity_bin,
)
from engines.perf.model import condition_vector
from engines.perf.params import DENSITY_HOLD, MAX_EVENTS, MAX_PRIMER_EVENTS

if TYPE_CHECKING:
    from engines.perf.engine import PerfEngine

NOISE_ROWS = 64  # random numbers are drawn for this many events at a time
SEQUENCE_FEED = 16  # more tokens than this are fed through the whole-sequence LSTM
REGISTER_CENTER = 63  # the mean pitch of the shipped corpus's notes (62.9)


def register_shift(notes: Sequence[Note]) -> int:
    """Whole octaves that bring the notes' mean pitch nearest ``REGISTER_CENTER`` (0 for
    none). Scores sit in the voices' registers; chords two octaves up were answered in the
    model's register, so the model hears a primer moved by octaves into its register (same
    key, same shape) and its answer is moved back."""
    if not notes:
        return 0
    mean = sum(n.pitch for n in notes) / len(notes)
    return 12 * round((REGISTER_CENTER - mean) / 12)


def moved(pitch: int, semitones: int) -> int:
    """``pitch`` moved by ``semitones``, folded back by octaves into 0..127."""
    p = pitch + semitones
    while p > 127:
        p -= 12
    while p < 0:
        p += 12
    return p


def primer_tokens(notes: Sequence[Note]) -> tuple[list[int], int]:
    """A primer's event tokens (normalised notes, beat 0 on the clock) and the tick it ends."""
    norm = normalise(notes)
    end = max((to_ticks(n.end) for n in norm), default=0)
    return notes_to_events(norm), end


class PerfSession(EventSession):
    """A live stream of the performance model: see :class:`engines.base.EventSession`.

    ``values`` holds temperature, top_p, seed, density, density_hold and pitch_classes
    (missing ones take their defaults).

    Two rules of the sampler (:meth:`engines.perf.step.StepCore.generate`): from nothing
    (no primer, nothing fed) time does not move until the model starts a note; and with a
    ``density``, the density hold steers note-ons by the notes the stream still owes,
    counted from the moment the density (or its hold) was set.
    """

    def __init__(
        self, engine: PerfEngine, values: Mapping[str, Any], keep_notes: bool = False
    ) -> None:
        self.engine = engine
        self.core = engine.core
        self.temperature = 1.0
        self.top_p: float | None = None
        self.density: float | None = None
        self.pitch_classes: Sequence[float] | None = None
        self.density_hold = float(DENSITY_HOLD.default)
        self.cbias = self.cond = torch.zeros(0)
        # the density hold's state: notes owed, notes started, waiting for a first note
        self.hold = torch.tensor([0.0, 0.0, 1.0], dtype=torch.float64)
        self.set(
            {
                k: values.get(k)
                for k in ("temperature", "top_p", "density", "density_hold", "pitch_classes")
                if k in values
            }
        )
        self.generator = seeded_generator(values.get("seed"))
        self.noise = torch.zeros(0, VOCAB_SIZE)
        self.used = 0
        hidden, layers = engine.config.hidden, engine.config.layers
        zeros = [torch.zeros(1, hidden)] * layers
        self.logits, self.h, self.c, self.tick = self.core.feed([BOS], 0, zeros, zeros, self.cbias)
        self.sounding = torch.zeros(128, dtype=torch.bool)  # the model's notes sounding
        # a stream's decoder keeps no finished notes (bounded state); continue_ reads them
        self.decoder = Decoder(keep_notes=keep_notes)
        self.queued: list[Event] = []  # events due but not yet returned (see feed)
        self.shift = 0  # semitones the model hears the music moved by (register_shift)

    @classmethod
    def open(
        cls,
        engine: PerfEngine,
        values: Mapping[str, Any],
        primer: Sequence[Note] = (),
        keep_notes: bool = False,
    ) -> PerfSession:
        """A session having heard ``primer``, moved into the model's register by whole
        octaves (:func:`register_shift`); its events and fed notes are moved back and forth
        by the same octaves, so the stream plays in the primer's register. With
        ``keep_notes`` its decoder keeps every finished note (a ``continue`` reply's)."""
        check_notes(primer)
        shift = register_shift(primer)
        heard = [Note(moved(n.pitch, shift), n.start, n.duration, n.velocity) for n in primer]
        tokens, end = primer_tokens(heard)
        session = cls(engine, values, keep_notes)
        session.shift = shift
        session._hear(tokens, 0)
        session.tick = max(session.tick, end)
        return session

    @property
    def beat(self) -> float:
        return self.tick / TICKS_PER_BEAT

    def set(self, values: Mapping[str, Any]) -> None:
        if values.get("temperature") is not None:
            self.temperature = float(values["temperature"])
        if "top_p" in values:
            self.top_p = values["top_p"]
        check_sampling(self.temperature, self.top_p)
        density = values.get("density", self.density)
        pcs = values.get("pitch_classes", self.pitch_classes)
        hold = values.get("density_hold")
        hold = self.density_hold if hold is None else float(hold)
        if not (math.isfinite(hold) and DENSITY_HOLD.in_range(hold)):
            raise ValueError(f"density_hold must be {DENSITY_HOLD.range_text()}, got {hold}")
        cond = condition_vector(density, pcs)  # raises before anything changes
        if (density, hold) != (self.density, self.density_hold):
            self.hold[:2] = 0.0  # the notes owed are counted from now
        self.density, self.pitch_classes, self.density_hold = density, pcs, hold
        self.on_mask = torch.zeros(128)
        if pcs is not None:  # a pitch class weighted 0 never starts
            never = [w <= 0 for w in pcs]
            self.on_mask = torch.tensor([-math.inf if never[p % 12] else 0.0 for p in range(128)])
        self.cond = torch.from_numpy(cond)
        self.cbias = self.core.cond_bias(self.cond)

    def _hear(self, tokens: list[int], start_tick: int) -> None:
        """Feed ``tokens`` (the last MAX_PRIMER_EVENTS of them; the clock counts them all)
        that begin at ``start_tick``; shifts and velocity changes reach the decoder."""
        skipped = tokens[: max(0, len(tokens) - MAX_PRIMER_EVENTS)]
        heard = tokens[len(skipped) :]
        for t in tokens:
            if SHIFT <= t < BOS:
                self.queued += self.decoder.push(t)
        if any(t < NOTE_OFF for t in tokens):
            self.hold[2] = 0.0  # music heard: no longer from nothing
        tick = start_tick + sum(t - SHIFT + 1 for t in skipped if SHIFT <= t < VELOCITY)
        if len(heard) > SEQUENCE_FEED:
            self.logits, self.h, self.c, tick = self.engine.feed_sequence(
                heard, tick, self.h, self.c, self.cond
            )
        elif heard:
            with torch.no_grad():
                self.logits, self.h, self.c, tick = self.core.feed(
                    heard, tick, self.h, self.c, self.cbias
                )
        self.tick = tick

    def played(self, events: list[Event]) -> list[Event]:
        """Events as the model said them -> as they are played (moved back by ``shift``)."""
        if not self.shift:
            return events
        return [(b, kind, moved(p, -self.shift), v) for b, kind, p, v in events]

    def feed(self, notes: Sequence[Note]) -> None:
        check_notes(notes)
        heard = [Note(moved(n.pitch, self.shift), n.start, n.duration, n.velocity) for n in notes]
        self._hear(notes_to_events(heard, velocity_bin(self.decoder.velocity)), self.tick)

    def next_events(self, until_beat: float, max_events: int | None = None) -> list[Event]:
        end_tick = math.ceil(until_beat * TICKS_PER_BEAT - 1e-6)
        events, self.queued = self.queued, []
        budget = MAX_EVENTS * 64 if max_events is None else int(max_events)
        top_p = 1.0 if self.top_p is None else float(self.top_p)
        with torch.no_grad():
            while self.tick < end_tick and budget > 0:
                if self.used >= len(self.noise):
                    self.noise = torch.rand(NOISE_ROWS, VOCAB_SIZE, generator=self.generator)
                    self.used = 0
                tokens, self.logits, self.h, self.c, self.tick = self.core.generate(
                    self.logits,
                    self.h,
                    self.c,
                    self.cbias,
                    self.tick,
                    end_tick,
                    budget,
                    self.sounding,
                    self.noise[self.used :],
                    float(self.temperature),
                    top_p,
                    self.on_mask,
                    self.hold,
                    0.0 if self.density is None else float(self.density),
                    self.density_hold,
                )
                self.used += len(tokens)
                budget -= len(tokens)
                for t in tokens:
                    events += self.decoder.push(t)
        return self.played(events)

    def close(self) -> list[Event]:
        events, self.queued = self.queued, []
        offs = [NOTE_OFF + p for p in sorted(self.decoder.sounding)]
        events += self.decoder.close()
        self.sounding[:] = False
        if offs:  # the model hears its notes end
            with torch.no_grad():
                self.logits, self.h, self.c, self.tick = self.core.feed(
                    offs, self.tick, self.h, self.c, self.cbias
                )
        return self.played(events)

    def snapshot(self) -> Any:
        d = self.decoder
        return (
            self.logits,
            self.h,
            self.c,
            self.tick,
            self.sounding.clone(),
            (self.cond, self.cbias, self.on_mask),
            (d.tick, d.velocity, dict(d.sounding), len(d.finished), set(d.pending)),
            self.generator.get_state(),
            self.noise,
            self.used,
            list(self.queued),
            (self.temperature, self.top_p, self.density, self.pitch_classes, self.shift),
            (self.hold.clone(), self.density_hold),
        )

    def restore(self, snapshot: Any) -> None:
        (
            self.logits,
            self.h,
            self.c,
            self.tick,
            sounding,
            (self.cond, self.cbias, self.on_mask),
            dec,
            gen,
            self.noise,
            self.used,
            queued,
            sampling,
            (hold, self.density_hold),
        ) = snapshot
        self.hold = hold.clone()
        self.sounding = sounding.clone()
        d = self.decoder
        d.tick, d.velocity, d.sounding, finished, d.pending = dec
        d.sounding, d.pending = dict(d.sounding), set(d.pending)
        del d.finished[finished:]
        self.generator.set_state(gen)
        self.queued = list(queued)
        self.temperature, self.top_p, self.density, self.pitch_classes, self.shift = sampling


__all__ = ["PerfSession", "moved", "primer_tokens", "register_shift"]
