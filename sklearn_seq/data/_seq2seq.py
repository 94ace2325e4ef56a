# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Batches of (source, target) token sequences for encoder-decoder training."""

import numpy as np
import torch

from sklearn_seq.data._dataset import SequenceDataset, collate
from sklearn_seq.utils import Sequences
from sklearn_seq.utils._sequences import IGNORE_INDEX

__all__ = ["Seq2SeqDataset", "collate_targets"]


def collate_targets(targets, indices, *, bos_id=1, eos_id=2):
    """Decoder inputs and outputs of the target sequences at ``indices``.

    Parameters
    ----------
    targets : Sequences
        Target token ids (kind ``"tokens"``), without BOS or EOS.
    indices : array-like of int
        Samples of the batch, in order.
    bos_id : int, default=1
        Id put before each target as the decoder's first input.
    eos_id : int, default=2
        Id appended to each target as the last token to predict.

    Returns
    -------
    decoder_input : LongTensor of shape (batch, max_len + 1)
        ``bos_id`` followed by the target, padded with 0.
    decoder_target : LongTensor of shape (batch, max_len + 1)
        The target followed by ``eos_id``, padded with ``IGNORE_INDEX``
        (-100), which the loss ignores.

    Examples
    --------
    >>> from sklearn_seq.data._seq2seq import collate_targets
    >>> from sklearn_seq.utils import check_sequences
    >>> targets = check_sequences([[5, 6, 7], [8]])
    >>> dec_in, dec_out = collate_targets(targets, [0, 1])
    >>> dec_in.tolist()
    [[1, 5, 6, 7], [1, 8, 0, 0]]
    >>> dec_out.tolist()
    [[5, 6, 7, 2], [8, 2, -100, -100]]
    """
    indices = np.asarray(indices, dtype=np.int64)
    lengths = targets.lengths[indices]
    width = int(lengths.max()) + 1
    padded = targets.pad(indices, maxlen=width).astype(np.int64)
    rows = np.arange(len(indices))
    dec_in = np.zeros_like(padded)
    dec_in[:, 0] = bos_id
    dec_in[:, 1:] = padded[:, :-1]
    dec_out = padded.copy()
    dec_out[rows, lengths] = eos_id
    dec_out[np.arange(width)[None, :] > lengths[:, None]] = IGNORE_INDEX
    return torch.from_numpy(dec_in), torch.from_numpy(dec_out)


class Seq2SeqDataset(SequenceDataset):
    """Source and target token sequences, batched by whole slices.

    A :class:`~sklearn_seq.data.SequenceDataset` (so
    :class:`~sklearn_seq.data.BucketLoader` batches it, bucketing by source
    length) whose batches are ``({"x", "lengths", "decoder_input"},
    decoder_target)`` (see :func:`collate_targets`).

    Parameters
    ----------
    seqs : Sequences
        Source token sequences.
    targets : Sequences
        Target token sequences (decoder ids, without BOS or EOS), one per
        source sequence.
    bos_id : int, default=1
        Beginning-of-sequence id.
    eos_id : int, default=2
        End-of-sequence id.

    Examples
    --------
    >>> from sklearn_seq.data._seq2seq import Seq2SeqDataset
    >>> from sklearn_seq.utils import check_sequences
    >>> ds = Seq2SeqDataset(check_sequences([[3, 4], [5, 6, 7]]),
    ...                     check_sequences([[9], [8, 9]]))
    >>> Xi, yi = ds.batch([0, 1])
    >>> sorted(Xi), tuple(yi.shape)
    (['decoder_input', 'lengths', 'x'], (2, 3))
    """

    def __init__(self, seqs, targets, *, bos_id=1, eos_id=2):
        super().__init__(seqs)
        if not isinstance(targets, Sequences) or not targets.is_tokens:
            raise TypeError("targets must be token Sequences from check_sequences.")
        if targets.n_samples != seqs.n_samples:
            raise ValueError(
                f"{seqs.n_samples} source sequences but {targets.n_samples} "
                "target sequences."
            )
        self.targets = targets
        self.bos_id = bos_id
        self.eos_id = eos_id

    def batch(self, indices):
        """Return ``(Xi, yi)`` for the samples at ``indices``.

        Parameters
        ----------
        indices : array-like of int
            Samples of the batch.

        Returns
        -------
        Xi : dict
            ``{"x", "lengths", "decoder_input"}`` tensors.
        yi : LongTensor of shape (batch, max_target_len + 1)
            Decoder targets, padded with ``IGNORE_INDEX``.
        """
        indices = np.asarray(indices, dtype=np.int64)
        Xi = collate(self.seqs, indices)
        dec_in, dec_out = collate_targets(
            self.targets, indices, bos_id=self.bos_id, eos_id=self.eos_id
        )
        Xi["decoder_input"] = dec_in
        return Xi, dec_out

    def subset(self, indices):
        """A new dataset holding only the samples at ``indices``.

        Parameters
        ----------
        indices : array-like of int
            Samples to keep.

        Returns
        -------
        Seq2SeqDataset
            The subset.
        """
        indices = np.asarray(indices, dtype=np.int64)
        return Seq2SeqDataset(
            self.seqs.take(indices),
            self.targets.take(indices),
            bos_id=self.bos_id,
            eos_id=self.eos_id,
        )
