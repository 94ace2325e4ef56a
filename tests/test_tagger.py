# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of SequenceTagger, TaggerNet / TaggingLoss and make_ner_sentences."""

import pickle
from itertools import pairwise

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline

from conftest import fast
from sklearn_seq import SequenceTagger
from sklearn_seq.datasets import make_ner_sentences
from sklearn_seq.nn.crf import allowed_transitions
from sklearn_seq.nn.tagger import TaggerNet, TaggingLoss

FAST = fast(embedding_dim=8)


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    # tiny models: a second intra-op thread only adds contention on a shared CPU
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def _token_task(n=80, seed=0):
    """Token ids 1..6, tag = f(token): a trivially learnable mapping."""
    rng = np.random.default_rng(seed)
    tag_of = {1: "O", 2: "O", 3: "B-PER", 4: "B-LOC", 5: "O", 6: "B-PER"}
    X = [rng.integers(1, 7, size=rng.integers(3, 9)) for _ in range(n)]
    y = [[tag_of[int(t)] for t in x] for x in X]
    return X, y


@pytest.fixture(scope="module")
def ner():
    return make_ner_sentences(n_samples=60, random_state=0)


@pytest.mark.parametrize("crf", [False, True])
def test_learns_token_mapping(crf):
    X, y = _token_task()
    tagger = SequenceTagger(
        hidden_size=16, embedding_dim=8, max_epochs=25, lr=0.05, crf=crf, random_state=0
    ).fit(X, y)
    X_test, y_test = _token_task(n=40, seed=1)
    assert tagger.score(X_test, y_test) > 0.95
    assert tagger.n_epochs_ == 25


def test_tcn_tagger_learns_token_mapping():
    X, y = _token_task()
    tagger = SequenceTagger(
        cell="tcn", embedding_dim=8, max_epochs=25, lr=0.01, random_state=0
    ).fit(X, y)
    X_test, y_test = _token_task(n=40, seed=1)
    assert tagger.score(X_test, y_test) > 0.95


def test_predict_lengths_and_label_dtype():
    rng = np.random.default_rng(0)
    X = [rng.normal(size=(n, 2)).astype(np.float32) for n in (3, 5, 1, 4)]
    y = [(x[:, 0] > 0).astype(int) * 7 for x in X]  # int labels 0 / 7
    tagger = SequenceTagger(crf=True, **FAST).fit(X, y)
    assert tagger.classes_.tolist() == [0, 7]
    pred = tagger.predict(X)
    assert isinstance(pred, list)
    assert [len(p) for p in pred] == [3, 5, 1, 4]
    assert all(type(v) is int and v in (0, 7) for p in pred for v in p)

    X_tok, y_tok = _token_task(n=10)
    pred = SequenceTagger(**FAST).fit(X_tok, y_tok).predict(X_tok)
    assert [len(p) for p in pred] == [len(x) for x in X_tok]
    assert all(type(v) is str for p in pred for v in p)


@pytest.mark.parametrize("crf", [False, True])
def test_predict_proba_rows_sum_to_one(crf):
    X, y = _token_task(n=20)
    tagger = SequenceTagger(crf=crf, **FAST).fit(X, y)
    proba = tagger.predict_proba(X)
    assert len(proba) == len(X)
    for p, x in zip(proba, X, strict=True):
        assert p.shape == (len(x), len(tagger.classes_))
        np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-9)
        assert (p >= 0).all()
    if not crf:  # per-step argmax is the prediction without a CRF
        pred = tagger.predict(X)
        for p, labels in zip(proba, pred, strict=True):
            assert tagger.classes_[p.argmax(1)].tolist() == labels


def test_length_mismatch_names_the_sample():
    X = [[1, 2, 3], [2, 3], [1, 1, 1, 1]]
    y = [["O", "O", "B-X"], ["O", "O", "O"], ["O", "O", "O", "O"]]
    with pytest.raises(ValueError, match=r"y\[1\] has 3 labels but X\[1\] has 2"):
        SequenceTagger(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="3 sequences but y has 2"):
        SequenceTagger(**FAST).fit(X, y[:2])
    with pytest.raises(ValueError, match=r"y\[0\] must be a 1-D sequence"):
        SequenceTagger(**FAST).fit(X, ["OOB", "OO", "OOOO"])


