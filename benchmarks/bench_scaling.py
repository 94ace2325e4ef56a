"""Seconds per training epoch vs number of sequences and vs sequence length, per cell.

Scaling curves of ``SequenceClassifier.fit`` for the cells ``lstm``, ``gru``,
``transformer``, ``fcn`` and ``tcn`` (issue 18): how the cost of an epoch grows
with the data and with the length of the sequences, and which cell stays
affordable on long sequences.

1. seconds per epoch vs the number of sequences n (1k, 3k, 10k, 30k, 100k) at
   a fixed length of 50 steps;
2. seconds per epoch vs the sequence length T (10, 30, 100, 300, 1000 steps) at
   a fixed 1,000 sequences;
3. the sweep over T again with ``torch.set_flush_denormal(True)`` (each length
   right after its default run): on long sequences the gradients of the
   recurrent cells' backward pass through time decay into subnormal floats,
   which x86 CPUs compute many times slower; flushing them to zero removes
   that cost. The flag is per thread and torch's worker threads copy it when
   they start, so these points run in a second process that sets it before
   any torch work (set late, it would reach the main thread only: measured
   LSTM, 256 sequences of 1000 steps, 2 threads: 4.1 s per epoch not flushed,
   2.4 s flushed late, 0.65 s flushed at the start). For long CPU fits, call
   it first thing yourself.

Comparable model sizes: ``hidden_size=64`` (the LSTM and GRU state, the
transformer's ``d_model``: one layer, 4 heads, feed-forward 128) and
``n_filters=64`` per block for ``fcn`` (3 blocks, kernels 8, 5, 3; the paper's
default is 128, 256, 128) and ``tcn`` (4 blocks, its default); the parameter
counts are printed. Fixed-length float32 sequences of 16 Gaussian features,
labels from the sign of the last step's first feature, batch 128, Adam, no
validation split (``early_stopping=False``, the default).

An epoch's time is skorch's ``history_[:, "dur"]``: the training loop alone,
without input validation, net set-up and the end-of-fit batch-norm pass of the
weight averaging that ``fcn`` gets by default. Each point is the best of
several epochs: in a first round a one-epoch fit (the warm-up) and a second fit
of up to 4 epochs (as many as fit in a few seconds; none when the first epoch
took 10 s or more), then a second round, minutes later, repeats the points
under 10 s. The best epoch is the one least disturbed by other jobs: with 2
threads on 2 busy cores a burst of another job slowed short epochs 10- to
100-fold (``--threads 1`` suffers far less there). Every point is measured on
all its sequences, none is extrapolated. The growth exponent is the slope of
log(seconds) against log(n) or log(T), by least squares over all points and
over the last three (the asymptotic growth, where fixed per-batch costs no
longer dominate). Figures depend on the machine; on a shared CPU they move by
tens of percent between runs (the load average is printed).

Writes a two-panel log-log plot (``--out``, default
``docs/images/scaling_curves.png``; with ``--small`` a file in the temporary
directory) and the figures as JSON next to it (same name, ``.json``).

Usage: ``python benchmarks/bench_scaling.py [--small] [--threads N] [--out PATH]``
(``--threads``: torch's default, one per core, unless given; the full run takes
about 9 minutes with 2 threads on 2 cores, ``--small`` about 15 seconds).
"""

import argparse
import functools
import json
import multiprocessing
import os
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import torch

from sklearn_seq import SequenceClassifier

CELLS = ("lstm", "gru", "transformer", "fcn", "tcn")
F, HIDDEN, FILTERS, BATCH = 16, 64, 64, 128

FULL = {
    "n_grid": (1000, 3000, 10000, 30000, 100000),
    "n_length": 50,
    "t_grid": (10, 30, 100, 300, 1000),
    "t_n": 1000,
    "budget": 3.0,  # seconds of repeated epochs per point and round
    "rounds": 2,
}
SMALL = {
    "n_grid": (250, 500, 1000),
    "n_length": 20,
    "t_grid": (10, 30, 100),
    "t_n": 250,
    "budget": 0.2,
    "rounds": 1,
}
ONCE_ABOVE = 10.0  # a first epoch this long (s) is not repeated
MAX_REPEATS = 4

DEFAULT_OUT = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "docs",
    "images",
    "scaling_curves.png",
)


def make_data(n, t, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, t, F)).astype(np.float32)
    y = (X[:, -1, 0] > 0).astype(np.int64)
    return X, y


def make_clf(cell, epochs):
    extra = {"n_filters": FILTERS} if cell in ("fcn", "tcn") else {}
    return SequenceClassifier(
        cell=cell,
        hidden_size=HIDDEN,
        batch_size=BATCH,
        max_epochs=epochs,
        random_state=0,
        **extra,
    )


