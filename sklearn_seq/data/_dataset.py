# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Dataset, whole-slice collation and the length-bucketing loader."""

import numpy as np
import torch
from torch.utils.data import Dataset

from sklearn_seq.utils import Sequences

__all__ = ["BucketLoader", "SequenceDataset", "bucket_batches", "collate"]


def collate(seqs, indices):
    """Pad the sequences at ``indices`` to the batch's own maximum length.

    Parameters
    ----------
    seqs : Sequences
        Validated sequences (:func:`sklearn_seq.utils.check_sequences`).
    indices : array-like of int
        Samples of the batch, in order.

    Returns
    -------
    dict
        ``{"x": Tensor (batch, max_len[, n_features]), "lengths": LongTensor
        (batch,)}``: float32 values or int64 token ids, zero after each
        sequence's end.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.data import collate
    >>> from sklearn_seq.utils import check_sequences
    >>> seqs = check_sequences([np.ones((2, 3)), np.ones((4, 3))])
    >>> batch = collate(seqs, [0, 1])
    >>> tuple(batch["x"].shape), batch["lengths"].tolist()
    ((2, 4, 3), [2, 4])
    """
    indices = np.asarray(indices, dtype=np.int64)
    return {
        "x": torch.from_numpy(seqs.pad(indices)),
        "lengths": torch.from_numpy(seqs.lengths[indices]),
    }


class SequenceDataset(Dataset):
    """Sequences and targets that batch by whole slices.

    Parameters
    ----------
    seqs : Sequences
        Validated input sequences.
    y : ndarray, default=None
        Targets, one row per sequence.
    sample_weight : ndarray of shape (n_samples,), default=None
        Per-sample weights, handed to the loss in the batch dict.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.data import SequenceDataset
    >>> from sklearn_seq.utils import check_sequences
    >>> ds = SequenceDataset(check_sequences(np.zeros((5, 4, 2))), np.arange(5))
    >>> Xi, yi = ds.batch([3, 1])
    >>> tuple(Xi["x"].shape), yi.tolist()
    ((2, 4, 2), [3, 1])
    """

    def __init__(self, seqs, y=None, sample_weight=None):
        if not isinstance(seqs, Sequences):
            raise TypeError("seqs must be a Sequences object from check_sequences.")
        self.seqs = seqs
        self.y = None if y is None else torch.as_tensor(y)
        self.y_numpy = None if y is None else np.asarray(y)
        self.sample_weight = (
            None
            if sample_weight is None
            else torch.as_tensor(sample_weight, dtype=torch.float32)
        )

    def __len__(self):
        return self.seqs.n_samples

    def batch(self, indices):
        """Return ``(Xi, yi)`` for the samples at ``indices``.

        Parameters
        ----------
        indices : array-like of int
            Samples of the batch.

        Returns
        -------
        Xi : dict
            Batch dict for the module (see :func:`collate`), plus
            ``"sample_weight"`` when weights were given.
        yi : Tensor or None
            Targets of the batch.
        """
        indices = np.asarray(indices, dtype=np.int64)
        Xi = collate(self.seqs, indices)
        if self.sample_weight is not None:
            Xi["sample_weight"] = self.sample_weight[indices]
        yi = None if self.y is None else self.y[torch.from_numpy(indices)]
        return Xi, yi

    def __getitem__(self, i):
        Xi, yi = self.batch([i])
        return {k: v[0] for k, v in Xi.items()}, (None if yi is None else yi[0])

    def subset(self, indices):
        """A new dataset holding only the samples at ``indices``.

        Parameters
        ----------
        indices : array-like of int
            Samples to keep.

        Returns
        -------
        SequenceDataset
            The subset.
        """
        indices = np.asarray(indices, dtype=np.int64)
        return SequenceDataset(
            self.seqs.take(indices),
            None if self.y is None else self.y_numpy[indices],
            None if self.sample_weight is None else self.sample_weight.numpy()[indices],
        )


