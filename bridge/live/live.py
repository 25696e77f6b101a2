"""Live playing: the streaming addresses, MIDI output and input, MIDI clock, call and response.

``Live(daemon, options)`` adds the streaming addresses to a ``Daemon`` and owns what plays in
time: the ``Scheduler`` (one thread), a ``StreamWorker`` for the RNN engine (inference), the
MIDI ports and the call-and-response loop. Start it before the daemon and close it before
the daemon stops: ``close`` ends every sounding note (note-offs, then All Notes Off and All
Sound Off on every channel used).

Events (server -> client):
- ``/bridge/note <stream> <pitch> <velocity> <duration-beats> <duration-ms>`` at each note's
  time, to the client that started the stream (its registered port, if it registered).
  ``duration-ms`` is the duration at the tempo when the note starts.
- ``/bridge/rnn/stream/done <stream>`` when a stream started with ``steps N`` has played.
- ``/bridge/callresponse/state <idle|listening|responding>`` to every registered client
  (``/bridge/register``) and every client that asked ``/bridge/callresponse/state``.
- ``/bridge/midi/status <lost|back> <port>`` to the same clients when a MIDI port's system
  (the JACK server) goes away, and when the port is back (reopened by itself).
"""

from __future__ import annotations

import gc
import itertools
import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from bridge.live.callresponse import CallResponse, CallResponseOptions
from bridge.live.clock import MAX_TEMPO, MIN_TEMPO, Clock, MonotonicClock, clamp_tempo
from bridge.live.midi import (
    MidiClock,
    MidiError,
    MidiEvent,
    MidiInput,
    MidiOutput,
    MidiSink,
    choose_api,
)
from bridge.live.scheduler import NoteSink, PlayedNote, Scheduler
from bridge.live.streams import StreamOptions, StreamWorker, raise_priority
from bridge.server.osc import Addr, encode, encode_bundle
from bridge.server.protocol import PRIMER, SEED, TEMPERATURE, TOP_P, Address, Key, Request

log = logging.getLogger(__name__)

NOTE_ADDRESS = "/bridge/note"
DONE_ADDRESS = "/bridge/rnn/stream/done"
STATE_ADDRESS = "/bridge/callresponse/state"
MIDI_STATUS_ADDRESS = "/bridge/midi/status"
START_PATH = "/bridge/rnn/stream/start"
CLOCK_START_LEAD_S = 0.25  # a clock-following stream starts on the first beat this far ahead
MAX_STREAMS = 64

TEMPO = Key("tempo", "float", "tempo in beats (quarter notes) per minute", default=120.0,
            low=MIN_TEMPO, high=MAX_TEMPO, metavar="BPM")  # fmt: skip
CHANNEL = Key("channel", "int", "MIDI channel of the stream's notes", default=1, low=1, high=16,
              metavar="C")  # fmt: skip
STREAM_STEPS = Key("steps", "int", "16th-note steps to play; 0 plays until stopped", default=0,
                   low=0, high=2**31 - 1, metavar="N")  # fmt: skip
LOOKAHEAD = Key(
    "lookahead",
    "float",
    "send each note this many ms early in an OSC bundle timetagged with the note's time "
    "(for clients that schedule bundles, like SuperCollider); 0 sends plain messages at the "
    "note's time",
    default=0.0,
    low=0,
    high=2000,
    metavar="MS",
)
VELOCITY = Key("velocity", "int", "velocity of the stream's notes", default=None, low=1, high=127,
               metavar="V", default_doc="the primer's mean, else 100")  # fmt: skip
STREAM = Key("stream", "int", "the stream number from the start reply", required=True, low=1,
             high=2**31 - 1, metavar="<stream>")  # fmt: skip
FEED_NOTES = Key("notes", "notes", "the performer's notes: pitch start duration velocity (beats)",
                 required=True, metavar="<notes>")  # fmt: skip
SET_TEMPO = Key("tempo", "float", "new tempo, from the next step", default=None, low=MIN_TEMPO,
                high=MAX_TEMPO, metavar="BPM", default_doc="unchanged")  # fmt: skip
SET_TEMPERATURE = Key("temperature", "float", "new temperature, from the next step sampled",
                      default=None, low=0, low_open=True, default_doc="unchanged")  # fmt: skip

