"""Batch-norm statistics recomputed at the end of fit (issue 15, item 1)."""

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from torch import nn

from conftest import make_ragged
from sklearn_seq import SequenceClassifier, SequenceRegressor
from sklearn_seq.data import BucketLoader, SequenceDataset, bucket_batches
from sklearn_seq.nn import (
    MaskedBatchNorm1d,
    SequenceNet,
    has_batchnorm,
    lengths_to_mask,
    recompute_batchnorm_stats,
)
from sklearn_seq.utils import check_sequences


def _batches(X, batch_size):
    ds = SequenceDataset(check_sequences(X))
    return [
        (Xi["x"], Xi["lengths"])
        for Xi, _ in BucketLoader(ds, batch_size=batch_size, shuffle=False)
    ]


def _fcn(seed=0):
    torch.manual_seed(seed)
    net = SequenceNet(2, 3, cell="fcn", n_filters=(6, 8, 5), kernel_sizes=(5, 3, 3))
    # move the statistics away from the data, as training would
    for m in net.modules():
        if isinstance(m, MaskedBatchNorm1d):
            m.running_mean.fill_(3.0)
            m.running_var.fill_(7.0)
    return net


def test_first_layer_gets_the_masked_mean_and_variance_of_its_input():
    X = make_ragged(40, lengths=(3, 25))
    net = _fcn()
    recompute_batchnorm_stats(net, _batches(X, 7))
    # the first block's batch norm reads conv(x) over the valid steps only
    block = net.encoder.blocks[0]
    x, lengths = _batches(X, len(X))[0]
    mask = lengths_to_mask(lengths, x.shape[1])
    h = x.transpose(1, 2).masked_fill(~mask.unsqueeze(1), 0.0)
    with torch.no_grad():
        conv = nn.functional.pad(h, (2, 2))
        conv = block.conv(conv)
    valid = conv.transpose(1, 2)[mask].double()  # (n_valid_steps, channels)
    np.testing.assert_allclose(
        block.bn.running_mean.numpy(), valid.mean(0).numpy(), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        block.bn.running_var.numpy(), valid.var(0).numpy(), rtol=1e-4, atol=1e-6
    )


def test_eval_equals_one_batch_of_all_training_data():
    # in train mode a single batch holding every sequence normalises each layer
    # with the exact statistics of the data as it reaches that layer: the
    # recomputed running statistics must reproduce it in eval mode
    X = make_ragged(60, lengths=(3, 25))
    net = _fcn()
    recompute_batchnorm_stats(net, _batches(X, 8))
    x, lengths = _batches(X, len(X))[0]
    with torch.no_grad():
        evaluated = net.eval()(x, lengths)
        whole = net.train()(x, lengths)
    # running_var is unbiased (n / (n - 1) with ~800 valid steps per channel)
    np.testing.assert_allclose(evaluated.numpy(), whole.numpy(), rtol=0, atol=5e-3)
    assert not torch.allclose(evaluated, _fcn().eval()(x, lengths), atol=1e-2)


def test_batching_and_order_do_not_change_the_statistics():
    X = make_ragged(50, lengths=(3, 25))
    a, b = _fcn(), _fcn()
    recompute_batchnorm_stats(a, _batches(X, 5))
    recompute_batchnorm_stats(b, _batches(X, 50)[::-1])
    for ma, mb in zip(a.modules(), b.modules()):
        if isinstance(ma, MaskedBatchNorm1d):
            torch.testing.assert_close(ma.running_mean, mb.running_mean)
            torch.testing.assert_close(ma.running_var, mb.running_var)


def test_weights_and_training_flags_are_left_alone():
    net = _fcn()
    net.train()
    net.encoder.blocks[1].eval()
    before = {k: v.clone() for k, v in net.named_parameters()}
    modes = {name: m.training for name, m in net.named_modules()}
    assert (
        recompute_batchnorm_stats(net, _batches(make_ragged(40, lengths=(3, 25)), 16))
        == 3
    )
    assert {name: m.training for name, m in net.named_modules()} == modes
    for k, v in net.named_parameters():
        torch.testing.assert_close(v, before[k])


