# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Ranking metrics: PR-AUC, NDCG, MAP, MRR and recall@k.

Functions named as ``*_score`` return a scalar value to maximize: the higher
the better.

The query metrics (:func:`ndcg_score`, :func:`mean_average_precision_score`,
:func:`mean_reciprocal_rank_score`, :func:`recall_at_k_score`) accept three
layouts:

(a) class labels ``y_true`` of shape ``(n_samples,)`` and a score matrix of
    shape ``(n_samples, n_classes)``: one query per sample, whose only relevant
    item is the true class (next-item recommendation). Computed in
    ``O(n_samples * n_classes)`` without sorting.
(b) a relevance matrix and a score matrix, both ``(n_queries, n_items)``
    (the layout of :func:`sklearn.metrics.ndcg_score`).
(c) flat arrays ``y_true`` and ``y_score`` of shape ``(n_rows,)`` plus
    ``groups`` (one query id per row).

Layouts (b) and (c) sort the scores of each query once (row-wise, vectorised,
in blocks of rows) and derive every metric from that one sort.

Relevant items a ranking did not retrieve: give them the score ``-inf``
(with their relevance in ``y_true``). They are never credited at any rank but
count in the ideal ranking: in the number ``R`` of relevant items that MAP and
recall divide by, and in the ideal DCG. This is trec_eval's convention for a
judged document missing from the run. ``NaN`` and ``+inf`` scores are
refused.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import auc, average_precision_score, precision_recall_curve
from sklearn.utils import check_array, check_consistent_length, column_or_1d
from sklearn.utils.multiclass import type_of_target

from sklearn_seq.metrics._validation import (
    IntervalNotBool,
    check_metric_sample_weight,
)
from sklearn_seq.utils._param_validation import (
    StrOptions,
    validate_params,
)

# Cells per block of rows: 2**21 float64 cells are 16 MiB per array, which
# keeps the temporaries of one block in cache-friendly sizes.
_BLOCK_CELLS = 2**21

_COMMON_CONSTRAINTS = {
    "y_true": ["array-like"],
    "y_score": ["array-like"],
    "k": [IntervalNotBool(Integral, 1, None, closed="left"), None],
    "groups": ["array-like", None],
    "labels": ["array-like", None],
    "ties": [StrOptions({"average", "pessimistic", "optimistic"})],
    "no_relevant": [StrOptions({"zero", "skip", "raise"})],
    "sample_weight": ["array-like", None],
}


# ---------------------------------------------------------------------------
# PR-AUC
# ---------------------------------------------------------------------------


