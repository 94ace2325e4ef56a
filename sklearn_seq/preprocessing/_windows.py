# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Sliding windows over time series, for forecasting with a sequence regressor.

A forecaster is a regressor trained on supervised windows: the input is
``window_length`` past steps, the target the ``horizon`` steps that follow.
A scikit-learn transformer cannot create the target ``y`` inside a pipeline,
so the windows are cut before it, by :func:`make_windows`, and the pipeline
(scaler, :class:`~sklearn_seq.SequenceRegressor`) is fitted on them.
:class:`SeriesWindower` builds the inputs of the last window of each series at
prediction time and maps window forecasts back onto the time axis;
:func:`window_gap` is the ``gap`` of a
:class:`~sklearn.model_selection.TimeSeriesSplit` over windows that keeps
every training target out of the test period.
"""

from numbers import Integral
from typing import ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from sklearn_seq.preprocessing._containers import (
    _as_array_or_list,
    _check_n_features,
    _check_numeric,
    _fit_n_features,
)
from sklearn_seq.utils import check_sequences
from sklearn_seq.utils._param_validation import (
    IntervalNotBool,
    StrOptions,
    _fit_context,
    validate_params,
)
from sklearn_seq.utils._sequences import float_dtype_of

__all__ = ["SeriesWindower", "make_windows", "window_gap"]

_COUNT = IntervalNotBool(Integral, 1, None, closed="left")
_INDEX = IntervalNotBool(Integral, 0, None, closed="left")

_LAYOUT_HINT = (
    " A 2-D array is read as one univariate series per row (n_series, "
    "n_timesteps); pass one multivariate series x of shape (n_timesteps, "
    "n_features) as [x]."
)


def _check_series(series, *, allow_1d):
    """Validate one or several series; a 1-D array is one series when allowed.

    Returns
    -------
    seqs : Sequences
        The series, float32 for float32 input and float64 otherwise.
    """
    series = _as_array_or_list(series)
    if allow_1d:
        if isinstance(series, np.ndarray) and series.ndim == 1:
            if series.dtype.kind in "biu":  # one series: counts, not token ids
                series = series.astype(np.float64)
            if series.dtype != object:
                series = [series]
        elif (
            isinstance(series, list | tuple)
            and len(series)
            and all(np.ndim(s) == 0 for s in series)
        ):
            series = [np.asarray(series, dtype=np.float64)]
    seqs = check_sequences(series, input_name="series", dtype=float_dtype_of(series))
    if seqs.is_tokens:
        raise ValueError(
            "series holds integer sequences, which sklearn_seq reads as token "
            "ids; cast integer-valued series to float."
        )
    return seqs


def _check_target(target, n_features):
    if target is not None and target >= n_features:
        raise ValueError(
            f"target={target} is not a feature index: the series have "
            f"{n_features} feature(s) per step."
        )


def _layout(lengths, window_length, horizon, step):
    """Series id and target start of every window, windows anchored at the end.

    The last window of a series ends with its last step; the others go back
    by ``step``. Windows are ordered by series, then by time.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    n = np.maximum((lengths - window_length - horizon) // step + 1, 0)
    groups = np.repeat(np.arange(len(lengths), dtype=np.int64), n)
    first = np.cumsum(n) - n
    j = np.arange(int(n.sum()), dtype=np.int64) - first[groups]
    target_start = lengths[groups] - horizon - step * (n[groups] - 1 - j)
    return groups, target_start


def _cut(seqs, groups, target_start, window_length, horizon, target):
    """The input windows ``X`` and target windows ``y`` at the given layout."""
    values = seqs.values
    begin = seqs.offsets[groups] + target_start
    X = values[(begin - window_length)[:, None] + np.arange(window_length)]
    if target is not None:
        values = values[:, [target]]
    y = values[begin[:, None] + np.arange(horizon)]
    if y.shape[2] == 1:
        y = y[:, :, 0]
    return X, y


@validate_params(
    {
        "series": ["array-like"],
        "window_length": [_COUNT],
        "horizon": [_COUNT],
        "step": [_COUNT],
        "target": [_INDEX, None],
        "return_groups": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_windows(
    series, window_length, horizon=1, *, step=1, target=None, return_groups=False
):
    """Cut one or several series into supervised forecasting windows.

    Each window holds ``window_length`` consecutive steps as input and the
    ``horizon`` steps that follow as target (a direct multi-step forecast:
    one output per lead time). Windows are anchored at the end of each
    series: the target of the last window ends with the last step, and the
    previous windows start ``step``, ``2 * step``, ... steps earlier, so the
    most recent data are always used (with ``step > 1`` the first
    ``(n_timesteps - window_length - horizon) % step`` steps are left out). No
    window crosses from one series into another.

    Parameters
    ----------
    series : array-like of shape (n_timesteps,), (n_series, n_timesteps) or \
            (n_series, n_timesteps, n_features), or list of arrays
        The series: a 1-D array is one univariate series; otherwise one
        series per sample, in the input kinds of sklearn_seq (a 2-D array
        holds one univariate series per row, a list holds series of any
        lengths, each ``(n_timesteps_i,)`` or ``(n_timesteps_i, n_features)``).
        Pass one multivariate series ``x`` of shape ``(n_timesteps,
        n_features)`` as ``[x]``. Values must be finite.

    window_length : int
        Number of past steps in each input window (>= 1).

    horizon : int, default=1
        Number of future steps in each target (>= 1).

    step : int, default=1
        Distance, in steps, between the starts of two consecutive windows of
        a series. ``step=horizon`` gives windows whose targets tile the series
        without overlapping.

    target : int, default=None
        Feature (column) of multivariate series to forecast. None forecasts
        every feature.

    return_groups : bool, default=False
        Also return the index of the series each window comes from, for
        :class:`~sklearn.model_selection.GroupKFold` (no series in both the
        training and the test folds).

    Returns
    -------
    X : ndarray of shape (n_windows, window_length, n_features)
        Input windows, ordered by series then by time; float32 for float32
        series, float64 otherwise.

    y : ndarray of shape (n_windows, horizon) or (n_windows, horizon, n_targets)
        Targets: 2-D for univariate series or with ``target`` given, 3-D
        when several features are forecast.

    groups : ndarray of shape (n_windows,)
        Series index of each window; only when ``return_groups=True``.

    Raises
    ------
    ValueError
        If a series is shorter than ``window_length + horizon`` (no window
        fits in it), or holds NaN or infinite values.

    See Also
    --------
    SeriesWindower : Prediction-time input windows, and window forecasts
        mapped back onto the time axis.
    window_gap : ``gap`` of a :class:`~sklearn.model_selection.TimeSeriesSplit`
        over windows, so that no training target falls in the test period.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.preprocessing import make_windows
    >>> X, y = make_windows(np.arange(8.0), window_length=3, horizon=2, step=2)
    >>> X.shape, y.shape
    ((2, 3, 1), (2, 2))
    >>> X[:, :, 0]
    array([[1., 2., 3.],
           [3., 4., 5.]])
    >>> y
    array([[4., 5.],
           [6., 7.]])

    Two series of different lengths; no window crosses between them:

    >>> series = [np.arange(5.0), np.arange(100.0, 104.0)]
    >>> X, y, groups = make_windows(series, 2, return_groups=True)
    >>> y.ravel()
    array([  2.,   3.,   4., 102., 103.])
    >>> groups
    array([0, 0, 0, 1, 1])
    """
    seqs = _check_series(series, allow_1d=True)
    _check_target(target, seqs.n_features)
    need = window_length + horizon
    short = np.flatnonzero(seqs.lengths < need)
    if len(short):
        i = int(short[0])
        hint = _LAYOUT_HINT if seqs.kind == "univariate" else ""
        raise ValueError(
            f"series[{i}] has {int(seqs.lengths[i])} steps, fewer than "
            f"window_length + horizon = {window_length} + {horizon} = {need}, "
            f"so no window fits in it ({len(short)} series that short). Drop "
            "the short series or use a smaller window_length or horizon." + hint
        )
    groups, target_start = _layout(seqs.lengths, window_length, horizon, step)
    X, y = _cut(seqs, groups, target_start, window_length, horizon, target)
    if return_groups:
        return X, y, groups
    return X, y


@validate_params(
    {"horizon": [_COUNT], "step": [_COUNT]},
    prefer_skip_nested_validation=True,
)
def window_gap(horizon, step=1):
    """Windows to skip between training and test windows of one series.

    Consecutive windows of :func:`make_windows` overlap: the target of a
    window ends ``horizon - 1`` steps after the target of the next one
    starts (for ``step=1``). Pass this value as ``gap`` to
    :class:`~sklearn.model_selection.TimeSeriesSplit` over the windows of one
    series (or of several series ordered by time) and the target of every
    training window ends before the target of the first test window starts:
    no test value is learned from. It is ``ceil(horizon / step) - 1``.

    Parameters
    ----------
    horizon : int
        Target length of the windows (>= 1).

    step : int, default=1
        Step between windows (>= 1).

    Returns
    -------
    gap : int
        The number of windows to leave out between a training fold and the
        following test fold.

    See Also
    --------
    make_windows : The windows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import TimeSeriesSplit
    >>> from sklearn_seq.preprocessing import make_windows, window_gap
    >>> X, y = make_windows(np.arange(40.0), window_length=6, horizon=4)
    >>> window_gap(4)
    3
    >>> cv = TimeSeriesSplit(n_splits=3, test_size=5, gap=window_gap(4))
    >>> train, test = next(cv.split(X))
    >>> float(y[train].max()) < float(y[test].min())
    True
    """
    return (horizon - 1) // step


class SeriesWindower(TransformerMixin, BaseEstimator):
    """Input windows for forecasting, and window forecasts on the time axis.

    The data-preparation half of forecasting with a regressor trained on the
    windows of :func:`make_windows` (same ``window_length``, ``horizon`` and
    ``step``):

    * :meth:`transform` returns the last ``window_length`` steps of each
      series, shape ``(n_series, window_length, n_features)``: the input from
      which the regressor forecasts the ``horizon`` steps after the end of the
      series (``predict(...)[i, h]`` is the forecast of step
      ``n_timesteps_i + h`` of series ``i``);
    * :meth:`fit` records where the windows of ``make_windows(X)`` lie in
      the series ``X``, and :meth:`inverse_transform` maps one row per window
      (their targets, or their forecasts) back onto the time axis of those
      series, so forecasts can be plotted and scored against the series.

    A scikit-learn transformer cannot change ``y``, so the training windows
    are cut by :func:`make_windows` before the pipeline, not by this class.

    Parameters
    ----------
    window_length : int
        Number of past steps in each input window (>= 1).

    horizon : int, default=1
        Number of future steps forecast from each window (>= 1).

    step : int, default=1
        Step between consecutive windows, as in :func:`make_windows`; only
        used by :meth:`inverse_transform`.

    target : int, default=None
        Feature of multivariate series that is forecast, as in
        :func:`make_windows`; None means every feature.

    overlap : {"mean", "last"}, default="mean"
        How :meth:`inverse_transform` combines several windows' values for
        one step (when ``step < horizon``): their mean, or the value of the
        latest window (the shortest lead time).

    Attributes
    ----------
    n_features_in_ : int
        Number of features per step seen in :term:`fit` (for a 2-D array:
        its number of columns, as for any scikit-learn estimator).

    series_lengths_ : ndarray of shape (n_series,)
        Number of steps of each series seen in :term:`fit`.

    groups_ : ndarray of shape (n_windows,)
        Series index of each window of ``make_windows(X)``.

    target_start_ : ndarray of shape (n_windows,)
        Position, in its series, of the first target step of each window
        (the step after its input window).

    n_windows_ : int
        Number of windows of ``make_windows(X)``; series shorter than
        ``window_length + horizon`` have none.

    See Also
    --------
    make_windows : The training windows.
    window_gap : Leak-free :class:`~sklearn.model_selection.TimeSeriesSplit`
        over windows.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.preprocessing import SeriesWindower, make_windows
    >>> series = [np.arange(8.0)]
    >>> windower = SeriesWindower(window_length=3, horizon=2, step=2).fit(series)
    >>> windower.transform(series)[:, :, 0]  # input of the next forecast
    array([[5., 6., 7.]])
    >>> X, y = make_windows(series, 3, 2, step=2)
    >>> windower.target_start_
    array([4, 6])
    >>> windower.inverse_transform(y)  # targets back on the time axis
    [array([nan, nan, nan, nan,  4.,  5.,  6.,  7.])]
    """

    _parameter_constraints: ClassVar[dict] = {
        "window_length": [_COUNT],
        "horizon": [_COUNT],
        "step": [_COUNT],
        "target": [_INDEX, None],
        "overlap": [StrOptions({"mean", "last"})],
    }

    def __init__(
        self, window_length, horizon=1, *, step=1, target=None, overlap="mean"
    ):
        self.window_length = window_length
        self.horizon = horizon
        self.step = step
        self.target = target
        self.overlap = overlap

    def _check_lengths(self, seqs):
        short = np.flatnonzero(seqs.lengths < self.window_length)
        if len(short):
            i = int(short[0])
            hint = _LAYOUT_HINT if seqs.kind == "univariate" else ""
            raise ValueError(
                f"X[{i}] has {int(seqs.lengths[i])} steps, fewer than "
                f"window_length={self.window_length} ({len(short)} series that "
                "short): the input window does not fit in it." + hint
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Record the series' shape and where their windows lie.

        Parameters
        ----------
        X : array-like of shape (n_series, n_timesteps) or \
                (n_series, n_timesteps, n_features), or list of arrays
            The series, one per sample (a 2-D array holds one univariate
            series per row; a list holds series of any lengths, each
            ``(n_timesteps_i,)`` or ``(n_timesteps_i, n_features)``). Each
            needs at least ``window_length`` steps.

        y : None
            Ignored.

        Returns
        -------
        self : SeriesWindower
            The fitted windower.
        """
        seqs, _ = _check_numeric(X, self)
        _check_target(self.target, seqs.n_features)
        self._check_lengths(seqs)
        _fit_n_features(self, seqs)
        self.series_lengths_ = seqs.lengths.astype(np.int64)
        self.groups_, self.target_start_ = _layout(
            self.series_lengths_, self.window_length, self.horizon, self.step
        )
        self.n_windows_ = len(self.groups_)
        self._n_targets = 1 if self.target is not None else int(seqs.n_features)
        self._as_array = seqs.kind in ("fixed", "univariate")
        return self

    def transform(self, X):
        """Return the last ``window_length`` steps of each series.

        Parameters
        ----------
        X : array-like of shape (n_series, n_timesteps) or \
                (n_series, n_timesteps, n_features), or list of arrays
            The series to forecast from, as in :meth:`fit` (the same or
            longer histories; lengths may differ when passed as a list).

        Returns
        -------
        X_last : ndarray of shape (n_series, window_length, n_features)
            The prediction inputs, float32 for float32 series, float64
            otherwise.
        """
        check_is_fitted(self)
        seqs, _ = _check_numeric(X, self)
        _check_n_features(self, seqs)
        self._check_lengths(seqs)
        start = seqs.offsets + seqs.lengths - self.window_length
        return seqs.values[start[:, None] + np.arange(self.window_length)]

    def inverse_transform(self, X):
        """Put one row per window back onto the time axis of the fitted series.

        Parameters
        ----------
        X : array-like of shape (n_windows, horizon) or \
                (n_windows, horizon, n_targets)
            Values of the ``n_windows_`` windows of ``make_windows`` on the
            series seen in :meth:`fit`, in their order: their targets, or
            forecasts of them (a 1-D array when ``horizon=1``).

        Returns
        -------
        series : ndarray of shape (n_series, n_timesteps) or list of arrays
            For each fitted series, the values at its steps, NaN where no
            window's target lies. Steps covered by several windows get the
            combination chosen by ``overlap``. An ndarray when :meth:`fit`
            got an array, a list of arrays ``(n_timesteps_i,)`` otherwise;
            with several targets each series has a last axis of
            ``n_targets``.
        """
        check_is_fitted(self)
        Y = np.asarray(X)
        if Y.dtype.kind not in "biuf":
            raise ValueError(f"X must hold numbers; got dtype {Y.dtype}.")
        Y = Y.astype(np.float64)
        if Y.ndim == 1 and self.horizon == 1:
            Y = Y[:, None]
        k = self._n_targets
        expected = [(self.n_windows_, self.horizon)] if k == 1 else []
        expected.append((self.n_windows_, self.horizon, k))
        if Y.shape not in expected:
            shapes = " or ".join(str(s) for s in expected)
            raise ValueError(
                f"X has shape {Y.shape}, but SeriesWindower expects one row per "
                f"window of the fitted series, of shape {shapes}."
            )
        squeeze = Y.ndim == 2
        Y = Y.reshape(self.n_windows_ * self.horizon, k)
        lengths = self.series_lengths_
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        positions = (offsets[self.groups_] + self.target_start_)[:, None] + np.arange(
            self.horizon
        )
        positions = positions.ravel()
        total = int(lengths.sum())
        out = np.full((total, k), np.nan)
        if self.overlap == "mean":
            sums = np.zeros((total, k))
            np.add.at(sums, positions, Y)
            counts = np.bincount(positions, minlength=total)
            covered = counts > 0
            out[covered] = sums[covered] / counts[covered, None]
        else:  # "last": windows are in time order within a series
            latest = np.full(total, -1, dtype=np.int64)
            np.maximum.at(latest, positions, np.arange(len(positions)))
            covered = latest >= 0
            out[covered] = Y[latest[covered]]
        if squeeze:
            out = out[:, 0]
        if self._as_array:
            return out.reshape(len(lengths), int(lengths[0]), *out.shape[1:])
        return [out[o : o + n] for o, n in zip(offsets, lengths)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
