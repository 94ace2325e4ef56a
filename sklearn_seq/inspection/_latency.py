# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Per-batch prediction latency percentiles."""

import time

import numpy as np

__all__ = ["measure_latency"]


def _take(X, idx):
    if isinstance(X, np.ndarray):
        return X[idx]
    return [X[i] for i in idx]


def measure_latency(
    estimator,
    X,
    *,
    batch_sizes=(1, 32, 256),
    n_repeats=50,
    n_warmup=3,
    method="predict",
    random_state=0,
):
    """Measure prediction latency percentiles (p50, p95, p99) per batch size.

    For each batch size, ``n_warmup`` untimed calls are followed by
    ``n_repeats`` timed calls of ``getattr(estimator, method)`` on batches
    drawn from ``X`` (with replacement), timed with
    :func:`time.perf_counter`. Each timing covers the whole call: input
    validation, batching, the forward pass and post-processing, which is
    what a caller waits for.

    Parameters
    ----------
    estimator : fitted estimator
        Anything with ``method`` (e.g. an estimator returned by
        :func:`sklearn_seq.export.quantize`).
    X : array-like or list of sequences
        Pool of sequences to draw batches from.
    batch_sizes : tuple of int, default=(1, 32, 256)
        Batch sizes to time.
    n_repeats : int, default=50
        Timed calls per batch size.
    n_warmup : int, default=3
        Untimed calls before timing (allocations, lazy initialisation).
    method : str, default="predict"
        Method to time, e.g. ``"predict_proba"``.
    random_state : int, default=0
        Seeds the choice of the batches.

    Returns
    -------
    latency : dict
        Maps each batch size to a dict with ``p50_ms``, ``p95_ms``,
        ``p99_ms``, ``mean_ms`` (milliseconds per call) and
        ``samples_per_s`` (batch size / mean latency).

    Notes
    -----
    Percentiles of 50 calls are rough (p99 is then the largest call but
    one); raise ``n_repeats`` for stable tails. Other processes on the
    machine and torch's thread count (``torch.set_num_threads``) change the
    figures; compare models within one run.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier
    >>> from sklearn_seq.inspection import measure_latency
    >>> X = np.random.default_rng(0).normal(size=(20, 5, 1)).astype("float32")
    >>> clf = SequenceClassifier(hidden_size=4, max_epochs=1, random_state=0)
    >>> clf.fit(X, np.arange(20) % 2)
    SequenceClassifier(...)
    >>> lat = measure_latency(clf, X, batch_sizes=(1, 8), n_repeats=5)
    >>> sorted(lat), sorted(lat[8])
    ([1, 8], ['mean_ms', 'p50_ms', 'p95_ms', 'p99_ms', 'samples_per_s'])
    """
    func = getattr(estimator, method)
    n = len(X)
    rng = np.random.default_rng(random_state)
    result = {}
    for batch_size in batch_sizes:
        batch_size = int(batch_size)
        for _ in range(n_warmup):
            func(_take(X, rng.integers(0, n, size=batch_size)))
        times = np.empty(n_repeats)
        for i in range(n_repeats):
            batch = _take(X, rng.integers(0, n, size=batch_size))
            start = time.perf_counter()
            func(batch)
            times[i] = time.perf_counter() - start
        times *= 1e3
        p50, p95, p99 = np.percentile(times, [50, 95, 99])
        mean = float(times.mean())
        result[batch_size] = {
            "p50_ms": float(p50),
            "p95_ms": float(p95),
            "p99_ms": float(p99),
            "mean_ms": mean,
            "samples_per_s": batch_size / (mean / 1e3),
        }
    return result
