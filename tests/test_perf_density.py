"""The perf sampler's density hold and its start from nothing: on the tiny random-init engine
(the control logic) and on the shipped checkpoint (the bar, cheaply)."""

from __future__ import annotations

from typing import Any

import pytest

import engines
from engines.notes import Note
from engines.perf.engine import DENSITY_HOLD, PerfEngine

PRIMER = [Note(60 + p, b, 1.0, 80) for b in range(4) for p in (0, 4, 7)]


@pytest.fixture(scope="module")
def perf() -> PerfEngine:
    return PerfEngine.tiny()


def achieved(perf: Any, density: float, hold: float, seed: int, beats: float = 16) -> float:
    return (
        len(perf.continue_([], beats=beats, seed=seed, density=density, density_hold=hold)) / beats
    )


def near(got: float, asked: float) -> bool:
    return abs(got - asked) <= 0.25 * asked


def test_the_hold_brings_an_untrained_model_to_the_asked_density(perf: PerfEngine) -> None:
    # the tiny model's weights are random: its conditioning steers nothing (about 2.7 notes
    # a beat whatever is asked), so whatever lands near 1 and 8 is the hold's doing
    for seed in range(3):
        alone = achieved(perf, 1.0, 0.0, seed), achieved(perf, 8.0, 0.0, seed)
        assert not near(alone[0], 1.0) and not near(alone[1], 8.0)
        assert near(achieved(perf, 1.0, DENSITY_HOLD.default, seed), 1.0)
        assert near(achieved(perf, 8.0, DENSITY_HOLD.default, seed), 8.0)


def test_a_stronger_hold_keeps_closer(perf: PerfEngine) -> None:
    def error(hold: float) -> float:
        return sum(abs(achieved(perf, d, hold, s, 8) - d) / d for d in (1, 3, 6) for s in range(3))

    assert error(2.0) < error(0.25) < error(0.0)


def test_from_nothing_the_first_note_starts_at_once(perf: PerfEngine) -> None:
    starts = [min(n.start for n in perf.continue_([], beats=4, seed=s)) for s in range(8)]
    assert starts == [0.0] * 8
    # after a primer the model's own timing stands (this one waits in some replies)
    after = [
        min((n.start for n in perf.continue_(PRIMER, beats=4, seed=s)), default=4) for s in range(8)
    ]
    assert max(after) > 0


def test_a_stream_holds_a_density_set_while_it_plays(perf: PerfEngine) -> None:
    session = perf.open_event_session({"seed": 1, "density": 1.0}, [])
    first = [e for e in session.next_events(16) if e[1] == "on"]
    assert near(len(first) / 16, 1.0)
    session.set({"density": 8.0})  # counted from here: the sparse past is not paid back
    then = [e for e in session.next_events(24) if e[1] == "on"]
    assert near(len(then) / 8, 8.0)
    session.set({"density_hold": 0.0})
    assert session.density == 8.0 and session.density_hold == 0.0


def test_the_hold_reproduces_however_the_time_is_cut(perf: PerfEngine) -> None:
    def play(step: float) -> list[Any]:
        session = perf.open_event_session({"seed": 5, "density": 6.0}, PRIMER)
        out, t = [], session.beat
        while t < 12:
            t = min(12.0, t + step)
            out += session.next_events(t)
        return out

    assert play(0.25) == play(1.0)


def test_snapshot_and_restore_rewind_the_hold(perf: PerfEngine) -> None:
    session = perf.open_event_session({"seed": 6, "density": 0.5}, [])
    session.next_events(3)
    snap = session.snapshot()
    owed = session.hold.clone()
    first = session.next_events(9)
    assert not session.hold.equal(owed)
    session.restore(snap)
    assert session.hold.equal(owed)
    assert session.next_events(9) == first


@pytest.mark.parametrize("hold", [-0.5, 4.5, float("nan")])
def test_a_hold_out_of_range_is_refused(perf: PerfEngine, hold: float) -> None:
    verb = PerfEngine.verb("continue")
    values = {**{p.name: p.default for p in verb.params}, "density": 2.0, "density_hold": hold}
    with pytest.raises(ValueError, match="density_hold must be 0..4"):
        perf.call("continue", values)
    session = perf.open_event_session({"density": 2.0}, [])
    with pytest.raises(ValueError, match="density_hold"):
        session.set({"density_hold": hold})
    assert session.density_hold == DENSITY_HOLD.default


def test_the_hold_is_a_verb_and_stream_parameter() -> None:
    assert "density_hold" in {p.name for p in PerfEngine.verb("continue").params}
    assert "density_hold" in {p.name for p in PerfEngine.event_stream_params}
    assert "density_hold" in {p.name for p in PerfEngine.event_stream_set_params}


def test_the_shipped_checkpoint_holds_the_asked_density() -> None:
    shipped = engines.load_engine("perf", "cpu")
    asked = [1.0, 2.0, 3.0, 4.0, 6.0] * 2
    got = [achieved(shipped, d, DENSITY_HOLD.default, s, 8) for s, d in enumerate(asked)]
    assert sum(near(g, d) for g, d in zip(got, asked, strict=True)) >= 8, got
    # and no empty reply from nothing in a key (the model used to wait, and wait)
    for s in range(6):
        c_major = [1.0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 1]
        assert shipped.continue_([], beats=8, seed=s, pitch_classes=c_major)
