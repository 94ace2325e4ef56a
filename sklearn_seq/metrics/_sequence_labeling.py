# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Entity-level metrics for sequence labeling (NER chunking).

Functions named as ``*_score`` return a scalar value to maximize: the higher
the better.
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.utils import check_consistent_length

from sklearn_seq.metrics._validation import check_metric_sample_weight
from sklearn_seq.utils._param_validation import (
    Options,
    StrOptions,
    validate_params,
)

_SCHEME_PREFIXES = {
    "IOB1": "BI",
    "IOB2": "BI",
    "IOE1": "IE",
    "IOE2": "IE",
    "IOBES": "BIES",
}
_PREFIX_CODES = {"O": 0, "B": 1, "I": 2, "E": 3, "S": 4}


def _flatten_tags(sequences, name):
    """Concatenate sequences with an "O" after each one, as seqeval does."""
    if isinstance(sequences, str) or not hasattr(sequences, "__len__"):
        raise TypeError(f"{name} must be a list of tag sequences.")
    lengths = np.array([len(s) for s in sequences], dtype=np.intp)
    flat = []
    for s in sequences:
        if isinstance(s, str):
            raise TypeError(f"{name} must be a list of tag sequences, not of str.")
        flat.extend(s)
        flat.append("O")
    return np.asarray(flat, dtype=object), lengths


def _parse_tags(tags, scheme):
    """Prefix code and entity-type code of each tag (vectorised via unique)."""
    uniq, inv = np.unique(tags.astype(str), return_inverse=True)
    allowed = _SCHEME_PREFIXES.get(scheme, "BIES")
    prefix = np.empty(len(uniq), dtype=np.int8)
    types = []
    for i, tag in enumerate(uniq):
        head = tag[:1]
        if tag == "O":
            prefix[i] = 0
            types.append("_")
            continue
        if head not in allowed or (len(tag) > 1 and tag[1] != "-"):
            raise ValueError(
                f"Tag {tag!r} is not valid for scheme {scheme or 'any'}: expected "
                f"'O' or a prefix in {sorted(allowed)} followed by '-TYPE'."
            )
        prefix[i] = _PREFIX_CODES[head]
        types.append(tag[2:] or "_")
    return prefix[inv.ravel()], np.asarray(types, dtype=object)[inv.ravel()]


def _chunks(prefix, type_code):
    """Entities (begin, end, type) with the conlleval rules seqeval uses.

    Vectorised form of ``seqeval.metrics.sequence_labeling.get_entities``:
    a chunk ends between tokens ``i - 1`` and ``i`` when ``end[i]``, and the
    chunk that ends there began at the last ``start`` before ``i``.
    """
    O, B, I, E, S = 0, 1, 2, 3, 4
    prev = np.concatenate([[O], prefix])
    cur = np.concatenate([prefix, [O]])
    prev_t = np.concatenate([[-1], type_code])
    cur_t = np.concatenate([type_code, [-2]])
    type_change = prev_t != cur_t
    end = (
        np.isin(prev, (E, S))
        | (np.isin(prev, (B, I)) & np.isin(cur, (B, S, O)))
        | ((prev != O) & type_change)
    )
    start = (
        np.isin(cur, (B, S))
        | (np.isin(prev, (E, S, O)) & np.isin(cur, (E, I)))
        | ((cur != O) & type_change)
    )
    idx = np.arange(len(cur))
    last_start = np.maximum.accumulate(np.where(start, idx, -1))
    ends = np.flatnonzero(end)  # chunk covers [begin, ends - 1]
    begins = last_start[ends - 1]
    return begins, ends - 1, prev_t[ends]


def _entity_counts(y_true, y_pred, scheme, sample_weight):
    t_flat, t_len = _flatten_tags(y_true, "y_true")
    p_flat, p_len = _flatten_tags(y_pred, "y_pred")
    if not np.array_equal(t_len, p_len):
        raise ValueError("y_true and y_pred must have sequences of equal lengths.")
    n = len(t_flat)
    t_prefix, t_type = _parse_tags(t_flat, scheme)
    p_prefix, p_type = _parse_tags(p_flat, scheme)
    type_names, codes = np.unique(
        np.concatenate([t_type, p_type]).astype(str), return_inverse=True
    )
    codes = codes.ravel()
    t_code, p_code = codes[:n], codes[n:]
    t_b, t_e, t_ty = _chunks(t_prefix, t_code)
    p_b, p_e, p_ty = _chunks(p_prefix, p_code)
    n_types = len(type_names)
    key_t = (t_b.astype(np.int64) * (n + 1) + t_e) * n_types + t_ty
    key_p = (p_b.astype(np.int64) * (n + 1) + p_e) * n_types + p_ty
    _, i_t, _ = np.intersect1d(key_t, key_p, assume_unique=True, return_indices=True)
    if sample_weight is None:
        w_t = np.ones(len(t_b))
        w_p = np.ones(len(p_b))
    else:
        check_consistent_length(t_len, sample_weight)  # one per sequence
        sw = check_metric_sample_weight(sample_weight, len(t_len))
        seq_of_token = np.repeat(np.arange(len(t_len)), t_len + 1)
        w_t = sw[seq_of_token[t_b]]
        w_p = sw[seq_of_token[p_b]]
    true_sum = np.bincount(t_ty, weights=w_t, minlength=n_types)
    pred_sum = np.bincount(p_ty, weights=w_p, minlength=n_types)
    tp_sum = np.bincount(t_ty[i_t], weights=w_t[i_t], minlength=n_types)
    present = np.zeros(n_types, dtype=bool)
    present[t_ty] = True
    present[p_ty] = True
    return tp_sum[present], pred_sum[present], true_sum[present]


