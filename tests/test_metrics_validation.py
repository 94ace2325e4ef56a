# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Input validation of the metrics, as strict as scikit-learn's."""

import warnings

import numpy as np
import pytest
import sklearn.metrics as skm
from sklearn.base import BaseEstimator
from sklearn.exceptions import UndefinedMetricWarning

from sklearn_seq.metrics import (
    bleu_score,
    entity_f1_score,
    equal_error_rate,
    exact_match_score,
    make_cost_scorer,
    mean_absolute_percentage_error,
    mean_average_precision_score,
    mean_reciprocal_rank_score,
    ndcg_score,
    pr_auc_score,
    recall_at_k_score,
    tar_at_far_score,
    token_accuracy_score,
    verification_pairs,
)
from sklearn_seq.utils._param_validation import InvalidParameterError

# ---------------------------------------------------------------------------
# sample_weight: _check_sample_weight semantics everywhere
# ---------------------------------------------------------------------------

REL = np.array([[1, 0, 2, 0], [0, 1, 0, 0], [2, 2, 0, 1], [0, 0, 1, 1]])
SCORE = np.array(
    [
        [0.9, 0.3, 0.5, 0.1],
        [0.2, 0.8, 0.4, 0.6],
        [0.7, 0.1, 0.3, 0.9],
        [0.5, 0.6, 0.2, 0.4],
    ]
)
Y_BIN = np.array([0, 1, 1, 0])
S_BIN = np.array([0.2, 0.7, 0.4, 0.5])
TAGS_TRUE = [["B-PER", "I-PER"], ["O", "B-LOC"], ["B-LOC", "O"], ["O", "O"]]
TAGS_PRED = [["B-PER", "O"], ["O", "B-LOC"], ["B-LOC", "O"], ["B-PER", "O"]]


class _Fixed(BaseEstimator):
    def __init__(self, pred=None):
        self.pred = pred

    def predict(self, X):
        return self.pred


def _cost(y_true, y_pred, sample_weight=None):
    scorer = make_cost_scorer(fp_cost=1, fn_cost=10)
    return scorer(_Fixed(y_pred), None, y_true, sample_weight=sample_weight)


def _pairs_weight(embeddings, labels, sample_weight=None):
    return verification_pairs(embeddings, labels, sample_weight=sample_weight)[2].sum()


# (name, function, y_true, y_pred / y_score): every metric with sample_weight,
# on four samples (queries, sequences).
WEIGHTED = [
    ("mape", mean_absolute_percentage_error, [1.0, 2.0, 4.0, 5.0], [1.5, 2.0, 3.0, 6]),
    ("pr_auc", pr_auc_score, Y_BIN, S_BIN),
    (
        "pr_auc_trapezoid",
        lambda *a, **k: pr_auc_score(*a, method="trapezoid", **k),
        Y_BIN,
        S_BIN,
    ),
    ("pr_auc_multilabel", pr_auc_score, (REL > 0).astype(int), SCORE),
    ("ndcg", ndcg_score, REL, SCORE),
    ("map", mean_average_precision_score, REL, SCORE),
    ("mrr", mean_reciprocal_rank_score, REL, SCORE),
    ("recall", lambda *a, **k: recall_at_k_score(*a, k=2, **k), REL, SCORE),
    ("entity_f1", entity_f1_score, TAGS_TRUE, TAGS_PRED),
    (
        "exact_match",
        exact_match_score,
        [[1, 2], [3], [4], [5, 6]],
        [[1, 2], [3], [0], [5]],
    ),
    (
        "token_accuracy",
        token_accuracy_score,
        ["ab", "c", "de", "f"],
        ["ab", "x", "dx", "f"],
    ),
    ("eer", equal_error_rate, Y_BIN, S_BIN),
    ("tar_at_far", lambda *a, **k: tar_at_far_score(*a, far=0.5, **k), Y_BIN, S_BIN),
    ("cost", _cost, Y_BIN, np.array([0, 1, 0, 1])),
    ("pairs", _pairs_weight, np.eye(4), [0, 0, 1, 1]),
]
WEIGHTED_IDS = [w[0] for w in WEIGHTED]

BAD_WEIGHTS = [
    ([np.nan, 1, 1, 1], "Input sample_weight contains NaN"),
    ([np.inf, 1, 1, 1], "Input sample_weight contains infinity"),
    ([1j, 1, 1, 1], "Complex data not supported"),
    ([[1], [1], [1], [1]], "Sample weights must be 1D array or scalar"),
    ([0, 0, 0, 0], "Sample weights must contain at least one non-zero number"),
    ([1, -1, 1, 1], "Negative values in data passed to `sample_weight`"),
    ([1, 1, 1], "inconsistent numbers of samples"),
]


