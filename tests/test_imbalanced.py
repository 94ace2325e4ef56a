"""Imbalanced sequences end to end: samplers in pipelines, class and sample
weights reaching the criterion, criteria in grids, and decision thresholds."""

import numpy as np
import pytest
from imblearn.combine import SMOTEENN
from imblearn.over_sampling import ADASYN, SMOTE
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import average_precision_score, confusion_matrix, recall_score
from sklearn.model_selection import (
    FixedThresholdClassifier,
    GridSearchCV,
    StratifiedKFold,
    TunedThresholdClassifierCV,
)
from sklearn.utils.class_weight import compute_class_weight
from torch import nn

from conftest import fast
from sklearn_seq import SequenceClassifier
from sklearn_seq.datasets import make_sequence_classification
from sklearn_seq.losses import FocalLoss, TripletLoss
from sklearn_seq.metrics import get_scorer, make_cost_scorer
from sklearn_seq.resampling import SequenceSampler

TINY = fast(hidden_size=4, batch_size=32)


def _imbalanced(n=80, minority=0.15, seed=0, **kw):
    return make_sequence_classification(
        n, 6, 2, weights=[1 - minority], noise=0.5, random_state=seed, **kw
    )


# -- 2-D samplers of imblearn wrapped in SequenceSampler --------------------
@pytest.mark.parametrize("variable_length", [False, True])
def test_issue_pipeline_under_grid_search_with_stratified_folds(variable_length):
    X, y = _imbalanced(n=90, variable_length=variable_length)
    pipe = make_pipeline(
        SequenceSampler(SMOTE(k_neighbors=3, random_state=0)),
        SequenceClassifier(**TINY),
    )
    grid = {
        "sequenceclassifier__lr": [1e-3, 1e-2],
        "sequencesampler__sampler__k_neighbors": [3],
    }
    search = GridSearchCV(
        pipe,
        grid,
        cv=StratifiedKFold(5),
        scoring=get_scorer("pr_auc"),
        error_score="raise",
    )
    search.fit(X, y)
    scores = search.cv_results_["mean_test_score"]
    assert scores.shape == (2,) and np.all((scores > 0) & (scores <= 1))
    # the refitted pipeline scores like average precision on its probabilities
    proba = search.best_estimator_.predict_proba(X)[:, 1]
    assert search.score(X, y) == pytest.approx(average_precision_score(y, proba))
    # SMOTE ran at fit only: the classifier trained on a balanced set
    history = search.best_estimator_[-1].history_
    seen = sum(b["train_batch_size"] for b in history[-1, "batches"])
    assert seen == 2 * np.bincount(y).max()


@pytest.mark.parametrize(
    "sampler",
    [
        ADASYN(n_neighbors=3, random_state=0),
        RandomUnderSampler(random_state=0),
        SMOTEENN(smote=SMOTE(k_neighbors=3), random_state=0),
    ],
)
def test_other_2d_samplers_fit_and_predict(sampler):
    X, y = _imbalanced()
    pipe = make_pipeline(SequenceSampler(sampler), SequenceClassifier(**TINY))
    pipe.fit(X, y)
    assert pipe.predict_proba(X).shape == (len(X), 2)


