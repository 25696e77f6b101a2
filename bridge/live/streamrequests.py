"""The streaming addresses' handlers: start, set, feed and stop a client's streams.

``StreamRequests`` is the part of ``bridge.live.live.Live`` that answers
``/bridge/<engine>/stream/{start,set,feed,stop}`` on the socket thread: which engine's worker,
whose stream (a stream belongs to the client, host and source port, that started it; its
number is random), the caps per client and in all, a stream that follows the MIDI clock, and
the reply. Each handler only checks and queues: the model runs on the engine's worker. A
``ValueError`` raised here (values or notes the engine refuses) is answered by the daemon
with ``/bridge/error`` and the request's id.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from bridge.live.addresses import engine_stream_addresses
from bridge.live.clock import Clock
from bridge.live.keepalive import KeepAlive
from bridge.live.midi import MidiClock
from bridge.live.oscsink import OscRoute
from bridge.live.worker import MAX_FEEDS_WAITING, WorkerBase
from bridge.server.osc import Addr
from bridge.server.protocol import Request

CLOCK_START_LEAD_S = 0.25  # a clock-following stream starts on the first beat this far ahead
MAX_STREAMS = 64
MAX_CLIENT_STREAMS = 16  # streams one client (host and source port) plays at once
# Stream numbers are random in 1..2^24: a Pd patch holds numbers as 32-bit floats, exact to
# 2^24, and sends the number it got back (a larger one would come back rounded).
MAX_STREAM_NUMBER = 2**24


class StreamRequests:
    """The stream verbs' handlers, mixed into ``Live`` (whose state they use: the attributes
    below, and ``_tempo``, the tempo a clock-following stream starts at)."""

    daemon: Any
    clock: Clock
    workers: dict[str, WorkerBase]
    midi_clock: MidiClock | None
    keepalive: KeepAlive
    _lock: threading.Lock
    _following: dict[int, str]
    _served: set[str]

    def _tempo(self) -> float:
        raise NotImplementedError

    def _serve(self, name: str, engine_class: Any) -> None:
        """Add ``name``'s streaming addresses to the daemon."""
        handlers = (self._start_stream, self._set, self._feed, self._stop)
        specs = engine_stream_addresses(name, engine_class)
        for spec, handler in zip(specs, handlers, strict=True):
            self.daemon.add_handler(spec, lambda r, s, h=handler: h(name, r, s))
        self._served.add(name)

    def _worker(self, name: str, request: Request, sender: Addr) -> WorkerBase | None:
        with self._lock:
            worker = self.workers.get(name)
        if worker is None:
            self.daemon.send_error(
                sender,
                request.id,
                request.address,
                f"the {name} engine is not loaded; start the bridge with --{name} <checkpoint>",
            )
        return worker

    def _stream_id(self, worker: WorkerBase, request: Request, sender: Addr) -> int | None:
        """The request's stream number if that stream plays and belongs to ``sender``; else
        None, and ``sender`` is told why."""
        sid = int(request["stream"])
        stream = worker.get(sid)
        message = None
        if stream is None:
            # only the sender's own streams: the others' numbers are theirs to know
            mine = [s.id for s in worker.streams() if s.client == sender]
            playing = ", ".join(map(str, sorted(mine))) or "none"
            message = f"no stream {sid} (yours playing: {playing})"
        elif stream.client != sender:
            message = f"stream {sid} belongs to another client"
        if message is not None:
            self.daemon.send_error(sender, request.id, request.address, message)
            return None
        return sid

    def _owned(self, name: str, request: Request, sender: Addr) -> tuple[WorkerBase, int] | None:
        """The worker and the number of the request's stream if ``sender`` owns it; else
        None, and ``sender`` is told why."""
        worker = self._worker(name, request, sender)
        sid = None if worker is None else self._stream_id(worker, request, sender)
        return None if worker is None or sid is None else (worker, sid)

    def _reply(self, request: Request, sender: Addr, *args: Any) -> None:
        spec = self.daemon.addresses[request.address]
        self.daemon.send(sender, spec.reply, [request.id, *args])

    def _start_stream(self, name: str, request: Request, sender: Addr) -> None:
        worker = self._worker(name, request, sender)
        if worker is None:
            return
        with self._lock:
            streams = [s for w in self.workers.values() for s in w.streams()]
        message = None
        if len(streams) >= MAX_STREAMS:
            message = f"{MAX_STREAMS} streams are playing, the most at once; stop one first"
        elif sum(s.client == sender for s in streams) >= MAX_CLIENT_STREAMS:
            message = (f"{MAX_CLIENT_STREAMS} of your streams are playing, the most for one "
                       "client; stop one first")  # fmt: skip
        if message is not None:
            self.daemon.send_error(sender, request.id, request.address, message)
            return
        follow = self.midi_clock is not None and "tempo" not in request.given
        tempo = self._tempo() if follow else float(request["tempo"])
        # ValueError (notes or values the engine refuses): the daemon answers /bridge/error
        primer, values, options = worker.start_args(request, tempo)
        keepalive = float(request["keepalive"])
        with self._lock:
            taken = {s.id for w in self.workers.values() for s in w.streams()}
            sid = secrets.randbelow(MAX_STREAM_NUMBER) + 1  # not guessable, not counted
            while sid in taken:
                sid = secrets.randbelow(MAX_STREAM_NUMBER) + 1
            if follow:
                self._following[sid] = name
        worker.start_stream(sid, options, primer, values, client=sender, request_id=request.id,
                            route=OscRoute(sender, sid), paused=follow)  # fmt: skip
        if keepalive > 0:  # after it plays: the watcher forgets the streams it cannot find
            self.keepalive.watch(sid, name, keepalive)
        if follow and self.midi_clock is not None and self.midi_clock.running:
            at = self.midi_clock.next_beat(self.clock.now() + CLOCK_START_LEAD_S)
            worker.resume(sid, at, self.midi_clock.bpm)
        self._reply(request, sender, sid)

    def _set(self, name: str, request: Request, sender: Addr) -> None:
        owned = self._owned(name, request, sender)
        if owned is None:
            return
        worker, sid = owned
        if "tempo" in request.given:
            with self._lock:
                self._following.pop(sid, None)  # an explicit tempo stops following the clock
            worker.set_tempo(sid, float(request["tempo"]))
        settable = worker.set_params
        values = {p.name: request[p.name] for p in settable if p.name in request.given}
        if values:
            worker.set_values(sid, values)
        self._reply(request, sender, sid)

    def _feed(self, name: str, request: Request, sender: Addr) -> None:
        owned = self._owned(name, request, sender)
        if owned is None:
            return
        worker, sid = owned
        # Refused before the notes become tokens (tens of ms for thousands of notes): a
        # flood of feeds costs this thread, which every client shares, little.
        if not (worker.feed_room(sid) and worker.feed(sid, worker.feed_args(request["notes"]))):
            message = (f"busy: {MAX_FEEDS_WAITING} feeds waiting for stream {sid} already; "
                       "feed it again in a moment")  # fmt: skip
            self.daemon.send_error(sender, request.id, request.address, message)
            return
        self._reply(request, sender, sid)

    def _stop(self, name: str, request: Request, sender: Addr) -> None:
        owned = self._owned(name, request, sender)
        if owned is None:
            return
        worker, sid = owned
        worker.stop(sid)
        with self._lock:
            self._following.pop(sid, None)
        self.keepalive.forget(sid)
        self._reply(request, sender, sid)


__all__ = [
    "CLOCK_START_LEAD_S",
    "MAX_CLIENT_STREAMS",
    "MAX_STREAMS",
    "MAX_STREAM_NUMBER",
    "StreamRequests",
]
