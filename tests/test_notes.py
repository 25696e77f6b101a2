"""Notes, the token grid and MIDI files."""

from __future__ import annotations

from pathlib import Path

import mido
import pytest

from engines.notes import (
    HOLD,
    NOTE_ON_BASE,
    OFF,
    Note,
    bar_padded_steps,
    monophonic,
    notes_to_tokens,
    read_midi,
    tokens_to_notes,
    transpose_tokens,
    write_midi,
)

ON = NOTE_ON_BASE


def test_tokens_of_a_melody_with_a_rest() -> None:
    notes = [Note(60, 0, 0.5), Note(62, 0.5, 0.25), Note(64, 1.5, 0.5)]
    assert notes_to_tokens(notes) == [ON + 60, HOLD, ON + 62, OFF, HOLD, HOLD, ON + 64, HOLD]


def test_round_trip_keeps_grid_notes_and_velocity() -> None:
    notes = [Note(60, 0, 0.5, 90), Note(62, 0.5, 1.0, 90), Note(67, 2.0, 0.75, 90)]
    assert tokens_to_notes(notes_to_tokens(notes), velocity=90) == notes


def test_padding_and_cutting() -> None:
    tokens = notes_to_tokens([Note(60, 0, 1)], n_steps=8)
    assert tokens == [ON + 60, HOLD, HOLD, HOLD, OFF, HOLD, HOLD, HOLD]
    assert notes_to_tokens([Note(60, 0, 1), Note(62, 4, 1)], n_steps=4) == [ON + 60] + [HOLD] * 3


def test_leading_hold_is_silence_and_offset_moves_notes() -> None:
    assert tokens_to_notes([HOLD, HOLD, ON + 70, HOLD], offset_beats=4) == [Note(70, 4.5, 0.5)]


def test_monophonic_rule_highest_onset_wins_and_overlaps_are_cut() -> None:
    notes = [Note(60, 0, 2), Note(64, 0, 2), Note(67, 1, 1)]
    assert monophonic(notes) == [Note(64, 0, 1), Note(67, 1, 1)]


def test_quantizes_to_sixteenths() -> None:
    assert monophonic([Note(60, 0.13, 0.3)]) == [Note(60, 0.25, 0.25)]


def test_bar_padding() -> None:
    assert bar_padded_steps([]) == 0
    assert bar_padded_steps([Note(60, 0, 1)]) == 16
    assert bar_padded_steps([Note(60, 3.5, 0.5)]) == 16
    assert bar_padded_steps([Note(60, 3.5, 0.75)]) == 32


def test_transpose_refuses_to_leave_the_range() -> None:
    assert transpose_tokens([ON + 60, HOLD, OFF], 5) == [ON + 65, HOLD, OFF]
    with pytest.raises(ValueError, match="out of range"):
        transpose_tokens([ON + 125], 5)


def test_midi_round_trip(tmp_path: Path) -> None:
    notes = [Note(60, 0, 0.5, 80), Note(60, 0.5, 0.5, 90), Note(72, 1.25, 1.0, 100)]
    path = tmp_path / "x.mid"
    write_midi(notes, path, tempo_bpm=90)
    assert read_midi(path) == notes
    tempos = [m.tempo for m in mido.MidiFile(path).tracks[0] if m.type == "set_tempo"]
    assert tempos == [mido.bpm2tempo(90)]


def test_read_midi_skips_drums_and_reads_every_track(tmp_path: Path) -> None:
    mid = mido.MidiFile(ticks_per_beat=96)
    for channel, pitch in ((0, 60), (9, 36), (1, 67)):
        track = mido.MidiTrack()
        track.append(mido.Message("note_on", note=pitch, velocity=70, channel=channel, time=0))
        track.append(mido.Message("note_on", note=pitch, velocity=0, channel=channel, time=96))
        mid.tracks.append(track)
    path = tmp_path / "drums.mid"
    mid.save(path)
    assert read_midi(path) == [Note(67, 0, 1, 70), Note(60, 0, 1, 70)]
