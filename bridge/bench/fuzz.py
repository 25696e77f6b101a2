"""``bridge bench --fuzz N``: random and mutated datagrams at a running daemon.

One client sends N datagrams (about ``rate`` a second): requests, requests with bad keys,
values and type tags (colour, MIDI, time tag, booleans), newlines and terminal escapes in
addresses, replies and events (which must never be answered), bundles, non-OSC bytes, and
byte-level mutations of all of those. Another client pings every 50 ms. The report: ping
latency (p50, p99, the worst), how many messages with a request id went unanswered, how
many engine replies came back and how many requests were refused as busy, the
daemon's log size and RSS growth (in all, and after the first tenth of the datagrams, once
the engines' first runs have allocated what they keep), and whether it is still alive.

Registrations are never fuzzed: a mutated port would send the fuzzing client's replies
elsewhere (a datagram that decodes to a registration of another port is not sent).
"""

from __future__ import annotations

import random
import struct
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bridge.server.guard import is_event
from bridge.server.osc import Message, OscClient, decode, encode, encode_bundle
from bridge.stats import percentile

PING_EVERY = 0.05

NOTES = [60, 0.0, 0.5, 100, 62, 0.5, 0.5, 90]
# (address, arguments after the id): cheap valid requests, and wrong ones.
TEMPLATES: list[tuple[str, list[Any]]] = [
    ("/bridge/ping", []),
    ("/bridge/engines", []),
    ("/bridge/rnn/continue", ["steps", 8, "temperature", 0.9, "seed", 3, "notes", *NOTES]),
    ("/bridge/rnn/continue", ["temperature", -1]),
    ("/bridge/rnn/continue", ["steps", 99999]),
    ("/bridge/rnn/continue", ["notes", 60, 0, 1]),
    ("/bridge/rnn/continue", ["temprature", 1.0]),
    ("/bridge/vae/sample", ["n", 2, "seed", 1]),
    ("/bridge/vae/sample", ["n", 64, "temperature", 1000]),
    ("/bridge/vae/interpolate", ["steps", 3, "a", *NOTES, "b", *NOTES]),
    ("/bridge/gan/bars", ["chords", "C", "Am", "seed", 2]),
    ("/bridge/gan/bars", ["chords", "H#m"]),
    ("/bridge/rnn/stream/stop", ["stream", 12345]),
    ("/bridge/rnn/stream/set", ["stream", 12345, "tempo", 90]),
    ("/bridge/nope", []),
    ("/bridge/rnn/continue\n2026-01-01 ERROR forged line", []),
    ("/bridge/\x1b[2J\x1b[31mred", []),
]
# Messages the daemon sends: it must never answer them.
EVENTS: list[tuple[str, list[Any]]] = [
    ("/bridge/reply/ping", [1]),
    ("/bridge/error", [1, "/bridge/ping", "boom"]),
    ("/bridge/pong", [1, 1, "0.1"]),
    ("/bridge/note", [1, 60, 100, 0.5, 250.0]),
    ("/bridge/rnn/stream/done", [1]),
    ("/bridge/callresponse/state", ["listening"]),
]
# OSC type tags that are not numbers, with a value python-osc can build.
ODD_VALUES: list[tuple[Any, str]] = [
    (0xFF00FF00, "r"),
    ((0, 0x90, 60, 100), "m"),
    (True, "T"),
    (False, "F"),
    (None, "N"),
    (b"\x00\x01", "b"),
    (2**40, "h"),
    (float("nan"), "d"),
]


def _typed(address: str, args: list[tuple[Any, str | None]]) -> bytes:
    from pythonosc.osc_message_builder import OscMessageBuilder

    builder = OscMessageBuilder(address=address)
    for value, tag in args:
        if tag is None:
            builder.add_arg(value)
        else:
            builder.add_arg(value, tag)
    return builder.build().dgram


