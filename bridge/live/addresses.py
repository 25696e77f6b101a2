"""The streaming addresses of a streaming engine: ``/bridge/<engine>/stream/start|set|feed|stop``.

Built from the engine's declarations (``stream_params``: the keys of ``start``;
``stream_set_params``: what ``set`` may change) plus the keys the daemon owns: tempo,
channel, steps, lookahead, velocity and keepalive (start), tempo (set), the stream number,
and the performer's notes (feed). A ``steps N`` stream ends with ``/bridge/<engine>/stream/done
<stream>``. For the rnn engine these are exactly the streaming addresses of the protocol.

Pure: no sockets, no torch. ``stream_addresses(engine_classes)`` is what the README's address
table and ``bridge serve`` list; ``registered_stream_addresses()`` imports every registered
engine class (and so torch) to find those that stream.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields
from typing import Any

from bridge.live.clock import MAX_TEMPO, MIN_TEMPO
from bridge.server.protocol import Address, Key

STREAM_VERBS = ("start", "set", "feed", "stop")

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
KEEPALIVE = Key(
    "keepalive",
    "float",
    "end the stream (note-offs, then `done`) once its client has sent the bridge nothing for "
    "this many seconds (any message counts, `/bridge/ping` too); 0 plays on however long the "
    "client is silent",
    default=0.0,
    low=0,
    high=86400,
    metavar="S",
)
STREAM = Key("stream", "int", "the stream number from the start reply", required=True, low=1,
             high=2**31 - 1, metavar="<stream>")  # fmt: skip
FEED_NOTES = Key("notes", "notes", "the performer's notes: pitch start duration velocity (beats)",
                 required=True, metavar="<notes>")  # fmt: skip
SET_TEMPO = Key("tempo", "float", "new tempo, from the next step", default=None, low=MIN_TEMPO,
                high=MAX_TEMPO, metavar="BPM", default_doc="unchanged")  # fmt: skip

STREAM_BEATS = Key("beats", "float", "beats to play; notes sounding then end there; 0 plays "
                   "until stopped", default=0.0, low=0, high=1_000_000, metavar="N")  # fmt: skip
LISTEN = Key("listen", "int", "1: the stream hears the chords played into the bridge's MIDI input "
             "(each phrase, once every key is up, as a feed); 0: only OSC feeds", default=1,
             low=0, high=1, metavar="0|1")  # fmt: skip

DAEMON_START_KEYS = ("tempo", "channel", "steps", "beats", "lookahead", "velocity", "keepalive",
                     "listen")  # fmt: skip
"""The keys of ``stream/start`` the daemon answers itself; an engine cannot declare them."""


def stream_path(engine: str, verb: str) -> str:
    """``/bridge/<engine>/stream/<verb>`` (verb: start, set, feed, stop or done)."""
    return f"/bridge/{engine}/stream/{verb}"


def as_key(param: Any) -> Key:
    """An engine's parameter (``engines.params.Param``) as the daemon's request key."""
    return Key(**{f.name: getattr(param, f.name) for f in fields(Key)})


def start_keys(params: Iterable[Any]) -> tuple[Key, ...]:
    """The keys of ``stream/start``: the engine's ``params`` and the daemon's, in the order
    the protocol writes the rnn's: tempo, the engine's keys before its first list of notes,
    channel, steps, the engine's other keys, lookahead, velocity, keepalive."""
    engine = [as_key(p) for p in params]
    clash = sorted({k.name for k in engine} & set(DAEMON_START_KEYS))
    if clash:
        raise ValueError(f"stream parameters {', '.join(clash)} belong to the daemon")
    cut = next((i for i, k in enumerate(engine) if k.kind == "notes"), len(engine))
    return (TEMPO, *engine[:cut], CHANNEL, STREAM_STEPS, *engine[cut:], LOOKAHEAD, VELOCITY,
            KEEPALIVE)  # fmt: skip


def stop_address(name: str) -> Address:
    """``/bridge/<engine>/stream/stop``, the same for every kind of stream."""
    return Address(
        stream_path(name, "stop"),
        keys=(STREAM,),
        reply_args="<stream>",
        doc="Stop a stream; every note it is sounding ends at once. Only the client that "
        "started a stream may set, feed or stop it.",
    )


def event_start_keys(params: Iterable[Any]) -> tuple[Key, ...]:
    """The keys of an event stream's ``stream/start``: as :func:`start_keys` with ``beats``
    for ``steps``, no ``velocity`` (the model's own), and ``listen``."""
    keys = start_keys(params)
    swap = {"steps": STREAM_BEATS}
    return (*(swap.get(k.name, k) for k in keys if k.name != "velocity"), LISTEN)


