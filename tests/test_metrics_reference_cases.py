# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Reference test cases run against our metrics.

The cases (inputs and expected behaviour) of scikit-learn's own tests for
``ndcg_score``, ``average_precision_score`` and
``mean_absolute_percentage_error`` (sklearn/metrics/tests/test_ranking.py and
test_regression.py), of seqeval's README and of trec_eval's conventions
(relevant documents missing from a run, score ties). Where a reference
function exists our output is compared with it on the same input; the other
expected values are derived by hand in the comments, never read from the code
under test.
"""

import warnings

import numpy as np
import pytest
import pytrec_eval
import seqeval.metrics
import sklearn.metrics as skm
from seqeval.scheme import IOB2, IOBES
from sklearn.datasets import make_multilabel_classification
from sklearn.exceptions import UndefinedMetricWarning

from sklearn_seq.metrics import (
    entity_f1_score,
    mean_absolute_percentage_error,
    mean_average_precision_score,
    mean_reciprocal_rank_score,
    ndcg_score,
    pr_auc_score,
    recall_at_k_score,
)


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return func(*args, **kwargs)


def _trapezoid_reference(y_true, y_score, **kwargs):
    p, r, _ = skm.precision_recall_curve(y_true, y_score, **kwargs)
    return skm.auc(r, p)


# ---------------------------------------------------------------------------
# sklearn's ndcg_score cases (ties="average" is sklearn's ignore_ties=False;
# on tie-free scores it is also ignore_ties=True)
# ---------------------------------------------------------------------------


def test_sklearn_ndcg_negative_y_true_raises():
    y_true = np.array([[-0.89, -0.53, -0.47, 0.39, 0.56]])
    y_score = np.array([[0.07, 0.31, 0.75, 0.33, 0.27]])
    with pytest.raises(ValueError, match="negative"):
        skm.ndcg_score(y_true, y_score)
    with pytest.raises(ValueError, match="non-negative"):
        ndcg_score(y_true, y_score)


def test_sklearn_ndcg_invariant():
    y_true = np.arange(70).reshape(7, 10)
    y_score = y_true + np.random.RandomState(0).uniform(-0.2, 0.2, size=y_true.shape)
    # Row 0 has a relevance-0 item only at the bottom: no query is all zero.
    assert ndcg_score(y_true, y_score) == pytest.approx(1.0, abs=1e-15)
    assert ndcg_score(y_true, y_score) == skm.ndcg_score(y_true, y_score)
    assert ndcg_score(y_true, y_score + 1000) == pytest.approx(1.0, abs=1e-15)


@pytest.mark.parametrize("noisy", [False, True])
def test_sklearn_ndcg_toy_examples(noisy):
    y_true = 3 * np.eye(7)[:5]
    y_score = np.tile(np.arange(6, -1, -1), (5, 1)).astype(float)
    if noisy:
        y_score += np.random.RandomState(0).uniform(-0.2, 0.2, size=y_score.shape)
    # Query i has its single relevant item at rank i + 1.
    expected = (1 / np.log2(np.arange(2, 7))).mean()
    assert ndcg_score(y_true, y_score) == pytest.approx(expected, rel=1e-15)
    assert ndcg_score(y_true, y_score) == pytest.approx(
        skm.ndcg_score(y_true, y_score), rel=1e-15
    )
    # Every item equally relevant: any order is ideal.
    assert ndcg_score(3 * np.ones((5, 7)), y_score) == pytest.approx(1.0)


def test_sklearn_ndcg_ties():
    # sklearn's test_dcg_ties inputs, as NDCG: all tied, then two blocks.
    y_true = np.asarray([np.arange(5)])
    y_score = np.zeros(y_true.shape)
    for y_s in (y_score, np.where(np.arange(5) >= 3, 1.0, 0.0)[None]):
        assert ndcg_score(y_true, y_s) == pytest.approx(
            skm.ndcg_score(y_true, y_s), rel=1e-15
        )
    # all tied: DCG = mean gain * sum of discounts
    disc = 1 / np.log2(np.arange(2, 7))
    idcg = (np.arange(5)[::-1] * disc).sum()
    assert ndcg_score(y_true, y_score) == pytest.approx(2.0 * disc.sum() / idcg)


def test_sklearn_ndcg_with_k():
    a = np.arange(12).reshape((2, 6))
    for k in (1, 3, 6, 10):
        assert ndcg_score(a, a, k=k) == skm.ndcg_score(a, a, k=k) == 1.0
        assert ndcg_score(a, a[:, ::-1], k=k) == pytest.approx(
            skm.ndcg_score(a, a[:, ::-1], k=k), rel=1e-15
        )


def test_sklearn_ndcg_single_document():
    msg = "Computing NDCG is only meaningful when there is more than 1 document. "
    msg += "Got 1 instead."
    with pytest.raises(ValueError, match=msg):
        skm.ndcg_score([[1]], [[1]])
    with pytest.raises(ValueError, match=msg):
        ndcg_score([[1]], [[1]])
    with pytest.raises(ValueError, match=msg):
        ndcg_score([0, 0], [[0.3], [0.2]])  # layout (a) with one class


@pytest.mark.parametrize("data", ["multilabel", "random"])
def test_sklearn_ndcg_score_per_query(data):
    # sklearn's test_ndcg_score / _test_ndcg_score_for, query by query.
    if data == "multilabel":
        _, y_true = make_multilabel_classification(random_state=0, n_classes=10)
        y_score = -y_true + 1
    else:
        y_true, y_score = np.random.RandomState(0).random_sample((2, 100, 10))
    all_zero = (y_true == 0).all(axis=1)
    for i in range(len(y_true)):
        ideal = _quiet(ndcg_score, y_true[i : i + 1], y_true[i : i + 1])
        score = _quiet(ndcg_score, y_true[i : i + 1], y_score[i : i + 1])
        assert score <= ideal
        assert ideal == (0.0 if all_zero[i] else pytest.approx(1.0))
        ref = skm.ndcg_score(y_true[i : i + 1], y_score[i : i + 1])
        assert score == pytest.approx(ref, rel=1e-15, abs=1e-15)
    assert _quiet(ndcg_score, y_true, y_score) == pytest.approx(
        skm.ndcg_score(y_true, y_score), rel=1e-15
    )


# ---------------------------------------------------------------------------
# sklearn's average_precision_score cases, pr_auc_score(method="step")
# ---------------------------------------------------------------------------

BINARY_TOY = [
    # (y_true, y_score, sklearn's expected AP)
    ([0, 1], [0, 1], 1.0),
    ([0, 1], [1, 0], 0.5),
    ([1, 0], [1, 1], 0.5),
    ([1, 0], [1, 0], 1.0),
    ([1, 0], [0.5, 0.5], 0.5),
    ([1, 1], [0.25, 0.75], 1.0),
    ([1, 0, 0, 1], [1, 2, 3, 4], None),
]


@pytest.mark.parametrize("y_true, y_score, expected", BINARY_TOY)
def test_sklearn_average_precision_binary_toydata(y_true, y_score, expected):
    ref = skm.average_precision_score(y_true, y_score)
    if expected is not None:
        assert ref == pytest.approx(expected)
    assert pr_auc_score(y_true, y_score) == ref
    assert pr_auc_score(y_true, y_score, method="trapezoid") == pytest.approx(
        _trapezoid_reference(y_true, y_score), rel=1e-15
    )
    # {-1, 1} labels, as in sklearn's test_precision_recall_curve.
    y_pm = 2 * np.asarray(y_true) - 1
    assert pr_auc_score(y_pm, y_score) == ref


def test_sklearn_average_precision_no_positive():
    y_true, y_score = [0, 0], [0.25, 0.75]
    with pytest.warns(UserWarning, match="No positive class found in y_true"):
        assert skm.average_precision_score(y_true, y_score) == 0
    with pytest.warns(UserWarning, match="No positive class found in y_true"):
        assert pr_auc_score(y_true, y_score) == 0
    # The trapezoid over sklearn's curve would be 0.5; we give 0 like "step".
    with pytest.warns(UserWarning, match="No positive class found in y_true"):
        assert pr_auc_score(y_true, y_score, method="trapezoid") == 0.0


MULTILABEL_TOY = [
    # (y_true, y_score, {average: sklearn's expected AP})
    ([[0, 1], [0, 1]], [[0, 1], [0, 1]], {"macro": 0.5, "weighted": 1.0, "micro": 1}),
    ([[0, 1], [0, 1]], [[0, 1], [1, 0]], {"macro": 0.5, "weighted": 1, "micro": 0.5}),
    ([[1, 0], [0, 1]], [[0, 1], [1, 0]], {"macro": 0.5, "weighted": 0.5, "micro": 0.5}),
    ([[0, 0], [0, 0]], [[0, 1], [0, 1]], {"macro": 0, "weighted": 0, "micro": 0}),
    ([[1, 1], [1, 1]], [[0, 1], [0, 1]], {"macro": 1, "weighted": 1, "micro": 1}),
    ([[1, 0], [0, 1]], [[0.5, 0.5], [0.5, 0.5]], {"macro": 0.5, "micro": 0.5}),
    ([[0, 0], [0, 1]], [[0, 0], [0, 1]], {"weighted": 1}),
]


@pytest.mark.parametrize("y_true, y_score, expected", MULTILABEL_TOY)
def test_sklearn_average_precision_multilabel_toydata(y_true, y_score, expected):
    y_true, y_score = np.array(y_true), np.array(y_score, dtype=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for average in ("macro", "weighted", "samples", "micro", None):
            ref = skm.average_precision_score(y_true, y_score, average=average)
            if average in expected:
                assert ref == pytest.approx(expected[average])
            got = pr_auc_score(y_true, y_score, average=average)
            np.testing.assert_allclose(got, ref, rtol=1e-15)
            if average == "samples":
                continue
            # trapezoid: per column, with 0 for a column without positives.
            per = []
            for j in range(y_true.shape[1]):
                if y_true[:, j].any():
                    per.append(_trapezoid_reference(y_true[:, j], y_score[:, j]))
                else:
                    per.append(0.0)
            got = pr_auc_score(y_true, y_score, average=average, method="trapezoid")
            if average is None:
                np.testing.assert_allclose(got, per, rtol=1e-15)
            elif average == "macro":
                assert got == pytest.approx(np.mean(per), rel=1e-15)
            elif average == "weighted":
                support = y_true.sum(axis=0)
                ref = np.average(per, weights=support) if support.sum() else 0.0
                assert got == pytest.approx(ref, rel=1e-15)


def test_sklearn_average_precision_constant_values():
    y_true = np.zeros(100, dtype=int)
    y_true[::4] = 1
    y_score = np.ones(100)
    # One threshold: the precision is the fraction of positives.
    assert pr_auc_score(y_true, y_score) == 0.25


def test_sklearn_average_precision_pos_label_errors():
    with pytest.raises(ValueError, match=r"pos_label=2 is not a valid label"):
        pr_auc_score(np.array([0, 1]), np.array([0, 1]), pos_label=2)
    y_true = np.array([[1, 0], [0, 1], [0, 1], [1, 0]])
    y_pred = np.array([[0.9, 0.1], [0.1, 0.9], [0.8, 0.2], [0.2, 0.8]])
    msg = (
        "Parameter pos_label is fixed to 1 for multilabel-indicator y_true. "
        "Do not set pos_label or set pos_label to 1."
    )
    for func in (skm.average_precision_score, pr_auc_score):
        with pytest.raises(ValueError, match=msg):
            func(y_true, y_pred, pos_label=0)
    y_true = np.array([0, 1, 2, 0, 1, 2])
    y_score = np.array(
        [
            [0.5, 0.2, 0.1],
            [0.4, 0.5, 0.3],
            [0.1, 0.2, 0.6],
            [0.2, 0.3, 0.5],
            [0.2, 0.3, 0.5],
            [0.2, 0.3, 0.5],
        ]
    )
    msg = (
        "Parameter pos_label is fixed to 1 for multiclass y_true. "
        "Do not set pos_label or set pos_label to 1."
    )
    for func in (skm.average_precision_score, pr_auc_score):
        with pytest.raises(ValueError, match=msg):
            func(y_true, y_score, pos_label=3)
    # pos_label=1 (the default) stays allowed, as in sklearn.
    assert pr_auc_score(y_true, y_score, pos_label=1) == pytest.approx(
        skm.average_precision_score(y_true, y_score, pos_label=1)
    )


def test_sklearn_average_precision_column_scores():
    y_true = [0, 1, 1, 0, 1]
    y_score = [[0.1], [0.5], [0.7], [0.6], [0.2]]
    ref = skm.average_precision_score(y_true, y_score)
    assert pr_auc_score(y_true, y_score) == ref
    assert pr_auc_score(np.c_[y_true], y_score) == ref
    ref = _trapezoid_reference(y_true, np.ravel(y_score))
    assert pr_auc_score(y_true, y_score, method="trapezoid") == ref


# ---------------------------------------------------------------------------
# sklearn's mean_absolute_percentage_error cases
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_sklearn_mape_exponential(seed):
    y_true = np.random.RandomState(seed).exponential(size=100)
    y_pred = 1.2 * y_true
    assert mean_absolute_percentage_error(y_true, y_pred) == pytest.approx(0.2)
    assert mean_absolute_percentage_error(y_true, y_pred) == pytest.approx(
        skm.mean_absolute_percentage_error(y_true, y_pred), rel=1e-15
    )


def test_sklearn_mape_zero_targets():
    # sklearn's test_regression_metrics: a zero target gives a finite error
    # above 1e6 through its epsilon; ours refuses by default, and "skip"
    # gives sklearn's value on the other samples.
    y_true = np.arange(50.0)
    y_pred = y_true + 1
    assert 1e6 < skm.mean_absolute_percentage_error(y_true, y_pred) < np.inf
    with pytest.raises(ValueError, match="zero"):
        mean_absolute_percentage_error(y_true, y_pred)
    assert mean_absolute_percentage_error(
        y_true, y_pred, zero_division="skip"
    ) == pytest.approx(
        skm.mean_absolute_percentage_error(y_true[1:], y_pred[1:]), rel=1e-15
    )
    # sklearn's test_regression_metrics_at_limits: 0 / 0 gives 0.
    assert skm.mean_absolute_percentage_error([0.0], [0.0]) == 0.0
    assert mean_absolute_percentage_error([0.0], [0.0], zero_division=0.0) == 0.0


def test_sklearn_mape_multioutput():
    y_true = [[1, 2], [2.5, -1], [4.5, 3], [5, 7]]
    y_pred = [[1, 1], [2, -1], [5, 4], [5, 6.5]]
    for multioutput in ("raw_values", "uniform_average", [0.4, 0.6]):
        np.testing.assert_allclose(
            mean_absolute_percentage_error(y_true, y_pred, multioutput=multioutput),
            skm.mean_absolute_percentage_error(y_true, y_pred, multioutput=multioutput),
            rtol=1e-15,
        )


def test_sklearn_mape_target_checks():
    # sklearn's test__check_reg_targets: outputs must agree; a column is
    # one output.
    examples = [
        ([1, 2, 3], 1),
        ([[1], [2], [3]], 1),
        ([[1, 1], [2, 2], [3, 1]], 2),
        ([[5, 1], [4, 2], [3, 1]], 2),
        ([[1, 3, 4], [2, 2, 2], [3, 1, 1]], 3),
    ]
    for y1, n1 in examples:
        for y2, n2 in examples:
            if n1 == n2:
                assert mean_absolute_percentage_error(y1, y2) == pytest.approx(
                    skm.mean_absolute_percentage_error(y1, y2), rel=1e-15
                )
            else:
                with pytest.raises(ValueError):
                    skm.mean_absolute_percentage_error(y1, y2)
                with pytest.raises(ValueError):
                    mean_absolute_percentage_error(y1, y2)
    # Custom output weights, sklearn's messages.
    y = [[1, 2], [2, 3]]
    msg = r"There must be equally many custom weights \(3\) as outputs \(2\)"
    for func in (skm.mean_absolute_percentage_error, mean_absolute_percentage_error):
        with pytest.raises(ValueError, match=msg):
            func(y, y, multioutput=[1, 2, 3])
        with pytest.raises(ValueError, match="only in multi-output"):
            func([1, 2], [1, 3], multioutput=[1])


# ---------------------------------------------------------------------------
# seqeval cases for entity_f1_score (default conlleval mode)
# ---------------------------------------------------------------------------


def test_seqeval_readme_example():
    y_true = [
        ["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"],
        ["B-PER", "I-PER", "O"],
    ]
    y_pred = [
        ["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"],
        ["B-PER", "I-PER", "O"],
    ]
    # MISC: true (3, 5), predicted (2, 5): wrong; PER (0, 1) right.
    # precision = recall = 1/2, F1 = 0.5; per type MISC 0, PER 1.
    assert entity_f1_score(y_true, y_pred) == 0.5
    assert seqeval.metrics.f1_score(y_true, y_pred) == 0.5
    np.testing.assert_array_equal(entity_f1_score(y_true, y_pred, average=None), [0, 1])
    for average in ("macro", "weighted"):
        assert entity_f1_score(y_true, y_pred, average=average) == 0.5
        assert seqeval.metrics.f1_score(y_true, y_pred, average=average) == 0.5


SEQEVAL_CASES = [
    # (y_true, y_pred, scheme, expected micro F1 derived by hand)
    # I-PER after O starts an entity (conlleval): same span (0, 1) -> 1.
    ([["B-PER", "I-PER", "O"]], [["I-PER", "I-PER", "O"]], "IOB2", 1.0),
    # A type change inside a chunk splits it: pred PER (0, 0), LOC (1, 1);
    # true PER (0, 1): tp 0 -> 0.
    ([["B-PER", "I-PER"]], [["B-PER", "I-LOC"]], "IOB2", 0.0),
    # B-X B-X is two entities; truth one (0, 1): tp 0, P 0/2, R 0/1 -> 0.
    ([["B-X", "I-X"]], [["B-X", "B-X"]], "IOB2", 0.0),
    # Sequences are separate: I-PER at the start of the 2nd one is a new
    # entity, not the continuation of the 1st one's B-PER.
    ([["B-PER"], ["I-PER"]], [["B-PER"], ["B-PER"]], "IOB2", 1.0),
    # One of two entities found, no false positive: P 1, R 1/2 -> 2/3.
    ([["B-PER", "O", "B-LOC", "I-LOC"]], [["B-PER", "O", "O", "O"]], "IOB2", 2 / 3),
    # IOBES: S-PER (0, 0) and LOC (2, 3); pred B-LOC I-LOC ends at the
    # sequence end, span (2, 3) too -> 1 (conlleval mode).
    (
        [["S-PER", "O", "B-LOC", "E-LOC"]],
        [["S-PER", "O", "B-LOC", "I-LOC"]],
        "IOBES",
        1,
    ),
    # IOBES: E-LOC closes LOC (1, 2); pred S-LOC (1, 1) and E-LOC (2, 2)
    # are two wrong entities: tp 0 -> 0.
    ([["O", "B-LOC", "E-LOC"]], [["O", "S-LOC", "E-LOC"]], "IOBES", 0.0),
    # IOE2: I-PER E-PER (0, 1), I-LOC E-LOC (2, 3); pred E-PER E-PER is
    # (0, 0) and (1, 1): tp 1 (LOC), P 1/3, R 1/2 -> 0.4.
    (
        [["I-PER", "E-PER", "I-LOC", "E-LOC"]],
        [["E-PER", "E-PER", "I-LOC", "E-LOC"]],
        "IOE2",
        0.4,
    ),
]


@pytest.mark.parametrize("y_true, y_pred, scheme, expected", SEQEVAL_CASES)
def test_seqeval_edge_cases(y_true, y_pred, scheme, expected):
    got = entity_f1_score(y_true, y_pred, scheme=scheme)
    assert got == pytest.approx(expected, rel=1e-15)
    assert seqeval.metrics.f1_score(y_true, y_pred) == pytest.approx(expected)


def test_seqeval_strict_mode_differs_on_ill_formed():
    # seqeval's strict mode drops ill-formed chunks; ours (default mode) not.
    y_true = [["B-PER", "I-PER", "O"]]
    y_pred = [["I-PER", "I-PER", "O"]]
    assert seqeval.metrics.f1_score(y_true, y_pred, mode="strict", scheme=IOB2) == 0
    assert entity_f1_score(y_true, y_pred, scheme="IOB2") == 1.0
    y_true = [["S-PER", "O", "B-LOC", "E-LOC"]]
    y_pred = [["S-PER", "O", "B-LOC", "I-LOC"]]
    strict = seqeval.metrics.f1_score(y_true, y_pred, mode="strict", scheme=IOBES)
    assert strict == pytest.approx(2 / 3)  # only S-PER predicted: P 1, R 1/2
    assert entity_f1_score(y_true, y_pred, scheme="IOBES") == 1.0


def test_seqeval_no_entity():
    with pytest.warns(UndefinedMetricWarning):
        assert entity_f1_score([["O", "O"]], [["O", "O"]]) == 0.0
    assert entity_f1_score([["O"]], [["O"]], zero_division=1) == 1.0


# ---------------------------------------------------------------------------
# trec_eval conventions: unretrieved relevant documents, score ties
# ---------------------------------------------------------------------------


def _trec_eval(qrels, run, measures):
    return pytrec_eval.RelevanceEvaluator(qrels, measures).evaluate(run)


def test_unretrieved_relevant_hand_computed():
    # Four judged documents, three relevant (d0, d2, d3); the run retrieved
    # d0 (0.9) and d1 (0.8) only. trec_eval convention, by hand:
    #   AP = (1/1) / R = 1/3 (R = 3 relevant, found or not)
    #   DCG = 1 / log2(2) = 1; IDCG = 1 + 1/log2(3) + 1/log2(4)
    #   recall@2 = 1/3; RR = 1
    rel = [[1, 0, 1, 1]]
    score = [[0.9, 0.8, -np.inf, -np.inf]]
    idcg = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert mean_average_precision_score(rel, score) == pytest.approx(1 / 3)
    assert ndcg_score(rel, score) == pytest.approx(1 / idcg)
    assert ndcg_score(rel, score, k=2) == pytest.approx(1 / (1 + 1 / np.log2(3)))
    assert recall_at_k_score(rel, score, k=2) == pytest.approx(1 / 3)
    assert recall_at_k_score(rel, score, k=4) == pytest.approx(1 / 3)
    assert mean_reciprocal_rank_score(rel, score) == 1.0
    # Dropping the unretrieved documents instead overrates the run.
    assert mean_average_precision_score([[1, 0]], [[0.9, 0.8]]) == 1.0
    # pytrec_eval on the same query: d2, d3 judged but absent from the run.
    qrels = {"q": {"d0": 1, "d1": 0, "d2": 1, "d3": 1}}
    run = {"q": {"d0": 0.9, "d1": 0.8}}
    ref = _trec_eval(
        qrels, run, {"map", "ndcg", "ndcg_cut.2", "recall.2", "recip_rank"}
    )["q"]
    assert mean_average_precision_score(rel, score) == pytest.approx(ref["map"])
    assert ndcg_score(rel, score) == pytest.approx(ref["ndcg"])
    assert ndcg_score(rel, score, k=2) == pytest.approx(ref["ndcg_cut_2"])
    assert recall_at_k_score(rel, score, k=2) == pytest.approx(ref["recall_2"])


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("flat", [False, True])
def test_unretrieved_against_trec_eval(seed, flat):
    rng = np.random.default_rng(seed)
    n_q, m = 5, 9
    rel = rng.integers(0, 3, (n_q, m))
    rel[:, 0] = 1 + rng.integers(0, 2, n_q)  # every query has a relevant item
    score = np.argsort(rng.random((n_q, m)), axis=1) / m  # tie-free
    retrieved = rng.random((n_q, m)) < 0.6
    qrels = {f"q{i}": {f"d{j}": int(rel[i, j]) for j in range(m)} for i in range(n_q)}
    run = {
        f"q{i}": {f"d{j}": float(score[i, j]) for j in range(m) if retrieved[i, j]}
        for i in range(n_q)
    }
    # pytrec_eval leaves out a query with an empty run; keep one document.
    for i in range(n_q):
        if not retrieved[i].any():
            retrieved[i, 0] = True
            run[f"q{i}"] = {"d0": float(score[i, 0])}
    k = int(rng.integers(1, m + 1))
    measures = {"map", f"map_cut.{k}", "ndcg", f"ndcg_cut.{k}", "recip_rank"}
    res = _trec_eval(qrels, run, measures)

    def ref(name):
        return np.mean([res[q][name] for q in sorted(res)])

    y_score = np.where(retrieved, score, -np.inf)
    if flat:
        args, kw = (rel.ravel(), y_score.ravel()), {"groups": np.repeat(range(n_q), m)}
    else:
        args, kw = (rel, y_score), {}
    assert mean_average_precision_score(*args, **kw) == pytest.approx(ref("map"))
    assert mean_average_precision_score(*args, k=k, **kw) == pytest.approx(
        ref(f"map_cut_{k}")
    )
    assert ndcg_score(*args, **kw) == pytest.approx(ref("ndcg"))
    assert ndcg_score(*args, k=k, **kw) == pytest.approx(ref(f"ndcg_cut_{k}"))
    assert mean_reciprocal_rank_score(*args, **kw) == pytest.approx(ref("recip_rank"))


def test_unretrieved_label_layout():
    # Layout (a): a true class scored -inf was not retrieved: a miss.
    y_score = np.array([[0.5, -np.inf, 0.1], [0.5, -np.inf, 0.1]])
    # class 2 ranks 2nd (0.1 < 0.5, -inf last): NDCG 1/log2(3), AP = RR = 1/2
    expected = {
        ndcg_score: 1 / np.log2(3),
        mean_average_precision_score: 0.5,
        mean_reciprocal_rank_score: 0.5,
    }
    for func, at_rank_2 in expected.items():
        assert func([0, 0], y_score) == 1.0
        assert func([1, 1], y_score) == 0.0
        assert func([0, 1], y_score) == pytest.approx(0.5)  # 1 and 0
        assert func([2, 2], y_score) == pytest.approx(at_rank_2)
        # the same queries as a relevance matrix (layout b)
        assert func(np.eye(3)[[0, 1]], y_score) == pytest.approx(0.5)
    assert recall_at_k_score([1, 1], y_score, k=3) == 0.0
    assert recall_at_k_score([2, 2], y_score, k=3) == 1.0


def test_trec_eval_breaks_ties_by_docno_descending():
    # trec_eval orders tied scores by document id, descending (strcmp):
    # "d9" > "d10", so d9 ranks first. Our ties="average" takes the
    # expectation over random orders instead; passing trec_eval's order as
    # scores reproduces trec_eval.
    qrels = {"q": {"d10": 1, "d9": 0, "d11": 0}}
    run = {"q": {"d10": 1.0, "d9": 1.0, "d11": 1.0}}
    ref = _trec_eval(qrels, run, {"recip_rank", "map"})["q"]
    docs = ["d10", "d9", "d11"]  # descending strings: d9, d11, d10
    assert ref["recip_rank"] == pytest.approx(1 / 3)
    rel = [[1, 0, 0]]
    trec_order = sorted(docs, reverse=True)
    scores = [[-float(trec_order.index(d)) for d in docs]]
    assert mean_reciprocal_rank_score(rel, scores) == pytest.approx(ref["recip_rank"])
    assert mean_average_precision_score(rel, scores) == pytest.approx(ref["map"])
    # ties="average": E[1/rank] over the 3 positions = (1 + 1/2 + 1/3) / 3.
    assert mean_reciprocal_rank_score(rel, [[1.0, 1.0, 1.0]]) == pytest.approx(
        (1 + 1 / 2 + 1 / 3) / 3
    )
