"""How good is a VAE checkpoint? Measured on two-bar slices of the corpus's TEST split.

- reconstruction accuracy: the share of the 32 steps whose greedily decoded token (from the
  latent mean) equals the input's; the decoded melody is read as the verbs return it (notes
  back on the grid), and the decoder's raw tokens are reported too;
- interpolation smoothness: for held-out pairs, 9 points from a to b (greedy); the Spearman
  correlation between the point's index and its Hamming distance (on the grid) from the
  first point; a morph where every point is the same scores 0;
- attribute vectors: +1x must raise the attribute (note count, mean pitch) above the input
  melody's for most held-out melodies, -1x must lower it; syncopation is reported too;
- samples (temperature 1) against held-out slices: notes per bar and pitch range;
- KL per example (nats) and active latent dimensions: a collapsed posterior is a failure.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from engines.corpus import Corpus
from engines.notes import NOTE_ON_BASE, STEPS_PER_BAR, notes_to_tokens, tokens_to_notes
from engines.vae import checks
from engines.vae.data import ATTRIBUTES, density, note_on_mask, two_bar_slices
from engines.vae.engine import VaeEngine, slerp
from engines.vae.model import kl_per_example

BARS = {
    "reconstruction accuracy": 0.90,
    "interpolation smoothness": 0.90,
    "density +1x raises": 0.80,
    "density -1x lowers": 0.80,
    "register +1x raises": 0.80,
    "register -1x lowers": 0.80,
    "KL per example (nats)": 10.0,
}


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (average ranks for ties); 0 when either side is constant."""

    def ranks(v: Sequence[float]) -> np.ndarray:
        a = np.asarray(v, dtype=np.float64)
        order = np.argsort(a, kind="stable")
        r = np.empty(len(a))
        r[order] = np.arange(len(a), dtype=np.float64)
        for value in np.unique(a):  # average the ranks of tied values
            tied = a == value
            r[tied] = r[tied].mean()
        return r

    rx, ry = ranks(x), ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


def _grid(notes: list, steps: int) -> np.ndarray:
    return np.asarray(notes_to_tokens(notes, n_steps=steps), dtype=np.int64)


def _stats(values: np.ndarray) -> dict[str, float]:
    v = values[~np.isnan(values)]
    return {"mean": round(float(v.mean()), 3), "std": round(float(v.std()), 3)}


def _nanmean(values: np.ndarray) -> float:
    v = values[~np.isnan(values)]
    return round(float(v.mean()), 3) if len(v) else float("nan")


def _pitch_range(tokens: np.ndarray) -> np.ndarray:
    """Highest minus lowest pitch of each melody (NaN for a melody without notes)."""
    on = note_on_mask(tokens)
    pitch = tokens.astype(np.int64) - NOTE_ON_BASE
    hi = np.where(on, pitch, -1).max(-1)
    lo = np.where(on, pitch, 128).min(-1)
    return np.where(on.any(-1), hi - lo, np.nan)


def _heard(engine: VaeEngine, z: torch.Tensor, batch: int = 512) -> np.ndarray:
    """Greedy decoding of codes z [N, latent], read back as the verbs return it (notes on
    the grid): [N, steps]. Batched: the same as N calls of ``engine.decode``."""
    steps = engine.config.steps
    rows = []
    for i in range(0, len(z), batch):
        tokens = engine.decoder(z[i : i + batch].to(engine.device), steps).numpy()
        rows += [_grid(tokens_to_notes(row.tolist()), steps) for row in tokens]
    return np.stack(rows)


