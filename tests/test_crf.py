# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of the linear-chain CRF against brute-force enumeration of tag paths."""

import itertools
import math
import pickle

import pytest
import torch

from sklearn_seq.nn.crf import CRF, IMPOSSIBLE_SCORE, allowed_transitions

BIO = ["O", "B-PER", "I-PER"]
BIO2 = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
IOBES = ["O", "B-X", "I-X", "E-X", "S-X"]


def _make(num_tags, lengths, seed=0, **crf_params):
    """A float64 CRF with non-trivial scores, emissions and a mask."""
    gen = torch.Generator().manual_seed(seed)
    crf = CRF(num_tags, **crf_params).double()
    with torch.no_grad():
        for param in crf.parameters():
            param.copy_(torch.randn(param.shape, generator=gen, dtype=torch.float64))
    steps = max(lengths)
    emissions = torch.randn(
        len(lengths), steps, num_tags, generator=gen, dtype=torch.float64
    )
    mask = torch.arange(steps)[None, :] < torch.tensor(lengths)[:, None]
    return crf, emissions, mask


def _allowed(crf, path):
    if not crf.allowed_start[path[0]] or not crf.allowed_end[path[-1]]:
        return False
    return all(crf.allowed_transitions[a, b] for a, b in itertools.pairwise(path))


def _brute_force(crf, emissions, length, restrict=False):
    """Every path of one sequence with its score (unconstrained parameters)."""
    k = crf.num_tags
    start, end, trans = crf.start_transitions, crf.end_transitions, crf.transitions
    paths, scores = [], []
    for path in itertools.product(range(k), repeat=length):
        if restrict and not _allowed(crf, path):
            continue
        score = start[path[0]] + end[path[-1]]
        score = score + sum(emissions[t, y] for t, y in enumerate(path))
        score = score + sum(trans[a, b] for a, b in itertools.pairwise(path))
        paths.append(path)
        scores.append(score.item())
    return paths, torch.tensor(scores, dtype=torch.float64)


def _brute_marginals(paths, scores, length, num_tags):
    probs = torch.softmax(scores, 0)
    out = torch.zeros(length, num_tags, dtype=torch.float64)
    for path, p in zip(paths, probs):
        for t, y in enumerate(path):
            out[t, y] += p
    return out


LENGTH_SETS = [[4, 1, 3, 2], [1], [3, 3], [2, 4]]


@pytest.mark.parametrize("lengths", LENGTH_SETS)
@pytest.mark.parametrize("seed", [0, 1])
def test_matches_brute_force(lengths, seed):
    crf, emissions, mask = _make(3, lengths, seed=seed)
    log_z = crf.log_partition(emissions, mask)
    decoded = crf.decode(emissions, mask)
    marginals = crf.marginals(emissions, mask)
    for b, length in enumerate(lengths):
        paths, scores = _brute_force(crf, emissions[b], length)
        torch.testing.assert_close(
            log_z[b], torch.logsumexp(scores, 0), rtol=0, atol=1e-10
        )
        assert decoded[b] == list(paths[int(scores.argmax())])
        expected = _brute_marginals(paths, scores, length, 3)
        torch.testing.assert_close(marginals[b, :length], expected, rtol=0, atol=1e-10)
        assert torch.all(marginals[b, length:] == 0)


def test_nll_is_log_z_minus_gold_score():
    lengths = [4, 1, 3, 2]
    crf, emissions, mask = _make(3, lengths)
    gen = torch.Generator().manual_seed(3)
    tags = torch.randint(0, 3, mask.shape, generator=gen).masked_fill(~mask, -100)
    nll = crf(emissions, tags, mask, reduction="none")
    assert nll.shape == (4,)
    for b, length in enumerate(lengths):
        paths, scores = _brute_force(crf, emissions[b], length)
        gold = scores[paths.index(tuple(tags[b, :length].tolist()))]
        torch.testing.assert_close(
            nll[b], torch.logsumexp(scores, 0) - gold, rtol=0, atol=1e-10
        )
    assert torch.all(nll > 0)
    torch.testing.assert_close(crf(emissions, tags, mask, reduction="sum"), nll.sum())
    torch.testing.assert_close(crf(emissions, tags, mask), nll.mean())
    torch.testing.assert_close(
        crf(emissions, tags, mask, reduction="token_mean"), nll.sum() / sum(lengths)
    )


def test_padding_values_of_tags_and_emissions_are_ignored():
    crf, emissions, mask = _make(3, [4, 2])
    tags = torch.tensor([[0, 1, 2, 1], [2, 0, -100, -100]])
    nll = crf(emissions, tags, mask, reduction="none")
    other = emissions.clone()
    other[1, 2:] = 1e3
    tags2 = tags.clone()
    tags2[1, 2:] = 1
    torch.testing.assert_close(crf(other, tags2, mask, reduction="none"), nll)
    torch.testing.assert_close(
        crf.marginals(other, mask), crf.marginals(emissions, mask)
    )
    assert crf.decode(other, mask) == crf.decode(emissions, mask)


