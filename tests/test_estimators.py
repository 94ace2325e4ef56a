"""SequenceClassifier / SequenceRegressor behaviour beyond sklearn's checks."""

import pickle
from unittest import mock

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.utils.class_weight import compute_class_weight
from torch import nn

from conftest import fast
from sklearn_seq import SequenceClassifier, SequenceRegressor

FAST = fast(max_epochs=3)


def _toy(n=60, t=6, f=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, t, f)).astype(np.float32)
    y = (X[:, -1, 0] > 0).astype(int)
    return X, y


def _ragged(n=60, f=2, seed=0):
    rng = np.random.default_rng(seed)
    X = [
        rng.normal(size=(int(k), f)).astype(np.float32)
        for k in rng.integers(2, 12, size=n)
    ]
    y = np.array([int(x[-1, 0] > 0) for x in X])
    return X, y


def test_learns_a_simple_rule():
    X, y = _toy(n=200)
    clf = SequenceClassifier(hidden_size=16, max_epochs=30, lr=1e-2, random_state=0)
    assert clf.fit(X, y).score(X, y) > 0.9


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "transformer"])
@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
def test_every_cell_and_pooling_is_padding_invariant(cell, pooling):
    X, y = _ragged(n=30)
    clf = SequenceClassifier(
        cell=cell, pooling=pooling, bidirectional=True, **FAST
    ).fit(X, y)
    together = clf.predict_proba(X)
    alone = np.vstack([clf.predict_proba([x]) for x in X[:5]])
    np.testing.assert_allclose(together[:5], alone, atol=1e-5)
    np.testing.assert_allclose(together.sum(axis=1), 1, rtol=1e-6)


def test_same_random_state_gives_identical_fits_and_keeps_global_rng():
    X, y = _ragged()
    before = torch.random.get_rng_state()
    p1 = SequenceClassifier(dropout=0.3, **FAST).fit(X, y).predict_proba(X)
    assert torch.equal(before, torch.random.get_rng_state())
    p2 = SequenceClassifier(dropout=0.3, **FAST).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(p1, p2)
    p3 = (
        SequenceClassifier(dropout=0.3, **{**FAST, "random_state": 1})
        .fit(X, y)
        .predict_proba(X)
    )
    assert not np.allclose(p1, p3)


@pytest.mark.skipif(
    torch.cuda.is_initialized(), reason="about seeds queued before CUDA starts"
)
def test_a_cpu_fit_leaves_the_callers_pending_cuda_seed_alone():
    # torch.manual_seed queues a seed for every CUDA device until CUDA starts;
    # a CPU fit that called it replaced the caller's queued seed with its own
    tracker = torch.cuda._lazy_seed_tracker
    saved = tracker.manual_seed_all_cb, tracker.manual_seed_cb, tracker.call_order
    try:
        torch.manual_seed(123)
        queued = tracker.manual_seed_all_cb
        X, y = _toy()
        SequenceClassifier(**FAST).fit(X, y)
        assert tracker.manual_seed_all_cb is queued
    finally:
        tracker.manual_seed_all_cb, tracker.manual_seed_cb, tracker.call_order = saved


@pytest.mark.parametrize("n_classes", [2, 3, 5, 8, 9, 20])
def test_softmax_matches_scipy(n_classes):
    from scipy.special import softmax

    from sklearn_seq.estimators._classifier import _softmax

    z = np.random.default_rng(n_classes).normal(scale=30, size=(500, n_classes))
    z[0] = 800.0  # exp overflows without the shift
    z[1, 0] = -np.inf
    np.testing.assert_allclose(
        _softmax(z.copy()), softmax(z, axis=1), rtol=1e-15, atol=1e-300
    )


def test_string_labels_round_trip_and_proba_column_order():
    X, y = _toy()
    labels = np.array(["neg", "pos"])[y]
    clf = SequenceClassifier(**FAST).fit(X, labels)
    assert clf.classes_.tolist() == ["neg", "pos"]
    assert set(clf.predict(X)) <= {"neg", "pos"}
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(1)])


