"""Convolutional encoders (FCN, LSTM-FCN, TCN): masking, shapes, estimators."""

import pickle

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from torch import nn

from conftest import fast, ragged_batch
from sklearn_seq import SequenceClassifier, SequenceRegressor
from sklearn_seq.nn import SequenceNet, lengths_to_mask, make_encoder
from sklearn_seq.nn.conv import (
    FCNEncoder,
    LSTMFCNEncoder,
    MaskedBatchNorm1d,
    TCNEncoder,
    resample_to_length,
)

SMALL = {"n_filters": (4, 8, 4)}


@pytest.fixture(autouse=True)
def _one_thread():
    # tiny convolutions: on a shared 2-core machine OpenMP's second thread
    # mostly waits at barriers (measured 0.3 ms vs 40 ms per step)
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


FAST = fast(hidden_size=4, batch_size=8)


def _encoders(n_features=2):
    return {
        "fcn": FCNEncoder(n_features, n_filters=(4, 8, 4)),
        "lstm_fcn": LSTMFCNEncoder(
            n_features, n_steps=9, hidden_size=3, n_filters=(4, 8, 4), dropout=0.5
        ),
        "tcn": TCNEncoder(n_features, n_filters=5, dilations=(1, 2, 4)),
        "tcn_causal": TCNEncoder(
            n_features,
            n_filters=(5, 6),
            kernel_size=(2, 3),
            dilations=(1, 3),
            causal=True,
        ),
        "fcn_even_kernels": FCNEncoder(n_features, n_filters=3, kernel_sizes=(4, 2)),
    }


