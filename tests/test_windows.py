# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of the forecasting windows: make_windows, SeriesWindower, window_gap."""

import re
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GroupKFold, TimeSeriesSplit
from sklearn.pipeline import make_pipeline

from sklearn_seq.metrics import get_scorer
from sklearn_seq.preprocessing import (
    SequenceScaler,
    SeriesWindower,
    make_windows,
    window_gap,
)
from sklearn_seq.utils._param_validation import InvalidParameterError


def _series(n_steps, n_features=1, offset=0.0):
    """A series whose value is its step (plus offset), per feature j + 1000 j."""
    t = np.arange(n_steps, dtype=np.float64) + offset
    if n_features == 1:
        return t
    return t[:, None] + 1000.0 * np.arange(n_features)


# -- make_windows: shapes and values ----------------------------------------


@pytest.mark.parametrize(
    ("window_length", "horizon", "step"),
    [(1, 1, 1), (3, 1, 1), (4, 2, 1), (3, 2, 2), (5, 3, 4), (2, 10, 3), (17, 3, 1)],
)
def test_windows_shapes_and_values_on_arange(window_length, horizon, step):
    n = 20
    X, y = make_windows(np.arange(n), window_length, horizon, step=step)
    n_windows = (n - window_length - horizon) // step + 1
    assert X.shape == (n_windows, window_length, 1)
    assert y.shape == (n_windows, horizon)
    assert X.dtype == y.dtype == np.float64
    # anchored at the end: the last target ends with the last step
    assert y[-1, -1] == n - 1
    for i in range(n_windows):
        start = n - horizon - window_length - step * (n_windows - 1 - i)
        np.testing.assert_array_equal(
            X[i, :, 0], np.arange(start, start + window_length)
        )
        np.testing.assert_array_equal(
            y[i], np.arange(start + window_length, start + window_length + horizon)
        )


def test_window_exactly_as_long_as_series_gives_one_window():
    X, y = make_windows(np.arange(5.0), 3, 2)
    np.testing.assert_array_equal(X[:, :, 0], [[0, 1, 2]])
    np.testing.assert_array_equal(y, [[3, 4]])


def test_input_kinds_agree():
    s = np.arange(12.0)
    ref_X, ref_y = make_windows(s, 4, 2)
    for series in (s.tolist(), [s], s[None], s[None, :, None], [s[:, None]]):
        X, y = make_windows(series, 4, 2)
        np.testing.assert_array_equal(X, ref_X)
        np.testing.assert_array_equal(y, ref_y)


def test_float32_is_kept():
    X, y = make_windows(np.arange(10, dtype=np.float32), 3, 2)
    assert X.dtype == y.dtype == np.float32


def test_multivariate_series_and_target():
    s = _series(10, n_features=3)
    X, y = make_windows([s], 4, 2)
    assert X.shape == (5, 4, 3) and y.shape == (5, 2, 3)
    np.testing.assert_array_equal(X[0], s[:4])
    np.testing.assert_array_equal(y[0], s[4:6])
    X, y = make_windows([s], 4, 2, target=2)
    assert X.shape == (5, 4, 3) and y.shape == (5, 2)
    np.testing.assert_array_equal(y[:, 0], s[4:9, 2])


# -- several series ----------------------------------------------------------


def test_no_window_crosses_series_and_groups():
    series = [_series(7), _series(12, offset=100.0), _series(5, offset=1000.0)]
    X, y, groups = make_windows(series, 3, 2, return_groups=True)
    assert len(X) == len(y) == len(groups) == (7 - 4) + (12 - 4) + (5 - 4)
    np.testing.assert_array_equal(np.bincount(groups), [3, 8, 1])
    assert (np.diff(groups) >= 0).all()
    for g, base in enumerate([0.0, 100.0, 1000.0]):
        values = np.concatenate([X[groups == g].ravel(), y[groups == g].ravel()])
        # every value of a window comes from its own series
        assert ((values >= base) & (values < base + 20)).all()
    # consecutive values in a window: no jump from one series to the next
    whole = np.concatenate([X[:, :, 0], y], axis=1)
    np.testing.assert_array_equal(np.diff(whole, axis=1), 1.0)


def test_groups_work_with_group_kfold():
    series = [_series(10, offset=100.0 * i) for i in range(4)]
    X, y, groups = make_windows(series, 3, 2, return_groups=True)
    for train, test in GroupKFold(n_splits=4).split(X, y, groups):
        assert not set(groups[train]) & set(groups[test])
        assert len(set(groups[test])) == 1


def test_windower_groups_match_make_windows():
    series = [_series(9), _series(14, offset=50.0), _series(6)]
    _, _, groups = make_windows(series, 3, 2, step=2, return_groups=True)
    windower = SeriesWindower(3, 2, step=2).fit(series)
    np.testing.assert_array_equal(windower.groups_, groups)
    assert windower.n_windows_ == len(groups)


# -- TimeSeriesSplit without leaks -------------------------------------------


