# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""GPU path: pinned batches, mixed precision and its CPU fallback.

The CPU tests drive the mixed-precision machinery of ``_SeqNet`` (autocast,
gradient scaling, overflow handling) on the CPU by forcing the policy that
would apply on CUDA; the tests marked ``gpu`` run the real thing and are
skipped without CUDA.
"""

import functools
import pickle
import warnings
from unittest import mock

import numpy as np
import pytest
import torch

from conftest import fast, make_ragged_xy
from sklearn_seq import SequenceClassifier, SequenceRegressor
from sklearn_seq.data import BucketLoader, SequenceDataset
from sklearn_seq.estimators import _base
from sklearn_seq.exceptions import DeviceWarning
from sklearn_seq.utils import check_sequences
from sklearn_seq.utils._param_validation import InvalidParameterError

FAST = fast(max_epochs=3)
needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no cuda device")


# -- parameter validation and CPU fallback ---------------------------------
@pytest.mark.parametrize("amp", ["fp32", "float16", 1, None])
def test_amp_is_validated(amp):
    X, y = make_ragged_xy(16, 3, lengths=(3, 12))
    with pytest.raises(InvalidParameterError, match="'amp' parameter"):
        SequenceClassifier(amp=amp, **FAST).fit(X, y)


@pytest.mark.parametrize("Est", [SequenceClassifier, SequenceRegressor])
@pytest.mark.parametrize("amp", [True, "bf16", "fp16"])
def test_amp_on_cpu_warns_and_trains_in_float32(Est, amp):
    X, y = make_ragged_xy(48, 3, lengths=(3, 12))
    ref = Est(**FAST).fit(X, y)
    with pytest.warns(DeviceWarning, match="needs a CUDA device") as record:
        est = Est(amp=amp, **FAST).fit(X, y)
    # the warning points at the caller's fit, not at sklearn_seq internals
    assert record[0].filename == __file__
    assert est.net_.amp_dtype is None and est.net_.grad_scaler is None
    np.testing.assert_array_equal(est.predict(X), ref.predict(X))


def test_amp_false_does_not_warn():
    X, y = make_ragged_xy(16, 3, lengths=(3, 12))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeviceWarning)
        SequenceClassifier(amp=False, **FAST).fit(X, y)


def test_auto_device_without_cuda_falls_back_with_warning():
    X, y = make_ragged_xy(16, 3, lengths=(3, 12))
    with (
        mock.patch("torch.cuda.is_available", return_value=False),
        pytest.warns(DeviceWarning),
    ):
        clf = SequenceClassifier(device="auto", amp=True, **FAST).fit(X, y)
    assert clf.net_.device == "cpu"


# -- the mixed-precision machinery, exercised on the CPU --------------------
def _force_policy(monkeypatch, dtype, scale):
    monkeypatch.setattr(_base, "_amp_policy", lambda amp, device: (dtype, scale))


@pytest.mark.parametrize("max_grad_norm", [None, 1.0])
def test_grad_scaler_path_equals_float32_training(monkeypatch, max_grad_norm):
    # scaling by a power of two and unscaling is exact, so the scaled path
    # must give the float32 weights; plain SGD (no Adam normalisation) makes
    # a wrong gradient scale visible, with and without clipping
    X, y = make_ragged_xy(48, 3, lengths=(3, 12))
    params = dict(optimizer="sgd", lr=0.5, max_grad_norm=max_grad_norm, **FAST)
    ref = SequenceClassifier(**params).fit(X, y)
    _force_policy(monkeypatch, None, True)
    clf = SequenceClassifier(amp=True, **params).fit(X, y)
    assert isinstance(clf.net_.grad_scaler, torch.amp.GradScaler)
    assert clf.net_.grad_scaler.get_scale() == 2.0**16
    np.testing.assert_allclose(
        clf.predict_proba(X), ref.predict_proba(X), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        clf.history_[:, "train_loss"], ref.history_[:, "train_loss"], rtol=1e-5
    )


def test_grad_scaler_overflow_skips_steps_without_nan_guard(monkeypatch):
    # a scale of 2**127 overflows float32 gradients: the scaler must skip
    # those steps and back off, and the NaN guard must not call it divergence
    X, y = make_ragged_xy(48, 3, lengths=(3, 12))
    X = [100 * x for x in X]
    _force_policy(monkeypatch, None, True)
    monkeypatch.setattr(
        torch.amp,
        "GradScaler",
        functools.partial(torch.amp.GradScaler, init_scale=2.0**127),
    )
    clf = SequenceClassifier(amp="fp16", **FAST).fit(X, y)
    assert clf.net_.grad_scaler.get_scale() < 2.0**127
    loss = clf.history_[:, "train_loss"]
    assert np.isfinite(loss).all()
    assert all(torch.isfinite(p).all() for p in clf.net_.module_.parameters())
    # the steps after the back-off did train
    assert loss[-1] < loss[0]


def test_autocast_path_trains_close_to_float32(monkeypatch):
    X, y = make_ragged_xy(48, 3, lengths=(3, 12))
    ref = SequenceClassifier(**FAST).fit(X, y)
    _force_policy(monkeypatch, torch.bfloat16, False)
    clf = SequenceClassifier(amp="bf16", **FAST).fit(X, y)
    assert clf.net_.amp_dtype is torch.bfloat16
    # the loss is computed in float32 from float32 outputs
    y_pred = clf.net_.infer(check_sequences_batch(X))
    assert y_pred.dtype == torch.float32
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=0.05)


def check_sequences_batch(X):
    ds = SequenceDataset(check_sequences(X[:4]))
    Xi, _ = ds.batch(np.arange(4))
    return Xi


# -- pinned memory ------------------------------------------------------------
def test_bucket_loader_pins_every_batch_tensor(monkeypatch):
    pinned = []

    def fake_pin(self):
        pinned.append(tuple(self.shape))
        return self.clone()

    monkeypatch.setattr(torch.Tensor, "pin_memory", fake_pin)
    seqs = check_sequences(np.zeros((10, 4, 2), dtype=np.float32))
    ds = SequenceDataset(seqs, np.arange(10), np.ones(10))
    assert [len(yi) for _, yi in BucketLoader(ds, batch_size=4)] == [4, 4, 2]
    assert pinned == []
    batches = list(BucketLoader(ds, batch_size=4, pin_memory=True))
    # x, lengths, sample_weight and y of each of the 3 batches
    assert len(pinned) == 4 * 3
    assert sorted(batches[0][0]) == ["lengths", "sample_weight", "x"]


def test_cpu_fit_does_not_pin():
    X, y = make_ragged_xy(16, 3, lengths=(3, 12))
    clf = SequenceClassifier(**FAST).fit(X, y)
    assert clf.net_.iterator_train__pin_memory is False
    assert clf.net_.iterator_valid__pin_memory is False


# -- on a real GPU ------------------------------------------------------------
@pytest.mark.gpu
@needs_cuda
def test_cuda_batches_are_pinned_and_auto_picks_cuda():
    X, y = make_ragged_xy(48, 3, lengths=(3, 12))
    clf = SequenceClassifier(device="auto", **FAST).fit(X, y)
    assert clf.net_.device.startswith("cuda")
    assert clf.net_.iterator_train__pin_memory is True
    ds = SequenceDataset(check_sequences(X), y)
    Xi, yi = next(iter(clf.net_.get_iterator(ds, training=True)))
    assert Xi["x"].is_pinned() and Xi["lengths"].is_pinned() and yi.is_pinned()
    # a user's iterator_train__pin_memory wins
    clf2 = SequenceClassifier(
        device="cuda", iterator_train_params={"pin_memory": False}, **FAST
    ).fit(X, y)
    assert clf2.net_.iterator_train__pin_memory is False


@pytest.mark.gpu
@needs_cuda
def test_cuda_float32_matches_cpu():
    X, y = make_ragged_xy(48, 3, lengths=(3, 12))
    cpu = SequenceClassifier(**FAST).fit(X, y).predict_proba(X)
    gpu = SequenceClassifier(device="cuda", **FAST).fit(X, y).predict_proba(X)
    np.testing.assert_allclose(gpu, cpu, atol=1e-3)


@pytest.mark.gpu
@needs_cuda
@pytest.mark.parametrize("Est", [SequenceClassifier, SequenceRegressor])
@pytest.mark.parametrize("amp", [True, "bf16", "fp16"])
def test_cuda_amp_fits_and_predicts_close_to_float32(Est, amp):
    X, y = make_ragged_xy(96, 3, lengths=(3, 12))
    params = {**FAST, "hidden_size": 32, "device": "cuda"}
    ref = Est(**params).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeviceWarning)
        est = Est(amp=amp, **params).fit(X, y)
    expected = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(amp)
    if expected is not None:
        assert est.net_.amp_dtype is expected
    assert est.net_.amp_dtype in (torch.bfloat16, torch.float16)
    assert (est.net_.grad_scaler is not None) == (est.net_.amp_dtype is torch.float16)
    # weights stay float32; losses finite and decreasing like float32's
    assert all(p.dtype == torch.float32 for p in est.net_.module_.parameters())
    loss, ref_loss = est.history_[:, "train_loss"], ref.history_[:, "train_loss"]
    assert np.isfinite(loss).all()
    np.testing.assert_allclose(loss, ref_loss, rtol=0.05, atol=0.02)
    if Est is SequenceClassifier:
        out, ref_out = est.predict_proba(X), ref.predict_proba(X)
        np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-5)
        np.testing.assert_allclose(out, ref_out, atol=0.05)
    else:
        out, ref_out = est.predict(X), ref.predict(X)
        assert out.dtype == np.float32 or out.dtype == np.float64
        np.testing.assert_allclose(out, ref_out, atol=0.1 * np.std(ref_out) + 0.05)


@pytest.mark.gpu
@needs_cuda
def test_cuda_amp_model_unpickles_and_predicts_on_cpu():
    X, y = make_ragged_xy(48, 3, lengths=(3, 12))
    clf = SequenceClassifier(device="cuda", amp="fp16", **FAST).fit(X, y)
    proba = clf.predict_proba(X)
    blob = pickle.dumps(clf)
    with mock.patch("torch.cuda.is_available", return_value=False):
        cpu = pickle.loads(blob)
        assert cpu.net_.device == "cpu"
        # float32 on the CPU, close to the float16 GPU predictions
        np.testing.assert_allclose(cpu.predict_proba(X), proba, atol=0.02)
