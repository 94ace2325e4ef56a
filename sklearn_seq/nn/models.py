# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Whole-sequence networks: (embedding) -> encoder -> pooling -> linear head."""

import torch
from torch import nn

from sklearn_seq.nn.encoders import RecurrentEncoder
from sklearn_seq.nn.pooling import SequencePooling

__all__ = [
    "CELLS",
    "OOV_ID",
    "PAD_ID",
    "SequenceNet",
    "WordDropout",
    "make_encoder",
    "make_token_embedding",
]

CELLS = ("rnn", "lstm", "gru", "transformer", "fcn", "lstm_fcn", "tcn")

#: Token id of padding (its embedding is zero and never trained).
PAD_ID = 0
#: Token id of out-of-vocabulary words, the convention of
#: :class:`~sklearn_seq.preprocessing.TextVectorizer` and of the tagger's own
#: vocabulary. Its embedding starts at zero and word dropout trains it.
OOV_ID = 1


class WordDropout(nn.Module):
    """Replace random tokens by the out-of-vocabulary id during training.

    Each non-padding token id is replaced by ``oov_id`` with probability
    ``p``, so that the embedding of ``oov_id`` is trained on the contexts of
    real words and words unseen at prediction time (which a vocabulary maps to
    ``oov_id``) get a useful vector. Padding (id 0) is never replaced. In
    evaluation mode, or with ``p=0``, the ids pass through unchanged.

    Parameters
    ----------
    p : float, default=0.05
        Replacement probability per token.
    oov_id : int, default=1
        Out-of-vocabulary id (:data:`OOV_ID`, as
        :class:`~sklearn_seq.preprocessing.TextVectorizer` reserves it).

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn import WordDropout
    >>> drop = WordDropout(0.5)
    >>> ids = torch.tensor([[5, 6, 7, 8, 0, 0]])
    >>> out = drop(ids)
    >>> bool(((out == ids) | (out == 1)).all()), out[0, 4:].tolist()
    (True, [0, 0])
    >>> drop.eval()(ids).tolist()
    [[5, 6, 7, 8, 0, 0]]
    """

    def __init__(self, p=0.05, oov_id=OOV_ID):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"p must be in [0, 1); got {p!r}.")
        self.p = float(p)
        self.oov_id = int(oov_id)

    def forward(self, ids):
        """Token ids with some replaced by ``oov_id`` (training mode only).

        Parameters
        ----------
        ids : LongTensor of any shape
            Token ids, 0 for padding.

        Returns
        -------
        LongTensor of the same shape
            The ids, a fraction ``p`` of the non-padding ones replaced in
            training mode.
        """
        if not self.training or self.p == 0.0:
            return ids
        drop = torch.rand(ids.shape, device=ids.device) < self.p
        return ids.masked_fill(drop & (ids != PAD_ID), self.oov_id)

    def extra_repr(self):
        return f"p={self.p}, oov_id={self.oov_id}"


def make_token_embedding(vocab_size, embedding_dim, oov_id=OOV_ID):
    """Embedding table of token ids: padding row and OOV row start at zero.

    Rows are drawn from N(0, 1) as in :class:`torch.nn.Embedding`, except row
    0 (padding, never trained) and row ``oov_id`` (out of vocabulary), which
    start at zero: a word unseen in training then adds nothing instead of a
    random vector of norm about ``sqrt(embedding_dim)`` that drowns the other
    features. Word dropout (:class:`WordDropout`) trains the OOV row.

    Parameters
    ----------
    vocab_size : int
        Rows of the table (ids ``< vocab_size``).
    embedding_dim : int
        Columns.
    oov_id : int or None, default=1
        Row zeroed as out of vocabulary; None zeroes only padding.

    Returns
    -------
    torch.nn.Embedding
        With ``padding_idx=0``.

    Examples
    --------
    >>> from sklearn_seq.nn.models import make_token_embedding
    >>> emb = make_token_embedding(5, 3)
    >>> emb.weight[:2].abs().sum().item(), bool(emb.weight[2:].abs().sum() > 0)
    (0.0, True)
    """
    embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=PAD_ID)
    if oov_id is not None and 0 <= oov_id < vocab_size:
        with torch.no_grad():
            embedding.weight[oov_id].zero_()
    return embedding


