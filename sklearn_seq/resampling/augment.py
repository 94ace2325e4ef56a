# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Time-series augmentations of one sequence (NumPy and SciPy only).

Every function takes one sequence ``x`` of shape ``(n_timesteps, n_features)``
(or ``(n_timesteps,)``), returns a new array of the same shape and floating
dtype (integer input comes back as float64) and draws its randomness from
``random_state``. They work on each sequence alone, so they apply to
fixed-length and to variable-length (ragged) data alike, one sequence at a
time. :class:`sklearn_seq.resampling.AugmentationOverSampler` uses them to
create synthetic minority sequences. Jittering, scaling, magnitude and time
warping follow Um et al. [1]_; window slicing follows Le Guennec et al. [2]_.

References
----------
.. [1] T. T. Um, F. M. J. Pfister, D. Pichler et al., "Data Augmentation of
   Wearable Sensor Data for Parkinson's Disease Monitoring using Convolutional
   Neural Networks", ICMI 2017 (jittering, scaling, magnitude and time
   warping).
.. [2] A. Le Guennec, S. Malinowski and R. Tavenard, "Data Augmentation for
   Time Series Classification using Convolutional Neural Networks", ECML/PKDD
   Workshop AALTD 2016 (window slicing).
"""

from numbers import Integral, Real

import numpy as np
from scipy.interpolate import CubicSpline
from sklearn.utils import check_random_state

from sklearn_seq.utils._param_validation import Interval, validate_params

__all__ = ["jitter", "magnitude_warp", "scaling", "time_warp", "window_slice"]


def _as_sequence(x):
    """Return ``x`` as a float 2-D array ``(T, F)`` and whether it was 1-D."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Expected a numeric sequence, got an array of dtype {arr.dtype}."
        )
    if arr.ndim not in (1, 2):
        raise ValueError(
            "Expected one sequence of shape (n_timesteps, n_features) or "
            f"(n_timesteps,), got an array of shape {arr.shape}. Apply the "
            "function to each sequence of a data set in turn."
        )
    if arr.shape[0] == 0:
        raise ValueError("Expected a sequence with at least one step, got 0 steps.")
    dtype = arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float64)
    squeeze = arr.ndim == 1
    return np.asarray(arr, dtype=np.float64).reshape(len(arr), -1), squeeze, dtype


def _restore(values, squeeze, dtype):
    values = values.astype(dtype, copy=False)
    return values[:, 0] if squeeze else values


def _smooth_curves(n_timesteps, n_features, sigma, n_knots, rng):
    """Random smooth curves around 1: cubic splines through ``n_knots + 2`` knots.

    Returns an array ``(n_timesteps, n_features)``, one curve per feature.
    """
    knots = rng.normal(1.0, sigma, size=(n_knots + 2, n_features))
    if n_timesteps == 1:
        return knots[:1]
    positions = np.linspace(0, n_timesteps - 1, num=n_knots + 2)
    return CubicSpline(positions, knots, axis=0)(np.arange(n_timesteps))


_SIGMA = [Interval(Real, 0, None, closed="left")]
_KNOTS = [Interval(Integral, 1, None, closed="left")]


@validate_params(
    {"x": ["array-like"], "sigma": _SIGMA, "random_state": ["random_state"]},
    prefer_skip_nested_validation=True,
)
def jitter(x, *, sigma=0.03, random_state=None):
    """Add Gaussian noise to every value of a sequence.

    Parameters
    ----------
    x : array-like of shape (n_timesteps, n_features) or (n_timesteps,)
        One sequence.

    sigma : float, default=0.03
        Standard deviation of the noise, in the units of ``x`` (scale the
        features first, e.g. with :class:`~sklearn_seq.preprocessing.SequenceScaler`).

    random_state : int, RandomState instance or None, default=None
        Seed or generator of the noise.

    Returns
    -------
    x_new : ndarray of the shape of ``x``
        ``x + noise``, in the floating dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.resampling.augment import jitter
    >>> x = np.zeros((5, 2), dtype=np.float32)
    >>> out = jitter(x, sigma=0.1, random_state=0)
    >>> out.shape, out.dtype
    ((5, 2), dtype('float32'))
    """
    values, squeeze, dtype = _as_sequence(x)
    rng = check_random_state(random_state)
    return _restore(values + rng.normal(0.0, sigma, size=values.shape), squeeze, dtype)


@validate_params(
    {"x": ["array-like"], "sigma": _SIGMA, "random_state": ["random_state"]},
    prefer_skip_nested_validation=True,
)
def scaling(x, *, sigma=0.1, random_state=None):
    """Multiply each feature of a sequence by a random factor around 1.

    One factor per feature, drawn from :math:`N(1, \\sigma^2)` and constant over
    time (for a univariate sequence: one scalar, as in the notes).

    Parameters
    ----------
    x : array-like of shape (n_timesteps, n_features) or (n_timesteps,)
        One sequence.

    sigma : float, default=0.1
        Standard deviation of the factors.

    random_state : int, RandomState instance or None, default=None
        Seed or generator of the factors.

    Returns
    -------
    x_new : ndarray of the shape of ``x``
        The scaled sequence, in the floating dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.resampling.augment import scaling
    >>> x = np.ones((4, 1))
    >>> out = scaling(x, random_state=0)
    >>> out.shape, bool(np.all(out == out[0]))
    ((4, 1), True)
    """
    values, squeeze, dtype = _as_sequence(x)
    rng = check_random_state(random_state)
    factors = rng.normal(1.0, sigma, size=(1, values.shape[1]))
    return _restore(values * factors, squeeze, dtype)


