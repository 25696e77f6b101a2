"""A JACK MIDI output that writes each message at the JACK frame of its intended time.

rtmidi's JACK output writes into a ring that its process callback empties at frame 0 of the
next period: every message lands on a period boundary (1.33 ms at 64 frames/48 kHz), so the
notes of one chord can straddle a boundary and lateness has a period of quantisation. Here
the caller gives each message its intended time (``put(*messages, at=time.monotonic()
time)``) a few milliseconds ahead, and our own process callback writes it at the frame of
that time: a chord's notes land in one frame, notes 2.5 ms apart 120 frames apart (48 kHz).

Time to frames: the server's cycle times (``jack_get_cycle_times``: the first frame of this
cycle, its start and the next cycle's start on JACK's microsecond clock, smoothed by JACK's
DLL) place every frame of the cycle on JACK's clock; JACK's clock (``jack_get_time``) is not
``time.monotonic`` (CLOCK_MONOTONIC_RAW here, 0.27 s apart and drifting with NTP), so each
cycle the callback reads both back to back and keeps their offset. A message due before the
cycle's end is written at its frame; one already past at offset 0; a later one waits.

``JackFrameLink`` has ``PortLink``'s surface (``bridge.live.midilink``): ``put`` never
blocks (a bounded heap; when full the oldest note-on is dropped, counted in ``dropped``;
note-offs and controllers never are; a note-off for the very time of a queued note-on of
its key withdraws that note-on, counted in ``withdrawn``: the scheduler ends a note stopped
before it sounded at its own start, which written would be a blip), ``flush``, ``close``,
``lost``, ``losses``,
``on_status("lost"/"back", name)``, ``on_sent(message)`` (run on the link's own thread, woken
only when a cycle wrote something). When the server goes away (its shutdown callback) the
port is lost: nothing more is queued, the loss is logged once and every ``RETRY_S`` the
thread opens everything again. Dead clients are kept, never closed: closing a client whose
server died can hang in libjack.

The callback holds the GIL while it runs, so it is short (measured: 5-8 us with nothing due,
20-30 us writing a few messages, 0.2-0.4 ms writing 128): the per-cycle calls into libjack
go through ``ctypes.PyDLL`` (the GIL kept: cffi, which the ``jack`` module uses, lets the
GIL go around every C call, and taking it back can wait a switch interval behind another
thread); it only tries the heap's lock (waiting would let the GIL go too): a cycle that
finds a caller putting writes nothing, its messages go in the next (``busy_cycles`` counts
those cycles). At most ``MIN_PER_CYCLE`` messages, or one a frame, go in one cycle.

A late callback is dangerous: JACK's cycle timer (``jack_last_frame_time``, the cycle times)
is the server's, not the callback's; once the server has started the next cycle without us
(a callback waiting for the GIL, say), the timer already shows that cycle, and what we write
lands in a buffer that readers may be reading while our next callback clears and rewrites it
(jackd 1.9.21, async mode: messages lost or read twice by a Python reader, measured). So a
callback that sees the timer jump by more than a period, or that follows a callback during
which the timer moved, counts as late (``late_cycles``): the cycle times are not its own, so
it writes only what is already due, at offset 0, and the rest waits. Writing nothing then
(waiting for an on-time callback) was tried: under load the late callbacks came in runs and
messages waited for them (bench p99 2.1-7.0 ms against 0.01 ms; messages were lost in both
ways, cause not found). A busy Python thread in the process makes callbacks late: with a
0.5 ms switch interval the callback starts 0.6 ms (median) to 1.4 ms (max) into its 1.33 ms
cycle, against 0.2 ms with no such thread.

An xrun (any client of the server, a reader too, not done in its cycle: JACK notifies every
client; ``JackClock.count_xruns`` counts the notices without the GIL) can lose what was
written around it, and a lost note-off is a stuck note. So at the first callback after an
xrun's notice, and once more ``REPEAT_AGAIN_S`` later, the link writes
again (at offset 0, before that cycle's messages) every note-off it wrote in the last
``repeat_window`` seconds whose key (channel, pitch) it has not struck again since: a note-off
twice is harmless, its note was already off. ``xruns`` and ``repeated`` count them. On this
project's 2-core VM a 64-frame dummy server ran from 14 to 4,500 xruns in 30 s of a stream
(CPU stolen by the VM's host: C clients missed cycles as often as Python ones).

``jack`` (JACK-Client) is imported only when a link is made.
"""