@pytest.mark.parametrize("crf", [False, True])
@pytest.mark.parametrize("cell", ["lstm", "transformer", "tcn"])
def test_padding_invariance(crf, cell):
    X, y = _token_task(n=30)
    tagger = SequenceTagger(crf=crf, cell=cell, **FAST).fit(X, y)
    batch = tagger.predict(X)
    batch_proba = tagger.predict_proba(X)
    for i in (0, 7, 13):
        assert tagger.predict([X[i]])[0] == batch[i]
        np.testing.assert_allclose(
            tagger.predict_proba([X[i]])[0], batch_proba[i], atol=1e-6
        )


def test_clone_pickle_and_reproducibility(ner):
    X, y = ner
    tagger = SequenceTagger(
        crf=True, crf_constraints="bio", char_embedding_dim=4, **FAST
    )
    cloned = clone(tagger)
    assert cloned.get_params() == tagger.get_params()
    tagger.fit(X, y)
    assert not hasattr(cloned, "net_")
    restored = pickle.loads(pickle.dumps(tagger))
    assert restored.predict(X[:10]) == tagger.predict(X[:10])
    again = clone(tagger).fit(X, y)
    np.testing.assert_array_equal(
        np.concatenate(again.predict_proba(X[:5])),
        np.concatenate(tagger.predict_proba(X[:5])),
    )


def test_cross_val_score_entity_f1(ner):
    pytest.importorskip("sklearn_seq.metrics")
    from sklearn_seq.metrics import get_scorer

    X, y = ner
    scores = cross_val_score(
        SequenceTagger(crf=True, **{**FAST, "max_epochs": 4, "hidden_size": 16}),
        X,
        y,
        cv=KFold(3),
        scoring=get_scorer("entity_f1"),
    )
    assert scores.shape == (3,)
    assert np.isfinite(scores).all() and (scores >= 0).all() and (scores <= 1).all()


def test_grid_search_over_crf(ner):
    X, y = ner
    grid = GridSearchCV(
        SequenceTagger(**FAST), {"crf": [False, True]}, cv=KFold(2)
    ).fit(X, y)
    assert grid.best_params_["crf"] in (False, True)
    assert 0 <= grid.best_score_ <= 1  # token accuracy


@pytest.mark.parametrize("char_embedding_dim", [None, 4])
def test_token_strings_and_unseen_words(char_embedding_dim, ner):
    X, y = ner
    tagger = SequenceTagger(
        char_embedding_dim=char_embedding_dim, word_dropout=0.1, **FAST
    ).fit(X, y)
    assert tagger.input_kind_ == "tokens"
    assert tagger.vocab_size_ == len(tagger.vocabulary_) + 2
    assert min(tagger.vocabulary_.values()) == 2
    new = [["Qwyx", "Zzorbinski", "visited", "Port", "Yllquist", "ÿ", "."]]
    pred = tagger.predict(new)
    assert len(pred[0]) == 7
    assert set(pred[0]) <= set(tagger.classes_.tolist())
    with pytest.raises(ValueError, match="fitted on token strings"):
        tagger.predict([[2, 3, 4]])


def test_pipeline_with_text_vectorizer(ner):
    from sklearn_seq.preprocessing import TextVectorizer

    X, y = ner
    pipe = make_pipeline(TextVectorizer(lowercase=False), SequenceTagger(**FAST))
    pred = pipe.fit(X, y).predict(X[:3])
    assert [len(p) for p in pred] == [len(x) for x in X[:3]]


