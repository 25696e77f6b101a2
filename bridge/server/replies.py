"""Where and how much the daemon sends back: registrations, the reply bound, errors.

A client (host and source port) gets its replies at the port it registered
(``/bridge/register``), else at ``--reply-port``, else at the port it sent from; always on
its own host. Replies to one request never exceed REPLY_MAX, and to a client that has not
registered never exceed its allowance (``ReplyBudget``: an unregistered source may be
spoofed). Every refusal is one ``/bridge/error`` and one rate-limited, escaped log line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from bridge.server import protocol
from bridge.server.guard import REPLY_MAX, LogLimiter, Registrations, ReplyBudget, escape
from bridge.server.osc import Addr, DatagramTooLarge, OscServer, encode, encode_all, encode_bundle

ERROR_ADDRESS = "/bridge/error"


class Replies:
    """Sends replies for a daemon through the socket ``server()`` returns (None: stopped,
    nothing is sent). ``reply_port`` is ``--reply-port`` (None: the sender's port)."""

    def __init__(
        self,
        server: Callable[[], OscServer | None],
        limiter: LogLimiter,
        reply_port: int | None = None,
    ) -> None:
        self._server = server
        self.limiter = limiter
        self.reply_port = reply_port
        self.registrations = Registrations()  # client (host, source port) -> reply port
        self._budget = ReplyBudget()

    def target(self, sender: Addr) -> Addr:
        """Where replies for the client ``sender`` go (see the module doc)."""
        port = self.registrations.get(sender)
        if port is None:
            port = self.reply_port or sender[1]
        return sender[0], port

    def heard(self, sender: Addr, size: int) -> None:
        """A request of ``size`` bytes came from ``sender``: a client that has not
        registered may be sent a multiple of it."""
        if self.registrations.get(sender) is None:
            self._budget.grant(sender, size)

    def send(self, sender: Addr, address: str, args: Sequence[Any]) -> None:
        """Send one message to ``sender``'s reply target (raises DatagramTooLarge)."""
        server = self._server()
        if server is not None:
            server.send(address, args, self.target(sender))

    def send_bundle(
        self, sender: Addr, messages: Sequence[tuple[str, Sequence[Any]]], timetag: float
    ) -> None:
        """Send messages in one bundle timetagged ``timetag`` (raises DatagramTooLarge)."""
        server = self._server()
        if server is not None:
            data = encode_bundle([encode(a, args) for a, args in messages], timetag)
            server.send_packet(data, self.target(sender))

    def send_all(self, sender: Addr, messages: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Send the replies to one request, or none if one is too large (DatagramTooLarge).
        Replies over the bound are not sent: /bridge/error says so."""
        server = self._server()
        if server is None:
            return
        datagrams = encode_all(messages)
        problem = self._over_bound(sender, sum(map(len, datagrams)), len(datagrams))
        if problem is None:
            server.send_datagrams(datagrams, self.target(sender))
            return
        first = messages[0] if messages else ("", ())
        request_id = first[1][0] if first[1] and isinstance(first[1][0], int) else protocol.NO_ID
        path = first[0].replace("/bridge/reply/", "/bridge/", 1)
        self.send_error(sender, request_id, path, problem)

    def _over_bound(self, sender: Addr, total: int, count: int) -> str | None:
        """Why ``total`` bytes of replies may not go to ``sender``, or None if they may."""
        what = f"the reply is {total} bytes" + (f" in {count} messages" if count > 1 else "")
        if total > REPLY_MAX:
            return f"{what}, more than the {REPLY_MAX} the bridge sends for one request; ask less"
        if self.registrations.get(sender) is not None:
            return None
        left = self._budget.spend(sender, total)
        if left is None:
            return None
        return (
            f"{what}, more than the {left} the bridge sends to a client that has not registered "
            "(a small request could be spoofed to flood someone else); register your reply "
            "port with /bridge/register <id> port <port>, or ask for less"
        )

    def send_error(
        self,
        sender: Addr,
        request_id: int,
        address: str,
        message: str,
        level: int = logging.WARNING,
    ) -> None:
        """Answer /bridge/error and log one line (rate-limited, wire text escaped)."""
        self.limiter.log(
            level,
            "rejected %s (id %d) from %s:%d: %s",
            escape(address, 100),
            request_id,
            sender[0],
            sender[1],
            escape(message, 300),
        )
        try:
            self.send(sender, ERROR_ADDRESS, protocol.error_args(request_id, address, message))
        except DatagramTooLarge:  # a giant address echoed back: cut it to fit
            args = protocol.error_args(request_id, address[:256] + "...", message[:1024])
            self.send(sender, ERROR_ADDRESS, args)

    def register(self, sender: Addr, port: int) -> None:
        """Send ``sender``'s replies to ``port`` from now on (ValueError over a cap)."""
        self.registrations.set(sender, port)
        self.limiter.log(
            logging.INFO,
            "replies for %s:%d now go to port %d",
            sender[0],
            sender[1],
            self.target(sender)[1],
        )
