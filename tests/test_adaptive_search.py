# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Adaptive search with pruning: Optuna's ``OptunaSearchCV`` on our estimators.

``OptunaSearchCV(enable_pruning=True)`` trains each fold one epoch at a time
with ``partial_fit`` (passing ``classes`` on every call) and stops a trial
when its pruner says so. No glue of ours is involved; these tests pin what
``examples/adaptive_search.py`` and ``docs/adaptive_search.md`` rely on:
3-D and ragged input work, bad configurations are pruned, fewer epochs are
trained than by the exhaustive grid, the epochs can be counted from the
study, and an unpruned trial ends with exactly the grid's CV score.

Skipped only when optuna-integration is not installed (extra ``search``).
"""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold

from conftest import fast, make_ragged, make_ragged_xy
from sklearn_seq import SequenceClassifier, SequenceRegressor

optuna = pytest.importorskip("optuna")
pytest.importorskip("optuna_integration")
from optuna.distributions import CategoricalDistribution
from optuna_integration import OptunaSearchCV

pytestmark = [
    pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning"),
    # optuna-integration 5.0 still reports to the deprecated optuna.terminator
    pytest.mark.filterwarnings("ignore:.*optuna.terminator:FutureWarning"),
]

EPOCHS = 4
# small batches: several steps per epoch, so that the good configuration
# pulls away from the others within two epochs
PARAMS = fast(max_epochs=EPOCHS, batch_size=4)
# the first configuration learns the task in a few epochs; at lr=1e-5 the
# others stay near chance, below it, and a median pruner stops them
GOOD = {"hidden_size": 8, "lr": 3e-2}
CONFIGS = [GOOD, {"hidden_size": 8, "lr": 1e-5}, {"hidden_size": 2, "lr": 1e-5}]
SPACE = {
    "hidden_size": CategoricalDistribution([2, 8]),
    "lr": CategoricalDistribution([1e-5, 3e-2]),
}


def _data(kind, n=40):
    if kind == "3d":
        # all of length 6: stacked into (n, 6, 2)
        X, y = make_ragged_xy(n, lengths=(6, 7), labels=("no", "yes"))
        return np.stack(X), y
    return make_ragged_xy(n, labels=("no", "yes"))


def _study():
    """A study that runs CONFIGS in this order and prunes by the median.

    One completed trial is enough to compare against (``n_startup_trials=1``);
    after the first epoch (``n_warmup_steps=1``) a trial below the median of
    the earlier trials at the same epoch is pruned.
    """
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=0),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1),
    )
    for params in CONFIGS:
        study.enqueue_trial(params)
    return study


@pytest.fixture
def partial_fit_calls(monkeypatch):
    """Record the keyword arguments of every ``partial_fit`` call."""
    calls = []
    for Est in (SequenceClassifier, SequenceRegressor):
        original = Est.partial_fit

        def counting(self, X, y, _original=original, **kwargs):
            calls.append(kwargs)
            return _original(self, X, y, **kwargs)

        monkeypatch.setattr(Est, "partial_fit", counting)
    return calls


def _search(estimator, cv, *, n_trials=None, **kwargs):
    return OptunaSearchCV(
        estimator,
        SPACE,
        cv=cv,
        enable_pruning=True,
        max_iter=EPOCHS,
        n_trials=len(CONFIGS) if n_trials is None else n_trials,
        study=_study(),
        error_score="raise",
        **kwargs,
    )


@pytest.mark.parametrize("kind", ["3d", "ragged"])
def test_pruning_search_trains_fewer_epochs_than_the_grid(kind, partial_fit_calls):
    X, y = _data(kind)
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    search = _search(SequenceClassifier(**PARAMS), cv)
    search.fit(X, y)

    states = [t.state for t in search.trials_]
    assert states[0] == optuna.trial.TrialState.COMPLETE
    assert optuna.trial.TrialState.PRUNED in states
    assert search.best_params_ == GOOD
    # the count the example reports: one partial_fit per fold per reported step
    reported = sum(len(t.intermediate_values) for t in search.trials_)
    assert len(partial_fit_calls) == reported * search.n_splits_
    assert len(partial_fit_calls) < len(CONFIGS) * search.n_splits_ * EPOCHS
    # classifiers need every label on the first call: OptunaSearchCV passes them
    for kwargs in partial_fit_calls:
        np.testing.assert_array_equal(kwargs["classes"], ["no", "yes"])
    # the refit is a plain fit of max_epochs
    best = search.best_estimator_
    assert best.n_epochs_ == EPOCHS
    assert set(search.predict(X[:10])) <= {"no", "yes"}
    assert search.predict_proba(X[:10]).shape == (10, 2)


@pytest.mark.parametrize("kind", ["3d", "ragged"])
def test_unpruned_trial_scores_like_the_grid(kind):
    """partial_fit epoch by epoch equals fit: the grid's CV score, exactly."""
    X, y = _data(kind)
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    clf = SequenceClassifier(**PARAMS)
    # the log loss: unlike accuracy, any change of the weights shows
    scoring = "neg_log_loss"
    search = _search(clf, cv, n_trials=1, refit=False, scoring=scoring).fit(X, y)
    grid = GridSearchCV(
        clf, {k: [v] for k, v in GOOD.items()}, cv=cv, scoring=scoring
    ).fit(X, y)
    trial = search.trials_[0]
    assert trial.params == GOOD
    assert trial.state == optuna.trial.TrialState.COMPLETE
    assert search.best_score_ == pytest.approx(grid.best_score_, abs=1e-12)
    # and the score moved during training: the comparison is not vacuous
    assert len(set(trial.intermediate_values.values())) > 1


def test_regressor_needs_no_classes(partial_fit_calls):
    X = make_ragged(30)
    target = np.array([x[:, 0].sum() for x in X])
    search = _search(
        SequenceRegressor(**PARAMS),
        KFold(2, shuffle=True, random_state=0),
    ).fit(X, target)
    assert partial_fit_calls
    assert all("classes" not in kwargs for kwargs in partial_fit_calls)
    assert search.predict(X[:5]).shape == (5,)
