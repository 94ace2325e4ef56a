# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Recurrent encoders over padded batches with lengths.

Every encoder maps ``(x, lengths)`` with ``x`` of shape ``(batch, max_len,
input_size)`` to outputs of shape ``(batch, max_len, output_size)``, with the
outputs at padded positions set to zero, and exposes ``output_size`` and
``bidirectional``.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

__all__ = [
    "RECURRENT_INITS",
    "LayerNormRecurrentLayer",
    "RecurrentEncoder",
    "lengths_to_mask",
]

_RNN_CLASSES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
#: Gate blocks stacked in the weights of each cell, in torch's order
#: (LSTM: i, f, g, o; GRU: r, z, n).
_N_GATES = {"rnn": 1, "lstm": 4, "gru": 3}
#: The named initialisations of ``RecurrentEncoder(init=...)`` (None keeps
#: torch's default).
RECURRENT_INITS = ("orthogonal", "xavier", "kaiming")


def lengths_to_mask(lengths, max_len=None):
    """Boolean mask of shape ``(batch, max_len)``, True on real steps.

    Parameters
    ----------
    lengths : LongTensor of shape (batch,)
        Number of valid steps per sequence.
    max_len : int, default=None
        Width of the mask; ``lengths.max()`` when None.

    Returns
    -------
    BoolTensor of shape (batch, max_len)
        ``mask[b, t]`` is True when ``t < lengths[b]``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn import lengths_to_mask
    >>> lengths_to_mask(torch.tensor([2, 3])).int().tolist()
    [[1, 1, 0], [1, 1, 1]]
    """
    if max_len is None:
        max_len = int(lengths.max())
    steps = torch.arange(max_len, device=lengths.device)
    return steps.unsqueeze(0) < lengths.unsqueeze(1)


def _reverse_index(lengths, max_len):
    """``(batch, max_len)`` index reversing each sequence within its length.

    Step ``t < lengths[b]`` maps to ``lengths[b] - 1 - t``; padded steps map to
    themselves. The map is its own inverse.
    """
    steps = torch.arange(max_len, device=lengths.device).unsqueeze(0)
    lengths = lengths.unsqueeze(1)
    return torch.where(steps < lengths, lengths - 1 - steps, steps)


def _gate_blocks(param, hidden_size):
    """The ``(hidden_size, fan_in)`` gate blocks of a stacked weight (views)."""
    return param.view(-1, hidden_size, param.shape[-1]).unbind(0)


def _init_recurrent(named_parameters, hidden_size, cell, init, forget_bias):
    """Initialise recurrent weights and biases in place.

    ``named_parameters`` are those of :class:`torch.nn.RNN`-like modules or of
    :class:`LayerNormRecurrentLayer` (names starting with ``weight_ih``,
    ``weight_hh``, ``bias_ih``, ``bias_hh``; others are left alone). Each gate
    block (``hidden_size`` rows) is initialised on its own. ``init=None``
    leaves the weights and biases as they are; a named ``init`` zeroes the
    biases. Then, for an LSTM with ``forget_bias`` not None, the forget slice
    of ``bias_ih`` is set to ``forget_bias`` and that of ``bias_hh`` to 0.
    """
    H = hidden_size
    with torch.no_grad():
        for name, param in named_parameters:
            if init is not None:
                if name.startswith(("weight_ih", "weight_hh")):
                    recurrent = name.startswith("weight_hh")
                    for block in _gate_blocks(param, H):
                        if init == "orthogonal" and recurrent:
                            nn.init.orthogonal_(block)
                        elif init in ("orthogonal", "xavier"):
                            nn.init.xavier_uniform_(block)
                        else:  # kaiming
                            nn.init.kaiming_normal_(block, nonlinearity="relu")
                elif name.startswith(("bias_ih", "bias_hh")):
                    param.zero_()
            if cell == "lstm" and forget_bias is not None:
                if name.startswith("bias_ih"):
                    param[..., H : 2 * H].fill_(forget_bias)
                elif name.startswith("bias_hh"):
                    param[..., H : 2 * H].zero_()


