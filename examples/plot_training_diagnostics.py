# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""
Training diagnostics: learning curves, gradient norms, verdict and latency
==========================================================================

One fit instrumented end to end, with the tools of
:mod:`sklearn_seq.callbacks` and :mod:`sklearn_seq.inspection`:

1. a GRU classifier trained with ``early_stopping=True`` (a seeded,
   stratified validation split; the best epoch's weights are restored) and a
   :class:`~sklearn_seq.callbacks.GradientMonitor` recording per-layer
   gradient norms each epoch;
2. :func:`~sklearn_seq.inspection.plot_learning_curve`: train vs validation
   loss per epoch;
3. :func:`~sklearn_seq.inspection.plot_gradient_norms`: one line per layer;
4. :func:`~sklearn_seq.inspection.diagnose_fit`: an under-fit / over-fit /
   good-fit verdict (a heuristic), once from the history and once from
   scores on held-out data;
5. :func:`~sklearn_seq.inspection.measure_latency`: p50 / p95 / p99
   prediction latency per batch size.

Set ``SKLEARN_SEQ_SMALL=1`` for a seconds-long smoke run. The figures are
saved under ``examples/output/``.
"""

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from sklearn_seq import SequenceClassifier
from sklearn_seq.callbacks import GradientMonitor
from sklearn_seq.datasets import make_sequence_classification
from sklearn_seq.inspection import (
    diagnose_fit,
    measure_latency,
    plot_gradient_norms,
    plot_learning_curve,
)

torch.set_num_threads(1)
SMALL = os.environ.get("SKLEARN_SEQ_SMALL") == "1"
OUTPUT = Path(__file__).resolve().parent / "output"
OUTPUT.mkdir(exist_ok=True)
N_TRAIN, N_TEST, MAX_EPOCHS = (200, 100, 4) if SMALL else (1500, 500, 40)
BATCH_SIZES = (1, 32) if SMALL else (1, 32, 256)

# %%
# Data and fit
# ------------
# Three classes written in one noisy marker step 8 steps before the end of
# each 20-step sequence.
X, y = make_sequence_classification(
    N_TRAIN + N_TEST,
    20,
    2,
    n_classes=3,
    noise=0.5,
    dependency_distance=8,
    random_state=0,
)
X_train, y_train = X[:N_TRAIN], y[:N_TRAIN]
X_test, y_test = X[N_TRAIN:], y[N_TRAIN:]

clf = SequenceClassifier(
    cell="gru",
    hidden_size=32,
    lr=5e-3,
    batch_size=64,
    max_epochs=MAX_EPOCHS,
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=5,
    callbacks=[("grad", GradientMonitor())],
    random_state=0,
)
clf.fit(X_train, y_train)
print(
    f"trained {clf.n_epochs_} epochs (max_epochs={MAX_EPOCHS}); "
    f"test accuracy {clf.score(X_test, y_test):.3f}"
)

# %%
# Learning curve and gradient norms
# ---------------------------------
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
plot_learning_curve(clf, ax=axes[0])
axes[0].set_title("learning curve")
plot_gradient_norms(clf, ax=axes[1])
axes[1].set_title("gradient norm per layer")
axes[1].legend(fontsize=6)
fig.tight_layout()
path = OUTPUT / "training_diagnostics_curves.png"
fig.savefig(path, dpi=120)
print(f"saved {path}")

# %%
# Diagnosis
# ---------
# From the history (last epoch's train and validation losses against the
# loss of a uniform prediction), then from accuracy on the training data and
# on held-out data. Both are heuristics: read the figures, not only the
# verdict. They can disagree: the history judges the *last* epoch's
# cross-entropy (early stopping then restores the best epoch's weights), and
# a loss-based score is stricter than accuracy, since every unconfident
# correct prediction costs loss.
from_history = diagnose_fit(clf)
print(f"from the history : {from_history.verdict}\n  {from_history.message}")
from_data = diagnose_fit(clf, X_train, y_train, X_test, y_test)
print(f"from held-out data: {from_data.verdict}\n  {from_data.message}")

# %%
# Latency
# -------
# Whole ``predict`` calls (validation, batching, forward pass), one torch
# thread. Percentiles of a few dozen calls are rough; timings vary with the
# machine and its load.
latency = measure_latency(
    clf, X_test, batch_sizes=BATCH_SIZES, n_repeats=10 if SMALL else 50
)
print(f"{'batch':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'samples/s':>10}")
for batch, row in latency.items():
    print(
        f"{batch:>6} {row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} "
        f"{row['p99_ms']:>8.2f} {row['samples_per_s']:>10.0f}"
    )

fig, ax = plt.subplots(figsize=(5, 3.5))
sizes = [str(b) for b in latency]
for key, label in (("p50_ms", "p50"), ("p95_ms", "p95"), ("p99_ms", "p99")):
    ax.plot(sizes, [latency[b][key] for b in latency], "o-", label=label)
ax.set(
    xlabel="batch size",
    ylabel="ms per predict call",
    yscale="log",
    title="prediction latency",
)
ax.legend()
fig.tight_layout()
path = OUTPUT / "training_diagnostics_latency.png"
fig.savefig(path, dpi=120)
print(f"saved {path}")