def test_sequence_alone_equals_sequence_in_padded_batch():
    crf, emissions, mask = _make(3, [4, 2])
    alone = emissions[1:, :2]
    tags = torch.tensor([[1, 2, 0, 0], [2, 0, 0, 0]])
    nll = crf(emissions, tags, mask, reduction="none")
    torch.testing.assert_close(crf(alone, tags[1:, :2], reduction="none"), nll[1:])
    torch.testing.assert_close(
        crf.marginals(alone), crf.marginals(emissions, mask)[1:, :2]
    )
    assert crf.decode(alone) == crf.decode(emissions, mask)[1:]


def test_marginals_are_the_gradient_of_log_z():
    crf, emissions, mask = _make(4, [3, 1, 2], seed=5)
    emissions.requires_grad_(True)
    (grad,) = torch.autograd.grad(crf.log_partition(emissions, mask).sum(), emissions)
    torch.testing.assert_close(crf.marginals(emissions, mask), grad)


def test_gradients_are_finite_and_gradcheck():
    crf, emissions, mask = _make(3, [3, 1, 2], constraints="bio", tag_names=BIO)
    tags = torch.tensor([[1, 2, 0], [0, 0, 0], [1, 1, 0]])
    emissions.requires_grad_(True)
    crf(emissions, tags, mask).backward()
    for tensor in [emissions, *crf.parameters()]:
        assert torch.isfinite(tensor.grad).all()
    assert crf.transitions.grad[0, 2] == 0  # forbidden O -> I-PER gets no gradient

    assert torch.autograd.gradcheck(
        lambda e: crf(e, tags, mask, reduction="none"),
        (emissions.detach().requires_grad_(),),
    )


def test_numerically_stable_with_large_scores():
    crf = CRF(3)
    emissions = torch.randn(2, 50, 3) * 1e3
    tags = torch.randint(0, 3, (2, 50))
    nll = crf(emissions, tags, reduction="none")
    assert torch.isfinite(nll).all()
    assert torch.isfinite(crf.marginals(emissions)).all()


def test_float32_agrees_with_float64():
    crf, emissions, mask = _make(3, [4, 2, 3])
    crf32 = CRF(3)
    crf32.load_state_dict({k: v.float() for k, v in crf.state_dict().items()})
    torch.testing.assert_close(
        crf32.log_partition(emissions.float(), mask),
        crf.log_partition(emissions, mask).float(),
    )


def test_decode_as_tensor():
    crf, emissions, mask = _make(3, [4, 1, 3])
    paths = crf.decode(emissions, mask, as_tensor=True)
    assert paths.dtype == torch.long and paths.shape == (3, 4)
    assert (paths[~mask] == -100).all()
    as_lists = crf.decode(emissions, mask)
    assert [row[mask[i]].tolist() for i, row in enumerate(paths)] == as_lists
    padded = crf.decode(emissions, mask, as_tensor=True, padding_value=0)
    assert (padded[~mask] == 0).all()


def test_allowed_transitions_bio():
    start, trans, end = allowed_transitions("bio", BIO2)
    assert start.tolist() == [True, True, False, True, False]
    assert end.all()
    names = {
        (a, b)
        for i, a in enumerate(BIO2)
        for j, b in enumerate(BIO2)
        if not trans[i, j]
    }
    assert names == {
        ("O", "I-PER"),
        ("O", "I-LOC"),
        ("B-PER", "I-LOC"),
        ("I-PER", "I-LOC"),
        ("B-LOC", "I-PER"),
        ("I-LOC", "I-PER"),
    }


def test_allowed_transitions_iobes():
    start, trans, end = allowed_transitions("iobes", IOBES)
    assert start.tolist() == [True, True, False, False, True]
    assert end.tolist() == [True, False, False, True, True]
    allowed = {
        (a, b) for i, a in enumerate(IOBES) for j, b in enumerate(IOBES) if trans[i, j]
    }
    assert allowed == {
        ("O", "O"),
        ("O", "B-X"),
        ("O", "S-X"),
        ("B-X", "I-X"),
        ("B-X", "E-X"),
        ("I-X", "I-X"),
        ("I-X", "E-X"),
        ("E-X", "O"),
        ("E-X", "B-X"),
        ("E-X", "S-X"),
        ("S-X", "O"),
        ("S-X", "B-X"),
        ("S-X", "S-X"),
    }