@torch.no_grad()
def evaluate(
    engine: VaeEngine,
    corpus: Corpus,
    recon_limit: int = 2000,
    pairs: int = 100,
    points: int = 9,
    attribute_melodies: int = 200,
    samples: int = 500,
    seed: int = 0,
    musician: bool = True,
) -> dict:
    """Every measure above on the test split, with PASS/FAIL per bar under ``bars``; with
    ``musician``, also the checks on written melodies (:mod:`engines.vae.checks`)."""
    steps = engine.config.steps
    rng = np.random.default_rng(seed)
    test = two_bar_slices(corpus.tunes("test"), steps)
    if len(test) < 2:
        raise ValueError(f"the test split has only {len(test)} two-bar slices")
    test = test[rng.permutation(len(test))]
    report: dict = {"test_slices": len(test)}

    # reconstruction and KL
    rec = test[:recon_limit]
    raw_ok = verb_ok = 0
    kls, means = [], []
    for i in range(0, len(rec), 256):
        x = torch.as_tensor(rec[i : i + 256].astype(np.int64), device=engine.device)
        mean, logvar = engine.model.encode(x)
        kls.append(kl_per_example(mean, logvar).cpu())
        means.append(mean.cpu())
        tokens = engine.decoder(mean, steps).numpy()
        raw_ok += int((tokens == rec[i : i + 256]).sum())
        heard = np.stack([_grid(tokens_to_notes(row.tolist()), steps) for row in tokens])
        verb_ok += int((heard == rec[i : i + 256]).sum())
    kl = torch.cat(kls).numpy()
    mu = torch.cat(means)
    report["reconstruction"] = {
        "slices": len(rec),
        "accuracy": round(verb_ok / (len(rec) * steps), 4),
        "raw_token_accuracy": round(raw_ok / (len(rec) * steps), 4),
    }
    report["kl_per_example"] = {
        "mean": round(float(kl.mean()), 2),
        "median": round(float(np.median(kl)), 2),
        "active_dims": int((mu.var(0) > 0.01).sum()),
        "latent": engine.latent_size,
    }

    # interpolation smoothness
    # pairs of two different melodies (a morph from a melody to itself has no direction)
    distinct = np.unique(test, axis=0)
    n = min(pairs, len(distinct) // 2)
    pick = rng.permutation(len(distinct))[: 2 * n]
    # as engine.interpolate(a, b, points, temperature=None), batched over the pairs
    ends = engine._means(distinct[pick])
    t = torch.linspace(0.0, 1.0, points, device=engine.device)
    z = torch.cat([slerp(ends[2 * k], ends[2 * k + 1], t) for k in range(n)])
    grids = _heard(engine, z).reshape(n, points, steps)
    rhos = []
    for morph in grids:
        dist = (morph != morph[0]).sum(-1)
        rhos.append(spearman(range(points), dist))
    report["interpolation"] = {
        "pairs": n,
        "points": points,
        "spearman_mean": round(float(np.mean(rhos)), 4),
        "spearman_median": round(float(np.median(rhos)), 4),
        "share_rho_ge_0.9": round(float(np.mean(np.asarray(rhos) >= 0.9)), 3),
    }

    # attribute vectors
    melodies = test[rng.permutation(len(test))[:attribute_melodies]]
    melody_means = engine._means(melodies)
    attrs: dict = {}
    for name, fn in ATTRIBUTES.items():
        if name not in engine.attributes:
            continue
        before = fn(melodies)
        # as engine.attribute(melody, name, amount) for amount +1, -1 and 0, batched
        vector = engine.attributes[name]
        after_up = fn(_heard(engine, melody_means + vector))
        after_down = fn(_heard(engine, melody_means - vector))
        recon_v = fn(_heard(engine, melody_means))
        with np.errstate(invalid="ignore"):
            attrs[name] = {
                "melodies": len(melodies),
                "plus_raises": round(float(np.mean(after_up > before)), 3),
                "minus_lowers": round(float(np.mean(after_down < before)), 3),
                "plus_raises_vs_reconstruction": round(float(np.mean(after_up > recon_v)), 3),
                "minus_lowers_vs_reconstruction": round(float(np.mean(after_down < recon_v)), 3),
                "input_mean": _nanmean(before),
                "plus_mean": _nanmean(after_up),
                "minus_mean": _nanmean(after_down),
            }
    report["attributes"] = attrs

    # samples against held-out data
    drawn: list[np.ndarray] = []
    for i in range(0, samples, 64):
        batch = engine.sample(min(64, samples - i), temperature=1.0, seed=seed + i)
        drawn.extend(_grid(m, steps) for m in batch)
    sampled = np.stack(drawn)
    held = test[:samples].astype(np.int64)
    bars_per = steps / STEPS_PER_BAR
    report["samples"] = {
        "count": len(sampled),
        "temperature": 1.0,
        "notes_per_bar": {
            "samples": _stats(density(sampled) / bars_per),
            "held_out": _stats(density(held) / bars_per),
        },
        "pitch_range": {
            "samples": _stats(_pitch_range(sampled)),
            "held_out": _stats(_pitch_range(held)),
        },
        "empty_samples": int((density(sampled) == 0).sum()),
    }

    values = {
        "reconstruction accuracy": report["reconstruction"]["accuracy"],
        "interpolation smoothness": report["interpolation"]["spearman_mean"],
        "KL per example (nats)": report["kl_per_example"]["mean"],
    }
    for name in ("density", "register"):
        if name in attrs:
            values[f"{name} +1x raises"] = attrs[name]["plus_raises"]
            values[f"{name} -1x lowers"] = attrs[name]["minus_lowers"]
    report["bars"] = {
        k: {"value": values.get(k), "bar": bar, "pass": values.get(k, -1) >= bar}
        for k, bar in BARS.items()
    }
    report["passed"] = all(b["pass"] for b in report["bars"].values())
    if musician:
        report["musician"] = checks.run_checks(engine)
        report["passed"] = report["passed"] and report["musician"]["passed"]
    return report


def format_report(report: dict) -> str:
    """The report as text for a terminal, one PASS/FAIL line per bar first."""
    lines = [f"VAE evaluation on {report['test_slices']} held-out two-bar slices"]
    for name, b in report["bars"].items():
        verdict = "PASS" if b["pass"] else "FAIL"
        value = "missing" if b["value"] is None else f"{b['value']:g}"
        lines.append(f"  {verdict}  {name}: {value} (bar >= {b['bar']:g})")
    r = report["reconstruction"]
    lines.append(
        f"reconstruction: {r['accuracy']:.4f} of steps as heard, {r['raw_token_accuracy']:.4f} "
        f"raw decoder tokens, over {r['slices']} slices"
    )
    k = report["kl_per_example"]
    lines.append(
        f"KL per example: mean {k['mean']} nats, median {k['median']}; "
        f"{k['active_dims']} of {k['latent']} latent dims active"
    )
    i = report["interpolation"]
    lines.append(
        f"interpolation: {i['pairs']} pairs x {i['points']} points, Spearman mean "
        f"{i['spearman_mean']}, median {i['spearman_median']}, "
        f"share >= 0.9: {i['share_rho_ge_0.9']}"
    )
    for name, a in report["attributes"].items():
        lines.append(
            f"attribute {name}: +1x raises {a['plus_raises']:.3f}, -1x lowers "
            f"{a['minus_lowers']:.3f} of {a['melodies']} melodies (vs reconstruction: "
            f"{a['plus_raises_vs_reconstruction']:.3f} / "
            f"{a['minus_lowers_vs_reconstruction']:.3f}); mean {a['minus_mean']} <- "
            f"{a['input_mean']} -> {a['plus_mean']}"
        )
    if report.get("musician"):
        lines += checks.format_checks(report["musician"])
    s = report["samples"]
    npb, pr = s["notes_per_bar"], s["pitch_range"]
    lines.append(f"{s['count']} samples (temperature {s['temperature']}) vs held-out:")
    lines.append(
        f"  notes per bar  {npb['samples']['mean']:6.2f} +- {npb['samples']['std']:<6.2f}"
        f"  vs  {npb['held_out']['mean']:6.2f} +- {npb['held_out']['std']:.2f}"
    )
    lines.append(
        f"  pitch range    {pr['samples']['mean']:6.2f} +- {pr['samples']['std']:<6.2f}"
        f"  vs  {pr['held_out']['mean']:6.2f} +- {pr['held_out']['std']:.2f}  (semitones)"
    )
    lines.append(f"  empty samples: {s['empty_samples']}")
    lines.append("PASS" if report["passed"] else "FAIL")
    return "\n".join(lines)
