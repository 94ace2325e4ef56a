# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Estimator checks for sequence estimators, in scikit-learn's style.

scikit-learn's :func:`~sklearn.utils.estimator_checks.check_estimator` feeds
2-D ``X`` and a 1-D ``y``; it cannot reach an estimator that takes per-step
labels (a tagger), output sequences (seq2seq) or pairs of sequences (a
verification embedder). The checks here build tiny sequence data suited to
the estimator's *task* and test the contracts every sequence estimator should
keep: ``NotFittedError`` before fit, ``fit`` returning ``self`` without
touching its inputs, clone / pickle / ``random_state`` reproducibility,
row-order equivariance, 3-D arrays equal to lists of arrays, predictions
independent of padding and batch composition, true dtype tags, and atomic
failed fits.

Each check is a function ``check_xxx(name, estimator_orig, *, task=None,
make_data=None)`` that clones ``estimator_orig`` (never fitting it) and raises
``AssertionError`` with a message naming the broken contract, or
:class:`unittest.SkipTest` when it does not apply. Run them all with
:func:`check_sequence_estimator`, or one pytest test per check with
:func:`parametrize_with_sequence_checks`.

Tasks
-----
``"classifier"`` (one label per sequence), ``"regressor"`` (one float per
sequence), ``"tagger"`` (one label per step: ``y`` is a list of label lists),
``"seq2seq"`` (token id sequences in and out) and ``"embedder"`` (class labels
in :meth:`fit`; ``predict``, ``decision_function`` and ``pair_distances``
take pairs ``(X_a, X_b)``, ``transform`` takes sequences). The task is, in
order: the ``task`` argument; the estimator's ``_sequence_task`` attribute
(set by sklearn_seq's tagger, seq2seq and embedder; set it on your own class);
``"classifier"`` / ``"regressor"`` from scikit-learn's estimator type;
``"embedder"`` for an estimator with a ``pair_distances`` method.
"""

import copy
import pickle
import re
from functools import partial
from unittest import SkipTest

import numpy as np
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import NotFittedError

__all__ = [
    "check_3d_array_and_list_agree",
    "check_clone_and_pickle",
    "check_dtype_tags",
    "check_fit_does_not_mutate_input",
    "check_fit_is_atomic",
    "check_fit_returns_self",
    "check_padding_and_batch_invariance",
    "check_random_state_reproducible",
    "check_row_order_equivariance",
    "check_sequence_estimator",
    "check_unfitted_raises_not_fitted",
    "parametrize_with_sequence_checks",
    "sequence_checks_generator",
]

_TASKS = ("classifier", "regressor", "tagger", "seq2seq", "embedder")

#: Methods compared between predictions, when the estimator has them.
_PREDICT_METHODS = (
    "predict",
    "predict_proba",
    "predict_log_proba",
    "decision_function",
    "transform",
    "pair_distances",
    "predict_attention",
)
#: Methods of an embedder that take pairs ``(X_a, X_b)``.
_PAIR_METHODS = frozenset({"predict", "decision_function", "pair_distances"})

#: Float tolerance of the comparisons (absolute and relative).
_TOL = 1e-5
#: Sequence lengths of the training data (12 sequences, ragged).
_TRAIN_LENGTHS = (3, 5, 4, 6, 3, 4, 5, 6, 4, 3, 6, 5)
#: Length of the long sequences the padding check mixes in.
_LONG = 32


# -- task and data -----------------------------------------------------------
def _resolve_task(estimator, task=None):
    """The task of ``estimator`` (see the module docstring)."""
    if callable(task):
        task = task(estimator)
    if task is None:
        task = getattr(estimator, "_sequence_task", None)
    if task is None:
        if is_classifier(estimator):
            task = "classifier"
        elif is_regressor(estimator):
            task = "regressor"
        elif hasattr(estimator, "pair_distances"):
            task = "embedder"
    if task not in _TASKS:
        raise ValueError(
            f"Cannot tell the task of {type(estimator).__name__} (got "
            f"task={task!r}): pass task= one of {list(_TASKS)}, or set the class "
            "attribute _sequence_task to one of them."
        )
    return task


def _numeric(rng, lengths, n_features=2):
    return [rng.normal(size=(int(n), n_features)).astype(np.float32) for n in lengths]


def _make_check_data(task, lengths, random_state=0):
    """Tiny, learnable ``X, y`` for ``task``: one sequence per entry of ``lengths``.

    Numeric ``(n_i, 2)`` float32 sequences for every task but seq2seq, which
    gets token ids 1 to 5 and their reversal as targets. Classifiers: labels
    0 / 1 alternating (class 1 shifted up); regressors: the sequence means;
    taggers: ``"pos"`` / ``"neg"`` per step by the sign of the first feature
    (both occur); embedders: three classes, each shifted differently.
    """
    rng = np.random.default_rng(random_state)
    lengths = np.asarray(lengths, dtype=np.int64)
    n = len(lengths)
    if task == "seq2seq":
        X = [rng.integers(1, 6, size=int(k)).astype(np.int64) for k in lengths]
        return X, [x[::-1].copy() for x in X]
    X = _numeric(rng, lengths)
    if task == "classifier":
        y = np.arange(n) % 2
        X = [x + np.float32(1.5 * c) for x, c in zip(X, y)]
    elif task == "regressor":
        y = np.array([float(x.mean()) for x in X])
    elif task == "tagger":
        for i, x in enumerate(X):
            x[0, 0] = abs(x[0, 0]) + 0.1 if i % 2 == 0 else -abs(x[0, 0]) - 0.1
        y = [np.where(x[:, 0] > 0, "pos", "neg").tolist() for x in X]
    else:  # embedder
        y = np.arange(n) % 3
        X = [
            x + 2.0 * np.array([c % 2, c // 2], dtype=np.float32) for x, c in zip(X, y)
        ]
    return X, y


def _data(estimator, task, make_data, lengths, random_state=0):
    """``make_data(estimator, lengths, random_state)``, else the default data."""
    lengths = np.asarray(lengths, dtype=np.int64)
    out = None
    if make_data is not None:
        out = make_data(estimator, lengths, random_state)
    if out is None:
        return _make_check_data(task, lengths, random_state)
    X, y = out
    X = list(X)
    if len(X) != len(lengths) or any(len(x) != n for x, n in zip(X, lengths.tolist())):
        raise ValueError(
            f"make_data returned sequences of lengths {[len(x) for x in X]}; "
            f"the check asked for {lengths.tolist()}."
        )
    return X, y


def _is_numeric_2d(X):
    """Whether ``X`` is a list of 2-D float arrays (numeric sequences)."""
    return all(
        isinstance(x, np.ndarray) and x.ndim == 2 and x.dtype.kind == "f" for x in X
    )


def _prepare(estimator_orig):
    """A clone, with ``random_state=0`` when the estimator has one set to None."""
    est = clone(estimator_orig)
    params = est.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        est.set_params(random_state=0)
    return est


# -- calling prediction methods ---------------------------------------------
def _takes_pairs(task, method):
    return task == "embedder" and method in _PAIR_METHODS


def _methods(estimator, *, fitted=True):
    """Prediction methods of ``estimator`` (see ``_PREDICT_METHODS``)."""
    names = [m for m in _PREDICT_METHODS if hasattr(estimator, m)]
    if fitted and getattr(estimator, "attention", "") is None:
        # an encoder-decoder fitted without attention has no attention maps
        names = [m for m in names if m != "predict_attention"]
    return names


def _rows(task, method, X):
    """The per-sample inputs of ``method``: sequences, or pairs of them."""
    X = list(X)
    if _takes_pairs(task, method):
        n = len(X)
        return [(X[i], X[(i + 1) % n]) for i in range(n)]
    return X


def _call(estimator, task, method, rows, *, stack=False):
    """Call ``method`` on ``rows`` (as a 3-D array when ``stack``)."""
    rows = list(rows)
    join = np.stack if stack else list
    if _takes_pairs(task, method):
        arg = (join([a for a, _ in rows]), join([b for _, b in rows]))
    else:
        arg = join(rows)
    return getattr(estimator, method)(arg)


def _predictions(estimator, task, X, *, stack=False):
    """``{method: output}`` of every prediction method on ``X``."""
    return {
        m: _call(estimator, task, m, _rows(task, m, X), stack=stack)
        for m in _methods(estimator)
    }


def _take(output, idx):
    if isinstance(output, np.ndarray):
        return output[np.asarray(idx, dtype=np.int64)]
    return [output[i] for i in idx]


def _assert_same(actual, desired, what, tol=_TOL):
    """Recursive equality: floats within ``tol``, everything else exact."""
    if isinstance(desired, list | tuple):
        if not isinstance(actual, list | tuple | np.ndarray) or len(actual) != len(
            desired
        ):
            raise AssertionError(
                f"{what}: got {type(actual).__name__} of length "
                f"{len(actual) if hasattr(actual, '__len__') else '-'}, expected "
                f"{type(desired).__name__} of length {len(desired)}."
            )
        for i, (a, d) in enumerate(zip(actual, desired)):
            _assert_same(a, d, f"{what}[{i}]", tol)
        return
    a, d = np.asarray(actual), np.asarray(desired)
    if a.shape != d.shape:
        raise AssertionError(f"{what}: shape {a.shape} differs from {d.shape}.")
    if d.dtype.kind in "fc" and a.dtype.kind in "fc":
        np.testing.assert_allclose(a, d, rtol=tol, atol=tol, err_msg=what)
    else:
        np.testing.assert_array_equal(a, d, err_msg=what)


def _assert_same_predictions(actual, desired, what, tol=_TOL):
    for method in desired:
        _assert_same(actual[method], desired[method], f"{what}: {method}", tol)


def _fitted_names(estimator):
    return sorted(k for k in vars(estimator) if k.endswith("_") and k[0] != "_")


# -- the checks ---------------------------------------------------------------
def check_unfitted_raises_not_fitted(
    name, estimator_orig, *, task=None, make_data=None
):
    """Every prediction method and ``score`` raise ``NotFittedError`` before fit.

    Parameters
    ----------
    name : str
        Name shown in failure messages.
    estimator_orig : estimator
        An unfitted instance; it is cloned, never fitted.
    task : str, default=None
        One of ``"classifier"``, ``"regressor"``, ``"tagger"``, ``"seq2seq"``,
        ``"embedder"``; guessed when None (see the module docstring).
    make_data : callable, default=None
        ``make_data(estimator, lengths, random_state) -> (X, y)``, one
        sequence of each length in ``lengths``; may return None to take the
        default data of the task.

    Raises
    ------
    AssertionError
        When a method returns, or raises another exception.
    """
    task = _resolve_task(estimator_orig, task)
    est = _prepare(estimator_orig)
    X, y = _data(est, task, make_data, _TRAIN_LENGTHS[:4])
    calls = [
        (m, partial(_call, est, task, m, _rows(task, m, X)))
        for m in _methods(est, fitted=False)
    ]
    if hasattr(est, "score"):
        calls.append(("score", partial(est.score, X, y)))
    for method, call in calls:
        try:
            call()
        except NotFittedError:
            continue
        except Exception as exc:
            raise AssertionError(
                f"{name}.{method} before fit raised {type(exc).__name__}: {exc}; "
                "expected sklearn.exceptions.NotFittedError (call "
                "sklearn.utils.validation.check_is_fitted first)."
            ) from exc
        raise AssertionError(
            f"{name}.{method} before fit returned instead of raising "
            "sklearn.exceptions.NotFittedError."
        )


def check_fit_returns_self(name, estimator_orig, *, task=None, make_data=None):
    """``fit`` returns the estimator itself.

    Parameters and exceptions as :func:`check_unfitted_raises_not_fitted`.
    """
    task = _resolve_task(estimator_orig, task)
    est = _prepare(estimator_orig)
    X, y = _data(est, task, make_data, _TRAIN_LENGTHS)
    out = est.fit(X, y)
    if out is not est:
        raise AssertionError(
            f"{name}.fit returned {type(out).__name__}, not the estimator itself "
            "(fit must end with `return self`)."
        )


def check_fit_does_not_mutate_input(name, estimator_orig, *, task=None, make_data=None):
    """``fit`` leaves ``X`` (a list of arrays) and ``y`` as they were.

    Parameters and exceptions as :func:`check_unfitted_raises_not_fitted`.
    """
    task = _resolve_task(estimator_orig, task)
    est = _prepare(estimator_orig)
    X, y = _data(est, task, make_data, _TRAIN_LENGTHS)
    X_before, y_before = copy.deepcopy(X), copy.deepcopy(y)
    items = [id(x) for x in X]
    est.fit(X, y)
    if [id(x) for x in X] != items:
        raise AssertionError(f"{name}.fit replaced or reordered the sequences of X.")
    for what, now, before in (("X", X, X_before), ("y", y, y_before)):
        try:
            _assert_same(now, before, what, tol=0)
            if isinstance(before, np.ndarray) and now.dtype != before.dtype:
                raise AssertionError(f"dtype {now.dtype} != {before.dtype}")
            for i, (a, b) in enumerate(zip(now, before)):
                if isinstance(b, np.ndarray) and a.dtype != b.dtype:
                    raise AssertionError(f"{what}[{i}] dtype {a.dtype} != {b.dtype}")
        except AssertionError as exc:
            raise AssertionError(
                f"{name}.fit modified its input {what}: {exc}"
            ) from exc


def check_clone_and_pickle(name, estimator_orig, *, task=None, make_data=None):
    """A pickle round trip predicts the same; a clone is unfitted and refits alike.

    Parameters and exceptions as :func:`check_unfitted_raises_not_fitted`.
    """
    task = _resolve_task(estimator_orig, task)
    est = _prepare(estimator_orig)
    X, y = _data(est, task, make_data, _TRAIN_LENGTHS)
    X_test, _ = _data(est, task, make_data, _TRAIN_LENGTHS[:6], random_state=1)
    want = _predictions(est.fit(X, y), task, X_test)
    loaded = pickle.loads(pickle.dumps(est))
    _assert_same_predictions(
        _predictions(loaded, task, X_test), want, f"{name} after a pickle round trip"
    )
    twin = clone(est)
    if _fitted_names(twin):
        raise AssertionError(
            f"clone({name}) carries fitted attributes {_fitted_names(twin)}."
        )
    try:
        _call(twin, task, "predict", _rows(task, "predict", X_test))
    except NotFittedError:
        pass
    else:
        raise AssertionError(f"clone of a fitted {name} predicts without fit.")
    if _skip_if_non_deterministic(est):
        return
    _assert_same_predictions(
        _predictions(twin.fit(X, y), task, X_test),
        want,
        f"clone({name}) fitted on the same data",
    )


def _skip_if_non_deterministic(est):
    return est.__sklearn_tags__().non_deterministic


def check_random_state_reproducible(name, estimator_orig, *, task=None, make_data=None):
    """Two fresh fits with the same ``random_state`` predict the same, as does a refit.

    Skipped for estimators tagged ``non_deterministic`` (e.g. on a GPU).
    Parameters and exceptions as :func:`check_unfitted_raises_not_fitted`.
    """
    task = _resolve_task(estimator_orig, task)
    est = _prepare(estimator_orig)
    if _skip_if_non_deterministic(est):
        raise SkipTest(f"{name} is tagged non_deterministic.")
    X, y = _data(est, task, make_data, _TRAIN_LENGTHS)
    X_test, _ = _data(est, task, make_data, _TRAIN_LENGTHS[:6], random_state=1)
    first = _predictions(est.fit(X, y), task, X_test)
    second = _predictions(clone(est).fit(X, y), task, X_test)
    _assert_same_predictions(
        second, first, f"{name}: two fits with the same random_state"
    )
    _assert_same_predictions(
        _predictions(est.fit(X, y), task, X_test),
        first,
        f"{name}: a refit of the fitted estimator on the same data",
    )


def check_row_order_equivariance(name, estimator_orig, *, task=None, make_data=None):
    """Predictions on permuted ``X`` are the permuted predictions.

    Parameters and exceptions as :func:`check_unfitted_raises_not_fitted`.
    """
    task = _resolve_task(estimator_orig, task)
    est = _prepare(estimator_orig)
    X, y = _data(est, task, make_data, _TRAIN_LENGTHS)
    est.fit(X, y)
    perm = np.random.default_rng(0).permutation(len(X))
    for method in _methods(est):
        rows = _rows(task, method, X)
        want = _call(est, task, method, rows)
        got = _call(est, task, method, _take(rows, perm))
        _assert_same(
            got,
            _take(want, perm),
            f"{name}.{method} on permuted X is not the permuted output",
        )


def check_3d_array_and_list_agree(name, estimator_orig, *, task=None, make_data=None):
    """Fixed-length data as a 3-D array and as a list of arrays predict the same.

    Both for prediction (one fitted estimator) and for fitting (an estimator
    fitted on the 3-D array against one fitted on the list). Skipped unless
    the estimator's ``input_tags.three_d_array`` is True and the data is
    numeric. Parameters and exceptions as
    :func:`check_unfitted_raises_not_fitted`.
    """
    task = _resolve_task(estimator_orig, task)
    est = _prepare(estimator_orig)
    if not est.__sklearn_tags__().input_tags.three_d_array:
        raise SkipTest(f"{name} does not take 3-D arrays (input_tags.three_d_array).")
    X, y = _data(est, task, make_data, [5] * len(_TRAIN_LENGTHS))
    if not _is_numeric_2d(X):
        raise SkipTest(f"the {task} data of {name} is not numeric sequences.")
    X_test, _ = _data(est, task, make_data, [5] * 6, random_state=1)
    want = _predictions(est.fit(X, y), task, X_test)
    _assert_same_predictions(
        _predictions(est, task, X_test, stack=True),
        want,
        f"{name}: X_test as a 3-D array against a list of arrays",
    )
    if _skip_if_non_deterministic(est):
        return
    _assert_same_predictions(
        _predictions(clone(est).fit(np.stack(X), y), task, X_test),
        want,
        f"{name} fitted on a 3-D array against fitted on a list of arrays",
    )


def check_padding_and_batch_invariance(
    name, estimator_orig, *, task=None, make_data=None
):
    """A sequence's prediction does not depend on the batch it is predicted in.

    Each sequence, predicted alone, gets the output it gets inside one batch
    with sequences several times longer (so: padded), within ``1e-5``.
    Parameters and exceptions as :func:`check_unfitted_raises_not_fitted`.
    """
    task = _resolve_task(estimator_orig, task)
    est = _prepare(estimator_orig)
    X, y = _data(est, task, make_data, _TRAIN_LENGTHS)
    est.fit(X, y)
    short, _ = _data(est, task, make_data, [2, 3, 4], random_state=1)
    long, _ = _data(est, task, make_data, [_LONG] * 3, random_state=2)
    mixed = [short[0], long[0], short[1], long[1], long[2], short[2]]
    for method in _methods(est):
        rows = _rows(task, method, mixed)
        batch = _call(est, task, method, rows)
        for i, row in enumerate(rows):
            alone = _call(est, task, method, [row])
            _assert_same(
                _take(batch, [i]),
                alone,
                f"{name}.{method}: sequence {i} (length {len(mixed[i])}) predicted "
                f"in a batch padded to {_LONG} steps differs from it predicted alone",
            )


def check_dtype_tags(name, estimator_orig, *, task=None, make_data=None):
    """``transform`` returns the dtypes ``transformer_tags.preserves_dtype`` claims.

    For each dtype in the tag, ``fit`` and ``transform`` on numeric sequences
    of that dtype must return that dtype. Skipped for estimators without
    ``transform`` or with numeric-free data. Parameters and exceptions as
    :func:`check_unfitted_raises_not_fitted`.
    """
    task = _resolve_task(estimator_orig, task)
    est = _prepare(estimator_orig)
    tags = est.__sklearn_tags__()
    if not hasattr(est, "transform") or tags.transformer_tags is None:
        raise SkipTest(f"{name} is not a transformer.")
    X, y = _data(est, task, make_data, _TRAIN_LENGTHS)
    if not _is_numeric_2d(X):
        raise SkipTest(f"the {task} data of {name} is not numeric sequences.")
    for dtype in tags.transformer_tags.preserves_dtype:
        X_d = [x.astype(dtype) for x in X]
        out = clone(est).fit(X_d, y).transform(X_d)
        if np.asarray(out).dtype != np.dtype(dtype):
            raise AssertionError(
                f"{name}.__sklearn_tags__().transformer_tags.preserves_dtype = "
                f"{tags.transformer_tags.preserves_dtype} claims {dtype} is "
                f"preserved, but transform of {dtype} input returns "
                f"{np.asarray(out).dtype}. Fix the output or the tag."
            )


def _failing_fits(est, task, make_data):
    """``(description, params, X, y)`` of fits that must raise."""
    # other (longer) data: a fit that records what it learns from the data
    # before failing changes the fitted attributes
    lengths = [n + 3 for n in _TRAIN_LENGTHS]
    X, y = _data(est, task, make_data, lengths, random_state=3)
    cases = []
    if "optimizer_params" in est.get_params(deep=False):
        cases.append(
            (
                "optimizer_params={'bogus': 1} on other data",
                {"optimizer_params": {"bogus": 1}},
                X,
                y,
            )
        )
    n = len(X)
    X_bad = [np.column_stack([x, x[:, :1]]) for x in X] if _is_numeric_2d(X) else X
    what = "X with one more feature and " if X_bad is not X else ""
    cases.append(
        (f"{what}y of {n - 1} samples for {n} sequences", {}, X_bad, y[: n - 1])
    )
    return cases


def _same_value(a, b):
    if a is b:
        return True
    try:
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            return bool(np.array_equal(a, b))
        return bool(a == b)
    except (TypeError, ValueError, RuntimeError):  # e.g. ambiguous truth value
        return False


def check_fit_is_atomic(name, estimator_orig, *, task=None, make_data=None):
    """A fit that raises leaves the estimator as it was.

    Failing fits, on other (longer) data than the first fit:
    ``optimizer_params={"bogus": 1}`` (when the estimator has that
    parameter), and ``y`` one sample shorter than ``X`` (with one more
    feature in numeric ``X``, so that a fit that records ``n_features_in_``
    before failing is caught). Afterwards an
    unfitted estimator still raises ``NotFittedError``, and a fitted one
    keeps its fitted attributes (same names and values) and predicts as
    before. Parameters and exceptions as
    :func:`check_unfitted_raises_not_fitted`.
    """
    task = _resolve_task(estimator_orig, task)
    est = _prepare(estimator_orig)
    X, y = _data(est, task, make_data, _TRAIN_LENGTHS)
    X_test, _ = _data(est, task, make_data, _TRAIN_LENGTHS[:6], random_state=1)
    params = est.get_params(deep=False)
    failing = _failing_fits(est, task, make_data)

    def fail(target, description, bad_params, X_bad, y_bad):
        target.set_params(**bad_params)
        try:
            target.fit(X_bad, y_bad)
        except Exception:  # noqa: BLE001 - any error is the failure sought
            return
        finally:
            target.set_params(**{k: params[k] for k in bad_params})
        raise AssertionError(f"{name}.fit with {description} did not raise.")

    for description, bad_params, X_bad, y_bad in failing:
        unfitted = clone(est)
        fail(unfitted, description, bad_params, X_bad, y_bad)
        try:
            _call(unfitted, task, "predict", _rows(task, "predict", X_test))
        except NotFittedError:
            pass
        except Exception as exc:
            raise AssertionError(
                f"{name}: after a failed first fit ({description}), predict "
                f"raised {type(exc).__name__}: {exc}, not NotFittedError; the "
                "failed fit left a half-fitted estimator."
            ) from exc
        else:
            raise AssertionError(
                f"{name}: after a failed first fit ({description}), predict "
                "returned instead of raising NotFittedError."
            )
    est.fit(X, y)
    want = _predictions(est, task, X_test)
    attributes = {k: getattr(est, k) for k in _fitted_names(est)}
    for description, bad_params, X_bad, y_bad in failing:
        fail(est, description, bad_params, X_bad, y_bad)
        what = f"{name} after a failed refit ({description})"
        if _fitted_names(est) != sorted(attributes):
            raise AssertionError(
                f"{what}: fitted attributes changed from {sorted(attributes)} "
                f"to {_fitted_names(est)}."
            )
        changed = [
            k for k, v in attributes.items() if not _same_value(getattr(est, k), v)
        ]
        if changed:
            raise AssertionError(
                f"{what}: fitted attributes {changed} changed, e.g. "
                f"{changed[0]} from {attributes[changed[0]]!r:.60} to "
                f"{getattr(est, changed[0])!r:.60}."
            )
        try:
            got = _predictions(est, task, X_test)
        except Exception as exc:
            raise AssertionError(
                f"{what}: predicting raised {type(exc).__name__}: {exc}"
            ) from exc
        _assert_same_predictions(got, want, what)


_CHECKS = (
    check_unfitted_raises_not_fitted,
    check_fit_returns_self,
    check_fit_does_not_mutate_input,
    check_clone_and_pickle,
    check_random_state_reproducible,
    check_row_order_equivariance,
    check_3d_array_and_list_agree,
    check_padding_and_batch_invariance,
    check_dtype_tags,
    check_fit_is_atomic,
)
_CHECK_NAMES = tuple(c.__name__ for c in _CHECKS)


# -- running them -------------------------------------------------------------
def _expected(expected_failed_checks):
    expected = dict(expected_failed_checks or {})
    unknown = sorted(set(expected) - set(_CHECK_NAMES))
    if unknown:
        raise ValueError(
            f"expected_failed_checks names unknown checks {unknown}; the checks "
            f"are {list(_CHECK_NAMES)}."
        )
    return expected


def sequence_checks_generator(
    estimator,
    *,
    task=None,
    make_data=None,
    expected_failed_checks=None,
    mark=None,
    xfail_strict=None,
):
    """Yield ``(estimator, check)`` pairs, one per sequence check.

    Like :func:`sklearn.utils.estimator_checks.estimator_checks_generator`:
    run each as ``check(estimator)``.

    Parameters
    ----------
    estimator : estimator
        An unfitted instance (cloned by each check).
    task : str or callable, default=None
        The task (see the module docstring), or a function of the estimator
        returning it; guessed when None.
    make_data : callable, default=None
        ``make_data(estimator, lengths, random_state) -> (X, y)`` returning
        one sequence per entry of ``lengths`` (an int array), or None for the
        default data of the task.
    expected_failed_checks : dict, default=None
        ``{check name: reason}`` of checks known to fail.
    mark : {None, "xfail", "skip"}, default=None
        With ``"xfail"`` or ``"skip"``, the expected failures are yielded as
        :func:`pytest.param` with that mark (needs pytest).
    xfail_strict : bool, default=None
        ``strict`` of the xfail marks; None takes pytest's ``xfail_strict``.

    Yields
    ------
    estimator : estimator
        ``estimator`` itself.
    check : callable
        ``check(estimator)`` runs one check (a :func:`functools.partial` of
        ``check_xxx`` with the name, task and data bound).

    Examples
    --------
    >>> from sklearn_seq import SequenceClassifier
    >>> from sklearn_seq.utils.estimator_checks import sequence_checks_generator
    >>> clf = SequenceClassifier(hidden_size=4, max_epochs=1)
    >>> [check.func.__name__ for _, check in sequence_checks_generator(clf)][:3]
    ['check_unfitted_raises_not_fitted', 'check_fit_returns_self', \
'check_fit_does_not_mutate_input']
    """
    expected = _expected(expected_failed_checks)
    task = _resolve_task(estimator, task)
    name = type(estimator).__name__
    for check in _CHECKS:
        bound = partial(check, name, task=task, make_data=make_data)
        reason = expected.get(check.__name__)
        if reason is not None and mark in ("xfail", "skip"):
            import pytest

            marker = (
                pytest.mark.xfail(reason=reason, strict=xfail_strict)
                if mark == "xfail"
                else pytest.mark.skip(reason=reason)
            )
            yield pytest.param(estimator, bound, marks=marker)
        else:
            yield estimator, bound


def _check_id(obj):
    """pytest id of an estimator (its compact repr) or a check (its name)."""
    if isinstance(obj, partial):
        return obj.func.__name__
    return re.sub(r"\s+", "", repr(obj))


def parametrize_with_sequence_checks(
    estimators,
    *,
    task=None,
    make_data=None,
    expected_failed_checks=None,
    xfail_strict=None,
):
    """Pytest parametrization over every sequence check of every estimator.

    Like :func:`sklearn.utils.estimator_checks.parametrize_with_checks`:
    decorate a test taking ``estimator`` and ``check`` and calling
    ``check(estimator)``.

    Parameters
    ----------
    estimators : list of estimators
        Unfitted instances (not classes).
    task : str or callable, default=None
        The task of every estimator, or a function of the estimator returning
        it (or None to guess).
    make_data : callable, default=None
        See :func:`sequence_checks_generator`; receives the estimator.
    expected_failed_checks : callable, default=None
        ``expected_failed_checks(estimator) -> {check name: reason}``; those
        checks are marked xfail.
    xfail_strict : bool, default=None
        ``strict`` of the xfail marks; None takes pytest's ``xfail_strict``.

    Returns
    -------
    decorator : pytest.mark.parametrize
        The parametrization of ``"estimator, check"``.

    Examples
    --------
    >>> from sklearn_seq import SequenceTagger
    >>> from sklearn_seq.utils.estimator_checks import (
    ...     parametrize_with_sequence_checks)
    >>> @parametrize_with_sequence_checks([SequenceTagger(hidden_size=4)])
    ... def test_sequence_checks(estimator, check):
    ...     check(estimator)
    """
    import pytest

    if any(isinstance(est, type) for est in estimators):
        raise TypeError("Pass estimator instances, not classes.")

    def params():
        for est in estimators:
            expected = (
                expected_failed_checks(est)
                if callable(expected_failed_checks)
                else None
            )
            yield from sequence_checks_generator(
                est,
                task=task,
                make_data=make_data,
                expected_failed_checks=expected,
                mark="xfail",
                xfail_strict=xfail_strict,
            )

    return pytest.mark.parametrize("estimator, check", list(params()), ids=_check_id)


def check_sequence_estimator(
    estimator,
    *,
    task=None,
    make_data=None,
    expected_failed_checks=None,
    on_fail="raise",
):
    """Run every sequence check on ``estimator``.

    Parameters
    ----------
    estimator : estimator
        An unfitted instance (cloned by each check).
    task : str or callable, default=None
        See :func:`sequence_checks_generator`.
    make_data : callable, default=None
        See :func:`sequence_checks_generator`.
    expected_failed_checks : dict, default=None
        ``{check name: reason}`` of checks known to fail: their failures are
        reported with status ``"xfail"`` and never raised.
    on_fail : {"raise", None}, default="raise"
        Raise the first unexpected failure, or only report it.

    Returns
    -------
    results : list of dict
        One per check: ``"check_name"``, ``"status"`` (``"passed"``,
        ``"failed"``, ``"xfail"`` or ``"skipped"``) and ``"exception"`` (None,
        or what the check raised).

    Raises
    ------
    AssertionError
        With ``on_fail="raise"``, the first failure not in
        ``expected_failed_checks`` (or whatever the check raised).

    Examples
    --------
    >>> from sklearn_seq import SequenceRegressor
    >>> from sklearn_seq.utils.estimator_checks import check_sequence_estimator
    >>> reg = SequenceRegressor(hidden_size=4, max_epochs=1, random_state=0)
    >>> results = check_sequence_estimator(reg, on_fail=None)
    >>> [r["check_name"] for r in results][:2]
    ['check_unfitted_raises_not_fitted', 'check_fit_returns_self']
    >>> sorted({r["status"] for r in results})  # check_dtype_tags: no transform
    ['passed', 'skipped']
    """
    if on_fail not in ("raise", None):
        raise ValueError(f"on_fail must be 'raise' or None, got {on_fail!r}.")
    expected = _expected(expected_failed_checks)
    results = []
    for est, check in sequence_checks_generator(
        estimator, task=task, make_data=make_data
    ):
        check_name = check.func.__name__
        status, error = "passed", None
        try:
            check(est)
        except SkipTest as exc:
            status, error = "skipped", exc
        except Exception as exc:
            status, error = ("xfail" if check_name in expected else "failed"), exc
            if status == "failed" and on_fail == "raise":
                raise
        results.append({"check_name": check_name, "status": status, "exception": error})
    return results