def _fresh(rng: random.Random, rid: int) -> bytes:
    """One generated datagram (before any mutation)."""
    kind = rng.random()
    if kind < 0.45:
        address, rest = rng.choice(TEMPLATES)
        return encode(address, [rid, *rest])
    if kind < 0.6:  # a number-typed key given a value of an odd OSC type
        address, rest = rng.choice(TEMPLATES[2:12])
        value, tag = rng.choice(ODD_VALUES)
        args = [(rid, None), *((a, None) for a in rest[:1]), (value, tag)]
        return _typed(address, args)
    if kind < 0.7:
        address, args = rng.choice(EVENTS)
        return encode(address, args)
    if kind < 0.8:
        parts = [encode(a, [rid + i, *r]) for i, (a, r) in enumerate(rng.sample(TEMPLATES, 3))]
        return encode_bundle(parts)
    if kind < 0.9:
        return rng.randbytes(rng.randrange(1, 200))
    return encode(rng.choice(TEMPLATES)[0], [rid, *(rng.random() for _ in range(20))])


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """``data`` with a few random byte edits, a cut, or a bad bundle size."""
    buf = bytearray(data)
    choice = rng.random()
    if choice < 0.5 and buf:
        for _ in range(rng.randrange(1, 4)):
            buf[rng.randrange(len(buf))] = rng.randrange(256)
    elif choice < 0.7 and len(buf) > 1:
        del buf[rng.randrange(1, len(buf)) :]
    elif choice < 0.85:
        at = rng.randrange(len(buf) + 1)
        buf[at:at] = rng.randbytes(rng.randrange(1, 9))
    elif data.startswith(b"#bundle") and len(buf) >= 20:
        buf[16:20] = struct.pack(">i", rng.choice([-1, 0, 1 << 30]))
    return bytes(buf)


def datagrams(n: int, seed: int = 0, own_port: int = 0) -> Iterator[bytes]:
    """``n`` fuzz datagrams; none registers a port other than ``own_port``."""
    rng = random.Random(seed)
    sent = 0
    while sent < n:
        rid = 1_000_000 + sent
        data = _fresh(rng, rid)
        if rng.random() < 0.5:
            data = _mutate(rng, data)
        if _registers_elsewhere(data, own_port):
            continue
        sent += 1
        yield data


def _registers_elsewhere(data: bytes, own_port: int) -> bool:
    packets, _ = decode(data)
    return any(
        isinstance(p, Message)
        and p.address == "/bridge/register"
        and own_port not in p.args[-1:]  # "port <own_port>" is refused: fine to send
        for p in packets
    )


def expected_ids(data: bytes) -> list[int]:
    """Request ids in ``data`` the daemon must answer (a reply or /bridge/error)."""
    packets, _ = decode(data)
    out = []
    for p in packets:
        if not isinstance(p, Message) or not p.args or is_event(p.address, p.args):
            continue
        first = p.args[0]
        if type(first) is int and first != -1 and -(2**31) <= first < 2**31:
            out.append(first)
    return out


def _ping(port: int, stop: Any, out: Any) -> None:
    """Ping 127.0.0.1:``port`` every PING_EVERY s until ``stop`` is set; send
    ``(round trips in ms, pings lost)`` to ``out``. Runs in a process of its own, so the
    fuzzing threads' share of the GIL does not count as the daemon's latency."""
    rtts: list[float] = []
    lost = 0
    with OscClient("127.0.0.1", port) as client:
        rid = 0
        while not stop.is_set():
            rid += 1
            began = time.perf_counter()
            client.send("/bridge/ping", rid)
            got = None
            while (m := client.receive(1.0)) is not None:
                if m.address == "/bridge/pong" and m.args[:1] == [rid]:
                    got = m
                    break
            if got is None:
                lost += 1
            else:
                rtts.append(1000 * (time.perf_counter() - began))
            stop.wait(max(0.0, PING_EVERY - (time.perf_counter() - began)))
    out.send((rtts, lost))


class _Collector(threading.Thread):
    """Reads every message that comes back to the fuzzing client."""

    def __init__(self, client: OscClient) -> None:
        super().__init__(name="fuzz-collector", daemon=True)
        self.client = client
        self.ids: set[int] = set()
        self.count = 0
        self.served: set[int] = set()  # ids answered by /bridge/reply/<engine>/<verb>
        self.busy: set[int] = set()  # ids answered /bridge/error "busy: ..."
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            m = self.client.receive(0.1)
            if m is not None:
                self.count += 1
                if m.args and type(m.args[0]) is int:
                    self.ids.add(m.args[0])
                    self._sort(m)

    def _sort(self, m: Message) -> None:
        if m.address.startswith("/bridge/reply/") and m.address.count("/") >= 4:
            self.served.add(m.args[0])  # an engine verb's reply
        elif m.address == "/bridge/error" and str(m.args[-1]).startswith("busy"):
            self.busy.add(m.args[0])


