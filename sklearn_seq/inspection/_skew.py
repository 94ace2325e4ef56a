# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Training-serving skew: a profile of the training inputs, a report on new ones.

Every estimator keeps, at the end of a successful fit, a compact profile of
the sequences it was trained on (:func:`training_input_profile`, stored as
the private attribute ``_input_profile``); :func:`skew_report` compares new
inputs with it. NumPy only: this module never imports torch.
"""

import math
import numbers
import warnings

import numpy as np
from sklearn.utils.validation import check_is_fitted

from sklearn_seq.utils import check_sequences

__all__ = ["skew_report"]

#: the out-of-vocabulary id of the token-input convention (TextVectorizer)
_OOV_ID = 1
#: rows per block of the mean / variance (temporaries that stay in cache)
_BLOCK = 1 << 13
#: steps beyond which the mean / variance are estimated on a random sample of
#: this many steps: the profile costs a few milliseconds whatever the size of
#: the data (measured: 39 ms per fit for 300,000 steps of 16 features, 2-4 %
#: of a 2-epoch LSTM fit; 2 ms sampled); the estimate's standard error, 1/90 of
#: a standard deviation, is far below the k=4 standard deviations the report flags
_MAX_PROFILE_STEPS = 1 << 13
#: length quantiles shown in the report
_QUANTILES = (0.05, 0.5, 0.95)
#: OOV check: flagged when the new rate is above both
_OOV_RATIO, _OOV_POINTS = 2.0, 0.05
#: case check: share of new tokens unknown as written but known in lowercase
#: above which it is flagged, for a lowercased and for a cased vocabulary
_CASE_SHARE_LOWERCASED, _CASE_SHARE_CASED = 0.01, 0.05
#: a vocabulary "looks lowercased" when this share of its cased entries is
_LOWERCASED = 0.99
#: columns of the report
COLUMNS = ("check", "training", "new", "flagged", "message")

_NUMERIC = ("fixed", "univariate", "ragged")


# -- one pass over the training (or new) sequences ---------------------------
def _merge_moments(a, b):
    """Chan et al.'s pairwise merge of ``(count, mean, M2)`` per column."""
    na, ma, sa = a
    nb, mb, sb = b
    n = na + nb
    if nb == 0:
        return a
    if na == 0:
        return b
    delta = mb - ma
    return n, ma + delta * (nb / n), sa + sb + delta**2 * (na * nb / n)


def _moments(values, max_steps=_MAX_PROFILE_STEPS):
    """``(count, mean, M2)`` per feature of 2-D ``values`` (float64 results).

    Exact up to ``max_steps`` rows; above, estimated on a seeded random
    sample of ``max_steps`` rows, ``M2`` scaled to all ``count`` rows (so
    that merging weighs calls by their true sizes). Block by block in
    float64, the squared deviations from each block's mean, merged with Chan
    et al.'s formula.
    """
    n = len(values)
    if n > max_steps:
        rows = np.sort(np.random.default_rng(0).integers(0, n, max_steps))
        count, mean, m2 = _moments(values[rows], max_steps)
        return n, mean, m2 * (n / count)
    n_features = values.shape[1]
    acc = (0, np.zeros(n_features), np.zeros(n_features))
    for start in range(0, n, _BLOCK):
        # in float64, the column sums as products with a vector of ones:
        # NumPy's column-wise sum of a narrow array, with its float64
        # accumulator, took almost 4 times longer (0.44 against 0.12 ms for
        # 8,192 steps of 8 features)
        block = values[start : start + _BLOCK].astype(np.float64)
        ones = np.ones(len(block))
        mean = (ones @ block) / len(block)
        block -= mean
        m2 = ones @ np.square(block, out=block)
        acc = _merge_moments(acc, (len(block), mean, m2))
    return acc


def _length_histogram(lengths):
    values, counts = np.unique(np.asarray(lengths, dtype=np.int64), return_counts=True)
    return values, counts.astype(np.int64)


