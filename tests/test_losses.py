# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of sklearn_seq.losses.

Expected values come from direct NumPy computations of the formulas (or from
hand computation), never from the code under test.
"""

import inspect
import itertools
import math
import pickle

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, clone
from torch import nn

from sklearn_seq.losses import (
    ContrastiveLoss,
    FocalLoss,
    MultiTaskLoss,
    RegularizedLoss,
    TripletLoss,
)

IGNORE = -100


# --------------------------------------------------------------------------
# NumPy references
# --------------------------------------------------------------------------


def _reduce_np(loss, reduction, denominator):
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / denominator


def focal_multiclass_np(
    logits, target, gamma, alpha=None, weight=None, reduction="mean"
):
    """FL = -w_t alpha_t (1 - p_t)^gamma log p_t, with softmax probabilities."""
    n_classes = logits.shape[1]
    flat_logits = np.moveaxis(logits, 1, -1).reshape(-1, n_classes)
    flat_target = target.reshape(-1)
    valid = flat_target != IGNORE
    t = np.where(valid, flat_target, 0)
    shifted = flat_logits - flat_logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_pt = log_p[np.arange(len(t)), t]
    pt = np.exp(log_pt)
    alpha_t = 1.0 if alpha is None else np.asarray(alpha)[t]
    weight_t = np.ones(len(t)) if weight is None else np.asarray(weight)[t]
    loss = -weight_t * alpha_t * (1.0 - pt) ** gamma * log_pt * valid
    denominator = (weight_t * valid).sum()
    return _reduce_np(loss.reshape(target.shape), reduction, denominator)


def focal_binary_np(logits, target, gamma, alpha=None, weight=None):
    """Seed formula: p_t = p if y = 1 else 1 - p, alpha_t likewise; mean."""
    p = 1.0 / (1.0 + np.exp(-logits))
    valid = target != IGNORE
    y = np.where(valid, target, 0)
    pt = np.where(y == 1, p, 1.0 - p)
    alpha_t = 1.0 if alpha is None else np.where(y == 1, alpha, 1.0 - alpha)
    weight_t = np.ones_like(p) if weight is None else np.where(y == 1, *weight[::-1])
    loss = -weight_t * alpha_t * (1.0 - pt) ** gamma * np.log(pt) * valid
    return loss.sum() / (weight_t * valid).sum()


def distances_np(x, distance):
    diff = x[:, None, :] - x[None, :, :]
    if distance == "cosine":
        unit = x / np.linalg.norm(x, axis=1, keepdims=True)
        return 1.0 - unit @ unit.T
    squared = (diff**2).sum(-1)
    return squared if distance == "squared_euclidean" else np.sqrt(squared)


def triplet_np(x, labels, margin, distance, mining):
    """Brute force over anchors, positives and negatives."""
    d = distances_np(x, distance)
    n = len(labels)
    considered = []
    for a in range(n):
        pos = [p for p in range(n) if p != a and labels[p] == labels[a]]
        neg = [k for k in range(n) if labels[k] != labels[a]]
        if not pos or not neg:
            continue
        if mining == "batch_hard":
            considered.append(max(d[a, pos]) - min(d[a, neg]) + margin)
        elif mining == "semi_hard":
            for p in pos:
                farther = [d[a, k] for k in neg if d[a, k] > d[a, p]]
                chosen = min(farther) if farther else max(d[a, neg])
                considered.append(d[a, p] - chosen + margin)
        else:
            considered.extend(d[a, p] - d[a, k] + margin for p in pos for k in neg)
    losses = np.maximum(np.asarray(considered, dtype=float), 0.0)
    if len(losses) == 0:
        return 0.0, 0.0
    active = losses > 0
    if mining == "batch_all":
        value = losses[active].mean() if active.any() else 0.0
    else:
        value = losses.mean()
    return value, active.mean()


def contrastive_np(d, y, margin):
    return np.mean(y * d**2 + (1 - y) * np.maximum(margin - d, 0.0) ** 2)


# --------------------------------------------------------------------------
# FocalLoss
# --------------------------------------------------------------------------


def test_focal_seed_worked_example():
    # Notes, 14.5: easy p_t = 0.9 and hard p_t = 0.5 with gamma = 2.
    logits = torch.logit(torch.tensor([0.9, 0.5], dtype=torch.float64))
    target = torch.ones(2, dtype=torch.float64)
    focal = FocalLoss(gamma=2.0, reduction="none")(logits, target)
    ce = FocalLoss(gamma=0.0, reduction="none")(logits, target)
    expected_ce = [-math.log(0.9), -math.log(0.5)]  # 0.105..., 0.693...
    expected_focal = [0.1**2 * expected_ce[0], 0.5**2 * expected_ce[1]]
    np.testing.assert_allclose(ce.numpy(), expected_ce, rtol=1e-10)
    np.testing.assert_allclose(focal.numpy(), expected_focal, rtol=1e-10)
    np.testing.assert_allclose(focal.numpy(), [0.0010536, 0.1732868], atol=1e-7)
    ratios = (ce / focal).numpy()
    np.testing.assert_allclose(ratios, [100.0, 4.0], rtol=1e-10)
    # The same with two-class and three-class softmax logits.
    probs = torch.tensor([[0.1, 0.9], [0.5, 0.5]], dtype=torch.float64)
    loss = FocalLoss(gamma=2.0, reduction="none")(probs.log(), torch.tensor([1, 0]))
    np.testing.assert_allclose(loss.numpy(), expected_focal, rtol=1e-10)
    probs3 = torch.tensor([[0.9, 0.05, 0.05], [0.25, 0.5, 0.25]], dtype=torch.float64)
    loss3 = FocalLoss(gamma=2.0, reduction="none")(probs3.log(), torch.tensor([0, 1]))
    np.testing.assert_allclose(loss3.numpy(), expected_focal, rtol=1e-10)


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 3.7])
@pytest.mark.parametrize("with_alpha", [False, True])
@pytest.mark.parametrize("with_weight", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_focal_multiclass_matches_numpy(gamma, with_alpha, with_weight, reduction):
    rng = np.random.default_rng(0)
    logits = rng.normal(scale=3.0, size=(7, 4, 5))
    target = rng.integers(0, 4, size=(7, 5))
    target[rng.random((7, 5)) < 0.2] = IGNORE
    alpha = [0.1, 0.4, 0.3, 0.9] if with_alpha else None
    weight = np.array([0.5, 2.0, 1.0, 3.0]) if with_weight else None
    loss = FocalLoss(
        gamma=gamma,
        alpha=alpha,
        reduction=reduction,
        weight=None if weight is None else torch.tensor(weight),
    )(torch.tensor(logits), torch.tensor(target))
    expected = focal_multiclass_np(logits, target, gamma, alpha, weight, reduction)
    np.testing.assert_allclose(loss.numpy(), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("gamma", [0.0, 1.0, 2.0])
@pytest.mark.parametrize("alpha", [None, 0.25])
@pytest.mark.parametrize("weight", [None, (0.3, 2.0)])
@pytest.mark.parametrize("shape", [(20,), (20, 1)])
def test_focal_binary_matches_numpy(gamma, alpha, weight, shape):
    rng = np.random.default_rng(1)
    logits = rng.normal(scale=3.0, size=20)
    target = rng.integers(0, 2, size=20).astype(float)
    target[:3] = IGNORE
    loss = FocalLoss(
        gamma=gamma,
        alpha=alpha,
        weight=None if weight is None else torch.tensor(weight, dtype=torch.float64),
    )(torch.tensor(logits).reshape(shape), torch.tensor(target))
    expected = focal_binary_np(logits, target, gamma, alpha, weight)
    np.testing.assert_allclose(loss.item(), expected, rtol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("with_weight", [False, True])
def test_focal_gamma0_equals_cross_entropy(reduction, with_weight):
    gen = torch.Generator().manual_seed(0)
    weight = torch.tensor([0.2, 1.0, 3.0]) if with_weight else None
    for logits, target in [
        (torch.randn(16, 3, generator=gen), torch.randint(0, 3, (16,), generator=gen)),
        (
            torch.randn(4, 3, 6, generator=gen),  # (N, K, T): sequence tagging
            torch.randint(0, 3, (4, 6), generator=gen),
        ),
    ]:
        target = target.clone()
        target.view(-1)[::5] = IGNORE
        kwargs = {"weight": weight, "reduction": reduction, "ignore_index": IGNORE}
        ours = FocalLoss(gamma=0.0, **kwargs)(logits, target)
        ref = nn.CrossEntropyLoss(**kwargs)(logits, target)
        torch.testing.assert_close(ours, ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_focal_gamma0_equals_bce_with_logits(reduction):
    gen = torch.Generator().manual_seed(0)
    logits = 4 * torch.randn(32, generator=gen)
    soft = torch.rand(32, generator=gen)  # soft labels too, like BCEWithLogitsLoss
    hard = (soft > 0.5).float()
    ref_loss = nn.BCEWithLogitsLoss(reduction=reduction)
    for target in (hard, soft):
        for x in (logits, logits[:, None]):
            ours = FocalLoss(gamma=0.0, reduction=reduction)(x, target)
            ref = ref_loss(logits, target)
            torch.testing.assert_close(ours, ref, rtol=1e-6, atol=1e-6)
    # (N, T) per-step binary logits with the same-shape targets
    ours = FocalLoss(gamma=0.0, reduction=reduction)(logits.view(4, 8), hard.view(4, 8))
    ref = ref_loss(logits.view(4, 8), hard.view(4, 8))
    torch.testing.assert_close(ours, ref, rtol=1e-6, atol=1e-6)


def test_focal_binary_logit_equals_two_class_logits():
    gen = torch.Generator().manual_seed(3)
    x = 3 * torch.randn(25, generator=gen, dtype=torch.float64)
    y = torch.randint(0, 2, (25,), generator=gen)
    y[0] = IGNORE
    for params in [
        {"gamma": 2.0},
        {"gamma": 1.3, "alpha": 0.25, "weight": torch.tensor([0.4, 2.5]).double()},
        {"gamma": 0.5, "alpha": [0.7, 0.2], "reduction": "none"},
    ]:
        binary = FocalLoss(**params)(x, y.to(torch.float64))
        two = torch.stack([torch.zeros_like(x), x], dim=1)
        multiclass = FocalLoss(**params)(two, y)
        torch.testing.assert_close(binary, multiclass, rtol=1e-12, atol=1e-12)


def test_focal_gamma_downweights_easy_examples():
    logits = torch.tensor([[4.0, 0.0], [0.2, 0.0]])
    target = torch.tensor([0, 0])
    losses = [
        FocalLoss(gamma=g, reduction="none")(logits, target) for g in (0, 1, 2, 5)
    ]
    ratios = [(loss[0] / loss[1]).item() for loss in losses]
    assert all(a > b for a, b in itertools.pairwise(ratios))


@pytest.mark.parametrize("gamma", [0.0, 0.3, 2.0, 5.0])
@pytest.mark.parametrize("binary", [False, True])
def test_focal_stable_with_huge_logits(gamma, binary):
    if binary:
        logits = torch.tensor([1e4, -1e4, 1e4, -1e4], requires_grad=True)
        target = torch.tensor([1.0, 1.0, 0.0, 0.0])
        expected = [0.0, 1e4, 1e4, 0.0]
        weight = torch.tensor([1.0, 2.0])
    else:
        logits = torch.tensor(
            [[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0], [0.0, 0.0, -1e4]],
            requires_grad=True,
        )
        target = torch.tensor([0, 0, 2])
        expected = [0.0, 2e4, 1e4 + math.log(2)]
        weight = torch.tensor([1.0, 2.0, 0.5])
    loss = FocalLoss(gamma=gamma, alpha=None, reduction="none")
    values = loss(logits, target)
    assert torch.isfinite(values).all()
    torch.testing.assert_close(values, torch.tensor(expected), rtol=1e-5, atol=1e-5)
    for params in ({}, {"alpha": [0.3] * len(weight), "weight": weight}):
        total = FocalLoss(gamma=gamma, **params)(logits, target)
        (grad,) = torch.autograd.grad(total, logits)
        assert torch.isfinite(total)
        assert torch.isfinite(grad).all()


def test_focal_gradcheck_float64():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 3, 4, generator=gen, dtype=torch.float64)
    logits.requires_grad_(True)
    target = torch.randint(0, 3, (5, 4), generator=gen)
    target[0, 0] = IGNORE
    loss = FocalLoss(
        gamma=1.5, alpha=[0.2, 0.5, 0.3], weight=torch.tensor([1.0, 2.0, 0.5])
    )
    assert torch.autograd.gradcheck(lambda x: loss(x, target), (logits,))
    x = torch.randn(12, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 2, (12,), generator=gen).to(torch.float64)
    for params in ({"gamma": 2.0, "alpha": 0.25}, {"gamma": 0.7, "reduction": "none"}):
        binary = FocalLoss(**params)
        assert torch.autograd.gradcheck(lambda x, b=binary: b(x, y), (x,))


def test_focal_ignored_and_empty_targets():
    logits = torch.randn(4, 3, requires_grad=True)
    target = torch.tensor([IGNORE] * 4)
    loss = FocalLoss()(logits, target)
    assert loss.item() == 0.0  # not NaN
    loss.backward()
    assert torch.equal(logits.grad, torch.zeros_like(logits))
    per_element = FocalLoss(reduction="none")(logits, torch.tensor([0, IGNORE, 1, 2]))
    assert per_element.shape == (4,)
    assert per_element[1].item() == 0.0


def test_focal_set_params_takes_effect():
    logits = torch.tensor([[1.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    target = torch.tensor([1, 1])
    loss = FocalLoss(gamma=2.0)
    before = loss(logits, target).item()
    loss.set_params(gamma=0.0, alpha=[0.5, 0.5])
    # alpha = 0.5 for every class halves plain cross-entropy
    ce = nn.CrossEntropyLoss()(logits, target).item()
    assert loss(logits, target).item() == pytest.approx(0.5 * ce, rel=1e-12)
    assert before != pytest.approx(0.5 * ce)
    loss.weight = torch.tensor([1.0, 4.0], dtype=torch.float64)
    assert "weight" in dict(loss.named_buffers())
    assert loss(logits, target).item() == pytest.approx(0.5 * ce, rel=1e-12)
    loss.weight = [1.0, 4.0]  # array-like also works, as a plain attribute
    assert loss(logits, target).item() == pytest.approx(0.5 * ce, rel=1e-12)
    loss.weight = None
    assert "weight" not in loss.state_dict()


def test_focal_weight_follows_dtype_and_device():
    weight = torch.tensor([1.0, 3.0])
    loss = FocalLoss(weight=weight)
    assert "weight" in loss.state_dict()
    moved = loss.to(torch.float64)
    assert moved.weight.dtype == torch.float64
    torch.testing.assert_close(moved.weight, weight.to(torch.float64))
    logits = torch.randn(6, 2, dtype=torch.float64)
    out = moved(logits, torch.tensor([0, 1, 1, 0, 1, 1]))
    assert out.dtype == torch.float64


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_focal_weight_moves_to_cuda():
    loss = FocalLoss(weight=torch.tensor([1.0, 3.0])).to("cuda")
    assert loss.weight.is_cuda
    logits = torch.randn(6, 2, device="cuda")
    target = torch.tensor([0, 1, 1, 0, 1, 1], device="cuda")
    expected = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 3.0]))(
        logits.cpu(), target.cpu()
    )
    loss.gamma = 0.0
    torch.testing.assert_close(loss(logits, target).cpu(), expected)


@pytest.mark.parametrize(
    ("params", "args", "match"),
    [
        ({"gamma": -1.0}, "multi", "'gamma' parameter of FocalLoss"),
        ({"gamma": "2"}, "multi", "'gamma' parameter of FocalLoss"),
        ({"reduction": "avg"}, "multi", "'reduction' parameter"),
        ({"ignore_index": 1.5}, "multi", "'ignore_index' parameter"),
        ({"alpha": 0.25}, "multi", "'alpha' parameter.*sequence of 3"),
        ({"alpha": [0.2, 0.8]}, "multi", r"'alpha' parameter.*shape \(3,\)"),
        ({"alpha": 1.5}, "binary", "'alpha' parameter.*range"),
        ({"weight": torch.ones(3)}, "binary", r"'weight' parameter.*shape \(2,\)"),
        ({"weight": [1.0, -1.0, 1.0]}, "multi", "'weight' parameter.*non-negative"),
    ],
)
def test_focal_invalid_parameters_raise_at_call(params, args, match):
    loss = FocalLoss(**params)  # never raises in the constructor
    clone(loss)
    if args == "multi":
        call = (torch.randn(2, 3), torch.tensor([0, 2]))
    else:
        call = (torch.randn(2), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=match):
        loss(*call)


def test_focal_invalid_inputs():
    loss = FocalLoss()
    with pytest.raises(ValueError, match="integer class indices"):
        loss(torch.randn(4, 3), torch.zeros(4))
    with pytest.raises(ValueError, match="outside"):
        loss(torch.randn(4, 3), torch.tensor([0, 1, 3, 0]))
    with pytest.raises(ValueError, match="same shape"):
        loss(torch.randn(4, 3), torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"targets in \[0, 1\]"):
        loss(torch.randn(4), torch.tensor([0.0, 1.0, 2.0, 0.0]))


# --------------------------------------------------------------------------
# TripletLoss
# --------------------------------------------------------------------------


@pytest.mark.parametrize("mining", ["batch_hard", "batch_all", "semi_hard", None])
@pytest.mark.parametrize("distance", ["euclidean", "squared_euclidean", "cosine"])
@pytest.mark.parametrize("margin", [0.2, 1.0])
def test_triplet_matches_numpy(mining, distance, margin):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(14, 3))
    labels = rng.integers(0, 4, size=14)
    loss = TripletLoss(margin=margin, distance=distance, mining=mining)
    value = loss(torch.tensor(x), torch.tensor(labels))
    expected, active = triplet_np(x, labels, margin, distance, mining)
    assert value.item() == pytest.approx(expected, rel=1e-9, abs=1e-12)
    assert loss.active_fraction_ == pytest.approx(active)
    assert isinstance(loss.active_fraction_, float)


def test_triplet_batch_hard_picks_hardest_on_hand_made_batch():
    # points on a line; class 0 at 0.0, 0.1, 0.55 and class 1 at 0.3, 2.0
    x = torch.tensor([[0.0], [0.1], [0.55], [0.3], [2.0]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 0, 1, 1])
    # hardest (farthest) positive and hardest (closest) negative, by hand
    hardest = {0: (2, 3), 1: (2, 3), 2: (0, 3), 3: (4, 1), 4: (3, 2)}
    margin = 0.2
    pos = x.flatten()
    expected = np.mean(
        [
            max(abs(pos[a] - pos[p]) - abs(pos[a] - pos[n]) + margin, 0.0)
            for a, (p, n) in hardest.items()
        ]
    )
    # (0.55 - 0.3 + 0.2 + 0.45 - 0.2 + 0.2 + 0.55 - 0.25 + 0.2
    #  + 1.7 - 0.2 + 0.2 + 1.7 - 1.45 + 0.2) / 5
    assert expected == pytest.approx(3.55 / 5)
    loss = TripletLoss(margin=margin, mining="batch_hard")
    assert loss(x, labels).item() == pytest.approx(expected, rel=1e-12)
    assert loss.active_fraction_ == 1.0
    # picking the closest positive or the farthest negative gives other values
    for anchor, choice in [(0, (1, 3)), (3, (4, 2)), (1, (2, 4))]:
        wrong = {**hardest, anchor: choice}
        other = np.mean(
            [
                max(abs(pos[a] - pos[p]) - abs(pos[a] - pos[n]) + margin, 0.0)
                for a, (p, n) in wrong.items()
            ]
        )
        assert loss(x, labels).item() != pytest.approx(other)


def test_triplet_semi_hard_on_hand_made_batch():
    # anchor 0 at 0.0, its positive at 1.0, negatives with distinct labels:
    # 0.5 (hard: closer than the positive), 1.1 and 1.15 (semi-hard), 3.0 (easy)
    x = torch.tensor([[0.0], [1.0], [0.5], [1.1], [1.15], [3.0]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 1, 2, 3, 4])
    loss = TripletLoss(margin=0.2, mining="semi_hard")
    # (0, 1) picks 1.1: 1.0 - 1.1 + 0.2 = 0.1; (1, 0): negatives at 0.5, 0.1,
    # 0.15, 2.0 from 1.0; only 2.0 is farther than 1.0: max(1 - 2 + 0.2, 0) = 0
    assert loss(x, labels).item() == pytest.approx(0.05, rel=1e-12)
    assert loss.active_fraction_ == 0.5
    # without a negative farther than the positive, the farthest negative is used
    x = torch.tensor([[0.0], [1.0], [0.3], [0.6]], dtype=torch.float64)
    loss(x, torch.tensor([0, 0, 1, 2]))
    # (0, 1): 1.0 - 0.6 + 0.2 = 0.6; (1, 0): 1.0 - 0.7 + 0.2 = 0.5
    assert loss(x, torch.tensor([0, 0, 1, 2])).item() == pytest.approx(0.55)


def test_triplet_batch_all_and_none_on_hand_made_batch():
    x = torch.tensor([[0.0], [0.3], [0.4], [5.0]], dtype=torch.float64)
    labels = torch.tensor([0, 0, 1, 1])
    # d: (0,1)=0.3 (0,2)=0.4 (0,3)=5 (1,2)=0.1 (1,3)=4.7 (2,3)=4.6, margin 1
    # triplets (a, p, n) -> d(a,p) - d(a,n) + 1:
    # (0,1,2) 0.9 (0,1,3) 0 -> relu 0 (-3.7) ; (1,0,2) 1.2 ; (1,0,3) -3.4
    # (2,3,0) 5.2 ; (2,3,1) 5.5 ; (3,2,0) 0.6 ; (3,2,1) 0.9
    active = [0.9, 1.2, 5.2, 5.5, 0.6, 0.9]
    loss = TripletLoss(margin=1.0, mining="batch_all")
    assert loss(x, labels).item() == pytest.approx(np.mean(active))
    assert loss.active_fraction_ == pytest.approx(6 / 8)
    loss.set_params(mining=None)
    assert loss(x, labels).item() == pytest.approx(np.sum(active) / 8)
    assert loss.active_fraction_ == pytest.approx(6 / 8)


@pytest.mark.parametrize("mining", ["batch_hard", "batch_all", "semi_hard", None])
@pytest.mark.parametrize("labels", [[0, 0, 0, 0], [0, 1, 2, 3], [7]])
def test_triplet_no_valid_triplet_gives_zero_with_grad(mining, labels):
    x = torch.randn(len(labels), 3, requires_grad=True)
    loss = TripletLoss(mining=mining)
    value = loss(x, torch.tensor(labels))
    assert value.item() == 0.0
    assert loss.active_fraction_ == 0.0
    value.backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("mining", ["batch_hard", "batch_all", "semi_hard", None])
@pytest.mark.parametrize("distance", ["euclidean", "squared_euclidean", "cosine"])
def test_triplet_gradcheck_float64(mining, distance):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(8, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1, 1, 2, 2, 0])
    loss = TripletLoss(margin=0.5, distance=distance, mining=mining)
    assert torch.autograd.gradcheck(lambda e: loss(e, labels), (x,))


def test_triplet_duplicate_embeddings_have_finite_gradients():
    x = torch.tensor([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [0.0, 0.0]])
    x.requires_grad_(True)
    loss = TripletLoss(mining="batch_all")(x, torch.tensor([0, 0, 1, 1]))
    loss.backward()
    assert torch.isfinite(loss)
    assert torch.isfinite(x.grad).all()


def test_triplet_invalid():
    x, labels = torch.randn(4, 2), torch.tensor([0, 0, 1, 1])
    with pytest.raises(ValueError, match="'mining' parameter of TripletLoss"):
        TripletLoss(mining="hardest")(x, labels)
    with pytest.raises(ValueError, match="'distance' parameter"):
        TripletLoss(distance="manhattan")(x, labels)
    with pytest.raises(ValueError, match="'margin' parameter"):
        TripletLoss(margin=-0.1)(x, labels)
    with pytest.raises(ValueError, match=r"shape \(batch_size, n_dims\)"):
        TripletLoss()(x[None], labels)
    with pytest.raises(ValueError, match="labels of shape"):
        TripletLoss()(x, labels[:3])


# --------------------------------------------------------------------------
# ContrastiveLoss
# --------------------------------------------------------------------------


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
@pytest.mark.parametrize("margin", [0.5, 2.0])
def test_contrastive_matches_numpy(distance, margin):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(9, 4))
    labels = rng.integers(0, 3, size=9)
    loss = ContrastiveLoss(margin=margin, distance=distance)
    d = distances_np(x, distance)
    rows, cols = np.triu_indices(9, k=1)
    expected = contrastive_np(
        d[rows, cols], (labels[rows] == labels[cols]).astype(float), margin
    )
    assert loss(torch.tensor(x), torch.tensor(labels)).item() == pytest.approx(
        expected, rel=1e-10
    )
    # explicit pairs
    a, b = x[:5], rng.normal(size=(5, 4))
    same = np.array([1, 0, 1, 0, 0])
    if distance == "cosine":
        d_pairs = 1 - (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(
            b, axis=1
        )
    else:
        d_pairs = np.linalg.norm(a - b, axis=1)
    value = loss(torch.tensor(a), torch.tensor(b), torch.tensor(same, dtype=bool))
    assert value.item() == pytest.approx(contrastive_np(d_pairs, same, margin))
    assert 0.0 <= loss.active_fraction_ <= 1.0


def test_contrastive_gradcheck_and_edge_cases():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(6, 3, generator=gen, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0, 0, 1, 1, 2, 0])
    for distance in ("euclidean", "cosine"):
        loss = ContrastiveLoss(margin=1.5, distance=distance)
        assert torch.autograd.gradcheck(lambda e, f=loss: f(e, labels), (x,))
        assert torch.autograd.gradcheck(
            lambda e, f=loss: f(e[:3], e[3:], torch.tensor([1, 0, 1])), (x,)
        )
    # a single sample has no pair; identical embeddings keep finite gradients
    single = torch.randn(1, 3, requires_grad=True)
    value = ContrastiveLoss()(single, torch.tensor([0]))
    assert value.item() == 0.0
    value.backward()
    same = torch.ones(3, 2, requires_grad=True)
    ContrastiveLoss()(same, torch.tensor([0, 0, 1])).backward()
    assert torch.isfinite(same.grad).all()
    with pytest.raises(ValueError, match="'distance' parameter of ContrastiveLoss"):
        ContrastiveLoss(distance="squared")(x, labels)
    with pytest.raises(ValueError, match="same shape"):
        ContrastiveLoss()(x, x[:3], torch.ones(6))


# --------------------------------------------------------------------------
# MultiTaskLoss
# --------------------------------------------------------------------------


def _task_data():
    gen = torch.Generator().manual_seed(0)
    outputs = {
        "label": torch.randn(6, 3, generator=gen, dtype=torch.float64),
        "value": torch.randn(6, generator=gen, dtype=torch.float64),
    }
    targets = {
        "label": torch.randint(0, 3, (6,), generator=gen),
        "value": torch.randn(6, generator=gen, dtype=torch.float64),
    }
    return outputs, targets


def _task_losses_np(outputs, targets):
    logits = outputs["label"].numpy()
    log_p = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    ce = -log_p[np.arange(6), targets["label"].numpy()].mean()
    mse = ((outputs["value"].numpy() - targets["value"].numpy()) ** 2).mean()
    return ce, mse


def test_multitask_fixed_weights_matches_numpy():
    outputs, targets = _task_data()
    ce, mse = _task_losses_np(outputs, targets)
    losses = {"label": nn.CrossEntropyLoss(), "value": nn.MSELoss()}
    loss = MultiTaskLoss(losses, weights={"label": 2.0, "value": 0.5})
    assert loss(outputs, targets).item() == pytest.approx(2.0 * ce + 0.5 * mse)
    assert loss.task_losses_ == pytest.approx({"label": ce, "value": mse})
    assert list(loss.parameters()) == []
    # list form with positional outputs, default weights of 1
    as_list = MultiTaskLoss([nn.CrossEntropyLoss(), nn.MSELoss()], weights=None)
    value = as_list(
        [outputs["label"], outputs["value"]], (targets["label"], targets["value"])
    )
    assert value.item() == pytest.approx(ce + mse)


def test_multitask_learned_uncertainty_weights():
    outputs, targets = _task_data()
    ce, mse = _task_losses_np(outputs, targets)
    losses = {"label": nn.CrossEntropyLoss(), "value": nn.MSELoss()}
    loss = MultiTaskLoss(losses, learn_weights=True).to(torch.float64)
    params = dict(loss.named_parameters())
    assert list(params) == ["log_vars"]
    assert loss(outputs, targets).item() == pytest.approx(ce + mse)  # s = 0
    s = np.array([0.3, -0.7])
    with torch.no_grad():
        loss.log_vars.copy_(torch.tensor(s))
    expected = np.exp(-s[0]) * ce + s[0] + np.exp(-s[1]) * mse + s[1]
    assert loss(outputs, targets).item() == pytest.approx(expected)
    # d/ds_i = 1 - exp(-s_i) L_i
    value = loss(outputs, targets)
    (grad,) = torch.autograd.grad(value, loss.log_vars)
    np.testing.assert_allclose(
        grad.numpy(), [1 - np.exp(-s[0]) * ce, 1 - np.exp(-s[1]) * mse]
    )
    assert torch.autograd.gradcheck(
        lambda lv, y: MultiTaskLoss({"value": nn.MSELoss()})(
            {"value": lv}, {"value": y}
        ),
        (
            outputs["value"].clone().requires_grad_(True),
            targets["value"],
        ),
    )
    # toggling learn_weights adds or removes the parameter
    loss.set_params(learn_weights=False)
    assert loss.log_vars is None
    assert list(loss.parameters()) == []


def test_multitask_registers_criteria_and_moves_them():
    weight = torch.tensor([1.0, 2.0, 3.0])
    losses = {"label": FocalLoss(weight=weight), "value": nn.MSELoss()}
    loss = MultiTaskLoss(losses)
    assert loss.losses is losses  # stored as given, for clone
    moved = loss.to(torch.float64)
    assert losses["label"].weight.dtype == torch.float64
    assert any(k.endswith("weight") for k in moved.state_dict())


def test_multitask_errors():
    outputs, targets = _task_data()
    loss = MultiTaskLoss({"label": nn.CrossEntropyLoss(), "other": nn.MSELoss()})
    with pytest.raises(KeyError, match="task 'other'"):
        loss(outputs, targets)
    with pytest.raises(ValueError, match="'weights' parameter"):
        MultiTaskLoss({"label": nn.CrossEntropyLoss()}, weights={"x": 1.0})(
            outputs, targets
        )
    with pytest.raises(ValueError, match="'weights' parameter"):
        MultiTaskLoss([nn.MSELoss()], weights=[1.0, 2.0])([1], [1])
    with pytest.raises(ValueError, match="criterion instances"):
        MultiTaskLoss({"value": nn.MSELoss})(outputs, targets)
    with pytest.raises(ValueError, match="'losses' parameter"):
        MultiTaskLoss({})(outputs, targets)


# --------------------------------------------------------------------------
# RegularizedLoss
# --------------------------------------------------------------------------


def _model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()


def test_regularized_matches_numpy():
    model = _model()
    logits = model(torch.randn(5, 3, dtype=torch.float64))
    target = torch.tensor([0, 1, 1, 0, 1])
    loss = RegularizedLoss(nn.CrossEntropyLoss(), l1=0.01, l2=0.1).set_module(model)
    data = nn.CrossEntropyLoss()(logits, target).item()
    weights = [model[0].weight.detach().numpy(), model[2].weight.detach().numpy()]
    expected = (
        data
        + 0.01 * sum(np.abs(w).sum() for w in weights)
        + 0.1 * sum((w**2).sum() for w in weights)
    )
    assert loss(logits, target).item() == pytest.approx(expected, rel=1e-12)
    assert loss.penalty_ == pytest.approx(expected - data, rel=1e-12)
    names = [name for name, _ in loss.penalized_parameters()]
    assert names == ["0.weight", "2.weight"]
    # the penalty's gradient reaches the weights, not the biases
    model.zero_grad()
    loss.penalty().backward()
    w = model[0].weight.detach()
    torch.testing.assert_close(model[0].weight.grad, 0.01 * torch.sign(w) + 0.2 * w)
    assert model[0].bias.grad is None


def test_regularized_skips_recurrent_biases():
    loss = RegularizedLoss(nn.MSELoss()).set_module(nn.LSTM(2, 3))
    names = [name for name, _ in loss.penalized_parameters()]
    assert names == ["weight_ih_l0", "weight_hh_l0"]
    frozen = nn.Linear(2, 2)
    frozen.weight.requires_grad_(False)
    assert loss.set_module(frozen).penalized_parameters() == []


class _Holder(nn.Module):
    """Expose a given tensor as the module's only weight, for gradcheck."""

    def __init__(self, tensor):
        super().__init__()
        self.tensor = tensor

    def named_parameters(self, *args, **kwargs):
        yield "layer.weight", self.tensor


