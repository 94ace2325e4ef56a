# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Sequence containers and input validation (NumPy only, no torch).

The four input kinds of sklearn_seq are converted once, at the edge, into a
:class:`Sequences` object: every timestep of every sequence stacked in one flat
array ``values`` plus ``lengths``. Batches are cut out of it with whole-array
indexing, never sample by sample.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sklearn_seq.exceptions import SequenceValidationError

__all__ = ["IGNORE_INDEX", "Sequences", "check_sequences"]

#: Target value ignored by losses and metrics (padding of per-step targets).
#: The same value :class:`torch.nn.CrossEntropyLoss` ignores by default.
IGNORE_INDEX = -100

KINDS = ("fixed", "univariate", "ragged", "tokens")


@dataclass(eq=False)
class Sequences:
    """Validated sequences stored as one flat array plus lengths.

    Parameters
    ----------
    values : ndarray of shape (n_total_steps, n_features) or (n_total_steps,)
        All timesteps of all sequences, one after the other. Float32 for
        numeric sequences, int64 for token ids (1-D).
    lengths : ndarray of shape (n_samples,)
        Number of timesteps of each sequence (all >= 1).
    kind : {"fixed", "univariate", "ragged", "tokens"}
        The input kind the data came from.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.utils import check_sequences
    >>> seqs = check_sequences([np.zeros((3, 2)), np.ones((5, 2))])
    >>> seqs.kind, seqs.n_samples, seqs.n_features, seqs.lengths.tolist()
    ('ragged', 2, 2, [3, 5])
    >>> seqs.pad().shape
    (2, 5, 2)
    """

    values: np.ndarray
    lengths: np.ndarray
    kind: str

    # ``offsets`` and the common length are computed when first read: a
    # prediction on a 3-D array needs neither the cumulative sum nor the
    # comparison (0.1 ms of a 20 ms prediction, with cold caches)
    @cached_property
    def offsets(self):
        """Position of each sequence's first step in ``values``."""
        offsets = np.zeros(len(self.lengths), dtype=np.int64)
        if len(self.lengths) > 1:
            np.cumsum(self.lengths[:-1], out=offsets[1:])
        return offsets

    @cached_property
    def _uniform_length(self):
        # the common length when all sequences share one, else None
        uniform = len(self.lengths) and (self.lengths == self.lengths[0]).all()
        return int(self.lengths[0]) if uniform else None

    @property
    def n_samples(self):
        """Number of sequences."""
        return len(self.lengths)

    @property
    def n_features(self):
        """Features per timestep (None for token ids)."""
        return None if self.values.ndim == 1 else self.values.shape[1]

    @property
    def is_tokens(self):
        """Whether the sequences hold integer token ids."""
        return self.kind == "tokens"

    def __len__(self):
        return self.n_samples

    def __getitem__(self, i):
        start = self.offsets[i]
        return self.values[start : start + self.lengths[i]]

    def to_list(self):
        """Return the sequences as a list of arrays (views into ``values``).

        Returns
        -------
        list of ndarray
            One array of shape ``(n_timesteps_i, n_features)`` per sample.
        """
        return [self[i] for i in range(self.n_samples)]

    def take(self, indices):
        """Return the sequences at ``indices`` as a new :class:`Sequences`.

        Parameters
        ----------
        indices : array-like of int
            Sample indices.

        Returns
        -------
        Sequences
            The selected sequences, in the given order.
        """
        indices = np.asarray(indices, dtype=np.int64)
        lengths = self.lengths[indices]
        positions = _positions(self.offsets[indices], lengths)
        return Sequences(self.values[positions], lengths, self.kind)

    def pad(self, indices=None, maxlen=None, pad_value=0):
        """Pad (a subset of) the sequences to a dense array, padding at the end.

        Parameters
        ----------
        indices : array-like of int, default=None
            Samples to pad, in order. All samples when None.
        maxlen : int, default=None
            Length of the output. The longest selected sequence when None;
            longer sequences are an error (nothing is truncated silently).
        pad_value : float or int, default=0
            Value written after the end of each sequence.

        Returns
        -------
        ndarray of shape (n_selected, maxlen, n_features) or (n_selected, maxlen)
            Padded sequences. Consecutive samples of equal length come back as
            a view of ``values`` (no copy); treat the result as read-only.
        """
        if indices is None:
            indices = np.arange(self.n_samples)
        indices = np.asarray(indices, dtype=np.int64)
        lengths = self.lengths[indices]
        batch_max = int(lengths.max()) if len(lengths) else 0
        if maxlen is None:
            maxlen = batch_max
        elif batch_max > maxlen:
            raise ValueError(
                f"maxlen={maxlen} is shorter than the longest sequence "
                f"({batch_max} steps); nothing is truncated silently."
            )
        n_sel = len(indices)
        if (
            n_sel
            and self.values.flags.writeable
            and maxlen == batch_max
            and lengths.min() == batch_max
            and indices[-1] - indices[0] == n_sel - 1
            and (n_sel == 1 or (np.diff(indices) == 1).all())
        ):
            # consecutive samples of one length: a view, no gather, no copy
            start = self.offsets[indices[0]]
            block = self.values[start : start + n_sel * maxlen]
            return block.reshape(n_sel, maxlen, *self.values.shape[1:])
        if maxlen == batch_max and self._uniform_length == maxlen:
            # every sequence has one length: whole rows of a 3-D view
            n = self.n_samples
            return self.values.reshape(n, maxlen, *self.values.shape[1:])[indices]
        steps = np.arange(maxlen)
        mask = steps[None, :] < lengths[:, None]
        if len(self.values) == 0:
            pos = np.zeros(mask.shape, dtype=np.int64)
        else:
            pos = np.minimum(
                self.offsets[indices][:, None] + steps[None, :], len(self.values) - 1
            )
        out = self.values[pos]
        if not mask.all():
            out[~mask] = pad_value
        return out


