"""The event stream worker on a fake clock, with the tiny perf engine: chords, notes ending,
lookahead, set and feed from the first event not yet promised, stop, beats N, tempo."""

from __future__ import annotations

from collections import Counter

import pytest
import test_streams
import torch

from bridge.live.eventstreams import (
    BATCH_BEATS,
    CHUNK_BEATS,
    LEAD_BEATS,
    MAX_NOTE_BEATS,
    EventStreamOptions,
    EventStreamWorker,
)
from bridge.live.streams import MIN_LEAD_S
from engines.notes import Note
from engines.perf.engine import PerfEngine

C_ONLY = [1.0] + [0.0] * 11


class Rig(test_streams.Rig):
    """test_streams' rig with the event stream worker."""

    def __init__(self, engine: PerfEngine) -> None:
        super().__init__(engine, EventStreamWorker)

    def notes(self, sid: int) -> list[tuple[int, float, float, int]]:  # type: ignore[override]
        """(pitch, on beat, off beat, velocity) of a stream's notes, as handed over."""
        return [(n.pitch, n.on_step / 4, n.off_step / 4, n.velocity)
                for _, n in self.played if n.owner == sid]  # fmt: skip


@pytest.fixture(scope="module")
def engine() -> PerfEngine:
    torch.set_num_threads(1)
    return PerfEngine.tiny(seed=3)


@pytest.fixture
def rig(engine):
    r = Rig(engine)
    yield r
    r.close()


def test_a_stream_plays_chords_ahead_of_the_clock_and_ends(rig) -> None:
    primer = [Note(60, 0, 1, 90), Note(64, 0, 1, 70), Note(67, 0, 1, 80)]
    rig.worker.start_stream(1, EventStreamOptions(tempo=120, beats=16), primer, {"seed": 1})
    rig.clock.run(12.0)
    assert rig.done == [1]
    notes = rig.notes(1)
    assert len(notes) > 10
    onsets = Counter(on for _, on, _, _ in notes)
    assert max(onsets.values()) >= 2  # several notes at one onset: chords
    assert any(on % 0.25 for on in onsets)  # not on the 16th grid
    assert len({v for *_, v in notes}) > 1  # the model's velocities
    lead = max(0.25, MIN_LEAD_S)  # half a beat at 120 BPM
    for handed, n in rig.played:
        assert n.on_time - handed >= lead - 1e-9  # drawn ahead, never on the clock's path
        assert 0 < n.duration_beats <= MAX_NOTE_BEATS + 1e-9
        assert n.off_step / 4 <= 16 + 1e-9
        assert n.off_time - n.on_time == pytest.approx(n.duration_beats * 0.5)
    # one pitch never sounds twice at once; every note-on got its note-off
    for pitch in {p for p, *_ in notes}:
        spans = sorted((on, off) for p, on, off, _ in notes if p == pitch)
        assert all(a[1] <= b[0] + 1e-9 for a, b in zip(spans, spans[1:], strict=False))
    kinds = Counter(k for k, *_ in rig.rec.events)
    assert kinds["on"] == kinds["off"] == len(notes)
    # notes of one chord leave at the same instant
    at = {}
    for kind, _, pitch, t in rig.rec.events:
        if kind == "on":
            at.setdefault(t, []).append(pitch)
    assert max(len(v) for v in at.values()) >= 2


def _run(engine, change=None, beats: float = 24) -> tuple[Rig, list]:
    r = Rig(engine)
    r.worker.start_stream(1, EventStreamOptions(tempo=240, beats=beats), [], {"seed": 5})
    r.clock.run(2.0)
    before = list(r.played)
    if change is not None:
        change(r.worker)
    r.clock.run(8.0)
    assert r.done == [1]
    return r, before