def run_fuzz(
    port: int,
    n: int,
    rate: float = 1000.0,
    seed: int = 0,
    log_size: Callable[[], int] | None = None,
    rss: Callable[[], int] | None = None,
    alive: Callable[[], bool] | None = None,
    settle: float = 3.0,
) -> dict[str, Any]:
    """Fuzz the daemon on 127.0.0.1:``port``; the figures as a dict (see the module doc).

    ``log_size``, ``rss`` and ``alive`` read the daemon's log bytes, resident bytes and
    liveness (a subprocess's, say); left out, those figures are left out.
    """
    import multiprocessing

    spawn = multiprocessing.get_context("spawn")
    fuzzer = OscClient("127.0.0.1", port)
    stop_pinging = spawn.Event()
    results, pinged = spawn.Pipe(duplex=False)
    pinger = spawn.Process(target=_ping, args=(port, stop_pinging, pinged), daemon=True)
    collector = _Collector(fuzzer)
    rss_before = rss() if rss else 0
    log_before = log_size() if log_size else 0
    expected: set[int] = set()
    pinger.start()
    collector.start()
    time.sleep(0.5)  # the pinger's interpreter starts before the fuzz does
    began = time.perf_counter()
    try:
        rss_warm = rss_before
        for i, data in enumerate(datagrams(n, seed, own_port=port)):
            if i == n // 10 and rss:  # the engines' first runs allocate; growth is after
                rss_warm = rss()
            expected.update(expected_ids(data))
            fuzzer.send_raw(data)
            ahead = (i + 1) / rate - (time.perf_counter() - began)
            if ahead > 0:
                time.sleep(ahead)
        elapsed = time.perf_counter() - began
        deadline = time.monotonic() + settle
        while time.monotonic() < deadline and not expected <= collector.ids:
            time.sleep(0.05)
    finally:
        stop_pinging.set()
        collector.stop.set()
        rtts, lost = results.recv() if results.poll(10) else ([], -1)
        pinger.join(5)
        collector.join(5)
        fuzzer.close()
    figures: dict[str, Any] = {
        "datagrams": n,
        "seconds": round(elapsed, 2),
        "rate": round(n / elapsed, 1) if elapsed else 0.0,
        "pings": len(rtts),
        "pings_lost": lost,
        "ping_p50_ms": round(percentile(sorted(rtts), 50), 3) if rtts else None,
        "ping_p99_ms": round(percentile(sorted(rtts), 99), 3) if rtts else None,
        "ping_max_ms": round(max(rtts), 3) if rtts else None,
        "requests_with_id": len(expected),
        "unanswered": len(expected - collector.ids),
        "messages_back": collector.count,
        "engine_requests_served": len(collector.served),
        "busy_refused": len(collector.busy),
    }
    if log_size:
        figures["log_bytes"] = log_size() - log_before
    if rss:
        rss_after = rss()
        figures["rss_growth_bytes"] = rss_after - rss_before
        figures["rss_growth_after_first_tenth_bytes"] = rss_after - rss_warm
    if alive:
        figures["alive"] = alive()
    return figures


def rss_of(pid: int) -> Callable[[], int]:
    """A reader of process ``pid``'s resident bytes (Linux /proc)."""

    def read() -> int:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    return read


def fuzz_serve(
    n: int, checkpoints: dict[str, Path], rate: float = 1000.0, seed: int = 0
) -> dict[str, Any]:
    """Start ``bridge serve --port 0`` (the shipped engines, or ``checkpoints``) with its log
    in a file, fuzz it with ``n`` datagrams, stop it; ``run_fuzz``'s figures plus the log's
    lines."""
    import os
    import subprocess
    import sys
    import tempfile

    from bridge.bench.core import _wait_for_port

    cmd = [sys.executable, "-m", "bridge", "serve", "--port", "0", "--device", "cpu"]
    for name, path in checkpoints.items():
        cmd += [f"--{name}", str(path)]
    with tempfile.TemporaryDirectory() as tmp:
        log_path = Path(tmp) / "serve.log"
        with log_path.open("w") as log_file:
            proc = subprocess.Popen(
                cmd,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            try:
                port = _wait_for_port(proc, time.perf_counter() + 120)
                time.sleep(0.5)  # let the startup lines land before the log is measured
                figures = run_fuzz(
                    port,
                    n,
                    rate,
                    seed,
                    log_size=lambda: log_path.stat().st_size,
                    rss=rss_of(proc.pid),
                    alive=lambda: proc.poll() is None,
                )
            finally:
                proc.terminate()
                proc.wait(15)
        figures["log_lines"] = sum(1 for _ in log_path.open(errors="replace"))
    return figures
