"""Play notes at their times: one thread, a time-sorted queue, a record of sounding notes.

In the manner of magenta's ``MidiPlayer``: the thread waits on a ``Condition`` with a timeout
until the next event is due (never a busy loop), fires every due event, and waits again.
``play`` wakes it when an earlier event arrives. Every note that started is in the sounding
record until its note-off went out, so ``cancel`` (a stream stopped or replaced, an engine
error) and ``close`` (shutdown) end every sounding note at once: no note is ever left stuck.

Events go to sinks (``NoteSink``): MIDI note-on/off on the note's channel, and the OSC
``/bridge/note`` event to the note's client. Sinks are called only on the scheduler thread or,
for ``cancel``/``close``, with the scheduler's lock held, so they never run concurrently.
No inference happens here: callers hand over finished notes.

At one instant note-offs go before note-ons, so a note re-struck where the previous one ends
is heard as two notes.

A sink with ``ahead`` > 0 (the JACK frame writer's MIDI sink: it writes each message at the
frame of its time) is handed every note-on and note-off ``ahead`` seconds early, with the
time it is for as the second argument, and never at the time itself. It hears each note's
note-on once and then its note-off once, at a time no earlier than the note-on's: a note
stopped before it sounds, but already handed, is ended at its own start (the frame writer
then drops its note-on: no note of no length sounds); a note stopped
after its note-off was handed ends then (at most ``ahead`` later than the stop). A retime
(tempo change) does not move what was already handed.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import sys
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from bridge.live.clock import Clock, MonotonicClock

log = logging.getLogger(__name__)

# Event kinds, in the order they fire at one instant (early ones: handed to ``ahead`` sinks).
_OFF, _CALL, _ANNOUNCE, _ON = 0, 1, 2, 3
_EARLY_OFF, _EARLY_ON = 4, 5
_ORDER = {_EARLY_OFF: _OFF, _EARLY_ON: _ON}
# PlayedNote.handed: what ``ahead`` sinks were handed (or, for OFF alone, will never be).
_HANDED_ON, _HANDED_OFF = 1, 2


@dataclass(eq=False)
class PlayedNote:
    """A note handed to the scheduler.

    ``channel`` is the MIDI channel 1..16. ``on_step``/``off_step`` are the 16th-note steps of
    a stream (used by ``retime`` after a tempo change); ``lead`` > 0 has the sinks'
    ``announce`` called that many seconds before the note-on (the OSC sink sends a timetagged
    bundle then). ``route`` belongs to the sinks (the OSC sink's: which client, which stream);
    the scheduler never looks inside it.
    """

    owner: Hashable
    pitch: int
    velocity: int
    on_time: float
    off_time: float
    channel: int = 1
    duration_beats: float = 0.0
    on_step: int | None = None
    off_step: int | None = None
    lead: float = 0.0
    route: Any = None
    state: str = field(default="pending", init=False)  # pending | sounding | done
    version: int = field(default=0, init=False)
    handed: int = field(default=0, init=False)  # _HANDED_ON | _HANDED_OFF, for ahead sinks

    @property
    def duration_ms(self) -> float:
        return 1000.0 * (self.off_time - self.on_time)


class NoteSink(Protocol):
    """Where notes go. Methods are quick (a socket send, a port write) and never raise."""

    def note_on(self, note: PlayedNote, now: float) -> None: ...

    def note_off(self, note: PlayedNote, now: float) -> None: ...

    def announce(self, note: PlayedNote, now: float) -> None:
        """Called ``note.lead`` seconds before the note-on (only when ``lead`` > 0)."""
        ...

    def close(self) -> None:
        """After the last note-off: release what the sink holds (MIDI: panic)."""
        ...


def _ahead(sink: object) -> float:
    """How early ``sink`` wants its notes (see the module doc); 0 for most sinks."""
    return float(getattr(sink, "ahead", 0.0) or 0.0)


@dataclass(eq=False)
class _Call:
    owner: Hashable
    fn: Callable[[], None]
    step: int | None = None
    version: int = 0


def _start(item: PlayedNote | _Call) -> float:
    return item.on_time if isinstance(item, PlayedNote) else 0.0


def set_realtime(priority: int = 10) -> bool:
    """Ask for SCHED_FIFO for the calling thread (Linux); False (and nothing changed) if not
    allowed or elsewhere.

    The scheduler thread sleeps almost all the time, so a real-time priority costs nothing
    and keeps a busy machine (a training run, the inference worker) from delaying wake-ups.
    """
    setter = getattr(os, "sched_setscheduler", None)
    if setter is None or not sys.platform.startswith("linux"):  # elsewhere 0 is the process
        return False
    try:
        setter(0, os.SCHED_FIFO, os.sched_param(priority))  # 0: the calling thread on Linux
    except (OSError, AttributeError):
        return False
    return True


class Scheduler:
    """A thread that plays ``PlayedNote``s to sinks at their times.

    ``start()``/``close()``, or use it as a context manager. ``trace``, when a list, gets
    ``(kind, intended, actual)`` for every note-on/off fired (benchmarks; costs a tuple).
    """

    def __init__(
        self,
        sinks: Iterable[NoteSink] = (),
        clock: Clock | None = None,
        *,
        realtime: bool = True,
        name: str = "bridge-scheduler",
    ) -> None:
        self.sinks: list[NoteSink] = list(sinks)
        self.clock: Clock = clock or MonotonicClock()
        self.realtime = realtime
        self.name = name
        self.trace: list[tuple[str, float, float]] | None = None
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, int, int, Any, int]] = []
        self._seq = itertools.count()
        self._sounding: dict[Hashable, set[PlayedNote]] = {}
        self._pending: dict[Hashable, set[PlayedNote | _Call]] = {}
        self._thread: threading.Thread | None = None
        self._running = False

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Scheduler:
        if self._thread is not None:
            raise RuntimeError("the scheduler is already started")
        self._running = True
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()
        return self

    def close(self, timeout: float = 2.0) -> None:
        """End every sounding note, drop everything pending, stop the thread, close sinks."""
        with self._cond:
            self._running = False
            for owner in list(self._sounding) + list(self._pending):
                self._cancel_locked(owner)
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None
        with self._cond:
            for sink in self.sinks:
                try:
                    sink.close()
                except Exception as exc:  # one broken sink must not keep notes in another
                    log.error("closing %s failed: %r", type(sink).__name__, exc)

    def __enter__(self) -> Scheduler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def lock(self) -> threading.Condition:
        """The scheduler's lock: hold it to read the clock and cancel with no event firing
        in between."""
        return self._cond

    # -- scheduling -----------------------------------------------------------------------

    def play(self, note: PlayedNote) -> None:
        """Queue ``note``: its note-on at ``on_time``, its note-off at ``off_time``."""
        if note.off_time < note.on_time:
            raise ValueError("a note cannot end before it starts")
        with self._cond:
            if not self._running:
                return
            note.state = "pending"
            self._pending.setdefault(note.owner, set()).add(note)
            self._push_note(note)

    def call_at(
        self, t: float, owner: Hashable, fn: Callable[[], None], step: int | None = None
    ) -> None:
        """Run ``fn()`` on the scheduler thread at ``t``, without the scheduler's lock (quick
        things only: a message, a notify). ``cancel(owner)`` drops it; ``retime`` moves it
        if it has a ``step``."""
        with self._cond:
            if not self._running:
                return
            call = _Call(owner, fn, step)
            self._pending.setdefault(owner, set()).add(call)
            self._push(t, _CALL, call, 0)

    def retime(self, owner: Hashable, time_of: Callable[[int], float]) -> None:
        """Move ``owner``'s queued notes to ``time_of(step)`` (after a tempo change).

        Pending notes move both ends; sounding notes move their note-off. Notes without steps
        keep their times.
        """
        with self._cond:
            pending = list(self._pending.get(owner, ()))
            notes = [n for n in pending if isinstance(n, PlayedNote)]
            notes += list(self._sounding.get(owner, ()))
            for call in pending:
                if isinstance(call, _Call) and call.step is not None:
                    call.version += 1
                    self._push(time_of(call.step), _CALL, call, call.version)
            for n in notes:
                if n.on_step is None or n.off_step is None:
                    continue
                if n.state == "pending" and not n.handed & _HANDED_ON:
                    n.on_time = time_of(n.on_step)
                if not n.handed & _HANDED_OFF:  # what ahead sinks have stays as it is
                    n.off_time = max(n.on_time, time_of(n.off_step))
                n.version += 1
                self._push_note(n)
            self._cond.notify_all()

    def cancel(self, owner: Hashable) -> int:
        """Drop ``owner``'s queued notes and calls and end its sounding notes now.

        Returns how many sounding notes were ended. A note already announced in an OSC
        bundle (``lead``) cannot be called back; its MIDI note-on is not sent.
        """
        with self._cond:
            return self._cancel_locked(owner)

    def cancel_all(self) -> int:
        with self._cond:
            owners = list(self._sounding) + list(self._pending)
            return sum(self._cancel_locked(o) for o in owners)

    def sounding(self, owner: Hashable | None = None) -> list[PlayedNote]:
        """The notes sounding now (of ``owner``, or of everyone)."""
        with self._cond:
            if owner is not None:
                return list(self._sounding.get(owner, ()))
            return [n for notes in self._sounding.values() for n in notes]

    def pending(self, owner: Hashable) -> int:
        with self._cond:
            return len(self._pending.get(owner, ()))

    # -- internals (lock held) ------------------------------------------------------------

    def _push(self, t: float, kind: int, item: Any, version: int) -> None:
        order = _ORDER.get(kind, kind)
        heapq.heappush(self._heap, (t, order, next(self._seq), kind, item, version))
        if self._heap[0][4] is item:  # the new event is the next one: wake the thread
            self._cond.notify_all()

    def _ahead(self) -> float:
        return max(map(_ahead, self.sinks), default=0.0)

    def _push_note(self, note: PlayedNote) -> None:
        v = note.version
        ahead = self._ahead()
        if note.state == "pending":
            if note.lead > 0:
                self._push(note.on_time - note.lead, _ANNOUNCE, note, v)
            self._push(note.on_time, _ON, note, v)
            if ahead > 0 and not note.handed & _HANDED_ON:
                self._push(note.on_time - ahead, _EARLY_ON, note, v)
        self._push(note.off_time, _OFF, note, v)
        if ahead > 0 and not note.handed & _HANDED_OFF:
            self._push(note.off_time - ahead, _EARLY_OFF, note, v)

    def _cancel_locked(self, owner: Hashable) -> int:
        now = self.clock.now()
        for item in sorted(self._pending.pop(owner, ()), key=_start):
            item.version += 1  # its queued events are now stale
            if isinstance(item, PlayedNote):
                item.state = "done"
                self._hand_off(item, max(now, item.on_time))  # handed early: ends at its start
        ended = self._sounding.pop(owner, set())
        for note in sorted(ended, key=lambda n: n.on_time):
            note.version += 1
            note.state = "done"
            self._emit("note_off", note, now, early=False)
            self._hand_off(note, now)
        return len(ended)

    def _unpend(self, item: PlayedNote | _Call) -> None:
        owned = self._pending.get(item.owner)
        if owned is not None:
            owned.discard(item)
            if not owned:  # an owner (a stream) with nothing queued leaves no trace
                del self._pending[item.owner]

    def _hand_off(self, note: PlayedNote, t: float) -> None:
        """The note-off to ``ahead`` sinks, once, if they were handed the note-on."""
        if note.handed == _HANDED_ON:
            note.handed |= _HANDED_OFF
            self._emit("note_off", note, t, early=True)

    def _emit(self, method: str, note: PlayedNote, now: float, early: bool | None = None) -> None:
        """Call ``method`` on the sinks: all (``early`` None: announce), the ``ahead`` ones
        (True) or the others (False)."""
        for sink in self.sinks:
            if early is not None and (_ahead(sink) > 0) != early:
                continue
            try:
                getattr(sink, method)(note, now)
            except Exception as exc:  # a sink never stops the others or the thread
                log.error("%s.%s failed: %r", type(sink).__name__, method, exc)

    def _fire(self, kind: int, item: Any, intended: float) -> None:
        now = self.clock.now()
        if kind == _CALL:
            self._unpend(item)
            self._cond.release()  # fn may take other locks (a worker's): never under ours
            try:
                item.fn()
            except Exception as exc:
                log.error("scheduled call failed: %r", exc)
            finally:
                self._cond.acquire()
            return
        note: PlayedNote = item
        if kind == _ANNOUNCE:
            self._emit("announce", note, now)
            return
        if kind == _EARLY_ON:
            if note.state == "pending" and not note.handed:
                note.handed = _HANDED_ON
                self._emit("note_on", note, note.on_time, early=True)
            return
        if kind == _EARLY_OFF:
            if not note.handed:
                note.handed = _HANDED_OFF  # a note of no length: its note-on is never handed
            elif note.state != "done":
                self._hand_off(note, note.off_time)
            return
        if kind == _ON:
            if note.state != "pending":
                return
            self._unpend(note)
            note.state = "sounding"
            self._sounding.setdefault(note.owner, set()).add(note)
            self._emit("note_on", note, now, early=False)
        else:
            if note.state != "sounding":  # a zero-length note: drop its note-on too
                self._unpend(note)
                note.state = "done"
                note.version += 1
                return
            note.state = "done"
            owned = self._sounding.get(note.owner)
            if owned is not None:
                owned.discard(note)
                if not owned:
                    del self._sounding[note.owner]
            self._emit("note_off", note, now, early=False)
            self._hand_off(note, now)  # not handed early (a retime moved it closer): now
        if self.trace is not None:
            self.trace.append(("on" if kind == _ON else "off", intended, self.clock.now()))

    def _loop(self) -> None:
        if self.realtime and set_realtime():
            log.debug("scheduler thread runs with SCHED_FIFO")
        with self._cond:
            while self._running:
                if not self._heap:
                    self.clock.wait(self._cond, None)
                    continue
                t, _, _, kind, item, version = self._heap[0]
                if version != item.version:  # cancelled or retimed: drop the stale event
                    heapq.heappop(self._heap)
                    continue
                now = self.clock.now()
                if t > now:
                    self.clock.wait(self._cond, t - now)
                    continue
                heapq.heappop(self._heap)
                self._fire(kind, item, t)
        forget = getattr(self.clock, "forget", None)
        if forget is not None:
            forget()