def test_set_pitch_classes_and_density_keep_promised_notes(engine) -> None:
    plain, _ = _run(engine)
    r, before = _run(engine, lambda w: w.set_values(1, {"pitch_classes": C_ONLY, "density": 8.0}))
    try:
        notes, base = r.notes(1), plain.notes(1)
        assert notes[: len(before)] == base[: len(before)]  # nothing promised changed
        promised = max(max(n.on_step, n.off_step) for _, n in before) / 4
        after = [p for p, on, *_ in notes if on > promised + 0.5]
        assert after and all(p % 12 == 0 for p in after)  # only Cs start once it applies
        assert notes != base
    finally:
        plain.close()
        r.close()


def test_feed_is_heard_without_a_gap_and_keeps_promised_notes(engine) -> None:
    fed = [Note(48, 0, 8, 100), Note(55, 0, 8, 100), Note(64, 0.5, 1.5, 60)]  # 8 beats
    plain, _ = _run(engine)
    r, before = _run(engine, lambda w: w.feed(1, fed))
    try:
        notes, base = r.notes(1), plain.notes(1)
        assert notes[: len(before)] == base[: len(before)]
        assert notes != base  # the model heard the chord
    finally:
        plain.close()
        r.close()
    ons = sorted(on for _, on, *_ in notes)
    assert max(b - a for a, b in zip(ons, ons[1:], strict=False)) < 4  # no 8-beat gap


def test_stop_ends_every_sounding_note_at_once(rig) -> None:
    rig.worker.start_stream(1, EventStreamOptions(tempo=60), [], {"seed": 2, "density": 16.0})
    rig.clock.run(1.0)
    while not rig.sched.sounding(1):
        rig.clock.run(0.1)
    stopped_at = rig.clock.now()
    assert rig.worker.stop(1)
    rig.clock.run(3.0)
    ons = Counter(p for k, _, p, _ in rig.rec.events if k == "on")
    offs = Counter(p for k, _, p, _ in rig.rec.events if k == "off")
    assert ons == offs
    assert all(t <= stopped_at for *_, t in rig.rec.events)
    assert not rig.sched.sounding() and not rig.worker.stop(1)


def test_a_seed_gives_the_same_notes_alone_or_beside_others(engine) -> None:
    def play(seeds: tuple[int, ...]) -> list:
        r = Rig(engine)
        for sid, seed in enumerate(seeds, 1):
            r.worker.start_stream(sid, EventStreamOptions(beats=8), [], {"seed": seed})
        r.clock.run(6.0)
        notes = r.notes(seeds.index(42) + 1)
        r.close()
        return notes

    alone = play((42,))
    assert alone and alone == play((5, 42, 9, 13))


def test_tempo_change_moves_notes_not_yet_sounded(rig) -> None:
    rig.worker.start_stream(1, EventStreamOptions(tempo=120), [], {"seed": 4})
    rig.clock.run(1.0)
    rig.worker.set_tempo(1, 60)
    rig.clock.run(0.01)
    s = rig.worker.get(1)
    assert s.tempo.bpm == 60
    now = rig.clock.now()
    for _, n in rig.played:
        if n.state == "pending" and n.on_time > now:
            assert n.on_time == pytest.approx(s.tempo.time_of(n.on_step))
    rig.clock.run(4.0)
    on_times = [t for k, _, _, t in rig.rec.events if k == "on"]
    assert on_times == sorted(on_times)
    rig.worker.stop(1)


def test_pause_and_resume_follow_a_clock(rig) -> None:
    rig.worker.start_stream(1, EventStreamOptions(tempo=120), [], {"seed": 6}, paused=True)
    rig.clock.run(2.0)
    assert not rig.played  # paused from the start: it waits for the clock's Start
    at = rig.clock.now() + 0.5
    rig.worker.resume(1, at, 150)
    rig.clock.run(3.0)
    assert rig.played and min(n.on_time for _, n in rig.played) >= at - 1e-9
    rig.worker.pause(1)
    rig.clock.run(0.01)
    paused_at = rig.clock.now()
    count = len(rig.played)
    rig.clock.run(2.0)
    assert len(rig.played) == count and not rig.sched.sounding(1)
    assert all(t <= paused_at for *_, t in rig.rec.events)
    ons = Counter(p for k, _, p, _ in rig.rec.events if k == "on")
    assert ons == Counter(p for k, _, p, _ in rig.rec.events if k == "off")
    rig.worker.resume(1, rig.clock.now() + 0.2)
    rig.clock.run(2.0)
    assert len(rig.played) > count  # it goes on
    rig.worker.stop(1)


