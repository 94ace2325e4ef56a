# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Tests of DistillationLoss: values against direct computations, cloning,
and distillation of a fitted teacher into a student estimator."""

import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.special import log_softmax, softmax
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV

from sklearn_seq import SequenceClassifier
from sklearn_seq.losses import DistillationLoss, FocalLoss
from sklearn_seq.utils._param_validation import InvalidParameterError


def _logits(seed, shape):
    return torch.from_numpy(np.random.default_rng(seed).normal(size=shape) * 2)


def _numpy_kl(student, teacher, T):
    """Mean over samples of T^2 * KL(softmax(teacher/T) || softmax(student/T))."""
    log_p = log_softmax(teacher / T, axis=1)
    log_q = log_softmax(student / T, axis=1)
    return T**2 * np.mean(np.sum(np.exp(log_p) * (log_p - log_q), axis=1))


@pytest.fixture(scope="module")
def task():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(160, 6, 1)).astype(np.float32)
    y = (X[:, :, 0].mean(axis=1) > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def teacher(task):
    X, y = task
    clf = SequenceClassifier(
        cell="gru", hidden_size=16, max_epochs=15, lr=0.01, random_state=0
    )
    return clf.fit(X, y)


@pytest.mark.parametrize("shape", [(7, 3), (5, 4, 6)])
def test_alpha_zero_is_cross_entropy(shape):
    student, teacher = _logits(0, shape), _logits(1, shape)
    target = torch.from_numpy(
        np.random.default_rng(2).integers(0, shape[1], (shape[0], *shape[2:]))
    )
    got = DistillationLoss(alpha=0.0)(student, target, teacher_logits=teacher)
    torch.testing.assert_close(got, F.cross_entropy(student, target))
    # a given hard criterion is used instead (FocalLoss with gamma=0 is CE)
    loss = DistillationLoss(alpha=0.0, criterion=FocalLoss(gamma=0.0))
    torch.testing.assert_close(
        loss(student, target, teacher_logits=teacher), F.cross_entropy(student, target)
    )


@pytest.mark.parametrize("T", [1.0, 2.0, 5.0])
def test_alpha_one_matches_numpy_kl_and_its_gradient(T):
    student = _logits(3, (6, 4)).requires_grad_()
    teacher = _logits(4, (6, 4))
    target = torch.zeros(6, dtype=torch.long)
    loss = DistillationLoss(alpha=1.0, temperature=T)(
        student, target, teacher_logits=teacher
    )
    s, t = student.detach().numpy(), teacher.numpy()
    np.testing.assert_allclose(loss.item(), _numpy_kl(s, t, T), rtol=1e-10)
    loss.backward()
    # d/dz [T^2 KL(p || softmax(z/T))] = T (softmax(z/T) - p), averaged over N
    expected = T * (softmax(s / T, axis=1) - softmax(t / T, axis=1)) / len(s)
    np.testing.assert_allclose(student.grad.numpy(), expected, atol=1e-12)


def test_alpha_one_pulls_the_tempered_softmax_to_the_teacher():
    T = 3.0
    teacher = _logits(5, (8, 5))
    student = torch.zeros(8, 5, dtype=torch.float64, requires_grad=True)
    target = torch.zeros(8, dtype=torch.long)
    loss_fn = DistillationLoss(alpha=1.0, temperature=T)
    optimizer = torch.optim.SGD([student], lr=5.0)
    for _ in range(300):
        optimizer.zero_grad()
        loss_fn(student, target, teacher_logits=teacher).backward()
        optimizer.step()
    np.testing.assert_allclose(
        softmax(student.detach().numpy() / T, axis=1),
        softmax(teacher.numpy() / T, axis=1),
        atol=1e-4,
    )


def test_mixture_reductions_and_ignored_targets():
    student, teacher = _logits(6, (4, 3, 5)), _logits(7, (4, 3, 5))
    target = torch.from_numpy(np.random.default_rng(8).integers(0, 3, (4, 5)))
    target[0, 3:] = -100
    alpha, T = 0.3, 2.0
    valid = (target != -100).numpy()
    s, t = student.numpy(), teacher.numpy()
    log_p, log_q = log_softmax(t / T, axis=1), log_softmax(s / T, axis=1)
    kl = T**2 * np.sum(np.exp(log_p) * (log_p - log_q), axis=1) * valid
    ce = F.cross_entropy(student, target, reduction="none").numpy()
    per_elem = alpha * kl + (1 - alpha) * ce
    loss = DistillationLoss(alpha=alpha, temperature=T, reduction="none")
    np.testing.assert_allclose(
        loss(student, target, teacher_logits=teacher).numpy(), per_elem
    )
    loss.set_params(reduction="sum")
    np.testing.assert_allclose(
        loss(student, target, teacher_logits=teacher).item(), per_elem.sum()
    )
    loss.set_params(reduction="mean")
    np.testing.assert_allclose(
        loss(student, target, teacher_logits=teacher).item(),
        per_elem.sum() / valid.sum(),
    )


@pytest.mark.parametrize(
    "params, match",
    [
        ({"temperature": 0.0}, "'temperature' parameter"),
        ({"temperature": float("nan")}, "'temperature' parameter"),
        ({"alpha": 1.5}, "'alpha' parameter"),
        ({"reduction": "max"}, "'reduction' parameter"),
    ],
)
def test_invalid_parameters(params, match):
    loss = DistillationLoss(**params)  # constructing never raises
    with pytest.raises(InvalidParameterError, match=match):
        loss(
            _logits(0, (2, 3)), torch.tensor([0, 1]), teacher_logits=_logits(1, (2, 3))
        )


def test_clear_errors():
    x, y = _logits(0, (2, 3)), torch.tensor([0, 1])
    with pytest.raises(ValueError, match="has no teacher"):
        DistillationLoss()(x, y, X={"x": x, "lengths": y})
    with pytest.raises(TypeError, match="must be a fitted sklearn_seq"):
        DistillationLoss(teacher=SequenceClassifier())(x, y, X={"x": x, "lengths": y})
    with pytest.raises(ValueError, match="same classes"):
        DistillationLoss()(x, y, teacher_logits=_logits(1, (2, 4)))
    with pytest.raises(ValueError, match="one logit per class"):
        DistillationLoss()(x[:, :1], y, teacher_logits=x[:, :1])


def test_clone_and_grid_search_keep_the_fitted_teacher(task, teacher):
    X, y = task
    loss = DistillationLoss(teacher=teacher, temperature=3.0)
    copy = clone(loss)
    assert copy is not loss and copy.teacher is teacher
    assert copy.get_params(deep=False)["temperature"] == 3.0
    student = SequenceClassifier(
        hidden_size=4, max_epochs=1, random_state=0, criterion=loss
    )
    assert clone(student).criterion.teacher is teacher
    search = GridSearchCV(student, {"criterion__alpha": [0.2, 0.8]}, cv=2)
    search.fit(X[:60], y[:60])
    assert search.best_estimator_.criterion.teacher is teacher
    assert search.best_estimator_.net_.criterion_.teacher is teacher


def test_distilled_student_follows_the_teacher_not_the_labels(task, teacher):
    # alpha=1 ignores the labels: a student fitted on shuffled labels still
    # learns the teacher's decisions, which only the batch inputs can give
    X, y = task
    teacher_pred = teacher.predict(X)
    assert np.mean(teacher_pred == y) > 0.9
    state = {k: v.clone() for k, v in teacher.net_.module_.state_dict().items()}
    shuffled = np.random.default_rng(1).permutation(y)
    params = {
        "cell": "gru",
        "hidden_size": 4,
        "max_epochs": 15,
        "lr": 0.02,
        "random_state": 0,
    }
    distilled = SequenceClassifier(
        criterion=DistillationLoss(teacher=teacher, alpha=1.0), **params
    ).fit(X, shuffled)
    alone = SequenceClassifier(**params).fit(X, shuffled)
    assert np.mean(distilled.predict(X) == teacher_pred) > 0.85
    assert np.mean(alone.predict(X) == teacher_pred) < 0.75
    # the teacher is used, not trained
    for key, value in teacher.net_.module_.state_dict().items():
        torch.testing.assert_close(value, state[key], rtol=0, atol=0)
    # a frozen teacher works the same way
    frozen = SequenceClassifier(
        criterion=DistillationLoss(teacher=FrozenEstimator(teacher), alpha=1.0),
        **params,
    ).fit(X, shuffled)
    np.testing.assert_array_equal(frozen.predict(X), distilled.predict(X))
    restored = pickle.loads(pickle.dumps(distilled))
    np.testing.assert_array_equal(restored.predict(X), distilled.predict(X))


def test_unit_sample_weights_equal_the_unweighted_fit(task, teacher):
    # sample_weight takes the reduction="none" path of the loss
    X, y = task
    X, y = X[:64], y[:64]
    kwargs = {
        "hidden_size": 4,
        "max_epochs": 2,
        "random_state": 0,
        "criterion": DistillationLoss(teacher=teacher, alpha=0.6),
    }
    plain = SequenceClassifier(**kwargs).fit(X, y)
    weighted = SequenceClassifier(**kwargs).fit(X, y, sample_weight=np.ones(64))
    np.testing.assert_allclose(
        weighted.predict_proba(X), plain.predict_proba(X), rtol=1e-5, atol=1e-6
    )
