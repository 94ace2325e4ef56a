# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""SequenceClassifier: one label per sequence."""

import numpy as np
import torch
from scipy.special import expit, softmax
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    column_or_1d,
)

from sklearn_seq.estimators._base import (
    _PartialFitMixin,
    _PooledSequenceNet,
)
from sklearn_seq.estimators._params import (
    CELL,
    CLASS_WEIGHT,
    CONTINUATION,
    CONV,
    DISTRIBUTED,
    EMBEDDING_DIM,
    EMBEDDING_DROPOUT,
    ENCODER,
    POOLING,
    RECOMPUTE_BN_STATS,
    RUNTIME,
    TRAINING,
    WORD_DROPOUT,
    with_parameters,
)

__all__ = ["SequenceClassifier"]


def _softmax(z):
    """Row-wise softmax of float64 logits, ``scipy.special.softmax(z, axis=1)``.

    NumPy reduces along a short last axis one row at a time: for 2,048 x 2
    logits scipy takes 100 us, a fifth of the per-call cost of predict_proba
    beyond the network. Up to 8 classes the maxima and sums run column by
    column (20 us; equal to scipy's within 1e-15, tested); ``z`` is
    overwritten.
    """
    if z.shape[1] > 8:
        return softmax(z, axis=1)
    top = z[:, 0].copy()
    for j in range(1, z.shape[1]):
        np.maximum(top, z[:, j], out=top)
    z -= top[:, None]
    np.exp(z, out=z)
    total = z[:, 0].copy()
    for j in range(1, z.shape[1]):
        total += z[:, j]
    z /= total[:, None]
    return z


