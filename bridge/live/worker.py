"""What every stream worker shares: its thread, its streams by number, its command inbox.

A stream worker (``bridge.live.streams``: the 16th-note grid; ``bridge.live.eventstreams``:
timed polyphonic events) runs one engine's model on its own thread, ahead of the clock, and
hands finished notes to the scheduler. Request handlers call ``start_stream``/``set_tempo``/
``set_values``/``feed``/``pause``/``resume``/``stop`` from any thread: each is cheap (a command
is queued) and the engine runs only on the worker's thread. The loop: run the commands queued,
have the subclass generate for every playing stream (``_generate``), commit what is due
(``_commit``), and wait on a condition until the earliest ``_wake`` (never a busy loop).

At most ``MAX_FEEDS_WAITING`` (2) feeds of one stream wait or are being taken in at a time:
``feed`` refuses more (returns False), so a client flooding feeds is refused, and the worker's
queue, shared by every stream of the engine, stays short. At most one feed command
(``FeedChunk``) runs per round of the loop, the streams stepped between: a subclass that takes
a long feed in parts (``_take_feed``) holds up only the stream being fed.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import threading
from collections.abc import Callable, Mapping
from typing import Any

from bridge.live.clock import Clock, MonotonicClock
from bridge.live.scheduler import Scheduler

log = logging.getLogger(__name__)

WORKER_NICE = -10
MAX_FEEDS_WAITING = 2  # feeds of one stream queued or being taken in


def raise_priority(nice: int = WORKER_NICE, group: bool = False) -> bool:
    """Give the calling thread a higher CPU share (Linux; needs CAP_SYS_NICE, else False).

    The worker runs briefly each step, so it must not queue behind a long-running job such
    as a training run; a nice value, unlike a real-time class, cannot starve the machine.
    With ``group``, also the process's autogroup: where the kernel groups tasks by session
    (``sched_autogroup_enabled``), a thread's nice value counts only inside its session, so
    against a training run started from another shell only the group's nice helps. The
    group is the whole session the bridge was started from.
    """
    setter = getattr(os, "setpriority", None)
    if setter is None or not sys.platform.startswith("linux"):
        return False
    try:
        setter(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except OSError:
        return False
    if group:
        try:
            with open("/proc/self/autogroup", "w") as f:
                f.write(str(nice))
        except OSError:  # no autogroups here, or not allowed: the thread's nice stands
            pass
    return True


class FeedChunk:
    """A worker command that takes in (part of) a feed: at most one runs per round."""

    def __init__(self, run: Callable[[], None]) -> None:
        self.run = run

    def __call__(self) -> None:
        self.run()


def one_feed_chunk(
    inbox: list[Callable[[], None]],
) -> tuple[list[Callable[[], None]], list[Callable[[], None]]]:
    """The commands for this round (in order, up to and with the first feed chunk) and the
    ones left for the next."""
    for i, command in enumerate(inbox):
        if isinstance(command, FeedChunk):
            return inbox[: i + 1], inbox[i + 1 :]
    return inbox, []


class WorkerBase:
    """The thread, the streams and the inbox of a stream worker; see the module doc.

    A stream is any object with ``id``, ``stopped``, ``paused``, ``tempo`` (None until primed)
    and ``feeds_waiting``. Subclasses implement ``start_stream`` (add the stream with
    ``_add``), and the worker-thread commands ``_set_values``, ``_set_tempo``, ``_feed``,
    ``_pause``, ``_resume``, and ``_generate``, ``_commit``, ``_wake``.
    ``on_done(stream)`` is called (scheduler thread) when a stream of limited length ends;
    ``on_error(stream, message)`` when the engine fails (the stream is stopped first).
    ``realtime`` raises the worker thread's priority where the system allows it.
    """

    def __init__(
        self,
        engine: Any,
        scheduler: Scheduler,
        clock: Clock | None = None,
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[Any, str], None] | None = None,
        realtime: bool = True,
        name: str = "bridge-streams",
    ) -> None:
        self.engine = engine
        self.realtime = realtime
        self.scheduler = scheduler
        self.clock: Clock = clock or scheduler.clock or MonotonicClock()
        self.on_done = on_done
        self.on_error = on_error
        self.name = name
        self.step_times_ms: list[tuple[int, float]] | None = None  # (batch, ms) if a list
        self._cond = threading.Condition()
        self._streams: dict[int, Any] = {}
        self._inbox: list[Callable[[], None]] = []
        self._thread: threading.Thread | None = None
        self._running = False

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Any:
        if self._thread is not None:
            raise RuntimeError("the stream worker is already started")
        self._running = True
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()
        return self

    def close(self, timeout: float = 2.0) -> list[Any]:
        """Stop every stream (their sounding notes end) and the thread; the streams that
        were playing."""
        with self._cond:
            self._running = False
            streams = list(self._streams.values())
            for s in streams:
                s.stopped = True
            self._streams.clear()
            self._cond.notify_all()
        for s in streams:
            self.scheduler.cancel(s.id)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None
        return streams

    # -- requests (any thread) ------------------------------------------------------------

    def ids(self) -> list[int]:
        with self._cond:
            return sorted(self._streams)

    def get(self, sid: int) -> Any:
        with self._cond:
            return self._streams.get(sid)

    def streams(self) -> list[Any]:
        """The streams playing now."""
        with self._cond:
            return list(self._streams.values())

    def _add(self, s: Any, prime: Callable[[], None]) -> None:
        with self._cond:
            if not self._running:
                raise RuntimeError("the stream worker is not running")
            self._streams[s.id] = s
        self._queue(prime)

    def stop(self, sid: int) -> bool:
        """Stop a stream: its sounding notes end at once and nothing more is committed."""
        with self._cond:
            s = self._streams.pop(sid, None)
            if s is None:
                return False
            s.stopped = True  # the worker commits only under this lock, after checking it
        self.scheduler.cancel(sid)
        return True

    def set_values(self, sid: int, values: Mapping[str, Any]) -> None:
        """New values of the engine's settable parameters, from the first moment not yet
        promised."""
        values = dict(values)
        self._queue_for(sid, lambda s: self._set_values(s, values))

    def set_tempo(self, sid: int, bpm: float) -> None:
        self._queue_for(sid, lambda s: self._set_tempo(s, bpm))

    def feed(self, sid: int, notes: Any) -> bool:
        """Queue the performer's notes (as the subclass's ``_feed`` takes them) for a
        stream. False (nothing queued) while ``MAX_FEEDS_WAITING`` feeds of this stream wait
        already; KeyError if there is no such stream."""
        with self._cond:
            s = self._streams.get(sid)
            if s is None:
                raise KeyError(sid)
            if s.feeds_waiting >= MAX_FEEDS_WAITING:
                return False
            s.feeds_waiting += 1
            self._inbox.append(FeedChunk(lambda: self._take_feed(s, notes)))
            self._cond.notify_all()
        return True

    def feed_room(self, sid: int) -> bool:
        """Whether a feed of this stream would be taken now (see ``feed``); KeyError if
        there is no such stream."""
        with self._cond:
            return self._streams[sid].feeds_waiting < MAX_FEEDS_WAITING

    def _take_feed(self, s: Any, notes: Any) -> None:
        """Take a feed in (worker thread); a subclass that takes it in parts overrides this
        and calls ``_fed`` once it is all in."""
        if not s.stopped:
            self._feed(s, notes)
        self._fed(s)

    def _fed(self, s: Any) -> None:
        with self._cond:
            s.feeds_waiting -= 1

    def pause(self, sid: int) -> None:
        """Silence a stream and hold its place (MIDI clock Stop)."""
        self._queue_for(sid, self._pause)

    def resume(self, sid: int, at: float, bpm: float | None = None) -> None:
        """Go on from where the stream paused, sounding again at clock time ``at``."""
        self._queue_for(sid, lambda s: self._resume(s, at, bpm))

    def _queue(self, command: Callable[[], None]) -> None:
        with self._cond:
            self._inbox.append(command)
            self._cond.notify_all()

    def _queue_for(self, sid: int, command: Callable[[Any], None]) -> None:
        with self._cond:
            s = self._streams.get(sid)
            if s is None:
                raise KeyError(sid)
            self._inbox.append(lambda: None if s.stopped else command(s))
            self._cond.notify_all()

    # -- subclass's part: requests (socket thread) ----------------------------------------

    @property
    def set_params(self) -> tuple[Any, ...]:
        """What ``stream/set`` may change besides the tempo (the engine's declaration)."""
        raise NotImplementedError

    def start_args(self, request: Any, tempo: float) -> tuple[list[Any], dict[str, Any], Any]:
        """A ``stream/start`` request's primer, engine values and options (ValueError for
        what the engine refuses)."""
        raise NotImplementedError

    def feed_args(self, notes: Any) -> Any:
        """A feed's notes as ``feed`` takes them (ValueError for notes refused)."""
        raise NotImplementedError

    # -- subclass's part (worker thread) --------------------------------------------------

    def _set_values(self, s: Any, values: dict[str, Any]) -> None:
        raise NotImplementedError

    def _set_tempo(self, s: Any, bpm: float) -> None:
        raise NotImplementedError

    def _feed(self, s: Any, notes: Any) -> None:
        raise NotImplementedError

    def _pause(self, s: Any) -> None:
        raise NotImplementedError

    def _resume(self, s: Any, at: float, bpm: float | None) -> None:
        raise NotImplementedError

    def _generate(self, streams: list[Any], now: float) -> None:
        """Run the model until every stream can commit what is due (engine errors raise)."""
        raise NotImplementedError

    def _commit(self, s: Any, now: float) -> None:
        """Hand what is due to the scheduler (worker lock held)."""
        raise NotImplementedError

    def _wake(self, s: Any) -> float:
        """When the worker must look at ``s`` again (clock time; inf: not before a command)."""
        raise NotImplementedError

    # -- the worker loop ------------------------------------------------------------------

    def _loop(self) -> None:
        if self.realtime and raise_priority():
            log.debug("stream worker runs at nice %d", WORKER_NICE)
        try:
            self.engine.prepare_thread()
        except Exception as exc:  # a slower step, not a reason to stop playing
            log.warning("the engine could not prepare the stream thread: %r", exc)
        try:
            while True:
                with self._cond:
                    if not self._running:
                        return
                    commands, self._inbox = one_feed_chunk(self._inbox)
                for command in commands:
                    try:
                        command()
                    except Exception as exc:
                        log.exception("stream command failed")
                        self._fail_all(f"stream command failed: {exc}")
                now = self.clock.now()
                streams = [s for s in self._snapshot() if s.tempo is not None and not s.paused]
                try:
                    self._generate(streams, now)
                except Exception as exc:  # the engine failed: stop those streams, go on
                    log.exception("stream step failed")
                    self._fail(streams, f"the model failed while streaming: {exc}")
                    continue
                with self._cond:
                    wake = math.inf
                    for s in streams:
                        if not s.stopped:
                            self._commit(s, now)
                            wake = min(wake, self._wake(s))
                    if self._inbox or not self._running:
                        continue
                    if wake == math.inf:
                        self.clock.wait(self._cond, None)
                    else:
                        # at least 1 ms: even a bug that left work due cannot spin
                        self.clock.wait(self._cond, max(wake - self.clock.now(), 0.001))
        finally:
            forget = getattr(self.clock, "forget", None)
            if forget is not None:
                forget()

    def _snapshot(self) -> list[Any]:
        with self._cond:
            return list(self._streams.values())

    def _finish(self, s: Any) -> None:
        """A stream of limited length reached its end (scheduler thread, its lock
        released)."""
        with self._cond:
            if self._streams.get(s.id) is not s:
                return
            del self._streams[s.id]
            s.stopped = True
        if self.on_done is not None:
            self.on_done(s)

    def _fail(self, streams: list[Any], message: str) -> None:
        for s in streams:
            if self.stop(s.id) and self.on_error is not None:
                self.on_error(s, message)

    def _fail_all(self, message: str) -> None:
        self._fail(self._snapshot(), message)


__all__ = ["MAX_FEEDS_WAITING", "FeedChunk", "WorkerBase", "one_feed_chunk", "raise_priority"]
