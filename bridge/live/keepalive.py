"""Keepalive: end a stream once its client has been silent for the seconds it asked for.

A stream started with ``keepalive S`` is watched: a thread looks every ``KEEPALIVE_CHECK_S``
at when its client was last heard (``Daemon.last_heard``, any message counts) and ends it
(``end``: note-offs, then ``done``) after S silent seconds. With no stream watched the thread
sleeps until one is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

KEEPALIVE_CHECK_S = 1.0  # how often streams with a keepalive are checked


class KeepAlive:
    """Watches streams; ``find(engine, stream)`` is the playing stream (or None),
    ``last_heard(client)`` the time its client was last heard (``time.monotonic``) and
    ``end(engine, stream)`` stops it (False if it was stopped meanwhile)."""

    def __init__(
        self,
        find: Callable[[str, int], Any],
        last_heard: Callable[[Any], float | None],
        end: Callable[[str, Any], bool],
    ) -> None:
        self.find = find
        self.last_heard = last_heard
        self.end = end
        self._changed = threading.Condition()
        self._watched: dict[int, tuple[str, float, float]] = {}  # stream -> (engine, s, start)
        self._closed = False
        self._thread: threading.Thread | None = None

    def start(self) -> KeepAlive:
        self._thread = threading.Thread(target=self._watch, name="bridge-keepalive", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def watch(self, sid: int, engine: str, seconds: float) -> None:
        with self._changed:
            self._watched[sid] = (engine, seconds, time.monotonic())
            self._changed.notify_all()

    def forget(self, sid: int) -> None:
        with self._changed:
            self._watched.pop(sid, None)

    def _watch(self) -> None:
        """End each watched stream whose client has been silent too long; wake every
        ``KEEPALIVE_CHECK_S`` while there are any, else only when one starts."""
        while True:
            with self._changed:
                while not self._closed and not self._watched:
                    self._changed.wait()
                if self._closed:
                    return
                watched = dict(self._watched)
            try:
                self._expire(watched)
            except Exception:  # the check must go on; a stream left playing is logged
                log.exception("keepalive check failed")
            with self._changed:
                if not self._closed:
                    self._changed.wait(KEEPALIVE_CHECK_S)

    def _expire(self, watched: dict[int, tuple[str, float, float]]) -> None:
        now = time.monotonic()
        for sid, (name, seconds, started) in watched.items():
            stream = self.find(name, sid)
            if stream is None:
                self.forget(sid)
                continue
            heard = self.last_heard(stream.client)
            silent = now - max(started, heard if heard is not None else started)
            if silent < seconds or not self.end(name, stream):  # (stopped meanwhile)
                continue
            log.info("stream %d ended: its client was silent for %.0f s", sid, silent)


__all__ = ["KEEPALIVE_CHECK_S", "KeepAlive"]
