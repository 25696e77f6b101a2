"""Call and response on a fake clock, without JACK: the phrase ends after its silence, the
engine's `continue` verb answers, the answer starts on the performer's beat, a new phrase cuts
it off; engines that cannot answer are refused."""

from __future__ import annotations

from typing import ClassVar

import pytest

from bridge.live.callresponse import (
    IDLE,
    LISTENING,
    OWNER,
    RESPONDING,
    START_LEAD_S,
    CallResponse,
    CallResponseOptions,
    check_responder,
)
from bridge.live.clock import FakeClock
from bridge.live.live import Live, LiveOptions
from bridge.live.midi import NOTE_OFF, NOTE_ON, MidiEvent
from bridge.live.scheduler import PlayedNote, Scheduler
from bridge.server.daemon import Daemon
from engines.base import Engine, Verb
from engines.notes import Note
from engines.params import SEED, TEMPERATURE
from engines.rnn.engine import RnnEngine

BEAT = 0.5  # seconds at 120 BPM


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple[str, int, float]] = []

    def note_on(self, note: PlayedNote, now: float) -> None:
        self.events.append(("on", note.pitch, now))

    def note_off(self, note: PlayedNote, now: float) -> None:
        self.events.append(("off", note.pitch, now))

    def announce(self, note: PlayedNote, now: float) -> None:
        pass

    def close(self) -> None:
        pass


class Rig:
    """A CallResponse with a scheduler on a fake clock; inference jobs wait in ``jobs``
    until the test runs them (as the daemon's workers would)."""

    def __init__(self, engine: object, options: CallResponseOptions) -> None:
        self.clock = FakeClock(start=10.0)
        self.rec = Recorder()
        self.sched = Scheduler([self.rec], self.clock, realtime=False).start()
        self.jobs: list = []
        self.states: list[str] = []
        self.cr = CallResponse(
            engine,
            self.sched,
            lambda job: self.jobs.append(job) or True,
            options=options,
            on_state=self.states.append,
            clock=self.clock,
        ).start()
        self.clock.settle()

    def play(self, pitch: int, beats: float, gap: float = 0.0) -> None:
        """Key down now, up ``beats`` later, then ``gap`` beats of nothing."""
        self.cr.feed(MidiEvent((NOTE_ON, pitch, 90), self.clock.now()))
        self.clock.run(beats * BEAT)
        self.cr.feed(MidiEvent((NOTE_OFF, pitch, 0), self.clock.now()))
        self.clock.run(gap * BEAT)

    def answer(self) -> None:
        """Run the inference job the phrase's end submitted."""
        assert len(self.jobs) == 1
        self.jobs.pop()()
        self.clock.settle()

    def close(self) -> None:
        self.cr.close()
        self.sched.close()


@pytest.fixture(scope="module")
def engine() -> RnnEngine:
    return RnnEngine.tiny(seed=2)


@pytest.fixture
def rig(engine):
    r = Rig(engine, CallResponseOptions(silence=1.0, response_bars=1, seed=5))
    yield r
    r.close()


def test_the_engine_answers_after_the_silence_on_the_performers_beat(rig, engine) -> None:
    origin = rig.clock.now()
    for pitch in (60, 62, 64):
        rig.play(pitch, 0.5, 0.5)
    assert rig.states == [IDLE, LISTENING]
    last_up = origin + 3 * BEAT - 0.5 * BEAT
    rig.clock.run(1.0 - 0.5 * BEAT - 0.01)  # just before the silence is over
    assert rig.states[-1] == LISTENING and not rig.jobs
    rig.clock.run(0.02)
    assert rig.states[-1] == RESPONDING and len(rig.jobs) == 1
    ended = rig.clock.now()
    rig.answer()
    assert rig.cr.answers == 1
    # the answer is the engine's `continue` of the phrase (in beats from its first note)
    phrase = [Note(p, i, 0.5, 90) for i, p in enumerate((60, 62, 64))]
    want = engine.call("continue", {"notes": phrase, "steps": 16, "temperature": 1.0,
                                    "seed": 5, "top_p": None})  # fmt: skip
    assert want, "the tiny model gave no notes"
    rig.clock.run(3.0)  # one bar at 120 BPM and a little more
    ons = [(p, t) for kind, p, t in rig.rec.events if kind == "on"]
    assert [p for p, _ in ons] == [n.pitch for n in want]
    first = min(n.start for n in want)
    start = ons[0][1] - (want[0].start - first) * BEAT
    assert start >= ended + START_LEAD_S - 1e-9 and start >= last_up
    assert (start - origin) / BEAT == pytest.approx(round((start - origin) / BEAT))  # on a beat
    for (_, t), n in zip(ons, want, strict=True):
        assert t == pytest.approx(start + (n.start - first) * BEAT)
    assert rig.states[-1] == IDLE
    kinds = [k for k, *_ in rig.rec.events]
    assert kinds.count("on") == kinds.count("off")


def test_a_new_phrase_cuts_the_answer_off(rig) -> None:
    rig.play(60, 1.0, 0.0)
    rig.clock.run(1.0)
    rig.answer()
    rig.clock.run(1.0)  # the answer is playing
    assert rig.states[-1] == RESPONDING
    assert rig.sched.pending(OWNER) or rig.sched.sounding(OWNER)
    rig.cr.feed(MidiEvent((NOTE_ON, 72, 90), rig.clock.now()))
    rig.clock.settle()
    assert rig.states[-1] == LISTENING
    assert rig.sched.pending(OWNER) == 0 and rig.sched.sounding(OWNER) == []
    kinds = [k for k, *_ in rig.rec.events]
    assert kinds.count("on") == kinds.count("off")  # what sounded was ended at once


def test_an_answer_that_comes_too_late_is_dropped(rig) -> None:
    rig.play(60, 1.0, 0.0)
    rig.clock.run(1.0)
    assert len(rig.jobs) == 1
    rig.cr.feed(MidiEvent((NOTE_ON, 64, 90), rig.clock.now()))  # plays on before the answer
    rig.clock.settle()
    rig.answer()
    rig.clock.run(3.0)
    assert rig.cr.answers == 0 and rig.rec.events == []


class NoSteps(Engine):
    name = "nosteps"
    verbs: ClassVar = (Verb("continue", (TEMPERATURE, SEED), "notes", "no steps"),)


def test_engines_that_cannot_answer_are_refused(engine) -> None:
    check_responder(engine, "rnn")
    from engines.gan.engine import GanEngine

    with pytest.raises(ValueError, match="the gan engine cannot answer a phrase: it has no"):
        check_responder(GanEngine, "gan")
    with pytest.raises(ValueError, match="its continue verb takes no notes, steps"):
        check_responder(NoSteps, "nosteps")


def test_respond_with_an_engine_not_loaded_or_unable_fails_at_start(engine) -> None:
    daemon = Daemon({"rnn": engine, "nosteps": NoSteps}, port=0)  # never started
    for name, message in (("vae", "the vae engine is not loaded"), ("nosteps", "takes no")):
        live = Live(daemon, LiveOptions(midi_in="any", respond_with=name), realtime=False)
        with pytest.raises(ValueError, match=message):
            live.start()  # before any MIDI port is opened