def test_plain_torch_batchnorm_and_modules_without_it():
    assert recompute_batchnorm_stats(nn.LSTM(2, 3), [torch.zeros(1, 2, 2)]) == 0
    assert not has_batchnorm(SequenceNet(2, 2, cell="lstm"))
    assert has_batchnorm(SequenceNet(2, 2, cell="fcn", n_filters=4))
    net = nn.Sequential(nn.Conv1d(2, 3, 3), nn.BatchNorm1d(3))
    data = torch.randn(30, 2, 10) * 4 + 1
    recompute_batchnorm_stats(net, [data[:7], data[7:]])
    with torch.no_grad():
        conv = net[0](data).double()
    torch.testing.assert_close(
        net[1].running_mean, conv.mean(dim=(0, 2)).float(), rtol=1e-5, atol=1e-6
    )


def _conv_data(n=50, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 24, 1)).astype(np.float32)
    y = (X[:, 5:12, 0].mean(axis=1) > 0).astype(int)
    X[y == 1, 5:12] += 0.5
    return X, y


def _conv_clf(**params):
    return SequenceClassifier(
        cell="fcn",
        n_filters=(6, 8, 6),
        kernel_sizes=(5, 3, 3),
        max_epochs=3,
        batch_size=16,
        random_state=0,
        **params,
    )


def test_fit_leaves_the_exact_statistics_of_the_training_data():
    X, y = _conv_data()
    clf = _conv_clf().fit(X, y)
    module = clf.net_.module_
    fitted = [
        m.running_var.clone()
        for m in module.modules()
        if isinstance(m, MaskedBatchNorm1d)
    ]
    expected = _conv_clf(recompute_bn_stats=False)
    expected = expected.fit(X, y).net_.module_
    stale = [
        m.running_var.clone()
        for m in expected.modules()
        if isinstance(m, MaskedBatchNorm1d)
    ]
    recompute_batchnorm_stats(expected, [(torch.from_numpy(X), torch.full((50,), 24))])
    exact = [
        m.running_var for m in expected.modules() if isinstance(m, MaskedBatchNorm1d)
    ]
    # the same weights (the last batch is merged in both fits) ...
    for name, p in module.named_parameters():
        torch.testing.assert_close(p, dict(expected.named_parameters())[name])
    # ... and the recomputed statistics, which the moving averages are not
    for f, e, s in zip(fitted, exact, stale):
        torch.testing.assert_close(f, e, rtol=1e-4, atol=1e-6)
        assert not torch.allclose(s, e, rtol=1e-2)


def test_warm_start_and_partial_fit_recompute_too():
    X, y = _conv_data()
    clf = _conv_clf(warm_start=True).fit(X, y)
    bn = clf.net_.module_.encoder.blocks[0].bn
    bn.running_mean.fill_(5.0)
    clf.set_params(max_epochs=1).fit(X, y)
    assert float(bn.running_mean.abs().max()) < 5.0
    bn.running_mean.fill_(5.0)
    clf.partial_fit(X, y)
    assert float(bn.running_mean.abs().max()) < 5.0


def test_regressor_recomputes():
    X, y = _conv_data()
    reg = SequenceRegressor(
        cell="fcn", n_filters=4, max_epochs=1, batch_size=16, random_state=0
    ).fit(X, y.astype(float))
    off = SequenceRegressor(
        cell="fcn",
        n_filters=4,
        max_epochs=1,
        batch_size=16,
        random_state=0,
        recompute_bn_stats=False,
    ).fit(X, y.astype(float))
    a = reg.net_.module_.encoder.blocks[2].bn.running_mean
    b = off.net_.module_.encoder.blocks[2].bn.running_mean
    assert not torch.allclose(a, b)


class _BatchSizes(Callback):
    def initialize(self):
        self.sizes = []
        return self

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        if training:
            self.sizes.append(len(batch[1]))


@pytest.mark.parametrize(
    ("cell", "params", "expected"),
    [
        ("fcn", {}, [16, 16, 18]),  # 50 = 16 + 16 + 16 + 2: the 2 merged
        ("fcn", {"recompute_bn_stats": False}, [16, 16, 18]),
        ("fcn", {"iterator_train__merge_last": False}, [2, 16, 16, 16]),
        ("gru", {}, [2, 16, 16, 16]),  # no batch norm: nothing to protect
    ],
)
def test_tiny_last_batch_is_merged_only_with_batch_norm(cell, params, expected):
    X, y = _conv_data()
    cb = _BatchSizes()
    clf = SequenceClassifier(
        cell=cell,
        n_filters=4,
        hidden_size=4,
        max_epochs=1,
        batch_size=16,
        random_state=0,
        callbacks=[("sizes", cb)],
    )
    clf.set_params(**params).fit(X, y)
    assert sorted(dict(clf.net_.callbacks_)["sizes"].sizes) == expected


