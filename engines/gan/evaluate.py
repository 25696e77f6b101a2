"""How good are the generated bars? MuseGAN's metrics, adapted to one melody over chords.

Real progressions are taken from the corpus (runs of up to 8 consecutive bars with a chord
in every half bar, with the real bar before each run as ``prev``). The generator writes a
bar for every real one, over the same chords, each bar following its own previous bar
(exactly what ``GanEngine.bars`` does), and both sets are measured side by side:

- empty-bar rate (bars without a note start);
- pitch classes used per bar;
- chord-tone ratio: the share of note starts on a tone of their half bar's triad. The
  same generator given random chords instead of the real ones must score clearly lower
  against the real chords, or it ignores them (a generator deaf to chords writes the same
  bars either way and scores the same; one that follows them drops to what a melody in the
  key shares with its chords by chance). How well it follows the random chords it was
  given is printed beside (an unexpected chord is harder to follow than a real one);
- distinct bars among the generated ones (mode collapse shows as repeats), also when each
  bar gets one chord (as ``GanEngine.bars`` is used), not the real half-bar chords;
- continuity: the interval from the last note of one bar to the first of the next (mean
  absolute value and histogram).

And the chords on their own, from progressions written here (``PROGRESSIONS``, in all 12
keys, not the corpus's) and from each of the 24 triads alone:

- wrong thirds: note starts on the third of the other quality (a major third over a minor
  chord, a minor third over a major one), as a share of all note starts, over all chords
  and over minor chords alone; the Bach soprano over its own chords is the real figure;
- per triad: no triad's wrong third may outnumber its right third (over the progressions
  and the single-chord bars together);
- per triad alone (one chord, ``TRIAD_SEEDS`` seeds), with no bar before and after a bar
  that spells the triad (root, third, fifth, octave in quarter notes): its chord-tone
  ratio.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from engines.gan.chords import Triad, parse_chord
from engines.gan.data import REST, BarCorpus, BarExamples, transpose_examples
from engines.gan.engine import GanEngine
from engines.gan.model import STEPS, GanConfig

# pass bars (the issue's, and ours where it gives none)
CHORD_TONE_TOLERANCE = 0.1  # |generated - real|
CHORD_TONE_MARGIN = 0.1  # generated - random chords, at least
MIN_DISTINCT = 0.5
EMPTY_TOLERANCE = 0.05
PITCH_CLASS_TOLERANCE = 0.75
CONTINUITY_TOLERANCE = 1.0  # semitones, mean |interval|
CONTINUITY_MAX_TV = 0.25  # total variation distance between the |interval| histograms
INTERVAL_BINS = (0, 1, 2, 3, 4, 5, 7, 12)  # |interval| histogram edges: 0, 1, 2, 3-4, ...
WRONG_THIRD_WEIGHT = 5.0  # in score(): 1% of note starts on a wrong third costs 0.05
MAX_WRONG_THIRDS = 0.01  # share of note starts on the wrong third, all chords and minor ones
MIN_TRIAD_CHORD_TONES = 0.6  # chord-tone ratio of every triad alone
TRIAD_SEEDS = 20
PROGRESSION_SEEDS = 2

# Progressions in C major / C minor (all transposed into the 12 keys): cadences, circles of
# fifths and the minor key's own chords, so every triad comes in several functions.
PROGRESSIONS = (
    ("C", "Am", "F", "G", "C", "F", "G", "C"),
    ("C", "Em", "Am", "Dm", "G", "C", "F", "C"),
    ("Am", "Dm", "E", "Am", "F", "Dm", "E", "Am"),
    ("Am", "F", "C", "G", "Am", "Em", "F", "E"),
    ("Cm", "Fm", "G", "Cm", "Ab", "Fm", "G", "Cm"),
    ("Cm", "Ab", "Eb", "Bb", "Cm", "Gm", "Ab", "G"),
    ("C", "Dm", "Em", "F", "G", "Am", "Dm", "G"),
    ("Em", "Am", "D", "G", "C", "F#m", "B", "Em"),
)


@dataclass
class Bars:
    """A set of bars in windows: rows and note starts [W, n, 16], chords [W, n, 2], and the
    bar before each window (rows, starts [W, 16]); ``valid`` [W, n] masks padding."""

    pitch: np.ndarray  # MIDI pitch per step, REST = -1
    starts: np.ndarray
    chords: np.ndarray
    prev_pitch: np.ndarray
    prev_starts: np.ndarray
    valid: np.ndarray


def note_starts(pitch: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """[..., 16] pitch and onset bits -> bool [..., 16]: a note starts here (model.py rule)."""
    change = np.ones_like(onset, dtype=bool)
    change[..., 1:] = pitch[..., 1:] != pitch[..., :-1]
    return (onset | change) & (pitch != REST)


def windows(
    corpus: BarCorpus, split: str, n_bars: int, length: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Runs of up to ``length`` consecutive chord-labelled bars of ``split`` -> bar indices
    [W, length] (-1 pads) and a shift per window; reused in other keys until n_bars."""
    ok = (corpus.chord >= 0).all(axis=1) & corpus.split_mask(split)
    piece = corpus.piece_of_bar()
    runs: list[list[int]] = []
    run: list[int] = []
    for i in range(corpus.n_bars):
        joined = run and corpus.follows[i] and piece[i] == piece[run[-1]] and i == run[-1] + 1
        if ok[i] and (joined or not run):
            run.append(i)
        else:
            if run:
                runs.append(run)
            run = [i] if ok[i] else []
        if len(run) == length:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    runs = [r for r in runs if len(r) >= 2] or runs
    if not runs:
        raise ValueError(f"no bars with chords in the {split} split")
    rng = np.random.default_rng(seed)
    chosen: list[list[int]] = []
    shifts: list[int] = []
    total, rnd = 0, 0
    while total < n_bars:
        order = rng.permutation(len(runs))
        for j in order:
            r = runs[j][: n_bars - total]
            chosen.append(r)
            shifts.append(0 if rnd == 0 else int(rng.integers(-6, 6)))
            total += len(r)
            if total >= n_bars:
                break
        rnd += 1
    idx = np.full((len(chosen), length), -1, dtype=np.int64)
    for w, r in enumerate(chosen):
        idx[w, : len(r)] = r
    return idx, np.array(shifts)