def n_features_in(seqs):
    """scikit-learn's ``n_features_in_`` for validated sequences.

    The column count of a 2-D array (univariate sequences of that fixed
    length), as for any scikit-learn estimator; the features per step for
    3-D arrays and lists; 1 for token ids.
    """
    if seqs.kind == "univariate":
        return int(seqs.lengths[0]) if seqs.n_samples else 0
    return 1 if seqs.is_tokens else int(seqs.n_features)


def check_n_features_in(estimator, seqs, *, fitted_univariate):
    """Check sequences at predict/transform against what ``fit`` saw.

    Fitted on a 2-D array (``fitted_univariate``), a 2-D ``X`` must have the
    same number of columns (``n_features_in_``) and any other ``X`` one
    feature per step; fitted on 3-D arrays or lists, ``X`` must have
    ``n_features_in_`` features per step (a 2-D ``X`` is then univariate
    sequences, of any length, when that is 1).
    """
    name = type(estimator).__name__
    expected = estimator.n_features_in_
    if fitted_univariate:
        if seqs.kind == "univariate":
            width = int(seqs.lengths[0])
            if width != expected:
                raise ValueError(
                    f"X has {width} features, but {name} is expecting {expected} "
                    f"features as input. {name} was fitted on a 2-D array, read as "
                    f"univariate sequences of {expected} steps; pass sequences of "
                    "other lengths as a list of arrays or a 3-D array (n_samples, "
                    "n_timesteps, 1)."
                )
            return
        per_step = 1
    else:
        per_step = expected
    if seqs.n_features != per_step:
        hint = ""
        if seqs.kind == "univariate":
            hint = (
                " A 2-D array is read as univariate sequences (n_samples, "
                "n_timesteps), one feature per step; pass one multivariate "
                "sequence x as x[None] or [x]."
            )
        raise ValueError(
            f"X has {seqs.n_features} features per step, but {name} is expecting "
            f"{per_step} features per step as input.{hint}"
        )


def _positions(offsets, lengths):
    """Flat positions of the steps of sequences given by offsets and lengths."""
    total = int(lengths.sum())
    starts = np.repeat(
        offsets - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths
    )
    return starts + np.arange(total)


def float_dtype_of(X):
    """float32 for float32/float16 input, float64 otherwise (sklearn's habit).

    Shared by the transformers and samplers that return the dtype they got.
    """
    if isinstance(X, np.ndarray) and X.dtype != object:
        dtype = X.dtype
    elif len(X):
        dtype = np.asarray(X[0]).dtype
    else:
        dtype = np.dtype(np.float64)
    return np.float32 if dtype in (np.float32, np.float16) else np.float64


