# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Data-parallel training (``distributed=True``) over torch.distributed.

Two CPU processes (gloo) started by torchrun and by ``accelerate launch`` fit
the cases of ``ddp_cases.py``; the result must equal one process training with
the same global batch size.
"""

import os
import pickle
import re
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from ddp_cases import cases, run

from conftest import FAST, make_ragged_xy
from sklearn_seq import SequenceClassifier, SequenceEmbedder
from sklearn_seq.data import BucketLoader, SequenceDataset
from sklearn_seq.utils import check_sequences

ROOT = Path(__file__).resolve().parents[1]


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT / "tests"))
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        env.pop(name, None)
    return env


def _run(cmd, extra_env=None, **kwargs):
    env = {**_env(), **(extra_env or {})}
    proc = subprocess.run(
        cmd, check=False, capture_output=True, text=True, timeout=600, env=env, **kwargs
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    return proc.stdout


def _weights(est):
    return {k: v.detach().cpu() for k, v in est.net_.module_.state_dict().items()}


@pytest.fixture(scope="module")
def two_process_fits(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    _run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            "--nproc-per-node",
            "2",
            str(ROOT / "tests" / "ddp_cases.py"),
            str(out),
        ]
    )
    return out


@pytest.mark.parametrize("name", list(cases()))
def test_two_processes_equal_one(two_process_fits, name):
    est, X, y, fit_params = cases()[name]
    torch.set_num_threads(1)
    single = run(est, X, y, fit_params)
    ranks = []
    for rank in (0, 1):
        with open(two_process_fits / f"{name}.rank{rank}.pkl", "rb") as f:
            ranks.append(pickle.load(f))
    expected = _weights(single)
    for fitted in ranks:
        got = _weights(fitted)
        assert got.keys() == expected.keys()
        for key in expected:
            torch.testing.assert_close(got[key], expected[key], atol=1e-5, rtol=1e-4)
        # the same epochs, the losses of the whole batches
        assert len(fitted.history_) == len(single.history_)
        np.testing.assert_allclose(
            fitted.history_[:, "train_loss"],
            single.history_[:, "train_loss"],
            rtol=1e-5,
        )
        assert fitted.net_.ddp_module is None  # the plain module is kept
    # the fitted estimator of rank 0 predicts like the one-process fit
    got, expected = ranks[0].predict(X), single.predict(X)
    if name == "regressor":
        np.testing.assert_allclose(got, expected, rtol=1e-5)
    else:  # labels, or one tag sequence per input
        assert [np.asarray(g).tolist() for g in got] == [
            np.asarray(e).tolist() for e in expected
        ]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_example_runs_under_accelerate_launch(tmp_path):
    saved = tmp_path / "model.pkl"
    out = _run(
        [
            sys.executable,
            "-m",
            "accelerate.commands.launch",
            "--multi_gpu",  # with ACCELERATE_USE_CPU: processes without GPUs
            "--num_processes",
            "2",
            "--num_machines",
            "1",
            "--mixed_precision",
            "no",
            "--dynamo_backend",
            "no",
            "--main_process_port",
            str(_free_port()),
            str(ROOT / "examples" / "multi_gpu_accelerate.py"),
            "--device",
            "cpu",
            "--compare",
            "--save",
            str(saved),
        ],
        cwd=ROOT,
        extra_env={"ACCELERATE_USE_CPU": "1", "SKLEARN_SEQ_SMALL": "1"},
    )
    assert "2 process(es) on cpu" in out, out
    diff = float(re.search(r"max \|weight difference\| (\S+),", out).group(1))
    assert diff < 1e-5, out
    assert "same test predictions: True" in out, out
    with open(saved, "rb") as f:
        model = pickle.load(f)  # rank 0's estimator, usable in this process
    X, _ = make_ragged_xy(20, n_features=model.n_features_in_)
    assert model.predict(X).shape == (20,)


# -- in one process ----------------------------------------------------------
def test_distributed_without_a_group_says_how_to_launch(monkeypatch):
    for name in ("WORLD_SIZE", "MASTER_ADDR"):
        monkeypatch.delenv(name, raising=False)
    X, y = make_ragged_xy(12)
    clf = SequenceClassifier(distributed=True, **FAST)
    with pytest.raises(RuntimeError, match="torchrun --nproc-per-node"):
        clf.fit(X, y)
    assert not hasattr(clf, "net_")


@pytest.fixture
def one_process_group(tmp_path):
    import torch.distributed as dist

    dist.init_process_group(
        "gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1
    )
    yield
    dist.destroy_process_group()


def test_group_of_one_equals_plain_fit(one_process_group):
    X, y = make_ragged_xy(30)
    sw = np.linspace(0.5, 2.0, len(y))
    plain = SequenceClassifier(**FAST).fit(X, y, sample_weight=sw)
    ddp = SequenceClassifier(distributed=True, **FAST).fit(X, y, sample_weight=sw)
    for key, value in _weights(plain).items():
        torch.testing.assert_close(_weights(ddp)[key], value)
    pickle.loads(pickle.dumps(ddp)).predict(X)  # no process-group state inside
    # and it continues in one process as well as data parallel
    ddp.set_params(distributed=False).partial_fit(X, y)
    plain.partial_fit(X, y)
    for key, value in _weights(plain).items():
        torch.testing.assert_close(_weights(ddp)[key], value)


def test_estimators_without_the_option_do_not_take_it():
    # the embedder's triplet mining needs the whole batch in one process
    assert "distributed" not in SequenceEmbedder().get_params()


def test_shards_partition_every_batch():
    seqs = check_sequences([np.zeros((t, 2)) for t in range(1, 12)])
    ds = SequenceDataset(seqs, np.arange(11))
    kw = {"batch_size": 4, "shuffle": True, "bucket_size": 1}
    whole = [yi.tolist() for _, yi in BucketLoader(ds, generator=_rng(), **kw)]
    shares = [
        list(BucketLoader(ds, generator=_rng(), num_replicas=3, rank=r, **kw))
        for r in range(3)
    ]
    assert all(len(s) == len(whole) for s in shares)  # the same number of steps
    for b, batch in enumerate(whole):
        got = []
        for share in shares:
            Xi, yi = share[b]
            weight = Xi.get("sample_weight")
            if weight is not None and not weight.any():
                continue  # an empty share: one sample that weighs nothing
            got += yi.tolist()
        assert sorted(got) == sorted(batch)
    # the last batch (11 = 4 + 4 + 3) gives every process a real share; with
    # 5 processes, two get the weightless stand-in
    last = [
        list(BucketLoader(ds, num_replicas=5, rank=r, batch_size=4))[-1][0]
        for r in range(5)
    ]
    assert [
        float(x["sample_weight"].sum()) if "sample_weight" in x else 1 for x in last
    ] == [1, 1, 1, 0, 0]
    with pytest.raises(ValueError, match="rank must be in"):
        BucketLoader(ds, num_replicas=2, rank=2)


def _rng():
    return np.random.default_rng(0)
