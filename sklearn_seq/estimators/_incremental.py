# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""partial_fit_chunks: the out-of-core training loop, so users do not write it."""

import time
from collections.abc import Iterator
from numbers import Integral

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from sklearn_seq.estimators._base import BaseSequenceNet
from sklearn_seq.utils._out_of_core import (
    RaggedStore,
    _check_arrays,
    _chunk_bounds,
    _generate,
    _is_stream,
    _n_rows,
    _take_rows,
)
from sklearn_seq.utils._param_validation import (
    HasMethods,
    IntervalNotBool,
    validate_params,
)

__all__ = ["partial_fit_chunks"]


def _is_fitted(estimator):
    try:
        check_is_fitted(estimator)
    except (NotFittedError, TypeError):  # TypeError: an object without fit
        return False
    return True


def _signature(X):
    """What every chunk must share with the first: its features per step."""
    if isinstance(X, np.ndarray) and X.dtype != object:
        if X.ndim == 3:
            return ("features", X.shape[2])
        if X.ndim == 2:
            return ("univariate", X.shape[1])
        return None
    if isinstance(X, list | tuple) and len(X):
        first = np.asarray(X[0])
        if first.ndim == 2:
            return ("features", first.shape[1])
        if first.ndim == 1:
            return ("tokens",) if first.dtype.kind in "iu" else ("features", 1)
    return None


def _describe(signature):
    if signature[0] == "tokens":
        return "token id sequences"
    if signature[0] == "univariate":
        return (
            f"a 2-D array of {signature[1]} columns (univariate sequences, "
            f"n_features_in_={signature[1]})"
        )
    return f"{signature[1]} features per step"


def _max_token(X):
    """Largest id of token sequences (None when X does not hold tokens)."""
    if isinstance(X, RaggedStore):
        return X.max_token_id
    if isinstance(X, list | tuple) and len(X):
        first = np.asarray(X[0])
        if first.ndim == 1 and first.dtype.kind in "iu":
            return max(int(np.max(x)) for x in X)
    return None


def _unique_labels(y, chunk_size):
    """``np.unique(y)``, reading y chunk by chunk (a memory map or Dask array)."""
    n = _check_arrays([y])
    found = [
        np.unique(np.asarray(chunk))
        for chunk in _generate([y], _chunk_bounds([y], n, chunk_size), None)
    ]
    return np.unique(np.concatenate(found))


def _stream_chunks(X, epoch):
    """The chunks of a stream for one epoch, as ``(X, y, sample_weight)``."""
    stream = X() if callable(X) and not isinstance(X, Iterator) else X
    for k, item in enumerate(stream):
        if not isinstance(item, tuple | list) or len(item) not in (2, 3):
            raise TypeError(
                f"Chunk {k} of epoch {epoch + 1} is a {type(item).__name__}; a "
                "stream of chunks yields (X_chunk, y_chunk) or (X_chunk, "
                "y_chunk, sample_weight_chunk) tuples."
            )
        yield (*item, None) if len(item) == 2 else tuple(item)


def _array_chunks(arrays, bounds, rng, has_y):
    """The chunks of ``[X, y?, sample_weight?]`` as ``(X, y, sample_weight)``."""
    for chunk in _generate(arrays, bounds, rng):
        parts = iter((chunk,) if len(arrays) == 1 else chunk)
        Xc = next(parts)
        yc = next(parts) if has_y else None
        yield Xc, yc, next(parts, None)


def _check_chunk(Xc, yc, swc, where):
    n = _n_rows(Xc, f"X of {where}")
    for name, part in (("y", yc), ("sample_weight", swc)):
        if part is not None and _n_rows(part, f"{name} of {where}") != n:
            raise ValueError(
                f"{where}: X has {n} samples but {name} has "
                f"{_n_rows(part, name)}; every chunk needs one {name} per sample."
            )
    return n


