# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Knowledge distillation (Hinton et al., 2015): a student learns a teacher's
tempered class probabilities as well as the hard labels."""

import copy
import math

import torch
import torch.nn.functional as F
from sklearn.base import clone
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

__all__ = ["DistillationLoss"]


class DistillationLoss(_ParamsMixin, nn.Module):
    r"""Distill a fitted teacher estimator into the network being trained.

    The student's loss mixes the Kullback-Leibler divergence from the
    teacher's tempered class probabilities with the usual hard-label loss:

    .. math::

        L = \alpha \, T^2 \, \mathrm{KL}\big(\mathrm{softmax}(z_t / T) \,\|\,
            \mathrm{softmax}(z_s / T)\big) + (1 - \alpha) \, L_{hard}(z_s, y)

    where :math:`z_t` and :math:`z_s` are the teacher's and the student's
    logits, :math:`T` the ``temperature`` and :math:`L_{hard}` the
    ``criterion`` (cross-entropy by default). The factor :math:`T^2` keeps
    the size of the soft-target gradients independent of :math:`T`, as in
    [1]_.

    Targets stay the class labels: give the loss to an estimator as
    ``SequenceClassifier(criterion=DistillationLoss(teacher=big_clf))`` and
    fit with ``fit(X, y)``. The loss declares ``needs_inputs = True``, so the
    estimator hands it each batch's inputs and the loss runs the teacher's
    network on them (in eval mode, without gradients). The teacher must have
    been fitted on the same kind of input and the same classes as the
    student (its ``classes_`` order is the student's: both sort the labels).

    Parameters
    ----------
    teacher : fitted estimator or None, default=None
        A fitted sklearn_seq estimator (or a
        :class:`sklearn.frozen.FrozenEstimator` around one) whose network
        emits one logit per class. It is never refitted nor cloned:
        :func:`sklearn.base.clone` of the loss (and so of a student estimator
        in :class:`~sklearn.model_selection.GridSearchCV`) keeps a reference
        to the same fitted teacher. None requires ``teacher_logits`` in every
        call.
    temperature : float, default=2.0
        Softmax temperature :math:`T > 0` of both networks' soft
        probabilities. Larger values expose more of the teacher's ranking of
        the wrong classes.
    alpha : float, default=0.5
        Weight in [0, 1] of the soft (teacher) term; ``1 - alpha`` weighs the
        hard-label term. ``alpha=0`` is plain ``criterion`` training.
    criterion : torch.nn.Module or None, default=None
        Hard-label loss on the student's logits; None is
        :class:`torch.nn.CrossEntropyLoss`. Its ``reduction`` is set to this
        loss's ``reduction`` for each call.
    reduction : {"mean", "sum", "none"}, default="mean"
        ``"none"`` returns one loss per sample (per step for per-step
        targets); ``"mean"`` averages the soft term over the non-ignored
        targets and takes ``criterion``'s own mean.

    See Also
    --------
    torch.nn.KLDivLoss : The soft term, without temperature.

    Notes
    -----
    A student estimator trained this way keeps the loss, and so a reference
    to the teacher, in ``net_.criterion_``: pickling the student pickles the
    teacher too. Set ``student.net_.criterion_.teacher = None`` before saving
    when only predictions are needed. ``class_weight`` is not forwarded; pass
    ``criterion=torch.nn.CrossEntropyLoss(weight=...)`` instead. Parameters
    are validated at the first call.

    References
    ----------
    .. [1] G. Hinton, O. Vinyals and J. Dean, "Distilling the Knowledge in a
       Neural Network", NIPS Deep Learning Workshop, 2015.

    Examples
    --------
    The loss on given teacher logits: ``alpha=0`` is cross-entropy.

    >>> import torch
    >>> from sklearn_seq.losses import DistillationLoss
    >>> student = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    >>> teacher = torch.tensor([[3.0, 1.0, -2.0], [0.0, 2.0, 1.0]])
    >>> y = torch.tensor([0, 1])
    >>> DistillationLoss(alpha=0.0)(student, y, teacher_logits=teacher)
    tensor(0.3606)
    >>> torch.nn.functional.cross_entropy(student, y)
    tensor(0.3606)

    ``alpha=1`` keeps only the soft term, which vanishes when the student
    matches the teacher:

    >>> DistillationLoss(alpha=1.0, temperature=2.0)(
    ...     student, y, teacher_logits=teacher)
    tensor(0.1143)
    >>> DistillationLoss(alpha=1.0)(teacher, y, teacher_logits=teacher)
    tensor(0.)

    Distilling a fitted teacher into a smaller student estimator:

    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 8, 1)).astype("float32")
    >>> y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    >>> big = SequenceClassifier(hidden_size=32, max_epochs=5, random_state=0)
    >>> big = big.fit(X, y)
    >>> small = SequenceClassifier(
    ...     hidden_size=4, max_epochs=5, random_state=0,
    ...     criterion=DistillationLoss(teacher=big, temperature=2.0, alpha=0.7))
    >>> small.fit(X, y).predict(X[:3]).shape
    (3,)
    """

    #: the estimator passes the batch inputs as ``X=`` (see ``_SeqNet.get_loss``)
    needs_inputs = True

    def __init__(
        self,
        teacher=None,
        temperature=2.0,
        alpha=0.5,
        criterion=None,
        reduction="mean",
    ):
        super().__init__()
        self.teacher = teacher
        self.temperature = temperature
        self.alpha = alpha
        self.criterion = criterion
        self.reduction = reduction

    # -- cloning and copying: the fitted teacher is shared, never copied --
    def __sklearn_clone__(self):
        params = self.get_params(deep=False)
        teacher = params.pop("teacher")
        params = {k: clone(v, safe=False) for k, v in params.items()}
        return type(self)(teacher=teacher, **params)

    def __deepcopy__(self, memo):
        # the estimators deep-copy their criterion before training; the
        # teacher is read-only, so the copy refers to the same one
        memo[id(self.teacher)] = self.teacher
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new.__dict__.update(copy.deepcopy(self.__dict__, memo))
        return new

    def _validate(self):
        t = self.temperature
        if not (_is_real(t) and math.isfinite(t) and t > 0):
            raise InvalidParameterError(
                "The 'temperature' parameter of DistillationLoss must be a float "
                f"in the range (0.0, inf). Got {t!r} instead."
            )
        _check_real(self, "alpha", self.alpha, low=0.0, high=1.0)
        _check_reduction(self)
        if self.criterion is not None and not isinstance(self.criterion, nn.Module):
            raise TypeError(
                "The 'criterion' parameter of DistillationLoss must be a "
                f"torch.nn.Module instance or None. Got {self.criterion!r}."
            )

    def teacher_logits(self, X):
        """Run the teacher's network on a batch of inputs.

        Parameters
        ----------
        X : dict
            A collated batch, ``{"x": padded inputs, "lengths": lengths}``
            (:func:`sklearn_seq.data.collate`), as the estimators build it.

        Returns
        -------
        logits : tensor of shape (batch, n_classes)
            The teacher's raw scores, without gradients.
        """
        if self.teacher is None:
            raise ValueError(
                "DistillationLoss has no teacher: pass teacher=<fitted "
                "estimator> or call it with teacher_logits=..."
            )
        net = getattr(self.teacher, "net_", None)
        module = getattr(net, "module_", None)
        if module is None:
            raise TypeError(
                "The teacher of DistillationLoss must be a fitted sklearn_seq "
                f"estimator (with net_.module_); got "
                f"{type(self.teacher).__name__}. Fit it first."
            )
        if not isinstance(X, dict) or "x" not in X or "lengths" not in X:
            raise ValueError(
                "DistillationLoss needs the batch inputs as a dict with 'x' and "
                "'lengths' to run the teacher; got "
                f"{type(X).__name__}. Use it as the criterion of a sklearn_seq "
                "estimator, or pass teacher_logits=..."
            )
        device = next(module.parameters()).device
        was_training = module.training
        module.eval()
        try:
            with torch.no_grad():
                logits = module(X["x"].to(device), X["lengths"].to(device))
        finally:
            module.train(was_training)
        return logits.float()

    def forward(self, input, target, X=None, teacher_logits=None):
        """Compute the distillation loss.

        Parameters
        ----------
        input : tensor of shape (N, K) or (N, K, d1, ...)
            The student's logits.
        target : tensor of shape (N,) or (N, d1, ...)
            Integer class indices (the hard labels); ``-100`` is ignored.
        X : dict, default=None
            The batch inputs, from which the teacher's logits are computed
            when ``teacher_logits`` is None.
        teacher_logits : tensor of the shape of ``input``, default=None
            The teacher's logits, when already at hand.

        Returns
        -------
        loss : tensor
            A scalar, or one loss per target element for ``reduction="none"``.
        """
        self._validate()
        if teacher_logits is None:
            teacher_logits = self.teacher_logits(X)
        teacher_logits = teacher_logits.to(device=input.device, dtype=input.dtype)
        if input.ndim < 2 or input.shape[1] < 2:
            raise ValueError(
                "DistillationLoss expects one logit per class, (N, K) with "
                f"K >= 2; got input of shape {tuple(input.shape)}. Binary "
                "students need two logits (the default CrossEntropyLoss head)."
            )
        if teacher_logits.shape != input.shape:
            raise ValueError(
                f"The teacher's logits have shape {tuple(teacher_logits.shape)} "
                f"but the student's have {tuple(input.shape)}: teacher and "
                "student must be fitted on the same classes."
            )
        T = float(self.temperature)
        log_p_student = F.log_softmax(input / T, dim=1)
        log_p_teacher = F.log_softmax(teacher_logits.detach() / T, dim=1)
        soft = (
            F.kl_div(
                log_p_student, log_p_teacher, reduction="none", log_target=True
            ).sum(dim=1)
            * T**2
        )
        valid = target != IGNORE_INDEX
        soft = torch.where(valid, soft, torch.zeros_like(soft))
        soft = _reduce(soft, self.reduction, valid.sum().to(soft.dtype))
        alpha = float(self.alpha)
        if alpha == 1.0:
            return alpha * soft
        criterion = self.criterion
        if criterion is None:
            hard = F.cross_entropy(
                input, target, reduction=self.reduction, ignore_index=IGNORE_INDEX
            )
        else:
            saved = getattr(criterion, "reduction", None)
            if saved is not None:
                criterion.reduction = self.reduction
            try:
                hard = criterion(input, target)
            finally:
                if saved is not None:
                    criterion.reduction = saved
        return alpha * soft + (1.0 - alpha) * hard
