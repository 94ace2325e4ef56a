# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Per-feature standardisation of sequences over their valid steps."""

from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from sklearn_seq.preprocessing._containers import (
    _check_n_features,
    _check_numeric,
    _fit_n_features,
    _rebuild,
)
from sklearn_seq.utils._param_validation import _fit_context

__all__ = ["SequenceScaler"]


class SequenceScaler(TransformerMixin, BaseEstimator):
    """Standardise each feature over all valid timesteps of all sequences.

    The mean and standard deviation of feature ``j`` are computed over every
    step of every sequence, so a sequence of 300 steps weighs 100 times more
    than one of 3 steps, and nothing outside a sequence (no padding) is ever
    counted. Ragged lists are scaled without being padded.

    The output has the container kind of the input: a 3-D array
    ``(n_samples, n_timesteps, n_features)`` gives a 3-D array, a univariate
    2-D array ``(n_samples, n_timesteps)`` gives a 2-D array, and a list of
    arrays gives a list of arrays of the same lengths. Nested lists of numbers
    (no arrays inside) of equal lengths are an array-like, as in
    scikit-learn, and give an array of their shape; ragged nested lists give
    a list of arrays. float32 input stays float32; other numeric input becomes
    float64.

    NaN values are treated as missing, as in
    :class:`sklearn.preprocessing.StandardScaler`: they are ignored by
    :meth:`fit` and kept by :meth:`transform` (so tslearn's NaN-padded arrays
    can be scaled). Infinite values are an error.

    Parameters
    ----------
    with_mean : bool, default=True
        Whether to subtract the per-feature mean.

    with_std : bool, default=True
        Whether to divide by the per-feature standard deviation. Features with a
        zero standard deviation are left unscaled (scale 1).

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Per-feature mean over all valid steps seen in :term:`fit`.

    var_ : ndarray of shape (n_features,)
        Per-feature (population) variance over all valid steps.

    scale_ : ndarray of shape (n_features,) or None
        Per-feature divisor, ``sqrt(var_)`` with zeros replaced by 1. None
        when ``with_std=False``.

    n_steps_seen_ : ndarray of shape (n_features,)
        Number of non-NaN steps used for each feature's statistics.

    n_features_in_ : int
        Number of features per timestep seen during :term:`fit`.

    See Also
    --------
    sklearn.preprocessing.StandardScaler : The same for 2-D tabular data.
    SequencePadder : Pad ragged sequences to a fixed length.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.preprocessing import SequenceScaler
    >>> X = [np.array([[0.0], [2.0]]), np.array([[4.0], [6.0], [8.0]])]
    >>> scaler = SequenceScaler().fit(X)
    >>> scaler.mean_, scaler.scale_
    (array([4.]), array([2.828...]))
    >>> [x.ravel().round(2).tolist() for x in scaler.transform(X)]
    [[-1.41, -0.71], [0.0, 0.71, 1.41]]
    >>> scaler.fit_transform(np.ones((5, 10, 3))).shape
    (5, 10, 3)
    >>> SequenceScaler().fit_transform([[0.0, 4.0], [8.0, 4.0]])
    array([[-1.41...,  0.        ],
           [ 1.41...,  0.        ]])
    """

    _parameter_constraints: ClassVar[dict] = {
        "with_mean": ["boolean"],
        "with_std": ["boolean"],
    }

    def __init__(self, *, with_mean=True, with_std=True):
        self.with_mean = with_mean
        self.with_std = with_std

    def _validate(self, X):
        seqs, squeeze = _check_numeric(X, self, allow_nan=True)
        if np.isinf(seqs.values).any():
            raise ValueError(
                "X contains infinity; SequenceScaler accepts NaN as missing "
                "values, but not inf."
            )
        return seqs, squeeze

    @staticmethod
    def _output(values, seqs, squeeze, X):
        """``values`` in the container of ``X``; equal-length nested lists -> array.

        A list of Python lists (no arrays inside) is an array-like for
        scikit-learn, so when its sequences share one length the result is the
        array ``np.asarray(X)`` would have been; ragged input stays a list.
        """
        if (
            seqs.kind == "ragged"
            and isinstance(X, list | tuple)
            and all(isinstance(x, list | tuple) for x in X)
            and (seqs.lengths == seqs.lengths[0]).all()
        ):
            shape = (seqs.n_samples, int(seqs.lengths[0]))
            return values.reshape(shape if squeeze else (*shape, values.shape[1]))
        return _rebuild(values, seqs, squeeze)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Compute the per-feature mean and standard deviation.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
                (n_samples, n_timesteps) or list of arrays
            Numeric sequences, fixed-length or ragged.

        y : None
            Ignored.

        Returns
        -------
        self : SequenceScaler
            The fitted scaler.
        """
        seqs, _ = self._validate(X)
        values = seqs.values.astype(np.float64)
        nan = np.isnan(values)
        if nan.any():
            counts = (~nan).sum(axis=0)
            if (counts == 0).any():
                j = int(np.argmin(counts))
                raise ValueError(f"Feature {j} of X is NaN at every step.")
            mean = np.nanmean(values, axis=0)
            var = np.nanvar(values, axis=0)
        else:
            counts = np.full(values.shape[1], len(values))
            mean = values.mean(axis=0)
            var = values.var(axis=0)
        _fit_n_features(self, seqs)
        self.n_steps_seen_ = counts
        self.mean_ = mean
        self.var_ = var
        if self.with_std:
            scale = np.sqrt(var)
            scale[scale < 10 * np.finfo(np.float64).eps * np.maximum(1, abs(mean))] = 1
            self.scale_ = scale
        else:
            self.scale_ = None
        return self

    def transform(self, X):
        """Standardise sequences with the statistics learnt in :meth:`fit`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
                (n_samples, n_timesteps) or list of arrays
            Numeric sequences with ``n_features_in_`` features per step.

        Returns
        -------
        X_scaled : ndarray or list of ndarray
            Scaled sequences in the container kind of ``X``: an array for an
            array or for equal-length nested lists, a list of arrays for a
            list of arrays or ragged nested lists.
        """
        check_is_fitted(self)
        seqs, squeeze = self._validate(X)
        _check_n_features(self, seqs)
        values = seqs.values
        if self.with_mean:
            values = values - self.mean_.astype(values.dtype)
        if self.with_std:
            values = values / self.scale_.astype(values.dtype)
        if values is seqs.values:
            values = values.copy()
        return self._output(values, seqs, squeeze, X)

    def inverse_transform(self, X):
        """Undo the scaling: ``X * scale_ + mean_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
                (n_samples, n_timesteps) or list of arrays
            Scaled sequences.

        Returns
        -------
        X_original : ndarray or list of ndarray
            Sequences in the original units, in the container kind of ``X``
            (as for :meth:`transform`).
        """
        check_is_fitted(self)
        seqs, squeeze = self._validate(X)
        _check_n_features(self, seqs)
        values = seqs.values
        if self.with_std:
            values = values * self.scale_.astype(values.dtype)
        if self.with_mean:
            values = values + self.mean_.astype(values.dtype)
        if values is seqs.values:
            values = values.copy()
        return self._output(values, seqs, squeeze, X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