STREAM_ADDRESSES: tuple[Address, ...] = (
    Address(
        START_PATH,
        keys=(TEMPO, TEMPERATURE, SEED, CHANNEL, STREAM_STEPS, PRIMER, TOP_P, LOOKAHEAD, VELOCITY),
        reply_args="<stream>",
        doc="Start a real-time stream: the RNN continues `notes` (or starts from nothing) and "
        "plays, sending `/bridge/note <stream> <pitch> <velocity> <duration-beats> "
        "<duration-ms>` at each note's time (and MIDI on `channel` when the bridge has a MIDI "
        "output). The model samples about two steps ahead of the clock (never less than "
        "0.1 s), and before a note starts as far as the note's end (at most a bar; longer "
        "notes are ended at the bar). With `--midi-clock`, a stream started without `tempo` "
        "follows the incoming MIDI clock and starts on a beat. `steps N` streams end with "
        "`/bridge/rnn/stream/done <stream>`.",
    ),
    Address(
        "/bridge/rnn/stream/set",
        keys=(STREAM, SET_TEMPO, SET_TEMPERATURE),
        reply_args="<stream>",
        doc="Change a stream's tempo (exactly from the next step) or temperature (from the "
        "next step not yet committed: within about two steps, or after the note being "
        "played).",
    ),
    Address(
        "/bridge/rnn/stream/feed",
        keys=(STREAM, FEED_NOTES),
        reply_args="<stream>",
        doc="Add the performer's notes to the stream's context (they are not played): the "
        "model continues from them, from the next step not yet committed.",
    ),
    Address(
        "/bridge/rnn/stream/stop",
        keys=(STREAM,),
        reply_args="<stream>",
        doc="Stop a stream; every note it is sounding ends at once.",
    ),
    Address(
        STATE_ADDRESS,
        reply_args="<state>",
        doc="The call-and-response state (`idle`, `listening`, `responding`, or `off` without "
        "`--midi-in`). From then on the asking client, like every registered client, is sent "
        "`/bridge/callresponse/state <state>` at every change.",
    ),
)


class OscNoteSink:
    """Sends ``/bridge/note`` for every note that has a ``target`` (the client's address).

    A note with ``lead`` goes out ``lead`` seconds early in a bundle timetagged with its
    time. ``send(sender, address, args)`` is the daemon's reply path (registered ports apply).
    """

    def __init__(self, daemon: Any, clock: Clock) -> None:
        self.daemon = daemon
        self.clock = clock
        # Bundles go out from a socket of our own: the daemon's sends plain messages only.
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    @staticmethod
    def args(note: PlayedNote) -> list[Any]:
        return [note.stream, note.pitch, note.velocity, note.duration_beats, note.duration_ms]

    def note_on(self, note: PlayedNote, now: float) -> None:
        if note.target is not None and note.lead <= 0:
            self.daemon.send(note.target, NOTE_ADDRESS, self.args(note))

    def note_off(self, note: PlayedNote, now: float) -> None:
        pass

    def announce(self, note: PlayedNote, now: float) -> None:
        if note.target is None:
            return
        data = encode_bundle(
            [encode(NOTE_ADDRESS, self.args(note))], self.clock.to_unix(note.on_time)
        )
        try:
            self._sock.sendto(data, self.daemon.reply_target(note.target))
        except OSError as exc:
            log.warning("could not send a note bundle: %s", exc)

    def close(self) -> None:
        self._sock.close()


@dataclass(frozen=True)
class LiveOptions:
    """MIDI and call-and-response settings of ``bridge serve``.

    ``midi_out`` opens an existing port by name; ``virtual_midi`` creates the ports
    ``<client_name>:out`` (and ``<client_name>-in:in`` unless ``midi_in`` names one: rtmidi
    opens inputs and outputs as two clients). ``midi_clock`` follows
    the MIDI clock arriving on the input. Call and response runs when there is a MIDI input
    and an RNN engine, with ``callresponse`` settings.
    """

    midi_out: str | None = None
    virtual_midi: bool = False
    midi_in: str | None = None
    midi_api: str | None = None
    midi_clock: bool = False
    client_name: str = "bridge"
    callresponse: CallResponseOptions = field(default_factory=CallResponseOptions)