@pytest.mark.parametrize("name, func, y1, y2", WEIGHTED, ids=WEIGHTED_IDS)
@pytest.mark.parametrize("weight, msg", BAD_WEIGHTS)
def test_bad_sample_weight_raises(name, func, y1, y2, weight, msg):
    with pytest.raises(ValueError, match=msg):
        func(y1, y2, sample_weight=weight)


def _repeat(y, counts):
    if isinstance(y, list):
        return [item for item, c in zip(y, counts) for _ in range(c)]
    return np.repeat(np.asarray(y), counts, axis=0)


def _take(y, idx):
    return [y[i] for i in idx] if isinstance(y, list) else np.asarray(y)[idx]


SCORES = [w for w in WEIGHTED if w[0] != "pairs"]  # those returning a score


@pytest.mark.parametrize("name, func, y1, y2", SCORES, ids=[w[0] for w in SCORES])
def test_sample_weight_invariance(name, func, y1, y2):
    # sklearn's check_sample_weight_invariance (metrics/tests/test_common.py)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        weight = np.array([2, 1, 3, 1])
        unweighted = func(y1, y2)
        assert func(y1, y2, sample_weight=np.ones(4)) == pytest.approx(unweighted)
        weighted = func(y1, y2, sample_weight=weight)
        assert func(y1, y2, sample_weight=weight.tolist()) == weighted
        # integer weights = repeated samples
        repeated = func(_repeat(y1, weight), _repeat(y2, weight))
        assert weighted == pytest.approx(repeated, rel=1e-12)
        # zero weights = removed samples
        zeroed = weight * np.array([0, 1, 1, 1])
        assert func(y1, y2, sample_weight=zeroed) == pytest.approx(
            func(_take(y1, [1, 2, 3]), _take(y2, [1, 2, 3]), sample_weight=zeroed[1:]),
            rel=1e-12,
        )
        # scale invariance
        assert func(y1, y2, sample_weight=0.1 * weight) == pytest.approx(
            weighted, rel=1e-12
        )


def test_group_layout_sample_weight_is_validated_per_row():
    rel, score = REL.ravel(), SCORE.ravel()
    groups = np.repeat(np.arange(4), 4)
    with pytest.raises(ValueError, match="contains NaN"):
        ndcg_score(rel, score, groups=groups, sample_weight=np.full(16, np.nan))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        ndcg_score(rel, score, groups=groups, sample_weight=np.ones(4))
    w = np.repeat([1.0, 2.0, 0.5, 1.0], 4)
    assert ndcg_score(rel, score, groups=groups, sample_weight=w) == pytest.approx(
        ndcg_score(REL, SCORE, sample_weight=[1.0, 2.0, 0.5, 1.0])
    )


# ---------------------------------------------------------------------------
# MAPE zero_division
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", [-1, -0.5, np.nan, "warn", None])
def test_mape_zero_division_constrained(value):
    msg = (
        "The 'zero_division' parameter of mean_absolute_percentage_error must be "
        "a str among"
    )
    with pytest.raises(InvalidParameterError, match=msg):
        mean_absolute_percentage_error([0, 1], [1, 1], zero_division=value)


def test_mape_skip_everything_warns():
    with pytest.warns(UndefinedMetricWarning, match="MAPE is undefined"):
        assert np.isnan(
            mean_absolute_percentage_error([0, 0], [1, 2], zero_division="skip")
        )
    with pytest.warns(UndefinedMetricWarning, match="sMAPE is undefined"):
        assert np.isnan(
            mean_absolute_percentage_error(
                [0, 0], [0, 0], zero_division="skip", symmetric=True
            )
        )
    # per output: only the output left without a term is NaN
    with pytest.warns(UndefinedMetricWarning, match=r"output\(s\) \[0\]"):
        raw = mean_absolute_percentage_error(
            [[0, 1], [0, 2]],
            [[1, 1], [2, 3]],
            zero_division="skip",
            multioutput="raw_values",
        )
    assert np.isnan(raw[0]) and raw[1] == pytest.approx(0.25)
    # weights that leave no term also
    with pytest.warns(UndefinedMetricWarning):
        mean_absolute_percentage_error(
            [0, 2], [1, 3], zero_division="skip", sample_weight=[1, 0]
        )
    # a term left: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            mean_absolute_percentage_error([0, 2], [1, 3], zero_division="skip") == 0.5
        )
        assert mean_absolute_percentage_error([0, 2], [1, 3], zero_division=0) == 0.25


