"""Helpers shared by the test modules: fast settings and small data builders.

Test modules import them with ``from conftest import FAST, make_ragged``: the
tests directory is on ``pythonpath`` (``[tool.pytest.ini_options]`` in
pyproject.toml). Test-wide settings (one torch thread) live in the conftest.py
at the repository root.
"""

import numpy as np

#: estimator settings for tiny, quick fits; ``fast(...)`` changes a few of them
FAST = {"hidden_size": 8, "max_epochs": 2, "batch_size": 16, "random_state": 0}


def fast(**params):
    """Return a copy of ``FAST`` with ``params`` changed or added."""
    return {**FAST, **params}


def make_ragged(n, n_features=2, *, lengths=(3, 9), seed=0):
    """Return ``n`` float32 sequences of ``n_features`` standard normal values.

    The lengths are drawn uniformly from ``range(*lengths)``.
    """
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=(int(t), n_features)).astype(np.float32)
        for t in rng.integers(*lengths, size=n)
    ]


def make_ragged_xy(n, n_features=2, *, lengths=(3, 9), seed=0, labels=(0, 1)):
    """Return ``make_ragged(...)`` and binary labels.

    A sequence is labelled ``labels[1]`` when its first feature sums above 0,
    ``labels[0]`` otherwise.
    """
    X = make_ragged(n, n_features, lengths=lengths, seed=seed)
    y = np.array([labels[int(x[:, 0].sum() > 0)] for x in X])
    return X, y


def ragged_batch(lengths, n_features=2, *, seed=0, pad_value=0.0):
    """Return torch sequences of ``lengths``, their padded batch and lengths."""
    import torch

    g = torch.Generator().manual_seed(seed)
    seqs = [torch.randn(n, n_features, generator=g) for n in lengths]
    x = torch.nn.utils.rnn.pad_sequence(seqs, batch_first=True, padding_value=pad_value)
    return seqs, x, torch.tensor(lengths)