def test_regularized_penalty_gradcheck():
    loss = RegularizedLoss(nn.MSELoss(), l1=0.3, l2=0.2)
    weight = torch.tensor([[0.5, -1.2], [0.8, 2.0]], dtype=torch.float64)
    value = loss.set_module(_Holder(weight.requires_grad_(True))).penalty()
    assert value.item() == pytest.approx(0.3 * 4.5 + 0.2 * (0.25 + 1.44 + 0.64 + 4))
    assert torch.autograd.gradcheck(
        lambda w: loss.set_module(_Holder(w)).penalty(),
        (weight.detach().clone().requires_grad_(True),),
    )


def test_regularized_does_not_own_the_module():
    model = _model()
    loss = RegularizedLoss(FocalLoss(weight=torch.ones(2)), l2=0.1).set_module(model)
    assert list(loss.parameters()) == []
    assert list(loss.state_dict()) == ["criterion.weight"]
    assert loss.get_params(deep=False)["criterion"] is loss.criterion
    restored = pickle.loads(pickle.dumps(loss))
    with pytest.raises(RuntimeError, match=r"set_module\(module\)"):
        restored(torch.randn(2, 2), torch.tensor([0, 1]))
    restored.set_module(model)
    x, y = torch.randn(2, 2, dtype=torch.float64), torch.tensor([0, 1])
    assert restored(x, y).item() == pytest.approx(loss(x, y).item())


