"""The command line: `bridge serve` as a real subprocess, `send` and `generate` end to end."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from clients import bridge_command

from bridge.cli.addresses import full_table
from bridge.cli.main import auto_type, format_osc, main
from engines.base import weights_hash
from engines.notes import Note, read_midi, write_midi

STARTUP = 90.0  # importing torch on two busy cores can take a while
LISTENING = re.compile(r"bridge listening on 127\.0\.0\.1:(\d+)(?: with .+)?")


class Output:
    """A subprocess's stdout lines, read on a thread so the test can wait with a deadline."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.cond = threading.Condition()
        self.proc = proc
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    if m := pattern.fullmatch(line):
                        return m
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    pytest.fail("no listening line; output:\n" + "\n".join(self.lines[-40:]))
                self.cond.wait(min(left, 0.5))


@pytest.fixture
def served(tiny_rnn_checkpoint: Path) -> Iterator[tuple[subprocess.Popen[str], int, Output]]:
    cmd = bridge_command("serve", "--port", "0", "--device", "cpu")
    cmd += ["--rnn", str(tiny_rnn_checkpoint)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out = Output(proc)
        port = int(out.wait_for(LISTENING, STARTUP).group(1))
        yield proc, port, out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run_send(port: int, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = bridge_command("send", "--port", str(port), "--timeout", "0.5", *args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_serve_send_and_sigterm(
    served: tuple[subprocess.Popen[str], int, Output], tiny_rnn_checkpoint: Path
) -> None:
    proc, port, out = served
    # the listening line names the checkpoint served; the address table is printed on request
    folder = tiny_rnn_checkpoint
    line = next(x for x in out.lines if LISTENING.fullmatch(x))
    assert " with " in line and f"rnn ({folder.name}, {weights_hash(folder)})" in line, line
    assert not any("/bridge/rnn/continue" in x for x in out.lines)

    ping = run_send(port, "/bridge/ping", "1")
    assert ping.returncode == 0, ping.stderr
    assert re.fullmatch(r"/bridge/pong 1 1 \S+\n", ping.stdout)

    cont = run_send(
        port, "/bridge/rnn/continue", "2", "steps", "16", "notes", "60", "0", "1.5", "100"
    )
    assert cont.returncode == 0, cont.stderr
    assert cont.stdout.startswith("/bridge/reply/rnn/continue 2 ")
    assert len(cont.stdout.split()) % 4 == 2  # address, id, then quadruples

    bad = run_send(port, "/bridge/rnn/continue", "3", "temperature", "-1")
    assert bad.returncode != 0
    assert bad.stdout == '/bridge/error 3 /bridge/rnn/continue "temperature must be > 0, got -1"\n'

    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(5) == 0
    assert time.monotonic() - began < 1.0, "bridge serve took over a second to stop"


def test_serve_refuses_a_port_in_use(tiny_rnn_checkpoint: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        port = taken.getsockname()[1]
        result = CliRunner().invoke(
            main,
            ["serve", "--port", str(port), "--device", "cpu", "--rnn", str(tiny_rnn_checkpoint)],
        )
    assert result.exit_code != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.output


def test_the_address_table_is_printed_on_request() -> None:
    table = CliRunner().invoke(main, ["addresses"])
    assert table.exit_code == 0, table.output
    assert table.output == full_table()
    for address in ("/bridge/ping", "/bridge/rnn/continue", "/bridge/rnn/stream/start"):
        assert f"### `{address}`" in table.output
    served = CliRunner().invoke(main, ["serve", "--addresses", "--port", "1"])
    assert served.exit_code == 0 and served.output == table.output  # printed, nothing served


def test_serve_help_says_when_to_use_0000() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "0.0.0.0" in result.output and "--rnn" in result.output


def test_send_without_a_server_fails() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # a port that receives but never answers
        port = silent.getsockname()[1]
        result = CliRunner().invoke(
            main, ["send", "--port", str(port), "--timeout", "0.2", "/bridge/ping", "1"]
        )
    assert result.exit_code != 0
    assert "no reply" in result.output


def test_send_rejects_a_non_address() -> None:
    result = CliRunner().invoke(main, ["send", "bridge/ping", "1"])
    assert result.exit_code != 0 and "starts with '/'" in result.output


def test_auto_type_and_format() -> None:
    assert [auto_type(a) for a in ["1", "-2", "0.5", "-1e3", "notes", "C#"]] == [
        1,
        -2,
        0.5,
        -1000.0,
        "notes",
        "C#",
    ]
    line = format_osc("/bridge/error", [3, "/x", "bad thing", 0.10000000149011612, 0.0, ""])
    assert line == '/bridge/error 3 /x "bad thing" 0.1 0.0 ""'


def write_primer(path: Path) -> list[Note]:
    notes = [Note(60, 0.0, 1.0, 80), Note(64, 1.0, 1.0, 80), Note(67, 2.0, 0.5, 80)]
    write_midi(notes, path)
    return notes


def test_generate_rnn_writes_primer_then_continuation(
    tmp_path: Path, tiny_rnn_checkpoint: Path, tiny_rnn: Any
) -> None:
    primer = write_primer(tmp_path / "primer.mid")
    out = tmp_path / "out.mid"
    args = [
        "generate",
        "rnn",
        "--primer",
        str(tmp_path / "primer.mid"),
        "-o",
        str(out),
        "--steps",
        "64",
        "--seed",
        "7",
        "--checkpoint",
        str(tiny_rnn_checkpoint),
        "--device",
        "cpu",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    notes = read_midi(out)
    assert notes[: len(primer)] == primer
    # The continuation starts after the primer's bar (4 beats) and is the engine's, shifted.
    expected = tiny_rnn.continue_(primer, steps=64, seed=7)
    new = notes[len(primer) :]
    assert expected and len(new) == len(expected)
    for got, want in zip(new, expected, strict=True):
        assert got.pitch == want.pitch and got.velocity == want.velocity == 80
        assert got.start == pytest.approx(want.start + 4.0)
    assert f"wrote 3 primer notes and {len(expected)} new notes" in result.output


def test_generate_rnn_bad_input_is_a_clean_error(tmp_path: Path, tiny_rnn_checkpoint: Path) -> None:
    base = [
        "generate",
        "rnn",
        "-o",
        str(tmp_path / "o.mid"),
        "--checkpoint",
        str(tiny_rnn_checkpoint),
        "--device",
        "cpu",
    ]
    result = CliRunner().invoke(main, [*base, "--temperature", "-1"])
    assert result.exit_code == 1
    assert "Error: temperature must be > 0, got -1" in result.output
    (tmp_path / "junk.mid").write_bytes(b"not midi")
    result = CliRunner().invoke(main, [*base, "--primer", str(tmp_path / "junk.mid")])
    assert result.exit_code == 1 and "cannot read MIDI file" in result.output
    assert not (tmp_path / "o.mid").exists()


def test_console_script_runs_the_same_group_as_python_m_bridge() -> None:
    # The tests run `python -m bridge`; this keeps pyproject's `bridge` script pointing at it.
    import importlib

    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    entry = re.search(r'^bridge = "([\w.]+):(\w+)"$', pyproject, re.MULTILINE)
    assert entry is not None, "no bridge console script in pyproject.toml"
    assert getattr(importlib.import_module(entry.group(1)), entry.group(2)) is main


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--engines", "rnn,nope"], "--engines: unknown engine 'nope'; engines: "),
        (["--engines", ","], "--engines: no engine; engines: "),
        (["--checkpoint", "nope=/tmp"], "give ENGINE=FOLDER with ENGINE one of "),
        (["--checkpoint", "rnn"], "give ENGINE=FOLDER"),
        (["--checkpoint", "rnn=/no/such/folder"], "no folder /no/such/folder"),
        (["--engines", "gan", "--checkpoint", "rnn=."], "checkpoint is given for rnn, not in"),
    ],
)
def test_serve_engine_options_are_checked_before_loading(args: list[str], words: str) -> None:
    import engines

    result = CliRunner().invoke(main, ["serve", "--port", "0", *args])
    assert result.exit_code == 2 and words in result.output
    if "engines: " in words:
        assert ", ".join(sorted(engines.ENGINES)) in result.output


def test_serve_a_subset_of_engines_with_a_checkpoint_option(tiny_rnn_checkpoint: Path) -> None:
    from bridge.cli.common import load_engines
    from bridge.cli.main import parse_checkpoints, parse_engine_names

    names = parse_engine_names("rnn")
    checkpoints = parse_checkpoints((f"rnn={tiny_rnn_checkpoint}",), {"rnn": None})
    served = load_engines({"rnn": None, **checkpoints}, "cpu", names)
    assert list(served) == ["rnn"]  # the shipped vae and gan are left out
    assert served["rnn"].folder == tiny_rnn_checkpoint.resolve()
