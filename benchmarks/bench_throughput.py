# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Throughput: samples/second for fit and predict, and the LSTM's GFLOP/s.

Prints figures measured in one run on this machine (never asserted):

1. peak matmul GFLOP/s (best of a few 2048^3 sgemm);
2. batch production alone (no model): our ``BucketLoader`` (whole-slice
   collation) vs a ``torch.utils.data.DataLoader`` fetching and collating
   sample by sample (what a plain skorch net does), in microseconds per batch;
   and the padding that bucketing saves (``bucket_size``);
3. fit samples/second: ``SequenceClassifier.fit`` vs a plain PyTorch loop over
   pre-collated length-bucketed batches (no data work at all), with the
   achieved GFLOP/s of the LSTM and its fraction of the matmul peak. FLOPs
   are counted on the padded steps actually computed: ``2*4*H*(F+H)`` per
   step and sample forward, three times that with the backward pass;
4. predict samples/second: ``predict_proba`` vs raw ``inference_mode`` over the
   same pre-collated batches;
5. options measured to decide whether to keep them: CPU bfloat16 autocast
   (training and inference), ``torch.compile`` of the module (fixed-length
   batches, so it compiles once);
6. ``--memory``: peak resident memory of fitting many short sequences, as a
   ratio to the input size and to one globally padded tensor;
7. ``--dask``: a small grid search on a threaded Dask worker (two fits at a
   time on one process) with and without the per-fit torch thread budget.

