# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Recurrent vs convolutional encoders on a UCR-like task (issue 12).

A long univariate series with few training cases, as in many UCR data sets:
150 steps, 50 training cases, 300 test cases. Each series is noise around a
slowly wandering baseline, with one class-specific pattern (a shapelet) at a
random position: class 0 a sine burst, class 1 a triangle, class 2 a square
pulse, all 24 steps long and of similar energy. Nothing about the label is in
a fixed position or in the global level, so the model has to find a local
shape anywhere in the series.

Every model gets the same budget (Adam, lr 1e-3, batch 16, ``--epochs``
epochs, no early stopping) and its library defaults otherwise: GRU and LSTM
with 64 units and ``pooling='last'``, FCN / LSTM-FCN / TCN with the papers'
sizes and global average pooling. Accuracy on the test cases, mean and range
over ``--seeds`` seeds (data and weights), side by side.

Run::

    .venv/bin/python benchmarks/bench_ucr_like.py            # ~3 min, 2 cores
    .venv/bin/python benchmarks/bench_ucr_like.py --seeds 1 --epochs 30
"""

import argparse
import time

import numpy as np
import torch

from sklearn_seq import SequenceClassifier

N_STEPS = 150
PATTERN = 24


def _patterns():
    t = np.linspace(0, 1, PATTERN)
    sine = np.sin(2 * np.pi * 2 * t)
    triangle = 1 - 2 * np.abs(2 * t - 1)
    triangle = (triangle - triangle.mean()) * 1.6
    square = np.where((t > 0.25) & (t < 0.75), 1.0, -1.0) * 0.75
    return [sine, triangle, square]


def make_shapelet_task(n_samples, seed, noise=0.3):
    """Univariate series with a class-specific pattern at a random position.

    Parameters
    ----------
    n_samples : int
        Number of series.
    seed : int
        Seed of the generator.
    noise : float, default=0.3
        Standard deviation of the white noise.

    Returns
    -------
    X : ndarray of shape (n_samples, 150)
        Series (univariate: read as ``n_features=1``).
    y : ndarray of shape (n_samples,)
        Class of each series (0, 1 or 2).
    """
    rng = np.random.default_rng(seed)
    patterns = _patterns()
    y = rng.integers(0, len(patterns), size=n_samples)
    walk = np.cumsum(rng.normal(scale=0.1, size=(n_samples, N_STEPS)), axis=1)
    X = walk - walk.mean(axis=1, keepdims=True)
    X += rng.normal(scale=noise, size=(n_samples, N_STEPS))
    starts = rng.integers(0, N_STEPS - PATTERN, size=n_samples)
    for i, (label, start) in enumerate(zip(y, starts)):
        X[i, start : start + PATTERN] += patterns[label]
    return X.astype(np.float32), y


MODELS = {
    "GRU": {"cell": "gru"},
    "LSTM": {"cell": "lstm"},
    "FCN": {"cell": "fcn"},
    "LSTM-FCN": {"cell": "lstm_fcn", "hidden_size": 8, "dropout": 0.8},
    "TCN": {"cell": "tcn"},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--n-train", type=int, default=50)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (0: torch's own choice); one thread "
        "is fastest for these small batches on a shared 2-core "
        "machine",
    )
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    scores = {name: [] for name in args.models}
    times = {name: [] for name in args.models}
    for seed in range(args.seeds):
        X_train, y_train = make_shapelet_task(args.n_train, seed=1000 + seed)
        X_test, y_test = make_shapelet_task(300, seed=2000 + seed)
        for name in args.models:
            clf = SequenceClassifier(
                **MODELS[name],
                lr=1e-3,
                batch_size=16,
                max_epochs=args.epochs,
                random_state=seed,
            )
            tic = time.perf_counter()
            clf.fit(X_train, y_train)
            times[name].append(time.perf_counter() - tic)
            scores[name].append(clf.score(X_test, y_test))
            print(
                f"seed {seed} {name:9s} acc {scores[name][-1]:.3f} "
                f"fit {times[name][-1]:.1f}s",
                flush=True,
            )

    print(
        f"\n{N_STEPS} steps, {args.n_train} training cases, 300 test cases, "
        f"3 classes, {args.epochs} epochs, {args.seeds} seed(s), "
        f"torch threads {torch.get_num_threads()}"
    )
    print(f"{'model':10s} {'accuracy':>9s} {'min':>6s} {'max':>6s} {'fit s':>7s}")
    for name in args.models:
        acc = np.array(scores[name])
        print(
            f"{name:10s} {acc.mean():9.3f} {acc.min():6.3f} {acc.max():6.3f} "
            f"{np.mean(times[name]):7.1f}"
        )


if __name__ == "__main__":
    main()
