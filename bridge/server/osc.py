"""OSC over UDP: datagram decoding, encoding, a server socket loop and a small client.

The only importer of python-osc. Its message parser and builder are used; its socketserver
servers are not (they read only 8 KB of a datagram, and a 3,000-note primer is ~60 KB).

Decoding never trusts the datagram: a datagram that is not OSC at all is reported as a
problem (the server logs it and drops it); a message whose address parses but whose
arguments do not becomes ``Malformed(address, reason)`` so the sender can be told. A
bundle's messages come out in order; its timetag is ignored (it never makes anyone sleep).
"""

from __future__ import annotations

import logging
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.parsing import osc_types

from bridge.server.guard import LogLimiter, escape

log = logging.getLogger(__name__)

Addr = tuple[str, int]

# The largest UDP payload over IPv4 (65,535 - 8 byte UDP header - 20 byte IP header).
MAX_DATAGRAM = 65_507
RECV_BUFFER = 1 << 16  # one byte more than any datagram can be, so nothing is ever cut
SOCKET_BUFFER = 4 << 20  # ask the kernel for room for bursts of large datagrams
BUNDLE_PREFIX = b"#bundle\x00"
MAX_BUNDLE_DEPTH = 8
# Type tags python-osc parses; anything else would silently shift the arguments.
SUPPORTED_TAGS = frozenset("ifsbhdrmtTFN[]")
# Tags python-osc reads as ints or tuples that are not numbers (see Tagged).
TAGGED_NAMES = MappingProxyType({"r": "colour", "m": "MIDI message", "t": "time tag"})


@dataclass(frozen=True)
class Message:
    """A decoded OSC message; ``size`` is its length on the wire (0 when built here)."""

    address: str
    args: list[Any]
    size: int = field(default=0, compare=False, repr=False)


@dataclass(frozen=True)
class Tagged:
    """An argument of an OSC type that is not a number, string or blob although python-osc
    reads some as ints (colour ``r`` as 4278255360): kept apart so it is never taken as one."""

    tag: str
    value: Any

    @property
    def osc_description(self) -> str:
        """In a performer's words, for error messages."""
        return f"an OSC {TAGGED_NAMES.get(self.tag, self.tag)} (type tag {self.tag!r})"


def _wrap_tagged(tags: str, params: list[Any]) -> list[Any]:
    """``params`` with every colour, MIDI or time-tag value wrapped in ``Tagged``."""
    out: list[Any] = []
    stack = [out]
    values = iter(params)
    arrays: list[Any] = []  # iterators over the arrays being walked
    for tag in tags:
        source = arrays[-1] if arrays else values
        if tag == "[":
            inner: list[Any] = []
            stack[-1].append(inner)
            stack.append(inner)
            arrays.append(iter(next(source)))
        elif tag == "]":
            stack.pop()
            arrays.pop()
        else:
            value = next(source)
            stack[-1].append(Tagged(tag, value) if tag in TAGGED_NAMES else value)
    return out


@dataclass(frozen=True)
class Malformed:
    """A message whose address was read but whose type tags or arguments were not."""

    address: str
    reason: str


Packet = Message | Malformed


class DatagramTooLarge(ValueError):
    """An outgoing message would not fit in one UDP datagram."""

    def __init__(self, size: int, index: int = 0) -> None:
        super().__init__(f"{size} bytes is more than a UDP datagram holds ({MAX_DATAGRAM})")
        self.size = size
        self.index = index  # which of several messages (see OscServer.send_all)


def _reason(exc: BaseException) -> str:
    """python-osc wraps its errors as ``ParseError(text, inner)``: dig out the useful part."""
    parts = [a for a in exc.args if isinstance(a, (str, BaseException))]
    inner = next((a for a in parts if isinstance(a, BaseException)), None)
    if inner is not None:
        return _reason(inner)
    text = str(exc) or type(exc).__name__
    return text


def _numbers_and_strings(dgram: bytes, at: int, tags: str) -> list[Any] | None:
    """The arguments of a message whose type tags are only ``i``, ``f`` and ``s``, each run of
    numbers read by one ``struct`` call; None (python-osc reads it) for other tags or a short
    datagram. python-osc copies the rest of the datagram for every number: a feed of 3,000
    notes (60 KB) took 11 ms of the socket thread, the GIL held, against about 1 ms so."""
    if not tags or not set(tags) <= {"i", "f", "s"}:
        return None
    params: list[Any] = []
    k = 0
    while k < len(tags):
        if tags[k] == "s":
            value, at = osc_types.get_string(dgram, at)
            params.append(value)
            k += 1
            continue
        end = tags.find("s", k)
        end = len(tags) if end < 0 else end
        if at + 4 * (end - k) > len(dgram):
            return None  # python-osc's rules for a short datagram (it pads a last float)
        params.extend(struct.unpack_from(">" + tags[k:end], dgram, at))
        at += 4 * (end - k)
        k = end
    return params


