# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Any 2-D sampler of imbalanced-learn on sequences, fixed-length or ragged."""

from numbers import Integral

import numpy as np
from imblearn.base import BaseSampler
from imblearn.utils._tags import get_tags
from sklearn.base import clone
from sklearn.utils._param_validation import HasMethods

from sklearn_seq.resampling._base import (
    _SequenceList,
    check_sampler_input,
    squeezed,
)
from sklearn_seq.resampling._smote import _resample
from sklearn_seq.utils._param_validation import Interval

__all__ = ["SequenceSampler"]

# The length of a ragged sequence rides along as one extra column, scaled so
# that it moves the neighbour search of SMOTE-like samplers by a negligible
# amount: LENGTH_WEIGHT times the spread of the values per unit of length.
LENGTH_WEIGHT = 1e-6


class SequenceSampler(BaseSampler):
    """Run a 2-D sampler of imbalanced-learn on whole sequences.

    Each sequence becomes one row for the wrapped ``sampler`` (SMOTE, ADASYN,
    BorderlineSMOTE, RandomUnderSampler, SMOTEENN, ...), which resamples the
    rows; the rows it returns become sequences again. One pipeline step
    replaces ``SequenceFlattener -> sampler -> SequenceReshaper`` and needs no
    shape parameter::

        from imblearn.pipeline import make_pipeline
        make_pipeline(SequenceSampler(SMOTE(k_neighbors=3)), SequenceClassifier())

    Fixed-length sequences ``(n_samples, n_timesteps, n_features)`` are
    flattened step-major (as :class:`~sklearn_seq.preprocessing.SequenceFlattener`
    does), so SMOTE interpolates whole sequences. **Ragged** sequences (a list
    of arrays of unequal lengths) are first read at ``n_timesteps`` evenly
    spaced points of their own time span (linear interpolation, as in
    :class:`SequenceSMOTE`) and each row carries the sequence's length in one
    extra column. A synthetic row is read back at its own length, which the
    sampler interpolated between the parents exactly as it interpolated the
    values (rounded, at least 1); the length column is scaled so that it does
    not steer the neighbour search (see Notes). Rows that equal an input row
    (the originals a sampler keeps, the copies of random over-sampling) give
    back the original sequence unchanged, whatever its length.

    Token id sequences can be resampled by samplers that only select
    sequences (those exposing ``sample_indices_``, e.g. ``RandomOverSampler``
    and ``RandomUnderSampler``); interpolating token ids would be meaningless.

    Parameters
    ----------
    sampler : imblearn sampler
        The 2-D sampler to run (an object with ``fit_resample``). It is cloned
        at each :meth:`fit_resample`; the fitted clone is ``sampler_``. Tune
        it through the pipeline, e.g. ``sequencesampler__sampler__k_neighbors``.

    n_timesteps : int, default=None
        Length of the common grid on which ragged sequences are resampled.
        None takes the longest sequence, so no sequence is downsampled.
        Ignored for fixed-length input.

    Attributes
    ----------
    sampler_ : imblearn sampler
        The fitted clone of ``sampler``.

    sampling_strategy_ : dict
        The ``sampling_strategy_`` of ``sampler_``: samples to generate (or
        keep) per class.

    n_features_in_ : int
        Features per step of the input (columns for a 2-D array).

    feature_names_in_ : ndarray of str
        Column names, for a DataFrame input.

    See Also
    --------
    SequenceSMOTE : SMOTE for sequences with a dynamic time warping
        neighbour search.
    AugmentationOverSampler : Synthetic sequences from augmented copies.
    sklearn_seq.preprocessing.SequenceFlattener : The manual 3-D -> 2-D step.

    Notes
    -----
    The length column of ragged input is ``length * w`` with
    ``w = 1e-6 * std(values) / max(length)``: a synthetic row ``a + lambda *
    (b - a)`` then holds ``len(a) + lambda * (len(b) - len(a))`` (times
    ``w``), while the column moves a Euclidean distance by at most ``1e-6``
    standard deviations. Samplers that add noise (``RandomOverSampler(
    shrinkage=...)``) perturb the lengths by as little; they are rounded.

    Examples
    --------
    >>> import numpy as np
    >>> from imblearn.over_sampling import SMOTE
    >>> from sklearn_seq.resampling import SequenceSampler
    >>> rng = np.random.RandomState(0)
    >>> X = [rng.normal(size=(n, 2)) for n in rng.randint(5, 15, size=20)]
    >>> y = np.array([0] * 15 + [1] * 5)
    >>> sampler = SequenceSampler(SMOTE(k_neighbors=3, random_state=0))
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> len(X_res), np.bincount(y_res).tolist()
    (30, [15, 15])
    >>> lengths = [len(x) for x in X_res]
    >>> min(lengths) >= 5 and max(lengths) <= 14
    True
    """

    _sampling_type = "bypass"

    _parameter_constraints: dict = {
        "sampler": [HasMethods(["fit_resample"])],
        "n_timesteps": [None, Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, sampler, *, n_timesteps=None):
        super().__init__()
        self.sampler = sampler
        self.n_timesteps = n_timesteps

    def _selects_only(self):
        tags = get_tags(self.sampler)
        return bool(getattr(tags.sampler_tags, "sample_indices", False))

    def _check_X_y(self, X, y, accept_sparse=None):
        seqs, y, binarize_y = check_sampler_input(
            self, X, y, tokens_ok=self._selects_only()
        )
        self._one_d = squeezed(X) and all(np.ndim(x) == 1 for x in X)
        return seqs, y, binarize_y

    def fit_resample(self, X, y):
        """Resample the sequences with the wrapped sampler.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
(n_samples, n_timesteps) or list of arrays (n_timesteps_i, n_features)
            Sequences, fixed-length or ragged (token id sequences only for
            samplers that select whole sequences).

        y : array-like of shape (n_samples,) or (n_samples, n_classes)
            Class labels.

        Returns
        -------
        X_resampled : ndarray, DataFrame or list of ndarray
            The resampled sequences, in the container kind of ``X``.

        y_resampled : ndarray, Series or list
            Their labels, in the container kind of ``y``.
        """
        return super().fit_resample(X, y)

    def _fit_resample(self, seqs, y):
        self.sampler_ = clone(self.sampler)
        # imblearn's fit_resample skips the validation of nested estimators
        if hasattr(self.sampler_, "_validate_params"):
            self.sampler_._validate_params()
        if seqs.is_tokens:
            # samplers that only select: resample row indices, pick sequences
            self.sampler_.fit_resample(np.arange(len(seqs), dtype=float)[:, None], y)
            self.sampling_strategy_ = self.sampler_.sampling_strategy_
            idx = self.sampler_.sample_indices_
            return _SequenceList(seqs[i].copy() for i in idx), y[idx]
        if seqs.kind in ("fixed", "univariate"):
            rows = seqs.values.reshape(seqs.n_samples, -1)
            rows_res, y_res = self.sampler_.fit_resample(rows, y)
            self.sampling_strategy_ = self.sampler_.sampling_strategy_
            rows_res = np.asarray(rows_res, dtype=rows.dtype)
            shape = (int(seqs.lengths[0]), seqs.n_features)
            X_res = rows_res.reshape(len(rows_res), *shape)
            return (X_res[:, :, 0] if seqs.kind == "univariate" else X_res), y_res
        return self._fit_resample_ragged(seqs, y)

    def _fit_resample_ragged(self, seqs, y):
        lengths = seqs.lengths
        n_steps = self.n_timesteps or int(lengths.max())
        grid = np.stack([_resample(seqs[i], n_steps) for i in range(len(seqs))])
        rows = grid.reshape(len(grid), -1)
        scale = float(rows.std()) or 1.0
        weight = LENGTH_WEIGHT * scale / float(lengths.max())
        rows = np.column_stack([rows, lengths * weight])
        rows_res, y_res = self.sampler_.fit_resample(rows, y)
        self.sampling_strategy_ = self.sampler_.sampling_strategy_
        rows_res = np.asarray(rows_res, dtype=np.float64)
        index = {row.tobytes(): i for i, row in enumerate(rows)}
        dtype, n_features = seqs.values.dtype, seqs.n_features
        out = []
        for row in rows_res:
            i = index.get(row.tobytes())
            if i is not None:
                seq = seqs[i].copy()
            else:
                length = int(np.clip(np.rint(row[-1] / weight), 1, lengths.max()))
                seq = _resample(row[:-1].reshape(n_steps, n_features), length)
            out.append(np.asarray(seq, dtype=dtype).reshape(len(seq), n_features))
        if self._one_d:
            out = [x.reshape(len(x)) for x in out]
        return _SequenceList(out), y_res

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.input_tags.sparse = False
        return tags