def test_regularized_errors():
    with pytest.raises(RuntimeError, match="set_module"):
        RegularizedLoss(nn.MSELoss(), l2=0.1)(torch.zeros(2), torch.zeros(2))
    with pytest.raises(ValueError, match="'l1' parameter of RegularizedLoss"):
        RegularizedLoss(nn.MSELoss(), l1=-1).set_module(nn.Linear(1, 1))(
            torch.zeros(2), torch.zeros(2)
        )
    with pytest.raises(ValueError, match="instance"):
        RegularizedLoss(nn.MSELoss).set_module(nn.Linear(1, 1))(
            torch.zeros(2), torch.zeros(2)
        )
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        RegularizedLoss(nn.MSELoss()).set_module("model")


# --------------------------------------------------------------------------
# scikit-learn parameter interface, pickling, repr
# --------------------------------------------------------------------------


class _Estimator(BaseEstimator):
    """Stand-in for an sklearn_seq estimator taking a criterion instance."""

    def __init__(self, criterion=None, lr=0.1):
        self.criterion = criterion
        self.lr = lr


def _all_losses():
    return [
        FocalLoss(gamma=1.0, alpha=[0.2, 0.8], weight=torch.tensor([1.0, 2.0])),
        TripletLoss(margin=0.3, distance="cosine", mining="semi_hard"),
        ContrastiveLoss(margin=0.7, distance="cosine"),
        MultiTaskLoss(
            {"a": FocalLoss(gamma=3.0), "b": nn.MSELoss()}, weights=[1.0, 0.1]
        ),
        RegularizedLoss(FocalLoss(gamma=0.5), l1=0.1, l2=0.2),
    ]


