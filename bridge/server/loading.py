"""Loading a checkpoint folder for ``/bridge/load``, with every failure in one line.

A performer types a path into a patch: a typo, the wrong engine's folder, a copy cut short.
:func:`load_checkpoint` checks what it can before loading and turns what the engine's loader
raises (torch's shape mismatches, safetensors' header errors) into a one-line
:class:`LoadError` naming the problem, so the daemon answers ``/bridge/error`` and keeps the
model it has.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import queue
import sys
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAX_DETAIL = 240  # characters of the loader's own message kept in the one line
MAX_WAITING_LOADS = 4


class LoadError(ValueError):
    """A checkpoint that cannot be loaded; ``str(exc)`` is one line for /bridge/error."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 3] + "..."


def check_folder(name: str, path: str | Path) -> Path:
    """The checkpoint folder ``path`` for engine ``name``, checked before any loading:
    it exists, holds ``config.json`` (readable, naming ``name``) and ``model.safetensors``."""
    folder = Path(path).expanduser()
    if not folder.exists():
        raise LoadError(f"no checkpoint folder at {path}")
    if not folder.is_dir():
        raise LoadError(f"{path} is a file, not a checkpoint folder")
    config = folder / "config.json"
    if not config.is_file():
        raise LoadError(f"{path} has no config.json: not a checkpoint folder")
    try:
        meta = json.loads(config.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LoadError(f"config.json in {path} is unreadable: {_one_line(exc)}") from exc
    owner = meta.get("engine") if isinstance(meta, dict) else None
    if owner != name:
        raise LoadError(f"{path} is a checkpoint of the {owner} engine, not {name}")
    if not (folder / "model.safetensors").is_file():
        raise LoadError(f"{path} has no model.safetensors")
    return folder


def load_checkpoint(name: str, path: str | Path, device: str = "auto") -> Any:
    """Engine ``name`` loaded from the folder ``path`` on ``device`` and warmed up; raises
    LoadError with one line naming the problem."""
    from engines import engine_class
    from engines.checkpoint import CheckpointError

    folder = check_folder(name, path)
    try:
        cls = engine_class(name)
    except ValueError as exc:
        raise LoadError(str(exc)) from exc
    try:
        engine = cls.load(folder, device=device)
    except CheckpointError as exc:  # already one line naming the folder, file and problem
        raise LoadError(str(exc)) from exc
    except Exception as exc:
        raise LoadError(_load_failure(path, exc)) from exc
    engine.folder = folder.resolve()
    try:
        engine.warm_up()
    except Exception as exc:
        raise LoadError(f"{path} loaded but failed its warm-up: {_one_line(exc)}") from exc
    return engine


def _load_failure(path: str | Path, exc: Exception) -> str:
    text = str(exc)
    # torch's load_state_dict: the config built a model of another shape than the weights
    if "size mismatch" in text or "Missing key" in text or "Unexpected key" in text:
        return f"config.json in {path} does not match its weights: {_one_line(exc)}"
    # safetensors refuses a file cut short or not safetensors at all
    if type(exc).__name__ == "SafetensorError" or "deserializ" in text:
        return f"model.safetensors in {path} is corrupt or truncated: {_one_line(exc)}"
    return f"could not load {path}: {type(exc).__name__}: {_one_line(exc)}"


MMAP_THRESHOLD = 1 << 20  # bytes: blocks this large or larger get pages of their own
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)


def _glibc(call: str, *args: int) -> None:
    """Call a glibc malloc tuning function; elsewhere (or without it) nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        getattr(libc, call)(*args)
    except (OSError, AttributeError) as exc:  # musl and others have no malloc_trim/mallopt
        log.debug("no %s: %r", call, exc)


def release_free_memory() -> None:
    """Give memory freed by a replaced model back to the system (glibc's ``malloc_trim``;
    elsewhere nothing). glibc keeps freed blocks for reuse: measured with the shipped RNN
    checkpoint, 20 swaps kept 70-90 MB more without it, 1 MB with it; it takes well under
    a millisecond."""
    _glibc("malloc_trim", 0)


def map_large_blocks() -> None:
    """Give every block of MMAP_THRESHOLD bytes or more pages of its own (glibc's
    ``mallopt``), so a replaced model's weights go back to the system whole. glibc's own
    threshold rises each time such a block is freed (up to 32 MB), after which weights land
    in the heap among small blocks and fragment it: measured with the shipped RNN checkpoint
    while a stream played, 40 swaps grew the daemon by 13-25 MB, creeping, and by 2 MB with
    this."""
    _glibc("mallopt", _M_MMAP_THRESHOLD, MMAP_THRESHOLD)


class Loader:
    """``/bridge/load`` for a daemon: requests queue for one thread of its own that loads and
    warms up the checkpoint, then has the daemon swap it in (``Daemon.swap_engine``). The
    same thread every time, so the memory of a replaced model is reused by the next (glibc
    keeps freed memory in the arena of the thread that allocated it)."""

    def __init__(self, daemon: Any) -> None:
        self.daemon = daemon
        map_large_blocks()
        self._queue: queue.Queue[tuple[Any, Any] | None] = queue.Queue()

    def thread(self) -> threading.Thread:
        """The loading thread, not yet started (the daemon starts it with its workers)."""
        self._queue = queue.Queue()
        return threading.Thread(target=self._run, name="bridge-load", daemon=True)

    def stop(self) -> None:
        self._queue.put(None)

    def handle(self, request: Any, sender: Any) -> None:
        """The ``/bridge/load`` handler (receive thread): check and queue."""
        from engines import ENGINES

        name, path = request["engine"], request["path"]
        if name not in ENGINES:
            raise ValueError(f"unknown engine {name!r}; engines: {', '.join(sorted(ENGINES))}")
        if self._queue.qsize() >= MAX_WAITING_LOADS:
            raise ValueError(f"busy: {MAX_WAITING_LOADS} loads are waiting; try again later")
        self._queue.put((request, sender))
        log.info("loading %s for the %s engine (id %d)", path, name, request.id)

    def _run(self) -> None:
        self.daemon.prepare_thread()  # loading and warming up must not crowd out the workers
        while (item := self._queue.get()) is not None:
            if self.daemon.running:
                self._load_and_swap(*item)

    def _load_and_swap(self, request: Any, sender: Any) -> None:
        daemon = self.daemon
        name, path = request["engine"], request["path"]
        try:
            engine = load_checkpoint(name, path, daemon.device)
            daemon.swap_engine(name, engine)
            info = engine.checkpoint()
            del engine  # the daemon's dict holds it now; only that reference stays
            reply = daemon.addresses[request.address].reply
            daemon.send(sender, reply, [request.id, name, info["name"], info["hash"]])
        except LoadError as exc:
            daemon.send_error(sender, request.id, request.address, str(exc))
        except Exception as exc:  # this thread must answer, whatever happens
            daemon.internal_error(sender, request, exc)