from __future__ import annotations

import _thread
import ctypes
import ctypes.util
import heapq
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from bridge.live.midilink import (
    QUEUE_SIZE,
    RETRY_S,
    SETTLE_CYCLES,
    SETTLE_POLL_S,
    _is_note_off,
    _is_note_on,
    close_aside,
    report_status,
)

log = logging.getLogger(__name__)

CLOCK_PAIR_MAX_US = 50  # a jack_get_time/monotonic pairing looser than this is not used
MIN_PER_CYCLE = 64  # most messages written in one cycle: this, or one a frame
REPEAT_WINDOW_S = 0.25  # after an xrun, note-offs written this long before it go again
REPEAT_AGAIN_S = 0.02  # and once more this long after the xrun's notice
NEVER = float("inf")


def jack_available() -> bool:
    """Whether JACK-Client and libjack import (without them MIDI uses rtmidi's JACK output)."""
    try:
        _jack()
    except Exception:
        return False
    return True


def _jack() -> Any:
    """The ``jack`` module (JACK-Client), or MidiError saying how to get it."""
    try:
        import jack
    except (ImportError, OSError) as exc:  # OSError: no libjack
        from bridge.live.midi import MidiError

        raise MidiError(
            f"JACK MIDI output needs JACK-Client ({exc}): pip install JACK-Client"
        ) from exc
    return jack


class _MidiEvent(ctypes.Structure):
    """libjack's jack_midi_event_t."""

    _fields_ = [("time", ctypes.c_uint32), ("size", ctypes.c_size_t),
                ("buffer", ctypes.POINTER(ctypes.c_ubyte))]  # fmt: skip


