# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of sklearn_seq.preprocessing."""

import pickle
import re
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.combine import SMOTEENN
from imblearn.over_sampling import ADASYN, SMOTE
from imblearn.pipeline import make_pipeline
from imblearn.under_sampling import RandomUnderSampler
from joblib import parallel_backend
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold

from sklearn_seq.exceptions import SequenceValidationError
from sklearn_seq.preprocessing import (
    SequenceFlattener,
    SequencePadder,
    SequenceReshaper,
    SequenceScaler,
    TextVectorizer,
)
from sklearn_seq.resampling import SequenceSampler
from sklearn_seq.utils import check_sequences
from sklearn_seq.utils._param_validation import InvalidParameterError


def _ragged(rng, n=6, n_features=3, low=2, high=9):
    return [
        rng.normal(size=(rng.randint(low, high), n_features)) * 3 + 5 for _ in range(n)
    ]


# --------------------------------------------------------------------------
# TextVectorizer
# --------------------------------------------------------------------------

DOCS = ["The cat sat on the mat.", "The dog sat!", "A cat, a dog; the END"]
# The tests below on DOCS pin the former default token pattern (words of 2+
# characters, punctuation dropped) so that their expected ids stay readable;
# the current default (punctuation and one-letter words kept) is tested in
# tests/test_token_models.py.
OLD_PATTERN = r"(?u)\b\w\w+\b"


def test_text_vectorizer_vocabulary_order_and_ids():
    vec = TextVectorizer(token_pattern=OLD_PATTERN).fit(DOCS)
    # counts: the=4, cat=2, dog=2, sat=2, end/mat/on=1; 'a' is too short
    assert vec.vocabulary_ == {
        "the": 2,
        "cat": 3,
        "dog": 4,
        "sat": 5,
        "end": 6,
        "mat": 7,
        "on": 8,
    }
    assert vec.vocabulary_size_ == 9
    X = vec.transform(DOCS)
    assert [x.tolist() for x in X] == [[2, 3, 5, 8, 2, 7], [2, 4, 5], [3, 4, 2, 6]]
    assert all(x.dtype == np.int64 for x in X)
    assert check_sequences(X).kind == "tokens"
    assert vec.get_vocabulary()[:3] == ["", "<unk>", "the"]


def test_text_vectorizer_oov_and_empty_documents():
    vec = TextVectorizer(token_pattern=OLD_PATTERN).fit(DOCS)
    with pytest.warns(UserWarning, match=r"2 documents of X \(X\[1\], X\[2\]\)"):
        X = vec.transform(["the zebra sat", "", "!!!"])
    assert [x.tolist() for x in X] == [[2, 1, 5], [1], [1]]
    assert check_sequences(X).kind == "tokens"


def test_text_vectorizer_empty_documents_warn_names_indices():
    docs = ["the cat", "...", "a dog", "", "!", "?", "--", [], ";", "cat"]
    vec = TextVectorizer(token_pattern=r"\w+")
    with pytest.warns(UserWarning) as record:
        X = vec.fit_transform(docs)
    assert len(record) == 1  # once per call, not once per document
    msg = str(record[0].message)
    assert "7 documents of X (X[1], X[3], X[4], X[5], X[6], ...)" in msg
    assert r"token_pattern='\\w+'" in msg and "becomes [1]" in msg
    assert "handle_empty" in msg
    # the output is kept: one out-of-vocabulary id per empty document
    a_dog = [vec.vocabulary_["a"], vec.vocabulary_["dog"]]
    assert [x.tolist() for x in X[1:4]] == [[1], a_dog, [1]]
    with pytest.warns(UserWarning, match=r"1 document of X \(X\[0\]\) holds"):
        vec.transform(["  "])
    with pytest.warns(UserWarning, match=r"X\[1\]"):
        vec.fit(["cat", "..."])
    # documents with tokens, unknown or not, do not warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vec.transform(["zebra", ["unseen"]])


