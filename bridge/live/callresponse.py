"""Call and response from a MIDI input, in the manner of magenta's MIDI interface.

The performer plays a phrase into the bridge's MIDI input. The phrase ends after
``silence`` seconds with no key held, or ``bars`` bars after its first note (whichever comes
first; either can be off). The bridge then continues the phrase with an engine's
``continue`` verb (the rnn's unless ``bridge serve --respond-with`` names another, such as
``perf``, which answers a phrase of chords with chords and velocities of its own; on an
inference worker, never on the MIDI or scheduler thread) and plays the answer on the MIDI
output, starting on the next beat of the performer's grid (the grid's
origin is the phrase's first note). Then it listens again.

States, sent over OSC as ``/bridge/callresponse/state <state>``:
- ``idle``: waiting for the performer's first note;
- ``listening``: a phrase is being played;
- ``responding``: the answer is being generated or played. A note from the performer
  during the answer cuts it off (its sounding notes end) and starts a new phrase.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bridge.live.clock import Clock, MonotonicClock, beats_to_seconds, seconds_to_beats
from bridge.live.midi import NOTE_OFF, NOTE_ON, MidiEvent
from bridge.live.scheduler import PlayedNote, Scheduler
from engines.notes import BEATS_PER_BAR, STEPS_PER_BAR, STEPS_PER_BEAT, Note, bar_padded_steps

log = logging.getLogger(__name__)

IDLE, LISTENING, RESPONDING = "idle", "listening", "responding"
OWNER = "callresponse"
MAX_RESPONSE_BARS = 8
START_LEAD_S = 0.1  # the answer starts on the first beat at least this far ahead
VERB = "continue"
VERB_PARAMS = ("notes", "temperature", "seed")
LENGTH_PARAMS = ("steps", "beats")  # the answer's length: 16th steps, or beats (perf)


def check_responder(engine: Any, name: str) -> None:
    """Raise ValueError unless ``engine`` can answer a phrase: a ``continue`` verb that
    takes notes, steps (or beats), temperature and seed and replies with notes."""
    try:
        verb = engine.verb(VERB)
    except (AttributeError, ValueError):
        raise ValueError(
            f"the {name} engine cannot answer a phrase: it has no {VERB} verb"
        ) from None
    missing = [p for p in VERB_PARAMS if verb.param(p) is None]
    if all(verb.param(p) is None for p in LENGTH_PARAMS):
        missing.insert(1, "steps")
    if missing or verb.reply != "notes":
        what = f"takes no {', '.join(missing)}" if missing else f"replies {verb.reply}"
        raise ValueError(f"the {name} engine cannot answer a phrase: its {VERB} verb {what}")


def continue_values(engine: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter of the engine's ``continue`` verb: ``values``, else its default."""
    return {p.name: values.get(p.name, p.default) for p in engine.verb(VERB).params}


@dataclass(frozen=True)
class CallResponseOptions:
    """``silence`` seconds (0: off) or ``bars`` (0: off) end a phrase; the answer is
    ``response_bars`` long (0: as many whole bars as the call, at most 8)."""

    silence: float = 1.0
    bars: int = 0
    response_bars: int = 0
    temperature: float = 1.0
    channel: int = 1
    seed: int | None = None

    def __post_init__(self) -> None:
        if self.silence < 0 or self.bars < 0:
            raise ValueError("phrase silence and bars must be >= 0")
        if self.silence == 0 and self.bars == 0:
            raise ValueError("a phrase must end somehow: give a silence or a number of bars")
        if not 0 <= self.response_bars <= MAX_RESPONSE_BARS:
            raise ValueError(f"response bars must be 0..{MAX_RESPONSE_BARS}")
        if not 1 <= self.channel <= 16:
            raise ValueError(f"channel must be 1..16, got {self.channel}")


