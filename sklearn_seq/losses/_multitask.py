# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Weighted sum of several criteria, with optional learned uncertainty weights."""

import math
from collections.abc import Mapping

import torch
from torch import nn

from sklearn_seq.losses._base import _is_real, _ParamsMixin
from sklearn_seq.utils._param_validation import InvalidParameterError

__all__ = ["MultiTaskLoss"]


class MultiTaskLoss(_ParamsMixin, nn.Module):
    r"""Combine one criterion per task into a single loss.

    With fixed weights :math:`\lambda_i` the loss is

    .. math::

        L = \sum_i \lambda_i L_i .

    With ``learn_weights=True`` each task gets a learned log-variance
    :math:`s_i = \log \sigma_i^2` (homoscedastic uncertainty weighting, Kendall
    et al., 2018):

    .. math::

        L = \sum_i \left( e^{-s_i} \lambda_i L_i + s_i \right),

    which is twice Kendall et al.'s :math:`\sum_i L_i / (2 \sigma_i^2) + \log
    \sigma_i` (the same minimiser). At the start (:math:`s_i = 0`) it equals
    the fixed-weight sum; during training a task with a large loss gets a small
    weight, and the total may become negative. The :math:`s_i` are
    :class:`torch.nn.Parameter` of this criterion, so skorch adds them to the
    optimizer.

    Parameters
    ----------
    losses : dict of str to callable, or list of callable
        One criterion per task, called as ``criterion(output, target)``.
        Criteria that are :class:`torch.nn.Module` are registered as
        submodules (``.to(device)`` moves their buffers). With a dict, outputs
        and targets are dicts with the same keys; with a list, they are
        sequences in the same order.

    weights : dict of str to float, sequence of float or None, default=None
        Fixed weight :math:`\lambda_i` of each task (all 1 when None), keyed
        or ordered like ``losses``.

    learn_weights : bool, default=False
        Learn the uncertainty weights :math:`s_i` as described above.

    Attributes
    ----------
    log_vars : torch.nn.Parameter of shape (n_tasks,) or None
        Learned log-variances :math:`s_i`, in the order of ``losses``; None
        unless ``learn_weights=True``. Reset when ``losses`` or
        ``learn_weights`` change size or value.

    task_losses_ : dict
        The unweighted loss :math:`L_i` of each task in the last call (floats,
        keyed like ``losses``, or by position for a list).

    References
    ----------
    .. [1] A. Kendall, Y. Gal and R. Cipolla, "Multi-Task Learning Using
       Uncertainty to Weigh Losses for Scene Geometry and Semantics", CVPR 2018.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklearn_seq.losses import MultiTaskLoss
    >>> loss = MultiTaskLoss(
    ...     {"label": nn.CrossEntropyLoss(), "value": nn.MSELoss()},
    ...     weights={"label": 1.0, "value": 0.5},
    ... )
    >>> outputs = {"label": torch.tensor([[2.0, 0.0]]), "value": torch.tensor([1.0])}
    >>> targets = {"label": torch.tensor([0]), "value": torch.tensor([3.0])}
    >>> loss(outputs, targets)
    tensor(2.1269)
    >>> loss.task_losses_
    {'label': 0.126..., 'value': 4.0}
    >>> learned = MultiTaskLoss([nn.MSELoss(), nn.L1Loss()], learn_weights=True)
    >>> [name for name, _ in learned.named_parameters()]
    ['log_vars']
    """

    def __init__(self, losses, weights=None, learn_weights=False):
        super().__init__()
        self.losses = losses
        self.weights = weights
        self.learn_weights = learn_weights

    def __setattr__(self, name, value):
        super().__setattr__(name, value)
        if name in ("losses", "learn_weights"):
            self._sync()

    def _sync(self):
        """Register the task criteria and (re)create ``log_vars``."""
        losses = self.__dict__.get("losses")
        criteria = []
        if isinstance(losses, Mapping):
            criteria = list(losses.values())
        elif isinstance(losses, list | tuple):
            criteria = list(losses)
        # the criteria are kept in a ModuleList so that .to(), state_dict and
        # parameters() reach them; ``losses`` itself stays the object passed
        super().__setattr__(
            "_criteria", nn.ModuleList(c for c in criteria if isinstance(c, nn.Module))
        )
        learn = self.__dict__.get("learn_weights", False)
        current = self._parameters.get("log_vars")
        if learn is True and criteria:
            if current is None or current.numel() != len(criteria):
                self.log_vars = nn.Parameter(torch.zeros(len(criteria)))
        elif current is not None or "log_vars" not in self._parameters:
            self.register_parameter("log_vars", None)

    def _tasks(self):
        """Return ``(keys, criteria)`` after validating ``losses``."""
        losses = self.losses
        if isinstance(losses, Mapping):
            keys, criteria = list(losses.keys()), list(losses.values())
        elif isinstance(losses, list | tuple):
            keys, criteria = list(range(len(losses))), list(losses)
        else:
            raise InvalidParameterError(
                "The 'losses' parameter of MultiTaskLoss must be a dict of task "
                f"name to criterion or a list of criteria. Got {losses!r} instead."
            )
        if not criteria:
            raise InvalidParameterError(
                "The 'losses' parameter of MultiTaskLoss must hold at least one "
                "criterion."
            )
        for key, criterion in zip(keys, criteria):
            if isinstance(criterion, type) or not callable(criterion):
                raise InvalidParameterError(
                    "The 'losses' parameter of MultiTaskLoss must hold criterion "
                    f"instances (callables); task {key!r} got {criterion!r}. Pass "
                    "an instance, e.g. nn.MSELoss() rather than nn.MSELoss."
                )
        if not isinstance(self.learn_weights, bool):
            raise InvalidParameterError(
                "The 'learn_weights' parameter of MultiTaskLoss must be a bool. "
                f"Got {self.learn_weights!r} instead."
            )
        return keys, criteria

    def _weights(self, keys):
        weights = self.weights
        if weights is None:
            return [1.0] * len(keys)
        if isinstance(weights, Mapping):
            if not isinstance(self.losses, Mapping) or set(weights) != set(keys):
                raise InvalidParameterError(
                    "The 'weights' parameter of MultiTaskLoss given as a dict must "
                    f"have the task names of 'losses' as keys: {keys!r}. Got "
                    f"{sorted(weights, key=str)!r}."
                )
            values = [weights[key] for key in keys]
        else:
            values = list(weights)
            if len(values) != len(keys):
                raise InvalidParameterError(
                    "The 'weights' parameter of MultiTaskLoss must have one entry "
                    f"per task ({len(keys)}); got {len(values)}."
                )
        for value in values:
            if not _is_real(value) or not math.isfinite(value) or value < 0:
                raise InvalidParameterError(
                    "The 'weights' parameter of MultiTaskLoss must hold finite, "
                    f"non-negative floats. Got {weights!r}."
                )
        return values

    def forward(self, outputs, targets):
        """Compute the combined loss.

        Parameters
        ----------
        outputs : dict or sequence
            The model output of each task, keyed (or ordered) like ``losses``.

        targets : dict or sequence
            The target of each task, keyed (or ordered) like ``losses``.

        Returns
        -------
        loss : tensor
            Scalar.
        """
        keys, criteria = self._tasks()
        weights = self._weights(keys)
        task_losses = []
        for key, criterion in zip(keys, criteria):
            try:
                output, target = outputs[key], targets[key]
            except (KeyError, IndexError, TypeError):
                raise KeyError(
                    f"MultiTaskLoss has a criterion for task {key!r} but the "
                    f"outputs or targets have no entry {key!r}. Outputs and targets "
                    "must be keyed (or ordered) like 'losses'."
                ) from None
            task_losses.append(criterion(output, target).reshape(()))
        stacked = torch.stack(task_losses)
        weight = torch.tensor(weights, dtype=stacked.dtype, device=stacked.device)
        if self.learn_weights:
            log_vars = self.log_vars
            if log_vars is None or log_vars.numel() != len(keys):
                raise RuntimeError(
                    "MultiTaskLoss.log_vars is out of sync with 'losses'; set "
                    "'losses' with set_params or by assignment."
                )
            log_vars = log_vars.to(stacked.dtype)
            total = (torch.exp(-log_vars) * weight * stacked + log_vars).sum()
        else:
            total = (weight * stacked).sum()
        self.task_losses_ = dict(zip(keys, stacked.detach().tolist()))
        return total

    def extra_repr(self):
        """Show the task names and the non-default parameters.

        Returns
        -------
        text : str
            ``name=value`` pairs, comma-separated.
        """
        losses = self.losses
        if isinstance(losses, Mapping):
            parts = [f"tasks={list(losses)!r}"]
        else:
            n_tasks = len(losses) if isinstance(losses, list | tuple) else 0
            parts = [f"n_tasks={n_tasks}"]
        if self.weights is not None:
            parts.append(f"weights={self.weights!r}")
        if self.learn_weights is not False:
            parts.append(f"learn_weights={self.learn_weights!r}")
        return ", ".join(parts)