def _assert_none_hanging(rig: Rig) -> None:
    """Every note-on got its note-off, and one pitch never sounded twice at once."""
    on = Counter(p for k, _, p, _ in rig.rec.events if k == "on")
    assert on == Counter(p for k, _, p, _ in rig.rec.events if k == "off")
    for pitch in on:
        times = [(t, k) for k, _, p, t in rig.rec.events if p == pitch]
        kinds = [k for _, k in sorted(times, key=lambda x: (x[0], x[1] == "on"))]
        assert all(a != b for a, b in zip(kinds, kinds[1:], strict=False))


def test_a_pause_with_notes_queued_and_sounding_leaves_none_hanging(rig) -> None:
    rig.worker.start_stream(1, EventStreamOptions(tempo=120), [], {"seed": 2, "density": 8.0})
    rig.clock.run(2.0)
    while not (rig.sched.sounding(1) and rig.sched.pending(1)):  # notes on, notes queued
        rig.clock.run(0.01)
    s = rig.worker.get(1)
    handed, promised = len(rig.played), s.commit
    rig.worker.pause(1)  # MIDI clock Stop
    rig.clock.run(0.001)
    paused_at = rig.clock.now()
    assert not rig.sched.sounding(1) and not rig.sched.pending(1)
    dropped = [n for _, n in rig.played[:handed] if n.on_time > paused_at]
    assert dropped  # handed over but not yet sounded: cancelled, never started
    on = Counter(p for k, _, p, _ in rig.rec.events if k == "on")
    assert on == Counter(p for k, _, p, _ in rig.rec.events if k == "off")  # every on ended
    assert all(t <= paused_at for *_, t in rig.rec.events)
    rig.clock.run(2.0)
    assert len(rig.played) == handed  # nothing is handed over while paused
    at = rig.clock.now() + 0.5
    rig.worker.resume(1, at, 120)  # MIDI clock Continue
    rig.clock.run(4.0)
    after = [n for _, n in rig.played[handed:]]
    assert after and min(n.on_time for n in after) >= at - 1e-9
    # it goes on from the beat sounding at the pause, before its old commit point: the
    # cancelled notes come back first
    assert min(n.on_step for n in after) == min(n.on_step for n in dropped)
    assert min(n.on_step for n in after) / 4 < promised
    assert min(n.on_time for n in after) < at + 1.0  # within two beats at 120 BPM
    rig.worker.stop(1)
    _assert_none_hanging(rig)


def test_notes_cancelled_by_a_pause_play_after_the_resume_in_their_places(rig) -> None:
    rig.worker.start_stream(1, EventStreamOptions(tempo=120), [], {"seed": 7, "density": 8.0})
    rig.clock.run(2.0)
    while not (rig.sched.sounding(1) and rig.sched.pending(1) >= 2):
        rig.clock.run(0.01)
    s = rig.worker.get(1)
    handed, promised = len(rig.played), s.commit
    pause_call = rig.clock.now()
    sounding_beat = s.tempo.step_at(pause_call) / 4  # the beat sounding at the pause
    rig.worker.pause(1)
    rig.clock.run(0.001)
    beat = s.commit  # where the stream goes on from
    assert beat == pytest.approx(sounding_beat)
    assert beat < promised - LEAD_BEATS  # not from the old commit point, ~0.75 beat later
    dropped = [n for _, n in rig.played[:handed] if n.on_time > pause_call]
    assert dropped
    key = lambda n: (n.on_step, n.pitch)  # noqa: E731
    dropped.sort(key=key)
    rig.worker.set_values(1, {"pitch_classes": C_ONLY})  # a rewind while paused keeps them
    rig.clock.run(1.0)
    at, bpm = rig.clock.now() + 0.5, 100.0
    rig.worker.resume(1, at, bpm)
    rig.clock.run(3.0)
    after = sorted((n for _, n in rig.played[handed:]), key=key)
    beat_s = 60.0 / bpm
    again = [n for n in after if n.on_step / 4 < promised - 1e-9]
    assert [(n.pitch, n.velocity, n.on_step, n.off_step) for n in again] == [
        (n.pitch, n.velocity, n.on_step, n.off_step) for n in dropped
    ]  # the same notes at the same beats: nothing skipped, nothing added
    for n in again:  # in their places on the new timeline, at the new tempo
        assert n.on_time == pytest.approx(at + (n.on_step / 4 - beat) * beat_s)
        assert n.off_time == pytest.approx(at + (n.off_step / 4 - beat) * beat_s)
    first = min(after, key=lambda n: n.on_time)
    assert first is again[0]
    assert first.on_time == pytest.approx(at + (dropped[0].on_step / 4 - beat) * beat_s)
    ons = [t for k, _, p, t in rig.rec.events if k == "on" and t >= at - 1e-9]
    assert len(ons) >= len(dropped)  # they sounded
    rig.worker.stop(1)
    _assert_none_hanging(rig)


