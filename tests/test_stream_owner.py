"""Streams belong to their client, over real UDP: ownership, unguessable numbers, the caps,
the feed bound and keepalive (a daemon with its Live part and the tiny RNN)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from clients import expect

from bridge.live.live import MAX_CLIENT_STREAMS, MAX_STREAM_NUMBER, Live, running
from bridge.live.streams import MAX_FEEDS_WAITING
from bridge.server.daemon import Daemon
from bridge.server.osc import OscClient

FEED = ("notes", 60, 0, 1, 100)


@pytest.fixture
def bridge(tiny_engines) -> Iterator[tuple[Daemon, Live]]:
    daemon = Daemon({"rnn": tiny_engines["rnn"]}, port=0)
    with running(daemon, realtime=False) as live:
        yield daemon, live


def client_of(bridge: tuple[Daemon, Live]) -> OscClient:
    return OscClient(*bridge[0].address)


def start(client: OscClient, request_id: int, *keys: object) -> int:
    client.send("/bridge/rnn/stream/start", request_id, "seed", 1, *keys)
    rid, sid = expect(client, "/bridge/reply/rnn/stream/start")
    assert rid == request_id
    return sid


def test_another_client_cannot_set_feed_or_stop_a_stream(bridge) -> None:
    with client_of(bridge) as owner, client_of(bridge) as other:
        sid = start(owner, 1, "tempo", 240)
        for rid, (verb, *keys) in enumerate(
            [("set", "tempo", 60), ("feed", *FEED), ("stop",)], start=2
        ):
            other.send(f"/bridge/rnn/stream/{verb}", rid, "stream", sid, *keys)
            error = expect(other, "/bridge/error")
            assert error == [rid, f"/bridge/rnn/stream/{verb}",
                             f"stream {sid} belongs to another client"]  # fmt: skip
        assert [s.id for s in bridge[1].workers["rnn"].streams()] == [sid]
        expect(owner, "/bridge/note")  # still playing: the stop changed nothing
        owner.send("/bridge/rnn/stream/stop", 5, "stream", sid)
        assert expect(owner, "/bridge/reply/rnn/stream/stop") == [5, sid]


def test_stream_numbers_do_not_count_up(bridge) -> None:
    with client_of(bridge) as c:
        ids = [start(c, i, "tempo", 20) for i in range(1, 4)]
        assert ids != [1, 2, 3] and len(set(ids)) == 3
        assert all(0 < sid <= MAX_STREAM_NUMBER for sid in ids)
        # a stopped stream's number is not handed back by counting either
        c.send("/bridge/rnn/stream/stop", 9, "stream", ids[0])
        expect(c, "/bridge/reply/rnn/stream/stop")
        assert start(c, 10, "tempo", 20) not in (ids[2] + 1, ids[0])


def test_a_client_plays_at_most_its_share_of_streams(bridge) -> None:
    with client_of(bridge) as greedy, client_of(bridge) as other:
        ids = [start(greedy, i, "tempo", 20) for i in range(MAX_CLIENT_STREAMS)]
        greedy.send("/bridge/rnn/stream/start", 99, "tempo", 20)
        error = expect(greedy, "/bridge/error")
        assert error[:2] == [99, "/bridge/rnn/stream/start"]
        assert f"{MAX_CLIENT_STREAMS} of your streams are playing" in error[2]
        assert start(other, 1, "tempo", 20) not in ids  # another client still may
        greedy.send("/bridge/rnn/stream/stop", 100, "stream", ids[0])
        expect(greedy, "/bridge/reply/rnn/stream/stop")
        start(greedy, 101, "tempo", 20)  # one stopped: room for one more


def test_feeds_waiting_are_bounded(bridge) -> None:
    _, live = bridge
    worker = live.workers["rnn"]
    with client_of(bridge) as c:
        sid = start(c, 1, "tempo", 60)
        gate = threading.Event()
        worker._queue(lambda: gate.wait(10))  # hold the worker: feeds wait for it
        try:
            for rid in range(2, 2 + MAX_FEEDS_WAITING):
                c.send("/bridge/rnn/stream/feed", rid, "stream", sid, *FEED)
                assert expect(c, "/bridge/reply/rnn/stream/feed") == [rid, sid]
            c.send("/bridge/rnn/stream/feed", 50, "stream", sid, *FEED)
            error = expect(c, "/bridge/error")
            assert error[:2] == [50, "/bridge/rnn/stream/feed"]
            assert f"busy: {MAX_FEEDS_WAITING} feeds waiting" in error[2]
        finally:
            gate.set()
        deadline = time.monotonic() + 10
        while worker.get(sid).feeds_waiting and time.monotonic() < deadline:
            time.sleep(0.02)
        c.send("/bridge/rnn/stream/feed", 51, "stream", sid, *FEED)  # taken: room again
        assert expect(c, "/bridge/reply/rnn/stream/feed") == [51, sid]


def test_keepalive_ends_a_silent_clients_stream(bridge) -> None:
    _, live = bridge
    with client_of(bridge) as c:
        sid = start(c, 1, "tempo", 240, "keepalive", 1)
        expect(c, "/bridge/note")
        assert expect(c, "/bridge/rnn/stream/done", timeout=15) == [sid]
        assert live.workers["rnn"].get(sid) is None
        assert [n for n in live.scheduler.sounding() if n.owner == sid] == []
        c.send("/bridge/rnn/stream/stop", 2, "stream", sid)
        assert f"no stream {sid}" in expect(c, "/bridge/error")[2]


def test_a_client_that_pings_keeps_its_stream(bridge) -> None:
    _, live = bridge
    with client_of(bridge) as c:
        sid = start(c, 1, "tempo", 240, "keepalive", 2)
        end = time.monotonic() + 4  # twice the keepalive, pinging every 0.2 s
        while (now := time.monotonic()) < end:
            c.send("/bridge/ping", 7)
            beat = now + 0.2
            while (left := beat - time.monotonic()) > 0:  # read everything meanwhile
                m = c.receive(left)
                assert m is None or m.address != "/bridge/rnn/stream/done"
        assert live.workers["rnn"].get(sid) is not None
        c.send("/bridge/rnn/stream/stop", 2, "stream", sid)
        assert expect(c, "/bridge/reply/rnn/stream/stop") == [2, sid]
