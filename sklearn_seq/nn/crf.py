# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Linear-chain conditional random field (CRF) for sequence labelling.

The CRF scores a tag path ``y`` of a sequence with per-step emission scores
``e`` (the logits of an encoder) as::

    score(y) = start[y_0] + e_0[y_0]
               + sum_{t=1}^{L-1} (transitions[y_{t-1}, y_t] + e_t[y_t])
               + end[y_{L-1}]

and ``p(y | x) = exp(score(y)) / Z`` where ``Z`` sums over every path. All
computations are batched, masked (variable lengths, padding at the end) and
done in log space with :func:`torch.logsumexp`; only the time axis is a Python
loop.

Conventions: batch first; ``mask`` is a bool tensor of shape ``(B, T)`` with
``True`` on real steps, the first step of every sequence is real and padding
comes after the last real step.
"""

from collections.abc import Sequence

import torch
from torch import nn

from sklearn_seq.utils import IGNORE_INDEX

__all__ = ["CRF", "allowed_transitions"]

#: Score given to forbidden transitions in the log-likelihood, the partition
#: function and the marginals. Finite, so gradients stay finite, and large
#: enough that ``exp`` of it underflows to 0 in float32 and float64.
IMPOSSIBLE_SCORE = -1e4

_SCHEMES = ("bio", "iobes")
_REDUCTIONS = ("mean", "sum", "token_mean", "none")


def _split_tag(name, scheme):
    """Return ``(prefix, entity_type)`` of a tag name, e.g. ``('B', 'PER')``."""
    prefixes = "BI" if scheme == "bio" else "BIES"
    if name == "O":
        return "O", ""
    for sep in ("-", "_"):
        prefix, found, entity = str(name).partition(sep)
        if found and prefix in prefixes and entity:
            return prefix, entity
    expected = (
        "'O', 'B-X', 'I-X'" if scheme == "bio" else "'O', 'B-X', 'I-X', 'E-X', 'S-X'"
    )
    raise ValueError(
        f"tag_names: {name!r} is not a valid {scheme.upper()} tag; expected one of "
        f"{expected} (X an entity type, separator '-' or '_')."
    )


def _is_allowed(scheme, prev, cur):
    """Whether ``prev -> cur`` is allowed; ``'START'``, ``'END'`` are virtual tags."""
    if scheme == "bio":
        if cur == "END":
            return True
        cur_prefix, cur_type = cur
        if cur_prefix in ("O", "B"):
            return True
        # cur is I-X: only after B-X or I-X.
        if prev == "START":
            return False
        prev_prefix, prev_type = prev
        return prev_prefix in ("B", "I") and prev_type == cur_type
    # IOBES: B-X and I-X must be followed by I-X or E-X of the same type.
    if prev == "START":
        prev_open = False
    else:
        prev_prefix, prev_type = prev
        prev_open = prev_prefix in ("B", "I")
    if cur == "END":
        return not prev_open
    cur_prefix, cur_type = cur
    if cur_prefix in ("O", "B", "S"):
        return not prev_open
    return prev_open and prev_type == cur_type


def allowed_transitions(scheme, tag_names):
    """Masks of the transitions allowed by a tagging scheme.

    Parameters
    ----------
    scheme : {'bio', 'iobes'}
        ``'bio'`` is IOB2: every entity starts with ``B-X`` and continues with
        ``I-X``; ``O -> I-X``, ``B-X -> I-Y`` (``X != Y``) and ``start -> I-X``
        are forbidden. ``'iobes'`` (also called BIOES) adds ``E-X`` (last token
        of an entity) and ``S-X`` (single-token entity): ``B-X``/``I-X`` must
        be followed by ``I-X`` or ``E-X`` and cannot end the sequence.
    tag_names : sequence of str
        Name of each tag id, e.g. ``['O', 'B-PER', 'I-PER']``. ``'O'`` is the
        outside tag; entity tags are ``'<prefix>-<type>'`` (``'_'`` also works
        as separator).

    Returns
    -------
    start : torch.BoolTensor of shape (num_tags,)
        ``start[j]`` is True when a sequence may begin with tag ``j``.
    transitions : torch.BoolTensor of shape (num_tags, num_tags)
        ``transitions[i, j]`` is True when tag ``j`` may follow tag ``i``.
    end : torch.BoolTensor of shape (num_tags,)
        ``end[i]`` is True when a sequence may end with tag ``i``.

    Examples
    --------
    >>> from sklearn_seq.nn.crf import allowed_transitions
    >>> start, trans, end = allowed_transitions("bio", ["O", "B-PER", "I-PER"])
    >>> start.tolist()
    [True, True, False]
    >>> trans.int().tolist()
    [[1, 1, 0], [1, 1, 1], [1, 1, 1]]
    """
    if scheme not in _SCHEMES:
        raise ValueError(
            f"constraints must be one of {_SCHEMES} or None; got {scheme!r}."
        )
    if isinstance(tag_names, str) or not isinstance(tag_names, Sequence):
        raise TypeError(
            f"tag_names must be a list of tag names; got {type(tag_names).__name__}."
        )
    tags = [_split_tag(name, scheme) for name in tag_names]
    k = len(tags)
    start = torch.tensor([_is_allowed(scheme, "START", t) for t in tags])
    end = torch.tensor([_is_allowed(scheme, t, "END") for t in tags])
    trans = torch.tensor(
        [[_is_allowed(scheme, a, b) for b in tags] for a in tags], dtype=torch.bool
    ).reshape(k, k)
    return start, trans, end


def _check_emissions(emissions, num_tags):
    if not torch.is_tensor(emissions) or emissions.dim() != 3:
        shape = (
            tuple(emissions.shape) if torch.is_tensor(emissions) else type(emissions)
        )
        raise ValueError(
            "emissions must be a float tensor of shape (batch, time, num_tags); "
            f"got shape {shape}."
        )
    if emissions.shape[2] != num_tags:
        raise ValueError(
            f"emissions must have num_tags={num_tags} scores in the last dimension; "
            f"got shape {tuple(emissions.shape)}."
        )
    if emissions.shape[0] == 0 or emissions.shape[1] == 0:
        raise ValueError(
            f"emissions must have at least one sequence and one step; "
            f"got shape {tuple(emissions.shape)}."
        )
    if not emissions.is_floating_point():
        raise TypeError(
            f"emissions must be a float tensor; got dtype {emissions.dtype}."
        )


def _check_mask(mask, emissions):
    batch, steps = emissions.shape[:2]
    if mask is None:
        return torch.ones(batch, steps, dtype=torch.bool, device=emissions.device)
    if not torch.is_tensor(mask) or mask.shape != (batch, steps):
        shape = tuple(mask.shape) if torch.is_tensor(mask) else type(mask)
        raise ValueError(
            f"mask must be a bool tensor of shape (batch, time) = {(batch, steps)}; "
            f"got shape {shape}."
        )
    if mask.dtype != torch.bool:
        raise TypeError(
            f"mask must be a bool tensor (True = real step); got dtype {mask.dtype}."
        )
    if not bool(mask[:, 0].all()):
        bad = (~mask[:, 0]).nonzero()[0].item()
        raise ValueError(
            "mask: the first step of every sequence must be valid; "
            f"mask[{bad}, 0] is False (empty sequences are not supported)."
        )
    if steps > 1 and bool((mask[:, 1:] & ~mask[:, :-1]).any()):
        bad = (mask[:, 1:] & ~mask[:, :-1]).any(1).nonzero()[0].item()
        raise ValueError(
            f"mask: padding must come after the last real step; row {bad} has a valid "
            "step after a padded one."
        )
    return mask


class CRF(nn.Module):
    """Linear-chain conditional random field over tag ids ``0`` to ``num_tags - 1``.

    Learns a transition score for every pair of tags plus a score for starting
    and for ending a sequence with each tag. Used on top of per-step emission
    scores (the logits of an encoder); ``forward`` returns the negative
    log-likelihood of the gold tags, a loss to minimise.

    Parameters
    ----------
    num_tags : int
        Number of tags ``K``.
    constraints : {'bio', 'iobes'}, tuple of 3 bool tensors or None, default=None
        Transitions to forbid. ``'bio'`` (IOB2) and ``'iobes'`` need
        ``tag_names`` and are translated by :func:`allowed_transitions`. A
        tuple ``(start, transitions, end)`` of bool masks of shapes ``(K,)``,
        ``(K, K)`` and ``(K,)`` gives the allowed transitions directly (True =
        allowed). Forbidden transitions score :data:`IMPOSSIBLE_SCORE` in the
        likelihood (finite, so gradients stay finite) and ``-inf`` in
        :meth:`decode`, so decoded paths never contain them as long as an
        allowed path exists.
    tag_names : sequence of str, default=None
        Name of each tag id, required when ``constraints`` is a string.

    Attributes
    ----------
    start_transitions : torch.nn.Parameter of shape (num_tags,)
        Score of beginning a sequence with each tag.
    end_transitions : torch.nn.Parameter of shape (num_tags,)
        Score of ending a sequence with each tag.
    transitions : torch.nn.Parameter of shape (num_tags, num_tags)
        ``transitions[i, j]`` is the score of tag ``j`` following tag ``i``.
    allowed_start, allowed_end : torch.BoolTensor of shape (num_tags,)
        Buffers, all True without constraints.
    allowed_transitions : torch.BoolTensor of shape (num_tags, num_tags)
        Buffer, all True without constraints.

    Notes
    -----
    Emissions are ``(batch, time, num_tags)`` and masks ``(batch, time)`` bool
    with ``True`` on real steps; every sequence has at least one step and its
    padding comes at the end. Parameters are cast to the dtype of the
    emissions, so float64 emissions give float64 results.

    Gold tags at padded positions are ignored, whatever their value (e.g.
    ``IGNORE_INDEX = -100``). A gold path that takes a forbidden transition
    gets a likelihood of about ``exp(IMPOSSIBLE_SCORE)``: with ``'bio'``,
    convert IOB1 data (where ``I-X`` may open an entity) to IOB2 first.

    References
    ----------
    Lafferty, McCallum and Pereira (2001), "Conditional Random Fields:
    Probabilistic Models for Segmenting and Labeling Sequence Data".
    Lample et al. (2016), "Neural Architectures for Named Entity Recognition".

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.nn.crf import CRF
    >>> _ = torch.manual_seed(0)
    >>> crf = CRF(3, constraints="bio", tag_names=["O", "B-PER", "I-PER"])
    >>> emissions = torch.randn(2, 4, 3)
    >>> tags = torch.tensor([[1, 2, 0, 0], [0, 1, -100, -100]])
    >>> mask = torch.tensor([[True, True, True, True], [True, True, False, False]])
    >>> loss = crf(emissions, tags, mask)
    >>> loss.shape
    torch.Size([])
    >>> paths = crf.decode(emissions, mask)
    >>> [len(p) for p in paths]
    [4, 2]
    >>> crf.marginals(emissions, mask).shape
    torch.Size([2, 4, 3])
    """

    def __init__(self, num_tags, constraints=None, tag_names=None):
        super().__init__()
        if isinstance(num_tags, bool) or not isinstance(num_tags, int) or num_tags < 1:
            raise ValueError(f"num_tags must be a positive int; got {num_tags!r}.")
        self.num_tags = num_tags
        self.constraints = constraints
        self.tag_names = None if tag_names is None else list(tag_names)
        self.start_transitions = nn.Parameter(torch.empty(num_tags))
        self.end_transitions = nn.Parameter(torch.empty(num_tags))
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags))
        start, trans, end = self._allowed(constraints, self.tag_names)
        self.register_buffer("allowed_start", start)
        self.register_buffer("allowed_transitions", trans)
        self.register_buffer("allowed_end", end)
        self.reset_parameters()

    def _allowed(self, constraints, tag_names):
        k = self.num_tags
        if constraints is None:
            if tag_names is not None and len(tag_names) != k:
                raise ValueError(
                    f"tag_names must have num_tags={k} names; got {len(tag_names)}."
                )
            ones = torch.ones(k, dtype=torch.bool)
            return ones, torch.ones(k, k, dtype=torch.bool), ones.clone()
        if isinstance(constraints, str):
            if tag_names is None:
                raise ValueError(
                    f"constraints={constraints!r} needs tag_names, the name of each "
                    "tag id."
                )
            if len(tag_names) != k:
                raise ValueError(
                    f"tag_names must have num_tags={k} names; got {len(tag_names)}."
                )
            return allowed_transitions(constraints, tag_names)
        if isinstance(constraints, tuple | list) and len(constraints) == 3:
            start, trans, end = (
                torch.as_tensor(c, dtype=torch.bool) for c in constraints
            )
            expected = ((k,), (k, k), (k,))
            got = (tuple(start.shape), tuple(trans.shape), tuple(end.shape))
            if got != expected:
                raise ValueError(
                    f"constraints masks (start, transitions, end) must have shapes "
                    f"{expected}; got {got}."
                )
            return start.clone(), trans.clone(), end.clone()
        raise ValueError(
            f"constraints must be 'bio', 'iobes', a tuple (start, transitions, end) of "
            f"bool masks, or None; got {constraints!r}."
        )

    def reset_parameters(self):
        """Draw every score uniformly in ``[-0.1, 0.1]``."""
        for param in (self.start_transitions, self.end_transitions, self.transitions):
            nn.init.uniform_(param, -0.1, 0.1)

    def extra_repr(self):
        return f"num_tags={self.num_tags}, constraints={self.constraints!r}"

    def _scores(self, dtype, fill):
        """Start, transition and end scores with forbidden entries set to ``fill``."""
        start = self.start_transitions.to(dtype).masked_fill(~self.allowed_start, fill)
        trans = self.transitions.to(dtype).masked_fill(~self.allowed_transitions, fill)
        end = self.end_transitions.to(dtype).masked_fill(~self.allowed_end, fill)
        return start, trans, end

    def forward(self, emissions, tags, mask=None, reduction="mean"):
        """Negative log-likelihood of the gold tags.

        Parameters
        ----------
        emissions : torch.Tensor of shape (batch, time, num_tags)
            Per-step scores (logits), float.
        tags : torch.LongTensor of shape (batch, time)
            Gold tag ids; values at padded positions are ignored.
        mask : torch.BoolTensor of shape (batch, time), default=None
            True on real steps; None means every step is real.
        reduction : {'mean', 'sum', 'token_mean', 'none'}, default='mean'
            ``'mean'`` averages over sequences, ``'token_mean'`` divides the
            sum by the number of real steps, ``'none'`` returns one value per
            sequence.

        Returns
        -------
        nll : torch.Tensor
            A scalar, or of shape (batch,) with ``reduction='none'``.
        """
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"reduction must be one of {_REDUCTIONS}; got {reduction!r}."
            )
        _check_emissions(emissions, self.num_tags)
        mask = _check_mask(mask, emissions)
        if not torch.is_tensor(tags) or tags.shape != mask.shape:
            shape = tuple(tags.shape) if torch.is_tensor(tags) else type(tags)
            raise ValueError(
                "tags must be a LongTensor of shape (batch, time) = "
                f"{tuple(mask.shape)}; got shape {shape}."
            )
        if tags.dtype.is_floating_point or tags.dtype == torch.bool:
            raise TypeError(f"tags must be an integer tensor; got dtype {tags.dtype}.")
        tags = tags.long()
        out_of_range = ((tags < 0) | (tags >= self.num_tags)) & mask
        if bool(out_of_range.any()):
            b, t = out_of_range.nonzero()[0].tolist()
            raise ValueError(
                f"tags must be in [0, {self.num_tags}) at real steps; "
                f"tags[{b}, {t}] = {tags[b, t].item()}."
            )
        tags = tags.masked_fill(~mask, 0)
        nll = self._log_partition(emissions, mask) - self._path_score(
            emissions, tags, mask
        )
        if reduction == "none":
            return nll
        if reduction == "sum":
            return nll.sum()
        if reduction == "mean":
            return nll.mean()
        return nll.sum() / mask.sum()

    def _path_score(self, emissions, tags, mask):
        start, trans, end = self._scores(emissions.dtype, IMPOSSIBLE_SCORE)
        maskf = mask.to(emissions.dtype)
        emit = emissions.gather(2, tags.unsqueeze(2)).squeeze(2)  # (B, T)
        score = start[tags[:, 0]] + (emit * maskf).sum(1)
        if tags.shape[1] > 1:
            pair = trans[tags[:, :-1], tags[:, 1:]]  # (B, T - 1)
            score = score + (pair * maskf[:, 1:]).sum(1)
        last = mask.sum(1) - 1
        last_tags = tags.gather(1, last.unsqueeze(1)).squeeze(1)
        return score + end[last_tags]

    def _forward_alphas(self, emissions, mask):
        """Log forward variables for every step, shape (B, T, K)."""
        start, trans, _ = self._scores(emissions.dtype, IMPOSSIBLE_SCORE)
        alpha = start + emissions[:, 0]
        alphas = [alpha]
        for t in range(1, emissions.shape[1]):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t, None], nxt, alpha)
            alphas.append(alpha)
        return torch.stack(alphas, 1)

    def log_partition(self, emissions, mask=None):
        """Log of the partition function ``Z`` of each sequence.

        Parameters
        ----------
        emissions : torch.Tensor of shape (batch, time, num_tags)
            Per-step scores (logits), float.
        mask : torch.BoolTensor of shape (batch, time), default=None
            True on real steps; None means every step is real.

        Returns
        -------
        log_z : torch.Tensor of shape (batch,)
            ``log sum_y exp(score(y))`` over every tag path of each sequence.
        """
        _check_emissions(emissions, self.num_tags)
        return self._log_partition(emissions, _check_mask(mask, emissions))

    def _log_partition(self, emissions, mask):
        start, trans, end = self._scores(emissions.dtype, IMPOSSIBLE_SCORE)
        alpha = start + emissions[:, 0]
        for t in range(1, emissions.shape[1]):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]
            alpha = torch.where(mask[:, t, None], nxt, alpha)
        return torch.logsumexp(alpha + end, dim=1)

    def marginals(self, emissions, mask=None):
        """Posterior marginals ``p(y_t = k | x)`` by the forward-backward algorithm.

        Parameters
        ----------
        emissions : torch.Tensor of shape (batch, time, num_tags)
            Per-step scores (logits), float.
        mask : torch.BoolTensor of shape (batch, time), default=None
            True on real steps; None means every step is real.

        Returns
        -------
        marginals : torch.Tensor of shape (batch, time, num_tags)
            Rows sum to 1 at real steps and are 0 at padded steps.

        Examples
        --------
        >>> import torch
        >>> from sklearn_seq.nn.crf import CRF
        >>> crf = CRF(4)
        >>> mask = torch.tensor([[True, True, True], [True, False, False]])
        >>> probs = crf.marginals(torch.randn(2, 3, 4), mask)
        >>> probs.sum(-1).round(decimals=4).tolist()
        [[1.0, 1.0, 1.0], [1.0, 0.0, 0.0]]
        """
        _check_emissions(emissions, self.num_tags)
        mask = _check_mask(mask, emissions)
        _, trans, end = self._scores(emissions.dtype, IMPOSSIBLE_SCORE)
        alphas = self._forward_alphas(emissions, mask)
        steps = emissions.shape[1]
        beta = end.expand_as(emissions[:, 0])
        betas = [beta]
        for t in range(steps - 2, -1, -1):
            nxt = torch.logsumexp(
                trans + (emissions[:, t + 1] + beta).unsqueeze(1), dim=2
            )
            beta = torch.where(mask[:, t + 1, None], nxt, end)
            betas.append(beta)
        betas = torch.stack(betas[::-1], 1)
        log_z = torch.logsumexp(alphas[:, -1] + end, dim=1)
        probs = torch.exp(alphas + betas - log_z[:, None, None])
        return probs * mask.unsqueeze(2).to(probs.dtype)

    @torch.no_grad()
    def decode(
        self, emissions, mask=None, *, as_tensor=False, padding_value=IGNORE_INDEX
    ):
        """Most likely tag path of each sequence (Viterbi algorithm).

        Parameters
        ----------
        emissions : torch.Tensor of shape (batch, time, num_tags)
            Per-step scores (logits), float.
        mask : torch.BoolTensor of shape (batch, time), default=None
            True on real steps; None means every step is real.
        as_tensor : bool, default=False
            Return a padded LongTensor instead of a list of lists.
        padding_value : int, default=-100
            Value at padded steps when ``as_tensor=True`` (``IGNORE_INDEX``).

        Returns
        -------
        paths : list of list of int, or torch.LongTensor of shape (batch, time)
            One tag-id list per sequence, of the sequence's length; or, with
            ``as_tensor=True``, the paths padded with ``padding_value``.

        Examples
        --------
        >>> import torch
        >>> from sklearn_seq.nn.crf import CRF
        >>> crf = CRF(3)
        >>> emissions = torch.tensor([[[5.0, 0, 0], [0, 5, 0], [0, 0, 5]]])
        >>> crf.decode(emissions)
        [[0, 1, 2]]
        >>> mask = torch.tensor([[True, True, False]])
        >>> crf.decode(emissions, mask, as_tensor=True)
        tensor([[   0,    1, -100]])
        """
        _check_emissions(emissions, self.num_tags)
        mask = _check_mask(mask, emissions)
        batch, steps, _ = emissions.shape
        start, trans, end = self._scores(emissions.dtype, float("-inf"))
        score = start + emissions[:, 0]
        history = []
        for t in range(1, steps):
            best, idx = (score.unsqueeze(2) + trans).max(dim=1)
            score = torch.where(mask[:, t, None], best + emissions[:, t], score)
            history.append(idx)
        last_tag = (score + end).argmax(dim=1)
        lengths = mask.sum(1)
        paths = torch.full(
            (batch, steps), padding_value, dtype=torch.long, device=emissions.device
        )
        paths.scatter_(1, (lengths - 1).unsqueeze(1), last_tag.unsqueeze(1))
        cur = last_tag
        for t in range(steps - 1, 0, -1):
            prev = history[t - 1].gather(1, cur.unsqueeze(1)).squeeze(1)
            valid = mask[:, t]
            cur = torch.where(valid, prev, cur)
            paths[:, t - 1] = torch.where(valid, prev, paths[:, t - 1])
        if as_tensor:
            return paths
        return [row[:n] for row, n in zip(paths.tolist(), lengths.tolist())]
