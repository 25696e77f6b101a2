"""The Max for Live Generate device: melodies from nothing, one clip each.

The Engine menu picks the RNN (`/bridge/rnn/continue` without notes: `steps` from the Bars
box, `variations N`) or the VAE (`/bridge/vae/sample n N`); the Seed box is sent only while
its toggle is on (variation k then uses seed + k, the same melodies again each time).
"""

from __future__ import annotations

import maxtable as osc
from max_client import SMALL
from max_devices import device, dial, numbox, switch, trigger, write_variations
from patcher import Patcher

GENERATE_ENGINES = {"rnn": osc.CONTINUE, "vae": osc.SAMPLE}  # menu item -> address


def generate_device() -> Patcher:
    """From nothing: the RNN continues no notes, or the VAE samples; one clip per melody."""
    p, client, clip, here = device("bridge Generate", 300.0)
    engine = p.live_param(
        "live.menu",
        20,
        60,
        56,
        15,
        (4.0, 42.0, 56.0, 15.0),
        longname="Engine",
        shortname="Engine",
        kind="enum",
        enum=list(GENERATE_ENGINES),
        initial=0,
    )
    temp = dial(p, "Temperature", 100, 60, (64.0, 40.0), lo=0.05, hi=2.0, initial=1.0)
    steps = osc.key(osc.CONTINUE, "steps")
    bars = p.live_param(
        "live.numbox",
        200,
        60,
        44,
        15,
        (114.0, 42.0, 44.0, 15.0),
        longname="Bars",
        shortname="Bars",
        kind="int",
        lo=1,
        hi=steps.high // 16,
        initial=2,
    )
    p.comment("bars (rnn)", 250, 60, present=(160.0, 42.0, 56.0, 16.0), near=bars, **SMALL)
    # one range for both: the RNN's variations (the VAE's n reaches further)
    most = osc.key(osc.CONTINUE, "variations").high
    if osc.key(osc.SAMPLE, "n").high < most:
        raise ValueError(f"{osc.SAMPLE} n stops below {most}")
    variations = numbox(
        p, "Variations", 200, 100, (114.0, 59.0), (osc.CONTINUE, "variations"), 1, "variations"
    )
    seed = p.live_param(
        "live.numbox",
        200,
        140,
        44,
        15,
        (114.0, 76.0, 44.0, 15.0),
        longname="Seed",
        shortname="Seed",
        kind="int",
        lo=0,
        hi=99999,
        initial=0,
    )
    fixed = switch(p, "Fixed Seed", "Fixed", "seed", 300, 140, (160.0, 77.0), 0, label_w=40.0)

    # [temperature steps variations seed], kept until Generate
    sixteenths = p.obj("* 16", 200, 180)
    p.connect(bars, 0, sixteenths, 0)
    params = p.obj(f"pak 1. {2 * 16} 1 0", 100, 220)
    p.connect(temp, 0, params, 0)
    p.connect(sixteenths, 0, params, 1)
    p.connect(variations, 0, params, 2)
    p.connect(seed, 0, params, 3)
    p.connect(here, 0, params, 0)
    keep = p.obj("zl reg", 100, 260)
    p.connect(params, 0, keep, 1)

    go = trigger(p, "Generate", 460, 60, (222.0, 42.0, 74.0, 36.0))
    press = p.obj("t b", 460, 100)  # whatever the button sends, [zl reg] gets a bang
    p.connect(go, 0, press, 0)
    p.connect(press, 0, keep, 0)
    # the menu picks the engine's outlet, the toggle the head with or without its seed
    which = p.obj("+ 1", 20, 220)
    p.connect(engine, 0, which, 0)
    by_engine = p.obj("gate 2 1", 20, 300)
    p.connect(which, 0, by_engine, 0)
    p.connect(keep, 0, by_engine, 1)
    seeded = p.obj("+ 1", 300, 180)
    p.connect(fixed, 0, seeded, 0)
    heads = {
        "rnn": (osc.request(osc.CONTINUE, temperature=1, steps=2, variations=3), "seed $4"),
        "vae": (osc.request(osc.SAMPLE, n=3, temperature=1), "seed $4"),
    }
    for i, (name, (head, with_seed)) in enumerate(heads.items()):
        x = 20 + 300 * i
        by_seed = p.obj("gate 2 1", x, 340)
        p.connect(seeded, 0, by_seed, 0)
        p.connect(by_engine, i, by_seed, 1)
        free = p.msg(head, x, 380)
        fixed_head = p.msg(f"{head} {with_seed}", x, 420)
        p.connect(by_seed, 0, free, 0)
        p.connect(by_seed, 1, fixed_head, 0)
        p.connect(free, 0, client, 0)
        p.connect(fixed_head, 0, client, 0)
        reply = osc.reply(GENERATE_ENGINES[name])
        write_variations(p, client, clip, reply, name.upper(), 700 + 200 * i)
    p.comment(
        "rnn: new melodies from nothing; vae: samples. One new clip each; seed on: the same again",
        4,
        480,
        present=(4.0, 98.0, 292.0, 30.0),
        near=go,
        **SMALL,
    )
    return p