def event_stream_addresses(name: str, engine_class: Any) -> tuple[Address, ...]:
    """The four streaming addresses of an event-streaming engine (polyphonic, timed events:
    ``bridge.live.eventstreams``) served as ``name``."""
    settable = [as_key(p) for p in engine_class.event_stream_set_params]
    also = ", ".join(k.name for k in settable)
    done = stream_path(name, "done")
    return (
        Address(
            stream_path(name, "start"),
            keys=event_start_keys(engine_class.event_stream_params),
            reply_args="<stream>",
            doc=f"Start a real-time polyphonic stream: the {name} engine continues `notes` "
            "with chords, overlapping notes, its own rhythm (any beat, not the 16th grid) and "
            "velocities, sending `/bridge/note <stream> <pitch> <velocity> <duration-beats> "
            "<duration-ms>` at each note's time (the notes of a chord at the same moment; MIDI "
            "on `channel` when the bridge has a MIDI output). Events are drawn half a beat "
            "ahead of the clock (never less than 0.1 s), and before a note starts as far as "
            "its end (at most 4 beats; longer notes end there). With `--midi-clock`, a stream "
            "started without `tempo` follows the incoming MIDI clock and starts on a beat. "
            f"`beats N` streams end with `{done} <stream>`.",
        ),
        Address(
            stream_path(name, "set"),
            keys=(STREAM, SET_TEMPO, *settable),
            reply_args="<stream>",
            doc=f"Change a stream's tempo (at once) or {also} (from the first event after "
            "the notes already committed: within about a beat, or after the longest note "
            "sounding).",
        ),
        Address(
            stream_path(name, "feed"),
            keys=(STREAM, FEED_NOTES),
            reply_args="<stream>",
            doc="The performer's notes (chords and overlapping notes allowed), heard by the "
            "model as if played just now (they are not played): it goes on from them, from "
            "the first event not yet committed.",
        ),
        stop_address(name),
    )


def engine_stream_addresses(name: str, engine_class: Any) -> tuple[Address, ...]:
    """The four streaming addresses of the engine class ``engine_class`` served as ``name``
    (grid streams, or event streams for an event-streaming engine)."""
    from engines.base import EventStreamingEngine

    if issubclass(engine_class, EventStreamingEngine):
        return event_stream_addresses(name, engine_class)
    what = engine_class.stream_doc or f"the {name} engine continues `notes`"
    settable = [as_key(p) for p in engine_class.stream_set_params]
    also = " or ".join(f"{k.name}" for k in settable)
    later = (
        f" or {also} (from the next step not yet committed: within about two steps, or after "
        "the note being played)"
        if settable
        else ""
    )
    return (
        Address(
            stream_path(name, "start"),
            keys=start_keys(engine_class.stream_params),
            reply_args="<stream>",
            doc=f"Start a real-time stream: {what} and plays, sending `/bridge/note <stream> "
            "<pitch> <velocity> <duration-beats> <duration-ms>` at each note's time (and MIDI "
            "on `channel` when the bridge has a MIDI output). The model samples about two "
            "steps ahead of the clock (never less than 0.1 s), and before a note starts as "
            "far as the note's end (at most a bar; longer notes are ended at the bar). With "
            "`--midi-clock`, a stream started without `tempo` follows the incoming MIDI clock "
            f"and starts on a beat. `steps N` streams end with `{stream_path(name, 'done')} "
            "<stream>`.",
        ),
        Address(
            stream_path(name, "set"),
            keys=(STREAM, SET_TEMPO, *settable),
            reply_args="<stream>",
            doc=f"Change a stream's tempo (exactly from the next step){later}.",
        ),
        Address(
            stream_path(name, "feed"),
            keys=(STREAM, FEED_NOTES),
            reply_args="<stream>",
            doc="Add the performer's notes to the stream's context (they are not played): the "
            "model continues from them, from the next step not yet committed.",
        ),
        stop_address(name),
    )


def stream_addresses(engine_classes: Iterable[Any]) -> tuple[Address, ...]:
    """The streaming addresses of every streaming engine class given (others are skipped),
    each under its registered ``name``."""
    from engines.base import EventStreamingEngine, StreamingEngine

    out: list[Address] = []
    for cls in engine_classes:
        if isinstance(cls, type) and issubclass(cls, (StreamingEngine, EventStreamingEngine)):
            out += engine_stream_addresses(cls.name, cls)
    return tuple(out)


def registered_stream_addresses() -> tuple[Address, ...]:
    """The streaming addresses of every engine in the registry (imports their classes)."""
    import engines

    return stream_addresses(engines.engine_class(n) for n in engines.available_engines())


__all__ = [
    "DAEMON_START_KEYS",
    "FEED_NOTES",
    "STREAM",
    "STREAM_VERBS",
    "as_key",
    "engine_stream_addresses",
    "event_stream_addresses",
    "registered_stream_addresses",
    "start_keys",
    "stream_addresses",
    "stream_path",
]
