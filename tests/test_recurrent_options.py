"""Recurrent cell options: init, forget bias, residual stacks, layer norm,
gradient clipping by value, and the adding problem."""

import numpy as np
import pytest
import torch
from torch import nn

from conftest import make_ragged_xy, ragged_batch
from sklearn_seq import (
    Seq2SeqEstimator,
    SequenceClassifier,
    SequenceRegressor,
    SequenceTagger,
)
from sklearn_seq.callbacks import GradientValueClipping
from sklearn_seq.datasets import make_adding_problem
from sklearn_seq.nn import (
    LayerNormRecurrentLayer,
    RecurrentEncoder,
    SequenceNet,
    last_valid_step,
    lengths_to_mask,
)
from sklearn_seq.utils._param_validation import InvalidParameterError

CELLS = ["rnn", "lstm", "gru"]
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
TORCH_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _recurrent_weights(enc, kind):
    """(name, tensor) of every ``weight_ih`` / ``weight_hh`` / ``bias_*``."""
    return [(n, p.detach()) for n, p in enc.named_parameters() if kind in n]


def _blocks(weight, hidden):
    return weight.reshape(-1, hidden, weight.shape[-1])


# -- defaults: today's initial weights, bit for bit -------------------------
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_defaults_reproduce_the_fused_module_and_its_forget_bias(
    cell, bidirectional, num_layers
):
    torch.manual_seed(0)
    enc = RecurrentEncoder(
        3, 5, num_layers, cell=cell, bidirectional=bidirectional, dropout=0.1
    )
    torch.manual_seed(0)
    explicit = RecurrentEncoder(
        3,
        5,
        num_layers,
        cell=cell,
        bidirectional=bidirectional,
        dropout=0.1,
        init=None,
        forget_bias=1.0,
        residual=False,
        layer_norm=False,
    )
    # the module before these options: torch's module, LSTM forget slice 1/0
    torch.manual_seed(0)
    ref = TORCH_CELLS[cell](
        3,
        5,
        num_layers=num_layers,
        batch_first=True,
        bidirectional=bidirectional,
        dropout=0.1 if num_layers > 1 else 0.0,
    )
    if cell == "lstm":
        with torch.no_grad():
            for name, p in ref.named_parameters():
                if name.startswith("bias_ih"):
                    p[5:10] = 1.0
                elif name.startswith("bias_hh"):
                    p[5:10] = 0.0
    expected = {f"rnn.{k}": v for k, v in ref.state_dict().items()}
    for module in (enc, explicit):
        state = module.state_dict()
        assert state.keys() == expected.keys()
        for key, value in expected.items():
            assert torch.equal(state[key], value), key
    # and the same outputs on a ragged batch
    _, x, lengths = ragged_batch([6, 2, 4], n_features=3)
    torch.testing.assert_close(enc.eval()(x, lengths), explicit.eval()(x, lengths))


def test_default_estimator_fit_is_unchanged_by_the_explicit_defaults():
    X, y = make_ragged_xy(40, seed=1)
    kw = {"hidden_size": 6, "max_epochs": 2, "random_state": 0}
    a = SequenceClassifier(**kw).fit(X, y)
    b = SequenceClassifier(
        **kw,
        init=None,
        forget_bias=1.0,
        residual=False,
        layer_norm=False,
        max_grad_value=None,
    ).fit(X, y)
    for (k, v), w in zip(
        a.net_.module_.state_dict().items(), b.net_.module_.state_dict().values()
    ):
        assert torch.equal(v, w), k


