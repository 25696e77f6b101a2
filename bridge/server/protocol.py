"""The OSC address table, request parsing and reply formatting. Pure: no sockets, no torch.

Every address the daemon answers is one ``Address`` entry in ``ADDRESSES``: its keys (name,
kind, range, default, meaning), its reply address and its documentation. An engine verb also
names the engine it needs and a ``run(engine, request)`` function that calls the engine's
musical verb and returns the replies, so adding a verb is one entry here. The Markdown address
table (README, ``bridge serve``) is rendered from these entries, so it cannot drift.

Requests follow PROTOCOL.md: ``/bridge/<engine>/<verb> <id:int32> [key value...]``; a key's
value is everything up to the next key name. Parsing raises ``RequestError`` with the request
id (or -1) and a message a performer understands.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from engines.notes import Note

PROTOCOL_VERSION = 1
NO_ID = -1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

Kind = Literal["int", "float", "str", "notes", "strings", "floats"]


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
class Key:
    """One key of an address: ``name`` followed on the wire by its value(s).

    ``low``/``high`` bound numbers (and every number of a ``notes`` key is checked by the
    notes rules instead); ``low_open`` makes the lower bound exclusive (``> 0``).
    """

    name: str
    kind: Kind
    doc: str
    default: Any = None
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    required: bool = False
    metavar: str = ""
    default_doc: str = ""

    def range_text(self) -> str:
        """The allowed range in words: ``1..1024``, ``> 0``, ``> 0 and <= 1``."""
        lo, hi = _num(self.low), _num(self.high)
        if self.low is not None and self.high is not None:
            return f"> {lo} and <= {hi}" if self.low_open else f"{lo}..{hi}"
        if self.low is not None:
            return f"> {lo}" if self.low_open else f">= {lo}"
        if self.high is not None:
            return f"<= {hi}"
        return ""

    def in_range(self, value: float) -> bool:
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        return self.high is None or value <= self.high

    def placeholder(self) -> str:
        if self.kind in ("notes", "strings", "floats"):
            return f"{self.metavar or self.name}..."
        return self.metavar or self.name[0].upper()


@dataclass(frozen=True)
class Reply:
    """One reply message: leading arguments, then (optionally) notes on the wire."""

    args: list[Any]
    notes: Sequence[Note] = ()

    def wire(self) -> list[Any]:
        return [*self.args, *format_notes(self.notes)]


RunFn = Callable[[Any, "Request"], list[Reply]]


@dataclass(frozen=True)
class Address:
    """One OSC address: its keys, its reply, and for an engine verb the engine and ``run``.

    Addresses without ``engine`` are answered by the daemon itself (ping, register, ...).
    ``doc`` defaults to ``run``'s docstring.
    """

    path: str
    keys: tuple[Key, ...] = ()
    reply: str = ""
    reply_args: str = ""
    doc: str = ""
    engine: str | None = None
    run: RunFn | None = None

    def __post_init__(self) -> None:
        if not self.reply:
            object.__setattr__(self, "reply", "/bridge/reply/" + self.path[len("/bridge/") :])
        if not self.doc and self.run is not None and self.run.__doc__:
            object.__setattr__(self, "doc", _dedent(self.run.__doc__))

    def key(self, name: str) -> Key | None:
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


def _check_range(key: Key, value: float) -> None:
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
        notes.append(Note(int(pitch), float(start), float(duration), int(velocity)))
    return notes


def format_notes(notes: Sequence[Note]) -> list[int | float]:
    """Notes -> flat wire list: pitch and velocity as int (int32), start and duration as
    float (float32)."""
    out: list[int | float] = []
    for n in notes:
        out += [int(n.pitch), float(n.start), float(n.duration), int(n.velocity)]
    return out


def _convert(key: Key, values: list[Any]) -> Any:
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
        if key.kind in ("notes", "strings", "floats"):
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


def _value_hint(key: Key) -> str:
    if key.kind == "notes":
        return "give pitch start duration velocity for each note"
    if key.kind == "strings":
        return "give one or more names"
    if key.kind == "str":
        return "give a name"
    rng = key.range_text()
    return f"give a {'whole ' if key.kind == 'int' else ''}number" + (f" {rng}" if rng else "")


# ---------------------------------------------------------------------------------------
# The address table


def _dedent(doc: str) -> str:
    import inspect

    return inspect.cleandoc(doc)


TEMPERATURE = Key(
    "temperature",
    "float",
    "sampling temperature: lower is safer, higher is wilder",
    default=1.0,
    low=0,
    low_open=True,
)
STEPS = Key(
    "steps",
    "int",
    "16th-note steps to generate",
    default=32,
    low=1,
    high=1024,
    metavar="N",
)
SEED = Key(
    "seed",
    "int",
    "the same request with the same seed gives the same reply, every time",
    default=None,
    default_doc="random",
)
TOP_P = Key(
    "top_p",
    "float",
    "nucleus sampling: sample only from the likeliest tokens whose probabilities add up to P",
    default=None,
    low=0,
    high=1,
    low_open=True,
    metavar="P",
    default_doc="off",
)
PRIMER = Key(
    "notes",
    "notes",
    "the primer: pitch start duration velocity per note (beats)",
    default=(),
    metavar="<notes>",
    default_doc="none",
)


def rnn_continue(engine: Any, req: Request) -> list[Reply]:
    """Continue a phrase. Reply: the continuation's notes. Their `start` is counted from the
    end of the primer's last bar (the primer is padded to a whole bar of 4 beats). Without
    `notes`, the model starts from nothing."""
    notes = engine.continue_(
        req["notes"],
        steps=req["steps"],
        temperature=req["temperature"],
        seed=req["seed"],
        top_p=req["top_p"],
    )
    return [Reply([req.id], notes)]


# --- the VAE interpolator: melodies are two bars (8 beats); longer input is cut, shorter is
# padded with rests, overlapping notes are reduced to one voice (the highest of notes
# starting together wins; a note still sounding when the next starts is cut there).

VAE_POINTS = Key(
    "steps",
    "int",
    "the number of melodies from a to b, both endpoints included",
    default=5,
    low=2,
    high=64,
    metavar="N",
)
VAE_COUNT = Key("n", "int", "how many melodies", default=1, low=1, high=64)
VAE_GREEDY_TEMPERATURE = Key(
    "temperature",
    "float",
    "sampling temperature; without it, the likeliest melody (greedy)",
    default=None,
    low=0,
    low_open=True,
    default_doc="greedy",
)
VAE_A = Key("a", "notes", "the first melody (2 bars)", required=True, metavar="<notes>")
VAE_B = Key("b", "notes", "the last melody (2 bars)", required=True, metavar="<notes>")
VAE_MELODY = Key("notes", "notes", "the melody (2 bars)", required=True, metavar="<notes>")
VAE_Z = Key("z", "floats", "the latent code, as many numbers as `/bridge/vae/encode` gives",
            required=True, metavar="floats")  # fmt: skip
VAE_ATTRIBUTE = Key("name", "str", "density, register or syncopation", required=True,
                    metavar="<name>")  # fmt: skip
VAE_AMOUNT = Key(
    "amount",
    "float",
    "how far to move: +1 is the step from a typical bottom-quarter melody to a top-quarter "
    "one, -1 the way back",
    default=1.0,
    low=-8,
    high=8,
)


def vae_interpolate(engine: Any, req: Request) -> list[Reply]:
    """Morph melody `a` into melody `b`: their latent codes are joined by spherical
    interpolation and each point is decoded. One reply per point, endpoints included, in
    order: `<index> <count> <notes...>` (index 0..count-1; notes start at 0..8 beats).
    Velocity moves from a's mean velocity to b's."""
    morph = engine.interpolate(
        req["a"], req["b"], steps=req["steps"], temperature=req["temperature"], seed=req["seed"]
    )
    return [Reply([req.id, i, len(morph)], notes) for i, notes in enumerate(morph)]


def vae_sample(engine: Any, req: Request) -> list[Reply]:
    """New two-bar melodies from random latent codes. One reply per melody:
    `<index> <count> <notes...>` (notes start at 0..8 beats)."""
    melodies = engine.sample(req["n"], temperature=req["temperature"], seed=req["seed"])
    return [Reply([req.id, i, len(melodies)], notes) for i, notes in enumerate(melodies)]


def vae_encode(engine: Any, req: Request) -> list[Reply]:
    """The latent code of a two-bar melody: `<floats...>` (send them to
    `/bridge/vae/decode`, change them, morph between them)."""
    return [Reply([req.id, *engine.encode(req["notes"])])]


def vae_decode(engine: Any, req: Request) -> list[Reply]:
    """The two-bar melody of a latent code `z` (from `/bridge/vae/encode`, or your own
    numbers). Reply: `<notes...>`, starting at 0..8 beats, velocity 100."""
    z = req["z"]
    notes = engine.decode(z, temperature=req["temperature"], seed=req["seed"])
    return [Reply([req.id], notes)]


def vae_attribute(engine: Any, req: Request) -> list[Reply]:
    """Steer a two-bar melody: move its latent code `amount` times along an attribute
    vector and decode. `density` (number of notes), `register` (mean pitch), `syncopation`
    (share of notes off the 8th-note grid). Reply: `<notes...>`."""
    notes = engine.attribute(
        req["notes"],
        req["name"],
        amount=req["amount"],
        seed=req["seed"],
        temperature=req["temperature"],
    )
    return [Reply([req.id], notes)]


# --- the GAN bar generator: one 4-beat bar of melody per chord, bar k at beat 4k, each bar
# following the one before (`prev` is the bar before the first).

GAN_CHORDS = Key(
    "chords",
    "strings",
    "one chord name per bar, 1..256 of them: C, Am, F#, Bbm, G7, Cmaj7, Dm7b5 (sevenths and "
    "extensions are read as their major or minor triad, diminished as minor)",
    required=True,
    metavar="<name>",
)
GAN_CHORD = Key("chord", "str", "the bar's chord name, as for `chords`", required=True,
                metavar="<name>")  # fmt: skip
GAN_PREV = Key(
    "prev",
    "notes",
    "the bar before: pitch start duration velocity per note, starts in 0..4 beats",
    default=(),
    metavar="<notes>",
    default_doc="none",
)


def gan_bars(engine: Any, req: Request) -> list[Reply]:
    """A melody over a chord progression, one bar of 4 beats per chord: bar k starts at beat
    4k and follows the bar before it; `prev` is the bar before the first. Reply: the notes
    of every bar, in order. Velocity is prev's mean velocity (100 without it)."""
    notes = engine.bars(req["chords"], prev=req["prev"], seed=req["seed"])
    return [Reply([req.id], notes)]


