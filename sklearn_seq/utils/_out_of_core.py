# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Data larger than memory: ragged sequences on disk, and reading in chunks.

A *ragged store* is a directory of ``.npy`` files: every step of every sequence
one after the other in ``values``, and where each sequence starts in
``offsets`` (the layout of :class:`~sklearn_seq.utils.Sequences`, and of
Apache Arrow's list arrays). :func:`load_ragged` memory-maps the files, so
opening a store of any size reads only its small manifest.

:func:`iter_chunks` cuts arrays, memory maps, Dask arrays and stores into
chunks that are held in memory one at a time. After copying a chunk out of a
memory map it hands the chunk's pages back to the operating system
(``madvise(MADV_DONTNEED)``): pages of a memory map that were read count in
the resident memory (RSS) of the process until the map is closed, so without
this a pass over a file would grow the RSS to the file's size. The data stays
in the page cache, which the kernel reclaims when memory runs short.

NumPy only: no torch, no Dask import unless a Dask array is passed.
"""

import itertools
import json
import mmap
import os
import struct
import sys
from collections.abc import Iterator
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from sklearn_seq.utils._param_validation import (
    IntervalNotBool,
    StrOptions,
    validate_params,
)
from sklearn_seq.utils._sequences import check_sequences

__all__ = ["RaggedStore", "RaggedWriter", "iter_chunks", "load_ragged", "save_ragged"]

#: ``format`` and ``version`` of the manifest; a reader refuses newer versions
FORMAT = "sklearn_seq.ragged"
VERSION = 1
_MANIFEST = "manifest.json"
_FILES = ("values.npy", "offsets.npy", "y.npy")

#: bytes of X per chunk when ``chunk_size=None`` (and X is not a Dask array)
DEFAULT_CHUNK_BYTES = 64 * 2**20

# a memory map is copied out in pieces of this size, each released once copied
_COPY_BYTES = 4 * 2**20

# offsets are checked in blocks of this many entries (8 MiB of int64)
_OFFSET_BLOCK = 2**20


# -- memory maps ---------------------------------------------------------------
def _find_mmap(array):
    """``(mmap, mode)`` behind a NumPy array, or ``(None, None)``.

    Follows ``.base`` up to the :class:`mmap.mmap` of an :class:`numpy.memmap`
    (``np.load(..., mmap_mode=...)`` makes one too); ``mode`` is the
    memmap's (``"r"``, ``"r+"``, ``"w+"`` or ``"c"``).
    """
    mode = None
    obj = array
    while obj is not None:
        if isinstance(obj, np.memmap) and mode is None:
            mode = obj.mode
        if isinstance(obj, mmap.mmap):
            return obj, mode
        obj = getattr(obj, "base", None)
    return None, None


def _byte_span(view):
    """Address of the first and one past the last byte of ``view``."""
    start = end = view.__array_interface__["data"][0]
    for n, stride in zip(view.shape, view.strides):
        if stride < 0:
            start += (n - 1) * stride
        else:
            end += (n - 1) * stride
    return start, end + view.itemsize


def release_pages(view):
    """Drop the memory-map pages of ``view`` from the resident memory.

    A no-op for arrays that are not memory-mapped, for copy-on-write maps
    (``mode="c"``, whose changed pages exist only in memory), and where
    ``madvise`` is missing (Windows). The data itself stays in the file and
    the page cache: reading ``view`` again maps the pages back.
    """
    if not isinstance(view, np.ndarray) or view.size == 0:
        return
    mm, mode = _find_mmap(view)
    if mm is None or mode in ("c", "copyonwrite"):
        return
    if not (hasattr(mm, "madvise") and hasattr(mmap, "MADV_DONTNEED")):
        return
    try:
        base = np.frombuffer(mm, dtype=np.uint8).__array_interface__["data"][0]
        lo, hi = _byte_span(view)
        page = mmap.PAGESIZE
        start = (lo - base) // page * page
        stop = min(-(-(hi - base) // page) * page, len(mm))
        if stop > start >= 0:
            mm.madvise(mmap.MADV_DONTNEED, start, stop - start)
    except (OSError, ValueError, TypeError, BufferError):
        return  # a closed or unusual map: leave the pages to the kernel


def _read_block(array, start, stop):
    """``array[start:stop]`` in memory, and whether it is a copy of our own.

    A memory-mapped array is copied piece by piece, each piece's pages
    released once copied, so the map never holds more than a few MiB of the
    chunk; an in-memory array is sliced (a view, not ours to change).
    """
    view = array[start:stop]
    if _find_mmap(view)[0] is None:
        return view, False
    block = np.empty(view.shape, view.dtype)
    row_bytes = max(view.itemsize * int(np.prod(view.shape[1:])), 1)
    step = max(1, _COPY_BYTES // row_bytes)
    for s in range(0, len(view), step):
        piece = view[s : s + step]
        block[s : s + step] = piece
        release_pages(piece)
    return block, True


def _shuffled(chunk, seed, *, own):
    """``chunk`` with its rows shuffled by ``RandomState(seed)``.

    Every array of a chunk is shuffled with the same seed, hence the same
    permutation. A chunk of our own (a copy, a new list) is shuffled in
    place, so memory holds it once; a view of the caller's data is copied.
    """
    if seed is None:
        return chunk
    rng = np.random.RandomState(seed)
    if own:
        rng.shuffle(chunk)
        return chunk
    return _take_rows(chunk, rng.permutation(len(chunk)))


# -- the .npy files of a store ---------------------------------------------------
def _npy_header(dtype, shape):
    """An NPY 1.0 header whose size does not depend on ``shape[0]``.

    The writer puts it first with ``shape[0] = 0`` and rewrites it in place
    once the number of rows is known (the header is padded as for a 21-digit
    row count, as :mod:`numpy.lib.format` pads headers of growable arrays).
    """

    def text(n_rows):
        header = {
            "descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
            "fortran_order": False,
            "shape": (n_rows, *shape[1:]),
        }
        return repr(header)

    magic = b"\x93NUMPY\x01\x00"
    room = len(text(10**20)) + 1  # + the final newline
    total = -(-(len(magic) + 2 + room) // 64) * 64
    body = text(shape[0]).ljust(total - len(magic) - 2 - 1) + "\n"
    return magic + struct.pack("<H", len(body)) + body.encode("latin1")


class _NpyAppender:
    """A ``.npy`` file written row block by row block, header fixed at close."""

    def __init__(self, path, dtype, row_shape):
        self.path = path
        self.dtype = np.dtype(dtype)
        self.row_shape = tuple(row_shape)
        self.n_rows = 0
        self.file = open(path, "wb")  # noqa: SIM115 (closed by close or abort)
        self.file.write(_npy_header(self.dtype, (0, *self.row_shape)))

    def append(self, rows):
        rows = np.ascontiguousarray(rows, dtype=self.dtype)
        self.file.write(memoryview(rows).cast("B"))
        self.n_rows += len(rows)

    def close(self):
        self.file.seek(0)
        self.file.write(_npy_header(self.dtype, (self.n_rows, *self.row_shape)))
        self.file.close()

    def abort(self):
        self.file.close()
        os.remove(self.path)


# -- the store -------------------------------------------------------------------
def _check_offsets(offsets, n_steps):
    """Refuse offsets that do not cut ``n_steps`` steps into non-empty sequences."""
    if offsets.ndim != 1 or offsets.dtype.kind not in "iu" or len(offsets) < 1:
        raise ValueError(
            "offsets must be a 1-D integer array of n_samples + 1 sequence "
            f"starts; got dtype {offsets.dtype} and shape {offsets.shape}."
        )
    first, last = int(offsets[0]), int(offsets[-1])
    if first != 0 or last != n_steps:
        raise ValueError(
            f"offsets must start at 0 and end at len(values) = {n_steps}; they "
            f"run from {first} to {last}."
        )
    for start in range(0, len(offsets) - 1, _OFFSET_BLOCK):
        view = offsets[start : start + _OFFSET_BLOCK + 1]
        steps = np.diff(view)
        release_pages(view)
        if (steps < 1).any():
            i = start + int(np.argmax(steps < 1))
            raise ValueError(
                f"offsets[{i + 1}] = {int(offsets[i + 1])} is not above "
                f"offsets[{i}] = {int(offsets[i])}: sequence {i} would have "
                f"{int(steps[i - start])} steps; every sequence needs at least one."
            )


class RaggedStore:
    """Variable-length sequences in a flat array plus offsets, read lazily.

    Sequence ``i`` is ``values[offsets[i]:offsets[i + 1]]``. With memory-mapped
    ``values`` (what :func:`load_ragged` returns) nothing is read until a
    sequence is used: ``store[i]`` is a view of the map, ``store[i:j]`` and
    ``store[indices]`` are lists of views, so ``store[i:j]`` goes straight into
    ``fit``, ``predict`` or :func:`~sklearn_seq.partial_fit_chunks`.
    :func:`iter_chunks` reads a store chunk by chunk without the resident
    memory growing with the file.

    Parameters
    ----------
    values : ndarray of shape (n_steps, n_features) or (n_steps,)
        Every step of every sequence, one sequence after the other: numbers
        per step (2-D), or integer token ids >= 1 (1-D). Usually a
        :class:`numpy.memmap`.
    offsets : ndarray of shape (n_samples + 1,)
        Integer start of each sequence in ``values``, then ``len(values)``:
        ``offsets[0] == 0``, strictly increasing (no empty sequence).
    y : ndarray of shape (n_samples, ...), default=None
        One target per sequence.

    Attributes
    ----------
    values : ndarray
        The steps, as given (memory-mapped when loaded from disk).
    offsets : ndarray of shape (n_samples + 1,)
        The sequence starts, as given.
    y : ndarray of shape (n_samples, ...) or None
        The targets.
    path : str or None
        The directory the store was loaded from (None when built from arrays).

    See Also
    --------
    load_ragged : Open a store written to disk.
    save_ragged : Write sequences to disk as a store.
    RaggedWriter : Write a store chunk by chunk.
    iter_chunks : Read a store (or an array) chunk by chunk.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.utils import RaggedStore
    >>> values = np.arange(12, dtype=np.float32).reshape(6, 2)
    >>> store = RaggedStore(values, np.array([0, 2, 6]), y=np.array([0, 1]))
    >>> len(store), store.n_features, store.lengths.tolist()
    (2, 2, [2, 4])
    >>> store[0]
    array([[0., 1.],
           [2., 3.]], dtype=float32)
    >>> [x.shape for x in store[0:2]]
    [(2, 2), (4, 2)]
    """

    def __init__(self, values, offsets, y=None):
        self._setup(values, offsets, y, path=None, check=True)

    def _setup(self, values, offsets, y, *, path, check, max_token_id=None):
        values = values if isinstance(values, np.ndarray) else np.asarray(values)
        offsets = offsets if isinstance(offsets, np.ndarray) else np.asarray(offsets)
        if values.ndim == 1 and values.dtype.kind not in "iu":
            raise ValueError(
                f"values is 1-D with dtype {values.dtype}: a 1-D store holds "
                "integer token ids; store numbers as (n_steps, n_features), "
                "e.g. values[:, None] for one feature."
            )
        if values.ndim not in (1, 2) or values.dtype.kind not in "biuf":
            raise ValueError(
                "values must be a 2-D numeric array (n_steps, n_features) or a "
                f"1-D array of integer token ids; got dtype {values.dtype} and "
                f"shape {values.shape}."
            )
        if check:
            _check_offsets(offsets, len(values))
        n_samples = len(offsets) - 1
        if y is not None:
            y = y if isinstance(y, np.ndarray) else np.asarray(y)
            if y.ndim == 0 or len(y) != n_samples:
                raise ValueError(
                    f"y has {len(y) if y.ndim else 'no'} targets but the store "
                    f"holds {n_samples} sequences (len(offsets) - 1)."
                )
        self.values = values
        self.offsets = offsets
        self.y = y
        self.path = path
        self._max_token_id = max_token_id

    @property
    def n_samples(self):
        """Number of sequences."""
        return len(self.offsets) - 1

    @property
    def n_features(self):
        """Features per step (None for token ids)."""
        return None if self.values.ndim == 1 else self.values.shape[1]

    @property
    def kind(self):
        """``"tokens"`` for token id sequences, else ``"ragged"``."""
        return "tokens" if self.values.ndim == 1 else "ragged"

    @property
    def lengths(self):
        """Steps of every sequence, ``np.diff(offsets)`` (reads the offsets)."""
        return np.diff(np.asarray(self.offsets)).astype(np.int64)

    @property
    def max_token_id(self):
        """Largest token id (None for numeric sequences).

        From the manifest for stores written by sklearn_seq, else computed
        once by a pass over ``values``.
        """
        if self.kind != "tokens":
            return None
        if self._max_token_id is None:
            top = 0
            for start in range(0, len(self.values), 8 * _OFFSET_BLOCK):
                view = self.values[start : start + 8 * _OFFSET_BLOCK]
                top = max(top, int(view.max()))
                release_pages(view)
            self._max_token_id = top
        return self._max_token_id

    def __len__(self):
        return self.n_samples

    def _index(self, i):
        n = self.n_samples
        i = int(i)
        if i < -n or i >= n:
            raise IndexError(
                f"index {i} is out of range for a RaggedStore of {n} sequences."
            )
        return i + n if i < 0 else i

    def __getitem__(self, key):
        if isinstance(key, Integral) and not isinstance(key, bool):
            i = self._index(key)
            return self.values[int(self.offsets[i]) : int(self.offsets[i + 1])]
        if isinstance(key, slice):
            start, stop, step = key.indices(self.n_samples)
            if step == 1:
                bounds = np.asarray(self.offsets[start : max(start, stop) + 1])
                return [
                    self.values[int(a) : int(b)] for a, b in itertools.pairwise(bounds)
                ]
            key = np.arange(start, stop, step)
        idx = np.asarray(key)
        if idx.dtype == bool:
            if idx.shape != (self.n_samples,):
                raise IndexError(
                    f"a boolean mask over a RaggedStore needs {self.n_samples} "
                    f"entries; got shape {idx.shape}."
                )
            idx = np.flatnonzero(idx)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise IndexError(
                "a RaggedStore is indexed by an int, a slice, or a 1-D array of "
                f"ints or booleans; got {type(key).__name__}."
            )
        return [self[self._index(i)] for i in idx]

    def __iter__(self):
        for i in range(self.n_samples):
            yield self[i]

    def __repr__(self):
        detail = (
            "kind='tokens'"
            if self.kind == "tokens"
            else f"n_features={self.n_features}"
        )
        where = "" if self.path is None else f", path={self.path!r}"
        y = "" if self.y is None else ", y"
        return f"RaggedStore(n_samples={self.n_samples}, {detail}{y}{where})"

    def __reduce__(self):
        # a store on disk travels (to joblib or Dask workers) as its path, not
        # as a copy of its data
        if self.path is not None:
            return (load_ragged, (self.path,))
        return (RaggedStore, (self.values, self.offsets, self.y))

    def _read(self, start, stop):
        """Sequences ``start:stop`` as a new list of arrays held in memory.

        One contiguous read of their steps (the pages are then released),
        split into views of that copy (views of ``values`` when it is held in
        memory).
        """
        bounds = np.array(self.offsets[start : stop + 1], dtype=np.int64)
        block, _ = _read_block(self.values, int(bounds[0]), int(bounds[-1]))
        return np.split(block, bounds[1:-1] - bounds[0])


@validate_params(
    {"path": [str, os.PathLike], "mmap_mode": [StrOptions({"r", "r+", "c"}), None]},
    prefer_skip_nested_validation=True,
)
def load_ragged(path, *, mmap_mode="r"):
    """Open a ragged store written by :func:`save_ragged` or :class:`RaggedWriter`.

    The store is a directory with ``manifest.json``, ``values.npy``,
    ``offsets.npy`` and optionally ``y.npy`` (see :doc:`/out_of_core` for the
    format). The ``.npy`` files are memory-mapped: opening reads nothing but
    the manifest and the file headers.

    Parameters
    ----------
    path : str or path-like
        Directory of the store.
    mmap_mode : {"r", "r+", "c"} or None, default="r"
        Memory-map mode of the arrays (as :func:`numpy.load`); None reads them
        into memory.

    Returns
    -------
    RaggedStore
        The store; ``store.values`` is a :class:`numpy.memmap` unless
        ``mmap_mode=None``.

    Raises
    ------
    FileNotFoundError
        When ``path`` holds no ``manifest.json`` (not a store, or one whose
        writing did not finish).
    ValueError
        When the manifest is of another format or a newer version, or does
        not match the arrays.

    See Also
    --------
    save_ragged : Write a store.
    RaggedStore : What this returns.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from sklearn_seq.utils import load_ragged, save_ragged
    >>> X = [np.ones((3, 2)), np.zeros((5, 2))]
    >>> path = tempfile.mkdtemp() + "/store"
    >>> save_ragged(path, X, y=np.array(["a", "b"]))
    >>> store = load_ragged(path)
    >>> store
    RaggedStore(n_samples=2, n_features=2, y, path='...store')
    >>> type(store.values).__name__, store[1].shape, store.y.tolist()
    ('memmap', (5, 2), ['a', 'b'])
    """
    path = os.fspath(path)
    manifest_path = os.path.join(path, _MANIFEST)
    if not os.path.isfile(manifest_path):
        raise FileNotFoundError(
            f"{path!r} holds no {_MANIFEST}: it is not a ragged store written by "
            "save_ragged or RaggedWriter, or its writing did not finish."
        )
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    if manifest.get("format") != FORMAT:
        raise ValueError(
            f"{manifest_path} is not a ragged store manifest: format is "
            f"{manifest.get('format')!r}, expected {FORMAT!r}."
        )
    if int(manifest.get("version", 0)) > VERSION:
        raise ValueError(
            f"{path!r} is a ragged store of format version {manifest['version']}, "
            f"newer than this sklearn_seq reads ({VERSION}); upgrade sklearn_seq."
        )

    def load(name):
        return np.load(
            os.path.join(path, name), mmap_mode=mmap_mode, allow_pickle=False
        )

    values, offsets = load("values.npy"), load("offsets.npy")
    y = load("y.npy") if manifest.get("y") else None
    n_samples = int(manifest["n_samples"])
    if len(offsets) != n_samples + 1 or int(offsets[-1]) != len(values):
        raise ValueError(
            f"{path!r} is inconsistent: the manifest counts {n_samples} sequences "
            f"of {manifest.get('n_steps')} steps, offsets.npy has {len(offsets)} "
            f"entries ending at {int(offsets[-1])}, values.npy {len(values)} "
            "steps. Write the store again."
        )
    store = RaggedStore.__new__(RaggedStore)
    # written by RaggedWriter, which checked every sequence: only the ends are
    # checked here, so opening a store does not read all its offsets
    store._setup(
        values,
        offsets,
        y,
        path=path,
        check=False,
        max_token_id=manifest.get("max_token_id"),
    )
    return store


class RaggedWriter:
    """Write sequences to a ragged store on disk, one chunk at a time.

    For data that does not fit in memory: each :meth:`append` validates its
    chunk (any input kind of sklearn_seq) and appends it to the files, so
    memory holds one chunk. :meth:`close` (or leaving the ``with`` block)
    writes the manifest that makes the store loadable with
    :func:`load_ragged`; a writer that fails leaves no loadable store.

    Parameters
    ----------
    path : str or path-like
        Directory of the store; created if missing.
    dtype : {np.float32, np.float64}, default=np.float32
        dtype of numeric steps (token ids are always int64). float32 is what
        the estimators train on.
    overwrite : bool, default=False
        Replace a store already in ``path``. Without it a non-empty ``path``
        is an error; with it, only the store's own files are replaced.

    Attributes
    ----------
    n_samples : int
        Sequences appended so far.

    See Also
    --------
    save_ragged : Write sequences held in memory in one call.
    load_ragged : Open the store.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from sklearn_seq.utils import RaggedWriter, load_ragged
    >>> path = tempfile.mkdtemp()
    >>> rng = np.random.default_rng(0)
    >>> with RaggedWriter(path) as writer:
    ...     for chunk in range(3):  # e.g. one file or one query result each
    ...         X = [rng.normal(size=(n, 4)) for n in (5, 7)]
    ...         writer.append(X, y=[chunk, chunk])
    >>> store = load_ragged(path)
    >>> len(store), store.lengths.tolist(), store.y.tolist()
    (6, [5, 7, 5, 7, 5, 7], [0, 0, 1, 1, 2, 2])
    """

    def __init__(self, path, *, dtype=np.float32, overwrite=False):
        path = os.fspath(path)
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be float32 or float64, got {dtype}.")
        if os.path.exists(path) and not os.path.isdir(path):
            raise FileExistsError(f"{path!r} is a file; a store is a directory.")
        if os.path.isdir(path) and os.listdir(path):
            if not overwrite:
                raise FileExistsError(
                    f"{path!r} is not empty; pass overwrite=True to replace the "
                    f"store in it (only {_MANIFEST} and {', '.join(_FILES)} are "
                    "replaced)."
                )
            for name in (_MANIFEST, *_FILES):  # the manifest first
                if os.path.exists(os.path.join(path, name)):
                    os.remove(os.path.join(path, name))
        os.makedirs(path, exist_ok=True)
        self.path = path
        self.dtype = dtype
        self.n_samples = 0
        self._n_steps = 0
        self._n_chunks = 0
        self._values = self._offsets = self._y = None
        self._kind = None
        self._has_y = None
        self._max_token_id = None
        self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self._abort()
        return False

    def append(self, X, y=None):
        """Append sequences (and their targets) to the store.

        Parameters
        ----------
        X : array-like or list of sequences
            Any input kind of sklearn_seq; every call must give the kind and
            the number of features of the first.
        y : array-like of shape (n_samples, ...), default=None
            One target per sequence, in every call or in none. Numbers or
            strings (``.npy`` files hold no Python objects).
        """
        if self._closed:
            raise ValueError("This RaggedWriter is closed; open a new one.")
        call = f"append call {self._n_chunks}"
        seqs = check_sequences(X, dtype=self.dtype, ensure_min_samples=0)
        kind = "tokens" if seqs.is_tokens else "ragged"
        if y is not None:
            y = np.asarray(y)
            if y.dtype == object:
                raise TypeError(
                    "y has dtype object, which .npy files hold only as pickles; "
                    "pass numbers or strings (e.g. y.astype(str))."
                )
            if y.ndim == 0 or len(y) != seqs.n_samples:
                raise ValueError(
                    f"X has {seqs.n_samples} sequences but y has "
                    f"{len(y) if y.ndim else 'no'} targets ({call})."
                )
        if self._kind is None:
            self._start(seqs, kind, y)
        else:
            self._check_like_first(seqs, kind, y, call)
        if seqs.n_samples:
            self._values.append(seqs.values)
            self._offsets.append(self._n_steps + np.cumsum(seqs.lengths))
            if y is not None:
                self._y.append(y.astype(self._y.dtype, copy=False))
            self.n_samples += seqs.n_samples
            self._n_steps += int(seqs.lengths.sum())
            if kind == "tokens":
                self._max_token_id = max(
                    self._max_token_id or 0, int(seqs.values.max())
                )
        self._n_chunks += 1

    def _start(self, seqs, kind, y):
        self._kind = kind
        self._has_y = y is not None
        join = os.path.join
        if kind == "tokens":
            self._values = _NpyAppender(join(self.path, _FILES[0]), np.int64, ())
        else:
            self._values = _NpyAppender(
                join(self.path, _FILES[0]), self.dtype, (seqs.n_features,)
            )
        self._offsets = _NpyAppender(join(self.path, _FILES[1]), np.int64, ())
        self._offsets.append(np.zeros(1, np.int64))
        if y is not None:
            self._y = _NpyAppender(join(self.path, _FILES[2]), y.dtype, y.shape[1:])

    def _check_like_first(self, seqs, kind, y, call):
        if kind != self._kind:
            names = {"tokens": "token id sequences", "ragged": "numeric sequences"}
            raise ValueError(
                f"X of {call} holds {names[kind]}, but the store holds "
                f"{names[self._kind]}."
            )
        n_features = self._values.row_shape[0] if self._values.row_shape else None
        if kind == "ragged" and seqs.n_samples and seqs.n_features != n_features:
            raise ValueError(
                f"X of {call} has {seqs.n_features} features per step, but the "
                f"store has {n_features}."
            )
        if (y is not None) != self._has_y:
            first = "with" if self._has_y else "without"
            raise ValueError(
                f"The first append call had {first} y, {call} "
                f"{'without' if self._has_y else 'with'}: pass y in every call "
                "or in none."
            )
        if y is None:
            return
        target = self._y.dtype
        if y.shape[1:] != self._y.row_shape:
            raise ValueError(
                f"y of {call} has shape {y.shape}; the first call set targets of "
                f"shape (n, {', '.join(map(str, self._y.row_shape))})."
            )
        fits = np.can_cast(y.dtype, target, casting="same_kind") and not (
            y.dtype.kind in "US" and y.dtype.itemsize > target.itemsize
        )
        if not fits:
            raise ValueError(
                f"y of {call} has dtype {y.dtype}, which does not fit the dtype "
                f"{target} set by the first call; give the first call's y the "
                "widest dtype (e.g. y.astype('<U20') for labels up to 20 "
                "characters)."
            )

    def close(self):
        """Finish the files and write the manifest (the store becomes loadable)."""
        if self._closed:
            return
        if not self.n_samples:
            self._abort()
            raise ValueError(
                f"No sequences were appended to {self.path!r}; nothing was written."
            )
        for appender in (self._values, self._offsets, self._y):
            if appender is not None:
                appender.close()
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "kind": self._kind,
            "n_samples": self.n_samples,
            "n_steps": self._n_steps,
            "n_features": (
                None if self._kind == "tokens" else self._values.row_shape[0]
            ),
            "max_token_id": self._max_token_id,
            "y": self._has_y,
        }
        tmp = os.path.join(self.path, _MANIFEST + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1)
        os.replace(tmp, os.path.join(self.path, _MANIFEST))
        self._closed = True

    def _abort(self):
        for appender in (self._values, self._offsets, self._y):
            if appender is not None and not appender.file.closed:
                appender.abort()
        self._closed = True


@validate_params(
    {
        "path": [str, os.PathLike],
        "y": ["array-like", None],
        "dtype": "no_validation",  # checked by RaggedWriter
        "overwrite": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def save_ragged(path, X, y=None, *, dtype=np.float32, overwrite=False):
    """Write sequences to disk as a ragged store (values + offsets).

    The store is a directory of plain ``.npy`` files that :func:`load_ragged`
    memory-maps (see :doc:`/out_of_core` for the format). For data that does
    not fit in memory, write it chunk by chunk with :class:`RaggedWriter`.

    Parameters
    ----------
    path : str or path-like
        Directory of the store; created if missing.
    X : array-like or list of sequences
        Any input kind of sklearn_seq: a 3-D or 2-D array, a list of
        ``(n_timesteps_i, n_features)`` arrays, or token id sequences.
    y : array-like of shape (n_samples, ...), default=None
        One target per sequence (numbers or strings).
    dtype : {np.float32, np.float64}, default=np.float32
        dtype of numeric steps; token ids are stored as int64.
    overwrite : bool, default=False
        Replace a store already in ``path`` (a non-empty ``path`` is
        otherwise an error).

    See Also
    --------
    load_ragged : Open the store.
    RaggedWriter : Write a store chunk by chunk.

    Examples
    --------
    >>> import os, tempfile
    >>> from sklearn_seq.utils import load_ragged, save_ragged
    >>> path = tempfile.mkdtemp()
    >>> save_ragged(path, [[3, 1, 4], [1, 5], [9, 2, 6, 5]])
    >>> sorted(os.listdir(path))
    ['manifest.json', 'offsets.npy', 'values.npy']
    >>> store = load_ragged(path)
    >>> store.kind, store.max_token_id, store.offsets.tolist()
    ('tokens', 9, [0, 3, 5, 9])
    """
    with RaggedWriter(path, dtype=dtype, overwrite=overwrite) as writer:
        writer.append(X, y)


# -- chunks ----------------------------------------------------------------------
def _is_dask(obj):
    """Whether ``obj`` is a Dask array (without importing Dask)."""
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(obj, dask_array.Array)


def _is_stream(obj):
    """An iterator or a function: a stream of chunks, not indexable data."""
    return isinstance(obj, Iterator) or (
        callable(obj) and not isinstance(obj, np.ndarray | RaggedStore | list)
    )


def _n_rows(array, name):
    if isinstance(array, RaggedStore):
        return len(array)
    shape = getattr(array, "shape", None)
    if shape is not None:
        if len(shape) == 0:
            raise ValueError(f"{name} is a scalar; expected one row per sample.")
        if not np.isfinite(shape[0]):
            raise ValueError(
                f"{name} is a Dask array of unknown length (chunk sizes NaN); "
                "call compute_chunk_sizes() on it first."
            )
        return int(shape[0])
    if hasattr(array, "__len__") and hasattr(array, "__getitem__"):
        return len(array)
    raise TypeError(
        f"{name} is a {type(array).__name__}; expected an array, a memory map, "
        "a Dask array, a RaggedStore or a list."
    )


def _bytes_per_sample(X, n):
    if isinstance(X, RaggedStore):
        values = X.values
        return values.itemsize * int(np.prod(values.shape[1:])) * len(values) / n
    if isinstance(X, np.ndarray) or _is_dask(X):
        return X.dtype.itemsize * int(np.prod(X.shape[1:]))
    head = [np.asarray(X[i]) for i in range(min(n, 100))]
    return sum(a.nbytes for a in head) / max(len(head), 1)


def _chunk_bounds(arrays, n, chunk_size):
    """``[(start, stop), ...]`` of the chunks of ``n`` rows."""
    if n == 0:
        return []
    if chunk_size is None:
        dask_arrays = [a for a in arrays if _is_dask(a)]
        if dask_arrays:
            ends = np.cumsum(dask_arrays[0].chunks[0])
            starts = np.r_[0, ends[:-1]]
            return [(int(a), int(b)) for a, b in zip(starts, ends) if b > a]
        per_sample = max(_bytes_per_sample(arrays[0], n), 1)
        chunk_size = max(1, int(DEFAULT_CHUNK_BYTES // per_sample))
    return [(s, min(s + chunk_size, n)) for s in range(0, n, chunk_size)]


def _take_rows(array, perm):
    """Rows ``perm`` of an in-memory chunk (array or list)."""
    if isinstance(array, np.ndarray):
        return array[perm]
    if isinstance(array, list | tuple):
        return [array[i] for i in perm]
    return np.asarray(array)[perm]


def _read_chunk(arrays, start, stop, seed):
    out = [None] * len(arrays)
    lazy = [i for i, a in enumerate(arrays) if _is_dask(a)]
    if lazy:
        import dask  # only here: a Dask array was passed, so Dask is installed

        # computed together: X and y often share their graph
        computed = dask.compute(*(arrays[i][start:stop] for i in lazy))
        for i, block in zip(lazy, computed):
            # a computed block may be a view of the caller's array (from_array)
            block, own = _read_block(np.asarray(block), 0, len(block))
            out[i] = _shuffled(block, seed, own=own)
    for i, array in enumerate(arrays):
        if i in lazy:
            continue
        if isinstance(array, RaggedStore):
            out[i] = _shuffled(array._read(start, stop), seed, own=True)
        elif isinstance(array, np.ndarray):
            block, own = _read_block(array, start, stop)
            out[i] = _shuffled(block, seed, own=own)
        else:
            part = (
                list(array[start:stop])
                if isinstance(array, list | tuple)
                else [array[j] for j in range(start, stop)]
            )
            out[i] = _shuffled(part, seed, own=True)
    return out


def _generate(arrays, bounds, rng):
    order = range(len(bounds)) if rng is None else rng.permutation(len(bounds))
    for k in order:
        start, stop = bounds[k]
        seed = None if rng is None else int(rng.randint(np.iinfo(np.int32).max))
        chunks = _read_chunk(arrays, start, stop, seed)
        yield chunks[0] if len(chunks) == 1 else tuple(chunks)


def _check_arrays(arrays):
    """Number of rows shared by ``arrays`` (indexable data, equal lengths)."""
    if not arrays:
        raise TypeError("iter_chunks needs at least one array.")
    lengths = []
    for i, array in enumerate(arrays):
        name = "X" if i == 0 else f"arrays[{i}]"
        if array is None or _is_stream(array):
            raise TypeError(
                f"{name} is {'None' if array is None else 'an iterator or a function'}"
                "; iter_chunks needs data it can index (an array, a memory map, a "
                "Dask array, a RaggedStore or a list). partial_fit_chunks also "
                "takes streams of (X_chunk, y_chunk) tuples."
            )
        lengths.append(_n_rows(array, name))
    if len(set(lengths)) > 1:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: {lengths}."
        )
    return lengths[0]


@validate_params(
    {
        "chunk_size": [IntervalNotBool(Integral, 1, None, closed="left"), None],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def iter_chunks(*arrays, chunk_size=None, shuffle=False, random_state=None):
    """Yield aligned chunks of arrays too large for memory, one at a time.

    Each chunk is read into memory when it is reached: a contiguous block of
    rows of every array (so a file is read in large sequential pieces). After
    copying a chunk out of a memory map, its pages are released from the
    process's resident memory, so a pass over a file of any size keeps the
    RSS near one chunk (the data stays in the page cache, which the kernel
    frees when memory is short).

    Parameters
    ----------
    *arrays : sequence of indexables of the same length
        NumPy arrays or memory maps (split along the first axis), Dask arrays
        (computed chunk by chunk; arrays sharing a graph are computed
        together), :class:`RaggedStore` objects (chunks are lists of
        arrays), or lists.
    chunk_size : int, default=None
        Samples per chunk (the last chunk may be smaller). None: the chunks
        of the first Dask array when there is one, else about 64 MiB of the
        first array per chunk.
    shuffle : bool, default=False
        Visit the chunks in random order and shuffle the samples within each
        chunk. The chunks themselves stay contiguous blocks of rows.
    random_state : int, RandomState instance or None, default=None
        Seed of the shuffling; pass the same ``RandomState`` instance to
        successive calls for a new order each epoch.

    Returns
    -------
    generator
        Yields, with one array, its chunks (ndarrays, or lists of arrays for
        a store or a list); with several, tuples of their chunks, aligned.
        The arguments are checked when this function is called, the chunks
        read as the generator is consumed.

    See Also
    --------
    sklearn_seq.partial_fit_chunks : Train an estimator on such chunks.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq.utils import iter_chunks
    >>> X, y = np.zeros((10, 4, 2)), np.arange(10)
    >>> [(Xc.shape, yc.tolist()) for Xc, yc in iter_chunks(X, y, chunk_size=4)]
    [((4, 4, 2), [0, 1, 2, 3]), ((4, 4, 2), [4, 5, 6, 7]), ((2, 4, 2), [8, 9])]
    >>> sum(len(c) for c in iter_chunks(X, chunk_size=3, shuffle=True))
    10
    """
    n = _check_arrays(arrays)
    bounds = _chunk_bounds(arrays, n, chunk_size)
    rng = check_random_state(random_state) if shuffle else None
    return _generate(arrays, bounds, rng)