def real_bars(corpus: BarCorpus, idx: np.ndarray, shifts: np.ndarray, config: GanConfig) -> Bars:
    """The real bars of the windows, transposed by their shift into the model's range."""
    valid = idx >= 0
    flat = np.where(valid, idx, 0).reshape(-1)
    first = idx[:, 0]
    has_prev = corpus.follows[first] & (first > 0)
    prev_i = np.where(has_prev, first - 1, 0)
    w, n = idx.shape
    rep = np.repeat(np.arange(w), n)
    ex = BarExamples(
        pitch=corpus.pitch[flat],
        onset=corpus.onset[flat],
        chord=corpus.chord[flat],
        prev_pitch=np.where(has_prev[:, None], corpus.pitch[prev_i], REST)[rep],
        prev_onset=np.where(has_prev[:, None], corpus.onset[prev_i], False)[rep],
        bar_index=flat,
    )
    ex, _ = transpose_examples(ex, np.repeat(shifts, n), config.low, config.high)
    # a note still out of range after the octave search is kept: metrics do not need rows
    pitch = ex.pitch.reshape(w, n, STEPS)
    onset = ex.onset.reshape(w, n, STEPS)
    prev_pitch = ex.prev_pitch.reshape(w, n, STEPS)[:, 0]
    prev_onset = ex.prev_onset.reshape(w, n, STEPS)[:, 0]
    return Bars(
        pitch=np.where(valid[..., None], pitch, REST),
        starts=note_starts(pitch, onset) & valid[..., None],
        chords=ex.chord.reshape(w, n, 2).astype(np.int64),
        prev_pitch=prev_pitch,
        prev_starts=note_starts(prev_pitch, prev_onset),
        valid=valid,
    )


def generated_bars(
    engine: GanEngine, real: Bars, chords: np.ndarray, seed: int, temperature: float = 1.0
) -> Bars:
    """The generator's bars over ``chords`` [W, n, 2], starting from the real bars before."""
    cfg = engine.config
    w, n = chords.shape[:2]
    z = engine.noise(w * n, seed, temperature).view(w, n, -1)
    prev_rows = engine.to_rows(real.prev_pitch)
    prev_onset = real.prev_starts
    rows, onset = engine.generate(np.where(chords >= 0, chords, 0), prev_rows, prev_onset, z)
    pitch = np.where(rows == cfg.rest, REST, rows + cfg.low)
    pitch = np.where(real.valid[..., None], pitch, REST)
    return Bars(
        pitch=pitch,
        starts=note_starts(pitch, onset) & real.valid[..., None],
        chords=chords,
        prev_pitch=real.prev_pitch,
        prev_starts=real.prev_starts,
        valid=real.valid,
    )


