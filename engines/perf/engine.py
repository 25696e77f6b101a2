"""The polyphonic performance engine: chords in, chords out, with velocity and timing.

``/bridge/perf/continue`` continues a primer (overlapping notes allowed) for ``beats``;
live streams go through :class:`engines.perf.session.PerfSession` (the event-stream
interface of :mod:`engines.base`). The representation is :mod:`engines.perf.events`, the
model :mod:`engines.perf.model`, its compiled step :mod:`engines.perf.step`, the request
keys :mod:`engines.perf.params`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import EventStreamingEngine, Verb
from engines.checkpoint import load_model, resolve_device, save_checkpoint
from engines.notes import Note
from engines.params import PRIMER, SEED, SET_TEMPERATURE, TEMPERATURE, TOP_P
from engines.perf.events import BOS, SHIFT, TICKS_PER_BEAT, VELOCITY, check_notes, to_ticks
from engines.perf.model import PerfConfig, PerfModel
from engines.perf.params import (
    BEATS,
    CHORDS_64,
    DENSITY,
    DENSITY_HOLD,
    EVENTS,
    MAX_EVENTS,
    MAX_PRIMER_EVENTS,
    PITCH_CLASSES,
    SET_DENSITY_HOLD,
    SET_TOP_P,
)
from engines.perf.session import PerfSession, moved
from engines.perf.step import compile_core

ENGINE = "perf"


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

    def check_notes(self, notes: Sequence[Note]) -> None:
        """ValueError for notes no normalisation makes playable (as a ``continue`` primer)."""
        check_notes(notes)

    def open_event_session(
        self, values: Mapping[str, Any], primer: Sequence[Note] = (), keep_notes: bool = False
    ) -> PerfSession:
        """A session having heard ``primer`` (see :meth:`PerfSession.open`)."""
        return PerfSession.open(self, values, primer, keep_notes)

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
        session = self.open_event_session(values, notes, keep_notes=True)  # its reply
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


__all__ = [
    "CHORDS_64",
    "DENSITY_HOLD",
    "MAX_EVENTS",
    "MAX_PRIMER_EVENTS",
    "PerfEngine",
    "PerfSession",
    "moved",
]