def gan_bar(engine: Any, req: Request) -> list[Reply]:
    """One bar of 4 beats over `chord`, following `prev` (the same as `/bridge/gan/bars`
    with one chord). Reply: its notes, starting at 0..4 beats."""
    notes = engine.bar(req["chord"], prev=req["prev"], seed=req["seed"])
    return [Reply([req.id], notes)]


CORE_ADDRESSES: tuple[Address, ...] = (
    Address(
        "/bridge/ping",
        reply="/bridge/pong",
        reply_args=f"{PROTOCOL_VERSION} <version>",
        doc="Is the bridge there? Answered at once, even while models are busy. The reply "
        f"carries the protocol version ({PROTOCOL_VERSION}) and the bridge's version.",
    ),
    Address(
        "/bridge/engines",
        reply_args="<name>...",
        doc="The engines loaded and ready, by name.",
    ),
    Address(
        "/bridge/register",
        keys=(
            Key(
                "port",
                "int",
                "the port your client receives on (0 forgets the registration)",
                low=0,
                high=65535,
                required=True,
                metavar="<port>",
            ),
        ),
        reply_args="<port>",
        doc="Send replies for this client (your computer and the port you send from) to "
        "`port` of your computer from now on: Max's `[udpsend]` sends from a port of its own, "
        "so a patch registers the port of its `[udpreceive]`. Other clients on your computer "
        "are not affected. This reply already goes to the registered port. `port 0` forgets "
        "the registration. At most 16 clients per computer and 256 in all; the bridge's own "
        "port is refused.",
    ),
)


