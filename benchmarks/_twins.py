# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Plain PyTorch twins of the sklearn_seq estimators (used by bench_parity.py).

A twin is what a user writes by hand around the library's torch module: Adam,
random (not length-bucketed) batches padded to the batch maximum, no target
scaling, no batch-norm recalibration, no weight averaging, no word dropout,
no early stopping; the same initial weights as the library (paired seeds);
``model.train()`` for the epochs, then ``model.eval()`` and
``torch.no_grad()`` for the test set.

The module itself is built by the estimator's own ``_build_module`` (a private
hook of :class:`sklearn_seq.estimators._base.BaseSequenceNet`), on an estimator
with the same parameters as the library side: the twin then always has the
library's current architecture (pooling, pre-norm, sizes) and follows its
defaults when they change, while the *training* is hand-written. Parameters
that are training niceties rather than architecture (``word_dropout``) are
switched off on the twin's copy by :data:`TWIN_OVERRIDES`.
"""

import time

import numpy as np
import torch
from sklearn.base import clone
from sklearn.utils import check_random_state
from torch import nn

#: Estimator parameters switched off on the estimator that builds the twin's
#: module (only those the estimator has): training tricks, not architecture.
TWIN_OVERRIDES = {"word_dropout": 0.0}

_EVAL_BATCH = 256


def twin_estimator(est):
    """Unfitted copy of ``est`` with the training niceties switched off."""
    twin = clone(est)
    params = twin.get_params(deep=False)
    twin.set_params(**{k: v for k, v in TWIN_OVERRIDES.items() if k in params})
    return twin


def as_tensors(X):
    """List of float tensors ``(T_i, F)`` (or long tensors of token ids)."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        return torch.from_numpy(np.ascontiguousarray(X, dtype=np.float32))
    out = []
    for x in X:
        a = np.asarray(x)
        if a.dtype.kind in "iu":
            out.append(torch.from_numpy(a.astype(np.int64)))
        else:
            out.append(torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)))
    return out


def pad_batch(X, idx):
    """Padded batch ``x`` and ``lengths`` of rows ``idx`` of ``X``.

    ``X`` is a 3-D float tensor (fixed length: a slice, no padding) or a list
    of per-sequence tensors (padded with zeros to the batch maximum).
    """
    if isinstance(X, torch.Tensor):
        x = X[idx]
        return x, torch.full((len(idx),), x.shape[1], dtype=torch.long)
    rows = [X[i] for i in idx.tolist()]
    lengths = torch.tensor([len(r) for r in rows], dtype=torch.long)
    return nn.utils.rnn.pad_sequence(rows, batch_first=True), lengths


def train_loop(
    module,
    X,
    y,
    loss_fn,
    *,
    epochs,
    batch_size,
    lr,
    seed,
    forward=None,
    on_epoch_end=None,
    batches=None,
):
    """The hand-written loop: Adam, shuffled batches, ``epochs`` passes.

    Parameters
    ----------
    module : torch.nn.Module
        Network, trained in place.
    X : Tensor or list of Tensor
        Inputs (see :func:`pad_batch`).
    y : Tensor or list of Tensor
        Targets; a list is padded per batch with ``-100`` (tagging targets).
    loss_fn : callable
        ``loss_fn(output, target)``.
    epochs, batch_size : int
        Passes over the data and samples per batch.
    lr : float
        Adam's learning rate.
    seed : int
        Seed of the batch order.
    forward : callable, default=None
        ``forward(module, x, lengths)``; default ``module(x, lengths)``.
    on_epoch_end : callable, default=None
        Called with the 0-based epoch index after each epoch.
    batches : callable, default=None
        ``batches(generator)`` -> index tensors of one epoch's batches (e.g.
        :func:`pk_batches`); default: a shuffled permutation cut in slices
        of ``batch_size``.

    Returns
    -------
    float
        Seconds spent training.
    """
    forward = forward or (lambda m, x, lengths: m(x, lengths))
    opt = torch.optim.Adam(module.parameters(), lr=lr)
    g = torch.Generator().manual_seed(seed)
    n = len(X)
    seconds = 0.0
    for epoch in range(epochs):
        tic = time.perf_counter()
        module.train()
        if batches is None:
            perm = torch.randperm(n, generator=g)
            epoch_batches = [perm[i : i + batch_size] for i in range(0, n, batch_size)]
        else:
            epoch_batches = batches(g)
        for idx in epoch_batches:
            x, lengths = pad_batch(X, idx)
            if isinstance(y, torch.Tensor):
                target = y[idx]
            else:
                target = nn.utils.rnn.pad_sequence(
                    [y[j] for j in idx.tolist()], batch_first=True, padding_value=-100
                )
            opt.zero_grad()
            loss = loss_fn(forward(module, x, lengths), target)
            loss.backward()
            opt.step()
        seconds += time.perf_counter() - tic
        if on_epoch_end is not None:  # not timed (e.g. a test-set evaluation)
            on_epoch_end(epoch)
    return seconds