def test_mape_rejects_non_finite_targets():
    for bad in ([np.nan, 1.0], [np.inf, 1.0]):
        with pytest.raises(ValueError, match="Input y_true contains"):
            mean_absolute_percentage_error(bad, [1.0, 1.0])
        with pytest.raises(ValueError, match="Input y_pred contains"):
            mean_absolute_percentage_error([1.0, 1.0], bad)


# ---------------------------------------------------------------------------
# PR-AUC
# ---------------------------------------------------------------------------


def test_pr_auc_column_scores_like_sklearn():
    y = [0, 1, 1, 0, 1]
    s = np.array([0.1, 0.5, 0.7, 0.6, 0.2])
    for method in ("step", "trapezoid"):
        assert pr_auc_score(y, s[:, None], method=method) == pr_auc_score(
            y, s, method=method
        )
    with pytest.raises(ValueError, match="columns but there are 2 labels"):
        pr_auc_score(y, np.c_[s, s, s])


def test_pr_auc_pos_label_multiclass_raises():
    y = ["a", "b", "c", "a"]
    s = np.random.default_rng(0).random((4, 3))
    for pos_label in (0, 2, "a"):
        with pytest.raises(ValueError, match="pos_label is fixed to 1 for multiclass"):
            pr_auc_score(y, s, labels=["a", "b", "c"], pos_label=pos_label)
    with pytest.raises(ValueError, match="fixed to 1 for multilabel-indicator"):
        pr_auc_score([[1, 0], [0, 1]], [[0.3, 0.6], [0.2, 0.8]], pos_label=0)
    with pytest.raises(ValueError, match="fixed to 1 for a 2-D y_score"):
        pr_auc_score([0, 1, 1], [[0.3, 0.7], [0.2, 0.8], [0.6, 0.4]], pos_label=0)
    # binary 1-D: pos_label is honoured
    assert pr_auc_score([0, 1, 1], [0.9, 0.2, 0.1], pos_label=0) == 1.0


@pytest.mark.parametrize("sample_weight", [None, [1.0, 2.0, 0.5]])
def test_pr_auc_no_positive_methods_agree(sample_weight):
    y, s = [0, 0, 0], [0.1, 0.2, 0.3]
    for method in ("step", "trapezoid"):
        with pytest.warns(UserWarning, match="No positive class found"):
            assert pr_auc_score(y, s, method=method, sample_weight=sample_weight) == 0
    # positives of zero weight are no positive either
    with pytest.warns(UserWarning, match="No positive class found"):
        assert (
            pr_auc_score([0, 1, 0], s, method="trapezoid", sample_weight=[1, 0, 1]) == 0
        )
    # multilabel, weighted: no positive anywhere gives 0 like sklearn's step
    y2 = np.zeros((3, 2), dtype=int)
    s2 = np.c_[s, s]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for average in ("macro", "weighted", "micro"):
            ref = skm.average_precision_score(y2, s2, average=average)
            for method in ("step", "trapezoid"):
                assert pr_auc_score(y2, s2, average=average, method=method) == ref


# ---------------------------------------------------------------------------
# Ranking
# ---------------------------------------------------------------------------

QUERY = [
    ndcg_score,
    mean_average_precision_score,
    mean_reciprocal_rank_score,
    recall_at_k_score,
]


@pytest.mark.parametrize("func", QUERY, ids=lambda f: f.__name__)
@pytest.mark.parametrize("k", [True, False, np.True_, 0, -1, 1.5, "3"])
def test_k_refuses_booleans_and_non_ints(func, k):
    msg = f"The 'k' parameter of {func.__name__} must be an int in the range"
    with pytest.raises(InvalidParameterError, match=msg):
        func(REL, SCORE, k=k)


def test_k_accepts_numpy_ints():
    assert ndcg_score(REL, SCORE, k=np.int64(2)) == ndcg_score(REL, SCORE, k=2)


def test_bleu_max_order_refuses_booleans():
    msg = "The 'max_order' parameter of bleu_score must be an int"
    with pytest.raises(InvalidParameterError, match=msg):
        bleu_score(["a b"], ["a b"], max_order=True)


@pytest.mark.parametrize(
    "groups",
    [
        [1.0, 1.0, np.nan, np.nan],
        np.array([1, 1, np.nan, 2.0]),
        np.array(["q1", "q1", None, "q2"], dtype=object),
        np.array([1, 1, float("nan"), 2], dtype=object),
    ],
)
def test_nan_group_ids_are_refused(groups):
    with pytest.raises(ValueError, match="Input groups contains NaN or None"):
        ndcg_score([1, 0, 1, 0], [0.4, 0.3, 0.2, 0.1], groups=groups)


