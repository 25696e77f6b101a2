"""The OSC addresses the Max patches and devices speak, read from the bridge's own tables.

Engine verbs come from the engine registry (``engines.engine_class(name).verbs``), the
daemon's own addresses from ``bridge.server.protocol`` and the streams' from
``bridge.live.live``. The patch definitions (max_performer.py, max_devices.py) take their
request heads, reply addresses and number-box ranges from here, so a renamed key or a changed
range fails the build instead of shipping a patch the daemon refuses; tests/test_maxpat.py
checks the written patches against the same table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

LIST_KINDS = ("notes", "strings", "floats")

# The addresses the patches and devices speak (each checked against the table when used).
CONTINUE = "/bridge/rnn/continue"
INTERPOLATE = "/bridge/vae/interpolate"
BARS = "/bridge/gan/bars"
SAMPLE = "/bridge/vae/sample"
PERF = "/bridge/perf/continue"
HARMONIZE = "/bridge/harmony/harmonize"
STREAM_START = "/bridge/rnn/stream/start"
STREAM_SET = "/bridge/rnn/stream/set"
STREAM_STOP = "/bridge/rnn/stream/stop"
PERF_START = "/bridge/perf/stream/start"
PERF_SET = "/bridge/perf/stream/set"
PERF_STOP = "/bridge/perf/stream/stop"
PERF_FEED = "/bridge/perf/stream/feed"
DESCRIBE = "/bridge/describe"
LOAD = "/bridge/load"


@dataclass(frozen=True)
class Entry:
    """One address: its keys (``engines.params.Param`` or the daemon's ``Key``) and reply."""

    path: str
    keys: tuple[Any, ...]
    reply: str

    def key(self, name: str) -> Any:
        for k in self.keys:
            if k.name == name:
                return k
        known = ", ".join(k.name for k in self.keys) or "none"
        raise KeyError(f"{self.path} has no key {name!r}; keys: {known}")


@cache
def table() -> dict[str, Entry]:
    """Every address the daemon answers: path -> Entry (registered engines' verbs included,
    whether or not their checkpoints are shipped)."""
    from bridge.live.live import STREAM_ADDRESSES
    from bridge.server import table as server_table

    return {
        a.path: Entry(a.path, tuple(a.keys), a.reply)
        for a in (*server_table.addresses().values(), *STREAM_ADDRESSES)
    }


@cache
def sends() -> frozenset[str]:
    """Every address the daemon sends: replies, errors, stream notes and states."""
    from bridge.live import live
    from bridge.server import daemon

    events = {v for k, v in vars(live).items() if k.endswith("_ADDRESS") and isinstance(v, str)}
    replies = {e.reply for e in table().values()}
    return frozenset({daemon.ERROR_ADDRESS, *events, *replies, *describe_replies()})


def describe_replies() -> tuple[str, str, str, str]:
    """/bridge/describe's reply addresses, in the order they come: engine, verb, param, done."""
    from bridge.server import table as server_table

    entry(DESCRIBE)  # the daemon answers it
    return (
        server_table.DESCRIBE_ENGINE,
        server_table.DESCRIBE_VERB,
        server_table.DESCRIBE_PARAM,
        server_table.DESCRIBE_DONE,
    )


def stream_start_replies() -> tuple[str, ...]:
    """The start replies of every streaming engine (`/bridge/reply/<engine>/stream/start`),
    sorted: each carries the number of the stream a client started."""
    return tuple(sorted(e.reply for p, e in table().items() if p.endswith("/stream/start")))


def entry(path: str) -> Entry:
    if path not in table():
        raise KeyError(f"the daemon answers no {path}")
    return table()[path]


def request(path: str, **slots: int) -> str:
    """A Max message head, ``request(path, temperature=1, steps=2)`` ->
    ``/bridge/rnn/continue temperature $1 steps $2``; a key the address does not take fails
    here, at build time."""
    spec = entry(path)
    return " ".join([path, *(f"{spec.key(k).name} ${n}" for k, n in slots.items())])


def prefix(path: str, key: str) -> str:
    """``/bridge/gan/bars chords``: an address and the list key its values follow."""
    if entry(path).key(key).kind not in LIST_KINDS:
        raise KeyError(f"{key} of {path} takes one value, not a list")
    return f"{path} {key}"


def reply(path: str) -> str:
    """The reply address of ``path``."""
    return entry(path).reply


def key(path: str, name: str) -> Any:
    """Key ``name`` of ``path``: its ``low``, ``high`` and ``default`` set the patch's boxes."""
    return entry(path).key(name)


__all__ = [
    "BARS",
    "CONTINUE",
    "DESCRIBE",
    "HARMONIZE",
    "INTERPOLATE",
    "LOAD",
    "PERF",
    "PERF_FEED",
    "PERF_SET",
    "PERF_START",
    "PERF_STOP",
    "SAMPLE",
    "STREAM_SET",
    "STREAM_START",
    "STREAM_STOP",
    "Entry",
    "describe_replies",
    "entry",
    "key",
    "prefix",
    "reply",
    "request",
    "sends",
    "stream_start_replies",
    "table",
]