Usage: ``python benchmarks/bench_throughput.py [--small] [--memory] [--dask]
[--device cuda]``.
"""

import argparse
import contextlib
import resource
import time

import numpy as np
import torch
from torch import nn

from sklearn_seq import SequenceClassifier
from sklearn_seq.data import BucketLoader, SequenceDataset, bucket_batches, collate
from sklearn_seq.nn import SequenceNet
from sklearn_seq.utils import check_sequences

H, F, N_CLASSES, BATCH = 64, 8, 3, 64


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def sync(device):
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def peak_gflops(device, size=2048, repeats=5):
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    a @ b
    sync(device)

    def run():
        a @ b
        sync(device)

    return 2 * size**3 / best_of(run, repeats) / 1e9


def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(np.log(30), 0.6, size=n), 2, 200).astype(int)
    X = [rng.normal(size=(int(k), F)).astype(np.float32) for k in lengths]
    y = np.array([int(x[:, 0].sum() > 0) + int(x[-1, 1] > 1) for x in X])
    return X, y


def lstm_flops(batches, lengths, backward):
    """FLOPs of the LSTM over padded batches (steps computed, not valid ones)."""
    steps = sum(len(idx) * int(lengths[idx].max()) for idx in batches)
    return steps * 2 * 4 * H * (F + H) * (3 if backward else 1)


def bench_loading(seqs, y, repeats):
    ds = SequenceDataset(seqs, y)
    n_batches = -(-seqs.n_samples // BATCH)

    def ours():
        for _ in BucketLoader(
            ds, batch_size=BATCH, shuffle=True, generator=np.random.default_rng(0)
        ):
            pass

    def per_sample():
        from skorch.dataset import unpack_data  # noqa: F401  (skorch's path)

        def collate_fn(items):
            idx = [i for i, _ in items]
            return collate(seqs, idx), torch.as_tensor(y[idx])

        loader = torch.utils.data.DataLoader(
            [(i, None) for i in range(seqs.n_samples)],
            batch_size=BATCH,
            shuffle=True,
            collate_fn=collate_fn,
        )
        for _ in loader:
            pass

    def per_sample_getitem():
        # what skorch's default loader does with a map-style dataset
        loader = torch.utils.data.DataLoader(
            ds, batch_size=BATCH, shuffle=True, collate_fn=lambda items: items
        )
        for _ in loader:
            pass

    t_ours = best_of(ours, repeats) / n_batches * 1e6
    t_idx = best_of(per_sample, repeats) / n_batches * 1e6
    t_get = best_of(per_sample_getitem, 1) / n_batches * 1e6
    print("[batch production, no model]")
    print(f"  BucketLoader (whole-slice collate)        {t_ours:8.0f} us/batch")
    print(f"  DataLoader, sampler + our collate         {t_idx:8.0f} us/batch")
    print(
        f"  DataLoader, per-sample __getitem__ only   {t_get:8.0f} us/batch "
        "(without even padding)"
    )
    for bucket_size in (1, 10, 50):
        batches = bucket_batches(
            seqs.lengths,
            BATCH,
            shuffle=True,
            rng=np.random.default_rng(0),
            bucket_size=bucket_size,
        )
        padded = sum(len(b) * int(seqs.lengths[b].max()) for b in batches)
        print(
            f"  bucket_size={bucket_size:<3d} padded steps / valid steps = "
            f"{padded / seqs.lengths.sum():.2f}"
        )


def plain_batches(seqs, y, device):
    batches = bucket_batches(
        seqs.lengths, BATCH, shuffle=True, rng=np.random.default_rng(0)
    )
    out = []
    for idx in batches:
        Xi = collate(seqs, idx)
        out.append(
            (
                Xi["x"].to(device),
                Xi["lengths"].to(device),
                torch.as_tensor(y[idx]).to(device),
            )
        )
    return batches, out


def plain_fit(module, batches, epochs, autocast=False):
    opt = torch.optim.Adam(module.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    module.train()
    ctx = (
        torch.autocast("cpu", dtype=torch.bfloat16)
        if autocast
        else contextlib.nullcontext()
    )
    for _ in range(epochs):
        for x, lengths, yi in batches:
            opt.zero_grad()
            with ctx:
                out = module(x, lengths)
            loss = loss_fn(out.float(), yi)
            loss.backward()
            opt.step()


def plain_predict(module, batches, autocast=False):
    module.eval()
    ctx = (
        torch.autocast("cpu", dtype=torch.bfloat16)
        if autocast
        else contextlib.nullcontext()
    )
    with torch.inference_mode(), ctx:
        return [
            torch.softmax(module(x, lengths).float(), 1).cpu()
            for x, lengths, _ in batches
        ]


def bench_fit_predict(X, y, seqs, *, epochs, repeats, device, peak):
    n = len(X)
    batches, tensors = plain_batches(seqs, y, device)
    fwd = lstm_flops(batches, seqs.lengths, backward=False)

    def module():
        torch.manual_seed(0)
        return SequenceNet(F, N_CLASSES, hidden_size=H).to(device)

    def plain():
        plain_fit(module(), tensors, epochs)
        sync(device)

    def plain_bf16():
        plain_fit(module(), tensors, epochs, autocast=True)

    clf = SequenceClassifier(
        hidden_size=H,
        batch_size=BATCH,
        max_epochs=epochs,
        device=device,
        random_state=0,
    )

    def ours():
        clf.fit(X, y)
        sync(device)

    t_plain = best_of(plain, repeats)
    t_ours = best_of(ours, repeats)
    t_plain = min(t_plain, best_of(plain, repeats))  # interleave against drift
    train_flops = 3 * fwd * epochs
    print(
        f"[fit] n={n} ragged (median length {int(np.median(seqs.lengths))}, "
        f"max {int(seqs.lengths.max())}), F={F}, LSTM H={H}, batch {BATCH}, "
        f"{epochs} epochs, {device}"
    )
    for name, t in (("plain PyTorch loop", t_plain), ("SequenceClassifier", t_ours)):
        gflops = train_flops / t / 1e9
        print(
            f"  {name:<22s} {n * epochs / t:9.0f} samples/s  "
            f"{t / t_plain:5.2f}x time   LSTM {gflops:6.1f} GFLOP/s = "
            f"{gflops / peak:5.1%} of peak"
        )
    if device == "cpu":
        t_bf16 = best_of(plain_bf16, repeats)
        print(
            f"  plain loop, CPU bf16 autocast {n * epochs / t_bf16:9.0f} "
            f"samples/s  {t_plain / t_bf16:.2f}x speed-up"
        )

    trained = clf.net_.module_
    trained_tensors = tensors

    def raw():
        plain_predict(trained, trained_tensors)
        sync(device)

    def proba():
        clf.predict_proba(X)

    t_raw = best_of(raw, repeats)
    t_pred = best_of(proba, repeats)
    t_raw = min(t_raw, best_of(raw, repeats))
    print(f"[predict] same data, batches of {BATCH} (predict_proba uses 256)")
    for name, t in (("raw inference_mode", t_raw), ("predict_proba", t_pred)):
        gflops = fwd / t / 1e9
        print(
            f"  {name:<22s} {n / t:9.0f} samples/s  {t / t_raw:5.2f}x time   "
            f"LSTM {gflops:6.1f} GFLOP/s = {gflops / peak:5.1%} of peak"
        )
    if device == "cpu":
        t_bf = best_of(lambda: plain_predict(trained, trained_tensors, True), repeats)
        print(
            f"  raw, CPU bf16 autocast {n / t_bf:9.0f} samples/s  "
            f"{t_raw / t_bf:.2f}x speed-up"
        )


def bench_compile(repeats, device):
    """torch.compile of the module on fixed-length batches (one graph)."""
    import logging

    logging.getLogger("torch._dynamo").setLevel(logging.ERROR)
    rng = np.random.default_rng(0)
    x = torch.from_numpy(rng.normal(size=(BATCH, 30, F)).astype(np.float32))
    x = x.to(device)
    lengths = torch.full((BATCH,), 30, device=device)
    yi = torch.from_numpy(rng.integers(0, N_CLASSES, BATCH)).to(device)
    batches = [(x, lengths, yi)] * 20
    torch.manual_seed(0)
    eager = SequenceNet(F, N_CLASSES, hidden_size=H).to(device)
    t_eager = best_of(lambda: plain_fit(eager, batches, 1), repeats)
    try:
        compiled = torch.compile(SequenceNet(F, N_CLASSES, hidden_size=H).to(device))
        start = time.perf_counter()
        plain_fit(compiled, batches[:1], 1)
        t_first = time.perf_counter() - start
        t_comp = best_of(lambda: plain_fit(compiled, batches, 1), repeats)
    except (RuntimeError, ImportError, AssertionError) as exc:  # no toolchain
        print(f"[torch.compile] failed: {type(exc).__name__}: {exc}"[:200])
        return
    print("[torch.compile] 20 fixed-length training steps (T=30)")
    print(f"  eager     {t_eager * 1e3:8.1f} ms")
    print(
        f"  compiled  {t_comp * 1e3:8.1f} ms  ({t_eager / t_comp:.2f}x speed-up, "
        f"first call incl. compilation {t_first:.1f} s)"
    )


def bench_memory(n):
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 16, size=n)
    lengths[0] = 200  # one long sequence: a global padding would be huge
    X = [rng.normal(size=(int(k), 4)).astype(np.float32) for k in lengths]
    y = rng.integers(0, 2, size=n)
    input_bytes = sum(x.nbytes for x in X)
    padded_bytes = n * int(lengths.max()) * 4 * 4
    # a tiny fit first, so torch's one-off start-up allocations (thread pools,
    # kernels' scratch buffers) are not counted against the data
    SequenceClassifier(hidden_size=8, batch_size=256, max_epochs=1, random_state=0).fit(
        X[:512], y[:512]
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    SequenceClassifier(hidden_size=8, batch_size=256, max_epochs=1, random_state=0).fit(
        X, y
    )
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    growth = max(after - before, 0)
    print(
        f"[memory] fit on {n} short sequences (3-15 steps, one of 200), 4 "
        "features, 1 epoch"
    )
    print(
        f"  input {input_bytes / 2**20:.0f} MiB; one globally padded tensor "
        f"would be {padded_bytes / 2**20:.0f} MiB"
    )
    print(
        f"  peak RSS growth during fit {growth / 2**20:.0f} MiB = "
        f"{growth / input_bytes:.2f}x the input "
        f"({growth / padded_bytes:.2f}x the padded tensor)"
    )


def _grid_fit(limit):
    import distributed
    from joblib import parallel_backend
    from sklearn.model_selection import GridSearchCV

    from sklearn_seq.estimators import _threads

    X, y = make_data(400)
    grid = {"hidden_size": [32, 48], "lr": [1e-3, 3e-3]}
    original = _threads.dask_worker_threads
    if not limit:
        _threads.dask_worker_threads = lambda: None
    try:
        with (
            distributed.LocalCluster(
                n_workers=1,
                threads_per_worker=2,
                processes=False,
                dashboard_address=None,
            ) as cluster,
            distributed.Client(cluster),
            parallel_backend("dask"),
        ):
            start = time.perf_counter()
            GridSearchCV(
                SequenceClassifier(max_epochs=2, random_state=0),
                grid,
                cv=2,
                n_jobs=-1,
                refit=False,
            ).fit(X, y)
            return time.perf_counter() - start
    finally:
        _threads.dask_worker_threads = original


def bench_dask():
    t_off = _grid_fit(limit=False)
    t_on = _grid_fit(limit=True)
    t_off = min(t_off, _grid_fit(limit=False))
    t_on = min(t_on, _grid_fit(limit=True))
    print(
        f"[dask] 8 fits on one worker process with 2 task threads, "
        f"{torch.get_num_threads()} torch threads by default"
    )
    print(f"  no thread budget   {t_off:6.1f} s")
    print(f"  thread budget      {t_on:6.1f} s   ({t_off / t_on:.2f}x)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--small", action="store_true", help="a quick run (fewer samples and repeats)"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--memory",
        action="store_true",
        help="only the peak-memory check (fresh process)",
    )
    parser.add_argument("--memory-n", type=int, default=200_000)
    parser.add_argument(
        "--dask", action="store_true", help="only the Dask thread-budget comparison"
    )
    args = parser.parse_args()
    if args.memory:
        bench_memory(args.memory_n)
        return
    if args.dask:
        bench_dask()
        return
    n, epochs, repeats = (1024, 2, 2) if args.small else (8192, 3, 3)
    device = args.device
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {device}"
    )
    peak = peak_gflops(device)
    print(f"[peak] sgemm 2048^3: {peak:.0f} GFLOP/s")
    X, y = make_data(n)
    seqs = check_sequences(X)
    bench_loading(seqs, y, repeats)
    bench_fit_predict(
        X, y, seqs, epochs=epochs, repeats=repeats, device=device, peak=peak
    )
    bench_compile(repeats, device)


if __name__ == "__main__":
    main()