# -- init -------------------------------------------------------------------
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layer_norm", [False, True])
def test_orthogonal_init(cell, layer_norm):
    hidden = 16
    enc = RecurrentEncoder(
        5,
        hidden,
        num_layers=2,
        cell=cell,
        bidirectional=True,
        init="orthogonal",
        layer_norm=layer_norm,
    )
    eye = torch.eye(hidden)
    n_hh = n_ih = 0
    for _, w in _recurrent_weights(enc, "weight_hh"):
        for block in _blocks(w, hidden):
            torch.testing.assert_close(block @ block.T, eye, atol=1e-5, rtol=0)
            n_hh += 1
    for name, w in _recurrent_weights(enc, "weight_ih"):
        fan_in = w.shape[-1]
        bound = (6 / (fan_in + hidden)) ** 0.5
        for block in _blocks(w, hidden):
            assert block.abs().max() <= bound, name
            assert block.std() > bound / 3, name  # uniform: std = bound/sqrt(3)
            # not orthogonal: Glorot-uniform, not the recurrent init
            n_ih += 1
    n_blocks = GATES[cell] * 2 * 2  # gates x directions x layers
    assert n_hh == n_ih == n_blocks
    for name, b in _recurrent_weights(enc, "bias_"):
        if cell == "lstm" and "bias_ih" in name:
            forget = b[..., hidden : 2 * hidden]
            assert torch.all(forget == 1.0)
            assert torch.all(b[..., :hidden] == 0)
            assert torch.all(b[..., 2 * hidden :] == 0)
        else:
            assert torch.all(b == 0), name


@pytest.mark.parametrize("init", ["xavier", "kaiming"])
def test_xavier_and_kaiming_init_distributions(init):
    hidden = 64
    torch.manual_seed(0)
    enc = RecurrentEncoder(32, hidden, cell="gru", init=init)
    for kind in ("weight_ih", "weight_hh"):
        (_, w), *_ = _recurrent_weights(enc, kind)
        fan_in = w.shape[-1]
        for block in _blocks(w, hidden):
            if init == "xavier":
                bound = (6 / (fan_in + hidden)) ** 0.5
                assert block.abs().max() <= bound
                assert block.std() == pytest.approx(bound / 3**0.5, rel=0.1)
            else:
                assert block.std() == pytest.approx((2 / fan_in) ** 0.5, rel=0.1)
                assert abs(float(block.mean())) < 0.05
            # the recurrent blocks are not orthogonal with these inits
            if kind == "weight_hh":
                assert not torch.allclose(block @ block.T, torch.eye(hidden), atol=0.1)


def test_invalid_init_and_residual_requests():
    with pytest.raises(ValueError, match="init must be one of"):
        RecurrentEncoder(3, 4, init="he")
    with pytest.raises(ValueError, match="num_layers >= 2"):
        RecurrentEncoder(3, 4, num_layers=1, residual=True)


# -- forget bias ----------------------------------------------------------
@pytest.mark.parametrize("layer_norm", [False, True])
@pytest.mark.parametrize("init", [None, "orthogonal"])
def test_forget_bias_value(layer_norm, init):
    hidden = 6
    enc = RecurrentEncoder(
        3,
        hidden,
        num_layers=2,
        cell="lstm",
        bidirectional=True,
        init=init,
        forget_bias=2.5,
        layer_norm=layer_norm,
    )
    biases = _recurrent_weights(enc, "bias_")
    assert len(biases) == (2 * 2 if layer_norm else 2 * 2 * 2)
    for name, b in biases:
        forget = b[..., hidden : 2 * hidden]
        assert torch.all(forget == (2.5 if "bias_ih" in name else 0.0)), name


def test_forget_bias_none_keeps_torchs_initialisation():
    torch.manual_seed(0)
    enc = RecurrentEncoder(3, 5, cell="lstm", forget_bias=None)
    torch.manual_seed(0)
    ref = nn.LSTM(3, 5, batch_first=True)
    for (name, p), q in zip(enc.rnn.named_parameters(), ref.parameters()):
        assert torch.equal(p, q), name


def test_forget_bias_is_ignored_by_cells_without_forget_gate():
    torch.manual_seed(0)
    a = RecurrentEncoder(3, 5, cell="gru", forget_bias=3.0)
    torch.manual_seed(0)
    b = RecurrentEncoder(3, 5, cell="gru")
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)