def _run_fused(rnn, x, lengths, *, pack, bidirectional):
    """Run a torch RNN/LSTM/GRU over a padded batch, zero at padded steps."""
    max_len = x.shape[1]
    lengths_cpu = lengths.cpu()
    full = bool((lengths_cpu == max_len).all())
    if full:
        return rnn(x)[0]
    if pack is True or bidirectional or x.is_cuda:
        packed = pack_padded_sequence(
            x, lengths_cpu, batch_first=True, enforce_sorted=False
        )
        out, _ = pad_packed_sequence(
            rnn(packed)[0], batch_first=True, total_length=max_len
        )
        return out
    out = rnn(x)[0]
    mask = lengths_to_mask(lengths.to(x.device), max_len)
    return out * mask.unsqueeze(-1).to(out.dtype)


class LayerNormRecurrentLayer(nn.Module):
    """One layer-normalised RNN / LSTM / GRU layer (Ba et al., 2016).

    The input and recurrent pre-activations of every gate are normalised
    separately over the gate's ``hidden_size`` units and scaled by learned
    gains (1 at the start), then the biases are added; the LSTM also
    normalises its cell state before the output ``tanh`` (learned gain and
    bias)::

        gates = LN(W_ih x_t) * g_ih + b_ih + LN(W_hh h_{t-1}) * g_hh + b_hh
        LSTM: c_t = f * c_{t-1} + i * g,   h_t = o * tanh(LN(c_t) * g_c + b_c)
        GRU:  n = tanh(LN(W_in x_t) g + b_in + r * (LN(W_hn h) g + b_hn))
        RNN:  h_t = tanh(gates)

    The recurrence is a Python loop over the steps (the fused cuDNN / CPU
    kernels have no normalisation inside), with both directions of a
    bidirectional layer advanced in the same batched step: the backward
    direction reads each sequence reversed *within its length*, so padding
    never reaches it. State stops at each sequence's last valid step and
    outputs at padded steps are zero, as with the packed fused path. The loop
    cannot be traced (:func:`~sklearn_seq.export.to_torchscript` and
    :func:`~sklearn_seq.export.to_onnx` refuse it with a RuntimeError).

    Parameters
    ----------
    input_size : int
        Features per step.
    hidden_size : int
        Hidden units per direction.
    cell : {"rnn", "lstm", "gru"}, default="lstm"
        Recurrent cell.
    bidirectional : bool, default=False
        Whether to add a backward direction.
    eps : float, default=1e-5
        Added to the variance in the normalisations.

    Attributes
    ----------
    weight_ih, weight_hh : Parameter of shape (directions, gates * hidden_size, \
fan_in)
        Input and recurrent weights, gate blocks in torch's order.
    bias_ih, bias_hh : Parameter of shape (directions, gates * hidden_size)
        Biases, as in torch's cells.
    ln_ih_weight, ln_hh_weight : Parameter of shape (directions, gates * \
hidden_size)
        Gains of the normalised pre-activations.
    ln_cell_weight, ln_cell_bias : Parameter of shape (directions, hidden_size)
        LSTM only: gain and bias of the normalised cell state.
    output_size : int
        ``hidden_size * (2 if bidirectional else 1)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn import LayerNormRecurrentLayer
    >>> layer = LayerNormRecurrentLayer(3, 4, cell="gru", bidirectional=True)
    >>> out = layer(torch.randn(2, 5, 3), torch.tensor([5, 2]))
    >>> out.shape, bool((out[1, 2:] == 0).all())
    (torch.Size([2, 5, 8]), True)
    """

    def __init__(
        self, input_size, hidden_size, cell="lstm", bidirectional=False, eps=1e-5
    ):
        super().__init__()
        if cell not in _N_GATES:
            raise ValueError(f"cell must be one of {sorted(_N_GATES)}, got {cell!r}.")
        self.cell = cell
        self.hidden_size = int(hidden_size)
        self.bidirectional = bool(bidirectional)
        self.eps = float(eps)
        self.output_size = self.hidden_size * (2 if self.bidirectional else 1)
        d = 2 if self.bidirectional else 1
        gh = _N_GATES[cell] * self.hidden_size
        self.weight_ih = nn.Parameter(torch.empty(d, gh, input_size))
        self.weight_hh = nn.Parameter(torch.empty(d, gh, self.hidden_size))
        self.bias_ih = nn.Parameter(torch.empty(d, gh))
        self.bias_hh = nn.Parameter(torch.empty(d, gh))
        self.ln_ih_weight = nn.Parameter(torch.ones(d, gh))
        self.ln_hh_weight = nn.Parameter(torch.ones(d, gh))
        if cell == "lstm":
            self.ln_cell_weight = nn.Parameter(torch.ones(d, self.hidden_size))
            self.ln_cell_bias = nn.Parameter(torch.zeros(d, self.hidden_size))
        self.reset_parameters()

    def reset_parameters(self):
        """torch's RNN initialisation: weights and biases U(-1/sqrt(H), 1/sqrt(H)),
        normalisation gains 1 and biases 0."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        with torch.no_grad():
            for name, param in self.named_parameters():
                if name.startswith("ln_"):
                    param.fill_(0.0 if name.endswith("bias") else 1.0)
                else:
                    param.uniform_(-bound, bound)

    def _norm(self, z, gain, bias=None):
        """Layer norm of each gate block of ``z`` (..., gates * H), then affine."""
        h = self.hidden_size
        shape = z.shape
        z = F.layer_norm(z.reshape(*shape[:-1], -1, h), (h,), eps=self.eps)
        z = z.reshape(shape)
        return z * gain if bias is None else torch.addcmul(bias, z, gain)

    def forward(self, x, lengths, mask=None, reverse_index=None):
        """Run the layer over a padded batch.

        Parameters
        ----------
        x : FloatTensor of shape (batch, max_len, input_size)
            Padded batch.
        lengths : LongTensor of shape (batch,)
            Valid steps per sequence (>= 1).
        mask, reverse_index : Tensor of shape (batch, max_len), default=None
            :func:`lengths_to_mask` and the within-length reversal index, when
            the caller already has them (stacked layers share them).

        Returns
        -------
        FloatTensor of shape (batch, max_len, output_size)
            Outputs, zero at padded positions.
        """
        if torch.jit.is_tracing():
            raise RuntimeError(
                "A layer-normalised recurrent layer (layer_norm=True) cannot be "
                "traced: its Python loop over the steps would be frozen at the "
                "example batch's length. Export a network with fused cells "
                "(layer_norm=False) instead."
            )
        batch, max_len, _ = x.shape
        lengths = lengths.to(x.device)
        if mask is None:
            mask = lengths_to_mask(lengths, max_len)
        d = 2 if self.bidirectional else 1
        if d == 2:
            if reverse_index is None:
                reverse_index = _reverse_index(lengths, max_len)
            rev = reverse_index.unsqueeze(-1)
            xs = torch.stack([x, x.gather(1, rev.expand_as(x))])
        else:
            xs = x.unsqueeze(0)
        # input pre-activations of every step at once: (d, batch, max_len, G*H)
        pre_ih = torch.matmul(xs, self.weight_ih.transpose(1, 2).unsqueeze(1))
        pre_ih = self._norm(
            pre_ih, self.ln_ih_weight[:, None, None], self.bias_ih[:, None, None]
        )
        w_hh = self.weight_hh.transpose(1, 2)
        g_hh, b_hh = self.ln_hh_weight[:, None], self.bias_hh[:, None]
        if self.cell == "lstm":
            g_c, b_c = self.ln_cell_weight[:, None], self.ln_cell_bias[:, None]
        h = x.new_zeros(d, batch, self.hidden_size)
        c = h
        # one tensor per step, sliced once: indexing pre_ih[:, :, t] in the
        # loop would make backward add T full-size gradients
        pre_steps = pre_ih.unbind(2)
        ragged = not bool(mask.all())
        if ragged:
            step_mask = mask.t().reshape(max_len, 1, batch, 1)
            masks = step_mask.unbind(0)
            weights = step_mask.to(pre_ih.dtype).unbind(0)
        outputs = []
        for t in range(max_len):
            pre_hh = self._norm(torch.bmm(h, w_hh), g_hh, b_hh)
            pre_x = pre_steps[t]
            if self.cell == "lstm":
                i, f, g, o = (pre_x + pre_hh).chunk(4, dim=-1)
                c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                cell_out = F.layer_norm(c_new, (self.hidden_size,), eps=self.eps)
                h_new = torch.sigmoid(o) * torch.tanh(torch.addcmul(b_c, cell_out, g_c))
                c = torch.where(masks[t], c_new, c) if ragged else c_new
            elif self.cell == "gru":
                x_r, x_z, x_n = pre_x.chunk(3, dim=-1)
                h_r, h_z, h_n = pre_hh.chunk(3, dim=-1)
                r = torch.sigmoid(x_r + h_r)
                z = torch.sigmoid(x_z + h_z)
                n = torch.tanh(x_n + r * h_n)
                h_new = (1 - z) * n + z * h
            else:
                h_new = torch.tanh(pre_x + pre_hh)
            if ragged:
                h = torch.where(masks[t], h_new, h)
                outputs.append(h_new * weights[t])
            else:
                h = h_new
                outputs.append(h_new)
        out = torch.stack(outputs, dim=2)  # (d, batch, max_len, H)
        if d == 1:
            return out[0]
        backward = out[1].gather(1, reverse_index.unsqueeze(-1).expand_as(out[1]))
        return torch.cat([out[0], backward], dim=-1)

    def extra_repr(self):
        return (
            f"{self.weight_ih.shape[-1]}, {self.hidden_size}, cell={self.cell!r}, "
            f"bidirectional={self.bidirectional}"
        )


class RecurrentEncoder(nn.Module):
    """Stacked, optionally bidirectional RNN / LSTM / GRU over padded batches.

    Padding never reaches a backward direction: when the lengths in a batch
    differ and the encoder is bidirectional (or runs on CUDA, where packed
    sequences take the cuDNN path), the batch is packed with
    :func:`torch.nn.utils.rnn.pack_padded_sequence`. A unidirectional encoder on
    the CPU runs the padded batch directly, which is exact for every valid step
    (a forward recurrence never looks ahead) and keeps the fused kernel: on a
    2-core CPU packing measured slower than padding to the batch maximum.

    By default the layers are one fused :class:`torch.nn.RNN` /
    :class:`~torch.nn.LSTM` / :class:`~torch.nn.GRU` (attribute ``rnn``).
    With ``residual=True`` or ``layer_norm=True`` they are built one by one
    (attribute ``layers``, a :class:`torch.nn.ModuleList` of one-layer torch
    modules, or of :class:`LayerNormRecurrentLayer` with ``layer_norm``).

    Parameters
    ----------
    input_size : int
        Features per step.
    hidden_size : int, default=64
        Hidden units per direction.
    num_layers : int, default=1
        Number of stacked recurrent layers.
    cell : {"rnn", "lstm", "gru"}, default="lstm"
        Recurrent cell.
    bidirectional : bool, default=False
        Whether to add a backward direction.
    dropout : float, default=0.0
        Dropout between stacked layers (ignored when ``num_layers=1``).
    pack : {"auto", True}, default="auto"
        ``"auto"`` packs only when needed for exactness or speed (see above);
        ``True`` packs every batch whose lengths differ.
    init : {"orthogonal", "xavier", "kaiming"} or None, default=None
        Initialisation of the recurrent weights, each gate block on its own.
        None keeps torch's (every weight and bias uniform in
        ``+-1/sqrt(hidden_size)``). ``"orthogonal"``: hidden-to-hidden blocks
        orthogonal (Saxe et al. 2014; all singular values 1, so the linear
        part of the recurrence neither shrinks nor grows a gradient),
        input-to-hidden blocks Glorot-uniform; ``"xavier"``: both
        Glorot-uniform; ``"kaiming"``: both He-normal (std
        ``sqrt(2 / fan_in)``). A named init sets the biases to 0.
    forget_bias : float or None, default=1.0
        LSTM only (other cells have no forget gate and ignore it): the
        forget-gate bias at initialisation (``bias_ih`` forget slice set to
        it, ``bias_hh`` forget slice to 0). The default 1 starts the gate near
        ``sigmoid(1) = 0.73`` instead of torch's 0.5, as recommended by
        Jozefowicz et al. (2015): the cell state then decays more slowly at
        initialisation and gradients reach further back in time. None keeps
        the bias ``init`` gives it.
    residual : bool, default=False
        Add each layer's input to its output from the second layer on
        (``y_l = layer_l(x_l) + x_l``, the input and output sizes are then
        both ``output_size``); needs ``num_layers >= 2``. Dropout applies to
        ``y_l`` before the next layer.
    layer_norm : bool, default=False
        Layer-normalised cells (:class:`LayerNormRecurrentLayer`, Ba et al.
        2016). A Python loop over the steps instead of the fused kernel:
        slower, see ``benchmarks/bench_fit.py``.

    Attributes
    ----------
    output_size : int
        ``hidden_size * (2 if bidirectional else 1)``.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn import RecurrentEncoder
    >>> enc = RecurrentEncoder(3, hidden_size=8, bidirectional=True)
    >>> out = enc(torch.randn(2, 5, 3), torch.tensor([5, 2]))
    >>> out.shape, enc.output_size
    (torch.Size([2, 5, 16]), 16)
    >>> bool((out[1, 2:] == 0).all())
    True
    >>> deep = RecurrentEncoder(3, 8, num_layers=2, cell="gru", init="orthogonal",
    ...                         residual=True, layer_norm=True)
    >>> deep(torch.randn(2, 5, 3), torch.tensor([5, 2])).shape
    torch.Size([2, 5, 8])
    """

    def __init__(
        self,
        input_size,
        hidden_size=64,
        num_layers=1,
        cell="lstm",
        bidirectional=False,
        dropout=0.0,
        pack="auto",
        *,
        init=None,
        forget_bias=1.0,
        residual=False,
        layer_norm=False,
    ):
        super().__init__()
        if cell not in _RNN_CLASSES:
            raise ValueError(
                f"cell must be one of {sorted(_RNN_CLASSES)}, got {cell!r}."
            )
        if init is not None and init not in RECURRENT_INITS:
            raise ValueError(
                f"init must be one of {RECURRENT_INITS} or None, got {init!r}."
            )
        if residual and num_layers < 2:
            raise ValueError(
                "residual=True adds each stacked recurrent layer's input to its "
                f"output, from the second layer on; num_layers={num_layers} has "
                "no second layer. Use num_layers >= 2 or residual=False."
            )
        self.cell = cell
        self.bidirectional = bool(bidirectional)
        self.pack = pack
        self.residual = bool(residual)
        self.layer_norm = bool(layer_norm)
        self.output_size = hidden_size * (2 if self.bidirectional else 1)
        if not (self.residual or self.layer_norm):
            self.rnn = _RNN_CLASSES[cell](
                input_size,
                hidden_size,
                num_layers=num_layers,
                batch_first=True,
                bidirectional=self.bidirectional,
                dropout=dropout if num_layers > 1 else 0.0,
            )
            self.layers = None
            modules = [self.rnn]
        else:
            sizes = [input_size] + [self.output_size] * (num_layers - 1)
            if self.layer_norm:
                layers = [
                    LayerNormRecurrentLayer(
                        size, hidden_size, cell, bidirectional=self.bidirectional
                    )
                    for size in sizes
                ]
            else:
                layers = [
                    _RNN_CLASSES[cell](
                        size,
                        hidden_size,
                        batch_first=True,
                        bidirectional=self.bidirectional,
                    )
                    for size in sizes
                ]
            self.layers = nn.ModuleList(layers)
            self.layer_dropout = nn.Dropout(dropout if num_layers > 1 else 0.0)
            modules = list(self.layers)
        for module in modules:
            _init_recurrent(
                module.named_parameters(), hidden_size, cell, init, forget_bias
            )

    def forward(self, x, lengths):
        """Encode a padded batch.

        Parameters
        ----------
        x : FloatTensor of shape (batch, max_len, input_size)
            Padded batch.
        lengths : LongTensor of shape (batch,)
            Valid steps per sequence (>= 1).

        Returns
        -------
        FloatTensor of shape (batch, max_len, output_size)
            Outputs, zero at padded positions.
        """
        if self.layers is None:
            return _run_fused(
                self.rnn, x, lengths, pack=self.pack, bidirectional=self.bidirectional
            )
        if self.layer_norm:
            lengths_dev = lengths.to(x.device)
            mask = lengths_to_mask(lengths_dev, x.shape[1])
            reverse = (
                _reverse_index(lengths_dev, x.shape[1]) if self.bidirectional else None
            )
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            if self.layer_norm:
                out = layer(x, lengths, mask, reverse)
            else:
                out = _run_fused(
                    layer, x, lengths, pack=self.pack, bidirectional=self.bidirectional
                )
            if self.residual and i > 0:
                out = out + x
            x = self.layer_dropout(out) if i < last else out
        return x
