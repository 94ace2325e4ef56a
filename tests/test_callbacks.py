# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""GradientMonitor, NaNGuard, warm start / partial_fit and checkpoint resume."""

import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone

from sklearn_seq import SequenceClassifier, SequenceRegressor
from sklearn_seq.callbacks import (
    GradientMonitor,
    GradientWarning,
    NaNGuard,
    TrainingDivergedError,
)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    lengths = rng.integers(3, 9, size=48)
    X = [rng.normal(size=(n, 2)).astype(np.float32) for n in lengths]
    y = np.array([int(x[0, 0] > 0) for x in X])
    return X, y


KW = {
    "hidden_size": 6,
    "num_layers": 2,
    "dropout": 0.3,
    "batch_size": 16,
    "random_state": 0,
}


# -- GradientMonitor -------------------------------------------------------
def test_gradient_monitor_matches_direct_norms(data):
    """Recorded norms equal the mean over batches of torch's own grad norms."""
    X, y = data
    captured = []

    class Capture(GradientMonitor):
        def on_grad_computed(self, net, named_parameters, **kwargs):
            params = list(named_parameters)
            captured.append(
                {
                    n: p.grad.norm().item()
                    for n, p in params
                    if p.grad is not None and p.ndim >= 2
                }
            )
            super().on_grad_computed(net, iter(params), **kwargs)

    clf = SequenceClassifier(max_epochs=2, callbacks=[Capture()], **KW).fit(X, y)
    norms = clf.history_[:, "grad_norms"]
    n_batches = 3  # 48 samples / 16
    for epoch, recorded in enumerate(norms):
        batches = captured[epoch * n_batches : (epoch + 1) * n_batches]
        expected = {k: np.mean([b[k] for b in batches]) for k in batches[0]}
        assert list(recorded) == list(expected)  # registration order
        np.testing.assert_allclose(
            list(recorded.values()), list(expected.values()), rtol=1e-5
        )
        names = list(recorded)
        assert names[0].startswith("encoder") and names[-1] == "head.weight"
        assert clf.history_[epoch, "grad_norm_ratio"] == pytest.approx(
            recorded[names[0]] / recorded[names[-1]]
        )


def test_gradient_monitor_warns_once_with_layer_and_figure(data):
    X, y = data
    mon = GradientMonitor(vanishing_threshold=1e9, exploding_threshold=1e-9)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        clf = SequenceClassifier(max_epochs=3, callbacks=[mon], **KW).fit(X, y)
    msgs = [str(w.message) for w in rec if issubclass(w.category, GradientWarning)]
    assert len(msgs) == 2  # once per kind, not once per epoch
    vanishing = next(m for m in msgs if m.startswith("Vanishing"))
    first = clf.history_[0, "grad_norms"]
    name0 = next(iter(first))
    assert repr(name0) in vanishing and "head.weight" in vanishing
    assert f"{clf.history_[0, 'grad_norm_ratio']:.3g}" in vanishing
    exploding = next(m for m in msgs if m.startswith("Exploding"))
    worst = max(first, key=first.get)
    assert repr(worst) in exploding and f"{first[worst]:.3g}" in exploding


def test_gradient_monitor_silent_by_default(data):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error", GradientWarning)
        SequenceClassifier(
            max_epochs=1, cell="lstm", callbacks=[GradientMonitor()], **KW
        ).fit(X, y)


# -- NaN guard ---------------------------------------------------------------
class PoisonLoss(torch.nn.Module):
    """Cross-entropy that turns NaN from the ``at``-th call on (training)."""

    def __init__(self, at):
        super().__init__()
        self.at = at
        self.calls = 0

    def forward(self, logits, target):
        if self.training:
            self.calls += 1
        loss = torch.nn.functional.cross_entropy(logits, target)
        if self.calls >= self.at:
            loss = loss * torch.tensor(float("nan"))
        return loss


