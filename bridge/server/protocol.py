"""Request parsing, values, reply formatting and errors. Pure: no sockets, no torch.

An OSC address is an :class:`Address`: its keys (:class:`engines.params.Param`: name, kind,
range, default, meaning), its reply address and its documentation; an engine verb's address
also names its engine and :class:`engines.base.Verb`. The table of every address is built in
:mod:`bridge.server.table` from the engines' declarations.

Requests follow PROTOCOL.md: ``/bridge/<engine>/<verb> <id:int32> [key value...]``; a key's
value is everything up to the next key name. Parsing raises ``RequestError`` with the request
id (or -1) and a message a performer understands.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from engines.base import REPLY_ARGS, Verb
from engines.notes import Note
from engines.params import LIST_KINDS, PRIMER, SEED, TEMPERATURE, TOP_P, Param  # noqa: F401

# bridge.live builds its stream addresses from PRIMER, SEED, TEMPERATURE, TOP_P and Key here
Key = Param

PROTOCOL_VERSION = 1
NO_ID = -1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def package_version() -> str:
    """The installed bridge package version (sent in /bridge/pong)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bridge")
    except PackageNotFoundError:
        return "unknown"


class RequestError(ValueError):
    """A request the daemon refuses; ``str(exc)`` is the message for /bridge/error."""

    def __init__(self, request_id: int, message: str) -> None:
        super().__init__(message)
        self.request_id = request_id


@dataclass(frozen=True)
class Address:
    """One OSC address: its keys, its reply, its documentation.

    An engine verb's address (``/bridge/<engine>/<verb>``) names its ``engine`` and ``verb``
    and is answered by ``engine.call`` on a worker; other addresses are answered by the
    daemon itself (ping, register, describe, ...) or a handler added with
    ``Daemon.add_handler``.
    """

    path: str
    keys: tuple[Param, ...] = ()
    reply: str = ""
    reply_args: str = ""
    doc: str = ""
    engine: str | None = None
    verb: Verb | None = None

    def __post_init__(self) -> None:
        if not self.reply:
            object.__setattr__(self, "reply", "/bridge/reply/" + self.path[len("/bridge/") :])

    def key(self, name: str) -> Param | None:
        return next((k for k in self.keys if k.name == name), None)

    def key_names(self) -> list[str]:
        return [k.name for k in self.keys]

    def usage(self) -> str:
        """``/bridge/rnn/continue <id> [temperature T] ...`` from the keys."""
        parts = [self.path, "<id>"]
        for k in self.keys:
            text = f"{k.name} {k.placeholder()}"
            parts.append(text if k.required else f"[{text}]")
        return " ".join(parts)

    def reply_usage(self) -> str:
        return f"{self.reply} <id>" + (f" {self.reply_args}" if self.reply_args else "")


def verb_address(engine: str, verb: Verb) -> Address:
    """The address of an engine's verb, ``/bridge/<engine>/<verb>``, documented by the verb."""
    return Address(
        f"/bridge/{engine}/{verb.name}",
        keys=verb.params,
        reply_args=REPLY_ARGS[verb.reply],
        doc=verb.doc,
        engine=engine,
        verb=verb,
    )


@dataclass(frozen=True)
class Request:
    """A parsed request: its id and every key's value (defaults filled in)."""

    address: str
    id: int
    values: dict[str, Any] = field(default_factory=dict)
    given: frozenset[str] = frozenset()

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


