# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Heuristic under-fit / over-fit diagnosis from scores or the loss history."""

import math
import numbers

from sklearn.utils import Bunch

__all__ = ["diagnose_fit"]

# The seed's rules of thumb (learning-curve chapter and interview Q11/Q14):
# under-fit when the training score is below 80%, over-fit when the train -
# validation gap exceeds 10 points, good fit when the gap is below 5 points.
_UNDERFIT_SCORE = 0.80
_OVERFIT_GAP = 0.10
_GOOD_GAP = 0.05


def _last_numeric(history, key):
    for row in reversed(history):
        value = row.get(key)
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return float(value)
    return None


def _score_pair(history):
    """A (name, train, valid) score pair recorded in the history, if any."""
    keys = set().union(*(row.keys() for row in history))
    for key in sorted(keys):
        if key.startswith("train_") and not key.endswith(
            ("loss", "_best", "_batch_count")
        ):
            name = key[len("train_") :]
            if f"valid_{name}" in keys:
                train = _last_numeric(history, key)
                valid = _last_numeric(history, f"valid_{name}")
                if train is not None and valid is not None:
                    return name, train, valid
    return None


def _baseline_loss(estimator):
    """Loss of an uninformed model for the default criteria, else None.

    Cross-entropy of the uniform prediction is ``log(n_classes)``; the mean
    squared error of predicting the mean of standardized targets is 1.
    """
    if getattr(estimator, "criterion", "unset") is not None:
        return None
    classes = getattr(estimator, "classes_", None)
    if classes is not None:
        return math.log(len(classes))
    if getattr(estimator, "scale_target", False):
        return 1.0
    return None


