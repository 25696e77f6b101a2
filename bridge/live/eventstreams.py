"""Real-time polyphonic streams: timed note events from an event-streaming engine's sessions.

A stream of an ``engines.base.EventStreamingEngine`` (the ``perf`` engine) is a session that
says note-ons and note-offs at any beat: chords (several notes at one onset), overlapping
notes, free rhythm, each note its own velocity. This worker asks each session for its events
ahead of the clock and hands finished notes to the scheduler, which only sends them (the
thread keeping time never runs the model). Time is the stream's clock in beats at its tempo
(``TempoMap``: a 16th-note step is a quarter beat; events fall between steps), so a tempo
change moves every note not yet sounded, and a stream follows a MIDI clock like a grid
stream.

- **Lookahead.** A note is handed to the scheduler ``LEAD_BEATS`` (half a beat) before it
  sounds, never less than ``MIN_LEAD_S`` (0.1 s); the worker asks the session for events a
  quarter beat (``CHUNK_BEATS``) at a time, keeping a snapshot before each call.
- **Duration rule.** ``/bridge/note`` carries the note's duration, so before a note-on is
  committed the worker asks on until the note's off is known. A note lasts at most
  ``MAX_NOTE_BEATS`` (4 beats): a longer one is ended there (the model's later off for it is
  not played). Notes of one chord are committed together and leave at the same instant.
- **set / feed.** New density, pitch classes, temperature or top-p, and the performer's fed
  notes, take effect from the first event not yet promised: the worker restores the session
  to the snapshot of the first quarter beat after every committed note (its note-off
  included) and asks again. Fed notes are heard by the session (``EventSession.feed``), not
  played; the model's clock moves past them while the stream's does not, so the model goes
  on right after what it heard, with no gap in the stream.
- **Pause.** Notes sounding at a pause are ended there (``Scheduler.cancel``); the notes
  handed to the scheduler but not yet sounding are not lost: the stream keeps them
  (``EventStream.queued``), puts them back among the notes to commit, and goes on after the
  resume from the beat that was sounding at the pause, so they play in their places on the
  new timeline (they are already generated: the session is not rewound for them).
- **End.** With ``beats N`` notes are cut at beat N and ``done`` follows; stop, an engine
  swap and shutdown end every sounding note at once (``Scheduler.cancel``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge.live.clock import TempoMap, check_tempo
from bridge.live.scheduler import PlayedNote
from bridge.live.streams import MIN_LEAD_S, START_DELAY_S
from bridge.live.worker import WorkerBase
from engines.notes import STEPS_PER_BEAT

log = logging.getLogger(__name__)

LEAD_BEATS = 0.5
BATCH_BEATS = 0.25  # also commit what is due within this much more
CHUNK_BEATS = 0.25  # one session call covers at most this much of the stream
MAX_NOTE_BEATS = 4.0
EPS = 1e-9


@dataclass(frozen=True)
class EventStreamOptions:
    """What ``/bridge/<engine>/stream/start`` asked for, besides the engine's values.
    ``beats`` 0 plays until stopped; ``lookahead_s`` > 0 announces each note that much early;
    ``listen``: the stream hears the notes played into the bridge's MIDI input."""

    tempo: float = 120.0
    channel: int = 1
    beats: float = 0.0
    lookahead_s: float = 0.0
    listen: bool = True


@dataclass(slots=True)
class _Note:
    pitch: int
    on: float
    off: float
    velocity: int
    serial: int  # the session call whose events completed it


@dataclass(slots=True)
class _Chunk:
    """Before one session call: where the stream was and the session's state."""

    start: float
    state: Any
    offset: float
    open: dict[int, tuple[float, int]]
    cut: set[int]
    serial: int


