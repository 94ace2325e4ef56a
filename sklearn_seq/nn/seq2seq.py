# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Encoder-decoder (seq2seq) with optional attention, teacher forcing, greedy
and beam-search decoding.

Target vocabulary convention (internal ids of the decoder):

- ``PAD_ID = 0``: padding (never generated; its embedding is zero);
- ``BOS_ID = 1``: beginning of sequence, the decoder's first input (never
  generated);
- ``EOS_ID = 2``: end of sequence, generated to stop;
- ids ``>= 3`` (``N_SPECIAL``): the real target tokens.

Source tokens follow the sklearn_seq convention: ids >= 1, 0 = padding.
"""

import torch
from torch import nn
from torch.nn import functional as F

from sklearn_seq.nn.attention import AdditiveAttention, LuongAttention
from sklearn_seq.nn.encoders import lengths_to_mask
from sklearn_seq.nn.models import make_encoder
from sklearn_seq.nn.pooling import last_valid_step

__all__ = [
    "ATTENTIONS",
    "BOS_ID",
    "EOS_ID",
    "N_SPECIAL",
    "PAD_ID",
    "Seq2Seq",
]

PAD_ID = 0
BOS_ID = 1
EOS_ID = 2
#: Number of reserved target ids; real target tokens start here.
N_SPECIAL = 3
#: Accepted values of ``attention``.
ATTENTIONS = (None, "bahdanau", "luong_dot", "luong_general", "luong_concat")

_DECODER_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _reorder_hidden(hidden, index):
    """Select batch rows ``index`` of a recurrent state (tensor or LSTM tuple)."""
    if isinstance(hidden, tuple):
        return tuple(h.index_select(1, index) for h in hidden)
    return hidden.index_select(1, index)


def _top_hidden(hidden):
    """Top layer of a recurrent state, shape (batch, hidden)."""
    if isinstance(hidden, tuple):
        hidden = hidden[0]
    return hidden[-1]


class Seq2Seq(nn.Module):
    """Recurrent encoder-decoder with optional (Bahdanau or Luong) attention.

    The encoder embeds the source tokens (``padding_idx=0``) and runs an RNN,
    LSTM, GRU (optionally bidirectional) or transformer encoder
    (:func:`sklearn_seq.nn.make_encoder`). Its summary (last valid state, or
    the masked mean for a transformer) goes through a ``tanh`` bridge to the
    decoder's initial state, so encoder and decoder sizes may differ. The
    decoder is a stacked RNN / LSTM / GRU (a GRU under a transformer encoder)
    fed one target token per step:

    - ``attention=None``: the initial state is the only view of the source
      (the fixed-context bottleneck of Sutskever et al., 2014);
    - ``"bahdanau"``: additive attention with the previous decoder state as
      query; the context is fed to the cell with the token and to the output
      layer (Bahdanau et al., 2015);
    - ``"luong_dot" | "luong_general" | "luong_concat"``: the new decoder
      state attends over the encoder outputs; the attentional state
      ``tanh(W_c [s_t; c_t])`` feeds the output layer and the next step's
      input (input feeding; Luong et al., 2015).

    Attention is masked with the source lengths: weights are exactly 0 on
    source padding.

    Parameters
    ----------
    src_vocab_size : int
        Rows of the source embedding (largest source id + 1).
    tgt_vocab_size : int
        Rows of the target embedding and logits per step, reserved ids
        included (largest internal target id + 1, at least ``N_SPECIAL + 1``).
    embedding_dim : int, default=32
        Size of the source and target embeddings.
    hidden_size : int, default=64
        Encoder hidden units per direction.
    num_layers : int, default=1
        Stacked layers of the encoder and of the decoder.
    cell : {"rnn", "lstm", "gru", "transformer"}, default="lstm"
        Encoder cell; also the decoder cell, except under a transformer
        encoder, where the decoder is a GRU.
    bidirectional : bool, default=False
        Bidirectional recurrent encoder.
    dropout : float, default=0.0
        Dropout on the target embeddings, between stacked layers and before
        the output layer.
    embedding_dropout : float, default=None
        Dropout on the source embeddings; ``dropout`` when None.
    attention : {None, "bahdanau", "luong_dot", "luong_general", \
"luong_concat"}, default="bahdanau"
        Attention of the decoder over the encoder outputs.
    decoder_hidden_size : int, default=None
        Decoder hidden units; the encoder output size (``hidden_size``, doubled
        when bidirectional) when None, which ``"luong_dot"`` requires.
    teacher_forcing_ratio : float, default=1.0
        In training mode, the probability that each step's input is the gold
        previous token rather than the model's own previous prediction
        (drawn per sequence and step). Evaluation-mode forward passes always
        use the gold tokens.
    init, forget_bias, residual, layer_norm : default=None, 1.0, False, False
        Options of a recurrent encoder (see
        :class:`~sklearn_seq.nn.RecurrentEncoder`); the decoder keeps torch's
        fused cell and initialisation, and a transformer encoder ignores them.

    Attributes
    ----------
    encoder_output_size : int
        Features of the encoder outputs (the attention keys).
    decoder_hidden_size : int
        Decoder hidden units.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.seq2seq import Seq2Seq
    >>> model = Seq2Seq(10, 8, hidden_size=16, attention="luong_general").eval()
    >>> x = torch.tensor([[4, 5, 6], [7, 8, 0]])
    >>> lengths = torch.tensor([3, 2])
    >>> decoder_input = torch.tensor([[1, 3, 4], [1, 5, 0]])  # BOS + targets
    >>> model(x, lengths, decoder_input).shape
    torch.Size([2, 3, 8])
    >>> tokens, weights, scores = model.greedy(x, lengths, max_length=4)
    >>> [len(t) <= 4 for t in tokens], weights[1].shape[1]
    ([True, True], 2)
    >>> tokens, weights, scores = model.beam_search(x, lengths, beam_size=3,
    ...                                             max_length=4)
    >>> len(tokens), scores.shape
    (2, torch.Size([2]))
    """

    def __init__(
        self,
        src_vocab_size,
        tgt_vocab_size,
        *,
        embedding_dim=32,
        hidden_size=64,
        num_layers=1,
        cell="lstm",
        bidirectional=False,
        dropout=0.0,
        embedding_dropout=None,
        attention="bahdanau",
        decoder_hidden_size=None,
        teacher_forcing_ratio=1.0,
        init=None,
        forget_bias=1.0,
        residual=False,
        layer_norm=False,
    ):
        super().__init__()
        if attention not in ATTENTIONS:
            raise ValueError(
                f"attention must be one of {ATTENTIONS}; got {attention!r}."
            )
        if tgt_vocab_size <= N_SPECIAL:
            raise ValueError(
                f"tgt_vocab_size={tgt_vocab_size} leaves no room for real tokens: "
                f"ids 0 (pad), 1 (BOS) and 2 (EOS) are reserved, so it must be "
                f"> {N_SPECIAL}."
            )
        if not 0.0 <= teacher_forcing_ratio <= 1.0:
            raise ValueError(
                "teacher_forcing_ratio must be in [0, 1]; got "
                f"{teacher_forcing_ratio!r}."
            )
        self.attention_type = attention
        self.teacher_forcing_ratio = float(teacher_forcing_ratio)
        self.tgt_vocab_size = int(tgt_vocab_size)
        self.src_embedding = nn.Embedding(
            src_vocab_size, embedding_dim, padding_idx=PAD_ID
        )
        self.src_dropout = nn.Dropout(
            dropout if embedding_dropout is None else embedding_dropout
        )
        self.encoder = make_encoder(
            cell,
            embedding_dim,
            hidden_size=hidden_size,
            num_layers=num_layers,
            bidirectional=bidirectional,
            dropout=dropout,
            init=init,
            forget_bias=forget_bias,
            residual=residual,
            layer_norm=layer_norm,
        )
        self.recurrent_encoder = cell in _DECODER_CELLS
        enc = self.encoder.output_size
        dec = enc if decoder_hidden_size is None else int(decoder_hidden_size)
        self.encoder_output_size = enc
        self.decoder_hidden_size = dec
        self.num_layers = num_layers
        dec_cell = cell if cell in _DECODER_CELLS else "gru"
        self.is_lstm = dec_cell == "lstm"
        self.bridge = nn.Linear(enc, dec * num_layers * (2 if self.is_lstm else 1))
        self.tgt_embedding = nn.Embedding(
            tgt_vocab_size, embedding_dim, padding_idx=PAD_ID
        )
        self.attention = None
        self.combine = None
        rnn_input, out_input = embedding_dim, dec
        if attention == "bahdanau":
            self.attention = AdditiveAttention(dec, enc, hidden_size=dec)
            rnn_input += enc
            out_input += enc
        elif attention is not None:
            score = attention.split("_", 1)[1]
            if score == "dot" and enc != dec:
                raise ValueError(
                    "attention='luong_dot' scores s_t . h_j and needs "
                    f"decoder_hidden_size == encoder output size ({enc}, i.e. "
                    "hidden_size, doubled when bidirectional); got "
                    f"decoder_hidden_size={dec}. Leave decoder_hidden_size=None "
                    "or use 'luong_general'."
                )
            self.attention = LuongAttention(dec, enc, score=score)
            self.combine = nn.Linear(dec + enc, dec, bias=False)
            rnn_input += dec  # input feeding
        self.decoder = _DECODER_CELLS[dec_cell](
            rnn_input,
            dec,
            num_layers=num_layers,
            batch_first=True,
            dropout=dropout if num_layers > 1 else 0.0,
        )
        self.dropout = nn.Dropout(dropout)
        self.output = nn.Linear(out_input, tgt_vocab_size)

    # -- building blocks --------------------------------------------------
    def encode(self, x, lengths):
        """Run the encoder and build the decoder's initial state.

        Parameters
        ----------
        x : LongTensor of shape (batch, src_len)
            Padded source token ids.
        lengths : LongTensor of shape (batch,)
            Valid source steps (>= 1).

        Returns
        -------
        memory : FloatTensor of shape (batch, src_len, encoder_output_size)
            Encoder outputs (zero on padding), the attention keys and values.
        mask : BoolTensor of shape (batch, src_len)
            True on real source positions.
        state : tuple
            Decoder state ``(hidden, feed)``: the recurrent state and, for
            Luong attention, the previous attentional vector (else None).
        """
        lengths = lengths.to(x.device)
        memory = self.encoder(self.src_dropout(self.src_embedding(x)), lengths)
        mask = lengths_to_mask(lengths, x.shape[1])
        if self.recurrent_encoder:
            summary = last_valid_step(memory, lengths, self.encoder.bidirectional)
        else:
            weights = mask.unsqueeze(-1).to(memory.dtype)
            summary = (memory * weights).sum(1) / weights.sum(1).clamp(min=1)
        batch = x.shape[0]
        init = torch.tanh(self.bridge(summary))
        init = init.view(batch, -1, self.decoder_hidden_size).transpose(0, 1)
        if self.is_lstm:
            hidden = (
                init[: self.num_layers].contiguous(),
                init[self.num_layers :].contiguous(),
            )
        else:
            hidden = init.contiguous()
        feed = None
        if self.combine is not None:
            feed = memory.new_zeros(batch, self.decoder_hidden_size)
        return memory, mask, (hidden, feed)

    def step(self, tokens, state, memory, mask):
        """One decoder step.

        Parameters
        ----------
        tokens : LongTensor of shape (batch,)
            Previous target tokens (``BOS_ID`` at the first step).
        state : tuple
            Decoder state from :meth:`encode` or the previous step.
        memory : FloatTensor of shape (batch, src_len, encoder_output_size)
            Encoder outputs.
        mask : BoolTensor of shape (batch, src_len)
            True on real source positions.

        Returns
        -------
        logits : FloatTensor of shape (batch, tgt_vocab_size)
            Scores of the next token.
        state : tuple
            The new decoder state.
        weights : FloatTensor of shape (batch, src_len) or None
            Attention weights of this step (None without attention).
        """
        hidden, feed = state
        emb = self.dropout(self.tgt_embedding(tokens))
        weights = None
        if self.attention_type == "bahdanau":
            context, weights = self.attention(_top_hidden(hidden), memory, mask=mask)
            inp = torch.cat([emb, context], dim=-1)
        elif self.combine is not None:
            inp = torch.cat([emb, feed], dim=-1)
        else:
            inp = emb
        out, hidden = self.decoder(inp.unsqueeze(1), hidden)
        out = out[:, 0]
        if self.attention_type == "bahdanau":
            features = torch.cat([out, context], dim=-1)
        elif self.combine is not None:
            context, weights = self.attention(out, memory, mask=mask)
            features = feed = torch.tanh(self.combine(torch.cat([out, context], -1)))
        else:
            features = out
        return self.output(self.dropout(features)), (hidden, feed), weights

    # -- training ---------------------------------------------------------
    def forward(self, x, lengths, decoder_input):
        """Logits of every target step (teacher forcing).

        Parameters
        ----------
        x : LongTensor of shape (batch, src_len)
            Padded source token ids.
        lengths : LongTensor of shape (batch,)
            Valid source steps.
        decoder_input : LongTensor of shape (batch, tgt_len)
            ``BOS_ID`` followed by the target tokens, padded with 0. In
            training mode, each step after the first takes the gold token with
            probability ``teacher_forcing_ratio`` and the previous step's
            argmax otherwise.

        Returns
        -------
        FloatTensor of shape (batch, tgt_len, tgt_vocab_size)
            Next-token logits; position ``t`` predicts target token ``t``
            (the EOS after the last one).
        """
        memory, mask, state = self.encode(x, lengths)
        ratio = self.teacher_forcing_ratio if self.training else 1.0
        if self.attention is None and ratio >= 1.0:
            # no attention and gold inputs: one fused call over all steps
            emb = self.dropout(self.tgt_embedding(decoder_input))
            out, _ = self.decoder(emb, state[0])
            return self.output(self.dropout(out))
        steps = decoder_input.shape[1]
        tokens = decoder_input[:, 0]
        logits = []
        for t in range(steps):
            step_logits, state, _ = self.step(tokens, state, memory, mask)
            logits.append(step_logits)
            if t + 1 < steps:
                tokens = decoder_input[:, t + 1]
                if ratio < 1.0:
                    own = step_logits.detach().argmax(-1)
                    coin = torch.rand(tokens.shape, device=tokens.device) < ratio
                    tokens = torch.where(coin, tokens, own)
        return torch.stack(logits, dim=1)

    def sequence_log_prob(self, x, lengths, targets):
        """Model log-probability of given target sequences (EOS included).

        Parameters
        ----------
        x : LongTensor of shape (batch, src_len)
            Padded source token ids.
        lengths : LongTensor of shape (batch,)
            Valid source steps.
        targets : list of LongTensor
            One 1-D tensor of internal target ids (>= ``N_SPECIAL``, without
            BOS or EOS) per sequence; may be empty.

        Returns
        -------
        FloatTensor of shape (batch,)
            ``sum_t log p(y_t | y_<t, x)`` over the targets and the final EOS,
            with gold inputs (the quantity greedy and beam search maximise).
        """
        batch = len(targets)
        width = max(len(t) for t in targets) + 1
        dec_in = torch.zeros(batch, width, dtype=torch.long, device=x.device)
        gold = torch.zeros(batch, width, dtype=torch.long, device=x.device)
        valid = torch.zeros(batch, width, dtype=torch.bool, device=x.device)
        dec_in[:, 0] = BOS_ID
        for i, t in enumerate(targets):
            n = len(t)
            dec_in[i, 1 : n + 1] = t
            gold[i, :n] = t
            gold[i, n] = EOS_ID
            valid[i, : n + 1] = True
        logp = F.log_softmax(self.forward(x, lengths, dec_in).float(), dim=-1)
        picked = logp.gather(-1, gold.unsqueeze(-1)).squeeze(-1)
        return (picked * valid).sum(dim=1)

    # -- decoding ---------------------------------------------------------
    @staticmethod
    def _restrict(logp, last):
        """Forbid PAD and BOS; at the last allowed step only EOS remains."""
        logp[..., PAD_ID] = float("-inf")
        logp[..., BOS_ID] = float("-inf")
        if last:
            eos = logp[..., EOS_ID].clone()
            logp.fill_(float("-inf"))
            logp[..., EOS_ID] = eos
        return logp

    def greedy(self, x, lengths, max_length):
        """Greedy decoding of a batch (the argmax token at every step).

        Parameters
        ----------
        x : LongTensor of shape (batch, src_len)
            Padded source token ids.
        lengths : LongTensor of shape (batch,)
            Valid source steps.
        max_length : int
            Most tokens generated per sequence (EOS not counted); a sequence
            still open after ``max_length`` tokens is closed with EOS.

        Returns
        -------
        tokens : list of LongTensor
            Internal target ids per sequence, EOS removed (on the CPU).
        weights : list of FloatTensor or None
            Per sequence, the ``(n_tokens_i, lengths_i)`` attention weights of
            its tokens (None without attention).
        scores : FloatTensor of shape (batch,)
            Log-probability of each output, EOS included.
        """
        memory, mask, state = self.encode(x, lengths)
        batch = x.shape[0]
        tokens = torch.full((batch,), BOS_ID, dtype=torch.long, device=x.device)
        finished = torch.zeros(batch, dtype=torch.bool, device=x.device)
        scores = torch.zeros(batch, device=x.device)
        steps, step_weights = [], []
        for t in range(max_length + 1):
            logits, state, weights = self.step(tokens, state, memory, mask)
            logp = self._restrict(F.log_softmax(logits.float(), -1), t == max_length)
            choice = logp.argmax(-1)
            scores = scores + torch.where(
                finished, 0.0, logp.gather(1, choice.unsqueeze(1)).squeeze(1)
            )
            tokens = torch.where(finished, PAD_ID, choice)
            steps.append(tokens)
            step_weights.append(weights)
            finished = finished | (tokens == EOS_ID)
            if bool(finished.all()):
                break
        out = torch.stack(steps, 1).cpu()
        attn = None if self.attention is None else torch.stack(step_weights, 1).cpu()
        return (*self._collect(out, attn, lengths.cpu()), scores.cpu())

    @staticmethod
    def _collect(out, attn, lengths):
        """Cut the (batch, steps) token matrix (and weights) at each EOS."""
        tokens, weights = [], None if attn is None else []
        for i, row in enumerate(out):
            n = int((row >= N_SPECIAL).sum())  # tokens before EOS / padding
            tokens.append(row[:n].clone())
            if attn is not None:
                weights.append(attn[i, :n, : int(lengths[i])].clone())
        return tokens, weights

    def beam_search(self, x, lengths, beam_size, max_length, length_penalty=1.0):
        """Beam-search decoding, batched over sequences and beams.

        All ``batch * beam_size`` hypotheses advance together. A hypothesis
        that emits EOS is frozen (its score no longer changes) but keeps its
        slot in the beam, so the search ends when every beam of every
        sequence has finished, or after ``max_length`` tokens (then EOS is
        forced). Among the final ``beam_size`` hypotheses of a sequence the
        one with the best length-normalised score
        ``log p / n_tokens ** length_penalty`` (EOS counted) is returned.
        With ``beam_size=1`` this is greedy decoding.

        Parameters
        ----------
        x : LongTensor of shape (batch, src_len)
            Padded source token ids.
        lengths : LongTensor of shape (batch,)
            Valid source steps.
        beam_size : int
            Hypotheses kept per sequence.
        max_length : int
            Most tokens generated per sequence (EOS not counted).
        length_penalty : float, default=1.0
            Exponent of the length normalisation; 0 ranks by raw
            log-probability (favouring short outputs), 1 by mean per-token
            log-probability.

        Returns
        -------
        tokens : list of LongTensor
            Internal target ids per sequence, EOS removed (on the CPU).
        weights : list of FloatTensor or None
            Per sequence, the ``(n_tokens_i, lengths_i)`` attention weights
            along the returned hypothesis (None without attention).
        scores : FloatTensor of shape (batch,)
            Log-probability (not normalised) of each returned output, EOS
            included.
        """
        memory, mask, (hidden, feed) = self.encode(x, lengths)
        batch, src_len = mask.shape
        k = int(beam_size)
        vocab = self.tgt_vocab_size
        dev = x.device
        memory = memory.repeat_interleave(k, 0)
        mask = mask.repeat_interleave(k, 0)
        hidden = _reorder_hidden(
            hidden, torch.arange(batch, device=dev).repeat_interleave(k)
        )
        if feed is not None:
            feed = feed.repeat_interleave(k, 0)
        state = (hidden, feed)
        neg_inf = float("-inf")
        scores = torch.full((batch, k), neg_inf, device=dev)
        scores[:, 0] = 0.0
        finished = torch.zeros(batch, k, dtype=torch.bool, device=dev)
        n_tokens = torch.zeros(batch, k, dtype=torch.long, device=dev)
        tokens = torch.full((batch * k,), BOS_ID, dtype=torch.long, device=dev)
        offsets = (torch.arange(batch, device=dev) * k).unsqueeze(1)
        frozen = torch.full((vocab,), neg_inf, device=dev)
        frozen[PAD_ID] = 0.0
        hist_tokens, hist_back, hist_weights = [], [], []
        for t in range(max_length + 1):
            logits, (hidden, feed), weights = self.step(tokens, state, memory, mask)
            logp = self._restrict(F.log_softmax(logits.float(), -1), t == max_length)
            logp = logp.view(batch, k, vocab)
            logp = torch.where(finished.unsqueeze(-1), frozen, logp)
            cand = (scores.unsqueeze(-1) + logp).view(batch, k * vocab)
            scores, index = cand.topk(k, dim=1)
            back = torch.div(index, vocab, rounding_mode="floor")
            choice = index % vocab
            was_finished = finished.gather(1, back)
            finished = was_finished | (choice == EOS_ID)
            n_tokens = n_tokens.gather(1, back) + (~was_finished).long()
            flat = (back + offsets).view(-1)
            state = (
                _reorder_hidden(hidden, flat),
                None if feed is None else feed.index_select(0, flat),
            )
            tokens = choice.view(-1)
            hist_tokens.append(choice)
            hist_back.append(back)
            if weights is not None:
                hist_weights.append(weights.view(batch, k, src_len))
            if bool(finished.all()):
                break
        norm = scores / n_tokens.clamp(min=1).float() ** float(length_penalty)
        norm = torch.where(torch.isfinite(scores), norm, neg_inf)
        best = norm.argmax(1)
        rows = torch.arange(batch, device=dev)
        best_scores = scores[rows, best]
        # backtrack the chosen hypotheses
        beam = best
        path, path_weights = [], []
        for t in range(len(hist_tokens) - 1, -1, -1):
            path.append(hist_tokens[t][rows, beam])
            parent = hist_back[t][rows, beam]
            if hist_weights:
                path_weights.append(hist_weights[t][rows, parent])
            beam = parent
        out = torch.stack(path[::-1], 1).cpu()
        attn = torch.stack(path_weights[::-1], 1).cpu() if hist_weights else None
        return (*self._collect(out, attn, lengths.cpu()), best_scores.cpu())
