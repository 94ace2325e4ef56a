# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Test accuracy at each of the last epochs of one fit (a skorch callback).

Used by ``bench_bn_ablation.py``: at the end of each of the last ``n_last``
epochs, a copy of the network gets its batch-norm statistics recomputed on
the training data when ``recompute`` is true (what a fit ending at that
epoch would deliver: the weight average once ``weight_averaging`` has
started) and scores the test set. The training run itself is not touched.
"""

import copy

import numpy as np
import torch
from skorch.callbacks import Callback

from sklearn_seq.data import BucketLoader, SequenceDataset
from sklearn_seq.nn import recompute_batchnorm_stats
from sklearn_seq.utils import check_sequences


class LastEpochsScore(Callback):
    """Record the test accuracy at each of the last ``n_last`` epochs."""

    def __init__(
        self, X_train, X_test, y_test_codes, n_epochs, n_last=5, recompute=True
    ):
        self.X_train = X_train
        self.X_test = X_test
        self.y_test_codes = y_test_codes
        self.n_epochs = n_epochs
        self.n_last = n_last
        self.recompute = recompute

    def initialize(self):
        self.scores_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) <= self.n_epochs - self.n_last:
            return
        # the model a fit ending here delivers: the weight average when
        # weight averaging has started, else the current weights
        averaging = dict(net.callbacks_).get("weight_averaging")
        if averaging is not None and averaging.averaged_ is not None:
            module = copy.deepcopy(averaging.averaged_.module)
        else:
            module = copy.deepcopy(net.module_)
        if self.recompute:
            train = BucketLoader(
                SequenceDataset(check_sequences(self.X_train)), batch_size=256
            )
            recompute_batchnorm_stats(
                module, train, lambda b: module(b[0]["x"], b[0]["lengths"])
            )
        test = BucketLoader(
            SequenceDataset(check_sequences(self.X_test), self.y_test_codes),
            batch_size=256,
        )
        module.eval()
        correct = 0
        with torch.no_grad():
            for Xi, yi in test:
                pred = module(Xi["x"], Xi["lengths"]).argmax(1)
                correct += int((pred == yi).sum())
        self.scores_.append(correct / len(self.y_test_codes))

    def spread(self):
        return float(np.ptp(self.scores_))
