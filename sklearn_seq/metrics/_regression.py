# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Regression metrics: MAPE and sMAPE without a silent epsilon.

Functions named as ``*_error`` return a scalar value to minimize: the lower
the better.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import check_array, check_consistent_length

from sklearn_seq.metrics._validation import check_metric_sample_weight
from sklearn_seq.utils._param_validation import (
    Interval,
    StrOptions,
    validate_params,
)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "sample_weight": ["array-like", None],
        "multioutput": [StrOptions({"raw_values", "uniform_average"}), "array-like"],
        "symmetric": ["boolean"],
        "zero_division": [
            StrOptions({"raise", "skip"}),
            Interval(Real, 0, None, closed="left"),
        ],
    },
    prefer_skip_nested_validation=True,
)
def mean_absolute_percentage_error(
    y_true,
    y_pred,
    *,
    sample_weight=None,
    multioutput="uniform_average",
    symmetric=False,
    zero_division="raise",
):
    """Mean absolute percentage error (MAPE) or symmetric MAPE, as a fraction.

    ``MAPE = mean(|y - y_hat| / |y|)``; with ``symmetric=True``,
    ``sMAPE = mean(2 |y - y_hat| / (|y| + |y_hat|))``, in [0, 2]. Like
    :func:`sklearn.metrics.mean_absolute_percentage_error` the result is a
    fraction (0.1 means 10%), not a percentage. Unlike sklearn, which divides
    by ``max(|y|, eps)`` and turns a zero target into an error around 1e15,
    a zero denominator is handled by ``zero_division``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Ground truth target values.

    y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Estimated target values.

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights: finite, non-negative, not all zero.

    multioutput : {"raw_values", "uniform_average"} or array-like of shape \
            (n_outputs,), default="uniform_average"
        How the errors of several outputs are combined, as in sklearn.

    symmetric : bool, default=False
        Compute sMAPE instead of MAPE.

    zero_division : {"raise", "skip"} or float >= 0, default="raise"
        Terms with a zero denominator (``y = 0``, or ``y = y_hat = 0`` for
        sMAPE): ``"raise"`` raises a ``ValueError``, ``"skip"`` leaves them
        out of the mean, a float is used as their error. When ``"skip"``
        leaves no term (of an output), its error is NaN and an
        :class:`~sklearn.exceptions.UndefinedMetricWarning` is raised.

    Returns
    -------
    loss : float or ndarray of shape (n_outputs,)
        The error, lower is better.

    See Also
    --------
    sklearn.metrics.mean_absolute_percentage_error : Same value when no
        target is zero.

    Examples
    --------
    >>> from sklearn_seq.metrics import mean_absolute_percentage_error
    >>> y_true = [10, 20, 30]
    >>> y_pred = [12, 18, 35]
    >>> round(mean_absolute_percentage_error(y_true, y_pred), 4)  # 15.6%
    0.1556
    >>> round(mean_absolute_percentage_error(y_true, y_pred, symmetric=True), 4)
    0.147
    >>> mean_absolute_percentage_error([0, 2], [1, 3], zero_division="skip")
    0.5
    """
    y_true = check_array(y_true, ensure_2d=False, input_name="y_true", dtype="numeric")
    y_pred = check_array(y_pred, ensure_2d=False, input_name="y_pred", dtype="numeric")
    check_consistent_length(y_true, y_pred, sample_weight)
    if y_true.ndim == 1:
        y_true = y_true.reshape(-1, 1)
    if y_pred.ndim == 1:
        y_pred = y_pred.reshape(-1, 1)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred have different shapes: {y_true.shape} and "
            f"{y_pred.shape}."
        )
    n_outputs = y_true.shape[1]
    if not isinstance(multioutput, str):
        multioutput = check_array(
            multioutput, ensure_2d=False, input_name="multioutput"
        )
        if n_outputs == 1:
            raise ValueError("Custom weights are useful only in multi-output cases.")
        if len(multioutput) != n_outputs:
            raise ValueError(
                f"There must be equally many custom weights ({len(multioutput)}) "
                f"as outputs ({n_outputs})."
            )
    sample_weight = check_metric_sample_weight(sample_weight, len(y_true))
    y_true = y_true.astype(np.float64)
    y_pred = y_pred.astype(np.float64)
    num = np.abs(y_pred - y_true)
    if symmetric:
        num = 2.0 * num
        den = np.abs(y_true) + np.abs(y_pred)
    else:
        den = np.abs(y_true)
    zero = den == 0
    weights = np.ones(len(y_true)) if sample_weight is None else sample_weight
    weights = np.broadcast_to(weights[:, None], y_true.shape).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = num / np.where(zero, 1.0, den)
    if np.any(zero):
        if zero_division == "raise":
            what = "y_true + y_pred" if symmetric else "y_true"
            raise ValueError(
                f"{int(zero.sum())} zero values in {what} make the percentage "
                "error undefined; pass zero_division='skip' to leave them out "
                "or a float to use as their error."
            )
        if zero_division == "skip":
            weights[zero] = 0.0
        else:
            terms[zero] = float(zero_division)
    wsum = weights.sum(axis=0)
    total = (terms * weights).sum(axis=0)
    undefined = wsum == 0
    if np.any(undefined):
        # Only reachable with zero_division="skip": every term of an output
        # has a zero denominator or a zero weight.
        name = "sMAPE" if symmetric else "MAPE"
        warnings.warn(
            f"{name} is undefined for output(s) {np.flatnonzero(undefined).tolist()}: "
            "every term has a zero denominator (skipped, zero_division='skip') "
            "or a zero sample weight. Returning NaN for them.",
            UndefinedMetricWarning,
            stacklevel=2,
        )
    output_errors = np.where(undefined, np.nan, total / np.where(undefined, 1, wsum))
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return output_errors
        return float(np.mean(output_errors))
    return float(np.average(output_errors, weights=multioutput))
