# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""SMOTE over whole sequences, fixed-length or ragged, with DTW neighbours."""

from numbers import Integral

import numpy as np
from sklearn.metrics import pairwise_distances
from sklearn.utils import check_random_state

from sklearn_seq.resampling._base import _BaseSequenceOverSampler
from sklearn_seq.utils._param_validation import Interval, StrOptions

__all__ = ["SequenceSMOTE", "dtw_distances"]


def _resample(x, n_steps):
    """Read ``x`` (T, F) at ``n_steps`` evenly spaced points of its time span."""
    if len(x) == n_steps:
        return np.asarray(x, dtype=np.float64)
    positions = np.linspace(0, len(x) - 1, num=n_steps)
    steps = np.arange(len(x))
    return np.column_stack(
        [np.interp(positions, steps, x[:, j]) for j in range(x.shape[1])]
    )


def dtw_distances(sequences):
    """Pairwise dynamic time warping distances between sequences.

    The DTW distance of ``a`` (length ``n``) and ``b`` (length ``m``) is
    :math:`\\sqrt{D(n, m)}` with
    :math:`D(i, j) = \\|a_i - b_j\\|^2 + \\min(D(i-1, j), D(i, j-1), D(i-1, j-1))`
    and :math:`D(0, 0) = 0`, :math:`D(i, 0) = D(0, j) = \\infty` otherwise: the
    cheapest monotone alignment of all steps of both sequences (no window
    constraint). It equals the Euclidean distance of the flattened sequences
    when the best alignment is the diagonal.

    Parameters
    ----------
    sequences : list of ndarray of shape (n_timesteps_i, n_features)
        The sequences; lengths may differ.

    Returns
    -------
    distances : ndarray of shape (n_sequences, n_sequences)
        Symmetric, zero on the diagonal.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.resampling import dtw_distances
    >>> a = np.array([[0.0], [1.0], [2.0]])
    >>> b = np.array([[0.0], [0.0], [1.0], [2.0]])
    >>> dtw_distances([a, b]).round(6).tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """
    seqs = [np.asarray(s, dtype=np.float64) for s in sequences]
    seqs = [s[:, None] if s.ndim == 1 else s for s in seqs]
    n = len(seqs)
    out = np.zeros((n, n))
    if n < 2:
        return out
    lengths = np.array([len(s) for s in seqs])
    t_max, n_features = int(lengths.max()), seqs[0].shape[1]
    padded = np.zeros((n, t_max, n_features))
    for i, s in enumerate(seqs):
        padded[i, : len(s)] = s
    first, second = np.triu_indices(n, k=1)
    # all pairs advance together, one cell (i, j) at a time; cells beyond a
    # pair's lengths are computed but never read for that pair
    A, B = padded[first], padded[second]
    la, lb = lengths[first], lengths[second]
    pairs = np.arange(len(first))
    result = np.empty(len(first))
    prev = np.full((len(first), t_max), np.inf)
    for i in range(t_max):
        cost = ((A[:, i, None, :] - B) ** 2).sum(axis=-1)
        cur = np.empty_like(prev)
        cur[:, 0] = cost[:, 0] + (0.0 if i == 0 else prev[:, 0])
        for j in range(1, t_max):
            best = np.minimum(np.minimum(prev[:, j], prev[:, j - 1]), cur[:, j - 1])
            cur[:, j] = cost[:, j] + best
        done = la - 1 == i
        result[done] = cur[pairs[done], lb[done] - 1]
        prev = cur
    out[first, second] = out[second, first] = np.sqrt(result)
    return out