# -- residual ---------------------------------------------------------------
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layer_norm", [False, True])
def test_residual_output_is_layer_input_plus_layer_output(cell, layer_norm):
    torch.manual_seed(0)
    enc = RecurrentEncoder(
        3, 4, num_layers=3, cell=cell, residual=True, layer_norm=layer_norm
    ).eval()
    assert enc.layers is not None and len(enc.layers) == 3
    x = torch.randn(2, 7, 3)
    lengths = torch.tensor([7, 7])

    def run(layer, inp):
        return layer(inp, lengths) if layer_norm else layer(inp)[0]

    x1 = run(enc.layers[0], x)  # no shortcut into the first layer (3 != 4)
    y1 = run(enc.layers[1], x1) + x1
    y2 = run(enc.layers[2], y1) + y1
    torch.testing.assert_close(enc(x, lengths), y2)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_residual_stack_is_mask_correct(bidirectional):
    torch.manual_seed(0)
    enc = RecurrentEncoder(
        3, 4, num_layers=2, cell="gru", bidirectional=bidirectional, residual=True
    ).eval()
    seqs, x, lengths = ragged_batch([6, 2, 4], n_features=3)
    out = enc(x, lengths)
    assert torch.all(out[~lengths_to_mask(lengths)] == 0)
    for i, s in enumerate(seqs):
        alone = enc(s[None], torch.tensor([len(s)]))[0]
        torch.testing.assert_close(out[i, : len(s)], alone, atol=1e-6, rtol=1e-5)


# -- layer norm ---------------------------------------------------------------
def _ln(z, hidden):
    shape = z.shape
    z = z.reshape(*shape[:-1], -1, hidden)
    z = (z - z.mean(-1, keepdim=True)) / torch.sqrt(
        z.var(-1, unbiased=False, keepdim=True) + 1e-5
    )
    return z.reshape(shape)