def bucket_batches(
    lengths, batch_size, *, shuffle=False, rng=None, bucket_size=50, drop_last=False
):
    """Split sample indices into batches of similar lengths.

    With ``shuffle``, samples are shuffled, grouped into pools of
    ``bucket_size`` batches, sorted by length inside each pool, cut into
    batches, and the batches are shuffled: each batch holds similar lengths
    (little padding) while batch composition still changes every epoch.
    Without ``shuffle``, samples are sorted by length (stable), which is
    deterministic.

    Parameters
    ----------
    lengths : ndarray of shape (n_samples,)
        Sequence lengths.
    batch_size : int
        Samples per batch.
    shuffle : bool, default=False
        Whether to randomise batch composition and order.
    rng : numpy.random.Generator, default=None
        Source of randomness when shuffling.
    bucket_size : int, default=50
        Batches per sorting pool.
    drop_last : bool, default=False
        Drop a last incomplete batch.

    Returns
    -------
    list of ndarray
        Index arrays, one per batch.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.data import bucket_batches
    >>> [b.tolist() for b in bucket_batches(np.array([5, 1, 4, 2]), 2)]
    [[1, 3], [2, 0]]
    """
    n = len(lengths)
    if n == 0:
        return []
    if not shuffle:
        order = np.argsort(lengths, kind="stable")
    else:
        rng = np.random.default_rng() if rng is None else rng
        order = rng.permutation(n)
        pool = batch_size * bucket_size
        if (lengths != lengths[0]).any():
            chunks = []
            for start in range(0, n, pool):
                chunk = order[start : start + pool]
                chunks.append(chunk[np.argsort(lengths[chunk], kind="stable")])
            order = np.concatenate(chunks)
    batches = [order[i : i + batch_size] for i in range(0, n, batch_size)]
    if drop_last and len(batches[-1]) < batch_size:
        batches.pop()
    if shuffle and len(batches) > 1:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    return batches


class BucketLoader:
    """Iterable of length-bucketed batches over a :class:`SequenceDataset`.

    A drop-in for :class:`torch.utils.data.DataLoader` in skorch's
    ``iterator_train`` / ``iterator_valid``: every batch is cut from the
    dataset's arrays in one indexing operation (no per-sample fetching) and
    padded to its own longest sequence.

    Parameters
    ----------
    dataset : SequenceDataset
        Data to iterate over.
    batch_size : int, default=32
        Samples per batch.
    shuffle : bool, default=False
        Reshuffle (bucket-wise) at every iteration.
    generator : numpy.random.Generator, default=None
        Randomness for shuffling; one generator advancing across epochs gives
        reproducible, different epochs.
    bucket_size : int, default=50
        Batches per sorting pool (see :func:`bucket_batches`).
    drop_last : bool, default=False
        Drop a last incomplete batch.
    pin_memory : bool, default=False
        Put every batch's tensors in page-locked (pinned) host memory, so
        that ``tensor.to("cuda", non_blocking=True)`` copies them
        asynchronously. The estimators turn it on when they train on CUDA;
        it needs a CUDA build of torch.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.data import BucketLoader, SequenceDataset
    >>> from sklearn_seq.utils import check_sequences
    >>> ds = SequenceDataset(check_sequences(np.zeros((10, 4, 2))), np.arange(10))
    >>> loader = BucketLoader(ds, batch_size=4)
    >>> len(loader), [len(yi) for _, yi in loader]
    (3, [4, 4, 2])
    """

    def __init__(
        self,
        dataset,
        batch_size=32,
        shuffle=False,
        generator=None,
        bucket_size=50,
        drop_last=False,
        pin_memory=False,
    ):
        if not isinstance(dataset, SequenceDataset):
            raise TypeError(
                "BucketLoader iterates over a SequenceDataset, got "
                f"{type(dataset).__name__}."
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.bucket_size = bucket_size
        self.drop_last = drop_last
        self.pin_memory = pin_memory

    def __len__(self):
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return (n + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        batches = bucket_batches(
            self.dataset.seqs.lengths,
            self.batch_size,
            shuffle=self.shuffle,
            rng=self.generator,
            bucket_size=self.bucket_size,
            drop_last=self.drop_last,
        )
        for idx in batches:
            Xi, yi = self.dataset.batch(idx)
            if self.pin_memory:
                Xi = {k: v.pin_memory() for k, v in Xi.items()}
                yi = None if yi is None else yi.pin_memory()
            yield Xi, yi