def test_single_document_layouts():
    with pytest.raises(ValueError, match="more than 1 document"):
        ndcg_score([[1], [0]], [[0.5], [0.2]])
    # Other metrics and layout (c) accept single-document queries.
    assert mean_average_precision_score([[1]], [[0.5]]) == 1.0
    assert ndcg_score([1, 0, 1], [0.3, 0.2, 0.9], groups=[0, 1, 1]) == pytest.approx(
        (1.0 + 1.0) / 2
    )


@pytest.mark.parametrize("func", QUERY, ids=lambda f: f.__name__)
def test_non_finite_scores(func):
    kw = {"k": 2} if func is recall_at_k_score else {}
    with pytest.raises(ValueError, match="Input y_score contains NaN"):
        func(REL, np.where(REL > 1, np.nan, SCORE), **kw)
    with pytest.raises(ValueError, match=r"\+inf"):
        func(REL, np.where(REL > 1, np.inf, SCORE), **kw)
    with pytest.raises(ValueError, match="Input y_score contains NaN"):
        func([0, 1], [[np.nan, 0.1], [0.2, 0.3]], **kw)
    # -inf (not retrieved) is accepted in every layout
    func(REL, np.where(REL > 1, -np.inf, SCORE), **kw)
    func(
        REL.ravel(),
        np.where(REL > 1, -np.inf, SCORE).ravel(),
        groups=np.repeat(range(4), 4),
        **kw,
    )
    func([0, 1], [[-np.inf, 0.1], [0.2, 0.3]], **kw)


@pytest.mark.parametrize("ties", ["average", "pessimistic", "optimistic"])
@pytest.mark.parametrize("seed", range(10))
def test_unretrieved_irrelevant_items_change_nothing(ties, seed):
    # An unretrieved non-relevant item (-inf, relevance 0) is invisible, and
    # an unretrieved relevant item only enlarges the ideal ranking.
    rng = np.random.default_rng(seed)
    rel = rng.integers(0, 3, (6, 5))
    rel[:, 0] = 1
    score = rng.integers(0, 3, (6, 5)).astype(float)
    pad_rel = np.c_[rel, np.zeros((6, 3))]
    pad_score = np.c_[score, np.full((6, 3), -np.inf)]
    for func in QUERY:
        for k in (None, 2, 7):
            if func is recall_at_k_score and k is None:
                continue
            kw = {"ties": ties, "k": k}
            assert func(pad_rel, pad_score, **kw) == pytest.approx(
                func(rel, score, **kw), abs=1e-15
            )


# ---------------------------------------------------------------------------
# Parameter types: sklearn's messages on every public metric function
# ---------------------------------------------------------------------------

BAD_PARAMS = [
    (pr_auc_score, (Y_BIN, S_BIN), "method", "area"),
    (pr_auc_score, (Y_BIN, S_BIN), "average", "mean"),
    (pr_auc_score, (Y_BIN, S_BIN), "sample_weight", "w"),
    (ndcg_score, (REL, SCORE), "gain", "log"),
    (ndcg_score, (REL, SCORE), "ties", "random"),
    (mean_average_precision_score, (REL, SCORE), "no_relevant", "nan"),
    (recall_at_k_score, (REL, SCORE), "k", None),
    (mean_absolute_percentage_error, ([1.0], [1.0]), "symmetric", "yes"),
    (mean_absolute_percentage_error, ([1.0], [1.0]), "multioutput", "mean"),
    (entity_f1_score, (TAGS_TRUE, TAGS_PRED), "zero_division", 0.5),
    (entity_f1_score, (TAGS_TRUE, TAGS_PRED), "scheme", "BIO"),
    (equal_error_rate, (Y_BIN, S_BIN), "sample_weight", 3),
    (tar_at_far_score, (Y_BIN, S_BIN), "far", 2.0),
    (exact_match_score, (["a"], ["a"]), "sample_weight", "w"),
    (bleu_score, (["a"], ["a"]), "smooth", "no"),
]


@pytest.mark.parametrize(
    "func, args, param, value", BAD_PARAMS, ids=lambda v: getattr(v, "__name__", "")
)
def test_parameter_messages_read_like_sklearn(func, args, param, value):
    msg = f"The '{param}' parameter of {func.__name__} must be"
    with pytest.raises(InvalidParameterError, match=msg):
        func(*args, **{param: value})


def test_entity_f1_zero_division_accepts_ints_like_sklearn():
    y = [["O"]]
    assert entity_f1_score(y, y, zero_division=1) == 1.0
    assert entity_f1_score(y, y, zero_division=0) == 0.0
