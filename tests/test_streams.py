"""The stream worker on a fake clock: lookahead, durations, batching, set/feed/stop, errors.

The worker knows engines only by the streaming interface (engines.base.StreamingEngine); it is
run here with the real (tiny) RNN and with a fake engine that holds every note."""

from __future__ import annotations

import threading

import pytest
import torch

from bridge.live.clock import FakeClock, step_seconds
from bridge.live.scheduler import PlayedNote, Scheduler
from bridge.live.streams import (
    FEED_CHUNK,
    MAX_NOTE_STEPS,
    MIN_LEAD_S,
    StreamOptions,
    StreamWorker,
)
from engines.notes import HOLD, NOTE_ON_BASE, OFF, Note
from engines.rnn.engine import RnnEngine
from engines.rnn.model import RnnConfig


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, int, int, float]] = []  # kind, stream, pitch, time

    def note_on(self, note: PlayedNote, now: float) -> None:
        self.events.append(("on", note.owner, note.pitch, now))

    def note_off(self, note: PlayedNote, now: float) -> None:
        self.events.append(("off", note.owner, note.pitch, now))

    def announce(self, note: PlayedNote, now: float) -> None:
        pass

    def close(self) -> None:
        pass


class Rig:
    """A worker, a scheduler and a fake clock; ``played`` records each note handed over
    and the fake time it was handed over."""

    def __init__(self, engine, worker_class: type = StreamWorker) -> None:
        self.clock = FakeClock(start=50.0)
        self.rec = Recorder()
        self.sched = Scheduler([self.rec], self.clock, realtime=False).start()
        self.played: list[tuple[float, PlayedNote]] = []
        play = self.sched.play

        def recording_play(note: PlayedNote) -> None:
            self.played.append((self.clock.now(), note))
            play(note)

        self.sched.play = recording_play  # type: ignore[method-assign]
        self.done: list[int] = []
        self.errors: list[tuple[int, str]] = []
        self.worker = worker_class(
            engine,
            self.sched,
            self.clock,
            on_done=lambda s: self.done.append(s.id),
            on_error=lambda s, m: self.errors.append((s.id, m)),
            realtime=False,
        ).start()

    def notes(self, sid: int) -> list[tuple[int, int, int]]:
        """(pitch, on_step, off_step) of a stream's notes, in order."""
        return [(n.pitch, n.on_step, n.off_step) for _, n in self.played if n.owner == sid]

    def close(self) -> None:
        self.worker.close()
        self.sched.close()


@pytest.fixture(scope="module")
def engine() -> RnnEngine:
    torch.set_num_threads(1)
    return RnnEngine.from_config(RnnConfig(embed=16, hidden=64, layers=2, dropout=0.0), seed=3)


@pytest.fixture
def rig(engine):
    r = Rig(engine)
    yield r
    r.close()


def test_notes_are_committed_ahead_and_play_on_time(rig) -> None:
    rig.worker.start_stream(1, StreamOptions(tempo=120, steps=64), [], {"seed": 1})
    rig.clock.run(12.0)
    assert rig.done == [1]
    assert len(rig.played) > 5
    step = step_seconds(120)
    lead = max(2 * step, MIN_LEAD_S)
    for committed, n in rig.played:
        assert n.on_time - committed >= lead - 1e-9  # the model ran ahead of the clock
        assert 1 <= n.off_step - n.on_step <= MAX_NOTE_STEPS
        assert n.off_step <= 64
        assert n.off_time - n.on_time == pytest.approx((n.off_step - n.on_step) * step)
        assert n.duration_beats == (n.off_step - n.on_step) / 4
    ons = [t for k, _, _, t in rig.rec.events if k == "on"]
    assert ons == pytest.approx([n.on_time for _, n in rig.played])
    # monophonic: each note ends where or before the next begins; every note-on got its off
    steps = rig.notes(1)
    assert all(a[2] <= b[1] for a, b in zip(steps, steps[1:], strict=False))
    assert sum(k == "on" for k, *_ in rig.rec.events) == sum(k == "off" for k, *_ in rig.rec.events)