@pytest.mark.parametrize(
    "tag_names, lengths",
    [(BIO, [4, 1, 3, 2]), (BIO2, [3, 1, 2]), (IOBES, [4, 2, 1, 3])],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_constraints_match_restricted_brute_force(tag_names, lengths, seed):
    scheme = "iobes" if "E-X" in tag_names else "bio"
    k = len(tag_names)
    crf, emissions, mask = _make(
        k, lengths, seed=seed, constraints=scheme, tag_names=tag_names
    )
    # Push the unconstrained optimum towards forbidden transitions.
    with torch.no_grad():
        crf.transitions.masked_fill_(~crf.allowed_transitions, 10.0)
        crf.start_transitions.masked_fill_(~crf.allowed_start, 10.0)
    log_z = crf.log_partition(emissions, mask)
    decoded = crf.decode(emissions, mask)
    marginals = crf.marginals(emissions, mask)
    for b, length in enumerate(lengths):
        assert _allowed(crf, decoded[b])
        paths, scores = _brute_force(crf, emissions[b], length, restrict=True)
        torch.testing.assert_close(
            log_z[b], torch.logsumexp(scores, 0), rtol=0, atol=1e-10
        )
        assert decoded[b] == list(paths[int(scores.argmax())])
        expected = _brute_marginals(paths, scores, length, k)
        torch.testing.assert_close(marginals[b, :length], expected, rtol=0, atol=1e-10)


def test_constraints_as_masks_equal_scheme():
    masks = allowed_transitions("bio", BIO)
    crf_a, emissions, mask = _make(3, [4, 2], constraints="bio", tag_names=BIO)
    crf_b = CRF(3, constraints=masks).double()
    crf_b.load_state_dict(crf_a.state_dict())
    torch.testing.assert_close(
        crf_b.log_partition(emissions, mask), crf_a.log_partition(emissions, mask)
    )


def test_forbidden_gold_path_gets_impossible_score():
    crf, emissions, mask = _make(3, [2], constraints="bio", tag_names=BIO)
    nll = crf(emissions, torch.tensor([[0, 2]]), mask)  # O -> I-PER
    assert nll.item() > -IMPOSSIBLE_SCORE / 2
    assert math.isfinite(nll.item())


def test_pickle_and_state_dict_round_trip():
    crf, emissions, mask = _make(3, [3, 2], constraints="bio", tag_names=BIO)
    clone = pickle.loads(pickle.dumps(crf))
    torch.testing.assert_close(
        clone.marginals(emissions, mask), crf.marginals(emissions, mask)
    )
    assert set(crf.state_dict()) == {
        "start_transitions",
        "end_transitions",
        "transitions",
        "allowed_start",
        "allowed_transitions",
        "allowed_end",
    }


def test_input_errors():
    crf = CRF(3)
    emissions = torch.randn(2, 3, 3)
    tags = torch.zeros(2, 3, dtype=torch.long)
    with pytest.raises(ValueError, match=r"emissions must .* got shape \(3, 3\)"):
        crf.decode(emissions[0])
    with pytest.raises(ValueError, match=r"num_tags=3 .* got shape \(2, 3, 4\)"):
        crf.log_partition(torch.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"mask must .* \(2, 3\); got shape \(2, 2\)"):
        crf.marginals(emissions, torch.ones(2, 2, dtype=torch.bool))
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        crf.marginals(emissions, torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"first step .* mask\[1, 0\] is False"):
        crf.decode(emissions, torch.tensor([[True, True, True], [False, True, True]]))
    with pytest.raises(ValueError, match="padding must come after"):
        crf.decode(emissions, torch.tensor([[True, False, True], [True, True, True]]))
    with pytest.raises(
        ValueError, match=r"tags must be a LongTensor .* got shape \(2, 2\)"
    ):
        crf(emissions, tags[:, :2])
    with pytest.raises(ValueError, match=r"tags\[1, 2\] = 3"):
        crf(emissions, torch.tensor([[0, 1, 2], [0, 1, 3]]))
    with pytest.raises(TypeError, match="integer tensor"):
        crf(emissions, tags.float())
    with pytest.raises(ValueError, match="reduction must be one of"):
        crf(emissions, tags, reduction="max")
    with pytest.raises(ValueError, match="at least one sequence"):
        crf.decode(torch.randn(0, 3, 3))


def test_constructor_errors():
    with pytest.raises(ValueError, match="num_tags must be a positive int"):
        CRF(0)
    with pytest.raises(ValueError, match="needs tag_names"):
        CRF(3, constraints="bio")
    with pytest.raises(ValueError, match="num_tags=3 names; got 2"):
        CRF(3, constraints="bio", tag_names=["O", "B-X"])
    with pytest.raises(ValueError, match="'X-PER' is not a valid BIO tag"):
        CRF(3, constraints="bio", tag_names=["O", "B-PER", "X-PER"])
    with pytest.raises(ValueError, match="constraints must be one of"):
        CRF(3, constraints="bilou", tag_names=BIO)
    with pytest.raises(ValueError, match=r"must have shapes"):
        CRF(3, constraints=(torch.ones(3), torch.ones(3, 2), torch.ones(3)))
