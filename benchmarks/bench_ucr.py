# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Our encoders on real UCR/UEA data sets, beside published figures (issue 12).

The data sets are the ones that ship inside aeon (no download: the ``.ts``
files are read from aeon's package folder), with their default train/test
splits. aeon is an optional benchmark dependency, never a runtime one::

    .venv/bin/pip install aeon

Every model is ``Pipeline(SequenceScaler(), SequenceClassifier(...))``: the
univariate UCR series are already z-normalised per series, and the scaler
standardises each channel of the multivariate ones. The budget is the same for
every model: Adam, lr 1e-3, batch 16, ``--epochs`` epochs, no early stopping,
no learning-rate schedule and no model selection on the test set. FCN uses the
paper's sizes (128/256/128 filters, kernels 8/5/3), LSTM-FCN adds 8 LSTM cells
and dropout 0.8 (Karim et al. search 8/64/128 cells per data set), GRU has 64
units and ``pooling='last'`` (the library default), for contrast.

The published figures were obtained with 2000 epochs (Wang et al., Fawaz et
al.) or 2000 epochs and a learning-rate schedule (Karim et al.); ours use far
fewer, so read the gap as the price of a few minutes on 2 CPU cores.

aeon is channels-first ``(n_cases, n_channels, n_timepoints)``; sklearn_seq is
time-major ``(n_samples, n_timesteps, n_features)``, so each case is
transposed. JapaneseVowels has unequal lengths and goes in as a list.

Run::

    .venv/bin/python benchmarks/bench_ucr.py                    # 7 min, 2 busy cores
    .venv/bin/python benchmarks/bench_ucr.py --datasets GunPoint --epochs 200
    .venv/bin/python benchmarks/bench_ucr.py --models FCN --seeds 3
"""

import argparse
import os
import sys
import time

import numpy as np
import torch
from sklearn.pipeline import make_pipeline

from sklearn_seq import SequenceClassifier
from sklearn_seq.preprocessing import SequenceScaler

# Published test accuracy on the default train/test split. None: no figure that
# we could check. A name in UNSURE marks a figure quoted from memory of the paper
# and not checked against its table; the script prints it with a '?'.
#
# FCN W17: Wang, Yan and Oates, "Time series classification from scratch with
#   deep neural networks: a strong baseline", IJCNN 2017, table of test error
#   (44 UCR data sets; GunPoint 0.000, ItalyPowerDemand 0.030). The same
#   figures appear in the "CNN" column of Karim et al.'s result table
#   (titu1994/LSTM-FCN, Results/train_loss_old_datasets.csv).
# FCN F19, ResNet F19: Fawaz et al., "Deep learning for time series
#   classification: a review", DMKD 2019, mean accuracy over 10 runs, as in the
#   authors' hfawaz/dl-4-tsc results/results-ucr.csv (UCR 2015) and
#   results/results-mts.csv (Baydogan's MTS archive, for JapaneseVowels).
# LSTM-FCN K18: Karim et al., "LSTM fully convolutional networks for time
#   series classification", IEEE Access 2018, model chosen on training loss
#   (titu1994/LSTM-FCN, Results/train_loss_old_datasets.csv). Univariate only;
#   MLSTM-FCN's multivariate figures are only published as images, not checked.
# DTW: 1-NN DTW with the warping window learned on the training set, and with
#   a full window (DTW full), as listed by the UCR archive (2015); the
#   univariate figures are the "1-NN DTW CV" and "1-NN DTW" columns of the
#   Karim et al. table above. For the multivariate data sets: DTW_D from
#   Bagnall et al., "The UEA multivariate time series classification archive,
#   2018", arXiv:1811.00075 (quoted from memory, hence UNSURE).
PUBLISHED = {
    "GunPoint": {
        "FCN W17": 1.000,
        "FCN F19": 1.00,
        "ResNet F19": 0.99,
        "LSTM-FCN K18": 1.000,
        "DTW": 0.913,
        "DTW full": 0.907,
    },
    "ItalyPowerDemand": {
        "FCN W17": 0.970,
        "FCN F19": 0.96,
        "ResNet F19": 0.96,
        "LSTM-FCN K18": 0.962,
        "DTW": 0.955,
        "DTW full": 0.950,
    },
    "ArrowHead": {
        # Not among Wang et al.'s 44 data sets. Karim et al. list 0.663 for
        # full-window DTW, where the UCR archive page reads, as far as we
        # remember, an error of 0.297 (0.703): not checked, so left out.
        "FCN W17": None,
        "FCN F19": 0.85,
        "ResNet F19": 0.84,
        "LSTM-FCN K18": 0.897,
        "DTW": 0.800,
        "DTW full": None,
    },
    "BasicMotions": {
        # UEA 2018 data set: in neither the UCR 2015 nor Baydogan's archive.
        "FCN W17": None,
        "FCN F19": None,
        "ResNet F19": None,
        "LSTM-FCN K18": None,
        "DTW": None,
        "DTW full": 0.975,
    },
    "JapaneseVowels": {
        # Fawaz et al. used Baydogan's copy (same 270/370 split), resampled to
        # equal length; we feed the unequal-length series as they are.
        "FCN W17": None,
        "FCN F19": 0.99,
        "ResNet F19": 0.99,
        "LSTM-FCN K18": None,
        "DTW": None,
        "DTW full": 0.949,
    },
}
UNSURE = {("BasicMotions", "DTW full"), ("JapaneseVowels", "DTW full")}
PUBLISHED_COLUMNS = [
    "FCN W17",
    "FCN F19",
    "ResNet F19",
    "LSTM-FCN K18",
    "DTW",
    "DTW full",
]

MODELS = {
    "FCN": {"cell": "fcn"},
    "LSTM-FCN": {"cell": "lstm_fcn", "hidden_size": 8, "dropout": 0.8},
    "GRU": {"cell": "gru"},
}

DEFAULT_DATASETS = [
    "GunPoint",
    "ItalyPowerDemand",
    "ArrowHead",
    "BasicMotions",
    "JapaneseVowels",
]


def _import_aeon():
    try:
        import aeon.datasets
    except ImportError:
        sys.exit(
            "bench_ucr.py reads the UCR/UEA data sets that ship with aeon, "
            "which is not installed. Install it with\n\n"
            "    .venv/bin/pip install aeon\n\n"
            "(an optional benchmark dependency; sklearn_seq never imports "
            "it)."
        )
    return aeon.datasets


def load_shipped(name, split):
    """Load one split of a data set shipped inside aeon, without any download.

    Parameters
    ----------
    name : str
        Data set name, e.g. ``"GunPoint"`` (a folder of ``aeon/datasets/data``).
    split : {"TRAIN", "TEST"}
        Which default split to read.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_features) or list of ndarray
        Time-major series; a list of ``(T_i, n_features)`` arrays when the
        lengths differ.
    y : ndarray of shape (n_samples,)
        Class labels (strings, as in the ``.ts`` file).
    """
    datasets = _import_aeon()
    folder = os.path.join(os.path.dirname(datasets.__file__), "data", name)
    path = os.path.join(folder, f"{name}_{split}.ts")
    if not os.path.exists(path):
        shipped = sorted(
            d
            for d in os.listdir(os.path.dirname(folder))
            if os.path.exists(os.path.join(os.path.dirname(folder), d, f"{d}_TRAIN.ts"))
        )
        sys.exit(f"{name} does not ship with this aeon; shipped: {', '.join(shipped)}")
    X, y = datasets.load_from_ts_file(path)
    if isinstance(X, np.ndarray):  # (n_cases, n_channels, n_timepoints)
        X = np.ascontiguousarray(X.transpose(0, 2, 1), dtype=np.float32)
    else:  # unequal length: list of (n_channels, T_i)
        X = [np.ascontiguousarray(x.T, dtype=np.float32) for x in X]
    return X, np.asarray(y)


def _fmt(value, unsure=False):
    if value is None:
        return "-"
    return f"{value:.3f}" + ("?" if unsure else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="*", default=DEFAULT_DATASETS)
    parser.add_argument(
        "--models", nargs="*", default=list(MODELS), choices=list(MODELS)
    )
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads (0: torch's own choice)"
    )
    args = parser.parse_args()
    _import_aeon()
    if args.threads:
        torch.set_num_threads(args.threads)

    start = time.perf_counter()
    rows = []
    for name in args.datasets:
        X_train, y_train = load_shipped(name, "TRAIN")
        X_test, y_test = load_shipped(name, "TEST")
        lengths = sorted({len(x) for x in X_train} | {len(x) for x in X_test})
        n_features = X_train[0].shape[-1]
        shape = (
            f"{len(y_train)}/{len(y_test)} cases, {lengths[0]}-{lengths[-1]} steps"
            if len(lengths) > 1
            else f"{len(y_train)}/{len(y_test)} cases, {lengths[0]} steps"
        )
        print(
            f"{name}: {shape}, {n_features} feature(s), "
            f"{len(np.unique(y_train))} classes",
            flush=True,
        )
        row = {"dataset": name}
        for model in args.models:
            scores, fit_times = [], []
            for seed in range(args.seeds):
                clf = make_pipeline(
                    SequenceScaler(),
                    SequenceClassifier(
                        **MODELS[model],
                        lr=1e-3,
                        batch_size=args.batch_size,
                        max_epochs=args.epochs,
                        random_state=seed,
                    ),
                )
                tic = time.perf_counter()
                clf.fit(X_train, y_train)
                fit_times.append(time.perf_counter() - tic)
                scores.append(clf.score(X_test, y_test))
                print(
                    f"  {model:9s} seed {seed} acc {scores[-1]:.3f} "
                    f"fit {fit_times[-1]:.1f}s",
                    flush=True,
                )
            row[model] = (
                np.mean(scores),
                np.min(scores),
                np.max(scores),
                np.std(scores, ddof=1) if len(scores) > 1 else 0.0,
            )
            row[model + " s"] = np.mean(fit_times)
        rows.append(row)
    total = time.perf_counter() - start

    print(
        f"\nTest accuracy, default train/test split; ours: {args.epochs} "
        f"epochs, mean +- sd over {args.seeds} seed(s), torch threads "
        f"{torch.get_num_threads()}; published: see PUBLISHED in this file "
        "('?' = quoted from memory, '-' = none we could check)"
    )
    header = ["dataset"] + [f"{m} (ours)" for m in args.models] + PUBLISHED_COLUMNS
    widths = [max(16, len(header[0]))] + [max(13, len(h)) for h in header[1:]]
    print(
        "  ".join(
            h.rjust(w) if i else h.ljust(w)
            for i, (h, w) in enumerate(zip(header, widths))
        )
    )
    for row in rows:
        published = PUBLISHED.get(row["dataset"], {})
        cells = [row["dataset"]]
        cells += [
            f"{_fmt(row[m][0])}+-{row[m][3]:.3f}" if args.seeds > 1 else _fmt(row[m][0])
            for m in args.models
        ]
        cells += [
            _fmt(published.get(c), (row["dataset"], c) in UNSURE)
            for c in PUBLISHED_COLUMNS
        ]
        print(
            "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths))
            )
        )
    if args.seeds > 1:
        print("\nrange over seeds (min-max):")
        for row in rows:
            print(
                f"{row['dataset']:16s}  "
                + "  ".join(f"{m} {row[m][1]:.3f}-{row[m][2]:.3f}" for m in args.models)
            )
    print("\nmean fit time per model (s):")
    for row in rows:
        print(
            f"{row['dataset']:16s}  "
            + "  ".join(f"{m} {row[m + ' s']:.1f}" for m in args.models)
        )
    print(f"\ntotal wall time {total:.0f}s")


if __name__ == "__main__":
    main()
