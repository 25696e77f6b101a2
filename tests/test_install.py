"""What an install by pip anywhere needs: the wheel's package data holds every shipped
checkpoint, serving needs neither music21 (the [train] extra) nor python-rtmidi (it may not
build where no wheel exists), and a command that does need one says how to install it.

scripts/check-wheel.sh (run by CI) builds the wheel itself, installs it into a fresh venv and
serves the shipped models from there.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from clients import ask, serve

from bridge.cli.main import main
from bridge.live.midi import MidiError, choose_api
from bridge.live.scheduler import set_realtime
from bridge.live.streams import raise_priority
from bridge.server.osc import OscClient

ROOT = Path(__file__).resolve().parents[1]


def test_package_data_holds_every_shipped_checkpoint() -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["engines"]
    package = ROOT / "engines"
    shipped = {p for p in (package / "checkpoints").rglob("*") if p.is_file()}
    # What setuptools puts in the wheel: each pattern globbed from the package's folder.
    packaged = {p for pattern in patterns for p in package.glob(pattern)}
    assert shipped, "no shipped checkpoints at all"
    assert sorted(shipped - packaged) == []
    for folder in {p.parent for p in shipped}:  # engines.load_engine reads these two
        assert {"config.json", "model.safetensors"} <= {p.name for p in folder.iterdir()}


@pytest.fixture
def without_music21_and_rtmidi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Subprocesses started meanwhile cannot import music21 or rtmidi: modules of those names
    that raise ModuleNotFoundError come first on their path."""
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    for name in ("music21", "rtmidi"):
        message = f"no module named {name} (the test hides it)"
        (blocked / f"{name}.py").write_text(
            f"raise ModuleNotFoundError({message!r}, name={name!r})\n"
        )
    path = [str(blocked), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(path))


@pytest.mark.slow
@pytest.mark.usefixtures("without_music21_and_rtmidi")
def test_serving_needs_neither_music21_nor_rtmidi() -> None:
    with serve() as port, OscClient("127.0.0.1", port) as client:
        assert ask(client, "/bridge/ping", 1).args[:2] == [1, 1]
        reply = ask(client, "/bridge/rnn/continue", 2, "steps", 16, "seed", 3)
        assert reply.address == "/bridge/reply/rnn/continue", reply.args
        assert reply.args[0] == 2 and len(reply.args[1:]) % 4 == 0


def test_midi_without_rtmidi_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "rtmidi", None)  # import rtmidi raises ImportError
    with pytest.raises(MidiError, match="pip install python-rtmidi"):
        choose_api()
    result = CliRunner().invoke(main, ["ports"])
    assert result.exit_code == 1
    assert "pip install python-rtmidi" in result.output


@pytest.mark.parametrize("command", ["train", "eval"])
def test_train_and_eval_without_music21_name_the_extra(
    command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "music21", None)
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))  # no parsed corpus to reuse
    args = ["--out", str(tmp_path / "out")] if command == "train" else []
    result = CliRunner().invoke(main, [command, "rnn", "--limit-files", "1", *args])
    assert result.exit_code == 1, result.output
    assert f"bridge {command} needs music21" in result.output
    assert 'pip install "bridge[train]"' in result.output


class FakeRtmidi:
    """rtmidi's API constants and a compiled-in list, as a Mac's build with JACK has them."""

    API_UNSPECIFIED, API_MACOSX_CORE, API_LINUX_ALSA, API_UNIX_JACK, API_WINDOWS_MM = range(5)

    def __init__(self, compiled: list[int]) -> None:
        self.compiled = compiled

    def get_compiled_api(self) -> list[int]:
        return self.compiled


@pytest.mark.parametrize(
    ("platform", "expected"),
    [("darwin", FakeRtmidi.API_MACOSX_CORE), ("win32", FakeRtmidi.API_WINDOWS_MM)],
)
def test_the_platforms_own_midi_system_never_jack(
    platform: str, expected: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeRtmidi([FakeRtmidi.API_UNIX_JACK, expected])
    monkeypatch.setattr("bridge.live.midi._rtmidi", lambda: fake)
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.delenv("BRIDGE_MIDI_API", raising=False)
    assert choose_api() == expected
    fake.compiled = [FakeRtmidi.API_UNIX_JACK]  # without it, rtmidi's own choice
    assert choose_api() == FakeRtmidi.API_UNSPECIFIED


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_linux_priority_calls_are_skipped_elsewhere(
    platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    for name in ("sched_setscheduler", "setpriority"):  # record instead of calling
        monkeypatch.setattr(os, name, lambda *a, name=name: calls.append(name), raising=False)
    monkeypatch.setattr(sys, "platform", platform)
    assert set_realtime() is False
    assert raise_priority(group=True) is False
    assert calls == []
    monkeypatch.setattr(sys, "platform", "linux")  # the same recorders are reached on Linux
    set_realtime()
    raise_priority()
    assert calls == ["sched_setscheduler", "setpriority"]