def engine_verb(
    path: str, keys: tuple[Key, ...], run: RunFn, reply_args: str = "<notes...>"
) -> Address:
    """An engine verb's address; the engine is named by the path: /bridge/<engine>/<verb>."""
    return Address(path, keys=keys, reply_args=reply_args, engine=path.split("/")[2], run=run)


INDEXED = "<index> <count> <notes...>"  # one reply per melody
ENGINE_ADDRESSES: tuple[Address, ...] = (
    engine_verb("/bridge/rnn/continue", (TEMPERATURE, STEPS, SEED, TOP_P, PRIMER), rnn_continue),
    engine_verb(
        "/bridge/vae/interpolate",
        (VAE_POINTS, TEMPERATURE, SEED, VAE_A, VAE_B),
        vae_interpolate,
        INDEXED,
    ),
    engine_verb("/bridge/vae/sample", (VAE_COUNT, TEMPERATURE, SEED), vae_sample, INDEXED),
    engine_verb("/bridge/vae/encode", (VAE_MELODY,), vae_encode, "<floats...>"),
    engine_verb("/bridge/vae/decode", (VAE_GREEDY_TEMPERATURE, SEED, VAE_Z), vae_decode),
    engine_verb(
        "/bridge/vae/attribute",
        (VAE_ATTRIBUTE, VAE_AMOUNT, VAE_GREEDY_TEMPERATURE, SEED, VAE_MELODY),
        vae_attribute,
    ),
    engine_verb("/bridge/gan/bars", (GAN_CHORDS, SEED, GAN_PREV), gan_bars),
    engine_verb("/bridge/gan/bar", (GAN_CHORD, SEED, GAN_PREV), gan_bar),
)

