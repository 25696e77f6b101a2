"""Training the perf engine: one process, and two under torchrun reaching the same losses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from perf_corpus import write_corpus
from safetensors.numpy import load_file

ROOT = Path(__file__).resolve().parent.parent
TINY = [
    "--embed",
    "16",
    "--hidden",
    "32",
    "--layers",
    "1",
    "--dropout",
    "0",
    "--steps",
    "8",
    "--batch-size",
    "8",
    "--seq-len",
    "64",
    "--lr",
    "0.01",
    "--warmup",
    "1",
    "--eval-every",
    "4",
    "--seed",
    "3",
    "--device",
    "cpu",
]
# two processes average their half-batches' gradients: the same update as one process's
# whole batch, up to float rounding in a different order of summation
TOLERANCE = 1e-4


def run(args: list[str], cache: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BRIDGE_CACHE": str(cache),
        "OMP_NUM_THREADS": "1",
    }
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("perf-midi"))


def test_train_needs_an_out_folder(corpus: Path, tmp_path: Path) -> None:
    done = run(
        [sys.executable, "-m", "bridge", "train", "perf", "--corpus", str(corpus), *TINY], tmp_path
    )
    assert done.returncode != 0
    assert "--out" in done.stderr


def test_two_processes_reach_the_losses_of_one(corpus: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    train = ["-m", "bridge", "train", "perf", "--corpus", str(corpus), *TINY]
    single = run([sys.executable, *train, "--out", str(one)], tmp_path / "cache")
    assert single.returncode == 0, single.stderr[-2000:]
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
    ]
    double = run([*torchrun, *train, "--out", str(two)], tmp_path / "cache")
    assert double.returncode == 0, double.stderr[-2000:]
    rec1 = json.loads((one / "config.json").read_text())["extra"]["training"]
    rec2 = json.loads((two / "config.json").read_text())["extra"]["training"]
    assert rec1["processes"] == 1 and rec2["processes"] == 2
    assert len(rec1["losses"]) == len(rec2["losses"]) == 8
    assert rec1["losses"][-1] < rec1["losses"][0]  # it learned something
    np.testing.assert_allclose(rec2["losses"], rec1["losses"], rtol=TOLERANCE)
    w1, w2 = load_file(str(one / "model.safetensors")), load_file(str(two / "model.safetensors"))
    assert w1.keys() == w2.keys()
    for k in w1:
        np.testing.assert_allclose(w2[k], w1[k], atol=TOLERANCE)
    # rank 0 alone wrote the checkpoint, and only where asked
    assert sorted(p.name for p in two.iterdir()) == ["config.json", "model.safetensors"]
