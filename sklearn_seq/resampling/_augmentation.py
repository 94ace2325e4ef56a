# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Over-sampling minority classes with time-series augmentations."""

from sklearn.utils import check_random_state

from sklearn_seq.resampling import augment
from sklearn_seq.resampling._base import _BaseSequenceOverSampler

__all__ = ["AugmentationOverSampler"]

#: Augmentations known by name, in the default order.
AUGMENTATIONS = {
    "jitter": augment.jitter,
    "scaling": augment.scaling,
    "magnitude_warp": augment.magnitude_warp,
    "time_warp": augment.time_warp,
    "window_slice": augment.window_slice,
}


def _resolve_one(spec, position):
    params = {}
    if isinstance(spec, tuple):
        if len(spec) != 2 or not isinstance(spec[1], dict):
            raise ValueError(
                f"augmentations[{position}] is the tuple {spec!r}; a tuple must be "
                "(name or callable, dict of parameters), e.g. "
                "('jitter', {'sigma': 0.05})."
            )
        spec, params = spec
    if isinstance(spec, str):
        if spec not in AUGMENTATIONS:
            raise ValueError(
                f"Unknown augmentation {spec!r}; use one of {sorted(AUGMENTATIONS)} "
                "or a callable f(sequence, *, random_state) returning a sequence."
            )
        return AUGMENTATIONS[spec], params
    if callable(spec):
        return spec, params
    raise TypeError(
        f"augmentations[{position}] is {spec!r}; expected a name among "
        f"{sorted(AUGMENTATIONS)}, a callable, or a (name or callable, params) "
        "tuple."
    )


def _resolve(augmentations):
    """Turn the ``augmentations`` parameter into ``[(func, params), ...]``."""
    if augmentations is None:
        return [(func, {}) for func in AUGMENTATIONS.values()]
    if isinstance(augmentations, str | tuple) or callable(augmentations):
        augmentations = [augmentations]
    specs = list(augmentations)
    if not specs:
        raise ValueError("augmentations is empty; give at least one augmentation.")
    return [_resolve_one(spec, i) for i, spec in enumerate(specs)]


class AugmentationOverSampler(_BaseSequenceOverSampler):
    """Over-sample minority classes with augmented copies of their sequences.

    Each synthetic sequence is a randomly drawn sequence of the class, passed
    through one augmentation drawn uniformly from ``augmentations`` (jitter,
    scaling, magnitude warping, time warping, window slicing: see
    :mod:`sklearn_seq.resampling.augment`). Works on fixed-length and ragged
    sequences; every augmentation keeps the length of its sequence. Like every
    imbalanced-learn sampler it runs in :meth:`fit_resample`, i.e. at fit time
    only inside an :class:`imblearn.pipeline.Pipeline`, never at predict time.

    Parameters
    ----------
    augmentations : str, callable, tuple or list of them, default=None
        The augmentations to draw from. Each entry is a name (``"jitter"``,
        ``"scaling"``, ``"magnitude_warp"``, ``"time_warp"``,
        ``"window_slice"``), a callable ``f(sequence, *, random_state)``
        returning a sequence of the same shape, or a tuple ``(name or
        callable, params)`` whose dict ``params`` is passed as keyword
        arguments, e.g. ``("jitter", {"sigma": 0.05})``. None uses the five
        named augmentations with their default parameters.

    __SAMPLING_STRATEGY__

    random_state : int, RandomState instance or None, default=None
        Controls the choice of sequences and augmentations and the
        augmentations' own randomness.

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of sequences generated per class.

    n_features_in_ : int
        Number of features per step seen in :meth:`fit_resample`.

    See Also
    --------
    SequenceSMOTE : Synthetic sequences interpolated between neighbours.

    Notes
    -----
    The augmentations act on raw values, so their ``sigma`` is in the units of
    the data: scale the features (e.g. with
    :class:`~sklearn_seq.preprocessing.SequenceScaler`) before resampling.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.resampling import AugmentationOverSampler
    >>> rng = np.random.RandomState(0)
    >>> X = [rng.normal(size=(n, 2)) for n in rng.randint(5, 15, size=12)]
    >>> y = np.array([0] * 9 + [1] * 3)
    >>> sampler = AugmentationOverSampler(["jitter", "time_warp"], random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> type(X_res).__name__, np.bincount(y_res).tolist()
    ('list', [9, 9])
    >>> X3 = rng.normal(size=(12, 6, 2)).astype("float32")
    >>> X3_res, _ = sampler.fit_resample(X3, y)
    >>> X3_res.shape, X3_res.dtype
    ((18, 6, 2), dtype('float32'))
    """

    _parameter_constraints: dict = {
        **_BaseSequenceOverSampler._parameter_constraints,
        "augmentations": [None, str, callable, tuple, list],
    }

    def __init__(
        self, augmentations=None, *, sampling_strategy="auto", random_state=None
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.augmentations = augmentations
        self.random_state = random_state

    def _generate(self, seqs, y):
        augmentations = _resolve(self.augmentations)
        rng = check_random_state(self.random_state)
        new_seqs, new_y = [], []
        for label, n_new in self.sampling_strategy_.items():
            if n_new <= 0:
                continue
            members = (y == label).nonzero()[0]
            sources = rng.choice(members, size=n_new, replace=True)
            which = rng.randint(len(augmentations), size=n_new)
            for src, k in zip(sources, which):
                func, params = augmentations[k]
                new_seqs.append(func(seqs[src], **params, random_state=rng))
                new_y.append(label)
        return new_seqs, new_y


AugmentationOverSampler.__doc__ = AugmentationOverSampler.__doc__.replace(
    "__SAMPLING_STRATEGY__",
    _BaseSequenceOverSampler._sampling_strategy_docstring,
)