def _decode_message(dgram: bytes) -> Packet | str:
    """One message datagram -> Message, Malformed, or a problem string if not OSC at all."""
    try:
        address, index = osc_types.get_string(dgram, 0)
    except Exception as exc:  # python-osc raises several kinds here
        return f"unreadable OSC address ({_reason(exc)})"
    if not address.startswith("/"):
        return f"OSC address must start with '/', got {address[:40]!r}"
    args_at = len(dgram)
    if index < len(dgram):
        try:
            tags, args_at = osc_types.get_string(dgram, index)
        except Exception as exc:
            return Malformed(address, f"unreadable type tags ({_reason(exc)})")
        if not tags.startswith(","):
            return Malformed(address, "the type tag string must start with ','")
        bad = sorted(set(tags[1:]) - SUPPORTED_TAGS)
        if bad:
            return Malformed(address, f"unsupported OSC type tag {bad[0]!r}")
    else:
        tags = ","
    try:
        params = _numbers_and_strings(dgram, args_at, tags[1:])
        if params is None:
            params = OscMessage(dgram).params
        if not TAGGED_NAMES.keys().isdisjoint(tags):
            params = _wrap_tagged(tags[1:], params)
    except Exception as exc:  # e.g. UnicodeDecodeError escapes python-osc
        return Malformed(address, f"arguments do not match the type tags ({_reason(exc)})")
    return Message(address, params, len(dgram))


def _decode_bundle(dgram: bytes, out: list[Packet], problems: list[str], depth: int) -> None:
    # Layout: "#bundle\0", 8-byte timetag (ignored: handled at once), then elements,
    # each an int32 size followed by a message or bundle of that many bytes.
    if depth > MAX_BUNDLE_DEPTH:
        problems.append(f"bundles nested deeper than {MAX_BUNDLE_DEPTH}")
        return
    if len(dgram) < 16:
        problems.append("bundle too short for its timetag")
        return
    i = 16
    while i < len(dgram):
        if i + 4 > len(dgram):
            problems.append(f"{len(dgram) - i} stray bytes at the end of a bundle")
            return
        (size,) = struct.unpack(">i", dgram[i : i + 4])
        i += 4
        if size <= 0 or i + size > len(dgram):
            problems.append(f"bundle element of {size} bytes does not fit the bundle")
            return
        element = dgram[i : i + size]
        i += size
        neither = "bundle element is neither a message nor a bundle"
        _decode_packet(element, out, problems, depth + 1, neither)


def _decode_packet(
    data: bytes, out: list[Packet], problems: list[str], depth: int, neither: str
) -> None:
    """A message or a bundle at ``depth`` into ``out``; ``neither`` is the problem otherwise."""
    if data.startswith(BUNDLE_PREFIX):
        _decode_bundle(data, out, problems, depth)
    elif data.startswith(b"/"):
        item = _decode_message(data)
        if isinstance(item, str):
            problems.append(item)
        else:
            out.append(item)
    else:
        problems.append(neither)


def decode(dgram: bytes) -> tuple[list[Packet], list[str]]:
    """A datagram -> its messages in order, and problems met (each means data was dropped).

    No messages and some problems means the datagram was not OSC.
    """
    out: list[Packet] = []
    problems: list[str] = []
    _decode_packet(dgram, out, problems, 0, "neither an OSC message nor a bundle")
    return out, problems


def encode(address: str, args: Sequence[Any] = ()) -> bytes:
    """An OSC message: int -> int32, float -> float32, str -> string, bytes -> blob."""
    builder = OscMessageBuilder(address=address)
    for a in args:
        builder.add_arg(a)
    return builder.build().dgram


def encode_all(messages: Sequence[tuple[str, Sequence[Any]]]) -> list[bytes]:
    """Each ``(address, args)`` encoded; DatagramTooLarge (with its index) if one would not
    fit a datagram."""
    datagrams = [encode(address, args) for address, args in messages]
    for i, data in enumerate(datagrams):
        if len(data) > MAX_DATAGRAM:
            raise DatagramTooLarge(len(data), i)
    return datagrams


