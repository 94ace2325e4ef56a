"""Encoders and pooling against plain PyTorch computations."""

import pytest
import torch
from torch import nn

from conftest import ragged_batch
from sklearn_seq.nn import (
    RecurrentEncoder,
    SequenceNet,
    SequencePooling,
    last_valid_step,
    lengths_to_mask,
)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_last_state_of_padded_batch_equals_each_sequence_alone(
    cell, bidirectional, num_layers
):
    torch.manual_seed(0)
    enc = RecurrentEncoder(
        3, hidden_size=5, num_layers=num_layers, cell=cell, bidirectional=bidirectional
    )
    seqs, x, lengths = ragged_batch([7, 2, 5, 1], n_features=3)
    pooled = last_valid_step(enc(x, lengths), lengths, bidirectional)
    # reference: torch's own final hidden state, one sequence at a time
    for i, s in enumerate(seqs):
        out = enc.rnn(s[None])
        h = out[1][0] if cell == "lstm" else out[1]
        h_last_layer = h.view(num_layers, 2 if bidirectional else 1, 1, 5)[-1]
        expected = torch.cat(list(h_last_layer[:, 0]), dim=-1)
        torch.testing.assert_close(pooled[i], expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_padded_outputs_zero_and_valid_outputs_match_packed(bidirectional):
    torch.manual_seed(0)
    enc = RecurrentEncoder(3, hidden_size=4, cell="gru", bidirectional=bidirectional)
    _, x, lengths = ragged_batch([6, 3, 1], n_features=3)
    out = enc(x, lengths)
    mask = lengths_to_mask(lengths)
    assert torch.all(out[~mask] == 0)
    packed = nn.utils.rnn.pack_padded_sequence(
        x, lengths, batch_first=True, enforce_sorted=False
    )
    ref, _ = nn.utils.rnn.pad_packed_sequence(enc.rnn(packed)[0], batch_first=True)
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=1e-5)


def test_pooling_modes_ignore_padding():
    torch.manual_seed(0)
    out = torch.randn(2, 4, 3)
    lengths = torch.tensor([4, 2])
    garbage = out.clone()
    garbage[1, 2:] = 1e6
    for mode in ["last", "mean", "max"]:
        pool = SequencePooling(mode)
        torch.testing.assert_close(pool(out, lengths)[1], pool(garbage, lengths)[1])
    torch.testing.assert_close(
        SequencePooling("mean")(out, lengths)[1], out[1, :2].mean(0)
    )
    torch.testing.assert_close(
        SequencePooling("max")(out, lengths)[1], out[1, :2].max(0).values
    )


def test_token_embedding_uses_padding_idx_zero():
    net = SequenceNet(None, 2, hidden_size=4, vocab_size=6, embedding_dim=3)
    assert net.embedding.padding_idx == 0
    assert torch.all(net.embedding.weight[0] == 0)


def test_invalid_cell_and_pooling_names():
    with pytest.raises(ValueError, match="cell must be one of"):
        RecurrentEncoder(3, cell="transformerz")
    with pytest.raises(ValueError, match="pooling must be one of"):
        SequencePooling("median")


@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_forget_gate_bias_starts_at_one(bidirectional):
    # gate order i, f, g, o: the forget slice of bias_ih is 1 and of bias_hh 0
    torch.manual_seed(0)
    hidden = 5
    enc = RecurrentEncoder(
        3, hidden_size=hidden, num_layers=2, cell="lstm", bidirectional=bidirectional
    )
    names = [n for n, _ in enc.rnn.named_parameters() if n.startswith("bias")]
    assert len(names) == 2 * 2 * (2 if bidirectional else 1)
    for name in names:
        bias = getattr(enc.rnn, name).detach()
        forget = bias[hidden : 2 * hidden]
        expected = 1.0 if name.startswith("bias_ih") else 0.0
        assert torch.all(forget == expected), name
        # the other gates keep torch's uniform initialisation
        others = torch.cat([bias[:hidden], bias[2 * hidden :]])
        assert others.abs().max() <= hidden**-0.5
        assert others.std() > 0
    # a GRU has no forget gate and keeps torch's initialisation
    torch.manual_seed(0)
    gru = RecurrentEncoder(3, hidden_size=hidden, cell="gru")
    torch.manual_seed(0)
    ref = nn.GRU(3, hidden, batch_first=True)
    for (name, p), q in zip(gru.rnn.named_parameters(), ref.parameters()):
        assert torch.equal(p, q), name
