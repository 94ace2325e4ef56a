# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""skorch-based sequence estimators."""

from sklearn_seq.estimators._base import resolve_device
from sklearn_seq.estimators._classifier import SequenceClassifier
from sklearn_seq.estimators._embedder import SequenceEmbedder
from sklearn_seq.estimators._incremental import partial_fit_chunks
from sklearn_seq.estimators._regressor import SequenceRegressor
from sklearn_seq.estimators._seq2seq import Seq2SeqEstimator
from sklearn_seq.estimators._tagger import SequenceTagger

__all__ = [
    "Seq2SeqEstimator",
    "SequenceClassifier",
    "SequenceEmbedder",
    "SequenceRegressor",
    "SequenceTagger",
    "partial_fit_chunks",
    "resolve_device",
]