def pk_batches(codes, n_classes_per_batch, n_samples_per_class):
    """Random P x K batches: ``batches`` of :func:`train_loop` for metric learning.

    What a user writes after pytorch-metric-learning's ``MPerClassSampler``:
    each batch draws ``P`` distinct classes at random (among those with two or
    more samples), then ``K`` distinct random samples of each (all of a class
    smaller than ``K``); an epoch is ``ceil(n_usable / (P * K))`` independent
    batches (no class rounds, no per-class queues, no length sorting).
    """
    codes = np.asarray(codes)
    members = [torch.from_numpy(np.flatnonzero(codes == c)) for c in np.unique(codes)]
    members = [m for m in members if len(m) >= 2]
    p = min(n_classes_per_batch, len(members))
    k = n_samples_per_class
    n_batches = max(1, -(-sum(len(m) for m in members) // (p * k)))

    def batches(g):
        out = []
        for _ in range(n_batches):
            chosen = torch.randperm(len(members), generator=g)[:p].tolist()
            out.append(
                torch.cat(
                    [
                        members[c][torch.randperm(len(members[c]), generator=g)[:k]]
                        for c in chosen
                    ]
                )
            )
        return out

    return batches


def _batches(X, forward):
    forward = forward or (lambda m, x, lengths: m(x, lengths))
    for i in range(0, len(X), _EVAL_BATCH):
        idx = torch.arange(i, min(i + _EVAL_BATCH, len(X)))
        x, lengths = pad_batch(X, idx)
        yield forward, x, lengths


def predict_vectors(module, X, forward=None):
    """One output row per sequence, in order (eval mode, no grad)."""
    module.eval()
    with torch.no_grad():
        return torch.cat([f(module, x, n) for f, x, n in _batches(X, forward)])


def predict_steps(module, X, forward=None):
    """List of per-sequence ``(T_i, ...)`` step outputs (eval mode, no grad)."""
    module.eval()
    outs = []
    with torch.no_grad():
        for f, x, lengths in _batches(X, forward):
            out = f(module, x, lengths)
            outs.extend(o[:k] for o, k in zip(out, lengths.tolist(), strict=True))
    return outs


def seeded_module(build, seed):
    """``build()`` with the library's initial weights for ``random_state=seed``.

    The estimators seed torch with ``check_random_state(random_state)
    .randint(2**31 - 1)`` before building their module, so the twin built
    under that seed starts from exactly the library's weights: the comparison
    is paired, and what differs is the training alone. (Unpaired, the spread
    of initialisations dominates: on JapaneseVowels the transformer twin led
    by 0.004 over 8 seeds from its own inits and by 0.001 from the
    library's.)
    """
    derived = check_random_state(seed).randint(np.iinfo(np.int32).max)
    torch.manual_seed(int(derived))
    return build()


def seq2seq_teacher_forcing():
    """``(forward, loss_fn)`` for ``train_loop`` on a ``Seq2Seq`` module.

    The decoder input is BOS then the target shifted right, PAD after the end,
    as the library's ``Seq2SeqDataset`` builds it; the loss is cross-entropy
    over the real target tokens and the EOS (``train_loop`` pads targets with
    -100, cross-entropy's ignore index).
    """
    from sklearn_seq.nn.seq2seq import BOS_ID, EOS_ID, PAD_ID

    ce = nn.CrossEntropyLoss()

    def forward(module, x, lengths):  # the decoder input comes from the target
        return lambda decoder_input: module(x, lengths, decoder_input)

    def loss_fn(run, target):
        bos = torch.full_like(target[:, :1], BOS_ID)
        dec_in = torch.cat([bos, target[:, :-1]], 1)
        dec_in = dec_in.masked_fill((dec_in == EOS_ID) | (dec_in < 0), PAD_ID)
        logits = run(dec_in)
        return ce(logits.reshape(-1, logits.shape[-1]), target.reshape(-1))

    return forward, loss_fn