def test_a_long_running_stream_keeps_bounded_state(rig) -> None:
    rig.worker.start_stream(1, EventStreamOptions(tempo=400), [], {"seed": 3, "density": 8.0})
    s, sizes = rig.worker.get(1), []
    while len(rig.played) < 1_200:  # notes, whatever the clock: 150 beats or more
        rig.clock.run(2.0)
        rig.worker.feed(1, [Note(60, 0, 0.5, 90), Note(67, 0, 0.5, 90)])
        d = s.session.decoder
        sizes.append((len(s.chunks), len(s.ready), len(s.open) + len(s.cut),
                      len(d.finished) + len(d.sounding) + len(s.session.queued),
                      rig.sched.pending(1), len(s.queued)))  # fmt: skip
    assert len(sizes) >= 5
    assert not s.session.decoder.finished  # the session keeps none of its finished notes
    chunks, ready, held, session, pending, queued = (max(c) for c in zip(*sizes, strict=True))
    assert chunks <= 4 * (LEAD_BEATS + BATCH_BEATS + MAX_NOTE_BEATS) / CHUNK_BEATS
    assert held <= 256 and session <= 256
    assert ready + pending <= 128  # what lies ahead of the clock: about a lead's worth
    assert queued <= 128  # kept for a pause: the notes handed over, not yet sounding
    rig.worker.stop(1)


def test_played_phrases_end_when_every_key_is_up() -> None:
    from bridge.live.midiclock import MidiEvent
    from bridge.live.phrases import MAX_HELD_S, PhraseListener, phrase_notes

    heard: list = []
    ears = PhraseListener(heard.append)
    for t, msg in [
        (1.0, (0x90, 60, 90)),
        (1.0, (0x91, 64, 70)),
        (1.5, (0x80, 60, 0)),
        (1.6, (0x90, 67, 80)),
        (1.7, (0x91, 64, 0)),
        (1.8, (0xB0, 64, 127)),
    ]:
        ears.feed(MidiEvent(msg, t))  # a chord, then a note under the held one: legato
    assert heard == []  # 67 still held
    ears.feed(MidiEvent((0x90, 67, 0), 2.0))  # note-on velocity 0 is a note-off
    assert len(heard) == 1 and sorted(p for p, *_ in heard[0]) == [60, 64, 67]
    assert sorted(phrase_notes(heard[0], 120), key=lambda n: n.pitch) == [
        Note(60, 0.0, 1.0, 90), Note(64, 0.0, pytest.approx(1.4), 70),
        Note(67, pytest.approx(1.2), pytest.approx(0.8), 80)
    ]  # fmt: skip
    ears.feed(MidiEvent((0x90, 50, 100), 3.0))  # a stuck key does not hold the phrase back
    ears.feed(MidiEvent((0x90, 52, 100), 3.0 + MAX_HELD_S + 1))
    assert len(heard) == 2 and heard[1] == [(50, 3.0, 3.0 + MAX_HELD_S + 1, 100)]
