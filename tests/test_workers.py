"""What keeps the receive thread free: the worker pool (clients taken in turn, a client's burst
bounded, sized to the cores), the GIL switch interval, the garbage collector frozen."""

from __future__ import annotations

import gc
import sys
import threading
from typing import Any

from clients import WAIT, ask
from test_daemon import FakeEngine, client_for

from bridge.server.daemon import Daemon
from bridge.server.osc import OscClient
from bridge.server.workers import SWITCH_INTERVAL_S, FairQueue, WorkerPool, worker_count


def test_fair_queue_takes_one_job_of_each_client_in_turn() -> None:
    queue = FairQueue()
    for job in ("a1", "a2", "a3"):
        queue.put("a", job)  # type: ignore[arg-type]
    queue.put("b", "b1")  # type: ignore[arg-type]
    queue.put("c", "c1")  # type: ignore[arg-type]
    order = []
    while (taken := queue.take()) is not None:
        order.append(taken[1])
    assert order == ["a1", "b1", "c1", "a2", "a3"]
    assert len(queue) == 0


def test_worker_count_leaves_a_core_to_the_receive_thread() -> None:
    assert worker_count(2, cores=2) == 1
    assert worker_count(4, cores=1) == 1
    assert worker_count(3, cores=8) == 3
    assert worker_count(16, cores=8) == 7


def test_a_client_over_its_share_is_told_busy_and_the_pool_goes_on() -> None:
    pool = WorkerPool(workers=1, max_pending=10, per_client=2)
    gate, started = threading.Event(), threading.Event()
    done: list[str] = []
    pool.start()
    try:
        assert pool.submit(lambda: (started.set(), gate.wait()), "a") is None
        assert started.wait(WAIT)  # running
        assert pool.submit(lambda: done.append("a2"), "a") is None  # waiting
        refused = pool.submit(lambda: done.append("a3"), "a")
        assert refused is not None and refused.startswith("busy: 2 of your requests")
        assert pool.submit(lambda: done.append("b1"), "b") is None  # another client: queued
        gate.set()
        finished = threading.Event()
        assert pool.submit(finished.set, "c") is None
        assert finished.wait(WAIT)
        assert done == ["a2", "b1"]
    finally:
        gate.set()
        pool.stop(0.0)


def test_a_flooding_client_does_not_delay_another_clients_request() -> None:
    engine = FakeEngine()
    engine.release.clear()
    with Daemon({"rnn": engine}, port=0, workers=1, per_client=4) as d:
        with client_for(d) as flooder, client_for(d) as other:
            flooder.send("/bridge/rnn/continue", 1)
            assert engine.started.wait(WAIT)
            for rid in range(2, 10):  # 3 more wait; the rest are refused at once
                flooder.send("/bridge/rnn/continue", rid)
            busy = [flooder.receive(WAIT) for _ in range(5)]
            assert all(m is not None and m.address == "/bridge/error" for m in busy)
            assert sorted(m.args[0] for m in busy) == [5, 6, 7, 8, 9]  # type: ignore[union-attr]
            assert "your requests" in busy[0].args[2]  # type: ignore[union-attr]
            other.send("/bridge/rnn/continue", 100)
            assert ask(other, "/bridge/ping", 101).address == "/bridge/pong"
            engine.release.set()
            reply = other.receive(WAIT)
            assert reply is not None and reply.args[0] == 100
            answered = _ids(flooder, 4)
            assert answered == [1, 2, 3, 4]


def _ids(client: OscClient, n: int) -> list[Any]:
    out = []
    for _ in range(n):
        m = client.receive(WAIT)
        assert m is not None
        out.append(m.args[0])
    return sorted(out)


def test_serving_switches_threads_faster_and_freezes_what_is_loaded(tiny_rnn: Any) -> None:
    before = sys.getswitchinterval()
    assert before > SWITCH_INTERVAL_S
    try:
        with Daemon({"rnn": tiny_rnn}, port=0, freeze_gc=True) as d:
            assert sys.getswitchinterval() == SWITCH_INTERVAL_S
            assert gc.get_freeze_count() > 1000  # the engine and the modules
            with client_for(d) as c:
                assert ask(c, "/bridge/ping", 1).address == "/bridge/pong"
        assert sys.getswitchinterval() == before
    finally:
        gc.unfreeze()
