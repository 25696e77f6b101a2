"""Safe to leave running on stage: over real UDP on 127.0.0.1 (daemons and clients bind
port 0; waits are deadlines). The daemon never answers itself, a reply or an event;
registrations belong to one client and are capped; replies to unregistered clients are
bounded; bad datagrams are logged at a bounded rate with their wire text escaped."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from clients import QUIET, WAIT, ask

from bridge.bench.fuzz import datagrams, expected_ids, run_fuzz
from bridge.server import guard
from bridge.server.daemon import Daemon
from bridge.server.osc import Message, OscClient, Tagged, decode
from bridge.server.protocol import to_number


@pytest.fixture
def daemon(tiny_rnn: Any, tiny_vae: Any) -> Iterator[Daemon]:
    with Daemon({"rnn": tiny_rnn, "vae": tiny_vae}, port=0) as d:
        yield d


def client_for(d: Daemon) -> OscClient:
    return OscClient(*d.address)


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.01)


def quiet(client: OscClient) -> Message | None:
    """What arrives within QUIET seconds (None is the expected answer)."""
    return client.receive(QUIET)


class Records(logging.Handler):
    """Every log record of the bridge package while installed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[str]:
        return [r.getMessage() for r in self.records]


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger("bridge")
    old = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old)


# --- never answering itself, replies or events -------------------------------------------


def test_registering_the_daemons_own_port_is_refused(daemon: Daemon) -> None:
    port = daemon.address[1]
    with client_for(daemon) as c:
        reply = ask(c, "/bridge/register", 1, "port", port)
        assert reply.address == "/bridge/error"
        assert reply.args[:2] == [1, "/bridge/register"] and "own port" in reply.args[2]
        assert daemon.registered() == []
        assert ask(c, "/bridge/ping", 2).address == "/bridge/pong"  # replies still come here


def test_a_datagram_from_the_daemons_own_socket_is_not_answered(daemon: Daemon) -> None:
    # The daemon sends a ping to itself from its own socket: dropped, never answered (an
    # answer would go to itself again, forever).
    daemon.send(daemon.address, "/bridge/ping", [7])
    wait_until(lambda: daemon.dropped["from the bridge itself"] == 1, "the ping is dropped")
    time.sleep(1.0)  # a loop would show here: thousands of datagrams a second
    assert daemon.dropped == {"from the bridge itself": 1}


def test_two_daemons_answering_each_other_do_not_loop(daemon: Daemon, records: Records) -> None:
    with Daemon({}, port=0) as other, client_for(daemon) as c:
        # c's replies go to the other daemon (the register reply first), which never
        # answers a reply or an error: nothing comes back to the first daemon.
        c.send("/bridge/register", 1, "port", other.address[1])
        c.send("/bridge/ping", 2)
        c.send("/bridge/nope", 3)
        wait_until(lambda: other.dropped["a reply or event"] == 3, "all three are dropped")
        lines = len(records.records)
        time.sleep(1.0)
        assert other.dropped == {"a reply or event": 3} and not daemon.dropped
        assert len(records.records) == lines, records.lines()[lines:]
        assert quiet(c) is None


EVENTS = [
    ("/bridge/reply/ping", [1]),
    ("/bridge/reply/rnn/continue", [2, 60, 0.0, 1.0, 100]),
    ("/bridge/error", [3, "/bridge/ping", "boom"]),
    ("/bridge/pong", [4, 1, "1.0"]),
    ("/bridge/note", [1, 60, 100, 0.5, 250.0]),
    ("/bridge/rnn/stream/done", [1]),
    ("/bridge/callresponse/state", ["listening"]),
]


def test_replies_and_events_are_never_answered(daemon: Daemon) -> None:
    with client_for(daemon) as c:
        for address, args in EVENTS:
            c.send(address, *args)
        wait_until(lambda: daemon.dropped["a reply or event"] == len(EVENTS), "all dropped")
        assert quiet(c) is None
        assert ask(c, "/bridge/ping", 9).args[0] == 9


# --- registrations belong to one client ----------------------------------------------------


def test_two_clients_on_one_host_get_only_their_own_replies(daemon: Daemon) -> None:
    with client_for(daemon) as a, client_for(daemon) as b, client_for(daemon) as listener:
        a.send("/bridge/register", 1, "port", listener.port)
        assert listener.receive(WAIT) == Message("/bridge/reply/register", [1, listener.port])
        assert daemon.registered() == [("127.0.0.1", a.port)]
        assert daemon.reply_target(("127.0.0.1", b.port)) == ("127.0.0.1", b.port)
        a.send("/bridge/ping", 2)
        b.send("/bridge/ping", 3)
        assert listener.receive(WAIT).args[0] == 2  # type: ignore[union-attr]
        assert b.receive(WAIT).args[0] == 3  # type: ignore[union-attr]
        assert quiet(a) is None and quiet(b) is None and quiet(listener) is None
        a.send("/bridge/register", 4, "port", 0)  # forgets a's registration
        assert a.receive(WAIT).args == [4, 0]  # type: ignore[union-attr]
        assert daemon.registered() == []
        assert ask(a, "/bridge/ping", 5).args[0] == 5