def make_encoder(
    cell,
    input_size,
    *,
    hidden_size=64,
    num_layers=1,
    bidirectional=False,
    dropout=0.0,
    nhead=4,
    n_filters=None,
    kernel_sizes=None,
    dilations=None,
    max_len=None,
    init=None,
    forget_bias=1.0,
    residual=False,
    layer_norm=False,
):
    """Build the encoder named by ``cell``.

    Parameters
    ----------
    cell : {"rnn", "lstm", "gru", "transformer", "fcn", "lstm_fcn", "tcn"}
        Encoder family. The convolutional cells are
        :class:`~sklearn_seq.nn.conv.FCNEncoder`,
        :class:`~sklearn_seq.nn.conv.LSTMFCNEncoder` and the non-causal
        :class:`~sklearn_seq.nn.conv.TCNEncoder`.
    input_size : int
        Features per step.
    hidden_size : int, default=64
        Hidden units per direction (``d_model`` for the transformer, LSTM
        cells of the LSTM branch for ``"lstm_fcn"``; ignored by ``"fcn"`` and
        ``"tcn"``).
    num_layers : int, default=1
        Stacked layers (ignored by the convolutional cells, whose depth is the
        length of ``n_filters``, ``kernel_sizes`` or ``dilations``).
    bidirectional : bool, default=False
        Backward direction for recurrent cells (a transformer or a non-causal
        convolution sees both directions anyway; the flag is ignored there).
    dropout : float, default=0.0
        Dropout between layers (after the LSTM branch for ``"lstm_fcn"``,
        after each convolution for ``"tcn"``; ``"fcn"`` has none).
    nhead : int, default=4
        Attention heads of the transformer (reduced to a divisor of
        ``hidden_size`` when needed).
    n_filters : int or tuple of int, default=None
        Filters per convolution block; None means the paper's values,
        ``(128, 256, 128)`` for FCN and LSTM-FCN, 64 for TCN.
    kernel_sizes : int or tuple of int, default=None
        Kernel size per block; None means ``(8, 5, 3)`` for FCN and LSTM-FCN,
        3 for TCN.
    dilations : tuple of int, default=None
        Dilations of the TCN blocks; None means ``(1, 2, 4, 8)``.
    max_len : int, default=None
        Time points the shuffled LSTM branch of ``"lstm_fcn"`` reads (required
        there; the estimators pass the longest training sequence).
    init, forget_bias, residual, layer_norm : default=None, 1.0, False, False
        Options of the recurrent cells (see
        :class:`~sklearn_seq.nn.RecurrentEncoder`); the transformer and the
        convolutional cells (including the LSTM branch of ``"lstm_fcn"``)
        ignore them.

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
    >>> make_encoder("fcn", 3).output_size
    128
    """
    if cell in ("rnn", "lstm", "gru"):
        return RecurrentEncoder(
            input_size,
            hidden_size,
            num_layers,
            cell=cell,
            bidirectional=bidirectional,
            dropout=dropout,
            init=init,
            forget_bias=forget_bias,
            residual=residual,
            layer_norm=layer_norm,
        )
    if cell == "transformer":
        from sklearn_seq.nn.transformer import TransformerSequenceEncoder

        while hidden_size % nhead:
            nhead -= 1
        return TransformerSequenceEncoder(
            input_size,
            d_model=hidden_size,
            nhead=nhead,
            num_layers=num_layers,
            dim_feedforward=2 * hidden_size,
            dropout=dropout,
        )
    if cell in ("fcn", "lstm_fcn", "tcn"):
        from sklearn_seq.nn import conv

        if cell == "tcn":
            return conv.TCNEncoder(
                input_size,
                n_filters=conv.TCN_FILTERS if n_filters is None else n_filters,
                kernel_size=conv.TCN_KERNEL if kernel_sizes is None else kernel_sizes,
                dilations=conv.TCN_DILATIONS if dilations is None else dilations,
                dropout=dropout,
            )
        n_filters = conv.FCN_FILTERS if n_filters is None else n_filters
        kernel_sizes = conv.FCN_KERNELS if kernel_sizes is None else kernel_sizes
        if cell == "fcn":
            return conv.FCNEncoder(input_size, n_filters, kernel_sizes)
        if max_len is None:
            raise ValueError(
                "cell='lstm_fcn' needs max_len (time points read by "
                "its shuffled LSTM branch)."
            )
        return conv.LSTMFCNEncoder(
            input_size,
            int(max_len),
            hidden_size,
            n_filters,
            kernel_sizes,
            dropout=dropout,
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
    cell : {"rnn", "lstm", "gru", "transformer", "fcn", "lstm_fcn", "tcn"}, \
default="lstm"
        Encoder family (see :func:`make_encoder`).
    hidden_size : int, default=64
        Hidden units per direction.
    num_layers : int, default=1
        Stacked layers.
    bidirectional : bool, default=False
        Backward direction for recurrent cells.
    dropout : float, default=0.0
        Dropout between layers and before the output layer.
    pooling : {"last", "mean", "max", "attention"} or None, default="last"
        How step outputs become one vector per sequence (mask-aware). None
        takes the encoder's ``default_pooling`` when it has one (``"mean"``,
        i.e. global average pooling, for the convolutional encoders), else
        ``"last"``.
    vocab_size : int, default=None
        For token input: size of the embedding table (ids ``< vocab_size``,
        0 = padding, 1 = out of vocabulary, see :data:`OOV_ID`). The padding
        and OOV rows start at zero.
    embedding_dim : int, default=32
        Embedding size for token input.
    n_filters, kernel_sizes, dilations, max_len : default=None
        Sizes of the convolutional encoders (see :func:`make_encoder`).
    init, forget_bias, residual, layer_norm : default=None, 1.0, False, False
        Options of the recurrent cells (see
        :class:`~sklearn_seq.nn.RecurrentEncoder`); ignored by the others.
    embedding_dropout : float or None, default=None
        Dropout on the token embeddings (token input only; numeric input is
        never dropped out here). None means ``dropout``, as in
        :class:`~sklearn_seq.nn.TaggerNet` and :class:`~sklearn_seq.nn.Seq2Seq`.
    word_dropout : float, default=0.0
        During training, probability of replacing a non-padding token id by
        ``oov_id`` (see :class:`WordDropout`). Token input only.
    oov_id : int, default=1
        Out-of-vocabulary id: its embedding row starts at zero and word
        dropout writes it.

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
    >>> tok.embedding.weight[1].abs().sum().item()  # OOV row starts at zero
    0.0
    >>> fcn = SequenceNet(1, 2, cell="fcn", pooling=None, n_filters=(4, 8, 4))
    >>> fcn.pooling.mode, fcn(torch.randn(2, 9, 1), torch.tensor([9, 3])).shape
    ('mean', torch.Size([2, 2]))
    """

    def __init__(
        self,
        input_size,
        n_outputs,
        *,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=False,
        dropout=0.0,
        pooling="last",
        vocab_size=None,
        embedding_dim=32,
        n_filters=None,
        kernel_sizes=None,
        dilations=None,
        max_len=None,
        embedding_dropout=None,
        word_dropout=0.0,
        oov_id=OOV_ID,
        init=None,
        forget_bias=1.0,
        residual=False,
        layer_norm=False,
    ):
        super().__init__()
        self.embedding = None
        self.word_dropout = None
        self.embedding_dropout = None
        if vocab_size is not None:
            self.embedding = make_token_embedding(vocab_size, embedding_dim, oov_id)
            self.word_dropout = WordDropout(word_dropout, oov_id)
            self.embedding_dropout = nn.Dropout(
                dropout if embedding_dropout is None else embedding_dropout
            )
            input_size = embedding_dim
        self.encoder = make_encoder(
            cell,
            input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            n_filters=n_filters,
            kernel_sizes=kernel_sizes,
            dilations=dilations,
            max_len=max_len,
            init=init,
            forget_bias=forget_bias,
            residual=residual,
            layer_norm=layer_norm,
        )
        if pooling is None:
            pooling = getattr(self.encoder, "default_pooling", "last")
        self.pooling = SequencePooling(
            pooling, self.encoder.output_size, self.encoder.bidirectional
        )
        # an encoder that places its own dropout (LSTM-FCN: the LSTM branch
        # only, as in the paper) gets none before the output layer
        owns = getattr(self.encoder, "owns_dropout", False)
        self.dropout = nn.Dropout(0.0 if owns else dropout)
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
            x = self.embedding_dropout(self.embedding(self.word_dropout(x)))
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
