# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Pad variable-length sequences to one fixed length."""

import warnings
from numbers import Integral, Real
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from sklearn_seq.exceptions import SequenceValidationError
from sklearn_seq.preprocessing._containers import (
    _as_array_or_list,
    _check_n_features,
    _fit_n_features,
    _float_dtype,
)
from sklearn_seq.utils import check_sequences
from sklearn_seq.utils._param_validation import Interval, StrOptions, _fit_context

__all__ = ["SequencePadder"]


class SequencePadder(TransformerMixin, BaseEstimator):
    """Pad (and, if asked, truncate) sequences to a fixed length.

    Turns ragged numeric sequences into a 3-D array
    ``(n_samples, maxlen, n_features)`` and token id sequences into a 2-D int64
    array ``(n_samples, maxlen)``, for models and transformers that need one
    length, such as :class:`SequenceFlattener` before a SMOTE sampler.

    The sequence estimators of sklearn_seq do not need this: they take ragged
    lists and mask the padding they add themselves. A padded array carries no
    mask, so padded steps then count as data.

    Parameters
    ----------
    maxlen : int, default=None
        Length of the output. When None, the longest sequence seen in
        :meth:`fit`; nothing is truncated at fit, and a longer sequence met by
        :meth:`transform` is truncated to that length (following
        ``truncating``) with a :class:`UserWarning`. When set, longer sequences
        are truncated silently: setting ``maxlen`` asks for it.

    padding : {"pre", "post"}, default="pre"
        Where padding goes: before the sequence ("pre") or after it ("post").
        "pre" keeps the real data at the end, where a recurrent network reading
        a padded array without a mask takes its last state from.

    truncating : {"pre", "post"}, default="pre"
        Which steps are dropped from a sequence longer than ``maxlen``: the
        first ones ("pre", keeping the most recent steps) or the last ones
        ("post").

    value : float, default=0.0
        Padding value. For token id sequences it must be an integer; 0 is the
        padding id of sklearn_seq.

    Attributes
    ----------
    maxlen_ : int
        Output length: ``maxlen``, or the longest sequence seen in :term:`fit`.

    n_features_in_ : int
        Number of features per timestep seen during :term:`fit` (numeric input
        only; not set for token id sequences).

    See Also
    --------
    SequenceFlattener : Flatten fixed-length sequences to 2-D.
    sklearn_seq.utils.Sequences.pad : Pad at the end without truncation.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.preprocessing import SequencePadder
    >>> X = [np.array([1.0, 2.0]), np.array([3.0, 4.0, 5.0])]
    >>> SequencePadder().fit_transform(X)[..., 0]
    array([[0., 1., 2.],
           [3., 4., 5.]])
    >>> SequencePadder(maxlen=2, padding="post", truncating="post").fit_transform(
    ...     [[5, 3, 9], [7]])
    array([[5, 3],
           [7, 0]])
    """

    _parameter_constraints: ClassVar[dict] = {
        "maxlen": [Interval(Integral, 1, None, closed="left"), None],
        "padding": [StrOptions({"pre", "post"})],
        "truncating": [StrOptions({"pre", "post"})],
        "value": [Real],
    }

    def __init__(self, maxlen=None, *, padding="pre", truncating="pre", value=0.0):
        self.maxlen = maxlen
        self.padding = padding
        self.truncating = truncating
        self.value = value

    def _validate(self, X):
        X = _as_array_or_list(X)
        seqs = check_sequences(X, dtype=_float_dtype(X))
        if seqs.is_tokens and float(self.value) != int(self.value):
            raise ValueError(
                f"value={self.value!r} cannot pad token id sequences; use an "
                "integer (0 is the padding id)."
            )
        return seqs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the output length.

        Parameters
        ----------
        X : list of array-like, or array-like of shape \
                (n_samples, n_timesteps, n_features) or (n_samples, n_timesteps)
            Numeric sequences or token id sequences.

        y : None
            Ignored.

        Returns
        -------
        self : SequencePadder
            The fitted padder.
        """
        seqs = self._validate(X)
        self._tokens = seqs.is_tokens
        if not seqs.is_tokens:
            _fit_n_features(self, seqs)
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        self.maxlen_ = (
            int(seqs.lengths.max()) if self.maxlen is None else int(self.maxlen)
        )
        return self

    def transform(self, X):
        """Pad (and truncate) sequences to ``maxlen_`` steps.

        Parameters
        ----------
        X : list of array-like, or array-like of shape \
                (n_samples, n_timesteps, n_features) or (n_samples, n_timesteps)
            Sequences of the kind seen in :meth:`fit`.

        Returns
        -------
        X_padded : ndarray of shape (n_samples, n_padded, n_features) or \
                (n_samples, n_padded)
            ``n_padded`` is ``maxlen_``. Padded numeric sequences (3-D,
            float32 for float32 input, float64 otherwise) or padded token ids
            (2-D, int64).
        """
        check_is_fitted(self)
        seqs = self._validate(X)
        if seqs.is_tokens != self._tokens:
            fitted = "token id" if self._tokens else "numeric"
            got = "token id" if seqs.is_tokens else "numeric"
            raise SequenceValidationError(
                f"SequencePadder was fitted on {fitted} sequences but X holds "
                f"{got} sequences."
            )
        if not seqs.is_tokens:
            _check_n_features(self, seqs)
        longest = int(seqs.lengths.max())
        if self.maxlen is None and longest > self.maxlen_:
            warnings.warn(
                f"X has a sequence of {longest} steps, longer than the "
                f"{self.maxlen_} steps seen in fit; SequencePadder truncates it "
                f"(truncating={self.truncating!r}). Set maxlen to choose the "
                "length and silence this warning.",
                UserWarning,
                stacklevel=2,
            )
        return _pad(seqs, self.maxlen_, self.padding, self.truncating, self.value)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


def _pad(seqs, maxlen, padding, truncating, value):
    """Vectorised Keras-style padding of a :class:`Sequences` object."""
    lengths = seqs.lengths
    kept = np.minimum(lengths, maxlen)
    src = lengths - kept if truncating == "pre" else np.zeros_like(lengths)
    dst = maxlen - kept if padding == "pre" else np.zeros_like(lengths)
    rel = np.arange(maxlen)[None, :] - dst[:, None]
    valid = (rel >= 0) & (rel < kept[:, None])
    pos = (seqs.offsets + src)[:, None] + rel
    shape = (seqs.n_samples, maxlen, *seqs.values.shape[1:])
    out = np.full(shape, value, dtype=seqs.values.dtype)
    out[valid] = seqs.values[pos[valid]]
    return out
