# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""
Training on sequences larger than memory
========================================

A 3-D float32 array ``(n_samples, 50 steps, 128 features)`` of 2 GiB is
written to disk, memory-mapped with ``np.load(..., mmap_mode="r")``, and a
GRU classifier is trained on it with
:func:`~sklearn_seq.partial_fit_chunks` with a memory budget of 256 MiB:
the file is 8 times larger than the memory the training may add to the
process, and the script checks the growth against it. Each chunk is read
into memory, trained on with ``partial_fit`` and let go; the pages of the
memory map are handed back to the operating system after each chunk, so the
resident memory does not grow with the file. The held-out part of the same
file is scored chunk by chunk with :func:`~sklearn_seq.utils.iter_chunks`.

The second part writes variable-length sequences as a ragged store (one
flat ``values.npy`` plus ``offsets.npy``, see :doc:`/out_of_core`) chunk by
chunk with :class:`~sklearn_seq.utils.RaggedWriter`, opens it lazily with
:func:`~sklearn_seq.utils.load_ragged` and trains on it the same way.

The script prints the peak resident memory (RSS) next to the file sizes.
Set ``SKLEARN_SEQ_SMALL=1`` for a seconds-long run on small files.
"""

import os
import shutil
import sys
import tempfile
import time

import numpy as np
import torch
from sklearn.base import clone

from sklearn_seq import SequenceClassifier, partial_fit_chunks
from sklearn_seq.utils import RaggedWriter, iter_chunks, load_ragged

# small recurrent models run fastest on one thread on a shared CPU
torch.set_num_threads(1)
SMALL = os.environ.get("SKLEARN_SEQ_SMALL") == "1"
MiB = 2**20
N_STEPS, N_FEATURES, N_CLASSES = 50, 128, 4
#: memory the training may add to the process (the resident set), and the
#: size of the file it trains on: several times larger
BUDGET = (32 if SMALL else 256) * MiB
FILE_BYTES = (128 if SMALL else 2048) * MiB
EPOCHS = 2
TRAINING = {"batch_size": 32 if SMALL else 256, "lr": 5e-3 if SMALL else 1e-2}
BYTES_PER_SAMPLE = N_STEPS * N_FEATURES * 4
# a chunk is held once (copied out of the map, shuffled in place), next to a
# padded batch and the network's working memory: an eighth of the budget
# leaves room for them
CHUNK_SIZE = BUDGET // 8 // BYTES_PER_SAMPLE
BLOCK = 1024  # samples generated and written at a time


def rss_now():
    """Resident memory of this process now, in bytes."""
    try:
        import psutil
    except ImportError:  # Linux without psutil: read /proc
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return psutil.Process().memory_info().rss


def reset_peak_rss():
    """Start the peak resident memory afresh from now (Linux >= 4.0).

    Elsewhere the peak stays the one since the start of the process (torch's
    import, the writing of the data), which overstates the training's growth.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss():
    """Largest resident memory of this process (since the last reset), bytes."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource  # Unix

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # KiB elsewhere


def make_block(n, rng, n_steps=N_STEPS, n_features=N_FEATURES):
    """``n`` noisy sequences whose first 8 features oscillate at 1-4 cycles.

    The class is the frequency; every feature carries unit Gaussian noise.
    """
    y = rng.integers(0, N_CLASSES, size=n)
    t = np.arange(n_steps) / 25.0  # time in units of 25 steps
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1, 1))
    X = rng.standard_normal((n, n_steps, n_features), dtype=np.float32)
    X[:, :, :8] += np.sin(2 * np.pi * (y[:, None, None] + 1) * t[:, None] + phase)
    return X, y


def write_npy(path, n_samples, rng):
    """Write a ``(n_samples, N_STEPS, N_FEATURES)`` float32 .npy block by block.

    Plain file writes: memory holds one block, whatever the file's size
    (writing through ``np.lib.format.open_memmap`` works too, but its dirty
    pages stay in this process's resident memory until they are flushed).
    """
    labels = []
    with open(path, "wb") as f:
        header = {
            "descr": np.lib.format.dtype_to_descr(np.dtype(np.float32)),
            "fortran_order": False,
            "shape": (n_samples, N_STEPS, N_FEATURES),
        }
        np.lib.format.write_array_header_1_0(f, header)
        for start in range(0, n_samples, BLOCK):
            X, y = make_block(min(BLOCK, n_samples - start), rng)
            f.write(X.tobytes())
            labels.append(y)
    return np.concatenate(labels)


workdir = tempfile.mkdtemp(prefix="sklearn_seq_out_of_core_")
try:
    rng = np.random.default_rng(0)
    # -- 1. a 3-D array on disk, several times the memory budget -------------
    n_samples = FILE_BYTES // BYTES_PER_SAMPLE
    n_train = n_samples * 9 // 10
    tic = time.perf_counter()
    y_all = write_npy(os.path.join(workdir, "X.npy"), n_samples, rng)
    file_size = os.path.getsize(os.path.join(workdir, "X.npy"))
    print(
        f"wrote X.npy: {n_samples:,} sequences x {N_STEPS} steps x {N_FEATURES} "
        f"features, {file_size / MiB:,.0f} MiB, in {time.perf_counter() - tic:.0f} s"
    )

    X = np.load(os.path.join(workdir, "X.npy"), mmap_mode="r")  # reads nothing
    X_train, y_train = X[:n_train], y_all[:n_train]
    X_test, y_test = X[n_train:], y_all[n_train:]

    clf = SequenceClassifier(cell="gru", hidden_size=32, random_state=0, **TRAINING)
    # torch's one-time costs (its code paged in, allocator pools: ~100 MiB
    # here) come with the first fit whatever the data's size; a throwaway fit
    # on 256 in-memory sequences pays them before the baseline is taken
    X_warm, y_warm = make_block(256, np.random.default_rng(1))
    clone(clf).partial_fit(X_warm, y_warm, classes=np.arange(N_CLASSES))
    del X_warm, y_warm
    baseline = rss_now()
    reset_peak_rss()
    tic = time.perf_counter()
    partial_fit_chunks(
        clf,
        X_train,
        y_train,
        chunk_size=CHUNK_SIZE,
        epochs=EPOCHS,
        random_state=0,
        verbose=1,
    )
    train_time = time.perf_counter() - tic
    correct = 0
    for X_chunk, y_chunk in iter_chunks(X_test, y_test, chunk_size=CHUNK_SIZE):
        correct += int((clf.predict(X_chunk) == y_chunk).sum())
    accuracy = correct / len(y_test)
    growth = peak_rss() - baseline
    print(
        f"trained on {n_train:,} sequences ({n_train * BYTES_PER_SAMPLE / MiB:,.0f}"
        f" MiB) in chunks of {CHUNK_SIZE:,} ({CHUNK_SIZE * BYTES_PER_SAMPLE / MiB:.0f}"
        f" MiB), {EPOCHS} epoch(s), {train_time:.0f} s; held-out accuracy "
        f"{accuracy:.3f} (chance {1 / N_CLASSES:.2f})"
    )
    print(
        f"memory: RSS before training {baseline / MiB:,.0f} MiB (torch loaded and "
        f"warmed up), peak {peak_rss() / MiB:,.0f} MiB; growth "
        f"{growth / MiB:,.0f} MiB for a "
        f"{file_size / MiB:,.0f} MiB file (budget {BUDGET / MiB:.0f} MiB: "
        f"{'within' if growth <= BUDGET else 'OVER'} it; the file is "
        f"{file_size / BUDGET:.0f}x the budget)"
    )

    # -- 2. variable-length sequences: a ragged store (values + offsets) -----
    def write_store(path, n, rng):
        with RaggedWriter(path) as writer:
            for start in range(0, n, 1000):  # e.g. one source file at a time
                size = min(1000, n - start)
                lengths = rng.integers(20, 101, size=size)
                block, labels = make_block(size, rng, n_steps=100, n_features=16)
                writer.append([x[:k] for x, k in zip(block, lengths)], labels)
        return load_ragged(path)  # memory-mapped: reads only the manifest

    tic = time.perf_counter()
    n_ragged = 4_000 if SMALL else 200_000
    train_store = write_store(os.path.join(workdir, "train"), n_ragged, rng)
    test_store = write_store(os.path.join(workdir, "test"), n_ragged // 10, rng)
    store_size = sum(
        os.path.getsize(os.path.join(store.path, name))
        for store in (train_store, test_store)
        for name in os.listdir(store.path)
    )
    files = ", ".join(sorted(os.listdir(test_store.path)))
    print(
        f"\nwrote ragged stores of {len(train_store):,} + {len(test_store):,} "
        f"sequences of 20-100 steps x {train_store.n_features} features, "
        f"{store_size / MiB:,.0f} MiB ({files})"
        f", in {time.perf_counter() - tic:.0f} s"
    )
    ragged_clf = SequenceClassifier(
        cell="gru", hidden_size=32, random_state=0, **TRAINING
    )
    tic = time.perf_counter()
    # y defaults to the store's targets; chunks are lists of arrays
    partial_fit_chunks(ragged_clf, train_store, chunk_size=5000, random_state=0)
    correct = 0
    for X_chunk, y_chunk in iter_chunks(test_store, test_store.y, chunk_size=5000):
        correct += int((ragged_clf.predict(X_chunk) == y_chunk).sum())
    print(
        f"trained on {len(train_store):,} ragged sequences in "
        f"{time.perf_counter() - tic:.0f} s; held-out accuracy "
        f"{correct / len(test_store):.3f}; first test sequence: "
        f"{test_store[0].shape} (a view of the memory map)"
    )
    print(
        f"peak RSS since training started: {peak_rss() / MiB:,.0f} MiB, for "
        f"{(file_size + store_size) / MiB:,.0f} MiB of data on disk"
    )
finally:
    shutil.rmtree(workdir, ignore_errors=True)