def test_nan_guard_raises_with_epoch_batch_and_keeps_weights(data):
    X, y = data
    clf = SequenceClassifier(max_epochs=5, criterion=PoisonLoss(at=5), lr=0.05, **KW)
    with pytest.raises(FloatingPointError, match=r"epoch 2, batch 2") as info:
        clf.fit(X, y)
    err = info.value
    assert isinstance(err, TrainingDivergedError)
    assert (err.epoch, err.batch) == (2, 2) and np.isnan(err.loss)
    assert "max_grad_norm" in str(err) and "learning rate" in str(err)
    # usable: fitted, finite weights, finite predictions
    assert all(torch.isfinite(p).all() for p in clf.net_.module_.parameters())
    assert np.isfinite(clf.predict_proba(X)).all()
    assert clf.n_epochs_ == 2
    # the weights are those after the 4 finite steps: replay them without NaN
    ref = SequenceClassifier(
        max_epochs=5, criterion=PoisonLoss(at=10**9), lr=0.05, **KW
    )
    ref.set_params(iterator_train_params={"drop_last": False})
    steps = []

    class Stop(GradientMonitor):
        def on_batch_end(self, net, training=False, **kwargs):
            if training:
                steps.append(1)
                if len(steps) == 4:
                    raise KeyboardInterrupt  # skorch stops training quietly

    ref.set_params(callbacks=[Stop()]).fit(X, y)
    np.testing.assert_allclose(clf.predict_proba(X), ref.predict_proba(X), atol=1e-6)


def test_nan_guard_restores_best_weights_with_early_stopping(data):
    X, y = data
    clf = SequenceClassifier(
        max_epochs=6,
        criterion=PoisonLoss(at=12),
        lr=0.05,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=10,
        **KW,
    )
    with pytest.raises(TrainingDivergedError):
        clf.fit(X, y)
    es = dict(clf.net_.callbacks_)["early_stopping"]
    assert es.best_model_weights_ is not None
    state = clf.net_.module_.state_dict()
    for key, value in es.best_model_weights_.items():
        torch.testing.assert_close(state[key], value)


def test_nan_guard_validation_and_loss_only():
    guard = NaNGuard(check_gradients=False).initialize()

    class Net:
        lr = 0.1

    guard.epoch_ = 3
    guard.on_batch_end(Net(), training=False, loss=torch.tensor(0.5))
    with pytest.raises(TrainingDivergedError, match="epoch 3, validation"):
        guard.on_batch_end(Net(), training=False, loss=torch.tensor(float("inf")))


# -- warm start / partial_fit / resume ------------------------------------------
@pytest.mark.parametrize("Est", [SequenceClassifier, SequenceRegressor])
def test_warm_start_equals_straight_fit(data, Est):
    X, y = data
    y = y if Est is SequenceClassifier else y + np.arange(len(y)) / 10.0
    method = "predict_proba" if Est is SequenceClassifier else "predict"
    straight = getattr(Est(max_epochs=4, **KW).fit(X, y), method)(X)
    warm = Est(max_epochs=2, warm_start=True, **KW).fit(X, y).fit(X, y)
    assert warm.n_epochs_ == 4 and len(warm.history_) == 4
    np.testing.assert_array_equal(getattr(warm, method)(X), straight)
    part = Est(max_epochs=2, **KW).fit(X, y)
    part.partial_fit(X, y)
    part.partial_fit(X, y)
    np.testing.assert_array_equal(getattr(part, method)(X), straight)
    # without warm_start, a second fit starts again
    cold = Est(max_epochs=2, **KW).fit(X, y)
    assert not np.array_equal(getattr(cold, method)(X), straight)
    assert cold.fit(X, y).n_epochs_ == 2


def test_rng_state_is_what_makes_continuation_exact(data):
    """Dropout draws depend on the carried torch state: disturb it, results move."""
    X, y = data
    a = SequenceClassifier(max_epochs=2, warm_start=True, **KW).fit(X, y)
    b = clone(a).fit(X, y)
    b._torch_rng_state = torch.manual_seed(123).get_state()
    a.fit(X, y)
    b.fit(X, y)
    assert not np.array_equal(a.predict_proba(X), b.predict_proba(X))


