"""The streaming addresses built from an engine's declarations (pure: no sockets, no threads)."""

from __future__ import annotations

import pytest

from bridge.live.addresses import (
    engine_stream_addresses,
    registered_stream_addresses,
    stream_addresses,
)
from bridge.live.live import STREAM_ADDRESSES
from engines.base import StreamingEngine
from engines.gan.engine import GanEngine
from engines.params import SEED, Param
from engines.rnn.engine import RnnEngine

DENSITY = Param("density", "float", "notes per beat", default=2.0, low=0, high=8)


class Drummer(StreamingEngine):
    """Declarations only: the addresses never instantiate the engine."""

    name = "drummer"
    stream_params = (SEED, DENSITY)
    stream_set_params = (DENSITY,)


def keys(address) -> list[str]:
    return address.key_names()


def test_the_rnn_streams_keep_the_protocol() -> None:
    start, set_, feed, stop = stream_addresses([RnnEngine])
    assert [a.path for a in (start, set_, feed, stop)] == [
        f"/bridge/rnn/stream/{v}" for v in ("start", "set", "feed", "stop")
    ]
    assert keys(start) == ["tempo", "temperature", "seed", "channel", "steps", "notes",
                           "top_p", "lookahead", "velocity", "keepalive"]  # fmt: skip
    assert keys(set_) == ["stream", "tempo", "temperature"]
    assert keys(feed) == ["stream", "notes"] and keys(stop) == ["stream"]
    assert all(a.reply_args == "<stream>" for a in (start, set_, feed, stop))
    assert start.reply == "/bridge/reply/rnn/stream/start"
    assert "`/bridge/rnn/stream/done <stream>`" in start.doc
    assert start.key("tempo").default == 120.0 and start.key("steps").default == 0
    assert start.key("keepalive").default == 0  # off unless asked: not every client pings
    assert start.key("channel").high == 16 and set_.key("stream").required


def test_another_engine_streams_with_its_own_keys() -> None:
    start, set_, _, _ = engine_stream_addresses("drummer", Drummer)
    assert start.path == "/bridge/drummer/stream/start"
    assert keys(start) == ["tempo", "seed", "density", "channel", "steps", "lookahead",
                           "velocity", "keepalive"]  # fmt: skip
    assert keys(set_) == ["stream", "tempo", "density"]
    assert "tempo (exactly from the next step) or density" in set_.doc
    assert "`/bridge/drummer/stream/done <stream>`" in start.doc


def test_only_streaming_engines_stream_and_the_daemon_keys_are_its_own() -> None:
    assert stream_addresses([GanEngine]) == ()

    class Clash(Drummer):
        name = "clash"
        stream_params = (Param("tempo", "float", "mine"),)

    with pytest.raises(ValueError, match="tempo belong to the daemon"):
        engine_stream_addresses("clash", Clash)


def test_the_registry_and_the_readme_export_list_every_streaming_engine() -> None:
    paths = [a.path for a in registered_stream_addresses()]
    assert "/bridge/rnn/stream/start" in paths and not any("/gan/" in p for p in paths)
    assert [a.path for a in STREAM_ADDRESSES] == [*paths, "/bridge/callresponse/state"]
