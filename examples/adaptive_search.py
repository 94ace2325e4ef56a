# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""
Adaptive search: stop bad configurations early
==============================================

An exhaustive ``GridSearchCV`` trains every configuration for every epoch,
including the ones that are clearly bad after two. Optuna's
``OptunaSearchCV`` with ``enable_pruning=True`` trains the folds of a trial
one epoch at a time with ``partial_fit``, reports the mean CV score after each
epoch, and lets a pruner stop the trial when it falls behind the others.

Both searches run here on the quick start task (handwritten digits read as
8 steps of 8 pixels) over the same 12 configurations (cell x hidden size x
learning rate) with the same folds and at most the same number of epochs. The
adaptive search visits each configuration once in a random order (Optuna's
``GridSampler``) and prunes with asynchronous successive halving
(``SuccessiveHalvingPruner``: after 3, 7 and 19 epochs, a trial goes on only
if it is in the best third of the trials that reached that epoch).

sklearn_seq needs no glue for this: ``SequenceClassifier.partial_fit`` trains
one epoch and continues exactly like one long ``fit`` (the same weights after
``E`` calls as after ``fit`` with ``max_epochs=E``), and ``OptunaSearchCV``
passes ``classes`` on every call. A trial that is never pruned therefore ends
with exactly the grid's CV score for its configuration.

``sklearn.pipeline.Pipeline`` has no ``partial_fit``, so the scaling of the
quick start's pipeline is done once on the training split, outside both
searches.

Run with ``python examples/adaptive_search.py`` (about 3 minutes on one
thread); ``SKLEARN_SEQ_SMALL=1`` gives a seconds-long smoke run. Needs the
``search`` extra (``pip install "sklearn-seq[search]"``).
"""

import os
import time
import warnings
from math import prod

import optuna
from optuna.distributions import CategoricalDistribution
from optuna_integration import OptunaSearchCV
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split

from sklearn_seq import SequenceClassifier
from sklearn_seq.datasets import load_digits_sequences
from sklearn_seq.preprocessing import SequenceScaler

SMALL = os.environ.get("SKLEARN_SEQ_SMALL") == "1"
# OptunaSearchCV is marked experimental, and optuna-integration still calls
# the deprecated optuna.terminator; neither concerns this example
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
warnings.filterwarnings("ignore", message=".*optuna.terminator", category=FutureWarning)
optuna.logging.set_verbosity(optuna.logging.WARNING)

# %%
# The data of the quick start
# ---------------------------
X, y = load_digits_sequences(return_X_y=True)
if SMALL:
    X, y = X[:300], y[:300]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
scaler = SequenceScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

EPOCHS = 4 if SMALL else 25
GRID = {"cell": ["rnn", "lstm", "gru"], "hidden_size": [16, 64], "lr": [5e-4, 5e-3]}
N_CONFIGS = prod(len(values) for values in GRID.values())
# an int random_state: the same folds at every epoch of a trial
cv = StratifiedKFold(2 if SMALL else 5, shuffle=True, random_state=0)
n_folds = cv.get_n_splits()
clf = SequenceClassifier(max_epochs=EPOCHS, batch_size=64, random_state=0)
print(
    f"{N_CONFIGS} configurations x {n_folds} folds x up to {EPOCHS} epochs, "
    f"{len(X_train)} training sequences"
)

# %%
# Exhaustive grid search
# ----------------------
# Every configuration, every fold, every epoch; then the refit on all the
# training data.
start = time.perf_counter()
grid = GridSearchCV(clf, GRID, cv=cv, scoring="accuracy").fit(X_train, y_train)
grid_time = time.perf_counter() - start
grid_epochs = N_CONFIGS * n_folds * EPOCHS + EPOCHS

# %%
# Adaptive search with pruning
# ----------------------------
# ``max_iter`` is the most epochs (``partial_fit`` calls per fold) of a
# trial; the refit of the best configuration is a plain ``fit`` with
# ``max_epochs=EPOCHS``.
study = optuna.create_study(
    direction="maximize",
    sampler=optuna.samplers.GridSampler(GRID, seed=0),
    pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=3),
)
search = OptunaSearchCV(
    clf,
    {name: CategoricalDistribution(values) for name, values in GRID.items()},
    cv=cv,
    enable_pruning=True,
    max_iter=EPOCHS,
    n_trials=N_CONFIGS,
    study=study,
    scoring="accuracy",
    error_score="raise",  # the default (nan) hides a failing partial_fit
)
start = time.perf_counter()
search.fit(X_train, y_train)
search_time = time.perf_counter() - start
# each step a trial reports is one partial_fit, one epoch, on each fold
trial_epochs = {t.number: len(t.intermediate_values) for t in search.trials_}
search_epochs = sum(trial_epochs.values()) * search.n_splits_ + EPOCHS


# %%
# Results
# -------
def config(params):
    return f"{params['cell']:<4} hidden={params['hidden_size']:<2} lr={params['lr']:g}"


print("\nadaptive search, in the order of its trials:")
for trial in search.trials_:
    last = trial.intermediate_values[max(trial.intermediate_values)]
    print(
        f"  {config(trial.params):<27} {trial.state.name.lower():<8} after "
        f"{trial_epochs[trial.number]:>2} epochs, CV accuracy {last:.4f}"
    )

rows = [
    ("best CV accuracy", f"{grid.best_score_:.4f}", f"{search.best_score_:.4f}"),
    ("best configuration", config(grid.best_params_), config(search.best_params_)),
    (
        "test accuracy (refit)",
        f"{accuracy_score(y_test, grid.predict(X_test)):.4f}",
        f"{accuracy_score(y_test, search.predict(X_test)):.4f}",
    ),
    ("epochs (with refit)", f"{grid_epochs}", f"{search_epochs}"),
    ("wall time", f"{grid_time:.0f} s", f"{search_time:.0f} s"),
]
print(f"\n{'':<22} {'exhaustive grid':<28} adaptive (pruning)")
for name, a, b in rows:
    print(f"{name:<22} {a:<28} {b}")
print(
    f"\nthe adaptive search trained {search_epochs / grid_epochs:.2f} of the grid's "
    f"epochs ({search_epochs} of {grid_epochs}) and found "
    + (
        "the same best configuration and score."
        if search.best_params_ == grid.best_params_
        and abs(search.best_score_ - grid.best_score_) < 1e-9
        else "a different best configuration."
    )
)