def test_registrations_are_capped_per_host() -> None:
    with Daemon({}, port=0) as d:
        clients = [client_for(d) for _ in range(guard.MAX_REGISTRATIONS_PER_HOST + 1)]
        try:
            for i, c in enumerate(clients[:-1]):
                assert ask(c, "/bridge/register", i, "port", c.port).address == (
                    "/bridge/reply/register"
                )
            reply = ask(clients[-1], "/bridge/register", 99, "port", 9)
            assert reply.address == "/bridge/error" and reply.args[0] == 99
            assert f"at most {guard.MAX_REGISTRATIONS_PER_HOST} per computer" in reply.args[2]
            assert len(d.registered()) == guard.MAX_REGISTRATIONS_PER_HOST
            # re-registering a registered client is not a new registration
            again = ask(clients[0], "/bridge/register", 100, "port", clients[0].port)
            assert again.address == "/bridge/reply/register"
        finally:
            for c in clients:
                c.close()


def test_registrations_cap_in_all() -> None:
    regs = guard.Registrations(per_host=2, total=3)
    regs.set(("10.0.0.1", 1), 5)
    regs.set(("10.0.0.1", 2), 5)
    with pytest.raises(ValueError, match="at most 2 per computer"):
        regs.set(("10.0.0.1", 3), 5)
    regs.set(("10.0.0.2", 1), 5)
    with pytest.raises(ValueError, match="at most 3\\)"):
        regs.set(("10.0.0.3", 1), 5)
    regs.set(("10.0.0.2", 1), 0)
    regs.set(("10.0.0.3", 1), 5)
    assert regs.clients() == [("10.0.0.1", 1), ("10.0.0.1", 2), ("10.0.0.3", 1)]


# --- reply bound -----------------------------------------------------------------------------


def test_a_large_reply_needs_a_registration(daemon: Daemon) -> None:
    request = ("/bridge/vae/sample", 1, "n", 64, "seed", 1)
    with client_for(daemon) as c, client_for(daemon) as listener:
        reply = ask(c, *request)
        # the tiny VAE's 64 samples are far more than 8 KB: refused, with what to do
        assert reply.address == "/bridge/error" and reply.args[:2] == [1, "/bridge/vae/sample"]
        assert "has not registered" in reply.args[2] and "/bridge/register" in reply.args[2]
        assert quiet(c) is None
        c.send("/bridge/register", 2, "port", listener.port)
        assert listener.receive(WAIT).args == [2, listener.port]  # type: ignore[union-attr]
        c.send(*request)
        got = [listener.receive(WAIT) for _ in range(64)]
        assert all(m is not None and m.address == "/bridge/reply/vae/sample" for m in got)
        assert sum(len(m.args) for m in got if m) * 4 > guard.REPLY_FLOOR  # really over


def test_reply_budget_is_bounded_by_request_size() -> None:
    budget = guard.ReplyBudget(ratio=64, floor=1000)
    client = ("127.0.0.1", 5)
    assert budget.spend(client, 1) == 0  # nothing asked, nothing owed
    for _ in range(10):  # a run of small requests buys no more than one floor
        budget.grant(client, 10)
    assert budget.spend(client, 1001) == 1000
    assert budget.spend(client, 1000) is None
    budget.grant(client, 100)  # 64 x 100 bytes
    assert budget.spend(client, 6400) is None
    assert budget.spend(client, 1) == 0


# --- OSC types that are not numbers ------------------------------------------------------


def _with_tag(address: str, args: list[tuple[Any, str | None]]) -> bytes:
    from bridge.bench.fuzz import _typed

    return _typed(address, args)


@pytest.mark.parametrize(
    ("value", "tag", "words"),
    [
        (0xFF00FF00, "r", "an OSC colour (type tag 'r')"),
        ((0, 0x90, 60, 100), "m", "an OSC MIDI message (type tag 'm')"),
        (True, "T", "true"),
        (None, "N", "nil"),
    ],
)
def test_odd_osc_types_are_not_numbers(daemon: Daemon, value: Any, tag: str, words: str) -> None:
    data = _with_tag("/bridge/rnn/continue", [(5, None), ("temperature", None), (value, tag)])
    with client_for(daemon) as c:
        c.send_raw(data)
        reply = c.receive(WAIT)
        assert reply is not None and reply.address == "/bridge/error"
        assert reply.args[2] == f"temperature must be a number, got {words}"


def test_colour_decodes_as_tagged_not_int() -> None:
    (message,), _ = decode(_with_tag("/x", [(0xFF00FF00, "r"), ([1, (0, 1, 2, 3)], None)]))
    assert isinstance(message, Message)
    assert message.args == [Tagged("r", 0xFF00FF00), [1, Tagged("m", (0, 1, 2, 3))]]
    with pytest.raises(ValueError, match="colour"):
        to_number("seed", message.args[0], integer=True)


# --- logging ---------------------------------------------------------------------------------