def test_same_pipeline_same_result_whatever_ran_before():
    # no state outside the estimators: flattening other shapes first changes
    # nothing (the former thread-local shape registry did)
    from sklearn_seq.preprocessing import SequenceFlattener

    X, y = _imbalanced(n=60)
    pipe = make_pipeline(
        SequenceSampler(SMOTE(k_neighbors=3, random_state=0)),
        SequenceClassifier(**TINY),
    )
    first = clone(pipe).fit(X, y).predict_proba(X)
    SequenceFlattener().fit(np.zeros((4, X.shape[1] * X.shape[2] // 2, 2)))
    SequenceFlattener().fit(np.zeros((4, X.shape[2], X.shape[1])))
    np.testing.assert_array_equal(clone(pipe).fit(X, y).predict_proba(X), first)


# -- class weights and sample weights reach the criterion ----------------
@pytest.mark.parametrize(
    "criterion", [FocalLoss(gamma=2.0), FocalLoss, nn.CrossEntropyLoss()]
)
def test_balanced_class_weight_reaches_any_criterion(criterion):
    X, y = _imbalanced()
    labels = np.array(["fraud", "legit"])[1 - y]  # string labels, fraud first
    clf = SequenceClassifier(criterion=criterion, class_weight="balanced", **TINY)
    clf.fit(X, labels)
    expected = compute_class_weight("balanced", classes=np.unique(labels), y=labels)
    np.testing.assert_allclose(clf.net_.criterion_.weight.numpy(), expected, rtol=1e-6)
    if not isinstance(criterion, type):
        assert criterion.weight is None  # the parameter itself is untouched


def _log_proba_loss(clf, X, y, gamma, sample_weight):
    """The seed's focal formula on the fitted net's probabilities (NumPy).

    Class and sample weights multiply; the mean divides by their product, as
    torch's class-weighted 'mean' does, so unit sample weights change nothing.
    """
    p_t = clf.predict_proba(X)[np.arange(len(y)), y].astype(np.float64)
    w_t = np.ones(len(y)) if clf.class_weight_ is None else clf.class_weight_[y]
    per_sample = -w_t * (1 - p_t) ** gamma * np.log(p_t)
    return np.sum(sample_weight * per_sample) / np.sum(sample_weight * w_t)


@pytest.mark.parametrize(
    "criterion, gamma", [(FocalLoss(gamma=2.0), 2.0), (nn.CrossEntropyLoss(), 0.0)]
)
@pytest.mark.parametrize("class_weight", [None, "balanced"])
def test_sample_weight_reaches_the_per_sample_loss(criterion, gamma, class_weight):
    X, y = _imbalanced(n=40)
    rng = np.random.default_rng(0)
    sw = rng.uniform(0, 2, size=len(y))
    sw[::3] = 0.0
    # one batch, and an SGD step too small to move float32 weights: the
    # recorded training loss is the loss of the weights used by predict_proba
    clf = SequenceClassifier(
        criterion=criterion,
        class_weight=class_weight,
        optimizer="sgd",
        lr=1e-30,
        max_epochs=1,
        batch_size=64,
        hidden_size=4,
        random_state=0,
    ).fit(X, y, sample_weight=sw)
    recorded = clf.history_[-1, "train_loss"]
    assert recorded == pytest.approx(_log_proba_loss(clf, X, y, gamma, sw), rel=1e-4)
    # zero weights are the same as dropping those samples
    kept = sw > 0
    dropped = clone(clf).fit(X[kept], y[kept], sample_weight=sw[kept])
    if class_weight is None:  # "balanced" would be recomputed on fewer samples
        assert dropped.history_[-1, "train_loss"] == pytest.approx(recorded, rel=1e-5)
    # unit sample weights are the same as no sample weights
    ones = clone(clf).fit(X, y, sample_weight=np.ones(len(y)))
    plain = clone(clf).fit(X, y)
    assert ones.history_[-1, "train_loss"] == pytest.approx(
        plain.history_[-1, "train_loss"], rel=1e-5
    )


# -- criteria in grids, and criteria that do not fit the task ------------
def test_grid_search_over_focal_gamma_and_over_criteria():
    X, y = _imbalanced()
    focal = FocalLoss()
    search = GridSearchCV(
        SequenceClassifier(criterion=focal, class_weight="balanced", **TINY),
        {"criterion__gamma": [0.0, 2.0]},
        cv=StratifiedKFold(2),
        scoring=get_scorer("pr_auc"),
        error_score="raise",
    ).fit(X, y)
    best = search.best_params_["criterion__gamma"]
    assert search.best_estimator_.net_.criterion_.gamma == best
    assert focal.gamma == 2.0 and focal.weight is None  # the parameter is untouched
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()

    search = GridSearchCV(
        SequenceClassifier(**TINY),
        {"criterion": [nn.CrossEntropyLoss(), FocalLoss(gamma=2.0)]},
        cv=StratifiedKFold(2),
        scoring=get_scorer("pr_auc"),
        error_score="raise",
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    fitted = search.best_estimator_.net_.criterion_
    assert type(fitted) is type(search.best_params_["criterion"])


@pytest.mark.parametrize(
    "criterion, match",
    [
        (TripletLoss(), r"TripletLoss learns embeddings.*SequenceEmbedder"),
        (nn.MSELoss(), r"MSELoss is a regression loss.*SequenceRegressor"),
        (nn.HuberLoss, "HuberLoss is a regression loss"),
    ],
)
def test_criteria_that_do_not_fit_classification_are_rejected(criterion, match):
    X, y = _imbalanced(n=20)
    with pytest.raises(ValueError, match=match):
        SequenceClassifier(criterion=criterion, **TINY).fit(X, y)


# -- thresholds and costs -------------------------------------------------
def test_cost_scorer_matches_a_direct_count():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, size=50)
    y_pred = rng.integers(0, 2, size=50)

    class Fixed(BaseEstimator):  # a fitted "classifier" predicting `pred`
        def __init__(self, pred=None):
            self.pred = pred

        def predict(self, X):
            return self.pred

    _, fp, fn, tp = confusion_matrix(y_true, y_pred).ravel()
    scorer = make_cost_scorer(fp_cost=1, fn_cost=100, tp_cost=-5)
    expected = -(fp * 1 + fn * 100 + tp * -5) / 50
    assert scorer(Fixed(y_pred), None, y_true) == pytest.approx(expected)
    sw = rng.uniform(size=50)
    cost = np.select(
        [
            (y_true == 0) & (y_pred == 1),
            (y_true == 1) & (y_pred == 0),
            (y_true == 1) & (y_pred == 1),
        ],
        [1, 100, -5],
        0,
    )
    assert scorer(Fixed(y_pred), None, y_true, sample_weight=sw) == pytest.approx(
        -np.average(cost, weights=sw)
    )
    labels = np.array(["legit", "fraud"])
    with pytest.raises(ValueError, match="pos_label=1 is not a label"):
        scorer(Fixed(labels[y_pred]), None, labels[y_true])
    with pytest.raises(ValueError, match="binary decisions"):
        scorer(Fixed(y_pred + 1), None, y_true)
    str_scorer = make_cost_scorer(fn_cost=100, pos_label="fraud")
    assert str_scorer(Fixed(labels[y_pred]), None, labels[y_true]) == pytest.approx(
        -(fp * 1 + fn * 100) / 50
    )


def test_lowering_the_threshold_raises_recall_q13():
    X, y = _imbalanced(n=160, minority=0.1)
    clf = SequenceClassifier(**{**TINY, "hidden_size": 8, "max_epochs": 5, "lr": 1e-2})
    high = FixedThresholdClassifier(clf, threshold=0.8).fit(X, y)
    low = FixedThresholdClassifier(clf, threshold=0.4).fit(X, y)
    proba = high.estimator_.predict_proba(X)[:, 1]
    np.testing.assert_array_equal(high.predict(X), (proba >= 0.8).astype(int))
    np.testing.assert_array_equal(low.predict(X), (proba >= 0.4).astype(int))
    assert recall_score(y, low.predict(X)) >= recall_score(y, high.predict(X))

    # the business-cost threshold (FN = 100 x FP) flags far more positives
    plain = clone(clf).fit(X, y)
    tuned = TunedThresholdClassifierCV(
        clf, scoring=make_cost_scorer(1, 100), cv=StratifiedKFold(3), random_state=0
    ).fit(X, y)
    assert tuned.best_threshold_ < 0.5
    recall_plain = recall_score(y, plain.predict(X))
    recall_tuned = recall_score(y, tuned.predict(X))
    assert recall_tuned > recall_plain
    cost = make_cost_scorer(1, 100)
    assert cost(tuned, X, y) > cost(plain, X, y)  # scorers: greater is better