def _fail(msg):
    raise SequenceValidationError(msg)


def _check_finite(values, lengths, input_name):
    # one pass, no temporary: a sum is finite when every value is. First in
    # the values' own precision (float32: 1.0 ms for 4.8M values, against
    # 2.1 ms in float64), then, when that overflowed, in float64, which
    # float32 values cannot overflow; an overflowing float64 sum of float64
    # values falls through to the exact check below
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.sum(values)):
            return
    if values.dtype != np.float64 and np.isfinite(np.sum(values, dtype=np.float64)):
        return
    finite = np.isfinite(values)
    if finite.ndim > 1:
        finite = finite.all(axis=1)
    if not finite.all():
        bad_step = int(np.argmin(finite))
        ends = np.cumsum(lengths)
        sample = int(np.searchsorted(ends, bad_step, side="right"))
        step = bad_step - (int(ends[sample - 1]) if sample else 0)
        _fail(
            f"{input_name} contains NaN or inf: first at {input_name}[{sample}] "
            f"step {step}. Impute or drop these values before fitting."
        )


def _cast(values, dtype, lengths, input_name):
    """``values.astype(dtype)``, naming the first value too large for ``dtype``.

    Without the check, a finite float64 above float32's range (3.4e38) turns
    into inf and is reported as "NaN or inf".
    """
    if values.dtype == dtype:  # nothing to cast (nor the errstate's cost)
        return values
    try:
        with np.errstate(over="raise"):
            return values.astype(dtype, copy=False)
    except FloatingPointError:
        limit = np.finfo(dtype).max
        too_large = np.isfinite(values) & (np.abs(values) > limit)
        if too_large.ndim > 1:
            too_large = too_large.any(axis=1)
        bad_step = int(np.argmax(too_large))
        ends = np.cumsum(lengths)
        sample = int(np.searchsorted(ends, bad_step, side="right"))
        step = bad_step - (int(ends[sample - 1]) if sample else 0)
        value = np.asarray(values[bad_step]).ravel()
        value = value[np.abs(value) > limit][0]
        _fail(
            f"{input_name}[{sample}] step {step} holds {value:.3g}, too large for "
            f"{np.dtype(dtype).name} (largest {limit:.3g}). Rescale the features "
            "(e.g. sklearn_seq.preprocessing.SequenceScaler) before fitting."
        )


def _numeric_dtype_error(dtype, where, input_name):
    hint = ""
    if dtype.kind in "USO":
        hint = (
            " Raw text goes through sklearn_seq.preprocessing.TextVectorizer, "
            "which turns strings into token id sequences."
        )
    raise SequenceValidationError(
        f"{input_name}{where} has dtype {dtype}; expected numbers (float or int).{hint}"
    )