def diagnose_fit(
    estimator,
    X_train=None,
    y_train=None,
    X_val=None,
    y_val=None,
    *,
    underfit_score=_UNDERFIT_SCORE,
    overfit_gap=_OVERFIT_GAP,
    good_gap=_GOOD_GAP,
):
    """Say whether a fitted model under-fits, over-fits or fits well.

    A **heuristic** that applies the rules of thumb of the learning-curve
    literature, not a test: *under-fit* when the training score is below
    ``underfit_score`` (80%: the model cannot even fit its training data),
    *over-fit* when the train - validation gap exceeds ``overfit_gap``
    (10 points), *good-fit* otherwise; a gap between ``good_gap`` (5 points)
    and ``overfit_gap`` is reported as a good fit with a note. Under-fitting
    is checked first (reduce bias before variance). The thresholds suit
    accuracy-like scores in [0, 1] on balanced tasks; pick your own for other
    scores.

    The scores come from, in order of preference:

    1. ``X_train, y_train`` and ``X_val, y_val`` when given:
       ``estimator.score`` on each (accuracy for classifiers, R² for
       regressors);
    2. the last epoch of the history, when it records a score pair named
       ``train_<name>`` / ``valid_<name>`` (skorch ``EpochScoring``
       callbacks, one with ``on_train=True``);
    3. the last epoch's ``train_loss`` / ``valid_loss`` (a validation split,
       e.g. ``early_stopping=True``), turned into scores
       ``1 - loss / baseline`` where the baseline is the loss of an
       uninformed model: ``log(n_classes)`` for the default cross-entropy
       (the uniform prediction), 1 for the default squared error on
       standardized targets (so the score is the R² of the standardized
       target). With another criterion there is no baseline: only the
       relative loss gap ``(valid_loss - train_loss) / valid_loss`` is
       judged, and under-fitting cannot be told.

    Parameters
    ----------
    estimator : fitted estimator
        A fitted sklearn_seq estimator.
    X_train, y_train : array-like, default=None
        Training data to score on.
    X_val, y_val : array-like, default=None
        Held-out data to score on.
    underfit_score : float, default=0.8
        Training score below which the model under-fits.
    overfit_gap : float, default=0.1
        Train - validation score gap above which the model over-fits.
    good_gap : float, default=0.05
        Gap below which the fit is good without reservation.

    Returns
    -------
    diagnosis : :class:`~sklearn.utils.Bunch`
        With keys ``verdict`` (``"under-fit"``, ``"over-fit"`` or
        ``"good-fit"``), ``train_score``, ``valid_score``, ``gap`` (train -
        valid score, None where unknown), ``train_loss``, ``valid_loss``
        (last epoch, None where not recorded), ``source`` (``"data"``,
        ``"history:<name>"`` or ``"loss"``) and ``message`` (the figures and
        the usual remedies).

    Raises
    ------
    ValueError
        When there is nothing to judge: no data given, no score pair and no
        validation loss in the history.

    See Also
    --------
    plot_learning_curve : The per-epoch curves behind the verdict.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier
    >>> from sklearn_seq.inspection import diagnose_fit
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(40, 5, 1)).astype("float32")
    >>> y = rng.integers(0, 2, size=40)  # labels unrelated to X
    >>> clf = SequenceClassifier(hidden_size=4, max_epochs=2, random_state=0)
    >>> d = diagnose_fit(clf.fit(X[:30], y[:30]), X[:30], y[:30], X[30:], y[30:])
    >>> d.verdict, d.source
    ('under-fit', 'data')
    """
    history = estimator.history_
    train_loss = _last_numeric(history, "train_loss")
    valid_loss = _last_numeric(history, "valid_loss")
    given = [v is not None for v in (X_train, y_train, X_val, y_val)]
    if any(given) and not all(given):
        raise ValueError("Pass all of X_train, y_train, X_val and y_val, or none.")
    train_score = valid_score = None
    if all(given):
        source = "data"
        train_score = float(estimator.score(X_train, y_train))
        valid_score = float(estimator.score(X_val, y_val))
    elif (pair := _score_pair(history)) is not None:
        name, train_score, valid_score = pair
        source = f"history:{name}"
    elif valid_loss is not None and train_loss is not None:
        source = "loss"
        baseline = _baseline_loss(estimator)
        if baseline is not None:
            train_score = 1.0 - train_loss / baseline
            valid_score = 1.0 - valid_loss / baseline
    else:
        raise ValueError(
            "Nothing to diagnose: pass X_train, y_train, X_val, y_val, or fit "
            "with a validation split (early_stopping=True) so that the history "
            "records valid_loss."
        )

    if train_score is not None:
        gap = train_score - valid_score
        figures = (
            f"train score {train_score:.3f}, validation score "
            f"{valid_score:.3f}, gap {gap:+.3f}"
        )
    else:
        gap = None
        rel = (valid_loss - train_loss) / max(abs(valid_loss), 1e-12)
        figures = (
            f"train loss {train_loss:.4g}, validation loss "
            f"{valid_loss:.4g}, relative gap {rel:+.3f} (no baseline "
            "for this criterion: under-fitting cannot be told)"
        )

    if train_score is not None and train_score < underfit_score:
        verdict = "under-fit"
        advice = (
            "the model does not fit its training data: increase capacity "
            "(hidden_size, num_layers), train longer, lower "
            "regularisation; for long sequences with cell='rnn' switch "
            "to 'lstm' or 'gru' (vanishing gradients)."
        )
    elif (gap if gap is not None else rel) > overfit_gap:
        verdict = "over-fit"
        advice = (
            "the model fits its training data much better than held-out "
            "data: add dropout, weight decay (optimizer__weight_decay), "
            "early_stopping=True, more data or augmentation, or reduce "
            "capacity."
        )
    else:
        verdict = "good-fit"
        small = (gap if gap is not None else rel) <= good_gap
        advice = (
            "train and validation agree."
            if small
            else f"the gap is between {good_gap} and {overfit_gap}: watch "
            "for over-fitting."
        )
    message = f"{verdict}: {figures}; {advice} (heuristic thresholds)"
    return Bunch(
        verdict=verdict,
        train_score=train_score,
        valid_score=valid_score,
        gap=gap,
        train_loss=train_loss,
        valid_loss=valid_loss,
        source=source,
        message=message,
    )
