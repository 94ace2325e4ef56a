# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""sklearn_seq.utils.estimator_checks on the five estimators and on toy ones.

The toy estimators are pure NumPy (no torch): a correct one passes every
check, broken ones show that the checks fail with a message naming the
contract.
"""

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_consistent_length, check_is_fitted

from conftest import fast
from sklearn_seq import (
    Seq2SeqEstimator,
    SequenceClassifier,
    SequenceEmbedder,
    SequenceRegressor,
    SequenceTagger,
)
from sklearn_seq.utils import check_sequences
from sklearn_seq.utils.estimator_checks import (
    check_fit_does_not_mutate_input,
    check_padding_and_batch_invariance,
    check_sequence_estimator,
    check_unfitted_raises_not_fitted,
    parametrize_with_sequence_checks,
    sequence_checks_generator,
)

TINY = fast(hidden_size=4, max_epochs=1, batch_size=8)
ESTIMATORS = [
    SequenceClassifier(**TINY),
    SequenceRegressor(**TINY),
    SequenceTagger(embedding_dim=4, **TINY),
    Seq2SeqEstimator(embedding_dim=4, **TINY),
    SequenceEmbedder(embedding_size=3, samples_per_class=2, **TINY),
]


@parametrize_with_sequence_checks(ESTIMATORS)
def test_sequence_estimators(estimator, check):
    check(estimator)


# -- the tagger on token strings, through make_data ----------------------------
_WORDS = np.array(["the", "cat", "sat", "on", "a", "Mat"])


def _token_strings(estimator, lengths, random_state):
    rng = np.random.default_rng(random_state)
    X = [_WORDS[rng.integers(0, len(_WORDS), size=n)].tolist() for n in lengths]
    X[0][0] = "cat"  # both tags occur in any data set
    X[-1][0] = "the"
    y = [["N" if w in ("cat", "Mat") else "O" for w in x] for x in X]
    return X, y


@parametrize_with_sequence_checks(
    [
        SequenceTagger(embedding_dim=4, **TINY),
        SequenceTagger(embedding_dim=4, char_embedding_dim=4, char_n_filters=3, **TINY),
    ],
    make_data=_token_strings,
)
def test_tagger_on_token_strings(estimator, check):
    check(estimator)


# -- toy estimators: pure NumPy ------------------------------------------------
class MeanSequenceClassifier(ClassifierMixin, BaseEstimator):
    """Nearest centroid of each sequence's mean step (a correct toy)."""

    def _means(self, X):
        return np.stack([s.mean(axis=0) for s in check_sequences(X).to_list()])

    def fit(self, X, y):
        means = self._means(X)
        y = np.asarray(y)
        check_consistent_length(means, y)
        classes, codes = np.unique(y, return_inverse=True)
        centroids = np.stack([means[codes == k].mean(axis=0) for k in range(2)])
        self.classes_, self.centroids_ = classes, centroids
        self.n_features_in_ = means.shape[1]
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        means = self._means(X)
        return softmax(-((means[:, None] - self.centroids_) ** 2).sum(-1), axis=1)

    def predict(self, X):
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags


class PaddedMeanClassifier(MeanSequenceClassifier):
    """Broken: averages over the padded batch, so the batch changes the output."""

    def _means(self, X):
        return check_sequences(X).pad().mean(axis=1)


class CenteringClassifier(MeanSequenceClassifier):
    """Broken: centres the caller's sequences in place in fit."""

    def fit(self, X, y):
        for x in X:
            x -= x.mean(axis=0)
        return super().fit(X, y)


class UncheckedClassifier(MeanSequenceClassifier):
    """Broken: predicts before fit with an AttributeError."""

    def predict_proba(self, X):
        return softmax(-((self._means(X)[:, None] - self.centroids_) ** 2).sum(-1))


def test_correct_toy_passes_every_check():
    results = check_sequence_estimator(MeanSequenceClassifier())
    status = {r["check_name"]: r["status"] for r in results}
    assert status["check_padding_and_batch_invariance"] == "passed"
    assert status["check_3d_array_and_list_agree"] == "passed"
    assert status["check_dtype_tags"] == "skipped"  # not a transformer
    assert set(status.values()) == {"passed", "skipped"}


@pytest.mark.parametrize(
    "estimator, check, match",
    [
        (
            PaddedMeanClassifier(),
            check_padding_and_batch_invariance,
            (
                r"PaddedMeanClassifier\.predict(_proba)?: sequence \d \(length "
                r"\d\) predicted in a batch padded to 32 steps differs from it "
                "predicted alone"
            ),
        ),
        (
            CenteringClassifier(),
            check_fit_does_not_mutate_input,
            "CenteringClassifier.fit modified its input X",
        ),
        (
            UncheckedClassifier(),
            check_unfitted_raises_not_fitted,
            "predict before fit raised AttributeError.*expected .*NotFittedError",
        ),
    ],
)
def test_broken_toys_fail_with_a_clear_message(estimator, check, match):
    with pytest.raises(AssertionError, match=match):
        check(type(estimator).__name__, estimator)


def test_runner_reports_raises_and_expects_failures():
    broken = PaddedMeanClassifier()
    with pytest.raises(AssertionError, match="predicted alone"):
        check_sequence_estimator(broken)
    status = {
        r["check_name"]: r["status"]
        for r in check_sequence_estimator(broken, on_fail=None)
    }
    assert status["check_padding_and_batch_invariance"] == "failed"
    expected = {"check_padding_and_batch_invariance": "averages over padding"}
    results = check_sequence_estimator(broken, expected_failed_checks=expected)
    failed = [r for r in results if r["status"] == "xfail"]
    assert [r["check_name"] for r in failed] == list(expected)
    assert isinstance(failed[0]["exception"], AssertionError)
    with pytest.raises(ValueError, match="unknown checks"):
        check_sequence_estimator(broken, expected_failed_checks={"check_typo": ""})
    with pytest.raises(ValueError, match="on_fail"):
        check_sequence_estimator(broken, on_fail="warn")


class _NoTask(BaseEstimator):
    def fit(self, X, y):
        return self


def test_task_resolution():
    with pytest.raises(ValueError, match="Cannot tell the task of _NoTask"):
        list(sequence_checks_generator(_NoTask()))
    assert {
        c.keywords["task"] for _, c in sequence_checks_generator(ESTIMATORS[2])
    } == {"tagger"}
    tasks = [
        next(sequence_checks_generator(est))[1].keywords["task"] for est in ESTIMATORS
    ]
    assert tasks == ["classifier", "regressor", "tagger", "seq2seq", "embedder"]
    checks = sequence_checks_generator(_NoTask(), task=lambda est: "tagger")
    assert next(checks)[1].keywords["task"] == "tagger"


def test_make_data_must_honour_lengths():
    def wrong(estimator, lengths, random_state):
        return [np.zeros((2, 1))] * len(lengths), np.arange(len(lengths)) % 2

    with pytest.raises(ValueError, match="make_data returned sequences of lengths"):
        check_padding_and_batch_invariance(
            "toy", MeanSequenceClassifier(), make_data=wrong
        )


def test_parametrize_refuses_classes():
    with pytest.raises(TypeError, match="instances, not classes"):
        parametrize_with_sequence_checks([SequenceClassifier])
