"""The harmonizer: a melody in, alto, tenor and bass out, in the style of Bach's chorales.

Offline (:meth:`HarmonyEngine.harmonize`, the ``harmonize`` verb): the model hears the whole
melody (and any voices given) and writes the other voices step by step on the 8th-note grid,
bass first, then tenor, then alto. Input rules, each documented in the verb's text:

- the melody is reduced to one voice by :func:`engines.notes.monophonic` (of notes starting
  together the highest wins; a note still sounding when the next starts is cut there) and is
  returned as the soprano exactly so; it is read as 4/4 with beat 0 a downbeat;
- a melody outside the soprano's range C4..G5 is heard moved by the whole octaves that bring
  most of its notes into that range; the voices come back moved by as many octaves, so they
  sit under the melody as given;
- a given alto, tenor or bass is kept as given (reduced to one voice, cut at the melody's
  end); after its last note that voice is harmonised freely;
- an empty melody, a melody longer than ``MAX_BEATS`` or an unplayable note is refused with
  a ValueError in a performer's words;
- no two voices move in parallel fifths or octaves: as each voice's note is chosen, pitches
  that would do so with a voice already chosen at that step (soprano, then bass, tenor) are
  ruled out (the network alone writes about 6 per 100 voice-pair moves, Bach 0.1).

Greedy by default (``temperature`` None: the likeliest token at each step, and on each
beat the likeliest voicing of the chord voted by 8 harmonies sampled with a fixed seed,
else of the likeliest chord, :mod:`engines.harmony.vote` and :mod:`engines.harmony.choose`;
the same melody always gets the same harmony); with a temperature the voices are sampled
and ``seed`` makes it repeatable.

Live (for ``bridge serve --harmonize``: MIDI in, three voices out), the causal model: it
never sees a melody note before it is played::

    state = engine.open_live(temperature=None, seed=None)
    alto, tenor, bass = engine.harmonize_step(state, pitch, beats=since_last_onset)

Each melody note gets three new notes (MIDI pitches) struck with it, to be held until the
next melody note. ``beats`` is the time since the previous melody note started (ignored for
the first note; None means one beat): the state is advanced through those held steps, so
rhythm and the place in the bar (the first note is taken as a downbeat) are heard. ``state``
is opaque; ``state.copy()`` is a snapshot to go back to. A step costs well under a
millisecond on the CPU. The melody note is moved by octaves into C4..G5 for the model and
the voices are moved back by as many octaves.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from engines import common
from engines.base import Engine
from engines.checkpoint import load_model, resolve_device, save_checkpoint
from engines.common import seeded_generator
from engines.harmony.fast import FastHarmonizer, StepState
from engines.harmony.grid import (
    bar_positions,
    fold,
    melody_steps,
    melody_tokens,
    note_token,
    token_pitch,
    tokens_to_notes,
)
from engines.harmony.model import HOLD, HarmonyConfig, HarmonyModel
from engines.harmony.verbs import MELODY_8, VERBS
from engines.notes import Note, monophonic

ENGINE = "harmony"
MAX_NOTES = 4096
MAX_BEATS = 512.0  # 128 bars
MAX_LIVE_GAP = 32  # grid steps of a held melody note the live state walks through (4 bars)
SOPRANO_RANGE = (60, 79)  # C4..G5
VOICE_NAMES = ("soprano", "alto", "tenor", "bass")


def check_melody(notes: Sequence[Note], what: str = "melody") -> None:
    """Raise ValueError, in a performer's words, for a melody the harmonizer refuses."""
    if len(notes) == 0:
        raise ValueError(f"{what} is empty: send at least one note to harmonise")
    if len(notes) > MAX_NOTES:
        raise ValueError(f"{what} has {len(notes)} notes; the most is {MAX_NOTES}")
    for n in notes:
        common.check_note(n)
        if n.end > MAX_BEATS:
            raise ValueError(f"{what} is {n.end:g} beats long; the most is {MAX_BEATS:g}")


def octave_shift(pitches: Sequence[int], low: int = SOPRANO_RANGE[0],
                 high: int = SOPRANO_RANGE[1]) -> int:  # fmt: skip
    """The whole octaves (a multiple of 12) that bring most of ``pitches`` into low..high;
    of equally good shifts, the smallest."""
    candidates = sorted(range(-120, 121, 12), key=abs)
    return max(candidates, key=lambda s: sum(low <= p + s <= high for p in pitches))


def check_temperature(temperature: float | None) -> float | None:
    if temperature is None:
        return None
    common.check_temperature(temperature, zero_ok=True)
    return float(temperature) or None


@dataclass
class LiveHarmony:
    """The live harmonizer's state (opaque to callers; see the module doc)."""

    step: StepState
    steps: int  # grid steps since the first melody note
    started: bool
    temperature: float | None
    generator: torch.Generator

    def copy(self) -> LiveHarmony:
        gen = torch.Generator()
        gen.set_state(self.generator.get_state())
        return LiveHarmony(copy.copy(self.step), self.steps, self.started, self.temperature, gen)