def _binary_trapezoid(y_true, y_score, sample_weight, pos_label=1):
    precision, recall, _ = precision_recall_curve(
        y_true, y_score, pos_label=pos_label, sample_weight=sample_weight
    )
    # No positive (by weight): precision_recall_curve has warned "No positive
    # class found in y_true" and set recall to 1, which would give an area of
    # 0.5; the area is 0 as for average_precision_score (method="step").
    positive = np.asarray(y_true) == pos_label
    weight = np.ones(len(positive)) if sample_weight is None else sample_weight
    if not np.any(weight[positive] > 0):
        return 0.0
    return auc(recall, precision)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_score": ["array-like"],
        "average": [StrOptions({"micro", "macro", "weighted", "samples"}), None],
        "pos_label": [Real, str, "boolean"],
        "labels": ["array-like", None],
        "method": [StrOptions({"step", "trapezoid"})],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def pr_auc_score(
    y_true,
    y_score,
    *,
    average="macro",
    pos_label=1,
    labels=None,
    method="step",
    sample_weight=None,
):
    """Area under the precision-recall curve.

    With ``method='step'`` (default) this is
    :func:`sklearn.metrics.average_precision_score`, the step-wise sum
    ``sum_n (R_n - R_{n-1}) P_n``, which is not optimistic. With
    ``method='trapezoid'`` the precision-recall points are joined by straight
    lines (:func:`sklearn.metrics.auc`), which interpolates linearly between
    operating points and can overestimate the area.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_samples, n_classes)
        Binary labels, multiclass labels (scored one-vs-rest against the
        columns of ``y_score``) or a multilabel indicator matrix.

    y_score : array-like of shape (n_samples,) or (n_samples, n_classes)
        Scores: probabilities or decision values. A 1-D array (or a single
        column) for binary ``y_true``.

    average : {"micro", "macro", "weighted", "samples"} or None, \
            default="macro"
        Averaging over classes for multiclass and multilabel targets; ignored
        for binary targets. ``None`` returns one score per class.
        ``"samples"`` needs ``method='step'``.

    pos_label : int, float, bool or str, default=1
        The positive class of a binary ``y_true`` with 1-D scores. Fixed to 1
        otherwise: another value raises a ``ValueError``, as in
        :func:`sklearn.metrics.average_precision_score`.

    labels : array-like of shape (n_classes,), default=None
        The class of each column of ``y_score`` for multiclass ``y_true``
        (for an estimator: ``classes_``). ``None`` uses the sorted unique
        values of ``y_true``.

    method : {"step", "trapezoid"}, default="step"
        How the area is computed, see above. A class without positive
        samples scores 0 with both methods (with scikit-learn's "No positive
        class found" warning).

    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights: finite, non-negative, not all zero.

    Returns
    -------
    score : float or ndarray of shape (n_classes,)
        The area under the precision-recall curve.

    See Also
    --------
    sklearn.metrics.average_precision_score : The step-wise area.

    Examples
    --------
    >>> from sklearn_seq.metrics import pr_auc_score
    >>> y_true = [0, 0, 1, 1]
    >>> y_score = [0.1, 0.4, 0.35, 0.8]
    >>> float(pr_auc_score(y_true, y_score))
    0.83...
    >>> float(pr_auc_score(y_true, y_score, method="trapezoid"))
    0.79...
    >>> y_true = ["cat", "dog", "dog", "fish"]
    >>> y_score = [[0.7, 0.2, 0.1], [0.2, 0.7, 0.1], [0.6, 0.2, 0.2],
    ...            [0.1, 0.2, 0.7]]
    >>> float(pr_auc_score(y_true, y_score, labels=["cat", "dog", "fish"]))
    0.916...
    """
    y_type = type_of_target(y_true, input_name="y_true")
    y_score = check_array(y_score, ensure_2d=False, input_name="y_score")
    if y_type == "binary" and y_score.ndim == 2 and y_score.shape[1] == 1:
        y_score = column_or_1d(y_score)  # a column of scores, as sklearn
    check_consistent_length(y_true, y_score, sample_weight)
    sample_weight = check_metric_sample_weight(sample_weight, len(y_score))
    multi = y_type in ("multiclass", "multilabel-indicator")
    if (multi or (y_type == "binary" and y_score.ndim == 2)) and pos_label != 1:
        what = f"{y_type} y_true" if y_type != "binary" else "a 2-D y_score"
        raise ValueError(
            f"Parameter pos_label is fixed to 1 for {what}. Do not set "
            "pos_label or set pos_label to 1."
        )
    if y_type == "binary" and y_score.ndim == 1:
        y_true = column_or_1d(y_true)
        if method == "step":
            return float(
                average_precision_score(
                    y_true, y_score, pos_label=pos_label, sample_weight=sample_weight
                )
            )
        return float(_binary_trapezoid(y_true, y_score, sample_weight, pos_label))
    if y_score.ndim != 2:
        raise ValueError(
            f"y_score must be 2-D for a {y_type} y_true; got shape {y_score.shape}."
        )
    if y_type in ("binary", "multiclass"):
        y_true = column_or_1d(y_true)
        classes = np.unique(y_true) if labels is None else np.asarray(labels)
        if len(classes) != y_score.shape[1]:
            raise ValueError(
                f"y_score has {y_score.shape[1]} columns but there are "
                f"{len(classes)} labels; pass `labels` (the estimator's classes_)."
            )
        unknown = np.setdiff1d(y_true, classes)
        if unknown.size:
            raise ValueError(f"y_true has labels not in `labels`: {unknown[:5]}.")
        # One-vs-rest indicator (label_binarize would keep one column for
        # two classes).
        y_bin = (y_true[:, None] == classes[None, :]).astype(int)
    elif y_type == "multilabel-indicator":
        y_bin = check_array(y_true, input_name="y_true")
    else:
        raise ValueError(f"pr_auc_score does not support a {y_type} y_true.")
    if y_bin.shape != y_score.shape:
        raise ValueError(
            f"y_true and y_score shapes differ: {y_bin.shape} vs {y_score.shape}."
        )
    if method == "step":
        score = average_precision_score(
            y_bin, y_score, average=average, sample_weight=sample_weight
        )
        return score if average is None else float(score)
    if average == "samples":
        raise ValueError("average='samples' is only supported with method='step'.")
    if average == "micro":
        sw = None if sample_weight is None else np.repeat(sample_weight, y_bin.shape[1])
        return float(_binary_trapezoid(y_bin.ravel(), y_score.ravel(), sw))
    per_class = np.array(
        [
            _binary_trapezoid(y_bin[:, j], y_score[:, j], sample_weight)
            for j in range(y_bin.shape[1])
        ]
    )
    if average is None:
        return per_class
    weights = None
    if average == "weighted":
        sw = np.ones(len(y_bin)) if sample_weight is None else sample_weight
        weights = (y_bin * sw[:, None]).sum(axis=0)
        if weights.sum() == 0:
            return 0.0  # no positive at all: average_precision_score's rule
    return float(np.average(per_class, weights=weights))


# ---------------------------------------------------------------------------
# Query metrics: input checking
# ---------------------------------------------------------------------------


def _label_columns(y_true, labels, n_classes):
    """Map class labels to the columns of the score matrix."""
    y_true = column_or_1d(y_true)
    if labels is None:
        if not np.issubdtype(y_true.dtype, np.integer):
            if np.issubdtype(y_true.dtype, np.floating) and np.all(
                np.mod(y_true, 1) == 0
            ):
                y_true = y_true.astype(np.int64)
            else:
                raise ValueError(
                    "y_true holds class labels that are not column indices; "
                    "pass `labels` (the estimator's classes_) to map them to "
                    "the columns of y_score."
                )
        cols = y_true.astype(np.intp)
        if cols.size and (cols.min() < 0 or cols.max() >= n_classes):
            raise ValueError(
                f"y_true must be column indices in [0, {n_classes}) when "
                "`labels` is None."
            )
        return cols
    labels = column_or_1d(labels)
    if len(labels) != n_classes:
        raise ValueError(
            f"`labels` has {len(labels)} entries but y_score has {n_classes} columns."
        )
    sorter = np.argsort(labels, kind="stable")
    sorted_labels = labels[sorter]
    if np.any(sorted_labels[1:] == sorted_labels[:-1]):
        raise ValueError("`labels` must be unique.")
    pos = np.searchsorted(sorted_labels, y_true)
    pos_clip = np.minimum(pos, len(labels) - 1)
    bad = sorted_labels[pos_clip] != y_true
    if np.any(bad):
        raise ValueError(f"y_true has labels not in `labels`: {y_true[bad][:5]}.")
    return sorter[pos_clip]


