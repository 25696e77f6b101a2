"""The latency statistics, ``bridge bench --only rnn-step`` on a tiny RNN, and every engine
verb's loopback entry (``<engine>-<verb>``, from the registry) on the tiny engines."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from bridge.bench.verbs import bar_verdict, request_figures, verb_entries
from bridge.cli.main import main
from bridge.stats import percentile, summarize


def test_summarize_agrees_with_numpy():
    x = np.random.default_rng(0).exponential(2.0, size=301)
    s = summarize(list(x))
    assert s["n"] == 301
    assert s["median_ms"] == pytest.approx(np.median(x))
    assert s["p99_ms"] == pytest.approx(np.percentile(x, 99))
    assert s["mean_ms"] == pytest.approx(x.mean())
    assert s["max_ms"] == pytest.approx(x.max())


def test_summarize_edge_cases():
    assert summarize([3.0])["p99_ms"] == 3.0
    empty = summarize([])
    assert empty["n"] == 0 and math.isnan(empty["median_ms"])
    assert percentile([1.0, 2.0], 50) == 1.5


def checkpoint_args(tiny_checkpoints: dict[str, Path]) -> list[str]:
    return [a for name, folder in tiny_checkpoints.items() for a in (f"--{name}", str(folder))]


def test_bench_rnn_step_times_single_steps_and_restores_threads(
    tmp_path: Path, tiny_checkpoints: dict[str, Path]
):
    out = tmp_path / "bench.json"
    args = ["bench", "--only", "rnn-step", "-n", "50", "--json", str(out), "--device", "cpu",
            *checkpoint_args(tiny_checkpoints)]  # fmt: skip
    threads = torch.get_num_threads()
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert torch.get_num_threads() == threads
    r = json.loads(out.read_text())["rnn-step"]
    assert r["n"] == 50 and r["threads"] == 1
    assert 0 < r["median_ms"] <= r["p99_ms"] <= r["max_ms"]
    assert "bar p99 <= 1 ms: " in result.output  # the README's bar, met or not, beside it
    # No benchmark runs zero times: the command refuses -n 0 before loading anything.
    refused = CliRunner().invoke(main, ["bench", "--only", "rnn-step", "-n", "0"])
    assert refused.exit_code == 2 and "-n" in refused.output


def test_every_verb_with_a_bench_request_has_an_entry():
    entries = verb_entries()
    # the historical names stay (docs/bench.json, the README's Speed table)
    assert {"rnn-continue", "vae-interpolate", "gan-bars"} <= set(entries)
    for name, (engine, verb) in entries.items():
        assert name == f"{engine}-{verb.name}" and verb.bench
    assert request_figures(entries["rnn-continue"][1]) == {"steps": 32, "notes": 8}


def test_bench_verb_entries_run_through_a_daemon(tmp_path: Path, tiny_checkpoints: dict[str, Path]):
    out = tmp_path / "bench.json"
    names = ",".join(verb_entries())
    args = ["bench", "--only", names, "-n", "3", "--json", str(out), "--device", "cpu",
            *checkpoint_args(tiny_checkpoints)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    measured = {name for name in verb_entries() if "skipped" not in report[name]}
    assert measured == set(verb_entries())
    for name in measured:
        figures = report[name]
        assert figures["n"] == 3 and figures["threads"] == 1, name
        assert 0 < figures["median_ms"] <= figures["p99_ms"] <= figures["max_ms"], name
        assert name in result.output
    assert report["vae-sample"]["request"] == {"n": 4}
    assert report["vae-interpolate"]["points"] == 8 and report["gan-bars"]["bars"] == 8
    assert report["rnn-continue"]["steps"] == 32
    assert "gan-bars" in result.output and "bar p99 <= 30 ms: " in result.output
    # every figure is marked against its bar, or said to have none; progress is on stderr
    lines = [x for x in result.stdout.splitlines() if x.split(" ", 1)[0] in measured]
    assert len(lines) == len(measured) and all("   bar " in x for x in lines), lines
    assert any("bar none (no README bar)" in x for x in lines)
    assert "benchmark" in result.stderr and "rnn-continue" not in result.stderr.split("bench")[0]
    unknown = CliRunner().invoke(main, ["bench", "--only", "rnn-nothing", "--device", "cpu",
                                        *checkpoint_args(tiny_checkpoints)])  # fmt: skip
    assert unknown.exit_code == 2 and "rnn-continue" in unknown.output


def test_bar_verdict():
    assert bar_verdict("gan-bars", {"p99_ms": 29.0}) == "p99 <= 30 ms: met"
    assert bar_verdict("gan-bars", {"p99_ms": 31.0}) == "p99 <= 30 ms: NOT MET"
    assert bar_verdict("stream-load", {"over_5ms": 2}) == "none over 5 ms: NOT MET"
    assert bar_verdict("vae-sample", {"p99_ms": 1.0}) == ""
    lost = {"p99_ms": 0.01, "lost": 3}
    assert bar_verdict("stream-midi", lost) == "p99 <= 2 ms: NOT MET (3 lost)"


def test_time_left_counts_the_whole_run_and_a_budget_caps_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from engines import progress

    monkeypatch.setattr(progress.time, "monotonic", lambda: 1000.0 + 90)  # 90 s in
    assert progress.time_left(1000.0, 0, 10) == "?"
    assert progress.time_left(1000.0, 30, 100) == "3:30"  # 3 s a step, 70 steps to go
    assert progress.time_left(1000.0, 9, 4009) == "11:06:40"  # 10 s a step, 4000 to go
    assert progress.time_left(1000.0, 30, 100, max_minutes=2) == "0:30"


def test_midi_matching_follows_the_outputs_note_counting_and_finds_lost_messages():
    from bridge.bench.live import MidiRecorder, _midi_late_ms
    from bridge.live.scheduler import PlayedNote

    rec = MidiRecorder()
    a = PlayedNote("s", 60, 90, on_time=1.0, off_time=2.0, channel=2)
    b = PlayedNote("s", 60, 90, on_time=1.5, off_time=3.0, channel=2)  # overlaps a
    c = PlayedNote("s", 62, 90, on_time=2.0, off_time=9.0, channel=1)
    rec.note_on(a, 1.0)
    rec.note_on(b, 1.5)
    rec.note_off(a, 2.0)  # b still sounds: the output sends no note-off
    rec.note_on(c, 2.0)
    rec.note_off(b, 3.0)
    rec.note_off(c, 4.0)  # ended early by a stop: not measured
    assert rec.expected() == [(0x91, 60, 1.0), (0x91, 60, 1.5), (0x90, 62, 2.0),
                              (0x81, 60, 3.0), (0x80, 62, None)]  # fmt: skip
    arrivals = [(1.001, [0x91, 60, 90]), (1.502, [0x91, 60, 90]), (3.004, [0x91, 60, 0]),
                (4.0, [0x80, 62, 0]), (5.0, [0xB1, 123, 0])]  # fmt: skip
    late, lost = _midi_late_ms(rec.expected(), arrivals)
    assert lost == 1  # the note-on of 62 never came
    assert late == pytest.approx([1.0, 2.0, 4.0])  # velocity-0 note-on read as note-off
    late, _ = _midi_late_ms(rec.expected(), arrivals, channels={1}, since=1.2)
    assert late == pytest.approx([2.0, 4.0])
    # a lost message does not shift the pairs after it
    again = [(0x90, 60, 1.0), (0x90, 60, 5.0), (0x90, 60, 9.0)]
    late, lost = _midi_late_ms(again, [(5.001, [0x90, 60, 9]), (9.002, [0x90, 60, 9])])
    assert lost == 1 and late == pytest.approx([1.0, 2.0])
