# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of sklearn_seq.datasets."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LinearRegression
from sklearn.tree import DecisionTreeClassifier

from sklearn_seq.datasets import (
    load_digits_sequences,
    make_sequence_classification,
    make_sequence_regression,
)
from sklearn_seq.utils import check_sequences
from sklearn_seq.utils._param_validation import InvalidParameterError


def test_load_digits_sequences_rows_are_timesteps():
    bunch = load_digits_sequences()
    digits = load_digits()
    assert bunch.data.shape == (1797, 8, 8)
    np.testing.assert_array_equal(bunch.target, digits.target)
    # step t of sample i is row t of the image: pixels 8t .. 8t+7 of the flat row
    np.testing.assert_array_equal(bunch.data[5, 3], digits.data[5, 24:32])
    np.testing.assert_array_equal(bunch.data.reshape(1797, 64), digits.data)
    assert bunch.target_names.tolist() == list(range(10))
    assert len(bunch.feature_names) == 8
    assert "8 timesteps" in bunch.DESCR and "Optical recognition" in bunch.DESCR
    assert check_sequences(bunch.data).kind == "fixed"
    X, y = load_digits_sequences(return_X_y=True)
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)
    # returned arrays are copies: changing them does not change the next load
    X[:] = -1
    assert load_digits_sequences().data.min() == 0


def _marker_steps(X):
    """Index of the step with the largest |first feature| in each sequence."""
    return np.array([int(np.argmax(np.abs(x[:, 0]))) for x in X])


@pytest.mark.parametrize("n_classes", [2, 3, 5])
@pytest.mark.parametrize("variable_length", [False, True])
def test_classification_label_sits_in_marker_step(n_classes, variable_length):
    d = 7
    X, y = make_sequence_classification(
        n_samples=150,
        n_timesteps=25,
        n_features=3,
        n_classes=n_classes,
        dependency_distance=d,
        variable_length=variable_length,
        random_state=0,
    )
    lengths = np.array([len(x) for x in X])
    if variable_length:
        assert isinstance(X, list) and len(X) == 150
        assert lengths.min() >= 12 and lengths.max() <= 25  # default min_length
        assert len(np.unique(lengths)) > 1
    else:
        assert X.shape == (150, 25, 3)
    assert all(x.shape[1] == 3 and x.dtype == np.float64 for x in X)
    # the marker is the step d steps before the end, and the only large value
    np.testing.assert_array_equal(_marker_steps(X), lengths - 1 - d)
    marker = np.array([x[len(x) - 1 - d] for x in X])
    levels = np.array([1, -1, 2, -2, 3])[:n_classes]
    np.testing.assert_allclose(marker[:, 0], levels[y], atol=0.5)
    # the signal is unambiguous: a stump on the marker value is perfect
    tree = DecisionTreeClassifier(random_state=0).fit(marker[:, :1], y)
    assert tree.score(marker[:, :1], y) == 1.0
    assert np.bincount(y).tolist() == [150 // n_classes] * n_classes


def test_classification_default_marker_is_first_step():
    X, y = make_sequence_classification(
        n_samples=60, n_timesteps=30, variable_length=True, random_state=1
    )
    np.testing.assert_array_equal(_marker_steps(X), np.zeros(60))
    np.testing.assert_array_equal(np.array([x[0, 0] for x in X]) > 0, y == 0)


def test_classification_weights_give_exact_counts():
    _, y = make_sequence_classification(n_samples=200, weights=[0.95], random_state=0)
    assert np.bincount(y).tolist() == [190, 10]
    _, y = make_sequence_classification(
        n_samples=100, n_classes=3, weights=[3, 1, 1], random_state=0
    )
    assert np.bincount(y).tolist() == [60, 20, 20]
    _, y = make_sequence_classification(
        n_samples=10, n_classes=3, weights=[0.5, 0.25, 0.25], random_state=0
    )
    assert np.bincount(y).tolist() == [5, 3, 2]  # largest remainder, ties to first


def test_generators_are_reproducible():
    kwargs = {"n_samples": 30, "n_timesteps": 12, "n_features": 2}
    for make, extra in [
        (make_sequence_classification, {"dependency_distance": 3}),
        (make_sequence_regression, {"n_targets": 2}),
    ]:
        for variable_length in (False, True):
            X1, y1 = make(
                **kwargs, **extra, variable_length=variable_length, random_state=42
            )
            X2, y2 = make(
                **kwargs,
                **extra,
                variable_length=variable_length,
                random_state=np.random.RandomState(42),
            )
            X3, _ = make(
                **kwargs, **extra, variable_length=variable_length, random_state=43
            )
            np.testing.assert_array_equal(y1, y2)
            for a, b in zip(X1, X2):
                np.testing.assert_array_equal(a, b)
            assert not all(
                a.shape == b.shape and np.array_equal(a, b) for a, b in zip(X1, X3)
            )


def test_classification_bad_arguments():
    with pytest.raises(ValueError, match=r"does not fit.*at most 9"):
        make_sequence_classification(n_timesteps=10, dependency_distance=10)
    with pytest.raises(ValueError, match="min_length=5 is too short"):
        make_sequence_classification(
            n_timesteps=20, dependency_distance=8, variable_length=True, min_length=5
        )
    with pytest.raises(ValueError, match="larger than n_timesteps"):
        make_sequence_classification(
            n_timesteps=10, variable_length=True, min_length=11
        )
    with pytest.raises(ValueError, match="weights has 3 entries"):
        make_sequence_classification(n_classes=2, weights=[0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="non-negative"):
        make_sequence_classification(n_classes=3, weights=[0.8, 0.7])
    with pytest.raises(InvalidParameterError, match="n_classes"):
        make_sequence_classification(n_classes=1)
    with pytest.raises(InvalidParameterError, match="noise"):
        make_sequence_classification(noise=-1.0)


@pytest.mark.parametrize("variable_length", [False, True])
@pytest.mark.parametrize("n_targets", [1, 3])
def test_regression_target_is_linear_in_mean_and_last_step(variable_length, n_targets):
    X, y = make_sequence_regression(
        n_samples=80,
        n_timesteps=15,
        n_features=2,
        n_targets=n_targets,
        variable_length=variable_length,
        noise=0.0,
        random_state=0,
    )
    assert y.shape == ((80,) if n_targets == 1 else (80, n_targets))
    if not variable_length:
        assert X.shape == (80, 15, 2)
    features = np.array([np.r_[x.mean(axis=0), x[-1]] for x in X])
    reg = LinearRegression(fit_intercept=False).fit(features, y)
    assert reg.score(features, y) == pytest.approx(1.0)
    # the order of the steps matters: reversed sequences do not fit the targets
    reversed_features = np.array([np.r_[x.mean(axis=0), x[0]] for x in X])
    assert (
        LinearRegression().fit(reversed_features, y).score(reversed_features, y) < 0.99
    )


def test_regression_noise_and_errors():
    X, y = make_sequence_regression(n_samples=200, noise=1.0, random_state=0)
    features = np.array([np.r_[x.mean(axis=0), x[-1]] for x in X])
    residual = y - LinearRegression().fit(features, y).predict(features)
    assert 0.8 < residual.std() < 1.2
    with pytest.raises(InvalidParameterError, match="n_targets"):
        make_sequence_regression(n_targets=0)
