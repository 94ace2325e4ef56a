# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Torch intra-op threads for fits that run inside a Dask worker.

A grid search on Dask runs one fit per worker thread. torch, left alone,
gives every fit as many intra-op threads as the machine has cores, so a
worker process running ``nthreads`` fits at once (or several worker
processes on one host) asks for ``nthreads x cores`` threads and the fits
slow each other down.

The rule, applied in :meth:`fit` and in prediction while the call runs inside
a Dask worker (and nowhere else):

1. ``OMP_NUM_THREADS``, when set in the worker's environment, is the number of
   threads of each fit. Dask's nanny sets it to 1 in every worker process it
   spawns (``distributed.nanny.pre-spawn-environ``), which is what a worker
   process with one task thread per core wants; raise it there for workers
   that own several cores per task thread.
2. Otherwise (workers started without a nanny, or threads of the client
   process as with ``LocalCluster(processes=False)``), each fit gets the
   cores this process may use divided by the worker's task threads, at
   least one.

Outside Dask nothing changes: joblib's own process backend (loky) already
sets ``OMP_NUM_THREADS`` to ``cores // n_jobs`` in its workers, and torch
reads it at import.

``torch.set_num_threads`` sets OpenMP's thread count of the *calling* thread
(plus the default for threads that start using torch later), so concurrent
fits in the threads of one worker do not disturb each other; the previous
value is restored when the fit or prediction ends.
"""

import contextlib
import os
import sys

import torch

__all__ = ["dask_worker_threads", "limit_torch_threads"]


def _usable_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def dask_worker_threads():
    """Torch intra-op threads for one fit in the current Dask worker.

    Returns
    -------
    int or None
        The number of threads (see the module docstring for the rule), or
        None when the caller does not run inside a Dask worker task.

    Examples
    --------
    >>> from sklearn_seq.estimators._threads import dask_worker_threads
    >>> dask_worker_threads() is None  # not inside a Dask worker
    True
    """
    # never import distributed here: only a process where it is loaded can
    # be a Dask worker
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return None
    try:
        worker = distributed.get_worker()
    except ValueError:
        return None
    env = os.environ.get("OMP_NUM_THREADS", "")
    if env.strip().isdigit() and int(env) > 0:
        return int(env)
    task_threads = max(1, int(getattr(worker.state, "nthreads", 1) or 1))
    return max(1, _usable_cpus() // task_threads)


def limit_torch_threads(n_threads=None):
    """Run a block with at most ``n_threads`` torch intra-op threads.

    Parameters
    ----------
    n_threads : int or None, default=None
        Thread budget; None asks :func:`dask_worker_threads` (no limit outside
        a Dask worker).

    Returns
    -------
    context manager
        Entering it gives the number of torch threads in effect inside the
        block; leaving it restores the previous number.

    Examples
    --------
    >>> import torch
    >>> from sklearn_seq.estimators._threads import limit_torch_threads
    >>> before = torch.get_num_threads()
    >>> with limit_torch_threads(1) as n:
    ...     print(n, torch.get_num_threads())
    1 1
    >>> torch.get_num_threads() == before
    True
    """
    if n_threads is None:
        n_threads = dask_worker_threads()
    previous = torch.get_num_threads()
    if n_threads is None or n_threads >= previous:
        # nothing to limit (every call outside Dask): no generator machinery,
        # which every prediction would pay (30 us with cold caches)
        return contextlib.nullcontext(previous)
    return _threads_limited(n_threads, previous)


@contextlib.contextmanager
def _threads_limited(n_threads, previous):
    torch.set_num_threads(n_threads)
    try:
        yield n_threads
    finally:
        torch.set_num_threads(previous)
