# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Convolutional and hybrid encoders over padded batches: FCN, LSTM-FCN, TCN.

The encoders have the interface of :class:`sklearn_seq.nn.RecurrentEncoder`:
``forward(x, lengths)`` maps ``x`` of shape ``(batch, max_len, input_size)``
to ``(batch, max_len, output_size)``, zero at padded steps, and they expose
``output_size`` and ``bidirectional`` (always False).

Padding is never data. The input and every intermediate activation are zeroed
at padded steps (the mask is re-applied after each convolution), so a
convolution sees past a sequence's end exactly the zeros that its own
``'same'`` (or causal) zero padding would add; batch norm statistics are taken
over valid steps only (:class:`MaskedBatchNorm1d`). In evaluation mode a
sequence therefore gets the same outputs alone or in a padded batch.

References
----------
.. [1] Z. Wang, W. Yan and T. Oates, "Time series classification from scratch
   with deep neural networks: a strong baseline", IJCNN 2017.
.. [2] F. Karim, S. Majumdar, H. Darabi and S. Chen, "LSTM fully convolutional
   networks for time series classification", IEEE Access 6, 2018.
.. [3] S. Bai, J. Z. Kolter and V. Koltun, "An empirical evaluation of generic
   convolutional and recurrent networks for sequence modeling", 2018.
"""

import torch
import torch.nn.functional as F
from torch import nn

from sklearn_seq.nn.encoders import lengths_to_mask

__all__ = [
    "FCNEncoder",
    "LSTMFCNEncoder",
    "MaskedBatchNorm1d",
    "TCNEncoder",
    "resample_to_length",
]

#: Filters and kernel sizes of the three blocks of Wang et al.'s FCN.
FCN_FILTERS = (128, 256, 128)
FCN_KERNELS = (8, 5, 3)
#: Defaults of the TCN (Bai et al. 2018 tune them per task).
TCN_FILTERS = 64
TCN_KERNEL = 3
TCN_DILATIONS = (1, 2, 4, 8)


def _as_tuple(name, value, n):
    """``value`` (an int or a sequence of ints) as a tuple of ``n`` ints >= 1."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value,) * n
    try:
        value = tuple(value)
    except TypeError:
        raise ValueError(
            f"{name} must be an int or a tuple of ints; got {value!r}."
        ) from None
    if len(value) != n or not all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value
    ):
        raise ValueError(
            f"{name} must be an int >= 1 or a tuple of {n} ints >= 1 (one per "
            f"block); got {value!r}."
        )
    return value


def _n_blocks(default, *values):
    """Number of blocks: the length of the first non-int sequence given."""
    for v in values:
        if not isinstance(v, int) and v is not None:
            try:
                return len(v)
            except TypeError:
                return default
    return default


def _pad_conv(x, conv, causal):
    """Zero-pad the time axis of ``x`` (B, C, T) so ``conv`` keeps length T."""
    total = conv.dilation[0] * (conv.kernel_size[0] - 1)
    left = total if causal else total // 2  # torch's padding='same' split
    return conv(F.pad(x, (left, total - left)))


