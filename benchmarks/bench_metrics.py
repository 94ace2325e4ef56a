# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Ranking metrics: sklearn_seq vs scikit-learn (and trec_eval), side by side.

Usage::

    python benchmarks/bench_metrics.py                 # 1M x 100, as in the issue
    python benchmarks/bench_metrics.py --rows 100000   # smaller
    BENCH_METRICS_ROWS=100000 python benchmarks/bench_metrics.py

Prints wall times and ratios (reference time / our time, > 1 means we are
faster) and checks that the results agree.
"""

import argparse
import os
import time

import numpy as np
import sklearn.metrics as skm

from sklearn_seq.metrics import (
    mean_average_precision_score,
    ndcg_score,
    pr_auc_score,
)


def _time(func, repeat=1):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def _row(name, t_ref, t_ours, v_ref, v_ours):
    print(
        f"{name:<44} ref {t_ref:8.3f}s  ours {t_ours:8.3f}s  "
        f"ratio {t_ref / t_ours:7.1f}x  |diff| {abs(v_ref - v_ours):.1e}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, default=int(os.environ.get("BENCH_METRICS_ROWS", "1000000"))
    )
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    n, m = args.rows, args.items
    rng = np.random.default_rng(args.seed)
    print(f"{n} x {m} matrices ({n * m / 1e6:.0f}M cells)")

    rel = rng.integers(0, 4, (n, m)).astype(np.float64)
    score_tied = np.round(rng.random((n, m)), 2)  # many ties
    score = rng.random((n, m))  # no ties (with probability ~1)

    for label, s in [("ndcg@10, tied scores", score_tied), ("ndcg@10, no ties", score)]:
        t_ref, v_ref = _time(lambda s=s: skm.ndcg_score(rel, s, k=10))
        t_ours, v_ours = _time(lambda s=s: ndcg_score(rel, s, k=10))
        _row(label, t_ref, t_ours, v_ref, v_ours)

    # Average precision: sklearn's function per row is a Python loop, so it is
    # timed on a sample of rows and scaled up.
    n_ap = min(n, 2000)
    binary = (rel > 2).astype(np.float64)
    binary[:, 0] = 1  # every row has a relevant item
    t_ref, v_ref = _time(
        lambda: np.mean(
            [skm.average_precision_score(binary[i], score[i]) for i in range(n_ap)]
        )
    )
    t_ref *= n / n_ap
    t_ours, v_ours = _time(lambda: mean_average_precision_score(binary, score))
    v_check = mean_average_precision_score(binary[:n_ap], score[:n_ap])
    name = f"MAP (sklearn AP per row, x{n // n_ap} scaled)"
    _row(name, t_ref, t_ours, v_ref, v_check)

    # One big binary problem: pr_auc_score wraps sklearn, ratio ~1 expected.
    y = binary.ravel()[: n * 10]
    s1 = score.ravel()[: n * 10]
    t_ref, v_ref = _time(lambda: skm.average_precision_score(y, s1))
    t_ours, v_ours = _time(lambda: pr_auc_score(y, s1))
    _row("pr_auc (wraps average_precision_score)", t_ref, t_ours, v_ref, v_ours)

    # Grouped layout: 1M rows (or --rows) with variable query sizes.
    sizes = rng.integers(1, 200, size=max(1, n // 100))
    groups = np.repeat(np.arange(len(sizes)), sizes)
    g_rel = rng.integers(0, 3, len(groups)).astype(np.float64)
    g_score = rng.random(len(groups))
    t_ours, v_ours = _time(
        lambda: ndcg_score(g_rel, g_score, groups=groups, k=10, no_relevant="skip")
    )
    print(f"{'ndcg@10, grouped ' + str(len(groups)) + ' rows':<44} ours {t_ours:8.3f}s")
    try:
        import pytrec_eval
    except ImportError:
        return
    q_ids = [f"q{q}" for q in range(len(sizes))]
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    qrel, run = {}, {}
    for q, qname in enumerate(q_ids):
        lo, hi = offsets[q], offsets[q + 1]
        docs = [f"d{j}" for j in range(hi - lo)]
        qrel[qname] = dict(zip(docs, g_rel[lo:hi].astype(int).tolist()))
        run[qname] = dict(zip(docs, g_score[lo:hi].tolist()))
    evaluator = pytrec_eval.RelevanceEvaluator(qrel, {"ndcg_cut.10"})
    t_ref, res = _time(lambda: evaluator.evaluate(run))
    has_rel = [q for q in range(len(sizes)) if g_rel[offsets[q] : offsets[q + 1]].any()]
    v_ref = np.mean([res[q_ids[q]]["ndcg_cut_10"] for q in has_rel])
    _row("ndcg@10 grouped vs trec_eval (evaluate only)", t_ref, t_ours, v_ref, v_ours)


if __name__ == "__main__":
    main()
