# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Synthetic sequence-to-sequence tasks (no download, NumPy only)."""

import datetime
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from sklearn_seq.utils._param_validation import Interval, StrOptions, validate_params

__all__ = ["DATE_FORMATS", "make_date_task", "make_reversal_task"]


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "min_length": [Interval(Integral, 1, None, closed="left")],
        "max_length": [Interval(Integral, 1, None, closed="left")],
        "vocab_size": [Interval(Integral, 1, None, closed="left")],
        "task": [StrOptions({"reverse", "copy"})],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_reversal_task(
    n_samples=1000,
    *,
    min_length=5,
    max_length=10,
    vocab_size=10,
    task="reverse",
    random_state=None,
):
    """Random token sequences and their reversal (or copy).

    Lengths are drawn uniformly in ``[min_length, max_length]`` and tokens
    uniformly in ``1 .. vocab_size`` (0 stays the padding id). Reversal is the
    classic probe of the fixed-context bottleneck: the first output token
    depends on the last input token, and without attention the quality falls
    as the sequences grow.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of sequence pairs.
    min_length : int, default=5
        Shortest sequence.
    max_length : int, default=10
        Longest sequence.
    vocab_size : int, default=10
        Number of distinct tokens (ids ``1 .. vocab_size``).
    task : {"reverse", "copy"}, default="reverse"
        Target: the source reversed, or the source itself.
    random_state : int, RandomState instance or None, default=None
        Seed of the lengths and tokens.

    Returns
    -------
    X : list of ndarray of shape (length_i,)
        Source token ids (int64).
    y : list of ndarray of shape (length_i,)
        Target token ids (int64), as long as their source.

    Examples
    --------
    >>> from sklearn_seq.datasets import make_reversal_task
    >>> X, y = make_reversal_task(3, min_length=2, max_length=4, random_state=0)
    >>> len(X), all(len(a) == len(b) for a, b in zip(X, y))
    (3, True)
    >>> bool((X[0][::-1] == y[0]).all())
    True
    """
    if min_length > max_length:
        raise ValueError(
            f"min_length={min_length} is larger than max_length={max_length}."
        )
    rng = check_random_state(random_state)
    lengths = rng.randint(min_length, max_length + 1, size=n_samples)
    X = [rng.randint(1, vocab_size + 1, size=n).astype(np.int64) for n in lengths]
    if task == "reverse":
        y = [x[::-1].copy() for x in X]
    else:
        y = [x.copy() for x in X]
    return X, y


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _fmt(date, style):
    d, m, y = date.day, date.month, date.year
    month = _MONTHS[m - 1]
    if style == "d_month_yyyy":
        return f"{d} {month} {y}"
    if style == "month_d_yyyy":
        return f"{month} {d}, {y}"
    if style == "mon_d_yyyy":
        return f"{month[:3]} {d} {y}"
    if style == "dd_mm_yyyy":
        return f"{d:02d}.{m:02d}.{y}"
    if style == "mm/dd/yyyy":
        return f"{m:02d}/{d:02d}/{y}"
    if style == "weekday":
        return f"{_DAYS[date.weekday()]}, {month} {d}, {y}"
    if style == "d_mon_yy":
        return f"{d} {month[:3].lower()} {y % 100:02d}"
    raise ValueError(style)  # pragma: no cover


#: Human-readable formats of :func:`make_date_task` (with an example of
#: 2017-03-05).
DATE_FORMATS = {
    "d_month_yyyy": "5 March 2017",
    "month_d_yyyy": "March 5, 2017",
    "mon_d_yyyy": "Mar 5 2017",
    "dd_mm_yyyy": "05.03.2017",
    "mm/dd/yyyy": "03/05/2017",
    "weekday": "Sunday, March 5, 2017",
    "d_mon_yy": "5 mar 17",
}


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "formats": [list, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_date_task(n_samples=1000, *, formats=None, random_state=None):
    """Human-readable dates and their ISO 8601 form ``YYYY-MM-DD``.

    Dates are drawn uniformly between 1950-01-01 and 2049-12-31 and written
    in one of several formats chosen uniformly (see :data:`DATE_FORMATS`):
    ``"5 March 2017"``, ``"March 5, 2017"``, ``"Mar 5 2017"``,
    ``"05.03.2017"`` (day first), ``"03/05/2017"`` (month first, US),
    ``"Sunday, March 5, 2017"`` and ``"5 mar 17"`` (two-digit years read as
    1950-2049). A character-level seq2seq model learns the mapping; attention
    aligns each output digit with its source characters.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of pairs.
    formats : list of str, default=None
        Keys of :data:`DATE_FORMATS` to draw from; all when None.
    random_state : int, RandomState instance or None, default=None
        Seed of the dates and formats.

    Returns
    -------
    X : list of str
        Human-readable dates.
    y : list of str
        The same dates as ``"YYYY-MM-DD"``.

    Examples
    --------
    >>> from sklearn_seq.datasets import make_date_task
    >>> X, y = make_date_task(2, formats=["month_d_yyyy"], random_state=0)
    >>> len(X), [len(s) for s in y]
    (2, [10, 10])
    >>> X, y = make_date_task(1, formats=["dd_mm_yyyy"], random_state=1)
    >>> X[0][6:] == y[0][:4]
    True
    """
    if formats is None:
        formats = list(DATE_FORMATS)
    unknown = [f for f in formats if f not in DATE_FORMATS]
    if unknown or not formats:
        raise ValueError(
            f"formats must be a non-empty list of {sorted(DATE_FORMATS)}; got "
            f"unknown {unknown}."
        )
    rng = check_random_state(random_state)
    start = datetime.date(1950, 1, 1).toordinal()
    stop = datetime.date(2049, 12, 31).toordinal()
    ordinals = rng.randint(start, stop + 1, size=n_samples)
    styles = rng.randint(len(formats), size=n_samples)
    X, y = [], []
    for ordinal, style in zip(ordinals, styles):
        date = datetime.date.fromordinal(int(ordinal))
        X.append(_fmt(date, formats[style]))
        y.append(date.isoformat())
    return X, y
