# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Scorers for the metrics of this package, in our own registry.

``get_scorer(name)`` returns a callable ``scorer(estimator, X, y, **kwargs)``
usable as ``scoring=`` in :class:`~sklearn.model_selection.GridSearchCV`.
Nothing is registered into scikit-learn's own scorer registry.
"""

import copy
import re
import warnings
from numbers import Real

import numpy as np
from sklearn import get_config
from sklearn.base import is_classifier
from sklearn.metrics import fbeta_score, make_scorer
from sklearn.metrics import get_scorer as _sklearn_get_scorer
from sklearn.utils.metadata_routing import MetadataRequest

from sklearn_seq.metrics._ranking import (
    mean_average_precision_score,
    mean_reciprocal_rank_score,
    ndcg_score,
    pr_auc_score,
    recall_at_k_score,
)
from sklearn_seq.metrics._regression import mean_absolute_percentage_error
from sklearn_seq.metrics._sequence_labeling import entity_f1_score
from sklearn_seq.metrics._sequence_output import (
    bleu_score,
    exact_match_score,
    token_accuracy_score,
)
from sklearn_seq.metrics._verification import make_verification_scorer
from sklearn_seq.utils._param_validation import (
    Interval,
    StrOptions,
    validate_params,
)

_ROUTING_HINT = (
    "sklearn.set_config(enable_metadata_routing=True) or "
    "`with sklearn.config_context(enable_metadata_routing=True):`"
)


class _SeqScorer:
    """Base of our scorers: a callable that can request metadata.

    Parameters
    ----------
    name : str
        Name shown in the repr.
    score_func : callable
        The metric.
    kwargs : dict
        Keyword arguments passed to ``score_func``.
    request : dict
        Default metadata request of ``score``, ``{param: alias}``.
    """

    def __init__(self, name, score_func, kwargs, request):
        self._name = name
        self._score_func = score_func
        self._kwargs = kwargs
        self._request = dict(request)

    def __repr__(self):
        return f"get_scorer({self._name!r})"

    def _accept_sample_weight(self):
        return True

    def get_metadata_routing(self):
        """Get the metadata routing of this scorer.

        Returns
        -------
        routing : MetadataRequest
            The metadata requested by ``score`` (``__call__``).
        """
        request = MetadataRequest(owner=self)
        for param, alias in self._request.items():
            request.score.add_request(param=param, alias=alias)
        return request

    def set_score_request(self, **kwargs):
        """Set the metadata requested by the scorer.

        Parameters
        ----------
        **kwargs : dict
            ``param=alias`` with alias in ``{True, False, None, str}``, as in
            scikit-learn's scorers.

        Returns
        -------
        self : object
            The scorer.
        """
        if not get_config().get("enable_metadata_routing", False):
            raise RuntimeError(
                "This method is only available when metadata routing is "
                f"enabled: {_ROUTING_HINT}."
            )
        self._request.update(kwargs)
        return self


def _positive_column(estimator, scores):
    """The score of ``classes_[1]`` for a binary classifier."""
    if scores.ndim == 2:
        return scores[:, 1] if scores.shape[1] == 2 else scores[:, 0]
    return scores


def _class_scores(estimator, X):
    """``predict_proba`` or ``decision_function``, as an ndarray."""
    for method in ("predict_proba", "decision_function"):
        if hasattr(estimator, method):
            scores = getattr(estimator, method)(X)
            if isinstance(scores, list):  # multi-output predict_proba
                scores = np.column_stack([s[:, -1] for s in scores])
            return np.asarray(scores), method
    raise TypeError(
        f"{type(estimator).__name__} has neither predict_proba nor "
        "decision_function; a ranking or PR-AUC scorer needs scores."
    )


class _PRAUCScorer(_SeqScorer):
    """PR-AUC from scores, with ``classes_`` mapped to columns."""

    def __call__(self, estimator, X, y_true, sample_weight=None, **kwargs):
        """Score ``estimator`` on ``X`` against ``y_true``.

        Parameters
        ----------
        estimator : object
            Fitted classifier.
        X : array-like
            Input data.
        y_true : array-like
            True labels.
        sample_weight : array-like, default=None
            Sample weights.
        **kwargs : dict
            Ignored metadata.

        Returns
        -------
        score : float
            The PR-AUC.
        """
        scores, _ = _class_scores(estimator, X)
        classes = getattr(estimator, "classes_", None)
        y_true = np.asarray(y_true)
        if y_true.ndim == 1 and classes is not None and len(classes) == 2:
            return pr_auc_score(
                y_true,
                _positive_column(estimator, scores),
                pos_label=classes[1],
                sample_weight=sample_weight,
                **self._kwargs,
            )
        labels = classes if y_true.ndim == 1 else None
        return pr_auc_score(
            y_true, scores, labels=labels, sample_weight=sample_weight, **self._kwargs
        )


class _QueryScorer(_SeqScorer):
    """Ranking scorer for the three layouts; requests ``groups``."""

    def __call__(self, estimator, X, y_true, sample_weight=None, groups=None):
        """Score ``estimator`` on ``X`` against ``y_true``.

        Parameters
        ----------
        estimator : object
            Fitted estimator.
        X : array-like
            Input data.
        y_true : array-like
            Class labels (layout a), relevance matrix (layout b) or flat
            relevance (layout c, with ``groups``).
        sample_weight : array-like, default=None
            Sample weights.
        groups : array-like, default=None
            Query ids, routed from ``fit(..., groups=...)`` when metadata
            routing is enabled.

        Returns
        -------
        score : float
            The metric.
        """
        y_true = np.asarray(y_true)
        kwargs = dict(self._kwargs, sample_weight=sample_weight)
        if groups is not None:
            return self._score_func(
                y_true, _relevance_scores(estimator, X), groups=groups, **kwargs
            )
        if y_true.ndim == 2:
            if is_classifier(estimator):
                scores, _ = _class_scores(estimator, X)
            else:
                scores = np.asarray(estimator.predict(X))
            return self._score_func(y_true, scores, **kwargs)
        if is_classifier(estimator):
            scores, _ = _class_scores(estimator, X)
            classes = estimator.classes_
            if scores.ndim == 1:  # binary decision_function
                scores = np.column_stack([-scores, scores])
            seen = np.isin(y_true, classes)
            if seen.all():
                return self._score_func(y_true, scores, labels=classes, **kwargs)
            # a label the classifier never saw in training (an item absent
            # from the training fold) cannot be ranked: it counts as a miss,
            # score 0, in the (weighted) mean over all rows
            w = (
                np.ones(len(y_true))
                if sample_weight is None
                else np.asarray(sample_weight, dtype=np.float64)
            )
            if not seen.any():
                return 0.0
            kwargs["sample_weight"] = None if sample_weight is None else w[seen]
            score = self._score_func(
                y_true[seen], scores[seen], labels=classes, **kwargs
            )
            return score * w[seen].sum() / w.sum()
        routing = get_config().get("enable_metadata_routing", False)
        raise ValueError(
            f"The {self._name!r} scorer got a 1-D y and no `groups` for the "
            f"non-classifier {type(estimator).__name__}: per-query scores need "
            "the query id of each row. "
            + (
                "Pass groups to fit, e.g. GridSearchCV(...).fit(X, y, groups=qid)."
                if routing
                else "Metadata routing is disabled, so `groups` passed to fit "
                f"never reaches a scorer: enable it with {_ROUTING_HINT}."
            )
        )


def _relevance_scores(estimator, X):
    """One ranking score per row for layout (c)."""
    if not is_classifier(estimator):
        return np.asarray(estimator.predict(X), dtype=np.float64).ravel()
    scores, method = _class_scores(estimator, X)
    if scores.ndim == 1:
        return scores
    classes = estimator.classes_
    if scores.shape[1] == 2:
        return scores[:, 1]
    numeric = np.issubdtype(np.asarray(classes).dtype, np.number)
    if method == "predict_proba" and numeric:
        return scores @ np.asarray(classes, dtype=np.float64)  # expected relevance
    raise ValueError(
        "Cannot turn the multiclass decision values of "
        f"{type(estimator).__name__} into one ranking score per row."
    )


@validate_params(
    {
        "beta": [Interval(Real, 0, None, closed="left")],
        "average": [StrOptions({"binary", "micro", "macro", "weighted", "samples"})],
        "pos_label": [Real, str, "boolean", None],
        "zero_division": [StrOptions({"warn"}), Real],
    },
    prefer_skip_nested_validation=True,
)
def make_fbeta_scorer(beta, *, average="binary", pos_label=1, zero_division="warn"):
    """Make a scorer for :func:`sklearn.metrics.fbeta_score`.

    Parameters
    ----------
    beta : float
        Weight of recall relative to precision: ``beta < 1`` favours
        precision (F0.5), ``beta > 1`` favours recall (F2).

    average : {"binary", "micro", "macro", "weighted", "samples"}, \
            default="binary"
        Averaging for multiclass or multilabel targets, as in sklearn.

    pos_label : int, float, bool or str, default=1
        The positive class when ``average="binary"``.

    zero_division : "warn" or float, default="warn"
        Value when precision or recall is undefined.

    Returns
    -------
    scorer : callable
        A scikit-learn scorer ``scorer(estimator, X, y)`` using ``predict``.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_seq.metrics import make_fbeta_scorer
    >>> X = [[0.0], [1.0], [2.0], [3.0]]
    >>> y = [0, 0, 1, 1]
    >>> clf = LogisticRegression().fit(X, y)
    >>> make_fbeta_scorer(2.0)(clf, X, y)
    1.0
    """
    return make_scorer(
        fbeta_score,
        beta=beta,
        average=average,
        pos_label=pos_label,
        zero_division=zero_division,
    )


_QUERY_METRICS = {
    "ndcg": ndcg_score,
    "map": mean_average_precision_score,
    "mrr": mean_reciprocal_rank_score,
    "recall": recall_at_k_score,
}
_AT_K = re.compile(r"^(ndcg|map|mrr|recall)@([1-9][0-9]*)$")
_FBETA = re.compile(r"^f([0-9]+(?:\.[0-9]+)?)(?:_(micro|macro|weighted|samples))?$")


def _query_scorer(name, metric, k):
    kwargs = {} if k is None else {"k": k}
    return _QueryScorer(name, _QUERY_METRICS[metric], kwargs, {"groups": True})


def _build_registry():
    neg_mape = make_scorer(mean_absolute_percentage_error, greater_is_better=False)
    neg_smape = make_scorer(
        mean_absolute_percentage_error, greater_is_better=False, symmetric=True
    )
    return {
        "bleu": make_scorer(bleu_score),
        "entity_f1": make_scorer(entity_f1_score),
        "exact_match": make_scorer(exact_match_score),
        "f0.5": make_fbeta_scorer(0.5),
        "f1": make_fbeta_scorer(1.0),
        "f2": make_fbeta_scorer(2.0),
        "map": _query_scorer("map", "map", None),
        "mrr": _query_scorer("mrr", "mrr", None),
        "ndcg": _query_scorer("ndcg", "ndcg", None),
        "neg_eer": make_verification_scorer("eer"),
        "neg_mape": neg_mape,
        "neg_smape": neg_smape,
        "pr_auc": _PRAUCScorer("pr_auc", pr_auc_score, {}, {}),
        "roc_auc": _sklearn_get_scorer("roc_auc"),
        "tar@far=0.001": make_verification_scorer("tar_at_far", far=0.001),
        "tar@far=0.01": make_verification_scorer("tar_at_far", far=0.01),
        "tar@far=0.1": make_verification_scorer("tar_at_far", far=0.1),
        "token_accuracy": make_scorer(token_accuracy_score),
        "verification_roc_auc": make_verification_scorer("roc_auc"),
    }


_SCORERS = _build_registry()
# Old names of the scorers of lower-is-better metrics, which return the
# negated value and so take scikit-learn's ``neg_`` prefix.
_DEPRECATED_NAMES = {"mape": "neg_mape", "smape": "neg_smape"}
_LISTED_K = (5, 10, 20)


def get_scorer_names():
    """Names accepted by :func:`get_scorer`.

    The ``@k`` names accept any positive ``k``; the list shows them for
    ``k`` in 5, 10 and 20. ``f<beta>`` accepts any ``beta`` and an optional
    ``_micro``, ``_macro``, ``_weighted`` or ``_samples`` suffix.

    Returns
    -------
    names : list of str
        Sorted scorer names.

    Examples
    --------
    >>> from sklearn_seq.metrics import get_scorer_names
    >>> "ndcg@10" in get_scorer_names()
    True
    """
    at_k = [f"{m}@{k}" for m in _QUERY_METRICS for k in _LISTED_K]
    return sorted([*_SCORERS, *at_k])


def get_scorer(scoring):
    """Get a scorer by name.

    Ranking scorers (``ndcg``, ``map``, ``mrr``, ``recall`` with ``@k``)
    score a classifier's ``predict_proba`` (or ``decision_function``) per
    sample against class labels, with ``classes_`` mapped to columns (layout
    a); or, given ``groups`` (one query id per row), score ``predict`` (a
    regressor) or the positive-class probability / expected relevance (a
    classifier) per query (layout c). ``groups`` reaches the scorer only
    through scikit-learn's metadata routing: enable it with
    ``sklearn.set_config(enable_metadata_routing=True)`` and pass
    ``groups=qid`` to ``GridSearchCV.fit``. Without routing a regressor's
    scorer raises a ``ValueError`` saying so (inside ``GridSearchCV`` the
    default ``error_score=np.nan`` turns it into NaN scores and a warning;
    pass ``error_score="raise"`` to see it).

    Lower-is-better metrics have scorers named with scikit-learn's ``neg_``
    prefix, which return the negated value (greater is better): ``neg_mape``
    and ``neg_smape`` (:func:`mean_absolute_percentage_error`, plain and
    symmetric, which raise on a zero denominator where scikit-learn's
    ``neg_mean_absolute_percentage_error`` divides by an epsilon) and
    ``neg_eer``. The old names ``mape`` and ``smape`` still work but emit a
    ``FutureWarning``; :func:`get_scorer_names` no longer lists them.

    Parameters
    ----------
    scoring : str, callable or None
        A name from :func:`get_scorer_names` (any ``k`` in ``name@k``), or a
        callable / None, returned as is.

    Returns
    -------
    scorer : callable
        A scorer ``scorer(estimator, X, y, **kwargs)``; a fresh copy.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_seq.metrics import get_scorer
    >>> X = [[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]
    >>> y = ["a", "a", "b", "b", "c", "c"]
    >>> clf = LogisticRegression().fit(X, y)
    >>> get_scorer("recall@2")(clf, X, y)
    1.0
    >>> get_scorer("ndcg@10")
    get_scorer('ndcg@10')
    """
    if scoring is None or callable(scoring):
        return scoring
    if not isinstance(scoring, str):
        raise TypeError(f"scoring must be a str, a callable or None; got {scoring!r}.")
    if scoring in _DEPRECATED_NAMES:
        new_name = _DEPRECATED_NAMES[scoring]
        warnings.warn(
            f"The scorer name {scoring!r} is deprecated and will be removed in a "
            f"future release; use {new_name!r}, the same scorer (it returns the "
            "negated error, as scikit-learn's 'neg_*' scorers do).",
            FutureWarning,
            stacklevel=2,
        )
        scoring = new_name
    if scoring in _SCORERS:
        return copy.deepcopy(_SCORERS[scoring])
    match = _AT_K.match(scoring)
    if match:
        return _query_scorer(scoring, match.group(1), int(match.group(2)))
    match = _FBETA.match(scoring)
    if match:
        return make_fbeta_scorer(
            float(match.group(1)), average=match.group(2) or "binary"
        )
    raise ValueError(
        f"{scoring!r} is not a valid scoring value. Use "
        "sklearn_seq.metrics.get_scorer_names() to get valid options."
    )