# ---------------------------------------------------------------------------------------
# Values


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def describe(value: Any) -> str:
    """A wire value in a performer's words, for error messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nil"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return f"a {len(value)}-byte blob"
    if isinstance(value, list):
        return "an OSC array"
    # osc.Tagged (colour, MIDI, time tag) describes itself; protocol imports no osc code
    return getattr(value, "osc_description", None) or f"an OSC {type(value).__name__}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def to_number(name: str, value: Any, integer: bool) -> int | float:
    """A wire value as a finite int or float; int32 and float32 are both accepted."""
    if not _is_number(value):
        what = "a whole number" if integer else "a number"
        raise ValueError(f"{name} must be {what}, got {describe(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {describe(value)}")
    if integer:
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"{name} must be a whole number, got {describe(value)}")
            return int(value)
        return value
    return float(value)


def _check_range(key: Param, value: float) -> None:
    if not key.in_range(value):
        raise ValueError(f"{key.name} must be {key.range_text()}, got {describe(value)}")


def parse_notes(values: Sequence[Any], name: str = "notes") -> list[Note]:
    """A flat list of ``pitch start duration velocity`` quadruples -> notes, checked."""
    if len(values) % 4:
        raise ValueError(
            f"{name} must be groups of 4 numbers (pitch start duration velocity), "
            f"got {len(values)} numbers"
        )
    notes = []
    for i in range(0, len(values), 4):
        pitch, start, duration, velocity = values[i : i + 4]
        # the common case checked cheaply (a feed may hold thousands of notes, parsed on the
        # socket thread); anything else takes the path that names what is wrong
        if (
            type(pitch) is int and type(velocity) is int and 0 <= pitch <= 127
            and 1 <= velocity <= 127 and type(start) in (int, float)
            and type(duration) in (int, float) and 0 <= start < math.inf
            and 0 < duration < math.inf
        ):  # fmt: skip
            notes.append(Note(pitch, float(start), float(duration), velocity))
        else:
            notes.append(_checked_note(values, i, name))
    return notes


def _checked_note(values: Sequence[Any], i: int, name: str) -> Note:
    """The note at ``values[i:i+4]``, or ValueError naming the note and what is wrong."""
    where = f"note {i // 4 + 1}" + ("" if name == "notes" else f" of {name}")
    pitch = to_number(f"{where}: pitch", values[i], integer=True)
    start = to_number(f"{where}: start", values[i + 1], integer=False)
    duration = to_number(f"{where}: duration", values[i + 2], integer=False)
    velocity = to_number(f"{where}: velocity", values[i + 3], integer=True)
    if not 0 <= pitch <= 127:
        raise ValueError(f"{where}: pitch must be 0..127, got {pitch}")
    if start < 0:
        raise ValueError(f"{where}: start must be >= 0 beats, got {start:g}")
    if duration <= 0:
        raise ValueError(f"{where}: duration must be > 0 beats, got {duration:g}")
    if not 1 <= velocity <= 127:
        raise ValueError(f"{where}: velocity must be 1..127, got {velocity}")
    return Note(int(pitch), float(start), float(duration), int(velocity))


def format_notes(notes: Sequence[Note]) -> list[int | float]:
    """Notes -> flat wire list: pitch and velocity as int (int32), start and duration as
    float (float32)."""
    out: list[int | float] = []
    for n in notes:
        out += [int(n.pitch), float(n.start), float(n.duration), int(n.velocity)]
    return out


def _convert(key: Param, values: list[Any]) -> Any:
    if key.kind == "notes":
        return parse_notes(values, key.name)
    if key.kind == "strings":
        bad = next((v for v in values if not isinstance(v, str)), None)
        if bad is not None:
            raise ValueError(f"{key.name} must be names (strings), got {describe(bad)}")
        return list(values)
    if key.kind == "floats":
        return [float(to_number(key.name, v, integer=False)) for v in values]
    (value,) = values
    if key.kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"{key.name} must be a name (string), got {describe(value)}")
        return value
    number = to_number(key.name, value, integer=key.kind == "int")
    _check_range(key, number)
    return number


# ---------------------------------------------------------------------------------------
# Parsing


def parse_id(address: str, args: Sequence[Any]) -> int:
    """The request id (first argument); raises RequestError with id -1 if it is not one."""
    if not args:
        raise RequestError(NO_ID, f"missing request id: send {address} <id> ...")
    first = args[0]
    if not _is_number(first):
        raise RequestError(
            NO_ID,
            f"the first argument must be the request id (a whole number), got {describe(first)}",
        )
    try:
        rid = to_number("the request id", first, integer=True)
    except ValueError as exc:
        raise RequestError(NO_ID, str(exc)) from None
    if not INT32_MIN <= rid <= INT32_MAX:
        raise RequestError(NO_ID, f"the request id must fit in an int32, got {rid}")
    return int(rid)


def peek_id(args: Sequence[Any]) -> int:
    """The request id if the first argument is one, else -1 (for errors about the address)."""
    try:
        return parse_id("", args)
    except RequestError:
        return NO_ID


def _unknown_key(spec: Address, token: str) -> str:
    names = spec.key_names()
    if not names:
        return f"unknown key {token!r}: {spec.path} takes only the request id"
    hint = difflib.get_close_matches(token, names, n=1)
    guess = f" (did you mean {hint[0]!r}?)" if hint else ""
    return f"unknown key {token!r} for {spec.path}{guess}; keys: {', '.join(names)}"


def parse_request(spec: Address, args: Sequence[Any]) -> Request:
    """Parse ``<id> [key value...]`` against ``spec``; raises RequestError.

    A scalar key takes exactly one value; a ``notes``/``strings`` key takes everything up
    to the next key name.
    """
    rid = parse_id(spec.path, args)
    names = set(spec.key_names())
    values: dict[str, Any] = {}
    i = 1
    while i < len(args):
        token = args[i]
        if not isinstance(token, str):
            after = " ".join(a if isinstance(a, str) else describe(a) for a in args[1:i][-2:])
            where = f" (after: {after})" if after else ""
            msg = f"expected a key name, got {describe(token)}{where}"
            if names:
                msg += f"; keys for {spec.path}: {', '.join(spec.key_names())}"
            raise RequestError(rid, msg)
        key = spec.key(token)
        if key is None:
            raise RequestError(rid, _unknown_key(spec, token))
        if key.name in values:
            raise RequestError(rid, f"key {key.name!r} is given twice")
        j = i + 1
        if key.kind in LIST_KINDS:
            while j < len(args) and not (isinstance(args[j], str) and args[j] in names):
                j += 1
        elif j < len(args) and not (isinstance(args[j], str) and args[j] in names):
            j += 1
        if j == i + 1:
            raise RequestError(rid, f"missing value for {key.name}: {_value_hint(key)}")
        try:
            values[key.name] = _convert(key, list(args[i + 1 : j]))
        except ValueError as exc:
            raise RequestError(rid, str(exc)) from None
        i = j
    for k in spec.keys:
        if k.name not in values:
            if k.required:
                raise RequestError(rid, f"missing key {k.name}: send {spec.usage()}")
    given = frozenset(values)
    full = {k.name: values.get(k.name, k.default) for k in spec.keys}
    return Request(spec.path, rid, full, given)


def _value_hint(key: Param) -> str:
    if key.kind == "notes":
        return "give pitch start duration velocity for each note"
    if key.kind == "strings":
        return "give one or more names"
    if key.kind == "str":
        return "give a name"
    rng = key.range_text()
    return f"give a {'whole ' if key.kind == 'int' else ''}number" + (f" {rng}" if rng else "")


# ---------------------------------------------------------------------------------------
# Replies


def verb_replies(
    verb: Verb, request_id: int, result: Any, values: Mapping[str, Any] | None = None
) -> list[list[Any]]:
    """The reply messages' arguments for what ``engine.call`` returned, by the reply shape
    of the request's ``values`` (:meth:`Verb.reply_for`: ``indexed`` with ``variations``):
    ``notes`` -> one ``[id, *notes]``; ``indexed`` -> one ``[id, i, count, *notes]`` per
    melody; ``numbers`` -> one ``[id, *floats]``."""
    shape = verb.reply_for(values or {})
    if shape == "indexed":
        items = list(result)
        return [[request_id, i, len(items), *format_notes(n)] for i, n in enumerate(items)]
    if shape == "numbers":
        return [[request_id, *(float(x) for x in result)]]
    return [[request_id, *format_notes(result)]]


def reply_note_count(
    args: Sequence[Any], verb: Verb, values: Mapping[str, Any] | None = None
) -> int:
    """How many notes a reply of ``verb_replies`` carries (for the reply-too-large error)."""
    lead = 3 if verb.reply_for(values or {}) == "indexed" else 1
    return max(0, len(args) - lead) // 4


def error_args(request_id: int, address: str, message: str) -> list[Any]:
    """Arguments of ``/bridge/error <id> <address> <message>``."""
    return [int(request_id), str(address), str(message)]


def unknown_address_message(address: str, known: Sequence[str]) -> str:
    hint = difflib.get_close_matches(address, list(known), n=1, cutoff=0.85)
    if hint:
        return f"unknown address {address}; did you mean {hint[0]}?"
    return f"unknown address {address}; addresses: {', '.join(known)}"


def reply_too_large_message(notes: int, size: int, limit: int) -> str:
    return (
        f"reply too large: {notes} notes ({size} bytes; a UDP datagram holds at most "
        f"{limit}); ask for fewer steps"
    )
