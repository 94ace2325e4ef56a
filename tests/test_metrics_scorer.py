# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Scorers: registry, classes_ mapping and metadata routing of ``groups``."""

import numpy as np
import pytest
import sklearn
import sklearn.metrics as skm
from sklearn.base import BaseEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklearn_seq.metrics import (
    get_scorer,
    get_scorer_names,
    make_fbeta_scorer,
    mean_absolute_percentage_error,
    ndcg_score,
)


def _ranking_data(n_queries=30, size=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_queries * size, 4))
    rel = np.clip(np.rint(X[:, 0] + 0.5 * rng.normal(size=len(X)) + 1), 0, 3)
    qid = np.repeat(np.arange(n_queries), size)
    return X, rel, qid


def test_names():
    names = get_scorer_names()
    assert names == sorted(names)
    for name in [
        "f1",
        "f0.5",
        "f2",
        "pr_auc",
        "roc_auc",
        "ndcg@10",
        "map@10",
        "mrr",
        "mrr@10",
        "recall@10",
        "neg_mape",
        "neg_smape",
        "neg_eer",
        "entity_f1",
    ]:
        assert name in names or get_scorer(name) is not None
        assert callable(get_scorer(name))
    assert callable(get_scorer("ndcg@37"))
    assert get_scorer(None) is None
    with pytest.raises(ValueError, match="get_scorer_names"):
        get_scorer("ndcg@0")


def test_fbeta_scorers_match_sklearn():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = (X[:, 0] + rng.normal(size=60) > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    pred = clf.predict(X)
    for name, beta in [("f1", 1.0), ("f0.5", 0.5), ("f2", 2.0)]:
        assert get_scorer(name)(clf, X, y) == pytest.approx(
            skm.fbeta_score(y, pred, beta=beta)
        )
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    clf3 = LogisticRegression().fit(X, y3)
    assert make_fbeta_scorer(2.0, average="macro")(clf3, X, y3) == pytest.approx(
        skm.fbeta_score(y3, clf3.predict(X), beta=2.0, average="macro")
    )
    assert get_scorer("roc_auc")(clf, X, y) == pytest.approx(
        skm.roc_auc_score(y, clf.predict_proba(X)[:, 1])
    )


def test_pr_auc_scorer_string_labels():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(90, 3))
    names = np.array(["zebra", "ant", "moose"])
    y = names[np.digitize(X[:, 0], [-0.4, 0.4])]
    clf = LogisticRegression().fit(X, y)
    proba = clf.predict_proba(X)
    expected = np.mean(
        [
            skm.average_precision_score(y == c, proba[:, j])
            for j, c in enumerate(clf.classes_)
        ]
    )
    assert get_scorer("pr_auc")(clf, X, y) == pytest.approx(expected)
    yb = np.where(y == "ant", "ant", "other")
    clfb = LogisticRegression().fit(X, yb)
    expected = skm.average_precision_score(
        yb == clfb.classes_[1], clfb.predict_proba(X)[:, 1]
    )
    assert get_scorer("pr_auc")(clfb, X, yb) == pytest.approx(expected)


def test_label_layout_scorers_map_classes_to_columns():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(120, 4))
    names = np.array(["song-c", "song-a", "song-d", "song-b"])
    y = names[np.argmax(X + rng.normal(scale=1.0, size=X.shape), axis=1)]
    clf = LogisticRegression().fit(X, y)
    proba = clf.predict_proba(X)
    col = np.searchsorted(clf.classes_, y)  # classes_ is sorted
    true_score = proba[np.arange(len(y)), col]
    rank = (proba > true_score[:, None]).sum(axis=1) + 1  # no ties here
    assert get_scorer("recall@2")(clf, X, y) == pytest.approx(np.mean(rank <= 2))
    assert get_scorer("mrr")(clf, X, y) == pytest.approx(np.mean(1 / rank))
    assert get_scorer("mrr@1")(clf, X, y) == pytest.approx(np.mean(rank == 1))
    assert get_scorer("ndcg@3")(clf, X, y) == pytest.approx(
        np.mean(np.where(rank <= 3, 1 / np.log2(rank + 1), 0))
    )
    assert get_scorer("recall@2")(clf, X, y) == pytest.approx(
        skm.top_k_accuracy_score(y, proba, k=2, labels=clf.classes_)
    )