def test_partial_fit_classes_and_errors(data):
    X, y = data
    labels = np.array(["a", "b"])[y]
    clf = SequenceClassifier(**KW)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, labels)
    clf.partial_fit(X[:10], np.full(10, "a"), classes=["a", "b", "c"])
    assert clf.classes_.tolist() == ["a", "b", "c"] and clf.n_epochs_ == 1
    assert clf.predict_proba(X[:2]).shape == (2, 3)
    clf.partial_fit(X, labels)
    assert clf.n_epochs_ == 2
    with pytest.raises(ValueError, match=r"labels \['z'\]"):
        clf.partial_fit(X[:2], ["a", "z"])
    with pytest.raises(ValueError, match="features per step"):
        clf.partial_fit([x[:, :1] for x in X], labels)
    # lr change is applied to the running optimizer
    clf.set_params(lr=1e-5, warm_start=True, max_epochs=1).fit(X, labels)
    assert all(g["lr"] == 1e-5 for g in clf.net_.optimizer_.param_groups)


RESUME_SCRIPT = textwrap.dedent("""
    import pickle, sys
    import numpy as np
    with open(sys.argv[1], "rb") as f:
        est, X, y = pickle.load(f)
    est.set_params(warm_start=True).fit(X, y)
    np.save(sys.argv[2], est.predict_proba(X))
""")


def test_checkpoint_resume_in_fresh_process(data, tmp_path):
    X, y = data
    straight = SequenceClassifier(max_epochs=4, **KW).fit(X, y).predict_proba(X)
    half = SequenceClassifier(max_epochs=2, **KW).fit(X, y)
    ckpt = tmp_path / "ckpt.pkl"
    with open(ckpt, "wb") as f:
        pickle.dump((half, X, y), f)
    script = tmp_path / "resume.py"
    script.write_text(RESUME_SCRIPT)
    out = tmp_path / "proba.npy"
    subprocess.run(
        [sys.executable, str(script), str(ckpt), str(out)], check=True, timeout=120
    )
    np.testing.assert_array_equal(np.load(out), straight)


def test_user_callbacks_see_every_event():
    # the net calls only the callbacks that implement an event (a cache per
    # callback list): users' callbacks still see each one, also callbacks
    # added to net_.callbacks_ later and methods set on an instance
    from collections import Counter

    from skorch.callbacks import Callback

    events = Counter()

    class Spy(Callback):
        def on_batch_end(self, net, training=False, **kwargs):
            events["train" if training else "valid"] += 1

        def on_grad_computed(self, net, named_parameters, **kwargs):
            events["grad"] += 1

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 5, 2)).astype(np.float32)
    y = np.arange(40) % 2
    clf = SequenceClassifier(
        hidden_size=4, batch_size=10, max_epochs=2, random_state=0, callbacks=[Spy()]
    ).fit(X, y)
    assert events == {"train": 8, "grad": 8}
    history = clf.history_
    assert history[-1, "batches", -1, "train_batch_size"] == 10
    assert len(history[:, "batches", :, "train_loss"][0]) == 4
    late = Callback()
    late.on_epoch_end = lambda net, **kwargs: events.update(["late"])
    clf.net_.callbacks_.append(("late", late))
    clf.partial_fit(X, y)
    assert events == {"train": 12, "grad": 12, "late": 1}
    # an entry replaced in place (same length of the list) is seen too
    replacement = Callback()
    replacement.on_epoch_end = lambda net, **kwargs: events.update(["replaced"])
    clf.net_.callbacks_[-1] = ("late", replacement)
    clf.partial_fit(X, y)
    assert events == {"train": 16, "grad": 16, "late": 1, "replaced": 1}