def test_text_vectorizer_empty_documents_error_and_ignore():
    docs = ["the cat", "...", "a dog"]
    with pytest.raises(ValueError, match=r"1 document of X \(X\[1\]\) holds no token"):
        TextVectorizer(token_pattern=r"\w+", handle_empty="error").fit(docs)
    vec = TextVectorizer(handle_empty="error").fit(DOCS)
    with pytest.raises(ValueError, match=r"X\[0\], X\[2\].*handle_empty='warn'"):
        vec.transform(["", "cat", []])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = TextVectorizer(token_pattern=r"\w+", handle_empty="ignore").fit_transform(
            docs
        )
    assert out[1].tolist() == [1]
    with pytest.raises(InvalidParameterError, match="handle_empty"):
        TextVectorizer(handle_empty="raise").fit(DOCS)


def test_text_vectorizer_broken_token_pattern():
    with pytest.raises(
        ValueError, match=r"token_pattern='\(' is not a valid regular expression"
    ) as info:
        TextVectorizer(token_pattern="(").fit(DOCS)
    assert isinstance(info.value.__cause__, re.error)
    assert "missing )" in str(info.value)


def test_text_vectorizer_fit_transform_equals_fit_then_transform():
    vec = TextVectorizer(min_freq=2)
    X1 = vec.fit_transform(DOCS)
    X2 = TextVectorizer(min_freq=2).fit(DOCS).transform(DOCS)
    assert [a.tolist() for a in X1] == [b.tolist() for b in X2]


def test_text_vectorizer_max_tokens_and_min_freq():
    assert list(
        TextVectorizer(token_pattern=OLD_PATTERN, max_tokens=2).fit(DOCS).vocabulary_
    ) == ["the", "cat"]
    assert list(
        TextVectorizer(token_pattern=OLD_PATTERN, min_freq=2).fit(DOCS).vocabulary_
    ) == [
        "the",
        "cat",
        "dog",
        "sat",
    ]
    assert list(
        TextVectorizer(token_pattern=OLD_PATTERN, min_freq=3).fit(DOCS).vocabulary_
    ) == ["the"]
    with pytest.raises(ValueError, match="Empty vocabulary"):
        TextVectorizer(token_pattern=OLD_PATTERN, min_freq=10).fit(DOCS)


def test_text_vectorizer_lowercase_and_token_pattern():
    vec = TextVectorizer(lowercase=False).fit(["The the THE"])
    assert set(vec.vocabulary_) == {"The", "the", "THE"}
    vec = TextVectorizer(token_pattern=r"\S+").fit(["a b, c"])
    assert set(vec.vocabulary_) == {"a", "b,", "c"}
    vec = TextVectorizer(token_pattern=r"#(\w+)").fit(["#tag and #more"])
    assert set(vec.vocabulary_) == {"tag", "more"}
    with pytest.raises(ValueError, match="capturing group"):
        TextVectorizer(token_pattern=r"(a)(b)").fit(["ab"])


def test_text_vectorizer_pre_tokenised_keeps_one_id_per_token():
    tokens = [["John", "lives", "in", "New", "York", "."], ["I", "run", "."]]
    vec = TextVectorizer().fit(tokens)
    X = vec.transform(tokens)
    assert [len(x) for x in X] == [6, 3]  # no token dropped, '.' and 'I' kept
    assert vec.vocabulary_["."] == 2  # most frequent
    assert vec.inverse_transform(X) == [
        ["john", "lives", "in", "new", "york", "."],
        ["i", "run", "."],
    ]
    # raw strings and token lists mix
    mixed = vec.transform(["john runs", ("York",)])
    assert [x.tolist() for x in mixed] == [
        [vec.vocabulary_["john"], 1],
        [vec.vocabulary_["york"]],
    ]


def test_text_vectorizer_inverse_transform_padded_and_errors():
    vec = TextVectorizer(token_pattern=OLD_PATTERN).fit(DOCS)
    padded = np.array([[0, 0, 2, 3], [2, 4, 1, 0]])
    assert vec.inverse_transform(padded) == [["the", "cat"], ["the", "dog", "<unk>"]]
    with pytest.raises(ValueError, match="outside"):
        vec.inverse_transform([[2, 99]])
    with pytest.raises(ValueError, match="integer ids"):
        vec.inverse_transform([[2.5, 3.0]])