@pytest.mark.parametrize(
    ("horizon", "step"), [(1, 1), (4, 1), (12, 1), (5, 2), (6, 3), (3, 5)]
)
def test_time_series_split_with_window_gap_does_not_leak(horizon, step):
    n = 80
    X, y = make_windows(np.arange(n), 6, horizon, step=step)
    gap = window_gap(horizon, step)
    assert gap == -(-horizon // step) - 1  # ceil(horizon / step) - 1
    cv = TimeSeriesSplit(n_splits=3, test_size=3, gap=gap)
    for train, test in cv.split(X):
        # the target values are the time steps: every training target ends
        # before the first target of the test period
        assert y[train].max() < y[test].min()
        # and with one window less of gap, the last training window leaks
        if gap > 0:
            leaky = np.append(train, train[-1] + 1)
            assert y[leaky].max() >= y[test].min()


def test_time_series_split_without_gap_leaks():
    X, y = make_windows(np.arange(40), 6, 4)
    train, test = next(TimeSeriesSplit(n_splits=3, test_size=5).split(X))
    assert y[train].max() >= y[test].min()


# -- SeriesWindower: transform and inverse -----------------------------------


def test_transform_gives_last_window_of_each_series():
    series = [_series(7), _series(10, offset=50.0)]
    windower = SeriesWindower(window_length=3, horizon=2).fit(series)
    out = windower.transform(series)
    assert out.shape == (2, 3, 1)
    np.testing.assert_array_equal(out[:, :, 0], [[4, 5, 6], [57, 58, 59]])
    # longer histories of the same series
    longer = [_series(9), _series(11, offset=50.0)]
    np.testing.assert_array_equal(
        windower.transform(longer)[:, :, 0], [[6, 7, 8], [58, 59, 60]]
    )


def test_transform_matches_last_training_window_shape_and_dtype():
    s = np.arange(20, dtype=np.float32)
    X, _ = make_windows(s, 5, 3)
    last = SeriesWindower(5, 3).fit([s]).transform([s])
    assert last.shape[1:] == X.shape[1:] and last.dtype == X.dtype
    np.testing.assert_array_equal(last[0], s[-5:, None])


@pytest.mark.parametrize("overlap", ["mean", "last"])
@pytest.mark.parametrize(
    ("window_length", "horizon", "step"), [(3, 1, 1), (3, 4, 1), (2, 3, 2), (4, 2, 5)]
)
def test_inverse_transform_round_trip(window_length, horizon, step, overlap):
    series = [_series(15), _series(9, offset=100.0), _series(12, offset=200.0)]
    _, y = make_windows(series, window_length, horizon, step=step)
    windower = SeriesWindower(window_length, horizon, step=step, overlap=overlap).fit(
        series
    )
    back = windower.inverse_transform(y)
    assert isinstance(back, list) and len(back) == 3
    for s, b in zip(series, back):
        assert b.shape == s.shape
        covered = ~np.isnan(b)
        np.testing.assert_array_equal(b[covered], s[covered])
        # the first window_length steps are never a target; the last always is
        assert not covered[:window_length].any() and covered[-1]
        if step <= horizon:  # targets tile the rest of the series
            n_cov = covered.sum()
            assert n_cov == len(s) - window_length - (
                (len(s) - window_length - horizon) % step
            )


def test_inverse_transform_arrays_and_targets():
    S = np.arange(24.0).reshape(2, 12)
    _, y = make_windows(S, 4, 3)
    back = SeriesWindower(4, 3).fit(S).inverse_transform(y)
    assert isinstance(back, np.ndarray) and back.shape == (2, 12)
    np.testing.assert_array_equal(back[:, 4:], S[:, 4:])
    assert np.isnan(back[:, :4]).all()
    # several forecast features: a last axis of n_targets
    M = np.stack([_series(10, 2), _series(10, 2) + 5])
    _, y = make_windows(M, 3, 2)
    back = SeriesWindower(3, 2).fit(M).inverse_transform(y)
    assert back.shape == (2, 10, 2)
    np.testing.assert_array_equal(back[:, 3:], M[:, 3:])
    _, y = make_windows(M, 3, 2, target=1)
    back = SeriesWindower(3, 2, target=1).fit(M).inverse_transform(y)
    np.testing.assert_array_equal(back[:, 3:], M[:, 3:, 1])


def test_inverse_transform_combines_overlapping_forecasts():
    series = [np.zeros(6)]
    windower = SeriesWindower(2, 2, step=1).fit(series)
    np.testing.assert_array_equal(windower.target_start_, [2, 3, 4])
    forecasts = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    mean = windower.inverse_transform(forecasts)[0]
    np.testing.assert_array_equal(mean[2:], [1.0, 2.5, 4.5, 6.0])
    last = windower.set_params(overlap="last").fit(series)
    np.testing.assert_array_equal(
        last.inverse_transform(forecasts)[0][2:], [1.0, 3.0, 5.0, 6.0]
    )


def test_inverse_transform_accepts_1d_for_horizon_1():
    s = np.arange(6.0)
    _, y = make_windows(s, 2, 1)
    back = SeriesWindower(2).fit([s]).inverse_transform(y.ravel())
    np.testing.assert_array_equal(back[0][2:], s[2:])


def test_series_too_short_for_any_window_has_none_in_fit():
    windower = SeriesWindower(3, 4).fit([_series(5), _series(9)])
    np.testing.assert_array_equal(windower.groups_, [1, 1, 1])
    assert windower.transform([_series(5), _series(9)]).shape == (2, 3, 1)


# -- errors --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"window_length": 0}, "window_length"),
        ({"horizon": 0}, "horizon"),
        ({"horizon": -2}, "horizon"),
        ({"step": 0}, "step"),
        ({"window_length": 2.5}, "window_length"),
        ({"horizon": True}, "horizon"),
        ({"target": -1}, "target"),
    ],
)
def test_invalid_parameters_name_the_parameter(kwargs, name):
    params = {"window_length": 3, **kwargs}
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        make_windows(np.arange(10.0), **params)
    with pytest.raises(InvalidParameterError, match=f"'{name}' parameter"):
        SeriesWindower(**params).fit([np.arange(10.0)])