ADDRESSES: dict[str, Address] = {a.path: a for a in CORE_ADDRESSES + ENGINE_ADDRESSES}


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


def _key_row(k: Key) -> str:
    kind = {
        "int": "whole number",
        "float": "number",
        "str": "name",
        "notes": "notes (pitch start duration velocity)...",
        "strings": "names...",
        "floats": "numbers...",
    }[k.kind]
    rng = k.range_text()
    value = f"{kind} {rng}".strip()
    if k.required:
        default = "required"
    elif k.default_doc:
        default = k.default_doc
    else:
        default = str(k.default)
    return f"| `{k.name}` | {value} | {default} | {k.doc} |"


def address_table_markdown(addresses: dict[str, Address] | None = None) -> str:
    """The address table as Markdown, rendered from the table entries and their docstrings."""
    table = ADDRESSES if addresses is None else addresses
    lines = [
        f"## OSC addresses (protocol {PROTOCOL_VERSION})",
        "",
        "Every request starts with an int32 request id, echoed in the reply. Numbers may be "
        "int32 or float32. A failed request gets `/bridge/error <id> <address> <message>`.",
        "",
        "| request | reply |",
        "|---|---|",
    ]
    for a in table.values():
        lines.append(f"| `{a.usage()}` | `{a.reply_usage()}` |")
    for a in table.values():
        lines += ["", f"### `{a.path}`", ""]
        if a.engine:
            lines += [f"Needs the `{a.engine}` engine.", ""]
        lines += [a.doc, "", f"Reply: `{a.reply_usage()}`"]
        if a.keys:
            lines += ["", "| key | value | default | meaning |", "|---|---|---|---|"]
            lines += [_key_row(k) for k in a.keys]
    return "\n".join(lines) + "\n"
