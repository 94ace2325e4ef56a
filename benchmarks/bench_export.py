# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Inference exports side by side: float32 vs int8 / float16 / bfloat16 / compile.

Prints, for each variant of one fitted LSTM (or GRU) classifier: serialized
weight size ratio, ``predict`` speed ratio (float32 median time / variant
median time, so > 1 is faster) at batch sizes 1 and 256, median latency, and
argmax agreement with float32 on held-out data. Variants are timed
interleaved, round after round, so that background load hits them alike.

    python benchmarks/bench_export.py            # LSTM, hidden 128
    python benchmarks/bench_export.py --compile  # + torch.compile (slow warm-up)
    python benchmarks/bench_export.py --cell gru --hidden-size 256
"""

import argparse
import copy
import platform
import time
import warnings

import numpy as np
import torch

from sklearn_seq import SequenceClassifier
from sklearn_seq.datasets import make_sequence_classification
from sklearn_seq.export import model_size, quantize


def compiled(estimator):
    """torch.compile'd copy (dynamic shapes: batches vary in length)."""
    est = copy.deepcopy(estimator)
    est.net_.module_ = torch.compile(est.net_.module_, dynamic=True)
    return est


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cell", default="lstm")
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--timesteps", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument(
        "--compile", action="store_true", help="also torch.compile (warm-up: minutes)"
    )
    args = parser.parse_args()

    X, y = make_sequence_classification(
        n_samples=1200,
        n_timesteps=args.timesteps,
        n_features=8,
        n_classes=4,
        dependency_distance=5,
        random_state=0,
    )
    X_train, y_train, X_test = X[:800], y[:800], X[800:]
    clf = SequenceClassifier(
        cell=args.cell,
        hidden_size=args.hidden_size,
        max_epochs=3,
        batch_size=64,
        lr=3e-3,
        random_state=0,
    ).fit(X_train, y_train)
    ref = clf.predict(X_test)
    print(
        f"{platform.processor() or platform.machine()}, "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}; "
        f"{args.cell} hidden={args.hidden_size}, T={args.timesteps}, "
        f"test accuracy float32 {np.mean(ref == y[800:]):.3f}"
    )

    variants = {"float32": clf}
    for dtype in ("int8", "float16", "bfloat16"):
        try:
            variants[dtype] = quantize(clf, dtype)
        except Exception as exc:  # noqa: BLE001 (report, keep going)
            print(f"{dtype}: unavailable ({type(exc).__name__}: {exc})")
    if args.compile:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est = compiled(clf)
                start = time.perf_counter()
                est.predict(X_test[:256])
                est.predict(X_test[:1])
                print(f"torch.compile warm-up {time.perf_counter() - start:.1f} s")
            variants["compile"] = est
        except Exception as exc:  # noqa: BLE001
            print(f"compile: unavailable ({type(exc).__name__}: {exc})")

    # interleave the variants inside each round so that load from other
    # processes hits them alike; medians of per-call times
    base_size = model_size(clf)
    rng = np.random.default_rng(0)
    times = {(name, b): [] for name in variants for b in (1, 256)}
    for est in variants.values():  # warm-up
        est.predict(X_test[:256])
        est.predict(X_test[:1])
    for _ in range(args.repeats):
        for b in (1, 256):
            batch = X_test[rng.integers(0, len(X_test), size=b)]
            for name, est in variants.items():
                start = time.perf_counter()
                est.predict(batch)
                times[name, b].append((time.perf_counter() - start) * 1e3)
    med = {key: float(np.median(v)) for key, v in times.items()}
    rows = []
    for name, est in variants.items():
        agree = np.mean(est.predict(X_test) == ref)
        size = model_size(est) if name != "compile" else base_size
        rows.append(
            (
                name,
                base_size / size,
                med["float32", 1] / med[name, 1],
                med["float32", 256] / med[name, 256],
                med[name, 1],
                med[name, 256],
                agree,
            )
        )
    print(
        f"{'variant':<10}{'size x':>8}{'speed x b=1':>13}{'speed x b=256':>15}"
        f"{'med b=1 ms':>12}{'med b=256 ms':>14}{'agreement':>11}"
    )
    for name, size, s1, s256, p1, p256, agree in rows:
        print(
            f"{name:<10}{size:>8.2f}{s1:>13.2f}{s256:>15.2f}{p1:>12.2f}"
            f"{p256:>14.1f}{agree:>11.3f}"
        )
    print("size x / speed x: float32 over variant (> 1 = smaller / faster).")


if __name__ == "__main__":
    main()