def check_sequences(
    X,
    *,
    input_name="X",
    ensure_min_samples=1,
    allow_nan=False,
    dtype=np.float32,
):
    """Validate sequence input and convert it to a :class:`Sequences` object.

    Accepts the four input kinds of sklearn_seq:

    * fixed-length numeric: ndarray ``(n_samples, n_timesteps, n_features)``;
    * univariate numeric: ndarray ``(n_samples, n_timesteps)``, read as
      ``n_features=1``;
    * variable-length numeric: list (or 1-D object array) of arrays
      ``(n_timesteps_i, n_features)`` or 1-D float arrays ``(n_timesteps_i,)``
      (a list of equal-length Python lists of floats, such as ``X.tolist()``,
      is a 2-D array-like, read as univariate, as scikit-learn reads it);
    * token sequences: list of 1-D integer sequences with ids >= 1 (0 is the
      padding id; by convention 1 is the out-of-vocabulary id, the ``<unk>``
      of :class:`~sklearn_seq.preprocessing.TextVectorizer`, which the
      estimators' ``word_dropout`` substitutes and whose embedding starts at
      zero).

    Parameters
    ----------
    X : array-like or list of array-like
        Input sequences.
    input_name : str, default="X"
        Name used in error messages.
    ensure_min_samples : int, default=1
        Minimum number of sequences.
    allow_nan : bool, default=False
        Whether NaN and inf values are accepted.
    dtype : numpy dtype, default=np.float32
        dtype of numeric values (token ids are always int64).

    Returns
    -------
    Sequences
        The validated sequences.

    Raises
    ------
    SequenceValidationError
        A :class:`ValueError` naming the offending sample for NaN/inf values,
        empty sequences, ragged feature counts, wrong dimensions or dtypes.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.utils import check_sequences
    >>> check_sequences(np.zeros((4, 10, 3))).kind
    'fixed'
    >>> check_sequences(np.zeros((4, 10))).n_features
    1
    >>> check_sequences([[3, 1, 4], [1, 5]]).kind
    'tokens'
    >>> check_sequences([np.zeros((2, 3)), np.zeros((2, 4))])
    Traceback (most recent call last):
    ...
    sklearn_seq.exceptions.SequenceValidationError: X[1] has 4 features per step, ...
    """
    # a plain array (the common case) needs none of the conversions below
    if not (type(X) is np.ndarray and X.dtype != object):
        if X is None:
            raise TypeError(f"{input_name} must be sequences, got None.")
        if isinstance(X, str | bytes):
            _fail(
                f"{input_name} is a single string; pass a list of sequences. Raw "
                "text goes through sklearn_seq.preprocessing.TextVectorizer."
            )
        if hasattr(X, "detach") and hasattr(X, "cpu"):  # a torch tensor
            X = X.detach().cpu().numpy()
        if hasattr(X, "tocsr") or hasattr(X, "toarray"):
            raise TypeError(
                f"Sparse data was passed for {input_name}, but dense data is required. "
                "Use '.toarray()' to convert to a dense numpy array."
            )
        if not isinstance(X, np.ndarray | list | tuple) and hasattr(X, "__array__"):
            X = np.asarray(X)
    if isinstance(X, np.ndarray) and X.dtype != object:
        seqs = _check_array(X, input_name, dtype)
    else:
        if hasattr(X, "to_numpy") and not isinstance(X, list | tuple):
            X = X.to_numpy()  # pandas objects
            if X.dtype != object:
                return check_sequences(
                    X,
                    input_name=input_name,
                    ensure_min_samples=ensure_min_samples,
                    allow_nan=allow_nan,
                    dtype=dtype,
                )
        if isinstance(X, np.ndarray) and X.ndim != 1:
            try:
                arr = X.astype(np.float64)
            except (TypeError, ValueError) as exc:
                raise TypeError(
                    f"{input_name} is an object array that cannot be read as "
                    f"numbers: {exc}"
                ) from exc
            seqs = _check_array(arr, input_name, dtype)
        else:
            seqs = _check_list(X, input_name, dtype)
    if seqs.n_samples < ensure_min_samples:
        _fail(
            f"Found array with {seqs.n_samples} sample(s) while a minimum of "
            f"{ensure_min_samples} is required ({input_name} is empty)."
        )
    if not allow_nan and not seqs.is_tokens:
        _check_finite(seqs.values, seqs.lengths, input_name)
    return seqs


def _check_array(X, input_name, dtype):
    if X.dtype.kind == "c":
        _fail(f"Complex data not supported: {input_name} has dtype {X.dtype}.")
    if X.dtype.kind not in "biuf":
        _numeric_dtype_error(X.dtype, "", input_name)
    if X.ndim == 3:
        n, t, f = X.shape
        kind = "fixed"
    elif X.ndim == 2:
        n, t = X.shape
        f = 1
        kind = "univariate"
    else:
        _fail(
            f"Expected {input_name} as a 3-D array (n_samples, n_timesteps, "
            "n_features), a 2-D array (n_samples, n_timesteps) or a list of "
            f"sequences; got a {X.ndim}-D array of shape {X.shape}."
            + (
                " Reshape your data: a single sequence as X[None] or [X]."
                if X.ndim == 1
                else ""
            )
        )
    if n > 0 and t == 0:
        _fail(
            f"Found array with 0 feature(s) (shape={X.shape}) while a minimum "
            f"of 1 is required: the sequences of {input_name} have 0 steps."
        )
    if n > 0 and f == 0:
        _fail(
            f"Found array with 0 feature(s) (shape={X.shape}) while a minimum "
            f"of 1 is required: {input_name} has 0 features per step."
        )
    lengths = np.empty(n, dtype=np.int64)
    lengths.fill(t)  # np.full, without its Python layer
    values = _cast(X.reshape(n * t, f), dtype, lengths, input_name)
    seqs = Sequences(np.ascontiguousarray(values), lengths, kind)
    seqs._uniform_length = int(t) if n else None  # known: no comparison
    return seqs


