# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Mask-aware pooling of encoder outputs into one vector per sequence."""

import torch
from torch import nn

from sklearn_seq.nn.encoders import lengths_to_mask

__all__ = ["SequencePooling", "last_valid_step"]

POOLING_MODES = ("last", "mean", "max", "attention")


def last_valid_step(outputs, lengths, bidirectional=False):
    """State at each sequence's last valid step.

    For a bidirectional encoder the forward half is read at the last valid
    step and the backward half at step 0, where the backward direction ends.

    Parameters
    ----------
    outputs : FloatTensor of shape (batch, max_len, size)
        Encoder outputs.
    lengths : LongTensor of shape (batch,)
        Valid steps per sequence.
    bidirectional : bool, default=False
        Whether the second half of the features is a backward direction.

    Returns
    -------
    FloatTensor of shape (batch, size)
        One vector per sequence.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn import last_valid_step
    >>> out = torch.arange(6.).reshape(1, 3, 2)
    >>> last_valid_step(out, torch.tensor([2])).tolist()
    [[2.0, 3.0]]
    >>> last_valid_step(out, torch.tensor([2]), bidirectional=True).tolist()
    [[2.0, 1.0]]
    """
    idx = (lengths.to(outputs.device) - 1).clamp(min=0)
    rows = torch.arange(outputs.shape[0], device=outputs.device)
    last = outputs[rows, idx]
    if not bidirectional:
        return last
    half = outputs.shape[-1] // 2
    return torch.cat([last[:, :half], outputs[:, 0, half:]], dim=-1)


class SequencePooling(nn.Module):
    """Pool encoder outputs over the valid steps of each sequence.

    Parameters
    ----------
    mode : {"last", "mean", "max", "attention"}, default="last"
        ``"last"``: the last valid step (see :func:`last_valid_step`);
        ``"mean"`` / ``"max"``: over valid steps only; ``"attention"``: a
        learned additive attention over valid steps
        (:class:`sklearn_seq.nn.AttentionPooling`).
    input_size : int, default=None
        Size of the encoder outputs (needed for ``"attention"``).
    bidirectional : bool, default=False
        Whether the encoder is bidirectional (for ``"last"``).

    Attributes
    ----------
    last_weights_ : FloatTensor of shape (batch, max_len) or None
        Attention weights of the last forward call (``mode="attention"``).

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn import SequencePooling
    >>> out = torch.tensor([[[1.0], [3.0], [100.0]]])
    >>> SequencePooling("mean")(out, torch.tensor([2])).tolist()
    [[2.0]]
    >>> SequencePooling("max")(out, torch.tensor([2])).tolist()
    [[3.0]]
    """

    def __init__(self, mode="last", input_size=None, bidirectional=False):
        super().__init__()
        if mode not in POOLING_MODES:
            raise ValueError(f"pooling must be one of {POOLING_MODES}, got {mode!r}.")
        self.mode = mode
        self.bidirectional = bidirectional
        self.last_weights_ = None
        if mode == "attention":
            if input_size is None:
                raise ValueError("pooling='attention' needs input_size.")
            from sklearn_seq.nn.attention import AttentionPooling

            self.attention = AttentionPooling(input_size)

    def forward(self, outputs, lengths):
        """Pool ``outputs`` of shape (batch, max_len, size) to (batch, size).

        Parameters
        ----------
        outputs : FloatTensor of shape (batch, max_len, size)
            Encoder outputs.
        lengths : LongTensor of shape (batch,)
            Valid steps per sequence.

        Returns
        -------
        FloatTensor of shape (batch, size)
            Pooled vectors.
        """
        if self.mode == "last":
            return last_valid_step(outputs, lengths, self.bidirectional)
        mask = lengths_to_mask(lengths.to(outputs.device), outputs.shape[1])
        if self.mode == "mean":
            m = mask.unsqueeze(-1).to(outputs.dtype)
            return (outputs * m).sum(1) / m.sum(1).clamp(min=1)
        if self.mode == "max":
            filled = outputs.masked_fill(~mask.unsqueeze(-1), float("-inf"))
            return filled.max(dim=1).values
        pooled, weights = self.attention(outputs, mask)
        self.last_weights_ = weights.detach()
        return pooled
