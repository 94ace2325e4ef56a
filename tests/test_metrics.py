# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Metrics against references: sklearn, trec_eval (pytrec_eval), seqeval.

No expected value here comes from the code under test: each is computed by a
reference package or by a brute-force implementation written in this file.
"""

import itertools
import subprocess
import sys
import warnings

import numpy as np
import pytest
import pytrec_eval
import seqeval.metrics
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from seqeval.scheme import IOB2, IOBES
from sklearn.exceptions import UndefinedMetricWarning

from sklearn_seq.metrics import (
    entity_f1_score,
    mean_absolute_percentage_error,
    mean_average_precision_score,
    mean_reciprocal_rank_score,
    ndcg_score,
    pr_auc_score,
    recall_at_k_score,
)
from sklearn_seq.utils._param_validation import InvalidParameterError

SETTINGS = settings(max_examples=50, deadline=None)
QUERY_METRICS = {
    "ndcg": ndcg_score,
    "map": mean_average_precision_score,
    "mrr": mean_reciprocal_rank_score,
    "recall": recall_at_k_score,
}


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        return func(*args, **kwargs)


@st.composite
def relevance_and_scores(draw, max_rel=3, n_score_values=4, min_items=2):
    """Graded relevance and scores drawn from few values (many ties)."""
    n_q = draw(st.integers(1, 6))
    m = draw(st.integers(min_items, 8))
    rel = draw(hnp.arrays(np.int64, (n_q, m), elements=st.integers(0, max_rel)))
    score = draw(
        hnp.arrays(np.int64, (n_q, m), elements=st.integers(0, n_score_values - 1))
    ).astype(np.float64)
    return rel, score


@st.composite
def tie_free(draw):
    n_q = draw(st.integers(1, 6))
    m = draw(st.integers(2, 8))
    rel = draw(hnp.arrays(np.int64, (n_q, m), elements=st.integers(0, 3)))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    score = np.argsort(rng.random((n_q, m)), axis=1).astype(np.float64) / m
    return rel, score


# ---------------------------------------------------------------------------
# NDCG vs sklearn
# ---------------------------------------------------------------------------


@SETTINGS
@given(
    data=relevance_and_scores(),
    k=st.one_of(st.none(), st.integers(1, 9)),
    weighted=st.booleans(),
)
def test_ndcg_matches_sklearn_with_ties(data, k, weighted):
    rel, score = data
    sw = np.arange(1, len(rel) + 1, dtype=float) if weighted else None
    expected = skm.ndcg_score(rel, score, k=k, sample_weight=sw)
    got = _quiet(ndcg_score, rel, score, k=k, sample_weight=sw, gain="linear")
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_ndcg_exponential_gain_seed_example():
    # Independent arithmetic: DCG = 31 + 7/log2(3) + 3/2 + 0 + 1/log2(6).
    rel = np.array([5, 3, 2, 0, 1])
    disc = 1 / np.log2(np.arange(2, 7))
    dcg = ((2.0**rel - 1) * disc).sum()
    idcg = ((2.0 ** np.sort(rel)[::-1] - 1) * disc).sum()
    assert dcg == pytest.approx(37.303, abs=1e-3)
    assert idcg == pytest.approx(37.347, abs=1e-3)
    got = ndcg_score([rel], [[5, 4, 3, 2, 1]], gain="exponential")
    assert got == pytest.approx(dcg / idcg)


# ---------------------------------------------------------------------------
# MAP vs sklearn average_precision_score (ties as one threshold)
# ---------------------------------------------------------------------------


@SETTINGS
@given(data=relevance_and_scores(max_rel=1, n_score_values=3))
def test_map_without_cutoff_matches_sklearn_ap_per_row(data):
    rel, score = data
    rows = [i for i in range(len(rel)) if rel[i].any()]
    got = _quiet(mean_average_precision_score, rel, score, no_relevant="skip")
    if not rows:
        assert np.isnan(got)
        return
    expected = np.mean([skm.average_precision_score(rel[i], score[i]) for i in rows])
    assert got == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------
# trec_eval (pytrec_eval) on tie-free data, every row judged
# ---------------------------------------------------------------------------


def _trec(rel, score, measures):
    qrel = {
        f"q{i}": {f"d{j}": int(rel[i, j]) for j in range(rel.shape[1])}
        for i in range(len(rel))
    }
    run = {
        f"q{i}": {f"d{j}": float(score[i, j]) for j in range(rel.shape[1])}
        for i in range(len(rel))
    }
    res = pytrec_eval.RelevanceEvaluator(qrel, measures).evaluate(run)
    return {m: np.mean([res[q][m] for q in sorted(res)]) for m in res["q0"]}


@SETTINGS
@given(data=tie_free(), k=st.integers(1, 8), flat=st.booleans())
def test_against_trec_eval(data, k, flat):
    rel, score = data
    ref = _trec(rel, score, {"map", f"map_cut.{k}", f"ndcg_cut.{k}", "recip_rank"})
    if flat:
        groups = np.repeat(np.arange(len(rel)) * 7 + 3, rel.shape[1])
        args = (rel.ravel(), score.ravel())
        kw = {"groups": groups}
    else:
        args, kw = (rel, score), {}
    assert _quiet(mean_average_precision_score, *args, **kw) == pytest.approx(
        ref["map"], abs=1e-4
    )
    assert _quiet(mean_average_precision_score, *args, k=k, **kw) == pytest.approx(
        ref[f"map_cut_{k}"], abs=1e-4
    )
    assert _quiet(ndcg_score, *args, k=k, **kw) == pytest.approx(
        ref[f"ndcg_cut_{k}"], abs=1e-4
    )
    assert _quiet(mean_reciprocal_rank_score, *args, **kw) == pytest.approx(
        ref["recip_rank"], abs=1e-4
    )


# ---------------------------------------------------------------------------
# Tie conventions against brute force over all orderings of tied items
# ---------------------------------------------------------------------------


def _metrics_of_ranking(rel_ranked, k, gain):
    rel_ranked = np.asarray(rel_ranked, dtype=float)
    m = len(rel_ranked)
    kk = m if k is None else min(k, m)
    disc = 1 / np.log2(np.arange(2, m + 2))
    g = 2**rel_ranked - 1 if gain == "exponential" else rel_ranked
    ideal = np.sort(g)[::-1]
    idcg = (ideal[:kk] * disc[:kk]).sum()
    hits = rel_ranked > 0
    n_rel = hits.sum()
    out = {"ndcg": (g[:kk] * disc[:kk]).sum() / idcg if idcg > 0 else 0.0}
    out["recall"] = hits[:kk].sum() / n_rel if n_rel else 0.0
    first = np.flatnonzero(hits[:kk])
    out["mrr"] = 1 / (first[0] + 1) if len(first) else 0.0
    prec = np.cumsum(hits) / np.arange(1, m + 1)
    out["map"] = (prec[:kk] * hits[:kk]).sum() / n_rel if n_rel else 0.0
    return out


def _brute_force(rel, score, k, gain, ties):
    """Per-row metrics: expected value over orderings, or worst/best order."""
    rows = []
    for r, s in zip(rel, score):
        levels = sorted(set(s), reverse=True)
        blocks = [list(r[s == v]) for v in levels]
        if ties == "average":
            perms = [list(itertools.permutations(b)) for b in blocks]
            results = [
                _metrics_of_ranking(list(itertools.chain(*combo)), k, gain)
                for combo in itertools.product(*perms)
            ]
            rows.append({m: np.mean([x[m] for x in results]) for m in results[0]})
        else:
            rev = ties == "optimistic"
            ranked = list(itertools.chain(*(sorted(b, reverse=rev) for b in blocks)))
            rows.append(_metrics_of_ranking(ranked, k, gain))
    return {m: np.mean([row[m] for row in rows]) for m in rows[0]}


@SETTINGS
@given(
    data=relevance_and_scores(max_rel=2, n_score_values=3, min_items=1),
    k=st.one_of(st.none(), st.integers(1, 6)),
    ties=st.sampled_from(["average", "pessimistic", "optimistic"]),
    gain=st.sampled_from(["linear", "exponential"]),
)
def test_tie_conventions_against_brute_force(data, k, ties, gain):
    rel, score = data
    rel, score = rel[:, :6], score[:, :6]  # keep the permutations small
    ref = _brute_force(rel, score, k, gain, ties)
    if rel.shape[1] == 1:
        # One document per query: sklearn's layout (b) refuses it; layout (c)
        # computes it, as trec_eval does.
        with pytest.raises(ValueError, match="more than 1 document"):
            ndcg_score(rel, score, k=k, gain=gain, ties=ties)
        args = (rel.ravel(), score.ravel())
        kw = {"groups": np.arange(len(rel))}
    else:
        args, kw = (rel, score), {}
    got = _quiet(ndcg_score, *args, k=k, gain=gain, ties=ties, **kw)
    assert got == pytest.approx(ref["ndcg"], abs=1e-12)
    metrics = ["mrr"] if ties == "average" else ["mrr", "map"]
    if k is not None:
        metrics.append("recall")
    for name in metrics:
        kw = {} if k is None else {"k": k}
        got = _quiet(QUERY_METRICS[name], rel, score, ties=ties, **kw)
        assert got == pytest.approx(ref[name], abs=1e-12), name


# ---------------------------------------------------------------------------
# The three layouts agree
# ---------------------------------------------------------------------------


@SETTINGS
@given(
    n=st.integers(1, 20),
    n_classes=st.integers(1, 7),
    seed=st.integers(0, 10_000),
    k=st.one_of(st.none(), st.integers(1, 8)),
    ties=st.sampled_from(["average", "pessimistic", "optimistic"]),
    metric=st.sampled_from(sorted(QUERY_METRICS)),
)
def test_label_layout_equals_one_hot_matrix(n, n_classes, seed, k, ties, metric):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_classes, n)
    score = rng.integers(0, 3, (n, n_classes)).astype(float)
    one_hot = (y[:, None] == np.arange(n_classes)).astype(float)
    kw = {"ties": ties}
    if k is not None or metric == "recall":
        kw["k"] = k or 3
    func = QUERY_METRICS[metric]
    if metric == "ndcg" and n_classes == 1:
        for y_true in (y, one_hot):
            with pytest.raises(ValueError, match="more than 1 document"):
                func(y_true, score, **kw)
        return
    expected = func(one_hot, score, **kw)
    assert func(y, score, **kw) == pytest.approx(expected, abs=1e-12)
    # String classes in a shuffled column order map through `labels`.
    names = np.array([f"item{j}" for j in range(n_classes)])
    perm = rng.permutation(n_classes)
    got = func(names[y], score[:, perm], labels=names[perm], **kw)
    assert got == pytest.approx(expected, abs=1e-12)


@SETTINGS
@given(data=relevance_and_scores(), seed=st.integers(0, 1000))
def test_group_layout_equals_matrix_layout(data, seed):
    rel, score = data
    rng = np.random.default_rng(seed)
    n_q, m = rel.shape
    groups = np.repeat(rng.permutation(n_q) * 11, m)
    shuffle = rng.permutation(n_q * m)
    for func in QUERY_METRICS.values():
        expected = _quiet(func, rel, score)
        got = _quiet(
            func, rel.ravel()[shuffle], score.ravel()[shuffle], groups=groups[shuffle]
        )
        assert got == pytest.approx(expected, abs=1e-12)


def test_group_layout_variable_sizes_brute_force():
    rng = np.random.default_rng(0)
    sizes = rng.integers(1, 40, 60)
    groups = np.repeat(np.arange(60), sizes)
    rel = rng.integers(0, 3, len(groups))
    score = rng.random(len(groups))
    per_q = []
    for q in range(60):
        r, s = rel[groups == q], score[groups == q]
        per_q.append(_metrics_of_ranking(r[np.argsort(-s)], 5, "linear"))
    expected = np.mean([x["ndcg"] for x in per_q])
    assert _quiet(ndcg_score, rel, score, groups=groups, k=5) == pytest.approx(expected)


# ---------------------------------------------------------------------------
# Edge cases
# ---------------------------------------------------------------------------


def test_no_relevant_modes():
    rel = [[0, 0, 0], [1, 0, 0]]
    score = [[3, 2, 1], [1, 2, 3]]
    with pytest.warns(UndefinedMetricWarning, match="no relevant"):
        assert mean_reciprocal_rank_score(rel, score) == pytest.approx(1 / 6)
    assert mean_reciprocal_rank_score(rel, score, no_relevant="skip") == 1 / 3
    with pytest.raises(ValueError, match="no relevant"):
        mean_reciprocal_rank_score(rel, score, no_relevant="raise")


def test_input_errors():
    with pytest.raises(ValueError, match="groups"):
        ndcg_score([1, 0], [0.5, 0.2])
    with pytest.raises(ValueError, match="labels"):
        ndcg_score(["a", "b"], [[0.1, 0.9], [0.3, 0.7]])
    with pytest.raises(ValueError, match="not in `labels`"):
        ndcg_score(["a", "z"], [[0.1, 0.9], [0.3, 0.7]], labels=["a", "b"])
    with pytest.raises(ValueError, match="non-negative"):
        ndcg_score([[-1, 1]], [[0.1, 0.9]])
    with pytest.raises(InvalidParameterError):
        ndcg_score([[0, 1]], [[0.1, 0.9]], k=0)
    with pytest.raises(ValueError, match="constant within"):
        ndcg_score([1, 0], [0.5, 0.2], groups=[0, 0], sample_weight=[1, 2])


# ---------------------------------------------------------------------------
# PR-AUC vs sklearn
# ---------------------------------------------------------------------------


@SETTINGS
@given(seed=st.integers(0, 10_000), n=st.integers(3, 30))
def test_pr_auc_matches_sklearn(seed, n):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    y[0], y[1] = 0, 1
    s = rng.integers(0, 5, n) / 4
    assert pr_auc_score(y, s) == pytest.approx(skm.average_precision_score(y, s))
    p, r, _ = skm.precision_recall_curve(y, s)
    assert pr_auc_score(y, s, method="trapezoid") == pytest.approx(skm.auc(r, p))
    # Multiclass one-vs-rest with string labels in classes_ order.
    classes = np.array(["x", "y", "z"])
    yc = classes[rng.integers(0, 3, n)]
    yc[:3] = classes
    sc = rng.random((n, 3))
    for average in ["macro", "weighted", "micro"]:
        for method in ["step", "trapezoid"]:
            got = pr_auc_score(yc, sc, labels=classes, average=average, method=method)
            per, sup = [], []
            for j, c in enumerate(classes):
                yj = (yc == c).astype(int)
                sup.append(yj.sum())
                if method == "step":
                    per.append(skm.average_precision_score(yj, sc[:, j]))
                else:
                    p, r, _ = skm.precision_recall_curve(yj, sc[:, j])
                    per.append(skm.auc(r, p))
            if average == "micro":
                yb = (yc[:, None] == classes).astype(int).ravel()
                if method == "step":
                    ref = skm.average_precision_score(yb, sc.ravel())
                else:
                    p, r, _ = skm.precision_recall_curve(yb, sc.ravel())
                    ref = skm.auc(r, p)
            else:
                ref = np.average(per, weights=sup if average == "weighted" else None)
            assert got == pytest.approx(ref), (average, method)


# ---------------------------------------------------------------------------
# MAPE vs sklearn
# ---------------------------------------------------------------------------


@SETTINGS
@given(
    y=hnp.arrays(
        np.float64,
        st.integers(1, 20),
        elements=st.floats(0.1, 100) | st.floats(-100, -0.1),
    ),
    seed=st.integers(0, 1000),
)
def test_mape_matches_sklearn_without_zeros(y, seed):
    rng = np.random.default_rng(seed)
    pred = y + rng.normal(0, 5, len(y))
    w = rng.random(len(y)) + 0.1
    expected = skm.mean_absolute_percentage_error(y, pred, sample_weight=w)
    got = mean_absolute_percentage_error(y, pred, sample_weight=w)
    assert got == pytest.approx(expected, rel=1e-12)
    smape = np.mean(2 * np.abs(pred - y) / (np.abs(y) + np.abs(pred)))
    assert mean_absolute_percentage_error(y, pred, symmetric=True) == pytest.approx(
        smape
    )


def test_mape_zero_division():
    y, pred = np.array([0.0, 2.0, 4.0]), np.array([1.0, 3.0, 2.0])
    # sklearn's silent epsilon turns the zero target into a huge error.
    assert skm.mean_absolute_percentage_error(y, pred) > 1e14
    with pytest.raises(ValueError, match="zero"):
        mean_absolute_percentage_error(y, pred)
    assert mean_absolute_percentage_error(y, pred, zero_division="skip") == 0.5
    assert mean_absolute_percentage_error(y, pred, zero_division=1.0) == pytest.approx(
        (1 + 0.5 + 0.5) / 3
    )
    raw = mean_absolute_percentage_error(
        np.c_[y, y], np.c_[pred, y], multioutput="raw_values", zero_division="skip"
    )
    assert raw == pytest.approx([0.5, 0.0])


# ---------------------------------------------------------------------------
# Entity F1 vs seqeval
# ---------------------------------------------------------------------------

SCHEME_PREFIXES = {"IOB1": "BI", "IOB2": "BI", "IOE2": "IE", "IOBES": "BIES"}


@st.composite
def tag_sequences(draw, prefixes):
    tags = ["O"] + [f"{p}-{t}" for p in prefixes for t in ("PER", "LOC", "ORG")]
    lengths = draw(st.lists(st.integers(0, 8), min_size=1, max_size=5))

    def seq(n):
        return draw(st.lists(st.sampled_from(tags), min_size=n, max_size=n))

    true = [seq(n) for n in lengths]
    pred = [seq(n) for n in lengths]
    return true, pred


@SETTINGS
@given(
    scheme=st.sampled_from(sorted(SCHEME_PREFIXES)),
    data=st.data(),
    average=st.sampled_from(["micro", "macro", "weighted"]),
)
def test_entity_f1_matches_seqeval_default_mode(scheme, data, average):
    true, pred = data.draw(tag_sequences(SCHEME_PREFIXES[scheme]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = seqeval.metrics.f1_score(true, pred, average=average)
        got = entity_f1_score(true, pred, scheme=scheme, average=average)
    if np.isnan(expected):
        # No entity at all: seqeval's macro/weighted mean of nothing is NaN,
        # ours is the zero_division value (0.0 with "warn").
        assert got == 0.0
    else:
        assert got == pytest.approx(expected)


def _well_formed(draw, scheme, n):
    seq = []
    while len(seq) < n:
        t = draw(st.sampled_from(["PER", "LOC"]))
        size = draw(st.integers(0, min(3, n - len(seq))))
        if size == 0:
            seq.append("O")
        elif scheme == "IOB2":
            seq += [f"B-{t}"] + [f"I-{t}"] * (size - 1)
        elif size == 1:
            seq.append(f"S-{t}")
        else:
            seq += [f"B-{t}"] + [f"I-{t}"] * (size - 2) + [f"E-{t}"]
    return seq


@SETTINGS
@given(scheme=st.sampled_from(["IOB2", "IOBES"]), data=st.data())
def test_entity_f1_matches_seqeval_strict_on_well_formed(scheme, data):
    lengths = data.draw(st.lists(st.integers(1, 10), min_size=1, max_size=4))
    true = [_well_formed(data.draw, scheme, n) for n in lengths]
    pred = [_well_formed(data.draw, scheme, len(s)) for s in true]
    cls = {"IOB2": IOB2, "IOBES": IOBES}[scheme]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = seqeval.metrics.f1_score(true, pred, mode="strict", scheme=cls)
        got = entity_f1_score(true, pred, scheme=scheme)
    assert got == pytest.approx(expected)


def test_entity_f1_rejects_tags_outside_scheme():
    with pytest.raises(ValueError, match="not valid for scheme IOB2"):
        entity_f1_score([["S-PER"]], [["O"]], scheme="IOB2")


# ---------------------------------------------------------------------------
# Import hygiene
# ---------------------------------------------------------------------------


def test_metrics_import_without_torch():
    code = (
        "import sys, sklearn_seq.metrics; "
        "bad = [m for m in ('torch', 'skorch') if m in sys.modules]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
