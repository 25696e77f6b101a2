"""Every damaged checkpoint of every engine fails the same way: one CheckpointError (a
ValueError), one line, naming the folder or the file at fault."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import engines
from engines.checkpoint import CONFIG_FILE, WEIGHTS_FILE, CheckpointError

Damage = Callable[[Path, Path], None]  # (folder, another engine's folder) -> damage folder


def _weights(folder: Path) -> Path:
    return folder / WEIGHTS_FILE


def _truncate(fraction: float) -> Damage:
    def damage(folder: Path, _: Path) -> None:
        data = _weights(folder).read_bytes()
        _weights(folder).write_bytes(data[: int(len(data) * fraction)])

    return damage


def _cut_to(n: int) -> Damage:
    def damage(folder: Path, _: Path) -> None:
        _weights(folder).write_bytes(_weights(folder).read_bytes()[:n])

    return damage


def _write_weights(data: bytes) -> Damage:
    def damage(folder: Path, _: Path) -> None:
        _weights(folder).write_bytes(data)

    return damage


def _config(change: Callable[[dict], object]) -> Damage:
    def damage(folder: Path, _: Path) -> None:
        meta = json.loads((folder / CONFIG_FILE).read_text())
        change(meta)
        (folder / CONFIG_FILE).write_text(json.dumps(meta))

    return damage


def _first_key(meta: dict) -> str:
    return next(iter(meta["config"]))


def _set_first(value: object) -> Callable[[dict], object]:
    return lambda meta: meta["config"].__setitem__(_first_key(meta), value)


def _raw_config(text: str) -> Damage:
    def damage(folder: Path, _: Path) -> None:
        (folder / CONFIG_FILE).write_text(text)

    return damage


def _other(what: str) -> Damage:
    def damage(folder: Path, other: Path) -> None:
        shutil.copy(other / what, folder / what)

    return damage


def _remove(what: str) -> Damage:
    def damage(folder: Path, _: Path) -> None:
        (folder / what).unlink()

    return damage


def _bad_shape(folder: Path, _: Path) -> None:
    from safetensors.numpy import load_file, save_file

    arrays = load_file(str(_weights(folder)))
    key = max(arrays, key=lambda k: arrays[k].size)
    arrays[key] = arrays[key].reshape(-1)[:-1].copy()
    save_file(arrays, str(_weights(folder)))


def _drop_tensor(folder: Path, _: Path) -> None:
    from safetensors.numpy import load_file, save_file

    arrays = load_file(str(_weights(folder)))
    arrays.pop(sorted(arrays)[0])
    save_file(arrays, str(_weights(folder)))


def _remove_folder(folder: Path, _: Path) -> None:
    shutil.rmtree(folder)


DAMAGES: dict[str, Damage] = {
    "truncated to 1%": _truncate(0.01),
    "truncated to 30%": _truncate(0.3),
    "truncated to 99%": _truncate(0.99),
    "cut to 7 bytes": _cut_to(7),
    "cut to 12 bytes": _cut_to(12),
    "empty weights": _write_weights(b""),
    "garbage weights": _write_weights(b"\xff" * 300),  # "header too large"
    "text as weights": _write_weights(b"not a checkpoint at all, just text\n" * 4),
    "no weights file": _remove("model.safetensors"),
    "no config.json": _remove("config.json"),
    "no folder": _remove_folder,
    "config not JSON": _raw_config("{ this is not json"),
    "config empty": _raw_config(""),
    "config a list": _raw_config("[1, 2, 3]"),
    "config binary": lambda f, _: (f / CONFIG_FILE).write_bytes(b"\xff\xfe\x00garbage"),
    "no engine name": _config(lambda m: m.pop("engine")),
    "config not a dict": _config(lambda m: m.__setitem__("config", "big")),
    "value a string": _config(_set_first("512")),
    "value a list": _config(_set_first([1, 2])),
    "value null": _config(_set_first(None)),
    "value a bool": _config(_set_first(True)),
    "value negative": _config(_set_first(-5)),
    "value huge": _config(_set_first(10**12)),
    "missing key": _config(lambda m: m["config"].pop(_first_key(m))),
    "extra key": _config(lambda m: m["config"].__setitem__("wings", 2)),
    "unknown engine": _config(lambda m: m.__setitem__("engine", "theremin")),
    "another engine's config": _other("config.json"),
    "another engine's weights": _other("model.safetensors"),
    "mismatched shape": _bad_shape,
    "missing tensor": _drop_tensor,
}


def _other_engine(name: str) -> str:
    names = engines.available_engines()
    return names[(names.index(name) + 1) % len(names)]


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = {}
    for name in engines.available_engines():
        folder = tmp_path_factory.mktemp(f"good-{name}")
        engines.engine_class(name).tiny().save(folder)
        out[name] = folder
    return out


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("name", engines.available_engines())
def test_a_damaged_checkpoint_raises_one_line_naming_it(
    name: str, damage: str, originals: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "ck"
    shutil.copytree(originals[name], folder)
    DAMAGES[damage](folder, originals[_other_engine(name)])
    for load in (
        lambda: engines.load_engine(folder, "cpu"),
        lambda: engines.engine_class(name).load(folder, device="cpu"),
    ):
        with pytest.raises(CheckpointError) as info:
            load()
        message = str(info.value)
        assert isinstance(info.value, ValueError)
        assert "\n" not in message and len(message) < 500, message
        assert str(folder) in message, message
        assert "Traceback" not in message


def test_a_good_checkpoint_still_loads(originals: dict[str, Path]) -> None:
    for name, folder in originals.items():
        assert engines.load_engine(folder, "cpu").name == name


def test_the_message_says_what_is_wrong(originals: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "rnn"
    shutil.copytree(originals["rnn"], folder)
    (folder / WEIGHTS_FILE).write_bytes(b"\xff" * 300)
    with pytest.raises(
        CheckpointError,
        match=r"model.safetensors in .* is corrupt or truncated \(header too large\)",
    ):
        engines.load_engine(folder, "cpu")
    shutil.copy(originals["rnn"] / WEIGHTS_FILE, folder / WEIGHTS_FILE)
    _config(_set_first("512"))(folder, folder)
    with pytest.raises(CheckpointError, match=r"config.json: config vocab must be int, got '512'"):
        engines.load_engine(folder, "cpu")


def test_bridge_serve_with_a_damaged_checkpoint_prints_one_line(
    originals: dict[str, Path], tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    shutil.copytree(originals["rnn"], folder)
    _truncate(0.5)(folder, folder)
    done = subprocess.run(
        [sys.executable, "-m", "bridge", "serve", "--port", "0", "--rnn", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    errors = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and str(folder) in errors[0], done.stderr
    assert "Traceback" not in done.stderr
