"""Training-serving skew: the training-input profile and ``skew_report``."""

import pickle
import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline

from conftest import make_ragged, make_ragged_xy
from sklearn_seq import (
    Seq2SeqEstimator,
    SequenceClassifier,
    SequenceRegressor,
    SequenceTagger,
)
from sklearn_seq.datasets import make_ner_sentences
from sklearn_seq.estimators._base import BaseSequenceNet
from sklearn_seq.inspection import skew_report
from sklearn_seq.inspection._skew import COLUMNS, _moments
from sklearn_seq.preprocessing import TextVectorizer

TINY = {"hidden_size": 4, "max_epochs": 1, "batch_size": 32, "random_state": 0}


def _flags(report):
    return dict(zip(report["check"], report["flagged"]))


def _row(report, check):
    return report[report["check"] == check].iloc[0]


def _tokens(n, seed, *, vocab=40, lengths=(5, 25), oov=0.02):
    """Zipf-like token id sequences (ids 2..vocab+1) with some OOV ids (1)."""
    rng = np.random.default_rng(seed)
    p = 1.0 / np.arange(1, vocab + 1)
    p /= p.sum()
    X = []
    for t in rng.integers(*lengths, size=n):
        ids = rng.choice(vocab, size=int(t), p=p) + 2
        ids[rng.random(int(t)) < oov] = 1
        X.append(ids)
    y = np.array([int(x[0] % 2) for x in X])
    return X, y


def _lower(sentences):
    return [[w.lower() for w in s] for s in sentences]


# -- the profile --------------------------------------------------------------
def test_profile_of_numeric_input():
    X, y = make_ragged_xy(50, n_features=3, lengths=(4, 12))
    clf = SequenceClassifier(**TINY).fit(X, y)
    profile = clf._input_profile
    flat = np.concatenate(X).astype(np.float64)
    assert profile["kind"] == "ragged"
    assert profile["n_sequences"] == 50
    assert profile["n_steps"] == len(flat)
    assert profile["length_counts"].sum() == 50
    assert profile["length_values"].min() == min(map(len, X))
    assert profile["length_values"].max() == max(map(len, X))
    np.testing.assert_allclose(profile["feature_mean"], flat.mean(axis=0), rtol=1e-6)
    std = np.sqrt(profile["feature_m2"] / profile["n_steps"])
    np.testing.assert_allclose(std, flat.std(axis=0), rtol=1e-6)


def test_profile_of_token_input():
    X, y = _tokens(60, 0)
    clf = SequenceClassifier(**TINY).fit(X, y)
    profile = clf._input_profile
    flat = np.concatenate(X)
    assert profile["kind"] == "tokens"
    assert profile["vocab_size"] == clf.vocab_size_
    assert profile["n_oov"] == np.count_nonzero(flat == 1)
    _, counts = np.unique(flat[flat > 1], return_counts=True)
    assert profile["n_hapax"] == np.count_nonzero(counts == 1)


def test_profile_of_token_strings_and_text():
    X, y = make_ner_sentences(40, random_state=0)
    tagger = SequenceTagger(**TINY, lowercase=False).fit(_lower(X), y)
    profile = tagger._input_profile
    assert profile["kind"] == "token strings"
    assert profile["vocab_size"] == len(tagger.vocabulary_)
    assert profile["lowercase_share"] == 1.0
    s2s = Seq2SeqEstimator(**TINY).fit(["abc", "ba", "cab"] * 4, ["x", "y", "z"] * 4)
    assert s2s._input_profile["kind"] == "text"
    assert s2s._input_profile["oov_id"] is None  # characters: no OOV id


def test_profile_changes_no_fitted_number(monkeypatch):
    X, y = make_ragged_xy(40, lengths=(3, 15))
    with_profile = SequenceClassifier(**TINY).fit(X, y)
    monkeypatch.setattr(
        BaseSequenceNet, "_record_input_profile", lambda self, seqs, merge: None
    )
    without = SequenceClassifier(**TINY).fit(X, y)
    assert not hasattr(without, "_input_profile")
    np.testing.assert_array_equal(
        with_profile.predict_proba(X), without.predict_proba(X)
    )


