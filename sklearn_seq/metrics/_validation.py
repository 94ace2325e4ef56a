# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Input checks shared by the metrics: sample weights and parameter types."""

import numpy as np
from sklearn.utils import check_array
from sklearn.utils.validation import _check_sample_weight

from sklearn_seq.utils._param_validation import IntervalNotBool

__all__ = ["IntervalNotBool", "check_metric_sample_weight"]


def check_metric_sample_weight(sample_weight, n_samples):
    """Validate the ``sample_weight`` of a metric.

    :func:`sklearn.utils.validation._check_sample_weight` semantics: a 1-D
    float64 array of length ``n_samples``, finite (no NaN or inf), real (no
    complex), not all zero; in addition, non-negative, since a metric is a
    weighted mean.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
        The weights.

    n_samples : int
        The expected length.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,) or None
        ``None`` when ``sample_weight`` is None.
    """
    if sample_weight is None:
        return None
    # A zero-stride array stands in for X: only its length is read.
    proxy = np.broadcast_to(np.float64(0.0), (int(n_samples),))
    # dtype="numeric" first, so that complex weights get scikit-learn's
    # "Complex data not supported" rather than a bare TypeError.
    sample_weight = check_array(
        sample_weight,
        ensure_2d=False,
        allow_nd=True,
        dtype="numeric",
        ensure_all_finite=False,
        ensure_min_samples=0,
        input_name="sample_weight",
    )
    sample_weight = _check_sample_weight(sample_weight, proxy, ensure_non_negative=True)
    return sample_weight.astype(np.float64, copy=False)
