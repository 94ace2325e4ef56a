# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of TokenVocabulary and CharVocabulary (sklearn_seq.preprocessing)."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from sklearn_seq.preprocessing import (
    CharVocabulary,
    SequencePadder,
    TextVectorizer,
    TokenVocabulary,
)
from sklearn_seq.preprocessing._text import OOV_ID, PAD_ID
from sklearn_seq.utils._param_validation import InvalidParameterError

SENTS = [["The", "cat", "sat", "."], ["the", "Dog", "sat"], ["a", "cat", "<unk>"]]


def _ids(arrays):
    return [a.tolist() for a in arrays]


# -- TokenVocabulary ------------------------------------------------------------
def test_token_vocabulary_sorted_ids_from_2_oov_1():
    vocab = TokenVocabulary().fit(SENTS)
    # sorted distinct lowercased tokens, from id 2; "<unk>" keeps its own id
    assert vocab.vocabulary_ == {
        ".": 2,
        "<unk>": 3,
        "a": 4,
        "cat": 5,
        "dog": 6,
        "sat": 7,
        "the": 8,
    }
    assert list(vocab.vocabulary_.values()) == list(range(2, 9))
    assert vocab.vocabulary_size_ == 9
    out = vocab.transform([["THE", "bird", "sat"], []])
    assert all(a.dtype == np.int64 for a in out)
    assert _ids(out) == [[8, OOV_ID, 7], []]  # one id per token, empty stays empty
    assert PAD_ID not in np.concatenate(vocab.transform(SENTS))


def test_token_vocabulary_lowercase_vs_surface():
    lower = TokenVocabulary(lowercase=True).fit(SENTS)
    surface = TokenVocabulary(lowercase=False).fit(SENTS)
    assert {"the", "dog"} <= set(lower.vocabulary_)
    assert not {"The", "Dog"} & set(lower.vocabulary_)
    assert {"The", "the", "Dog"} <= set(surface.vocabulary_)
    assert surface.transform([["the"]])[0][0] != surface.transform([["The"]])[0][0]
    assert lower.transform([["the"]])[0][0] == lower.transform([["The"]])[0][0]
    assert surface.transform([["DOG"]])[0].tolist() == [OOV_ID]
    # the input is left as it was
    assert SENTS[0][0] == "The"


def test_token_vocabulary_round_trip():
    vocab = TokenVocabulary(lowercase=False, oov_token="?").fit(SENTS)
    assert vocab.inverse_transform(vocab.transform(SENTS)) == [list(s) for s in SENTS]
    # padding is dropped, id 1 is oov_token, padded 2-D arrays work too
    padded = SequencePadder(padding="post").fit_transform(vocab.transform(SENTS))
    assert vocab.inverse_transform(padded) == [list(s) for s in SENTS]
    assert vocab.inverse_transform([[OOV_ID, 0]]) == [["?"]]
    assert vocab.get_vocabulary()[:2] == ["", "?"]
    assert vocab.get_vocabulary()[2:] == list(vocab.vocabulary_)
    with pytest.raises(ValueError, match="outside"):
        vocab.inverse_transform([[99]])
    with pytest.raises(ValueError, match="integer ids"):
        vocab.inverse_transform([[1.5]])


def test_token_vocabulary_accepts_tuples_and_arrays():
    vocab = TokenVocabulary().fit([("a", "b"), np.array(["B", "c"])])
    assert vocab.vocabulary_ == {"a": 2, "b": 3, "c": 4}
    assert _ids(vocab.fit_transform([("a", "b"), np.array(["B", "c"])])) == [
        [2, 3],
        [3, 4],
    ]


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        ("a b", TypeError, "single string"),
        (["a b"], TypeError, "TextVectorizer for raw text"),
        ([["a", 3]], TypeError, "holds int 3"),
        ([5], TypeError, "X\\[0\\] is a int"),
        ([], ValueError, "at least one document"),
    ],
)
def test_token_vocabulary_refuses_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        TokenVocabulary().fit(X)


def test_token_vocabulary_validates_params_and_fit():
    with pytest.raises(InvalidParameterError):
        TokenVocabulary(lowercase="yes").fit(SENTS)
    with pytest.raises(NotFittedError):
        TokenVocabulary().transform(SENTS)


