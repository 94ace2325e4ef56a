# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Business-cost scorer for binary decisions (NumPy only, no torch)."""

from numbers import Real

import numpy as np
from sklearn.metrics import make_scorer
from sklearn.utils import check_consistent_length
from sklearn.utils.validation import column_or_1d

from sklearn_seq.metrics._validation import check_metric_sample_weight
from sklearn_seq.utils._param_validation import Interval, validate_params

__all__ = ["make_cost_scorer"]


def _mean_cost(
    y_true, y_pred, *, fp_cost, fn_cost, tp_cost, tn_cost, pos_label, sample_weight=None
):
    """Mean cost per sample of binary decisions (lower is better)."""
    y_true = column_or_1d(np.asarray(y_true))
    y_pred = column_or_1d(np.asarray(y_pred))
    check_consistent_length(y_true, y_pred, sample_weight)
    sample_weight = check_metric_sample_weight(sample_weight, len(y_true))
    labels = np.union1d(y_true, y_pred)
    if len(labels) > 2:
        raise ValueError(
            "The cost scorer is for binary decisions; got the labels "
            f"{labels.tolist()}."
        )
    if pos_label not in labels.tolist():
        raise ValueError(
            f"pos_label={pos_label!r} is not a label of y_true or y_pred "
            f"({labels.tolist()}); pass the positive class (e.g. the fraud "
            "label) as pos_label."
        )
    true_pos = y_true == pos_label
    pred_pos = y_pred == pos_label
    costs = np.select(
        [true_pos & pred_pos, ~true_pos & pred_pos, true_pos & ~pred_pos],
        [tp_cost, fp_cost, fn_cost],
        default=tn_cost,
    ).astype(np.float64)
    return float(np.average(costs, weights=sample_weight))


@validate_params(
    {
        "fp_cost": [Interval(Real, None, None, closed="neither")],
        "fn_cost": [Interval(Real, None, None, closed="neither")],
        "tp_cost": [Interval(Real, None, None, closed="neither")],
        "tn_cost": [Interval(Real, None, None, closed="neither")],
        "pos_label": [Real, str, "boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_cost_scorer(
    fp_cost=1.0, fn_cost=100.0, *, tp_cost=0.0, tn_cost=0.0, pos_label=1
):
    """Make a scorer of the business cost of binary decisions.

    Each prediction costs ``fp_cost`` when it flags a negative (a false
    positive), ``fn_cost`` when it misses a positive (a false negative),
    ``tp_cost`` and ``tn_cost`` when it is right. The scorer returns the
    *negated* mean cost per sample (weighted by ``sample_weight`` when given),
    so that greater is better as scikit-learn's model selection expects. Use
    it to choose a decision threshold by cost, e.g. with
    :class:`sklearn.model_selection.TunedThresholdClassifierCV`, or as
    ``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV`.

    Parameters
    ----------
    fp_cost : float, default=1.0
        Cost of a false positive (a legitimate case flagged).

    fn_cost : float, default=100.0
        Cost of a false negative (a positive case missed).

    tp_cost : float, default=0.0
        Cost of a true positive (e.g. the cost of reviewing a flagged case);
        a gain can be written as a negative cost.

    tn_cost : float, default=0.0
        Cost of a true negative.

    pos_label : int, float, bool or str, default=1
        The positive class. Every other label is negative.

    Returns
    -------
    scorer : callable
        A scikit-learn scorer ``scorer(estimator, X, y)`` calling
        ``estimator.predict``; it returns ``-mean cost``.

    See Also
    --------
    sklearn.model_selection.TunedThresholdClassifierCV : Tune the threshold
        of a binary classifier against a scorer.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_seq.metrics import make_cost_scorer
    >>> X = [[0.0], [1.0], [2.0], [3.0]]
    >>> y = [0, 0, 1, 1]
    >>> clf = LogisticRegression().fit(X, y)
    >>> scorer = make_cost_scorer(fp_cost=1, fn_cost=100)
    >>> clf.predict(X).tolist()
    [0, 0, 1, 1]
    >>> scorer(clf, X, [0, 0, 0, 1])  # one false alarm: 1 / 4
    -0.25
    >>> scorer(clf, X, [0, 1, 1, 1])  # one positive missed: 100 / 4
    -25.0
    """
    return make_scorer(
        _mean_cost,
        greater_is_better=False,
        fp_cost=fp_cost,
        fn_cost=fn_cost,
        tp_cost=tp_cost,
        tn_cost=tn_cost,
        pos_label=pos_label,
    )