def _check_scores(y_score):
    """2-D or 1-D float scores: finite, or -inf for an item not retrieved."""
    y_score = check_array(
        y_score, ensure_2d=False, ensure_all_finite=False, input_name="y_score"
    )
    if y_score.dtype.kind != "f":
        y_score = y_score.astype(np.float64)
    if np.isnan(y_score).any():
        raise ValueError("Input y_score contains NaN.")
    if np.isposinf(y_score).any():
        raise ValueError(
            "Input y_score contains +inf. Scores must be finite, or -inf for "
            "an item the ranking did not retrieve."
        )
    return y_score


_is_missing_id = np.frompyfunc(
    lambda g: g is None or (isinstance(g, Real) and math.isnan(g)), 1, 1
)


def _check_groups(groups):
    """Query ids of the rows; NaN (or None) ids are refused."""
    groups = column_or_1d(groups)
    if groups.dtype.kind in "fc":
        missing = np.isnan(groups)
    elif groups.dtype == object:
        missing = _is_missing_id(groups).astype(bool)
    else:
        missing = np.zeros(len(groups), dtype=bool)
    if np.any(missing):
        raise ValueError(
            f"Input groups contains NaN or None ({int(missing.sum())} rows): "
            "every row needs a query id (rows with a missing id would all be "
            "merged into one query)."
        )
    return groups


def _check_query_input(y_true, y_score, groups, labels, sample_weight):
    """Detect the layout and validate the inputs.

    Returns
    -------
    layout : {"labels", "matrix", "groups"}
    y_true, y_score : ndarray
    groups : ndarray of int query codes or None
    sample_weight : ndarray of shape (n_queries,) or None
    """
    y_score = _check_scores(y_score)
    if y_score.ndim == 2 and groups is None:
        y_true_arr = np.asarray(y_true)
        if y_true_arr.ndim == 1:
            check_consistent_length(y_true_arr, y_score, sample_weight)
            cols = _label_columns(y_true_arr, labels, y_score.shape[1])
            layout = "labels"
            y_true = cols
        else:
            y_true = check_array(y_true, input_name="y_true")
            if y_true.shape != y_score.shape:
                raise ValueError(
                    "y_true and y_score must have the same shape; got "
                    f"{y_true.shape} and {y_score.shape}."
                )
            check_consistent_length(y_true, sample_weight)
            layout = "matrix"
    elif y_score.ndim == 1:
        if groups is None:
            raise ValueError(
                "A 1-D y_score needs `groups` (one query id per row). In a "
                "scorer used by GridSearchCV or cross_validate, `groups` only "
                "reaches the metric through metadata routing: enable it with "
                "sklearn.set_config(enable_metadata_routing=True)."
            )
        y_true = column_or_1d(check_array(y_true, ensure_2d=False, input_name="y_true"))
        groups = _check_groups(groups)
        check_consistent_length(y_true, y_score, groups, sample_weight)
        layout = "groups"
        _, groups = np.unique(groups, return_inverse=True)
        groups = groups.ravel()
    else:
        raise ValueError(
            "Expected a 2-D y_score (layouts a and b) or a 1-D y_score with "
            f"groups (layout c); got y_score of shape {y_score.shape} and "
            f"groups={'None' if groups is None else 'given'}."
        )
    if layout != "labels":
        y_true = np.asarray(y_true, dtype=np.float64)
        if np.any(y_true < 0):
            raise ValueError("Relevance scores in y_true must be non-negative.")
    sample_weight = check_metric_sample_weight(sample_weight, len(y_score))
    if sample_weight is not None and layout == "groups":
        n_q = groups.max() + 1 if groups.size else 0
        w = np.zeros(n_q)
        w[groups] = sample_weight
        if not np.array_equal(w[groups], sample_weight):
            raise ValueError(
                "With `groups`, sample_weight must be constant within each "
                "query (it weights queries, not rows)."
            )
        sample_weight = w
    return layout, y_true, y_score, groups, sample_weight


# ---------------------------------------------------------------------------
# Query metrics: layout (a), class labels, O(n * C) without sorting
# ---------------------------------------------------------------------------


