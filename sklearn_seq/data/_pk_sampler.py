# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""P-classes x K-samples batches for metric learning (triplet mining)."""

import numpy as np

from sklearn_seq.data._dataset import SequenceDataset

__all__ = ["PKBatchLoader", "pk_batches"]


def pk_batches(
    labels,
    n_classes_per_batch,
    n_samples_per_class,
    *,
    rng=None,
    n_batches=None,
    lengths=None,
):
    """Batches of ``P`` classes with ``K`` samples each.

    Every batch draws ``P = n_classes_per_batch`` distinct classes among
    those with at least two samples (all of them when there are fewer), then
    ``K = n_samples_per_class`` distinct samples of each chosen class (all of
    its samples when it has fewer than ``K``). Every sample of a batch thus
    has a positive (same class, other sample) and, when two or more classes
    are available, negatives: online triplet mining never runs dry. Classes
    are visited in shuffled rounds, so over an epoch every class appears
    about equally often; inside a class the samples are taken from a
    shuffled queue, so every sample is used before any is reused. Singleton
    classes (one sample) never appear: they have no positive.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        Class label of each sample.

    n_classes_per_batch : int
        ``P``, classes per batch (at least 1).

    n_samples_per_class : int
        ``K``, samples per class in a batch (at least 2).

    rng : numpy.random.Generator, default=None
        Source of randomness. Passing the same generator state gives the same
        batches.

    n_batches : int, default=None
        Number of batches. None gives ``ceil(n_usable / (P * K))``, one
        epoch's worth of the samples that belong to classes with at least two
        samples.

    lengths : array-like of shape (n_samples,), default=None
        Sequence lengths. When given, the indices inside each batch are sorted
        by length (class blocks are interleaved); this does not change which
        samples are drawn.

    Returns
    -------
    list of ndarray
        Index arrays, one per batch, of size at most ``P * K``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.data import pk_batches
    >>> labels = np.repeat([0, 1, 2, 3], 5)
    >>> batches = pk_batches(labels, 2, 3, rng=np.random.default_rng(0))
    >>> len(batches), [len(b) for b in batches]
    (4, [6, 6, 6, 6])
    >>> [np.unique(labels[b], return_counts=True)[1].tolist() for b in batches]
    [[3, 3], [3, 3], [3, 3], [3, 3]]
    """
    labels = np.asarray(labels)
    if n_classes_per_batch < 1:
        raise ValueError(
            f"n_classes_per_batch must be at least 1; got {n_classes_per_batch}."
        )
    if n_samples_per_class < 2:
        raise ValueError(
            "n_samples_per_class must be at least 2 (a sample needs a positive "
            f"of its class in the batch); got {n_samples_per_class}."
        )
    rng = np.random.default_rng() if rng is None else rng
    _, codes = np.unique(labels, return_inverse=True)
    codes = codes.ravel()
    members = (
        [np.flatnonzero(codes == c) for c in range(codes.max() + 1)]
        if len(codes)
        else []
    )
    members = [m for m in members if len(m) >= 2]
    if not members:
        raise ValueError(
            "P x K batches need at least one class with two or more samples; "
            "every class of y has a single sample."
        )
    n_usable = sum(len(m) for m in members)
    p = min(n_classes_per_batch, len(members))
    k = n_samples_per_class
    if n_batches is None:
        n_batches = max(1, -(-n_usable // (p * k)))
    queues = [rng.permutation(m) for m in members]
    heads = [0] * len(members)
    class_order = rng.permutation(len(members))
    cursor = 0
    batches = []
    for _ in range(n_batches):
        if cursor + p > len(class_order):
            # new round: the rest of this round, then a fresh shuffled round
            rest = class_order[cursor:]
            fresh = rng.permutation(len(members))
            fresh = np.concatenate(
                [fresh[~np.isin(fresh, rest)], fresh[np.isin(fresh, rest)]]
            )
            class_order = np.concatenate([rest, fresh])
            cursor = 0
        chosen = class_order[cursor : cursor + p]
        cursor += p
        parts = []
        for c in chosen:
            queue, size = queues[c], len(queues[c])
            take = min(k, size)
            if heads[c] + take > size:
                # reshuffle the class, keeping the unused tail first
                tail = queue[heads[c] :]
                queue = np.concatenate([tail, rng.permutation(queue[: heads[c]])])
                queues[c], heads[c] = queue, 0
            parts.append(queue[heads[c] : heads[c] + take])
            heads[c] += take
        batch = np.concatenate(parts)
        if lengths is not None:
            batch = batch[np.argsort(np.asarray(lengths)[batch], kind="stable")]
        batches.append(batch)
    return batches


class PKBatchLoader:
    """Iterable of P-classes x K-samples batches over a :class:`SequenceDataset`.

    A drop-in for skorch's ``iterator_train`` (like
    :class:`~sklearn_seq.data.BucketLoader`) for metric learning: each batch
    holds ``P = batch_size // n_samples_per_class`` classes with
    ``K = n_samples_per_class`` samples each (see :func:`pk_batches`), so that
    batch-hard or semi-hard triplet mining always finds positives. Batches are
    padded to their own longest sequence.

    Parameters
    ----------
    dataset : SequenceDataset
        Data with class labels as targets (codes or any labels).

    batch_size : int, default=32
        Samples per batch, ``P * K``; ``P`` is ``batch_size //
        n_samples_per_class`` (at least 2).

    n_samples_per_class : int, default=4
        ``K``: samples per class in a batch (at least 2).

    shuffle : bool, default=True
        With False, every iteration gives the same batches (drawn from a
        generator seeded with ``seed``), e.g. for a validation set.

    generator : numpy.random.Generator, default=None
        Randomness when ``shuffle``; one generator advancing across epochs
        gives reproducible, different epochs.

    seed : int, default=0
        Seed of the fixed batches when ``shuffle=False``.

    n_batches : int, default=None
        Batches per iteration; None gives one epoch's worth of samples.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.data import PKBatchLoader, SequenceDataset
    >>> from sklearn_seq.utils import check_sequences
    >>> y = np.repeat(np.arange(6), 4)
    >>> ds = SequenceDataset(check_sequences(np.zeros((24, 5, 2))), y)
    >>> loader = PKBatchLoader(ds, batch_size=8, n_samples_per_class=2,
    ...                        generator=np.random.default_rng(0))
    >>> len(loader), [len(np.unique(yi)) for _, yi in loader]
    (3, [4, 4, 4])
    """

    def __init__(
        self,
        dataset,
        batch_size=32,
        n_samples_per_class=4,
        shuffle=True,
        generator=None,
        seed=0,
        n_batches=None,
    ):
        if not isinstance(dataset, SequenceDataset):
            raise TypeError(
                "PKBatchLoader iterates over a SequenceDataset, got "
                f"{type(dataset).__name__}."
            )
        if dataset.y_numpy is None:
            raise ValueError("PKBatchLoader needs class labels as the targets.")
        self.dataset = dataset
        self.batch_size = batch_size
        self.n_samples_per_class = n_samples_per_class
        self.shuffle = shuffle
        self.generator = generator
        self.seed = seed
        self.n_batches = n_batches

    @property
    def n_classes_per_batch(self):
        """``P``, classes per batch.

        Returns
        -------
        int
            ``max(2, batch_size // n_samples_per_class)``.
        """
        return max(2, self.batch_size // self.n_samples_per_class)

    def _batches(self):
        if self.shuffle:
            rng = self.generator
            if rng is None:
                rng = np.random.default_rng()
        else:
            rng = np.random.default_rng(self.seed)
        return pk_batches(
            self.dataset.y_numpy,
            self.n_classes_per_batch,
            self.n_samples_per_class,
            rng=rng,
            n_batches=self.n_batches,
            lengths=self.dataset.seqs.lengths,
        )

    def __len__(self):
        if self.n_batches is not None:
            return self.n_batches
        labels = self.dataset.y_numpy
        _, counts = np.unique(labels, return_counts=True)
        usable = counts[counts >= 2]
        p = min(self.n_classes_per_batch, max(len(usable), 1))
        return max(1, -(-int(usable.sum()) // (p * self.n_samples_per_class)))

    def __iter__(self):
        for idx in self._batches():
            yield self.dataset.batch(idx)