class MaskedBatchNorm1d(nn.BatchNorm1d):
    """Batch norm over ``(batch, channels, time)`` that ignores padded steps.

    In training mode the mean and (biased) variance of each channel are taken
    over the valid steps of the batch only, and the running statistics are
    updated as :class:`torch.nn.BatchNorm1d` does (momentum, or a cumulative
    average when ``momentum=None``; unbiased variance). In evaluation mode the
    running statistics are used. Outputs at padded steps are zero.

    Parameters
    ----------
    num_features : int
        Channels.
    eps : float, default=1e-5
        Added to the variance.
    momentum : float or None, default=0.1
        Weight of the batch statistics in the running statistics.
    affine : bool, default=True
        Learnable scale and shift.
    track_running_stats : bool, default=True
        Keep running statistics (else batch statistics are used in eval too).

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.conv import MaskedBatchNorm1d
    >>> bn = MaskedBatchNorm1d(1)
    >>> x = torch.tensor([[[1.0, 3.0, 99.0]], [[2.0, 0.0, 0.0]]])
    >>> mask = torch.tensor([[True, True, False], [True, False, False]])
    >>> y = bn(x, mask)
    >>> round(bn.running_mean.item(), 6)  # 0.9 * 0 + 0.1 * mean(1, 3, 2)
    0.2
    >>> bool(y[0, 0, 2] == 0 and (y[1, 0, 1:] == 0).all())
    True
    """

    def forward(self, x, mask=None):
        """Normalise ``x`` of shape (batch, channels, time).

        Parameters
        ----------
        x : FloatTensor of shape (batch, channels, time)
            Activations.
        mask : BoolTensor of shape (batch, time), default=None
            True on valid steps; None means every step is valid.

        Returns
        -------
        FloatTensor of shape (batch, channels, time)
            Normalised activations, zero at padded steps.
        """
        if mask is None:
            return super().forward(x)
        m = mask.unsqueeze(1).to(x.dtype)
        use_batch = self.training or not self.track_running_stats
        if use_batch:
            n = m.sum()
            mean = (x * m).sum(dim=(0, 2)) / n
            var = (((x - mean[:, None]) * m) ** 2).sum(dim=(0, 2)) / n
            if self.training and self.track_running_stats:
                with torch.no_grad():
                    self.num_batches_tracked.add_(1)
                    if self.momentum is None:
                        factor = 1.0 / float(self.num_batches_tracked)
                    else:
                        factor = self.momentum
                    unbiased = var * (n / (n - 1).clamp(min=1))
                    self.running_mean.lerp_(mean.detach(), factor)
                    self.running_var.lerp_(unbiased.detach(), factor)
        else:
            mean, var = self.running_mean, self.running_var
        y = (x - mean[:, None]) * torch.rsqrt(var[:, None] + self.eps)
        if self.affine:
            y = y * self.weight[:, None] + self.bias[:, None]
        return y * m


class _ConvBlock(nn.Module):
    """Convolution ('same' zero padding), masked batch norm, ReLU, mask."""

    def __init__(self, in_channels, out_channels, kernel_size):
        super().__init__()
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size)
        self.bn = MaskedBatchNorm1d(out_channels)

    def forward(self, h, mask):
        return torch.relu(self.bn(_pad_conv(h, self.conv, False), mask))


class FCNEncoder(nn.Module):
    """Fully convolutional network of Wang et al. (2017) over padded batches.

    Blocks of convolution ('same' zero padding, stride 1), batch norm and
    ReLU; the paper's network has three blocks of 128, 256 and 128 filters
    with kernels 8, 5 and 3, followed by global average pooling. Pooling is
    not part of the encoder: :class:`sklearn_seq.nn.SequencePooling` with
    ``mode="mean"`` is that global average pooling over valid steps, and it is
    what :class:`sklearn_seq.nn.SequenceNet` picks with ``pooling=None``
    (:attr:`default_pooling`).

    Padded steps are zeroed in the input and after every block, and batch
    norm statistics are taken over valid steps only
    (:class:`MaskedBatchNorm1d`), so padding is never read as data.

    Parameters
    ----------
    input_size : int
        Features per step.
    n_filters : int or tuple of int, default=(128, 256, 128)
        Filters of each block (an int is used for every block).
    kernel_sizes : int or tuple of int, default=(8, 5, 3)
        Kernel size of each block. The number of blocks is the length of
        whichever of ``n_filters`` and ``kernel_sizes`` is a tuple (3 when
        both are ints).

    Attributes
    ----------
    output_size : int
        Filters of the last block.
    bidirectional : bool
        Always False ('same' convolutions see both directions anyway).
    default_pooling : str
        ``"mean"``: global average pooling, as in the paper.
    receptive_field : int
        Steps that influence one output step, ``1 + sum(k - 1)``.
    blocks : torch.nn.ModuleList
        The convolution blocks.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.conv import FCNEncoder
    >>> enc = FCNEncoder(2, n_filters=(8, 16, 8))
    >>> out = enc(torch.randn(3, 20, 2), torch.tensor([20, 11, 4]))
    >>> out.shape, enc.output_size, enc.receptive_field
    (torch.Size([3, 20, 8]), 8, 14)
    >>> bool((out[2, 4:] == 0).all())
    True
    """

    bidirectional = False
    default_pooling = "mean"

    def __init__(self, input_size, n_filters=FCN_FILTERS, kernel_sizes=FCN_KERNELS):
        super().__init__()
        n = _n_blocks(len(FCN_FILTERS), n_filters, kernel_sizes)
        n_filters = _as_tuple("n_filters", n_filters, n)
        kernel_sizes = _as_tuple("kernel_sizes", kernel_sizes, n)
        channels = (input_size, *n_filters)
        self.blocks = nn.ModuleList(
            _ConvBlock(channels[i], channels[i + 1], kernel_sizes[i]) for i in range(n)
        )
        self.output_size = n_filters[-1]
        self.receptive_field = 1 + sum(k - 1 for k in kernel_sizes)

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
        mask = lengths_to_mask(lengths.to(x.device), x.shape[1])
        h = x.transpose(1, 2).masked_fill(~mask.unsqueeze(1), 0.0)
        for block in self.blocks:
            h = block(h, mask)  # masked batch norm zeroes padding, ReLU keeps 0
        return h.transpose(1, 2)