def test_wire_text_cannot_forge_log_lines(daemon: Daemon, records: Records) -> None:
    forged = "/bridge/x\n2026-01-01 00:00:00 ERROR bridge: forged\x1b[2J"
    with client_for(daemon) as c:
        reply = ask(c, forged, 1)
        assert reply.address == "/bridge/error"
    wait_until(lambda: any("forged" in line for line in records.lines()), "a log line")
    for line in records.lines():
        assert "\n" not in line and "\x1b" not in line, line
    assert any("\\n2026-01-01" in line and "\\x1b[2J" in line for line in records.lines())


def test_escape() -> None:
    assert guard.escape("plain /bridge/ping é") == "plain /bridge/ping é"
    assert guard.escape("a\nb\x1b[31m\x9b\u2028") == "a\\nb\\x1b[31m\\x9b\\u2028"
    assert guard.escape("x" * 300, 10) == "x" * 10 + "...(300 chars)"


def test_log_limiter_summarises_what_it_suppressed(records: Records) -> None:
    now = [0.0]
    limiter = guard.LogLimiter(logging.getLogger("bridge.test"), rate=2, burst=3,
                               clock=lambda: now[0])  # fmt: skip
    logged = [limiter.log(logging.WARNING, "line %d", i) for i in range(10)]
    assert logged == [True] * 3 + [False] * 7
    now[0] = 5.0
    assert limiter.log(logging.WARNING, "after")
    assert records.lines() == [
        "line 0",
        "line 1",
        "line 2",
        "suppressed 7 lines in the last 5.0 s",
        "after",
    ]


def test_a_flood_of_bad_datagrams_logs_a_bounded_number_of_lines(
    daemon: Daemon, records: Records
) -> None:
    with client_for(daemon) as c:
        for i in range(300):
            c.send_raw(b"not osc %d" % i)
            c.send("/bridge/nope", i)
        wait_until(lambda: c.receive(QUIET) is None, "the errors stop")
    # burst of 20, 10 a second: far fewer lines than the 600 bad messages
    assert len(records.records) < 100
    with client_for(daemon) as c:
        assert ask(c, "/bridge/ping", 1).address == "/bridge/pong"


# --- who is read at all ----------------------------------------------------------------------


def test_allow_list() -> None:
    allow = guard.AllowList(guard.parse_networks(["192.168.1.0/24", "10.0.0.7"]))
    assert allow.allows("127.0.0.1") and allow.allows("192.168.1.200")
    assert allow.allows("10.0.0.7") and not allow.allows("10.0.0.8")
    assert not guard.AllowList().allows("192.168.1.2")
    with pytest.raises(ValueError, match="192.168.1.0/24"):
        guard.parse_networks(["my laptop"])


def _own_lan_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # UDP: nothing is sent; picks the interface
            host = s.getsockname()[0]
        except OSError:
            return None
    return None if guard.is_loopback(host) or host == "0.0.0.0" else host


def test_datagrams_from_outside_allow_are_dropped(records: Records) -> None:
    lan = _own_lan_address()
    if lan is None:
        pytest.skip("this computer has no non-loopback address")
    with Daemon({}, host="0.0.0.0", port=0) as d:
        assert any("other computers can reach" in line for line in records.lines())
        with OscClient(lan, d.address[1]) as c:  # sends from lan, not from loopback
            c.send("/bridge/ping", 1)
            wait_until(lambda: d.dropped["outside --allow"] == 1, "the ping is dropped")
            assert quiet(c) is None
    with Daemon({}, host="0.0.0.0", port=0, allow=guard.parse_networks([lan])) as d:
        with OscClient(lan, d.address[1]) as c:
            assert ask(c, "/bridge/ping", 2).address == "/bridge/pong"


# --- the fuzz harness, bounded ---------------------------------------------------------------


def test_fuzz_datagrams_are_varied_and_never_register_elsewhere() -> None:
    sent = list(datagrams(2000, seed=1, own_port=4242))
    assert len(sent) == 2000 and len(set(sent)) > 1500
    for data in sent:
        for p in decode(data)[0]:
            if isinstance(p, Message) and p.address == "/bridge/register":
                assert p.args[-1:] == [4242]
    assert sum(bool(expected_ids(d)) for d in sent) > 500


def test_bounded_fuzz(tiny_rnn: Any, tiny_vae: Any, tiny_gan: Any, records: Records) -> None:
    engines = {"rnn": tiny_rnn, "vae": tiny_vae, "gan": tiny_gan}
    n = 2000
    with Daemon(engines, port=0) as d:
        figures = run_fuzz(d.address[1], n, rate=1000, seed=2, settle=WAIT)
        assert d.running
        assert figures["requests_with_id"] > 500
        assert figures["unanswered"] == 0, figures
        assert figures["engine_requests_served"] > 0, figures  # not all refused as busy
        assert figures["pings"] > 0 and figures["pings_lost"] == 0, figures
        assert len(records.records) <= n
        assert d.dropped["from the bridge itself"] == 0
        # no loop: once the fuzz is over, nothing more is dropped or logged
        dropped, lines = sum(d.dropped.values()), len(records.records)
        time.sleep(1.0)
        assert (sum(d.dropped.values()), len(records.records)) == (dropped, lines)
        with client_for(d) as c:
            assert ask(c, "/bridge/ping", 1).address == "/bridge/pong"