def test_continued_fit_merges_the_profile():
    X, y = make_ragged_xy(60, lengths=(3, 15))
    clf = SequenceClassifier(**TINY)
    clf.partial_fit(X[:30], y[:30], classes=[0, 1])
    clf.partial_fit(X[30:], y[30:])
    profile = clf._input_profile
    flat = np.concatenate(X).astype(np.float64)
    assert profile["n_sequences"] == 60
    assert profile["length_counts"].sum() == 60
    np.testing.assert_allclose(profile["feature_mean"], flat.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(
        profile["feature_m2"], ((flat - flat.mean(axis=0)) ** 2).sum(axis=0), rtol=1e-6
    )
    clf.fit(X[:10], y[:10])  # a new fit starts over
    assert clf._input_profile["n_sequences"] == 10


# -- nothing flagged on clean data ----------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clean_numeric_data_is_not_flagged(seed):
    X, y = make_ragged_xy(200, n_features=3, lengths=(5, 40), seed=seed)
    reg = SequenceRegressor(**TINY).fit(X, y.astype(float))
    X_new = make_ragged(150, n_features=3, lengths=(5, 40), seed=seed + 100)
    report = skew_report(reg, X_new)
    assert list(report.columns) == list(COLUMNS)
    assert set(report["check"]) == {
        "input_kind",
        "max_length",
        "feature_mean",
        "feature_std",
    }
    assert not report["flagged"].any(), report.to_dict("records")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_clean_token_data_is_not_flagged(seed):
    X, y = _tokens(200, seed)
    clf = SequenceClassifier(**TINY).fit(X, y)
    report = skew_report(clf, _tokens(150, seed + 100)[0])
    assert set(report["check"]) == {"input_kind", "max_length", "oov_rate"}
    assert not report["flagged"].any(), report.to_dict("records")


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("lowercase", [True, False])
def test_clean_sentences_are_not_flagged(seed, lowercase):
    X, y = make_ner_sentences(150, random_state=seed)
    tagger = SequenceTagger(**TINY, lowercase=lowercase).fit(X, y)
    X_new, _ = make_ner_sentences(100, random_state=seed + 100)
    report = skew_report(tagger, X_new)
    assert set(report["check"]) == {"input_kind", "max_length", "oov_rate", "case"}
    assert not report["flagged"].any(), report.to_dict("records")


# -- each skew is caught --------------------------------------------------------
def test_longer_sequences_than_in_training_are_flagged():
    X, y = make_ragged_xy(100, lengths=(20, 200), seed=0)
    short = [x[:50] for x in X]  # training truncated to 50 steps
    clf = SequenceClassifier(**TINY).fit(short, y)
    served = make_ragged(60, lengths=(20, 200), seed=1)
    row = _row(skew_report(clf, served), "max_length")
    n_longer = sum(len(x) > 50 for x in served)
    assert row["flagged"]
    assert row["training"] == 50
    assert row["new"] == max(map(len, served))
    assert f"{n_longer} of 60 sequences ({n_longer / 60:.1%})" in row["message"]
    # a single, much longer sequence is flagged too; one slightly longer is not
    assert _row(skew_report(clf, [served[0][:150], *short[:5]]), "max_length")[
        "flagged"
    ]
    assert not _row(skew_report(clf, [served[0][:51], *short[:5]]), "max_length")[
        "flagged"
    ]


def test_feature_in_other_units_is_flagged():
    X, y = make_ragged_xy(100, n_features=3, lengths=(5, 20))
    X = [x + np.array([0.0, 5.0, 0.0]) for x in X]
    clf = SequenceClassifier(**TINY).fit(X, y)
    served = [x * [1.0, 1000.0, 1.0] for x in make_ragged(50, 3, lengths=(5, 20))]
    report = skew_report(clf, [x + np.array([0.0, 5000.0, 0.0]) for x in served])
    flags = _flags(report)
    assert flags["feature_mean"] and flags["feature_std"]
    assert not flags["max_length"]
    for check in ("feature_mean", "feature_std"):
        message = _row(report, check)["message"]
        assert "1 of 3 features" in message and "feature 1:" in message
    # a shift of the mean alone, well inside k standard deviations, is fine
    close = [x + np.array([0.0, 5.5, 0.0]) for x in make_ragged(50, 3, lengths=(5, 20))]
    assert not skew_report(clf, close)["flagged"].any()
    assert skew_report(clf, close, k=0.2)["flagged"].any()


def test_oov_rate_far_above_training_is_flagged():
    X, y = _tokens(200, 0)
    clf = SequenceClassifier(**TINY).fit(X, y)
    served = _tokens(100, 1, oov=0.3)[0]
    row = _row(skew_report(clf, served), "oov_rate")
    assert row["flagged"] and row["new"] > 0.25
    # ids beyond the training vocabulary count as unknown too
    unseen = [np.full(10, clf.vocab_size_ + 5) for _ in range(20)]
    assert _row(skew_report(clf, unseen), "oov_rate")["new"] == 1.0


def test_case_mismatch_is_flagged():
    X, y = make_ner_sentences(150, random_state=0)
    tagger = SequenceTagger(**TINY, lowercase=False).fit(_lower(X), y)
    X_new, _ = make_ner_sentences(100, random_state=1)
    report = skew_report(tagger, X_new)  # raw case at serving
    row = _row(report, "case")
    assert row["flagged"] and row["training"].startswith("lowercased")
    assert "lowercased in training but not at serving" in row["message"]
    assert _row(report, "oov_rate")["flagged"]
    assert not skew_report(tagger, _lower(X_new))["flagged"].any()
    # an estimator that lowercases itself is immune
    immune = SequenceTagger(**TINY).fit(_lower(X), y)
    assert not skew_report(immune, X_new)["flagged"].any()


def test_case_mismatch_through_the_character_cnn():
    X, y = make_ner_sentences(60, random_state=0)
    tagger = SequenceTagger(**TINY, char_embedding_dim=4, char_n_filters=4)
    tagger.fit(_lower(X), y)
    X_new, _ = make_ner_sentences(40, random_state=1)
    # the words are looked up in lowercase, but the CNN spells the raw case
    assert _flags(skew_report(tagger, X_new))["case"]
    assert not skew_report(tagger, _lower(X_new))["flagged"].any()


def test_seq2seq_text():
    src = ["march 3", "may 12", "june 30", "july 4"] * 5
    s2s = Seq2SeqEstimator(**TINY).fit(src, ["03-03", "05-12", "06-30", "07-04"] * 5)
    assert not skew_report(s2s, src[:8])["flagged"].any()
    flags = _flags(skew_report(s2s, [s.title() for s in src[:8]]))
    assert flags["oov_rate"] and flags["case"]


def test_pipeline_is_checked_through_its_steps():
    docs = ["the cat sat", "a dog ran", "the dog sat", "a cat ran"] * 10
    y = [0, 1, 0, 1] * 10
    pipe = make_pipeline(TextVectorizer(lowercase=False), SequenceClassifier(**TINY))
    pipe.fit(docs, y)
    assert not skew_report(pipe, docs[:8])["flagged"].any()
    assert _flags(skew_report(pipe, [d.upper() for d in docs[:8]]))["oov_rate"]


def test_other_input_kind_is_flagged_not_refused():
    X, y = make_ragged_xy(40, n_features=2)
    clf = SequenceClassifier(**TINY).fit(X, y)
    report = skew_report(clf, _tokens(10, 0)[0])
    assert _flags(report)["input_kind"]
    assert "feature_mean" not in set(report["check"])
    report = skew_report(clf, make_ragged(10, n_features=3))
    assert _flags(report)["input_kind"]
    assert "3 features per step" in _row(report, "input_kind")["new"]
    # fixed-length arrays and lists of arrays are the same kind of input
    fixed = np.stack([x[:3] for x in make_ragged(10, lengths=(3, 4))])
    assert not _flags(skew_report(clf, fixed))["input_kind"]
    X_s, y_s = make_ner_sentences(30, random_state=0)
    tagger = SequenceTagger(**TINY).fit(X_s, y_s)
    assert _flags(skew_report(tagger, _tokens(10, 0)[0]))["input_kind"]


# -- the API ----------------------------------------------------------------------
def test_warn_lists_the_flagged_checks():
    X, y = make_ragged_xy(60, lengths=(5, 20))
    clf = SequenceClassifier(**TINY).fit(X, y)
    with pytest.warns(UserWarning, match=r"1 of 4 checks.*\n- feature_mean"):
        skew_report(clf, [x + np.array([0.0, 50.0]) for x in X], warn=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        skew_report(clf, X, warn=True)


def test_list_of_dicts_without_pandas(monkeypatch):
    X, y = make_ragged_xy(30)
    clf = SequenceClassifier(**TINY).fit(X, y)
    monkeypatch.setitem(sys.modules, "pandas", None)
    report = skew_report(clf, X)
    assert isinstance(report, list)
    assert [r["check"] for r in report] == [
        "input_kind",
        "max_length",
        "feature_mean",
        "feature_std",
    ]
    assert all(tuple(r) == COLUMNS and r["flagged"] is False for r in report)


def test_refusals():
    X, y = make_ragged_xy(30)
    with pytest.raises(NotFittedError):
        skew_report(SequenceClassifier(), X)
    clf = SequenceClassifier(**TINY).fit(X, y)
    for k in (0, -1.0, float("nan"), True, "4"):
        with pytest.raises(ValueError, match="k must be a positive number"):
            skew_report(clf, X, k=k)
    del clf._input_profile  # as fitted by an older version
    with pytest.raises(ValueError, match="no profile of its training inputs"):
        skew_report(clf, X)


# -- predictions are stateless ------------------------------------------------------
@pytest.mark.parametrize("cell", ["lstm", "gru", "transformer"])
def test_predictions_do_not_depend_on_earlier_calls(cell):
    X, y = make_ragged_xy(60, lengths=(3, 30))
    clf = SequenceClassifier(**TINY, cell=cell).fit(X, y)
    A, B = X[:30], X[30:]
    alone = pickle.loads(pickle.dumps(clf))
    clf.predict_proba(A)
    after_a = clf.predict_proba(B)
    np.testing.assert_array_equal(after_a, alone.predict_proba(B))
    # nor on the other sequences of the same call (up to float rounding)
    np.testing.assert_allclose(
        alone.predict_proba(A + B)[30:], after_a, rtol=1e-6, atol=1e-6
    )


def test_tagger_predictions_do_not_depend_on_earlier_calls():
    X, y = make_ner_sentences(60, random_state=0)
    tagger = SequenceTagger(**TINY).fit(X, y)
    A, B = X[:30], X[30:]
    alone = pickle.loads(pickle.dumps(tagger))
    tagger.predict(A)
    after_a = tagger.predict_proba(B)
    for got, want in zip(after_a, alone.predict_proba(B), strict=True):
        np.testing.assert_array_equal(got, want)


def test_moments_exact_and_sampled():
    rng = np.random.default_rng(1)
    # a large offset and a small spread: the deviations from a float32 mean
    values = (1e4 + 1e-2 * rng.normal(size=(5000, 3))).astype(np.float32)
    exact = values.astype(np.float64)
    count, mean, m2 = _moments(values)
    assert count == 5000
    np.testing.assert_allclose(mean, exact.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(m2, ((exact - exact.mean(0)) ** 2).sum(0), rtol=1e-3)
    # above the cap: a sampled estimate, M2 scaled to the whole count
    count, mean, m2 = _moments(values, max_steps=1000)
    assert count == 5000
    np.testing.assert_allclose(mean, exact.mean(axis=0), atol=5 * 1e-2 / np.sqrt(1000))
    np.testing.assert_allclose(m2 / count, exact.var(axis=0), rtol=0.2)
