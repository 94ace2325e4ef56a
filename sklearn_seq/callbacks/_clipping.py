# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Gradient clipping by value, the sibling of skorch's ``GradientNormClipping``."""

import torch
from skorch.callbacks import Callback

__all__ = ["GradientValueClipping"]


class GradientValueClipping(Callback):
    """Clip every gradient element to ``[-gradient_clip_value, gradient_clip_value]``.

    Runs :func:`torch.nn.utils.clip_grad_value_` on the learnable parameters
    after each backward pass, before the optimizer step (skorch's
    ``on_grad_computed``), as skorch's
    :class:`~skorch.callbacks.GradientNormClipping` does with the norm. The
    estimators add it for ``max_grad_value``. Unlike norm clipping it changes
    the direction of the gradient; it bounds each element, whatever the
    number of parameters.

    Parameters
    ----------
    gradient_clip_value : float, default=None
        Largest absolute value kept; None disables clipping.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.callbacks import GradientValueClipping
    >>> w = torch.nn.Parameter(torch.zeros(3))
    >>> w.grad = torch.tensor([-5.0, 0.1, 2.0])
    >>> GradientValueClipping(0.5).on_grad_computed(None, [("w", w)])
    >>> w.grad.tolist()
    [-0.5, 0.10000000149011612, 0.5]
    """

    def __init__(self, gradient_clip_value=None):
        self.gradient_clip_value = gradient_clip_value

    def on_grad_computed(self, net, named_parameters, **kwargs):
        if self.gradient_clip_value is None:
            return
        torch.nn.utils.clip_grad_value_(
            (p for _, p in named_parameters), self.gradient_clip_value
        )
