# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of the attention layers, attention pooling and the transformer encoder."""

import math
import pickle

import pytest
import torch
from torch.nn import functional as F

from sklearn_seq.nn.attention import (
    AdditiveAttention,
    AttentionPooling,
    LuongAttention,
    ScaledDotProductAttention,
    masked_softmax,
)
from sklearn_seq.nn.transformer import PositionalEncoding, TransformerSequenceEncoder

D = 6
LENGTHS = [5, 2, 1, 4]


def _mask(lengths, steps=None):
    steps = max(lengths) if steps is None else steps
    return torch.arange(steps)[None, :] < torch.tensor(lengths)[:, None]


def _layers():
    return {
        "additive": AdditiveAttention(D, hidden_size=4),
        "luong_dot": LuongAttention(D, score="dot"),
        "luong_general": LuongAttention(D, score="general"),
        "luong_concat": LuongAttention(D, score="concat", hidden_size=5),
        "scaled_dot": ScaledDotProductAttention(),
    }


@pytest.fixture(params=list(_layers()))
def layer(request):
    torch.manual_seed(0)
    return _layers()[request.param]


@pytest.mark.parametrize("query_steps", [None, 3])
def test_weights_sum_to_one_and_are_zero_on_padding(layer, query_steps):
    torch.manual_seed(1)
    mask = _mask(LENGTHS)
    keys = torch.randn(4, 5, D)
    values = torch.randn(4, 5, 3)
    shape = (4, D) if query_steps is None else (4, query_steps, D)
    context, weights = layer(torch.randn(shape), keys, values, mask=mask)
    if query_steps is None:
        assert context.shape == (4, 3) and weights.shape == (4, 5)
        weights = weights.unsqueeze(1)
    else:
        assert context.shape == (4, 3, 3) and weights.shape == (4, 3, 5)
    torch.testing.assert_close(weights.sum(-1), torch.ones(weights.shape[:2]))
    assert torch.all(weights.masked_select(~mask.unsqueeze(1)) == 0)
    assert torch.all(weights.masked_select(mask.unsqueeze(1)) > 0)


def test_values_default_to_keys(layer):
    keys = torch.randn(2, 4, D)
    query = torch.randn(2, D)
    context, weights = layer(query, keys)
    torch.testing.assert_close(context, torch.einsum("bt,btd->bd", weights, keys))


def test_padding_invariance(layer):
    """Extra padded key positions (any values) change neither context nor weights."""
    torch.manual_seed(2)
    keys, values, query = (
        torch.randn(4, 5, D),
        torch.randn(4, 5, 3),
        torch.randn(4, 2, D),
    )
    mask = _mask(LENGTHS)
    context, weights = layer(query, keys, values, mask=mask)
    keys_pad = torch.cat([keys, 1e3 * torch.randn(4, 3, D)], 1)
    values_pad = torch.cat([values, torch.randn(4, 3, 3)], 1)
    context_pad, weights_pad = layer(
        query, keys_pad, values_pad, mask=_mask(LENGTHS, 8)
    )
    torch.testing.assert_close(context_pad, context)
    torch.testing.assert_close(weights_pad[..., :5], weights)
    assert torch.all(weights_pad[..., 5:] == 0)
    # One sequence alone, unpadded.
    alone, alone_weights = layer(query[1:2], keys[1:2, :2], values[1:2, :2])
    torch.testing.assert_close(alone, context[1:2])
    torch.testing.assert_close(alone_weights, weights[1:2, :, :2])


@pytest.mark.parametrize("query_steps", [None, 3])
def test_dot_attention_equals_torch_sdpa(query_steps):
    torch.manual_seed(3)
    mask = _mask(LENGTHS)
    shape = (4, D) if query_steps is None else (4, query_steps, D)
    query, keys, values = torch.randn(shape), torch.randn(4, 5, D), torch.randn(4, 5, 7)
    q = query.unsqueeze(1) if query_steps is None else query
    attn_mask = mask.unsqueeze(1)  # (B, 1, Tk), True = takes part
    expected_scaled = F.scaled_dot_product_attention(
        q, keys, values, attn_mask=attn_mask
    )
    expected_dot = F.scaled_dot_product_attention(
        q, keys, values, attn_mask=attn_mask, scale=1.0
    )
    if query_steps is None:
        expected_scaled, expected_dot = (
            expected_scaled.squeeze(1),
            expected_dot.squeeze(1),
        )
    scaled, _ = ScaledDotProductAttention()(query, keys, values, mask=mask)
    torch.testing.assert_close(scaled, expected_scaled)
    dot, _ = LuongAttention(D, score="dot")(query, keys, values, mask=mask)
    torch.testing.assert_close(dot, expected_dot)
    custom, _ = ScaledDotProductAttention(scale=0.5)(query, keys, values, mask=mask)
    torch.testing.assert_close(
        custom,
        F.scaled_dot_product_attention(
            q, keys, values, attn_mask=attn_mask, scale=0.5
        ).reshape(custom.shape),
    )


