# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""3-D <-> 2-D reshaping of fixed-length sequences, for manual use.

In a pipeline, wrap a 2-D sampler in
:class:`sklearn_seq.resampling.SequenceSampler` instead: one step, no shape to
repeat, ragged sequences too. These two transformers hold no state outside
themselves: :class:`SequenceReshaper` takes its shape from its parameters.
"""

from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from sklearn_seq.exceptions import SequenceValidationError
from sklearn_seq.preprocessing._containers import (
    _check_n_features,
    _check_numeric,
    _fit_n_features,
)
from sklearn_seq.utils._param_validation import Interval, _fit_context

__all__ = ["SequenceFlattener", "SequenceReshaper"]


class SequenceFlattener(TransformerMixin, BaseEstimator):
    """Flatten fixed-length sequences to a 2-D array, one row per sequence.

    ``(n_samples, n_timesteps, n_features)`` becomes
    ``(n_samples, n_timesteps * n_features)``, step-major: column
    ``t * n_features + j`` holds feature ``j`` at step ``t``. A univariate
    ``(n_samples, n_timesteps)`` array passes through unchanged;
    :meth:`inverse_transform` undoes the flattening. To run a 2-D sampler of
    imbalanced-learn (SMOTE, ADASYN, RandomUnderSampler, ...) on sequences in
    a pipeline, use :class:`sklearn_seq.resampling.SequenceSampler`, which
    flattens, resamples and reshapes in one step and also takes ragged
    sequences.

    Ragged sequences cannot be flattened: pad them first with
    :class:`SequencePadder`.

    Attributes
    ----------
    n_timesteps_ : int
        Number of timesteps of the sequences seen in :term:`fit`.

    n_features_in_ : int
        Number of features per timestep seen in :term:`fit` (for a 2-D
        array: its number of columns, as for any scikit-learn estimator).

    See Also
    --------
    SequenceReshaper : Rows back to sequences, given their shape.
    SequencePadder : Make ragged sequences fixed-length first.
    sklearn_seq.resampling.SequenceSampler : A 2-D sampler on sequences, in
        one pipeline step.

    Examples
    --------
    >>> import numpy as np
    >>> from imblearn.over_sampling import SMOTE
    >>> from sklearn_seq.preprocessing import SequenceFlattener, SequenceReshaper
    >>> rng = np.random.RandomState(0)
    >>> X, y = rng.normal(size=(30, 5, 2)), np.array([0] * 24 + [1] * 6)
    >>> X_flat = SequenceFlattener().fit_transform(X)
    >>> X_flat.shape
    (30, 10)
    >>> X_res, y_res = SMOTE(k_neighbors=3, random_state=0).fit_resample(X_flat, y)
    >>> SequenceReshaper(n_features=2).fit_transform(X_res).shape
    (48, 5, 2)
    >>> np.bincount(y_res).tolist()
    [24, 24]

    In a pipeline, the same in one step::

        make_pipeline(SequenceSampler(SMOTE()), SequenceClassifier())
    """

    _parameter_constraints: ClassVar[dict] = {}

    def _validate(self, X):
        seqs, _ = _check_numeric(X, self)
        if (seqs.lengths != seqs.lengths[0]).any():
            i = int(np.argmax(seqs.lengths != seqs.lengths[0]))
            raise SequenceValidationError(
                "SequenceFlattener needs sequences of one length, but X[0] has "
                f"{seqs.lengths[0]} steps and X[{i}] has {seqs.lengths[i]}. Pad "
                "them with sklearn_seq.preprocessing.SequencePadder first, or "
                "resample ragged sequences with the samplers of "
                "sklearn_seq.resampling instead of a 2-D sampler."
            )
        return seqs

    def _fit(self, seqs):
        _fit_n_features(self, seqs)
        self.n_timesteps_ = int(seqs.lengths[0])
        self._step_features = int(seqs.n_features)
        return self

    def _transform(self, seqs):
        _check_n_features(self, seqs)
        shape = (int(seqs.lengths[0]), seqs.n_features)
        if shape != (self.n_timesteps_, self._step_features):
            raise ValueError(
                f"X has sequences of {shape[0]} steps x {shape[1]} features, but "
                f"SequenceFlattener was fitted on {self.n_timesteps_} x "
                f"{self._step_features}."
            )
        return seqs.values.reshape(seqs.n_samples, -1).copy()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the sequence shape.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or \
                (n_samples, n_timesteps)
            Fixed-length numeric sequences (a list of equal-length arrays
            works too).

        y : None
            Ignored.

        Returns
        -------
        self : SequenceFlattener
            The fitted flattener.
        """
        return self._fit(self._validate(X))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Fit to ``X`` and flatten it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or \
                (n_samples, n_timesteps)
            Fixed-length numeric sequences.

        y : None
            Ignored.

        Returns
        -------
        X_flat : ndarray of shape (n_samples, n_timesteps * n_features)
            Flattened sequences.
        """
        seqs = self._validate(X)
        return self._fit(seqs)._transform(seqs)

    def transform(self, X):
        """Flatten sequences of the fitted shape to one row each.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features) or \
                (n_samples, n_timesteps)
            Fixed-length numeric sequences of the shape seen in :meth:`fit`.

        Returns
        -------
        X_flat : ndarray of shape (n_samples, n_timesteps * n_features)
            Flattened sequences, float32 for float32 input, float64 otherwise.
        """
        check_is_fitted(self)
        return self._transform(self._validate(X))

    def inverse_transform(self, X):
        """Restore the sequences from their flattened rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_features)
            Flattened sequences.

        Returns
        -------
        X_seq : ndarray of shape (n_samples, n_timesteps, n_features) or \
                (n_samples, n_timesteps)
            Sequences of the kind seen in :meth:`fit` (2-D for univariate input).
        """
        check_is_fitted(self)
        X = _check_flat(X, self.n_timesteps_ * self._step_features)
        if self._fitted_univariate:
            return X.reshape(len(X), self.n_timesteps_)
        return X.reshape(len(X), self.n_timesteps_, self._step_features)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, ``"<feature>_t<step>"``.

        For a 2-D (univariate) input the columns pass through, and so do
        their names.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Names of the ``n_features_in_`` input features (per step for 3-D
            input, per column for 2-D input). ``x0``, ``x1``, ... when None.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per output column, step-major.
        """
        check_is_fitted(self)
        if input_features is None:
            input_features = [f"x{j}" for j in range(self.n_features_in_)]
        elif len(input_features) != self.n_features_in_:
            raise ValueError(
                f"input_features should have {self.n_features_in_} names (one "
                f"per feature), got {len(input_features)}."
            )
        if self._fitted_univariate:
            return np.asarray(list(input_features), dtype=object)
        names = [
            f"{name}_t{t}" for t in range(self.n_timesteps_) for name in input_features
        ]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


