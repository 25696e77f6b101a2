"""The engine interface: what every engine declares and does, with no sockets and no clock.

An engine is a class registered by name in ``engines/__init__.py``. It has

- ``name`` and a checkpoint folder (``config.json`` + ``model.safetensors``, the config
  travelling with the weights), ``load(folder, device)`` and ``warm_up()``;
- ``verbs``: each a :class:`Verb` naming its parameters (:class:`engines.params.Param`) and
  the shape of its reply, and the engine method that answers it (keyword arguments named like
  the parameters);
- optionally a streaming side (:class:`StreamingEngine`): open a :class:`Session` from a
  primer, feed it the performer's notes, and step many sessions at once. The daemon keeps time
  and commits notes; the engine keeps every tensor.

The daemon builds its OSC address table, request parsing, ``/bridge/describe``, the CLI's
``bridge generate`` and the benchmarks from these declarations, so a new engine is one
registry line and its folder.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from engines.params import VARIATIONS, Param

ReplyShape = Literal["notes", "indexed", "numbers"]
"""``notes``: one reply of notes. ``indexed``: one reply per melody, ``<index> <count>
<notes...>``. ``numbers``: one reply of numbers."""

REPLY_ARGS: dict[str, str] = {
    "notes": "<notes...>",
    "indexed": "<index> <count> <notes...>",
    "numbers": "<floats...>",
}


@dataclass(frozen=True)
class Verb:
    """One thing an engine does on request: ``/bridge/<engine>/<name>``.

    ``method`` is the engine method called with the parameters as keyword arguments (default:
    ``name``). ``doc`` is for performers; it becomes the address table's text. ``bench`` is a
    typical request as it goes on the wire after the id (``"steps", 32, "notes", 60, ...``;
    without ``seed``, which the caller adds): ``bridge bench`` times it, tests send it.

    ``variations``: a ``notes`` verb that can answer with several melodies at once. The
    ``variations`` parameter is added to ``params``; the method receives it (None without
    it, as before) and with ``variations N`` returns N note lists, variation k drawn with
    seed S+k (S the request's seed, or one drawn at random); the reply is then ``indexed``.
    """

    name: str
    params: tuple[Param, ...]
    reply: ReplyShape
    doc: str
    method: str = ""
    bench: tuple[Any, ...] = ()
    variations: bool = False

    def __post_init__(self) -> None:
        if self.reply not in REPLY_ARGS:
            raise ValueError(f"verb {self.name}: reply must be one of {', '.join(REPLY_ARGS)}")
        if self.variations:
            if self.reply != "notes":
                raise ValueError(f"verb {self.name}: only a notes verb has variations")
            if self.param(VARIATIONS.name) is None:
                object.__setattr__(self, "params", (*self.params, VARIATIONS))
        object.__setattr__(self, "doc", inspect.cleandoc(self.doc))
        if not self.method:
            object.__setattr__(self, "method", self.name)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def reply_for(self, values: Mapping[str, Any]) -> ReplyShape:
        """The reply shape of a request with ``values``: ``indexed`` when it asks for
        variations, else the declared one."""
        if self.variations and values.get(VARIATIONS.name) is not None:
            return "indexed"
        return self.reply

    @property
    def makes_notes(self) -> bool:
        return self.reply in ("notes", "indexed")


class Engine(ABC):
    """The base of every engine. Subclasses set ``name`` and ``verbs`` and implement ``load``.

    ``info`` holds the checkpoint's free-form notes (``config.json``'s ``extra``: corpus,
    training run); ``folder`` is where it was loaded from (set by :func:`engines.load_engine`).
    """

    name: ClassVar[str]
    verbs: ClassVar[tuple[Verb, ...]] = ()
    info: dict[str, Any]
    folder: Path | None = None

    @classmethod
    @abstractmethod
    def load(cls, path: str | Path, device: str = "auto") -> Engine:
        """The engine of a checkpoint folder on ``device`` (auto, cpu or cuda)."""

    @classmethod
    @abstractmethod
    def tiny(cls, seed: int = 0) -> Engine:
        """A random-init engine small enough to load and answer in milliseconds (tests)."""

    @abstractmethod
    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> Path:
        """Write the checkpoint folder (``config.json`` + ``model.safetensors``)."""

    def warm_up(self) -> None:  # noqa: B027 - an engine with nothing to warm up keeps this
        """Run the compiled paths once, so that a performer's first request is fast."""

    def prepare_thread(self, threads: int = 1) -> None:
        """Ready the calling thread to run this engine over and over (a stream worker or a
        daemon worker calls it once): ``threads`` torch threads, if torch is in use, since
        OpenMP keeps its thread count per thread and a new thread would otherwise use every
        core."""
        torch = sys.modules.get("torch")  # an engine without torch never imports it
        if torch is not None:
            torch.set_num_threads(threads)

    # -- verbs ------------------------------------------------------------------------------

    @classmethod
    def verb(cls, name: str) -> Verb:
        for v in cls.verbs:
            if v.name == name:
                return v
        known = ", ".join(v.name for v in cls.verbs) or "none"
        raise ValueError(f"the {cls.name} engine has no verb {name!r}; verbs: {known}")

    def call(self, verb: str, values: Mapping[str, Any]) -> Any:
        """Answer ``verb`` with ``values`` (a parameter missing takes its default).

        Returns notes, a list of note lists (``indexed``, or with ``variations``) or
        numbers, by :meth:`Verb.reply_for`. Raises ValueError, in a performer's words, for
        a value the engine refuses.
        """
        v = self.verb(verb)
        return getattr(self, v.method)(**{p.name: values.get(p.name, p.default) for p in v.params})

    # -- describe ---------------------------------------------------------------------------

    def parameter_count(self) -> int:
        model = getattr(self, "model", None)
        if model is None or not hasattr(model, "parameters"):
            return 0
        return int(sum(p.numel() for p in model.parameters()))

    def checkpoint(self) -> dict[str, Any]:
        """What this engine serves: checkpoint folder name, corpus, when trained, parameter
        count and a content hash of the weights (the first 12 hex digits of their SHA-256)."""
        training = self.info.get("training", {}) if isinstance(self.info, dict) else {}
        if not isinstance(training, dict):
            training = {}
        folder = self.folder
        return {
            "name": folder.name if folder is not None else "untitled",
            "corpus": str(training.get("corpus") or self.info.get("corpus") or "unknown"),
            "trained": str(training.get("trained") or self.info.get("trained") or "unknown"),
            "parameters": self.parameter_count(),
            "hash": weights_hash(folder) if folder is not None else "none",
        }