def _quantile(values, counts, q):
    """The ``q`` quantile (inverted CDF) of a length histogram."""
    cum = np.cumsum(counts)
    i = int(np.searchsorted(cum, q * cum[-1], side="left"))
    return int(values[min(i, len(values) - 1)])


def _token_counts(values, oov_id):
    """``(n_oov, n_hapax)`` of token ids: ids ``oov_id``, ids seen once."""
    counts = np.bincount(values)
    known = counts.copy()
    known[0] = 0
    n_oov = 0
    if oov_id is not None and len(counts) > oov_id:
        n_oov = int(counts[oov_id])
        known[oov_id] = 0
    return n_oov, int(np.count_nonzero(known == 1))


def _lowercase_share(vocabulary):
    """Share of the vocabulary's cased entries written in lowercase (or None)."""
    cased = lower = 0
    for token in vocabulary:
        if not isinstance(token, str) or token.lower() == token.upper():
            continue
        cased += 1
        lower += token == token.lower()
    return lower / cased if cased else None


def _string_input(estimator):
    """How the estimator reads string input, or None if it was fit on none.

    A dict: ``kind`` ("token strings" for the tagger's pre-tokenised
    sentences, "text" for a vectorizer's strings), ``tokenize`` (X -> token
    lists as the estimator looks them up), ``vocabulary`` (those tokens ->
    ids, None if the vectorizer has none), ``oov_id`` (None when unseen
    tokens have no id), and ``case_vocabulary`` / ``case_tokenize``: the
    case-sensitive vocabulary and token lists in which a case mismatch shows
    (None when the estimator lowercases every token itself).
    """
    words = getattr(estimator, "token_vectorizer_", None)
    if getattr(estimator, "vocabulary_", None) is not None and words is not None:
        lower = bool(getattr(words, "lowercase", False))

        def tokenize(X):
            return [[t.lower() for t in s] if lower else list(s) for s in X]

        surface = getattr(estimator, "surface_vocabulary_", None)
        if surface is not None:  # the character CNN spells the tokens as written
            case_vocabulary, case_tokenize = surface, lambda X: [list(s) for s in X]
        elif lower:
            case_vocabulary = case_tokenize = None
        else:
            case_vocabulary, case_tokenize = estimator.vocabulary_, tokenize
        return {
            "kind": "token strings",
            "tokenize": tokenize,
            "vocabulary": estimator.vocabulary_,
            "oov_id": _OOV_ID,
            "case_vocabulary": case_vocabulary,
            "case_tokenize": case_tokenize,
        }
    source = getattr(estimator, "source_vectorizer_", None)
    if source is None:
        return None
    if hasattr(source, "_tokenize"):  # TextVectorizer: its tokens, its case
        tokenize = source._tokenize
    else:  # CharVocabulary: characters

        def tokenize(X):
            return [list(s) for s in X]

    vocabulary = getattr(source, "vocabulary_", None)
    lower = bool(getattr(source, "lowercase", False))
    oov_id = None if getattr(source, "handle_unknown", None) == "error" else _OOV_ID
    return {
        "kind": "text",
        "tokenize": tokenize,
        "vocabulary": vocabulary,
        "oov_id": oov_id,
        "case_vocabulary": None if lower or vocabulary is None else vocabulary,
        "case_tokenize": tokenize,
    }