def test_text_vectorizer_bad_input():
    with pytest.raises(TypeError, match="string object received"):
        TextVectorizer().fit("one document")
    with pytest.raises(TypeError, match=r"X\[1\] is a int"):
        TextVectorizer().fit(["ok doc", 3])
    with pytest.raises(TypeError, match=r"X\[0\] is a pre-tokenised .* int"):
        TextVectorizer().fit([["ok", 3]])
    with pytest.raises(ValueError, match="empty"):
        TextVectorizer().fit([])
    with pytest.raises(InvalidParameterError, match="max_tokens"):
        TextVectorizer(max_tokens=0).fit(DOCS)
    with pytest.raises(NotFittedError):
        TextVectorizer().transform(DOCS)


# --------------------------------------------------------------------------
# SequenceScaler
# --------------------------------------------------------------------------


def test_scaler_statistics_over_valid_steps_only():
    rng = np.random.RandomState(0)
    X = _ragged(rng)
    scaler = SequenceScaler().fit(X)
    # reference: pad with garbage, mask it out, numpy masked statistics
    maxlen = max(len(x) for x in X)
    padded = np.full((len(X), maxlen, 3), 1e6)
    mask = np.zeros((len(X), maxlen, 3), dtype=bool)
    for i, x in enumerate(X):
        padded[i, : len(x)] = x
        mask[i, len(x) :] = True
    masked = np.ma.masked_array(padded, mask=mask)
    np.testing.assert_allclose(scaler.mean_, masked.mean(axis=(0, 1)), rtol=1e-6)
    np.testing.assert_allclose(scaler.var_, masked.var(axis=(0, 1)), rtol=1e-6)
    np.testing.assert_allclose(scaler.scale_, masked.std(axis=(0, 1)), rtol=1e-6)
    assert scaler.n_steps_seen_.tolist() == [sum(len(x) for x in X)] * 3
    Xt = scaler.transform(X)
    assert isinstance(Xt, list)
    assert [x.shape for x in Xt] == [x.shape for x in X]
    flat = np.concatenate(Xt)
    np.testing.assert_allclose(flat.mean(axis=0), 0, atol=1e-7)
    np.testing.assert_allclose(flat.std(axis=0), 1, rtol=1e-6)


def test_scaler_container_kinds_and_dtypes():
    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(4, 5, 2))
    out = SequenceScaler().fit_transform(X3)
    assert out.shape == X3.shape and out.dtype == np.float64
    ref = (X3 - X3.reshape(-1, 2).mean(0)) / X3.reshape(-1, 2).std(0)
    np.testing.assert_allclose(out, ref, rtol=1e-10)
    out32 = SequenceScaler().fit_transform(X3.astype(np.float32))
    assert out32.dtype == np.float32
    X2 = rng.normal(size=(4, 5))
    out2 = SequenceScaler().fit_transform(X2)
    assert out2.shape == (4, 5)
    np.testing.assert_allclose(out2, (X2 - X2.mean()) / X2.std(), rtol=1e-10)
    X1d = [rng.normal(size=3), rng.normal(size=6)]
    out1d = SequenceScaler().fit_transform(X1d)
    assert [x.shape for x in out1d] == [(3,), (6,)]
    # a list of equal-length arrays stays a list (the ragged container kind)
    out_list = SequenceScaler().fit_transform([rng.normal(size=(3, 2))] * 2)
    assert isinstance(out_list, list)
    # input is never modified
    X3_copy = X3.copy()
    SequenceScaler().fit(X3).transform(X3)
    np.testing.assert_array_equal(X3, X3_copy)