class Live:
    """The live half of a bridge; see the module doc. ``start()``, then ``close()``."""

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
        self.engine = daemon.engines.get("rnn")
        self.midi_output = midi_output
        self.midi_input: MidiInput | None = None
        self.midi_clock: MidiClock | None = None
        self.callresponse: CallResponse | None = None
        self.realtime = realtime
        self.osc_sink = OscNoteSink(daemon, self.clock)
        self.scheduler = Scheduler([self.osc_sink], self.clock, realtime=realtime)
        self.worker: StreamWorker | None = None
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._following: set[int] = set()
        self._subscribers: set[Addr] = set()
        self._started = False

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Live:
        """Open the MIDI ports (MidiError if one cannot be), start the threads and add the
        streaming addresses to the daemon."""
        o = self.options
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
            self.scheduler.sinks.append(MidiSink(self.midi_output))
        if o.midi_clock:
            self.midi_clock = MidiClock(
                on_tempo=self._clock_tempo,
                on_start=self._clock_start,
                on_stop=self._clock_stop,
                on_continue=self._clock_start,
            )
        self.scheduler.start()
        if self.engine is not None:
            self.worker = StreamWorker(
                self.engine,
                self.scheduler,
                self.clock,
                on_done=self._stream_done,
                on_error=self._stream_error,
                realtime=self.realtime,
            ).start()
            if self.midi_input is not None:
                self.callresponse = CallResponse(
                    self.engine,
                    self.scheduler,
                    self.daemon.submit,
                    options=o.callresponse,
                    tempo=self._tempo,
                    on_state=self._report_state,
                    clock=self.clock,
                ).start()
        handlers = {
            START_PATH: self._start_stream,
            "/bridge/rnn/stream/set": self._set,
            "/bridge/rnn/stream/feed": self._feed,
            "/bridge/rnn/stream/stop": self._stop,
            STATE_ADDRESS: self._state,
        }
        for spec in STREAM_ADDRESSES:
            self.daemon.add_handler(spec, handlers[spec.path])
        self._started = True
        return self

    def close(self) -> None:
        """Stop everything; every note that went out gets its note-off; MIDI panic."""
        if self.midi_input is not None:
            self.midi_input.close()  # no more input while closing
            self.midi_input = None
        if self.callresponse is not None:
            self.callresponse.close()
        if self.worker is not None:
            self.worker.close()
        self.scheduler.close()  # note-offs for all sounding notes, then sinks' panic
        self._close_ports()

    def _close_ports(self) -> None:
        if self.midi_input is not None:
            self.midi_input.close()
            self.midi_input = None
        if self.midi_output is not None:
            self.midi_output.close()

    def __enter__(self) -> Live:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- handlers (socket thread) ---------------------------------------------------------

    def _worker(self, request: Request, sender: Addr) -> StreamWorker | None:
        if self.worker is None:
            self.daemon.send_error(
                sender,
                request.id,
                request.address,
                "the rnn engine is not loaded; start the bridge with --rnn <checkpoint>",
            )
        return self.worker

    def _stream_id(self, worker: StreamWorker, request: Request, sender: Addr) -> int | None:
        sid = int(request["stream"])
        if worker.get(sid) is None:
            playing = ", ".join(map(str, worker.ids())) or "none"
            self.daemon.send_error(
                sender, request.id, request.address, f"no stream {sid} (playing: {playing})"
            )
            return None
        return sid

    def _reply(self, request: Request, sender: Addr, *args: Any) -> None:
        spec = self.daemon.addresses[request.address]
        self.daemon.send(sender, spec.reply, [request.id, *args])

    def _start_stream(self, request: Request, sender: Addr) -> None:
        worker = self._worker(request, sender)
        if worker is None:
            return
        if len(worker.ids()) >= MAX_STREAMS:
            message = f"{MAX_STREAMS} streams are playing, the most at once; stop one first"
            self.daemon.send_error(sender, request.id, request.address, message)
            return
        notes = request["notes"]
        try:
            primer = self.engine.primer_tokens(notes)
        except ValueError as exc:
            self.daemon.send_error(sender, request.id, request.address, str(exc))
            return
        velocity = request["velocity"]
        if velocity is None:
            velocity = round(sum(n.velocity for n in notes) / len(notes)) if notes else 100
        follow = self.midi_clock is not None and "tempo" not in request.given
        tempo = self._tempo() if follow else float(request["tempo"])
        options = StreamOptions(
            tempo=tempo,
            temperature=float(request["temperature"]),
            top_p=request["top_p"],
            seed=request["seed"],
            channel=int(request["channel"]),
            steps=int(request["steps"]),
            lookahead_s=float(request["lookahead"]) / 1000.0,
            velocity=int(velocity),
        )
        with self._lock:
            sid = next(self._ids)
            if follow:
                self._following.add(sid)
        worker.start_stream(sid, options, primer, client=sender, request_id=request.id,
                            paused=follow)  # fmt: skip
        if follow and self.midi_clock is not None and self.midi_clock.running:
            at = self.midi_clock.next_beat(self.clock.now() + CLOCK_START_LEAD_S)
            worker.resume(sid, at, self.midi_clock.bpm)
        self._reply(request, sender, sid)

    def _set(self, request: Request, sender: Addr) -> None:
        worker = self._worker(request, sender)
        sid = None if worker is None else self._stream_id(worker, request, sender)
        if worker is None or sid is None:
            return
        if "tempo" in request.given:
            with self._lock:
                self._following.discard(sid)  # an explicit tempo stops following the clock
            worker.set_tempo(sid, float(request["tempo"]))
        if "temperature" in request.given:
            worker.set_temperature(sid, float(request["temperature"]))
        self._reply(request, sender, sid)

    def _feed(self, request: Request, sender: Addr) -> None:
        worker = self._worker(request, sender)
        sid = None if worker is None else self._stream_id(worker, request, sender)
        if worker is None or sid is None:
            return
        try:
            tokens = self.engine.primer_tokens(request["notes"])  # the primer's limits apply
        except ValueError as exc:
            self.daemon.send_error(sender, request.id, request.address, str(exc))
            return
        worker.feed(sid, tokens)
        self._reply(request, sender, sid)

    def _stop(self, request: Request, sender: Addr) -> None:
        worker = self._worker(request, sender)
        sid = None if worker is None else self._stream_id(worker, request, sender)
        if worker is None or sid is None:
            return
        worker.stop(sid)
        with self._lock:
            self._following.discard(sid)
        self._reply(request, sender, sid)

    def _state(self, request: Request, sender: Addr) -> None:
        with self._lock:
            self._subscribers.add(sender)
        state = self.callresponse.state if self.callresponse is not None else "off"
        self._reply(request, sender, state)

    # -- events ---------------------------------------------------------------------------

    def _stream_done(self, stream: Any) -> None:
        with self._lock:
            self._following.discard(stream.id)
        if stream.client is not None:
            self.daemon.send(stream.client, DONE_ADDRESS, [stream.id])

    def _stream_error(self, stream: Any, message: str) -> None:
        with self._lock:
            self._following.discard(stream.id)
        if stream.client is not None:
            self.daemon.send_error(stream.client, stream.request_id, START_PATH, message)

    def _report_state(self, state: str) -> None:
        self._broadcast(STATE_ADDRESS, [state])

    def _midi_status(self, state: str, port: str) -> None:
        self._broadcast(MIDI_STATUS_ADDRESS, [state, port])

    def _broadcast(self, address: str, args: list[Any]) -> None:
        with self._lock:
            senders = [*self._subscribers, *self.daemon.registered()]
        targets = {self.daemon.reply_target(s): s for s in senders}  # each client once
        for sender in targets.values():
            self.daemon.send(sender, address, args)

    # -- MIDI input and clock -------------------------------------------------------------

    def _on_midi(self, event: MidiEvent) -> None:
        if self.midi_clock is not None and self.midi_clock.feed(event):
            return
        if self.callresponse is not None:
            self.callresponse.feed(event)

    def _tempo(self) -> float:
        if self.midi_clock is not None and self.midi_clock.bpm:
            return clamp_tempo(self.midi_clock.bpm)
        return 120.0

    def _following_ids(self) -> list[int]:
        with self._lock:
            return sorted(self._following)

    def _clock_tempo(self, bpm: float) -> None:
        if self.worker is None:
            return
        for sid in self._following_ids():
            try:
                self.worker.set_tempo(sid, clamp_tempo(bpm))
            except KeyError:
                pass

    def _clock_start(self, t: float) -> None:
        if self.worker is None or self.midi_clock is None:
            return
        at = self.midi_clock.next_beat(self.clock.now() + CLOCK_START_LEAD_S)
        for sid in self._following_ids():
            try:
                self.worker.resume(sid, at, self._tempo())
            except KeyError:
                pass

    def _clock_stop(self, t: float) -> None:
        if self.worker is None:
            return
        for sid in self._following_ids():
            try:
                self.worker.pause(sid)
            except KeyError:
                pass


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


__all__ = ["Live", "LiveOptions", "OscNoteSink", "STREAM_ADDRESSES", "NoteSink", "running"]