@dataclass(eq=False)
class EventStream:
    """One playing event stream. Its fields belong to the worker thread, except ``stopped``.

    Beats are the stream's (0: where it starts playing); ``offset`` is the session's beat
    minus the stream's (the primer's length, plus every feed's).
    """

    id: int
    options: EventStreamOptions
    client: Any
    request_id: int
    primer: list[Any]
    values: dict[str, Any] = field(default_factory=dict)
    route: Any = None
    tempo: TempoMap | None = None
    session: Any = None  # engines.base.EventSession, opened on the worker thread
    offset: float = 0.0
    gen: float = 0.0  # the session has said everything before this beat
    open: dict[int, tuple[float, int]] = field(default_factory=dict)  # pitch -> (on, velocity)
    cut: set[int] = field(default_factory=set)  # ended at MAX_NOTE_BEATS; model's off ignored
    ready: list[_Note] = field(default_factory=list)  # known ends, not yet committed
    chunks: list[_Chunk] = field(default_factory=list)
    serial: int = 0
    commit: float = 0.0  # every note starting before this beat is committed
    last_end: float = 0.0  # the latest end of a committed note
    base: float = 0.0  # the beat the stream (re)started from: placed at the start or resume
    # committed notes handed to the scheduler and not yet sounding: a pause plays them later
    queued: list[tuple[_Note, PlayedNote]] = field(default_factory=list)
    paused: bool = False
    placed: bool = False
    stopped: bool = False
    done_queued: bool = False
    feeds_waiting: int = 0

    @property
    def limit(self) -> float:
        return self.options.beats if self.options.beats > 0 else math.inf

    def time_of(self, beat: float) -> float:
        assert self.tempo is not None
        return self.tempo.time_of(beat * STEPS_PER_BEAT)

    def lead(self) -> float:
        assert self.tempo is not None
        return max(LEAD_BEATS * STEPS_PER_BEAT * self.tempo.step_seconds, MIN_LEAD_S)

    def horizon(self, now: float) -> float:
        """The beat up to which notes must be committed at ``now``."""
        assert self.tempo is not None
        reach = self.tempo.step_at(now + self.lead()) / STEPS_PER_BEAT + BATCH_BEATS
        return min(reach, self.limit)

    def blocked(self) -> float:
        """The earliest beat whose notes cannot be committed yet: the first note whose end
        is unknown, or where the session's events end."""
        return min([self.gen, *(on for on, _ in self.open.values())])

    def due(self) -> float:
        """The earliest beat with something to do: a note waiting, or :meth:`blocked`."""
        return min([self.blocked(), *(n.on for n in self.ready)])


def reanchor(tempo: TempoMap, t: float, step: float, bpm: float | None = None) -> None:
    """Place the (fractional) ``step`` at clock time ``t``, optionally at a new tempo: events
    fall between steps, so a tempo change keeps the moment it happens where it is."""
    if bpm is not None:
        tempo.bpm = check_tempo(bpm)
    tempo.anchor_time, tempo.anchor_step = float(t), step  # type: ignore[assignment]


