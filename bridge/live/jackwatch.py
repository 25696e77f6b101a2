"""A JACK client of our own (libjack through ctypes, no MIDI port): it tells when the JACK
server goes away, whether the server is still running cycles, and reads and makes port
connections (the guardian mirrors the bridge's connections with it).

Why: rtmidi's JACK output writes each message into a ring buffer that JACK's process
callback empties; with the server gone nothing empties it, and once it is full rtmidi's
``sendMessage`` spins in C holding the GIL, freezing the whole process. rtmidi offers no
error for that. So the bridge watches the server itself (``on_shutdown`` arrives within
tens of milliseconds of its death) and never writes more than a few kilobytes into that
ring without seeing the server run a cycle (``frame`` advance). ctypes releases the GIL
during every call here.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

JACK_NO_START_SERVER = 0x01
_SHUTDOWN = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p)


def _load() -> Any:
    """libjack with the prototypes used here, or None when it is not installed."""
    name = ctypes.util.find_library("jack") or "libjack.so.0"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    p, u32 = ctypes.c_void_p, ctypes.c_uint32
    protos: dict[str, tuple[Any, list[Any]]] = {
        "jack_client_open": (p, [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]),
        "jack_client_close": (ctypes.c_int, [p]),
        "jack_on_info_shutdown": (None, [p, _SHUTDOWN, p]),
        "jack_last_frame_time": (u32, [p]),
        "jack_port_by_name": (p, [p, ctypes.c_char_p]),
        "jack_port_get_all_connections": (ctypes.POINTER(ctypes.c_char_p), [p, p]),
        "jack_connect": (ctypes.c_int, [p, ctypes.c_char_p, ctypes.c_char_p]),
        "jack_free": (None, [p]),
    }
    for fn, (restype, argtypes) in protos.items():
        f = getattr(lib, fn)
        f.restype, f.argtypes = restype, argtypes
    return lib


class JackWatch:
    """One JACK client with no ports. ``open`` returns None when no server answers.

    ``on_shutdown(reason)`` runs once, on a JACK thread, when the server goes away.
    """

    def __init__(self, lib: Any, client: int, on_shutdown: Callable[[str], None]) -> None:
        self._lib = lib
        self._client: int | None = client
        self._lock = threading.Lock()  # no call on a closed client
        self._on_shutdown = on_shutdown
        self._callback = _SHUTDOWN(self._shutdown)  # kept alive as long as the client
        lib.jack_on_info_shutdown(client, self._callback, None)

    @classmethod
    def open(cls, name: str, on_shutdown: Callable[[str], None]) -> JackWatch | None:
        lib = _load()
        if lib is None:
            return None
        status = ctypes.c_int()
        client = lib.jack_client_open(name.encode(), JACK_NO_START_SERVER, ctypes.byref(status))
        if not client:
            return None
        return cls(lib, client, on_shutdown)

    def _shutdown(self, code: int, reason: bytes | None, arg: Any) -> None:
        try:
            self._on_shutdown((reason or b"").decode(errors="replace") or "JACK server gone")
        except Exception as exc:  # never raise into JACK's thread
            log.error("JACK shutdown handler failed: %r", exc)

    def frame(self) -> int | None:
        """The frame time at the start of the server's current cycle: it advances only
        while the server runs cycles."""
        with self._lock:
            return None if self._client is None else self._lib.jack_last_frame_time(self._client)

    def connections(self, port: str) -> list[str]:
        """The ports connected to ``port`` (a full name, client:port); [] if none or absent."""
        with self._lock:
            if self._client is None:
                return []
            handle = self._lib.jack_port_by_name(self._client, port.encode())
            if not handle:
                return []
            names = self._lib.jack_port_get_all_connections(self._client, handle)
            if not names:
                return []
            found = []
            i = 0
            while names[i]:
                found.append(names[i].decode(errors="replace"))
                i += 1
            self._lib.jack_free(ctypes.cast(names, ctypes.c_void_p))
            return found

    def has_port(self, port: str) -> bool:
        """Whether a port of this full name exists."""
        with self._lock:
            return self._client is not None and bool(
                self._lib.jack_port_by_name(self._client, port.encode())
            )

    def connect(self, source: str, destination: str) -> bool:
        """Connect two ports by full name; True if connected (or already were)."""
        with self._lock:
            if self._client is None:
                return False
            code = self._lib.jack_connect(self._client, source.encode(), destination.encode())
            return code in (0, 17)  # 17: EEXIST, already connected

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            self._lib.jack_client_close(client)


__all__ = ["JackWatch"]