@validate_params(
    {
        "estimator": [HasMethods(["partial_fit"])],
        "chunk_size": [IntervalNotBool(Integral, 1, None, closed="left"), None],
        "epochs": [IntervalNotBool(Integral, 1, None, closed="left")],
        "classes": ["array-like", None],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose", None],
    },
    prefer_skip_nested_validation=False,
)
def partial_fit_chunks(
    estimator,
    X,
    y=None,
    *,
    chunk_size=None,
    epochs=1,
    classes=None,
    sample_weight=None,
    shuffle=True,
    random_state=None,
    verbose=None,
):
    """Train ``estimator`` with ``partial_fit`` on data too large for memory.

    Runs the out-of-core loop: cuts ``X`` (and ``y``) into chunks held in
    memory one at a time, and calls ``estimator.partial_fit`` on each, for
    ``epochs`` passes. Memory holds one chunk plus the model, so a memory map
    or Dask array many times larger than RAM trains within a fixed memory
    budget (see :doc:`/out_of_core`). Works with any estimator that has
    ``partial_fit``, such as :class:`~sklearn_seq.SequenceClassifier`,
    :class:`~sklearn_seq.SequenceRegressor` or scikit-learn's
    :class:`~sklearn.linear_model.SGDClassifier`; like
    ``dask_ml.wrappers.Incremental``, but for sequences, memory maps and
    generators as well as Dask arrays.

    Parameters
    ----------
    estimator : estimator with a ``partial_fit`` method
        Trained in place (a fitted estimator continues from its weights).
    X : array-like, numpy.memmap, Dask array, RaggedStore, iterator or callable
        Training data, one of:

        * an array or :class:`numpy.memmap` ``(n_samples, n_timesteps,
          n_features)`` or ``(n_samples, n_timesteps)``: chunks are blocks of
          rows, read into memory and released from the map one at a time;
        * a Dask array chunked along the samples: its blocks, computed one
          at a time (``chunk_size`` re-cuts them);
        * a :class:`~sklearn_seq.utils.RaggedStore` (variable-length
          sequences on disk, :func:`~sklearn_seq.utils.load_ragged`): chunks
          are lists of arrays; ``y`` defaults to the store's ``y``;
        * a list of sequences (already in memory), cut into chunks;
        * a stream of chunks: an iterator, or a function called with no
          argument at the start of every epoch that returns one, yielding
          ``(X_chunk, y_chunk)`` or ``(X_chunk, y_chunk, sample_weight_chunk)``
          tuples. An iterator is consumed by one pass, so ``epochs > 1`` needs
          the function.

    y : array-like, numpy.memmap or Dask array of shape (n_samples,), \
default=None
        Targets aligned with ``X`` (None for streams, whose chunks carry
        them, and for estimators that learn without targets).
    chunk_size : int, default=None
        Samples per chunk (the last may be smaller). None: the chunks of a
        Dask array, else about 64 MiB of ``X`` per chunk. Peak memory grows
        with it; so does the speed of training, up to a point. Not for
        streams, whose chunks are the ones they yield.
    epochs : int, default=1
        Passes over the data. Each ``partial_fit`` call of sklearn_seq's
        estimators trains one epoch on its chunk, so an epoch here is one
        epoch over the whole data.
    classes : array-like of shape (n_classes,), default=None
        Classifiers: every label of the data, given to the first
        ``partial_fit`` call. None: read from ``y`` in one chunked pass, or
        from ``classes_`` of a fitted classifier; required for a stream with
        an unfitted classifier (its labels are unknown before training).
    sample_weight : array-like, numpy.memmap or Dask array of shape \
(n_samples,), default=None
        Per-sample weights, cut like ``y`` (streams yield them as the third
        element of their tuples instead).
    shuffle : bool, default=True
        Visit the chunks in a new random order every epoch and shuffle the
        samples within each chunk (a stream keeps its order of chunks).
        Chunks stay contiguous blocks of rows, so a file is read in large
        sequential pieces; data sorted by label or time should be shuffled
        once on disk, or chunks made small enough that each epoch mixes
        many of them.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling (the estimator's own ``random_state`` seeds its
        weights and batches).
    verbose : int, default=None
        1 prints one line per epoch, 2 one per chunk too. None: the
        estimator's ``verbose`` (0 when it has none).

    Returns
    -------
    object
        ``estimator``, trained.

    See Also
    --------
    sklearn_seq.utils.iter_chunks : The chunks, for evaluation or a loop of
        your own.
    sklearn_seq.utils.load_ragged : Variable-length sequences on disk.

    Notes
    -----
    The first ``partial_fit`` call builds the network from its chunk: the
    number of features (every later chunk must have it, else an error names
    the chunk), ``class_weight="balanced"`` weights, and for token input the
    size of the embedding table (``vocab_size_``). A later chunk holding a
    larger token id would be refused, so with a store or a list of token
    sequences this function checks the largest id of the whole data against
    the first chunk's before training and raises a ``ValueError`` when the
    first chunk lacks it (map rare ids to the out-of-vocabulary id 1, or
    train first on a few sequences holding the largest id). Longer sequences
    in later chunks are fine: recurrent and convolutional encoders take any
    length, the transformer's position table grows on the fly, and
    ``cell="lstm_fcn"`` resamples them as at prediction time.

    Leave ``early_stopping`` off: with ``partial_fit`` it would hold out part
    of every chunk. Memory-mapped ``y`` and ``sample_weight`` are read the
    same way as ``X``; chunks yielded by a stream are used as they come (yield
    arrays held in memory, e.g. from :func:`~sklearn_seq.utils.iter_chunks`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier, partial_fit_chunks
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 8, 3)).astype(np.float32)  # or a np.memmap
    >>> y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    >>> clf = SequenceClassifier(hidden_size=8, random_state=0)
    >>> clf = partial_fit_chunks(clf, X, y, chunk_size=50, epochs=2, random_state=0)
    >>> clf.n_epochs_, clf.classes_.tolist()
    (8, [0, 1])

    A stream of chunks, read again at every epoch:

    >>> def chunks():
    ...     for start in range(0, 200, 50):
    ...         yield X[start : start + 50], y[start : start + 50]
    >>> clf = SequenceClassifier(hidden_size=8, random_state=0)
    >>> clf = partial_fit_chunks(clf, chunks, epochs=2, classes=[0, 1])
    >>> clf.predict(X[:4]).shape
    (4,)
    """
    stream = _is_stream(X)
    name = type(estimator).__name__
    if verbose is None:
        verbose = getattr(estimator, "verbose", 0) or 0
    classifier = is_classifier(estimator)
    if classes is not None and not classifier:
        raise ValueError(
            f"classes is for classifiers; {name} is not one (sklearn's "
            "is_classifier is False)."
        )
    fitted = _is_fitted(estimator)
    if stream:
        for param, value in (
            ("y", y),
            ("sample_weight", sample_weight),
            ("chunk_size", chunk_size),
        ):
            if value is not None:
                raise ValueError(
                    f"{param} must be None when X is a stream of chunks: the "
                    "stream yields (X_chunk, y_chunk[, sample_weight_chunk]) "
                    "tuples, and its chunks are the ones it yields."
                )
        if isinstance(X, Iterator) and epochs > 1:
            raise ValueError(
                f"epochs={epochs} with X an iterator, which one pass consumes: "
                "pass a function returning a new iterator at each call "
                "instead (e.g. lambda: read_chunks(path))."
            )
        arrays = bounds = None
    else:
        if y is None and isinstance(X, RaggedStore):
            y = X.y
        arrays = [X, *(a for a in (y, sample_weight) if a is not None)]
        n = _check_arrays(arrays)
        bounds = _chunk_bounds(arrays, n, chunk_size)
    if classifier and classes is None and not fitted:
        if stream:
            raise ValueError(
                f"classes is required: {name} is an unfitted classifier and X "
                "is a stream of chunks, so its labels are unknown before the "
                "first partial_fit call, which needs all of them. Pass "
                "classes=[...], every label of the data."
            )
        if y is not None:
            classes = _unique_labels(y, chunk_size)
    check_vocab = not stream and not fitted and isinstance(estimator, BaseSequenceNet)
    max_token = _max_token(X) if check_vocab else None

    rng = check_random_state(random_state)
    first = None  # signature of the first chunk
    n_calls = 0
    for epoch in range(epochs):
        if stream:
            chunks = _stream_chunks(X, epoch)
            n_chunks = "?"
        else:
            chunks = _array_chunks(
                arrays, bounds, rng if shuffle else None, y is not None
            )
            n_chunks = len(bounds)
        start = time.perf_counter()
        n_seen = n_trained = 0
        for k, (Xc, yc, swc) in enumerate(chunks):
            where = f"chunk {k} of epoch {epoch + 1}"
            n = _check_chunk(Xc, yc, swc, where)
            if n == 0:
                continue
            if stream and shuffle:
                perm = rng.permutation(n)
                Xc = _take_rows(Xc, perm)
                yc = None if yc is None else _take_rows(yc, perm)
                swc = None if swc is None else _take_rows(swc, perm)
            signature = _signature(Xc)
            if first is None:
                first = signature
            elif signature is not None and signature != first:
                raise ValueError(
                    f"{where} has {_describe(signature)}, but the first chunk "
                    f"had {_describe(first)}: every chunk must match the first, "
                    "from which the network was built."
                )
            if n_calls == 0 and max_token is not None:
                first_max = _max_token(Xc)
                if first_max is not None and first_max < max_token:
                    raise ValueError(
                        f"The first chunk holds token ids up to {first_max}, but X "
                        f"holds ids up to {max_token}: {name} sizes its embedding "
                        "table (vocab_size_) in its first partial_fit call, from "
                        "that chunk alone, and would refuse later chunks with "
                        "larger ids. Map rare ids to the out-of-vocabulary id 1, "
                        "or call partial_fit first on a few sequences holding the "
                        "largest id."
                    )
            kwargs = {}
            if n_calls == 0 and classifier and classes is not None:
                kwargs["classes"] = classes
            if swc is not None:
                kwargs["sample_weight"] = swc
            tic = time.perf_counter()
            estimator.partial_fit(Xc, yc, **kwargs)
            n_calls += 1
            n_trained += 1
            n_seen += n
            if verbose >= 2:
                print(
                    f"[partial_fit_chunks] epoch {epoch + 1}/{epochs}, chunk "
                    f"{k + 1}/{n_chunks}: {n:,} samples, "
                    f"{time.perf_counter() - tic:.1f} s"
                )
            # let the chunk go before the next one is read: memory holds one
            del Xc, yc, swc, kwargs
        if n_seen == 0:
            raise ValueError(
                f"X gave no samples in epoch {epoch + 1}; nothing to train on."
            )
        if verbose:
            print(
                f"[partial_fit_chunks] epoch {epoch + 1}/{epochs}: {n_seen:,} "
                f"samples in {n_trained} chunks, {time.perf_counter() - start:.1f} s"
            )
    return estimator
