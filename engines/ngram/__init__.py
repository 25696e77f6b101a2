"""The n-gram engine: an interpolated modified Kneser-Ney model of the melody token grid.

- :mod:`engines.ngram.model`: :class:`~engines.ngram.model.NgramModel` (fit, likelihoods,
  checkpoint arrays), also the RNN's evaluation baseline (:mod:`engines.rnn.evaluate`);
- :mod:`engines.ngram.engine`: :class:`~engines.ngram.engine.NgramEngine`, the served engine
  (``continue`` and live streams, like the RNN's);
- :mod:`engines.ngram.train`: :func:`~engines.ngram.train.train_ngram`, fit on a corpus's
  train split and write a checkpoint folder.

Numpy only at serving time (torch only for the seeded CPU generator), so it answers on any
machine in milliseconds.
"""
