# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""
Focal loss vs cross-entropy on a 1:50 sequence task
===================================================

A binary sequence task where one sequence in 51 is positive: the class is
written in one noisy marker step, so some positives are easy and some hard.
We train the same GRU with three criteria -- plain cross-entropy,
cross-entropy with ``class_weight="balanced"``, and
``FocalLoss(gamma=2.0)`` -- and compare PR-AUC on a held-out set with the
same imbalance, then plot the three precision-recall curves.

Set ``SKLEARN_SEQ_SMALL=1`` for a tiny run (a few seconds).
"""

import os
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.metrics import precision_recall_curve

from sklearn_seq import SequenceClassifier
from sklearn_seq.datasets import make_sequence_classification
from sklearn_seq.losses import FocalLoss
from sklearn_seq.metrics import pr_auc_score

torch.set_num_threads(1)
SMALL = os.environ.get("SKLEARN_SEQ_SMALL") == "1"
OUTPUT = Path(__file__).resolve().parent / "output"
OUTPUT.mkdir(exist_ok=True)
N, EPOCHS = (510, 2) if SMALL else (5100, 15)
WEIGHTS = [50 / 51]  # 1:50

X, y = make_sequence_classification(
    2 * N, 15, 2, weights=WEIGHTS, noise=0.6, dependency_distance=6, random_state=0
)
X_train, y_train, X_test, y_test = X[:N], y[:N], X[N:], y[N:]
print(
    f"train: {len(y_train)} sequences, {y_train.sum()} positive; "
    f"test: {len(y_test)} sequences, {y_test.sum()} positive"
)

criteria = {
    "cross-entropy": {},
    "weighted cross-entropy": {"class_weight": "balanced"},
    "focal (gamma=2)": {"criterion": FocalLoss(gamma=2.0)},
}
fig, ax = plt.subplots(figsize=(5.5, 4.5))
for name, params in criteria.items():
    start = time.perf_counter()
    clf = SequenceClassifier(
        cell="gru",
        hidden_size=16,
        lr=5e-3,
        batch_size=64,
        max_epochs=EPOCHS,
        random_state=0,
        **params,
    )
    clf.fit(X_train, y_train)
    scores = clf.predict_proba(X_test)[:, 1]
    pr_auc = pr_auc_score(y_test, scores)
    precision, recall, _ = precision_recall_curve(y_test, scores)
    ax.step(recall, precision, where="post", label=f"{name}: PR-AUC {pr_auc:.3f}")
    print(f"{name:<24} PR-AUC {pr_auc:.3f}   ({time.perf_counter() - start:.1f} s)")
ax.axhline(np.mean(y_test), color="grey", ls=":", label="chance")
ax.set(
    xlabel="recall",
    ylabel="precision",
    ylim=(0, 1.02),
    title="1:50 sequence task, held-out set",
)
ax.legend(loc="upper right", fontsize=8)
fig.tight_layout()
path = OUTPUT / "focal_vs_ce_pr_curves.png"
fig.savefig(path, dpi=120)
print(f"saved {path}")
