"""Encoders and pooling against plain PyTorch computations."""

import pytest
import torch
from torch import nn

from sklearn_seq.nn import (
    RecurrentEncoder,
    SequenceNet,
    SequencePooling,
    last_valid_step,
    lengths_to_mask,
)


def _ragged_batch(lengths, n_features=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    seqs = [torch.randn(n, n_features, generator=g) for n in lengths]
    x = nn.utils.rnn.pad_sequence(seqs, batch_first=True)
    return seqs, x, torch.tensor(lengths)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_last_state_of_padded_batch_equals_each_sequence_alone(
    cell, bidirectional, num_layers
):
    torch.manual_seed(0)
    enc = RecurrentEncoder(3, hidden_size=5, num_layers=num_layers, cell=cell,
                           bidirectional=bidirectional)
    seqs, x, lengths = _ragged_batch([7, 2, 5, 1])
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
    _, x, lengths = _ragged_batch([6, 3, 1])
    out = enc(x, lengths)
    mask = lengths_to_mask(lengths)
    assert torch.all(out[~mask] == 0)
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True,
                                               enforce_sorted=False)
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
    torch.testing.assert_close(SequencePooling("mean")(out, lengths)[1],
                               out[1, :2].mean(0))
    torch.testing.assert_close(SequencePooling("max")(out, lengths)[1],
                               out[1, :2].max(0).values)


def test_token_embedding_uses_padding_idx_zero():
    net = SequenceNet(None, 2, hidden_size=4, vocab_size=6, embedding_dim=3)
    assert net.embedding.padding_idx == 0
    assert torch.all(net.embedding.weight[0] == 0)


def test_invalid_cell_and_pooling_names():
    with pytest.raises(ValueError, match="cell must be one of"):
        RecurrentEncoder(3, cell="transformerz")
    with pytest.raises(ValueError, match="pooling must be one of"):
        SequencePooling("median")