def test_scores_match_formulas():
    torch.manual_seed(4)
    q, k = torch.randn(2, D), torch.randn(2, 3, 5)
    add = AdditiveAttention(D, key_size=5, hidden_size=4)
    expected = add.v(torch.tanh(add.query_proj(q)[:, None] + add.key_proj(k))).squeeze(
        -1
    )
    torch.testing.assert_close(add(q, k)[1], torch.softmax(expected, -1))
    general = LuongAttention(D, key_size=5, score="general")
    expected = torch.einsum("bd,de,bte->bt", q, general.weight.weight, k)
    torch.testing.assert_close(general(q, k)[1], torch.softmax(expected, -1))
    concat = LuongAttention(D, key_size=5, score="concat", hidden_size=4)
    pairs = torch.cat([q[:, None].expand(2, 3, D), k], -1)
    expected = concat.v(torch.tanh(concat.weight(pairs))).squeeze(-1)
    torch.testing.assert_close(concat(q, k)[1], torch.softmax(expected, -1))
    qk = torch.randn(2, 3, D)
    expected = torch.einsum("bd,btd->bt", q, qk) / math.sqrt(D)
    torch.testing.assert_close(
        ScaledDotProductAttention()(q, qk)[1], torch.softmax(expected, -1)
    )


def test_all_masked_row_gives_zero_weights_and_finite_gradients(layer):
    keys = torch.randn(2, 3, D, requires_grad=True)
    query = torch.randn(2, D, requires_grad=True)
    mask = torch.tensor([[True, True, False], [False, False, False]])
    context, weights = layer(query, keys, mask=mask)
    assert torch.all(weights[1] == 0) and torch.all(context[1] == 0)
    context.sum().backward()
    for tensor in [keys, query, *layer.parameters()]:
        assert torch.isfinite(tensor.grad).all()


def test_three_d_mask():
    torch.manual_seed(5)
    query, keys = torch.randn(2, 3, D), torch.randn(2, 3, D)
    causal = torch.ones(3, 3, dtype=torch.bool).tril().expand(2, 3, 3)
    _, weights = ScaledDotProductAttention()(query, keys, mask=causal)
    assert torch.all(weights.triu(1) == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3))


def test_gradcheck_float64():
    torch.manual_seed(6)
    add = AdditiveAttention(3, key_size=4, hidden_size=2).double()
    mask = _mask([3, 2])
    query = torch.randn(2, 2, 3, dtype=torch.float64, requires_grad=True)
    keys = torch.randn(2, 3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda q, k: add(q, k, mask=mask), (query, keys))
    luong = LuongAttention(3, key_size=4, score="concat", hidden_size=2).double()
    assert torch.autograd.gradcheck(lambda q, k: luong(q, k, mask=mask), (query, keys))


def test_masked_softmax():
    scores = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    torch.testing.assert_close(masked_softmax(scores), torch.softmax(scores, -1))
    weights = masked_softmax(
        scores, torch.tensor([[True, True, False], [False, True, False]])
    )
    torch.testing.assert_close(weights[0, :2], torch.softmax(scores[0, :2], -1))
    assert weights[0, 2] == 0 and weights[1].tolist() == [0.0, 1.0, 0.0]
    with pytest.raises(TypeError, match="bool"):
        masked_softmax(scores, torch.ones(2, 3))


