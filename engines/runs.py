"""Where training runs write, and the state that lets a stopped run go on.

A run writes into its own folder: by default a new ``<engine>-<date>-<time>`` folder under
:func:`runs_dir` (``$BRIDGE_RUNS``, else ``$XDG_DATA_HOME/bridge/runs``, else
``~/.local/share/bridge/runs``), never into the shipped ``engines/checkpoints`` unless that
exact path is asked for. :func:`prepare_out` refuses a folder that already holds files
unless told to overwrite it (``force``) or to continue the run in it (``resume``), and
refuses to write over the checkpoint a run starts from (``init``).

Beside the best checkpoint a run keeps ``training_state.safetensors``: the latest weights,
the optimizers' state, and (in its metadata, as JSON) the epoch or step reached, the
learning-rate schedule, the random generators and the record so far. Resuming loads it and
goes on where it stopped. It is a safetensors file: loading it never unpickles anything.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from engines.checkpoint import CONFIG_FILE, CheckpointError, one_line, replace_atomically

STATE_FILE = "training_state.safetensors"


def runs_dir() -> Path:
    """Where training runs go by default."""
    if os.environ.get("BRIDGE_RUNS"):
        return Path(os.environ["BRIDGE_RUNS"]).expanduser()
    data = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data) / "bridge" / "runs"


def new_run_folder(engine: str) -> Path:
    """A folder for a new run of ``engine`` that does not exist yet."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = runs_dir() / f"{engine}-{stamp}"
    n = 2
    while folder.exists():
        folder = runs_dir() / f"{engine}-{stamp}-{n}"
        n += 1
    return folder


def _same(a: Path, b: Path) -> bool:
    return a.expanduser().resolve() == b.expanduser().resolve()


def prepare_out(
    engine: str,
    out: Path | None,
    *,
    force: bool = False,
    resume: Path | None = None,
    init: Path | None = None,
) -> Path:
    """The folder a run of ``engine`` writes into; ValueError when writing there could
    destroy a model nobody asked to replace."""
    if resume is not None:
        if out is not None and not _same(out, resume):
            raise ValueError(f"--resume {resume} goes on in that folder; drop --out {out}")
        if not (resume / STATE_FILE).is_file():
            raise ValueError(
                f"{resume} has no {STATE_FILE} to resume from (it was not written by a "
                "stopped run); start a new run from its weights with --init instead"
                if engine == "rnn"
                else f"{resume} has no {STATE_FILE} to resume from (it was not written by a "
                "stopped run)"
            )
        return resume
    folder = out if out is not None else new_run_folder(engine)
    if init is not None and _same(folder, init):
        raise ValueError(f"--init {init} is the run's source: give another --out to write into")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--out {folder} is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise ValueError(
            f"{folder} already holds files (a checkpoint?): choose another --out, "
            f"continue its run with --resume {folder}, or overwrite it with --force"
        )
    return folder


def _jsonable(value: Any) -> Any:
    """Optimizer and scheduler states hold tuples; JSON gives lists back, which they accept."""
    return json.loads(json.dumps(value))


def save_state(
    folder: Path,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    progress: dict[str, Any],
    tensors: dict[str, torch.Tensor] | None = None,
) -> None:
    """Write ``training_state.safetensors``: the modules' weights, the optimizers' state,
    extra ``tensors`` and ``progress`` (anything JSON can hold)."""
    state: dict[str, torch.Tensor] = {}
    opt_meta: dict[str, Any] = {}
    for name, module in modules.items():
        for k, v in module.state_dict().items():
            state[f"module.{name}.{k}"] = v.detach().cpu().contiguous()
    for name, opt in optimizers.items():
        sd = opt.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for index, values in sd["state"].items():
            for k, v in values.items():
                if isinstance(v, torch.Tensor):
                    state[f"optim.{name}.{index}.{k}"] = v.detach().cpu().contiguous()
                else:
                    scalars.setdefault(str(index), {})[k] = v
        opt_meta[name] = {"param_groups": _jsonable(sd["param_groups"]), "scalars": scalars}
    for k, v in (tensors or {}).items():
        state[f"extra.{k}"] = v.detach().cpu().contiguous()
    metadata = {"progress": json.dumps(progress), "optimizers": json.dumps(opt_meta)}
    folder.mkdir(parents=True, exist_ok=True)
    replace_atomically(folder / STATE_FILE, lambda tmp: save_file(state, str(tmp), metadata))


