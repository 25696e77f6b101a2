"""The scheduler and the tempo map, on a fake clock: exact times, no sleeps."""

from __future__ import annotations

import pytest

from bridge.live.clock import FakeClock, TempoMap, beats_to_seconds, check_tempo, step_seconds
from bridge.live.midi import ALL_NOTES_OFF, ALL_SOUND_OFF, CONTROL, MemoryMidiOutput, MidiSink
from bridge.live.scheduler import PlayedNote, Scheduler


class Recorder:
    """A sink that records (kind, pitch, fake time)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int, float]] = []
        self.closed = False

    def note_on(self, note: PlayedNote, now: float) -> None:
        self.events.append(("on", note.pitch, now))

    def note_off(self, note: PlayedNote, now: float) -> None:
        self.events.append(("off", note.pitch, now))

    def announce(self, note: PlayedNote, now: float) -> None:
        self.events.append(("announce", note.pitch, now))

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def rig():
    clock = FakeClock(start=100.0)
    rec = Recorder()
    midi = MemoryMidiOutput()
    sched = Scheduler([rec, MidiSink(midi)], clock, realtime=False).start()
    clock.settle()
    yield clock, rec, midi, sched
    sched.close()


def note(pitch: int, on: float, off: float, owner: object = 1, **kw) -> PlayedNote:
    return PlayedNote(owner=owner, pitch=pitch, velocity=100, on_time=on, off_time=off, **kw)


def test_tempo_math() -> None:
    assert beats_to_seconds(1, 120) == 0.5
    assert step_seconds(120) == 0.125
    with pytest.raises(ValueError, match="tempo must be"):
        check_tempo(5)
    m = TempoMap(120, anchor_time=10.0)
    assert m.time_of(4) == 10.5
    assert m.next_step_after(10.125) == 2  # a step exactly now has sounded
    m.set_tempo(60, from_step=4)
    assert m.time_of(4) == 10.5 and m.time_of(5) == 10.75  # step 4 did not move
    assert m.step_at(10.75) == 5


def test_events_fire_at_their_times_in_order(rig) -> None:
    clock, rec, _, sched = rig
    sched.play(note(62, 100.5, 100.75))
    sched.play(note(60, 100.25, 100.5))  # queued later, plays earlier
    clock.advance(0.2)
    assert rec.events == []
    clock.run(1.0)
    assert [(k, p) for k, p, _ in rec.events] == [("on", 60), ("off", 60), ("on", 62), ("off", 62)]
    # the note-off of 60 and the note-on of 62 share a time; the off goes first
    times = [t for _, _, t in rec.events]
    assert times == pytest.approx([100.25, 100.5, 100.5, 100.75], abs=1e-9)
    assert sched.sounding() == []


def test_cancel_ends_sounding_notes_and_drops_queued_ones(rig) -> None:
    clock, rec, midi, sched = rig
    sched.play(note(60, 100.1, 101.0, owner="a"))
    sched.play(note(64, 100.1, 101.0, owner="b"))
    sched.play(note(67, 100.5, 101.0, owner="a"))
    clock.advance(0.2)
    assert {p for _, p, _ in rec.events} == {60, 64}
    assert sched.cancel("a") == 1
    assert rec.events[-1] == ("off", 60, pytest.approx(100.2))
    clock.run(1.0)
    pitches = [(k, p) for k, p, _ in rec.events]
    assert ("on", 67) not in pitches  # dropped
    assert pitches.count(("off", 64)) == 1  # b played on untouched
    ons = [m for m in midi.messages if m[0] & 0xF0 == 0x90]
    offs = [m for m in midi.messages if m[0] & 0xF0 == 0x80]
    assert len(ons) == len(offs) == 2


def test_retime_moves_queued_notes_after_a_tempo_change(rig) -> None:
    clock, rec, _, sched = rig
    tempo = TempoMap(120, anchor_time=100.0)
    sched.play(note(60, tempo.time_of(0), tempo.time_of(4), on_step=0, off_step=4))
    sched.play(note(62, tempo.time_of(4), tempo.time_of(8), on_step=4, off_step=8))
    clock.advance(0.3)  # step 2.4: 60 sounds until step 4
    with sched.lock:
        n = tempo.next_step_after(clock.now())
        tempo.set_tempo(60, n)  # half speed from step 3
        sched.retime(1, tempo.time_of)
    clock.run(2.0)
    times = {(k, p): t for k, p, t in rec.events}
    assert times[("off", 60)] == pytest.approx(100.375 + 0.25)  # step 3 at 100.375, +1 step
    assert times[("on", 62)] == pytest.approx(100.625)
    assert times[("off", 62)] == pytest.approx(100.625 + 4 * 0.25)


def test_announce_goes_early_and_calls_run(rig) -> None:
    clock, rec, _, sched = rig
    called = []
    sched.play(note(60, 100.5, 100.6, lead=0.2))
    sched.call_at(100.55, 1, lambda: called.append(clock.now()))
    clock.run(1.0)
    assert rec.events[0] == ("announce", 60, pytest.approx(100.3))
    assert called == [pytest.approx(100.55)]


def test_close_ends_everything_and_panics(rig) -> None:
    clock, rec, midi, sched = rig
    sched.play(note(60, 100.1, 200.0, channel=3))
    sched.play(note(60, 100.1, 200.0, owner=2, channel=3))  # same pitch, two owners
    clock.advance(0.2)
    sched.close()
    assert rec.closed
    ons = [m for m in midi.messages if m[0] == 0x92]
    offs = [m for m in midi.messages if m[0] == 0x82]
    assert len(ons) == 2 and len(offs) == 1  # counted: one off ends both
    assert [CONTROL | 2, ALL_NOTES_OFF, 0] in midi.messages
    assert [CONTROL | 2, ALL_SOUND_OFF, 0] in midi.messages
    assert midi.messages.index(offs[0]) < midi.messages.index([CONTROL | 2, ALL_NOTES_OFF, 0])


def test_a_zero_length_note_never_sticks(rig) -> None:
    clock, rec, midi, sched = rig
    sched.play(note(60, 100.1, 100.1))
    clock.advance(0.5)
    assert sched.sounding() == []
    assert rec.events == []


class EarlyRecorder(Recorder):
    """A sink handed its notes ``ahead`` seconds early: records (kind, pitch, for-time, at)."""

    def __init__(self, clock: FakeClock, ahead: float) -> None:
        super().__init__()
        self.ahead = ahead
        self.clock = clock
        self.handed: list[tuple[str, int, float, float]] = []

    def note_on(self, note: PlayedNote, t: float) -> None:
        self.handed.append(("on", note.pitch, t, self.clock.now()))

    def note_off(self, note: PlayedNote, t: float) -> None:
        self.handed.append(("off", note.pitch, t, self.clock.now()))


@pytest.fixture
def early_rig():
    clock = FakeClock(start=100.0)
    rec = Recorder()
    early = EarlyRecorder(clock, ahead=0.004)
    sched = Scheduler([early, rec], clock, realtime=False).start()
    clock.settle()
    yield clock, rec, early, sched
    sched.close()


def test_an_ahead_sink_is_handed_each_note_early_with_its_time(early_rig) -> None:
    clock, rec, early, sched = early_rig
    sched.play(note(60, 100.1, 100.2))
    sched.play(note(64, 100.1, 100.2))
    sched.play(note(67, 100.2, 100.3))  # starts where the others end
    clock.run(0.5)
    handed = [(k, p, t) for k, p, t, _ in early.handed]
    assert handed == [("on", 60, 100.1), ("on", 64, 100.1), ("off", 60, 100.2),
                      ("off", 64, 100.2), ("on", 67, 100.2), ("off", 67, 100.3)]  # fmt: skip
    assert all(at == pytest.approx(t - 0.004) for _, _, t, at in early.handed)
    # the other sinks hear the notes at their times, and the ahead sink never twice
    assert [(k, p, round(t, 6)) for k, p, t in rec.events] == handed


def test_an_ahead_sink_hears_every_note_end_once_whatever_stops_it(early_rig) -> None:
    clock, rec, early, sched = early_rig
    sched.play(note(60, 100.1, 100.5, owner="a"))  # sounding when stopped
    sched.play(note(62, 100.2015, 100.3, owner="a"))  # handed, not yet sounding when stopped
    sched.play(note(64, 100.3, 100.4, owner="a"))  # never handed
    sched.play(note(65, 100.15, 100.15, owner="b"))  # no length: never handed
    clock.advance(0.1)
    clock.advance(0.1)  # 100.2: 62 was handed at 100.1975
    assert [(k, p) for k, p, _, _ in early.handed] == [("on", 60), ("on", 62)]
    assert sched.cancel("a") == 1
    offs = {p: (t, at) for k, p, t, at in early.handed if k == "off"}
    assert offs[60] == (pytest.approx(100.2), pytest.approx(100.2))  # ended now
    assert offs[62][0] == pytest.approx(100.2015)  # ended at its own start: never sounds on
    clock.run(0.5)
    kinds = [(k, p) for k, p, _, _ in early.handed]
    assert sorted(kinds) == [("off", 60), ("off", 62), ("on", 60), ("on", 62)]


def test_a_stop_after_the_note_off_was_handed_does_not_end_it_twice(early_rig) -> None:
    clock, rec, early, sched = early_rig
    sched.play(note(60, 100.1, 100.2, owner="a"))
    clock.advance(0.1)
    clock.advance(0.0975)  # 100.1975: the note-off (for 100.2) handed, not yet played
    assert [k for k, _, _, _ in early.handed] == ["on", "off"]
    assert sched.cancel("a") == 1
    clock.run(0.5)
    assert [k for k, _, _, _ in early.handed] == ["on", "off"]
    assert [k for k, _, _ in rec.events] == ["on", "off"]


def test_a_retime_leaves_what_an_ahead_sink_was_handed(early_rig) -> None:
    clock, rec, early, sched = early_rig
    n = note(60, 100.1, 100.2, owner="a", on_step=0, off_step=4)
    sched.play(n)
    clock.advance(0.0965)  # 100.0965: handed its note-on
    sched.retime("a", lambda step: 100.5 + step * 0.1)  # both ends much later
    clock.run(1.5)
    handed = [(k, round(t, 6)) for k, _, t, _ in early.handed]
    assert handed == [("on", 100.1), ("off", 100.9)]
    assert [(k, round(t, 6)) for k, _, t in rec.events] == handed  # the others moved with it
