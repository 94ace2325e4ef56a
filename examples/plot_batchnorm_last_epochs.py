# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""
Batch norm and the last-epoch lottery
=====================================

FCN (convolutions + batch norm) on ragged, gesture-like series whose level
drifts with their length. We train it twice with the same seed:

- as before sklearn_seq 0.1 (issue 15): length-sorted batches, the moving
  averages of batch norm kept as torch leaves them, no weight averaging
  (``recompute_bn_stats=False, weight_averaging=None`` and the old batching
  through ``iterator_train_params``);
- with the defaults: random batches (the short last one merged), exact
  batch-norm statistics recomputed at the end of fit
  (:func:`sklearn_seq.nn.recompute_batchnorm_stats`) and the weights of the
  last quarter of the epochs averaged
  (:class:`sklearn_seq.callbacks.WeightAveraging`).

After every epoch a callback scores the test set with the model a fit ending
at that epoch would deliver. The first curve jumps from epoch to epoch: which
epoch happens to be the last decides the score. The second one is the model
you get, and it stays put.

Set ``SKLEARN_SEQ_SMALL=1`` for a tiny run (a few seconds).
"""

import copy
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from skorch.callbacks import Callback

from sklearn_seq import SequenceClassifier
from sklearn_seq.data import BucketLoader, SequenceDataset
from sklearn_seq.nn import recompute_batchnorm_stats
from sklearn_seq.utils import check_sequences

torch.set_num_threads(1)
SMALL = os.environ.get("SKLEARN_SEQ_SMALL") == "1"
OUTPUT = Path(__file__).resolve().parent / "output"
OUTPUT.mkdir(exist_ok=True)
N_TRAIN, EPOCHS = (48, 6) if SMALL else (96, 60)


def gestures(n, seed):
    """Ragged series: a class-specific 6-step shape at a random place."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    X = []
    for label, t in zip(y, rng.integers(10, 80, size=n)):
        x = rng.normal(scale=0.5, size=(t, 1)).astype(np.float32) + 0.04 * t
        start = rng.integers(0, t - 6)
        x[start : start + 6, 0] += 1.5 * np.sin(np.linspace(0, np.pi * (label + 1), 6))
        X.append(x)
    return X, y


X_train, y_train = gestures(N_TRAIN, seed=0)
X_test, y_test = gestures(300, seed=1)
train_batches = BucketLoader(SequenceDataset(check_sequences(X_train)), 256)
test_batches = BucketLoader(SequenceDataset(check_sequences(X_test), y_test), 256)


class EpochScores(Callback):
    """Test accuracy of the model a fit ending at each epoch would deliver."""

    def __init__(self, finalize):
        self.finalize = finalize

    def initialize(self):
        self.scores_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        averaging = dict(net.callbacks_).get("weight_averaging")
        average = getattr(averaging, "averaged_", None)
        module = copy.deepcopy(net.module_ if average is None else average.module)
        if self.finalize:  # what fit does at its end
            recompute_batchnorm_stats(
                module, train_batches, lambda b: module(b[0]["x"], b[0]["lengths"])
            )
        module.eval()
        correct = 0
        with torch.no_grad():
            for Xi, yi in test_batches:
                pred = module(Xi["x"], Xi["lengths"]).argmax(1)
                correct += int((pred == yi).sum())
        self.scores_.append(correct / len(y_test))


runs = {
    "before: sorted batches, moving averages": {
        "recompute_bn_stats": False,
        "weight_averaging": None,
        "iterator_train_params": {"max_padding": 1.0, "bucket_size": 50},
    },
    "defaults: exact statistics, weight averaging": {},
}
fig, ax = plt.subplots(figsize=(6, 4))
for name, params in runs.items():
    scores = EpochScores(finalize="recompute_bn_stats" not in params)
    clf = SequenceClassifier(
        cell="fcn",
        n_filters=(16, 32, 16),
        max_epochs=EPOCHS,
        batch_size=16,
        lr=1e-2,
        random_state=0,
        callbacks=[("scores", scores)],
        **params,
    ).fit(X_train, y_train)
    curve = dict(clf.net_.callbacks_)["scores"].scores_
    last = curve[-5:]
    print(
        f"{name}: final test accuracy {clf.score(X_test, y_test):.3f}; "
        f"last 5 epochs {min(last):.3f}-{max(last):.3f}"
    )
    ax.plot(range(1, EPOCHS + 1), curve, marker=".", label=name)
ax.set_xlabel("epoch at which fit ends")
ax.set_ylabel("test accuracy")
ax.set_title("FCN on ragged series: what the last epoch delivers")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(OUTPUT / "batchnorm_last_epochs.png", dpi=100)