class HarmonyEngine(Engine):
    """A four-voice chorale harmonizer (see the module doc)."""

    name = ENGINE
    verbs = VERBS

    def __init__(self, model: HarmonyModel, device: torch.device, info: dict | None = None) -> None:
        # small and stepped one token at a time: the CPU answers faster than a GPU would
        self.model = model.to("cpu").eval()
        self.config: HarmonyConfig = model.config
        self.device = device
        self.info = info or {}
        self.fast = FastHarmonizer(self.model)

    @classmethod
    def from_config(cls, config: HarmonyConfig, seed: int = 0) -> HarmonyEngine:
        torch.manual_seed(seed)
        return cls(HarmonyModel(config), torch.device("cpu"))

    @classmethod
    def tiny(cls, seed: int = 0) -> HarmonyEngine:
        """A random-init engine small enough to load and answer in milliseconds (tests)."""
        config = HarmonyConfig(embed=8, enc_hidden=8, dec_hidden=16, head_hidden=8)
        return cls.from_config(config, seed)

    @classmethod
    def load(cls, path: str | Path, device: str = "auto") -> HarmonyEngine:
        model, dev, extra, _ = load_model(path, ENGINE, HarmonyConfig, HarmonyModel, "cpu")
        resolve_device(device)  # refuse a device that is not there, as every engine does
        return cls(model, dev, extra)

    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
        return save_checkpoint(path, ENGINE, self.config, self.model, extra or self.info)

    def refresh(self) -> None:
        """Rebuild the fast decoder after the weights changed (in training)."""
        self.fast = FastHarmonizer(self.model)

    def warm_up(self) -> None:
        notes = [Note(*MELODY_8[i : i + 4]) for i in range(0, len(MELODY_8), 4)]
        self.harmonize(notes)
        state = self.open_live()
        self.harmonize_step(state, 67)

    # -- offline ---------------------------------------------------------------------------

    def harmonize(
        self,
        notes: Sequence[Note],
        temperature: float | None = None,
        seed: int | None = None,
        alto: Sequence[Note] = (),
        tenor: Sequence[Note] = (),
        bass: Sequence[Note] = (),
    ) -> list[list[Note]]:
        """Four voices (soprano, alto, tenor, bass) for a melody; see the module doc."""
        check_melody(notes)
        temperature = check_temperature(temperature)
        for what, voice in (("alto", alto), ("tenor", tenor), ("bass", bass)):
            if voice:
                check_melody(voice, what)
        c = self.config
        soprano = monophonic(notes)
        shift = octave_shift([n.pitch for n in soprano])
        n_steps = melody_steps(soprano, c)
        moved = [Note(n.pitch + shift, n.start, n.duration, n.velocity) for n in soprano]
        sop = torch.tensor(melody_tokens(moved, n_steps, c))
        pos = torch.tensor(bar_positions(n_steps, c))
        given = torch.full((3, n_steps), c.mask, dtype=torch.long)
        kept: list[tuple[list[Note], int]] = []
        for k, voice in enumerate((alto, tenor, bass)):
            mono = [n for n in monophonic(voice) if n.start * c.steps_per_beat < n_steps]
            covered = min(n_steps, melody_steps(mono, c)) if mono else 0
            if mono:
                shifted = [Note(n.pitch + shift, n.start, n.duration) for n in mono]
                given[k, :covered] = torch.tensor(melody_tokens(shifted, covered, c, legato=False))
            kept.append((mono, covered))
        gen = seeded_generator(seed) if temperature else None
        tokens = self.fast.harmonize(sop, pos, given, temperature, gen)
        velocity = round(sum(n.velocity for n in soprano) / len(soprano))
        end = n_steps / c.steps_per_beat
        out = [soprano]
        for k, (mono, covered) in enumerate(kept):
            made = tokens_to_notes(tokens[k].tolist(), c, velocity, -shift)
            if mono:
                after = covered / c.steps_per_beat
                mine = [n if n.end <= end else Note(n.pitch, n.start, end - n.start, n.velocity)
                        for n in mono]  # fmt: skip
                made = mine + [n for n in made if n.start >= after - 1e-9]
            out.append(made)
        return out

    # -- live ------------------------------------------------------------------------------

    def open_live(self, temperature: float | None = None, seed: int | None = None) -> LiveHarmony:
        """A new live state (see the module doc)."""
        temperature = check_temperature(temperature)
        return LiveHarmony(self.fast.start(), 0, False, temperature, seeded_generator(seed))

    def harmonize_step(
        self, state: LiveHarmony, pitch: int, beats: float | None = None
    ) -> tuple[int, int, int]:
        """The alto, tenor and bass pitches to strike with melody note ``pitch``, played
        ``beats`` after the previous melody note; advances ``state`` (see the module doc)."""
        if isinstance(pitch, bool) or not isinstance(pitch, int) or not 0 <= pitch <= 127:
            raise ValueError(f"pitch must be 0..127, got {pitch}")
        c = self.config
        spb = c.steps_per_beat
        per_bar = 4 * spb
        if state.started:
            gap = 1.0 if beats is None else float(beats)
            if not (gap == gap and gap >= 0):
                raise ValueError(f"beats since the last note must be >= 0, got {beats}")
            n = min(MAX_LIVE_GAP, max(1, round(gap * spb)))
            for _ in range(n - 1):  # the melody note held, the chord held under it
                pos = min(state.steps % per_bar, c.positions - 1)
                state.step = self.fast.feed(state.step, HOLD, pos, (HOLD, HOLD, HOLD))
                state.steps += 1
        heard = fold(pitch, *SOPRANO_RANGE)
        pos = min(state.steps % per_bar, c.positions - 1)
        tokens, state.step = self.fast.step(
            state.step, note_token(heard, c), pos, state.temperature, state.generator
        )
        state.steps += 1
        state.started = True
        moved = pitch - heard
        a, t, b = (fold(token_pitch(tok, c) + moved, 0, 127) for tok in tokens)
        return a, t, b


__all__ = ["HarmonyEngine", "LiveHarmony", "MAX_BEATS", "SOPRANO_RANGE", "check_melody",
           "octave_shift"]  # fmt: skip
