# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Plots, diagnose_fit and measure_latency."""

import math
import sys

import matplotlib
import numpy as np
import pytest
from skorch.callbacks import Callback

from sklearn_seq import SequenceClassifier, SequenceRegressor
from sklearn_seq.callbacks import GradientMonitor
from sklearn_seq.inspection import (
    diagnose_fit,
    measure_latency,
    plot_attention,
    plot_gradient_norms,
    plot_learning_curve,
)

matplotlib.use("Agg")


class _RecordScores(Callback):
    """Stand-in for EpochScoring pairs: known per-epoch scores."""

    def on_epoch_end(self, net, **kwargs):
        net.history.record("train_acc", 0.9)
        net.history.record("valid_acc", 0.5 + 0.1 * len(net.history))


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6, 2)).astype(np.float32)
    y = (X[:, 0, 0] > 0).astype(int)
    clf = SequenceClassifier(
        hidden_size=6,
        max_epochs=3,
        early_stopping=True,
        validation_fraction=0.25,
        random_state=0,
        callbacks=[GradientMonitor(), _RecordScores()],
    ).fit(X, y)
    return clf, X, y


def test_plot_learning_curve_draws_history(fitted):
    clf, _, _ = fitted
    ax = plot_learning_curve(clf)
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert set(lines) == {"train_loss", "valid_loss"}
    np.testing.assert_allclose(
        lines["valid_loss"].get_ydata(), clf.history_[:, "valid_loss"]
    )
    np.testing.assert_array_equal(lines["train_loss"].get_xdata(), [1, 2, 3])
    twin = [a for a in ax.figure.axes if a is not ax]
    score_labels = {ln.get_label() for a in twin for ln in a.get_lines()}
    assert score_labels == {"train_acc", "valid_acc"}


def test_plot_gradient_norms(fitted):
    clf, _, _ = fitted
    ax = plot_gradient_norms(clf, layers=["head.weight"])
    (line,) = ax.get_lines()
    np.testing.assert_allclose(
        line.get_ydata(), [r["head.weight"] for r in clf.history_[:, "grad_norms"]]
    )
    no_monitor = SequenceClassifier(hidden_size=4, max_epochs=1, random_state=0)
    no_monitor.fit(*fitted[1:])
    with pytest.raises(ValueError, match="GradientMonitor"):
        plot_gradient_norms(no_monitor)


def test_plot_attention_inputs():
    import torch

    w = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    ax = plot_attention(torch.tensor(w), x_labels=list("abc"))
    np.testing.assert_allclose(ax.images[0].get_array(), w)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    ax = plot_attention(w[0])  # pooling weights of one sequence
    assert ax.images[0].get_array().shape == (1, 3)
    with pytest.raises(ValueError, match="x_labels has 2"):
        plot_attention(w, x_labels=["a", "b"])
    with pytest.raises(ValueError, match="1-D or 2-D"):
        plot_attention(np.zeros((2, 2, 2)))


def test_plot_attention_pooling_weights():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 5, 1)).astype(np.float32)
    clf = SequenceClassifier(
        hidden_size=4, pooling="attention", max_epochs=1, random_state=0
    ).fit(X, np.arange(12) % 2)
    clf.predict(X[:3])
    weights = clf.net_.module_.pooling.last_weights_
    ax = plot_attention(weights)
    assert ax.images[0].get_array().shape == tuple(weights.shape)


def test_matplotlib_missing_gives_actionable_error(fitted, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install matplotlib"):
        plot_learning_curve(fitted[0])


class _Stub:
    """Estimator stand-in with a given history and scores."""

    def __init__(self, history, scores=None, classes=None, criterion=None):
        self.history_ = history
        self._scores = scores or {}
        self.criterion = criterion
        if classes is not None:
            self.classes_ = np.asarray(classes)

    def score(self, X, y):
        return self._scores[X]


@pytest.mark.parametrize(
    ("train", "valid", "verdict"),
    [
        (0.98, 0.85, "over-fit"),  # seed Q14: 13-point gap
        (0.70, 0.69, "under-fit"),  # both low: high bias
        (0.88, 0.88, "good-fit"),  # seed Q14 follow-up
        (0.96, 0.89, "good-fit"),  # gap 7 points: good, with a note
        (0.75, 0.50, "under-fit"),  # bias is fixed first
    ],
)
def test_diagnose_fit_thresholds_on_data(train, valid, verdict):
    stub = _Stub([{"train_loss": 1.0}], scores={"tr": train, "va": valid})
    d = diagnose_fit(stub, "tr", [0], "va", [0])
    assert d.verdict == verdict and d.source == "data"
    assert d.gap == pytest.approx(train - valid)
    assert ("watch" in d.message) == (verdict == "good-fit" and d.gap > 0.05)


def test_diagnose_fit_from_history(fitted):
    clf, _, _ = fitted
    d = diagnose_fit(clf)
    assert d.source == "history:acc"
    assert d.train_score == clf.history_[-1, "train_acc"]
    assert d.valid_score == clf.history_[-1, "valid_acc"]


def test_diagnose_fit_from_losses():
    hist = [{"train_loss": 0.1, "valid_loss": 0.6}]
    d = diagnose_fit(_Stub(hist, classes=[0, 1, 2]))
    assert d.source == "loss" and d.verdict == "over-fit"
    assert d.train_score == pytest.approx(1 - 0.1 / math.log(3))
    assert d.gap == pytest.approx(0.5 / math.log(3))
    # a custom criterion has no baseline: relative gap only
    d = diagnose_fit(_Stub(hist, classes=[0, 1], criterion=object()))
    assert d.train_score is None and d.verdict == "over-fit"
    assert "cannot be told" in d.message
    reg = SequenceRegressor(
        hidden_size=4,
        max_epochs=2,
        early_stopping=True,
        validation_fraction=0.3,
        random_state=0,
    )
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 5, 1)).astype(np.float32)
    reg.fit(X, X[:, -1, 0])
    d = diagnose_fit(reg)
    assert d.train_score == pytest.approx(1 - reg.history_[-1, "train_loss"])
    with pytest.raises(ValueError, match="Nothing to diagnose"):
        diagnose_fit(_Stub([{"train_loss": 1.0}]))
    with pytest.raises(ValueError, match="or none"):
        diagnose_fit(_Stub(hist), X_train=[1])


def test_measure_latency_percentiles(monkeypatch):
    import sklearn_seq.inspection._latency as lat_mod

    calls = []

    class Est:
        def predict(self, X):
            calls.append(len(X))

    # each timed call takes exactly k ms on a fake clock
    ticks = iter(np.cumsum([v for k in range(1, 11) for v in (0.0, k / 1e3)]))
    monkeypatch.setattr(lat_mod.time, "perf_counter", lambda: next(ticks))
    X = np.zeros((7, 3))
    res = measure_latency(Est(), X, batch_sizes=(4,), n_repeats=10, n_warmup=2)
    times = np.arange(1, 11, dtype=float)
    expected = np.percentile(times, [50, 95, 99])
    got = [res[4][k] for k in ("p50_ms", "p95_ms", "p99_ms")]
    np.testing.assert_allclose(got, expected)
    assert res[4]["samples_per_s"] == pytest.approx(4 / (times.mean() / 1e3))
    assert calls == [4] * 12