@validate_params(
    {
        "x": ["array-like"],
        "sigma": _SIGMA,
        "n_knots": _KNOTS,
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def magnitude_warp(x, *, sigma=0.2, n_knots=4, random_state=None):
    """Multiply a sequence by a smooth random curve around 1.

    The curve is a cubic spline through ``n_knots + 2`` equally spaced knots
    (the first and last step included) whose values are drawn from
    :math:`N(1, \\sigma^2)`; each feature gets its own curve.

    Parameters
    ----------
    x : array-like of shape (n_timesteps, n_features) or (n_timesteps,)
        One sequence.

    sigma : float, default=0.2
        Standard deviation of the knot values.

    n_knots : int, default=4
        Number of inner knots: more knots give a wigglier curve.

    random_state : int, RandomState instance or None, default=None
        Seed or generator of the knot values.

    Returns
    -------
    x_new : ndarray of the shape of ``x``
        The warped sequence, in the floating dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.resampling.augment import magnitude_warp
    >>> x = np.ones(20)
    >>> magnitude_warp(x, sigma=0.2, random_state=0).shape
    (20,)
    """
    values, squeeze, dtype = _as_sequence(x)
    rng = check_random_state(random_state)
    curves = _smooth_curves(len(values), values.shape[1], sigma, n_knots, rng)
    return _restore(values * curves, squeeze, dtype)


def _interp_steps(values, positions):
    """Linear interpolation of ``values`` (T, F) at fractional step ``positions``."""
    steps = np.arange(len(values))
    return np.column_stack(
        [np.interp(positions, steps, values[:, j]) for j in range(values.shape[1])]
    )


@validate_params(
    {
        "x": ["array-like"],
        "sigma": _SIGMA,
        "n_knots": _KNOTS,
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def time_warp(x, *, sigma=0.2, n_knots=4, random_state=None):
    """Warp the time axis of a sequence smoothly, keeping both endpoints.

    A random speed curve (a cubic spline through ``n_knots + 2`` knots drawn
    from :math:`N(1, \\sigma^2)`, kept positive) is integrated into a strictly
    increasing map of the steps onto ``[0, n_timesteps - 1]`` that sends the
    first step to the first and the last to the last. The sequence is read at
    the warped times by linear interpolation: parts of it are stretched, others
    compressed, the length is unchanged and ``x_new[0] == x[0]``,
    ``x_new[-1] == x[-1]``. All features share the same warp.

    Parameters
    ----------
    x : array-like of shape (n_timesteps, n_features) or (n_timesteps,)
        One sequence.

    sigma : float, default=0.2
        Standard deviation of the speed knots: 0 leaves the sequence unchanged.

    n_knots : int, default=4
        Number of inner knots of the speed curve.

    random_state : int, RandomState instance or None, default=None
        Seed or generator of the knots.

    Returns
    -------
    x_new : ndarray of the shape of ``x``
        The warped sequence, in the floating dtype of ``x``.

    Notes
    -----
    The notes' sketch interpolates through sorted, clipped knot positions,
    which can repeat (a spline then fails) and moves the endpoints; integrating
    a positive speed avoids both.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.resampling.augment import time_warp
    >>> x = np.sin(np.linspace(0, 3, 30))[:, None]
    >>> out = time_warp(x, sigma=0.3, random_state=0)
    >>> out.shape, bool(out[0, 0] == x[0, 0]), bool(out[-1, 0] == x[-1, 0])
    ((30, 1), True, True)
    """
    values, squeeze, dtype = _as_sequence(x)
    rng = check_random_state(random_state)
    n = len(values)
    if n < 3:
        _smooth_curves(n, 1, sigma, n_knots, rng)  # same draws whatever the length
        return _restore(values.copy(), squeeze, dtype)
    speed = _smooth_curves(n, 1, sigma, n_knots, rng)[:, 0]
    speed = np.clip(speed, 1e-2, None)
    elapsed = np.concatenate(([0.0], np.cumsum((speed[1:] + speed[:-1]) / 2)))
    positions = elapsed * ((n - 1) / elapsed[-1])
    positions[0], positions[-1] = 0.0, n - 1.0
    return _restore(_interp_steps(values, positions), squeeze, dtype)


@validate_params(
    {
        "x": ["array-like"],
        "reduce_ratio": [Interval(Real, 0, 1, closed="right")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def window_slice(x, *, reduce_ratio=0.9, random_state=None):
    """Crop a random window and stretch it back to the full length.

    A window of ``ceil(reduce_ratio * n_timesteps)`` consecutive steps starts
    at a random step; it is resampled to ``n_timesteps`` steps by linear
    interpolation.

    Parameters
    ----------
    x : array-like of shape (n_timesteps, n_features) or (n_timesteps,)
        One sequence.

    reduce_ratio : float in (0, 1], default=0.9
        Fraction of the steps kept in the window (1 returns a copy).

    random_state : int, RandomState instance or None, default=None
        Seed or generator of the window start.

    Returns
    -------
    x_new : ndarray of the shape of ``x``
        The stretched window, in the floating dtype of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.resampling.augment import window_slice
    >>> x = np.arange(10.0)
    >>> window_slice(x, reduce_ratio=0.5, random_state=0).shape
    (10,)
    """
    values, squeeze, dtype = _as_sequence(x)
    rng = check_random_state(random_state)
    n = len(values)
    width = max(int(np.ceil(reduce_ratio * n)), 1)
    start = int(rng.randint(0, n - width + 1))
    if width == n:
        return _restore(values.copy(), squeeze, dtype)
    positions = np.linspace(start, start + width - 1, num=n)
    return _restore(_interp_steps(values, positions), squeeze, dtype)