class JackClock:
    """The per-cycle libjack calls, through ctypes.PyDLL (the GIL kept, see the module doc),
    with their results in preallocated ctypes values (no allocation per call)."""

    def __init__(self, client: Any, port: Any) -> None:
        jack = _jack()
        lib = ctypes.PyDLL(jack._libname)
        p, u32, u64 = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint64
        protos: dict[str, tuple[Any, list[Any]]] = {
            "jack_get_time": (u64, []),
            "jack_last_frame_time": (u32, [p]),
            "jack_get_cycle_times": (ctypes.c_int, [p, p, p, p, p]),
            "jack_port_get_buffer": (p, [p, u32]),
            "jack_midi_clear_buffer": (None, [p]),
            "jack_midi_event_write": (ctypes.c_int, [p, u32, ctypes.c_char_p, ctypes.c_size_t]),
            "jack_midi_get_event_count": (u32, [p]),
            "jack_midi_event_get": (ctypes.c_int, [p, p, u32]),
            "jack_set_xrun_callback": (ctypes.c_int, [p, p, p]),
        }
        for fn, (restype, argtypes) in protos.items():
            f = getattr(lib, fn)
            f.restype, f.argtypes = restype, argtypes
        self.get_time = lib.jack_get_time
        self.last_frame = lib.jack_last_frame_time
        self.get_buffer = lib.jack_port_get_buffer
        self.clear_buffer = lib.jack_midi_clear_buffer
        self.write = lib.jack_midi_event_write
        self._cycle_times = lib.jack_get_cycle_times
        self._count, self._get = lib.jack_midi_get_event_count, lib.jack_midi_event_get
        self._event = _MidiEvent()
        self.client = int(jack._ffi.cast("uintptr_t", client._ptr))
        self.port = int(jack._ffi.cast("uintptr_t", port._ptr))
        self._frames, self._start, self._next = u32(), u64(), u64()
        self._period = ctypes.c_float()
        self._args = tuple(
            ctypes.addressof(v) for v in (self._frames, self._start, self._next, self._period)
        )
        self.offset_us = 0.0  # time.monotonic() in microseconds minus jack_get_time()
        self._xrun_sem: Any = None
        self._sem_getvalue: Any = None
        self._sem_value = ctypes.c_int()
        self._set_xrun_callback = lib.jack_set_xrun_callback

    def count_xruns(self) -> bool:
        """Have the server's xrun notices counted (before the client is activated): JACK calls
        libc's ``sem_post`` on a semaphore of ours, a C function, so its notification thread
        never waits for the GIL (a Python xrun callback did, and deadlocked a bridge whose
        main thread held the GIL while rtmidi opened a port on the same server). False where
        unnamed semaphores are missing (macOS): no count."""
        try:
            libc = ctypes.PyDLL(ctypes.util.find_library("c"))
            sem = ctypes.create_string_buffer(64)  # sem_t: 32 bytes on 64-bit Linux
            if libc.sem_init(sem, 0, 0) != 0:
                return False
            post = ctypes.cast(libc.sem_post, ctypes.c_void_p).value
            if self._set_xrun_callback(self.client, post, ctypes.addressof(sem)) != 0:
                return False
        except (OSError, AttributeError, TypeError):
            return False
        self._xrun_sem, self._sem_getvalue = sem, libc.sem_getvalue
        return True

    def xruns(self) -> int:
        """The server's xrun notices since ``count_xruns`` (0 without it)."""
        if self._sem_getvalue is None:
            return 0
        self._sem_getvalue(self._xrun_sem, ctypes.byref(self._sem_value))
        return self._sem_value.value

    def events(self, buffer: int) -> list[tuple[int, list[int]]]:
        """(frame offset, message) of each event in an input port's ``buffer`` (a JACK MIDI
        reader's: the benchmarks' and the tests'). Only from the process callback."""
        event, address, out = self._event, ctypes.addressof(self._event), []
        for i in range(self._count(buffer)):
            self._get(address, buffer, i)
            out.append((event.time, list(event.buffer[: event.size])))
        return out

    def cycle(self) -> tuple[int, float, float, float]:
        """(first frame of this cycle, its start, the next cycle's start, now), the times on
        ``time.monotonic``'s clock in seconds. Only from the process callback."""
        j0 = self.get_time()
        m = time.monotonic()
        j1 = self.get_time()
        if j1 - j0 <= CLOCK_PAIR_MAX_US or not self.offset_us:
            self.offset_us = m * 1e6 - 0.5 * (j0 + j1)
        self._cycle_times(self.client, *self._args)
        off = self.offset_us
        return (self._frames.value, (self._start.value + off) * 1e-6,
                (self._next.value + off) * 1e-6, m)  # fmt: skip


