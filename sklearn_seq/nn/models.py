# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Whole-sequence networks: (embedding) -> encoder -> pooling -> linear head."""

from torch import nn

from sklearn_seq.nn.encoders import RecurrentEncoder
from sklearn_seq.nn.pooling import SequencePooling

__all__ = ["CELLS", "SequenceNet", "make_encoder"]

CELLS = ("rnn", "lstm", "gru", "transformer")


def make_encoder(cell, input_size, *, hidden_size=64, num_layers=1,
                 bidirectional=False, dropout=0.0, nhead=4):
    """Build the encoder named by ``cell``.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru", "transformer"}
        Encoder family.
    input_size : int
        Features per step.
    hidden_size : int, default=64
        Hidden units per direction (``d_model`` for the transformer).
    num_layers : int, default=1
        Stacked layers.
    bidirectional : bool, default=False
        Backward direction for recurrent cells (a transformer sees both
        directions anyway; the flag is ignored there).
    dropout : float, default=0.0
        Dropout between layers.
    nhead : int, default=4
        Attention heads of the transformer (reduced to a divisor of
        ``hidden_size`` when needed).

    Returns
    -------
    torch.nn.Module
        An encoder with ``forward(x, lengths)``, ``output_size`` and
        ``bidirectional``.

    Examples
    --------
    >>> from sklearn_seq.nn import make_encoder
    >>> make_encoder("gru", 3, hidden_size=8, bidirectional=True).output_size
    16
    """
    if cell in ("rnn", "lstm", "gru"):
        return RecurrentEncoder(input_size, hidden_size, num_layers, cell=cell,
                                bidirectional=bidirectional, dropout=dropout)
    if cell == "transformer":
        from sklearn_seq.nn.transformer import TransformerSequenceEncoder

        while hidden_size % nhead:
            nhead -= 1
        return TransformerSequenceEncoder(
            input_size, d_model=hidden_size, nhead=nhead, num_layers=num_layers,
            dim_feedforward=2 * hidden_size, dropout=dropout,
        )
    raise ValueError(f"cell must be one of {CELLS}, got {cell!r}.")


class SequenceNet(nn.Module):
    """Sequence-to-vector network used by the estimators.

    ``forward(x, lengths)`` returns one row of ``n_outputs`` raw scores (logits
    for classification) per sequence.

    Parameters
    ----------
    input_size : int
        Features per step; ignored for token input.
    n_outputs : int
        Size of the output layer.
    cell : {"rnn", "lstm", "gru", "transformer"}, default="lstm"
        Encoder family.
    hidden_size : int, default=64
        Hidden units per direction.
    num_layers : int, default=1
        Stacked layers.
    bidirectional : bool, default=False
        Backward direction for recurrent cells.
    dropout : float, default=0.0
        Dropout between layers and before the output layer.
    pooling : {"last", "mean", "max", "attention"}, default="last"
        How step outputs become one vector per sequence (mask-aware).
    vocab_size : int, default=None
        For token input: size of the embedding table (ids ``< vocab_size``,
        0 = padding).
    embedding_dim : int, default=32
        Embedding size for token input.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn import SequenceNet
    >>> net = SequenceNet(3, 2, hidden_size=8)
    >>> net(torch.randn(4, 6, 3), torch.tensor([6, 6, 2, 1])).shape
    torch.Size([4, 2])
    >>> tok = SequenceNet(None, 2, hidden_size=8, vocab_size=10, embedding_dim=4)
    >>> tok(torch.tensor([[3, 4, 0]]), torch.tensor([2])).shape
    torch.Size([1, 2])
    """

    def __init__(self, input_size, n_outputs, *, cell="lstm", hidden_size=64,
                 num_layers=1, bidirectional=False, dropout=0.0, pooling="last",
                 vocab_size=None, embedding_dim=32):
        super().__init__()
        self.embedding = None
        if vocab_size is not None:
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
            input_size = embedding_dim
        self.encoder = make_encoder(
            cell, input_size, hidden_size=hidden_size, num_layers=num_layers,
            bidirectional=bidirectional, dropout=dropout,
        )
        self.pooling = SequencePooling(pooling, self.encoder.output_size,
                                       self.encoder.bidirectional)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.encoder.output_size, n_outputs)

    def encode(self, x, lengths):
        """Pooled representation of each sequence, before the output layer.

        Parameters
        ----------
        x : Tensor of shape (batch, max_len, input_size) or (batch, max_len)
            Padded numeric batch, or padded token ids.
        lengths : LongTensor of shape (batch,)
            Valid steps per sequence.

        Returns
        -------
        FloatTensor of shape (batch, encoder.output_size)
            Pooled vectors.
        """
        if self.embedding is not None:
            x = self.embedding(x)
        return self.pooling(self.encoder(x, lengths), lengths)

    def forward(self, x, lengths):
        """Scores of shape (batch, n_outputs).

        Parameters
        ----------
        x : Tensor of shape (batch, max_len, input_size) or (batch, max_len)
            Padded numeric batch, or padded token ids.
        lengths : LongTensor of shape (batch,)
            Valid steps per sequence.

        Returns
        -------
        FloatTensor of shape (batch, n_outputs)
            Raw scores (logits).
        """
        return self.head(self.dropout(self.encode(x, lengths)))