def read_progress(folder: Path) -> dict[str, Any]:
    """The progress dict of a run's training state (what :func:`save_state` was given)."""
    return _read(folder)[1]


def _read(folder: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any], dict[str, Any]]:
    file = folder / STATE_FILE
    if not file.is_file():
        raise CheckpointError(folder, f"no {STATE_FILE} to resume from")
    try:
        with safe_open(str(file), "pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}  # noqa: SIM118 (not a dict)
        progress = json.loads(meta["progress"])
        optimizers = json.loads(meta["optimizers"])
    except Exception as exc:  # safetensors, JSON and key errors: the file is damaged
        raise CheckpointError(file, f"damaged training state ({one_line(exc)})") from None
    return tensors, progress, optimizers


def load_state(
    folder: Path,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Load a run's training state into ``modules`` and ``optimizers``; return its progress
    and extra tensors. A state that does not fit them is a CheckpointError."""
    tensors, progress, opt_meta = _read(folder)
    file = folder / STATE_FILE
    try:
        for name, module in modules.items():
            prefix = f"module.{name}."
            weights = {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}
            module.load_state_dict(weights, strict=True)
        for name, opt in optimizers.items():
            meta = opt_meta[name]
            state: dict[int, dict[str, Any]] = {}
            prefix = f"optim.{name}."
            for k, v in tensors.items():
                if k.startswith(prefix):
                    index, key = k[len(prefix) :].split(".", 1)
                    state.setdefault(int(index), {})[key] = v
            for index, values in meta["scalars"].items():
                state.setdefault(int(index), {}).update(values)
            opt.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    except (RuntimeError, KeyError, ValueError) as exc:
        raise CheckpointError(file, f"does not fit this run ({one_line(exc, 200)})") from None
    extra = {k[len("extra.") :]: v for k, v in tensors.items() if k.startswith("extra.")}
    return progress, extra


def check_same_run(
    folder: Path, progress: dict[str, Any], config: dict[str, Any], options: dict[str, Any]
) -> None:
    """A resumed run must be the run that stopped: the same config and options (but for its
    time budget and threads); ValueError otherwise."""
    free = {"max_minutes", "threads"}
    saved = {k: v for k, v in progress["options"].items() if k not in free}
    given = {k: v for k, v in _jsonable(options).items() if k not in free}
    if progress["config"] != _jsonable(config) or saved != given:
        raise ValueError(f"{folder} was trained with other options; resume it with its own")


def seed_run(seed: int, threads: int | None) -> np.random.Generator:
    """Start a run: torch's threads (when given) and seed; returns its numpy generator."""
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def save_run(
    folder: Path,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    progress: dict[str, Any],
    rng: np.random.Generator,
) -> None:
    """:func:`save_state` with the run's random generators: ``rng``'s state joins
    ``progress`` (as ``numpy_rng``), torch's is kept as the tensor ``torch_rng``."""
    progress = {**progress, "numpy_rng": rng.bit_generator.state}
    save_state(folder, modules, optimizers, progress, {"torch_rng": torch.get_rng_state()})


def resume_run(
    folder: Path,
    modules: dict[str, torch.nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    rng: np.random.Generator,
    config: dict[str, Any],
    options: dict[str, Any],
) -> dict[str, Any]:
    """Go on with the run :func:`save_run` saved in ``folder``: load its state into
    ``modules``, ``optimizers`` and the random generators (``rng`` and torch's), after
    checking it is the same run (:func:`check_same_run`). Returns its progress."""
    progress, tensors = load_state(folder, modules, optimizers)
    check_same_run(folder, progress, config, options)
    rng.bit_generator.state = progress["numpy_rng"]
    torch.set_rng_state(tensors["torch_rng"])
    return progress


def update_record(folder: Path, record: dict[str, Any]) -> None:
    """Keep a run's full training record in its best checkpoint's config.json, if any."""
    config_path = folder / CONFIG_FILE
    if config_path.exists():
        meta = json.loads(config_path.read_text())
        meta["extra"]["training"] = record
        text = json.dumps(meta, indent=2) + "\n"
        replace_atomically(config_path, lambda tmp: tmp.write_text(text))


__all__ = [
    "STATE_FILE",
    "check_same_run",
    "load_state",
    "new_run_folder",
    "prepare_out",
    "read_progress",
    "resume_run",
    "runs_dir",
    "save_run",
    "save_state",
    "seed_run",
    "update_record",
]
