"""Training never destroys a model: runs go to their own folder, a folder holding files is
refused without --force, a corpus too small for one batch is refused before training,
Ctrl-C keeps the best checkpoint and says where, and --resume goes on where a run stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import load_file

import engines
from engines.corpus import Corpus
from engines.notes import NOTE_ON_BASE, Note, write_midi
from engines.runs import STATE_FILE, prepare_out

ROOT = Path(__file__).resolve().parent.parent


def scales(n: int = 60) -> Corpus:
    """Scales up and down on eighth notes in random keys."""
    rng = np.random.default_rng(0)
    steps = [0, 2, 4, 5, 7, 9, 11, 12]
    tunes = []
    for _ in range(n):
        root = 55 + int(rng.integers(0, 12))
        pitches = [root + s for s in steps + steps[::-1]]
        tunes.append(np.array([t for p in pitches for t in (NOTE_ON_BASE + p, 0)], np.uint8))
    return Corpus.from_tunes([f"scale-{i}" for i in range(n)], tunes)


def melodies(n: int = 120) -> Corpus:
    """Random melodies of four bars (many distinct two-bar slices)."""
    rng = np.random.default_rng(1)
    tunes = []
    for _ in range(n):
        pitches = rng.integers(55, 80, size=32)
        tunes.append(np.array([t for p in pitches for t in (NOTE_ON_BASE + p, 0)], np.uint8))
    return Corpus.from_tunes([f"melody-{i}" for i in range(n)], tunes)


def stop_after(count: int):
    """A callback that presses Ctrl-C (raises KeyboardInterrupt) on its ``count``-th call."""
    calls = []

    def callback(*_: object) -> None:
        calls.append(1)
        if len(calls) == count:
            raise KeyboardInterrupt

    return callback


def state(folder: Path) -> dict[str, torch.Tensor]:
    return load_file(str(folder / STATE_FILE))


def same_tensors(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], prefix: str) -> bool:
    keys = [k for k in a if k.startswith(prefix)]
    return bool(keys) and all(torch.equal(a[k], b[k]) for k in keys)


# --- where runs go ----------------------------------------------------------------------------


def test_out_folders_are_never_an_existing_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRIDGE_RUNS", str(tmp_path / "runs"))
    first = prepare_out("rnn", None)
    assert first.parent == tmp_path / "runs" and first.name.startswith("rnn-")
    first.mkdir(parents=True)
    (first / "model.safetensors").write_bytes(b"x")
    assert prepare_out("rnn", None) != first
    with pytest.raises(ValueError, match=r"already holds files.*--resume.*--force"):
        prepare_out("rnn", first)
    assert prepare_out("rnn", first, force=True) == first
    with pytest.raises(ValueError, match="no training_state.safetensors"):
        prepare_out("rnn", None, resume=first)
    with pytest.raises(ValueError, match="--init .* is the run's source"):
        prepare_out("rnn", first, force=True, init=first)
    assert prepare_out("rnn", tmp_path / "empty") == tmp_path / "empty"


def test_the_shipped_checkpoints_are_refused_without_force() -> None:
    for name in ("rnn", "vae", "gan"):
        with pytest.raises(ValueError, match="already holds files"):
            prepare_out(name, engines.default_checkpoint(name))


# --- a corpus too small -------------------------------------------------------------------


def test_a_corpus_smaller_than_one_batch_is_refused_before_training(tmp_path: Path) -> None:
    from engines.rnn.model import RnnConfig
    from engines.rnn.train import TrainOptions, train_rnn

    corpus = scales(20)
    with pytest.raises(ValueError) as info:
        train_rnn(corpus, tmp_path / "out", RnnConfig(embed=8, hidden=16, layers=1),
                  TrainOptions(epochs=1), device="cpu", progress=False)  # fmt: skip
    message = str(info.value)
    assert f"holds {len(corpus.tokens):,} tokens in 20 tunes" in message
    assert "32 x 256 needs 8,192" in message and "--batch-size" in message
    assert not (tmp_path / "out").exists(), "nothing is written"


def test_vae_refuses_a_corpus_smaller_than_one_batch(tmp_path: Path) -> None:
    from engines.vae.config import TrainOptions, VaeConfig
    from engines.vae.train import train_vae

    with pytest.raises(ValueError, match=r"one batch needs 64 train slices.*--batch-size"):
        train_vae(melodies(6), tmp_path / "v", VaeConfig(latent=4), TrainOptions(), "cpu", False)
    assert not (tmp_path / "v").exists()


# --- Ctrl-C and --resume ------------------------------------------------------------------


def test_rnn_resume_goes_on_exactly_where_the_run_stopped(tmp_path: Path) -> None:
    from engines.rnn.model import RnnConfig
    from engines.rnn.train import TrainOptions, train_rnn

    corpus, config = scales(), RnnConfig(embed=8, hidden=16, layers=1)
    options = TrainOptions(epochs=3, batch_size=4, seq_len=16, lr=1e-2, threads=1)
    whole = train_rnn(corpus, tmp_path / "whole", config, options, "cpu", False)
    assert not whole["interrupted"] and len(whole["epochs"]) == 3

    cut = train_rnn(corpus, tmp_path / "cut", config, options, "cpu", False, stop_after(1))
    assert cut["interrupted"] and [e["epoch"] for e in cut["epochs"]] == [1]
    assert (tmp_path / "cut" / "model.safetensors").is_file(), "the best so far is kept"
    steps_per_epoch = int(state(tmp_path / "whole")["optim.opt.0.step"]) // 3
    assert int(state(tmp_path / "cut")["optim.opt.0.step"]) == steps_per_epoch

    resumed = train_rnn(corpus, tmp_path / "cut", config, options, "cpu", False, resume=True)
    assert [e["epoch"] for e in resumed["epochs"]] == [1, 2, 3]
    a, b = state(tmp_path / "whole"), state(tmp_path / "cut")
    assert int(b["optim.opt.0.step"]) == int(a["optim.opt.0.step"]) == 3 * steps_per_epoch
    assert same_tensors(a, b, "module.model."), "resumed weights equal the unbroken run's"
    assert same_tensors(a, b, "optim.opt.")
    losses = [e["valid_nll_per_step"] for e in resumed["epochs"]]
    assert losses == [e["valid_nll_per_step"] for e in whole["epochs"]]
    with pytest.raises(ValueError, match="other options"):
        train_rnn(corpus, tmp_path / "cut", config, replace(options, epochs=4), "cpu", False,
                  resume=True)  # fmt: skip


def test_ctrl_c_before_the_first_checkpoint_saves_nothing(tmp_path: Path) -> None:
    from engines.rnn.model import RnnConfig
    from engines.rnn.train import TrainOptions, train_rnn

    options = TrainOptions(epochs=2, batch_size=4, seq_len=16, threads=1)
    calls = []

    def press(entry: dict) -> None:
        raise KeyboardInterrupt

    record = train_rnn(scales(), tmp_path / "o", RnnConfig(embed=8, hidden=16, layers=1),
                       options, "cpu", False, press)  # fmt: skip
    assert record["interrupted"] and not calls
    assert record["best_epoch"] == 1  # the epoch ended before the callback: it was kept


def test_vae_resume_goes_on_from_the_saved_epoch(tmp_path: Path) -> None:
    from engines.vae.config import TrainOptions, VaeConfig
    from engines.vae.engine import VaeEngine
    from engines.vae.train import train_vae

    config = VaeConfig(embed=8, enc_hidden=16, latent=8, dec_hidden=16, dec_layers=1)
    options = TrainOptions(epochs=2, batch_size=16, eval_every=1000, warmup_steps=2,
                           attribute_limit=100, threads=1)  # fmt: skip
    corpus = melodies()
    whole = train_vae(corpus, tmp_path / "whole", config, options, "cpu", False)
    cut = train_vae(corpus, tmp_path / "cut", config, options, "cpu", False,
                    on_epoch=stop_after(1))  # fmt: skip
    assert cut["interrupted"] and len(cut["evals"]) == 1
    # the checkpoint kept at Ctrl-C is whole: it has its attribute vectors
    assert VaeEngine.load(tmp_path / "cut", "cpu").attributes
    resumed = train_vae(corpus, tmp_path / "cut", config, options, "cpu", False, resume=True)
    assert [e["step"] for e in resumed["evals"]] == [e["step"] for e in whole["evals"]]
    a, b = state(tmp_path / "whole"), state(tmp_path / "cut")
    assert int(a["optim.opt.0.step"]) == int(b["optim.opt.0.step"]) == whole["evals"][-1]["step"]
    assert same_tensors(a, b, "module.model.")


def test_gan_resume_goes_on_from_the_saved_step(tmp_path: Path) -> None:
    from engines.gan.train import TrainOptions, train_gan
    from tests.test_gan import TINY, toy_corpus

    options = TrainOptions(steps=6, batch_size=8, eval_every=2, eval_bars=20, threads=1)
    train_gan(toy_corpus(), tmp_path / "whole", TINY, options, "cpu", False)
    cut = train_gan(toy_corpus(), tmp_path / "cut", TINY, options, "cpu", False,
                    on_eval=stop_after(2))  # fmt: skip
    assert cut["interrupted"] and int(state(tmp_path / "cut")["optim.gen.0.step"]) == 2
    resumed = train_gan(toy_corpus(), tmp_path / "cut", TINY, options, "cpu", False, resume=True)
    assert resumed["steps_run"] == 6 and [e["step"] for e in resumed["evals"]] == [2, 4, 6]
    a, b = state(tmp_path / "whole"), state(tmp_path / "cut")
    for name in ("gen", "disc"):
        assert int(a[f"optim.{name}.0.step"]) == int(b[f"optim.{name}.0.step"]) == 6
    assert same_tensors(a, b, "module.gen.") and same_tensors(a, b, "module.disc.")


# --- the command line ---------------------------------------------------------------------


def _midi_corpus(folder: Path, n: int = 40) -> Path:
    folder.mkdir(parents=True)
    for k in range(n):
        write_midi([Note(60 + (i * (k + 2)) % 12, i * 0.5, 0.5) for i in range(32)],
                   folder / f"t{k}.mid")  # fmt: skip
    return folder


TINY_RNN = ["--embed", "8", "--hidden", "16", "--layers", "1", "--batch-size", "2",
            "--seq-len", "16", "--threads", "1", "--device", "cpu"]  # fmt: skip


def test_train_rnn_writes_a_new_run_folder_and_refuses_to_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engines.rnn.cli import train

    monkeypatch.setenv("BRIDGE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("BRIDGE_CACHE", str(tmp_path / "cache"))
    shipped = engines.default_checkpoint("rnn") / "model.safetensors"
    before = shipped.stat().st_mtime_ns
    corpus = str(_midi_corpus(tmp_path / "mel"))
    done = CliRunner().invoke(train, ["--corpus", corpus, "--epochs", "1", *TINY_RNN])
    assert done.exit_code == 0, done.output
    (run,) = (tmp_path / "runs").iterdir()
    assert f"training into {run}" in done.output.splitlines()[0]
    assert (run / "model.safetensors").is_file() and (run / STATE_FILE).is_file()
    assert shipped.stat().st_mtime_ns == before
    again = CliRunner().invoke(train, ["--corpus", corpus, "--out", str(run), *TINY_RNN])
    assert again.exit_code == 1 and "--force" in again.output
    # --resume goes on with the run's own options: it refuses new ones
    bad = CliRunner().invoke(train, ["--resume", str(run), "--hidden", "32"])
    assert bad.exit_code == 2 and "drop --hidden" in bad.output
    more = CliRunner().invoke(train, ["--resume", str(run), "--threads", "1"])
    assert more.exit_code == 0 and "resuming the run in" in more.output
    small = CliRunner().invoke(train, ["--corpus", corpus, "--out", str(tmp_path / "s"),
                                       "--hidden", "16", "--embed", "8"])  # fmt: skip
    assert small.exit_code == 1 and "one batch of 32 x 256 needs 8,192" in small.output
    assert not (tmp_path / "s").exists()


def test_ctrl_c_during_training_says_where_the_best_checkpoint_is(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BRIDGE_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "run"
    corpus = _midi_corpus(tmp_path / "mel")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bridge", "train", "rnn", "--corpus", str(corpus), "--out",
         str(out), "--epochs", "100000", *TINY_RNN],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not (out / STATE_FILE).is_file() and proc.poll() is None:
            assert time.monotonic() < deadline, "no epoch finished in 5 minutes"
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert f"the best checkpoint so far is in {out}" in stderr
    assert f"--resume {out}" in stderr and "Traceback" not in stderr
    assert engines.load_engine(out, "cpu").name == "rnn"
