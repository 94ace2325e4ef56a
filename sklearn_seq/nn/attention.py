# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Masked attention layers: additive (Bahdanau), multiplicative (Luong) and
scaled dot-product attention, plus attention pooling.

Every layer returns ``(context, weights)``. Shapes, batch first:

- ``query``: ``(B, Dq)`` for one decoder step, or ``(B, Tq, Dq)``;
- ``keys``: ``(B, Tk, Dk)``; ``values``: ``(B, Tk, Dv)``, the keys by default;
- ``mask``: bool ``(B, Tk)`` (or ``(B, Tq, Tk)``), ``True`` on real positions;
- ``context``: ``(B, Dv)`` or ``(B, Tq, Dv)``; ``weights``: ``(B, Tk)`` or
  ``(B, Tq, Tk)``.

Weights sum to 1 over the real positions and are exactly 0 on padding. A row
whose mask has no True entry gets all-zero weights and a zero context, with
finite gradients, rather than NaN (see :func:`masked_softmax`).
"""

import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "AdditiveAttention",
    "AttentionPooling",
    "LuongAttention",
    "ScaledDotProductAttention",
    "masked_softmax",
]

_LUONG_SCORES = ("dot", "general", "concat")


def _shape(tensor):
    return tuple(tensor.shape) if torch.is_tensor(tensor) else type(tensor).__name__


def _check_size(name, value):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int; got {value!r}.")
    return value


def masked_softmax(scores, mask=None, dim=-1):
    """Softmax over ``dim`` that gives exactly 0 to masked-out positions.

    Parameters
    ----------
    scores : torch.Tensor
        Unnormalised scores, float.
    mask : torch.BoolTensor, default=None
        Broadcastable to ``scores``; True on positions that take part. None
        means a plain softmax.
    dim : int, default=-1
        Dimension to normalise over.

    Returns
    -------
    weights : torch.Tensor
        Same shape as ``scores``. Sums to 1 over the unmasked positions of
        each row and is exactly 0 on masked positions. A row with no unmasked
        position is all zeros (not NaN), and its gradient is zero.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.attention import masked_softmax
    >>> scores = torch.zeros(2, 4)
    >>> mask = torch.tensor([[True, True, False, False], [False] * 4])
    >>> masked_softmax(scores, mask)
    tensor([[0.5000, 0.5000, 0.0000, 0.0000],
            [0.0000, 0.0000, 0.0000, 0.0000]])
    """
    if mask is None:
        return torch.softmax(scores, dim=dim)
    if mask.dtype != torch.bool:
        raise TypeError(
            f"mask must be a bool tensor (True = real); got dtype {mask.dtype}."
        )
    # A finite fill keeps fully masked rows NaN-free (uniform, then zeroed below);
    # exp(fill - max) underflows to exactly 0 whenever a row has a real position.
    fill = torch.finfo(scores.dtype).min
    weights = torch.softmax(scores.masked_fill(~mask, fill), dim=dim)
    return weights * mask.to(weights.dtype)


class _Attention(nn.Module):
    """Shared input checks, masking and weighted sum; subclasses define ``_score``."""

    query_size = None
    key_size = None

    def _score(self, query, keys):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, query, keys, values=None, mask=None):
        """Attend from ``query`` over ``keys`` and average ``values``.

        Parameters
        ----------
        query : torch.Tensor of shape (batch, query_size) or (batch, tq, query_size)
            One query per sequence (a decoder step), or ``tq`` of them.
        keys : torch.Tensor of shape (batch, tk, key_size)
            The positions attended to (e.g. encoder outputs).
        values : torch.Tensor of shape (batch, tk, value_size), default=None
            Averaged with the attention weights; the keys when None.
        mask : torch.BoolTensor of shape (batch, tk) or (batch, tq, tk), default=None
            True on real key positions; None means every position is real.

        Returns
        -------
        context : torch.Tensor of shape (batch, value_size) or (batch, tq, value_size)
            Weighted average of the values.
        weights : torch.Tensor of shape (batch, tk) or (batch, tq, tk)
            Attention weights: sum to 1 over real positions, 0 on padding.
        """
        query, values, mask, single = self._check_inputs(query, keys, values, mask)
        scores = self._score(query, keys)  # (B, Tq, Tk)
        if mask is not None and mask.dim() == 2:
            mask = mask.unsqueeze(1)
        weights = masked_softmax(scores, mask)
        context = torch.bmm(weights, values)
        if single:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights

    def _check_inputs(self, query, keys, values, mask):
        name = type(self).__name__
        if not torch.is_tensor(keys) or keys.dim() != 3:
            raise ValueError(
                f"{name}: keys must be a tensor of shape (batch, tk, key_size); "
                f"got shape {_shape(keys)}."
            )
        batch, steps, key_size = keys.shape
        if (
            not torch.is_tensor(query)
            or query.dim() not in (2, 3)
            or query.shape[0] != batch
        ):
            raise ValueError(
                f"{name}: query must be a tensor of shape (batch, query_size) or "
                f"(batch, tq, query_size) with batch={batch} like the keys; "
                f"got shape {_shape(query)}."
            )
        if self.query_size is not None and query.shape[-1] != self.query_size:
            raise ValueError(
                f"{name}: query must have query_size={self.query_size} features; "
                f"got shape {_shape(query)}."
            )
        if self.key_size is not None and key_size != self.key_size:
            raise ValueError(
                f"{name}: keys must have key_size={self.key_size} features; "
                f"got shape {_shape(keys)}."
            )
        single = query.dim() == 2
        if single:
            query = query.unsqueeze(1)
        if values is None:
            values = keys
        elif (
            not torch.is_tensor(values)
            or values.dim() != 3
            or values.shape[:2] != (batch, steps)
        ):
            raise ValueError(
                f"{name}: values must be a tensor of shape (batch, tk, value_size) = "
                f"({batch}, {steps}, ...) like the keys; got shape {_shape(values)}."
            )
        if mask is not None:
            full = (batch, query.shape[1], steps)
            if not torch.is_tensor(mask) or tuple(mask.shape) not in (
                (batch, steps),
                full,
            ):
                expected = f"(batch, tk) = {(batch, steps)}"
                if not single:
                    expected += f" or (batch, tq, tk) = {full}"
                raise ValueError(
                    f"{name}: mask must be a bool tensor of shape {expected}; "
                    f"got shape {_shape(mask)}."
                )
            if mask.dtype != torch.bool:
                raise TypeError(
                    f"{name}: mask must be a bool tensor (True = real); "
                    f"got dtype {mask.dtype}."
                )
        return query, values, mask, single


class AdditiveAttention(_Attention):
    """Additive (Bahdanau) attention: ``score(q, k) = v^T tanh(W_q q + W_k k)``.

    Parameters
    ----------
    query_size : int
        Features of the query (e.g. the decoder hidden size).
    key_size : int, default=None
        Features of the keys (e.g. ``2 * hidden_size`` for a bidirectional
        encoder); ``query_size`` when None.
    hidden_size : int, default=None
        Size of the hidden layer of the scoring network; ``query_size`` when
        None.

    Attributes
    ----------
    query_proj : torch.nn.Linear
        ``W_q``, without bias.
    key_proj : torch.nn.Linear
        ``W_k``, with the bias of the scoring network.
    v : torch.nn.Linear
        ``v``, without bias.

    Notes
    -----
    With a ``(B, Tq, Dq)`` query the scoring network runs on a
    ``(B, Tq, Tk, hidden_size)`` tensor; step-by-step decoding passes one
    ``(B, Dq)`` query at a time.

    References
    ----------
    Bahdanau, Cho and Bengio (2015), "Neural Machine Translation by Jointly
    Learning to Align and Translate".

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.attention import AdditiveAttention
    >>> attn = AdditiveAttention(query_size=8, key_size=6, hidden_size=5)
    >>> keys = torch.randn(2, 4, 6)
    >>> mask = torch.tensor([[True, True, True, True], [True, True, False, False]])
    >>> context, weights = attn(torch.randn(2, 8), keys, mask=mask)
    >>> context.shape, weights.shape
    (torch.Size([2, 6]), torch.Size([2, 4]))
    >>> weights[1, 2:].tolist()
    [0.0, 0.0]
    """

    def __init__(self, query_size, key_size=None, hidden_size=None):
        super().__init__()
        self.query_size = _check_size("query_size", query_size)
        self.key_size = _check_size(
            "key_size", query_size if key_size is None else key_size
        )
        self.hidden_size = _check_size(
            "hidden_size", query_size if hidden_size is None else hidden_size
        )
        self.query_proj = nn.Linear(self.query_size, self.hidden_size, bias=False)
        self.key_proj = nn.Linear(self.key_size, self.hidden_size)
        self.v = nn.Linear(self.hidden_size, 1, bias=False)

    def _score(self, query, keys):
        hidden = self.query_proj(query).unsqueeze(2) + self.key_proj(keys).unsqueeze(1)
        return self.v(torch.tanh(hidden)).squeeze(-1)


class LuongAttention(_Attention):
    """Multiplicative (Luong) attention with the ``'dot'``, ``'general'`` or
    ``'concat'`` score.

    - ``'dot'``: ``score(q, k) = q^T k`` (needs ``query_size == key_size``);
    - ``'general'``: ``score(q, k) = q^T W_a k``;
    - ``'concat'``: ``score(q, k) = v^T tanh(W [q; k])``.

    Parameters
    ----------
    query_size : int
        Features of the query (the decoder hidden size).
    key_size : int, default=None
        Features of the keys; ``query_size`` when None.
    score : {'dot', 'general', 'concat'}, default='general'
        The scoring function.
    hidden_size : int, default=None
        Hidden size of the ``'concat'`` scoring network; ``query_size`` when
        None. Ignored by the other scores.

    Attributes
    ----------
    weight : torch.nn.Linear or None
        ``W_a`` (``'general'``, no bias) or ``W`` over the concatenation
        ``[q; k]`` (``'concat'``); None for ``'dot'``.
    v : torch.nn.Linear or None
        ``v`` for ``'concat'`` (no bias); None otherwise.

    Notes
    -----
    Luong's attentional hidden state ``tanh(W_c [s_t; c_t])`` belongs to the
    decoder and is not part of this layer. The unscaled ``'dot'`` score equals
    :class:`ScaledDotProductAttention` with ``scale=1``.

    References
    ----------
    Luong, Pham and Manning (2015), "Effective Approaches to Attention-based
    Neural Machine Translation".

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.attention import LuongAttention
    >>> attn = LuongAttention(8, key_size=6, score="general")
    >>> context, weights = attn(torch.randn(2, 3, 8), torch.randn(2, 5, 6))
    >>> context.shape, weights.shape
    (torch.Size([2, 3, 6]), torch.Size([2, 3, 5]))
    """

    def __init__(self, query_size, key_size=None, score="general", hidden_size=None):
        super().__init__()
        self.query_size = _check_size("query_size", query_size)
        self.key_size = _check_size(
            "key_size", query_size if key_size is None else key_size
        )
        if score not in _LUONG_SCORES:
            raise ValueError(f"score must be one of {_LUONG_SCORES}; got {score!r}.")
        self.score = score
        self.hidden_size = None
        self.weight = self.v = None
        if score == "dot" and self.key_size != self.query_size:
            raise ValueError(
                "score='dot' needs query_size == key_size; got "
                f"query_size={self.query_size}, key_size={self.key_size}. "
                "Use score='general' to learn a projection."
            )
        if score == "general":
            self.weight = nn.Linear(self.key_size, self.query_size, bias=False)
        elif score == "concat":
            self.hidden_size = _check_size(
                "hidden_size", query_size if hidden_size is None else hidden_size
            )
            self.weight = nn.Linear(self.query_size + self.key_size, self.hidden_size)
            self.v = nn.Linear(self.hidden_size, 1, bias=False)

    def extra_repr(self):
        return (
            f"query_size={self.query_size}, key_size={self.key_size}, "
            f"score={self.score!r}"
        )

    def _score(self, query, keys):
        if self.score == "dot":
            return torch.bmm(query, keys.transpose(1, 2))
        if self.score == "general":
            return torch.bmm(query, self.weight(keys).transpose(1, 2))
        # W [q; k] = W_q q + W_k k + b: split W instead of building every pair.
        w_q = self.weight.weight[:, : self.query_size]
        w_k = self.weight.weight[:, self.query_size :]
        hidden = F.linear(query, w_q).unsqueeze(2) + F.linear(
            keys, w_k, self.weight.bias
        ).unsqueeze(1)
        return self.v(torch.tanh(hidden)).squeeze(-1)


class ScaledDotProductAttention(_Attention):
    """Scaled dot-product attention: ``score(q, k) = q^T k * scale``.

    Parameters
    ----------
    scale : float, default=None
        Factor applied to the dot products; ``1 / sqrt(d)`` when None, with
        ``d`` the feature size of the query and keys (which must agree).

    Notes
    -----
    Equals :func:`torch.nn.functional.scaled_dot_product_attention` with a
    boolean ``attn_mask`` and no dropout, but also returns the weights. The
    layer has no parameters: the query, key and value projections of
    multi-head attention live in :class:`torch.nn.MultiheadAttention`.

    References
    ----------
    Vaswani et al. (2017), "Attention Is All You Need".

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.attention import ScaledDotProductAttention
    >>> attn = ScaledDotProductAttention()
    >>> q, k, v = torch.randn(2, 3, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 7)
    >>> context, weights = attn(q, k, v)
    >>> context.shape, weights.shape
    (torch.Size([2, 3, 7]), torch.Size([2, 3, 5]))
    """

    def __init__(self, scale=None):
        super().__init__()
        if scale is not None and not (isinstance(scale, int | float) and scale > 0):
            raise ValueError(f"scale must be a positive float or None; got {scale!r}.")
        self.scale = scale

    def extra_repr(self):
        return f"scale={self.scale}"

    def _score(self, query, keys):
        if query.shape[-1] != keys.shape[-1]:
            raise ValueError(
                "ScaledDotProductAttention: query and keys must have the same number "
                f"of features; got query shape {_shape(query)} and keys shape "
                f"{_shape(keys)}."
            )
        scale = 1.0 / math.sqrt(keys.shape[-1]) if self.scale is None else self.scale
        return torch.bmm(query, keys.transpose(1, 2)) * scale


class AttentionPooling(nn.Module):
    """Attention pooling over time with a learned query vector.

    Each step ``h_t`` is scored additively against a learned context vector
    ``u``: ``score_t = u^T tanh(W h_t + b)``; the masked softmax of the scores
    weights the average of the steps (Yang et al., 2016).

    Parameters
    ----------
    input_size : int
        Features ``D`` of each step (e.g. the encoder's ``output_size``).
    hidden_size : int, default=None
        Size of ``W h_t + b`` and of ``u``; ``input_size`` when None.

    Attributes
    ----------
    proj : torch.nn.Linear
        ``W`` and ``b``.
    query : torch.nn.Parameter of shape (hidden_size,)
        The learned context vector ``u``.
    output_size : int
        Features of the pooled output, ``input_size``.

    References
    ----------
    Yang et al. (2016), "Hierarchical Attention Networks for Document
    Classification".

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.attention import AttentionPooling
    >>> pool = AttentionPooling(6, hidden_size=4)
    >>> x = torch.randn(2, 5, 6)
    >>> mask = torch.tensor([[True] * 5, [True, True, False, False, False]])
    >>> pooled, weights = pool(x, mask)
    >>> pooled.shape, weights.shape
    (torch.Size([2, 6]), torch.Size([2, 5]))
    >>> weights[1, 2:].tolist()
    [0.0, 0.0, 0.0]
    """

    def __init__(self, input_size, hidden_size=None):
        super().__init__()
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size(
            "hidden_size", input_size if hidden_size is None else hidden_size
        )
        self.output_size = self.input_size
        self.proj = nn.Linear(self.input_size, self.hidden_size)
        self.query = nn.Parameter(torch.empty(self.hidden_size))
        self.reset_parameters()

    def reset_parameters(self):
        """Re-initialise ``proj`` (torch's default) and ``query`` (uniform)."""
        self.proj.reset_parameters()
        bound = 1.0 / math.sqrt(self.hidden_size)
        nn.init.uniform_(self.query, -bound, bound)

    def forward(self, x, mask=None):
        """Pool ``x`` over time.

        Parameters
        ----------
        x : torch.Tensor of shape (batch, time, input_size)
            Step features, e.g. encoder outputs.
        mask : torch.BoolTensor of shape (batch, time), default=None
            True on real steps; None means every step is real.

        Returns
        -------
        pooled : torch.Tensor of shape (batch, input_size)
            Weighted average of the real steps.
        weights : torch.Tensor of shape (batch, time)
            Sum to 1 over real steps, 0 on padding (all 0, and a zero
            ``pooled`` row, for a row with no real step).
        """
        if not torch.is_tensor(x) or x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(
                f"AttentionPooling: x must be a tensor of shape (batch, time, "
                f"input_size={self.input_size}); got shape {_shape(x)}."
            )
        if mask is not None:
            if not torch.is_tensor(mask) or mask.shape != x.shape[:2]:
                raise ValueError(
                    "AttentionPooling: mask must be a bool tensor of shape "
                    f"(batch, time) = {tuple(x.shape[:2])}; got shape {_shape(mask)}."
                )
            if mask.dtype != torch.bool:
                raise TypeError(
                    f"AttentionPooling: mask must be a bool tensor (True = real); "
                    f"got dtype {mask.dtype}."
                )
        scores = torch.tanh(self.proj(x)) @ self.query  # (B, T)
        weights = masked_softmax(scores, mask)
        pooled = torch.bmm(weights.unsqueeze(1), x).squeeze(1)
        return pooled, weights
