# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Token models on unseen words: OOV row, word and embedding dropout, char CNN,
lowercased vocabularies, TextVectorizer's token pattern (issue 15, item 3)."""

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.utils._param_validation import InvalidParameterError

from conftest import fast
from sklearn_seq import SequenceClassifier, SequenceRegressor, SequenceTagger
from sklearn_seq.estimators._embedder import SequenceEmbedder
from sklearn_seq.estimators._seq2seq import Seq2SeqEstimator
from sklearn_seq.nn import SequenceNet, TaggerNet, WordDropout
from sklearn_seq.nn.models import OOV_ID, make_token_embedding
from sklearn_seq.nn.seq2seq import Seq2Seq
from sklearn_seq.nn.tagger import CharCNN
from sklearn_seq.preprocessing import TextVectorizer
from sklearn_seq.preprocessing._text import OOV_ID as TEXT_OOV_ID

FAST = fast(embedding_dim=8, batch_size=32)  # 32: the estimators' default


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(saved)


def _capture_input(module):
    """Record the input of ``module`` at each forward call."""
    seen = []
    module.register_forward_hook(lambda m, args, out: seen.append(args[0].detach()))
    return seen


# -- OOV row -----------------------------------------------------------------
def test_oov_convention_is_shared():
    assert OOV_ID == TEXT_OOV_ID == 1


@pytest.mark.parametrize(
    "make",
    [
        lambda: make_token_embedding(50, 16),
        lambda: SequenceNet(None, 2, vocab_size=50, embedding_dim=16).embedding,
        lambda: TaggerNet(None, 3, vocab_size=50, embedding_dim=16).embedding,
    ],
)
def test_oov_and_padding_rows_start_at_zero(make):
    torch.manual_seed(0)
    weight = make().weight.detach()
    assert torch.count_nonzero(weight[0]) == 0
    assert torch.count_nonzero(weight[OOV_ID]) == 0
    # the other rows keep torch's N(0, 1) initialisation
    assert weight[2:].norm(dim=1).min() > 1.0


def test_word_dropout_trains_the_oov_row():
    rng = np.random.default_rng(0)
    X = [rng.integers(2, 30, size=rng.integers(3, 9)) for _ in range(60)]
    y = np.array([int(x[0] > 15) for x in X])
    off = SequenceClassifier(word_dropout=0.0, **FAST).fit(X, y)
    on = SequenceClassifier(word_dropout=0.2, **FAST).fit(X, y)
    # id 1 never occurs in X: only word dropout can train its row
    assert torch.count_nonzero(off.net_.module_.embedding.weight[OOV_ID]) == 0
    assert torch.count_nonzero(on.net_.module_.embedding.weight[OOV_ID]) > 0


# -- word dropout --------------------------------------------------------------
def test_word_dropout_hits_only_real_tokens_in_training():
    torch.manual_seed(0)
    ids = torch.randint(2, 100, (64, 50))
    ids[:, 30:] = 0  # padding
    drop = WordDropout(0.3)
    out = drop(ids)
    changed = out != ids
    assert torch.all(out[changed] == OOV_ID)
    assert not changed[:, 30:].any()  # padding is never replaced
    assert torch.all(out[:, 30:] == 0)
    rate = changed[:, :30].float().mean().item()
    assert 0.25 < rate < 0.35
    drop.eval()
    assert torch.equal(drop(ids), ids)
    assert torch.equal(WordDropout(0.0)(ids), ids)
    with pytest.raises(ValueError, match="p must be"):
        WordDropout(1.0)


@pytest.mark.parametrize("net_cls", [SequenceNet, TaggerNet])
def test_word_dropout_inside_the_networks(net_cls):
    torch.manual_seed(0)
    net = net_cls(None, 2, vocab_size=40, embedding_dim=4, word_dropout=0.5)
    seen = _capture_input(net.embedding)
    x = torch.randint(2, 40, (8, 12))
    x[:, 9:] = 0
    lengths = torch.full((8,), 9)
    net.train()(x, lengths)
    assert (seen[-1] == OOV_ID).any()
    assert torch.all(seen[-1][:, 9:] == 0)
    net.eval()(x, lengths)
    assert torch.equal(seen[-1], x)


