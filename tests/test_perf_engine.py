"""The perf engine on its tiny random-init checkpoint: the continue verb and event sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

import engines
from engines.notes import Note
from engines.perf import session as perf_session
from engines.perf.engine import CHORDS_64, MAX_PRIMER_EVENTS, PerfEngine, moved
from engines.perf.events import TICKS_PER_BEAT

PRIMER = [Note(*CHORDS_64[i : i + 4]) for i in range(0, len(CHORDS_64), 4)]
C_MAJOR = [1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1]


@pytest.fixture(scope="module")
def perf() -> PerfEngine:
    return PerfEngine.tiny()


def defaults(**given: Any) -> dict[str, Any]:
    verb = PerfEngine.verb("continue")
    return {**{p.name: p.default for p in verb.params}, **given}


def test_registered_and_compiled(perf: PerfEngine) -> None:
    assert "perf" in engines.available_engines()
    assert isinstance(perf.core, torch.jit.ScriptModule)


def test_continue_answers_polyphonic_notes_within_the_beats(perf: PerfEngine) -> None:
    out = perf.call("continue", defaults(notes=PRIMER, beats=8, seed=1))
    assert out, "the tiny engine said nothing"
    for n in out:
        assert 0 <= n.pitch <= 127 and 1 <= n.velocity <= 127
        assert 0 <= n.start < 8 and n.duration > 0 and n.end <= 8 + 1e-9
        assert (n.start * TICKS_PER_BEAT) == pytest.approx(round(n.start * TICKS_PER_BEAT))


def test_seeds_reproduce_and_differ(perf: PerfEngine) -> None:
    a = perf.continue_(PRIMER, beats=4, seed=5)
    assert perf.continue_(PRIMER, beats=4, seed=5) == a
    assert perf.continue_(PRIMER, beats=4, seed=6) != a


def test_events_caps_the_reply(perf: PerfEngine) -> None:
    capped = perf.continue_(PRIMER, beats=64, events=3, seed=2)
    assert len(capped) <= 3


def test_save_and_load_give_the_same_replies(perf: PerfEngine, tmp_path: Path) -> None:
    perf.save(tmp_path / "ck")
    loaded = engines.load_engine(tmp_path / "ck", "cpu")
    assert loaded.name == "perf"
    assert loaded.continue_(PRIMER, beats=4, seed=9) == perf.continue_(PRIMER, beats=4, seed=9)


@pytest.mark.parametrize(
    "given,words",
    [
        ({"notes": [Note(130, 0, 1, 80)]}, "pitch must be 0..127"),
        ({"notes": [Note(60, 0, 1, 0)]}, "velocity must be 1..127"),
        ({"beats": 0.1}, "beats must be 0.25..64"),
        ({"events": 0}, "events must be"),
        ({"pitch_classes": [1.0, 2.0]}, "12 numbers"),
        ({"pitch_classes": [0.0] * 12}, "at least one above 0"),
        ({"density": -1.0}, "density must be > 0"),
        ({"temperature": 0.0}, "temperature must be > 0"),
    ],
)
def test_bad_requests_are_refused_in_a_performers_words(
    perf: PerfEngine, given: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        perf.call("continue", defaults(**given))


def test_a_10000_note_primer_is_heard_from_its_last_events(perf: PerfEngine) -> None:
    huge = [Note(40 + i % 40, i * 0.25, 0.5, 80) for i in range(10_000)]
    session = perf.open_event_session({"seed": 1}, huge)
    assert session.beat == pytest.approx(huge[-1].end)
    # other pitches early on (same times): the last MAX_PRIMER_EVENTS events are the same
    changed = [
        Note(n.pitch + 7, n.start, n.duration, n.velocity) if i < 5_000 else n
        for i, n in enumerate(huge)
    ]
    assert MAX_PRIMER_EVENTS < 5_000
    reply = perf.continue_(huge, beats=2, seed=3)
    assert perf.continue_(changed, beats=2, seed=3) == reply
    assert all(0 <= n.start < 2 for n in reply)


def test_sequence_feed_agrees_with_the_step_path(
    perf: PerfEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    long = perf.open_event_session({"seed": 1}, PRIMER)
    monkeypatch.setattr(perf_session, "SEQUENCE_FEED", 10**9)
    stepped = perf.open_event_session({"seed": 1}, PRIMER)
    assert long.tick == stepped.tick
    torch.testing.assert_close(long.logits, stepped.logits, atol=1e-5, rtol=1e-5)


# -- event sessions --------------------------------------------------------------------------


def play(session: Any, until: float, step: float) -> list[tuple[float, str, int, int]]:
    events = []
    t = session.beat
    while t < until:
        t = min(until, t + step)
        got = session.next_events(t)
        assert all(e[0] < t + 1e-9 for e in got), "an event after until_beat"
        events += got
    return events + session.close()


def well_formed(events: list[tuple[float, str, int, int]], start: float) -> None:
    sounding: dict[int, float] = {}
    last = start
    for beat, kind, pitch, velocity in events:
        assert beat >= last - 1e-9, "events out of order"
        last = beat
        if kind == "on":
            assert pitch not in sounding, "a pitch struck twice without an off"
            assert 1 <= velocity <= 127
            sounding[pitch] = beat
        else:
            assert kind == "off" and velocity == 0
            assert pitch in sounding and beat > sounding.pop(pitch), "an off without its on"
    assert not sounding, "notes left sounding"


def test_a_session_gives_well_formed_events(perf: PerfEngine) -> None:
    session = perf.open_event_session({"seed": 4, "temperature": 1.2}, PRIMER)
    start = session.beat
    assert start == 16.0
    events = play(session, start + 8, 0.5)
    assert any(e[1] == "on" for e in events)
    well_formed(events, start)


def test_seeds_reproduce_however_the_time_is_cut(perf: PerfEngine) -> None:
    a = play(perf.open_event_session({"seed": 8}, PRIMER), 24, 0.25)
    b = play(perf.open_event_session({"seed": 8}, PRIMER), 24, 3.0)
    assert a == b
    assert play(perf.open_event_session({"seed": 9}, PRIMER), 24, 3.0) != a


def test_snapshot_and_restore_rewind_exactly(perf: PerfEngine) -> None:
    session = perf.open_event_session({"seed": 2}, PRIMER)
    session.next_events(18)
    snap = session.snapshot()
    first = session.next_events(20)
    session.restore(snap)
    assert session.next_events(20) == first


def session_size(session: Any) -> int:
    """Items held in a session's growable containers (the decoder's notes, sounding and
    pending pitches, queued events, noise rows)."""
    d = session.decoder
    return (
        len(d.finished)
        + len(d.sounding)
        + len(d.pending)
        + len(session.queued)
        + len(session.noise)
    )


def test_a_long_stream_session_keeps_bounded_state(perf: PerfEngine) -> None:
    session = perf.open_event_session({"seed": 6, "density": 8.0}, PRIMER)
    started, sizes, beat = 0, [], session.beat
    while started < 1_500:  # 3 minutes of 8 notes a second; an hour is ~29k
        beat += 0.25
        started += sum(e[1] == "on" for e in session.next_events(beat))
        if int(beat * 4) % 200 == 0:
            session.feed([Note(60, 0, 0.5, 90), Note(64, 0, 0.5, 90)])
            sizes.append(session_size(session))
    assert not session.decoder.finished  # a stream keeps none of its finished notes
    assert max(sizes) <= 128 + 128 + 64 + 64  # pitches sounding/pending, events, noise
    snap = session.snapshot()  # snapshot and restore work as before
    first = session.next_events(beat + 2)
    session.restore(snap)
    assert session.next_events(beat + 2) == first
    reply = perf.continue_(PRIMER, beats=8, seed=6, density=8.0)  # a reply keeps its notes
    assert len(reply) > 8


def test_feed_changes_what_follows(perf: PerfEngine) -> None:
    a = perf.open_event_session({"seed": 3}, PRIMER)
    b = perf.open_event_session({"seed": 3}, PRIMER)
    a.next_events(17)
    b.next_events(17)
    a.close()
    b.close()
    b.feed([Note(36, 0, 0.5, 120), Note(43, 0, 0.5, 120), Note(84, 0.25, 0.25, 30)])
    assert b.beat == pytest.approx(a.beat + 0.5)
    start = b.beat
    after_a, after_b = a.next_events(a.beat + 4), b.next_events(a.beat + 4)
    assert [e[1:] for e in after_a] != [e[1:] for e in after_b]
    well_formed([*after_b, *b.close()], start)


def test_set_changes_conditions_while_streaming(perf: PerfEngine) -> None:
    a = perf.open_event_session({"seed": 3}, PRIMER)
    b = perf.open_event_session({"seed": 3}, PRIMER)
    b.set({"density": 8.0, "pitch_classes": C_MAJOR, "temperature": 0.7})
    assert b.temperature == 0.7 and b.density == 8.0
    assert a.next_events(20) != b.next_events(20)
    with pytest.raises(ValueError, match="12 numbers"):
        b.set({"pitch_classes": [1, 2, 3]})
    assert b.pitch_classes == C_MAJOR  # a refused value changes nothing
    b.set({"density": None})
    assert b.density is None


def test_pitch_classes_weighted_zero_never_start(perf: PerfEngine) -> None:
    out = [n for s in range(4) for n in perf.continue_([], beats=8, seed=s, pitch_classes=C_MAJOR)]
    assert out and all(C_MAJOR[n.pitch % 12] for n in out)


def test_far_registers_are_heard_by_octaves_and_answered_in_place(perf: PerfEngine) -> None:
    high = [Note(n.pitch + 36, n.start, n.duration, n.velocity) for n in PRIMER]
    session = perf.open_event_session({"seed": 1}, high)
    assert session.shift == -36
    base = perf.open_event_session({"seed": 1}, PRIMER)
    assert base.shift == 0
    # the same primer an octave multiple apart: the same answer, moved by those octaves
    a, b = base.next_events(24), session.next_events(24)
    assert a and b == [(t, k, moved(p, 36), v) for t, k, p, v in a]
    assert perf.continue_(high, seed=2) == [
        Note(moved(n.pitch, 36), n.start, n.duration, n.velocity)
        for n in perf.continue_(PRIMER, seed=2)
    ]