class CallResponse:
    """The listen -> answer -> listen loop. ``feed`` takes MIDI input events (any thread).

    ``engine`` answers with its ``continue`` verb (see ``check_responder``; replace it by
    assigning ``engine``). ``submit(job)`` runs inference elsewhere (the daemon's workers);
    ``tempo()`` gives the BPM (fixed, or the followed MIDI clock's); ``on_state(state)``
    reports state changes.
    """

    def __init__(
        self,
        engine: Any,
        scheduler: Scheduler,
        submit: Callable[[Callable[[], None]], bool],
        *,
        options: CallResponseOptions | None = None,
        tempo: Callable[[], float] = lambda: 120.0,
        on_state: Callable[[str], None] | None = None,
        clock: Clock | None = None,
        name: str = "bridge-callresponse",
    ) -> None:
        self.engine = engine
        self.scheduler = scheduler
        self.submit = submit
        self.options = options or CallResponseOptions()
        self.tempo = tempo
        self.on_state = on_state
        self.clock: Clock = clock or scheduler.clock or MonotonicClock()
        self.name = name
        self.state = IDLE
        self.answers = 0
        self._cond = threading.Condition()
        self._inbox: list[MidiEvent] = []
        self._held: dict[int, tuple[float, int]] = {}  # pitch -> (start time, velocity)
        self._phrase: list[tuple[int, float, float, int]] = []  # pitch, start, end, velocity
        self._origin = 0.0  # the phrase's first note-on
        self._last = 0.0  # the last note event of the phrase
        self._generation = itertools.count(1)
        self._current = 0  # the answer being prepared or played; 0: none
        self._thread: threading.Thread | None = None
        self._running = False

    def start(self) -> CallResponse:
        self._running = True
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()
        self._set_state(IDLE)
        return self

    def close(self, timeout: float = 2.0) -> None:
        with self._cond:
            self._running = False
            self._current = 0
            self._cond.notify_all()
        self.scheduler.cancel(OWNER)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def feed(self, event: MidiEvent) -> None:
        """A note-on/off from the MIDI input (other messages are ignored)."""
        kind = event.message[0] & 0xF0 if event.message else 0
        if kind in (NOTE_ON, NOTE_OFF) and len(event.message) >= 3:
            with self._cond:
                self._inbox.append(event)
                self._cond.notify_all()

    # -- the listening thread -------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        self.state = state
        log.info("call and response: %s", state)
        if self.on_state is not None:
            try:
                self.on_state(state)
            except Exception as exc:
                log.error("state report failed: %r", exc)

    def _deadline(self) -> float | None:
        """When the phrase ends if nothing more is played (None: not listening)."""
        if self.state != LISTENING:
            return None
        ends = []
        if self.options.silence > 0 and not self._held:
            ends.append(self._last + self.options.silence)
        if self.options.bars > 0:
            bar = beats_to_seconds(BEATS_PER_BAR, self.tempo())
            ends.append(self._origin + self.options.bars * bar)
        return min(ends) if ends else None

    def _loop(self) -> None:
        try:
            with self._cond:
                while self._running:
                    events, self._inbox = self._inbox, []
                    for event in events:
                        self._handle(event)
                    deadline = self._deadline()
                    now = self.clock.now()
                    if deadline is not None and deadline <= now:
                        self._end_phrase(deadline)
                        continue
                    if not self._inbox:
                        self.clock.wait(self._cond, None if deadline is None else deadline - now)
        finally:
            forget = getattr(self.clock, "forget", None)
            if forget is not None:
                forget()

    def _handle(self, event: MidiEvent) -> None:
        status, pitch, velocity = event.message[0] & 0xF0, event.message[1], event.message[2]
        t = event.time
        if status == NOTE_ON and velocity > 0:
            if self.state != LISTENING:
                if self.state == RESPONDING:  # the performer cuts in: stop the answer
                    self._current = 0
                    self.scheduler.cancel(OWNER)
                self._phrase, self._held, self._origin = [], {}, t
                self._set_state(LISTENING)
            if pitch in self._held:  # re-struck without a note-off
                self._release(pitch, t)
            self._held[pitch] = (t, velocity)
            self._last = t
        elif self.state == LISTENING and pitch in self._held:
            self._release(pitch, t)
            self._last = t

    def _release(self, pitch: int, t: float) -> None:
        start, velocity = self._held.pop(pitch)
        self._phrase.append((pitch, start, t, velocity))

    def _end_phrase(self, t: float) -> None:
        for pitch in list(self._held):
            self._release(pitch, t)
        bpm = self.tempo()
        notes = [
            Note(
                p,
                seconds_to_beats(s - self._origin, bpm),
                max(seconds_to_beats(e - s, bpm), 0.25),
                v,
            )
            for p, s, e, v in self._phrase
        ]
        self._phrase = []
        if not notes:
            self._set_state(IDLE)
            return
        bars = self.options.response_bars or bar_padded_steps(notes) // STEPS_PER_BAR
        steps = max(1, min(bars, MAX_RESPONSE_BARS)) * STEPS_PER_BAR
        self._current = answer = next(self._generation)
        self._set_state(RESPONDING)
        origin = self._origin
        if not self.submit(lambda: self._answer(answer, notes, steps, bpm, origin)):
            log.warning("call and response: the workers are busy; no answer this time")
            self._current = 0
            self._set_state(IDLE)

    # -- on an inference worker -----------------------------------------------------------

    def _answer(
        self, answer: int, notes: list[Note], steps: int, bpm: float, origin: float
    ) -> None:
        o = self.options
        engine = self.engine
        values = {"notes": notes, "steps": steps, "beats": steps / STEPS_PER_BEAT,
                  "temperature": o.temperature, "seed": o.seed}  # fmt: skip
        try:
            reply = engine.call(VERB, continue_values(engine, values))
        except Exception as exc:
            log.error("call and response: the model failed: %r", exc)
            reply = []
        with self._cond:
            if answer != self._current or not self._running:
                return  # the performer played again meanwhile
            if not reply:
                self._current = 0
                self._set_state(IDLE)
                return
            beat = beats_to_seconds(1.0, bpm)
            now = self.clock.now()
            # the first beat of the performer's grid at least START_LEAD_S ahead
            k = int((now + START_LEAD_S - origin) / beat) + 1
            start = origin + k * beat
            first = min(n.start for n in reply)  # the answer's leading rest is dropped
            end = start
            for n in reply:
                on = start + beats_to_seconds(n.start - first, bpm)
                off = on + beats_to_seconds(n.duration, bpm)
                end = max(end, off)
                self.scheduler.play(
                    PlayedNote(
                        owner=OWNER,
                        pitch=n.pitch,
                        velocity=n.velocity,
                        on_time=on,
                        off_time=off,
                        channel=o.channel,
                        duration_beats=n.duration,
                    )
                )
            self.answers += 1
            self.scheduler.call_at(end, OWNER, lambda: self._answered(answer))

    def _answered(self, answer: int) -> None:
        with self._cond:
            if answer == self._current and self.state == RESPONDING:
                self._current = 0
                self._set_state(IDLE)
                self._cond.notify_all()