def test_multiclass_and_grid_search_with_stratified_kfold():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 5, 3)).astype(np.float32)
    y = X[:, -1, :].argmax(axis=1)
    grid = GridSearchCV(
        SequenceClassifier(**FAST),
        {"cell": ["rnn", "gru"], "hidden_size": [4, 8]},
        cv=StratifiedKFold(3),
    ).fit(X, y)
    assert grid.best_estimator_.predict_proba(X).shape == (90, 3)
    assert len(grid.cv_results_["mean_test_score"]) == 4


def test_ragged_lists_through_cross_val_score():
    X, y = _ragged(n=45)
    scores = cross_val_score(SequenceClassifier(**FAST), X, y, cv=3)
    assert scores.shape == (3,) and np.all((0 <= scores) & (scores <= 1))


def test_token_input_uses_embedding():
    rng = np.random.default_rng(0)
    X = [list(rng.integers(1, 20, size=rng.integers(2, 9))) for _ in range(60)]
    y = np.array([int(5 in x) for x in X])
    clf = SequenceClassifier(embedding_dim=8, **FAST).fit(X, y)
    assert clf.input_kind_ == "tokens" and clf.vocab_size_ == max(map(max, X)) + 1
    assert clf.net_.module_.embedding.padding_idx == 0
    assert clf.predict(X[:4]).shape == (4,)
    with pytest.raises(ValueError, match=r"X\[0\] holds token id 99"):
        clf.predict([[99]])
    with pytest.raises(ValueError, match="fitted on token id sequences"):
        clf.predict(np.zeros((2, 3, 1)))


def test_clone_and_pickle_round_trip():
    X, y = _ragged()
    clf = SequenceClassifier(**FAST)
    assert clone(clf).get_params() == clf.get_params()
    clf.fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


def test_class_weight_balanced_reaches_the_criterion():
    X, y = _toy(n=80)
    y[:60] = 0
    y[60:] = 1
    clf = SequenceClassifier(class_weight="balanced", **FAST).fit(X, y)
    expected = compute_class_weight("balanced", classes=np.unique(y), y=y)
    np.testing.assert_allclose(clf.net_.criterion_.weight.numpy(), expected, rtol=1e-6)
    unweighted = SequenceClassifier(**FAST).fit(X, y)
    assert unweighted.net_.criterion_.weight is None
    clf = SequenceClassifier(class_weight={1: 5.0}, **FAST).fit(X, y)
    np.testing.assert_allclose(clf.net_.criterion_.weight.numpy(), [1.0, 5.0])


def test_criterion_routing_for_classes_and_instances():
    X, y = _toy()
    clf = SequenceClassifier(criterion=nn.CrossEntropyLoss, **FAST)
    clf.set_params(
        criterion__label_smoothing=0.2,
        optimizer__weight_decay=1e-3,
        iterator_train__bucket_size=7,
    )
    assert clf.criterion_params == {"label_smoothing": 0.2}
    assert clf.optimizer_params == {"weight_decay": 1e-3}
    assert clf.iterator_train_params == {"bucket_size": 7}
    clf.fit(X, y)
    assert clf.net_.criterion_.label_smoothing == 0.2
    assert clf.net_.optimizer_.param_groups[0]["weight_decay"] == 1e-3
    assert clf.net_.iterator_train__bucket_size == 7
    # a torch instance without set_params: routed as well, parameter untouched
    crit = nn.CrossEntropyLoss()
    clf = (
        SequenceClassifier(criterion=crit, **FAST)
        .set_params(criterion__label_smoothing=0.1)
        .fit(X, y)
    )
    assert clf.net_.criterion_.label_smoothing == 0.1 and crit.label_smoothing == 0
    bce = SequenceClassifier(
        criterion=nn.BCEWithLogitsLoss, class_weight="balanced", **FAST
    ).fit(X, y)
    assert bce.net_.module_.head.out_features == 1
    assert bce.predict_proba(X).shape == (len(X), 2)
    y = (X[:, -1, 0] > 0.7).astype(int)  # about 1 positive in 4
    w = compute_class_weight("balanced", classes=np.unique(y), y=y)
    assert w[1] / w[0] > 2
    # in place during training: the first batch's loss is the weighted BCE
    one = SequenceClassifier(
        criterion=nn.BCEWithLogitsLoss,
        class_weight="balanced",
        optimizer="sgd",
        lr=1e-30,
        max_epochs=1,
        batch_size=len(X),
        hidden_size=4,
        random_state=0,
    )
    one.fit(X, y)
    assert float(one.net_.criterion_.pos_weight) == pytest.approx(w[1] / w[0])
    p = one.predict_proba(X)[:, 1].astype(np.float64)
    expected = -np.mean(w[1] / w[0] * y * np.log(p) + (1 - y) * np.log(1 - p))
    assert one.history_[-1, "train_loss"] == pytest.approx(expected, rel=1e-4)


