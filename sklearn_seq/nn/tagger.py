# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Per-step networks for sequence labelling: BiLSTM and BiLSTM-CRF taggers.

:class:`TaggerNet` maps a padded batch to one row of tag scores (emissions)
per step: word embedding (``padding_idx=0``) or numeric input, an optional
character CNN per token, an encoder (typically a bidirectional LSTM) and a
linear layer. With ``crf=True`` it carries a :class:`~sklearn_seq.nn.crf.CRF`
used for the loss, Viterbi decoding and marginals. :class:`TaggingLoss` is the
criterion that trains it from targets padded with ``IGNORE_INDEX``.
"""

import torch
from torch import nn

from sklearn_seq.nn.crf import CRF
from sklearn_seq.nn.encoders import lengths_to_mask
from sklearn_seq.nn.models import (
    OOV_ID,
    WordDropout,
    make_encoder,
    make_token_embedding,
)
from sklearn_seq.utils import IGNORE_INDEX

__all__ = ["OOV_ID", "CharCNN", "TaggerNet", "TaggingLoss"]


class CharCNN(nn.Module):
    """Character CNN giving one vector per token (Ma and Hovy, 2016).

    Each token is a row of character ids (0 = padding); characters are
    embedded, convolved (window 3) and max-pooled over the token's real
    characters.

    Parameters
    ----------
    n_chars : int
        Size of the character table (ids ``< n_chars``, 0 = padding).
    embedding_dim : int
        Character embedding size.
    n_filters : int, default=None
        Convolution filters, i.e. the output size; ``embedding_dim`` when
        None.
    kernel_size : int, default=3
        Convolution window, in characters.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.tagger import CharCNN
    >>> cnn = CharCNN(10, 4, n_filters=30)
    >>> chars = torch.tensor([[[2, 3, 0], [4, 0, 0]]])  # 1 sentence, 2 tokens
    >>> cnn(chars).shape
    torch.Size([1, 2, 30])
    """

    def __init__(self, n_chars, embedding_dim, n_filters=None, kernel_size=3):
        super().__init__()
        self.output_size = embedding_dim if n_filters is None else n_filters
        self.embedding = nn.Embedding(n_chars, embedding_dim, padding_idx=0)
        self.conv = nn.Conv1d(
            embedding_dim, self.output_size, kernel_size, padding=kernel_size // 2
        )

    def forward(self, chars):
        """Token vectors from character ids.

        Parameters
        ----------
        chars : LongTensor of shape (batch, time, max_chars)
            Character ids of each token, 0 after the token's end (and for
            padded tokens).

        Returns
        -------
        FloatTensor of shape (batch, time, output_size)
            Max-pooled convolution features; zero for padded tokens.
        """
        batch, steps, width = chars.shape
        flat = chars.reshape(batch * steps, width)
        emb = self.embedding(flat).transpose(1, 2)  # (N, C, W)
        feats = self.conv(emb)  # (N, F, W)
        real = (flat != 0).unsqueeze(1)
        feats = feats.masked_fill(~real, float("-inf")).amax(dim=2)
        feats = torch.where(real.any(dim=2), feats, torch.zeros_like(feats))
        return feats.reshape(batch, steps, self.output_size)


class TaggerNet(nn.Module):
    """Sequence labelling network: one row of tag scores per step.

    ``forward(x, lengths)`` returns emissions of shape ``(batch, time,
    n_tags)``; with ``crf=True`` the attribute ``crf`` scores tag transitions
    and :meth:`decode` / :meth:`marginals` run Viterbi / forward-backward.
    Without a CRF they take the per-step argmax / softmax.

    Parameters
    ----------
    input_size : int or None
        Features per step of numeric input; ignored for token input.
    n_tags : int
        Number of tags.
    cell : {"rnn", "lstm", "gru", "transformer", "tcn"}, default="lstm"
        Encoder family (see :func:`~sklearn_seq.nn.make_encoder`).
    hidden_size : int, default=64
        Hidden units per direction.
    num_layers : int, default=1
        Stacked layers.
    bidirectional : bool, default=True
        Backward direction for recurrent cells.
    dropout : float, default=0.0
        Dropout on the encoder input, between layers, and before the output
        layer.
    vocab_size : int, default=None
        For token input: size of the word embedding table (ids ``<
        vocab_size``, 0 = padding, 1 = out of vocabulary). Larger ids (words
        unseen in training, see ``char_table``) use the embedding of id 1.
    embedding_dim : int, default=32
        Word embedding size for token input.
    crf : bool, default=False
        Add a linear-chain CRF on top of the emissions.
    crf_constraints : {"bio", "iobes"} or None, default=None
        Forbidden transitions of the CRF (see :class:`~sklearn_seq.nn.crf.CRF`).
    tag_names : list of str, default=None
        Name of each tag, needed by ``crf_constraints``.
    char_table : LongTensor of shape (n_ids, max_chars), default=None
        Character ids of every token id of the input (row 0, padding, and row
        1, OOV, all zeros). Enables the character CNN.
    n_chars : int, default=None
        Size of the character table; required with ``char_table``.
    char_embedding_dim : int, default=25
        Character embedding size.
    char_n_filters : int, default=None
        Filters of the character CNN, i.e. its output size per token;
        ``char_embedding_dim`` when None.
    word_dropout : float, default=0.0
        During training, probability of replacing a word id by the
        out-of-vocabulary id 1, so that its embedding is learned (see
        :class:`~sklearn_seq.nn.WordDropout`). The OOV row starts at zero.
    embedding_dropout : float, default=None
        Dropout on the token features (word embedding and character CNN
        output) of token input; ``dropout`` when None. Numeric input gets
        ``dropout`` there.
    word_map : LongTensor of shape (n_ids,), default=None
        Word-embedding id of every input id, for inputs that are surface
        forms (e.g. case-sensitive ids feeding the character CNN) while the
        word embedding is indexed by normalised (lowercased) words. Identity
        when None (input ids ``>= vocab_size`` then use the OOV row).
    init, forget_bias, residual, layer_norm : default=None, 1.0, False, False
        Options of the recurrent cells (see
        :class:`~sklearn_seq.nn.RecurrentEncoder`); ignored by the others.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.tagger import TaggerNet
    >>> net = TaggerNet(None, 3, hidden_size=8, vocab_size=10, crf=True)
    >>> x = torch.tensor([[2, 3, 4], [5, 6, 0]])
    >>> lengths = torch.tensor([3, 2])
    >>> net(x, lengths).shape
    torch.Size([2, 3, 3])
    >>> [len(p) for p in net.decode(net(x, lengths), lengths)]
    [3, 2]
    >>> net.marginals(net(x, lengths), lengths).sum(-1).round().tolist()
    [[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]]
    """

    def __init__(
        self,
        input_size,
        n_tags,
        *,
        cell="lstm",
        hidden_size=64,
        num_layers=1,
        bidirectional=True,
        dropout=0.0,
        vocab_size=None,
        embedding_dim=32,
        crf=False,
        crf_constraints=None,
        tag_names=None,
        char_table=None,
        n_chars=None,
        char_embedding_dim=25,
        char_n_filters=None,
        word_dropout=0.0,
        embedding_dropout=None,
        word_map=None,
        init=None,
        forget_bias=1.0,
        residual=False,
        layer_norm=False,
    ):
        super().__init__()
        self.n_tags = n_tags
        self.vocab_size = vocab_size
        self.word_dropout = WordDropout(word_dropout, OOV_ID)
        self.embedding = None
        self.char_cnn = None
        if word_map is not None:
            if vocab_size is None:
                raise ValueError("word_map needs token input (vocab_size).")
            word_map = torch.as_tensor(word_map, dtype=torch.long)
        self.register_buffer("word_map", word_map)
        if vocab_size is not None:
            self.embedding = make_token_embedding(vocab_size, embedding_dim, OOV_ID)
            input_size = embedding_dim
            if char_table is not None:
                if n_chars is None:
                    raise ValueError("char_table needs n_chars.")
                self.register_buffer(
                    "char_table", torch.as_tensor(char_table, dtype=torch.long)
                )
                self.char_cnn = CharCNN(n_chars, char_embedding_dim, char_n_filters)
                input_size += self.char_cnn.output_size
        elif char_table is not None:
            raise ValueError("char_table needs token input (vocab_size).")
        if vocab_size is None or embedding_dropout is None:
            embedding_dropout = dropout
        self.input_dropout = nn.Dropout(embedding_dropout)
        self.encoder = make_encoder(
            cell,
            input_size,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            init=init,
            forget_bias=forget_bias,
            residual=residual,
            layer_norm=layer_norm,
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(self.encoder.output_size, n_tags)
        self.crf = (
            CRF(n_tags, constraints=crf_constraints, tag_names=tag_names)
            if crf
            else None
        )

    def _inputs(self, x, char_table, word_map):
        if self.embedding is None:
            return x
        word_map = self.word_map if word_map is None else word_map
        if word_map is not None:
            words = word_map.to(x.device)[x]
        else:
            words = x.masked_fill(x >= self.vocab_size, OOV_ID)
        feats = self.embedding(self.word_dropout(words))
        if self.char_cnn is not None:
            table = self.char_table if char_table is None else char_table
            chars = self.char_cnn(table.to(x.device)[x])
            feats = torch.cat([feats, chars], dim=-1)
        return feats

    def forward(self, x, lengths, char_table=None, word_map=None):
        """Emission scores of every step.

        Parameters
        ----------
        x : Tensor of shape (batch, time, input_size) or (batch, time)
            Padded numeric batch, or padded token ids.
        lengths : LongTensor of shape (batch,)
            Valid steps per sequence.
        char_table : LongTensor of shape (n_ids, max_chars), default=None
            Character ids of every token id of ``x``, replacing the table
            given at construction (used at prediction to spell words unseen in
            training, whose ids are ``>= vocab_size``).
        word_map : LongTensor of shape (n_ids,), default=None
            Word-embedding id of every token id of ``x``, replacing the map
            given at construction (used at prediction for surface forms unseen
            in training).

        Returns
        -------
        FloatTensor of shape (batch, time, n_tags)
            Emission scores (logits).
        """
        feats = self.input_dropout(self._inputs(x, char_table, word_map))
        return self.head(self.dropout(self.encoder(feats, lengths)))

    def decode(self, emissions, lengths):
        """Best tag path per sequence: Viterbi with a CRF, else per-step argmax.

        Parameters
        ----------
        emissions : FloatTensor of shape (batch, time, n_tags)
            Output of :meth:`forward`.
        lengths : LongTensor of shape (batch,)
            Valid steps per sequence.

        Returns
        -------
        list of list of int
            Tag ids, one list of the sequence's length per sequence.
        """
        mask = lengths_to_mask(lengths, emissions.shape[1])
        if self.crf is not None:
            return self.crf.decode(emissions, mask)
        best = emissions.argmax(dim=-1).tolist()
        return [row[:n] for row, n in zip(best, lengths.tolist(), strict=True)]

    def marginals(self, emissions, lengths):
        """Per-step tag probabilities, zero at padded steps.

        CRF forward-backward marginals with a CRF, else the softmax of the
        emissions.

        Parameters
        ----------
        emissions : FloatTensor of shape (batch, time, n_tags)
            Output of :meth:`forward` (float64 gives the most exact sums).
        lengths : LongTensor of shape (batch,)
            Valid steps per sequence.

        Returns
        -------
        FloatTensor of shape (batch, time, n_tags)
            Probabilities; rows sum to 1 at real steps.
        """
        mask = lengths_to_mask(lengths, emissions.shape[1])
        if self.crf is not None:
            return self.crf.marginals(emissions, mask)
        probs = torch.softmax(emissions, dim=-1)
        return probs * mask.unsqueeze(-1).to(probs.dtype)


class TaggingLoss(nn.Module):
    """Criterion of a :class:`TaggerNet` from targets padded with ``-100``.

    Targets may be wider than the emissions (padded to a longer length than
    the batch's); they are cut to the emissions' time axis. Steps whose target
    is ``IGNORE_INDEX`` are padding. With a CRF the loss is the CRF negative
    log-likelihood divided by the number of real steps; otherwise it is
    ``criterion`` applied to the real steps only (so the criterion needs no
    ``ignore_index``).

    Parameters
    ----------
    criterion : torch.nn.Module, default=None
        Per-step criterion taking ``(logits (n_steps, n_tags), targets
        (n_steps,))``, e.g. :class:`torch.nn.CrossEntropyLoss`. Unused with a
        CRF; ``CrossEntropyLoss()`` when None.
    crf : bool, default=False
        Use the CRF of the module given to :meth:`set_module`.
    reduction : {"mean", "none"}, default="mean"
        ``"none"`` returns one loss per sequence (the mean over its steps),
        which is how the estimators apply ``sample_weight``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.tagger import TaggerNet, TaggingLoss
    >>> net = TaggerNet(2, 3, hidden_size=4, crf=True)
    >>> loss = TaggingLoss(crf=True).set_module(net)
    >>> emissions = net(torch.randn(2, 3, 2), torch.tensor([3, 1]))
    >>> y = torch.tensor([[0, 1, 2, -100], [2, -100, -100, -100]])
    >>> loss(emissions, y).shape
    torch.Size([])
    >>> loss.reduction = "none"
    >>> loss(emissions, y).shape
    torch.Size([2])
    """

    def __init__(self, criterion=None, crf=False, reduction="mean"):
        super().__init__()
        self.criterion = nn.CrossEntropyLoss() if criterion is None else criterion
        self.crf = crf
        self.reduction = reduction
        self._module = []  # referenced, not registered

    def set_module(self, module):
        """Set the network whose CRF scores the tag paths.

        Parameters
        ----------
        module : TaggerNet
            The network being trained. Referenced, not registered: its
            parameters are not this criterion's.

        Returns
        -------
        self : TaggingLoss
            This criterion.
        """
        self._module = [module]
        return self

    def forward(self, emissions, target):
        """Loss of a batch.

        Parameters
        ----------
        emissions : FloatTensor of shape (batch, time, n_tags)
            Output of the network.
        target : IntTensor of shape (batch, time_padded)
            Tag ids, ``IGNORE_INDEX`` after each sequence's end;
            ``time_padded >= time``.

        Returns
        -------
        Tensor
            A scalar, or one value per sequence with ``reduction="none"``.
        """
        steps = emissions.shape[1]
        target = target[:, :steps].to(emissions.device).long()
        mask = target != IGNORE_INDEX
        n_real = mask.sum(dim=1).clamp(min=1).to(emissions.dtype)
        if self.crf:
            if not self._module or self._module[0].crf is None:
                raise RuntimeError(
                    "TaggingLoss(crf=True) needs set_module(module) with a "
                    "TaggerNet built with crf=True."
                )
            nll = self._module[0].crf(emissions, target, mask, reduction="none")
            if self.reduction == "none":
                return nll / n_real
            return nll.sum() / n_real.sum()
        criterion = self.criterion
        if self.reduction != "none":
            return criterion(emissions[mask], target[mask])
        if not hasattr(criterion, "reduction"):
            raise TypeError(
                "sample_weight needs a criterion with a 'reduction' attribute; "
                f"{type(criterion).__name__} has none."
            )
        saved = criterion.reduction
        criterion.reduction = "none"
        try:
            per_step = criterion(emissions[mask], target[mask])
        finally:
            criterion.reduction = saved
        rows = mask.nonzero()[:, 0]
        per_seq = torch.zeros(
            len(target), dtype=per_step.dtype, device=per_step.device
        ).index_add(0, rows, per_step)
        return per_seq / n_real.to(per_seq.dtype)