@pytest.mark.parametrize("name", list(_encoders()))
def test_sequence_scores_the_same_alone_or_in_padded_batch(name):
    torch.manual_seed(0)
    enc = _encoders()[name]
    lengths = [11, 3, 7, 1, 9]
    # training steps give batch norm non-trivial running statistics
    enc.train()
    for seed in range(3):
        enc(*ragged_batch(lengths, seed=seed + 1)[1:])
    enc.eval()
    # garbage at padded positions must not matter either
    seqs, x, lens = ragged_batch(lengths, pad_value=1e3)
    net = SequenceNet(2, 3, pooling=None)
    net.encoder = enc
    net.head = nn.Linear(enc.output_size, 3)
    net.pooling.mode = getattr(enc, "default_pooling", "last")
    net.eval()
    with torch.no_grad():
        out = enc(x, lens)
        scores = net(x, lens)
        assert bool((out[~lengths_to_mask(lens)] == 0).all())
        for i, s in enumerate(seqs):
            alone = enc(s[None], lens[i : i + 1])[0]
            torch.testing.assert_close(out[i, : len(s)], alone, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(
                scores[i], net(s[None], lens[i : i + 1])[0], atol=1e-5, rtol=1e-5
            )


def test_masked_batch_norm_uses_valid_steps_only():
    torch.manual_seed(0)
    seqs, x, lengths = ragged_batch([6, 2, 4], n_features=3, pad_value=50.0)
    bn = MaskedBatchNorm1d(3, momentum=0.3)
    ref = nn.BatchNorm1d(3, momentum=0.3)
    with torch.no_grad():
        bn.weight.uniform_()
        bn.bias.uniform_()
    ref.load_state_dict(bn.state_dict())
    mask = lengths_to_mask(lengths)
    # reference: torch's batch norm on the valid steps only, concatenated
    valid = torch.cat(seqs).T[None]  # (1, channels, sum of lengths)
    for _ in range(2):
        y = bn(x.transpose(1, 2), mask)
        y_ref = ref(valid)
        torch.testing.assert_close(y.transpose(1, 2)[mask], y_ref[0].T)
        torch.testing.assert_close(bn.running_mean, ref.running_mean)
        torch.testing.assert_close(bn.running_var, ref.running_var)
    assert int(bn.num_batches_tracked) == 2
    assert bool((y.transpose(1, 2)[~mask] == 0).all())
    bn.eval()
    ref.eval()
    y = bn(x.transpose(1, 2), mask)
    torch.testing.assert_close(y.transpose(1, 2)[mask], ref(valid)[0].T)
    # momentum=None: cumulative average, as in torch
    bn_cum = MaskedBatchNorm1d(3, momentum=None)
    ref_cum = nn.BatchNorm1d(3, momentum=None)
    for seed in range(3):
        seqs, x, lengths = ragged_batch([5, 3], n_features=3, seed=seed)
        bn_cum(x.transpose(1, 2), lengths_to_mask(lengths))
        ref_cum(torch.cat(seqs).T[None])
    torch.testing.assert_close(bn_cum.running_var, ref_cum.running_var)
    # without a mask it is torch's batch norm
    torch.testing.assert_close(bn(valid), ref(valid))


def test_causal_tcn_does_not_look_ahead():
    torch.manual_seed(0)
    enc = TCNEncoder(2, n_filters=4, causal=True).eval()
    x = torch.randn(1, 30, 2)
    x2 = x.clone()
    x2[:, 20:] = torch.randn(1, 10, 2)
    lengths = torch.tensor([30])
    torch.testing.assert_close(enc(x, lengths)[:, :20], enc(x2, lengths)[:, :20])
    assert enc.default_pooling == "last"
    assert TCNEncoder(2).default_pooling == "mean"


def test_lstm_fcn_outputs_and_resampling():
    torch.manual_seed(0)
    enc = LSTMFCNEncoder(2, n_steps=6, hidden_size=3, n_filters=(4, 8, 4)).eval()
    x = torch.randn(2, 6, 2)
    lengths = torch.tensor([6, 4])
    out = enc(x, lengths)
    assert out.shape == (2, 6, 7) and enc.output_size == 7
    # fixed length n_steps: the paper's dimension shuffle, untouched
    h = enc.lstm(x[:1].transpose(1, 2))[1][0][-1]
    torch.testing.assert_close(out[0, :, 4:], h.expand(6, 3))
    # mean pooling is [GAP(fcn), lstm]
    pooled = SequenceNet(2, 1, cell="fcn", pooling="mean").pooling(out, lengths)
    gap = enc.fcn(x, lengths)[1, :4].mean(0)
    torch.testing.assert_close(pooled[1, :4], gap)
    # a sequence longer than n_steps is accepted
    assert enc(torch.randn(1, 15, 2), torch.tensor([15])).shape == (1, 15, 7)
    # resampling reads valid steps only and is exact at the ends
    r = resample_to_length(
        torch.tensor([[[0.0], [10.0], [99.0]]]), torch.tensor([2]), 5
    )
    torch.testing.assert_close(r[0, :, 0], torch.tensor([0.0, 2.5, 5.0, 7.5, 10.0]))
    assert resample_to_length(x, torch.tensor([6, 6]), 6) is x


def test_encoder_argument_errors():
    with pytest.raises(
        ValueError, match="kernel_sizes must be an int >= 1 or a tuple of 3"
    ):
        FCNEncoder(1, n_filters=(4, 4, 4), kernel_sizes=(3, 3))
    with pytest.raises(ValueError, match=r"n_filters must be .* tuple of 4"):
        TCNEncoder(1, n_filters=(4, 4))
    with pytest.raises(ValueError, match="needs max_len"):
        make_encoder("lstm_fcn", 1)
    with pytest.raises(ValueError, match="n_steps"):
        LSTMFCNEncoder(1, n_steps=0)
    assert make_encoder("tcn", 1, dilations=(1, 2)).receptive_field == 13
    assert make_encoder("fcn", 1).output_size == 128


def _data(kind, n=24, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    if kind == "ragged":
        X = [
            rng.normal(size=(t, 2)).astype("float32")
            for t in rng.integers(3, 15, size=n)
        ]
        for x, label in zip(X, y):
            x[:, 0] += 2 * label
        return X, y
    X = rng.normal(size=(n, 12, 2)).astype("float32")
    X[:, :, 0] += 2 * y[:, None]
    return (X[:, :, 0] if kind == "univariate" else X), y


@pytest.mark.parametrize("cell", ["fcn", "lstm_fcn", "tcn"])
@pytest.mark.parametrize("kind", ["fixed", "univariate", "ragged"])
def test_classifier_shapes(cell, kind):
    X, y = _data(kind)
    clf = SequenceClassifier(cell=cell, **SMALL if cell != "tcn" else {}, **FAST)
    if cell == "tcn":
        clf.set_params(n_filters=4, dilations=(1, 2))
    clf.fit(X, y)
    proba = clf.predict_proba(X[:5])
    assert proba.shape == (5, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-6)
    assert clf.predict(X).shape == (24,)
    assert clf.net_.module_.pooling.mode == "mean"
    # a 2-D array: its column count, as in scikit-learn; else features per step
    assert clf.n_features_in_ == (X.shape[1] if kind == "univariate" else 2)
    if kind == "ragged":
        # longer than any training sequence (LSTM-FCN resamples its LSTM input)
        long = np.random.default_rng(1).normal(size=(40, 2)).astype("float32")
        assert clf.predict_proba([long]).shape == (1, 2)


def test_regressor_with_conv_cell():
    X, y = _data("fixed")
    reg = SequenceRegressor(cell="fcn", **SMALL, **FAST).fit(X, y.astype(float))
    assert reg.predict(X[:3]).shape == (3,)


def test_default_pooling_keeps_last_for_recurrent_cells():
    X, y = _data("fixed")
    clf = SequenceClassifier(cell="gru", **FAST).fit(X, y)
    assert clf.net_.module_.pooling.mode == "last"
    clf = SequenceClassifier(cell="fcn", pooling="max", **SMALL, **FAST).fit(X, y)
    assert clf.net_.module_.pooling.mode == "max"


def test_grid_search_over_cell():
    X, y = _data("fixed")
    grid = GridSearchCV(
        SequenceClassifier(n_filters=4, dilations=(1, 2), **FAST),
        {"cell": ["lstm", "fcn", "tcn"]},
        cv=2,
    ).fit(X, y)
    assert len(grid.cv_results_["params"]) == 3
    assert grid.best_params_["cell"] in ("lstm", "fcn", "tcn")


def test_sizes_are_grid_searchable():
    clf = SequenceClassifier(cell="fcn", **FAST)
    assert clf.get_params()["n_filters"] is None
    clf = clone(clf).set_params(n_filters=(3, 5), kernel_sizes=(7, 3))
    X, y = _data("fixed")
    clf.fit(X, y)
    convs = [b.conv for b in clf.net_.module_.encoder.blocks]
    assert [c.out_channels for c in convs] == [3, 5]
    assert [c.kernel_size[0] for c in convs] == [7, 3]
    grid = GridSearchCV(clf, {"n_filters": [(2, 2), 3], "kernel_sizes": [3]}, cv=2).fit(
        X, y
    )
    assert grid.best_estimator_.net_.module_.encoder.output_size in (2, 3)
    tcn = SequenceClassifier(
        cell="tcn", dilations=(1, 2, 4), n_filters=(2, 3, 4), **FAST
    ).fit(X, y)
    assert len(tcn.net_.module_.encoder.blocks) == 3
    with pytest.raises(ValueError, match=r"kernel_sizes .* tuple of 2"):
        SequenceClassifier(
            cell="fcn", n_filters=(3, 5), kernel_sizes=(7, 3, 3), **FAST
        ).fit(X, y)
    with pytest.raises(ValueError, match="n_filters"):
        SequenceClassifier(cell="fcn", n_filters="big", **FAST).fit(X, y)


@pytest.mark.parametrize("cell", ["fcn", "lstm_fcn", "tcn"])
def test_pickle_round_trip(cell):
    X, y = _data("ragged")
    clf = SequenceClassifier(cell=cell, n_filters=4, dilations=(1, 2), **FAST)
    clf.fit(X, y)
    clf2 = pickle.loads(pickle.dumps(clf))
    np.testing.assert_allclose(clf2.predict_proba(X), clf.predict_proba(X), rtol=1e-6)


def test_lstm_fcn_dropout_hits_the_lstm_branch_only():
    # Karim et al. drop out the LSTM output, not the concatenated features
    from sklearn_seq.nn import SequenceNet

    net = SequenceNet(2, 3, cell="lstm_fcn", dropout=0.8, max_len=10)
    assert net.encoder.dropout.p == 0.8
    assert net.dropout.p == 0.0
    assert SequenceNet(2, 3, cell="fcn", dropout=0.3).dropout.p == 0.3
