"""Quick start: handwritten digits read as sequences, RNN vs LSTM vs GRU.
======================================================================

Each 8x8 digit image becomes a sequence of 8 steps (its rows) with 8 features
(the pixels of a row). A grid search with stratified 5-fold CV picks the
recurrent cell; the winner is scored on held-out data.

Run with ``make demo`` (or ``python examples/quickstart.py``). Set
``SKLEARN_SEQ_SMALL=1`` for a seconds-long smoke run.
"""

import os
import time

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, fbeta_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import make_pipeline

from sklearn_seq import SequenceClassifier
from sklearn_seq.datasets import load_digits_sequences
from sklearn_seq.preprocessing import SequenceScaler

SMALL = os.environ.get("SKLEARN_SEQ_SMALL") == "1"

X, y = load_digits_sequences(return_X_y=True)
if SMALL:
    X, y = X[:300], y[:300]
print(
    f"digits as sequences: X {X.shape} (samples, steps, features), "
    f"{len(np.unique(y))} classes"
)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

pipe = make_pipeline(
    SequenceScaler(),
    SequenceClassifier(
        hidden_size=64,
        lr=5e-3,
        max_epochs=3 if SMALL else 25,
        batch_size=64,
        random_state=0,
    ),
)
grid = GridSearchCV(
    pipe,
    {"sequenceclassifier__cell": ["rnn", "lstm", "gru"]},
    cv=StratifiedKFold(2 if SMALL else 5, shuffle=True, random_state=0),
    scoring="accuracy",
    n_jobs=1,
)
start = time.perf_counter()
grid.fit(X_train, y_train)
print(f"grid search: {time.perf_counter() - start:.0f} s")
for cell, mean, std in zip(
    grid.cv_results_["param_sequenceclassifier__cell"],
    grid.cv_results_["mean_test_score"],
    grid.cv_results_["std_test_score"],
):
    print(f"  cell={cell:<5} CV accuracy {mean:.3f} +- {std:.3f}")
print(f"best: {grid.best_params_}")

y_pred = grid.predict(X_test)
print(f"held-out accuracy: {accuracy_score(y_test, y_pred):.3f}")
f2 = fbeta_score(y_test, y_pred, beta=2, average="macro")
print(f"held-out F2 (macro): {f2:.3f}")
print(classification_report(y_test, y_pred, digits=3))
