# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Seq2SeqEstimator, the Seq2Seq module, sequence-output metrics and the
synthetic seq2seq tasks."""

import math
import pickle
import warnings
from collections import Counter

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_seq import Seq2SeqEstimator
from sklearn_seq.data._seq2seq import Seq2SeqDataset, collate_targets
from sklearn_seq.datasets import make_date_task, make_reversal_task
from sklearn_seq.metrics import (
    bleu_score,
    exact_match_score,
    token_accuracy_score,
)
from sklearn_seq.nn.seq2seq import EOS_ID, N_SPECIAL, Seq2Seq
from sklearn_seq.utils import check_sequences


@pytest.fixture(scope="module", autouse=True)
def _one_thread():
    # tiny models on a shared CPU: extra threads only add contention
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def copy_data():
    X, y = make_reversal_task(
        400, min_length=3, max_length=6, vocab_size=6, task="copy", random_state=0
    )
    Xt, yt = make_reversal_task(
        60, min_length=3, max_length=6, vocab_size=6, task="copy", random_state=1
    )
    return X, y, Xt, yt


@pytest.fixture(scope="module")
def fitted(copy_data):
    X, y, _, _ = copy_data
    return Seq2SeqEstimator(
        hidden_size=32, max_epochs=20, lr=1e-2, attention="bahdanau", random_state=0
    ).fit(X, y)


def _tensors(seqs):
    lengths = torch.tensor([len(s) for s in seqs])
    x = torch.zeros(len(seqs), int(lengths.max()), dtype=torch.long)
    for i, s in enumerate(seqs):
        x[i, : len(s)] = torch.as_tensor(np.asarray(s))
    return x, lengths


# -- learning ----------------------------------------------------------------
def test_learns_copy_task(fitted, copy_data):
    _, _, Xt, yt = copy_data
    pred = fitted.predict(Xt)
    assert token_accuracy_score(yt, pred) > 0.9
    assert fitted.score(Xt, yt) == token_accuracy_score(yt, pred)
    assert all(p.dtype == np.int64 for p in pred)


def test_output_lengths_bounded(fitted, copy_data):
    _, _, Xt, _ = copy_data
    model = clone(fitted).set_params(max_epochs=1, max_output_length=2)
    X, y, _, _ = copy_data
    model.fit(X[:40], y[:40])
    assert model.max_output_length_ == 2
    assert all(len(p) <= 2 for p in model.predict(Xt))
    assert all(len(p) <= 2 for p in model.set_params(beam_size=3).predict(Xt))
    assert fitted.max_output_length_ == 12  # twice the longest target
    assert all(len(p) <= 12 for p in fitted.predict(Xt))


# -- decoding ----------------------------------------------------------------
def test_beam_one_equals_greedy_and_beam_not_worse(fitted, copy_data):
    _, _, Xt, _ = copy_data
    module = fitted.net_.module_.eval()
    x, lengths = _tensors(Xt)
    with torch.no_grad():
        g_tok, g_att, g_score = module.greedy(x, lengths, 12)
        b_tok, b_att, b_score = module.beam_search(x, lengths, 1, 12)
        assert all(torch.equal(a, b) for a, b in zip(g_tok, b_tok))
        assert all(torch.allclose(a, b) for a, b in zip(g_att, b_att))
        torch.testing.assert_close(g_score, b_score)
        # returned scores are the model's log-probabilities of the outputs
        torch.testing.assert_close(
            module.sequence_log_prob(x, lengths, g_tok), g_score, atol=1e-4, rtol=1e-4
        )
        k_tok, _, k_score = module.beam_search(x, lengths, 4, 12, length_penalty=0.0)
        k_logp = module.sequence_log_prob(x, lengths, k_tok)
    torch.testing.assert_close(k_logp, k_score, atol=1e-4, rtol=1e-4)
    assert bool((k_logp >= g_score - 1e-4).all())


def test_estimator_beam_one_equals_greedy(fitted, copy_data):
    _, _, Xt, _ = copy_data
    greedy = fitted.predict(Xt)
    beam = clone(fitted).set_params(beam_size=4)
    beam.__dict__.update({k: v for k, v in fitted.__dict__.items() if k.endswith("_")})
    out = beam.predict(Xt)
    assert len(out) == len(greedy)
    assert token_accuracy_score(greedy, out) > 0.8


@pytest.mark.parametrize("beam_size", [1, 2])
def test_predictions_come_back_in_input_order_across_batches(
    fitted, copy_data, beam_size
):
    # decoding batches are sorted by decreasing length (the partial batch
    # holds the shortest sources); outputs must still follow the input
    _, _, Xt, _ = copy_data
    est = clone(fitted).set_params(beam_size=beam_size)
    est.__dict__.update({k: v for k, v in fitted.__dict__.items() if k.endswith("_")})
    X_big = (Xt * 5)[:300]  # more than one 256-sequence batch
    out = est.predict(X_big)
    perm = np.random.default_rng(0).permutation(len(X_big))
    shuffled = est.predict([X_big[i] for i in perm])
    for j, i in enumerate(perm):
        np.testing.assert_array_equal(shuffled[j], out[i])
    for i in (0, 7, 299):
        np.testing.assert_array_equal(est.predict([X_big[i]])[0], out[i])
    maps = est.predict_attention(X_big)
    assert [len(m) for m in maps] == [len(p) for p in out]


def test_attention_weights(fitted, copy_data):
    _, _, Xt, _ = copy_data
    pred = fitted.predict(Xt)
    maps = fitted.predict_attention(Xt)
    for x, p, a in zip(Xt, pred, maps):
        assert a.shape == (len(p), len(x))
        np.testing.assert_allclose(a.sum(axis=1), 1.0, atol=1e-5)
    # padding gets exactly zero weight inside a padded batch
    module = fitted.net_.module_.eval()
    x, lengths = _tensors(Xt[:8])
    with torch.no_grad():
        memory, mask, state = module.encode(x, lengths)
        _, _, weights = module.step(
            torch.ones(8, dtype=torch.long), state, memory, mask
        )
    assert bool((weights[~mask] == 0).all())
    torch.testing.assert_close(weights.sum(1), torch.ones(8))


@pytest.mark.parametrize("beam_size", [1, 3])
def test_padding_invariance(fitted, copy_data, beam_size):
    _, _, Xt, _ = copy_data
    module = fitted.net_.module_.eval()
    seqs = [Xt[0][:3], *Xt[1:6]]
    x, lengths = _tensors(seqs)
    with torch.no_grad():
        batch = module.beam_search(x, lengths, beam_size, 10)
        for i, s in enumerate(seqs):
            alone = module.beam_search(*_tensors([s]), beam_size, 10)
            assert torch.equal(alone[0][0], batch[0][i])
            torch.testing.assert_close(alone[1][0], batch[1][i])


@pytest.mark.parametrize(
    "attention", [None, "luong_dot", "luong_general", "luong_concat"]
)
@pytest.mark.parametrize("cell", ["gru", "transformer"])
def test_module_variants(attention, cell):
    torch.manual_seed(0)
    model = Seq2Seq(
        9,
        7,
        embedding_dim=8,
        hidden_size=8,
        num_layers=2,
        cell=cell,
        attention=attention,
        teacher_forcing_ratio=0.5,
    )
    x, lengths = _tensors([[3, 4, 5], [6, 7]])
    dec_in = torch.tensor([[1, 3, 4], [1, 5, 0]])
    logits = model.train()(x, lengths, dec_in)
    assert logits.shape == (2, 3, 7)
    logits.sum().backward()
    tokens, weights, _ = model.eval().beam_search(x, lengths, 2, 5)
    assert all(len(t) <= 5 and bool((t >= N_SPECIAL).all()) for t in tokens)
    assert (weights is None) == (attention is None)


def test_bidirectional_and_luong_dot_sizes():
    model = Seq2Seq(9, 7, hidden_size=8, bidirectional=True, attention="luong_dot")
    assert model.decoder_hidden_size == 16
    with pytest.raises(ValueError, match="luong_dot"):
        Seq2Seq(9, 7, hidden_size=8, decoder_hidden_size=4, attention="luong_dot")


# -- estimator contract --------------------------------------------------------
def test_clone_pickle_and_reproducible(fitted, copy_data):
    X, y, Xt, _ = copy_data
    restored = pickle.loads(pickle.dumps(fitted))
    for a, b in zip(fitted.predict(Xt), restored.predict(Xt)):
        np.testing.assert_array_equal(a, b)
    params = fitted.get_params()
    assert clone(fitted).get_params() == params
    a = Seq2SeqEstimator(hidden_size=8, max_epochs=1, random_state=3).fit(
        X[:50], y[:50]
    )
    b = Seq2SeqEstimator(hidden_size=8, max_epochs=1, random_state=3).fit(
        X[:50], y[:50]
    )
    for p, q in zip(a.predict(Xt), b.predict(Xt)):
        np.testing.assert_array_equal(p, q)


def test_strings_and_teacher_forcing():
    X, y = make_date_task(60, formats=["dd_mm_yyyy"], random_state=0)
    model = Seq2SeqEstimator(
        hidden_size=16,
        max_epochs=2,
        attention="luong_general",
        teacher_forcing_ratio=0.5,
        beam_size=2,
        random_state=0,
    ).fit(X, y)
    pred = model.predict(X[:5])
    assert all(isinstance(p, str) for p in pred)
    maps = model.predict_attention(X[:5])
    assert [m.shape[1] for m in maps] == [len(s) for s in X[:5]]
    with pytest.raises(ValueError, match="not seen in fit"):
        model.predict(["31 December 1999"])
    with pytest.raises(ValueError, match="fitted on strings"):
        model.predict([[1, 2]])


def test_grid_search_over_attention():
    X, y = make_reversal_task(
        40, min_length=2, max_length=4, vocab_size=4, random_state=0
    )
    grid = GridSearchCV(
        Seq2SeqEstimator(max_epochs=1, random_state=0),
        {"attention": [None, "bahdanau"], "hidden_size": [8]},
        cv=KFold(2),
    ).fit(X, y)
    assert set(grid.cv_results_["param_attention"]) == {None, "bahdanau"}


def test_errors():
    model = Seq2SeqEstimator(max_epochs=1)
    with pytest.raises(ValueError, match="empty target sequence"):
        model.fit([[1, 2], [3]], [[1], []])
    with pytest.raises(ValueError, match="empty target sequence"):
        model.fit(["ab", "c"], ["x", ""])
    with pytest.raises(ValueError, match=">= 1"):
        model.fit([[1, 2], [3]], [[0, 1], [2]])
    with pytest.raises(ValueError, match="2 sequences but y has 1"):
        model.fit([[1, 2], [3]], [[1]])
    with pytest.raises(ValueError, match="requires y"):
        model.fit([[1, 2]], None)
    with pytest.raises(TypeError, match="mixes strings"):
        model.fit([[1, 2], [3]], ["ab", [1]])
    fitted = Seq2SeqEstimator(max_epochs=1, hidden_size=4, attention=None).fit(
        [[1, 2], [3]], [[1], [2, 2]]
    )
    with pytest.raises(ValueError, match="token id 7"):
        fitted.predict([[7]])
    with pytest.raises(ValueError, match="attention=None"):
        fitted.predict_attention([[1]])
    with pytest.raises(ValueError, match="attention"):
        Seq2SeqEstimator(attention="luong").fit([[1]], [[1]])


def test_targets_and_sources_without_tokens_are_refused(monkeypatch):
    from sklearn_seq.preprocessing import TextVectorizer

    # refused during input validation, before any training
    def no_training(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(Seq2SeqEstimator, "_fit_net", no_training)
    word = Seq2SeqEstimator(
        max_epochs=1, hidden_size=4, vectorizer=TextVectorizer(token_pattern=r"\w+")
    )
    X = ["a b", "c", "d e", "f"]
    # "..." tokenizes to nothing: refused by index, not trained as "<unk>"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no TextVectorizer warning first
        with pytest.raises(
            ValueError, match=r"^y\[3\] is an empty target sequence; .*'\.\.\.'"
        ):
            word.fit(X, ["x y", "z", "w", "..."])
        with pytest.raises(
            ValueError, match=r"y\[1\] is an empty target .*2 targets of y are empty"
        ):
            word.fit(X, ["x", "?!", "w", "  "])
        with pytest.raises(ValueError, match=r"^X\[2\] is an empty source sequence"):
            word.fit(["a", "b", "--", "c"], ["x", "y", "z", "w"])
        with pytest.raises(ValueError, match=r"^y\[0\] is an empty target sequence"):
            word.fit(X, ["", "y", "z", "w"])
        with pytest.raises(ValueError, match=r"^X\[1\] is an empty string"):
            word.fit(["a", "", "b", "c"], ["x", "y", "z", "w"])
    # the default pattern keeps punctuation: "..." is three tokens, not empty
    default = Seq2SeqEstimator(vectorizer=TextVectorizer())
    with pytest.raises(AssertionError, match="training started"):
        default.fit(X, ["x y", "z", "w", "..."])
    with pytest.raises(ValueError, match=r"^y\[2\] is an empty target sequence"):
        default.fit(X, ["x y", "z", " ", "w"])


def test_sources_without_tokens_are_refused_at_predict():
    from sklearn_seq.preprocessing import TextVectorizer

    model = Seq2SeqEstimator(
        max_epochs=1,
        hidden_size=4,
        attention=None,
        vectorizer=TextVectorizer(token_pattern=r"\w+"),
        random_state=0,
    ).fit(["a b", "c"], ["x", "y z"])
    assert len(model.predict(["a", "zzz"])) == 2  # unknown words are fine
    with pytest.raises(ValueError, match=r"^X\[1\] is an empty source sequence"):
        model.predict(["a", "!!"])


# -- data --------------------------------------------------------------------
def test_collate_targets_and_dataset():
    targets = check_sequences([[5, 6], [7, 8, 9]])
    dec_in, dec_out = collate_targets(targets, [1, 0], eos_id=EOS_ID)
    assert dec_in.tolist() == [[1, 7, 8, 9], [1, 5, 6, 0]]
    assert dec_out.tolist() == [[7, 8, 9, 2], [5, 6, 2, -100]]
    ds = Seq2SeqDataset(check_sequences([[1], [2, 3]]), targets)
    sub = ds.subset([1])
    assert len(sub) == 1 and sub.targets.lengths.tolist() == [3]


# -- metrics -----------------------------------------------------------------
def test_bleu_hand_computed():
    ref = ["the", "cat", "sat", "on", "the", "mat"]
    hyp = ["the", "cat", "sat", "on", "a", "mat"]
    # clipped precisions 5/6, 3/5, 2/4, 1/3; hyp and ref of length 6: BP = 1
    expected = math.exp(
        (math.log(5 / 6) + math.log(3 / 5) + math.log(2 / 4) + math.log(1 / 3)) / 4
    )
    assert bleu_score([ref], [hyp]) == pytest.approx(expected, rel=1e-12)
    # clipping: "the the the" against a ref with two "the"; corpus pooling
    refs = [["the", "cat", "the"], ["a", "b", "c", "d"]]
    hyps = [["the", "the", "the"], ["a", "b", "c"]]
    p1 = (2 + 3) / (3 + 3)
    p2 = (0 + 2) / (2 + 2)
    bp = math.exp(1 - 7 / 6)
    assert bleu_score(refs, hyps, max_order=2) == pytest.approx(
        bp * math.sqrt(p1 * p2), rel=1e-12
    )
    assert bleu_score(refs, hyps) == 0.0  # no 4-gram at all
    assert 0 < bleu_score(refs, hyps, smooth=True) < 1
    assert bleu_score(["abc"], ["abc"], tokenizer=list, max_order=3) == 1.0


def test_bleu_matches_nltk():
    nltk_bleu = pytest.importorskip("nltk.translate.bleu_score")
    rng = np.random.default_rng(0)
    refs = [list(rng.integers(1, 5, size=rng.integers(4, 12))) for _ in range(30)]
    hyps = [list(rng.integers(1, 5, size=rng.integers(4, 12))) for _ in range(30)]
    expected = nltk_bleu.corpus_bleu([[r] for r in refs], hyps)
    assert bleu_score(refs, hyps) == pytest.approx(expected, rel=1e-9)


def test_exact_match_and_token_accuracy():
    y_true = [[1, 2, 3], [4, 5], np.array([6])]
    y_pred = [np.array([1, 2, 3]), [4], [7, 6]]
    assert exact_match_score(y_true, y_pred) == pytest.approx(1 / 3)
    assert token_accuracy_score(y_true, y_pred) == pytest.approx(4 / 7)
    assert exact_match_score(y_true, y_pred, sample_weight=[2, 1, 1]) == 0.5
    assert token_accuracy_score(["ab"], ["ab"]) == 1.0
    with pytest.raises(ValueError, match="3 sequences but y_pred has 2"):
        exact_match_score(y_true, y_pred[:2])
    with pytest.raises(ValueError, match="y_true"):
        token_accuracy_score("abc", ["abc"])


# -- datasets ----------------------------------------------------------------
def test_make_reversal_task():
    X, y = make_reversal_task(
        50, min_length=2, max_length=7, vocab_size=3, random_state=0
    )
    assert all(2 <= len(x) <= 7 for x in X)
    assert all(np.array_equal(a[::-1], b) for a, b in zip(X, y))
    assert set(np.concatenate(X).tolist()) <= {1, 2, 3}
    Xc, yc = make_reversal_task(5, task="copy", random_state=0)
    assert all(np.array_equal(a, b) for a, b in zip(Xc, yc))
    with pytest.raises(ValueError, match="larger than"):
        make_reversal_task(5, min_length=4, max_length=3)


def test_make_date_task():
    X, y = make_date_task(200, random_state=0)
    assert all(len(s) == 10 and s[4] == "-" and s[7] == "-" for s in y)
    assert X == make_date_task(200, random_state=0)[0]
    assert len(Counter(len(s) for s in X)) > 3  # several formats
    X, y = make_date_task(20, formats=["mm/dd/yyyy"], random_state=1)
    assert all(x[6:] == t[:4] and x[:2] == t[5:7] for x, t in zip(X, y))
    with pytest.raises(ValueError, match="formats"):
        make_date_task(5, formats=["nope"])
