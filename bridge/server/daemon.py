"""The daemon: owns the engines, the OSC socket, the worker pool and the daemon's own addresses.

Requests are read and parsed on the receive thread (``bridge.server.dispatch``). The daemon's
own addresses (ping, engines, register) are answered there at once; engine verbs
(``engine.call``) and ``/bridge/describe`` go to the worker pool (``bridge.server.workers``:
one lane per client, taken in turn), so a long continuation never delays a ping and one
client's burst never delays another's request; ``/bridge/load`` loads on a thread of its own
and swaps the new engine in between requests. Replies go where ``bridge.server.replies``
says. A handler never raises into a thread: every failure becomes ``/bridge/error`` and one
log line.

The address table comes from the engine registry (:mod:`bridge.server.table`): a new engine's
verbs are served without a change here. An address that needs the daemon's own state
(streams, say) is added with ``Daemon.add_handler``; code that holds an engine (a stream
worker) learns of a swap through ``Daemon.on_engine_swap``.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from bridge.server import protocol, table
from bridge.server.dispatch import Dispatcher
from bridge.server.guard import AllowList, LogLimiter, OwnHosts, is_loopback
from bridge.server.loading import Loader, release_free_memory
from bridge.server.osc import Addr, OscServer
from bridge.server.protocol import Address, Request
from bridge.server.replies import ERROR_ADDRESS, Replies
from bridge.server.workers import PER_CLIENT, WorkerPool

log = logging.getLogger(__name__)

Handler = Callable[[Request, Addr], None]
SwapHook = Callable[[str, Any, Any], None]
__all__ = ["ERROR_ADDRESS", "Daemon", "Handler", "SwapHook"]


class Daemon:
    """A bridge server. Build it, ``start()`` it (or use ``with``), ``stop()`` it.

    ``engines`` maps engine names ("rnn") to loaded engines. ``port=0`` picks a free port;
    ``address`` is the real (host, port) after ``start()``. ``reply_port`` sends every reply
    to that port of the sender's host unless the client registered its own. ``workers`` model
    workers run engine verbs (at most one per core but one); ``max_pending`` requests may wait
    or run in all, ``per_client`` of one client. ``torch_threads`` caps torch's intra-op
    threads while serving (the default of one per core fights the worker threads and anything
    else running on the machine). ``device`` is where ``/bridge/load`` puts a new checkpoint.
    Datagrams from outside loopback and the ``allow`` networks are dropped unread. With
    ``freeze_gc`` (``bridge serve``), ``start`` moves every object alive then out of the
    garbage collector's reach (``gc.freeze``): a full collection no longer walks torch.

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
        per_client: int = PER_CLIENT,
        torch_threads: int | None = 1,
        addresses: Mapping[str, Address] | None = None,
        allow: Sequence[ipaddress.IPv4Network] = (),
        device: str = "auto",
        freeze_gc: bool = False,
    ) -> None:
        # replaced whole under the lock on a swap, never changed in place: a reader takes
        # the dict once and keeps a consistent view
        self.engines: dict[str, Any] = dict(engines or {})
        self.host = host
        self.port = port
        self.torch_threads = torch_threads
        self.device = device
        self.freeze_gc = freeze_gc
        self.addresses: dict[str, Address] = dict(
            table.addresses_for(self.engines) if addresses is None else addresses
        )
        self.version = protocol.package_version()
        self.on_engine_swap: list[SwapHook] = []
        self._loader = Loader(self)  # /bridge/load: a thread of its own
        self.handlers: dict[str, Handler] = {
            "/bridge/ping": self._ping,
            "/bridge/engines": self._list_engines,
            "/bridge/register": self._register,
            "/bridge/describe": self._describe,
            "/bridge/load": self._loader.handle,
        }
        self.allow = AllowList(allow)
        self.dropped: Counter[str] = Counter()  # why datagrams went unanswered -> how many
        self.own_hosts = OwnHosts()
        self.limiter = LogLimiter(log)
        self.replies = Replies(lambda: self._server, self.limiter, reply_port)
        self.pool = WorkerPool(workers, max_pending, per_client, self.prepare_thread)
        self._dispatch = Dispatcher(self)
        self._lock = threading.Lock()
        self._server: OscServer | None = None
        self._running = False

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def address(self) -> Addr:
        """(host, port) the daemon listens on; the real port when built with port 0."""
        if self._server is None:
            raise RuntimeError("the daemon is not started")
        return self._server.address

    def own_port(self) -> int | None:
        """The port the daemon listens on, None when stopped."""
        server = self._server
        return None if server is None else server.address[1]

    @property
    def running(self) -> bool:
        return self._running

    @property
    def workers(self) -> int:
        """How many model workers run engine verbs."""
        return self.pool.workers

    @property
    def reply_port(self) -> int | None:
        """--reply-port: where replies go for a client that has not registered a port."""
        return self.replies.reply_port

    @reply_port.setter
    def reply_port(self, port: int | None) -> None:
        self.replies.reply_port = port

    def start(self) -> Daemon:
        """Bind the socket and start the threads. Pings are answered from return on."""
        if self._running:
            raise RuntimeError("the daemon is already started")
        self.prepare_thread()
        if self.freeze_gc:
            # A full collection walks every object (torch and six engines: ~290,000) holding
            # the GIL: 36-222 ms each while `bridge serve` loads, so one in a long show would
            # stall every ping and OSC stream; frozen, 0.05 ms. What is alive now (modules,
            # engines) lives for good.
            gc.collect()
            gc.freeze()
        self._running = True
        self.pool.start()
        loading = self._loader.thread()
        loading.start()
        self._server = OscServer(
            self.host,
            self.port,
            self._dispatch.on_packet,
            screen=self._dispatch.screen,
            limiter=self.limiter,
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
        if self.replies.reply_port == port:
            log.warning("--reply-port %d is the bridge's own port: replies go to the port "
                        "they came from instead", port)  # fmt: skip
            self.replies.reply_port = None
        return self

    def stop(self, timeout: float = 0.5) -> None:
        """Stop receiving, drop queued requests, and wait briefly for running inference.

        Workers are daemon threads: a request still running after ``timeout`` cannot keep
        the process alive.
        """
        self._running = False
        if self._server is not None:
            self._server.stop()
        self.limiter.flush()
        self._loader.stop()
        self.pool.stop(time.monotonic() + timeout)
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
        self.handlers[spec.path] = handler

    def submit(self, job: Callable[[], None], client: Addr | None = None) -> bool:
        """Run ``job()`` on a worker thread, in ``client``'s lane (None: the bridge's own);
        False if that client or the bridge has too many requests waiting."""
        refused = self.pool.submit(job) if client is None else self.pool.submit(job, client)
        return refused is None

    # -- replies (bridge.server.replies) --------------------------------------------------

    def reply_target(self, sender: Addr) -> Addr:
        """Where replies for the client ``sender`` (its host and source port) go: the port it
        registered, else --reply-port, else the port it sent from; always on its host."""
        return self.replies.target(sender)

    def last_heard(self, client: Addr) -> float | None:
        """When (``time.monotonic()``) the bridge last received a datagram from ``client``
        (its host and source port), or None if not lately."""
        return self._dispatch.heard.get(client)

    def registered(self) -> list[Addr]:
        """Every client (host, source port) that registered a reply port; ``reply_target``
        of one says where its replies go."""
        return self.replies.registrations.clients()

    def send(self, sender: Addr, address: str, args: Sequence[Any]) -> None:
        """Send one message to ``sender``'s reply target (raises DatagramTooLarge)."""
        self.replies.send(sender, address, args)

    def send_bundle(
        self, sender: Addr, messages: Sequence[tuple[str, Sequence[Any]]], timetag: float
    ) -> None:
        """Send messages to ``sender``'s reply target in one bundle timetagged ``timetag``
        (seconds since the Unix epoch; raises DatagramTooLarge)."""
        self.replies.send_bundle(sender, messages, timetag)

    def send_all(self, sender: Addr, messages: Sequence[tuple[str, Sequence[Any]]]) -> None:
        """Send the replies to one request to ``sender``'s reply target, or none if one is
        too large (DatagramTooLarge). Replies over the bound (REPLY_MAX for any client, the
        client's allowance if it has not registered) are not sent: /bridge/error says so."""
        self.replies.send_all(sender, messages)

    def send_error(
        self,
        sender: Addr,
        request_id: int,
        address: str,
        message: str,
        level: int = logging.WARNING,
    ) -> None:
        """Answer /bridge/error and log one line (rate-limited, wire text escaped)."""
        self.replies.send_error(sender, request_id, address, message, level)

    def internal_error(self, sender: Addr, request: Request, exc: Exception) -> None:
        message = f"internal error: {type(exc).__name__}: {exc}"
        self.send_error(sender, request.id, request.address, message, logging.ERROR)

    # -- worker threads -------------------------------------------------------------------

    def prepare_thread(self) -> None:
        """Each engine readies this thread (its torch thread count: OpenMP keeps one per
        thread, and a new thread would use every core)."""
        if self.torch_threads:
            for engine in list(self.engines.values()):
                prepare = getattr(engine, "prepare_thread", None)  # a test's stand-in has none
                if prepare is not None:
                    prepare(self.torch_threads)

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

        refused = self.pool.submit(job, sender)
        if refused is not None:
            raise ValueError(refused)

    def _register(self, request: Request, sender: Addr) -> None:
        port = int(request["port"])
        if port == self.own_port() and sender[0] in self.own_hosts:
            raise ValueError(
                f"port {port} is the bridge's own port: replies sent there would come back "
                "to the bridge; register the port your client listens on"
            )
        self.replies.register(sender, port)  # ValueError over a cap: /bridge/error
        self.send(sender, self.addresses[request.address].reply, [request.id, port])

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