def test_label_layout_labels_unseen_in_training_count_as_misses():
    # next-item setting: a test item the classifier never saw cannot be ranked
    rng = np.random.default_rng(3)
    X = rng.normal(size=(90, 3))
    y = np.argmax(X + rng.normal(scale=0.5, size=X.shape), axis=1)
    clf = LogisticRegression().fit(X[y < 2], y[y < 2])  # never sees class 2
    proba = clf.predict_proba(X)
    true_score = np.where(y < 2, proba[np.arange(len(y)), np.minimum(y, 1)], np.nan)
    rank = (proba > true_score[:, None]).sum(axis=1) + 1
    reciprocal = np.where(y < 2, 1 / rank, 0.0)  # unseen: a miss
    assert get_scorer("mrr")(clf, X, y) == pytest.approx(reciprocal.mean())
    w = rng.uniform(0.5, 2, size=len(y))
    assert get_scorer("recall@1")(clf, X, y, sample_weight=w) == pytest.approx(
        np.sum(w * ((rank == 1) & (y < 2))) / w.sum()
    )


def test_regression_scorers():
    X = np.arange(1.0, 11.0).reshape(-1, 1)
    y = 3 * X.ravel() + 1 + np.sin(X.ravel())
    reg = LinearRegression().fit(X, y)
    pred = reg.predict(X)
    assert get_scorer("neg_mape")(reg, X, y) == pytest.approx(
        -skm.mean_absolute_percentage_error(y, pred)
    )
    # Same value as scikit-learn's own scorer when no target is zero.
    assert get_scorer("neg_mape")(reg, X, y) == pytest.approx(
        skm.get_scorer("neg_mean_absolute_percentage_error")(reg, X, y)
    )
    assert get_scorer("neg_smape")(reg, X, y) == pytest.approx(
        -mean_absolute_percentage_error(y, pred, symmetric=True)
    )


@pytest.mark.parametrize("old, new", [("mape", "neg_mape"), ("smape", "neg_smape")])
def test_deprecated_scorer_names(old, new):
    X = np.arange(1.0, 11.0).reshape(-1, 1)
    y = 3 * X.ravel() + 1 + np.sin(X.ravel())
    reg = LinearRegression().fit(X, y)
    with pytest.warns(FutureWarning, match=f"'{old}' is deprecated.*'{new}'"):
        scorer = get_scorer(old)
    assert scorer(reg, X, y) == get_scorer(new)(reg, X, y)
    assert scorer(reg, X, y) < 0
    assert old not in get_scorer_names()
    assert new in get_scorer_names()


def test_entity_f1_scorer():
    class Tagger(BaseEstimator):
        def fit(self, X, y):
            return self

        def predict(self, X):
            return [["B-PER", "I-PER", "O"] for _ in X]

    y = [["B-PER", "I-PER", "O"], ["O", "B-LOC", "O"]]
    assert get_scorer("entity_f1")(Tagger(), [0, 1], y) == pytest.approx(0.5)


def test_grid_search_routes_groups_to_ndcg_scorer():
    X, rel, qid = _ranking_data()
    scorer = get_scorer("ndcg@5")
    with sklearn.config_context(enable_metadata_routing=True):
        search = GridSearchCV(
            Ridge(),
            {"alpha": [0.1, 1000.0]},
            cv=GroupKFold(n_splits=3),
            scoring=scorer,
            error_score="raise",
        ).fit(X, rel, groups=qid)
    # Independent check of one split: per-query NDCG from the reference.
    train, test = next(GroupKFold(n_splits=3).split(X, rel, qid))
    model = Ridge(alpha=0.1).fit(X[train], rel[train])
    pred = model.predict(X[test])
    per_query = [
        skm.ndcg_score([rel[test][qid[test] == q]], [pred[qid[test] == q]], k=5)
        for q in np.unique(qid[test])
    ]
    assert search.cv_results_["split0_test_score"][0] == pytest.approx(
        np.mean(per_query)
    )
    assert search.best_params_ == {"alpha": 0.1}


def test_group_scorer_without_routing_fails_loudly():
    X, rel, qid = _ranking_data()
    reg = Ridge().fit(X, rel)
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        get_scorer("ndcg@10")(reg, X, rel)
    search = GridSearchCV(
        Ridge(),
        {"alpha": [1.0]},
        cv=GroupKFold(n_splits=3),
        scoring=get_scorer("ndcg@10"),
        error_score="raise",
    )
    with pytest.raises(ValueError, match="enable_metadata_routing"):
        search.fit(X, rel, groups=qid)


def test_group_scorer_direct_call_with_groups():
    X, rel, qid = _ranking_data()
    reg = Ridge().fit(X, rel)
    expected = ndcg_score(rel, reg.predict(X), groups=qid, k=10)
    assert get_scorer("ndcg@10")(reg, X, rel, groups=qid) == pytest.approx(expected)