@pytest.mark.parametrize("loss", _all_losses(), ids=lambda l: type(l).__name__)
def test_clone_get_params_round_trip(loss):
    params = loss.get_params(deep=False)
    signature = inspect.signature(type(loss).__init__)
    assert sorted(params) == sorted(set(signature.parameters) - {"self"})
    cloned = clone(loss)
    assert type(cloned) is type(loss)
    assert cloned is not loss
    for name, value in params.items():
        new = cloned.get_params(deep=False)[name]
        if isinstance(value, torch.Tensor):
            assert torch.equal(new, value) and new is not value
        elif isinstance(value, nn.Module):
            assert type(new) is type(value) and new is not value
        elif not isinstance(value, dict):
            assert new == value
    est = _Estimator(criterion=loss)
    est_clone = clone(est)
    assert est_clone.criterion is not loss
    assert type(est_clone.criterion) is type(loss)
    assert set(est.get_params(deep=True)) >= {
        f"criterion__{k}" for k in loss.get_params(deep=True)
    }


def test_nested_set_params_from_an_estimator():
    est = _Estimator(criterion=FocalLoss(gamma=2.0, alpha=0.25))
    est.set_params(criterion__gamma=1.0)
    assert est.criterion.gamma == 1.0
    assert est.criterion.alpha == 0.25
    est = _Estimator(criterion=RegularizedLoss(FocalLoss(), l2=0.1))
    est.set_params(criterion__criterion__gamma=0.0, criterion__l2=0.5)
    assert est.criterion.criterion.gamma == 0.0
    assert est.criterion.l2 == 0.5
    tasks = {"a": FocalLoss(), "b": nn.MSELoss()}
    est = _Estimator(criterion=MultiTaskLoss(tasks))
    assert "criterion__losses__a__gamma" in est.get_params(deep=True)
    est.set_params(criterion__losses__a__gamma=0.5)
    assert tasks["a"].gamma == 0.5
    est.set_params(criterion__losses__b=nn.L1Loss())
    assert isinstance(est.criterion.losses["b"], nn.L1Loss)
    assert isinstance(tasks["b"], nn.MSELoss)  # the user's dict is not mutated
    assert any(isinstance(m, nn.L1Loss) for m in est.criterion.modules())
    with pytest.raises(ValueError, match="Invalid parameter 'gamm'"):
        FocalLoss().set_params(gamm=1.0)
    with pytest.raises(ValueError, match="no entry 'c'"):
        est.set_params(criterion__losses__c__gamma=1.0)


