# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Per-layer gradient norms recorded into skorch's history."""

import math
import warnings

import torch
from skorch.callbacks import Callback, PrintLog

__all__ = ["GradientMonitor", "GradientWarning"]


class GradientWarning(UserWarning):
    """Warned by :class:`GradientMonitor` on vanishing or exploding gradients.

    Examples
    --------
    >>> from sklearn_seq.callbacks import GradientWarning
    >>> issubclass(GradientWarning, UserWarning)
    True
    """


class GradientMonitor(Callback):
    """Record per-layer gradient norms each epoch and warn on bad ones.

    At every training batch the L2 norm of each parameter's gradient is
    taken (one fused call); at the end of the epoch their mean over the
    batches goes into skorch's history:

    - ``history[:, "grad_norms"]``: one dict per epoch mapping parameter
      names (``"encoder.rnn.weight_ih_l0"``, ``"head.weight"``, ...) to the
      mean norm, in the order the module registers them (input side first);
    - ``history[:, "grad_norm_ratio"]``: norm of the earliest weight matrix
      divided by the norm of the latest one (biases and other 1-D
      parameters are skipped). A ratio far below 1 means the gradient
      reaching the input side is small compared with the output side.

    It warns (:class:`GradientWarning`, once per fit for each kind) when the
    ratio falls below ``vanishing_threshold`` or when a layer's norm exceeds
    ``exploding_threshold``, naming the layer and the figure.
    :func:`sklearn_seq.inspection.plot_gradient_norms` plots the record.

    Parameters
    ----------
    vanishing_threshold : float or None, default=1e-3
        Warn when ``grad_norm_ratio`` of an epoch is below this value. None
        disables the check.
    exploding_threshold : float or None, default=1e3
        Warn when the mean gradient norm of a layer over an epoch exceeds
        this value. None disables the check.
    include_bias : bool, default=False
        Also record 1-D parameters (biases, norm scales).

    Attributes
    ----------
    warned_ : set of str
        The kinds of warning already given in this fit (``"vanishing"``,
        ``"exploding"``).

    Notes
    -----
    Norms are taken when skorch's ``on_grad_computed`` reaches this callback:
    after gradient clipping when ``max_grad_norm`` is set. Clipping by the
    global norm scales every layer alike, so ``grad_norm_ratio`` is the same
    with or without it, but the recorded norms (and the exploding check) see
    the clipped values. The ratio is a heuristic across *layers*; for a
    recurrent layer, gradients also vanish across *time steps* inside the
    layer, which shows as a small ratio only when the output side learns
    while the input weights receive little signal.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier
    >>> from sklearn_seq.callbacks import GradientMonitor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(30, 6, 2)).astype("float32")
    >>> y = (X[:, 0, 0] > 0).astype(int)
    >>> clf = SequenceClassifier(hidden_size=4, max_epochs=3, random_state=0,
    ...                          callbacks=[GradientMonitor()]).fit(X, y)
    >>> norms = clf.history_[:, "grad_norms"]
    >>> len(norms), list(norms[0])[:2]
    (3, ['encoder.rnn.weight_ih_l0', 'encoder.rnn.weight_hh_l0'])
    """

    def __init__(
        self, vanishing_threshold=1e-3, exploding_threshold=1e3, include_bias=False
    ):
        self.vanishing_threshold = vanishing_threshold
        self.exploding_threshold = exploding_threshold
        self.include_bias = include_bias

    def initialize(self):
        self.warned_ = set()
        self._sums = {}
        self._count = 0
        return self

    def on_train_begin(self, net, **kwargs):
        self.warned_ = set()
        # a dict per epoch is no table cell: keep it out of the printed log
        for _, cb in getattr(net, "callbacks_", []):
            if isinstance(cb, PrintLog) and hasattr(cb, "keys_ignored_"):
                cb.keys_ignored_ = set(cb.keys_ignored_) | {"grad_norms"}

    def on_epoch_begin(self, net, **kwargs):
        self._sums = {}
        self._count = 0

    def on_grad_computed(self, net, named_parameters, training=True, **kwargs):
        if not training:
            return
        names, grads = [], []
        for name, p in named_parameters:
            if p.grad is None or (p.ndim < 2 and not self.include_bias):
                continue
            names.append(name)
            grads.append(p.grad.detach())
        if not grads:
            return
        norms = torch.stack([n.float() for n in torch._foreach_norm(grads)])
        for name, value in zip(names, norms.cpu().tolist()):
            self._sums[name] = self._sums.get(name, 0.0) + value
        self._count += 1

    def on_epoch_end(self, net, **kwargs):
        if not self._count:
            return
        norms = {k: v / self._count for k, v in self._sums.items()}
        weights = [k for k in norms if k in self._weight_names(net)]
        ratio = math.nan
        if len(weights) >= 2 and norms[weights[-1]] > 0:
            ratio = norms[weights[0]] / norms[weights[-1]]
        net.history.record("grad_norms", norms)
        net.history.record("grad_norm_ratio", ratio)
        epoch = len(net.history)
        if (
            self.vanishing_threshold is not None
            and "vanishing" not in self.warned_
            and ratio < self.vanishing_threshold
        ):
            self.warned_.add("vanishing")
            warnings.warn(
                f"Vanishing gradients at epoch {epoch}: the gradient norm of the "
                f"earliest layer {weights[0]!r} ({norms[weights[0]]:.3g}) is "
                f"{ratio:.3g} times that of the latest layer {weights[-1]!r} "
                f"({norms[weights[-1]]:.3g}), below vanishing_threshold="
                f"{self.vanishing_threshold}. Gated cells (cell='lstm' or "
                "'gru'), shorter sequences or residual connections help.",
                GradientWarning,
                stacklevel=2,
            )
        if self.exploding_threshold is not None and "exploding" not in self.warned_:
            name, value = max(norms.items(), key=lambda kv: kv[1])
            if not value <= self.exploding_threshold:
                self.warned_.add("exploding")
                warnings.warn(
                    f"Exploding gradients at epoch {epoch}: the mean gradient "
                    f"norm of layer {name!r} is {value:.3g}, above "
                    f"exploding_threshold={self.exploding_threshold}. Clip "
                    "gradients (max_grad_norm=1.0) or lower the learning rate.",
                    GradientWarning,
                    stacklevel=2,
                )

    @staticmethod
    def _weight_names(net):
        return {n for n, p in net.module_.named_parameters() if p.ndim >= 2}
