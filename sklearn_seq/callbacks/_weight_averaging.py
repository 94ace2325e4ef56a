# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Stochastic weight averaging over the last epochs of a fit (a skorch callback)."""

import torch
from skorch.callbacks import Callback

__all__ = ["WeightAveraging"]


class WeightAveraging(Callback):
    """Average the weights of the last epochs and train-end on the average.

    Stochastic weight averaging (Izmailov et al., 2018): from epoch
    ``start`` of a fit call on, the network's parameters after each epoch are
    averaged (:class:`torch.optim.swa_utils.AveragedModel`, equal weights);
    when training ends the average replaces the parameters. A model then no
    longer depends on which epoch happened to be the last, and the average
    sits in a flatter region of the loss than any single epoch's weights.

    Batch-norm running statistics are not averaged: they belong to the
    final weights and must be recomputed for the averaged ones, which the
    estimators do after every fit (``recompute_bn_stats=True``; see
    :func:`sklearn_seq.nn.recompute_batchnorm_stats`). Used alone, call that
    function after training.

    Parameters
    ----------
    start : float or int, default=0.75
        First epoch averaged: a float in ``[0, 1)`` is a fraction of the
        call's ``max_epochs`` (0.75: the last quarter), an int an epoch
        count from the start of the call.

    Attributes
    ----------
    averaged_ : torch.optim.swa_utils.AveragedModel or None
        The running average (None before the first averaged epoch).
    n_averaged_ : int
        Epochs averaged so far in this call.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier
    >>> from sklearn_seq.callbacks import WeightAveraging
    >>> X = np.random.default_rng(0).normal(size=(40, 6, 2)).astype("float32")
    >>> y = (X[:, 0, 0] > 0).astype(int)
    >>> clf = SequenceClassifier(hidden_size=8, max_epochs=4, random_state=0,
    ...                          callbacks=[("swa", WeightAveraging(start=2))])
    >>> dict(clf.fit(X, y).net_.callbacks_)["swa"].n_averaged_
    2
    """

    def __init__(self, start=0.75):
        self.start = start

    def initialize(self):
        start = self.start
        if isinstance(start, float) and not 0.0 <= start < 1.0:
            raise ValueError(f"start must be in [0, 1) as a fraction; got {start}.")
        self.averaged_ = None
        self.n_averaged_ = 0
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.averaged_ = None
        self.n_averaged_ = 0
        # epochs of this call before averaging starts, counted from here
        self._first_epoch = len(net.history)
        start = self.start
        self._skip = int(start * net.max_epochs) if isinstance(start, float) else start

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) - self._first_epoch <= self._skip:
            return
        if self.averaged_ is None:
            self.averaged_ = torch.optim.swa_utils.AveragedModel(
                net.module_, use_buffers=False
            )
        # the copy made above is not counted: its first update takes the weights
        self.averaged_.update_parameters(net.module_)
        self.n_averaged_ += 1

    def on_train_end(self, net, **kwargs):
        if self.averaged_ is None:
            return
        with torch.no_grad():
            for param, mean in zip(
                net.module_.parameters(), self.averaged_.module.parameters()
            ):
                param.copy_(mean)
        self.averaged_ = None  # the average now lives in the module
