# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Metric-learning losses: contrastive pairs and triplets mined in the batch.

Both losses take embeddings (not logits): the output of an embedding network,
one row per sample. Triplets and pairs are formed inside each batch from the
labels (online mining), with whole-matrix operations on the ``(B, B)`` distance
matrix, never a Python loop over anchors.
"""

import torch
import torch.nn.functional as F
from torch import nn

from sklearn_seq.losses._base import _check_options, _check_real, _ParamsMixin

__all__ = ["ContrastiveLoss", "TripletLoss"]

_DISTANCES = ("euclidean", "squared_euclidean", "cosine")
_MININGS = ("batch_hard", "batch_all", "semi_hard", None)


def _safe_sqrt(squared):
    """Square root with a zero (not infinite) gradient at 0."""
    positive = squared > 0
    root = torch.sqrt(torch.where(positive, squared, torch.ones_like(squared)))
    return torch.where(positive, root, torch.zeros_like(root))


def _pairwise_distances(x, distance):
    """Distance matrix ``(B, B)`` between the rows of ``x``."""
    if distance == "cosine":
        unit = F.normalize(x, dim=1)
        return (1.0 - unit @ unit.T).clamp_min(0.0)
    norms = (x * x).sum(dim=1)
    squared = (norms[:, None] + norms[None, :] - 2.0 * (x @ x.T)).clamp_min(0.0)
    if distance == "squared_euclidean":
        return squared
    return _safe_sqrt(squared)


def _paired_distances(a, b, distance):
    """Distance ``(B,)`` between matching rows of ``a`` and ``b``."""
    if distance == "cosine":
        return 1.0 - F.cosine_similarity(a, b, dim=1)
    squared = ((a - b) ** 2).sum(dim=1)
    if distance == "squared_euclidean":
        return squared
    return _safe_sqrt(squared)


def _check_embeddings(owner, embeddings, labels):
    name = type(owner).__name__
    if embeddings.ndim != 2:
        raise ValueError(
            f"{name} expects embeddings of shape (batch_size, n_dims); got "
            f"shape {tuple(embeddings.shape)}."
        )
    if labels.ndim != 1 or labels.shape[0] != embeddings.shape[0]:
        raise ValueError(
            f"{name} expects labels of shape (batch_size,) = "
            f"({embeddings.shape[0]},); got shape {tuple(labels.shape)}."
        )


def _zero(embeddings):
    """A zero loss that is still connected to the graph."""
    return embeddings.sum() * 0.0


class ContrastiveLoss(_ParamsMixin, nn.Module):
    r"""Contrastive loss on pairs of embeddings (Hadsell et al., 2006).

    .. math::

        L = \frac{1}{P} \sum_{\text{pairs}} \left[ y \, d^2
            + (1 - y) \max(0, m - d)^2 \right]

    where :math:`d` is the distance between the two embeddings of a pair,
    :math:`y = 1` for a similar pair and 0 otherwise, and :math:`m` the margin.
    Similar pairs are pulled together; dissimilar pairs are pushed apart until
    they are at least ``margin`` away. (Hadsell et al. write the same loss with
    a factor 1/2 and :math:`y = 0` for similar pairs.)

    Two input conventions are accepted:

    - ``loss(embeddings, labels)``: embeddings ``(B, D)`` and class labels
      ``(B,)``. Every pair ``i < j`` of the batch is used, similar when the
      labels are equal; :math:`P = B (B - 1) / 2`. This is the form an embedding
      estimator feeds, the same as :class:`TripletLoss`.
    - ``loss(emb_a, emb_b, same)``: two embeddings ``(B, D)`` and ``same``
      ``(B,)`` (1/True for similar pairs), one pair per row; :math:`P = B`.

    Parameters
    ----------
    margin : float, default=1.0
        Distance beyond which dissimilar pairs stop contributing.

    distance : {"euclidean", "cosine"}, default="euclidean"
        ``"euclidean"``: :math:`\lVert a - b \rVert_2`; ``"cosine"``:
        :math:`1 - \cos(a, b)`, in [0, 2] (pick a margin below 2).

    Attributes
    ----------
    active_fraction_ : float
        Fraction of the pairs of the last batch with a positive loss. Set by
        each call.

    See Also
    --------
    TripletLoss : Relative comparison of an anchor with a positive and a
        negative, with online mining.

    References
    ----------
    .. [1] R. Hadsell, S. Chopra and Y. LeCun, "Dimensionality Reduction by
       Learning an Invariant Mapping", CVPR 2006.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.losses import ContrastiveLoss
    >>> emb = torch.tensor([[0.0, 0.0], [0.0, 0.5], [3.0, 4.0]])
    >>> loss = ContrastiveLoss(margin=1.0)
    >>> loss(emb, torch.tensor([0, 0, 1]))  # pairs: 0.5**2, 0, 0 -> mean
    tensor(0.0833)
    >>> a, b = emb[:2], emb[1:]
    >>> loss(a, b, torch.tensor([True, False]))  # 0.5**2 and 0 -> mean
    tensor(0.1250)
    """

    def __init__(self, margin=1.0, distance="euclidean"):
        super().__init__()
        self.margin = margin
        self.distance = distance

    def _validate(self):
        _check_real(self, "margin", self.margin, low=0.0)
        _check_options(self, "distance", self.distance, ("euclidean", "cosine"))

    def forward(self, embeddings, target, same=None):
        """Compute the contrastive loss.

        Parameters
        ----------
        embeddings : tensor of shape (B, D)
            Embeddings, or the first embedding of each pair when ``same`` is
            given.

        target : tensor of shape (B,) or (B, D)
            Class labels (all pairs of the batch are formed), or the second
            embedding of each pair when ``same`` is given.

        same : tensor of shape (B,), default=None
            Whether each pair ``(embeddings[i], target[i])`` is similar.

        Returns
        -------
        loss : tensor
            Scalar mean over the pairs; 0 (with a gradient) when there is no
            pair.
        """
        self._validate()
        if same is None:
            _check_embeddings(self, embeddings, target)
            n = embeddings.shape[0]
            rows, cols = torch.triu_indices(n, n, offset=1, device=embeddings.device)
            d = _pairwise_distances(embeddings, self.distance)[rows, cols]
            y = (target[rows] == target[cols]).to(embeddings.dtype)
        else:
            if embeddings.ndim != 2 or target.shape != embeddings.shape:
                raise ValueError(
                    "ContrastiveLoss(emb_a, emb_b, same) expects two embeddings of "
                    f"the same shape (B, D); got {tuple(embeddings.shape)} and "
                    f"{tuple(target.shape)}."
                )
            if same.shape != embeddings.shape[:1]:
                raise ValueError(
                    f"ContrastiveLoss expects 'same' of shape ({embeddings.shape[0]},)"
                    f"; got {tuple(same.shape)}."
                )
            d = _paired_distances(embeddings, target, self.distance)
            y = same.to(embeddings.dtype)
        if d.numel() == 0:
            self.active_fraction_ = 0.0
            return _zero(embeddings)
        losses = y * d**2 + (1 - y) * F.relu(self.margin - d) ** 2
        self.active_fraction_ = float((losses > 0).to(d.dtype).mean())
        return losses.mean()


class TripletLoss(_ParamsMixin, nn.Module):
    r"""Triplet loss with online mining inside the batch (Schroff et al., 2015).

    .. math::

        L(a, p, n) = \max(0, d(a, p) - d(a, n) + m)

    for an anchor :math:`a`, a positive :math:`p` (same label, another sample)
    and a negative :math:`n` (other label). The triplets are mined from the
    labels of each batch on the ``(B, B)`` distance matrix:

    - ``"batch_hard"``: for each anchor, its farthest positive and closest
      negative; the mean over the anchors that have both (Hermans et al.,
      2017).
    - ``"batch_all"``: every valid triplet; the mean over the *active* ones
      (positive loss), so the many easy triplets do not dilute the gradient.
    - ``"semi_hard"``: for each anchor-positive pair, the closest negative
      farther than the positive (:math:`d(a, p) < d(a, n)`, FaceNet); if there
      is none, the farthest negative. The mean over the anchor-positive pairs.
    - ``None``: every valid triplet, the mean over all of them.

    ``batch_hard`` costs :math:`O(B^2)`; the others sort each row of the
    distance matrix, :math:`O(B^2 \log B)` time and :math:`O(B^2)` memory (the
    :math:`B^3` triplets are never materialised).

    Parameters
    ----------
    margin : float or "soft", default=0.2
        Margin :math:`m` by which negatives must be farther than positives.
        ``"soft"`` replaces the hinge by :math:`\log(1 + e^{d(a, p) - d(a, n)})`
        (Hermans et al., 2017), which keeps pulling every triplet and avoids
        the collapse of all embeddings to one point that hard mining with a
        hinge can fall into from a random start; available for
        ``"batch_hard"`` and ``"semi_hard"`` mining.

    distance : {"euclidean", "squared_euclidean", "cosine"}, default="euclidean"
        Distance between embeddings; ``"cosine"`` is :math:`1 - \cos(a, b)`.

    mining : {"batch_hard", "batch_all", "semi_hard"} or None, default="batch_hard"
        How triplets are chosen in the batch (see above).

    Attributes
    ----------
    active_fraction_ : float
        Fraction of the triplets considered in the last batch that had a
        positive loss (one triplet per anchor for ``"batch_hard"``, per
        anchor-positive pair for ``"semi_hard"``, all valid triplets
        otherwise). When it falls towards 0, mining finds few informative
        triplets: try harder mining, a larger margin or larger batches. 0 when
        the batch has no valid triplet.

    See Also
    --------
    ContrastiveLoss : Absolute distances of pairs.

    Notes
    -----
    A batch without a valid triplet (every label the same, or all different)
    gives a loss of 0 that still backpropagates, never NaN. Reading
    ``active_fraction_`` synchronises with the device once per call.

    References
    ----------
    .. [1] F. Schroff, D. Kalenichenko and J. Philbin, "FaceNet: A Unified
       Embedding for Face Recognition and Clustering", CVPR 2015.
    .. [2] A. Hermans, L. Beyer and B. Leibe, "In Defense of the Triplet Loss
       for Person Re-Identification", arXiv:1703.07737, 2017.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.losses import TripletLoss
    >>> emb = torch.tensor([[0.0], [0.1], [0.5], [0.3], [2.0]])
    >>> labels = torch.tensor([0, 0, 0, 1, 1])
    >>> loss = TripletLoss(margin=0.2, mining="batch_hard")
    >>> loss(emb, labels)  # (0.4 + 0.4 + 0.5 + 1.7 + 0.4) / 5
    tensor(0.6800)
    >>> loss.active_fraction_
    1.0
    >>> easy = torch.tensor([[0.0], [0.1], [1.0], [1.05]])
    >>> loss(easy, torch.tensor([0, 0, 1, 1])), loss.active_fraction_
    (tensor(0.), 0.0)
    """

    def __init__(self, margin=0.2, distance="euclidean", mining="batch_hard"):
        super().__init__()
        self.margin = margin
        self.distance = distance
        self.mining = mining

    def _validate(self):
        if self.margin == "soft":
            if self.mining not in ("batch_hard", "semi_hard"):
                raise ValueError(
                    "TripletLoss(margin='soft') works with mining='batch_hard' or "
                    f"'semi_hard', got mining={self.mining!r}."
                )
        else:
            _check_real(self, "margin", self.margin, low=0.0)
        _check_options(self, "distance", self.distance, _DISTANCES)
        _check_options(self, "mining", self.mining, _MININGS)

    def _hinge(self, gap):
        """Losses and active flags of triplets with ``gap = d(a, p) - d(a, n)``.

        With the soft margin every triplet has a positive loss; the active
        ones are those still violated (``gap > 0``).
        """
        if self.margin == "soft":
            return F.softplus(gap), gap > 0
        losses = F.relu(gap + self.margin)
        return losses, losses > 0

    def forward(self, embeddings, labels):
        """Mine triplets in the batch and compute their mean loss.

        Parameters
        ----------
        embeddings : tensor of shape (B, D)
            One embedding per sample.

        labels : tensor of shape (B,)
            Class label of each sample; samples with equal labels are
            positives of each other.

        Returns
        -------
        loss : tensor
            Scalar.
        """
        self._validate()
        _check_embeddings(self, embeddings, labels)
        n = embeddings.shape[0]
        d = _pairwise_distances(embeddings, self.distance)
        same = labels[:, None] == labels[None, :]
        eye = torch.eye(n, dtype=torch.bool, device=embeddings.device)
        positive = same & ~eye
        negative = ~same
        if self.mining == "batch_hard":
            loss, n_active, n_considered = self._batch_hard(d, positive, negative)
        elif self.mining == "semi_hard":
            loss, n_active, n_considered = self._semi_hard(d, positive, negative)
        else:
            loss, n_active, n_considered = self._all(d, positive, negative)
        n_considered = int(n_considered)
        if n_considered == 0:
            self.active_fraction_ = 0.0
            return _zero(embeddings)
        self.active_fraction_ = int(n_active) / n_considered
        return loss

    def _batch_hard(self, d, positive, negative):
        valid = positive.any(dim=1) & negative.any(dim=1)
        inf = torch.finfo(d.dtype).max
        hardest_positive = d.masked_fill(~positive, -inf).amax(dim=1)
        hardest_negative = d.masked_fill(~negative, inf).amin(dim=1)
        losses, active = self._hinge(hardest_positive[valid] - hardest_negative[valid])
        n_considered = valid.sum()
        mean = losses.sum() / n_considered.clamp_min(1)
        return mean, active.sum(), n_considered

    def _sorted_negatives(self, d, negative):
        """Each row's negative distances in increasing order (+inf padded)."""
        padded = d.masked_fill(~negative, float("inf"))
        sorted_negative, _ = padded.sort(dim=1)
        return sorted_negative, negative.sum(dim=1)

    def _semi_hard(self, d, positive, negative):
        sorted_negative, n_negative = self._sorted_negatives(d, negative)
        # index of the first negative strictly farther than the positive
        first = torch.searchsorted(sorted_negative.detach(), d.detach(), right=True)
        has_semi_hard = first < n_negative[:, None]
        farthest = (n_negative - 1).clamp_min(0)[:, None].expand_as(first)
        chosen = sorted_negative.gather(1, torch.where(has_semi_hard, first, farthest))
        valid = positive & (n_negative > 0)[:, None]
        losses, active = self._hinge(d[valid] - chosen[valid])
        n_considered = valid.sum()
        mean = losses.sum() / n_considered.clamp_min(1)
        return mean, active.sum(), n_considered

    def _all(self, d, positive, negative):
        # For anchor a and positive p, the active negatives are those with
        # d(a, n) < d(a, p) + m; their summed loss is k * (d(a, p) + m) minus
        # the sum of their distances: a prefix sum of the sorted negatives.
        sorted_negative, n_negative = self._sorted_negatives(d, negative)
        threshold = d + self.margin
        n_active_negatives = torch.searchsorted(
            sorted_negative.detach(), threshold.detach(), right=False
        )
        finite = torch.where(
            torch.isinf(sorted_negative),
            torch.zeros_like(sorted_negative),
            sorted_negative,
        )
        prefix = F.pad(finite.cumsum(dim=1), (1, 0))
        summed = n_active_negatives * threshold - prefix.gather(1, n_active_negatives)
        summed = torch.where(positive, summed, torch.zeros_like(summed))
        n_active = torch.where(
            positive, n_active_negatives, torch.zeros_like(n_active_negatives)
        ).sum()
        n_considered = (positive.sum(dim=1) * n_negative).sum()
        denominator = n_active if self.mining == "batch_all" else n_considered
        mean = summed.sum() / denominator.clamp_min(1)
        return mean, n_active, n_considered
