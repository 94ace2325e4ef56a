# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Focal loss (Lin et al., 2017) on logits, binary and multiclass."""

import numbers
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from sklearn_seq.losses._base import (
    _check_real,
    _check_reduction,
    _is_real,
    _ParamsMixin,
    _reduce,
)
from sklearn_seq.utils import IGNORE_INDEX
from sklearn_seq.utils._param_validation import InvalidParameterError

__all__ = ["FocalLoss"]


class FocalLoss(_ParamsMixin, nn.Module):
    r"""Focal loss on logits, for binary and multiclass targets.

    Down-weights well-classified examples so that training concentrates on the
    hard ones:

    .. math::

        FL = -w_t \, \alpha_t \, (1 - p_t)^\gamma \log p_t

    where :math:`p_t` is the predicted probability of the true class,
    :math:`\alpha_t` the ``alpha`` of the true class and :math:`w_t` its
    ``weight``. With ``gamma=0`` and ``alpha=None`` this is
    :class:`torch.nn.CrossEntropyLoss` (multiclass) or
    :class:`torch.nn.BCEWithLogitsLoss` (binary). Everything is computed from
    log-probabilities, so logits of any magnitude give finite values and
    gradients.

    The task is read from the shapes:

    - **binary**: ``input`` and ``target`` have the same shape (for example
      ``(N,)``, or ``(N, T)`` per timestep), or ``input`` has one extra axis of
      size 1 at position 1 (``(N, 1)`` with target ``(N,)``). ``input`` holds one
      logit per element, ``target`` holds 0/1 (float; values in between are soft
      labels, as in :class:`torch.nn.BCEWithLogitsLoss`). A binary logit ``x``
      gives the same loss as the two-class logits ``(0, x)``.
    - **multiclass**: ``input`` is ``(N, K)`` or ``(N, K, d1, ...)`` with
      ``K >= 2`` and ``target`` holds integer class indices of shape ``(N,)`` or
      ``(N, d1, ...)``, as for :class:`torch.nn.CrossEntropyLoss` (sequence
      tagging uses ``(N, K, T)`` logits with ``(N, T)`` targets).

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter :math:`\gamma \ge 0`. Larger values down-weight easy
        examples more; 0 gives cross-entropy.

    alpha : float, sequence of float or None, default=None
        Class-balance factor :math:`\alpha_t`. For binary targets (one logit,
        or two logits) a float in [0, 1] weights the positive class (1) by
        ``alpha`` and the negative class (0) by ``1 - alpha`` (RetinaNet used
        ``alpha=0.25`` with ``gamma=2``); a sequence gives one factor per class
        (length 2 for binary, ``K`` for multiclass). None applies no factor.
        Unlike ``weight``, ``alpha`` does not enter the normalisation of
        ``reduction="mean"``.

    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns one loss per target element (0 where the target is
        ignored); ``"sum"`` sums them; ``"mean"`` divides the sum by the number
        of non-ignored targets, or by the sum of their ``weight`` when
        ``weight`` is given, as :class:`torch.nn.CrossEntropyLoss` does. When
        every target is ignored, ``"mean"`` returns 0 (torch returns NaN).

    ignore_index : int, default=-100
        Target value that contributes neither to the loss nor to the
        normalisation (padding of per-step targets).

    weight : tensor of shape (n_classes,) or None, default=None
        Rescaling weight of each class (length 2 for binary targets), for
        example from ``class_weight="balanced"``. A tensor is kept as a
        registered buffer, so ``.to(device)`` moves it and ``state_dict`` saves
        it; it may also be assigned after construction (``loss.weight = w``).

    See Also
    --------
    torch.nn.CrossEntropyLoss : The ``gamma=0`` multiclass case.
    torch.nn.BCEWithLogitsLoss : The ``gamma=0`` binary case.

    Notes
    -----
    Parameters are validated when the loss is first called, not in the
    constructor, so that :func:`sklearn.base.clone` and ``set_params`` never
    raise. ``set_params`` and attribute assignment take effect on the next
    call.

    References
    ----------
    .. [1] T.-Y. Lin, P. Goyal, R. Girshick, K. He and P. Dollár, "Focal Loss
       for Dense Object Detection", ICCV 2017.

    Examples
    --------
    The worked example of the notes: an easy (:math:`p_t = 0.9`) and a hard
    (:math:`p_t = 0.5`) positive with :math:`\gamma = 2`.

    >>> import torch
    >>> from sklearn_seq.losses import FocalLoss
    >>> logits = torch.logit(torch.tensor([0.9, 0.5]))
    >>> target = torch.tensor([1.0, 1.0])
    >>> FocalLoss(gamma=2.0, reduction="none")(logits, target)
    tensor([0.0011, 0.1733])
    >>> FocalLoss(gamma=0.0, reduction="none")(logits, target)
    tensor([0.1054, 0.6931])

    Multiclass logits with class weights and an ignored target:

    >>> loss = FocalLoss(gamma=2.0, weight=torch.tensor([1.0, 2.0, 0.5]))
    >>> logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.0, 1.0, 1.0]])
    >>> loss(logits, torch.tensor([0, 1, -100]))
    tensor(1.7...)
    >>> loss
    FocalLoss(weight=tensor([1.0000, 2.0000, 0.5000]))
    """

    _tensor_params = ("weight",)

    def __init__(
        self,
        gamma=2.0,
        alpha=None,
        reduction="mean",
        ignore_index=IGNORE_INDEX,
        weight=None,
    ):
        super().__init__()
        self.gamma = gamma
        self.alpha = alpha
        self.reduction = reduction
        self.ignore_index = ignore_index
        self.weight = weight

    def _validate(self):
        _check_real(self, "gamma", self.gamma, low=0.0)
        _check_reduction(self)
        if not isinstance(self.ignore_index, numbers.Integral) or isinstance(
            self.ignore_index, bool
        ):
            raise InvalidParameterError(
                "The 'ignore_index' parameter of FocalLoss must be an int. "
                f"Got {self.ignore_index!r} instead."
            )

    def _class_vector(self, name, value, n_classes, binary, like):
        """Return ``value`` as a float tensor of shape ``(n_classes,)``."""
        if value is None:
            return None
        if _is_real(value):
            if name == "alpha" and n_classes == 2:
                _check_real(self, "alpha", value, low=0.0, high=1.0)
                return torch.tensor(
                    [1.0 - value, value], dtype=like.dtype, device=like.device
                )
            raise InvalidParameterError(
                f"The {name!r} parameter of FocalLoss must be a sequence of "
                f"{n_classes} non-negative floats (one per class) for more than "
                f"two classes. Got the scalar {value!r} instead."
            )
        if not isinstance(value, torch.Tensor | np.ndarray | Sequence) or isinstance(
            value, str
        ):
            raise InvalidParameterError(
                f"The {name!r} parameter of FocalLoss must be None or a sequence "
                f"of floats, one per class. Got {value!r} instead."
            )
        vector = torch.as_tensor(value, dtype=like.dtype, device=like.device)
        if vector.shape != (n_classes,):
            raise InvalidParameterError(
                f"The {name!r} parameter of FocalLoss must have one entry per "
                f"class: expected shape ({n_classes},) for "
                f"{'binary' if binary else 'multiclass'} targets, got "
                f"{tuple(vector.shape)}."
            )
        if not bool(torch.all(torch.isfinite(vector) & (vector >= 0))):
            raise InvalidParameterError(
                f"The {name!r} parameter of FocalLoss must hold finite, "
                f"non-negative values. Got {value!r}."
            )
        return vector

    def forward(self, input, target):
        """Compute the focal loss.

        Parameters
        ----------
        input : tensor
            Logits: ``(N,)``, ``(N, 1)`` or the shape of ``target`` for binary
            targets; ``(N, K)`` or ``(N, K, d1, ...)`` for multiclass targets.

        target : tensor
            0/1 labels (float) for binary targets; integer class indices of
            shape ``(N,)`` or ``(N, d1, ...)`` for multiclass targets. Elements
            equal to ``ignore_index`` are skipped.

        Returns
        -------
        loss : tensor
            A scalar, or a tensor of the target's shape for
            ``reduction="none"``.
        """
        self._validate()
        if input.ndim == 0:
            raise ValueError("FocalLoss expects at least a batch axis; got a scalar.")
        squeezable = (
            input.ndim == target.ndim + 1
            and input.shape[1] == 1
            and input.shape[:1] + input.shape[2:] == target.shape
        )
        if input.shape == target.shape or squeezable:
            if squeezable:
                input = input.squeeze(1)
            return self._binary(input, target)
        if (
            input.ndim != target.ndim + 1
            or input.shape[:1] + input.shape[2:] != target.shape
        ):
            raise ValueError(
                "FocalLoss expects logits and targets of the same shape (binary) "
                "or logits (N, K, ...) with targets (N, ...) (multiclass). Got "
                f"input {tuple(input.shape)} and target {tuple(target.shape)}."
            )
        if target.is_floating_point() or target.dtype == torch.bool:
            raise ValueError(
                "FocalLoss with multiclass logits (N, K, ...) expects integer "
                f"class indices as target; got dtype {target.dtype}."
            )
        return self._multiclass(input, target)

    def _binary(self, input, target):
        target = target.to(input.dtype)
        valid = target != self.ignore_index
        y = torch.where(valid, target, torch.zeros_like(target))
        if bool(torch.any((y < 0) | (y > 1))):
            raise ValueError(
                "FocalLoss with binary logits expects targets in [0, 1] "
                f"(or ignore_index={self.ignore_index})."
            )
        # -log p_t and 1 - p_t, both from log-space / bounded quantities
        ce = -(y * F.logsigmoid(input) + (1 - y) * F.logsigmoid(-input))
        one_minus_pt = y * torch.sigmoid(-input) + (1 - y) * torch.sigmoid(input)
        alpha = self._class_vector("alpha", self.alpha, 2, True, input)
        weight = self._class_vector("weight", self.weight, 2, True, input)
        alpha_t = None if alpha is None else alpha[0] + (alpha[1] - alpha[0]) * y
        weight_t = None if weight is None else weight[0] + (weight[1] - weight[0]) * y
        return self._finish(ce, one_minus_pt, alpha_t, weight_t, valid)

    def _multiclass(self, input, target):
        n_classes = input.shape[1]
        valid = target != self.ignore_index
        t = torch.where(valid, target, torch.zeros_like(target))
        if bool(torch.any((t < 0) | (t >= n_classes))):
            raise ValueError(
                f"FocalLoss got target class indices outside [0, {n_classes}) "
                f"(other than ignore_index={self.ignore_index})."
            )
        log_pt = F.log_softmax(input, dim=1).gather(1, t.unsqueeze(1)).squeeze(1)
        ce = -log_pt
        one_minus_pt = -torch.expm1(log_pt)
        alpha = self._class_vector("alpha", self.alpha, n_classes, False, input)
        weight = self._class_vector("weight", self.weight, n_classes, False, input)
        alpha_t = None if alpha is None else alpha[t]
        weight_t = None if weight is None else weight[t]
        return self._finish(ce, one_minus_pt, alpha_t, weight_t, valid)

    def _finish(self, ce, one_minus_pt, alpha_t, weight_t, valid):
        loss = ce
        if self.gamma != 0:
            # clamping keeps d/dx x**gamma finite at x = 0 for gamma < 1
            tiny = torch.finfo(ce.dtype).tiny
            loss = one_minus_pt.clamp_min(tiny).pow(float(self.gamma)) * loss
        if alpha_t is not None:
            loss = alpha_t * loss
        if weight_t is not None:
            loss = weight_t * loss
        loss = torch.where(valid, loss, torch.zeros_like(loss))
        if weight_t is not None:
            denominator = torch.where(valid, weight_t, torch.zeros_like(weight_t)).sum()
        else:
            denominator = valid.sum().to(loss.dtype)
        return _reduce(loss, self.reduction, denominator)
