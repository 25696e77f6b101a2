import math

import numpy as np
import pytest

from engines.corpus import load_corpus
from engines.ngram.model import NgramModel
from engines.notes import BOS, HOLD, NOTE_ON_BASE, OFF, VOCAB_SIZE, Note


@pytest.fixture(scope="module")
def folk():
    return load_corpus("folk", limit_files=1, progress=False)


@pytest.fixture(scope="module")
def model(folk):
    return NgramModel.fit(folk.tunes("train"), 5)


def heldout_nll(m: NgramModel, tunes: list[np.ndarray]) -> float:
    return float(np.concatenate([m.token_nll(t) for t in tunes]).mean())


def test_probabilities_sum_to_one_over_the_full_vocab(model, folk):
    tune = folk.tunes("test")[0]
    unseen = [NOTE_ON_BASE + 3, NOTE_ON_BASE + 125, OFF, NOTE_ON_BASE + 3]
    for history in ([], [int(tune[0])], list(tune[:3]), list(tune[:50]), unseen, [BOS]):
        p = model.probs(history)
        assert p.shape == (VOCAB_SIZE,)
        assert p.sum() == pytest.approx(1.0, abs=1e-9)
        assert (p > 0).all()


def test_token_nll_is_the_probability_of_each_token_given_bos_and_its_past(model, folk):
    tune = folk.tunes("test")[1][:40]
    nll = model.token_nll(tune)
    assert nll.shape == (len(tune),)
    for t in range(len(tune)):
        assert nll[t] == pytest.approx(-math.log(model.probs(tune[:t])[tune[t]]), rel=1e-9)


def test_beats_a_unigram_on_heldout_tunes_and_longer_orders_help(folk):
    train, test = folk.tunes("train"), folk.tunes("test")
    nll = {n: heldout_nll(NgramModel.fit(train, n), test) for n in (1, 3, 5)}
    assert nll[5] < nll[3] < nll[1]
    assert nll[1] < math.log(VOCAB_SIZE)


def test_order_matters_on_a_pattern_needing_two_tokens_of_context():
    a, b, c = NOTE_ON_BASE + 60, NOTE_ON_BASE + 62, NOTE_ON_BASE + 64
    tunes = [np.array([a, b, a, c] * 20) for _ in range(10)]
    held = np.array([a, b, a, c] * 10)
    bigram, trigram = NgramModel.fit(tunes, 2), NgramModel.fit(tunes, 3)
    # after "a" a bigram can only guess b or c; a trigram knows which from the token before
    assert heldout_nll(bigram, [held]) > 0.3
    assert heldout_nll(trigram, [held]) < 0.1


def test_the_first_token_is_predicted_from_bos_like_the_rnn():
    first = NOTE_ON_BASE + 67
    tunes = [np.array([first, HOLD, OFF, NOTE_ON_BASE + 60, HOLD, HOLD]) for _ in range(50)]
    m = NgramModel.fit(tunes, 4)
    assert m.probs([])[first] > 0.9
    assert m.token_nll(tunes[0])[0] < 0.1
    assert m.probs([HOLD, OFF])[first] < 0.1  # mid-tune the same token is unlikely


def test_sampling_is_seeded_and_continuations_start_after_the_primer_bar(model):
    primer = [Note(62, 0.0, 1.0), Note(64, 1.0, 1.0), Note(66, 2.0, 1.0), Note(67, 3.0, 0.5)]
    a = model.continue_(primer, steps=32, temperature=1.0, seed=3)
    assert a == model.continue_(primer, steps=32, temperature=1.0, seed=3)
    assert all(0 <= n.start < 8 and n.end <= 8 for n in a)
    assert len(model.sample([], 20, temperature=0.5, seed=1)) == 20


def test_bad_arguments_are_refused(folk):
    with pytest.raises(ValueError):
        NgramModel.fit(folk.tunes("train")[:5], 0)
    with pytest.raises(ValueError):
        NgramModel.fit([], 3)
    with pytest.raises(ValueError):
        NgramModel.fit(folk.tunes("train")[:5], 3).continue_([], temperature=0.0)