def encode_bundle(messages: Sequence[bytes], timetag: float = 0.0) -> bytes:
    """A bundle of encoded messages. ``timetag`` is seconds since the Unix epoch; 0 means
    'immediately' (OSC timetag 1)."""
    if timetag <= 0:
        tag = struct.pack(">Q", 1)
    else:
        ntp = timetag + 2_208_988_800  # seconds from 1900 (NTP era) to 1970
        tag = struct.pack(">II", int(ntp), int((ntp % 1) * (1 << 32)))
    body = b"".join(struct.pack(">i", len(m)) + m for m in messages)
    return BUNDLE_PREFIX + tag + body


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for opt in (socket.SO_RCVBUF, socket.SO_SNDBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, opt, SOCKET_BUFFER)
        except OSError:  # the kernel caps it; the cap is still enough for one datagram
            pass
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class OscServer:
    """A UDP socket and the thread that reads it.

    Every decoded message (or ``Malformed``) goes to ``handler(packet, sender)`` on the
    receive thread, in order. Replies are sent from the same socket, so they come from the
    port the client sent to. ``screen(sender)``, if given, is asked first: False drops the
    datagram unread. Lines about datagrams that are not OSC go through ``limiter``.
    """

    def __init__(
        self,
        host: str,
        port: int,
        handler: Callable[[Packet, Addr], None],
        name: str = "bridge-osc",
        *,
        screen: Callable[[Addr], bool] | None = None,
        limiter: LogLimiter | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.handler = handler
        self.name = name
        self.screen = screen
        self.limiter = limiter or LogLimiter(log)
        self._sock: socket.socket | None = None
        self._address: Addr | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def address(self) -> Addr:
        """(host, port) actually bound; the real port when started with port 0. Kept from
        the bind: asking the socket (getsockname) gives up the GIL, and the daemon asks for
        every datagram."""
        if self._sock is None or self._address is None:
            raise RuntimeError("the OSC server is not started")
        return self._address

    def start(self) -> None:
        """Bind and start the receive thread; datagrams are queued by the kernel from here."""
        if self._sock is not None:
            raise RuntimeError("the OSC server is already started")
        self._stopping.clear()
        self._sock = _bind(self.host, self.port)
        host, port = self._sock.getsockname()[:2]
        self._address = (host, port)
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the receive thread and close the socket."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            self._address = None

    def send(self, address: str, args: Sequence[Any], to: Addr) -> None:
        """Send one message; raises DatagramTooLarge if it would not fit a datagram.

        A network error (the client went away) is logged, not raised: the server goes on.
        """
        self.send_all([(address, args)], to)

    def send_packet(self, data: bytes, to: Addr) -> None:
        """Send an encoded message or bundle (``encode``, ``encode_bundle``); raises
        DatagramTooLarge if it would not fit a datagram, logs a network error."""
        if len(data) > MAX_DATAGRAM:
            raise DatagramTooLarge(len(data))
        sock = self._sock
        if sock is None:
            return
        try:
            sock.sendto(data, to)
        except OSError as exc:
            log.warning("could not send a %d-byte packet to %s:%s: %s", len(data), *to, exc)

    def send_all(self, messages: Sequence[tuple[str, Sequence[Any]]], to: Addr) -> None:
        """Send several messages, or none if any would not fit a datagram (DatagramTooLarge
        says which)."""
        self.send_datagrams(encode_all(messages), to)

    def send_datagrams(self, datagrams: Sequence[bytes], to: Addr) -> None:
        """Send encoded messages (see ``encode_all``); network errors are logged."""
        sock = self._sock
        if sock is None:
            return
        for data in datagrams:
            try:
                sock.sendto(data, to)
            except OSError as exc:
                self.limiter.log(logging.WARNING, "could not send to %s:%s: %s", *to, exc)

    def _loop(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stopping.is_set():
            # select with a short timeout so stop() is noticed promptly without a busy loop
            try:
                ready, _, _ = select.select([sock], [], [], 0.1)
                if not ready:
                    continue
                data, sender = sock.recvfrom(RECV_BUFFER)
            except OSError as exc:
                if self._stopping.is_set():
                    return
                log.warning("receive error: %s", exc)
                time.sleep(0.01)  # e.g. an ICMP error surfacing; do not spin on it
                continue
            self._datagram(data, (sender[0], sender[1]))

    def _datagram(self, data: bytes, sender: Addr) -> None:
        if self.screen is not None and not self.screen(sender):
            return
        packets, problems = decode(data)
        if problems:
            what = "dropped" if not packets else "dropped part of"
            self.limiter.log(
                logging.WARNING,
                "%s a %d-byte datagram from %s:%d: %s",
                what,
                len(data),
                sender[0],
                sender[1],
                escape("; ".join(problems)),
            )
        for packet in packets:
            try:
                self.handler(packet, sender)
            except Exception as exc:  # the receive thread must survive
                where = escape(getattr(packet, "address", "?"))
                what = escape(repr(exc))
                self.limiter.log(logging.ERROR, "handler failed on %s: %s", where, what)


class OscClient:
    """A UDP client for tools and tests: send messages, read the replies that come back."""

    def __init__(self, host: str = "127.0.0.1", port: int = 57120, bind_port: int = 0) -> None:
        self.target: Addr = (host, port)
        local = host in ("127.0.0.1", "localhost")
        self.sock = _bind("127.0.0.1" if local else "0.0.0.0", bind_port)
        self._pending: list[Message] = []  # the rest of a bundle already read

    @property
    def port(self) -> int:
        """The local port replies come back to."""
        return self.sock.getsockname()[1]

    def send(self, address: str, *args: Any) -> None:
        self.sock.sendto(encode(address, args), self.target)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendto(data, self.target)

    def receive(self, timeout: float = 2.0) -> Message | None:
        """The next decodable reply, or None after ``timeout`` seconds without one."""
        deadline = time.monotonic() + timeout
        while not self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return None
            data, _ = self.sock.recvfrom(RECV_BUFFER)
            packets, _ = decode(data)
            self._pending += [p for p in packets if isinstance(p, Message)]
        return self._pending.pop(0)

    def replies(self, timeout: float = 2.0) -> Iterator[Message]:
        """Every reply until ``timeout`` seconds pass after the last one."""
        while (m := self.receive(timeout)) is not None:
            yield m

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> OscClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
