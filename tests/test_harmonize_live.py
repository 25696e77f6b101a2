"""The live harmonizer: its logic with a memory MIDI output and a fake clock (no JACK), then
through a real JACK server (``jackd -d dummy``): 8 melody notes in, three voices out on
channels 2-4 per note, each ended with its melody note; no stuck note after SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from clients import LISTENING, STARTUP_TIMEOUT, Lines, bridge_command
from test_midi import Receiver, Sender, jack, notes_on, panics, unmatched  # noqa: F401

from bridge.live.harmonize import LiveHarmonizer
from bridge.live.live import LiveOptions, running
from bridge.live.midi import MemoryMidiOutput, MidiEvent
from bridge.server.daemon import Daemon
from bridge.server.osc import OscClient

MELODY = [60, 62, 64, 65, 67, 65, 64, 62]


def ons(messages: list[list[int]]) -> list[list[int]]:
    return [m for m in messages if m[0] & 0xF0 == 0x90 and m[2] > 0]


def test_each_note_gets_three_voices_ended_with_it(tiny_harmony) -> None:
    out = MemoryMidiOutput()
    heard: list[tuple[int, int, int, bool]] = []
    h = LiveHarmonizer(tiny_harmony, out, tempo=lambda: 60.0,
                       on_voice=lambda *v: heard.append(v))  # fmt: skip
    expected = tiny_harmony.open_live()
    t = 10.0
    for pitch in MELODY:
        before = len(out.messages)
        assert h.feed(MidiEvent((0x90, pitch, 90), t))
        new = out.messages[before:]
        # beats: 0.5 s at 60 BPM is half a beat (the first note: None)
        voices = tiny_harmony.harmonize_step(expected, pitch, beats=None if t == 10.0 else 0.5)
        assert new == [[0x91, voices[0], 90], [0x92, voices[1], 90], [0x93, voices[2], 90]]
        assert [v[:3] for v in heard[-3:]] == [(1, voices[0], 90), (2, voices[1], 90),
                                               (3, voices[2], 90)]  # fmt: skip
        h.feed(MidiEvent((0x90, pitch, 0), t + 0.4))  # velocity 0 ends it
        assert {(m[0], m[1]) for m in out.messages[-3:]} == {
            (0x81, voices[0]), (0x82, voices[1]), (0x83, voices[2])
        }
        assert not h.sounding and not out._on
        t += 0.5
    assert h.notes == len(MELODY) and not h.feed(MidiEvent((0xB0, 1, 5), t))


def test_latest_note_wins_and_end_all_ends_the_voices(tiny_harmony) -> None:
    out = MemoryMidiOutput()
    h = LiveHarmonizer(tiny_harmony, out, channels=(5, 6, 7))
    h.feed(MidiEvent((0x90, 60, 100), 0.0))
    first = h.sounding
    h.feed(MidiEvent((0x90, 67, 100), 0.2))  # legato: 60 still held
    offs = [m for m in out.messages[3:6]]
    assert sorted((m[0] & 0x0F, m[1]) for m in offs) == sorted((c - 1, p) for c, p in first)
    assert all(m[0] & 0xF0 == 0x80 for m in offs)
    second = h.sounding
    h.feed(MidiEvent((0x80, 60, 0), 0.3))  # the older note's note-off: ignored
    assert h.sounding == second
    h.end_all()
    assert not h.sounding and not out._on and len(ons(out.messages)) == 6
    with pytest.raises(ValueError):
        LiveHarmonizer(tiny_harmony, out, channels=(1, 2))