def test_scaler_returns_array_for_equal_length_nested_lists():
    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(4, 5, 2))
    X2 = rng.normal(size=(4, 5))
    for X in (X3, X2):
        scaler = SequenceScaler().fit(X)
        ref = scaler.transform(X)
        assert isinstance(ref, np.ndarray) and ref.shape == X.shape
        # nested Python lists of equal lengths are an array-like: same result
        for nested in (X.tolist(), tuple(map(tuple, X.tolist()))):
            for method in (scaler.transform, scaler.inverse_transform):
                out = method(nested)
                assert isinstance(out, np.ndarray)
                assert out.shape == X.shape and out.dtype == np.float64
            np.testing.assert_allclose(scaler.transform(nested), ref)
            np.testing.assert_allclose(
                scaler.inverse_transform(scaler.transform(nested)), X
            )
        fitted_on_list = SequenceScaler().fit_transform(X.tolist())
        assert isinstance(fitted_on_list, np.ndarray)
        np.testing.assert_allclose(fitted_on_list, ref)
    # ragged nested lists stay a list of arrays, as for the other transformers
    ragged = [[0.0, 1.0], [2.0, 3.0, 4.0]]
    for out in (
        SequenceScaler().fit_transform(ragged),
        SequenceScaler().fit(ragged).inverse_transform(ragged),
    ):
        assert isinstance(out, list)
        assert [x.shape for x in out] == [(2,), (3,)]
    out = SequenceScaler().fit_transform([[[0.0], [1.0]], [[2.0]]])
    assert isinstance(out, list) and [x.shape for x in out] == [(2, 1), (1, 1)]


def test_scaler_with_mean_with_std_and_constant_feature():
    X = np.zeros((3, 4, 2))
    X[..., 1] = np.arange(12).reshape(3, 4)
    scaler = SequenceScaler().fit(X)
    assert scaler.scale_[0] == 1.0  # constant feature left unscaled
    assert np.isfinite(scaler.transform(X)).all()
    no_mean = SequenceScaler(with_mean=False).fit(X)
    expected = X[..., 1] / X[..., 1].std()
    np.testing.assert_allclose(no_mean.transform(X)[..., 1], expected)
    no_std = SequenceScaler(with_std=False).fit(X)
    assert no_std.scale_ is None
    np.testing.assert_allclose(no_std.transform(X)[..., 1], X[..., 1] - 5.5)


def test_scaler_nan_ignored_in_fit_kept_in_transform():
    X = np.arange(24, dtype=float).reshape(2, 6, 2)
    X[1, 4:] = np.nan  # tslearn-style NaN padding
    scaler = SequenceScaler().fit(X)
    np.testing.assert_allclose(scaler.mean_, np.nanmean(X.reshape(-1, 2), axis=0))
    np.testing.assert_allclose(scaler.scale_, np.nanstd(X.reshape(-1, 2), axis=0))
    assert scaler.n_steps_seen_.tolist() == [10, 10]
    Xt = scaler.transform(X)
    np.testing.assert_array_equal(np.isnan(Xt), np.isnan(X))
    with pytest.raises(ValueError, match="infinity"):
        scaler.transform(np.full((1, 6, 2), np.inf))


