"""Fitting the n-gram engine on a corpus's train split and writing its checkpoint folder."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from engines.checkpoint import read_config
from engines.corpus import Corpus, load_corpus
from engines.ngram.engine import NgramEngine
from engines.ngram.model import ENGINE, NgramConfig, NgramModel

log = logging.getLogger(__name__)

FOLK = "music21 folk: O'Neill 1850, Ryan's Mammoth, Nottingham, Essen"


def train_ngram(
    corpus: Corpus | str,
    out: str | Path,
    order: int = 5,
    *,
    limit: int | None = None,
    corpus_name: str | None = None,
) -> NgramEngine:
    """Fit an ``order``-gram on the train split of ``corpus`` and save it to ``out``.

    ``corpus`` is a :class:`Corpus` or a source for :func:`engines.corpus.load_corpus`
    (``folk``, ``bach``, a MIDI folder). ``limit`` keeps the corpus's first tunes (quick
    runs). The train split is the one ``engines.rnn.evaluate`` fits its baseline on, so
    the saved model is that baseline. ``out`` is written only because it is given: nothing
    here writes into the shipped ``engines/checkpoints``. Returns the engine.
    """
    if isinstance(corpus, str):
        corpus_name = corpus_name or (FOLK if corpus == "folk" else corpus)
        corpus = load_corpus(corpus)
    if limit is not None:
        corpus = corpus.subset(limit)
    train = corpus.tunes("train")
    if not train:
        raise ValueError(f"no train tunes in a corpus of {len(corpus)}")
    t0 = time.perf_counter()
    model = NgramModel.fit(train, order)
    seconds = time.perf_counter() - t0
    log.info("fit a %d-gram on %d train tunes in %.1f s", order, len(train), seconds)
    engine = NgramEngine(model)
    extra = {
        "corpus": f"{corpus_name or 'custom corpus'} ({len(corpus):,} tunes)",
        "training": {
            "split": "train",
            "corpus_tunes": {"train": len(train)},
            "train_steps": int(sum(len(t) for t in train)),
            "order": order,
            "ngrams": [len(level.grams) for level in model.levels],
            "fit_seconds": round(seconds, 2),
        },
    }
    engine.folder = engine.save(out, extra)
    engine.info = read_config(engine.folder, ENGINE, NgramConfig)[1]  # with its date
    return engine


__all__ = ["train_ngram"]
