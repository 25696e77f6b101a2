"""What keeps a daemon safe to leave running on stage: who is answered, how much, and how
loudly a bad datagram is logged.

- ``escape``: wire text made safe for one log line (no forged lines, no terminal escapes).
- ``LogLimiter``: a token bucket for log lines about bad datagrams, with a summary line.
- ``AllowList``: the networks whose datagrams are read at all (``bridge serve --allow``).
- ``OwnHosts``: whether a host is this computer (so the daemon never answers itself).
- ``Registrations``: client (host, source port) -> reply port, with caps per host and in all.
- ``ReplyBudget``: how many bytes the daemon may still send to a client that has not
  registered (an unregistered source may be spoofed: a small request must not buy a large
  reply aimed at someone else).
- ``is_event``: the addresses the daemon sends (replies, errors, pongs, notes, events),
  which it never answers, so two bridges (or a bridge and itself) cannot loop.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

Addr = tuple[str, int]

# Registrations: a computer rarely runs more than a few clients (a Max patch, sclang, Pd).
MAX_REGISTRATIONS_PER_HOST = 16
MAX_REGISTRATIONS = 256
# Replies to one request of a client that has not registered: at most this many times the
# request's size, and never less than REPLY_FLOOR bytes (a ping or a short continuation).
REPLY_RATIO = 64
REPLY_FLOOR = 8 * 1024
# Replies to one request of any client, registered or not (vae/sample n 64 is ~44 KB).
REPLY_MAX = 64 * 1024
# Clients whose unspent allowance is remembered; the oldest is forgotten first.
BUDGET_CLIENTS = 1024

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
# Addresses the daemon sends and never answers (besides everything under /bridge/reply/).
EVENT_ADDRESSES = frozenset(
    {"/bridge/error", "/bridge/pong", "/bridge/note", "/bridge/midi/status", "/bridge/harmony/note"}
)
# Both a request (``<id>``) and the event the daemon sends (``<state:string>``).
STATE_ADDRESS = "/bridge/callresponse/state"


def escape(text: str, limit: int = 200) -> str:
    """``text`` from the wire, safe inside one log line: control characters and escapes
    (newline, ESC, C1, DEL...) become ``\\n``/``\\x1b``-style escapes; longer than ``limit``
    characters, it is cut and its length said."""
    cut = text[:limit]
    if not cut.isprintable():
        cut = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in cut)
    if len(text) > limit:
        cut += f"...({len(text)} chars)"
    return cut


def is_event(address: str, args: Sequence[Any] = ()) -> bool:
    """Whether a message is one the daemon sends (a reply, error, pong or event)."""
    if address == STATE_ADDRESS:  # the request carries an id, the event a state name
        return bool(args) and isinstance(args[0], str)
    return (
        address.startswith("/bridge/reply/")
        or address in EVENT_ADDRESSES
        or (address.startswith("/bridge/") and address.endswith("/stream/done"))
    )


class LogLimiter:
    """At most ``rate`` lines a second (bursts of ``burst``) through ``log``; lines over
    that are counted, and the next line that gets through is preceded by
    ``suppressed K lines in the last S s``."""

    def __init__(
        self,
        logger: logging.Logger,
        rate: float = 10.0,
        burst: int = 20,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.logger = logger
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._suppressed = 0
        self._since = 0.0
        self._lock = threading.Lock()

    def log(self, level: int, msg: str, *args: object) -> bool:
        """Log one line unless over the rate; True if it was logged."""
        with self._lock:
            now = self.clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1:
                if not self._suppressed:
                    self._since = now
                self._suppressed += 1
                return False
            self._tokens -= 1
            summary = self._take_summary(now)
        if summary:
            self.logger.warning(*summary)
        self.logger.log(level, msg, *args)
        return True

    def flush(self) -> None:
        """Log the summary of lines suppressed so far, if any (at shutdown)."""
        with self._lock:
            summary = self._take_summary(self.clock())
        if summary:
            self.logger.warning(*summary)

    def _take_summary(self, now: float) -> tuple[str, int, float] | None:
        if not self._suppressed:
            return None
        summary = ("suppressed %d lines in the last %.1f s", self._suppressed, now - self._since)
        self._suppressed = 0
        return summary


def parse_networks(texts: Iterable[str]) -> list[ipaddress.IPv4Network]:
    """``--allow`` values (``192.168.1.0/24``, ``10.0.0.5``) -> networks; ValueError in a
    user's words for anything else."""
    out = []
    for text in texts:
        try:
            net = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            raise ValueError(
                f"--allow takes an IPv4 network like 192.168.1.0/24 or one address, got {text!r}"
            ) from None
        if not isinstance(net, ipaddress.IPv4Network):
            raise ValueError(f"--allow: the bridge listens on IPv4 only, got {text!r}")
        out.append(net)
    return out


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a dotted address or ``localhost``) is this computer's loopback."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host) in LOOPBACK
    except ValueError:
        return False