class JackFrameLink:
    """See the module doc. ``target``: an existing JACK MIDI input to connect to (its exact
    name or a unique case-insensitive part of it)."""

    def __init__(
        self,
        client_name: str,
        port_name: str = "out",
        target: str | None = None,
        *,
        on_status: Callable[[str, str], None] | None = None,
        on_sent: Callable[[list[int]], None] | None = None,
        close_grace: float = 0.0,
        queue_size: int = QUEUE_SIZE,
        repeat_window: float = REPEAT_WINDOW_S,
    ) -> None:
        self.kind = "output"
        self.on_status = on_status
        self.on_sent = on_sent
        self.dropped = 0
        self.losses = 0
        self.busy_cycles = 0  # cycles that found the heap's lock held and wrote nothing
        self.late_cycles = 0  # cycles the server ran on without us: only what was due (doc)
        self.xruns = 0  # xruns the server told of (any client's)
        self.repeated = 0  # note-offs written again after an xrun
        self.withdrawn = 0  # note-ons taken back by a note-off for their time (``put``)
        self._repeat_window = repeat_window
        self._recent: deque[tuple[float, bytes]] = deque()  # (written at, note on/off)
        self._repeat_at = NEVER  # write the recent note-offs again at the first cycle after
        self._repeat_again = NEVER
        self._xruns_seen = 0  # the clock's count at the last cycle
        self._client_name = client_name
        self._port_name = port_name
        self._target = target
        self._close_grace = close_grace
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)  # flush and close wait on it
        self._heap: list[tuple[float, int, bytes, list[int]]] = []  # (at, put order, ...)
        self._seq = 0
        self._sent: deque[list[int]] = deque()  # written, for on_sent on the thread
        self._wake = _thread.allocate_lock()  # released to wake the thread (a semaphore)
        self._wake.acquire()
        self._cycles = 0
        self._first = 0  # the first frame of the last cycle (the server's count)
        self._overran = False  # the server began a cycle while the last callback ran
        self._closing = False
        self._closed = False
        self._dead: str | None = None  # why the server went (not yet handled)
        self._error: Exception | None = None  # the process callback's first error
        self._error_told = False
        self._gen = 0
        self._graveyard: list[Any] = []
        self._client: Any = None
        self._period_s = 0.0
        self._client, self.name = self._open(self._gen)
        self._thread = threading.Thread(target=self._run, name="midi-jack-out", daemon=True)
        self._thread.start()

    @property
    def lost(self) -> bool:
        return self._client is None

    @property
    def period(self) -> float:
        """The server's period in seconds (the last known one while the port is lost)."""
        client = self._client
        if client is not None:
            self._period_s = client.blocksize / client.samplerate
        return self._period_s

    # -- callers --------------------------------------------------------------------------

    def put(self, *messages: list[int], at: float | None = None) -> None:
        """Queue messages to be written at ``at`` (a ``time.monotonic()`` time; None: now, as
        soon as possible); returns at once. Dropped while the port is lost. A note-off for the
        very time of a queued note-on of its key withdraws that note-on (a note stopped before
        it sounded, see ``_withdraw``); the note-off still goes."""
        when = time.monotonic() if at is None else at
        with self._lock:
            if self._client is None or self._closing or self._dead is not None:
                self.dropped += sum(map(_is_note_on, messages))
                return
            for message in messages:
                if at is not None and _is_note_off(message):
                    self._withdraw(message, when)
                if len(self._heap) >= self._queue_size and not self._make_room(message):
                    continue
                self._seq += 1
                heapq.heappush(self._heap, (when, self._seq, bytes(message), message))

    def _withdraw(self, off: list[int], when: float) -> None:
        """Take out the queued note-ons of ``off``'s key due at ``when`` (lock held). The
        scheduler ends a note stopped after it was handed over but before it sounds at its
        own start: written, the pair would be a blip of no length. The note-off stays: it
        may end an earlier note of the key (MidiOutput sends one note-off for overlapping
        notes of a key). A note-on is written by the cycle its frame falls in, at that
        cycle's start: a stop within a period of the note comes too late for this."""
        key = (off[0] & 0x0F, off[1])
        heap = self._heap

        def its_on(entry: tuple[float, int, bytes, list[int]]) -> bool:
            on = entry[3]
            return entry[0] == when and _is_note_on(on) and (on[0] & 0x0F, on[1]) == key

        if any(map(its_on, heap)):  # no copy of the heap for the usual note-off
            kept = [entry for entry in heap if not its_on(entry)]
            self.withdrawn += len(heap) - len(kept)
            heapq.heapify(kept)
            heap[:] = kept

    def _make_room(self, message: list[int]) -> bool:
        """Drop the queued note-on due first; False (drop ``message``) if there is none."""
        due = [entry for entry in self._heap if _is_note_on(entry[3])]
        if due:
            self._heap.remove(min(due))
            heapq.heapify(self._heap)
            self.dropped += 1
            return True
        if _is_note_on(message):
            self.dropped += 1
            return False
        return True  # note-offs and controllers are never dropped

    def cancel(self) -> None:
        """Drop every queued message (counting the note-ons in ``dropped``)."""
        with self._lock:
            self._drop_queued()

    def _drop_queued(self) -> None:
        """Empty the heap, counting its note-ons in ``dropped`` (lock held)."""
        self.dropped += sum(_is_note_on(entry[3]) for entry in self._heap)
        self._heap.clear()

    def flush(self, timeout: float = 2.0) -> bool:
        """Wait until every queued message was written (or the port is lost); True if so."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap:
                if self._client is None or (left := deadline - time.monotonic()) <= 0:
                    return not self._heap
                self._cond.wait(min(left, RETRY_S))
        return True

    def close(self, timeout: float = 2.0, release: bool = True) -> None:
        """Write what is queued (unless lost), let readers take it, then close the client
        (``release=False``: leave it to the process's end). Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.flush(timeout)
        with self._lock:
            self._closing = True
        self._wake_thread()
        self._thread.join(timeout)
        with self._lock:
            client, self._client = self._client, None
            dead = self._dead is not None or self._thread.is_alive()
        if client is not None and not dead:
            if self._close_grace:
                self._settle(self._close_grace)
            if release:
                _close_client(client)
                client = None
        if client is not None:
            self._graveyard.append(client)
        if self.dropped:
            log.info("JACK MIDI output %s: %d note-ons dropped in all", self.name, self.dropped)

    def _settle(self, grace: float) -> None:
        """Wait ``grace`` seconds or until the server ran SETTLE_CYCLES more cycles."""
        deadline = time.monotonic() + grace
        until = self._cycles + SETTLE_CYCLES
        while self._cycles < until and time.monotonic() < deadline and self._dead is None:
            time.sleep(SETTLE_POLL_S)

    # -- JACK's threads -------------------------------------------------------------------

    def _process(self, clock: JackClock, frames: int) -> None:
        """The process callback: write every message due in this cycle at its frame."""
        buffer = clock.get_buffer(clock.port, frames)
        clock.clear_buffer(buffer)
        self._cycles += 1
        first = clock.last_frame(clock.client)
        # The server went on without us, now or while the last callback ran: see the doc.
        late = self._overran or (first - self._first) % 2**32 > frames
        self._first = first
        xruns = clock.xruns()
        if xruns != self._xruns_seen:  # told of an xrun: repeat the recent note-offs
            self.xruns += (xruns - self._xruns_seen) % 2**31
            self._xruns_seen = xruns
            self._repeat_at, self._repeat_again = 0.0, time.monotonic() + REPEAT_AGAIN_S
        if self._heap or self._repeat_at < NEVER:
            if late and self._heap:  # the cycle's times are not ours: due ones at offset 0
                self.late_cycles += 1
            if self._write(clock, buffer, frames, late):
                self._wake_thread()
        self._overran = clock.last_frame(clock.client) != first

    def _write(self, clock: JackClock, buffer: int, frames: int, late: bool = False) -> int:
        """Write the messages due in this cycle; how many went. ``late``: only those due by
        now, at offset 0 (the server's cycle times belong to a later cycle)."""
        lock = self._lock
        if not lock.acquire(False):  # a caller is putting: waiting would let the GIL go
            self.busy_cycles += 1
            return 0
        heap = self._heap
        written = 0
        try:
            _, start, end, now = clock.cycle()
            recent = self._recent
            while recent and recent[0][0] < now - self._repeat_window:
                recent.popleft()
            if self._repeat_at <= now:
                self._repeat_at, self._repeat_again = self._repeat_again, NEVER
                self._repeat_offs(clock, buffer)
            scale = frames / (end - start)
            last = end - 0.5 / scale  # a message due after this is nearer the next cycle
            if late:
                start = last = now  # due by now; frame <= 0: offset 0
            low = 0
            sent = self._sent if self.on_sent is not None else None
            most = max(MIN_PER_CYCLE, frames)
            while heap and heap[0][0] < last and written < most:
                when, _, data, message = heap[0]
                frame = (when - start) * scale + 0.5
                offset = low if frame < low else min(frames - 1, int(frame))
                if clock.write(buffer, offset, data, len(data)):
                    break  # the port's buffer is full: the rest waits for the next cycle
                heapq.heappop(heap)
                low = offset
                written += 1
                if len(data) == 3 and data[0] & 0xE0 == 0x80:
                    recent.append((now, data))
                if sent is not None:
                    sent.append(message)
        finally:
            lock.release()
        return written

    def _repeat_offs(self, clock: JackClock, buffer: int) -> None:
        """Write again, at offset 0, each recent note-off whose key was not struck since."""
        newest: dict[bytes, bytes] = {}
        for _, data in self._recent:
            newest[bytes((data[0] & 0x0F, data[1]))] = data
        for data in newest.values():
            if _is_note_off(data) and not clock.write(buffer, 0, data, len(data)):
                self.repeated += 1

    def _guarded(self, clock: JackClock, frames: int) -> None:
        """``_process``, never raising: JACK-Client stops calling a callback that raised.
        The first error is logged by the link's thread."""
        try:
            self._process(clock, frames)
        except Exception as exc:
            if self._error is None:
                self._error = exc
                self._wake_thread()

    def _on_shutdown(self, gen: int, status: Any, reason: str) -> None:
        if gen == self._gen and self._dead is None:
            self._dead = reason or "JACK server gone"
            self._wake_thread()

    def _wake_thread(self) -> None:
        try:
            self._wake.release()
        except RuntimeError:  # already woken
            pass

    # -- the link's thread ----------------------------------------------------------------

    def _open(self, gen: int) -> tuple[Any, str]:
        """Open the client, its port and callbacks, activate, connect ``target``."""
        from bridge.live.midi import MidiError, _find

        jack = _jack()
        try:
            client = jack.Client(self._client_name, no_start_server=True)
        except jack.JackError as exc:
            raise MidiError(f"cannot open JACK client {self._client_name!r}: {exc} "
                            "(is a JACK server running?)") from exc  # fmt: skip
        try:
            port = client.midi_outports.register(self._port_name)
            clock = JackClock(client, port)
            client.set_process_callback(lambda frames: self._guarded(clock, frames))
            client.set_shutdown_callback(lambda status, why: self._on_shutdown(gen, status, why))
            self._xruns_seen = 0  # a new clock counts from 0
            clock.count_xruns()
            client.activate()
            name = port.name
            if self._target is not None:
                inputs = [p.name for p in client.get_ports(is_midi=True, is_input=True)]
                name = inputs[_find(inputs, self._target, "input")]
                client.connect(port, name)
        except Exception as exc:
            _close_client(client)
            if isinstance(exc, MidiError):
                raise
            raise MidiError(f"cannot open JACK MIDI output {self._port_name!r}: {exc}") from exc
        return client, name

    def _run(self) -> None:
        retry_at = 0.0
        while True:
            self._wake.acquire(True, RETRY_S)
            try:
                self._tell()
                if self._error is not None and not self._error_told:
                    self._error_told = True
                    log.error("JACK MIDI output %s: process callback: %r", self.name, self._error)
                with self._cond:
                    self._cond.notify_all()
                    closing, dead, lost = self._closing, self._dead, self._client is None
                if closing:
                    return
                if dead is not None and not lost:
                    self._lose(dead)
                    retry_at = time.monotonic() + RETRY_S
                elif lost and time.monotonic() >= retry_at:
                    self._reopen()
                    retry_at = time.monotonic() + RETRY_S
            except Exception as exc:  # the thread never dies of one callback
                log.error("JACK MIDI output %s: %r", self.name, exc)

    def _tell(self) -> None:
        sent = self._sent
        while sent:
            message = sent.popleft()
            if self.on_sent is not None:
                self.on_sent(message)

    def _lose(self, reason: str) -> None:
        with self._cond:
            client, self._client = self._client, None
            self._drop_queued()
            self._gen += 1
            self.losses += 1
            self._cond.notify_all()
        self._graveyard.append(client)  # see the module doc: never closed
        log.warning("JACK MIDI output %s lost: %s; reopening it every %g s", self.name,
                    reason, RETRY_S)  # fmt: skip
        self._status("lost")

    def _reopen(self) -> None:
        with self._lock:
            gen = self._gen
        try:
            client, name = self._open(gen)
        except Exception as exc:
            log.debug("JACK MIDI output %s not back yet: %s", self.name, exc)
            return
        with self._lock:
            self._client, self.name, self._dead = client, name, None
        log.warning("JACK MIDI output %s is back", self.name)
        self._status("back")

    def _status(self, state: str) -> None:
        report_status(self.on_status, state, self.name)


def _close_client(client: Any) -> None:
    """Deactivate and close a client (aside: see ``close_aside``)."""

    def close() -> None:
        client.deactivate()
        client.close()

    close_aside(close)


__all__ = ["JackClock", "JackFrameLink", "jack_available"]