@pytest.mark.parametrize("cell", CELLS)
def test_layer_norm_cell_matches_the_equations(cell):
    torch.manual_seed(0)
    hidden = 4
    layer = LayerNormRecurrentLayer(3, hidden, cell=cell)
    with torch.no_grad():  # non-trivial gains and biases
        for name, p in layer.named_parameters():
            if name.startswith("ln_"):
                p.uniform_(0.5, 1.5)
    x = torch.randn(2, 3, 3)
    out = layer(x, torch.tensor([3, 3]))
    w_ih, w_hh = layer.weight_ih[0], layer.weight_hh[0]
    b_ih, b_hh = layer.bias_ih[0], layer.bias_hh[0]
    g_ih, g_hh = layer.ln_ih_weight[0], layer.ln_hh_weight[0]
    h = torch.zeros(2, hidden)
    c = torch.zeros(2, hidden)
    for t in range(3):
        gi = _ln(x[:, t] @ w_ih.T, hidden) * g_ih + b_ih
        gh = _ln(h @ w_hh.T, hidden) * g_hh + b_hh
        if cell == "rnn":
            h = torch.tanh(gi + gh)
        elif cell == "lstm":
            i, f, g, o = (gi + gh).chunk(4, -1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            cn = _ln(c, hidden) * layer.ln_cell_weight[0] + layer.ln_cell_bias[0]
            h = torch.sigmoid(o) * torch.tanh(cn)
        else:
            r = torch.sigmoid(gi[:, :hidden] + gh[:, :hidden])
            z = torch.sigmoid(gi[:, hidden : 2 * hidden] + gh[:, hidden : 2 * hidden])
            n = torch.tanh(gi[:, 2 * hidden :] + r * gh[:, 2 * hidden :])
            h = (1 - z) * n + z * h
        torch.testing.assert_close(out[:, t], h, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_layer_norm_encoder_is_mask_correct(cell, bidirectional, num_layers):
    torch.manual_seed(0)
    enc = RecurrentEncoder(
        3,
        5,
        num_layers,
        cell=cell,
        bidirectional=bidirectional,
        layer_norm=True,
    ).eval()
    assert enc.output_size == 5 * (2 if bidirectional else 1)
    seqs, x, lengths = ragged_batch([7, 2, 5, 1], n_features=3)
    out = enc(x, lengths)
    mask = lengths_to_mask(lengths)
    assert torch.all(out[~mask] == 0)
    # padding never reaches any direction: garbage padding, same outputs
    _, garbage, _ = ragged_batch([7, 2, 5, 1], n_features=3, pad_value=1e3)
    torch.testing.assert_close(enc(garbage, lengths), out)
    for i, s in enumerate(seqs):
        alone = enc(s[None], torch.tensor([len(s)]))[0]
        torch.testing.assert_close(out[i, : len(s)], alone, atol=1e-5, rtol=1e-5)
    # the backward direction reads each sequence from its own last step: its
    # output at step 0 is its state after the whole sequence
    if bidirectional and num_layers == 1:
        backward = LayerNormRecurrentLayer(3, 5, cell=cell)
        with torch.no_grad():
            for name, p in backward.named_parameters():
                p.copy_(getattr(enc.layers[0], name)[1:])
        for i, s in enumerate(seqs):
            rev = backward(s.flip(0)[None], torch.tensor([len(s)]))[0]
            torch.testing.assert_close(
                out[i, : len(s), 5:], rev.flip(0), atol=1e-5, rtol=1e-5
            )
    pooled = last_valid_step(out, lengths, bidirectional)
    assert pooled.shape == (4, enc.output_size)


def test_layer_norm_gradients_reach_every_parameter():
    torch.manual_seed(0)
    net = SequenceNet(
        3,
        2,
        cell="lstm",
        hidden_size=4,
        num_layers=2,
        bidirectional=True,
        layer_norm=True,
        residual=True,
        dropout=0.2,
    )
    _, x, lengths = ragged_batch([5, 3], n_features=3)
    net(x, lengths).sum().backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


# -- gradient clipping by value ----------------------------------------------
def test_gradient_value_clipping_callback_bounds_each_element():
    w = nn.Parameter(torch.zeros(4))
    w.grad = torch.tensor([-3.0, 0.2, 0.05, 9.0])
    GradientValueClipping(0.1).on_grad_computed(None, iter([("w", w)]))
    assert w.grad.tolist() == pytest.approx([-0.1, 0.1, 0.05, 0.1])
    GradientValueClipping(None).on_grad_computed(None, [("w", w)])


@pytest.mark.parametrize("max_grad_norm", [None, 0.05])
def test_max_grad_value_bounds_the_gradients_of_a_fit(max_grad_norm):
    from skorch.callbacks import Callback

    class Recorder(Callback):
        def initialize(self):
            self.max_abs = []
            return self

        def on_grad_computed(self, net, named_parameters, **kwargs):
            self.max_abs.append(
                max(float(p.grad.abs().max()) for _, p in named_parameters)
            )

    X, y = make_ragged_xy(40, seed=0)
    common = {"hidden_size": 6, "max_epochs": 2, "random_state": 0, "lr": 0.1}
    free = SequenceClassifier(**common, callbacks=[("rec", Recorder())]).fit(X, y)
    assert max(dict(free.net_.callbacks_)["rec"].max_abs) > 1e-3
    clf = SequenceClassifier(
        **common,
        max_grad_value=1e-3,
        max_grad_norm=max_grad_norm,
        callbacks=[("rec", Recorder())],
    ).fit(X, y)
    names = [name for name, _ in clf.net_.callbacks_]
    assert names.index("grad_value_clipping") < names.index("rec")
    recorded = dict(clf.net_.callbacks_)["rec"].max_abs
    assert len(recorded) > 0
    assert max(recorded) <= 1e-3 + 1e-9
    assert clf.get_params()["max_grad_value"] == 1e-3


def test_max_grad_value_is_validated():
    with pytest.raises(InvalidParameterError, match="max_grad_value"):
        SequenceClassifier(max_grad_value=0).fit(np.zeros((4, 3, 1)), [0, 1, 0, 1])


# -- the estimators -------------------------------------------------------
def test_estimators_build_the_requested_encoder():
    X, y = make_ragged_xy(30, seed=2)
    clf = SequenceClassifier(
        cell="gru",
        hidden_size=4,
        num_layers=2,
        bidirectional=True,
        init="orthogonal",
        residual=True,
        layer_norm=True,
        max_epochs=1,
        random_state=0,
    ).fit(X, y)
    enc = clf.net_.module_.encoder
    assert isinstance(enc.layers[0], LayerNormRecurrentLayer) and enc.residual
    assert clf.predict_proba(X).shape == (30, 2)
    reg = SequenceRegressor(
        cell="lstm", hidden_size=4, forget_bias=0.0, max_epochs=1, random_state=0
    ).fit(X, y.astype(float))
    assert reg.predict(X).shape == (30,)
    # the tagger and seq2seq take them too
    tags = [np.asarray(x[:, 0] > 0, dtype=int) for x in X]
    tagger = SequenceTagger(
        hidden_size=4, layer_norm=True, init="xavier", max_epochs=1, random_state=0
    ).fit(X, tags)
    assert isinstance(tagger.net_.module_.encoder.layers[0], LayerNormRecurrentLayer)
    src = [[3, 4, 5], [6, 7], [8, 3, 4, 5]] * 4
    s2s = Seq2SeqEstimator(
        hidden_size=8,
        num_layers=2,
        residual=True,
        init="orthogonal",
        max_epochs=1,
        random_state=0,
    ).fit(src, [s[::-1] for s in src])
    assert s2s.net_.module_.encoder.residual


def test_estimator_errors_and_ignored_options():
    X = np.random.default_rng(0).normal(size=(12, 6, 2)).astype(np.float32)
    y = np.array([0, 1] * 6)
    with pytest.raises(ValueError, match="num_layers >= 2"):
        SequenceClassifier(residual=True, max_epochs=1).fit(X, y)
    with pytest.raises(InvalidParameterError, match="init"):
        SequenceClassifier(init="glorot").fit(X, y)
    with pytest.raises(InvalidParameterError, match="forget_bias"):
        SequenceClassifier(forget_bias=True).fit(X, y)
    # the transformer and the convolutional cells ignore the recurrent options
    for cell in ("transformer", "tcn"):
        SequenceClassifier(
            cell=cell,
            hidden_size=8,
            residual=True,
            layer_norm=True,
            init="orthogonal",
            max_epochs=1,
            random_state=0,
        ).fit(X, y)


# -- the adding problem -------------------------------------------------------
def test_make_adding_problem():
    X, y = make_adding_problem(200, 30, random_state=0)
    assert X.shape == (200, 30, 2) and y.shape == (200,)
    assert X.dtype == np.float64 and y.dtype == np.float64
    values, markers = X[..., 0], X[..., 1]
    assert values.min() >= 0 and values.max() < 1
    assert np.all(np.isin(markers, [0.0, 1.0]))
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :15].sum(axis=1) == 1)  # one in each half
    assert np.all(markers[:, 15:].sum(axis=1) == 1)
    np.testing.assert_allclose(y, (values * markers).sum(axis=1))
    # the baseline: predicting 1 scores about 1/6
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, abs=0.04)
    X2, y2 = make_adding_problem(200, 30, random_state=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(make_adding_problem(200, 30, random_state=1)[1], y)
    with pytest.raises(InvalidParameterError):
        make_adding_problem(10, 1)