@with_parameters(
    CELL,
    ENCODER,
    POOLING,
    CONV,
    EMBEDDING_DIM,
    EMBEDDING_DROPOUT.but(default=0.5),
    WORD_DROPOUT,
    TRAINING,
    CLASS_WEIGHT,
    RUNTIME,
    DISTRIBUTED,
    CONTINUATION,
    RECOMPUTE_BN_STATS,
)
class SequenceClassifier(ClassifierMixin, _PartialFitMixin, _PooledSequenceNet):
    """Neural sequence classifier (RNN, LSTM, GRU, transformer) on skorch.

    Encodes each sequence, pools the step outputs over its valid steps and
    predicts one label per sequence. Accepts every input kind of sklearn_seq:
    3-D arrays ``(n_samples, n_timesteps, n_features)``, 2-D univariate arrays,
    ragged lists of ``(n_timesteps_i, n_features)`` arrays, and token id
    sequences (through an embedding with ``padding_idx=0``).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in :meth:`fit`, in the order of the
        :meth:`predict_proba` columns.

    class_weight_ : ndarray of shape (n_classes,) or None
        Weights given to the criterion.

    {shared_attributes}

    See Also
    --------
    SequenceRegressor : One real-valued target (or several) per sequence.

    Notes
    -----
    With the default criterion (:class:`torch.nn.CrossEntropyLoss`) the
    network emits one logit per class. With
    :class:`torch.nn.BCEWithLogitsLoss` on a binary task it emits one logit,
    and ``class_weight`` becomes ``pos_weight = w[1] / w[0]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 6, 2)).astype("float32")
    >>> y = np.where(X[:, 0, 0] > 0, "up", "down")
    >>> clf = SequenceClassifier(hidden_size=8, max_epochs=2, random_state=0)
    >>> clf.fit(X, y).predict(X[:3]).shape
    (3,)
    >>> clf.classes_.tolist()
    ['down', 'up']
    >>> clf.predict_proba([X[0], X[1, :4]]).sum(axis=1).round(6).tolist()
    [1.0, 1.0]
    """

    def _single_logit(self):
        crit = self.criterion
        cls = crit if isinstance(crit, type) else type(crit)
        return isinstance(cls, type) and issubclass(cls, torch.nn.BCEWithLogitsLoss)

    def fit(self, X, y, sample_weight=None):
        """Fit the network on sequences ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
(n_samples, n_timesteps), list of arrays or list of token id lists
            Training sequences.
        y : array-like of shape (n_samples,)
            Class labels of any dtype.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights multiplying each sample's loss (the batch loss
            is the weighted mean).

        Returns
        -------
        self : SequenceClassifier
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight)

    # -- hooks of BaseSequenceNet._fit -----------------------------------------
    _stratify = True

    def _encode_y(self, y, seqs, *, warm):
        y = column_or_1d(np.asarray(y), warn=True)
        self._check_n_targets(len(y), seqs)
        check_classification_targets(y)
        classes = getattr(self, "_partial_fit_classes", None)
        if warm or classes is not None:
            # continued training: labels keep the encoding of the first fit
            known = self.classes_ if warm else np.unique(np.asarray(classes))
            if classes is not None and not np.array_equal(np.unique(classes), known):
                raise ValueError(
                    f"classes={np.unique(classes).tolist()} differs from the "
                    f"classes of the previous fit, {known.tolist()}."
                )
            unseen = np.setdiff1d(y, known)
            if len(unseen):
                raise ValueError(
                    f"y holds labels {unseen.tolist()} that are not in classes "
                    f"{known.tolist()} of the fitted estimator; fit with "
                    "warm_start=False to learn new classes."
                )
            self.classes_, y_encoded = known, np.searchsorted(known, y)
        elif self._partial_fit_epochs is not None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        else:
            self.classes_, y_encoded = np.unique(y, return_inverse=True)
        n_classes = len(self.classes_)
        if n_classes < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; "
                f"got 1 class ({self.classes_[0]!r})."
            )
        single = self._single_logit()
        if single and n_classes != 2:
            raise ValueError(
                "BCEWithLogitsLoss fits binary tasks only; got "
                f"{n_classes} classes. Use CrossEntropyLoss or FocalLoss."
            )
        if not warm:  # a continued fit reuses the criterion and its weights
            self.class_weight_ = self._class_weights(y_encoded, n_classes)
        self._check_criterion_task()
        if single:
            return y_encoded.astype(np.float32), 1
        return y_encoded.astype(np.int64), n_classes

    def _criterion_weight(self):
        # BCEWithLogitsLoss's `weight` is per element, not per class: the
        # class weights become its pos_weight once the criterion is built
        return None if self._single_logit() else self.class_weight_

    def _build_criterion(self, default, weight=None):
        criterion = super()._build_criterion(default, weight)
        if self._single_logit() and self.class_weight_ is not None:
            # one logit: the class weights become BCEWithLogitsLoss's
            # pos_weight, in place before training starts
            w = self.class_weight_
            criterion.pos_weight = torch.tensor([w[1] / w[0]], dtype=torch.float32)
        return criterion

    def _check_criterion_task(self):
        crit = self.criterion
        name = crit.__name__ if isinstance(crit, type) else type(crit).__name__
        if name in ("TripletLoss", "ContrastiveLoss"):
            raise ValueError(
                f"criterion={name} learns embeddings, not class scores; use it "
                "with SequenceEmbedder, or pick CrossEntropyLoss / FocalLoss for "
                "SequenceClassifier."
            )
        if name in ("NLLLoss", "KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss"):
            raise ValueError(
                f"criterion={name} expects log-probabilities or distribution "
                "parameters, but SequenceClassifier's network outputs logits: "
                "training would drive the loss to minus infinity. Use "
                "CrossEntropyLoss (NLLLoss on log_softmax of the logits), "
                "BCEWithLogitsLoss or FocalLoss."
            )
        if name in ("MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss"):
            raise ValueError(
                f"criterion={name} is a regression loss; SequenceClassifier "
                "needs a classification loss taking logits (CrossEntropyLoss, "
                "BCEWithLogitsLoss, FocalLoss). Use SequenceRegressor for real-"
                "valued targets."
            )

    def decision_function(self, X):
        """Raw scores (logits) of the network.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences, of the kind seen in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            One logit per sample for binary tasks (positive class
            ``classes_[1]``), else one per class.
        """
        out = self._predict_raw(X)
        if out.shape[1] == 1:
            return out[:, 0]
        if len(self.classes_) == 2:
            return out[:, 1] - out[:, 0]
        return out

    def predict_proba(self, X):
        """Class probabilities; rows sum to 1.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences, of the kind seen in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        out = self._predict_raw(X).astype(np.float64)
        if out.shape[1] == 1:
            p = expit(out[:, 0])
            return np.column_stack([1 - p, p])
        return _softmax(out)

    def predict(self, X):
        """Predicted labels, in the dtype of the labels seen in :meth:`fit`.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences, of the kind seen in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples,)
            Predicted class labels.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True
        return tags
