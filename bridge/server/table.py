"""The address table: every OSC address the daemon answers, built from the engine registry.

The daemon's own addresses (ping, engines, register, describe, load) are written here; an
engine's are built from its class's ``verbs`` (:class:`engines.base.Verb`): one
``/bridge/<engine>/<verb>`` per verb of every registered engine, loaded or not. The Markdown
address table (README, ``bridge serve``) and the replies of ``/bridge/describe`` are rendered
from the same entries, so neither can drift from what the daemon parses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bridge.server.protocol import PROTOCOL_VERSION, Address, verb_address
from engines.base import REPLY_ARGS
from engines.params import Param

DESCRIBE_ENGINE = "/bridge/reply/describe"
DESCRIBE_VERB = "/bridge/reply/describe/verb"
DESCRIBE_PARAM = "/bridge/reply/describe/param"
DESCRIBE_DONE = "/bridge/reply/describe/done"
NIL = "nil"  # a bound or default that does not exist, in /bridge/describe's replies

ENGINE_NAME = Param(
    "engine",
    "str",
    "a loaded engine's name, as `/bridge/engines` gives",
    metavar="<name>",
    default_doc="every loaded engine",
)

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
            Param(
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
    Address(
        "/bridge/describe",
        keys=(ENGINE_NAME,),
        reply_args="engine <name> checkpoint <folder> corpus <text> trained <date> "
        "parameters <count> hash <hex> verbs <count>",
        doc="What each loaded engine (or only `engine`) serves and what its verbs take, for a "
        "patch to build itself from. Every reply has a fixed number of arguments, the id "
        "first; in order:\n\n"
        "1. per engine, `/bridge/reply/describe <id> engine <name> checkpoint <folder> corpus "
        "<text> trained <date> parameters <count> hash <hex> verbs <count>` (15 arguments: a "
        "label, then its value; `hash` is the first 12 hex digits of the SHA-256 of the "
        "weights, `parameters` the model's parameter count);\n"
        "2. then per verb of that engine, `/bridge/reply/describe/verb <id> <engine> <verb> "
        "<reply> <params> <doc>` (6 arguments: `<reply>` is `notes` (one reply of notes), "
        "`indexed` (one reply per melody, `<index> <count> <notes...>`) or `numbers`; "
        "`<params>` is how many param replies follow; `<doc>` is the verb's text on one "
        "line);\n"
        "3. then per key of that verb, in order, `/bridge/reply/describe/param <id> <engine> "
        "<verb> <index> <name> <kind> <required> <low> <high> <low-open> <default> "
        "<default-text> <doc>` (13 arguments: `<index>` counts from 0; `<kind>` is `int`, "
        "`float`, `str`, `notes`, `strings` or `floats`; `<required>` and `<low-open>` are 0 "
        "or 1; `<low>` and `<high>` are the bounds (int32 for an `int` key, else float32), or "
        "the string `nil` for none, and "
        "`<low-open>` 1 means the value must be greater than `<low>`; `<default>` is the "
        "value used without the key, or `nil` when there is none (required, a list, or the "
        "engine's choice); `<default-text>` and `<doc>` are the default and meaning columns "
        "of this table);\n"
        "4. last, `/bridge/reply/describe/done <id> <engines>` (2 arguments).\n\n"
        "An engine that is not loaded (or not known) gets `/bridge/error`. Streaming "
        "addresses are not described.",
    ),
    Address(
        "/bridge/load",
        keys=(
            Param(
                "engine",
                "str",
                "the engine to load it for, loaded or not",
                required=True,
                metavar="<name>",
            ),
            Param(
                "path",
                "str",
                "a checkpoint folder (`config.json` and `model.safetensors`) on the bridge's "
                "computer: absolute, or relative to where the bridge was started",
                required=True,
                metavar="<folder>",
            ),
        ),
        reply_args="<engine> <checkpoint> <hash>",
        doc="Load another checkpoint for an engine while the current one keeps answering; "
        "once loaded and warmed up it replaces the current one between requests (a request "
        "already running finishes on the old one). Loads run one at a time. The reply names "
        "the checkpoint (its folder's name) and the first 12 hex digits of the SHA-256 of its "
        "weights, as `/bridge/describe` does. A missing folder, a folder without "
        "`config.json`, another engine's checkpoint, weights that do not match their config "
        "or a corrupt `model.safetensors` get `/bridge/error`, and the current model stays.",
    ),
)


def engine_addresses(engine_classes: Iterable[Any]) -> tuple[Address, ...]:
    """``/bridge/<engine>/<verb>`` for every verb of every engine class, in the given order."""
    return tuple(verb_address(cls.name, verb) for cls in engine_classes for verb in cls.verbs)


def registered_classes() -> list[Any]:
    """Every registered engine class, in registry order (imports the engines' modules)."""
    from engines import ENGINES, engine_class

    return [engine_class(name) for name in ENGINES]


def addresses(engine_classes: Iterable[Any] | None = None) -> dict[str, Address]:
    """The daemon's own addresses and those of ``engine_classes`` (default: every registered
    engine), by path."""
    classes = registered_classes() if engine_classes is None else engine_classes
    return {a.path: a for a in CORE_ADDRESSES + engine_addresses(classes)}


def addresses_for(engines: Mapping[str, Any]) -> dict[str, Address]:
    """The daemon's own addresses, every registered engine's verbs, and the verbs of any
    loaded engine whose class is not registered (an engine under test, say)."""
    classes = registered_classes()
    names = {cls.name for cls in classes}
    for name, engine in engines.items():
        cls = type(engine)
        if name not in names and getattr(cls, "name", None) == name and hasattr(cls, "verbs"):
            classes.append(cls)
            names.add(name)
    return addresses(classes)


# ---------------------------------------------------------------------------------------
# /bridge/describe


def _bound(value: float | None, kind: str) -> int | float | str:
    if value is None:
        return NIL
    return int(value) if kind == "int" and float(value).is_integer() else float(value)


def _default(param: Param) -> Any:
    """The default as a wire value: a number or name, else ``nil``."""
    value = param.default
    if param.required or value is None or isinstance(value, bool):
        return NIL
    if isinstance(value, (int, float, str)):
        return float(value) if param.kind == "float" else value
    return NIL


def describe_messages(
    request_id: int, name: str, engine: Any, table: Mapping[str, Address]
) -> list[tuple[str, list[Any]]]:
    """The replies describing ``engine`` (loaded as ``name``): its checkpoint, then each of
    its verbs in ``table`` with each verb's params (see the ``/bridge/describe`` entry)."""
    info = engine.checkpoint() if hasattr(engine, "checkpoint") else {}
    verbs = [a for a in table.values() if a.engine == name and a.verb is not None]
    messages: list[tuple[str, list[Any]]] = [
        (
            DESCRIBE_ENGINE,
            [
                request_id,
                "engine", name,
                "checkpoint", str(info.get("name", "untitled")),
                "corpus", str(info.get("corpus", "unknown")),
                "trained", str(info.get("trained", "unknown")),
                "parameters", int(info.get("parameters", 0)),
                "hash", str(info.get("hash", "none")),
                "verbs", len(verbs),
            ],
        )
    ]  # fmt: skip
    for spec in verbs:
        assert spec.verb is not None
        verb = spec.verb.name
        doc = " ".join(spec.doc.split())  # one line: a Max symbol, an SC string
        reply = [request_id, name, verb, spec.verb.reply, len(spec.keys), doc]
        messages.append((DESCRIBE_VERB, reply))
        for i, p in enumerate(spec.keys):
            messages.append(
                (
                    DESCRIBE_PARAM,
                    [
                        request_id, name, verb, i, p.name, p.kind, int(p.required),
                        _bound(p.low, p.kind), _bound(p.high, p.kind), int(p.low_open), _default(p),
                        p.default_text(), p.doc,
                    ],
                )
            )  # fmt: skip
    return messages


# ---------------------------------------------------------------------------------------
# Markdown


def _key_row(k: Param) -> str:
    kind = {
        "int": "whole number",
        "float": "number",
        "str": "name",
        "notes": "notes (pitch start duration velocity)...",
        "strings": "names...",
        "floats": "numbers...",
    }[k.kind]
    value = f"{kind} {k.range_text()}".strip()
    return f"| `{k.name}` | {value} | {k.default_text()} | {k.doc} |"


def address_table_markdown(table: Mapping[str, Address] | None = None) -> str:
    """The address table as Markdown (default: every registered engine's addresses)."""
    entries = addresses() if table is None else table
    lines = [
        f"## OSC addresses (protocol {PROTOCOL_VERSION})",
        "",
        "Every request starts with an int32 request id, echoed in the reply. Numbers may be "
        "int32 or float32. A failed request gets `/bridge/error <id> <address> <message>`.",
        "",
        "| request | reply |",
        "|---|---|",
    ]
    for a in entries.values():
        lines.append(f"| `{a.usage()}` | `{a.reply_usage()}` |")
    for a in entries.values():
        lines += ["", f"### `{a.path}`", ""]
        if a.engine:
            lines += [f"Needs the `{a.engine}` engine.", ""]
        lines += [a.doc, "", f"Reply: `{a.reply_usage()}`"]
        if a.verb is not None and a.verb.variations:
            lines[-1] += (
                f"; with `variations N`, N replies `{a.reply} <id> {REPLY_ARGS['indexed']}` "
                "(index 0..N-1, count N), variation k drawn with seed S+k"
            )
        if a.keys:
            lines += ["", "| key | value | default | meaning |", "|---|---|---|---|"]
            lines += [_key_row(k) for k in a.keys]
    return "\n".join(lines) + "\n"
