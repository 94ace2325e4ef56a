"""Time-series CV, grouped CV, grid search and ensembles on sequence input.

scikit-learn's splitters only index rows, so they work on 3-D arrays and on
ragged lists alike; `VotingClassifier` averages sequence models as they are.
`BaggingClassifier` and imbalanced-learn's `BalancedBaggingClassifier` validate
`X` as 2-D and refuse sequences: the route that works is a `VotingClassifier`
of members that each resample with `SequenceSampler` (see docs/imbalanced.md).
"""

import numpy as np
import pytest
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.ensemble import BaggingClassifier, VotingClassifier
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    TimeSeriesSplit,
    cross_val_score,
)

from conftest import fast, make_ragged_xy
from sklearn_seq import SequenceClassifier, SequenceRegressor
from sklearn_seq.resampling import SequenceSampler

TINY = fast(hidden_size=4, max_epochs=1)


def _data(kind, n=48, seed=0):
    X, y = make_ragged_xy(n, lengths=(4, 9), seed=seed)
    if kind == "3d":
        X = np.stack([np.resize(x, (6, 2)) for x in X])
    return X, y


@pytest.mark.parametrize("kind", ["3d", "ragged"])
def test_time_series_split_never_trains_on_the_future(kind):
    X, y = _data(kind)
    seen = []

    class Recorder(SequenceClassifier):
        def fit(self, X, y, sample_weight=None):
            seen.append(len(X))
            return super().fit(X, y, sample_weight)

    cv = TimeSeriesSplit(n_splits=3)
    scores = cross_val_score(Recorder(**TINY), X, y, cv=cv)
    assert scores.shape == (3,)
    for (train, test), n_train in zip(cv.split(X), seen):
        assert train.max() < test.min() and len(train) == n_train


@pytest.mark.parametrize("kind", ["3d", "ragged"])
def test_group_kfold_keeps_each_series_in_one_fold(kind):
    X, y = _data(kind)
    groups = np.repeat(np.arange(8), 6)  # 8 series, 6 windows each
    for train, test in GroupKFold(n_splits=4).split(X, y, groups):
        assert not set(groups[train]) & set(groups[test])
    scores = cross_val_score(
        SequenceClassifier(**TINY), X, y, cv=GroupKFold(4), groups=groups
    )
    assert np.isfinite(scores).all()


@pytest.mark.parametrize("kind", ["3d", "ragged"])
def test_grid_search_over_sequence_models(kind):
    X, y = _data(kind)
    search = GridSearchCV(
        SequenceRegressor(**TINY), {"cell": ["gru", "lstm"]}, cv=2, error_score="raise"
    ).fit(X, y.astype(float))
    assert search.best_params_["cell"] in ("gru", "lstm")


@pytest.mark.parametrize("kind", ["3d", "ragged"])
def test_soft_voting_averages_the_members_probabilities(kind):
    X, y = _data(kind)
    members = [
        ("gru", SequenceClassifier(cell="gru", **TINY)),
        ("lstm", SequenceClassifier(cell="lstm", **TINY)),
    ]
    vote = VotingClassifier(members, voting="soft").fit(X, y)
    expected = np.mean([m.predict_proba(X) for m in vote.estimators_], axis=0)
    np.testing.assert_allclose(vote.predict_proba(X), expected, rtol=1e-6)


def test_bagging_refuses_sequences_and_balanced_voting_is_the_route():
    X, y = _data("ragged", n=60)
    y = np.r_[np.zeros(50, int), np.ones(10, int)]
    with pytest.raises(ValueError):
        BaggingClassifier(SequenceClassifier(**TINY), n_estimators=2).fit(X, y)
    # a balanced bag: each member under-samples the majority differently
    bag = VotingClassifier(
        [
            (
                f"m{i}",
                make_pipeline(
                    SequenceSampler(RandomUnderSampler(random_state=i)),
                    SequenceClassifier(**{**TINY, "random_state": i}),
                ),
            )
            for i in range(3)
        ],
        voting="soft",
    ).fit(X, y)
    # each member trained on 10 + 10 sequences, on a different subset
    seen = [
        sum(b["train_batch_size"] for b in m[-1].history_[-1, "batches"])
        for m in bag.estimators_
    ]
    assert seen == [20, 20, 20]
    kept = [m[0].sampler_.sample_indices_ for m in bag.estimators_]
    assert not np.array_equal(kept[0], kept[1])
    assert bag.predict_proba(X).shape == (60, 2)