def _divide(num, den, zero_division, what):
    zero = den == 0
    out = num / np.where(zero, 1.0, den)
    if np.any(zero):
        if zero_division == "warn":
            warnings.warn(
                f"{what} is ill-defined and set to 0.0 for entity types with no "
                f"{'predicted' if what == 'Precision' else 'true'} entities. Use "
                "`zero_division` to control this.",
                UndefinedMetricWarning,
                stacklevel=4,
            )
        out[zero] = 0.0 if zero_division == "warn" else float(zero_division)
    return out


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "scheme": [
            StrOptions({"IOB1", "IOB2", "IOE1", "IOE2", "IOBES"}),
            None,
        ],
        "average": [StrOptions({"micro", "macro", "weighted"}), None],
        "zero_division": [StrOptions({"warn"}), Options(Real, {0.0, 1.0})],
        "sample_weight": ["array-like", None],
    },
    prefer_skip_nested_validation=True,
)
def entity_f1_score(
    y_true,
    y_pred,
    *,
    scheme=None,
    average="micro",
    zero_division="warn",
    sample_weight=None,
):
    """Entity-level F1 score for tagged sequences (seqeval-compatible).

    Entities are the chunks of consecutive tags of one type, found with the
    conlleval rules that ``seqeval`` uses in its default mode
    (``seqeval.metrics.f1_score(y_true, y_pred)`` without ``mode="strict"``):
    they read IOB1, IOB2, IOE1/IOE2 and IOBES tags alike, and turn an
    ill-formed start (``I-PER`` after ``O``) into an entity. An entity is
    correct when its type, first and last token all match. seqeval's strict
    mode (``mode="strict", scheme=IOB2``) differs only on ill-formed
    sequences, where it drops the ill-formed chunks.

    Parameters
    ----------
    y_true : list of list of str
        True tags, one list per sequence, e.g. ``["B-PER", "I-PER", "O"]``.

    y_pred : list of list of str
        Predicted tags, same lengths as ``y_true``.

    scheme : {"IOB1", "IOB2", "IOE1", "IOE2", "IOBES"}, default=None
        Tagging scheme; checks that only its prefixes are used (IOB: B, I;
        IOE: I, E; IOBES: B, I, E, S; and "O"). ``None`` accepts any of them.

    average : {"micro", "macro", "weighted"} or None, default="micro"
        ``"micro"`` pools the entities of all types, ``"macro"`` is the
        unweighted mean of the per-type F1 over the types present in
        ``y_true`` or ``y_pred``, ``"weighted"`` weights it by the number of
        true entities. ``None`` returns the per-type scores (types sorted).

    zero_division : {"warn", 0.0, 1.0}, default="warn"
        Precision (recall) of a type without predicted (true) entities.
        ``"warn"`` acts as 0 and warns.

    sample_weight : array-like of shape (n_sequences,), default=None
        Weight of each sequence: an entity counts with the weight of its
        sequence. Finite, non-negative, not all zero.

    Returns
    -------
    score : float or ndarray of shape (n_types,)
        The entity-level F1 score.

    Examples
    --------
    >>> from sklearn_seq.metrics import entity_f1_score
    >>> y_true = [["O", "O", "B-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> y_pred = [["O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]]
    >>> entity_f1_score(y_true, y_pred)
    0.5
    >>> entity_f1_score(y_true, y_pred, average=None)
    array([0., 1.])
    """
    tp, pred, true = _entity_counts(y_true, y_pred, scheme, sample_weight)
    if average == "micro":
        tp, pred, true = (
            tp.sum(keepdims=True),
            pred.sum(keepdims=True),
            true.sum(keepdims=True),
        )
    precision = _divide(tp, pred, zero_division, "Precision")
    recall = _divide(tp, true, zero_division, "Recall")
    denom = precision + recall
    f1 = 2 * precision * recall / np.where(denom == 0, 1.0, denom)
    if average is None:
        return f1
    if f1.size == 0:
        return 0.0 if zero_division == "warn" else float(zero_division)
    if average == "weighted":
        if true.sum() == 0:
            return 0.0 if zero_division == "warn" else float(zero_division)
        return float(np.average(f1, weights=true))
    return float(np.mean(f1))
