"""The daemon: owns the engines, the OSC socket thread, inference workers and registrations.

Requests are read and parsed on the receive thread. The daemon's own addresses (ping,
engines, register) are answered there at once; engine verbs (``engine.call``) and
``/bridge/describe`` go to a small pool of worker threads, so a long continuation never delays
a ping; ``/bridge/load`` loads on a thread of its own and swaps the new engine in between
requests. A handler never raises into a thread: every failure becomes ``/bridge/error`` and
one log line.

The address table comes from the engine registry (:mod:`bridge.server.table`): a new engine's
verbs are served without a change here. An address that needs the daemon's own state
(streams, say) is added with ``Daemon.add_handler``; code that holds an engine (a stream
worker) learns of a swap through ``Daemon.on_engine_swap``.
"""

from __future__ import annotations

import ipaddress
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bridge.server import protocol, table
from bridge.server.guard import (
    REPLY_MAX,
    AllowList,
    LogLimiter,
    OwnHosts,
    Registrations,
    ReplyBudget,
    escape,
    is_event,
    is_loopback,
)
from bridge.server.loading import Loader, release_free_memory
from bridge.server.osc import (
    MAX_DATAGRAM,
    Addr,
    DatagramTooLarge,
    Malformed,
    Message,
    OscServer,
    Packet,
    encode,
    encode_all,
    encode_bundle,
)
from bridge.server.protocol import Address, Request, RequestError

log = logging.getLogger(__name__)

Handler = Callable[[Request, Addr], None]
SwapHook = Callable[[str, Any, Any], None]
ERROR_ADDRESS = "/bridge/error"
MAX_HEARD = 4096  # clients whose last datagram's time is kept (the longest silent go)


