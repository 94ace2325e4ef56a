# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Fits that tests/test_ddp.py runs data-parallel and in one process.

Run as a script by ``torchrun --standalone --nproc-per-node 2 ddp_cases.py
OUT``: every process fits every case with ``distributed=True`` and
pickles its fitted estimators to ``OUT/<case>.rank<r>.pkl``. The test fits the same
cases in one process and compares.
"""

import pickle
import sys
from pathlib import Path

import numpy as np


def _ragged(n, rng, n_features=3):
    lengths = rng.integers(3, 12, size=n)
    return [rng.normal(size=(t, n_features)).astype(np.float32) for t in lengths]


def _cases():
    from sklearn_seq import SequenceClassifier, SequenceRegressor, SequenceTagger

    rng = np.random.default_rng(0)
    # 49 sequences in batches of 8: the last batch holds one sequence, so one
    # of the two processes gets an empty share of it
    X = _ragged(49, rng)
    y = np.array([int(x[:, 0].mean() > 0) for x in X])
    sw = rng.uniform(0.2, 2.0, size=len(X))
    target = np.array([x.sum() for x in X], dtype=np.float32)
    tags = [(x[:, 1] > 0).astype(int) + (x[:, 2] > 1) for x in X]
    common = {"hidden_size": 6, "batch_size": 8, "max_epochs": 3, "random_state": 0}
    return {
        "classifier": (SequenceClassifier(**common), X, y, {}),
        "classifier_weighted": (
            SequenceClassifier(class_weight="balanced", **common),
            X,
            y,
            {"sample_weight": sw},
        ),
        "classifier_early_stopping": (
            SequenceClassifier(
                **{**common, "max_epochs": 6},
                early_stopping=True,
                n_iter_no_change=2,
                validation_fraction=0.25,
            ),
            X,
            y,
            {},
        ),
        # a fit continued by partial_fit: the second call shards its batches too
        "classifier_partial_fit": (
            SequenceClassifier(**common),
            X,
            y,
            {"then_partial_fit": True},
        ),
        "regressor": (SequenceRegressor(cell="gru", **common), X, target, {}),
        "tagger": (SequenceTagger(**common), X, tags, {}),
        "tagger_crf": (SequenceTagger(crf=True, **common), X, tags, {}),
    }


def cases():
    """``{name: (estimator, X, y, fit_params)}``, the same in every process."""
    return _cases()


def run(est, X, y, fit_params):
    """Fit ``est`` as the case says (``then_partial_fit``: one more epoch)."""
    fit_params = dict(fit_params)
    then_partial_fit = fit_params.pop("then_partial_fit", False)
    est.fit(X, y, **fit_params)
    if then_partial_fit:
        est.partial_fit(X, y)
    return est


def main(out):
    import torch

    torch.set_num_threads(1)
    out = Path(out)
    for name, (est, X, y, fit_params) in cases().items():
        run(est.set_params(distributed=True), X, y, fit_params)
        import torch.distributed as dist

        with open(out / f"{name}.rank{dist.get_rank()}.pkl", "wb") as f:
            pickle.dump(est, f)
        dist.barrier()


if __name__ == "__main__":
    main(sys.argv[1])
