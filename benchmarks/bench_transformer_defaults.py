"""Transformer defaults: old (post-norm, last step) vs new (pre-norm, mean).

The task: 12 steps of 3 Gaussian features, the label is ``X[:, 3, 0] > 0`` (a
step far from the end, which the last step's output has to find by
attention). 240 training series per seed (drawn from the seed), scored on
5,000 fresh series. ``SequenceClassifier(cell="transformer",
hidden_size=32, lr=3e-3, max_epochs=15, batch_size=32)`` with

- ``old``: the previous defaults, post-norm layers pooled at the last step
  (rebuilt here by swapping in a post-norm subclass of the encoder);
- ``new``: the current defaults (pre-norm with a final layer norm, mean
  pooling);
- ``twin``: a plain PyTorch loop, ``torch.nn.TransformerEncoder`` (pre-norm,
  final ``LayerNorm``) on a linear projection plus sinusoidal positions, mean
  over steps, a linear head, Adam, the same data, epochs, batch size and
  seeds.

Prints mean +- sd of the accuracy per arm (never asserted in tests).

Usage: ``python benchmarks/bench_transformer_defaults.py [--quick] [--seeds N]``
(``--quick``: 5 seeds, about a minute; default 20 seeds).
"""

import argparse
import contextlib
import time

import numpy as np
import torch
from torch import nn

import sklearn_seq.nn.transformer as tr
from sklearn_seq import SequenceClassifier

N_TRAIN, N_TEST, STEPS, FEATURES, AT = 240, 5000, 12, 3, 3
HIDDEN, EPOCHS, LR, BATCH = 32, 15, 3e-3, 32


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, STEPS, FEATURES)).astype(np.float32)
    return X, (X[:, AT, 0] > 0).astype(np.int64)


class _PostNormLast(tr.TransformerSequenceEncoder):
    """The encoder as it was: post-norm layers, pooled at the last step."""

    default_pooling = "last"

    def __init__(self, *args, **kwargs):
        kwargs["norm_first"] = False
        super().__init__(*args, **kwargs)


@contextlib.contextmanager
def old_defaults():
    # make_encoder imports the class from the module at call time
    original = tr.TransformerSequenceEncoder
    tr.TransformerSequenceEncoder = _PostNormLast
    try:
        yield
    finally:
        tr.TransformerSequenceEncoder = original


def fit_ours(X, y, seed):
    return SequenceClassifier(
        cell="transformer",
        hidden_size=HIDDEN,
        lr=LR,
        max_epochs=EPOCHS,
        batch_size=BATCH,
        random_state=seed,
    ).fit(X, y)


class Twin(nn.Module):
    """Plain pre-norm, mean-pooled transformer classifier."""

    def __init__(self, n_features, d_model, n_classes, nhead=4):
        super().__init__()
        self.proj = nn.Linear(n_features, d_model)
        position = torch.arange(512, dtype=torch.float64).unsqueeze(1)
        freq = torch.exp(
            torch.arange(0, d_model, 2, dtype=torch.float64) * (-np.log(1e4) / d_model)
        )
        pe = torch.zeros(512, d_model, dtype=torch.float64)
        pe[:, 0::2] = torch.sin(position * freq)
        pe[:, 1::2] = torch.cos(position * freq)
        self.register_buffer("pe", pe.float().unsqueeze(0))
        layer = nn.TransformerEncoderLayer(
            d_model,
            nhead,
            dim_feedforward=2 * d_model,
            dropout=0.0,
            batch_first=True,
            norm_first=True,
        )
        self.encoder = nn.TransformerEncoder(
            layer, 1, norm=nn.LayerNorm(d_model), enable_nested_tensor=False
        )
        self.head = nn.Linear(d_model, n_classes)

    def forward(self, x):
        h = self.proj(x) + self.pe[:, : x.shape[1]]
        return self.head(self.encoder(h).mean(dim=1))


def fit_twin(X, y, seed):
    torch.manual_seed(seed)
    model = Twin(FEATURES, HIDDEN, 2)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.CrossEntropyLoss()
    X, y = torch.from_numpy(X), torch.from_numpy(y)
    g = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(EPOCHS):
        perm = torch.randperm(len(X), generator=g)
        for i in range(0, len(X), BATCH):
            idx = perm[i : i + BATCH]
            opt.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            opt.step()
    model.eval()
    return model


def score_twin(model, X, y):
    with torch.no_grad():
        return float((model(torch.from_numpy(X)).argmax(1).numpy() == y).mean())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 seeds")
    parser.add_argument("--seeds", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    n_seeds = args.seeds or (5 if args.quick else 20)
    X_test, y_test = make_data(N_TEST, 10_000)
    scores = {"old": [], "new": [], "twin": []}
    start = time.perf_counter()
    for seed in range(n_seeds):
        X, y = make_data(N_TRAIN, seed)
        with old_defaults():
            old = fit_ours(X, y, seed)
        assert old.net_.module_.pooling.mode == "last"
        scores["old"].append(old.score(X_test, y_test))
        new = fit_ours(X, y, seed)
        assert new.net_.module_.pooling.mode == "mean"
        scores["new"].append(new.score(X_test, y_test))
        scores["twin"].append(score_twin(fit_twin(X, y, seed), X_test, y_test))
        print(
            f"seed {seed:2d}: "
            + "  ".join(f"{k} {v[-1]:.3f}" for k, v in scores.items()),
            flush=True,
        )
    print(
        f"\n{n_seeds} seeds, label at step {AT} of {STEPS}, {N_TRAIN} train, "
        f"{N_TEST} test, hidden {HIDDEN}, {EPOCHS} epochs, lr {LR} "
        f"({time.perf_counter() - start:.0f} s)"
    )
    names = {
        "old": "old defaults (post-norm, last)",
        "new": "new defaults (pre-norm, mean)",
        "twin": "plain PyTorch twin (pre-norm, mean)",
    }
    for key, values in scores.items():
        print(f"  {names[key]:38s} {np.mean(values):.3f} +- {np.std(values):.3f}")


if __name__ == "__main__":
    main()
