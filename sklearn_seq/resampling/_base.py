# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Base class of the sequence over-samplers: imblearn's API, our validation.

imbalanced-learn validates ``X`` as a 2-D array, which rejects ragged lists of
sequences. Like ``imblearn.FunctionSampler(validate=False)``, the samplers here
skip that validation; they validate with
:func:`sklearn_seq.utils.check_sequences` instead and return the container
kind they were given (3-D array, 2-D univariate array or list of arrays).
"""

from abc import abstractmethod

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_sampling_strategy
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import column_or_1d

from sklearn_seq.exceptions import SequenceValidationError
from sklearn_seq.utils import check_sequences
from sklearn_seq.utils._param_validation import _fit_context
from sklearn_seq.utils._sequences import float_dtype_of as _float_dtype

__all__ = []


class _BaseSequenceOverSampler(BaseOverSampler):
    """imblearn over-sampler taking sequences of any kind (fixed or ragged).

    Subclasses implement ``_generate(seqs, y, rng)`` returning the list of new
    sequences (arrays ``(T_i, n_features)``) and their labels.
    """

    _parameter_constraints: dict = {**BaseOverSampler._parameter_constraints}

    def _check_X_y(self, X, y, accept_sparse=None):
        if hasattr(X, "tocsr") or hasattr(X, "toarray"):
            raise TypeError(
                f"{type(self).__name__} takes dense sequences; got a sparse matrix."
            )
        if hasattr(X, "to_numpy") and not isinstance(X, list | tuple):
            X = X.to_numpy()
        if hasattr(X, "detach") and hasattr(X, "cpu"):  # a torch tensor
            X = X.detach().cpu().numpy()
        seqs = check_sequences(X, dtype=_float_dtype(X))
        if seqs.is_tokens:
            raise SequenceValidationError(
                f"{type(self).__name__} creates numeric sequences, but X holds "
                "integer token id sequences. Use imblearn's RandomOverSampler "
                "(on indices) for token sequences, or cast numeric series to "
                "float."
            )
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y, got None.")
        y = column_or_1d(np.asarray(y), warn=True)
        if len(y) != seqs.n_samples:
            raise ValueError(
                f"X has {seqs.n_samples} sequences but y has {len(y)} labels."
            )
        check_classification_targets(y)
        if type_of_target(y) not in ("binary", "multiclass"):
            raise ValueError(
                f"{type(self).__name__} needs binary or multiclass labels; got "
                f"{type_of_target(y)!r}."
            )
        squeeze = seqs.kind == "ragged" and all(np.ndim(x) == 1 for x in X)
        self.n_features_in_ = int(seqs.n_features)
        return seqs, y, squeeze

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Check the inputs and compute ``sampling_strategy_``.

        :meth:`fit_resample` is the method to use.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
(n_samples, n_timesteps) or list of arrays (n_timesteps_i, n_features)
            Numeric sequences, fixed-length or ragged.

        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The sampler.
        """
        _, y, _ = self._check_X_y(X, y)
        self.sampling_strategy_ = check_sampling_strategy(
            self.sampling_strategy, y, self._sampling_type
        )
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X, y):
        """Resample the data set: the originals, then the synthetic sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
(n_samples, n_timesteps) or list of arrays (n_timesteps_i, n_features)
            Numeric sequences, fixed-length or ragged.

        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        X_resampled : ndarray or list of ndarray
            The input sequences followed by the new ones, in the container
            kind of ``X``: a 3-D array for 3-D input, a 2-D array for
            univariate input, a list of arrays for a list (1-D arrays when the
            input sequences were 1-D). Values are float32 for float32 input,
            float64 otherwise.

        y_resampled : ndarray of shape (n_samples_new,)
            The labels of ``X_resampled``.
        """
        seqs, y, squeeze = self._check_X_y(X, y)
        self.sampling_strategy_ = check_sampling_strategy(
            self.sampling_strategy, y, self._sampling_type
        )
        new_seqs, new_y = self._generate(seqs, y)
        originals = seqs.to_list()
        dtype = seqs.values.dtype
        new_seqs = [np.asarray(s, dtype=dtype).reshape(len(s), -1) for s in new_seqs]
        y_res = np.concatenate([y, np.asarray(new_y, dtype=y.dtype)])
        if seqs.kind in ("fixed", "univariate"):
            n_steps = int(seqs.lengths[0])
            bad = [i for i, s in enumerate(new_seqs) if len(s) != n_steps]
            if bad:
                raise ValueError(
                    f"{type(self).__name__} made a sequence of {len(new_seqs[bad[0]])}"
                    f" steps from fixed-length input of {n_steps} steps; "
                    "augmentations of fixed-length data must keep the length."
                )
            shape = (n_steps, seqs.n_features)
            new_block = np.asarray(new_seqs, dtype=dtype).reshape(-1, *shape)
            X_res = np.concatenate(
                [seqs.values.reshape(seqs.n_samples, *shape), new_block]
            )
            if seqs.kind == "univariate":
                X_res = X_res[:, :, 0]
        else:
            X_res = [x.copy() for x in originals] + new_seqs
            if squeeze:
                X_res = [x[:, 0] for x in X_res]
        return X_res, y_res

    def _fit_resample(self, X, y):  # imblearn's abstract hook; unused here
        raise NotImplementedError  # pragma: no cover

    @abstractmethod
    def _generate(self, seqs, y):
        """Return ``(list of new sequences, list of their labels)``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.sparse = False
        return tags