class Daemon:
    """A bridge server. Build it, ``start()`` it (or use ``with``), ``stop()`` it.

    ``engines`` maps engine names ("rnn") to loaded engines. ``port=0`` picks a free port;
    ``address`` is the real (host, port) after ``start()``. ``reply_port`` sends every reply
    to that port of the sender's host unless the client registered its own. ``torch_threads``
    caps torch's intra-op threads while serving (the default of one per core fights the
    worker threads and anything else running on the machine). ``device`` is where
    ``/bridge/load`` puts a new checkpoint. Datagrams from outside loopback and the ``allow``
    networks are dropped unread.

    Safe to leave running (see bridge.server.guard): the daemon never answers itself, a
    reply, an error, a pong or an event; registrations are capped; replies to a client that
    has not registered are bounded by the size of its requests; bad datagrams are logged
    at a bounded rate, their wire text escaped. ``dropped`` counts what was dropped unanswered.

    ``addresses`` defaults to the daemon's own and every registered engine's verbs (and those
    of a loaded engine whose class is not registered). ``on_engine_swap`` holds callables
    ``hook(name, old, new)`` called on the loading thread right after ``/bridge/load`` swapped
    engine ``name`` (``old`` is None if it was not loaded): a stream worker ends its streams
    and moves to ``new``, then drops ``old`` (the daemon keeps no reference to it). A hook's
    exception is logged, never raised.
    """

    def __init__(
        self,
        engines: Mapping[str, Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 57120,
        *,
        reply_port: int | None = None,
        workers: int = 2,
        max_pending: int = 64,
        torch_threads: int | None = 1,
        addresses: Mapping[str, Address] | None = None,
        allow: Sequence[ipaddress.IPv4Network] = (),
        device: str = "auto",
    ) -> None:
        # replaced whole under the lock on a swap, never changed in place: a reader takes
        # the dict once and keeps a consistent view
        self.engines: dict[str, Any] = dict(engines or {})
        self.host = host
        self.port = port
        self.reply_port = reply_port
        self.workers = max(1, workers)
        self.max_pending = max_pending
        self.torch_threads = torch_threads
        self.device = device
        self.addresses: dict[str, Address] = dict(
            table.addresses_for(self.engines) if addresses is None else addresses
        )
        self.version = protocol.package_version()
        self.on_engine_swap: list[SwapHook] = []
        self._loader = Loader(self)  # /bridge/load: a thread of its own
        self._handlers: dict[str, Handler] = {
            "/bridge/ping": self._ping,
            "/bridge/engines": self._list_engines,
            "/bridge/register": self._register,
            "/bridge/describe": self._describe,
            "/bridge/load": self._loader.handle,
        }
        self.allow = AllowList(allow)
        self.dropped: Counter[str] = Counter()  # why datagrams went unanswered -> how many
        self._registrations = Registrations()  # client (host, source port) -> reply port
        self._budget = ReplyBudget()
        self._heard: dict[Addr, float] = {}  # client -> time.monotonic() of its last datagram
        self._own_hosts = OwnHosts()
        self._limiter = LogLimiter(log)
        self._lock = threading.Lock()
        self._pending = 0
        self._jobs: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._server: OscServer | None = None
        self._running = False

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def address(self) -> Addr:
        """(host, port) the daemon listens on; the real port when built with port 0."""
        if self._server is None:
            raise RuntimeError("the daemon is not started")
        return self._server.address

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> Daemon:
        """Bind the socket and start the threads. Pings are answered from return on."""
        if self._running:
            raise RuntimeError("the daemon is already started")
        self.prepare_thread()
        self._jobs = queue.Queue()
        self._running = True
        self._threads = [
            threading.Thread(target=self._work, name=f"bridge-worker-{i}", daemon=True)
            for i in range(self.workers)
        ]
        self._threads.append(self._loader.thread())
        for t in self._threads:
            t.start()
        self._server = OscServer(
            self.host, self.port, self._on_packet, screen=self._screen, limiter=self._limiter
        )
        try:
            self._server.start()
        except OSError:
            self._server = None
            self.stop()
            raise
        host, port = self._server.address
        log.info("listening on %s:%d with engines: %s", host, port, self.engine_names())
        if not is_loopback(host):
            log.warning(
                "listening on %s: other computers can reach the bridge; only datagrams from "
                "%s are answered (add networks with --allow, e.g. --allow 192.168.1.0/24)",
                host,
                self.allow,
            )
        if self.reply_port == port:
            log.warning("--reply-port %d is the bridge's own port: replies go to the port "
                        "they came from instead", port)  # fmt: skip
            self.reply_port = None
        return self

    def stop(self, timeout: float = 0.5) -> None:
        """Stop receiving, drop queued requests, and wait briefly for running inference.

        Workers are daemon threads: a request still running after ``timeout`` cannot keep
        the process alive.
        """
        self._running = False
        if self._server is not None:
            self._server.stop()
        self._limiter.flush()
        for _ in range(self.workers):
            self._jobs.put(None)
        self._loader.stop()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._threads = []
        self._server = None

    def __enter__(self) -> Daemon:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- extension ------------------------------------------------------------------------

    def engine_names(self) -> list[str]:
        return sorted(self.engines)

    def add_handler(self, spec: Address, handler: Handler) -> None:
        """Answer ``spec.path`` with ``handler(request, sender)`` on the receive thread.

        The handler must be quick; it can hand slow work to ``submit`` and answer with
        ``send`` / ``send_error``. An exception it raises becomes /bridge/error.
        """
        self.addresses[spec.path] = spec
        self._handlers[spec.path] = handler

    def submit(self, job: Callable[[], None]) -> bool:
        """Run ``job()`` on a worker thread; False if too many requests are waiting."""
        with self._lock:
            if self._pending >= self.max_pending:
                return False
            self._pending += 1
        self._jobs.put(job)
        return True

    # -- replies --------------------------------------------------------------------------

    def reply_target(self, sender: Addr) -> Addr:
        """Where replies for the client ``sender`` (its host and source port) go: the port it
        registered, else --reply-port, else the port it sent from; always on its host."""
        port = self._registrations.get(sender)
        if port is None:
            port = self.reply_port or sender[1]
        return sender[0], port

    def last_heard(self, client: Addr) -> float | None:
        """When (``time.monotonic()``) the bridge last received a datagram from ``client``
        (its host and source port), or None if not lately."""
        return self._heard.get(client)

    def registered(self) -> list[Addr]:
        """Every client (host, source port) that registered a reply port; ``reply_target``
        of one says where its replies go."""
        return self._registrations.clients()

    def send(self, sender: Addr, address: str, args: Sequence[Any]) -> None:
        """Send one message to ``sender``'s reply target (raises DatagramTooLarge)."""
        server = self._server
        if server is not None:
            server.send(address, args, self.reply_target(sender))

    def send_bundle(
        self, sender: Addr, messages: Sequence[tuple[str, Sequence[Any]]], timetag: float
    ) -> None:
        """Send messages to ``sender``'s reply target in one bundle timetagged ``timetag``
        (seconds since the Unix epoch; raises DatagramTooLarge)."""
        server = self._server
        if server is not None:
            data = encode_bundle([encode(a, args) for a, args in messages], timetag)
            server.send_packet(data, self.reply_target(sender))

    def send_all(self, sender: Addr, messages: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Send the replies to one request to ``sender``'s reply target, or none if one is
        too large (DatagramTooLarge). Replies over the bound (REPLY_MAX for any client, the
        client's allowance if it has not registered) are not sent: /bridge/error says so."""
        server = self._server
        if server is None:
            return
        datagrams = encode_all(messages)
        problem = self._over_bound(sender, sum(map(len, datagrams)), len(datagrams))
        if problem is None:
            server.send_datagrams(datagrams, self.reply_target(sender))
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
        if self._registrations.get(sender) is not None:
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
        self._limiter.log(
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

    # -- the receive thread ---------------------------------------------------------------

    def _screen(self, sender: Addr) -> bool:
        """Whether to read a datagram from ``sender`` at all (on the receive thread)."""
        host, port = sender
        why = None
        if not self.allow.allows(host):
            why = "outside --allow"
        elif port == 0:
            why = "from port 0"  # nothing can be sent back to port 0
        elif self._server is not None and port == self._server.address[1]:
            if host in self._own_hosts:
                why = "from the bridge itself"
        if why is None:
            return True
        self.dropped[why] += 1
        self._limiter.log(logging.WARNING, "dropped a datagram from %s:%d: %s", host, port, why)
        return False

    def _on_packet(self, packet: Packet, sender: Addr) -> None:
        self._heard[sender] = time.monotonic()  # only this thread writes: a get is safe
        if len(self._heard) > MAX_HEARD:  # many senders: keep the half heard last
            newest = sorted(self._heard.items(), key=lambda kv: kv[1])[MAX_HEARD // 2 :]
            self._heard = dict(newest)
        if is_event(packet.address, getattr(packet, "args", ())):
            self.dropped["a reply or event"] += 1  # answering one could loop forever; silent
            return
        if isinstance(packet, Message) and self._registrations.get(sender) is None:
            self._budget.grant(sender, packet.size)
        if isinstance(packet, Malformed):
            self.send_error(
                sender, protocol.NO_ID, packet.address, f"malformed OSC message: {packet.reason}"
            )
            return
        assert isinstance(packet, Message)
        path, args = packet.address, packet.args
        spec = self.addresses.get(path)
        if spec is None:
            message = protocol.unknown_address_message(path, list(self.addresses))
            self.send_error(sender, protocol.peek_id(args), path, message)
            return
        try:
            request = protocol.parse_request(spec, args)
        except RequestError as exc:
            self.send_error(sender, exc.request_id, path, str(exc))
            return
        if spec.engine is not None and spec.verb is not None:
            self._submit_engine(spec, request, sender)
            return
        handler = self._handlers.get(path)
        if handler is None:
            self.send_error(sender, request.id, path, f"{path} is not served by this bridge")
            return
        try:
            handler(request, sender)
        except ValueError as exc:  # a semantic check, in a performer's words
            self.send_error(sender, request.id, path, str(exc))
        except Exception as exc:  # a handler never raises into the receive thread
            self.internal_error(sender, request, exc)

    def _submit_engine(self, spec: Address, request: Request, sender: Addr) -> None:
        name = spec.engine or ""
        if name not in self.engines:
            loaded = ", ".join(self.engine_names()) or "none"
            self.send_error(
                sender,
                request.id,
                spec.path,
                f"the {name} engine is not loaded (loaded: {loaded}); load it with "
                f"/bridge/load <id> engine {name} path <checkpoint>, or start the bridge "
                f"with --{name} <checkpoint>",
            )
            return
        if not self.submit(lambda: self._run_engine(spec, request, sender)):
            self.send_error(
                sender,
                request.id,
                spec.path,
                f"busy: {self.max_pending} requests are waiting; try again in a moment",
            )

    # -- worker threads -------------------------------------------------------------------

    def prepare_thread(self) -> None:
        """Each engine readies this thread (its torch thread count: OpenMP keeps one per
        thread, and a new thread would use every core)."""
        if self.torch_threads:
            for engine in list(self.engines.values()):
                prepare = getattr(engine, "prepare_thread", None)  # a test's stand-in has none
                if prepare is not None:
                    prepare(self.torch_threads)

    def _work(self) -> None:
        self.prepare_thread()
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                if self._running:  # after stop(), queued requests are dropped
                    job()
            except Exception as exc:  # the worker must survive anything
                log.error("worker job failed: %r", exc)
            finally:
                with self._lock:
                    self._pending -= 1

    def _run_engine(self, spec: Address, request: Request, sender: Addr) -> None:
        verb = spec.verb
        assert verb is not None and spec.engine is not None
        # looked up now, not when queued: a request waiting during a swap gets the new engine;
        # one running keeps its engine object until it returns
        engine = self.engines[spec.engine]
        began = time.perf_counter()
        try:
            result = engine.call(verb.name, request.values)
            replies = protocol.verb_replies(verb, request.id, result, request.values)
        except ValueError as exc:  # the engine's semantic checks, in a performer's words
            self.send_error(sender, request.id, spec.path, str(exc))
            return
        except Exception as exc:
            self.internal_error(sender, request, exc)
            return
        finally:
            del engine
        try:
            self.send_all(sender, [(spec.reply, args) for args in replies])
        except DatagramTooLarge as exc:
            notes = protocol.reply_note_count(replies[exc.index], verb, request.values)
            message = protocol.reply_too_large_message(notes, exc.size, MAX_DATAGRAM)
            self.send_error(sender, request.id, spec.path, message)
            return
        log.debug(
            "%s (id %d) from %s:%d answered in %.0f ms",
            spec.path,
            request.id,
            sender[0],
            sender[1],
            1000 * (time.perf_counter() - began),
        )

    def internal_error(self, sender: Addr, request: Request, exc: Exception) -> None:
        message = f"internal error: {type(exc).__name__}: {exc}"
        self.send_error(sender, request.id, request.address, message, logging.ERROR)

    # -- the daemon's own addresses -------------------------------------------------------

    def _ping(self, request: Request, sender: Addr) -> None:
        args = [request.id, protocol.PROTOCOL_VERSION, self.version]
        self.send(sender, self.addresses[request.address].reply, args)

    def _list_engines(self, request: Request, sender: Addr) -> None:
        args = [request.id, *self.engine_names()]
        self.send(sender, self.addresses[request.address].reply, args)

    def _describe(self, request: Request, sender: Addr) -> None:
        name = request["engine"]
        engines = self.engines
        if name is not None and name not in engines:
            loaded = ", ".join(sorted(engines)) or "none"
            raise ValueError(f"the {name} engine is not loaded (loaded: {loaded})")
        chosen = sorted(engines) if name is None else [name]
        address = request.address

        def job() -> None:  # hashing the weights reads the whole file: not on this thread
            try:
                messages = [
                    m
                    for n in chosen
                    for m in table.describe_messages(request.id, n, engines[n], self.addresses)
                ]
                messages.append((table.DESCRIBE_DONE, [request.id, len(chosen)]))
                self.send_all(sender, messages)
            except Exception as exc:
                self.internal_error(sender, request, exc)

        if not self.submit(job):
            self.send_error(sender, request.id, address, "busy: try again in a moment")

    def swap_engine(self, name: str, engine: Any) -> None:
        """Serve ``engine`` as ``name`` from the next request on, then call the
        ``on_engine_swap`` hooks; the daemon drops its reference to the engine replaced."""
        with self._lock:
            old = self.engines.get(name)
            self.engines = {**self.engines, name: engine}
        log.info("the %s engine is now %s", name, getattr(engine, "folder", None) or "new")
        for hook in list(self.on_engine_swap):
            try:
                hook(name, old, engine)
            except Exception as exc:  # a hook never stops the swap or the reply
                log.error("engine swap hook %r failed: %r", hook, exc)
        # no gc.collect(): it would hold the GIL for a fifth of a second with torch loaded,
        # and an engine has no reference cycles, so the last reference going frees it
        del old
        release_free_memory()

    def _register(self, request: Request, sender: Addr) -> None:
        port = int(request["port"])
        own_port = self.address[1]
        if port == own_port and sender[0] in self._own_hosts:
            raise ValueError(
                f"port {port} is the bridge's own port: replies sent there would come back "
                "to the bridge; register the port your client listens on"
            )
        self._registrations.set(sender, port)  # ValueError over a cap: /bridge/error
        self._limiter.log(
            logging.INFO,
            "replies for %s:%d now go to port %d",
            sender[0],
            sender[1],
            self.reply_target(sender)[1],
        )
        self.send(sender, self.addresses[request.address].reply, [request.id, port])