def test_attention_errors():
    attn = AdditiveAttention(D, key_size=5)
    keys = torch.randn(2, 3, 5)
    with pytest.raises(ValueError, match=r"keys must .* got shape \(3, 5\)"):
        attn(torch.randn(2, D), keys[0])
    with pytest.raises(
        ValueError, match=r"query must .* batch=2 .* got shape \(3, 6\)"
    ):
        attn(torch.randn(3, D), keys)
    with pytest.raises(ValueError, match=r"query_size=6 .* got shape \(2, 4\)"):
        attn(torch.randn(2, 4), keys)
    with pytest.raises(ValueError, match=r"key_size=5 .* got shape \(2, 3, 6\)"):
        attn(torch.randn(2, D), torch.randn(2, 3, 6))
    with pytest.raises(ValueError, match=r"values must .* got shape \(2, 4, 5\)"):
        attn(torch.randn(2, D), keys, torch.randn(2, 4, 5))
    with pytest.raises(ValueError, match=r"mask must .* \(2, 3\); got shape \(2, 4\)"):
        attn(torch.randn(2, D), keys, mask=torch.ones(2, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        attn(torch.randn(2, D), keys, mask=torch.ones(2, 3))
    with pytest.raises(ValueError, match="same number of features"):
        ScaledDotProductAttention()(torch.randn(2, 4), keys)
    with pytest.raises(ValueError, match="score must be one of"):
        LuongAttention(D, score="cosine")
    with pytest.raises(ValueError, match="needs query_size == key_size"):
        LuongAttention(D, key_size=5, score="dot")
    with pytest.raises(ValueError, match="hidden_size must be a positive int"):
        AdditiveAttention(D, hidden_size=0)
    with pytest.raises(ValueError, match="scale must be a positive float"):
        ScaledDotProductAttention(scale=-1.0)


def test_attention_pooling():
    torch.manual_seed(7)
    pool = AttentionPooling(D, hidden_size=3)
    x = torch.randn(4, 5, D)
    mask = _mask(LENGTHS)
    pooled, weights = pool(x, mask)
    assert pooled.shape == (4, D) and weights.shape == (4, 5)
    assert pool.output_size == D
    torch.testing.assert_close(weights.sum(-1), torch.ones(4))
    assert torch.all(weights[~mask] == 0)
    torch.testing.assert_close(pooled, torch.einsum("bt,btd->bd", weights, x))
    # Padding invariance, and a length-1 sequence pools to its only step.
    x_pad = torch.cat([x, torch.randn(4, 2, D)], 1)
    torch.testing.assert_close(pool(x_pad, _mask(LENGTHS, 7))[0], pooled)
    torch.testing.assert_close(pooled[2], x[2, 0])
    torch.testing.assert_close(pool(x[1:2, :2])[0], pooled[1:2])
    pooled.sum().backward()
    assert pool.query.grad is not None and torch.isfinite(pool.query.grad).all()
    assert pickle.loads(pickle.dumps(pool)).hidden_size == 3
    with pytest.raises(ValueError, match=r"input_size=6\); got shape \(4, 5, 3\)"):
        pool(torch.randn(4, 5, 3))
    with pytest.raises(ValueError, match=r"mask must .* \(4, 5\); got shape \(4, 4\)"):
        pool(x, mask[:, :4])


# Transformer encoder ---------------------------------------------------------


def test_positional_encoding():
    pe = PositionalEncoding(6, dropout=0.0, max_len=4)
    x = torch.zeros(2, 7, 6)  # longer than max_len: the table grows
    out = pe(x)
    assert out.shape == (2, 7, 6)
    pos, i = 3, 1
    torch.testing.assert_close(
        out[0, pos, 2 * i], torch.tensor(math.sin(pos / 1e4 ** (2 * i / 6)))
    )
    torch.testing.assert_close(
        out[1, pos, 2 * i + 1], torch.tensor(math.cos(pos / 1e4 ** (2 * i / 6)))
    )
    assert PositionalEncoding(5, dropout=0.0)(torch.zeros(1, 3, 5)).shape == (1, 3, 5)
    assert "pe" not in pe.state_dict()
    with pytest.raises(ValueError, match=r"d_model=6\); got shape \(2, 7, 5\)"):
        pe(torch.zeros(2, 7, 5))


def _encoder(**params):
    torch.manual_seed(0)
    return TransformerSequenceEncoder(
        3, d_model=8, nhead=2, num_layers=2, dim_feedforward=16, **params
    )


@pytest.mark.parametrize("mode", ["train", "eval", "eval_no_grad"])
def test_transformer_padding_invariance(mode):
    enc = _encoder(dropout=0.0)
    assert enc.output_size == 8 and enc.bidirectional is False
    enc.train(mode == "train")
    torch.manual_seed(1)
    lengths = torch.tensor([5, 2, 1, 4])
    x = torch.randn(4, 5, 3)
    x = x.masked_fill(~_mask(lengths.tolist()).unsqueeze(2), 7.0)  # junk in the padding
    with torch.set_grad_enabled(mode != "eval_no_grad"):
        out = enc(x, lengths)
        assert out.shape == (4, 5, 8)
        assert torch.all(out[~_mask(lengths.tolist())] == 0)
        for b, n in enumerate(lengths.tolist()):
            alone = enc(x[b : b + 1, :n], lengths[b : b + 1])
            torch.testing.assert_close(alone[0], out[b, :n], atol=1e-5, rtol=1e-5)


def test_transformer_train_and_eval_agree():
    enc = _encoder(dropout=0.0)
    lengths = torch.tensor([4, 2, 3])
    x = torch.randn(3, 4, 3)
    train_out = enc.train()(x, lengths)
    with torch.no_grad():
        eval_out = enc.eval()(x, lengths)
    torch.testing.assert_close(eval_out, train_out.detach(), atol=1e-5, rtol=1e-5)


def test_transformer_trains_and_pickles():
    # the default is pre-norm: cover the post-norm layers here
    enc = _encoder(dropout=0.1, norm_first=False)
    lengths = torch.tensor([4, 2])
    x = torch.randn(2, 4, 3)
    out = enc(x, lengths)
    out.sum().backward()
    assert all(
        torch.isfinite(p.grad).all() for p in enc.parameters() if p.grad is not None
    )
    clone = pickle.loads(pickle.dumps(enc.eval()))
    with torch.no_grad():
        torch.testing.assert_close(clone(x, lengths), enc(x, lengths))


def test_transformer_defaults_are_pre_norm_and_mean_pooled():
    import warnings

    import numpy as np

    from sklearn_seq import SequenceClassifier
    from sklearn_seq.nn import SequenceNet

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no nested-tensor warning from torch
        enc = TransformerSequenceEncoder(3, d_model=8, nhead=2)
    assert all(layer.norm_first for layer in enc.encoder.layers)
    assert isinstance(enc.encoder.norm, torch.nn.LayerNorm)
    assert enc.default_pooling == "mean"
    post = TransformerSequenceEncoder(3, d_model=8, nhead=2, norm_first=False)
    assert post.encoder.norm is None
    assert not post.encoder.layers[0].norm_first

    net = SequenceNet(3, 2, cell="transformer", hidden_size=8, pooling=None)
    assert net.pooling.mode == "mean"
    assert net.encoder.encoder.layers[0].norm_first
    X = np.random.default_rng(0).normal(size=(20, 5, 3)).astype(np.float32)
    y = (X[:, 1, 0] > 0).astype(int)
    kw = {"cell": "transformer", "hidden_size": 8, "max_epochs": 1}
    clf = SequenceClassifier(**kw, random_state=0).fit(X, y)
    assert clf.net_.module_.pooling.mode == "mean"
    clf = SequenceClassifier(**kw, pooling="last", random_state=0).fit(X, y)
    assert clf.net_.module_.pooling.mode == "last"


def test_transformer_errors():
    enc = _encoder()
    x = torch.randn(2, 4, 3)
    with pytest.raises(ValueError, match=r"input_size=3\); got shape \(2, 4, 5\)"):
        enc(torch.randn(2, 4, 5), torch.tensor([4, 2]))
    with pytest.raises(ValueError, match=r"lengths must .* \(2,\); got shape \(3,\)"):
        enc(x, torch.tensor([4, 2, 1]))
    with pytest.raises(ValueError, match=r"lengths must be in \[1, 4\]"):
        enc(x, torch.tensor([5, 2]))
    with pytest.raises(ValueError, match=r"lengths must be in \[1, 4\]"):
        enc(x, torch.tensor([0, 2]))
    with pytest.raises(ValueError, match="divisible by nhead"):
        TransformerSequenceEncoder(3, d_model=10, nhead=4)