@settings(max_examples=25, deadline=None)
@given(
    lengths=st.lists(st.integers(1, 7), min_size=1, max_size=6),
    n_features=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_scaler_inverse_round_trip(lengths, n_features, seed):
    rng = np.random.RandomState(seed)
    X = [rng.normal(size=(n, n_features)) * 10 - 3 for n in lengths]
    scaler = SequenceScaler().fit(X)
    back = scaler.inverse_transform(scaler.transform(X))
    for a, b in zip(X, back):
        np.testing.assert_allclose(b, a, rtol=1e-9, atol=1e-9)


def test_scaler_errors():
    rng = np.random.RandomState(0)
    scaler = SequenceScaler().fit(rng.normal(size=(3, 4, 2)))
    with pytest.raises(ValueError, match=r"3 features per step.*expecting 2"):
        scaler.transform(rng.normal(size=(3, 4, 3)))
    with pytest.raises(SequenceValidationError, match="token id"):
        SequenceScaler().fit([[1, 2, 3], [4, 5]])
    with pytest.raises(SequenceValidationError, match="TextVectorizer"):
        SequenceScaler().fit(["some text"])
    with pytest.raises(NotFittedError):
        SequenceScaler().transform(rng.normal(size=(3, 4, 2)))


# --------------------------------------------------------------------------
# SequencePadder
# --------------------------------------------------------------------------


def _reference_pad(X, maxlen, padding, truncating, value):
    out = []
    for x in X:
        x = np.asarray(x)
        if len(x) > maxlen:
            x = x[-maxlen:] if truncating == "pre" else x[:maxlen]
        pad = np.full((maxlen - len(x), *x.shape[1:]), value, dtype=float)
        out.append(np.concatenate([pad, x] if padding == "pre" else [x, pad]))
    return np.stack(out)


@pytest.mark.parametrize("padding", ["pre", "post"])
@pytest.mark.parametrize("truncating", ["pre", "post"])
@pytest.mark.parametrize("maxlen", [None, 1, 4, 12])
def test_padder_against_reference(padding, truncating, maxlen):
    rng = np.random.RandomState(0)
    X = _ragged(rng, n=7, n_features=2, low=1, high=9)
    padder = SequencePadder(maxlen, padding=padding, truncating=truncating, value=-1)
    out = padder.fit_transform(X)
    expected_len = maxlen or max(len(x) for x in X)
    assert padder.maxlen_ == expected_len
    assert out.shape == (7, expected_len, 2) and out.dtype == np.float64
    np.testing.assert_array_equal(
        out, _reference_pad(X, expected_len, padding, truncating, -1)
    )
    # token ids: 2-D int64 output
    tokens = [rng.randint(1, 50, size=len(x)) for x in X]
    out = SequencePadder(maxlen, padding=padding, truncating=truncating).fit_transform(
        tokens
    )
    assert out.dtype == np.int64 and out.shape == (7, expected_len)
    np.testing.assert_array_equal(
        out, _reference_pad(tokens, expected_len, padding, truncating, 0)
    )


def test_padder_longer_sequence_at_transform_warns_and_truncates():
    padder = SequencePadder().fit([np.ones(3), np.ones(2)])
    with pytest.warns(UserWarning, match="longer than the 3 steps seen in fit"):
        out = padder.transform([np.arange(1.0, 6.0)])
    np.testing.assert_array_equal(out[0, :, 0], [3, 4, 5])  # truncating='pre'
    # an explicit maxlen truncates silently (the user asked for it)
    padder = SequencePadder(maxlen=3).fit([np.ones(3)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert padder.transform([np.arange(1.0, 6.0)]).shape == (1, 3, 1)


def test_padder_fixed_input_dtype_and_errors():
    X = np.random.RandomState(0).normal(size=(3, 4, 2)).astype(np.float32)
    out = SequencePadder(maxlen=6, padding="post").fit_transform(X)
    assert out.shape == (3, 6, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out[:, :4], X)
    assert (out[:, 4:] == 0).all()
    with pytest.raises(ValueError, match="integer"):
        SequencePadder(value=0.5).fit([[1, 2], [3]])
    padder = SequencePadder().fit([[1, 2], [3]])
    with pytest.raises(SequenceValidationError, match="fitted on token id"):
        padder.transform([np.ones((2, 1))])
    padder = SequencePadder().fit(X)
    with pytest.raises(ValueError, match="features per step"):
        padder.transform(np.ones((3, 4, 5)))
    with pytest.raises(InvalidParameterError, match="padding"):
        SequencePadder(padding="middle").fit(X)


# --------------------------------------------------------------------------
# SequenceFlattener / SequenceReshaper
# --------------------------------------------------------------------------


def test_flattener_reshaper_round_trip():
    X = np.random.RandomState(0).normal(size=(5, 4, 3))
    flat = SequenceFlattener().fit(X)
    Xf = flat.transform(X)
    assert Xf.shape == (5, 12)
    np.testing.assert_array_equal(Xf[:, 3 * 2 + 1], X[:, 2, 1])  # step-major
    reshaper = SequenceReshaper(n_features=3).fit(Xf)
    assert reshaper.shape_ == (4, 3)
    np.testing.assert_array_equal(reshaper.transform(Xf), X)
    np.testing.assert_array_equal(flat.inverse_transform(Xf), X)
    np.testing.assert_array_equal(reshaper.inverse_transform(X), Xf)
    assert flat.get_feature_names_out()[:4].tolist() == [
        "x0_t0",
        "x1_t0",
        "x2_t0",
        "x0_t1",
    ]
    assert flat.get_feature_names_out(["a", "b", "c"])[-1] == "c_t3"
    with pytest.raises(ValueError, match="3 names"):
        flat.get_feature_names_out(["a"])


def test_flattener_univariate_and_equal_length_list():
    X = np.arange(12.0).reshape(3, 4)
    flat = SequenceFlattener().fit(X)
    np.testing.assert_array_equal(flat.transform(X), X)
    np.testing.assert_array_equal(flat.inverse_transform(X), X)
    out = SequenceReshaper(n_features=1).fit_transform(X)
    np.testing.assert_array_equal(out[..., 0], X)
    X_list = [np.ones((4, 2)), np.zeros((4, 2))]
    assert SequenceFlattener().fit_transform(X_list).shape == (2, 8)


def test_flattener_errors():
    with pytest.raises(SequenceValidationError, match="SequencePadder") as exc:
        SequenceFlattener().fit([np.ones((3, 2)), np.ones((5, 2))])
    assert "sklearn_seq.resampling" in str(exc.value)
    assert "X[1] has 5" in str(exc.value)
    with pytest.raises(SequenceValidationError, match="token id"):
        SequenceFlattener().fit([[1, 2], [3, 4]])
    flat = SequenceFlattener().fit(np.ones((2, 4, 3)))
    with pytest.raises(ValueError, match=r"5 steps x 3 features.*4 x 3"):
        flat.transform(np.ones((2, 5, 3)))
    with pytest.raises(NotFittedError):
        SequenceFlattener().transform(np.ones((2, 4, 3)))


def test_reshaper_needs_its_shape_and_shares_no_state():
    # the former thread-local registry let a SequenceFlattener fitted earlier
    # decide the shape; now the parameters alone do
    SequenceFlattener().fit(np.ones((2, 7, 2)))  # 14 columns, flattened as 7 x 2
    with pytest.raises(ValueError, match=r"pass n_features.*SequenceSampler"):
        SequenceReshaper().fit(np.ones((3, 14)))
    out = SequenceReshaper(n_features=7).fit_transform(np.ones((3, 14)))
    assert out.shape == (3, 2, 7)
    out = SequenceReshaper(n_timesteps=7).fit_transform(np.ones((3, 14)))
    assert out.shape == (3, 7, 2)
    assert SequenceReshaper(2, 7).fit(np.ones((3, 14))).shape_ == (2, 7)
    with pytest.raises(ValueError, match="cannot be reshaped"):
        SequenceReshaper(n_features=4).fit(np.ones((3, 14)))
    with pytest.raises(ValueError, match="cannot be reshaped"):
        SequenceReshaper(n_timesteps=3, n_features=4).fit(np.ones((3, 14)))


def test_fitted_reshaper_pickles_and_transforms():
    X = np.random.RandomState(0).normal(size=(4, 3, 2))
    Xf = SequenceFlattener().fit_transform(X)
    reshaper = pickle.loads(pickle.dumps(SequenceReshaper(n_features=2).fit(Xf)))
    np.testing.assert_array_equal(reshaper.transform(Xf), X)


# --------------------------------------------------------------------------
# All transformers: clone, pickle, n_samples and order
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("estimator", "X"),
    [
        (TextVectorizer(max_tokens=5), DOCS),
        (SequenceScaler(with_std=False), _ragged(np.random.RandomState(1))),
        (SequencePadder(maxlen=4, padding="post"), _ragged(np.random.RandomState(2))),
        (SequenceFlattener(), np.random.RandomState(3).normal(size=(5, 4, 2))),
        (SequenceReshaper(n_features=2), np.random.RandomState(4).normal(size=(5, 8))),
    ],
    ids=lambda p: type(p).__name__ if isinstance(p, BaseEstimator) else "",
)
def test_clone_pickle_and_sample_order(estimator, X):
    cloned = clone(estimator)
    assert cloned.get_params() == estimator.get_params()
    fitted = cloned.fit(X)
    out = fitted.transform(X)
    restored = pickle.loads(pickle.dumps(fitted))
    out_restored = restored.transform(X)
    assert len(out) == len(X)
    for a, b in zip(out, out_restored):
        np.testing.assert_array_equal(a, b)
    # each sample is transformed on its own: order follows the input
    reverse = fitted.transform(X[::-1])
    for a, b in zip(out[::-1], reverse):
        np.testing.assert_array_equal(a, b)


def test_no_torch_import():
    code = (
        "import sys, sklearn_seq.preprocessing, sklearn_seq.datasets\n"
        "assert 'torch' not in sys.modules and 'skorch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------
# imblearn pipelines: 2-D samplers on sequences through SequenceSampler
# --------------------------------------------------------------------------


class _Recorder(ClassifierMixin, BaseEstimator):
    """Logistic regression on flattened sequences that insists on 3-D input."""

    def fit(self, X, y):
        assert isinstance(X, np.ndarray) and X.ndim == 3, type(X)
        self.fit_shape_ = X.shape
        self.fit_counts_ = np.unique(y, return_counts=True)[1].tolist()
        self.clf_ = LogisticRegression().fit(X.reshape(len(X), -1), y)
        self.classes_ = self.clf_.classes_
        self.predict_shapes_ = []
        return self

    def predict_proba(self, X):
        assert X.ndim == 3, X.shape
        self.predict_shapes_.append(X.shape)
        return self.clf_.predict_proba(X.reshape(len(X), -1))

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def _imbalanced(n=120, minority=20, shape=(6, 3), seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, *shape))
    y = np.array([0] * (n - minority) + [1] * minority)
    X[y == 1, -2, 0] += 2.0
    return X, y


@pytest.mark.parametrize(
    ("sampler", "counts"),
    [
        (SMOTE(random_state=0), [100, 100]),
        (RandomUnderSampler(random_state=0), [20, 20]),
        (ADASYN(random_state=0), None),
        (SMOTEENN(random_state=0), None),
    ],
    ids=["SMOTE", "RandomUnderSampler", "ADASYN", "SMOTEENN"],
)
def test_imblearn_pipeline_resamples_at_fit_only(sampler, counts):
    X, y = _imbalanced()
    pipe = make_pipeline(SequenceSampler(sampler), _Recorder())
    pipe.fit(X, y)
    clf = pipe[-1]
    assert clf.fit_shape_[1:] == (6, 3)
    if counts is not None:
        assert clf.fit_counts_ == counts
    else:
        assert clf.fit_shape_[0] != len(X)  # resampled
    assert pipe.predict(X).shape == (120,)
    assert pipe.predict_proba(X[:7]).shape == (7, 2)
    assert clf.predict_shapes_ == [(120, 6, 3), (7, 6, 3)]  # no sampler at predict


def test_imblearn_pipeline_grid_search_stratified_kfold():
    X, y = _imbalanced()
    pipe = make_pipeline(SequenceSampler(SMOTE(random_state=0)), _Recorder())
    grid = GridSearchCV(
        pipe,
        {"sequencesampler__sampler__k_neighbors": [3, 5]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        scoring="average_precision",
    )
    with parallel_backend("threading", n_jobs=2):
        grid.fit(X, y)
    assert grid.best_score_ > 0.5
    assert grid.predict(X).shape == (120,)
    # the fitted pipeline clones and pickles
    restored = pickle.loads(pickle.dumps(grid.best_estimator_))
    np.testing.assert_array_equal(restored.predict(X), grid.predict(X))


def test_imblearn_pipeline_different_shapes_in_a_row():
    for shape in [(6, 3), (9, 2), (18, 1)]:  # same 18 columns, different shapes
        X, y = _imbalanced(shape=shape)
        pipe = make_pipeline(SequenceSampler(SMOTE()), _Recorder())
        pipe.fit(X, y)
        assert pipe[-1].fit_shape_[1:] == shape


def test_imblearn_pipeline_ragged_input():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(rng.randint(3, 8), 2)) for _ in range(40)]
    y = np.array([0] * 32 + [1] * 8)
    # ragged sequences are resampled as ragged sequences, then padded
    pipe = make_pipeline(
        SequenceSampler(SMOTE(k_neighbors=3)), SequencePadder(), _Recorder()
    )
    pipe.fit(X, y)
    assert pipe[-1].fit_shape_ == (64, 7, 2)
    assert pipe.predict(X[:5]).shape == (5,)