def training_input_profile(estimator, seqs, *, previous=None):
    """A compact profile of the training sequences ``seqs`` of ``estimator``.

    One pass over the validated sequences, no copy of them: the input kind,
    a histogram of the lengths (distinct lengths and their counts), and per
    feature the mean and variance over the valid steps (numeric input; on a
    seeded sample of ``_MAX_PROFILE_STEPS`` steps when there are more) or the
    out-of-vocabulary and once-seen token counts (token input), plus for
    string input the vocabulary's size and case. ``previous`` (the profile
    of the earlier calls of a continued fit, ``warm_start`` or
    ``partial_fit``) is merged in when it describes inputs of the same kind.

    Parameters
    ----------
    estimator : BaseSequenceNet
        The estimator at the end of fit (its vocabularies are read).
    seqs : Sequences
        The validated (encoded) training sequences.
    previous : dict, default=None
        Profile to merge with.

    Returns
    -------
    dict
        The profile, read by :func:`skew_report`.
    """
    strings = _string_input(estimator)
    kind = strings["kind"] if strings is not None else seqs.kind
    length_values, length_counts = _length_histogram(seqs.lengths)
    profile = {
        "kind": kind,
        "n_sequences": int(seqs.n_samples),
        "n_steps": int(seqs.lengths.sum()),
        "length_values": length_values,
        "length_counts": length_counts,
    }
    if seqs.is_tokens:
        oov_id = _OOV_ID if strings is None else strings["oov_id"]
        n_oov, n_hapax = _token_counts(seqs.values, oov_id)
        vocab_size = getattr(estimator, "vocab_size_", None)
        if strings is not None and strings["vocabulary"] is not None:
            vocab_size = len(strings["vocabulary"])
        profile.update(
            vocab_size=None if vocab_size is None else int(vocab_size),
            oov_id=oov_id,
            n_oov=n_oov,
            n_hapax=n_hapax,
        )
        if strings is not None:
            case = strings["case_vocabulary"]
            profile["lowercase_share"] = (
                None if case is None else _lowercase_share(case)
            )
            profile["case_checked"] = case is not None
    else:
        values = seqs.values if seqs.values.ndim == 2 else seqs.values[:, None]
        _, mean, m2 = _moments(values)
        profile.update(
            n_features=int(values.shape[1]), feature_mean=mean, feature_m2=m2
        )
    if previous is not None:
        profile = _merge_profiles(previous, profile)
    return profile


def _merge_profiles(old, new):
    """The profile of the inputs of both, when they are of one kind."""
    if old.get("kind") != new["kind"] or old.get("n_features") != new.get("n_features"):
        return new
    merged = dict(new)
    values = np.concatenate([old["length_values"], new["length_values"]])
    counts = np.concatenate([old["length_counts"], new["length_counts"]])
    merged["length_values"], inverse = np.unique(values, return_inverse=True)
    merged["length_counts"] = np.bincount(inverse, weights=counts).astype(np.int64)
    for key in ("n_sequences", "n_steps", "n_oov", "n_hapax"):
        if key in new:
            # n_hapax: a token seen once in each call counts twice (an upper
            # bound, which only makes the OOV check more lenient)
            merged[key] = old[key] + new[key]
    if "feature_mean" in new:
        _, merged["feature_mean"], merged["feature_m2"] = _merge_moments(
            (old["n_steps"], old["feature_mean"], old["feature_m2"]),
            (new["n_steps"], new["feature_mean"], new["feature_m2"]),
        )
    return merged


# -- the new inputs ---------------------------------------------------------
def _is_string_like(x):
    return isinstance(x, str | bytes)