# -- embedding dropout -----------------------------------------------------------
def _embedding_dropout_case(kind):
    torch.manual_seed(0)
    x = torch.randint(2, 40, (4, 6))
    lengths = torch.full((4,), 6)
    if kind == "sequence_net":
        net = SequenceNet(
            None, 2, vocab_size=40, embedding_dim=16, embedding_dropout=0.5
        )
        return net, net.embedding, net.encoder, (x, lengths)
    if kind == "tagger":
        net = TaggerNet(None, 2, vocab_size=40, embedding_dim=16, embedding_dropout=0.5)
        return net, net.embedding, net.encoder, (x, lengths)
    net = Seq2Seq(40, 8, embedding_dim=16, embedding_dropout=0.5)
    dec = torch.tensor([[1, 3]] * 4)
    return net, net.src_embedding, net.encoder, (x, lengths, dec)


@pytest.mark.parametrize("kind", ["sequence_net", "tagger", "seq2seq"])
def test_embedding_dropout_in_train_mode_only(kind):
    net, embedding, encoder, args = _embedding_dropout_case(kind)
    emb = _capture_input(encoder)
    raw = []
    embedding.register_forward_hook(lambda m, a, out: raw.append(out.detach()))
    net.train()(*args)
    dropped, full = emb[-1], raw[-1]
    zeros = dropped == 0
    assert 0.3 < zeros.float().mean().item() < 0.7
    torch.testing.assert_close(dropped[~zeros], 2 * full[~zeros])  # 1 / (1 - p)
    net.eval()(*args)
    torch.testing.assert_close(emb[-1], raw[-1])


def test_embedding_dropout_defaults_to_dropout():
    net = SequenceNet(None, 2, vocab_size=10, dropout=0.3)
    assert net.embedding_dropout.p == 0.3  # None: dropout, as the other modules
    assert TaggerNet(None, 2, vocab_size=10, dropout=0.3).input_dropout.p == 0.3
    assert Seq2Seq(10, 8, dropout=0.3).src_dropout.p == 0.3
    X, y = [[2, 3, 4], [3, 2], [4, 4, 2], [2]] * 5, [0, 1, 0, 1] * 5
    clf = SequenceClassifier(dropout=0.3, embedding_dropout=None, **FAST).fit(X, y)
    assert clf.net_.module_.embedding_dropout.p == 0.3
    clf = SequenceClassifier(**FAST).fit(X, y)  # the classifier's default
    assert clf.net_.module_.embedding_dropout.p == 0.5
    reg = SequenceRegressor(dropout=0.3, **FAST).fit(X, np.asarray(y, float))
    assert reg.net_.module_.embedding_dropout.p == 0.3
    clf = SequenceClassifier(dropout=0.3, embedding_dropout=0.1, **FAST).fit(X, y)
    assert clf.net_.module_.embedding_dropout.p == 0.1
    assert clf.net_.module_.word_dropout.p == clf.word_dropout


# -- character CNN ---------------------------------------------------------------
def test_char_cnn_filters_are_their_own_parameter():
    cnn = CharCNN(12, 4, n_filters=30)
    assert cnn.conv.out_channels == 30 and cnn.output_size == 30
    assert CharCNN(12, 4).output_size == 4
    X = [["Anna", "lives", "in", "Paris"], ["Paris", "is", "big"]] * 4
    y = [["B", "O", "O", "B"], ["B", "O", "O"]] * 4
    tagger = SequenceTagger(char_embedding_dim=5, char_n_filters=7, **FAST).fit(X, y)
    module = tagger.net_.module_
    assert module.char_cnn.embedding.embedding_dim == 5
    assert module.char_cnn.conv.out_channels == 7
    assert SequenceTagger().char_n_filters >= 30