class SequenceSMOTE(_BaseSequenceOverSampler):
    """SMOTE for sequences: interpolate whole sequences between neighbours.

    For each synthetic sequence of a class, SMOTE draws a sequence ``a`` of
    that class, one of its ``k_neighbors`` nearest neighbours ``b`` in the same
    class, and :math:`\\lambda \\sim U(0, 1)`, and returns
    ``a + lambda * (b - a)``. Sequences of different lengths are first read at
    ``n_timesteps`` evenly spaced points of their own time span (linear
    interpolation, so a sequence's start meets the other's start and its end
    the other's end); the synthetic sequence is interpolated on that common
    grid and then resampled to the length ``round(len(a) + lambda *
    (len(b) - len(a)))``, the same interpolation applied to the lengths. On
    fixed-length data nothing is resampled and this is exactly SMOTE on the
    flattened sequences. Unlike a :class:`~sklearn_seq.preprocessing.SequenceFlattener`
    + SMOTE pipeline it takes ragged lists and can find neighbours with
    dynamic time warping, which matches sequences that are shifted or run at
    different speeds.

    Parameters
    ----------
    k_neighbors : int, default=5
        Number of same-class nearest neighbours to interpolate towards. Every
        class that gets synthetic sequences needs more than ``k_neighbors``
        sequences.

    metric : {"euclidean", "dtw"}, default="euclidean"
        Distance of the neighbour search. ``"euclidean"`` compares the
        flattened sequences on the common grid; ``"dtw"`` compares the
        original sequences with dynamic time warping (:func:`dtw_distances`,
        quadratic in the length and in the class size).

    n_timesteps : int, default=None
        Length of the common grid. None takes the longest sequence of the
        class, so no sequence is downsampled.

    __SAMPLING_STRATEGY__

    random_state : int, RandomState instance or None, default=None
        Controls the choice of sequences, neighbours and interpolation
        weights.

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of sequences generated per class.

    n_features_in_ : int
        Number of features per step seen in :meth:`fit_resample`.

    See Also
    --------
    AugmentationOverSampler : Synthetic sequences from augmented copies.
    imblearn.over_sampling.SMOTE : The 2-D original, for flattened sequences.

    References
    ----------
    .. [1] N. V. Chawla, K. W. Bowyer, L. O. Hall and W. P. Kegelmeyer,
       "SMOTE: Synthetic Minority Over-sampling Technique", JAIR 16, 2002.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.resampling import SequenceSMOTE
    >>> rng = np.random.RandomState(0)
    >>> X = [rng.normal(size=(n, 2)) for n in rng.randint(5, 15, size=20)]
    >>> y = np.array([0] * 15 + [1] * 5)
    >>> smote = SequenceSMOTE(k_neighbors=3, metric="dtw", random_state=0)
    >>> X_res, y_res = smote.fit_resample(X, y)
    >>> len(X_res), np.bincount(y_res).tolist(), X_res[-1].shape[1]
    (30, [15, 15], 2)
    """

    _parameter_constraints: dict = {
        **_BaseSequenceOverSampler._parameter_constraints,
        "k_neighbors": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions({"euclidean", "dtw"})],
        "n_timesteps": [None, Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        k_neighbors=5,
        metric="euclidean",
        n_timesteps=None,
        sampling_strategy="auto",
        random_state=None,
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.k_neighbors = k_neighbors
        self.metric = metric
        self.n_timesteps = n_timesteps
        self.random_state = random_state

    def _neighbours(self, members, grid):
        """Indices (into ``members``) of each member's nearest same-class peers."""
        if self.metric == "dtw":
            dist = dtw_distances(members)
        else:
            dist = pairwise_distances(grid.reshape(len(grid), -1))
        np.fill_diagonal(dist, np.inf)
        return np.argsort(dist, axis=1, kind="stable")[:, : self.k_neighbors]

    def _generate(self, seqs, y):
        rng = check_random_state(self.random_state)
        new_seqs, new_y = [], []
        for label, n_new in self.sampling_strategy_.items():
            if n_new <= 0:
                continue
            idx = (y == label).nonzero()[0]
            if len(idx) <= self.k_neighbors:
                if isinstance(label, np.generic):
                    label = label.item()
                raise ValueError(
                    f"SequenceSMOTE(k_neighbors={self.k_neighbors}) needs more "
                    f"than {self.k_neighbors} sequences of class {label!r}, which "
                    f"has {len(idx)}. Lower k_neighbors (at most {len(idx) - 1})"
                    + (" or use AugmentationOverSampler." if len(idx) < 2 else ".")
                )
            members = [seqs[i] for i in idx]
            lengths = seqs.lengths[idx]
            n_steps = self.n_timesteps or int(lengths.max())
            grid = np.stack([_resample(s, n_steps) for s in members])
            neighbours = self._neighbours(members, grid)
            rows = rng.randint(len(idx), size=n_new)
            cols = neighbours[rows, rng.randint(self.k_neighbors, size=n_new)]
            lam = rng.uniform(size=n_new)
            synthetic = grid[rows] + lam[:, None, None] * (grid[cols] - grid[rows])
            new_lengths = np.rint(
                lengths[rows] + lam * (lengths[cols] - lengths[rows])
            ).astype(int)
            for seq, length in zip(synthetic, new_lengths):
                new_seqs.append(_resample(seq, max(int(length), 1)))
                new_y.append(label)
        return new_seqs, new_y


SequenceSMOTE.__doc__ = SequenceSMOTE.__doc__.replace(
    "__SAMPLING_STRATEGY__", _BaseSequenceOverSampler._sampling_strategy_docstring
)
