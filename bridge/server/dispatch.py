"""Request dispatch on the receive thread: which datagrams are read, and where each request
goes.

Every datagram is screened (``--allow``, port 0, the bridge's own), replies and events are
dropped unanswered, a request is parsed against the address table, and then either answered
at once by its handler on this thread (ping, engines, register: cheap, never queued) or, for
an engine verb, handed to the worker pool in its client's lane (``bridge.server.workers``).
A handler never raises into the receive thread: every failure becomes ``/bridge/error``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from bridge.server import protocol
from bridge.server.guard import is_event
from bridge.server.osc import MAX_DATAGRAM, Addr, DatagramTooLarge, Malformed, Message, Packet
from bridge.server.protocol import Address, Request, RequestError

log = logging.getLogger("bridge.server.daemon")  # the daemon's lines, as before the split

MAX_HEARD = 4096  # clients whose last datagram's time is kept (the longest silent go)


class Dispatcher:
    """Routes the requests of ``daemon`` (a ``bridge.server.daemon.Daemon``)."""

    def __init__(self, daemon: Any) -> None:
        self.daemon = daemon
        self.heard: dict[Addr, float] = {}  # client -> time.monotonic() of its last datagram

    def screen(self, sender: Addr) -> bool:
        """Whether to read a datagram from ``sender`` at all."""
        d = self.daemon
        host, port = sender
        why = None
        if not d.allow.allows(host):
            why = "outside --allow"
        elif port == 0:
            why = "from port 0"  # nothing can be sent back to port 0
        elif d.own_port() == port and host in d.own_hosts:
            why = "from the bridge itself"
        if why is None:
            return True
        d.dropped[why] += 1
        d.limiter.log(logging.WARNING, "dropped a datagram from %s:%d: %s", host, port, why)
        return False

    def on_packet(self, packet: Packet, sender: Addr) -> None:
        """One decoded message from ``sender``: answer it, queue it, or drop it."""
        d = self.daemon
        self.heard[sender] = time.monotonic()  # only this thread writes: a get is safe
        if len(self.heard) > MAX_HEARD:  # many senders: keep the half heard last
            newest = sorted(self.heard.items(), key=lambda kv: kv[1])[MAX_HEARD // 2 :]
            self.heard = dict(newest)
        if is_event(packet.address, getattr(packet, "args", ())):
            d.dropped["a reply or event"] += 1  # answering one could loop forever; silent
            return
        if isinstance(packet, Message):
            d.replies.heard(sender, packet.size)
        if isinstance(packet, Malformed):
            d.send_error(
                sender, protocol.NO_ID, packet.address, f"malformed OSC message: {packet.reason}"
            )
            return
        path, args = packet.address, packet.args
        spec = d.addresses.get(path)
        if spec is None:
            message = protocol.unknown_address_message(path, list(d.addresses))
            d.send_error(sender, protocol.peek_id(args), path, message)
            return
        try:
            request = protocol.parse_request(spec, args)
        except RequestError as exc:
            d.send_error(sender, exc.request_id, path, str(exc))
            return
        if spec.engine is not None and spec.verb is not None:
            self._submit_engine(spec, request, sender)
            return
        handler = d.handlers.get(path)
        if handler is None:
            d.send_error(sender, request.id, path, f"{path} is not served by this bridge")
            return
        try:
            handler(request, sender)
        except ValueError as exc:  # a semantic check, in a performer's words
            d.send_error(sender, request.id, path, str(exc))
        except Exception as exc:  # a handler never raises into the receive thread
            d.internal_error(sender, request, exc)

    def _submit_engine(self, spec: Address, request: Request, sender: Addr) -> None:
        d = self.daemon
        name = spec.engine or ""
        if name not in d.engines:
            loaded = ", ".join(d.engine_names()) or "none"
            d.send_error(
                sender,
                request.id,
                spec.path,
                f"the {name} engine is not loaded (loaded: {loaded}); load it with "
                f"/bridge/load <id> engine {name} path <checkpoint>, or start the bridge "
                f"with --{name} <checkpoint>",
            )
            return
        refused = d.pool.submit(lambda: self.run_engine(spec, request, sender), sender)
        if refused is not None:
            d.send_error(sender, request.id, spec.path, refused)

    def run_engine(self, spec: Address, request: Request, sender: Addr) -> None:
        """Answer an engine verb (on a worker thread)."""
        d = self.daemon
        verb = spec.verb
        assert verb is not None and spec.engine is not None
        # looked up now, not when queued: a request waiting during a swap gets the new engine;
        # one running keeps its engine object until it returns
        engine = d.engines[spec.engine]
        began = time.perf_counter()
        try:
            result = engine.call(verb.name, request.values)
            replies = protocol.verb_replies(verb, request.id, result, request.values)
        except ValueError as exc:  # the engine's semantic checks, in a performer's words
            d.send_error(sender, request.id, spec.path, str(exc))
            return
        except Exception as exc:
            d.internal_error(sender, request, exc)
            return
        finally:
            del engine
        try:
            d.send_all(sender, [(spec.reply, args) for args in replies])
        except DatagramTooLarge as exc:
            notes = protocol.reply_note_count(replies[exc.index], verb, request.values)
            message = protocol.reply_too_large_message(notes, exc.size, MAX_DATAGRAM)
            d.send_error(sender, request.id, spec.path, message)
            return
        log.debug(
            "%s (id %d) from %s:%d answered in %.0f ms",
            spec.path,
            request.id,
            sender[0],
            sender[1],
            1000 * (time.perf_counter() - began),
        )