class EventStreamWorker(WorkerBase):
    """Plays every stream of one event-streaming engine; see the module doc and
    ``bridge.live.worker.WorkerBase`` (thread, inbox, requests)."""

    def start_stream(
        self,
        sid: int,
        options: EventStreamOptions,
        primer: Sequence[Any],
        values: Mapping[str, Any] | None = None,
        *,
        client: Any = None,
        request_id: int = -1,
        route: Any = None,
        paused: bool = False,
    ) -> EventStream:
        """Add a stream; the worker opens the engine's session with ``values`` (its
        ``event_stream_params``) having heard the ``primer`` notes, and it plays from a
        moment later (or, ``paused``, once ``resume`` is called)."""
        s = EventStream(sid, options, client, request_id, list(primer), dict(values or {}), route)
        s.paused = paused
        self._add(s, lambda: self._prime(s))
        return s

    @property
    def set_params(self) -> tuple[Any, ...]:
        """What ``stream/set`` may change besides the tempo."""
        return tuple(type(self.engine).event_stream_set_params)

    def check(self, values: Mapping[str, Any]) -> None:
        """ValueError (the engine's words) for values a session refuses; cheap enough for
        the socket thread: a session with no primer is opened and dropped."""
        self.engine.open_event_session(dict(values), ())

    def set_values(self, sid: int, values: Mapping[str, Any]) -> None:
        """As ``WorkerBase.set_values``; ValueError (checked here, on the caller's thread)
        for values a session refuses."""
        self.check(values)
        super().set_values(sid, values)

    def start_args(
        self, request: Any, tempo: float
    ) -> tuple[list[Any], dict[str, Any], EventStreamOptions]:
        """A ``stream/start`` request's primer notes, engine values and options (the socket
        thread: ValueError for values the engine refuses)."""
        params = type(self.engine).event_stream_params
        values = {p.name: request[p.name] for p in params if p.kind != "notes"}
        self.check(values)
        primer = list(request.values.get("notes") or [])
        self.engine.check_notes(primer)
        options = EventStreamOptions(
            tempo=tempo,
            channel=int(request["channel"]),
            beats=float(request["beats"]),
            lookahead_s=float(request["lookahead"]) / 1000.0,
            listen=bool(request["listen"]),
        )
        return primer, values, options

    def feed_args(self, notes: Sequence[Any]) -> list[Any]:
        """A feed's notes as ``feed`` takes them: ValueError (on the socket thread, before
        anything is queued) for notes the engine refuses, by the primer's rule."""
        notes = list(notes)
        self.engine.check_notes(notes)
        return notes

    # -- commands (worker thread) ---------------------------------------------------------

    def _prime(self, s: EventStream) -> None:
        if s.stopped:
            return
        try:
            s.session = self.engine.open_event_session(s.values, s.primer)
        except ValueError as exc:
            self._fail([s], str(exc))
            return
        s.offset = s.session.beat
        now = self.clock.now()
        s.tempo = TempoMap(s.options.tempo, now)
        reanchor(s.tempo, now + START_DELAY_S + s.lead(), 0.0)

    def _pause(self, s: EventStream) -> None:
        # The notes sounding now are ended; those handed over but not yet sounding go back
        # among the notes to commit, and the stream goes on from the beat sounding now, so
        # after the resume they play in their places (nothing of the model's music is lost).
        if s.paused or s.tempo is None:
            s.paused = True
            return
        with self.scheduler.lock:
            now = self.clock.now()
            again = [n for n, p in s.queued if p.state == "pending" and p.on_time >= now]
            self.scheduler.cancel(s.id)
        s.queued.clear()
        s.paused = True
        # the beat sounding now; before the (re)start point, nothing played yet; past the
        # commit point (the model fell behind), nothing was handed over from there on
        beat = max(min(s.tempo.step_at(now) / STEPS_PER_BEAT, s.commit), s.base)
        beat = min([beat, *(n.on for n in again)])
        s.ready.extend(again)  # already generated: a rewind keeps them (see ``_rewind``)
        s.commit = beat
        s.last_end = min(s.last_end, beat)  # sounding notes ended here; the others wait
        s.done_queued = False

    def _resume(self, s: EventStream, at: float, bpm: float | None) -> None:
        if s.tempo is not None:
            reanchor(s.tempo, at, s.commit * STEPS_PER_BEAT, bpm)
            s.base = s.commit
            s.paused = False
            s.placed = False

    def _set_tempo(self, s: EventStream, bpm: float) -> None:
        if s.tempo is None:
            return
        with self.scheduler.lock:
            now = self.clock.now()
            reanchor(s.tempo, now, s.tempo.step_at(now), bpm)
            self.scheduler.retime(s.id, s.tempo.time_of)

    def _rewind(self, s: EventStream) -> None:
        """Forget events nothing promised yet: back to the first session call that began
        after every committed note (its off included).

        After a pause the notes put back in ``ready`` lie before the old boundary, whose
        chunks ``_commit`` already dropped: every chunk left began after they were complete
        (a later serial), so they stay."""
        boundary = max(s.commit, s.last_end)
        k = next((i for i, c in enumerate(s.chunks) if c.start > boundary + EPS), None)
        if k is not None:
            c = s.chunks[k]
            s.session.restore(c.state)
            s.gen, s.offset, s.open, s.cut = c.start, c.offset, dict(c.open), set(c.cut)
            s.ready = [n for n in s.ready if n.serial < c.serial]
        s.chunks.clear()  # earlier ones are promised; a later rewind must not undo this

    def _set_values(self, s: EventStream, values: dict[str, Any]) -> None:
        if s.session is None:
            s.values.update(values)
            return
        self._rewind(s)
        try:
            s.session.set(values)
        except ValueError as exc:  # checked on the socket thread; the stream plays on
            log.warning("stream %d: set refused: %s", s.id, exc)

    def _feed(self, s: EventStream, notes: list[Any]) -> None:
        if s.session is None:
            return
        self._rewind(s)
        before = s.session.beat
        try:
            s.session.feed(notes)
        except ValueError as exc:
            log.warning("stream %d: feed refused: %s", s.id, exc)
        s.offset += s.session.beat - before

    # -- generating (worker thread) -------------------------------------------------------

    def _generate(self, streams: list[EventStream], now: float) -> None:
        for s in streams:
            h = s.horizon(now)
            while not s.stopped and s.gen < s.limit:
                pending = any(on < h for on, _ in s.open.values())
                if s.gen >= h and not pending:
                    break
                self._chunk(s)
            if s.gen >= s.limit:
                self._cut(s, s.limit, s.limit)

    def _chunk(self, s: EventStream) -> None:
        """One session call: the events of the next ``CHUNK_BEATS``."""
        session = s.session
        s.chunks.append(_Chunk(s.gen, session.snapshot(), s.offset, dict(s.open), set(s.cut),
                               s.serial))  # fmt: skip
        until = min(s.gen + CHUNK_BEATS, s.limit)
        began = self.clock.now()
        events = session.next_events(until + s.offset)
        if self.step_times_ms is not None:
            self.step_times_ms.append((1, 1000 * (self.clock.now() - began)))
        for beat, kind, pitch, velocity in events:
            b = beat - s.offset
            if kind == "on":
                s.cut.discard(pitch)
                s.open[pitch] = (b, int(velocity))
            elif pitch in s.cut:
                s.cut.discard(pitch)
            elif pitch in s.open:
                on, v = s.open.pop(pitch)
                s.ready.append(_Note(pitch, on, max(b, on), v, s.serial))
        s.gen = max(session.beat - s.offset, until)
        self._cut(s, s.gen - MAX_NOTE_BEATS, None)
        s.serial += 1

    def _cut(self, s: EventStream, before: float, at: float | None) -> None:
        """End the open notes that started at or before ``before``: at ``at``, or
        ``MAX_NOTE_BEATS`` after their start."""
        for pitch, (on, v) in list(s.open.items()):
            if on <= before + EPS:
                del s.open[pitch]
                s.cut.add(pitch)
                end = on + MAX_NOTE_BEATS if at is None else at
                if on < s.limit:
                    s.ready.append(_Note(pitch, on, min(end, s.limit), v, s.serial))

    # -- committing (worker lock held) ----------------------------------------------------

    def _wake(self, s: EventStream) -> float:
        if s.tempo is None or s.paused or s.stopped or s.commit >= s.limit:
            return math.inf
        beat = max(s.due(), s.commit) - BATCH_BEATS
        return s.tempo.time_of(beat * STEPS_PER_BEAT) - s.lead()

    def _commit(self, s: EventStream, now: float) -> None:
        if s.paused or s.tempo is None:
            return
        if not s.placed:
            # the first note sounds a lead after it is ready, however long priming took
            s.placed = True
            at = max(s.time_of(s.commit), now + s.lead())
            reanchor(s.tempo, at, s.commit * STEPS_PER_BEAT)
        to = min(s.horizon(now), s.blocked())
        if to > s.commit:
            due = sorted((n for n in s.ready if n.on < to), key=lambda n: (n.on, n.pitch))
            s.ready = [n for n in s.ready if n.on >= to]
            current = self.clock.now()
            for n in due:
                if n.on >= s.limit:
                    continue
                off = min(n.off, s.limit)
                on_time = s.time_of(n.on)
                if on_time < current:
                    log.warning("stream %d: a note at beat %.3f committed %.1f ms late",
                                s.id, n.on, 1000 * (current - on_time))  # fmt: skip
                played = PlayedNote(
                    owner=s.id,
                    pitch=n.pitch,
                    velocity=n.velocity,
                    on_time=on_time,
                    off_time=max(s.time_of(off), on_time),
                    channel=s.options.channel,
                    duration_beats=off - n.on,
                    on_step=n.on * STEPS_PER_BEAT,  # type: ignore[arg-type]
                    off_step=off * STEPS_PER_BEAT,  # type: ignore[arg-type]
                    lead=s.options.lookahead_s,
                    route=s.route,
                )
                self.scheduler.play(played)
                s.queued.append((_Note(n.pitch, n.on, off, n.velocity, n.serial), played))
                s.last_end = max(s.last_end, off)
            s.commit = to
        # only notes not yet sounding are kept: about a lead's worth
        s.queued = [(n, p) for n, p in s.queued if p.state == "pending" and p.on_time >= now]
        if s.commit >= s.limit and not s.done_queued:
            s.done_queued = True
            end = s.limit * STEPS_PER_BEAT
            self.scheduler.call_at(s.tempo.time_of(end), s.id, lambda: self._finish(s),
                                   step=end)  # type: ignore[arg-type]  # fmt: skip
        # snapshots from before the promised point are never restored again
        boundary = max(s.commit, s.last_end)
        keep = next((i for i, c in enumerate(s.chunks) if c.start > boundary + EPS), None)
        del s.chunks[: len(s.chunks) if keep is None else keep]


__all__ = ["EventStream", "EventStreamOptions", "EventStreamWorker", "MAX_NOTE_BEATS"]
