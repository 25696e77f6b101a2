"""Training the bar GAN: non-saturating loss with the stabilisers documented in model.py.

Each step:

- discriminator: real bars (target 0.9, one-sided label smoothing: only the real side is
  smoothed, so the discriminator is never rewarded for calling fakes a little real),
  generated bars (target 0), and real bars under the wrong chords (target 0, the
  "matching-aware" discriminator of GAN-CLS, Reed et al. 2016): without them the
  discriminator can judge a bar's realness while ignoring its chords;
- generator: the non-saturating loss plus feature matching, the squared distance between
  the discriminator's mean features on real and generated bars of the batch (MidiNet; it
  gives the generator a target that moves slowly, which counters mode collapse), plus the
  mode-seeking term of MSGAN (Mao et al. 2019): each condition is generated from two noise
  draws and the generator is penalised when the two bars barely differ. Without it the
  generator learned to ignore its noise: the same chord and bar before gave nearly the
  same bar whatever the seed. And MidiNet's first-level matching: the batch mean of the
  critic's per-step description of the bar (register, note starts, pitch class relative
  to the chord, melodic interval) is matched to the real batch's. With the adversarial
  loss alone the generator settled on long chord tones, too few pitch classes and no
  passing notes. The same matching for the first note of each bar alone (its interval from
  the last note of the bar before): matched only within the mean over all steps, the
  generator kept leaping across the bar line, 3.7 semitones on average against 1.9.

By default the discriminator sees the generator's pitch softmax and hard (straight-through)
onset bits. Three runs on the full corpus, best valid-split score (``evaluate.score``,
lower is better) within their first 6,000 steps: straight-through one-hot pitches 0.99
(the generator kept two-octave leaps and stray rests: the gradient through an argmax
barely moves a note once placed), softmax pitches with sigmoid onsets 0.81 (44% of note
starts were re-strikes of the same pitch, 13% in the chorales), softmax pitches with
straight-through onsets 0.68.

Examples are transposed into all 12 keys (a random key per example per step, the melody,
the previous bar and the chords together). Every ``eval_every`` steps the generator is
measured on the valid split (engines.gan.evaluate) and the best checkpoint is kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from engines.gan.data import REST, BarCorpus, BarExamples, transpose_examples
from engines.gan.engine import GanEngine
from engines.gan.evaluate import evaluate, histogram_distance, score
from engines.gan.model import INTERVALS, STEPS, GanConfig, bar_image, soft_bar_image
from engines.runs import resume_run, save_run, seed_run, update_record

log = logging.getLogger(__name__)
CONDITIONS = ("chords", "prev_rows", "prev_onset")


@dataclass(frozen=True)
class TrainOptions:
    steps: int = 20_000
    batch_size: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    real_label: float = 0.9  # one-sided label smoothing
    feature_matching: float = 1.0  # weight of the feature-matching term for the generator
    wrong_chord: float = 0.5  # weight of real-bars-under-wrong-chords for the discriminator
    mode_seeking: float = 0.05  # weight of the MSGAN diversity term for the generator
    input_matching: float = 10.0  # weight of matching the critic's mean per-step input
    bar_line_matching: float = 10.0  # weight of matching the mean step across the bar line
    straight_through: bool = False  # the critic sees hard one-hot bars, not softmax outputs
    seed: int = 0
    eval_every: int = 1000
    eval_bars: int = 400
    max_minutes: float | None = None  # stop early (keeping the best checkpoint) after this
    threads: int | None = None


def batch_tensors(
    ex: BarExamples, config: GanConfig, device: torch.device
) -> dict[str, torch.Tensor]:
    """Examples (already in range) -> long row indices, onset bits and chords on device."""

    def rows(p: np.ndarray) -> torch.Tensor:
        r = np.where(p == REST, config.rest, p.astype(np.int64) - config.low)
        return torch.as_tensor(r, dtype=torch.long, device=device)

    return {
        "rows": rows(ex.pitch),
        "onset": torch.as_tensor(ex.onset, dtype=torch.bool, device=device),
        "prev_rows": rows(ex.prev_pitch),
        "prev_onset": torch.as_tensor(ex.prev_onset, dtype=torch.bool, device=device),
        "chords": torch.as_tensor(ex.chord.astype(np.int64), device=device),
    }


def sample_batch(
    ex: BarExamples, config: GanConfig, batch_size: int, rng: np.random.Generator
) -> BarExamples:
    """A random batch, each example in a random key (all 12), kept inside the pitch range."""
    idx = rng.integers(0, len(ex), size=batch_size * 2)
    shifted, ok = transpose_examples(
        ex.take(idx), rng.integers(-6, 6, size=len(idx)), config.low, config.high
    )
    keep = np.flatnonzero(ok)[:batch_size]
    return shifted.take(keep)


def outputs(
    gen: torch.nn.Module,
    pitch_logits: torch.Tensor,
    onset_logits: torch.Tensor,
    options: TrainOptions,
) -> tuple[torch.Tensor, torch.Tensor]:
    """What the critic sees of a generated bar: straight-through one-hots, or the softmax
    (MidiNet's and MuseGAN's choice) when ``straight_through`` is off. Onset bits are
    always straight-through (hard forward): a soft onset of 0.3 looked to the critic like
    a faint re-strike, and decoding made it a full one or none."""
    rows, onset = gen.hard(pitch_logits, onset_logits)  # type: ignore[operator]
    if options.straight_through:
        return rows, onset
    return pitch_logits.softmax(-1), onset


def bar_line(features: torch.Tensor, config: GanConfig) -> torch.Tensor:
    """The critic's per-step features of a bar [B, 16, F] -> the melodic features at its
    first note start [B, M] (the interval from the last note of the bar before, as a soft
    one-hot and in octaves; zeros for a bar without a note)."""
    starts = features[..., config.rows].detach() > 0.5  # the note-start column
    first = starts & (starts.long().cumsum(1) == 1)
    leap = features[..., -(len(INTERVALS) + 2) :]  # see Discriminator.melodic
    return (leap * first[..., None]).sum(1)


def train_gan(
    corpus: BarCorpus,
    out: str | Path,
    config: GanConfig | None = None,
    options: TrainOptions | None = None,
    device: str = "auto",
    progress: bool = True,
    on_eval: Callable[[dict], None] | None = None,
    resume: bool = False,
    command: dict | None = None,
) -> dict:
    """Train on the corpus's train split; keep the best checkpoint (by the valid-split
    evaluation score) in ``out``. Returns the training record (also in config.json).

    At every evaluation the training state is saved beside the checkpoint; ``resume`` goes
    on from there (same config and options; ``command``, the command line's options, is
    kept for ``--resume``). Ctrl-C ends the run cleanly, the record says ``interrupted``."""
    from tqdm import tqdm

    config = config or GanConfig()
    options = options or TrainOptions()
    rng = seed_run(options.seed, options.threads)
    train = corpus.examples("train")
    if len(train) == 0:
        raise ValueError("no training bars with chords in the train split")
    eval_split = "valid" if len(corpus.examples("valid")) else "train"
    engine = GanEngine.from_config(config, device, seed=options.seed)
    gen, disc = engine.model.generator, engine.model.discriminator
    dev = engine.device
    opt_g = torch.optim.Adam(gen.parameters(), lr=options.lr_g, betas=(options.beta1, 0.999))
    opt_d = torch.optim.Adam(disc.parameters(), lr=options.lr_d, betas=(options.beta1, 0.999))
    bce = F.binary_cross_entropy_with_logits
    record: dict = {
        "train_examples": len(train),
        "pieces": len(corpus),
        "options": asdict(options),
        "evals": [],
    }
    best, first, seconds_before = float("inf"), 0, 0.0
    run_d = run_g = 0.0
    modules, optimizers = {"gen": gen, "disc": disc}, {"gen": opt_g, "disc": opt_d}
    if resume:
        state = resume_run(Path(out), modules, optimizers, rng, asdict(config), asdict(options))
        record, best, first = state["record"], state["best"], state["step"]
        run_d, run_g, seconds_before = state["run_d"], state["run_g"], state["seconds"]
        record["options"] = asdict(options)
    start = time.monotonic() - seconds_before
    record["interrupted"] = False
    step = first
    bar = tqdm(range(first, options.steps), desc="training gan", disable=not progress,
               initial=first, total=options.steps)  # fmt: skip
    try:
        for step in bar:
            engine.model.train()
            b = batch_tensors(sample_batch(train, config, options.batch_size, rng), config, dev)
            n = len(b["rows"])
            real = bar_image(b["rows"], b["onset"], config)
            prev = bar_image(b["prev_rows"], b["prev_onset"], config)
            z = torch.randn(n, config.z_dim, device=dev)

            # discriminator
            with torch.no_grad():
                pl, ol = gen(z, b["chords"], b["prev_rows"], b["prev_onset"])
                fake = soft_bar_image(*outputs(gen, pl, ol, options), config)
            wrong = (b["chords"] + torch.randint(1, 24, b["chords"].shape, device=dev)) % 24
            d_real, _ = disc(real, prev, b["chords"])
            d_fake, _ = disc(fake, prev, b["chords"])
            loss_d = bce(d_real, torch.full_like(d_real, options.real_label)) + bce(
                d_fake, torch.zeros_like(d_fake)
            )
            if options.wrong_chord:
                d_wrong, _ = disc(real, prev, wrong)
                loss_d = loss_d + options.wrong_chord * bce(d_wrong, torch.zeros_like(d_wrong))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()

            # generator: two noise draws per condition, for the mode-seeking term
            z2 = torch.randn(n, config.z_dim, device=dev)
            pl, ol = gen(torch.cat([z, z2]), *(torch.cat([b[k], b[k]]) for k in CONDITIONS))
            hard_rows, hard_onset = outputs(gen, pl, ol, options)
            fake = soft_bar_image(hard_rows, hard_onset, config)
            d_fake, f_fake = disc(fake, torch.cat([prev, prev]), torch.cat([b["chords"]] * 2))
            with torch.no_grad():
                _, f_real = disc(real, prev, b["chords"])
            loss_g = bce(d_fake, torch.ones_like(d_fake))
            if options.feature_matching:
                fm = (f_real.mean(0) - f_fake.mean(0)).pow(2).mean()
                loss_g = loss_g + options.feature_matching * fm
            if options.input_matching or options.bar_line_matching:
                # MidiNet's first-level matching: the mean of the critic's per-step description
                # (register, rhythm, chord-relative pitch classes, intervals) over the batch
                with torch.no_grad():
                    s_real = disc.step_features(real, prev, b["chords"])[:, STEPS:]
                prev2, chords2 = torch.cat([prev, prev]), torch.cat([b["chords"]] * 2)
                s_fake = disc.step_features(fake, prev2, chords2)[:, STEPS:]
                loss_g = (
                    loss_g
                    + options.input_matching
                    * (s_real.mean((0, 1)) - s_fake.mean((0, 1))).pow(2).sum()
                )
                # and the same for the first note of the bar alone: its interval from the last
                # note before is one start in four, and matched only among all the others the
                # generator kept leaping across the bar line (3.7 semitones against 1.9)
                loss_g = (
                    loss_g
                    + options.bar_line_matching
                    * (bar_line(s_real, config).mean(0) - bar_line(s_fake, config).mean(0))
                    .pow(2)
                    .sum()
                )
            if options.mode_seeking:
                # share of steps whose row or onset differs between the two draws, per unit of
                # noise distance (MSGAN): small when the generator ignores its noise
                rows_a, rows_b = hard_rows.chunk(2)
                onset_a, onset_b = hard_onset.chunk(2)
                differ = (rows_a - rows_b).abs().sum(-1) / 2 + (onset_a - onset_b).abs() / 2
                ratio = differ.mean() / (z - z2).abs().mean()
                loss_g = loss_g + options.mode_seeking / (ratio + 0.05)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()

            run_d = 0.98 * run_d + 0.02 * loss_d.item() if step else loss_d.item()
            run_g = 0.98 * run_g + 0.02 * loss_g.item() if step else loss_g.item()
            bar.set_postfix(d=f"{run_d:.3f}", g=f"{run_g:.3f}")
            minutes = (time.monotonic() - start) / 60
            stop = options.max_minutes is not None and minutes > options.max_minutes
            last = stop or step + 1 == options.steps
            if (step + 1) % options.eval_every == 0 or last:
                engine.model.eval()
                result = evaluate(
                    engine, corpus, n_bars=options.eval_bars, split=eval_split, seed=options.seed
                )
                entry = {
                    "step": step + 1,
                    "minutes": round(minutes, 2),
                    "loss_d": round(run_d, 4),
                    "loss_g": round(run_g, 4),
                    "score": round(score(result), 4),
                    "chord_tone_ratio": result["generated"]["chord_tone_ratio"],
                    "chord_tone_ratio_real": result["real"]["chord_tone_ratio"],
                    "chord_tone_ratio_random": result["random_chords"]["chord_tone_ratio"],
                    "distinct": result["generated"]["distinct"],
                    "distinct_one_chord": result["one_chord_per_bar"]["distinct"],
                    "interval_tv": round(
                        histogram_distance(result["generated"], result["real"]), 3
                    ),
                    "interval_mean_abs": result["generated"]["interval_mean_abs"],
                    "interval_mean_abs_real": result["real"]["interval_mean_abs"],
                    "pitch_classes": result["generated"]["pitch_classes"],
                    "empty_rate": result["generated"]["empty_rate"],
                }
                record["evals"].append(entry)
                log.info("eval: %s", entry)
                if on_eval:
                    on_eval(entry)
                if entry["score"] < best:
                    best = entry["score"]
                    record["best_step"] = step + 1
                    record["best_score"] = entry["score"]
                    record["train_minutes"] = round(minutes, 2)
                    engine.save(out, extra={"training": record})
                state = {
                    "step": step + 1,
                    "seconds": time.monotonic() - start,
                    "best": best,
                    "run_d": run_d,
                    "run_g": run_g,
                    "record": record,
                    "config": asdict(config),
                    "options": asdict(options),
                    "command": command,
                }
                save_run(Path(out), modules, optimizers, state, rng)
            if stop:
                break
    except KeyboardInterrupt:
        record["interrupted"] = True
        log.warning("training interrupted; the best checkpoint so far stays in %s", out)
    ran = first < options.steps and not record["interrupted"]
    record["steps_run"] = step + 1 if ran else step
    record["total_minutes"] = round((time.monotonic() - start) / 60, 2)
    update_record(Path(out), record)
    return record
