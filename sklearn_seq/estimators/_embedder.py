# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""SequenceEmbedder: metric learning of sequence embeddings (triplet, contrastive)."""

from numbers import Integral

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.base import TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d
from skorch.callbacks import PassthroughScoring

from sklearn_seq.data import PKBatchLoader
from sklearn_seq.estimators._base import (
    _PooledSequenceNet,
    _SeqNet,
)
from sklearn_seq.estimators._params import (
    _POSITIVE_INT,
    CELL,
    CONV,
    EMBEDDING,
    ENCODER,
    POOLING,
    RECOMPUTE_BN_STATS,
    RUNTIME,
    TRAINING,
    WORD_DROPOUT,
    Param,
    with_parameters,
)
from sklearn_seq.losses import TripletLoss
from sklearn_seq.metrics import make_verification_scorer, verification_pairs
from sklearn_seq.utils._param_validation import IntervalNotBool

__all__ = ["SequenceEmbedder"]

#: Training samples used to learn the verification threshold (all pairs of a
#: random subset of this size: 124,750 pairs at most). A one-dimensional
#: threshold needs no more; 800 samples (319,600 pairs) took 0.08 s, a fifth of
#: a 3-epoch fit (benchmarks/bench_peers.py); 500 take 0.01 s (embedding them
#: 6 ms, their distances 2 ms, the threshold 1 ms).
_MAX_THRESHOLD_SAMPLES = 500


def _youden_threshold(dist, genuine):
    """The distance ``t`` maximising TPR - FPR of the rule "same if d <= t".

    The optimum of Youden's J lies at a genuine pair's distance (moving ``t``
    across an impostor pair only raises the FPR), so J is evaluated there
    only, counting the impostor pairs below each candidate by binary search
    in their sorted distances. Equal to
    ``-roc_curve(genuine, -dist)[2][argmax(tpr - fpr)]`` (tested), in 1.1
    instead of 14 ms on the 124,750 pairs of 500 sequences: a plain sort of
    the values, where ``roc_curve`` needs a stable argsort. When no threshold
    beats chance (J <= 0 everywhere), the smallest distance.
    """
    pos = np.sort(dist[genuine])
    neg = np.sort(dist[~genuine])
    false_pos = np.searchsorted(neg, pos, side="right")  # impostors with d <= t
    j = np.arange(1, len(pos) + 1) / len(pos) - false_pos / len(neg)
    best = int(np.argmax(j))  # the last of tied distances has the largest TPR
    if j[best] <= 0:
        return float(dist.min())
    return float(pos[best])


class _EmbeddingModule(torch.nn.Module):
    """A sequence network whose outputs are (optionally L2-normalised) embeddings."""

    def __init__(self, net, normalize):
        super().__init__()
        self.net = net
        self.normalize = normalize

    def forward(self, x, lengths):
        z = self.net(x, lengths)
        return F.normalize(z, dim=1) if self.normalize else z


class _EmbedderNet(_SeqNet):
    """skorch net feeding embeddings and labels to a metric-learning loss.

    The criterion's ``active_fraction_`` (fraction of triplets or pairs with a
    positive loss) is recorded per training batch, as ``active_fraction``.
    """

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = self.criterion_(y_pred, y_true.to(y_pred.device))
        active = getattr(self.criterion_, "active_fraction_", None)
        if training and active is not None:
            self.history.record_batch("active_fraction", float(active))
        return loss


def _pair_input(X_pairs):
    if not isinstance(X_pairs, (tuple, list)) or len(X_pairs) != 2:
        raise ValueError(
            "Pair input must be a tuple (X_a, X_b) of two sequence collections "
            "of the same length (pair i is X_a[i], X_b[i]); got "
            f"{type(X_pairs).__name__}"
            + (f" of length {len(X_pairs)}." if hasattr(X_pairs, "__len__") else ".")
        )
    return X_pairs


EMBEDDING_SIZE = Param(
    "embedding_size",
    32,
    [_POSITIVE_INT],
    "int",
    """
        Dimension of the output embeddings (the network's output layer).
        Not to be confused with ``embedding_dim``, the size of the token
        embedding of token-id input.""",
)

NORMALIZE = Param(
    "normalize",
    True,
    ["boolean"],
    "bool",
    """
        L2-normalise the embeddings (they lie on the unit sphere, where
        Euclidean distance is a monotone function of cosine similarity and
        margins have a fixed scale: distances are in [0, 2]).""",
)

SAMPLES_PER_CLASS = Param(
    "samples_per_class",
    4,
    [IntervalNotBool(Integral, 2, None, closed="left")],
    "int",
    """
        ``K``, sequences per class in each training batch; ``P =
        batch_size // samples_per_class`` classes share a batch. An epoch
        draws about ``n_samples / batch_size`` such batches.""",
)