def test_training_mode_is_set_as_skorch_sets_it():
    # the net skips nn.Module.train when every module already has the mode;
    # a submodule left in the other mode, or a module overriding train(),
    # must still get the call
    X, y = _toy()
    net = SequenceClassifier(**FAST).fit(X, y).net_
    net._set_training(True)
    assert all(m.training for m in net.module_.modules())
    head = list(net.module_.modules())[-1]
    head.eval()
    net._set_training(True)
    assert head.training
    net._set_training(False)
    assert not any(m.training for m in net.module_.modules())

    calls = []

    class Frozen(nn.Linear):
        def train(self, mode=True):
            calls.append(mode)
            return super().train(False)  # always evaluates, as a frozen layer

    net.module_.frozen = Frozen(2, 2)
    net._set_training(True)
    net._set_training(True)
    assert calls == [True, True]
    assert not net.module_.frozen.training
    assert net.module_.training


def test_fitted_network_waits_in_evaluation_mode_and_prediction_restores_modes():
    # a fit leaves the network in evaluation mode; prediction evaluates with
    # dropout off whatever mode a user left it in, and hands it back so
    X, y = _toy()
    clf = SequenceClassifier(**{**FAST, "dropout": 0.5}).fit(X, y)
    module = clf.net_.module_
    assert not any(m.training for m in module.modules())
    expected = clf.predict_proba(X)
    assert not any(m.training for m in module.modules())
    module.train()
    np.testing.assert_array_equal(clf.predict_proba(X), expected)
    assert all(m.training for m in module.modules())
    # a second fit (warm start) trains in training mode and ends evaluating
    clf.set_params(warm_start=True, max_epochs=1).fit(X, y)
    assert not any(m.training for m in clf.net_.module_.modules())
    assert not np.allclose(clf.predict_proba(X), expected)


def test_training_step_without_closure_matches_skorchs_closure():
    # torch's optimizers (but LBFGS) step without skorch's closure: the same
    # steps in the same order, so the same weights and losses to the bit
    from sklearn_seq.estimators._base import _SeqNet

    X, y = _toy()
    calls = []
    ours = SequenceClassifier(**FAST).fit(X, y)
    closure_free = _SeqNet._closure_free_optimizer

    def spy(self):  # None: skorch's train_step, with its closure
        calls.append(closure_free(self))

    with mock.patch.object(_SeqNet, "_closure_free_optimizer", spy):
        skorchs = SequenceClassifier(**FAST).fit(X, y)
    assert calls and all(isinstance(o, torch.optim.Adam) for o in calls)
    for a, b in zip(ours.net_.module_.parameters(), skorchs.net_.module_.parameters()):
        assert torch.equal(a, b)
    assert ours.history_[:, "train_loss"] == skorchs.history_[:, "train_loss"]


def test_optimizers_that_need_the_closure_get_it():
    X, y = _toy()
    closures = []

    class NeedsClosure(torch.optim.SGD):  # as sharpness-aware optimizers do
        def step(self, closure=None):
            if closure is None:
                raise AssertionError("no closure")
            closures.append(closure)
            return super().step(closure)

    clf = SequenceClassifier(**{**FAST, "optimizer": NeedsClosure}).fit(X, y)
    assert len(closures) == sum(len(h["batches"]) for h in clf.history_)
    lbfgs = SequenceClassifier(**{**FAST, "optimizer": torch.optim.LBFGS, "lr": 0.1})
    lbfgs.fit(X, y)
    assert np.isfinite(lbfgs.history_[-1, "train_loss"])