def _label_layout_metrics(cols, y_score, k, ties, metrics):
    n, n_classes = y_score.shape
    kk = n_classes if k is None else min(k, n_classes)
    greater = np.empty(n, dtype=np.int64)
    equal = np.empty(n, dtype=np.int64)
    step = max(1, _BLOCK_CELLS // max(n_classes, 1))
    for start in range(0, n, step):
        block = y_score[start : start + step]
        true_score = block[np.arange(len(block)), cols[start : start + step]]
        greater[start : start + step] = np.count_nonzero(
            block > true_score[:, None], axis=1
        )
        equal[start : start + step] = np.count_nonzero(
            block == true_score[:, None], axis=1
        )
    pos = np.arange(n_classes + 1, dtype=np.float64)  # positions 0..C
    in_k = pos <= kk
    # Prefix sums over positions 1..p of the per-position value, cut at k.
    disc = np.zeros(n_classes + 1)
    disc[1:] = 1.0 / np.log2(pos[1:] + 1.0)
    recip = np.zeros(n_classes + 1)
    recip[1:] = 1.0 / pos[1:]
    prefix_disc = np.cumsum(disc * in_k)
    prefix_recip = np.cumsum(recip * in_k)
    prefix_hit = np.cumsum(in_k.astype(np.float64) * (pos > 0))
    out = {}
    if ties == "average":
        lo, hi = greater, greater + equal
        out["ndcg"] = (prefix_disc[hi] - prefix_disc[lo]) / equal
        out["recall"] = (prefix_hit[hi] - prefix_hit[lo]) / equal
        out["rr"] = (prefix_recip[hi] - prefix_recip[lo]) / equal
        # sklearn's average precision: the tied block is one threshold.
        frac = (np.minimum(hi, kk) - np.minimum(lo, kk)) / equal
        end = np.minimum(hi, kk).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            out["ap"] = np.where(frac > 0, frac * frac / end, 0.0)
    else:
        rank = greater + 1 if ties == "optimistic" else greater + equal
        hit = rank <= kk
        out["ndcg"] = np.where(hit, disc[rank], 0.0)
        out["recall"] = hit.astype(np.float64)
        out["rr"] = np.where(hit, recip[rank], 0.0)
        out["ap"] = out["rr"]
    missed = np.isneginf(y_score[np.arange(n), cols])
    if np.any(missed):  # the true item was not retrieved: a miss
        for m in ("ndcg", "recall", "rr", "ap"):
            out[m] = np.where(missed, 0.0, out[m])
    out["n_relevant"] = np.ones(n)
    return {m: out[m] for m in [*metrics, "n_relevant"]}


# ---------------------------------------------------------------------------
# Query metrics: layouts (b) and (c), one row-wise sort per block
# ---------------------------------------------------------------------------


def _gain(rel, gain):
    return np.exp2(rel) - 1.0 if gain == "exponential" else rel


def _block_stats(starts, *values):
    """Per-cell size and sums of the tied block (run) each cell belongs to.

    ``starts`` flags the first cell of each run along the rows; each of
    ``values`` is summed over the run and broadcast back to its cells.
    """
    gid = np.cumsum(starts.ravel(), dtype=np.intp) - 1
    counts = np.bincount(gid)
    out = [counts[gid].reshape(starts.shape).astype(np.float64)]
    for v in values:
        out.append(np.bincount(gid, weights=v.ravel())[gid].reshape(starts.shape))
    return out


def _expected_rr(first_pos, size, n_rel, kk):
    """E[1 / rank] of the first relevant item in a tied block.

    The block starts after ``first_pos`` items and holds ``size`` items of
    which ``n_rel`` are relevant, in uniformly random order. Ranks beyond
    ``kk`` count 0.
    """
    out = np.zeros(len(first_pos))
    prob = n_rel / size  # P(first relevant at offset 1)
    alive = np.ones(len(first_pos), dtype=bool)
    j = 1
    max_j = int((size - n_rel).max()) + 1 if len(size) else 0
    while j <= max_j:
        rank = first_pos + j
        alive &= j <= size - n_rel + 1
        out += np.where(alive & (rank <= kk), prob / rank, 0.0)
        # P(J = j + 1) = P(J = j) * (size - n_rel - j + 1) / (size - j)
        with np.errstate(invalid="ignore", divide="ignore"):
            prob = np.where(size - j > 0, prob * (size - n_rel - j + 1) / (size - j), 0)
        j += 1
    return out


def _sorted_block_metrics(rel, score, k, gain, ties, metrics):
    """Per-query metrics of one block of rows, from one row-wise sort.

    Only the first ``k`` sorted positions are gathered. With
    ``ties="average"`` the tied blocks are found among them, and the block
    cut by position ``k`` gets its size and sums from the whole row.
    """
    n, m = rel.shape
    kk = m if k is None else min(k, m)
    # Items scored -inf were not retrieved: they count in the ideal ranking
    # (IDCG, the number R of relevant items) but never in the ranking itself.
    # They sort last, where their relevance is set to 0 (trec_eval's view of
    # a judged document missing from the run).
    not_retrieved = np.isneginf(score)
    rel_ret = np.where(not_retrieved, 0.0, rel) if not_retrieved.any() else rel
    if ties == "average":
        order = np.argsort(-score, axis=1)
    elif ties == "pessimistic":
        order = np.lexsort((rel_ret, -score), axis=1)
    else:
        order = np.lexsort((-rel_ret, -score), axis=1)
    flat = (order[:, :kk] + (np.arange(n) * m)[:, None]).ravel()
    s_sorted = score.ravel()[flat].reshape(n, kk)
    r_sorted = rel_ret.ravel()[flat].reshape(n, kk)
    hits = (r_sorted > 0).astype(np.float64)
    n_rel = np.count_nonzero(rel > 0, axis=1).astype(np.float64)
    g_sorted = _gain(r_sorted, gain)
    starts = np.ones((n, kk), dtype=bool)
    starts[:, 1:] = s_sorted[:, 1:] != s_sorted[:, :-1]
    any_ties = ties == "average" and not starts.all()
    if ties == "average" and kk < m:
        kth = s_sorted[:, kk - 1]
        cut = np.flatnonzero(score.ravel()[order[:, kk] + np.arange(n) * m] == kth)
        any_ties = any_ties or cut.size > 0
    if any_ties:
        size, g_sum, h_sum = _block_stats(starts, g_sorted, hits)
        if kk < m and cut.size:
            # The block cut by k: size and sums over the whole row.
            in_block = score[cut] == kth[cut, None]
            full_size = in_block.sum(axis=1).astype(np.float64)
            full_g = (_gain(rel_ret[cut], gain) * in_block).sum(axis=1)
            full_h = ((rel_ret[cut] > 0) * in_block).sum(axis=1).astype(np.float64)
            last = s_sorted[cut] == kth[cut, None]
            rows = np.broadcast_to(np.arange(len(cut))[:, None], last.shape)[last]
            size[cut[rows], np.nonzero(last)[1]] = full_size[rows]
            g_sum[cut[rows], np.nonzero(last)[1]] = full_g[rows]
            h_sum[cut[rows], np.nonzero(last)[1]] = full_h[rows]
        g_eff, h_eff = g_sum / size, h_sum / size
    else:
        g_eff, h_eff = g_sorted, hits
    out = {"n_relevant": n_rel}
    pos = np.arange(1, kk + 1, dtype=np.float64)
    if "ndcg" in metrics:
        disc = 1.0 / np.log2(pos + 1.0)
        dcg = g_eff @ disc
        if np.all((rel == 0) | (rel == 1)):
            prefix = np.concatenate([[0.0], np.cumsum(disc)])
            idcg = prefix[np.minimum(n_rel, kk).astype(np.intp)]
        else:
            ideal = -np.sort(-_gain(rel, gain), axis=1)[:, :kk]
            idcg = ideal @ disc
        out["ndcg"] = np.where(idcg > 0, dcg / np.where(idcg > 0, idcg, 1), 0.0)
    safe_rel = np.where(n_rel > 0, n_rel, 1)
    if "recall" in metrics:
        out["recall"] = h_eff.sum(axis=1) / safe_rel
    if "ap" in metrics:
        prec = np.cumsum(h_eff, axis=1) / pos
        if any_ties:
            # sklearn's convention: a tied block is one threshold, scored
            # with the precision at its last position (or at k).
            gid = np.cumsum(starts.ravel(), dtype=np.intp) - 1
            last = np.cumsum(np.bincount(gid)) - 1
            prec = prec.ravel()[last][gid].reshape(prec.shape)
        out["ap"] = (h_eff * prec).sum(axis=1) / safe_rel
    if "rr" in metrics:
        has = h_eff.any(axis=1) if kk else np.zeros(n, dtype=bool)
        first = np.argmax(h_eff > 0, axis=1)
        if not any_ties:
            out["rr"] = np.where(has, 1.0 / (first + 1.0), 0.0)
        else:
            idx = (np.arange(n), first)
            out["rr"] = np.where(
                has,
                _expected_rr(
                    first.astype(np.float64), size[idx], np.rint(h_sum[idx]), kk
                ),
                0.0,
            )
    return out


def _matrix_layout_metrics(rel, score, k, gain, ties, metrics):
    n, m = rel.shape
    step = max(1, _BLOCK_CELLS // max(m, 1))
    parts = [
        _sorted_block_metrics(
            rel[i : i + step], score[i : i + step], k, gain, ties, metrics
        )
        for i in range(0, n, step)
    ]
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def _group_layout_metrics(rel, score, codes, k, gain, ties, metrics):
    """Layout (c): pad queries of similar size together (size buckets)."""
    n_q = codes.max() + 1
    sizes = np.bincount(codes, minlength=n_q)
    order = np.argsort(codes, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pos_in_q = np.arange(len(codes)) - offsets[codes[order]]
    # Bucket b holds queries of size in (2**(b-1), 2**b]: padding < 2x.
    bucket = np.ceil(np.log2(np.maximum(sizes, 1))).astype(np.intp)
    out = {key: np.zeros(n_q) for key in [*metrics, "n_relevant"]}
    q_of_row = codes[order]
    for b in np.unique(bucket):
        qs = np.flatnonzero(bucket == b)
        width = int(sizes[qs].max())
        row_in_bucket = np.full(n_q, -1, dtype=np.intp)
        row_in_bucket[qs] = np.arange(len(qs))
        sel = row_in_bucket[q_of_row] >= 0
        r_idx = row_in_bucket[q_of_row[sel]]
        c_idx = pos_in_q[sel]
        rel_b = np.zeros((len(qs), width))
        score_b = np.full((len(qs), width), -np.inf)
        rel_b[r_idx, c_idx] = rel[order[sel]]
        score_b[r_idx, c_idx] = score[order[sel]]
        res = _matrix_layout_metrics(rel_b, score_b, k, gain, ties, metrics)
        for key, values in out.items():
            values[qs] = res[key]
    return out


def _query_metrics(
    y_true, y_score, *, metrics, k, groups, labels, gain, ties, sample_weight
):
    layout, y_true, y_score, groups, sample_weight = _check_query_input(
        y_true, y_score, groups, labels, sample_weight
    )
    if "ndcg" in metrics and layout != "groups" and y_score.shape[1] <= 1:
        # sklearn's rule for its (n_queries, n_items) layout. Layout (c) keeps
        # single-row queries, as trec_eval does (a query may retrieve one
        # document).
        raise ValueError(
            "Computing NDCG is only meaningful when there is more than 1 "
            f"document. Got {y_score.shape[1]} instead."
        )
    if layout == "labels":
        res = _label_layout_metrics(y_true, y_score, k, ties, metrics)
    elif layout == "matrix":
        res = _matrix_layout_metrics(y_true, y_score, k, gain, ties, metrics)
    else:
        res = _group_layout_metrics(y_true, y_score, groups, k, gain, ties, metrics)
    return res, sample_weight


def _average_queries(values, n_relevant, sample_weight, no_relevant, name):
    empty = n_relevant == 0
    if np.any(empty):
        if no_relevant == "raise":
            raise ValueError(
                f"{int(empty.sum())} queries have no relevant item; {name} is "
                "undefined for them. Use no_relevant='zero' or 'skip'."
            )
        if no_relevant == "zero":
            warnings.warn(
                f"{int(empty.sum())} queries have no relevant item; they count "
                f"as {name} = 0 (no_relevant='zero'). Use no_relevant='skip' "
                "to leave them out.",
                UndefinedMetricWarning,
                stacklevel=3,
            )
            values = np.where(empty, 0.0, values)
        else:
            keep = ~empty
            values = values[keep]
            if sample_weight is not None:
                sample_weight = sample_weight[keep]
    if values.size == 0 or (sample_weight is not None and sample_weight.sum() == 0):
        warnings.warn(
            f"No query left to average; {name} is undefined.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return float("nan")
    return float(np.average(values, weights=sample_weight))


@validate_params(
    {**_COMMON_CONSTRAINTS, "gain": [StrOptions({"linear", "exponential"})]},
    prefer_skip_nested_validation=True,
)
def ndcg_score(
    y_true,
    y_score,
    *,
    k=None,
    groups=None,
    labels=None,
    gain="linear",
    ties="average",
    no_relevant="zero",
    sample_weight=None,
):
    """Normalized Discounted Cumulative Gain, averaged over queries.

    ``DCG@k = sum_{i <= k} gain(rel_i) / log2(i + 1)`` over the items ranked
    by decreasing score, divided by the DCG of the ideal ranking.

    Three layouts: (a) class labels ``y_true`` of shape ``(n_samples,)`` and
    scores ``(n_samples, n_classes)``, the true class being the only relevant
    item; (b) relevance and scores of shape ``(n_queries, n_items)``, as
    :func:`sklearn.metrics.ndcg_score`; (c) flat ``y_true``, ``y_score`` and
    ``groups`` (query ids).

    As in :func:`sklearn.metrics.ndcg_score`, a score matrix with a single
    column (layouts a and b: one document per query) raises a
    ``ValueError``. In layout (c) a query may have a single row, as a
    trec_eval run may retrieve a single document for a query.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_queries, n_items)
        Class labels (layout a), non-negative relevance matrix (layout b) or
        flat non-negative relevance (layout c).

    y_score : array-like of shape (n_samples, n_classes), \
            (n_queries, n_items) or (n_rows,)
        Scores; higher ranks first. Finite, or ``-inf`` for an item the
        ranking did not retrieve: it is credited at no rank but counts in the
        ideal DCG (trec_eval's view of a judged document missing from the
        run), so that a run that misses relevant items is not overrated.

    k : int, default=None
        Only the top ``k`` positions count. ``None`` uses all.

    groups : array-like of shape (n_rows,), default=None
        Query id of each row (layout c only); NaN or None ids are refused.

    labels : array-like of shape (n_classes,), default=None
        Class of each column of ``y_score`` in layout (a) (an estimator's
        ``classes_``). ``None`` means ``y_true`` holds column indices.

    gain : {"linear", "exponential"}, default="linear"
        ``"linear"`` uses ``rel`` (scikit-learn, trec_eval);
        ``"exponential"`` uses ``2**rel - 1`` (Burges et al., LightGBM,
        XGBoost). Both agree on binary relevance.

    ties : {"average", "pessimistic", "optimistic"}, default="average"
        ``"average"``: the gain of tied items is averaged over the positions
        they occupy, the expected DCG over random tie-breaking (exactly
        :func:`sklearn.metrics.ndcg_score`). ``"pessimistic"`` /
        ``"optimistic"``: relevant items are placed last / first among ties.

    no_relevant : {"zero", "skip", "raise"}, default="zero"
        Queries with no relevant item (IDCG = 0): count as 0 with an
        :class:`~sklearn.exceptions.UndefinedMetricWarning` (as sklearn,
        trec_eval and ranx count them), are left out of the mean, or raise.

    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each query. In layout (c), one value per row, constant
        within a query.

    Returns
    -------
    score : float
        Mean NDCG over queries, in [0, 1].

    See Also
    --------
    sklearn.metrics.ndcg_score : Layout (b) with linear gain.

    Examples
    --------
    The relevance list ``[5, 3, 2, 0, 1]`` in ranked order, with exponential
    gain: DCG = 31 + 4.417 + 1.5 + 0 + 0.387 = 37.303, ideal 37.347:

    >>> from sklearn_seq.metrics import ndcg_score
    >>> rel = [[5, 3, 2, 0, 1]]
    >>> score = [[5, 4, 3, 2, 1]]
    >>> round(ndcg_score(rel, score, gain="exponential"), 4)
    0.9988
    >>> round(ndcg_score(rel, score), 4)  # linear gain, as sklearn
    0.9947

    Layout (a), next-item recommendation (true item = column index):

    >>> round(ndcg_score([0, 2], [[0.7, 0.2, 0.1], [0.5, 0.3, 0.2]]), 4)
    0.75

    Layout (c), flat rows with query ids:

    >>> round(ndcg_score([1, 0, 0, 1], [0.2, 0.9, 0.5, 0.1], groups=[1, 1, 2, 2]), 4)
    0.6309
    """
    res, sw = _query_metrics(
        y_true,
        y_score,
        metrics=("ndcg",),
        k=k,
        groups=groups,
        labels=labels,
        gain=gain,
        ties=ties,
        sample_weight=sample_weight,
    )
    return _average_queries(res["ndcg"], res["n_relevant"], sw, no_relevant, "NDCG")


@validate_params(_COMMON_CONSTRAINTS, prefer_skip_nested_validation=True)
def mean_average_precision_score(
    y_true,
    y_score,
    *,
    k=None,
    groups=None,
    labels=None,
    ties="average",
    no_relevant="zero",
    sample_weight=None,
):
    """Mean average precision (MAP, MAP@k) over queries.

    ``AP@k = (1 / R) sum_{i <= k, rel_i > 0} precision@i`` where ``R`` is the
    number of all relevant items of the query, found in the top ``k`` or not.
    This is trec_eval's ``map`` and ``map_cut_k`` and ranx's ``map@k``;
    torchmetrics' ``RetrievalMAP(top_k=k)`` divides by the relevant items
    found in the top ``k`` instead, and gives higher values. An item is
    relevant when its relevance is > 0.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_queries, n_items)
        Class labels (layout a), relevance matrix (layout b) or flat
        relevance (layout c); see :func:`ndcg_score`.

    y_score : array-like of shape (n_samples, n_classes), \
            (n_queries, n_items) or (n_rows,)
        Scores; higher ranks first. Finite, or ``-inf`` for an item the
        ranking did not retrieve: it is credited at no rank but, when
        relevant, counts in ``R`` (trec_eval's view of a judged document
        missing from the run).

    k : int, default=None
        Only the top ``k`` positions count. ``None`` uses all.

    groups : array-like of shape (n_rows,), default=None
        Query id of each row (layout c only); NaN or None ids are refused.

    labels : array-like of shape (n_classes,), default=None
        Class of each column of ``y_score`` in layout (a).

    ties : {"average", "pessimistic", "optimistic"}, default="average"
        ``"average"`` follows :func:`sklearn.metrics.average_precision_score`:
        a block of tied items is one threshold, scored with the precision at
        its last position (a block cut by ``k`` ends at ``k`` and brings its
        share of relevant items). Without ``k`` the AP of a query equals
        sklearn's. ``"pessimistic"`` / ``"optimistic"``: relevant items are
        placed last / first among ties.

    no_relevant : {"zero", "skip", "raise"}, default="zero"
        Queries with no relevant item: count as 0 with a warning, are left
        out, or raise.

    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each query (layout c: per row, constant within a query).

    Returns
    -------
    score : float
        MAP, in [0, 1].

    Examples
    --------
    Relevant items at ranks 1, 3 and 5: AP = (1 + 2/3 + 3/5) / 3:

    >>> from sklearn_seq.metrics import mean_average_precision_score
    >>> rel = [[1, 0, 1, 0, 1, 0]]
    >>> score = [[6, 5, 4, 3, 2, 1]]
    >>> round(mean_average_precision_score(rel, score), 4)
    0.7556

    With ``k=3`` the item at rank 5 is missed but still counts in R = 3:

    >>> round(mean_average_precision_score(rel, score, k=3), 4)
    0.5556
    """
    res, sw = _query_metrics(
        y_true,
        y_score,
        metrics=("ap",),
        k=k,
        groups=groups,
        labels=labels,
        gain="linear",
        ties=ties,
        sample_weight=sample_weight,
    )
    return _average_queries(res["ap"], res["n_relevant"], sw, no_relevant, "AP")


@validate_params(_COMMON_CONSTRAINTS, prefer_skip_nested_validation=True)
def mean_reciprocal_rank_score(
    y_true,
    y_score,
    *,
    k=None,
    groups=None,
    labels=None,
    ties="average",
    no_relevant="zero",
    sample_weight=None,
):
    """Mean reciprocal rank (MRR, MRR@k) of the first relevant item.

    ``RR@k = 1 / rank`` of the first relevant item if that rank is <= ``k``,
    else 0. Note that trec_eval's ``recip_rank`` ignores any cutoff: compare
    with it only for ``k=None``.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_queries, n_items)
        Class labels (layout a), relevance matrix (layout b) or flat
        relevance (layout c); see :func:`ndcg_score`.

    y_score : array-like of shape (n_samples, n_classes), \
            (n_queries, n_items) or (n_rows,)
        Scores; higher ranks first. Finite, or ``-inf`` for an item the
        ranking did not retrieve: it is credited at no rank.

    k : int, default=None
        Ranks beyond ``k`` score 0. ``None`` uses all.

    groups : array-like of shape (n_rows,), default=None
        Query id of each row (layout c only); NaN or None ids are refused.

    labels : array-like of shape (n_classes,), default=None
        Class of each column of ``y_score`` in layout (a).

    ties : {"average", "pessimistic", "optimistic"}, default="average"
        ``"average"``: the expected reciprocal rank when tied items are
        ordered uniformly at random (for one relevant item among ``n`` tied
        after ``g`` better ones: ``mean(1 / (g + j) for j in 1..n)``).
        ``"pessimistic"`` / ``"optimistic"``: relevant items are placed last /
        first among ties.

    no_relevant : {"zero", "skip", "raise"}, default="zero"
        Queries with no relevant item: count as 0 with a warning, are left
        out, or raise.

    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each query (layout c: per row, constant within a query).

    Returns
    -------
    score : float
        MRR, in [0, 1].

    Examples
    --------
    First relevant item at ranks 1, 3 and 2: MRR = (1 + 1/3 + 1/2) / 3:

    >>> from sklearn_seq.metrics import mean_reciprocal_rank_score
    >>> rel = [[1, 0, 0], [0, 0, 1], [0, 1, 1]]
    >>> score = [[3, 2, 1], [3, 2, 1], [3, 2, 1]]
    >>> round(mean_reciprocal_rank_score(rel, score), 4)
    0.6111

    Layout (a) with string classes mapped through ``labels``:

    >>> mean_reciprocal_rank_score(
    ...     ["b", "c"], [[0.1, 0.6, 0.3], [0.1, 0.6, 0.3]], labels=["a", "b", "c"]
    ... )
    0.75
    """
    res, sw = _query_metrics(
        y_true,
        y_score,
        metrics=("rr",),
        k=k,
        groups=groups,
        labels=labels,
        gain="linear",
        ties=ties,
        sample_weight=sample_weight,
    )
    return _average_queries(res["rr"], res["n_relevant"], sw, no_relevant, "RR")


@validate_params(
    {**_COMMON_CONSTRAINTS, "k": [IntervalNotBool(Integral, 1, None, closed="left")]},
    prefer_skip_nested_validation=True,
)
def recall_at_k_score(
    y_true,
    y_score,
    *,
    k=10,
    groups=None,
    labels=None,
    ties="average",
    no_relevant="zero",
    sample_weight=None,
):
    """Recall@k: share of a query's relevant items ranked in the top ``k``.

    In layout (a) (one relevant item per query) this is the hit rate, the
    GRU4Rec "Recall@k", and :func:`sklearn.metrics.top_k_accuracy_score`.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,) or (n_queries, n_items)
        Class labels (layout a), relevance matrix (layout b) or flat
        relevance (layout c); see :func:`ndcg_score`.

    y_score : array-like of shape (n_samples, n_classes), \
            (n_queries, n_items) or (n_rows,)
        Scores; higher ranks first. Finite, or ``-inf`` for an item the
        ranking did not retrieve: it is credited at no rank but, when
        relevant, counts in the query's number of relevant items.

    k : int, default=10
        Number of top positions.

    groups : array-like of shape (n_rows,), default=None
        Query id of each row (layout c only); NaN or None ids are refused.

    labels : array-like of shape (n_classes,), default=None
        Class of each column of ``y_score`` in layout (a).

    ties : {"average", "pessimistic", "optimistic"}, default="average"
        ``"average"``: a tied block cut by ``k`` counts the share of its
        relevant items that fits, the expected value over random
        tie-breaking. ``"pessimistic"`` / ``"optimistic"``: relevant items
        are placed last / first among ties.

    no_relevant : {"zero", "skip", "raise"}, default="zero"
        Queries with no relevant item: count as 0 with a warning, are left
        out, or raise.

    sample_weight : array-like of shape (n_samples,), default=None
        Weight of each query (layout c: per row, constant within a query).

    Returns
    -------
    score : float
        Mean recall@k, in [0, 1].

    Examples
    --------
    >>> from sklearn_seq.metrics import recall_at_k_score
    >>> y_score = [[0.5, 0.3, 0.2], [0.1, 0.3, 0.6], [0.3, 0.5, 0.2]]
    >>> recall_at_k_score([0, 1, 2], y_score, k=2)
    0.666...
    """
    res, sw = _query_metrics(
        y_true,
        y_score,
        metrics=("recall",),
        k=k,
        groups=groups,
        labels=labels,
        gain="linear",
        ties=ties,
        sample_weight=sample_weight,
    )
    return _average_queries(
        res["recall"], res["n_relevant"], sw, no_relevant, "recall@k"
    )
