# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Batch-norm running statistics recomputed exactly for the final weights.

During training, batch norm keeps exponential moving averages of the batch
statistics (momentum 0.1: the last ~10 steps). The weights keep moving while
those averages lag behind, and every epoch's last, often tiny, batch feeds
them too, so a network evaluated with its running statistics scores
whatever the last few steps left there: test accuracy at the last epoch swings
by tens of points from one epoch to the next on small UCR data sets.

:func:`recompute_batchnorm_stats` replaces the running statistics of every
batch-norm layer by the exact statistics of the data it is given, as the
network sees them at evaluation. Layers are done in the order the forward pass
reaches them: layer ``k``'s statistics are pooled over the whole data with
layers ``< k`` already normalising with their recomputed statistics, which is
what layer ``k`` sees in evaluation mode. The result equals a train-mode
forward pass over the whole data as one batch, without holding that batch in
memory. Pass ``k`` stops as soon as layer ``k`` has read its input, so the
cost is about ``(1 + 2 + ... + n) / n`` forward passes for ``n`` layers of
similar cost (two forward passes for the FCN's three blocks, about a third of
a training epoch each).

It is the "precise BN" of Wu and Johnson (2021), done layer by layer, and
what :func:`torch.optim.swa_utils.update_bn` approximates with a cumulative
average of per-batch statistics (which misses the between-batch variance and
weighs a short last batch like a full one).

References
----------
.. [1] Y. Wu and J. Johnson, "Rethinking 'batch' in BatchNorm",
   arXiv:2105.07576, 2021.
"""

import torch
from torch import nn

__all__ = ["has_batchnorm", "recompute_batchnorm_stats"]


class _Reached(Exception):  # noqa: N818 - control flow, never seen by users
    """Raised by a hook to stop the forward pass once a layer read its input."""


def _tracked_layers(module):
    return [
        m
        for m in module.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats
    ]


def has_batchnorm(module):
    """Whether ``module`` holds a batch-norm layer with running statistics.

    Parameters
    ----------
    module : torch.nn.Module
        Any network.

    Returns
    -------
    bool
        True when some submodule is a :class:`torch.nn.BatchNorm1d` (2d, 3d,
        or :class:`~sklearn_seq.nn.MaskedBatchNorm1d`) tracking running
        statistics.

    Examples
    --------
    >>> from torch import nn
    >>> from sklearn_seq.nn import has_batchnorm
    >>> has_batchnorm(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))
    True
    >>> has_batchnorm(nn.LSTM(3, 4))
    False
    """
    return bool(_tracked_layers(module))


def _channel_sums(x, mask):
    """Per-channel count, sum and sum of squares (float64) over valid entries."""
    x = x.detach().double()
    if mask is not None:  # MaskedBatchNorm1d: (batch, channels, time) + (batch, time)
        m = mask.unsqueeze(1).to(x.dtype)
        return m.sum(), (x * m).sum(dim=(0, 2)), (x * x * m).sum(dim=(0, 2))
    dims = [0, *range(2, x.ndim)]
    count = x.numel() / x.shape[1]
    return x.new_tensor(count), x.sum(dim=dims), (x * x).sum(dim=dims)


def recompute_batchnorm_stats(module, batches, forward=None):
    """Set batch-norm running statistics to the exact statistics of ``batches``.

    Every batch-norm layer of ``module`` that tracks running statistics gets
    the mean and (unbiased) variance of its input over all of ``batches``,
    computed with the layers before it already using their new statistics, so
    that ``module.eval()`` normalises each layer with the statistics of the
    data as it reaches that layer in evaluation mode. Padded steps are left
    out for :class:`~sklearn_seq.nn.MaskedBatchNorm1d`. Runs without
    gradients, with every layer in evaluation mode (no dropout); the training
    flags are restored at the end and no parameter changes.

    Parameters
    ----------
    module : torch.nn.Module
        The network.
    batches : iterable
        Batches to run; iterated once per batch-norm layer, so a list or an
        object whose ``__iter__`` starts again (a DataLoader, a
        :class:`~sklearn_seq.data.BucketLoader`), not a generator. Order and
        batch sizes do not change the result.
    forward : callable, default=None
        ``forward(batch)`` runs ``module`` on one batch. None calls
        ``module(*batch)`` for a tuple or list and ``module(batch)`` otherwise.

    Returns
    -------
    int
        Number of batch-norm layers updated (0 when there is none, or no batch).

    Examples
    --------
    >>> import torch
    >>> from torch import nn
    >>> from sklearn_seq.nn import recompute_batchnorm_stats
    >>> net = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU(),
    ...                     nn.Linear(3, 3), nn.BatchNorm1d(3))
    >>> data = torch.randn(5000, 2)
    >>> recompute_batchnorm_stats(net, [(data[:4096],), (data[4096:],)])
    2
    >>> evaluated = net.eval()(data)
    >>> whole = net.train()(data)  # the data as one batch: the exact statistics
    >>> torch.allclose(evaluated, whole, atol=1e-2)
    True
    """
    layers = _tracked_layers(module)
    if not layers:
        return 0
    if forward is None:

        def forward(batch):
            return module(*batch) if isinstance(batch, tuple | list) else module(batch)

    modes = {m: m.training for m in module.modules()}
    order = []

    def record(layer, args):
        if layer not in order:
            order.append(layer)

    module.eval()
    try:
        with torch.no_grad():
            # the order in which the forward pass reaches the layers (one batch)
            handles = [layer.register_forward_pre_hook(record) for layer in layers]
            try:
                for batch in batches:
                    forward(batch)
                    break
            finally:
                for handle in handles:
                    handle.remove()
            for layer in order:
                totals = [0.0, 0.0, 0.0]

                def collect(bn, args, totals=totals):
                    mask = args[1] if len(args) > 1 else None
                    for i, value in enumerate(_channel_sums(args[0], mask)):
                        totals[i] = totals[i] + value
                    raise _Reached

                handle = layer.register_forward_pre_hook(collect)
                try:
                    for batch in batches:
                        try:
                            forward(batch)
                        except _Reached:
                            pass
                finally:
                    handle.remove()
                count, total, squares = totals
                if float(count) < 1:
                    continue
                mean = total / count
                var = (squares / count - mean * mean).clamp(min=0)
                var = var * (count / (count - 1).clamp(min=1))
                layer.running_mean.copy_(mean.to(layer.running_mean.dtype))
                layer.running_var.copy_(var.to(layer.running_var.dtype))
    finally:
        for m, training in modes.items():
            m.training = training
    return len(order)
