"""Live playing: the streaming addresses, MIDI output and input, MIDI clock, call and response.

``Live(daemon, options)`` adds the streaming addresses of every loaded streaming engine
(``bridge.live.addresses``) to a ``Daemon`` and owns what plays in time: the ``Scheduler``
(one thread), one ``StreamWorker`` per streaming engine (inference), the MIDI ports and the
call-and-response loop. Start it before the daemon and close it before the daemon stops:
``close`` ends every sounding note (note-offs, then All Notes Off and All Sound Off on every
channel used). When the daemon swaps an engine (``Daemon.on_engine_swap``), that engine's
streams end (their notes at once, ``done`` sent to their clients) and its worker starts again
on the new engine.

A stream belongs to the client (host and source port) that started it: only that client may
set, feed or stop it. Stream numbers are random (1..2^24, exact in a Pd float; not counting
up), so one client cannot guess another's. A client plays at most ``MAX_CLIENT_STREAMS``
streams at once, the bridge ``MAX_STREAMS``. A stream started with ``keepalive S`` ends
(note-offs, then ``done``) once its client has sent nothing for S seconds
(``bridge.live.keepalive``). The streams of an event-streaming engine (``perf``: polyphonic,
timed events, ``bridge.live.eventstreams``) started with ``listen 1`` hear each phrase played
into the MIDI input (``bridge.live.phrases``).

Events (server -> client):
- ``/bridge/note <stream> <pitch> <velocity> <duration-beats> <duration-ms>`` at each note's
  time, to the client that started the stream (its registered port, if it registered).
  ``duration-ms`` is the duration at the tempo when the note starts.
- ``/bridge/<engine>/stream/done <stream>`` when a stream started with ``steps N`` has played,
  or was ended because its engine was swapped or its client went silent (``keepalive``).
- ``/bridge/callresponse/state <idle|listening|responding>`` to every registered client
  (``/bridge/register``) and every client that asked ``/bridge/callresponse/state``.
- ``/bridge/midi/status <lost|back> <port>`` to the same clients when a MIDI port's system
  (the JACK server) goes away, and when the port is back (reopened by itself).
- ``/bridge/harmony/note <voice> <pitch> <velocity> <on>`` to the same clients with
  ``harmonize``: each harmony voice (1 alto, 2 tenor, 3 bass) starting (on 1) and ending
  (on 0, velocity 0) under the melody played into the MIDI input.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bridge.live.addresses import registered_stream_addresses, stream_path
from bridge.live.callresponse import CallResponse, CallResponseOptions, check_responder
from bridge.live.clock import Clock, MonotonicClock, clamp_tempo
from bridge.live.eventstreams import EventStreamWorker
from bridge.live.harmonize import CHANNELS, DEFAULT_TEMPO, HARMONY_NOTE_ADDRESS, LiveHarmonizer
from bridge.live.keepalive import KeepAlive
from bridge.live.midi import (
    MidiClock,
    MidiError,
    MidiEvent,
    MidiInput,
    MidiOutput,
    MidiSink,
    choose_api,
)
from bridge.live.oscsink import NOTE_ADDRESS, OscNoteSink
from bridge.live.phrases import PhraseListener, PlayedPhrase, phrase_notes
from bridge.live.scheduler import NoteSink, Scheduler
from bridge.live.streamrequests import (
    CLOCK_START_LEAD_S,
    MAX_CLIENT_STREAMS,
    MAX_STREAM_NUMBER,
    MAX_STREAMS,
    StreamRequests,
)
from bridge.live.streams import Stream, StreamWorker, raise_priority
from bridge.live.worker import WorkerBase
from bridge.server.osc import Addr
from bridge.server.protocol import Address, Request
from engines.base import EventStreamingEngine, StreamingEngine

log = logging.getLogger(__name__)

STATE_ADDRESS = "/bridge/callresponse/state"
MIDI_STATUS_ADDRESS = "/bridge/midi/status"
RESPONDER = "rnn"  # the engine that answers a phrase unless --respond-with names another
HARMONIZER = "harmony"  # the engine that harmonizes with --harmonize
CLOCK_RUNNING_S = 1.0  # a MIDI clock with no pulse this long is not running
CORE_STREAMS = "rnn"  # PROTOCOL.md's streams: their addresses answer even when it is not loaded

LIVE_ADDRESSES: tuple[Address, ...] = (
    Address(
        STATE_ADDRESS,
        reply_args="<state>",
        doc="The call-and-response state (`idle`, `listening`, `responding`, or `off` without "
        "`--midi-in`). From then on the asking client, like every registered client, is sent "
        "`/bridge/callresponse/state <state>` at every change.",
    ),
)


def __getattr__(name: str) -> Any:
    # STREAM_ADDRESSES (for tools/update_readme.py): built on first use, since it imports
    # every registered engine class, and with them torch.
    if name == "STREAM_ADDRESSES":
        return (*registered_stream_addresses(), *LIVE_ADDRESSES)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "STREAM_ADDRESSES"])


@dataclass(frozen=True)
class LiveOptions:
    """MIDI and call-and-response settings of ``bridge serve``.

    ``midi_out`` opens an existing port by name; ``virtual_midi`` creates the ports
    ``<client_name>:out`` (and ``<client_name>-in:in`` unless ``midi_in`` names one: rtmidi
    opens inputs and outputs as two clients). ``midi_clock`` follows
    the MIDI clock arriving on the input. Call and response runs when there is a MIDI input,
    with ``callresponse`` settings, answered by the ``respond_with`` engine (``None``: the
    rnn, if it is loaded; a named engine must be loaded and have a ``continue`` verb).
    ``harmonize`` answers each melody note on the input with three voices on
    ``harmony_channels`` (``bridge.live.harmonize``; the harmony engine must be loaded),
    timed at the MIDI clock's tempo while one runs, else at ``tempo``; call and response is
    then off unless ``respond_with`` names an engine.
    """

    midi_out: str | None = None
    virtual_midi: bool = False
    midi_in: str | None = None
    midi_api: str | None = None
    midi_clock: bool = False
    client_name: str = "bridge"
    callresponse: CallResponseOptions = field(default_factory=CallResponseOptions)
    respond_with: str | None = None
    harmonize: bool = False
    harmony_channels: tuple[int, int, int] = CHANNELS
    tempo: float = DEFAULT_TEMPO


class Live(StreamRequests):
    """The live half of a bridge; see the module doc (its stream verbs' handlers:
    ``bridge.live.streamrequests``). ``start()``, then ``close()``."""

    def __init__(
        self,
        daemon: Any,
        options: LiveOptions | None = None,
        *,
        clock: Clock | None = None,
        midi_output: MidiOutput | None = None,
        realtime: bool = True,
    ) -> None:
        self.daemon = daemon
        self.options = options or LiveOptions()
        self.clock: Clock = clock or MonotonicClock()
        self.midi_output = midi_output
        self.midi_input: MidiInput | None = None
        self.midi_clock: MidiClock | None = None
        self.callresponse: CallResponse | None = None
        self.harmonizer: LiveHarmonizer | None = None
        self.realtime = realtime
        self.osc_sink = OscNoteSink(daemon, self.clock)
        self.scheduler = Scheduler([self.osc_sink], self.clock, realtime=realtime)
        self.workers: dict[str, WorkerBase] = {}  # engine name -> its streams' worker
        self._served: set[str] = set()  # engines whose streaming addresses are added
        self._lock = threading.Lock()
        self.keepalive = KeepAlive(self._find, daemon.last_heard, self._expired)
        self.phrases = PhraseListener(self._heard)
        self._following: dict[int, str] = {}  # streams following the MIDI clock -> engine
        self._subscribers: set[Addr] = set()
        self._started = False

    @property
    def worker(self) -> WorkerBase | None:
        """The first streaming engine's worker (benchmarks play one engine's streams)."""
        with self._lock:
            return next(iter(self.workers.values()), None)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Live:
        """Check the call-and-response engine (ValueError), open the MIDI ports (MidiError
        if one cannot be), start the threads and add the streaming addresses to the
        daemon."""
        o = self.options
        listening = bool(o.midi_in or o.virtual_midi)
        if o.harmonize:
            self._check_harmonizer()
        cr_on = listening and (not o.harmonize or o.respond_with is not None)
        responder = self._responder() if cr_on else None
        if self.realtime:
            if raise_priority(group=True):
                # Threads started from here on (the daemon's too) inherit it: a thread
                # holding the GIL must not wait behind a busy machine while the scheduler
                # waits for it.
                log.debug("live threads run at a raised priority")
            # A full garbage collection walks every object (torch brings hundreds of
            # thousands) holding the GIL: measured here, 80-130 ms with no note sent. Objects
            # alive now (modules, engines) live for good: freeze them out of collections.
            gc.collect()
            gc.freeze()
        try:
            if self.midi_output is None and (o.midi_out or o.virtual_midi):
                api = choose_api(o.midi_api)
                self.midi_output = MidiOutput(
                    o.midi_out, virtual=o.midi_out is None, api=api, client_name=o.client_name,
                    on_status=self._midi_status,
                )  # fmt: skip
            if o.midi_in or o.virtual_midi:
                api = choose_api(o.midi_api)
                self.midi_input = MidiInput(
                    self._on_midi,
                    o.midi_in,
                    virtual=o.midi_in is None,
                    api=api,
                    client_name=o.client_name + "-in",
                    now=self.clock.now,
                    on_status=self._midi_status,
                )
        except MidiError:
            self._close_ports()
            raise
        if self.midi_output is not None:
            # MIDI first: its send is a write into a ring; the OSC sink's socket send lets
            # the GIL go, and another thread taking it then would delay the MIDI note.
            self.scheduler.sinks.insert(0, MidiSink(self.midi_output))
        if o.harmonize and self.midi_output is not None:
            self.harmonizer = LiveHarmonizer(
                self.daemon.engines[HARMONIZER],
                self.midi_output,
                channels=o.harmony_channels,
                tempo=self._harmony_tempo,
                on_voice=lambda *voice: self._broadcast(HARMONY_NOTE_ADDRESS, [*map(int, voice)]),
            )
        if o.midi_clock:
            self.midi_clock = MidiClock(
                on_tempo=self._clock_tempo,
                on_start=self._clock_start,
                on_stop=self._clock_stop,
                on_continue=self._clock_start,
            )
        self.scheduler.start()
        for name, engine in sorted(self.daemon.engines.items()):
            if isinstance(engine, (StreamingEngine, EventStreamingEngine)):
                self._serve(name, type(engine))
                self.workers[name] = self._start_worker(name, engine)
        if CORE_STREAMS not in self._served:  # they answer "not loaded"
            import engines

            self._serve(CORE_STREAMS, engines.engine_class(CORE_STREAMS))
        if self.midi_input is not None and responder is not None:
            self.callresponse = CallResponse(
                responder,
                self.scheduler,
                self.daemon.submit,
                options=o.callresponse,
                tempo=self._tempo,
                on_state=self._report_state,
                clock=self.clock,
            ).start()
        for spec in LIVE_ADDRESSES:
            self.daemon.add_handler(spec, self._state)
        self.daemon.on_engine_swap.append(self._engine_swapped)
        self.keepalive.start()
        self._started = True
        return self

    def close(self, release_ports: bool = True) -> None:
        """Stop everything; every note that went out gets its note-off; MIDI panic.
        ``release_ports=False``: the MIDI ports are left for the process's exit to close
        (``bridge serve``, which exits without teardown: see ``PortLink.close``)."""
        if self._engine_swapped in self.daemon.on_engine_swap:
            self.daemon.on_engine_swap.remove(self._engine_swapped)
        self.keepalive.close()
        if self.midi_input is not None:
            self.midi_input.close(release_ports)  # no more input while closing
            self.midi_input = None
        if self.harmonizer is not None:
            self.harmonizer.end_all()
        if self.callresponse is not None:
            self.callresponse.close()
        with self._lock:
            workers, self.workers = list(self.workers.values()), {}
        for worker in workers:
            worker.close()
        self.scheduler.close()  # note-offs for all sounding notes, then sinks' panic
        self._close_ports(release_ports)

    def _close_ports(self, release: bool = True) -> None:
        if self.midi_input is not None:
            self.midi_input.close(release)
            self.midi_input = None
        if self.midi_output is not None:
            self.midi_output.close(release)

    def __enter__(self) -> Live:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _responder(self) -> Any:
        """The engine that answers a phrase, or None (call and response off)."""
        name = self.options.respond_with or RESPONDER
        engine = self.daemon.engines.get(name)
        if engine is None:
            if self.options.respond_with is None:
                log.info("call and response is off: the %s engine is not loaded", name)
                return None
            loaded = ", ".join(self.daemon.engine_names()) or "none"
            raise ValueError(
                f"--respond-with {name}: the {name} engine is not loaded (loaded: {loaded})"
            )
        check_responder(engine, name)
        return engine

    def _check_harmonizer(self) -> None:
        """ValueError unless ``harmonize`` can run: MIDI in and out, the engine loaded."""
        o = self.options
        if not (o.midi_in or o.virtual_midi) or not (o.midi_out or o.virtual_midi):
            raise ValueError("--harmonize needs a MIDI input and output: give --virtual-midi, "
                             "or --midi-in and --midi-out")  # fmt: skip
        if not hasattr(self.daemon.engines.get(HARMONIZER), "harmonize_step"):
            loaded = ", ".join(self.daemon.engine_names()) or "none"
            raise ValueError(f"--harmonize: the {HARMONIZER} engine is not loaded "
                             f"(loaded: {loaded})")  # fmt: skip

    def _harmony_tempo(self) -> float:
        """The MIDI clock's tempo while one runs (a pulse in the last second), else tempo."""
        mc = self.midi_clock
        last = None if mc is None else mc.last_pulse
        if mc is not None and mc.bpm and last is not None:
            if self.clock.now() - last < CLOCK_RUNNING_S:
                return clamp_tempo(mc.bpm)
        return self.options.tempo

    def _start_worker(self, name: str, engine: Any) -> WorkerBase:
        kind = EventStreamWorker if isinstance(engine, EventStreamingEngine) else StreamWorker
        return kind(
            engine,
            self.scheduler,
            self.clock,
            on_done=lambda s: self._stream_done(name, s),
            on_error=lambda s, m: self._stream_error(name, s, m),
            realtime=self.realtime,
            name=f"bridge-streams-{name}",
        ).start()

    def _engine_swapped(self, name: str, old: Any, new: Any) -> None:
        """``Daemon.on_engine_swap`` hook: ``name``'s streams end (their sounding notes at
        once, ``done`` to their clients); its worker starts again on ``new``."""
        fresh = None
        if isinstance(new, (StreamingEngine, EventStreamingEngine)):
            if name not in self._served:
                self._serve(name, type(new))
            fresh = self._start_worker(name, new)
        with self._lock:
            worker = self.workers.pop(name, None)
            if fresh is not None:
                self.workers[name] = fresh
        if worker is not None:
            ended = worker.close()
            log.info("engine %s swapped: %d streams ended", name, len(ended))
            for stream in ended:
                self._stream_done(name, stream)
        if self.harmonizer is not None and name == HARMONIZER:
            if hasattr(new, "harmonize_step"):
                self.harmonizer.reset(new)  # its voices end; the next note starts a new run
            else:
                self.harmonizer.end_all()
        cr = self.callresponse
        if cr is not None and (self.options.respond_with or RESPONDER) == name:
            try:
                check_responder(new, name)
                cr.engine = new
            except ValueError as exc:
                log.warning("call and response goes on with the old engine: %s", exc)

    # -- handlers (socket thread) ---------------------------------------------------------

    def _state(self, request: Request, sender: Addr) -> None:
        with self._lock:
            self._subscribers.add(sender)
        state = self.callresponse.state if self.callresponse is not None else "off"
        self._reply(request, sender, state)

    # -- events ---------------------------------------------------------------------------

    def _stream_done(self, name: str, stream: Stream) -> None:
        with self._lock:
            self._following.pop(stream.id, None)
        self.keepalive.forget(stream.id)
        if stream.client is not None:
            self.daemon.send(stream.client, stream_path(name, "done"), [stream.id])

    def _stream_error(self, name: str, stream: Stream, message: str) -> None:
        with self._lock:
            self._following.pop(stream.id, None)
        self.keepalive.forget(stream.id)
        if stream.client is not None:
            start = stream_path(name, "start")
            self.daemon.send_error(stream.client, stream.request_id, start, message)

    def _report_state(self, state: str) -> None:
        self._broadcast(STATE_ADDRESS, [state])

    def _midi_status(self, state: str, port: str) -> None:
        if state == "lost" and self.harmonizer is not None:
            self.harmonizer.reset()  # a lost input sends no note-off: end the voices now
        self._broadcast(MIDI_STATUS_ADDRESS, [state, port])

    def _broadcast(self, address: str, args: list[Any]) -> None:
        with self._lock:
            senders = [*self._subscribers, *self.daemon.registered()]
        targets = {self.daemon.reply_target(s): s for s in senders}  # each client once
        for sender in targets.values():
            self.daemon.send(sender, address, args)

    # -- keepalive and MIDI phrases -------------------------------------------------------

    def _find(self, name: str, sid: int) -> Any:
        with self._lock:
            worker = self.workers.get(name)
        return None if worker is None else worker.get(sid)

    def _expired(self, name: str, stream: Any) -> bool:
        """A keepalive stream's client went silent: end it (False: it ended meanwhile)."""
        with self._lock:
            worker = self.workers.get(name)
        if worker is None or not worker.stop(stream.id):
            return False
        self._stream_done(name, stream)
        return True

    def _heard(self, phrase: PlayedPhrase) -> None:
        """A phrase played into the MIDI input (its thread): fed to every listening event
        stream, in beats at its tempo (a stream with feeds waiting already skips it)."""
        with self._lock:
            workers = [w for w in self.workers.values() if isinstance(w, EventStreamWorker)]
        for worker in workers:
            for s in worker.streams():
                if s.options.listen and s.tempo is not None:
                    try:
                        if not worker.feed(s.id, phrase_notes(phrase, s.tempo.bpm)):
                            log.info("stream %d is busy: a phrase was not heard", s.id)
                    except KeyError:  # it ended meanwhile
                        pass

    # -- MIDI input and clock -------------------------------------------------------------

    def _on_midi(self, event: MidiEvent) -> None:
        if self.midi_clock is not None and self.midi_clock.feed(event):
            return
        self.phrases.feed(event)
        if self.harmonizer is not None:
            self.harmonizer.feed(event)  # well under a millisecond: see bridge.live.harmonize
        if self.callresponse is not None:
            self.callresponse.feed(event)

    def _tempo(self) -> float:
        if self.midi_clock is not None and self.midi_clock.bpm:
            return clamp_tempo(self.midi_clock.bpm)
        return 120.0

    def _each_following(self, command: Callable[[WorkerBase, int], None]) -> None:
        """``command(worker, stream)`` for every stream that follows the MIDI clock."""
        with self._lock:
            following = [(sid, self.workers.get(n)) for sid, n in sorted(self._following.items())]
        for sid, worker in following:
            if worker is None:
                continue
            try:
                command(worker, sid)
            except KeyError:  # it ended meanwhile
                pass

    def _clock_tempo(self, bpm: float) -> None:
        self._each_following(lambda w, sid: w.set_tempo(sid, clamp_tempo(bpm)))

    def _clock_start(self, t: float) -> None:
        if self.midi_clock is None:
            return
        at = self.midi_clock.next_beat(self.clock.now() + CLOCK_START_LEAD_S)
        bpm = self._tempo()
        self._each_following(lambda w, sid: w.resume(sid, at, bpm))

    def _clock_stop(self, t: float) -> None:
        self._each_following(lambda w, sid: w.pause(sid))


@contextmanager
def running(
    daemon: Any, options: LiveOptions | None = None, realtime: bool = True
) -> Iterator[Live]:
    """Start ``daemon`` with a Live part; on exit Live closes first (its note-offs go out
    through the daemon), then the daemon stops."""
    live = Live(daemon, options, realtime=realtime).start()
    daemon.start()
    try:
        yield live
    finally:
        live.close()
        daemon.stop()


__all__ = [
    "LIVE_ADDRESSES",
    "Live",
    "LiveOptions",
    "MAX_CLIENT_STREAMS",
    "MAX_STREAMS",
    "MAX_STREAM_NUMBER",
    "NOTE_ADDRESS",
    "NoteSink",
    "OscNoteSink",
    "STATE_ADDRESS",
    "running",
]