def test_window_longer_than_series_raises():
    msg = re.escape("series[1] has 5 steps, fewer than window_length + horizon")
    with pytest.raises(ValueError, match=msg):
        make_windows([np.arange(10.0), np.arange(5.0)], 4, 2)
    with pytest.raises(ValueError, match="window_length=6"):
        SeriesWindower(6).fit([np.arange(10.0), np.arange(5.0)])
    windower = SeriesWindower(6).fit([np.arange(10.0)])
    with pytest.raises(ValueError, match="window_length=6"):
        windower.transform([np.arange(4.0)])


def test_transposed_series_gets_a_hint():
    one_series = np.arange(30.0).reshape(-1, 1)  # (n_timesteps, 1): 30 rows
    with pytest.raises(ValueError, match=r"pass one multivariate series x .* as \[x\]"):
        make_windows(one_series, 3)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_in_series_raises(bad):
    s = np.arange(10.0)
    s[6] = bad
    with pytest.raises(ValueError, match=r"NaN or inf: first at series\[0\] step 6"):
        make_windows(s, 3)
    with pytest.raises(ValueError, match="NaN or inf"):
        SeriesWindower(3).fit([s])


def test_target_out_of_range_raises():
    with pytest.raises(ValueError, match="target=2 is not a feature index"):
        make_windows([_series(10, 2)], 3, target=2)
    with pytest.raises(ValueError, match="target=2 is not a feature index"):
        SeriesWindower(3, target=2).fit([_series(10, 2)])


def test_inverse_transform_checks_shape_and_fit():
    windower = SeriesWindower(3, 2)
    with pytest.raises(NotFittedError):
        windower.inverse_transform(np.zeros((2, 2)))
    windower.fit([np.arange(8.0)])
    assert windower.n_windows_ == 4
    with pytest.raises(ValueError, match=re.escape("expects one row per window")):
        windower.inverse_transform(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=re.escape("(4, 2)")):
        windower.inverse_transform(np.zeros((4, 3)))


def test_transform_checks_features():
    windower = SeriesWindower(3).fit([_series(8, 2)])
    with pytest.raises(ValueError, match="2 features per step"):
        windower.transform([_series(8, 3)])


def test_clone_keeps_parameters():
    windower = SeriesWindower(5, 3, step=2, target=0, overlap="last")
    assert clone(windower).get_params() == windower.get_params()


# -- forecasting in a pipeline -------------------------------------------------


def test_pipeline_forecast_scored_by_neg_mape():
    from sklearn_seq import SequenceRegressor

    rng = np.random.RandomState(0)
    t = np.arange(60)
    series = 10 + np.sin(2 * np.pi * t / 12) + 0.1 * rng.normal(size=len(t))
    train, test = series[:48], series
    X, y = make_windows(train, 12, 3)
    model = make_pipeline(
        SequenceScaler(),
        SequenceRegressor(hidden_size=4, max_epochs=1, random_state=0),
    ).fit(X, y)
    X_test, y_test = make_windows(test, 12, 3, step=3)
    X_test, y_test = X_test[-4:], y_test[-4:]  # targets in the last 12 steps
    score = get_scorer("neg_mape")(model, X_test, y_test)
    assert np.isfinite(score) and score < 0
    smape = get_scorer("neg_smape")(model, X_test, y_test)
    assert np.isfinite(smape) and smape < 0
    # forecast the 3 steps after the series, and map window forecasts back
    windower = SeriesWindower(12, 3, step=3).fit([test])
    assert model.predict(windower.transform([test])).shape == (1, 3)
    X_all, _ = make_windows(test, 12, 3, step=3)
    on_axis = windower.inverse_transform(model.predict(X_all))[0]
    assert on_axis.shape == (60,) and not np.isnan(on_axis[12:]).any()


def test_windows_module_does_not_import_torch():
    code = (
        "import sys; import sklearn_seq.preprocessing._windows; "
        "assert 'torch' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