def weights_hash(folder: Path) -> str:
    """The first 12 hex digits of the SHA-256 of a checkpoint's ``model.safetensors``."""
    digest = hashlib.sha256()
    path = Path(folder) / "model.safetensors"
    if not path.is_file():
        return "none"
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()[:12]


class Session(ABC):
    """One live stream's model state, owned by its engine; used by one thread at a time.

    The daemon's stream worker asks it for the next grid token (:mod:`engines.notes`: a
    note-on, ``OFF`` or ``HOLD`` per 16th step), may replace that token (to end a note it
    must end), then has the engine ``advance`` a batch of sessions with the tokens chosen.
    Before each step the worker keeps a ``snapshot()``, so that a change of temperature or
    notes fed by the performer can rewind to a step not yet promised.
    """

    @abstractmethod
    def sample(self) -> int:
        """The next grid token from the current state (not yet fed back)."""

    @abstractmethod
    def feed(self, tokens: Sequence[int]) -> None:
        """Advance the state through ``tokens`` (the performer's notes on the grid)."""

    @abstractmethod
    def snapshot(self) -> Any:
        """An opaque copy of the state (cheap: the state is replaced, never changed in place)."""

    @abstractmethod
    def restore(self, snapshot: Any) -> None:
        """Go back to a state from :meth:`snapshot`."""

    def set(self, values: Mapping[str, Any]) -> None:
        """Take new values of the engine's ``stream_set_params`` (those given only)."""
        for name, value in values.items():
            setattr(self, name, value)


class StreamingEngine(Engine):
    """An engine that plays live on the 16th-note grid.

    ``stream_params`` are the engine's keys of ``/bridge/<engine>/stream/start`` (the daemon
    adds tempo, channel, steps, lookahead and velocity); ``stream_set_params`` those that
    ``/bridge/<engine>/stream/set`` may change while it plays (the daemon adds tempo).
    """

    stream_params: ClassVar[tuple[Param, ...]] = ()
    stream_set_params: ClassVar[tuple[Param, ...]] = ()
    stream_doc: ClassVar[str] = ""
    """What a stream of this engine plays, for the address table (default: the engine
    continues `notes`)."""

    @abstractmethod
    def grid_tokens(self, notes: Sequence[Any]) -> list[int]:
        """The performer's notes as grid tokens padded with rests to whole bars (so the model
        keeps its place in the bar); ValueError for notes it refuses. Cheap: called on the
        socket thread to check a request before the worker sees it."""

    @abstractmethod
    def open_session(self, values: Mapping[str, Any], primer: Sequence[int]) -> Session:
        """A new session from ``stream_params`` values, primed with ``primer`` tokens."""

    @abstractmethod
    def advance(self, sessions: Sequence[Session], tokens: Sequence[int]) -> None:
        """Feed each session its token, all in one batched step; a session's numbers never
        depend on which other sessions share the batch."""


