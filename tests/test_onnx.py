# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""ONNX export: agreement with the float model, clear errors.

Skipped when the optional ``onnx`` package is absent. The exported model runs
in ONNX Runtime when installed, else in onnx's reference evaluator; scores
must agree with the eager float network within ``ATOL``.
"""

import sys

import numpy as np
import pytest
from scipy.special import softmax

from conftest import make_ragged
from sklearn_seq import SequenceClassifier, SequenceRegressor
from sklearn_seq.export import quantize, to_onnx

onnx = pytest.importorskip("onnx")

#: largest absolute difference allowed between ONNX and eager float32 scores
ATOL = 1e-5


def _run(path, x, lengths):
    try:
        import onnxruntime
    except ImportError:
        from onnx.reference import ReferenceEvaluator

        return ReferenceEvaluator(str(path)).run(None, {"x": x, "lengths": lengths})[0]
    session = onnxruntime.InferenceSession(
        str(path), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"x": x, "lengths": lengths})[0]


@pytest.mark.parametrize(
    "cell, pooling", [("lstm", "last"), ("gru", "mean"), ("fcn", "max")]
)
def test_onnx_agrees_with_the_float_model(tmp_path, cell, pooling):
    X = make_ragged(30, lengths=(2, 9))
    y = np.arange(30) % 3
    clf = SequenceClassifier(
        cell=cell,
        pooling=pooling,
        hidden_size=8,
        bidirectional=cell == "lstm",
        max_epochs=2,
        random_state=0,
    ).fit(X, y)
    path = tmp_path / "clf.onnx"
    model = to_onnx(clf, path, X, atol=ATOL)
    onnx.checker.check_model(model)
    assert [i.name for i in model.graph.input] == ["x", "lengths"]
    # new data, other batch size and other padded length than in the export
    X_new = make_ragged(11, lengths=(2, 9), seed=1)
    lengths = np.array([len(s) for s in X_new])
    x = np.zeros((len(X_new), lengths.max(), 2), np.float32)
    for i, s in enumerate(X_new):
        x[i, : len(s)] = s
    logits = _run(path, x, lengths)
    np.testing.assert_allclose(
        softmax(logits, axis=1), clf.predict_proba(X_new), atol=ATOL
    )
    np.testing.assert_array_equal(
        clf.classes_[logits.argmax(axis=1)], clf.predict(X_new)
    )


def test_onnx_regressor_and_token_input(tmp_path):
    rng = np.random.default_rng(0)
    X = [rng.integers(1, 20, size=t).tolist() for t in rng.integers(2, 7, 25)]
    y = rng.normal(size=25).astype(np.float32)
    reg = SequenceRegressor(hidden_size=6, max_epochs=1, random_state=0).fit(X, y)
    path = tmp_path / "reg.onnx"
    to_onnx(reg, path, X)
    lengths = np.array([len(s) for s in X])
    x = np.zeros((len(X), lengths.max()), np.int64)
    for i, s in enumerate(X):
        x[i, : len(s)] = s
    # the network predicts the standardized target
    out = _run(path, x, lengths)[:, 0] * reg.target_scale_ + reg.target_mean_
    np.testing.assert_allclose(out, reg.predict(X), atol=ATOL)


def test_onnx_clear_errors(tmp_path):
    X = make_ragged(12, lengths=(2, 9))
    clf = SequenceClassifier(hidden_size=4, max_epochs=1, random_state=0)
    with pytest.raises(TypeError, match="fitted sklearn_seq estimator"):
        to_onnx(clf, tmp_path / "a.onnx", X)
    clf.fit(X, np.arange(12) % 2)
    with pytest.raises(ValueError, match="quantize"):
        to_onnx(quantize(clf), tmp_path / "a.onnx", X)
    # the transformer's attention freezes the traced batch size
    tr = SequenceClassifier(
        cell="transformer", hidden_size=8, max_epochs=1, random_state=0
    ).fit(X, np.arange(12) % 2)
    with pytest.raises(ValueError, match="ONNX export of SequenceNet"):
        to_onnx(tr, tmp_path / "t.onnx", X)
    assert not (tmp_path / "t.onnx").exists()


def test_onnx_missing_package_message(tmp_path, monkeypatch):
    X = make_ragged(8, lengths=(2, 9))
    clf = SequenceClassifier(hidden_size=4, max_epochs=1, random_state=0)
    clf.fit(X, np.arange(8) % 2)
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match="pip install onnx"):
        to_onnx(clf, tmp_path / "a.onnx", X)
