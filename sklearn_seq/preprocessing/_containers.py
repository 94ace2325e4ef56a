# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Helpers that give transformers' outputs the container kind of their input."""

import numpy as np

from sklearn_seq.exceptions import SequenceValidationError
from sklearn_seq.utils import check_sequences
from sklearn_seq.utils._sequences import check_n_features_in, n_features_in
from sklearn_seq.utils._sequences import float_dtype_of as _float_dtype


def _as_array_or_list(X):
    """Turn array-likes (pandas, tensors) into NumPy; leave lists and arrays alone."""
    if isinstance(X, list | tuple | np.ndarray):
        return X
    if hasattr(X, "detach") and hasattr(X, "cpu"):  # a torch tensor
        return X.detach().cpu().numpy()
    if hasattr(X, "to_numpy"):  # pandas
        return X.to_numpy()
    if hasattr(X, "__array__"):
        return np.asarray(X)
    return X


def _check_numeric(X, estimator, *, allow_nan=False):
    """Validate numeric sequences and remember how to rebuild the container.

    Returns
    -------
    seqs : Sequences
        Validated sequences, values in float32 or float64 following the input.
    squeeze : bool
        Whether a ragged input held 1-D sequences ``(T_i,)`` only.
    """
    X = _as_array_or_list(X)
    seqs = check_sequences(X, allow_nan=allow_nan, dtype=_float_dtype(X))
    if seqs.is_tokens:
        raise SequenceValidationError(
            f"{type(estimator).__name__} works on numeric sequences, but X holds "
            "integer token id sequences. Pad token ids with SequencePadder; cast "
            "integer-valued numeric series to float."
        )
    squeeze = seqs.kind == "ragged" and all(np.ndim(x) == 1 for x in X)
    return seqs, squeeze


def _rebuild(values, seqs, squeeze):
    """Arrange flat ``values`` like the input ``seqs`` came (3-D, 2-D or list)."""
    n = seqs.n_samples
    if seqs.kind == "fixed":
        return values.reshape(n, -1, values.shape[1])
    if seqs.kind == "univariate":
        return values.reshape(n, -1)
    out = [values[o : o + ln] for o, ln in zip(seqs.offsets, seqs.lengths)]
    if squeeze:
        out = [x[:, 0] for x in out]
    return out


def _fit_n_features(estimator, seqs):
    """Record ``n_features_in_`` (scikit-learn's convention) at fit."""
    estimator.n_features_in_ = n_features_in(seqs)
    estimator._fitted_univariate = seqs.kind == "univariate"


def _check_n_features(estimator, seqs):
    """Raise a clear error when ``X`` does not match what fit saw."""
    check_n_features_in(estimator, seqs, fitted_univariate=estimator._fitted_univariate)
