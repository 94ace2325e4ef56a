# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Base class of the sequence samplers: imbalanced-learn's template, our input.

imbalanced-learn's ``fit_resample`` checks the target (one-hot ``y`` included),
calls ``_check_X_y``, computes ``sampling_strategy_``, calls
``_fit_resample`` and gives the result back in the container the user passed
(DataFrame, Series, list). The samplers here keep that template and replace
only ``_check_X_y``, because imbalanced-learn validates ``X`` as a 2-D array,
which rejects 3-D arrays and ragged lists: ours validates with
:func:`sklearn_seq.utils.check_sequences`. ``_fit_resample`` receives a
:class:`~sklearn_seq.utils.Sequences` object and returns the sequences in the
input's kind (3-D array, 2-D array of univariate sequences, or a list of
arrays).
"""

from abc import abstractmethod

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import check_target_type
from sklearn.utils.validation import _check_feature_names, column_or_1d

from sklearn_seq.exceptions import SequenceValidationError
from sklearn_seq.utils import check_sequences
from sklearn_seq.utils._sequences import float_dtype_of as _float_dtype

__all__ = []


class _SequenceList(list):
    """A list of sequences that imbalanced-learn can hand back as a list.

    imbalanced-learn returns list input as ``X_resampled.tolist()``; on a plain
    2-D array that would turn arrays into nested Python lists, on a list of
    arrays of unequal lengths it would fail.
    """

    def tolist(self):
        return list(self)


def check_sampler_input(sampler, X, y, *, tokens_ok=False):
    """Validate the ``X`` and ``y`` of a sequence sampler.

    Sets ``n_features_in_`` (the column count of 2-D input, as for any
    scikit-learn estimator; the features per step for 3-D arrays and lists)
    and ``feature_names_in_`` (DataFrame input).

    Returns
    -------
    seqs : Sequences
    y : ndarray
    binarize_y : bool
        Whether ``y`` came one-hot encoded (imbalanced-learn's convention).
    """
    name = type(sampler).__name__
    if y is None:
        raise ValueError(
            f"{name} requires y to be passed, but the target y is None: samplers "
            "balance classes."
        )
    if hasattr(X, "tocsr") or hasattr(X, "toarray"):
        raise TypeError(f"{name} takes dense sequences; got a sparse matrix.")
    _check_feature_names(sampler, X, reset=True)
    if hasattr(X, "to_numpy") and not isinstance(X, list | tuple):
        X = X.to_numpy()
    if hasattr(X, "detach") and hasattr(X, "cpu"):  # a torch tensor
        X = X.detach().cpu().numpy()
    seqs = check_sequences(X, dtype=_float_dtype(X))
    if seqs.is_tokens and not tokens_ok:
        raise SequenceValidationError(
            f"X holds integer token id sequences, which {name} cannot "
            "interpolate or augment. Resample token sequences with "
            "SequenceSampler(RandomOverSampler()) or "
            "SequenceSampler(RandomUnderSampler()), which copy or drop whole "
            "sequences; cast numeric series to float."
        )
    sampler.n_features_in_ = (
        int(seqs.lengths[0]) if seqs.kind == "univariate" else int(seqs.n_features or 1)
    )
    y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
    y = column_or_1d(np.asarray(y), warn=True)
    if len(y) != seqs.n_samples:
        raise ValueError(f"X has {seqs.n_samples} sequences but y has {len(y)} labels.")
    return seqs, y, binarize_y


def squeezed(X):
    """Whether a list input held 1-D sequences (given back 1-D)."""
    return isinstance(X, list | tuple) or (
        isinstance(X, np.ndarray) and X.dtype == object
    )


def as_input_kind(seqs, new_seqs, *, one_d=False, name="sampler"):
    """Originals followed by ``new_seqs``, in the container kind of ``seqs``.

    ``new_seqs`` are arrays ``(T_i, n_features)``. Fixed-length and univariate
    input keeps its array shape (new sequences must have its length); lists
    become a list of arrays (1-D arrays when ``one_d``).
    """
    dtype = seqs.values.dtype
    new_seqs = [np.asarray(s, dtype=dtype).reshape(len(s), -1) for s in new_seqs]
    originals = seqs.to_list()
    if seqs.kind in ("fixed", "univariate"):
        n_steps = int(seqs.lengths[0])
        bad = [i for i, s in enumerate(new_seqs) if len(s) != n_steps]
        if bad:
            raise ValueError(
                f"{name} made a sequence of {len(new_seqs[bad[0]])} steps from "
                f"fixed-length input of {n_steps} steps; augmentations of "
                "fixed-length data must keep the length."
            )
        shape = (n_steps, seqs.n_features)
        blocks = [seqs.values.reshape(seqs.n_samples, *shape)]
        if new_seqs:
            blocks.append(np.asarray(new_seqs, dtype=dtype).reshape(-1, *shape))
        X_res = np.concatenate(blocks)
        return X_res[:, :, 0] if seqs.kind == "univariate" else X_res
    out = [np.array(x, dtype=dtype) for x in originals] + new_seqs
    if one_d:
        out = [x.reshape(len(x)) for x in out]
    return _SequenceList(out)


class _BaseSequenceOverSampler(BaseOverSampler):
    """imblearn over-sampler taking sequences of any kind (fixed or ragged).

    Subclasses implement ``_generate(seqs, y)`` returning the list of new
    sequences (arrays ``(T_i, n_features)``) and their labels;
    imbalanced-learn's ``fit_resample`` does the rest.
    """

    _parameter_constraints: dict = {**BaseOverSampler._parameter_constraints}

    def _check_X_y(self, X, y, accept_sparse=None):
        seqs, y, binarize_y = check_sampler_input(self, X, y)
        self._one_d = squeezed(X) and all(np.ndim(x) == 1 for x in X)
        return seqs, y, binarize_y

    def _fit_resample(self, X, y):
        new_seqs, new_y = self._generate(X, y)
        X_res = as_input_kind(X, new_seqs, one_d=self._one_d, name=type(self).__name__)
        y_res = np.concatenate([y, np.asarray(new_y, dtype=y.dtype)])
        return X_res, y_res

    def fit_resample(self, X, y):
        """Resample the data set: the originals, then the synthetic sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
(n_samples, n_timesteps) or list of arrays (n_timesteps_i, n_features)
            Numeric sequences, fixed-length or ragged. A DataFrame is read as
            univariate sequences, one row each.

        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels (one-hot labels are given back one-hot).

        Returns
        -------
        X_resampled : ndarray, DataFrame or list of ndarray
            The input sequences followed by the new ones, in the container
            kind of ``X``: a 3-D array for 3-D input, a 2-D array (or
            DataFrame) for univariate input, a list of arrays for a list (1-D
            arrays when the input sequences were 1-D). Values are float32 for
            float32 input, float64 otherwise.

        y_resampled : ndarray, Series or list
            The labels of ``X_resampled``, in the container kind of ``y``.
        """
        return super().fit_resample(X, y)

    @abstractmethod
    def _generate(self, seqs, y):
        """Return ``(list of new sequences, list of their labels)``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.sparse = False
        return tags
