# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Generators of synthetic sequence classification and regression tasks,
and the adding problem."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from sklearn_seq.utils._param_validation import Interval, validate_params

__all__ = [
    "make_adding_problem",
    "make_sequence_classification",
    "make_sequence_regression",
]


def _lengths(rng, n_samples, n_timesteps, variable_length, min_length, shortest):
    """Draw sequence lengths uniformly in [min_length, n_timesteps]."""
    if not variable_length:
        return np.full(n_samples, n_timesteps, dtype=np.int64)
    if min_length is None:
        min_length = max(shortest, n_timesteps // 2)
    if min_length > n_timesteps:
        raise ValueError(
            f"min_length={min_length} is larger than n_timesteps={n_timesteps}."
        )
    if min_length < shortest:
        raise ValueError(
            f"min_length={min_length} is too short: the marker step "
            f"dependency_distance={shortest - 1} steps before the end needs "
            f"sequences of at least {shortest} steps."
        )
    return rng.randint(min_length, n_timesteps + 1, size=n_samples)


def _class_counts(weights, n_classes, n_samples):
    """Exact per-class counts from class proportions (largest remainders)."""
    if weights is None:
        weights = np.full(n_classes, 1.0 / n_classes)
    else:
        weights = np.asarray(weights, dtype=np.float64).ravel()
        if len(weights) == n_classes - 1:
            weights = np.append(weights, 1.0 - weights.sum())
        if len(weights) != n_classes:
            raise ValueError(
                f"weights has {len(weights)} entries; expected n_classes="
                f"{n_classes} (or n_classes - 1, the last one being inferred)."
            )
        if (weights < 0).any() or not np.isfinite(weights).all():
            raise ValueError(
                "weights must be non-negative class proportions (those of "
                f"n_classes - 1 classes summing to at most 1); got {weights}."
            )
        if weights.sum() == 0:
            raise ValueError("weights sum to 0.")
        weights = weights / weights.sum()
    exact = weights * n_samples
    counts = np.floor(exact).astype(np.int64)
    short = n_samples - counts.sum()
    counts[np.argsort(counts - exact, kind="stable")[:short]] += 1
    return counts


def _class_levels(n_classes):
    """Marker levels +1, -1, +2, -2, ... for classes 0, 1, 2, 3, ..."""
    k = np.arange(n_classes)
    return np.where(k % 2 == 0, 1.0, -1.0) * (1 + k // 2)


def _split(values, lengths, variable_length, n_features):
    if not variable_length:
        return values.reshape(len(lengths), -1, n_features)
    ends = np.cumsum(lengths)
    return [values[e - ln : e] for e, ln in zip(ends, lengths)]


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_timesteps": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "dependency_distance": [Interval(Integral, 0, None, closed="left"), None],
        "variable_length": ["boolean"],
        "min_length": [Interval(Integral, 1, None, closed="left"), None],
        "noise": [Interval(Real, 0, None, closed="left")],
        "weights": ["array-like", None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_sequence_classification(
    n_samples=200,
    n_timesteps=20,
    n_features=1,
    n_classes=2,
    *,
    dependency_distance=None,
    variable_length=False,
    min_length=None,
    noise=0.1,
    weights=None,
    random_state=None,
):
    """Generate a classification task with a long-range dependency.

    The label of a sequence is written in one *marker* step,
    ``dependency_distance`` steps before its last step; every other value is
    Gaussian noise. At the marker step the first feature takes a level that
    identifies the class (+1, -1, +2, -2, ... for classes 0, 1, 2, 3, ...),
    plus the same noise. With the default ``noise=0.1`` the marker stands out
    clearly, so the task is unambiguous: the only difficulty is carrying the
    information over ``dependency_distance`` steps to the end of the sequence.
    At initialisation the gradient of a recurrent model's last state with
    respect to the marker vanishes as the distance grows (the classic
    vanishing-gradient setting), but which cell learns the task is an empirical
    matter: with noise much smaller than the marker a vanilla ``tanh`` RNN can
    learn a bistable latch that the marker sets and the noise cannot flip, and
    with 400 sequences, 30 epochs and the default noise it solved distance 100
    where the LSTM and GRU did not. For the textbook ranking (the vanilla RNN
    fails where the gated cells succeed) use :func:`make_adding_problem`.

    Parameters
    ----------
    n_samples : int, default=200
        Number of sequences.

    n_timesteps : int, default=20
        Length of every sequence, or the longest length when
        ``variable_length=True``.

    n_features : int, default=1
        Features per step. Only the first carries the marker.

    n_classes : int, default=2
        Number of classes.

    dependency_distance : int, default=None
        Steps between the marker and the last step of each sequence (0: the
        marker is the last step). When None, the marker is the first step of
        each sequence, i.e. ``length - 1`` steps before the end. Must be at most
        ``n_timesteps - 1``.

    variable_length : bool, default=False
        If True, lengths are drawn uniformly in ``[min_length, n_timesteps]``
        and ``X`` is a list of arrays.

    min_length : int, default=None
        Shortest length when ``variable_length=True``; at least
        ``dependency_distance + 1``. When None,
        ``max(n_timesteps // 2, dependency_distance + 1)``. Unused for fixed
        lengths.

    noise : float, default=0.1
        Standard deviation of the Gaussian noise of every value.

    weights : array-like of shape (n_classes,) or (n_classes - 1,), default=None
        Class proportions (normalised to sum to 1), as in
        :func:`sklearn.datasets.make_classification`; with ``n_classes - 1``
        entries the last class gets the rest. Balanced when None. The class
        counts are exact (rounded), e.g. ``weights=[0.95]`` with 200 samples
        gives 190 and 10.

    random_state : int, RandomState instance or None, default=None
        Determines the data. Pass an int for reproducible output across
        multiple function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_features) or list of ndarray
        The sequences (float64); a list of ``(length_i, n_features)`` arrays
        when ``variable_length=True``.

    y : ndarray of shape (n_samples,)
        Integer class labels, in random order.

    See Also
    --------
    make_sequence_regression : A synthetic regression task on sequences.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.datasets import make_sequence_classification
    >>> X, y = make_sequence_classification(n_samples=100, n_timesteps=30,
    ...                                     dependency_distance=10, random_state=0)
    >>> X.shape, np.bincount(y).tolist()
    ((100, 30, 1), [50, 50])
    >>> marker = X[:, -11, 0]  # 10 steps before the last one
    >>> bool(np.all((marker > 0) == (y == 0)))
    True
    >>> X, y = make_sequence_classification(n_samples=50, variable_length=True,
    ...                                     weights=[0.9], random_state=0)
    >>> len(X), X[0].shape[1], np.bincount(y).tolist()
    (50, 1, [45, 5])
    """
    if dependency_distance is not None and dependency_distance >= n_timesteps:
        raise ValueError(
            f"dependency_distance={dependency_distance} does not fit in sequences "
            f"of n_timesteps={n_timesteps} steps; use at most {n_timesteps - 1}."
        )
    rng = check_random_state(random_state)
    counts = _class_counts(weights, n_classes, n_samples)
    shortest = 1 if dependency_distance is None else dependency_distance + 1
    lengths = _lengths(
        rng, n_samples, n_timesteps, variable_length, min_length, shortest
    )
    y = rng.permutation(np.repeat(np.arange(n_classes), counts))
    values = noise * rng.standard_normal((int(lengths.sum()), n_features))
    ends = np.cumsum(lengths)
    if dependency_distance is None:
        marker = ends - lengths
    else:
        marker = ends - 1 - dependency_distance
    values[marker, 0] += _class_levels(n_classes)[y]
    return _split(values, lengths, variable_length, n_features), y


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_timesteps": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_targets": [Interval(Integral, 1, None, closed="left")],
        "variable_length": ["boolean"],
        "min_length": [Interval(Integral, 1, None, closed="left"), None],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_sequence_regression(
    n_samples=200,
    n_timesteps=20,
    n_features=1,
    n_targets=1,
    *,
    variable_length=False,
    min_length=None,
    noise=0.1,
    random_state=None,
):
    """Generate a regression task whose target depends on the whole sequence.

    Each sequence has a random level ``u`` (one per feature, standard normal)
    and steps ``x_t = u + e_t`` with standard normal ``e_t``. Target ``k`` is

    ``y_k = mean_t(x_t) @ coef_mean[:, k] + x_last @ coef_last[:, k] + noise * eps``

    with coefficients drawn once from a standard normal: a model must both
    average over the sequence and remember where it ends, so the order of
    the steps matters (reversing a sequence changes its target).

    Parameters
    ----------
    n_samples : int, default=200
        Number of sequences.

    n_timesteps : int, default=20
        Length of every sequence, or the longest length when
        ``variable_length=True``.

    n_features : int, default=1
        Features per step.

    n_targets : int, default=1
        Number of targets. ``y`` is 1-D when 1.

    variable_length : bool, default=False
        If True, lengths are drawn uniformly in ``[min_length, n_timesteps]``
        and ``X`` is a list of arrays.

    min_length : int, default=None
        Shortest length when ``variable_length=True``; ``n_timesteps // 2``
        (at least 1) when None. Unused for fixed lengths.

    noise : float, default=0.1
        Standard deviation of the Gaussian noise added to the targets.

    random_state : int, RandomState instance or None, default=None
        Determines the data. Pass an int for reproducible output across
        multiple function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, n_features) or list of ndarray
        The sequences (float64); a list of ``(length_i, n_features)`` arrays
        when ``variable_length=True``.

    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        The targets.

    See Also
    --------
    make_sequence_classification : A synthetic classification task.

    Examples
    --------
    >>> from sklearn_seq.datasets import make_sequence_regression
    >>> X, y = make_sequence_regression(n_samples=30, n_features=2, random_state=0)
    >>> X.shape, y.shape
    ((30, 20, 2), (30,))
    >>> X, y = make_sequence_regression(n_samples=30, n_targets=3,
    ...                                 variable_length=True, random_state=0)
    >>> len(X), y.shape
    (30, (30, 3))
    """
    rng = check_random_state(random_state)
    lengths = _lengths(rng, n_samples, n_timesteps, variable_length, min_length, 1)
    level = rng.standard_normal((n_samples, n_features))
    values = np.repeat(level, lengths, axis=0)
    values += rng.standard_normal(values.shape)
    ends = np.cumsum(lengths)
    means = np.add.reduceat(values, ends - lengths, axis=0) / lengths[:, None]
    coef_mean = rng.standard_normal((n_features, n_targets))
    coef_last = rng.standard_normal((n_features, n_targets))
    y = means @ coef_mean + values[ends - 1] @ coef_last
    y += noise * rng.standard_normal(y.shape)
    if n_targets == 1:
        y = y[:, 0]
    return _split(values, lengths, variable_length, n_features), y


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_timesteps": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_adding_problem(n_samples=1000, n_timesteps=100, *, random_state=None):
    """Generate the adding problem, a long-memory regression benchmark.

    Each step has two features: a value drawn uniformly in ``[0, 1)`` and a
    marker, 0 everywhere except at exactly two steps, one drawn uniformly in
    the first half of the sequence (steps ``< n_timesteps // 2``) and one in
    the second half. The target is the sum of the two marked values
    (Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015 and
    Arjovsky et al. 2016). Always predicting 1, the expected target, scores
    a mean squared error of ``2 / 12 = 0.167``: a model below that has
    carried a value over up to ``n_timesteps`` steps; the classic result is
    that a vanilla ``tanh`` RNN stays at that baseline for ``n_timesteps``
    in the hundreds where an LSTM or GRU solves the task.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sequences.

    n_timesteps : int, default=100
        Length of every sequence (at least 2).

    random_state : int, RandomState instance or None, default=None
        Determines the data. Pass an int for reproducible output across
        multiple function calls.

    Returns
    -------
    X : ndarray of shape (n_samples, n_timesteps, 2)
        Values (feature 0) and markers (feature 1), float64.

    y : ndarray of shape (n_samples,)
        Sum of the two marked values, in ``[0, 2)``.

    See Also
    --------
    make_sequence_classification : A long-range dependency, classification.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.datasets import make_adding_problem
    >>> X, y = make_adding_problem(n_samples=5, n_timesteps=10, random_state=0)
    >>> X.shape, X[..., 1].sum(axis=1).tolist()
    ((5, 10, 2), [2.0, 2.0, 2.0, 2.0, 2.0])
    >>> bool(np.allclose(y, (X[..., 0] * X[..., 1]).sum(axis=1)))
    True
    """
    rng = check_random_state(random_state)
    half = n_timesteps // 2
    values = rng.uniform(0.0, 1.0, size=(n_samples, n_timesteps))
    first = rng.randint(0, half, size=n_samples)
    second = rng.randint(half, n_timesteps, size=n_samples)
    markers = np.zeros((n_samples, n_timesteps))
    rows = np.arange(n_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    return np.stack([values, markers], axis=-1), y