def test_clone_of_estimator_in_a_grid():
    from sklearn.model_selection import ParameterGrid

    est = _Estimator(criterion=FocalLoss(weight=torch.tensor([1.0, 5.0])))
    for params in ParameterGrid({"criterion__gamma": [0.0, 1.0, 2.0], "lr": [0.1]}):
        candidate = clone(est).set_params(**params)
        assert candidate.criterion.gamma == params["criterion__gamma"]
        assert torch.equal(candidate.criterion.weight, torch.tensor([1.0, 5.0]))
    assert est.criterion.gamma == 2.0


@pytest.mark.parametrize("loss", _all_losses(), ids=lambda l: type(l).__name__)
def test_pickle_round_trip(loss):
    restored = pickle.loads(pickle.dumps(loss))
    assert type(restored) is type(loss)
    assert repr(restored) == repr(loss)
    if isinstance(loss, FocalLoss):
        logits, target = torch.randn(5, 2), torch.tensor([0, 1, 1, 0, 1])
        torch.testing.assert_close(restored(logits, target), loss(logits, target))
        assert "weight" in dict(restored.named_buffers())
    if isinstance(loss, TripletLoss | ContrastiveLoss):
        x, labels = torch.randn(6, 3), torch.tensor([0, 0, 1, 1, 2, 2])
        torch.testing.assert_close(restored(x, labels), loss(x, labels))