class SequenceReshaper(TransformerMixin, BaseEstimator):
    """Reshape flattened rows back to 3-D sequences.

    ``(n_samples, n_timesteps * n_features)`` becomes
    ``(n_samples, n_timesteps, n_features)``, undoing
    :class:`SequenceFlattener`. The shape comes from its parameters only:
    pass ``n_features`` or ``n_timesteps`` (or both); the other is derived
    from the number of columns at :meth:`fit`. Nothing is shared with a
    flattener, so the same pipeline gives the same result whatever ran before
    it. To run a 2-D sampler on sequences in a pipeline, prefer
    :class:`sklearn_seq.resampling.SequenceSampler`.

    Parameters
    ----------
    n_timesteps : int, default=None
        Number of timesteps per sequence. Derived from ``n_features`` and the
        number of columns when None.

    n_features : int, default=None
        Number of features per timestep. Derived from ``n_timesteps`` and the
        number of columns when None. One of the two parameters is required.

    Attributes
    ----------
    shape_ : tuple of int
        ``(n_timesteps, n_features)`` of the output sequences.

    n_features_in_ : int
        Number of columns seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (n_features_in,)
        Column names seen during :term:`fit`, when ``X`` has string column
        names (a pandas DataFrame).

    See Also
    --------
    SequenceFlattener : The flattening step this reshaper undoes.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.preprocessing import SequenceReshaper
    >>> X_flat = np.arange(12.0).reshape(2, 6)
    >>> reshaper = SequenceReshaper(n_features=2).fit(X_flat)
    >>> reshaper.shape_
    (3, 2)
    >>> reshaper.transform(X_flat)[1]
    array([[ 6.,  7.],
           [ 8.,  9.],
           [10., 11.]])
    """

    _parameter_constraints: ClassVar[dict] = {
        "n_timesteps": [Interval(Integral, 1, None, closed="left"), None],
        "n_features": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, n_timesteps=None, n_features=None):
        self.n_timesteps = n_timesteps
        self.n_features = n_features

    def _resolve_shape(self, n_columns):
        t, f = self.n_timesteps, self.n_features
        if t is None and f is None:
            raise ValueError(
                f"SequenceReshaper cannot tell the sequence shape of its "
                f"{n_columns} input columns: pass n_features (or n_timesteps). "
                "To resample sequences with a 2-D sampler in a pipeline, use "
                "sklearn_seq.resampling.SequenceSampler(sampler) instead of "
                "SequenceFlattener -> sampler -> SequenceReshaper."
            )
        if t is None:
            t = n_columns // f
        elif f is None:
            f = n_columns // t
        if t * f != n_columns:
            raise ValueError(
                f"X has {n_columns} columns, which cannot be reshaped to "
                f"n_timesteps={self.n_timesteps} x n_features={self.n_features}."
            )
        return (int(t), int(f))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Find the sequence shape for the columns of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_features)
            Flattened sequences.

        y : None
            Ignored.

        Returns
        -------
        self : SequenceReshaper
            The fitted reshaper.
        """
        X = validate_data(self, X, dtype=[np.float64, np.float32])
        self.shape_ = self._resolve_shape(X.shape[1])
        return self

    def transform(self, X):
        """Reshape rows to sequences of shape ``shape_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps * n_features)
            Flattened sequences.

        Returns
        -------
        X_seq : ndarray of shape (n_samples, n_timesteps, n_features)
            The sequences (a view of ``X`` when no conversion was needed).
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return X.reshape(len(X), *self.shape_)

    def inverse_transform(self, X):
        """Flatten sequences of shape ``shape_`` back to rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features)
            Fixed-length sequences.

        Returns
        -------
        X_flat : ndarray of shape (n_samples, n_timesteps * n_features)
            Flattened sequences.
        """
        check_is_fitted(self)
        seqs, _ = _check_numeric(X, self)
        n_columns = self.shape_[0] * self.shape_[1]
        if (seqs.lengths != self.shape_[0]).any() or seqs.n_features != self.shape_[1]:
            raise ValueError(
                f"X does not hold sequences of shape {self.shape_}, the shape "
                "SequenceReshaper was fitted with."
            )
        return seqs.values.reshape(seqs.n_samples, n_columns).copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


def _check_flat(X, n_columns):
    """Validate a 2-D array of flattened sequences with ``n_columns`` columns."""
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != n_columns:
        raise ValueError(
            f"Expected flattened sequences of shape (n_samples, {n_columns}), "
            f"got shape {X.shape}."
        )
    if X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return X
