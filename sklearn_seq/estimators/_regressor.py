# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""SequenceRegressor: one real-valued target (or several) per sequence."""

import numpy as np
import torch
from sklearn.base import RegressorMixin

from sklearn_seq.estimators._base import (
    _PartialFitMixin,
    _PooledSequenceNet,
)
from sklearn_seq.estimators._params import (
    CELL,
    CONTINUATION,
    CONV,
    DISTRIBUTED,
    EMBEDDING,
    ENCODER,
    POOLING,
    RECOMPUTE_BN_STATS,
    RUNTIME,
    TRAINING,
    WORD_DROPOUT,
    Param,
    with_parameters,
)

__all__ = ["SequenceRegressor"]


SCALE_TARGET = Param(
    "scale_target",
    True,
    ["boolean"],
    "bool",
    """
        Standardise ``y`` with the training mean and standard deviation before
        training and undo it in :meth:`predict`, so the default learning rate
        suits targets of any scale. Losses in ``history_`` are then on the
        standardised scale.""",
)


@with_parameters(
    CELL,
    ENCODER,
    POOLING,
    CONV,
    EMBEDDING,
    WORD_DROPOUT,
    SCALE_TARGET,
    TRAINING,
    RUNTIME,
    DISTRIBUTED,
    CONTINUATION,
    RECOMPUTE_BN_STATS,
)
class SequenceRegressor(RegressorMixin, _PartialFitMixin, _PooledSequenceNet):
    """Neural sequence regressor (RNN, LSTM, GRU, transformer) on skorch.

    Encodes each sequence, pools the step outputs over its valid steps and
    predicts one value (or one row of values, for multi-output targets) per
    sequence. Accepts every input kind of sklearn_seq.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.

    target_mean_ : ndarray of shape (n_outputs,)
        Mean subtracted from ``y`` (zeros when ``scale_target=False``).

    target_scale_ : ndarray of shape (n_outputs,)
        Scale dividing ``y`` (ones when ``scale_target=False``).

    {shared_attributes}

    See Also
    --------
    SequenceClassifier : One label per sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq import SequenceRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(n, 2)) for n in rng.integers(3, 9, size=30)]
    >>> y = np.array([x.sum() for x in X])
    >>> reg = SequenceRegressor(hidden_size=8, max_epochs=2, random_state=0)
    >>> reg.fit(X, y).predict(X[:4]).shape
    (4,)
    """

    def fit(self, X, y, sample_weight=None):
        """Fit the network on sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
(n_samples, n_timesteps), list of arrays or list of token id lists
            Training sequences.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Real-valued targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights multiplying each sample's loss.

        Returns
        -------
        self : SequenceRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    # -- hooks of BaseSequenceNet._fit -----------------------------------------
    _default_criterion = torch.nn.MSELoss

    def _encode_y(self, y, seqs, *, warm):
        y = np.asarray(y)
        if y.dtype.kind not in "biuf":
            try:
                y = y.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"y must hold numbers for {type(self).__name__}; got dtype "
                    f"{y.dtype}."
                ) from exc
        if y.ndim not in (1, 2):
            raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}.")
        self._check_n_targets(len(y), seqs, "targets")
        if not np.isfinite(y).all():
            bad = int(np.argmax(~np.isfinite(y.reshape(len(y), -1)).all(axis=1)))
            raise ValueError(f"y contains NaN or inf (first at y[{bad}]).")
        y2 = y.reshape(len(y), -1).astype(np.float64)
        if warm and y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} outputs but the fitted estimator has "
                f"{self.n_outputs_}; fit with warm_start=False."
            )
        self._y_1d = y.ndim == 1
        self.n_outputs_ = y2.shape[1]
        if warm:  # keep the target scaling of the first fit
            pass
        elif self.scale_target:
            self.target_mean_ = y2.mean(axis=0)
            scale = y2.std(axis=0)
            self.target_scale_ = np.where(scale > 0, scale, 1.0)
        else:
            self.target_mean_ = np.zeros(self.n_outputs_)
            self.target_scale_ = np.ones(self.n_outputs_)
        target = ((y2 - self.target_mean_) / self.target_scale_).astype(np.float32)
        self._check_criterion_task()
        return (target[:, 0] if self._y_1d else target), self.n_outputs_

    def _check_criterion_task(self):
        crit = self.criterion
        if crit is None:
            return
        name = crit.__name__ if isinstance(crit, type) else type(crit).__name__
        if name in (
            "CrossEntropyLoss",
            "NLLLoss",
            "BCEWithLogitsLoss",
            "BCELoss",
            "FocalLoss",
            "MultiMarginLoss",
        ):
            raise ValueError(
                f"criterion={name} is a classification loss; SequenceRegressor "
                "needs a regression loss on real-valued outputs (MSELoss, L1Loss, "
                "HuberLoss, SmoothL1Loss). Use SequenceClassifier for labels."
            )
        if name in ("TripletLoss", "ContrastiveLoss"):
            raise ValueError(
                f"criterion={name} learns embeddings; use it with SequenceEmbedder."
            )

    def predict(self, X):
        """Predicted targets, on the scale of the ``y`` seen in :meth:`fit`.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences, of the kind seen in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions.
        """
        out = self._predict_raw(X).astype(np.float64)
        out = out * self.target_scale_ + self.target_mean_
        return out[:, 0] if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True
        tags.target_tags.multi_output = True
        return tags
