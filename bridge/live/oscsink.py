"""The OSC note sink: ``/bridge/note`` to the client that started a stream.

A note handed to the scheduler carries an opaque ``route``; this sink's is an ``OscRoute``
(which client, which stream number). Notes with another route (or none, as call and
response's) are not its business. Everything goes out through the daemon's one send path,
so registered reply ports apply to notes and bundles alike.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bridge.live.clock import Clock
from bridge.live.scheduler import PlayedNote
from bridge.server.osc import Addr

log = logging.getLogger(__name__)

NOTE_ADDRESS = "/bridge/note"


@dataclass(frozen=True)
class OscRoute:
    """Where a streamed note's ``/bridge/note`` goes: the client that started the stream
    (replies for it follow its registration) and the stream number the event carries."""

    client: Addr
    stream: int


class OscNoteSink:
    """Sends ``/bridge/note <stream> <pitch> <velocity> <duration-beats> <duration-ms>`` for
    every note routed by an ``OscRoute``.

    A note with ``lead`` > 0 goes out ``lead`` seconds early in a bundle timetagged with its
    time (``daemon.send_bundle``); others at their time (``daemon.send``).
    """

    def __init__(self, daemon: Any, clock: Clock) -> None:
        self.daemon = daemon
        self.clock = clock

    @staticmethod
    def args(note: PlayedNote, route: OscRoute) -> list[Any]:
        return [route.stream, note.pitch, note.velocity, note.duration_beats, note.duration_ms]

    def note_on(self, note: PlayedNote, now: float) -> None:
        route = note.route
        if isinstance(route, OscRoute) and note.lead <= 0:
            self.daemon.send(route.client, NOTE_ADDRESS, self.args(note, route))

    def note_off(self, note: PlayedNote, now: float) -> None:
        pass

    def announce(self, note: PlayedNote, now: float) -> None:
        route = note.route
        if not isinstance(route, OscRoute):
            return
        message = (NOTE_ADDRESS, self.args(note, route))
        self.daemon.send_bundle(route.client, [message], self.clock.to_unix(note.on_time))

    def close(self) -> None:
        pass


__all__ = ["NOTE_ADDRESS", "OscNoteSink", "OscRoute"]