def test_callbacks_parameter_is_not_mutated():
    from skorch.callbacks import EpochTimer

    cb = EpochTimer()
    X, y = _toy()
    clf = SequenceClassifier(callbacks=[cb], **FAST).fit(X, y)
    assert cb.epoch_start_time_ is None  # skorch sets it when the epoch starts
    assert clf.callbacks[0] is cb


def test_early_stopping_uses_validation_loss_and_keeps_best():
    X, y = _toy(n=120)
    clf = SequenceClassifier(
        early_stopping=True, n_iter_no_change=2, **{**FAST, "max_epochs": 40}
    ).fit(X, y)
    hist = clf.history_
    assert "valid_loss" in hist[-1]
    valid = hist[:, "valid_loss"]
    assert clf.n_epochs_ <= 40
    if clf.n_epochs_ < 40:  # stopped early: the restored weights are the best
        assert np.argmin(valid) == len(valid) - 1 - 2


def test_sample_weight_zero_equals_dropping_samples_in_loss():
    X, y = _toy(n=32)
    w = np.ones(len(y))
    w[::2] = 0
    clf = SequenceClassifier(**{**FAST, "batch_size": 32, "max_epochs": 1})
    a = clf.fit(X, y, sample_weight=w).net_.history[-1, "train_loss"]
    b = clone(clf).fit(X[1::2], y[1::2]).net_.history[-1, "train_loss"]
    # both see one batch at the start of training with the same initial weights
    assert a == pytest.approx(b, rel=1e-5)


def test_regressor_single_and_multi_output():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5, 2)).astype(np.float32)
    y = 1000 + 50 * X[:, -1, 0]
    reg = SequenceRegressor(hidden_size=16, max_epochs=40, lr=1e-2, random_state=0).fit(
        X, y
    )
    assert reg.predict(X).shape == (80,)
    assert reg.score(X, y) > 0.8  # target scaling makes lr suit y ~ 1000
    Y = np.column_stack([y, -y])
    assert SequenceRegressor(**FAST).fit(X, Y).predict(X).shape == (80, 2)


def test_bad_input_errors_name_the_problem():
    X, y = _toy()
    clf = SequenceClassifier(**FAST)
    with pytest.raises(ValueError, match="30 labels"):
        clf.fit(X, y[:30])
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, np.linspace(0, 1, len(X)))
    clf.fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features per step"):
        clf.predict(np.zeros((2, 6, 3)))
    with pytest.raises(ValueError, match="hidden_size"):
        SequenceClassifier(hidden_size=0).fit(X, y)
    with pytest.raises(ValueError, match="SequenceEmbedder"):
        SequenceClassifier(criterion=type("TripletLoss", (nn.Module,), {})).fit(X, y)


