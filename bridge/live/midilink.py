"""One MIDI port kept usable while its MIDI system dies and comes back, and (for outputs) the
thread that sends its messages, so that no caller ever blocks or spins in a MIDI send.

``PortLink(open_port, ...)`` opens the port at once (MidiError if it cannot) and starts one
thread. For an output, ``put(message)`` queues a message and returns at once; the thread
sends it. The queue is bounded: when full the oldest note-on is dropped (counted in
``dropped``); note-offs and controllers are never dropped.

On JACK, ``put`` sends at once from the caller's thread when that cannot wait or reorder:
the queue is empty, the thread is not sending, the server is alive and the message fits
under ``GUARD_BYTES`` (a write into rtmidi's ring, microseconds, no GIL let go). Otherwise
it queues. That saves the hand-over to the thread (its wake-up and the GIL), the largest
part of a note's lateness. ``on_sent`` still runs on the thread (the guardian's pipe write
would let the GIL go on the caller's time-keeping thread). Other MIDI systems always
queue: an ALSA or Windows send can block.

On JACK a ``JackWatch`` tells when the server goes away. Then the port is *lost*: nothing is
sent into it any more (rtmidi's JACK send would spin forever, GIL held, once its ring is
full), the loss is logged once and ``on_status("lost", name)`` runs; every ``RETRY_S`` the
thread tries to open the port again (a new virtual port of the same name, or the same named
port) and, when it can, ``on_status("back", name)`` runs. Even with the server alive, no more
than ``GUARD_BYTES`` go into rtmidi's ring without the server running a cycle; after
``STALL_S`` with no cycle the port counts as lost. On other systems a port is lost when a
send raises.

Dead rtmidi objects are kept, never deleted: deleting a JACK client whose server died blocks
a second holding the GIL (measured). ``bridge serve`` exits without interpreter teardown.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from bridge.live.jackwatch import JackWatch

log = logging.getLogger(__name__)

RETRY_S = 0.5  # how often a lost port tries to come back
GUARD_BYTES = 4096  # most bytes in rtmidi's JACK ring (16 KiB) with no server cycle seen
STALL_S = 1.0  # a server that runs no cycle this long counts as gone
CYCLE_WAIT_S = 0.01  # one wait for the next cycle (a JACK period is 1-46 ms)
QUEUE_SIZE = 1024
SETTLE_CYCLES = 3  # server cycles run after the last message before a port closes
SETTLE_POLL_S = 0.002
NOTE_ON_STATUS = 0x90
RTMIDI_RING_OVERHEAD = 4  # rtmidi writes an int length before each message


def _is_note_on(message: list[int]) -> bool:
    return len(message) == 3 and message[0] & 0xF0 == NOTE_ON_STATUS and message[2] > 0


def _is_note_off(message: list[int] | bytes) -> bool:
    """A note-off, or a note-on of velocity 0."""
    status = message[0] & 0xF0 if len(message) == 3 else 0
    return status == 0x80 or (status == NOTE_ON_STATUS and message[2] == 0)


class PortLink:
    """See the module doc. ``open_port()`` returns (rtmidi port, name others see it by)."""

    def __init__(
        self,
        open_port: Callable[[], tuple[Any, str]],
        *,
        kind: str,
        jack: bool,
        watch_name: str,
        on_status: Callable[[str, str], None] | None = None,
        on_sent: Callable[[list[int]], None] | None = None,
        before_close: Callable[[Any], None] | None = None,
        close_grace: float = 0.0,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self.kind = kind
        self.on_status = on_status
        self.on_sent = on_sent
        self.dropped = 0
        self.losses = 0
        self._open_port = open_port
        self._jack = jack
        self._watch_name = watch_name
        self._before_close = before_close
        self._close_grace = close_grace
        self._queue_size = queue_size
        self._cond = threading.Condition()
        self._queue: deque[list[int]] = deque()
        self._told: deque[list[int]] = deque()  # sent at once, for on_sent on the thread
        self._closing = False
        self._sending = False
        self._dead: str | None = None  # why the port is gone (not yet handled)
        self._gen = 0
        self._graveyard: list[Any] = []
        self.port, self.name, self._watch = self._open(self._gen)
        self._reset_guard()
        self._thread = threading.Thread(target=self._run, name=f"midi-{kind}", daemon=True)
        self._thread.start()

    @property
    def lost(self) -> bool:
        return self.port is None

    # -- callers --------------------------------------------------------------------------

    def put(self, *messages: list[int]) -> None:
        """Send (see the module doc) or queue messages; returns at once. Dropped while the
        port is lost."""
        with self._cond:
            if self.port is None or self._closing:
                self.dropped += sum(map(_is_note_on, messages))
                return
            if self._watch is not None and not self._queue and not self._sending:
                messages = messages[self._send_at_once(messages) :]
            for message in messages:
                if len(self._queue) >= self._queue_size and not self._make_room(message):
                    continue
                self._queue.append(message)
            if messages:  # none left: the thread is not woken (its wake-up costs the GIL)
                self._cond.notify_all()

    def _send_at_once(self, messages: tuple[list[int], ...]) -> int:
        """Send from the caller's thread (lock held) while nothing can wait; how many went."""
        sent = 0
        for message in messages:
            size = len(message) + RTMIDI_RING_OVERHEAD
            if self._dead is not None or not self._fits(size):
                break  # the thread waits for a server cycle, or handles the loss
            try:
                self.port.send_message(message)
            except Exception as exc:
                self._dead = f"send failed: {exc}"
                break
            self._written += size
            sent += 1
            if self.on_sent is not None:
                self._told.append(message)
        if self._told:
            self._cond.notify_all()
        return sent

    def _make_room(self, message: list[int]) -> bool:
        """Drop the oldest queued note-on; False (drop ``message``) if it is the only one."""
        for i, queued in enumerate(self._queue):
            if _is_note_on(queued):
                del self._queue[i]
                self.dropped += 1
                return True
        if _is_note_on(message):
            self.dropped += 1
            return False
        return True  # note-offs and controllers are never dropped

    def close(self, timeout: float = 2.0, release: bool = True) -> None:
        """Send what is queued (unless lost), then close the port. Safe to call twice.

        ``release=False`` leaves the port and its JACK watch open for the process's end to
        close (the kernel closes the sockets, the JACK server drops the clients): for a
        process that exits without teardown right after (``bridge serve``), since closing
        a JACK client costs a server round trip of tens to hundreds of milliseconds."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)
        with self._cond:
            port, self.port = self.port, None
            watch, self._watch = self._watch, None
            dead = self._dead is not None or self._thread.is_alive()
        if port is not None and not dead:
            if self._close_grace:
                # Let readers take the last messages before the port goes: a JACK reader
                # still reading a period when its source port is removed can read garbage.
                self._settle(watch, self._close_grace)
            if self._before_close is not None:
                self._before_close(port)
        if port is not None and (dead or not release):
            self._graveyard.append(port)
        elif port is not None:
            port.close_port()
            port.delete()
        if watch is not None and (dead or not release):
            self._graveyard.append(watch)
        elif watch is not None:
            close_aside(watch.close)
        if self.dropped:
            log.info("MIDI %s %s: %d note-ons dropped in all", self.kind, self.name, self.dropped)

    @staticmethod
    def _settle(watch: JackWatch | None, grace: float) -> None:
        """Wait ``grace`` seconds, or on JACK until the server has run SETTLE_CYCLES cycles (every
        message written is then in the readers' hands), whichever comes first."""
        if watch is None or (last := watch.frame()) is None:
            time.sleep(grace)
            return
        deadline = time.monotonic() + grace
        cycles = 0
        while cycles < SETTLE_CYCLES and time.monotonic() < deadline:
            time.sleep(SETTLE_POLL_S)
            frame = watch.frame()
            if frame is None:
                return
            if frame != last:
                cycles, last = cycles + 1, frame

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every queued message went out (or the port is lost); True if so."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._sending:
                if self.port is None or (left := deadline - time.monotonic()) <= 0:
                    return not self._queue
                self._cond.wait(min(left, RETRY_S))
        return True

    # -- the thread -----------------------------------------------------------------------

    def _open(self, gen: int) -> tuple[Any, str, JackWatch | None]:
        watch = None
        if self._jack:
            watch = JackWatch.open(self._watch_name, lambda why: self._on_shutdown(gen, why))
            if watch is None:
                from bridge.live.midi import MidiError

                raise MidiError("no JACK server is running (cannot watch it)")
        try:
            port, name = self._open_port()
        except Exception:
            if watch is not None:
                watch.close()
            raise
        return port, name, watch

    def _on_shutdown(self, gen: int, reason: str) -> None:
        with self._cond:
            if gen == self._gen and self._dead is None:
                self._dead = reason
                self._cond.notify_all()

    def _next(self) -> tuple[str, list[int] | None]:
        with self._cond:
            while True:
                if self._told:
                    return "tell", None
                if self.port is not None and self._dead is not None:
                    return "lose", None
                if self.port is None:
                    if not self._closing:
                        self._cond.wait(RETRY_S)
                    return ("stop", None) if self._closing else ("retry", None)
                if self._queue:
                    self._sending = True
                    return "send", self._queue.popleft()
                if self._closing:
                    return "stop", None
                self._cond.wait()

    def _run(self) -> None:
        while True:
            action, message = self._next()
            try:
                if action == "stop":
                    return
                if action == "tell":
                    self._tell()
                elif action == "lose":
                    self._lose()
                elif action == "retry":
                    self._reopen()
                elif message is not None:
                    self._send(message)
            except Exception as exc:  # the sender thread never dies of one message
                log.error("MIDI %s %s: %r", self.kind, self.name, exc)
            finally:
                if action == "send":
                    with self._cond:
                        self._sending = False
                        self._cond.notify_all()

    def _tell(self) -> None:
        with self._cond:
            told = list(self._told)
            self._told.clear()
        if self.on_sent is not None:
            for message in told:
                self.on_sent(message)

    def _send(self, message: list[int]) -> None:
        if self._watch is not None and not self._guard(len(message) + RTMIDI_RING_OVERHEAD):
            self._mark_dead(f"the JACK server ran no cycle for {STALL_S:g} s")
            return
        try:
            self.port.send_message(message)
        except Exception as exc:
            self._mark_dead(f"send failed: {exc}")
            return
        self._written += len(message) + RTMIDI_RING_OVERHEAD
        if self.on_sent is not None:
            self.on_sent(message)

    def _reset_guard(self) -> None:
        self._written = self._confirmed = self._mark = 0
        self._frame = self._watch.frame() if self._watch is not None else None

    def _fits(self, size: int) -> bool | None:
        """Whether ``size`` more bytes fit under GUARD_BYTES of ring not yet seen emptied;
        None if the server does not answer. Bytes written before a reading of the server's
        frame time are emptied once a later reading shows a new cycle. A reading is taken
        (a ctypes call, microseconds) only past half the budget, so that in steady play the
        budget is renewed before it runs out."""
        if self._watch is None:
            return True
        if self._written - self._mark > GUARD_BYTES // 2 or (
            self._written - self._confirmed + size > GUARD_BYTES
        ):
            frame = self._watch.frame()
            if frame is None:
                return None
            if frame != self._frame:
                self._frame, self._confirmed, self._mark = frame, self._mark, self._written
        return self._written - self._confirmed + size <= GUARD_BYTES

    def _guard(self, size: int) -> bool:
        """Wait (briefly) until ``size`` more bytes fit (see ``_fits``); False if the server
        is gone or runs no cycle for STALL_S."""
        deadline = time.monotonic() + STALL_S
        while not (fits := self._fits(size)):
            if fits is None or self._dead is not None or time.monotonic() > deadline:
                return False
            time.sleep(CYCLE_WAIT_S)  # only past GUARD_BYTES in flight: a burst, rare
        return True

    def _mark_dead(self, reason: str) -> None:
        with self._cond:
            if self._dead is None:
                self._dead = reason

    def _lose(self) -> None:
        with self._cond:
            port, self.port = self.port, None
            watch, self._watch = self._watch, None
            reason, self._dead = self._dead, None
            self.dropped += sum(map(_is_note_on, self._queue))
            self._queue.clear()
            self._gen += 1
            self.losses += 1
        # See the module doc: never deleted. Nor is the watch closed: jack_client_close racing
        # libjack's own handling of the server's end can deadlock (seen).
        self._graveyard.extend(x for x in (port, watch) if x is not None)
        log.warning("MIDI %s %s lost: %s; reopening it every %g s", self.kind, self.name,
                    reason, RETRY_S)  # fmt: skip
        self._status("lost")

    def _reopen(self) -> None:
        with self._cond:
            gen = self._gen
        try:
            port, name, watch = self._open(gen)
        except Exception as exc:
            log.debug("MIDI %s %s not back yet: %s", self.kind, self.name, exc)
            return
        with self._cond:
            self.port, self._watch, self.name = port, watch, name
            self._reset_guard()
        log.warning("MIDI %s %s is back", self.kind, self.name)
        self._status("back")

    def _status(self, state: str) -> None:
        report_status(self.on_status, state, self.name)


def report_status(on_status: Callable[[str, str], None] | None, state: str, name: str) -> None:
    """``on_status(state, name)``, if any; its error is logged, never raised."""
    if on_status is not None:
        try:
            on_status(state, name)
        except Exception as exc:
            log.error("MIDI status handler failed: %r", exc)


def close_aside(close: Callable[[], object], timeout: float = 1.0) -> None:
    """Close a JACK client from a helper thread: should libjack hang (a server ending just
    then), the caller still goes on after ``timeout``."""
    closer = threading.Thread(target=close, name="jack-close", daemon=True)
    closer.start()
    closer.join(timeout)


__all__ = ["GUARD_BYTES", "PortLink", "QUEUE_SIZE", "RETRY_S"]
