"""Fit overhead of SequenceClassifier over a plain PyTorch loop (issue 18's workload).

LSTM(64) on 6,000 fixed-length sequences (50 steps, 16 features), batch 128,
Adam, 2 epochs; the plain loop trains the same ``SequenceNet`` on shuffled
tensor slices. Prints seconds per epoch (best of ``--repeats``, interleaved)
and the ratio ours / plain, measured side by side in one run (never asserted).
At 2 threads single epochs of either side vary by 10-15 % on this 2-core
machine, hence the best of 5 rounds.

Usage: ``python benchmarks/bench_overhead.py [--threads N] [--repeats R]``
(defaults 2 and 5).
"""

import argparse
import time

import numpy as np
import torch
from torch import nn

from sklearn_seq import SequenceClassifier
from sklearn_seq.nn import SequenceNet

N, T, F, BATCH, EPOCHS = 6000, 50, 16, 128, 2


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(N, T, F)).astype(np.float32)
    y = (X[:, -1, 0] > 0).astype(np.int64)

    def ours():
        clf = SequenceClassifier(
            hidden_size=64, batch_size=BATCH, max_epochs=EPOCHS, random_state=0
        )
        tic = time.perf_counter()
        clf.fit(X, y)
        return (time.perf_counter() - tic) / EPOCHS

    def plain():
        torch.manual_seed(0)
        module = SequenceNet(F, 2, cell="lstm", hidden_size=64)
        opt = torch.optim.Adam(module.parameters(), lr=1e-3)
        loss_fn = nn.CrossEntropyLoss()
        Xt, yt, lengths = torch.from_numpy(X), torch.from_numpy(y), torch.full((N,), T)
        gen = torch.Generator().manual_seed(0)
        module.train()
        tic = time.perf_counter()
        for _ in range(EPOCHS):
            perm = torch.randperm(N, generator=gen)
            for i in range(0, N, BATCH):
                idx = perm[i : i + BATCH]
                opt.zero_grad()
                loss_fn(module(Xt[idx], lengths[idx]), yt[idx]).backward()
                opt.step()
        return (time.perf_counter() - tic) / EPOCHS

    ours(), plain()  # warm-up
    times = {"ours": [], "plain": []}
    for _ in range(args.repeats):
        times["plain"].append(plain())
        times["ours"].append(ours())
    p, o = min(times["plain"]), min(times["ours"])
    print(
        f"threads={args.threads}: plain {p:.3f} s/epoch, ours {o:.3f} s/epoch, "
        f"ratio {o / p:.3f} (target <= 1.05)"
    )


if __name__ == "__main__":
    main()