def resample_to_length(x, lengths, n_steps):
    """Linearly resample the valid steps of each sequence to ``n_steps``.

    Step ``t`` of the output reads position ``t * (L - 1) / (n_steps - 1)`` of
    a sequence of ``L`` valid steps, interpolating between its neighbours;
    padded steps are never read. A sequence of exactly ``n_steps`` steps comes
    back unchanged.

    Parameters
    ----------
    x : FloatTensor of shape (batch, max_len, features)
        Padded batch.
    lengths : LongTensor of shape (batch,)
        Valid steps per sequence (>= 1).
    n_steps : int
        Output length.

    Returns
    -------
    FloatTensor of shape (batch, n_steps, features)
        Resampled sequences.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.conv import resample_to_length
    >>> x = torch.tensor([[[0.0], [2.0], [4.0]], [[1.0], [3.0], [0.0]]])
    >>> resample_to_length(x, torch.tensor([3, 2]), 3)[..., 0].tolist()
    [[0.0, 2.0, 4.0], [1.0, 2.0, 3.0]]
    """
    lengths = lengths.to(x.device)
    if x.shape[1] == n_steps and bool((lengths == n_steps).all()):
        return x
    t = torch.arange(n_steps, device=x.device, dtype=x.dtype)
    scale = (lengths - 1).to(x.dtype) / max(n_steps - 1, 1)
    pos = t[None, :] * scale[:, None]  # (batch, n_steps)
    last = (lengths - 1)[:, None]
    i0 = pos.floor().long().clamp(max=x.shape[1] - 1)
    i0 = torch.minimum(i0, last)
    i1 = torch.minimum(i0 + 1, last)
    w = (pos - i0.to(x.dtype)).unsqueeze(-1)
    feats = x.shape[-1]
    x0 = x.gather(1, i0.unsqueeze(-1).expand(-1, -1, feats))
    x1 = x.gather(1, i1.unsqueeze(-1).expand(-1, -1, feats))
    return torch.lerp(x0, x1, w)


