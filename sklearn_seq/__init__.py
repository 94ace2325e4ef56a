# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Sequence models (RNN, LSTM, GRU, attention, CRF) as scikit-learn estimators.

The estimators (and :func:`partial_fit_chunks`, their out-of-core training
loop) are imported lazily, so ``import sklearn_seq.metrics`` does not load
torch.
"""

import importlib

__version__ = "0.1.0.dev0"

_ESTIMATORS = {
    "SequenceClassifier": "sklearn_seq.estimators",
    "SequenceEmbedder": "sklearn_seq.estimators",
    "SequenceRegressor": "sklearn_seq.estimators",
    "Seq2SeqEstimator": "sklearn_seq.estimators",
    "SequenceTagger": "sklearn_seq.estimators",
    "partial_fit_chunks": "sklearn_seq.estimators",
}
_SUBMODULES = [
    "callbacks",
    "data",
    "datasets",
    "estimators",
    "exceptions",
    "export",
    "inspection",
    "losses",
    "metrics",
    "nn",
    "preprocessing",
    "resampling",
    "utils",
]

__all__ = [
    "Seq2SeqEstimator",
    "SequenceClassifier",
    "SequenceEmbedder",
    "SequenceRegressor",
    "SequenceTagger",
    "__version__",
    "partial_fit_chunks",
]


def __getattr__(name):
    if name in _ESTIMATORS:
        return getattr(importlib.import_module(_ESTIMATORS[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"sklearn_seq.{name}")
    raise AttributeError(f"module 'sklearn_seq' has no attribute {name!r}")


def __dir__():
    return sorted([*__all__, *_SUBMODULES])