Event = tuple[float, str, int, int]
"""One event of an event stream: ``(beat, kind, pitch, velocity)``. ``kind`` is ``"on"`` or
``"off"``; ``velocity`` is 1..127 for an ``on``, 0 for an ``off``; ``beat`` is on the
session's clock (see :class:`EventSession`)."""


class EventSession(ABC):
    """One live polyphonic stream's model state, owned by its engine; one thread at a time.

    Time is the session's clock in beats (so a stream follows the DAW's tempo: the worker
    turns beats into seconds). Beat 0 is the primer's beat 0; the session starts at
    :attr:`beat`, the end of the primer (the end of its last note; 0 without a primer).

    The per-event worker's loop, for each stream::

        events = session.next_events(until_beat)  # everything before until_beat, in order
        # schedule them; keep session.snapshot() from before a call whose events are not
        # yet promised (sent), and restore() it if the performer changes something first
        session.feed(notes)  # the performer's notes, heard by the model (clock moves on)
        session.set({"density": 3.0})  # conditions, temperature: from the next event on
        events = session.close()  # at the end: an off for every note still sounding

    Guarantees: events come in time order, never before :attr:`beat` at the call; every
    ``on`` is followed by its ``off`` (at a later beat) in this or a later call, or by
    :meth:`close`; one pitch never sounds twice at once (a re-struck pitch gets an ``off``
    at the same beat first); with the same seed and the same calls a session gives the same
    events, however the calls cut up the time. ``next_events`` may move :attr:`beat` past
    ``until_beat`` (the model's silence may run past it); the next call then returns events
    from there.
    """

    @property
    @abstractmethod
    def beat(self) -> float:
        """The session's clock: the model has said everything before this beat."""

    @abstractmethod
    def next_events(self, until_beat: float, max_events: int | None = None) -> list[Event]:
        """The model's next events, until its clock reaches ``until_beat`` (or it has drawn
        ``max_events`` event tokens, velocity and time shifts included)."""

    @abstractmethod
    def feed(self, notes: Sequence[Any]) -> None:
        """The performer's notes (``engines.notes.Note``; starts in beats counted from
        :attr:`beat` now, overlapping allowed), heard by the model as if it had played them;
        the clock moves to the end of the last one. Notes the model has sounding keep
        sounding. ValueError for notes it refuses."""

    @abstractmethod
    def close(self) -> list[Event]:
        """An ``off`` at the clock for every note the model has sounding (ending the stream,
        or before a :meth:`feed` that should silence the model)."""

    @abstractmethod
    def snapshot(self) -> Any:
        """An opaque copy of the whole state (model, clock, sounding notes, random numbers)."""

    @abstractmethod
    def restore(self, snapshot: Any) -> None:
        """Go back to a state from :meth:`snapshot`."""

    @abstractmethod
    def set(self, values: Mapping[str, Any]) -> None:
        """Take new values of the engine's ``event_stream_set_params`` (those given only; a
        value of None clears a condition), from the next event drawn."""


class EventStreamingEngine(Engine):
    """An engine that plays live as timed note events (polyphonic, any rhythm), not on a grid.

    ``event_stream_params`` are its keys when a stream starts (the daemon adds tempo,
    channel and lookahead), ``event_stream_set_params`` those a playing stream may change.
    ``open_event_session`` is cheap enough for the socket thread to check a request (it
    raises ValueError in a performer's words); stepping happens in the session's calls.
    """

    event_stream_params: ClassVar[tuple[Param, ...]] = ()
    event_stream_set_params: ClassVar[tuple[Param, ...]] = ()

    @abstractmethod
    def open_event_session(
        self, values: Mapping[str, Any], primer: Sequence[Any] = ()
    ) -> EventSession:
        """A new session from ``event_stream_params`` values, having heard ``primer``
        (``engines.notes.Note``s, beats from 0)."""

    def check_notes(self, notes: Sequence[Any]) -> None:
        """ValueError, in a performer's words, for notes a session refuses to hear (a
        primer's or a feed's); cheap, so requests are checked where they are parsed. The
        default refuses nothing."""


__all__ = [
    "Engine",
    "Event",
    "EventSession",
    "EventStreamingEngine",
    "REPLY_ARGS",
    "ReplyShape",
    "Session",
    "StreamingEngine",
    "Verb",
    "weights_hash",
]
