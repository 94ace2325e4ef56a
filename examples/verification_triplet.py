# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""
Verification of unseen classes with triplet loss
================================================

Metric learning trains an embedding in which sequences of the same class are
close, so that it generalises to classes never seen in training (signature or
speaker verification). We generate 40 classes of time-shifted, noisy
prototype sequences, train :class:`~sklearn_seq.SequenceEmbedder` on 30 of
them and verify pairs drawn from the 10 unseen ones.

The mining strategy (batch-hard, batch-all, none) and the margin (0.2, 0.5,
1.0) are tuned by :class:`~sklearn.model_selection.GridSearchCV` with
:class:`~sklearn.model_selection.GroupKFold` over the class labels: each
validation fold holds classes the fold's model never saw, and the scorer
(``get_scorer("verification_roc_auc")``) forms every pair of the fold. The best
model is then scored on the 10 held-out classes (ROC-AUC, EER, TAR at 1% FAR)
next to raw-feature Euclidean distances, and its embeddings of the held-out
classes are projected to 2-D with PCA.

Set ``SKLEARN_SEQ_SMALL=1`` for a tiny run (a few seconds).
"""

import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
import torch
from sklearn.decomposition import PCA
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, GroupKFold

from sklearn_seq import SequenceEmbedder
from sklearn_seq.datasets import make_sequence_verification
from sklearn_seq.losses import TripletLoss
from sklearn_seq.metrics import (
    equal_error_rate,
    get_scorer,
    tar_at_far_score,
    verification_pairs,
)

torch.set_num_threads(1)
SMALL = os.environ.get("SKLEARN_SEQ_SMALL") == "1"
OUTPUT = Path(__file__).resolve().parent / "output"

n_classes, n_train_classes = (12, 8) if SMALL else (40, 30)
X, y = make_sequence_verification(
    n_classes=n_classes,
    n_samples_per_class=6 if SMALL else 10,
    n_timesteps=24,
    random_state=0,
)
train, test = y < n_train_classes, y >= n_train_classes

embedder = SequenceEmbedder(
    cell="gru",
    hidden_size=32,
    embedding_size=16,
    pooling="mean",
    criterion=TripletLoss(),
    lr=3e-3,
    batch_size=32,
    max_epochs=2 if SMALL else 15,
    random_state=0,
)
grid = GridSearchCV(
    embedder,
    {
        "criterion__mining": ["batch_hard", "batch_all", None],
        "criterion__margin": [0.2, 0.5] if SMALL else [0.2, 0.5, 1.0],
    },
    scoring=get_scorer("verification_roc_auc"),
    cv=GroupKFold(n_splits=2 if SMALL else 3),
)
start = time.perf_counter()
grid.fit(X[train], y[train], groups=y[train])
print(f"grid search: {time.perf_counter() - start:.1f} s")
results = pd.DataFrame(grid.cv_results_["params"])
results["mining"] = results["criterion__mining"].fillna("none")
results["roc_auc"] = grid.cv_results_["mean_test_score"]
print(
    results.pivot(index="mining", columns="criterion__margin", values="roc_auc").round(
        3
    )
)
print("best:", grid.best_params_)

# -- held-out classes ---------------------------------------------------------
best = grid.best_estimator_
raw = verification_pairs(X[test].reshape(test.sum(), -1), y[test])
learned = verification_pairs(best.transform(X[test]), y[test])
rows = []
for name, (same, score) in {"raw features": raw, "embeddings": learned}.items():
    rows.append(
        {
            "distances": name,
            "roc_auc": roc_auc_score(same, score),
            "eer": equal_error_rate(same, score),
            "tar@far=0.01": tar_at_far_score(same, score, far=0.01),
        }
    )
print(pd.DataFrame(rows).set_index("distances").round(3))
active = best.history_[:, "active_fraction"]
print(f"active fraction: first epoch {active[0]:.2f}, last epoch {active[-1]:.2f}")

# -- 2-D projection -------------------------------------------------------------
OUTPUT.mkdir(exist_ok=True)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
for ax, (title, Z) in zip(
    axes,
    [
        ("raw features (flattened)", X[test].reshape(test.sum(), -1)),
        ("learned embeddings", best.transform(X[test])),
    ],
):
    P = PCA(n_components=2).fit_transform(Z)
    ax.scatter(P[:, 0], P[:, 1], c=y[test], cmap="tab10", s=18)
    ax.set_title(f"{title}: unseen classes")
    ax.set_xticks([])
    ax.set_yticks([])
fig.tight_layout()
fig.savefig(OUTPUT / "verification_triplet_pca.png", dpi=100)
print("saved", OUTPUT / "verification_triplet_pca.png")
