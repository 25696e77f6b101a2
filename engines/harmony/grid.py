"""Voices on the harmonizer's grid: chorale arrays and notes to tokens and back.

A voice is one token per grid step (``steps_per_beat`` per beat): ``HOLD``, ``REST`` or the
note-on of a pitch in the config's ``low..high`` (pitches outside are folded in by octaves).
A melody is heard *legato*: each note is held until the next one starts (a chorale's
soprano has no rests inside a phrase, so a staccato melody would sound foreign to the
model); silence before the first note is a rest.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engines.harmony.model import HOLD, NOTE_BASE, REST, HarmonyConfig
from engines.notes import STEPS_PER_BEAT, Note, beats_to_step, monophonic


def fold(pitch: int, low: int, high: int) -> int:
    """``pitch`` moved by whole octaves into ``low..high`` (kept as is when it is inside)."""
    while pitch < low:
        pitch += 12
    while pitch > high:
        pitch -= 12
    return pitch


def note_token(pitch: int, config: HarmonyConfig) -> int:
    return NOTE_BASE + fold(pitch, config.low, config.high) - config.low


def token_pitch(token: int, config: HarmonyConfig) -> int:
    return token - NOTE_BASE + config.low


def chorale_tokens(
    pitch: np.ndarray, onset: np.ndarray, pos: np.ndarray, config: HarmonyConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A chorale's 16th-grid arrays (pitch [T, 4] with -1 rests, onset [T, 4], pos [T]) ->
    (tokens [T', 4], pitch [T', 4], pos [T']) on the model's grid.

    A step takes the pitch sounding at its start; a note starting between two steps (a 16th
    passing note on the 8th grid) is not heard, and the note sounding at the next step starts
    there if its pitch differs from the step before.
    """
    f = STEPS_PER_BEAT // config.steps_per_beat
    p = pitch[::f].astype(np.int64)
    o = onset[::f].copy()
    before = np.vstack([np.full((1, p.shape[1]), -1), p[:-1]])
    o |= (p != before) & (p >= 0)
    folded = np.where(p >= 0, p, config.low)
    folded = np.where(folded < config.low, folded + 12 * -(-(config.low - folded) // 12), folded)
    folded = np.where(folded > config.high, folded - 12 * -(-(folded - config.high) // 12), folded)
    tokens = np.where(p < 0, REST, np.where(o, NOTE_BASE + folded - config.low, HOLD))
    p = np.where(p >= 0, folded, -1)
    positions = np.minimum(pos[::f] // f, config.positions - 1)
    return tokens.astype(np.int64), p, positions.astype(np.int64)


def melody_steps(notes: Sequence[Note], config: HarmonyConfig) -> int:
    """Grid steps up to the end of the last note (whole steps, at least one)."""
    spb = config.steps_per_beat
    return max(1, max(int(np.ceil(n.end * spb - 1e-6)) for n in notes))


def melody_tokens(
    notes: Sequence[Note], n_steps: int, config: HarmonyConfig, legato: bool = True
) -> list[int]:
    """Notes (one voice, see :func:`engines.notes.monophonic`) -> ``n_steps`` tokens.

    The note sounding at each step's start is heard; a note starting between steps is heard
    from the next step if it still sounds there. ``legato`` holds each note until the next
    one starts; without it, a gap after a note's end is a rest.
    """
    spb = config.steps_per_beat
    tokens = [REST] * n_steps
    mono = monophonic(notes)
    for i, n in enumerate(mono):
        start = beats_to_step(n.start) / STEPS_PER_BEAT
        end = mono[i + 1].start if legato and i + 1 < len(mono) else n.end
        s = int(np.ceil(start * spb - 1e-6))
        e = min(n_steps, int(np.ceil(end * spb - 1e-6)))
        if s >= e:
            continue
        tokens[s] = note_token(n.pitch, config)
        for t in range(s + 1, e):
            tokens[t] = HOLD
    return tokens


def tokens_to_notes(
    tokens: Sequence[int], config: HarmonyConfig, velocity: int = 100, semitones: int = 0
) -> list[Note]:
    """A voice's tokens -> notes (a note lasts until the next note-on or rest), moved by
    ``semitones`` and kept inside MIDI's 0..127 by octaves."""
    spb = config.steps_per_beat
    out: list[Note] = []
    pitch, start = None, 0
    for t, tok in enumerate([*tokens, REST]):
        if tok == HOLD and pitch is not None:
            continue
        if pitch is not None:
            out.append(Note(fold(pitch + semitones, 0, 127), start / spb, (t - start) / spb,
                            velocity))  # fmt: skip
            pitch = None
        if tok >= NOTE_BASE:
            pitch, start = token_pitch(tok, config), t
    return out


def bar_positions(n_steps: int, config: HarmonyConfig) -> list[int]:
    """Positions in a 4/4 bar whose first step is beat 0."""
    per_bar = 4 * config.steps_per_beat
    return [min(t % per_bar, config.positions - 1) for t in range(n_steps)]


__all__ = ["bar_positions", "chorale_tokens", "fold", "melody_steps", "melody_tokens",
           "note_token", "token_pitch", "tokens_to_notes"]  # fmt: skip