class LSTMFCNEncoder(nn.Module):
    """LSTM-FCN of Karim et al. (2018): an FCN branch and a shuffled LSTM branch.

    The FCN branch is :class:`FCNEncoder`. The LSTM branch applies the paper's
    *dimension shuffle*: it reads the series transposed, each variable as one
    step whose features are the ``n_steps`` time points (a univariate series
    is one LSTM step of ``n_steps`` features), and keeps the last hidden
    state, followed by dropout (0.8 in the paper).

    To keep the encoder interface (per-step outputs that any
    :class:`~sklearn_seq.nn.SequencePooling` mode can pool), the LSTM vector
    is repeated over the valid steps and concatenated to the FCN features:
    ``outputs[b, t] = [fcn[b, t], lstm[b]]`` for valid ``t``, zero elsewhere.
    Mean pooling then yields exactly the paper's ``[GAP(fcn), lstm]``.

    Variable lengths: the dimension shuffle needs a fixed number of time
    points. A sequence of exactly ``n_steps`` steps goes to the LSTM as it is
    (fixed-length data of the training length, the paper's setting). Any other
    length is linearly resampled over its valid steps to ``n_steps``
    (:func:`resample_to_length`) for the LSTM branch only; the FCN branch
    always sees the sequence as it is. So the LSTM never reads padding as
    data, a sequence scores the same alone or in a padded batch, and
    sequences longer than ``n_steps`` are accepted. (Zero-padding every
    sequence to a maximum length, as Keras implementations do, would make the
    LSTM read padding and would need the longest length known in advance.)

    Parameters
    ----------
    input_size : int
        Features (variables) per step.
    n_steps : int
        Time points the LSTM branch reads per variable (the estimators use the
        longest training sequence).
    hidden_size : int, default=8
        LSTM cells (the paper grid-searches 8, 64 and 128).
    n_filters : int or tuple of int, default=(128, 256, 128)
        Filters of the FCN blocks.
    kernel_sizes : int or tuple of int, default=(8, 5, 3)
        Kernel sizes of the FCN blocks.
    dropout : float, default=0.8
        Dropout after the LSTM branch.

    Attributes
    ----------
    output_size : int
        ``fcn.output_size + hidden_size``.
    bidirectional : bool
        Always False.
    default_pooling : str
        ``"mean"`` (global average pooling of the FCN branch, as in the paper).
    fcn : FCNEncoder
        The convolutional branch.
    lstm : torch.nn.LSTM
        The shuffled recurrent branch.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.conv import LSTMFCNEncoder
    >>> enc = LSTMFCNEncoder(1, n_steps=30, hidden_size=4, n_filters=(8, 16, 8))
    >>> out = enc(torch.randn(2, 30, 1), torch.tensor([30, 12]))
    >>> out.shape, enc.output_size
    (torch.Size([2, 30, 12]), 12)
    >>> bool((out[1, 12:] == 0).all())
    True
    """

    bidirectional = False
    default_pooling = "mean"
    #: the paper drops out the LSTM branch only: SequenceNet adds no dropout
    #: of its own before the output layer
    owns_dropout = True

    def __init__(
        self,
        input_size,
        n_steps,
        hidden_size=8,
        n_filters=FCN_FILTERS,
        kernel_sizes=FCN_KERNELS,
        dropout=0.8,
    ):
        super().__init__()
        if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1:
            raise ValueError(f"n_steps must be an int >= 1; got {n_steps!r}.")
        self.n_steps = n_steps
        self.fcn = FCNEncoder(input_size, n_filters, kernel_sizes)
        self.lstm = nn.LSTM(n_steps, hidden_size, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.output_size = self.fcn.output_size + hidden_size

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
            ``[fcn features, LSTM vector]`` at valid steps, zero at padded
            positions.
        """
        conv = self.fcn(x, lengths)
        shuffled = resample_to_length(x, lengths, self.n_steps).transpose(1, 2)
        h = self.dropout(self.lstm(shuffled)[1][0][-1])  # (batch, hidden)
        mask = lengths_to_mask(lengths.to(x.device), x.shape[1])
        rec = h.unsqueeze(1) * mask.unsqueeze(-1).to(h.dtype)
        return torch.cat([conv, rec], dim=-1)


class _TemporalBlock(nn.Module):
    """Bai et al.'s residual block: two dilated convolutions, ReLU, dropout."""

    def __init__(
        self, in_channels, out_channels, kernel_size, dilation, causal, dropout
    ):
        super().__init__()
        self.causal = causal
        self.conv1 = nn.Conv1d(
            in_channels, out_channels, kernel_size, dilation=dilation
        )
        self.conv2 = nn.Conv1d(
            out_channels, out_channels, kernel_size, dilation=dilation
        )
        self.dropout = nn.Dropout(dropout)
        self.downsample = (
            nn.Conv1d(in_channels, out_channels, 1)
            if in_channels != out_channels
            else None
        )

    def forward(self, h, m):
        out = self.dropout(torch.relu(_pad_conv(h, self.conv1, self.causal)) * m)
        out = self.dropout(torch.relu(_pad_conv(out, self.conv2, self.causal)) * m)
        res = h if self.downsample is None else self.downsample(h)
        return torch.relu(out + res) * m


class TCNEncoder(nn.Module):
    """Temporal convolutional network of Bai et al. (2018) over padded batches.

    A stack of residual blocks, block ``i`` holding two convolutions of
    dilation ``dilations[i]`` (each followed by ReLU and dropout) and a
    residual connection (a 1x1 convolution when the width changes). Causal
    blocks pad on the left only, so step ``t`` sees steps ``<= t``;
    non-causal blocks use 'same' zero padding and see both sides. Padded steps
    are zeroed in the input and after every convolution.

    Bai et al. put weight normalisation on the convolutions; it is left out
    here (torch's parametrised modules do not pickle with the estimators).

    Parameters
    ----------
    input_size : int
        Features per step.
    n_filters : int or tuple of int, default=64
        Channels of each block.
    kernel_size : int or tuple of int, default=3
        Kernel size of each block's convolutions.
    dilations : tuple of int, default=(1, 2, 4, 8)
        Dilation of each block; its length is the number of blocks.
    causal : bool, default=False
        Causal (left) padding instead of 'same' padding.
    dropout : float, default=0.0
        Dropout after each convolution.

    Attributes
    ----------
    output_size : int
        Channels of the last block.
    bidirectional : bool
        Always False.
    default_pooling : str
        ``"last"`` when causal (the last valid step has seen the whole
        sequence), ``"mean"`` otherwise.
    receptive_field : int
        Steps that influence one output step, ``1 + 2 * sum((k - 1) * d)``.
    blocks : torch.nn.ModuleList
        The residual blocks.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.conv import TCNEncoder
    >>> enc = TCNEncoder(3, n_filters=16, causal=True)
    >>> out = enc(torch.randn(2, 40, 3), torch.tensor([40, 25]))
    >>> out.shape, enc.output_size, enc.receptive_field
    (torch.Size([2, 40, 16]), 16, 61)
    >>> bool((out[1, 25:] == 0).all())
    True
    """

    bidirectional = False

    def __init__(
        self,
        input_size,
        n_filters=TCN_FILTERS,
        kernel_size=TCN_KERNEL,
        dilations=TCN_DILATIONS,
        causal=False,
        dropout=0.0,
    ):
        super().__init__()
        if isinstance(dilations, int) and not isinstance(dilations, bool):
            dilations = (dilations,)
        n = _n_blocks(len(TCN_DILATIONS), dilations)
        dilations = _as_tuple("dilations", dilations, n)
        n_filters = _as_tuple("n_filters", n_filters, n)
        kernel_size = _as_tuple("kernel_size", kernel_size, n)
        self.causal = bool(causal)
        self.default_pooling = "last" if self.causal else "mean"
        channels = (input_size, *n_filters)
        self.blocks = nn.ModuleList(
            _TemporalBlock(
                channels[i],
                channels[i + 1],
                kernel_size[i],
                dilations[i],
                self.causal,
                dropout,
            )
            for i in range(n)
        )
        self.output_size = n_filters[-1]
        self.receptive_field = 1 + 2 * sum(
            (k - 1) * d for k, d in zip(kernel_size, dilations)
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
        mask = lengths_to_mask(lengths.to(x.device), x.shape[1])
        m = mask.unsqueeze(1).to(x.dtype)
        h = x.transpose(1, 2).masked_fill(~mask.unsqueeze(1), 0.0)
        for block in self.blocks:
            h = block(h, m)
        return h.transpose(1, 2)
