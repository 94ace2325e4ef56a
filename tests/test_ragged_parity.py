"""Ragged input is as accurate as the same data padded (issue 15, item 2).

The same variable-length data go in once as a list of unequal lengths (the
library batches, masks and normalises over valid steps) and once zero-padded
to a 3-D array (every step is data, as in a plain loop that pads to the
longest sequence). Ragged input must be at least as accurate.

For the batch-norm cells the level of the series drifts with its length, as
in gesture data: batches sorted by length then carry batch statistics of
their own length group, unlike evaluation. Before issue 15 (length-bucketed
batches, moving-average statistics) FCN scored 0.61 / 0.73 on this task
ragged against 0.60 / 0.82 padded (seeds 0 / 1); now 0.82 / 0.92.
"""

import numpy as np
import pytest

from sklearn_seq import SequenceClassifier

CELLS = {
    "rnn": {},
    "lstm": {},
    "gru": {},
    "transformer": {"lr": 3e-3},
    "fcn": {"n_filters": (8, 16, 8)},
    "lstm_fcn": {"n_filters": (8, 16, 8), "dropout": 0.0},
    "tcn": {"n_filters": 8, "dilations": (1, 2, 4)},
}


def _drifting(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    X = []
    for label, t in zip(y, rng.integers(10, 80, n)):
        x = rng.normal(scale=0.5, size=(t, 1)).astype(np.float32) + 0.04 * t
        start = rng.integers(0, t - 6)
        x[start : start + 6, 0] += 1.5 * np.sin(np.linspace(0, np.pi * (label + 1), 6))
        X.append(x)
    return X, y


def _data(n, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n)
    lengths = rng.integers(8, 49, n)
    X = []
    for label, t in zip(y, lengths):
        x = rng.normal(scale=0.5, size=(t, 2)).astype(np.float32)
        start = rng.integers(0, t - 4)
        # the class is the sign of a 4-step bump somewhere in feature 0
        x[start : start + 4, 0] += 1.5 if label else -1.5
        X.append(x)
    return X, y


def _pad(X, width):
    out = np.zeros((len(X), width, X[0].shape[1]), dtype=np.float32)
    for i, x in enumerate(X):
        out[i, : len(x)] = x
    return out


def _scores(cell, make_data, n_train, seeds, params):
    X, y = make_data(n_train, seed=0)
    X_test, y_test = make_data(300, seed=1)
    width = max(max(map(len, X)), max(map(len, X_test)))
    scores = {"ragged": [], "padded": []}
    for kind, train, test in [
        ("ragged", X, X_test),
        ("padded", _pad(X, width), _pad(X_test, width)),
    ]:
        for seed in seeds:
            clf = SequenceClassifier(
                cell=cell,
                hidden_size=16,
                max_epochs=20,
                batch_size=16,
                random_state=seed,
                **{"lr": 1e-2, **params},
            )
            scores[kind].append(clf.fit(train, y).score(test, y_test))
    return {k: float(np.mean(v)) for k, v in scores.items()}


@pytest.mark.parametrize("cell", list(CELLS))
def test_ragged_list_as_accurate_as_padded_array(cell):
    scores = _scores(cell, _data, 160, [0], CELLS[cell])
    # ragged input learns the task and loses nothing to padding (a recurrent
    # cell reading padded zeros to the end may well do worse)
    assert scores["ragged"] > 0.8, scores
    assert scores["ragged"] >= scores["padded"] - 0.03, scores


@pytest.mark.parametrize("cell", ["fcn", "lstm_fcn"])
def test_ragged_batch_norm_cells_when_the_level_follows_the_length(cell):
    scores = _scores(cell, _drifting, 96, [0, 1], CELLS[cell])
    assert scores["ragged"] > 0.75, scores
    assert scores["ragged"] >= scores["padded"] - 0.03, scores
