# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Distributed search on Dask (joblib's 'dask' backend) and worker threads.

The Dask tests start a ``LocalCluster`` with two worker processes; they are
skipped only when ``distributed`` is not installed (extra ``distributed``).
"""

import os
import pickle
import sys
import types

import numpy as np
import pytest
import torch
from joblib import parallel_backend
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_validate
from skorch.callbacks import Callback

from conftest import fast, make_ragged_xy
from sklearn_seq import SequenceClassifier
from sklearn_seq.estimators._threads import dask_worker_threads, limit_torch_threads

FAST = fast(hidden_size=4)


# -- thread budget (no Dask needed) -------------------------------------------
def _fake_distributed(monkeypatch, nthreads):
    state = types.SimpleNamespace(nthreads=nthreads)
    fake = types.ModuleType("distributed")
    if nthreads is None:

        def get_worker():
            raise ValueError("No worker found")
    else:

        def get_worker():
            return types.SimpleNamespace(state=state)

    fake.get_worker = get_worker
    monkeypatch.setitem(sys.modules, "distributed", fake)


def test_no_budget_outside_dask(monkeypatch):
    monkeypatch.delitem(sys.modules, "distributed", raising=False)
    assert dask_worker_threads() is None
    _fake_distributed(monkeypatch, None)  # loaded, but not in a worker
    assert dask_worker_threads() is None


def test_budget_in_a_dask_worker(monkeypatch):
    monkeypatch.setattr("sklearn_seq.estimators._threads._usable_cpus", lambda: 8)
    _fake_distributed(monkeypatch, nthreads=2)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert dask_worker_threads() == 4  # 8 cores shared by 2 task threads
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert dask_worker_threads() == 3  # the environment wins (nanny sets 1)
    monkeypatch.setenv("OMP_NUM_THREADS", "junk")
    assert dask_worker_threads() == 4
    _fake_distributed(monkeypatch, nthreads=16)
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert dask_worker_threads() == 1


def test_limit_torch_threads_caps_and_restores():
    before = torch.get_num_threads()
    with limit_torch_threads(1) as n:
        assert n == torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with limit_torch_threads(before + 5) as n:  # a cap, never a raise
        assert n == torch.get_num_threads() == before
    with limit_torch_threads(None) as n:  # not in a worker: unchanged
        assert n == before


def test_fit_runs_with_the_worker_budget(monkeypatch):
    seen = []
    _fake_distributed(monkeypatch, nthreads=64)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    clf = SequenceClassifier(**FAST)
    original = clf._build_callbacks
    monkeypatch.setattr(
        clf, "_build_callbacks", lambda: [*original(), ("probe", _ProbeCallback(seen))]
    )
    X, y = make_ragged_xy(20, labels=("down", "up"))
    before = torch.get_num_threads()
    clf.fit(X, y)
    assert seen and set(seen) == {1}
    assert torch.get_num_threads() == before


class _ProbeCallback(Callback):
    """Records torch's thread count at every epoch."""

    def __init__(self, seen):
        self.seen = seen

    def on_epoch_begin(self, net, **kwargs):
        self.seen.append(torch.get_num_threads())


# -- a real Dask cluster ------------------------------------------------------
@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            worker_dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _probe_worker():
    return os.getpid(), dask_worker_threads(), torch.get_num_threads()


def test_grid_search_on_dask_equals_local_run(dask_client):
    from distributed import get_task_stream

    X, y = make_ragged_xy(40, labels=("down", "up"))
    grid = {"hidden_size": [4, 8], "lr": [1e-2, 3e-2]}
    local = GridSearchCV(SequenceClassifier(**FAST), grid, cv=2).fit(X, y)
    with get_task_stream(dask_client) as tasks, parallel_backend("dask"):
        remote = GridSearchCV(SequenceClassifier(**FAST), grid, cv=2, n_jobs=-1).fit(
            X, y
        )
    # the fits ran on the two worker processes, not here
    assert len(tasks.data) >= 1
    workers = {t["worker"] for t in tasks.data}
    assert len(workers) == 2
    for key, value in local.cv_results_.items():
        if "time" in key:
            continue
        if key == "params":
            assert remote.cv_results_[key] == value
        else:
            np.testing.assert_array_equal(remote.cv_results_[key], value, err_msg=key)
    assert remote.best_params_ == local.best_params_
    # the refitted best model is identical too (refit runs in this process)
    np.testing.assert_array_equal(remote.predict_proba(X), local.predict_proba(X))


def test_cross_validate_on_dask_returns_picklable_fitted_models(dask_client):
    X, y = make_ragged_xy(40, labels=("down", "up"))
    clf = SequenceClassifier(**FAST)
    local = cross_validate(clf, X, y, cv=2, return_estimator=True)
    with parallel_backend("dask"):
        remote = cross_validate(clf, X, y, cv=2, return_estimator=True, n_jobs=-1)
    np.testing.assert_array_equal(remote["test_score"], local["test_score"])
    for a, b in zip(remote["estimator"], local["estimator"]):
        # fitted on a worker, shipped back by pickle: same predictions here
        np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_fitted_model_predicts_on_a_worker(dask_client):
    X, y = make_ragged_xy(40, labels=("down", "up"))
    clf = SequenceClassifier(**FAST).fit(X, y)
    # pickled in, predicts in another process, result pickled back
    remote = dask_client.submit(clf.predict_proba, X, pure=False).result()
    np.testing.assert_array_equal(remote, clf.predict_proba(X))
    refit = dask_client.submit(clone(clf).fit, X, y, pure=False).result()
    np.testing.assert_array_equal(refit.predict_proba(X), clf.predict_proba(X))
    assert pickle.loads(pickle.dumps(refit)).get_params() == clf.get_params()


def test_workers_do_not_oversubscribe(dask_client):
    # as tasks (client.run would run outside a task, where no budget applies)
    addresses = list(dask_client.scheduler_info()["workers"])
    info = dask_client.gather(
        [dask_client.submit(_probe_worker, workers=[a], pure=False) for a in addresses]
    )
    assert len({pid for pid, _, _ in info}) == 2
    for _pid, budget, n_threads in info:
        # the nanny sets OMP_NUM_THREADS=1 in each worker process: one thread
        # per task thread, which torch already honours
        assert budget == 1
        assert n_threads == 1