# -- lowercase-aware vocabulary ------------------------------------------------------
def test_tagger_lowercases_words_but_spells_the_original_case():
    X = [["The", "cat", "met", "Paris"], ["the", "paris", "cat"]] * 3
    y = [["O", "O", "O", "B"], ["O", "O", "O"]] * 3
    tagger = SequenceTagger(char_embedding_dim=4, **FAST).fit(X, y)
    assert tagger.lowercase is True
    assert set(tagger.vocabulary_) == {"the", "cat", "met", "paris"}
    assert {"The", "the", "Paris", "paris"} <= set(tagger.surface_vocabulary_)
    module = tagger.net_.module_
    surface = tagger.surface_vocabulary_
    # "Paris" and "paris" share a word row but are spelled differently
    assert module.word_map[surface["Paris"]] == module.word_map[surface["paris"]]
    assert not torch.equal(
        module.char_table[surface["Paris"]], module.char_table[surface["paris"]]
    )
    # an unseen case variant finds its lowercase word and keeps its spelling
    seqs, (chars, words) = tagger._check_X([["PARIS", "Zork"]], reset=False)
    assert words.tolist() == [tagger.vocabulary_["paris"], OOV_ID]
    assert seqs.values.min() >= len(surface) + 2
    assert chars.shape[0] == 2
    assert len(tagger.predict([["PARIS", "Zork", "the"]])[0]) == 3

    cased = SequenceTagger(lowercase=False, **FAST).fit(X, y)
    assert {"The", "the", "Paris", "paris"} <= set(cased.vocabulary_)
    assert cased.surface_vocabulary_ is None
    plain = SequenceTagger(**FAST).fit(X, y)  # no char CNN: ids are words
    assert plain.surface_vocabulary_ is None
    assert plain.vocab_size_ == len(plain.vocabulary_) + 2 == 6


# -- TextVectorizer ------------------------------------------------------------
def test_text_vectorizer_default_keeps_short_words_and_punctuation():
    vec = TextVectorizer().fit(["A cat, a dog; I ran!"])
    assert {"a", ",", ";", "i", "!"} <= set(vec.vocabulary_)
    ids = vec.transform(["a cat ,"])[0].tolist()
    assert OOV_ID not in ids and len(ids) == 3
    old = TextVectorizer(token_pattern=r"(?u)\b\w\w+\b").fit(["A cat, a dog"])
    assert set(old.vocabulary_) == {"cat", "dog"}


# -- parameters -----------------------------------------------------------------
ESTIMATORS = [
    (SequenceClassifier, {"embedding_dropout": 0.2, "word_dropout": 0.1}),
    (SequenceRegressor, {"embedding_dropout": 0.2, "word_dropout": 0.1}),
    (SequenceEmbedder, {"embedding_dropout": 0.2, "word_dropout": 0.1}),
    (Seq2SeqEstimator, {"embedding_dropout": 0.2}),
    (
        SequenceTagger,
        {
            "embedding_dropout": 0.2,
            "word_dropout": 0.1,
            "char_n_filters": 12,
            "lowercase": False,
        },
    ),
]


@pytest.mark.parametrize(("cls", "params"), ESTIMATORS)
def test_new_parameters_round_trip(cls, params):
    est = cls(**params)
    cloned = clone(est)
    for name, value in params.items():
        assert cloned.get_params()[name] == value
        assert f"{name} :" in cls.__doc__
    assert clone(cls()).set_params(**params).get_params()["embedding_dropout"] == 0.2


@pytest.mark.parametrize(
    ("cls", "bad"),
    [
        (SequenceClassifier, {"word_dropout": 1.0}),
        (SequenceClassifier, {"embedding_dropout": -0.1}),
        (SequenceTagger, {"char_n_filters": 0}),
        (SequenceTagger, {"lowercase": "yes"}),
    ],
)
def test_new_parameters_are_validated(cls, bad):
    X, y = [[2, 3], [3, 2]] * 4, [0, 1] * 4
    if cls is SequenceTagger:
        y = [[0, 1], [1, 0]] * 4
    with pytest.raises(InvalidParameterError):
        cls(**bad, **FAST).fit(X, y)
