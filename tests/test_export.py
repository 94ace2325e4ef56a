# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""quantize, to_torchscript and model_size against the float model."""

import io
import pickle
import warnings

import numpy as np
import pytest
import torch

from sklearn_seq import SequenceClassifier, SequenceRegressor
from sklearn_seq.export import model_size, quantize, to_torchscript


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 10, size=60)
    X = [rng.normal(size=(n, 3)).astype(np.float32) for n in lengths]
    y = np.array([int(x[:, 0].sum() > 0) for x in X])
    return X, y


@pytest.fixture(scope="module", params=["lstm", "gru"])
def clf(request, data):
    X, y = data
    return SequenceClassifier(
        cell=request.param, hidden_size=32, max_epochs=3, lr=1e-2, random_state=0
    ).fit(X, y)


@pytest.mark.parametrize("dtype", ["int8", "float16", "bfloat16"])
def test_quantize_agrees_with_float(clf, data, dtype):
    X, _ = data
    before = {k: v.clone() for k, v in clf.net_.module_.state_dict().items()}
    q = quantize(clf, dtype)
    p_float, p_q = clf.predict_proba(X), q.predict_proba(X)
    # tolerances: int8 weights ~1e-2 relative error; bf16 has 8 mantissa bits
    atol = {"int8": 0.05, "float16": 1e-3, "bfloat16": 0.05}[dtype]
    np.testing.assert_allclose(p_q, p_float, atol=atol)
    assert np.mean(q.predict(X) == clf.predict(X)) >= 0.95
    assert q.quantized_dtype_ == dtype
    # the original is untouched
    for k, v in clf.net_.module_.state_dict().items():
        torch.testing.assert_close(v, before[k])


def test_quantize_int8_replaces_layers_and_shrinks(clf):
    q = quantize(clf, "int8")
    kinds = {type(m).__module__ for m in q.net_.module_.modules()}
    assert any("quantized" in k for k in kinds)
    buf = io.BytesIO()
    torch.save(clf.net_.module_.state_dict(), buf)
    assert model_size(clf) == buf.getbuffer().nbytes
    assert model_size(q) < model_size(clf) / 2  # 4x on weights, less headers
    assert model_size(quantize(clf, "bfloat16")) < 0.6 * model_size(clf)
    # a quantized estimator pickles and predicts after loading
    q2 = pickle.loads(pickle.dumps(q))
    np.testing.assert_array_equal(
        q2.predict_proba(clf_X(clf)), q.predict_proba(clf_X(clf))
    )


def clf_X(clf):
    rng = np.random.default_rng(1)
    return [rng.normal(size=(n, 3)).astype(np.float32) for n in (4, 7, 9)]


def test_quantize_regressor_and_errors(data):
    X, y = data
    reg = SequenceRegressor(hidden_size=16, max_epochs=1, random_state=0)
    reg.fit(X, y.astype(float))
    q = quantize(reg)
    np.testing.assert_allclose(
        q.predict(X), reg.predict(X), atol=0.05 * np.std(reg.predict(X)) + 1e-3
    )
    with pytest.raises(ValueError, match="dtype must be one of"):
        quantize(reg, "int4")
    with pytest.raises(TypeError, match="Call fit first"):
        quantize(SequenceRegressor())


def test_to_torchscript_matches_float(clf, data, tmp_path):
    X, _ = data
    path = tmp_path / "m.pt"
    to_torchscript(clf, path, X[:20])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        loaded = torch.jit.load(str(path))
    # unseen sequences, lengths mixed: compare with the estimator's scores
    X_new = clf_X(clf)
    n = len(X_new)
    lengths = torch.tensor([len(x) for x in X_new])
    x = torch.zeros(n, int(lengths.max()), 3)
    for i, s in enumerate(X_new):
        x[i, : len(s)] = torch.from_numpy(s)
    with torch.inference_mode():
        logits = loaded(x, lengths).numpy()
    proba = torch.softmax(torch.from_numpy(logits), dim=1).numpy()
    np.testing.assert_allclose(proba, clf.predict_proba(X_new), atol=1e-5)


def test_to_torchscript_reports_disagreement(clf, data, tmp_path, monkeypatch):
    X, _ = data
    real_trace = torch.jit.trace

    def bad_trace(module, args, **kwargs):
        traced = real_trace(module, args, **kwargs)

        class Off(torch.nn.Module):
            def forward(self, x, lengths):
                return traced(x, lengths) + 1.0

        return Off()

    monkeypatch.setattr(torch.jit, "trace", bad_trace)
    with pytest.raises(ValueError, match="disagrees with the eager network"):
        to_torchscript(clf, tmp_path / "m.pt", X[:10])
    assert not (tmp_path / "m.pt").exists()

    def failing_trace(module, args, **kwargs):
        raise RuntimeError("unsupported op")

    monkeypatch.setattr(torch.jit, "trace", failing_trace)
    with pytest.raises(ValueError, match=r"could not be traced.*unsupported op"):
        to_torchscript(clf, tmp_path / "m.pt", X[:10])


@pytest.mark.parametrize("char_embedding_dim", [None, 4])
def test_to_torchscript_tagger_fitted_on_token_strings(char_embedding_dim, tmp_path):
    from sklearn_seq import SequenceTagger

    X = [["Anna", "lives", "in", "Paris"], ["Paris", "is", "big"]] * 4
    y = [["B", "O", "O", "B"], ["B", "O", "O"]] * 4
    tagger = SequenceTagger(
        hidden_size=4,
        embedding_dim=4,
        char_embedding_dim=char_embedding_dim,
        char_n_filters=3,
        max_epochs=1,
        random_state=0,
    ).fit(X, y)
    # the token strings used to fail in the private _validate_X
    path = tmp_path / "tagger.pt"
    to_torchscript(tagger, path, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        loaded = torch.jit.load(str(path))
    # the exported network takes ids, mapped as its Notes say
    if char_embedding_dim is None:
        ids = [tagger.vocabulary_.get(t.lower(), 1) for t in ["Anna", "is", "big"]]
    else:
        ids = [tagger.surface_vocabulary_.get(t, 1) for t in ["Anna", "is", "big"]]
    with torch.inference_mode():
        scores = loaded(torch.tensor([ids]), torch.tensor([3]))
    proba = torch.softmax(scores[0].double(), dim=-1).numpy()
    np.testing.assert_allclose(
        proba, tagger.predict_proba([["Anna", "is", "big"]])[0], atol=1e-5
    )
    if char_embedding_dim is not None:
        with pytest.raises(ValueError, match="tokens unseen in fit"):
            to_torchscript(tagger, tmp_path / "t2.pt", [["Bob", "is", "in", "Rome"]])
