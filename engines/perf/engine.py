"""The polyphonic performance engine: chords in, chords out, with velocity and timing.

``/bridge/perf/continue`` continues a primer (overlapping notes allowed) for ``beats``;
live streams go through :class:`PerfSession` (the event-stream interface of
:mod:`engines.base`). The representation is :mod:`engines.perf.events`, the model
:mod:`engines.perf.model`, its compiled step :mod:`engines.perf.step`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import Event, EventSession, EventStreamingEngine, Verb
from engines.checkpoint import load_model, resolve_device, save_checkpoint
from engines.common import check_sampling, seeded_generator
from engines.notes import Note
from engines.params import PRIMER, SEED, SET_TEMPERATURE, TEMPERATURE, TOP_P, Param
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
from engines.perf.model import PerfConfig, PerfModel, condition_vector
from engines.perf.step import compile_core

ENGINE = "perf"
MAX_PRIMER_EVENTS = 1024  # a longer primer (or feed) is heard from its last 1024 events
MAX_EVENTS = 4096  # the most events one request may draw
NOISE_ROWS = 64  # random numbers are drawn for this many events at a time
SEQUENCE_FEED = 16  # more tokens than this are fed through the whole-sequence LSTM
REGISTER_CENTER = 63  # the mean pitch of the shipped corpus's notes (62.9)

BEATS = Param("beats", "float", "length of the reply in beats", default=4.0, low=0.25, high=64)
EVENTS = Param(
    "events",
    "int",
    "the most events to draw (note-ons and -offs, time shifts, velocity changes); the reply "
    "ends where they run out if that is before `beats`",
    default=None,
    low=1,
    high=MAX_EVENTS,
    default_doc="no cap",
)
DENSITY = Param(
    "density",
    "float",
    "notes started per beat to aim at",
    default=None,
    low=0,
    high=64,
    low_open=True,
    default_doc="the model's choice",
)
PITCH_CLASSES = Param(
    "pitch_classes",
    "floats",
    "12 weights, C C# D D# E F F# G G# A A# B: how much each pitch class should sound "
    "(1 0 1 0 1 1 0 1 0 1 0 1: C major); a pitch class weighted 0 is never started",
    default=None,
    metavar="w",
    default_doc="the model's choice",
)
DENSITY_HOLD = Param(
    "density_hold",
    "float",
    "how firmly the reply keeps to `density`: the notes it still owes make note-ons likelier "
    "and long time shifts costlier, notes ahead the reverse (0: the model's conditioning "
    "alone)",
    default=1.0,
    low=0,
    high=4,
)
SET_DENSITY_HOLD = Param(
    "density_hold",
    "float",
    "new density hold, from the next event",
    default=None,
    low=0,
    high=4,
    default_doc="unchanged",
)
SET_TOP_P = Param(
    "top_p",
    "float",
    "new top-p, from the next event",
    default=None,
    low=0,
    high=1,
    low_open=True,
    default_doc="unchanged",
)

# A typical request: 16 four-note chords, a beat each (C Am F G, four times), 64 notes.
CHORDS_64 = [
    v
    for bar in range(4)
    for beat, chord in enumerate(
        [(48, 64, 67, 72), (45, 64, 69, 72), (41, 65, 69, 72), (43, 62, 67, 71)]
    )
    for p in chord
    for v in (p, bar * 4 + beat, 1.0, 84 + 4 * (beat == 0))
]


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

    def __init__(self, engine: PerfEngine, values: Mapping[str, Any]) -> None:
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
        self.decoder = Decoder()
        self.queued: list[Event] = []  # events due but not yet returned (see feed)
        self.shift = 0  # semitones the model hears the music moved by (register_shift)

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


class PerfEngine(EventStreamingEngine):
    """A polyphonic performance model: note-ons and -offs per pitch, time shifts in 1/96
    beat, 32 velocity bins; optionally conditioned on note density and pitch classes."""

    name = ENGINE
    verbs = (
        Verb(
            "continue",
            (
                TEMPERATURE,
                SEED,
                TOP_P,
                BEATS,
                EVENTS,
                DENSITY,
                DENSITY_HOLD,
                PITCH_CLASSES,
                PRIMER,
            ),
            "notes",
            """Continue a polyphonic primer (chords, overlapping notes, any rhythm and
            velocities) for `beats`. Reply: the continuation's notes, overlapping allowed.
            Their `start` is counted from the end of the primer: the latest end of its notes
            (beat 0 without a primer), so start 0 is the moment the primer's last note
            ends. Notes still sounding at the reply's end are cut there. A primer far from
            the middle register is heard moved by whole octaves into the model's and the
            reply moved back. A primer's
            overlapping notes of one pitch are cut where the next starts, zero-length notes
            last 1/96 beat, and a primer of more than 1024 events (about 300 notes) is
            heard from its last 1024.""",
            method="continue_",
            bench=("beats", 4, "notes", *CHORDS_64),
        ),
    )
    event_stream_params = (TEMPERATURE, SEED, TOP_P, DENSITY, DENSITY_HOLD, PITCH_CLASSES, PRIMER)
    event_stream_set_params = (SET_TEMPERATURE, SET_TOP_P, DENSITY, SET_DENSITY_HOLD, PITCH_CLASSES)

    def __init__(self, model: PerfModel, device: torch.device, info: dict | None = None) -> None:
        self.model = model.to(device).eval()
        self.config: PerfConfig = model.config
        self.device = device
        self.info = info or {}
        # the step path runs on the CPU: one row at a time a GPU only adds transfers
        cpu_model = self.model if device.type == "cpu" else copy.deepcopy(self.model).cpu()
        self.core_model = cpu_model
        self.core = compile_core(cpu_model)

    @classmethod
    def from_config(cls, config: PerfConfig, device: str = "cpu", seed: int = 0) -> PerfEngine:
        torch.manual_seed(seed)
        return cls(PerfModel(config), resolve_device(device))

    @classmethod
    def tiny(cls, seed: int = 0) -> PerfEngine:
        return cls.from_config(PerfConfig(embed=16, hidden=32, layers=1), "cpu", seed)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> PerfEngine:
        model, dev, extra, _ = load_model(path, ENGINE, PerfConfig, PerfModel, device)
        return cls(model, dev, extra)

    def save(self, path: str | Path, extra: dict | None = None) -> Path:
        return save_checkpoint(path, ENGINE, self.config, self.model, extra or self.info)

    def warm_up(self) -> None:
        """Run the compiled paths a few times (TorchScript profiles its first calls)."""
        for seed in range(3):
            self.continue_([Note(60, 0, 1, 90), Note(64, 0, 1, 90)], beats=1, seed=seed)

    @torch.no_grad()
    def feed_sequence(
        self,
        tokens: list[int],
        tick: int,
        h: list[torch.Tensor],
        c: list[torch.Tensor],
        cond: torch.Tensor,
    ) -> tuple[torch.Tensor, list[torch.Tensor], list[torch.Tensor], int]:
        """Like the step path's ``feed`` (the same numbers to float rounding) but through
        the whole-sequence LSTM: a primer's input side is one matmul, not one a step."""
        seq = np.asarray(tokens, dtype=np.int64)
        shifts = np.where((seq >= SHIFT) & (seq < VELOCITY), seq - SHIFT + 1, 0)
        ticks = tick + np.cumsum(shifts)
        model = self.core_model
        x = torch.from_numpy(seq)[None]
        phases = torch.from_numpy(ticks % TICKS_PER_BEAT)[None]
        state = (torch.cat(h)[:, None], torch.cat(c)[:, None])
        emb = model.embed(x) + model.phase(phases)
        inp = torch.cat([emb, cond[None, None, :].expand(1, len(tokens), -1)], -1)
        out, (hn, cn) = model.lstm(inp, state)
        logits = model.head(out[:, -1])
        return logits, list(hn[:, 0:1].unbind(0)), list(cn[:, 0:1].unbind(0)), int(ticks[-1])

    # -- event streams ----------------------------------------------------------------------

    def open_event_session(
        self, values: Mapping[str, Any], primer: Sequence[Note] = ()
    ) -> PerfSession:
        """A session having heard ``primer``, moved into the model's register by whole
        octaves (:func:`register_shift`); its events and fed notes are moved back and forth
        by the same octaves, so the stream plays in the primer's register."""
        check_notes(primer)
        shift = register_shift(primer)
        heard = [Note(moved(n.pitch, shift), n.start, n.duration, n.velocity) for n in primer]
        tokens, end = primer_tokens(heard)
        session = PerfSession(self, values)
        session.shift = shift
        session._hear(tokens, 0)
        session.tick = max(session.tick, end)
        return session

    # -- verbs --------------------------------------------------------------------------------

    def continue_(
        self,
        notes: Sequence[Note] = (),
        beats: float = 4.0,
        events: int | None = None,
        temperature: float = 1.0,
        seed: int | None = None,
        top_p: float | None = None,
        density: float | None = None,
        pitch_classes: Sequence[float] | None = None,
        density_hold: float = float(DENSITY_HOLD.default),
    ) -> list[Note]:
        """Continue ``notes`` for ``beats`` (see the verb's doc for where the reply starts)."""
        if not (math.isfinite(beats) and BEATS.low <= beats <= BEATS.high):  # type: ignore[operator]
            raise ValueError(f"beats must be {BEATS.range_text()}, got {beats}")
        if events is not None and not 1 <= events <= MAX_EVENTS:
            raise ValueError(f"events must be 1..{MAX_EVENTS}, got {events}")
        values = {
            "temperature": temperature,
            "top_p": top_p,
            "seed": seed,
            "density": density,
            "pitch_classes": pitch_classes,
            "density_hold": density_hold,
        }
        session = self.open_event_session(values, notes)
        origin = session.tick
        end_tick = origin + to_ticks(beats)
        session.next_events(end_tick / TICKS_PER_BEAT, max_events=events)
        decoder = session.decoder
        decoder.tick = min(decoder.tick, end_tick)
        decoder.close()
        out = []
        for n in decoder.notes():
            s = to_ticks(n.start)
            if s < origin:  # a primer note: the decoder saw no model note before origin
                continue
            e = min(to_ticks(n.end), end_tick)
            n = Note(moved(n.pitch, -session.shift), n.start, n.duration, n.velocity)
            out.append(
                Note(n.pitch, (s - origin) / TICKS_PER_BEAT, (e - s) / TICKS_PER_BEAT, n.velocity)
            )
        return out

    @torch.no_grad()
    def event_nll(
        self, piece: np.ndarray, seq_len: int = 1024, cond: np.ndarray | None = None
    ) -> np.ndarray:
        """NLL (nats) of each event of ``piece`` given those before it, in windows of
        ``seq_len`` events each starting from BOS (as in training); ``cond`` the condition
        vector (default: none given)."""
        from engines.perf.model import COND_SIZE, event_features

        ticks, _ = event_features(piece)
        c = torch.from_numpy(np.zeros(COND_SIZE, np.float32) if cond is None else cond)[None]
        out = []
        for s in range(0, len(piece), seq_len):
            window = piece[s : s + seq_len].astype(np.int64)
            t0 = int(ticks[s - 1]) if s else 0
            tokens = torch.tensor([[BOS, *window.tolist()]], device=self.device)
            phases = np.concatenate([[t0], ticks[s : s + len(window) - 1]]) % TICKS_PER_BEAT
            logits, _ = self.model(
                tokens[:, :-1], torch.from_numpy(phases)[None].to(self.device), c.to(self.device)
            )
            logp = torch.log_softmax(logits.float(), -1)[0]
            out.append(-logp.gather(-1, tokens[0, 1:, None])[:, 0].cpu().numpy())
        return np.concatenate(out) if out else np.zeros(0)


__all__ = ["CHORDS_64", "MAX_EVENTS", "MAX_PRIMER_EVENTS", "PerfEngine", "PerfSession"]
