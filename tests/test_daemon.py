"""The daemon over real UDP on 127.0.0.1: daemons and clients bind port 0; waits have deadlines."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from clients import QUIET, WAIT, ask, wire_notes

from bridge.server import osc, protocol
from bridge.server.daemon import Daemon
from bridge.server.osc import Message, OscClient
from engines.notes import Note
from engines.params import Param


@pytest.fixture
def daemon(tiny_rnn: Any) -> Iterator[Daemon]:
    with Daemon({"rnn": tiny_rnn}, port=0) as d:
        yield d


def client_for(d: Daemon) -> OscClient:
    host, port = d.address
    return OscClient(host, port)


@pytest.fixture
def client(daemon: Daemon) -> Iterator[OscClient]:
    with client_for(daemon) as c:
        yield c


class FakeEngine:
    """An engine whose continue verb does what a test needs: block, fail, or return many notes."""

    name = "rnn"

    def __init__(self, notes: int = 1, error: Exception | None = None) -> None:
        self.notes = notes
        self.error = error
        self.release = threading.Event()
        self.release.set()
        self.started = threading.Event()

    def call(self, verb: str, values: dict[str, Any]) -> list[Note]:
        """What the daemon calls (engines.base.Engine.call): only ``continue`` here."""
        assert verb == "continue"
        self.started.set()
        assert self.release.wait(WAIT), "the test never released the engine"
        if self.error is not None:
            raise self.error
        return [Note(60, i * 0.25, 0.25, 100) for i in range(self.notes)]


# --- the core addresses --------------------------------------------------------------------


def test_ping(client: OscClient) -> None:
    reply = ask(client, "/bridge/ping", 17)
    assert reply.address == "/bridge/pong"
    assert reply.args == [17, 1, protocol.package_version()]
    assert isinstance(reply.args[2], str) and reply.args[2]


def test_ping_with_float_id(client: OscClient) -> None:
    assert ask(client, "/bridge/ping", 3.0).args[0] == 3


def test_engines(client: OscClient) -> None:
    assert ask(client, "/bridge/engines", 2) == Message("/bridge/reply/engines", [2, "rnn"])


def test_continue_replies_notes_after_the_primer(client: OscClient) -> None:
    primer = [60, 0, 1, 90, 62, 1, 1, 110, 64, 2.5, 0.5, 100]
    reply = ask(client, "/bridge/rnn/continue", 5, "steps", 64, "seed", 3, "notes", *primer)
    assert reply.address == "/bridge/reply/rnn/continue" and reply.args[0] == 5
    notes = wire_notes(reply.args[1:])
    assert notes, "a random model plays something in 64 steps"
    for n in notes:
        assert 0 <= n.pitch <= 127 and n.velocity == 100  # the primer's mean velocity
        assert n.start >= 0 and n.duration > 0 and n.end <= 64 / 4 + 1e-6


def test_same_seed_same_reply_and_ints_or_floats_both_work(client: OscClient) -> None:
    a = ask(client, "/bridge/rnn/continue", 1, "steps", 32, "seed", 9, "temperature", 1)
    b = ask(client, "/bridge/rnn/continue", 2, "steps", 32.0, "seed", 9.0, "temperature", 1.0)
    c = ask(client, "/bridge/rnn/continue", 3, "steps", 32, "seed", 10)
    assert a.args[1:] == b.args[1:]
    assert a.args[1:] != c.args[1:]


# --- bad input: /bridge/error with the id, the address, and the reason -----------------------


@pytest.mark.parametrize(
    ("args", "rid", "message"),
    [
        ([4, "temperature", -1], 4, "temperature must be > 0, got -1"),
        ([4, "temperature", float("nan")], 4, "temperature must be a finite number, got nan"),
        ([4, "temperature", "warm"], 4, "temperature must be a number, got 'warm'"),
        ([4, "steps", 2000], 4, "steps must be 1..1024, got 2000"),
        ([4, "steps", 0], 4, "steps must be 1..1024, got 0"),
        ([4, "notes", 130, 0, 1, 100], 4, "pitch must be 0..127, got 130"),
        ([4, "notes", 60, 0, 1], 4, "groups of 4 numbers"),
        ([4, "seed", b"blob"], 4, "seed must be a whole number, got a 4-byte blob"),
        ([4, "temprature", 0.5], 4, "unknown key 'temprature'"),
        (["steps", 8], -1, "the first argument must be the request id"),
        ([], -1, "missing request id"),
        # The engine's own check (primer longer than 1024 beats), via the worker:
        ([4, "notes", 60, 1100, 1, 100], 4, "primer is 1101 beats long; the most is 1024"),
    ],
)
def test_bad_continue(client: OscClient, args: list, rid: int, message: str) -> None:
    reply = ask(client, "/bridge/rnn/continue", *args)
    assert reply.address == "/bridge/error"
    assert reply.args[:2] == [rid, "/bridge/rnn/continue"]
    assert message in reply.args[2]


def test_unknown_address(client: OscClient) -> None:
    reply = ask(client, "/bridge/rnn/contnue", 8)
    assert reply.address == "/bridge/error"
    assert reply.args[:2] == [8, "/bridge/rnn/contnue"]
    assert "unknown address" in reply.args[2] and "/bridge/rnn/continue" in reply.args[2]
    assert ask(client, "/nothing").args[:2] == [-1, "/nothing"]


def test_malformed_and_non_osc_datagrams(
    client: OscClient, caplog: pytest.LogCaptureFixture
) -> None:
    # The address parses, the arguments don't: the sender hears about it.
    client.send_raw(b"/bridge/ping\0\0\0\0,ii\0" + b"\0\0\0\1")
    reply = client.receive(WAIT)
    assert reply is not None and reply.address == "/bridge/error"
    assert reply.args[:2] == [-1, "/bridge/ping"]
    assert reply.args[2].startswith("malformed OSC message: ")
    # Not OSC at all: dropped, logged once, no reply; the daemon still answers afterwards.
    with caplog.at_level(logging.WARNING, logger="bridge.server.osc"):
        client.send_raw(b"GET / HTTP/1.1\r\n\r\n")
        assert client.receive(QUIET) is None
        assert ask(client, "/bridge/ping", 1).address == "/bridge/pong"
    dropped = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1 and dropped[0].exc_info is None
    assert "\n" not in dropped[0].getMessage()


def test_a_3000_note_primer_is_answered(client: OscClient) -> None:
    primer = protocol.format_notes([Note(48 + i % 24, i * 0.25, 0.25, 100) for i in range(3000)])
    assert len(osc.encode("/bridge/rnn/continue", [1, "notes", *primer])) > 55_000
    reply = ask(client, "/bridge/rnn/continue", 6, "steps", 16, "seed", 1, "notes", *primer)
    assert reply.address == "/bridge/reply/rnn/continue" and reply.args[0] == 6
    wire_notes(reply.args[1:])


def test_other_clients_keep_being_answered_after_bad_input(daemon: Daemon) -> None:
    with client_for(daemon) as bad, client_for(daemon) as good:
        bad.send_raw(b"\xff" * 100)
        bad.send_raw(b"/bridge/ping\0\0\0\0,f\0\0")
        bad.send("/bridge/rnn/continue", 1, "notes", 1, 2, 3)
        bad.send("/bridge/register", 1, "port", "x")
        assert ask(good, "/bridge/ping", 2).args[0] == 2
        assert ask(good, "/bridge/rnn/continue", 3, "steps", 8).args[0] == 3
    assert daemon.running


# --- where replies go ----------------------------------------------------------------------


def test_register_sends_replies_to_the_registered_port(daemon: Daemon) -> None:
    with client_for(daemon) as sender, client_for(daemon) as listener:
        sender.send("/bridge/register", 1, "port", listener.port)
        reply = listener.receive(WAIT)
        assert reply == Message("/bridge/reply/register", [1, listener.port])
        sender.send("/bridge/ping", 2)
        assert listener.receive(WAIT) == Message("/bridge/pong", [2, 1, protocol.package_version()])
        sender.send("/bridge/rnn/continue", 3, "temperature", -1)
        assert listener.receive(WAIT).args[:2] == [3, "/bridge/rnn/continue"]  # type: ignore[union-attr]
        assert sender.receive(QUIET) is None  # nothing went to the throwaway port
        # port 0 forgets the registration: replies come back to the sender again.
        assert ask(sender, "/bridge/register", 4, "port", 0).args == [4, 0]
        assert ask(sender, "/bridge/ping", 5).args[0] == 5


def test_reply_port_option(tiny_rnn: Any) -> None:
    with Daemon({"rnn": tiny_rnn}, port=0, reply_port=1) as d:
        with client_for(d) as listener:
            d.reply_port = listener.port  # the port is only known once bound
            with client_for(d) as sender:
                sender.send("/bridge/ping", 1)
                assert listener.receive(WAIT).address == "/bridge/pong"  # type: ignore[union-attr]
                assert sender.receive(QUIET) is None


def test_bundle_with_far_future_timetag_is_handled_at_once(client: OscClient) -> None:
    messages = [osc.encode("/bridge/ping", [1]), osc.encode("/bridge/engines", [2])]
    began = time.monotonic()
    client.send_raw(osc.encode_bundle(messages, time.time() + 3600))
    first, second = client.receive(WAIT), client.receive(WAIT)
    assert time.monotonic() - began < 5
    assert first is not None and first.address == "/bridge/pong" and first.args[0] == 1
    assert second == Message("/bridge/reply/engines", [2, "rnn"])


# --- concurrency ---------------------------------------------------------------------------


def test_ping_is_answered_while_long_continues_run(client: OscClient) -> None:
    for i in range(3):  # more work than the two workers can finish in a blink
        client.send("/bridge/rnn/continue", 10 + i, "steps", 1024, "seed", i)
    client.send("/bridge/ping", 99)
    order = []
    while len(order) < 4:
        reply = client.receive(WAIT)
        assert reply is not None, f"replies so far: {order}"
        order.append(reply.args[0])
    assert sorted(order) == [10, 11, 12, 99]
    assert order.index(99) < 3, f"the ping waited for every continuation: {order}"


def test_ping_is_answered_while_an_engine_is_blocked() -> None:
    engine = FakeEngine()
    engine.release.clear()
    with Daemon({"rnn": engine}, port=0, workers=1) as d, client_for(d) as c:
        c.send("/bridge/rnn/continue", 1)
        assert engine.started.wait(WAIT)
        assert ask(c, "/bridge/ping", 2).address == "/bridge/pong"
        engine.release.set()
        assert c.receive(WAIT) == Message("/bridge/reply/rnn/continue", [1, 60, 0.0, 0.25, 100])


def test_busy_when_too_many_requests_wait() -> None:
    engine = FakeEngine()
    engine.release.clear()
    with Daemon({"rnn": engine}, port=0, workers=1, max_pending=1) as d, client_for(d) as c:
        c.send("/bridge/rnn/continue", 1)
        assert engine.started.wait(WAIT)
        reply = ask(c, "/bridge/rnn/continue", 2)
        assert reply.address == "/bridge/error" and reply.args[0] == 2
        assert reply.args[2].startswith("busy")
        engine.release.set()
        assert c.receive(WAIT).args[0] == 1  # type: ignore[union-attr]


def test_engine_failures_become_errors_and_one_log_line(caplog: pytest.LogCaptureFixture) -> None:
    engines = {"rnn": FakeEngine(error=RuntimeError("boom"))}
    with Daemon(engines, port=0) as d, client_for(d) as c:
        with caplog.at_level(logging.WARNING, logger="bridge"):
            reply = ask(c, "/bridge/rnn/continue", 1)
        assert reply.args == [1, "/bridge/rnn/continue", "internal error: RuntimeError: boom"]
        assert len(caplog.records) == 1 and caplog.records[0].levelno == logging.ERROR
        assert ask(c, "/bridge/ping", 2).address == "/bridge/pong"


def test_a_giant_unknown_address_still_gets_an_error(client: OscClient) -> None:
    address = "/" + "x" * 65_000
    reply = ask(client, address, 1)
    assert reply.address == "/bridge/error" and reply.args[0] == 1
    assert reply.args[1].startswith("/xxx") and reply.args[1].endswith("...")


def test_reply_too_large_is_an_error() -> None:
    with Daemon({"rnn": FakeEngine(notes=5000)}, port=0) as d, client_for(d) as c:
        reply = ask(c, "/bridge/rnn/continue", 1)
        assert reply.address == "/bridge/error" and reply.args[0] == 1
        assert reply.args[2].startswith("reply too large: 5000 notes")
        assert reply.args[2].endswith("ask for fewer steps")


def test_engine_not_loaded() -> None:
    with Daemon({}, port=0) as d, client_for(d) as c:
        assert ask(c, "/bridge/engines", 1).args == [1]
        reply = ask(c, "/bridge/rnn/continue", 2)
        assert reply.args[:2] == [2, "/bridge/rnn/continue"]
        assert "the rnn engine is not loaded" in reply.args[2]
        assert "/bridge/load <id> engine rnn path <checkpoint>" in reply.args[2]


def test_two_daemons_side_by_side(tiny_rnn: Any) -> None:
    with Daemon({"rnn": tiny_rnn}, port=0) as a, Daemon({}, port=0) as b:
        assert a.address[1] != b.address[1]
        with client_for(a) as ca, client_for(b) as cb, client_for(a) as other:
            assert ask(ca, "/bridge/engines", 1).args == [1, "rnn"]
            assert ask(cb, "/bridge/engines", 2).args == [2]
            # A registration with one daemon does not touch the other.
            ca.send("/bridge/register", 3, "port", other.port)
            assert other.receive(WAIT).args == [3, other.port]  # type: ignore[union-attr]
            assert ask(cb, "/bridge/ping", 4).args[0] == 4
            ca.send("/bridge/ping", 5)
            assert other.receive(WAIT).args[0] == 5  # type: ignore[union-attr]


def test_stop_is_prompt_and_frees_the_port(tiny_rnn: Any) -> None:
    d = Daemon({"rnn": tiny_rnn}, port=0).start()
    host, port = d.address
    began = time.monotonic()
    d.stop()
    assert time.monotonic() - began < 1.0 and not d.running
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, port))  # would raise if the daemon still held it
    with pytest.raises(RuntimeError):
        _ = d.address


def test_add_handler_for_a_daemon_side_address(daemon: Daemon, client: OscClient) -> None:
    spec = protocol.Address("/bridge/test/echo", keys=(Param("n", "int", "n"),))

    def echo(request: protocol.Request, sender: osc.Addr) -> None:
        if request["n"] == 0:
            raise ValueError("zero")
        daemon.send(sender, spec.reply, [request.id, request["n"]])

    daemon.add_handler(spec, echo)
    assert ask(client, "/bridge/test/echo", 1, "n", 5) == Message("/bridge/reply/test/echo", [1, 5])
    reply = ask(client, "/bridge/test/echo", 2, "n", 0)
    assert reply.args == [2, "/bridge/test/echo", "zero"]


def test_a_swap_lets_the_running_request_finish_on_the_old_engine() -> None:
    old, new = FakeEngine(notes=1), FakeEngine(notes=2)
    old.release.clear()
    seen: list[tuple[str, Any, Any]] = []
    with Daemon({"rnn": old}, port=0, workers=1) as d, client_for(d) as c:
        d.on_engine_swap.append(lambda *args: seen.append(args))
        c.send("/bridge/rnn/continue", 1)
        assert old.started.wait(WAIT)
        c.send("/bridge/rnn/continue", 2)  # queued behind the running one
        assert ask(c, "/bridge/ping", 3).address == "/bridge/pong"
        d.swap_engine("rnn", new)
        assert seen == [("rnn", old, new)] and d.engines == {"rnn": new}
        old.release.set()
        first, second = c.receive(WAIT), c.receive(WAIT)
        assert first is not None and second is not None
        assert first.args[0] == 1 and len(wire_notes(first.args[1:])) == 1  # the old engine
        assert second.args[0] == 2 and len(wire_notes(second.args[1:])) == 2  # the new one


def test_a_failing_swap_hook_is_logged_and_swap_stands(caplog: pytest.LogCaptureFixture) -> None:
    def broken(name: str, old: Any, new: Any) -> None:
        raise RuntimeError("hook broke")

    new = FakeEngine()
    with Daemon({}, port=0) as d, client_for(d) as c:
        d.on_engine_swap.append(broken)
        with caplog.at_level(logging.ERROR, logger="bridge"):
            d.swap_engine("rnn", new)
        assert d.engines == {"rnn": new} and "hook broke" in caplog.text
        assert ask(c, "/bridge/rnn/continue", 1).address == "/bridge/reply/rnn/continue"