def _check_list(X, input_name, dtype):
    items = list(X)
    if not items:
        return Sequences(np.zeros((0, 1), dtype=dtype), np.zeros(0, np.int64), "ragged")
    arrays = []
    token_flags = []
    for i, item in enumerate(items):
        if isinstance(item, str | bytes):
            _fail(
                f"{input_name}[{i}] is a string ({item[:30]!r}); expected a "
                "sequence of numbers or token ids. Raw text goes through "
                "sklearn_seq.preprocessing.TextVectorizer."
            )
        if hasattr(item, "detach") and hasattr(item, "cpu"):
            item = item.detach().cpu().numpy()
        try:
            arr = np.asarray(item)
        except ValueError as exc:
            _fail(f"{input_name}[{i}] is not a rectangular array: {exc}")
        if arr.dtype == object:
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError):
                _fail(
                    f"{input_name}[{i}] holds non-numeric values; expected a "
                    "sequence of numbers or token ids."
                )
        if arr.dtype.kind not in "biuf":
            _numeric_dtype_error(arr.dtype, f"[{i}]", input_name)
        if arr.ndim == 0:
            _fail(
                f"{input_name}[{i}] is a scalar; expected a sequence "
                "(n_timesteps,) or (n_timesteps, n_features)."
            )
        if arr.ndim > 2:
            _fail(
                f"{input_name}[{i}] has {arr.ndim} dimensions (shape "
                f"{arr.shape}); expected (n_timesteps, n_features)."
            )
        if arr.shape[0] == 0:
            _fail(
                f"{input_name}[{i}] is an empty sequence; every sequence "
                "needs at least one step."
            )
        token_flags.append(arr.ndim == 1 and arr.dtype.kind in "biu")
        arrays.append(arr)
    if all(token_flags):
        return _tokens(arrays, input_name)
    if any(token_flags):
        i = token_flags.index(not token_flags[0])
        _fail(
            f"{input_name} mixes token id sequences (1-D integers) and numeric "
            f"sequences: {input_name}[0] and {input_name}[{i}] differ. Cast "
            "integer-valued numeric series to float."
        )
    if (
        all(isinstance(item, list | tuple) for item in items)
        and all(a.ndim == 1 for a in arrays)
        and len({len(a) for a in arrays}) == 1
    ):
        # equal-length Python lists of numbers are a 2-D array-like for
        # scikit-learn (``X.tolist()``): univariate sequences of one length
        return _check_array(np.asarray(arrays), input_name, dtype)
    arrays = [a[:, None] if a.ndim == 1 else a for a in arrays]
    n_features = arrays[0].shape[1]
    for i, a in enumerate(arrays):
        if a.shape[1] != n_features:
            _fail(
                f"{input_name}[{i}] has {a.shape[1]} features per step, but "
                f"{input_name}[0] has {n_features}; every sequence needs the "
                "same number of features."
            )
    if n_features == 0:
        _fail(f"{input_name}[0] has 0 features per step.")
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    values = _cast(np.concatenate(arrays, axis=0), dtype, lengths, input_name)
    return Sequences(values, lengths, "ragged")


def _tokens(arrays, input_name):
    lengths = np.fromiter((len(a) for a in arrays), dtype=np.int64, count=len(arrays))
    int64_max = np.iinfo(np.int64).max
    for i, a in enumerate(arrays):
        if a.dtype == np.uint64 and a.max() > int64_max:
            _fail(
                f"{input_name}[{i}] holds token id {int(a.max())}, beyond the "
                f"largest id an embedding can index ({int64_max}). Map tokens to "
                "ids 1..V with sklearn_seq.preprocessing.TextVectorizer (or your "
                "own vocabulary)."
            )
    values = np.concatenate(arrays).astype(np.int64, copy=False)
    if values.min() < 1:
        bad = int(np.argmax(values < 1))
        sample = int(np.searchsorted(np.cumsum(lengths), bad, side="right"))
        _fail(
            f"{input_name}[{sample}] holds token id {int(values[bad])}; token ids "
            "must be >= 1 (0 is reserved for padding). TextVectorizer produces "
            "valid ids; for numeric series pass floats."
        )
    return Sequences(values, lengths, "tokens")