def test_input_errors():
    y = [["O", "B-X"], ["O"]]
    with pytest.raises(TypeError, match="pre-tokenised"):
        SequenceTagger(**FAST).fit(["a b", "c"], y)
    with pytest.raises(ValueError, match="char_embedding_dim needs X as token"):
        SequenceTagger(char_embedding_dim=4, **FAST).fit([[1, 2], [3]], y)
    with pytest.raises(ValueError, match="at least 2 distinct labels"):
        SequenceTagger(**FAST).fit([[1, 2], [3]], [["O", "O"], ["O"]])
    with pytest.raises(ValueError, match="leave criterion"):
        SequenceTagger(crf=True, criterion=torch.nn.CrossEntropyLoss, **FAST).fit(
            [[1, 2], [3]], y
        )
    with pytest.raises(ValueError, match="class_weight weighs"):
        SequenceTagger(crf=True, class_weight="balanced", **FAST).fit([[1, 2], [3]], y)
    with pytest.raises(ValueError, match="cell"):
        SequenceTagger(cell="fcn", **FAST).fit([[1, 2], [3]], y)


@pytest.mark.parametrize("first", [False, True])
def test_empty_sentence_refused_at_fit_and_predict(first):
    """Token strings and ids alike, wherever the empty sentence is."""
    strings = [["a", "b"], ["c"], ["a"]]
    ids = [[1, 2], [3], [1]]
    y = [["O", "B-X"], ["B-X"], ["O"]]
    i = 0 if first else 2
    for X in (strings, ids):
        bad_X = [list(x) for x in X]
        bad_X[i] = []
        bad_y = [list(t) for t in y]
        bad_y[i] = []
        with pytest.raises(ValueError, match=rf"X\[{i}\] is an empty (sentence|seq)"):
            SequenceTagger(**FAST).fit(bad_X, bad_y)
        tagger = SequenceTagger(**FAST).fit(X, y)
        with pytest.raises(ValueError, match=rf"X\[{i}\] is an empty (sentence|seq)"):
            tagger.predict(bad_X)
        with pytest.raises(ValueError, match=rf"X\[{i}\] is an empty (sentence|seq)"):
            tagger.predict_proba(bad_X)
    tagger = SequenceTagger(**FAST).fit(ids, y)
    with pytest.raises(ValueError, match=r"X\[1\] is an empty seq"):
        tagger.predict([np.array([1, 2]), np.array([], dtype=np.int64)])


def test_crf_constraints():
    X = [[1, 2, 3], [2, 3], [3, 1, 2, 2]]
    y = [["B-PER", "I-PER", "O"], ["O", "B-LOC"], ["O", "B-PER", "I-PER", "O"]]
    tagger = SequenceTagger(crf=True, crf_constraints="auto", **FAST).fit(X, y)
    assert tagger.crf_constraints_ == "bio"
    assert not tagger.net_.module_.crf.allowed_transitions.all()
    for path in tagger.predict([[1, 2, 3, 3, 2, 1], [2]]):
        start, trans, end = allowed_transitions("bio", tagger.classes_.tolist())
        ids = [tagger.classes_.tolist().index(t) for t in path]
        assert start[ids[0]] and end[ids[-1]]
        assert all(trans[a, b] for a, b in pairwise(ids))
    bad = [["B-PER", "I-PER", "O"], ["O", "I-LOC"], ["O", "B-PER", "I-PER", "O"]]
    with pytest.raises(ValueError, match=r"y\[1\] = \['O', 'I-LOC'\] breaks the BIO"):
        SequenceTagger(crf=True, crf_constraints="bio", **FAST).fit(X, bad)
    ints = [[0, 1, 1], [0, 1], [1, 0, 0, 1]]
    assert (
        SequenceTagger(crf=True, crf_constraints="auto", **FAST)
        .fit(X, ints)
        .crf_constraints_
        is None
    )
    with pytest.raises(ValueError, match="needs tag names"):
        SequenceTagger(crf=True, crf_constraints="bio", **FAST).fit(X, ints)


def test_class_weight_and_sample_weight():
    X, y = _token_task(n=20)
    tagger = SequenceTagger(class_weight="balanced", **FAST)
    tagger.fit(X, y, sample_weight=np.linspace(0.5, 2, 20))
    assert tagger.class_weight_.shape == (3,)
    assert tagger.class_weight_[tagger.classes_.tolist().index("O")] < 1
    tagger = SequenceTagger(class_weight={"B-PER": 3.0}, **FAST).fit(X, y)
    assert tagger.class_weight_.tolist() == [1.0, 3.0, 1.0]
    SequenceTagger(crf=True, **FAST).fit(X, y, sample_weight=np.ones(20))
    with pytest.raises(ValueError, match="not in the training tags"):
        SequenceTagger(class_weight={"B-ORG": 2.0}, **FAST).fit(X, y)