@with_parameters(
    CELL,
    ENCODER,
    POOLING,
    CONV,
    EMBEDDING,
    WORD_DROPOUT,
    EMBEDDING_SIZE,
    NORMALIZE,
    SAMPLES_PER_CLASS,
    TRAINING,
    RUNTIME,
    RECOMPUTE_BN_STATS,
)
class SequenceEmbedder(TransformerMixin, _PooledSequenceNet):
    """Metric learning on sequences: embeddings from triplet or contrastive loss.

    Encodes each sequence, pools the step outputs, and projects them to an
    ``embedding_size``-dimensional vector, L2-normalised by default. Training
    pulls sequences of the same class together and pushes other classes away
    (:class:`~sklearn_seq.losses.TripletLoss` with batch-hard mining by
    default, or :class:`~sklearn_seq.losses.ContrastiveLoss`), on batches of
    ``P`` classes x ``K = samples_per_class`` sequences
    (:class:`~sklearn_seq.data.PKBatchLoader`) so that every anchor has
    positives to mine. The embedding generalises to classes never seen in
    training (verification of new identities, few-shot retrieval).

    :meth:`transform` returns the embeddings, so the estimator can precede
    e.g. :class:`~sklearn.neighbors.KNeighborsClassifier` in a
    :class:`~sklearn.pipeline.Pipeline`. :meth:`decision_function` and
    :meth:`predict` answer *verification* questions on pairs: pass
    ``X_pairs = (X_a, X_b)``, a tuple of two sequence collections of the same
    length (pair ``i`` is ``X_a[i]`` and ``X_b[i]``); a pair is accepted as
    "same class" when the Euclidean distance of its embeddings is at most
    ``threshold_``, learned on all pairs of the training data (of a random
    subset of 500 sequences when there are more; the threshold maximising
    true minus false acceptance rate).

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels seen in :meth:`fit`.

    threshold_ : float
        Largest embedding distance at which a pair is accepted as the same
        class by :meth:`predict` (``decision_function = threshold_ -
        distance``).

    {shared_attributes}

    See Also
    --------
    sklearn_seq.losses.TripletLoss : The default criterion, with its mining
        strategies.
    sklearn_seq.losses.ContrastiveLoss : Pair-based alternative.
    sklearn_seq.metrics.make_verification_scorer : ROC-AUC, EER and TAR@FAR
        of the embeddings on pairs.

    Notes
    -----
    The criterion receives the embeddings ``(batch, embedding_size)`` and the
    integer-coded class labels, not logits. ``history_`` holds, next to the
    losses, the per-epoch mean ``active_fraction`` of the criterion (the share
    of mined triplets or pairs with a positive loss): when it falls towards 0,
    mining finds little to learn from (try harder mining, a larger margin or
    larger batches). ``sample_weight`` is not supported: the metric-learning
    losses mix samples within each triplet or pair.

    Examples
    --------
    >>> from sklearn_seq import SequenceEmbedder
    >>> from sklearn_seq.datasets import make_sequence_verification
    >>> X, y = make_sequence_verification(n_classes=6, n_samples_per_class=4,
    ...                                   random_state=0)
    >>> emb = SequenceEmbedder(hidden_size=8, embedding_size=4, max_epochs=2,
    ...                        batch_size=8, samples_per_class=2,
    ...                        random_state=0)
    >>> emb.fit(X, y).transform(X[:3]).shape
    (3, 4)
    >>> emb.predict((X[:3], X[3:6])).tolist()  # pairs (X[i], X[3 + i])
    [...]
    >>> "active_fraction" in emb.history_[-1]
    True
    """

    # -- fit --------------------------------------------------------------
    def _build_module(self, seqs, n_outputs):
        return _EmbeddingModule(super()._build_module(seqs, n_outputs), self.normalize)

    def fit(self, X, y):
        """Learn embeddings from sequences ``X`` and class labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_features), \
(n_samples, n_timesteps), list of arrays or list of token id lists
            Training sequences.
        y : array-like of shape (n_samples,)
            Class labels of any dtype; at least two classes, and at least one
            class with two or more samples.

        Returns
        -------
        self : SequenceEmbedder
            The fitted estimator.
        """
        return self._fit(X, y)

    # -- hooks of BaseSequenceNet._fit -----------------------------------------
    _default_criterion = TripletLoss
    _stratify = True

    def _encode_y(self, y, seqs, *, warm):
        y = column_or_1d(np.asarray(y), warn=True)
        check_classification_targets(y)
        self._check_n_targets(len(y), seqs)
        self.classes_, codes = np.unique(y, return_inverse=True)
        counts = np.bincount(codes)
        if len(self.classes_) < 2 or counts.max() < 2:
            raise ValueError(
                "Metric learning needs at least two classes and a class with two "
                f"or more samples; y has {len(self.classes_)} class(es) with at "
                f"most {counts.max()} sample(s) each."
            )
        return codes.astype(np.int64), self.embedding_size

    def _after_fit(self, seqs, target):
        self.threshold_ = self._learn_threshold(seqs, target)

    #: task of sklearn_seq.utils.estimator_checks (pair input, class labels)
    _sequence_task = "embedder"

    # hooks of BaseSequenceNet._fit_net: P classes x K samples per batch,
    # so that mining always finds positives, and active_fraction per epoch
    _net_class = _EmbedderNet
    _loader_class = PKBatchLoader

    def _loader_params(self, seed, cuda):
        k = {"n_samples_per_class": self.samples_per_class}
        train = {
            **k,
            "generator": np.random.default_rng(seed),
            **(self.iterator_train_params or {}),
        }
        return train, {**k, "shuffle": False, "seed": seed}

    def _build_callbacks(self):
        return [
            (
                "active_fraction",
                PassthroughScoring(
                    "active_fraction", lower_is_better=None, on_train=True
                ),
            ),
            *super()._build_callbacks(),
        ]

    def _learn_threshold(self, seqs, codes):
        """Distance threshold maximising TPR - FPR on training pairs."""
        idx = np.arange(seqs.n_samples)
        if len(idx) > _MAX_THRESHOLD_SAMPLES:
            rng = check_random_state(self.random_state)
            idx = np.sort(rng.choice(idx, _MAX_THRESHOLD_SAMPLES, replace=False))
        emb = self._forward(seqs.take(idx) if len(idx) < seqs.n_samples else seqs)
        same, neg_dist = verification_pairs(emb, codes[idx])
        if same.min() == same.max():
            # a single kind of pair: fall back to the median distance
            return float(np.median(-neg_dist))
        return _youden_threshold(-neg_dist, same.astype(bool))

    # -- outputs ----------------------------------------------------------
    def transform(self, X):
        """Embed sequences.

        Parameters
        ----------
        X : array-like or list of sequences
            Sequences, of the kind seen in :meth:`fit`.

        Returns
        -------
        ndarray of shape (n_samples, embedding_size)
            Embeddings (unit norm when ``normalize=True``), float32.
        """
        return self._predict_raw(X)

    def pair_distances(self, X_pairs):
        """Euclidean distance between the embeddings of each pair.

        Parameters
        ----------
        X_pairs : tuple (X_a, X_b)
            Two sequence collections of the same length; pair ``i`` is
            ``(X_a[i], X_b[i])``.

        Returns
        -------
        ndarray of shape (n_pairs,)
            Distances (in [0, 2] with ``normalize=True``).
        """
        self._check_fitted()
        X_a, X_b = _pair_input(X_pairs)
        emb_a, emb_b = self.transform(X_a), self.transform(X_b)
        if len(emb_a) != len(emb_b):
            raise ValueError(
                f"X_pairs = (X_a, X_b) needs as many sequences in X_a as in X_b; "
                f"got {len(emb_a)} and {len(emb_b)}."
            )
        diff = emb_a.astype(np.float64) - emb_b.astype(np.float64)
        return np.sqrt(np.einsum("ij,ij->i", diff, diff))

    def decision_function(self, X_pairs):
        """Verification score of pairs: ``threshold_ - distance``.

        Positive when the pair is judged to be of the same class; higher means
        more similar.

        Parameters
        ----------
        X_pairs : tuple (X_a, X_b)
            Two sequence collections of the same length; pair ``i`` is
            ``(X_a[i], X_b[i])``.

        Returns
        -------
        ndarray of shape (n_pairs,)
            Scores.
        """
        self._check_fitted()
        return self.threshold_ - self.pair_distances(X_pairs)

    def predict(self, X_pairs):
        """Whether each pair is of the same class (1) or not (0).

        Parameters
        ----------
        X_pairs : tuple (X_a, X_b)
            Two sequence collections of the same length; pair ``i`` is
            ``(X_a[i], X_b[i])``.

        Returns
        -------
        ndarray of shape (n_pairs,)
            1 when the embedding distance is at most ``threshold_``, else 0.
        """
        return (self.decision_function(X_pairs) >= 0).astype(np.int64)

    def score(self, X, y):
        """Verification ROC-AUC of the embeddings.

        Parameters
        ----------
        X : tuple (X_a, X_b) or array-like of sequences
            Pairs (then ``y`` flags same-class pairs with 1), or sequences
            with class labels ``y`` (then every pair ``i < j`` is a trial).
        y : array-like
            Pair flags or class labels, as above.

        Returns
        -------
        float
            ROC-AUC of the negated pair distances against same-class flags.
        """
        return make_verification_scorer("roc_auc")(self, X, y)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        # the network computes in float32 whatever the input dtype: float32
        # input gives float32 embeddings, float64 input does not give float64
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