@pytest.mark.parametrize(("n", "expected"), [(50, 3), (56, 4), (40, 3), (5, 1)])
def test_bucket_batches_merge_last(n, expected):
    lengths = np.random.default_rng(0).integers(1, 30, size=n)
    for shuffle in (False, True):
        batches = bucket_batches(
            lengths, 16, shuffle=shuffle, rng=np.random.default_rng(1), merge_last=True
        )
        assert len(batches) == expected
        assert sorted(np.concatenate(batches).tolist()) == list(range(n))
        assert min(map(len, batches)) >= min(8, n)
    ds = SequenceDataset(check_sequences(np.zeros((n, 3, 1))))
    assert len(BucketLoader(ds, batch_size=16, merge_last=True)) == expected


class _LearningRates(Callback):
    def initialize(self):
        self.lrs = []
        return self

    def on_epoch_begin(self, net, **kwargs):
        self.lrs.append(net.optimizer_.param_groups[0]["lr"])


def test_lr_schedule_cosine_anneals_over_each_fit_call():
    X, y = _conv_data()
    clf = SequenceClassifier(
        hidden_size=4,
        max_epochs=4,
        lr=0.01,
        lr_schedule="cosine",
        random_state=0,
        warm_start=True,
        callbacks=[("lrs", _LearningRates())],
    ).fit(X, y)
    expected = [0.01 * 0.5 * (1 + np.cos(np.pi * e / 4)) for e in range(4)]
    np.testing.assert_allclose(dict(clf.net_.callbacks_)["lrs"].lrs, expected)
    # a warm fit runs its own schedule over its own epochs, from the new lr
    clf.set_params(max_epochs=2, lr=0.004).fit(X, y)
    np.testing.assert_allclose(dict(clf.net_.callbacks_)["lrs"].lrs[4:], [0.004, 0.002])


def test_lr_schedule_plateau_and_none():
    X, y = _conv_data()
    flat = SequenceClassifier(
        hidden_size=4, max_epochs=3, callbacks=[("lrs", _LearningRates())]
    ).fit(X, y)
    assert dict(flat.net_.callbacks_)["lrs"].lrs == [1e-3] * 3
    assert "lr_scheduler" not in dict(flat.net_.callbacks_)
    plateau = SequenceClassifier(
        hidden_size=4, max_epochs=2, lr_schedule="plateau", n_iter_no_change=1
    ).fit(X, y)
    sched = dict(plateau.net_.callbacks_)["lr_scheduler"]
    assert sched.monitor == "train_loss" and sched.patience == 1
    with pytest.raises(ValueError, match="lr_schedule"):
        SequenceClassifier(lr_schedule="linear").fit(X, y)


class _Params(Callback):
    def initialize(self):
        self.params = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.params.append([p.detach().clone() for p in net.module_.parameters()])


def test_weight_averaging_ends_on_the_mean_of_the_last_epochs():
    X, y = _conv_data()
    clf = _conv_clf(callbacks=[("params", _Params())])
    clf = clf.set_params(max_epochs=8).fit(X, y)
    assert "weight_averaging" in dict(clf.net_.callbacks_)
    history = dict(clf.net_.callbacks_)["params"].params
    # the last quarter of 8 epochs: epochs 7 and 8
    for i, p in enumerate(clf.net_.module_.parameters()):
        expected = (history[6][i] + history[7][i]) / 2
        torch.testing.assert_close(p.detach(), expected)


@pytest.mark.parametrize(
    ("cell", "params", "averaged"),
    [
        ("fcn", {}, True),
        ("lstm_fcn", {}, True),
        ("lstm", {}, False),
        ("fcn", {"early_stopping": True}, False),
        ("fcn", {"weight_averaging": None}, False),
        ("gru", {"weight_averaging": "swa"}, True),
    ],
)
def test_weight_averaging_auto(cell, params, averaged):
    X, y = _conv_data()
    clf = SequenceClassifier(
        cell=cell, n_filters=4, hidden_size=4, max_epochs=2, random_state=0, **params
    ).fit(X, y)
    assert ("weight_averaging" in dict(clf.net_.callbacks_)) is averaged