def _chord_tone_ratio(bars: Bars) -> float:
    pitch, starts = bars.pitch, bars.starts
    half = np.arange(STEPS) // (STEPS // 2)  # [16]
    chord = bars.chords[:, :, half]  # [W, n, 16]
    root = chord % 12
    third = (root + 4 - chord // 12) % 12
    fifth = (root + 7) % 12
    pc = pitch % 12
    tone = (pc == root) | (pc == third) | (pc == fifth)
    total = starts.sum()
    return float((tone & starts).sum() / total) if total else 0.0


def third_counts(pitch: np.ndarray, starts: np.ndarray, chords: np.ndarray) -> np.ndarray:
    """Note starts on each triad's right and wrong third: pitch and starts [..., 16], chords
    [..., 2] (half bars) -> int [24, 3]: per triad index, (note starts, on its third, on the
    third of the other quality: a major third over a minor chord or a minor third over a
    major one)."""
    half = np.arange(STEPS) // (STEPS // 2)
    chord = np.asarray(chords)[..., half]  # [..., 16]
    sounding = starts & (pitch != REST) & (chord >= 0)
    above = (pitch - chord % 12) % 12  # semitones above the root
    minor = chord // 12 == 1
    right = sounding & (above == np.where(minor, 3, 4))
    wrong = sounding & (above == np.where(minor, 4, 3))
    c = np.where(sounding, chord, 0)
    out = np.zeros((24, 3), dtype=np.int64)
    for k, mask in enumerate((sounding, right, wrong)):
        out[:, k] = np.bincount(c[mask], minlength=24)
    return out


def wrong_third_rates(counts: np.ndarray) -> dict:
    """third_counts -> the share of note starts on a wrong third, over all chords and over
    minor chords alone."""

    def rate(rows: slice) -> float:
        n = counts[rows, 0].sum()
        return round(float(counts[rows, 2].sum() / n), 4) if n else 0.0

    return {"wrong_third_rate": rate(slice(0, 24)), "wrong_third_rate_minor": rate(slice(12, 24))}


def _intervals(bars: Bars) -> np.ndarray:
    """Semitones from the last note of each bar to the first of the next, where both exist
    (the bar before the window counts as the first bar's previous)."""
    steps = np.arange(STEPS)
    both = np.concatenate([bars.prev_starts[:, None], bars.starts], axis=1)
    pitch = np.concatenate([bars.prev_pitch[:, None], bars.pitch], axis=1)
    valid = np.concatenate([np.ones_like(bars.valid[:, :1]), bars.valid], axis=1)
    has = both.any(-1) & valid
    first_step = np.where(both, steps, STEPS).min(-1)
    last_step = np.where(both, steps, -1).max(-1)
    first = np.take_along_axis(pitch, np.clip(first_step, 0, STEPS - 1)[..., None], -1)[..., 0]
    last = np.take_along_axis(pitch, np.clip(last_step, 0, STEPS - 1)[..., None], -1)[..., 0]
    ok = has[:, :-1] & has[:, 1:]
    return (first[:, 1:] - last[:, :-1])[ok].astype(np.int64)


def _histogram(intervals: np.ndarray) -> list[float]:
    edges = [*INTERVAL_BINS, 10_000]
    counts = np.histogram(np.abs(intervals), bins=edges)[0]
    return [round(float(c) / max(1, len(intervals)), 3) for c in counts]


def histogram_distance(a: dict, b: dict) -> float:
    """Total variation distance (0..1) between two sets' |interval| histograms."""
    return 0.5 * float(np.abs(np.subtract(a["interval_hist"], b["interval_hist"])).sum())


def measure(bars: Bars) -> dict:
    """The metrics of one set of bars (only valid bars count)."""
    v = bars.valid
    starts = bars.starts[v]
    pitch = bars.pitch[v]
    n = int(v.sum())
    pcs = [len(set((pitch[i][starts[i]] % 12).tolist())) for i in range(n)]
    keys = {pitch[i].tobytes() + starts[i].tobytes() for i in range(n)}
    iv = _intervals(bars)
    return {
        "bars": n,
        "empty_rate": round(float((~starts.any(-1)).mean()), 4),
        "pitch_classes": round(float(np.mean(pcs)), 3),
        "notes_per_bar": round(float(starts.sum(-1).mean()), 3),
        "chord_tone_ratio": round(_chord_tone_ratio(bars), 4),
        **wrong_third_rates(third_counts(bars.pitch, bars.starts & v[..., None], bars.chords)),
        "distinct": round(len(keys) / max(1, n), 4),
        "interval_mean_abs": round(float(np.abs(iv).mean()) if len(iv) else 0.0, 3),
        "interval_hist": _histogram(iv),
    }


def progression_chords() -> np.ndarray:
    """``PROGRESSIONS`` in all 12 keys -> triad indices [12 * len(PROGRESSIONS), 8]."""
    out = []
    for shift in range(12):
        for names in PROGRESSIONS:
            out.append([parse_chord(n).transpose(shift).index for n in names])
    return np.array(out)


def arpeggio(triad: Triad, config: GanConfig) -> tuple[np.ndarray, np.ndarray]:
    """A bar spelling the triad: root, third, fifth, octave in quarter notes, the root in
    the octave from C4 (MIDI pitch rows [16] and onsets [16])."""
    root = 60 + triad.root
    third, fifth = (root + 3 if triad.minor else root + 4), root + 7
    pitch = np.repeat([root, third, fifth, root + 12], STEPS // 4)
    onset = np.zeros(STEPS, dtype=bool)
    onset[:: STEPS // 4] = True
    return pitch - config.low, onset


def chord_checks(engine: GanEngine, seed: int = 0, temperature: float = 1.0) -> dict:
    """The chords on their own (see the module doc): wrong thirds over ``PROGRESSIONS`` and
    per triad, and every triad's chord-tone ratio alone, with and without a bar before."""
    cfg = engine.config

    def run(chords: np.ndarray, prev_rows: np.ndarray, prev_onset: np.ndarray, s: int) -> Bars:
        """chords [W, n] -> the bars (one chord per bar, as the engine takes)."""
        w, n = chords.shape
        two = np.repeat(chords[..., None], 2, axis=-1)
        z = engine.noise(w * n, s, temperature).view(w, n, -1)
        rows, onset = engine.generate(two, prev_rows, prev_onset, z)
        pitch = np.where(rows == cfg.rest, REST, rows + cfg.low)
        return Bars(
            pitch=pitch,
            starts=note_starts(pitch, onset),
            chords=two,
            prev_pitch=np.full((w, STEPS), REST),
            prev_starts=np.zeros((w, STEPS), dtype=bool),
            valid=np.ones((w, n), dtype=bool),
        )

    prog = progression_chords()
    rest_rows = np.full((len(prog), STEPS), cfg.rest)
    no_onset = np.zeros((len(prog), STEPS), dtype=bool)
    counts = np.zeros((24, 3), dtype=np.int64)
    for k in range(PROGRESSION_SEEDS):
        bars = run(prog, rest_rows, no_onset, seed + k)
        counts += third_counts(bars.pitch, bars.starts, bars.chords)
    prog_counts = counts.copy()

    # every triad alone: TRIAD_SEEDS bars each, no bar before / after its arpeggio
    triads = np.repeat(np.arange(24), TRIAD_SEEDS)[:, None]  # [24 * seeds, 1]
    n = len(triads)
    arps = [arpeggio(Triad.from_index(int(i)), cfg) for i in triads[:, 0]]
    alone = {}
    for label, prev_rows, prev_onset in (
        ("no bar before", np.full((n, STEPS), cfg.rest), np.zeros((n, STEPS), dtype=bool)),
        ("after its arpeggio", np.array([a[0] for a in arps]), np.array([a[1] for a in arps])),
    ):
        bars = run(triads, prev_rows, prev_onset, seed)
        counts += third_counts(bars.pitch, bars.starts, bars.chords)
        ratios = []
        for i in range(24):
            sel = bars.chords[:, 0, 0] == i
            sub = replace(
                bars,
                pitch=bars.pitch[sel],
                starts=bars.starts[sel],
                chords=bars.chords[sel],
                valid=bars.valid[sel],
            )
            ratios.append(round(_chord_tone_ratio(sub), 3))
        alone[label] = ratios

    names = [Triad.from_index(i).name for i in range(24)]
    return {
        "progression_bars": int(prog.size * PROGRESSION_SEEDS),
        **wrong_third_rates(prog_counts),
        "thirds": {
            names[i]: {"right": int(counts[i, 1]), "wrong": int(counts[i, 2])} for i in range(24)
        },
        "more_wrong_than_right": [names[i] for i in range(24) if counts[i, 2] > counts[i, 1]],
        "chord_tones_alone": {
            label: dict(zip(names, ratios, strict=True)) for label, ratios in alone.items()
        },
    }


def evaluate(
    engine: GanEngine,
    corpus: BarCorpus,
    n_bars: int = 1000,
    split: str = "train",
    seed: int = 0,
    window: int = 8,
    temperature: float = 1.0,
) -> dict:
    """Generated vs real bars on ``n_bars`` bars of ``split``; returns metrics and verdicts."""
    idx, shifts = windows(corpus, split, n_bars, window, seed)
    real = real_bars(corpus, idx, shifts, engine.config)
    gen = generated_bars(engine, real, real.chords, seed, temperature)
    rng = np.random.default_rng(seed + 1)
    random_chords = rng.integers(0, 24, size=real.chords.shape)
    rand = generated_bars(engine, real, random_chords, seed, temperature)
    one = real.chords[:, :, :1].repeat(2, axis=2)  # one chord per bar, as the engine takes
    single = generated_bars(engine, real, one, seed, temperature)
    r, g, x, s = measure(real), measure(gen), measure(rand), measure(single)
    x["chord_tone_ratio_given"] = x["chord_tone_ratio"]
    x["chord_tone_ratio"] = measure(replace(rand, chords=real.chords))["chord_tone_ratio"]
    # diversity from noise alone: one condition (C major, no bar before), 100 seeds
    n_seed = 100
    c = np.full((n_seed, 1, 2), Triad(0, False).index)
    rows, onset = engine.generate(
        c,
        np.full((n_seed, STEPS), engine.config.rest),
        np.zeros((n_seed, STEPS), dtype=bool),
        engine.noise(n_seed, seed, temperature)[:, None],
    )
    same_condition = len({rows[i].tobytes() + onset[i].tobytes() for i in range(n_seed)})
    chords = chord_checks(engine, seed, temperature)
    alone = chords["chord_tones_alone"]
    checks = {
        "empty-bar rate": abs(g["empty_rate"] - r["empty_rate"]) <= EMPTY_TOLERANCE,
        "pitch classes per bar": abs(g["pitch_classes"] - r["pitch_classes"])
        <= PITCH_CLASS_TOLERANCE,
        "chord-tone ratio vs real": abs(g["chord_tone_ratio"] - r["chord_tone_ratio"])
        <= CHORD_TONE_TOLERANCE,
        "chord-tone ratio vs random chords": g["chord_tone_ratio"] - x["chord_tone_ratio"]
        >= CHORD_TONE_MARGIN,
        "distinct bars": g["distinct"] >= MIN_DISTINCT,
        "distinct bars, one chord per bar": s["distinct"] >= MIN_DISTINCT,
        "continuity": abs(g["interval_mean_abs"] - r["interval_mean_abs"]) <= CONTINUITY_TOLERANCE
        and histogram_distance(g, r) <= CONTINUITY_MAX_TV,
        "wrong thirds, all chords": chords["wrong_third_rate"] <= MAX_WRONG_THIRDS,
        "wrong thirds, minor chords": chords["wrong_third_rate_minor"] <= MAX_WRONG_THIRDS,
        "no triad with more wrong thirds than right": not chords["more_wrong_than_right"],
        "every triad alone, no bar before": min(alone["no bar before"].values())
        >= MIN_TRIAD_CHORD_TONES,
        "every triad alone, after its arpeggio": min(alone["after its arpeggio"].values())
        >= MIN_TRIAD_CHORD_TONES,
    }
    return {
        "split": split,
        "bars": r["bars"],
        "real": r,
        "generated": g,
        "random_chords": x,
        "one_chord_per_bar": s,
        "distinct_from_noise_alone": round(same_condition / n_seed, 3),
        "chords": chords,
        "checks": checks,
        "passed": all(checks.values()),
    }


def score(result: dict) -> float:
    """One number for picking checkpoints during training (lower is better)."""
    r, g, x = result["real"], result["generated"], result["random_chords"]
    return (
        abs(g["chord_tone_ratio"] - r["chord_tone_ratio"])
        + max(0.0, CHORD_TONE_MARGIN - (g["chord_tone_ratio"] - x["chord_tone_ratio"]))
        + abs(g["interval_mean_abs"] - r["interval_mean_abs"]) / 12
        + abs(g["pitch_classes"] - r["pitch_classes"]) / 4
        + abs(g["empty_rate"] - r["empty_rate"])
        + max(0.0, MIN_DISTINCT - g["distinct"])
        + max(0.0, MIN_DISTINCT - result["one_chord_per_bar"]["distinct"])
        + histogram_distance(g, r)
        + WRONG_THIRD_WEIGHT * max(0.0, g["wrong_third_rate"] - r["wrong_third_rate"])
        + sum(
            max(0.0, MIN_TRIAD_CHORD_TONES - min(ratios.values()))
            for ratios in result["chords"]["chord_tones_alone"].values()
        )
    )


def format_report(result: dict) -> str:
    """A side-by-side table of real and generated bars with PASS/FAIL per check."""
    r, g, x, s = (
        result["real"],
        result["generated"],
        result["random_chords"],
        result["one_chord_per_bar"],
    )
    rows = [
        ("bars", "bars", "{:d}"),
        ("empty-bar rate", "empty_rate", "{:.3f}"),
        ("pitch classes per bar", "pitch_classes", "{:.2f}"),
        ("note starts per bar", "notes_per_bar", "{:.2f}"),
        ("chord-tone ratio", "chord_tone_ratio", "{:.3f}"),
        ("distinct bars", "distinct", "{:.3f}"),
        ("|interval| across bar line", "interval_mean_abs", "{:.2f}"),
    ]
    head = f"{'metric':<28}{'real':>10}{'generated':>11}{'random ch.':>11}{'1 ch./bar':>11}"
    lines = [f"GAN bars vs real bars ({result['split']} split)", head, "-" * len(head)]
    for label, key, fmt in rows:
        cells = "".join(
            f"{fmt.format(d[key]):>{w}}" for d, w in ((r, 10), (g, 11), (x, 11), (s, 11))
        )
        lines.append(f"{label:<28}{cells}")
    edges = [*INTERVAL_BINS]
    names = [
        f"{a}" if b - a == 1 else f"{a}-{b - 1}" for a, b in zip(edges[:-1], edges[1:], strict=True)
    ]
    names.append(f"{edges[-1]}+")
    lines.append("")
    lines.append("|interval| histogram  " + " ".join(f"{n:>6}" for n in names))
    lines.append("  real               " + " ".join(f"{v:>6.3f}" for v in r["interval_hist"]))
    lines.append("  generated          " + " ".join(f"{v:>6.3f}" for v in g["interval_hist"]))
    lines.append(f"  total variation distance {histogram_distance(g, r):.3f}")
    lines.append("")
    lines.append(
        "random ch.: the same generator given random chords, its bars scored against the "
        "real chords;"
    )
    lines.append(
        f"  against the random chords it was given: chord-tone ratio "
        f"{x['chord_tone_ratio_given']:.3f}"
    )
    lines.append("")
    lines.append(
        f"distinct bars from noise alone (C, no bar before, 100 seeds): "
        f"{result['distinct_from_noise_alone']:.2f}"
    )
    c = result["chords"]
    lines.append("")
    lines.append(
        f"wrong thirds (share of note starts; {c['progression_bars']} bars over "
        f"{len(PROGRESSIONS)} progressions in 12 keys, at most {MAX_WRONG_THIRDS:.0%}):"
    )
    lines.append(
        f"  all chords   generated {c['wrong_third_rate']:.4f}   real (Bach soprano over its "
        f"chords) {r['wrong_third_rate']:.4f}"
    )
    lines.append(
        f"  minor chords generated {c['wrong_third_rate_minor']:.4f}   real "
        f"{r['wrong_third_rate_minor']:.4f}"
    )
    lines.append(
        "  triads with more wrong thirds than right: "
        + (", ".join(c["more_wrong_than_right"]) or "none")
    )
    lines.append(
        f"chord-tone ratio of each triad alone ({TRIAD_SEEDS} seeds, at least "
        f"{MIN_TRIAD_CHORD_TONES}):"
    )
    for label, ratios in c["chord_tones_alone"].items():
        low = min(ratios, key=ratios.get)
        lines.append(f"  {label:<20} lowest {low} {ratios[low]:.3f}")
        for names in (list(ratios)[:12], list(ratios)[12:]):
            lines.append("    " + " ".join(f"{n:>4} {ratios[n]:.2f}" for n in names))
    lines.append("")
    for name, ok in result["checks"].items():
        lines.append(f"{'PASS' if ok else 'FAIL'}  {name}")
    return "\n".join(lines)