def test_a_seed_gives_the_same_notes_alone_or_batched(engine) -> None:
    def play(seeds: tuple[int, ...]) -> tuple[list, torch.Tensor]:
        r = Rig(engine)
        for sid, seed in enumerate(seeds, 1):  # batches of 1..len(seeds) rows
            r.worker.start_stream(sid, StreamOptions(), [], {"seed": seed, "temperature": 1.5})
        r.clock.run(6.0)
        s = r.worker.get(seeds.index(42) + 1)
        assert s is not None
        state = s.session.stream.h[-1].clone()
        notes = r.notes(s.id)
        r.close()
        return notes, state

    alone, alone_h = play((42,))
    crowd, crowd_h = play((5, 42, 9, 13, 21, 34))
    assert alone and alone == crowd
    # bitwise: a stream's numbers never depend on the streams beside it
    assert torch.equal(alone_h, crowd_h)


class HoldingEngine:
    """A fake streaming engine whose model holds every note forever and starts pitch 60
    after OFF (or at the start). ``advance`` fails after ``fail_after`` calls."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls = 0
        self.fail_after = fail_after
        self.prepared: list[str] = []  # the threads prepare_thread was called on

    class Session:
        def __init__(self) -> None:
            self.last = OFF  # the last token fed: all the fake model looks at

        def sample(self) -> int:
            return NOTE_ON_BASE + 60 if self.last == OFF else HOLD

        def feed(self, tokens: list[int]) -> None:
            if tokens:
                self.last = tokens[-1]

        def snapshot(self) -> int:
            return self.last

        def restore(self, snapshot: int) -> None:
            self.last = snapshot

        def set(self, values: dict) -> None:
            pass

    def prepare_thread(self) -> None:
        self.prepared.append(threading.current_thread().name)

    def grid_tokens(self, notes: list) -> list[int]:
        return []

    def open_session(self, values: dict, primer: list[int]) -> HoldingEngine.Session:
        session = HoldingEngine.Session()
        session.feed(primer)
        return session

    def advance(self, sessions: list, tokens: list[int]) -> None:
        self.calls += 1
        if self.fail_after is not None and self.calls > self.fail_after:
            raise RuntimeError("boom")
        for session, token in zip(sessions, tokens, strict=True):
            session.feed([token])


def test_long_notes_end_at_a_bar_and_the_model_hears_off() -> None:
    engine = HoldingEngine()
    r = Rig(engine)
    r.worker.start_stream(1, StreamOptions(steps=64), [])
    r.clock.run(10.0)
    r.close()
    # ON 60 at 0, forced OFF at 16, ON 60 at 17 (the model saw OFF), ...
    assert r.notes(1) == [(60, 0, 16), (60, 17, 33), (60, 34, 50), (60, 51, 64)]
    assert engine.prepared == ["bridge-streams"]  # once, on the worker's own thread


def test_tempo_change_takes_effect_from_the_next_step(rig) -> None:
    rig.worker.start_stream(1, StreamOptions(tempo=120), [], {"seed": 3})
    rig.clock.run(1.0)
    s = rig.worker.get(1)
    assert s is not None and s.tempo is not None
    next_step = s.tempo.next_step_after(rig.clock.now())
    t_next = s.tempo.time_of(next_step)
    rig.worker.set_tempo(1, 60.0)
    rig.clock.run(0.0)  # let the worker apply it
    assert s.tempo.time_of(next_step) == pytest.approx(t_next)  # the next step did not move
    assert s.tempo.time_of(next_step + 1) == pytest.approx(t_next + step_seconds(60))
    rig.clock.run(4.0)
    moved = [n for _, n in rig.played if n.off_step > next_step]
    assert moved
    for n in moved:  # queued notes, committed before the change too, follow the new tempo
        if n.on_step >= next_step:
            assert n.on_time == pytest.approx(s.tempo.time_of(n.on_step))
        assert n.off_time == pytest.approx(s.tempo.time_of(n.off_step))
    rig.worker.stop(1)


def test_stop_ends_sounding_notes_at_once_and_nothing_plays_after(rig) -> None:
    r = Rig(HoldingEngine())
    r.worker.start_stream(1, StreamOptions(), [])
    r.clock.run(1.0)
    assert r.sched.sounding(1)
    stopped_at = r.clock.now()
    assert r.worker.stop(1)
    assert r.rec.events[-1][:3] == ("off", 1, 60) and r.rec.events[-1][3] == stopped_at
    r.clock.run(3.0)
    assert all(t <= stopped_at for *_, t in r.rec.events)
    assert not r.worker.stop(1)
    r.close()


def test_set_temperature_and_feed_keep_promised_notes(rig) -> None:
    rig.worker.start_stream(1, StreamOptions(steps=96), [], {"seed": 11})
    rig.clock.run(2.0)
    before = list(rig.played)
    rig.worker.set_values(1, {"temperature": 0.5})
    rig.worker.feed(1, rig.worker.engine.grid_tokens([Note(60, 0, 1, 90), Note(64, 1, 1, 90)]))
    rig.clock.run(12.0)
    assert rig.done == [1]
    assert rig.played[: len(before)] == before  # nothing promised was changed
    steps = rig.notes(1)
    assert len(set(n[1] for n in steps)) == len(steps)  # no step played twice
    assert all(a[2] <= b[1] for a, b in zip(steps, steps[1:], strict=False))
    ons = sum(k == "on" for k, *_ in rig.rec.events)
    assert ons == len(steps) == sum(k == "off" for k, *_ in rig.rec.events)


def test_a_long_feed_goes_in_by_chunks_with_other_work_between(rig) -> None:
    rig.worker.start_stream(1, StreamOptions(), [], {"seed": 2})
    rig.worker.start_stream(2, StreamOptions(), [], {"seed": 3})
    rig.clock.run(1.0)
    s = rig.worker.get(1)
    assert s is not None and s.session is not None
    log: list[object] = []
    feed, sample = s.session.feed, s.session.sample

    def logged_feed(tokens: list[int]) -> None:
        log.append(len(tokens))
        feed(tokens)

    def logged_sample() -> int:
        log.append("sample")
        return sample()

    s.session.feed, s.session.sample = logged_feed, logged_sample
    notes = [Note(60 + i % 12, i * 0.25, 0.25, 90) for i in range(3 * FEED_CHUNK + 8)]
    tokens = rig.worker.engine.grid_tokens(notes)
    gate = threading.Event()
    rig.worker._queue(lambda: gate.wait(10))  # hold the worker while the work is queued
    assert rig.worker.feed(1, tokens)
    rig.worker._queue(lambda: log.append("other"))
    gate.set()
    rig.clock.run(0.0)
    chunks = [x for x in log if isinstance(x, int)]
    assert sum(chunks) == len(tokens) and max(chunks) == FEED_CHUNK and len(chunks) == 4
    first, last = log.index(chunks[0]), len(log) - 1 - log[::-1].index(chunks[-1])
    assert first < log.index("other") < last  # other work went between the chunks
    assert "sample" not in log[first:last]  # nothing sampled from a half-fed state
    assert rig.worker.get(1).feeds_waiting == 0 and not rig.worker.get(1).feeding
    rig.clock.run(2.0)
    assert "sample" in log[last:]  # the stream plays on once the feed is in
    assert any(n.owner == 1 and t > 1.0 + 50.0 for t, n in rig.played)


def test_an_engine_error_stops_the_stream_and_ends_its_notes() -> None:
    r = Rig(HoldingEngine(fail_after=8))
    r.worker.start_stream(1, StreamOptions(), [], request_id=77)
    r.clock.run(5.0)
    assert r.errors and r.errors[0][0] == 1 and "boom" in r.errors[0][1]
    assert r.worker.get(1) is None
    assert r.sched.sounding() == []
    kinds = [k for k, *_ in r.rec.events]
    assert kinds.count("on") == kinds.count("off")
    r.close()


def test_pause_and_resume_hold_the_place(rig) -> None:
    rig.worker.start_stream(1, StreamOptions(), [], {"seed": 4})
    rig.clock.run(1.0)
    rig.worker.pause(1)
    rig.clock.run(0.0)
    assert rig.sched.sounding() == [] and rig.sched.pending(1) == 0
    s = rig.worker.get(1)
    assert s is not None
    resume_step = s.commit
    rig.clock.run(2.0)
    at = rig.clock.now() + 0.5
    rig.worker.resume(1, at)
    rig.clock.run(2.0)
    later = [n for t, n in rig.played if t > at - 1.0]
    assert later and min(n.on_step for n in later) >= resume_step
    assert all(n.on_time >= at - 1e-9 for n in later)
    rig.worker.stop(1)