def test_token_vocabulary_orders_differently_from_text_vectorizer():
    # same tokens, but TextVectorizer ranks by frequency and maps "<unk>" to 1
    tv = TextVectorizer().fit(SENTS)
    vocab = TokenVocabulary().fit(SENTS)
    assert set(tv.vocabulary_) == set(vocab.vocabulary_) - {"<unk>"}
    assert tv.vocabulary_["cat"] == 2 != vocab.vocabulary_["cat"]


# -- CharVocabulary ------------------------------------------------------------
def test_char_vocabulary_oov():
    chars = CharVocabulary().fit(["abba", "cab", ""])
    assert chars.vocabulary_ == {"a": 2, "b": 3, "c": 4}
    assert chars.vocabulary_size_ == 5
    out = chars.transform(["cad", ""])
    assert all(a.dtype == np.int64 for a in out)
    assert _ids(out) == [[4, 2, OOV_ID], []]
    assert chars.inverse_transform(out) == ["ca\ufffd", ""]
    assert chars.get_vocabulary() == ["", "\ufffd", "a", "b", "c"]
    assert chars.inverse_transform(chars.transform(["abc", "cab"])) == ["abc", "cab"]
    assert chars.inverse_transform([[2, 3, 0, 0]]) == ["ab"]  # padding dropped
    assert CharVocabulary(oov_token="?").fit(["ab"]).inverse_transform([[1]]) == ["?"]


def test_char_vocabulary_error_mode_ids_from_1():
    chars = CharVocabulary(handle_unknown="error").fit(["abba", "cab"])
    assert chars.vocabulary_ == {"a": 1, "b": 2, "c": 3}
    assert chars.vocabulary_size_ == 4
    assert _ids(chars.transform(["cab"])) == [[3, 1, 2]]
    assert chars.get_vocabulary() == ["", "a", "b", "c"]
    assert chars.inverse_transform([[3, 1, 2, 0]]) == ["cab"]
    with pytest.raises(
        ValueError, match=r"X\[1\] = 'dx' holds characters \['d', 'x'\]"
    ):
        chars.transform(["ab", "dx"])


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        ("ab", TypeError, "single string"),
        ([["a", "b"]], TypeError, "list of strings"),
        ([b"ab"], TypeError, "bytes"),
        ([], ValueError, "at least one document"),
    ],
)
def test_char_vocabulary_refuses_bad_input(X, error, match):
    with pytest.raises(error, match=match):
        CharVocabulary().fit(X)


def test_char_vocabulary_validates_params():
    with pytest.raises(InvalidParameterError):
        CharVocabulary(handle_unknown="ignore").fit(["ab"])


# -- both ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("est", "X"),
    [(TokenVocabulary(lowercase=False), SENTS), (CharVocabulary(), ["abc", "ca"])],
)
def test_vocabularies_clone_and_pickle(est, X):
    fitted = clone(est).fit(X)
    assert clone(fitted).get_params() == est.get_params()
    assert not hasattr(clone(fitted), "vocabulary_")
    loaded = pickle.loads(pickle.dumps(fitted))
    assert loaded.vocabulary_ == fitted.vocabulary_
    assert _ids(loaded.transform(X)) == _ids(fitted.transform(X))
    assert _ids(fitted.fit_transform(X)) == _ids(clone(est).fit(X).transform(X))


def test_vocabularies_in_a_pipeline():
    pipe = make_pipeline(TokenVocabulary(), SequencePadder(maxlen=5, padding="post"))
    out = pipe.fit_transform(SENTS)
    assert out.shape == (3, 5)
    assert out.dtype == np.int64
    # the padded ids map back through the vocabulary (padding dropped)
    assert pipe[0].inverse_transform(out)[1] == ["the", "dog", "sat"]

    pipe = make_pipeline(CharVocabulary(), SequencePadder(maxlen=4, padding="post"))
    out = pipe.fit_transform(["abc", "ca"])
    assert out.tolist() == [[2, 3, 4, 0], [4, 2, 0, 0]]
    assert pipe[0].inverse_transform(out) == ["abc", "ca"]
    assert pipe.set_params(charvocabulary__handle_unknown="error").fit(["ab"])