def test_repr_shows_changed_parameters():
    assert repr(FocalLoss()) == "FocalLoss()"
    assert repr(FocalLoss(gamma=1.0, alpha=0.25)) == "FocalLoss(alpha=0.25, gamma=1.0)"
    assert repr(TripletLoss(mining=None)) == "TripletLoss(mining=None)"
    assert "l2=0.1" in repr(RegularizedLoss(FocalLoss(), l2=0.1))
    assert "tasks=['a']" in repr(MultiTaskLoss({"a": nn.MSELoss()}))


def test_triplet_soft_margin_is_softplus_of_the_hardest_gap():
    rng = np.random.default_rng(0)
    emb = rng.normal(size=(8, 3))
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    d = np.sqrt(((emb[:, None] - emb[None]) ** 2).sum(-1))
    same = labels[:, None] == labels[None]
    pos = same & ~np.eye(8, dtype=bool)
    hardest_pos = np.where(pos, d, -np.inf).max(1)
    hardest_neg = np.where(~same, d, np.inf).min(1)
    gap = hardest_pos - hardest_neg
    expected = np.log1p(np.exp(gap)).mean()
    loss = TripletLoss(margin="soft", mining="batch_hard")
    got = loss(torch.tensor(emb), torch.tensor(labels))
    assert float(got) == pytest.approx(expected, rel=1e-10)
    assert loss.active_fraction_ == pytest.approx((gap > 0).mean())
    with pytest.raises(ValueError, match="margin='soft'"):
        TripletLoss(margin="soft", mining="batch_all")(
            torch.tensor(emb), torch.tensor(labels)
        )