def time_epochs(cell, X, y, epochs):
    """Epoch durations (s) of one fit of ``epochs`` epochs, and the parameters."""
    clf = make_clf(cell, epochs).fit(X, y)
    n_params = sum(p.numel() for p in clf.net_.module_.parameters())
    return list(clf.history_[:, "dur"]), n_params


def _flushing_worker(threads):
    """Initialise the process that times the T_flush points.

    ``torch.set_flush_denormal`` sets the calling thread's floating-point mode
    only, and torch's worker threads copy it when they start: set before any
    parallel work, it reaches every thread.
    """
    # numpy's finfo notices that subnormals read as zero and says so
    warnings.filterwarnings("ignore", message="The value of the smallest subnormal")
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)


@functools.lru_cache(maxsize=1)
def _cached_data(n, t):
    return make_data(n, t)


def _flushed_epochs(cell, n, t, epochs):
    X, y = _cached_data(n, t)
    return time_epochs(cell, X, y, epochs)


def slope(xs, ys):
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def points(config):
    """(section, grid value, n, T, flush denormal) of every point, in order."""
    n_grid, t_grid = config["n_grid"], config["t_grid"]
    yield from (("n", n, n, config["n_length"], False) for n in n_grid)
    for t in t_grid:
        yield ("T", t, config["t_n"], t, False)
        yield ("T_flush", t, config["t_n"], t, True)


