# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""L1 / L2 / elastic-net penalty on a model's weights around any criterion."""

import torch
from torch import nn

from sklearn_seq.losses._base import _check_real, _ParamsMixin
from sklearn_seq.utils._param_validation import InvalidParameterError

__all__ = ["RegularizedLoss"]


class RegularizedLoss(_ParamsMixin, nn.Module):
    r"""Add an L1 / L2 (elastic-net) penalty on the model's weights to a loss.

    .. math::

        L = L_\text{data} + \lambda_1 \sum_j |\theta_j|
            + \lambda_2 \sum_j \theta_j^2

    where :math:`\theta` runs over the weights of the module given to
    :meth:`set_module`: every trainable parameter except biases (parameters
    whose own name starts with ``"bias"``, such as ``bias`` or an LSTM's
    ``bias_ih_l0``). Normalisation scales (``LayerNorm.weight``) and embedding
    tables are weights and are penalised.

    The estimator calls :meth:`set_module` after building the network. The
    module is referenced, not registered: its parameters do not appear in this
    criterion's ``parameters()`` or ``state_dict``, so the optimizer does not see
    them twice. The reference is dropped when the criterion is pickled or
    copied; call :meth:`set_module` again afterwards.

    Parameters
    ----------
    criterion : torch.nn.Module or callable
        The data term, called with the arguments given to this loss, e.g.
        ``nn.CrossEntropyLoss()`` or ``FocalLoss(gamma=2.0)``. Its parameters
        are reachable as ``criterion__<name>``.

    l1 : float, default=0.0
        :math:`\lambda_1`, strength of the L1 penalty (sparsity).

    l2 : float, default=0.0
        :math:`\lambda_2`, strength of the squared L2 penalty. For plain SGD,
        ``l2`` acts as ``optimizer__weight_decay = 2 * l2`` restricted to the
        weights; with Adam the two differ (decoupled decay, AdamW, is usually
        preferable to an L2 term there).

    Attributes
    ----------
    penalty_ : float
        The penalty added in the last call.

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklearn_seq.losses import RegularizedLoss
    >>> model = nn.Linear(2, 1)
    >>> with torch.no_grad():
    ...     _ = model.weight.copy_(torch.tensor([[1.0, -2.0]]))
    ...     _ = model.bias.fill_(5.0)
    >>> loss = RegularizedLoss(nn.MSELoss(), l1=0.1, l2=0.01).set_module(model)
    >>> loss(torch.zeros(3), torch.zeros(3))  # 0.1 * 3 + 0.01 * 5, bias skipped
    tensor(0.3500, grad_fn=<AddBackward0>)
    >>> list(loss.parameters())
    []
    >>> loss.set_params(criterion=nn.L1Loss(), l1=0.0)
    RegularizedLoss(
      l2=0.01
      (criterion): L1Loss()
    )
    """

    def __init__(self, criterion, l1=0.0, l2=0.0):
        super().__init__()
        self.criterion = criterion
        self.l1 = l1
        self.l2 = l2

    def set_module(self, module):
        """Set the model whose weights are penalised.

        Parameters
        ----------
        module : torch.nn.Module
            The network being trained. Referenced, not registered.

        Returns
        -------
        self : RegularizedLoss
            This criterion.
        """
        if not isinstance(module, nn.Module):
            raise TypeError(
                "RegularizedLoss.set_module expects a torch.nn.Module; got "
                f"{type(module).__name__}."
            )
        # bypass nn.Module.__setattr__, which would register it as a submodule
        self.__dict__["_module"] = module
        return self

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_module", None)
        return state

    def penalized_parameters(self):
        """List the parameters the penalty applies to.

        Returns
        -------
        params : list of (str, torch.nn.Parameter)
            Name and parameter of each trainable weight of the module.
        """
        module = self.__dict__.get("_module")
        if module is None:
            raise RuntimeError(
                "RegularizedLoss has no module to regularise: call "
                "set_module(module) with the network before computing the loss "
                "(sklearn_seq estimators do this when they build the network)."
            )
        return [
            (name, param)
            for name, param in module.named_parameters()
            if param.requires_grad and not name.rsplit(".", 1)[-1].startswith("bias")
        ]

    def penalty(self):
        """Compute the weight penalty.

        Returns
        -------
        penalty : tensor
            Scalar :math:`\\lambda_1 \\sum |\\theta| + \\lambda_2 \\sum
            \\theta^2`.
        """
        self._validate()
        params = [param for _, param in self.penalized_parameters()]
        if not params:
            return torch.zeros(())
        total = params[0].new_zeros(())
        for param in params:
            if self.l1:
                total = total + self.l1 * param.abs().sum()
            if self.l2:
                total = total + self.l2 * param.pow(2).sum()
        return total

    def _validate(self):
        _check_real(self, "l1", self.l1, low=0.0)
        _check_real(self, "l2", self.l2, low=0.0)
        if isinstance(self.criterion, type) or not callable(self.criterion):
            raise InvalidParameterError(
                "The 'criterion' parameter of RegularizedLoss must be a criterion "
                f"instance (a callable). Got {self.criterion!r}; pass e.g. "
                "nn.CrossEntropyLoss() rather than nn.CrossEntropyLoss."
            )

    def forward(self, *args, **kwargs):
        """Compute the wrapped loss plus the penalty.

        Parameters
        ----------
        *args : tensors
            Passed to ``criterion``, typically ``(input, target)``.

        **kwargs : dict
            Passed to ``criterion``.

        Returns
        -------
        loss : tensor
            The wrapped criterion's loss plus :meth:`penalty`.
        """
        self._validate()
        penalty = self.penalty()
        data = self.criterion(*args, **kwargs)
        self.penalty_ = float(penalty.detach())
        return data + penalty
