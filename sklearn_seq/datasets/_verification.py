# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Synthetic verification task: many classes, each a prototype sequence."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import check_random_state

from sklearn_seq.utils._param_validation import Interval, validate_params

__all__ = ["make_sequence_verification"]


def _smooth_prototypes(rng, n_classes, length, n_features, n_components):
    """Random smooth curves: sums of sinusoids of low frequency."""
    t = np.arange(length) / length
    freq = rng.uniform(0.5, 4.0, size=(n_classes, n_features, n_components))
    phase = rng.uniform(0, 2 * np.pi, size=(n_classes, n_features, n_components))
    amp = rng.normal(size=(n_classes, n_features, n_components))
    waves = amp[..., None] * np.sin(
        2 * np.pi * freq[..., None] * t + phase[..., None]
    )  # (classes, features, components, length)
    curves = waves.sum(axis=2) / np.sqrt(n_components)
    return np.transpose(curves, (0, 2, 1))  # (classes, length, features)


@validate_params(
    {
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "n_samples_per_class": [Interval(Integral, 2, None, closed="left")],
        "n_timesteps": [Interval(Integral, 2, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "max_shift": [Interval(Integral, 0, None, closed="left")],
        "amplitude_jitter": [Interval(Real, 0, 1, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "variable_length": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_sequence_verification(
    n_classes=40,
    n_samples_per_class=20,
    n_timesteps=30,
    n_features=2,
    *,
    max_shift=6,
    amplitude_jitter=0.2,
    noise=0.3,
    variable_length=False,
    random_state=None,
):
    """Generate a verification task with many classes (identities).

    Each class has a smooth random prototype curve (a sum of low-frequency
    sinusoids per feature) that is ``n_timesteps + 2 * max_shift`` steps long.
    A sample of the class is a window of ``n_timesteps`` steps of its
    prototype starting at a random offset in ``[0, 2 * max_shift]`` (a time
    shift), multiplied by a random gain in ``1 +- amplitude_jitter``, plus
    Gaussian noise of standard deviation ``noise``. Time shifts make raw
    step-by-step (Euclidean) distances between samples of the same class
    large, while a shift-tolerant sequence encoder can map them close
    together: the task rewards learned embeddings. Labels run from 0 to
    ``n_classes - 1``, so the classes can be split into training and
    held-out identities (e.g. ``y < 30`` and ``y >= 30``).

    Parameters
    ----------
    n_classes : int, default=40
        Number of classes (identities).

    n_samples_per_class : int, default=20
        Sequences per class.

    n_timesteps : int, default=30
        Length of every sequence (the longest one when ``variable_length``).

    n_features : int, default=2
        Features per step.

    max_shift : int, default=6
        Largest time shift, in steps, either way around the centred window.

    amplitude_jitter : float, default=0.2
        Largest relative change of a sample's gain.

    noise : float, default=0.3
        Standard deviation of the additive Gaussian noise (the prototypes
        have a standard deviation of about 0.7 per feature).

    variable_length : bool, default=False
        If True, each sequence keeps a random prefix of ``n_timesteps // 2``
        to ``n_timesteps`` steps and ``X`` is a list of arrays.

    random_state : int, RandomState instance or None, default=None
        Seed of the prototypes and of the samples.

    Returns
    -------
    X : ndarray of shape (n_classes * n_samples_per_class, n_timesteps, \
n_features) or list of ndarray
        Sequences, grouped by class in label order.

    y : ndarray of shape (n_classes * n_samples_per_class,)
        Integer class labels.

    Examples
    --------
    >>> from sklearn_seq.datasets import make_sequence_verification
    >>> X, y = make_sequence_verification(n_classes=5, n_samples_per_class=3,
    ...                                   random_state=0)
    >>> X.shape, y.tolist()
    ((15, 30, 2), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4])
    """
    rng = check_random_state(random_state)
    span = n_timesteps + 2 * max_shift
    protos = _smooth_prototypes(rng, n_classes, span, n_features, 3)
    y = np.repeat(np.arange(n_classes), n_samples_per_class)
    n = len(y)
    offsets = rng.randint(0, 2 * max_shift + 1, size=n)
    gains = 1.0 + rng.uniform(-amplitude_jitter, amplitude_jitter, size=n)
    steps = offsets[:, None] + np.arange(n_timesteps)[None, :]
    X = protos[y[:, None], steps] * gains[:, None, None]
    X = X + noise * rng.normal(size=X.shape)
    X = X.astype(np.float32)
    if not variable_length:
        return X, y
    lengths = rng.randint(max(1, n_timesteps // 2), n_timesteps + 1, size=n)
    return [x[:length] for x, length in zip(X, lengths)], y