def test_vocabularies_in_a_pipeline_before_a_tagger():
    from sklearn_seq import SequenceTagger

    X = [["Anna", "lives", "in", "Paris"], ["Paris", "is", "big"]] * 4
    y = [["B", "O", "O", "B"], ["B", "O", "O"]] * 4
    params = {"hidden_size": 8, "max_epochs": 2, "random_state": 0}
    pipe = make_pipeline(TokenVocabulary(), SequenceTagger(**params)).fit(X, y)
    direct = SequenceTagger(**params).fit(X, y)
    assert direct.vocabulary_ == pipe[0].vocabulary_
    new = [["Bob", "is", "in", "Rome"]]
    np.testing.assert_array_equal(
        np.concatenate(pipe.predict_proba(new)),
        np.concatenate(direct.predict_proba(new)),
    )


# -- the estimators keep fitted vocabularies ------------------------------------
def test_tagger_keeps_fitted_vocabularies():
    from sklearn_seq import SequenceTagger

    X = [["The", "cat", "met", "Paris"], ["the", "paris", "cat"]] * 3
    y = [["O", "O", "O", "B"], ["O", "O", "O"]] * 3
    params = {"hidden_size": 8, "max_epochs": 1, "random_state": 0}
    tagger = SequenceTagger(char_embedding_dim=4, **params).fit(X, y)
    assert isinstance(tagger.token_vectorizer_, TokenVocabulary)
    assert tagger.token_vectorizer_.vocabulary_ == tagger.vocabulary_
    assert tagger.token_vectorizer_.lowercase is True
    assert tagger.surface_vectorizer_.vocabulary_ == tagger.surface_vocabulary_
    assert tagger.char_vectorizer_.vocabulary_ == tagger.char_vocabulary_
    assert (
        tagger.char_vocabulary_
        == CharVocabulary().fit([tok for sent in X for tok in sent]).vocabulary_
    )
    assert (
        tagger.surface_vocabulary_
        == TokenVocabulary(lowercase=False).fit(X).vocabulary_
    )
    # the surface table of the network spells the tokens in surface id order
    table = tagger.net_.module_.char_table.numpy()
    assert table[tagger.surface_vocabulary_["Paris"], :5].tolist() == (
        tagger.char_vectorizer_.transform(["Paris"])[0].tolist()
    )

    plain = SequenceTagger(lowercase=False, **params).fit(X, y)
    assert plain.token_vectorizer_.lowercase is False
    assert plain.surface_vectorizer_ is None
    assert plain.char_vectorizer_ is None
    ids = SequenceTagger(**params).fit([[1, 2, 3], [2, 3]], [[0, 1, 0], [1, 0]])
    assert ids.token_vectorizer_ is None
    assert ids.vocabulary_ is None


def test_seq2seq_keeps_char_vocabularies():
    from sklearn_seq import Seq2SeqEstimator

    X, y = ["abc", "cab", "bca"] * 3, ["ABC", "CAB", "BCA"] * 3
    model = Seq2SeqEstimator(hidden_size=8, max_epochs=1, random_state=0).fit(X, y)
    for vec, data in ((model.source_vectorizer_, X), (model.target_vectorizer_, y)):
        assert isinstance(vec, CharVocabulary)
        assert vec.handle_unknown == "error"
        assert min(vec.vocabulary_.values()) == 1
        assert (
            vec.vocabulary_
            == CharVocabulary(handle_unknown="error").fit(data).vocabulary_
        )
    assert all(isinstance(p, str) for p in model.predict(["abc"]))
    # a CharVocabulary with an out-of-vocabulary id works as vectorizer too
    oov = Seq2SeqEstimator(
        hidden_size=8, max_epochs=1, random_state=0, vectorizer=CharVocabulary()
    ).fit(X, y)
    assert oov.source_vectorizer_.vocabulary_["a"] == 2
    pred = oov.predict(["abd"])  # "d" unseen: id 1
    assert isinstance(pred[0], str)