def test_score_is_token_accuracy():
    X, y = _token_task(n=20)
    tagger = SequenceTagger(**FAST).fit(X, y)
    pred = tagger.predict(X)
    expected = np.mean(
        [
            p == t
            for ps, ts in zip(pred, y, strict=True)
            for p, t in zip(ps, ts, strict=True)
        ]
    )
    assert tagger.score(X, y) == pytest.approx(expected)


def test_score_validates_sample_weight():
    X, y = _token_task(n=6)
    tagger = SequenceTagger(**FAST).fit(X, y)
    # extra weights were ignored, NaN weights gave a NaN score
    with pytest.raises(ValueError, match=r"sample_weight\.shape"):
        tagger.score(X, y, sample_weight=np.ones(7))
    with pytest.raises(ValueError, match="NaN"):
        tagger.score(X, y, sample_weight=[1, np.nan, 1, 1, 1, 1])
    with pytest.raises(ValueError, match="at least one non-zero"):
        tagger.score(X, y, sample_weight=np.zeros(6))
    w = np.arange(1.0, 7.0)
    pred = tagger.predict(X)
    hits = [np.mean(np.array(p) == np.array(t)) for p, t in zip(pred, y)]
    steps = np.array([len(t) for t in y])
    assert tagger.score(X, y, sample_weight=w) == pytest.approx(
        np.sum(np.array(hits) * steps * w) / np.sum(steps * w)
    )


def test_params_and_docstring():
    tagger = SequenceTagger()
    params = tagger.get_params()
    assert "pooling" not in params
    assert params["bidirectional"] is True
    assert params["crf"] is False
    doc = SequenceTagger.__doc__
    assert "bidirectional : bool, default=True" in doc
    assert "pooling :" not in doc
    assert '"fcn"' not in doc


def test_tagging_loss_matches_cross_entropy():
    torch.manual_seed(0)
    emissions = torch.randn(2, 3, 4)
    target = torch.tensor([[0, 3, 1, -100, -100], [2, -100, -100, -100, -100]])
    loss = TaggingLoss()(emissions, target)
    mask = target[:, :3] != -100
    expected = torch.nn.functional.cross_entropy(emissions[mask], target[:, :3][mask])
    torch.testing.assert_close(loss, expected)
    per_seq = TaggingLoss(reduction="none")(emissions, target)
    ce = torch.nn.functional.cross_entropy(
        emissions[0], target[0, :3], reduction="none"
    )
    torch.testing.assert_close(per_seq[0], ce.mean())

    net = TaggerNet(2, 4, hidden_size=4, crf=True)
    crf_loss = TaggingLoss(crf=True).set_module(net)
    x, lengths = torch.randn(2, 3, 2), torch.tensor([3, 1])
    em = net(x, lengths)
    nll = net.crf(em, target[:, :3], target[:, :3] != -100, reduction="sum")
    torch.testing.assert_close(crf_loss(em, target), nll / 4)
    assert list(crf_loss.parameters()) == []
    with pytest.raises(RuntimeError, match="set_module"):
        TaggingLoss(crf=True)(em, target)


def test_make_ner_sentences():
    X, y = make_ner_sentences(n_samples=50, random_state=1)
    X2, y2 = make_ner_sentences(n_samples=50, random_state=1)
    assert X == X2 and y == y2
    tags = sorted({t for tags in y for t in tags})
    start, trans, end = allowed_transitions("bio", tags)
    for sent, labels in zip(X, y, strict=True):
        assert len(sent) == len(labels) > 0
        ids = [tags.index(t) for t in labels]
        assert start[ids[0]] and end[ids[-1]]
        assert all(trans[a, b] for a, b in pairwise(ids))
    assert {t[2:] for t in tags if t != "O"} == {"PER", "ORG", "LOC", "MISC"}
