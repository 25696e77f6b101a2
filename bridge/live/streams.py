"""Real-time streams: a worker thread samples every stream of one engine, ahead of the clock.

How a stream plays (the numbers are the constants below):

- **Lookahead margin.** A step's notes are handed to the scheduler ``LEAD_STEPS`` (2) steps
  before they sound, and never less than ``MIN_LEAD_S`` (0.1 s) ahead; the scheduler then
  sends them at their time. A slow model step therefore delays nothing unless it takes longer
  than the margin (250 ms at 120 BPM). To batch streams whose steps do not line up, the worker
  also commits any step due within one more step (``BATCH_STEPS``).
- **Duration rule.** ``/bridge/note`` carries the note's duration, which the model decides
  only when it samples the next note-on or note-off. So before a note-on is committed the
  worker samples on until the note's end is known. A note is at most ``MAX_NOTE_STEPS`` (16
  steps, one bar) long: a note the model would hold longer is ended there, and the model is
  fed OFF instead of the HOLD it sampled, so its context matches what was heard. With
  ``steps N`` the last note is cut at step N.
- **Batching.** All streams that need a token at a wake-up are stepped together: one
  ``Session.sample()`` per stream (its own seeded generator and temperature) and one
  ``engine.advance(sessions, tokens)`` for all of them. The engine keeps a stream's numbers
  (so its notes for a seed) independent of the streams beside it.
- **set / feed.** Tempo takes effect exactly at the next step: queued notes are moved
  (``Scheduler.retime``). Temperature and fed notes take effect from the first step that is not
  yet promised (committed to the scheduler, or inside a committed note): the worker rewinds
  the session to the state it had before that step (it keeps ``Session.snapshot()`` per step)
  and samples again. Fed notes are the performer's: they join the model's context (padded to whole
  bars, so the model keeps its place in the bar), they are not played. At most
  ``MAX_FEEDS_WAITING`` feeds of one stream wait (``bridge.live.worker``). A feed is taken in
  ``FEED_CHUNK`` steps per round of the worker, each round also stepping the other streams: a
  long feed holds up only its own stream, which samples nothing until the feed is in (and, if
  that made it late, starts again a lead after).

The engine (``engines.base.StreamingEngine``) keeps every tensor; nothing here knows them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bridge.live.clock import TempoMap
from bridge.live.scheduler import PlayedNote
from bridge.live.worker import MAX_FEEDS_WAITING, FeedChunk, WorkerBase, raise_priority
from engines.notes import HOLD, OFF, STEPS_PER_BEAT, is_note_on, token_pitch

log = logging.getLogger(__name__)

LEAD_STEPS = 2
MIN_LEAD_S = 0.1
BATCH_STEPS = 1
MAX_NOTE_STEPS = 16
KEEP_STEPS = 64  # sampled steps kept behind the commit point (pause/resume needs a few)
START_DELAY_S = 0.05  # after priming, step 0 sounds this long after the lead
FEED_CHUNK = 64  # fed steps per worker round (a few ms): other streams step between chunks


@dataclass(frozen=True)
class StreamOptions:
    """What ``/bridge/<engine>/stream/start`` asked for, besides the engine's own values.
    ``steps`` 0 plays until stopped; ``lookahead_s`` > 0 announces each note that much early
    (the OSC sink sends a timetagged bundle)."""

    tempo: float = 120.0
    channel: int = 1
    steps: int = 0
    lookahead_s: float = 0.0
    velocity: int = 100


@dataclass(slots=True)
class _Snap:
    """Before sampling one step: the session's state and the step of the note-on sounding
    then (the model's view), if any."""

    state: Any
    since: int | None


@dataclass(eq=False)
class Stream:
    """One playing stream. Its fields belong to the worker thread, except ``stopped``.

    ``values`` are the engine's ``stream_params`` (the session opens with them); ``client``
    and ``request_id`` are the caller's (who started it); ``route`` goes with every note to
    the sinks (opaque here).
    """

    id: int
    options: StreamOptions
    client: Any
    request_id: int
    primer: list[int]
    values: dict[str, Any] = field(default_factory=dict)
    route: Any = None
    tempo: TempoMap | None = None
    session: Any = None  # engines.base.Session, opened on the worker thread
    tokens: list[int] = field(default_factory=list)
    snaps: list[_Snap] = field(default_factory=list)  # snaps[i]: before step snap_base + i
    snap_base: int = 0
    base: int = 0  # tokens[i] is step base + i
    commit: int = 0  # the next step to hand to the scheduler
    last_end: int = -1  # the end step of the last committed note
    since: int | None = None  # model view at ``gen``: the note-on sounding, if any
    force_end: int | None = None  # a committed note ends here: a HOLD sampled here is OFF
    paused: bool = False
    placed: bool = False  # the first step (or the first after a resume) has its time
    stopped: bool = False
    done_queued: bool = False
    feeds_waiting: int = 0  # feeds queued or being taken in (under the worker's lock)
    feeding: bool = False  # a feed is being taken in: nothing is sampled meanwhile

    @property
    def gen(self) -> int:
        """The next step to sample."""
        return self.base + len(self.tokens)

    @property
    def limit(self) -> float:
        return self.options.steps if self.options.steps > 0 else math.inf

    def lead(self) -> float:
        assert self.tempo is not None
        return max(LEAD_STEPS * self.tempo.step_seconds, MIN_LEAD_S)

    def horizon(self, now: float) -> int:
        """The last step to commit at ``now`` (may be below ``commit``: nothing to do)."""
        assert self.tempo is not None
        reach = now + self.lead() + BATCH_STEPS * self.tempo.step_seconds
        step = math.floor(self.tempo.step_at(reach) + 1e-9)
        return int(min(step, self.limit - 1))

    def needs_token(self, now: float) -> bool:
        if self.tempo is None or self.paused or self.stopped or self.feeding:
            return False
        if self.gen >= self.limit:
            return False
        h = self.horizon(now)
        # Sample up to the horizon, and past it until the last note-on's end is known.
        return self.gen <= h or (self.since is not None and self.since <= h)

    def token(self, step: int) -> int:
        return self.tokens[step - self.base]


class StreamWorker(WorkerBase):
    """Samples every stream of one streaming engine (``engines.base.StreamingEngine``) in
    batched steps and commits their notes; the thread, inbox and requests are
    ``bridge.live.worker.WorkerBase``'s. ``on_done(stream)`` is called when a ``steps N``
    stream ends."""

    def start_stream(
        self,
        sid: int,
        options: StreamOptions,
        primer: list[int],
        values: Mapping[str, Any] | None = None,
        *,
        client: Any = None,
        request_id: int = -1,
        route: Any = None,
        paused: bool = False,
    ) -> Stream:
        """Add a stream; the worker opens the engine's session with ``values`` (its
        ``stream_params``), primed with ``primer`` tokens, and it plays from a moment later
        (or, ``paused``, once ``resume`` is called)."""
        s = Stream(sid, options, client, request_id, list(primer), dict(values or {}), route)
        s.paused = paused
        self._add(s, lambda: self._prime(s))
        return s

    @property
    def set_params(self) -> tuple[Any, ...]:
        """What ``stream/set`` may change besides the tempo."""
        return tuple(type(self.engine).stream_set_params)

    def start_args(self, request: Any, tempo: float) -> tuple[list[int], dict, StreamOptions]:
        """A ``stream/start`` request's primer tokens, engine values and options (the socket
        thread: ValueError for notes the engine refuses)."""
        engine = self.engine
        notes = request.values.get("notes") or []
        primer = engine.grid_tokens(notes)
        values = {p.name: request[p.name] for p in type(engine).stream_params}
        velocity = request["velocity"]
        if velocity is None:
            velocity = round(sum(n.velocity for n in notes) / len(notes)) if notes else 100
        options = StreamOptions(
            tempo=tempo,
            channel=int(request["channel"]),
            steps=int(request["steps"]),
            lookahead_s=float(request["lookahead"]) / 1000.0,
            velocity=int(velocity),
        )
        return primer, values, options

    def feed_args(self, notes: Sequence[Any]) -> list[int]:
        """A feed's notes as this worker's ``feed`` takes them (ValueError if refused)."""
        return self.engine.grid_tokens(notes)  # the primer's limits apply

    def feed(self, sid: int, tokens: Sequence[int]) -> bool:
        """Add the performer's notes, as grid tokens padded to whole bars (the engine's
        ``grid_tokens``, so the model keeps its place in the bar), to the context. False
        (nothing queued) while ``MAX_FEEDS_WAITING`` feeds of this stream wait already;
        KeyError if there is no such stream."""
        return super().feed(sid, list(tokens))

    # -- commands (worker thread) ---------------------------------------------------------

    def _prime(self, s: Stream) -> None:
        if s.stopped:
            return
        s.session = self.engine.open_session(s.values, s.primer)
        now = self.clock.now()
        s.tempo = TempoMap(s.options.tempo, now)
        # Step 0 sounds one lead after now: its notes are sampled in this same wake-up.
        s.tempo.restart(now + START_DELAY_S + s.lead(), 0)

    def _pause(self, s: Stream) -> None:
        if s.paused or s.tempo is None:
            s.paused = True
            return
        with self.scheduler.lock:
            m = s.tempo.next_step_after(self.clock.now())
            self.scheduler.cancel(s.id)
        s.paused = True
        s.commit = max(min(s.commit, m), s.base)
        s.last_end = min(s.last_end, s.commit)
        s.done_queued = False

    def _resume(self, s: Stream, at: float, bpm: float | None) -> None:
        if s.tempo is not None:
            s.tempo.restart(at, s.commit, bpm)
            s.paused = False
            s.placed = False  # ``at`` unless the model is not ready a lead before it

    def _set_tempo(self, s: Stream, bpm: float) -> None:
        if s.tempo is None:  # not primed: it was stopped meanwhile
            return
        with self.scheduler.lock:
            n = s.tempo.next_step_after(self.clock.now())
            s.tempo.set_tempo(bpm, n)
            self.scheduler.retime(s.id, s.tempo.time_of)

    def _rewind(self, s: Stream) -> None:
        """Forget sampled steps that nothing promised yet; the session's state goes back."""
        # (after a pause, steps from the commit point up to snap_base are promised too)
        r = max(s.commit, s.last_end, s.snap_base)
        if r < s.gen:
            snap = s.snaps[r - s.snap_base]
            s.session.restore(snap.state)
            s.since = snap.since
            del s.tokens[r - s.base :]
            del s.snaps[r - s.snap_base :]
        s.force_end = r if (s.since is not None and s.last_end == r) else None

    def _set_values(self, s: Stream, values: dict[str, Any]) -> None:
        if s.session is None:  # not primed yet: the session opens with them
            s.values.update(values)
            return
        s.session.set(values)
        self._rewind(s)

    def _take_feed(self, s: Stream, tokens: list[int]) -> None:
        """A feed's first round (see the module doc)."""
        if s.feeding:  # the stream's earlier feed is not all in: after it
            with self._cond:
                self._inbox.append(FeedChunk(lambda: self._take_feed(s, tokens)))
            return
        if s.stopped or s.session is None:
            if not s.stopped:
                s.primer = s.primer + tokens
            self._fed(s)
            return
        self._rewind(s)
        if s.since is not None and tokens and tokens[0] == HOLD:
            tokens = [OFF, *tokens[1:]]  # our note ends where the performer's part begins
        s.feeding = True
        self._feed_more(s, tokens)

    def _feed_more(self, s: Stream, tokens: list[int]) -> None:
        """One chunk of a feed; the rest waits for the next round, behind other work."""
        if s.stopped:
            s.feeding = False
            self._fed(s)
            return
        s.session.feed(tokens[:FEED_CHUNK])
        rest = tokens[FEED_CHUNK:]
        if rest:
            with self._cond:
                self._inbox.append(FeedChunk(lambda: self._feed_more(s, rest)))
            return
        s.since = None
        s.force_end = None
        s.feeding = False
        if s.tempo is not None and s.tempo.time_of(s.gen) < self.clock.now() + s.lead():
            s.placed = False  # the feed took longer than the lead: start again a lead on
        self._fed(s)

    def _generate(self, streams: list[Stream], now: float) -> None:
        """Sample until every stream can commit up to its horizon; one batched step per
        round."""
        while True:
            rows = [s for s in streams if s.needs_token(now)]
            if not rows:
                return
            tokens = [self._sample(s) for s in rows]
            began = self.clock.now()
            self.engine.advance([s.session for s in rows], tokens)
            if self.step_times_ms is not None:
                self.step_times_ms.append((len(rows), 1000 * (self.clock.now() - began)))

    def _sample(self, s: Stream) -> int:
        """Sample step ``s.gen``, keep the snapshot, apply the note-length rules."""
        j = s.gen
        s.snaps.append(_Snap(s.session.snapshot(), s.since))
        tok = int(s.session.sample())
        if tok == HOLD and s.since is not None:
            if j - s.since >= MAX_NOTE_STEPS or j == s.force_end:
                tok = OFF
        if tok != HOLD:
            s.since = j if is_note_on(tok) else None
            s.force_end = None
        s.tokens.append(tok)
        return tok

    def _wake(self, s: Stream) -> float:
        if s.commit >= s.limit or s.paused or s.tempo is None:
            return math.inf
        return s.tempo.time_of(s.commit) - s.lead()

    def _note_end(self, s: Stream, k: int) -> int | None:
        """The step where the note starting at ``k`` ends, if sampled far enough."""
        for j in range(k + 1, s.gen):
            if s.token(j) != HOLD:
                return j
        if s.gen >= s.limit:
            return int(s.limit)
        return None

    def _commit(self, s: Stream, now: float) -> None:
        """Hand steps up to the horizon to the scheduler (worker lock held)."""
        if s.paused or s.tempo is None:
            return
        if not s.placed:
            # The first step sounds a lead after it is ready, however long priming and the
            # first sampling took (a busy machine, many streams starting at once).
            s.placed = True
            s.tempo.restart(max(s.tempo.time_of(s.commit), now + s.lead()), s.commit)
        h = s.horizon(now)
        tempo = s.tempo
        current = self.clock.now()  # ``now`` was read before sampling, which takes time
        while s.commit <= h and s.commit < s.gen:
            k = s.commit
            tok = s.token(k)
            if is_note_on(tok):
                e = self._note_end(s, k)
                if e is None:
                    break  # cannot happen after _generate; commit it next time
                e = int(min(e, s.limit))
                on = tempo.time_of(k)
                if on < current:
                    log.warning(
                        "stream %d: step %d committed %.1f ms late", s.id, k, 1000 * (current - on)
                    )
                self.scheduler.play(
                    PlayedNote(
                        owner=s.id,
                        pitch=token_pitch(tok),
                        velocity=s.options.velocity,
                        on_time=on,
                        off_time=tempo.time_of(e),
                        channel=s.options.channel,
                        duration_beats=(e - k) / STEPS_PER_BEAT,
                        on_step=k,
                        off_step=e,
                        lead=s.options.lookahead_s,
                        route=s.route,
                    )
                )
                s.last_end = e
            s.commit += 1
        if s.commit >= s.limit and not s.done_queued:
            s.done_queued = True
            end = int(s.limit)
            self.scheduler.call_at(tempo.time_of(end), s.id, lambda: self._finish(s), step=end)
        # Forget what no rewind or resume can need.
        drop = s.commit - KEEP_STEPS - s.base
        if drop > 0:
            del s.tokens[:drop]
            s.base += drop
        # Snapshots are needed only from the commit point on (a rewind never goes further):
        # few kept objects keep the garbage collector's young generations short.
        drop = s.commit - s.snap_base
        if drop > 0:
            del s.snaps[:drop]
            s.snap_base = s.commit


__all__ = ["MAX_FEEDS_WAITING", "Stream", "StreamOptions", "StreamWorker", "raise_priority"]
