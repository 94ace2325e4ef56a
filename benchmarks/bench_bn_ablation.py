# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Ablation of the batch-norm defaults of the convolutional cells (issue 15).

One default at a time, on UCR data sets that ship inside aeon, FCN (or
LSTM-FCN) through ``SequenceClassifier``, several seeds, test accuracy at the
end of training:

- ``stale``: torch's moving averages kept as they are (``recompute_bn_stats=
  False``), batches sorted by exact length in pools of 50, the short last
  batch trained on alone: the behaviour before issue 15;
- ``recompute``: the running statistics recomputed exactly on the training
  data at the end of fit, batches as ``stale``;
- ``recompute+merge``: also merge a short last batch into the one before it;
- ``+random batches``: random batches instead of length buckets (matters for
  ragged data only), no weight averaging;
- ``default``: the library's current defaults (recomputed statistics, random
  batches with the short last one merged, and weight averaging over the last
  quarter of the epochs, for batch-norm networks);
- ``bucketed``: the defaults with length buckets (``bucket_size=50`` and the
  loader's padding budget) instead of random batches; matters for ragged data
  only.

With ``--stability`` the script also scores the test set at each of the
last 5 epochs of one fit (``_stability.LastEpochsScore``: a copy of the
network, its statistics recomputed as a fit ending there would leave them),
with stale statistics, recomputed ones, recomputed ones under
``lr_schedule="cosine"``, and the defaults (recomputed statistics of the
weight average): the spread (max - min) of those five accuracies is the
"last-epoch lottery".

Run::

    .venv/bin/python benchmarks/bench_bn_ablation.py                  # ~30 min
    .venv/bin/python benchmarks/bench_bn_ablation.py --datasets ArrowHead \
        --epochs 100 --seeds 0 1 2 --variants stale recompute default
"""

import argparse
import os
import sys
import time

import numpy as np
import torch

from sklearn_seq import SequenceClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _stability import LastEpochsScore

_OLD_BATCHES = {"bucket_size": 50, "max_padding": 1.0, "merge_last": False}
VARIANTS = {
    "stale": {
        "recompute_bn_stats": False,
        "weight_averaging": None,
        "iterator_train_params": _OLD_BATCHES,
    },
    "recompute": {"weight_averaging": None, "iterator_train_params": _OLD_BATCHES},
    "recompute+merge": {
        "weight_averaging": None,
        "iterator_train_params": {**_OLD_BATCHES, "merge_last": True},
    },
    "+random batches": {"weight_averaging": None},
    "default": {},
    "bucketed": {"iterator_train_params": {"bucket_size": 50}},
}


def load(name):
    """Train/test split of an aeon data set, time-major (list when ragged)."""
    from aeon.datasets import load_classification

    out = []
    for split in ("train", "test"):
        X, y = load_classification(name, split=split)
        X = [np.asarray(x, dtype=np.float32).T for x in X]
        if len({len(x) for x in X}) == 1:
            X = np.stack(X)
        out += [X, np.asarray(y)]
    return out


def _classifier(args, seed, **params):
    """The ablated model: only ``params`` differ between variants."""
    return SequenceClassifier(
        cell=args.cell,
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=1e-3,
        random_state=seed,
        **params,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--datasets", nargs="+", default=["ArrowHead", "PickupGestureWiimoteZ"]
    )
    parser.add_argument("--cell", default="fcn")
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    parser.add_argument("--threads", type=int, default=int(os.cpu_count() or 1))
    parser.add_argument("--stability", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"cell={args.cell} epochs={args.epochs} batch={args.batch_size} lr=1e-3")
    for name in args.datasets:
        X_tr, y_tr, X_te, y_te = load(name)
        kind = "ragged" if isinstance(X_tr, list) else "fixed"
        print(f"\n## {name} ({kind}, {len(y_tr)} train / {len(y_te)} test)")
        for variant in args.variants:
            scores, t0 = [], time.perf_counter()
            for seed in args.seeds:
                clf = _classifier(args, seed, **VARIANTS[variant])
                scores.append(clf.fit(X_tr, y_tr).score(X_te, y_te))
            s = np.array(scores)
            sd = s.std(ddof=1) if len(s) > 1 else 0.0
            print(
                f"{variant:>16}: {s.mean():.3f} +- {sd:.3f}"
                f"  {np.round(s, 3).tolist()}  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )
        if args.stability:
            classes = np.unique(y_tr)
            for label, params in [
                (
                    "stale statistics",
                    {"recompute_bn_stats": False, "weight_averaging": None},
                ),
                ("recomputed statistics", {"weight_averaging": None}),
                (
                    "recomputed + lr_schedule='cosine'",
                    {"lr_schedule": "cosine", "weight_averaging": None},
                ),
                ("defaults (recomputed + weight averaging)", {}),
            ]:
                spreads, finals = [], []
                for seed in args.seeds:
                    cb = LastEpochsScore(
                        X_tr,
                        X_te,
                        np.searchsorted(classes, y_te),
                        args.epochs,
                        recompute="recompute_bn_stats" not in params,
                    )
                    clf = _classifier(args, seed, callbacks=[("last", cb)], **params)
                    finals.append(clf.fit(X_tr, y_tr).score(X_te, y_te))
                    spreads.append(dict(clf.net_.callbacks_)["last"].spread())
                print(
                    f"  {label}: final accuracy {np.mean(finals):.3f}, "
                    f"last-5-epoch spread {np.round(spreads, 3).tolist()} "
                    f"(max {max(spreads):.3f})",
                    flush=True,
                )


if __name__ == "__main__":
    main()