@pytest.mark.parametrize("ragged", [False, True], ids=["fixed", "ragged"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_prediction_names_a_nan_in_a_later_batch(ragged, bad):
    # prediction checks finiteness batch by batch (256 sequences each), so a
    # bad value past the first batch must still be found and named, and a
    # float32 sum that overflows on finite values must not be taken for one
    X, y = _ragged(n=40) if ragged else _toy(n=40)
    reg = SequenceRegressor(**FAST).fit(X, y.astype(float))
    rng = np.random.default_rng(1)
    if ragged:
        X_new = [rng.normal(size=(int(k), 2)) for k in rng.integers(2, 12, 600)]
        bad_step = len(X_new[431]) - 1
    else:
        X_new = rng.normal(size=(600, 6, 2))
        bad_step = 5
    X_new[431][bad_step, 1] = bad
    with pytest.raises(ValueError, match=rf"X\[431\] step {bad_step}"):
        reg.predict(X_new)
    X_new[431][bad_step, 1] = 0.0
    for x in X_new[300:310]:  # finite, but their float32 sum overflows
        x[0, 0] = 3e38
    assert np.isfinite(reg.predict(X_new)).all()


def test_cuda_without_cuda_is_a_clear_error():
    X, y = _toy()
    with mock.patch("torch.cuda.is_available", return_value=False):
        with pytest.raises(ValueError, match="CUDA is not available"):
            SequenceClassifier(device="cuda", **FAST).fit(X, y)
        clf = SequenceClassifier(device="auto", **FAST).fit(X, y)
        assert clf.net_.device == "cpu"
    with pytest.raises(ValueError, match="not a valid torch device"):
        SequenceClassifier(device="gpu0", **FAST).fit(X, y)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no cuda device")
def test_cuda_fit_matches_shapes_and_unpickles_to_cpu():
    X, y = _ragged()
    clf = SequenceClassifier(device="cuda", **FAST).fit(X, y)
    assert next(clf.net_.module_.parameters()).is_cuda
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    blob = pickle.dumps(clf)
    with mock.patch("torch.cuda.is_available", return_value=False):
        cpu = pickle.loads(blob)
        np.testing.assert_allclose(cpu.predict_proba(X), proba, atol=1e-4)


def test_pipeline_with_sequence_scaler_on_ragged_input():
    from sklearn.pipeline import make_pipeline

    from sklearn_seq.preprocessing import SequenceScaler

    X, y = _ragged(n=40)
    X = [1000 + 50 * x for x in X]  # far from standardised
    pipe = make_pipeline(SequenceScaler(), SequenceClassifier(**FAST))
    scores = cross_val_score(pipe, X, y, cv=2)
    assert scores.shape == (2,)
    pipe.fit(X, y)
    scaled = pipe[0].transform(X)
    flat = np.concatenate(scaled)
    np.testing.assert_allclose(flat.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(flat.std(axis=0), 1, atol=1e-4)
    # the classifier saw the scaled sequences: same predictions either way
    np.testing.assert_array_equal(pipe.predict(X), pipe[-1].predict(scaled))


def test_verbose_names_each_fit_and_2d_hint(capsys):
    X, y = _toy(n=30)
    clf = SequenceClassifier(verbose=1, **FAST).fit(X, y)
    out = capsys.readouterr().out
    assert "[SequenceClassifier(" in out and "hidden_size=8" in out
    assert "30 sequences, 3 epochs on cpu" in out
    assert "train_loss" in out  # skorch's epoch table follows
    with pytest.raises(ValueError, match=r"pass one multivariate sequence x"):
        clf.predict(X[0])  # one (T, F) sequence read as F-step univariate ones


def test_epoch_table_is_only_built_when_verbose(capsys):
    # skorch formats the table every epoch even when it prints nothing
    from skorch.callbacks import PrintLog

    X, y = _toy(n=30)
    with mock.patch.object(PrintLog, "table", autospec=True) as table:
        table.return_value = "header\n------\nrow"
        SequenceClassifier(verbose=0, **FAST).fit(X, y)
        assert table.call_count == 0
        SequenceClassifier(verbose=1, **FAST).fit(X, y)
        assert table.call_count == FAST["max_epochs"]
    assert capsys.readouterr().out.count("row") == FAST["max_epochs"]


def test_balanced_class_weight_when_a_class_is_absent_from_a_partial_fit():
    X, y = _toy(n=40)
    clf = SequenceClassifier(class_weight="balanced", **FAST)
    ones = y == 1
    clf.partial_fit(X[ones], y[ones], classes=[0, 1])  # only class 1 here
    # absent class 0 weighs 1; class 1 is the only class present
    np.testing.assert_allclose(clf.class_weight_, [1.0, 1.0])
    expected = compute_class_weight("balanced", classes=np.array([0, 1]), y=y)
    np.testing.assert_allclose(
        SequenceClassifier(class_weight="balanced", **FAST).fit(X, y).class_weight_,
        expected,
    )