def measure(config, results):
    """Every cell at every point, in rounds; keeps every epoch's duration.

    Round 1 fits one epoch (the warm-up), then as many more as fit in the
    budget (at most 4; none after a first epoch of ONCE_ABOVE s or more).
    Later rounds, minutes apart, repeat the points whose best epoch is under
    ONCE_ABOVE s, the cells in the opposite order: a burst of other jobs
    then rarely hits every try of a point.
    """
    epochs = results["epochs"]
    with ProcessPoolExecutor(
        1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_flushing_worker,
        initargs=(torch.get_num_threads(),),
    ) as flushing:
        for r in range(config["rounds"]):
            print(f"[round {r + 1} of {config['rounds']}]", flush=True)
            for section, value, n, t, flush in points(config):
                cells = CELLS if r % 2 == 0 else CELLS[::-1]
                todo = [
                    c
                    for c in cells
                    if r == 0 or min(epochs[section][c][str(value)]) < ONCE_ABOVE
                ]
                if not todo:
                    continue
                if flush:

                    def timed(cell, k, n=n, t=t):
                        return flushing.submit(_flushed_epochs, cell, n, t, k).result()

                else:
                    X, y = make_data(n, t)

                    def timed(cell, k, X=X, y=y):
                        return time_epochs(cell, X, y, k)

                for cell in todo:
                    runs = epochs[section][cell].setdefault(str(value), [])
                    if r == 0:
                        durations, results["params"][cell] = timed(cell, 1)
                        runs += durations
                    if min(runs) < ONCE_ABOVE:
                        k = int(min(MAX_REPEATS, max(1, config["budget"] // min(runs))))
                        runs += timed(cell, k)[0]
                    print(
                        f"  {section}={value:<6} {cell:<12} n={n:<6} T={t:<5} "
                        f"{min(runs):8.3f} s/epoch (best of {len(runs)}), load "
                        f"{os.getloadavg()[0]:.1f}",
                        flush=True,
                    )
                X = y = timed = None
    for section, values in epochs.items():
        results[section] = {
            cell: [min(runs) for runs in per_value.values()]
            for cell, per_value in values.items()
        }


def print_table(title, key, grid, results):
    cols = "".join(f"{v:>9}" for v in grid)
    print(f"\n{title}")
    print(f"  {'cell':<12}{'params':>8}{cols}   slope all  last 3")
    for cell in CELLS:
        ys = results[key][cell]
        row = "".join(f"{s:9.3f}" for s in ys)
        print(
            f"  {cell:<12}{results['params'][cell]:>8}{row}   "
            f"{slope(grid, ys):9.2f}  {slope(grid[-3:], ys[-3:]):6.2f}"
        )


def plot(results, config, out):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        print("plot skipped: matplotlib is not installed (pip install matplotlib)")
        return False
    fig, (ax_n, ax_t) = plt.subplots(1, 2, figsize=(11, 4.4))
    colors = dict(zip(CELLS, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    n_grid, t_grid = config["n_grid"], config["t_grid"]
    for cell in CELLS:
        ns, ts = results["n"][cell], results["T"][cell]
        ax_n.plot(
            n_grid,
            ns,
            "o-",
            color=colors[cell],
            label=f"{cell}  (slope {slope(n_grid[-3:], ns[-3:]):.2f})",
        )
        fs = results["T_flush"][cell]
        ax_t.plot(
            t_grid,
            ts,
            "o-",
            color=colors[cell],
            label=f"{cell}  (slope {slope(t_grid[-3:], ts[-3:]):.2f}, "
            f"flushed {slope(t_grid[-3:], fs[-3:]):.2f})",
        )
        ax_t.plot(t_grid, fs, "o--", color=colors[cell], markerfacecolor="none")
    ax_t.plot(
        [],
        [],
        "o--k",
        markerfacecolor="none",
        label="dashed: torch.set_flush_denormal(True)",
    )
    ax_n.set(
        xscale="log",
        yscale="log",
        xlabel="number of sequences n",
        ylabel="seconds per epoch",
        title=f"{config['n_length']} steps per sequence",
    )
    ax_t.set(
        xscale="log",
        yscale="log",
        xlabel="sequence length T (steps)",
        ylabel="seconds per epoch",
        title=f"{config['t_n']:,} sequences",
    )
    for ax, grid in ((ax_n, n_grid), (ax_t, t_grid)):
        ax.grid(True, which="both", alpha=0.3)
        ax.set_xticks(grid, [f"{v // 1000}k" if v >= 1000 else str(v) for v in grid])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.legend(
            loc="upper left",
            fontsize="small",
            title="slope: last 3 points",
            title_fontsize="small",
        )
    load = results["loadavg"]
    fig.suptitle(
        f"SequenceClassifier fit, hidden 64 / 64 filters, {F} features, batch "
        f"{BATCH}: CPU, {results['threads']} torch thread(s), load average "
        f"{load['start']:.1f}-{load['end']:.1f} (this run's threads included)",
        fontsize="medium",
    )
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="a quick run")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch threads (default 0: torch's own choice, one per core)",
    )
    parser.add_argument(
        "--out",
        default=None,
        help=f"the plot (PNG), and its figures as .json next to it (default "
        f"{os.path.relpath(DEFAULT_OUT)}; with --small a temporary file)",
    )
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    config = SMALL if args.small else FULL
    out = args.out
    if out is None:
        out = (
            os.path.join(tempfile.gettempdir(), "bench_scaling_small.png")
            if args.small
            else DEFAULT_OUT
        )
    sections = ("n", "T", "T_flush")
    results = {
        "epochs": {sec: {c: {} for c in CELLS} for sec in sections},
        "params": {},
        "threads": torch.get_num_threads(),
        "loadavg": {"start": os.getloadavg()[0]},
    }
    start = time.perf_counter()
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads "
        f"(OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}), "
        f"{os.cpu_count()} CPUs, load average "
        f"{'/'.join(f'{v:.2f}' for v in os.getloadavg())} (1/5/15 min)"
    )
    print(
        f"{F} features, batch {BATCH}; n: {config['n_length']} steps; T: "
        f"{config['t_n']} sequences; T_flush: the same with "
        "torch.set_flush_denormal(True)"
    )
    measure(config, results)
    results["loadavg"]["end"] = os.getloadavg()[0]
    elapsed = time.perf_counter() - start

    print_table(
        f"Seconds per epoch vs n ({config['n_length']} steps per sequence)",
        "n",
        config["n_grid"],
        results,
    )
    print_table(
        f"Seconds per epoch vs T ({config['t_n']} sequences)",
        "T",
        config["t_grid"],
        results,
    )
    print_table(
        f"Seconds per epoch vs T ({config['t_n']} sequences), "
        "torch.set_flush_denormal(True)",
        "T_flush",
        config["t_grid"],
        results,
    )
    print("\nDefault / flushed (how much flushing subnormal floats saves)")
    print(f"  {'cell':<12}" + "".join(f"{t:>8}" for t in config["t_grid"]))
    for cell in CELLS:
        ratios = np.divide(results["T"][cell], results["T_flush"][cell])
        print(f"  {cell:<12}" + "".join(f"{r:7.1f}x" for r in ratios))

    results.update(
        {
            "config": {**config, "features": F, "hidden": HIDDEN, "batch": BATCH},
            "torch": torch.__version__,
            "cpus": os.cpu_count(),
            "seconds": round(elapsed, 1),
            "command": "python benchmarks/bench_scaling.py"
            + (" --small" if args.small else "")
            + (f" --threads {args.threads}" if args.threads else ""),
        }
    )
    if plot(results, config, out):
        print(f"\nplot: {out}")
    stem = os.path.splitext(out)[0]
    with open(stem + ".json", "w") as fh:
        json.dump(results, fh, indent=1)
    print(f"figures: {stem}.json")
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, load "
        f"average {results['loadavg']['start']:.2f} at the start, "
        f"{results['loadavg']['end']:.2f} at the end, {elapsed:.0f} s in all; "
        "indicative only on a shared or busy machine"
    )


if __name__ == "__main__":
    main()