class AllowList:
    """The networks whose datagrams the daemon reads: loopback always, plus ``networks``."""

    def __init__(self, networks: Iterable[ipaddress.IPv4Network] = ()) -> None:
        self.networks = [LOOPBACK, *(n for n in networks if n != LOOPBACK)]

    def allows(self, host: str) -> bool:
        try:
            ip = ipaddress.IPv4Address(host)
        except ValueError:
            return False
        return any(ip in n for n in self.networks)

    def __str__(self) -> str:
        return ", ".join(str(n) for n in self.networks)


class OwnHosts:
    """Whether an address belongs to this computer: loopback, or one a socket can bind
    (the kernel's answer, so every interface counts). Answers are remembered, a few."""

    def __init__(self, size: int = 64) -> None:
        self._known: OrderedDict[str, bool] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def __contains__(self, host: object) -> bool:
        if not isinstance(host, str):
            return False
        with self._lock:
            known = self._known.get(host)
        if known is not None:
            return known
        own = is_loopback(host) or host == "0.0.0.0" or _bindable(host)
        with self._lock:
            self._known[host] = own
            while len(self._known) > self._size:
                self._known.popitem(last=False)
        return own


def _bindable(host: str) -> bool:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((host, 0))
        return True
    except OSError:
        return False


class Registrations:
    """Client (host, source port) -> the port of its host its replies go to.

    A registration applies to the client that sent it and to no other; at most
    ``per_host`` per host and ``total`` in all (a flood cannot fill memory).
    """

    def __init__(
        self, per_host: int = MAX_REGISTRATIONS_PER_HOST, total: int = MAX_REGISTRATIONS
    ) -> None:
        self.per_host = per_host
        self.total = total
        self._ports: dict[Addr, int] = {}
        self._lock = threading.Lock()

    def set(self, client: Addr, port: int) -> None:
        """Register (or with ``port`` 0, forget) ``client``; ValueError over a cap."""
        with self._lock:
            if not port:
                self._ports.pop(client, None)
                return
            if client not in self._ports:
                same_host = sum(1 for h, _ in self._ports if h == client[0])
                if same_host >= self.per_host:
                    raise ValueError(
                        f"{same_host} clients of {client[0]} are registered already (at most "
                        f"{self.per_host} per computer); send port 0 from ones you no longer use"
                    )
                if len(self._ports) >= self.total:
                    raise ValueError(
                        f"{len(self._ports)} clients are registered already (at most "
                        f"{self.total}); send port 0 from ones you no longer use"
                    )
            self._ports[client] = port

    def get(self, client: Addr) -> int | None:
        with self._lock:
            return self._ports.get(client)

    def clients(self) -> list[Addr]:
        with self._lock:
            return sorted(self._ports)


class ReplyBudget:
    """Bytes the daemon may still send in reply to each client that has not registered.

    Each request grants ``max(floor, ratio * its size)`` bytes; unspent allowance is kept up
    to the largest single grant (so a run of pings buys no big reply). Like QUIC's limit
    before an address is validated: a spoofed request cannot turn into a flood at someone
    else. Errors are not counted (they are small and say what went wrong).
    """

    def __init__(
        self, ratio: int = REPLY_RATIO, floor: int = REPLY_FLOOR, clients: int = BUDGET_CLIENTS
    ) -> None:
        self.ratio = ratio
        self.floor = floor
        self._clients = clients
        self._left: OrderedDict[Addr, int] = OrderedDict()
        self._lock = threading.Lock()

    def allowance(self, request_bytes: int) -> int:
        """Bytes one request of ``request_bytes`` buys."""
        return max(self.floor, self.ratio * request_bytes)

    def grant(self, client: Addr, request_bytes: int) -> None:
        grant = self.allowance(request_bytes)
        with self._lock:
            left = self._left.pop(client, 0)
            self._left[client] = min(left + grant, max(grant, self.floor))
            while len(self._left) > self._clients:
                self._left.popitem(last=False)

    def spend(self, client: Addr, nbytes: int) -> int | None:
        """Take ``nbytes`` from ``client``'s allowance; None if it has that many, else the
        allowance it has (nothing is taken)."""
        with self._lock:
            left = self._left.get(client, 0)
            if nbytes > left:
                return left
            self._left[client] = left - nbytes
            return None