def _string_kind(X):
    """The string kind of new input ``X`` ("text", "token strings") or None."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.dtype.kind not in "US":
            return None
        return "text" if X.ndim == 1 else "token strings"
    if _is_string_like(X) or not hasattr(X, "__len__") or len(X) == 0:
        return None
    items = list(X)
    if all(_is_string_like(s) for s in items):
        return "text"
    first = next((s for s in items if hasattr(s, "__len__") and len(s)), None)
    if first is not None and not _is_string_like(first):
        head = next(iter(first))
        if _is_string_like(head):
            return "token strings"
    return None


def _new_profile(estimator, X, training):
    """The statistics of ``X`` that the checks compare with ``training``."""
    kind = _string_kind(X)
    strings = _string_input(estimator) if kind is not None else None
    if kind is not None:
        same = strings is not None and strings["kind"] == kind
        if same:
            tokens = strings["tokenize"](list(X))
        elif kind == "token strings":
            tokens = [list(s) for s in X]
        else:  # raw text: its length in steps needs the estimator's tokenizer
            return {"kind": kind, "n_sequences": len(X), "lengths": None}
        lengths = np.array([max(len(t), 1) for t in tokens], dtype=np.int64)
        new = {"kind": kind, "n_sequences": len(lengths), "lengths": lengths}
        if same and strings["vocabulary"] is not None:
            vocab = strings["vocabulary"]
            new["n_steps"] = int(lengths.sum())
            new["n_oov"] = sum(t not in vocab for sent in tokens for t in sent)
            case_vocab = strings["case_vocabulary"]
            if case_vocab is not None:
                case_tokens = strings["case_tokenize"](list(X))
                new["n_case"] = sum(
                    t not in case_vocab and t.lower() in case_vocab
                    for sent in case_tokens
                    for t in sent
                )
        return new
    seqs = check_sequences(X)
    new = {
        "kind": seqs.kind,
        "n_sequences": int(seqs.n_samples),
        "lengths": seqs.lengths,
        "n_steps": int(seqs.lengths.sum()),
    }
    if seqs.is_tokens:
        vocab_size = getattr(estimator, "vocab_size_", None)
        ids = seqs.values
        unknown = ids == _OOV_ID if training.get("oov_id") is not None else False
        if vocab_size is not None:
            unknown = unknown | (ids >= vocab_size)
        new["n_oov"] = int(np.count_nonzero(unknown))
    else:
        values = seqs.values if seqs.values.ndim == 2 else seqs.values[:, None]
        _, mean, m2 = _moments(values)
        new.update(n_features=int(values.shape[1]), feature_mean=mean, feature_m2=m2)
    return new


# -- the checks ---------------------------------------------------------------
def _family(kind):
    return "numeric" if kind in _NUMERIC else kind


def _describe_kind(profile):
    kind = profile["kind"]
    if kind in _NUMERIC:
        n = profile.get("n_features")
        return f"{kind}, {n} feature{'s' if n != 1 else ''} per step"
    return kind


def _row(check, training, new, flagged, message):
    return dict(zip(COLUMNS, (check, training, new, bool(flagged), message)))


def _check_kind(training, new):
    train_desc, new_desc = _describe_kind(training), _describe_kind(new)
    same_family = _family(training["kind"]) == _family(new["kind"])
    same_width = training.get("n_features") == new.get("n_features")
    flagged = not (same_family and same_width)
    if flagged:
        message = (
            f"fitted on {train_desc} input but X is {new_desc}: the serving "
            "pipeline does not produce what the model was trained on; run the "
            "training preprocessing on serving inputs."
        )
    elif training["kind"] != new["kind"]:
        message = (
            f"{training['kind']} in training, {new['kind']} here: the same "
            "features per step, read alike."
        )
    else:
        message = "same input kind as in training."
    return _row("input_kind", train_desc, new_desc, flagged, message)


def _check_length(training, new):
    values, counts = training["length_values"], training["length_counts"]
    train_max = int(values[-1])
    lengths = new["lengths"]
    n_new, n_train = len(lengths), training["n_sequences"]
    new_max = int(lengths.max())
    n_longer = int(np.count_nonzero(lengths > train_max))
    share = n_longer / n_new
    # exchangeable data: a new sequence is the longest of n_train + 1 with
    # probability <= 1 / (n_train + 1); flag far more than that, or any
    # sequence over twice the longest training one
    expected = n_new / (n_train + 1)
    flagged = n_longer > 1 + expected + 3 * math.sqrt(expected) or (
        new_max > 2 * train_max
    )
    quantiles = "/".join(str(_quantile(values, counts, q)) for q in _QUANTILES)
    new_quantiles = "/".join(
        str(int(np.quantile(lengths, q, method="inverted_cdf"))) for q in _QUANTILES
    )
    spread = (
        f"length p5/median/p95 {quantiles} in training, {new_quantiles} here "
        f"(min {int(values[0])}, max {train_max} in training)"
    )
    if flagged:
        message = (
            f"{n_longer} of {n_new} sequences ({share:.1%}) are longer than the "
            f"longest training sequence ({train_max} steps; up to {new_max} "
            f"here): the model never saw these lengths. Were training sequences "
            f"truncated? Train on full-length sequences, or cut serving inputs as "
            f"training ones were; {spread}."
        )
    elif n_longer:
        message = (
            f"{n_longer} of {n_new} sequences ({share:.1%}) are longer than the "
            f"longest training sequence ({train_max} steps), no more than "
            f"sampling explains; {spread}."
        )
    else:
        message = f"no sequence is longer than in training; {spread}."
    return _row("max_length", train_max, new_max, flagged, message)


def _feature_stats(training, new):
    n_train, n_new = training["n_steps"], new["n_steps"]
    mean, std = training["feature_mean"], np.sqrt(training["feature_m2"] / n_train)
    new_mean, new_std = new["feature_mean"], np.sqrt(new["feature_m2"] / n_new)
    # a feature constant in training: any visible change counts as a shift
    tiny = 1e-6 * (1.0 + np.abs(mean))
    scale = np.where(std > tiny, std, tiny)
    z = np.abs(new_mean - mean) / scale
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(
            std > tiny, new_std / scale, np.where(new_std > tiny, np.inf, 1)
        )
    return mean, std, new_mean, new_std, z, ratio


def _check_features(training, new, k):
    mean, std, new_mean, new_std, z, ratio = _feature_stats(training, new)
    n = len(mean)
    shifted = np.flatnonzero(z > k)
    i = int(np.argmax(z))
    head = f"per-step mean over {n} feature{'s' if n != 1 else ''}"
    if len(shifted):
        listed = "; ".join(
            f"feature {j}: {mean[j]:.4g} in training (std {std[j]:.3g}), "
            f"{new_mean[j]:.4g} here ({z[j]:.3g} training stds)"
            for j in shifted[:5]
        )
        more = f" and {len(shifted) - 5} more" if len(shifted) > 5 else ""
        message = (
            f"{len(shifted)} of {n} features moved by more than k={k:g} training "
            f"standard deviations: {listed}{more}. Is the feature computed "
            "the same way (code, units, scaling) at serving as at training?"
        )
    else:
        message = (
            f"{head}: the largest move is feature {i}, {z[i]:.2g} training "
            f"stds (k={k:g})."
        )
    rows = [
        _row("feature_mean", float(mean[i]), float(new_mean[i]), len(shifted), message)
    ]
    log_ratio = np.abs(np.log(np.where(ratio > 0, ratio, 1e-300)))
    scaled = np.flatnonzero(log_ratio > math.log(k))
    j = int(np.argmax(log_ratio))
    if len(scaled):
        listed = "; ".join(
            f"feature {m}: std {std[m]:.3g} in training, {new_std[m]:.3g} here"
            for m in scaled[:5]
        )
        more = f" and {len(scaled) - 5} more" if len(scaled) > 5 else ""
        message = (
            f"{len(scaled)} of {n} features spread more than k={k:g} times more "
            f"(or less) than in training: {listed}{more}. A change of units "
            "or of scaling?"
        )
    else:
        message = (
            f"per-step std over {n} feature{'s' if n != 1 else ''}: the largest "
            f"change is feature {j}, x{ratio[j]:.3g} (flagged beyond x{k:g} or "
            f"x1/{k:g})."
        )
    rows.append(
        _row("feature_std", float(std[j]), float(new_std[j]), len(scaled), message)
    )
    return rows


def _check_oov(training, new):
    n_steps = training["n_steps"]
    observed = training["n_oov"] / n_steps
    # Good-Turing: the share of tokens seen once estimates the chance that a
    # new token is unseen, which a vocabulary built on the training data
    # itself has no other way to show
    expected = (training["n_oov"] + training["n_hapax"]) / n_steps
    rate = new["n_oov"] / new["n_steps"]
    flagged = rate > _OOV_RATIO * expected and rate - expected > _OOV_POINTS
    base = (
        f"out-of-vocabulary tokens: {rate:.1%} here, {observed:.1%} in training "
        f"(vocabulary {training['vocab_size']}) and {expected:.1%} expected of "
        "new data like it (training OOV + tokens seen once, Good-Turing)"
    )
    if flagged:
        message = (
            f"{base}: over {_OOV_RATIO:g}x and {_OOV_POINTS * 100:g} points "
            "above. Is the text tokenised, normalised and mapped to ids as in "
            "training (same vectorizer, same vocabulary)?"
        )
    else:
        message = base + "."
    return _row("oov_rate", expected, rate, flagged, message)


def _check_case(training, new):
    share_lower = training.get("lowercase_share")
    if not training.get("case_checked"):
        return _row(
            "case",
            "lowercased by the estimator",
            None,
            False,
            "the estimator lowercases every token before looking it up "
            "(lowercase=True): case differences cannot reach the model.",
        )
    lowercased = share_lower is not None and share_lower >= _LOWERCASED
    limit = _CASE_SHARE_LOWERCASED if lowercased else _CASE_SHARE_CASED
    n_case = new.get("n_case", 0)
    share = n_case / new["n_steps"]
    flagged = share > limit
    vocab = (
        "lowercased"
        if lowercased
        else ("cased" if share_lower is not None else "without letters")
    )
    if flagged:
        message = (
            f"{n_case} of {new['n_steps']} tokens ({share:.1%}) are unknown as "
            f"written but known in lowercase, and the training vocabulary is "
            f"{vocab}: was the text lowercased in training but not at serving? "
            "Apply the same normalisation (or lowercase=True)."
        )
    else:
        message = (
            f"{share:.1%} of the tokens are unknown as written but known in "
            f"lowercase (flagged above {limit:.0%}); training vocabulary {vocab}."
        )
    training_value = (
        vocab if share_lower is None else f"{vocab} ({share_lower:.0%} lowercase)"
    )
    return _row("case", training_value, share, flagged, message)


def _as_table(rows):
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows, columns=list(COLUMNS))


def skew_report(estimator, X, *, k=4.0, warn=False):
    """Compare new inputs with the training inputs: training-serving skew.

    A model that scores well on validation data but poorly in production is
    often fed differently there: sequences longer than the (truncated)
    training ones, a feature computed by other code or in other units, text
    tokenised or cased differently. At the end of :meth:`fit` every estimator
    keeps a compact profile of its training inputs (input kind, length
    distribution, per-feature mean and standard deviation over the valid
    steps, out-of-vocabulary rate and vocabulary case); this function checks
    ``X`` (e.g. a sample of logged production inputs, as they reach
    ``predict``) against it. It is opt-in and changes nothing: call it on
    inputs before or next to ``predict``.

    The checks, one row each (only those that apply to the input kind):

    * ``input_kind``: a different input kind (numbers vs token ids vs token
      strings vs text) or number of features per step.
    * ``max_length``: sequences longer than the longest training sequence.
      Flagged when there are more of them than sampling explains (with
      exchangeable data each new sequence has at most a ``1 / (n_train +
      1)`` chance to be the longest), or one is over twice as long.
    * ``feature_mean`` (numeric input): features whose mean over the steps
      of ``X`` moved by more than ``k`` training standard deviations.
    * ``feature_std`` (numeric input): features whose standard deviation
      changed by more than a factor ``k`` (units, scaling).
    * ``oov_rate`` (token input): out-of-vocabulary tokens (id 1 by the
      library's convention, ids beyond the training vocabulary, and for
      string input tokens missing from the estimator's vocabulary). The
      training value is the rate expected of new data like the training
      data: training OOV plus the share of tokens seen once in training
      (Good-Turing). Flagged above 2 times it and 5 points above it.
    * ``case`` (string input): tokens unknown as written but known in
      lowercase. Flagged above 1% of the tokens when the training vocabulary
      is lowercased, above 5% otherwise; never for an estimator that
      lowercases tokens itself (``SequenceTagger(lowercase=True)`` without the
      character CNN, ``TextVectorizer(lowercase=True)``).

    The statistics of ``X`` are statistics of a sample: pass a batch of
    inputs (tens of sequences or more), not one sequence.

    Parameters
    ----------
    estimator : fitted sequence estimator or Pipeline
        A fitted sklearn_seq estimator; for a
        :class:`~sklearn.pipeline.Pipeline`, ``X`` goes through all steps but
        the last, and the last (the estimator) is checked.
    X : array-like or list of sequences
        New inputs, as they would be passed to ``predict``.
    k : float, default=4.0
        Tolerance of the feature checks, in training standard deviations
        (``feature_mean``) and as a factor (``feature_std``).
    warn : bool, default=False
        Also emit a :class:`UserWarning` listing the flagged checks (if any).

    Returns
    -------
    report : pandas.DataFrame or list of dict
        One row per check with columns ``check`` (str), ``training`` (the
        training value), ``new`` (the value for ``X``), ``flagged`` (bool)
        and ``message`` (str): a DataFrame when pandas is installed,
        otherwise a list of dicts with these keys.

    Raises
    ------
    NotFittedError
        When the estimator is not fitted.
    ValueError
        When the estimator has no training profile (fitted by a version of
        sklearn_seq that kept none) or ``k`` is not a positive number.

    Notes
    -----
    Predictions are stateless: the recurrent state starts from zero for
    every sequence, so a prediction never depends on what was predicted
    before, and a stateful serving loop is not a cause of skew here.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier
    >>> from sklearn_seq.inspection import skew_report
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 20, 2)).astype(np.float32)
    >>> y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    >>> clf = SequenceClassifier(hidden_size=4, max_epochs=1, random_state=0)
    >>> clf = clf.fit(X, y)
    >>> report = skew_report(clf, X[:20] + [0.0, 10.0])  # feature 1 shifted
    >>> rows = report.to_dict("records") if hasattr(report, "to_dict") else report
    >>> [(row["check"], row["flagged"]) for row in rows]
    [('input_kind', False), ('max_length', False), ('feature_mean', True),
     ('feature_std', False)]
    """
    if (
        isinstance(k, bool)
        or not isinstance(k, numbers.Real)
        or not (math.isfinite(k) and k > 0)
    ):
        raise ValueError(f"k must be a positive number, got {k!r}.")
    if hasattr(estimator, "steps") and hasattr(estimator, "__getitem__"):
        X = estimator[:-1].transform(X)
        estimator = estimator[-1]
    check_is_fitted(estimator)
    training = getattr(estimator, "_input_profile", None)
    if training is None:
        raise ValueError(
            f"{type(estimator).__name__} has no profile of its training inputs: "
            "it was fitted by a version of sklearn_seq that kept none, or is "
            "not a sklearn_seq estimator. Refit it to check for skew."
        )
    new = _new_profile(estimator, X, training)
    rows = [_check_kind(training, new)]
    if new["lengths"] is not None:
        rows.append(_check_length(training, new))
    if _family(training["kind"]) == _family(new["kind"]):
        if "feature_mean" in training and training["n_features"] == new.get(
            "n_features"
        ):
            rows.extend(_check_features(training, new, float(k)))
        if "n_oov" in training and "n_oov" in new:
            rows.append(_check_oov(training, new))
        if "case_checked" in training and "n_steps" in new:
            rows.append(_check_case(training, new))
    if warn:
        flagged = [r for r in rows if r["flagged"]]
        if flagged:
            listed = "\n".join(f"- {r['check']}: {r['message']}" for r in flagged)
            warnings.warn(
                f"skew_report: {len(flagged)} of {len(rows)} checks flagged "
                f"possible training-serving skew:\n{listed}",
                UserWarning,
                stacklevel=2,
            )
    return _as_table(rows)
