# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Metrics for sequence outputs (seq2seq predictions): exact match, token
accuracy and corpus BLEU.

Pure Python and NumPy (no torch). Each sample of ``y_true`` / ``y_pred`` is a
sequence: a list or 1-D array of tokens (ids or strings), or a string. The
functions return a scalar to maximize, in [0, 1].
"""

from collections import Counter
from numbers import Integral

import numpy as np
from sklearn.utils import check_consistent_length

from sklearn_seq.metrics._validation import (
    IntervalNotBool,
    check_metric_sample_weight,
)
from sklearn_seq.utils._param_validation import validate_params

__all__ = ["bleu_score", "exact_match_score", "token_accuracy_score"]


def _as_tokens(seq, name, i, tokenizer=None):
    """One sample as a tuple of hashable tokens."""
    if isinstance(seq, str):
        return tuple(seq if tokenizer is None else tokenizer(seq))
    if isinstance(seq, bytes) or not hasattr(seq, "__len__"):
        raise TypeError(
            f"{name}[{i}] is a {type(seq).__name__}; each sample must be a "
            "sequence of tokens (list, 1-D array) or a string."
        )
    arr = np.asarray(seq, dtype=object if isinstance(seq, list | tuple) else None)
    if arr.ndim > 1:
        raise ValueError(
            f"{name}[{i}] has shape {arr.shape}; each sample must be a 1-D "
            "sequence of tokens."
        )
    return tuple(arr.tolist())


def _check_pairs(y_true, y_pred, sample_weight, tokenizer=None):
    """Validate and tokenise both sides; return token tuples and weights."""
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if isinstance(y, str | bytes):
            raise TypeError(
                f"{name} is a single string; pass a list of sequences (one per "
                "sample), e.g. [text]."
            )
    y_true, y_pred = list(y_true), list(y_pred)
    if len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true has {len(y_true)} sequences but y_pred has {len(y_pred)}."
        )
    if not y_true:
        raise ValueError("y_true and y_pred are empty; need at least one sample.")
    true = [_as_tokens(s, "y_true", i, tokenizer) for i, s in enumerate(y_true)]
    pred = [_as_tokens(s, "y_pred", i, tokenizer) for i, s in enumerate(y_pred)]
    if sample_weight is None:
        weights = np.ones(len(true))
    else:
        check_consistent_length(true, sample_weight)
        weights = check_metric_sample_weight(sample_weight, len(true))
    return true, pred, weights


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def exact_match_score(y_true, y_pred, *, sample_weight=None):
    """Fraction of output sequences equal to their reference, token for token.

    Parameters
    ----------
    y_true : list of sequences
        Reference sequences: lists or 1-D arrays of tokens, or strings.
    y_pred : list of sequences
        Predicted sequences, same layout.
    sample_weight : array-like of shape (n_samples,), default=None
        Sample weights.

    Returns
    -------
    float
        Weighted fraction of exact matches, in [0, 1].

    See Also
    --------
    token_accuracy_score : Partial credit for matching positions.

    Examples
    --------
    >>> from sklearn_seq.metrics import exact_match_score
    >>> exact_match_score([[1, 2, 3], [4, 5]], [[1, 2, 3], [4]])
    0.5
    >>> exact_match_score(["2017-03-01", "1999-12-31"], ["2017-03-01", "1999-12-31"])
    1.0
    """
    true, pred, weights = _check_pairs(y_true, y_pred, sample_weight)
    hits = np.array([t == p for t, p in zip(true, pred)], dtype=np.float64)
    return float(np.average(hits, weights=weights))


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def token_accuracy_score(y_true, y_pred, *, sample_weight=None):
    """Position-wise token accuracy over a corpus of output sequences.

    Positions are compared one to one (no alignment): the score is the number
    of positions where prediction and reference hold the same token, divided
    by ``max(len(y_true[i]), len(y_pred[i]))`` summed over the samples
    (micro average). Missing and extra tokens both count as errors, so the
    score is 1 only for exact matches. Strings are compared character by
    character.

    Parameters
    ----------
    y_true : list of sequences
        Reference sequences: lists or 1-D arrays of tokens, or strings.
    y_pred : list of sequences
        Predicted sequences, same layout.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of each sample's matches and positions.

    Returns
    -------
    float
        Token accuracy in [0, 1]; 1.0 when every sequence is empty on both
        sides.

    See Also
    --------
    exact_match_score : All-or-nothing per sequence.

    Examples
    --------
    >>> from sklearn_seq.metrics import token_accuracy_score
    >>> token_accuracy_score([[1, 2, 3, 4]], [[1, 2, 0]])  # 2 of max(4, 3)
    0.5
    >>> token_accuracy_score(["abcd", "xy"], ["abed", "xy"])
    0.8333...
    """
    true, pred, weights = _check_pairs(y_true, y_pred, sample_weight)
    correct = np.array(
        [sum(a == b for a, b in zip(t, p)) for t, p in zip(true, pred)],
        dtype=np.float64,
    )
    total = np.array(
        [max(len(t), len(p)) for t, p in zip(true, pred)], dtype=np.float64
    )
    denom = float(weights @ total)
    if denom == 0:
        return 1.0
    return float(weights @ correct) / denom


def _ngrams(tokens, n):
    return Counter(tokens[i : i + n] for i in range(len(tokens) - n + 1))


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "max_order": [IntervalNotBool(Integral, 1, None, closed="left")],
        "smooth": ["boolean"],
        "tokenizer": [callable, None],
    },
    prefer_skip_nested_validation=True,
)
def bleu_score(y_true, y_pred, *, max_order=4, smooth=False, tokenizer=None):
    """Corpus BLEU with one reference per sample (Papineni et al., 2002).

    Written against the standard definition: for each order
    ``n = 1 .. max_order``, the modified precision ``p_n`` is the number of
    predicted n-grams whose count is clipped by their count in the reference,
    summed over the corpus, divided by the number of predicted n-grams summed
    over the corpus. BLEU is the geometric mean of the ``p_n`` (uniform
    weights) times the brevity penalty ``BP = 1`` if ``c > r`` else
    ``exp(1 - r / c)``, with ``c`` and ``r`` the total predicted and reference
    lengths over the corpus. Without smoothing, BLEU is 0 when some ``p_n`` is
    0 (for instance when every prediction is shorter than ``max_order``).
    This is NLTK's ``corpus_bleu`` and sacreBLEU's ``corpus_score`` on the
    same tokens with one reference (sacreBLEU reports ``100 * BLEU`` and
    tokenises raw text itself).

    Parameters
    ----------
    y_true : list of sequences
        One reference per sample: a list or 1-D array of tokens, or a string.
    y_pred : list of sequences
        Predicted sequences, same layout.
    max_order : int, default=4
        Longest n-gram order.
    smooth : bool, default=False
        Add-one smoothing of every order, ``(matches + 1) / (total + 1)``
        (Lin and Och, 2004), so that short corpora do not score 0.
    tokenizer : callable, default=None
        Splits string samples into tokens; ``str.split`` (whitespace) when
        None. Use ``list`` for character-level BLEU. Non-string samples are
        token sequences already.

    Returns
    -------
    float
        Corpus BLEU in [0, 1].

    References
    ----------
    Papineni, Roukos, Ward and Zhu (2002), "BLEU: a Method for Automatic
    Evaluation of Machine Translation", ACL.

    Examples
    --------
    >>> from sklearn_seq.metrics import bleu_score
    >>> bleu_score(["the cat sat on the mat"], ["the cat sat on the mat"])
    1.0
    >>> round(bleu_score(["the cat sat on the mat"], ["the cat sat on a mat"]), 4)
    0.5373
    >>> bleu_score([[1, 2, 3]], [[1, 2]], max_order=2)  # BP = exp(1 - 3/2)
    0.6065...
    """
    split = str.split if tokenizer is None else tokenizer
    true, pred, _ = _check_pairs(y_true, y_pred, None, split)
    matches = np.zeros(max_order)
    possible = np.zeros(max_order)
    for ref, hyp in zip(true, pred):
        for n in range(1, max_order + 1):
            hyp_counts = _ngrams(hyp, n)
            if not hyp_counts:
                break
            ref_counts = _ngrams(ref, n)
            matches[n - 1] += sum(min(c, ref_counts[g]) for g, c in hyp_counts.items())
            possible[n - 1] += len(hyp) - n + 1
    hyp_len = sum(len(h) for h in pred)
    ref_len = sum(len(r) for r in true)
    if hyp_len == 0:
        return 0.0
    if smooth:
        precisions = (matches + 1.0) / (possible + 1.0)
    else:
        if (matches == 0).any():
            return 0.0
        precisions = matches / possible
    log_mean = float(np.mean(np.log(precisions)))
    brevity = 1.0 if hyp_len > ref_len else float(np.exp(1.0 - ref_len / hyp_len))
    return float(brevity * np.exp(log_mean))
