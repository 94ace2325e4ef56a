# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""SequenceEmbedder, P x K batches, verification metrics and data."""

import numpy as np
import pytest
import torch
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from scipy.spatial.distance import pdist
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from sklearn_seq import SequenceEmbedder
from sklearn_seq.data import PKBatchLoader, SequenceDataset, pk_batches
from sklearn_seq.datasets import make_sequence_verification
from sklearn_seq.losses import ContrastiveLoss, TripletLoss
from sklearn_seq.metrics import (
    equal_error_rate,
    get_scorer,
    get_scorer_names,
    make_verification_scorer,
    tar_at_far_score,
    verification_pairs,
)
from sklearn_seq.utils import check_sequences

FAST = {
    "cell": "gru",
    "hidden_size": 32,
    "embedding_size": 16,
    "batch_size": 32,
    "lr": 3e-3,
    "pooling": "mean",
    "random_state": 0,
}


@pytest.fixture(scope="module")
def task():
    X, y = make_sequence_verification(
        n_classes=40, n_samples_per_class=10, n_timesteps=24, random_state=0
    )
    train, test = y < 30, y >= 30
    return X[train], y[train], X[test], y[test]


@pytest.fixture(scope="module")
def fitted(task):
    X_tr, y_tr, _, _ = task
    torch.set_num_threads(1)
    emb = SequenceEmbedder(
        criterion=TripletLoss(mining="semi_hard"), max_epochs=15, **FAST
    )
    return emb.fit(X_tr, y_tr)


# -- held-out classes ------------------------------------------------------
def test_verification_on_unseen_classes_beats_raw_distances(task, fitted):
    _, _, X_te, y_te = task
    # reference: flattened raw steps, Euclidean distance, sklearn's ROC-AUC
    raw_auc = roc_auc_score(*verification_pairs(X_te.reshape(len(X_te), -1), y_te))
    emb = fitted.transform(X_te)
    iu = np.triu_indices(len(y_te), k=1)
    same = (y_te[:, None] == y_te[None, :])[iu]
    auc = roc_auc_score(same, -pdist(emb))
    assert set(np.unique(y_te)) & set(fitted.classes_) == set()
    assert auc > 0.9, auc  # measured 0.965; chance is 0.5
    assert auc > raw_auc + 0.15, (auc, raw_auc)  # raw measured 0.675


def test_transform_shapes_and_normalisation(task, fitted):
    _, _, X_te, _ = task
    Z = fitted.transform(X_te[:7])
    assert Z.shape == (7, 16)
    np.testing.assert_allclose(np.linalg.norm(Z, axis=1), 1.0, atol=1e-5)
    raw = SequenceEmbedder(normalize=False, max_epochs=1, **FAST).fit(
        X_te, np.repeat(np.arange(10), 10)
    )
    assert not np.allclose(np.linalg.norm(raw.transform(X_te[:7]), axis=1), 1.0)


def test_ragged_input_matches_padding_free_transform(task, fitted):
    _, _, X_te, _ = task
    ragged = [x[: 12 + i] for i, x in enumerate(X_te[:5])]
    Z = fitted.transform(ragged)
    one_by_one = np.vstack([fitted.transform([x]) for x in ragged])
    np.testing.assert_allclose(Z, one_by_one, atol=1e-5)


def test_pipeline_with_knn(task):
    _, _, X_te, y_te = task
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(y_te))
    fit_idx, eval_idx = idx[:60], idx[60:]
    pipe = make_pipeline(
        SequenceEmbedder(
            criterion=TripletLoss(mining="batch_all"), max_epochs=10, **FAST
        ),
        KNeighborsClassifier(n_neighbors=3),
    )
    pipe.fit(X_te[fit_idx], y_te[fit_idx])
    acc = pipe.score(X_te[eval_idx], y_te[eval_idx])
    assert acc > 0.5, acc  # 10 classes: chance is 0.1


# -- verification on pairs -------------------------------------------------
def test_decision_function_and_predict_on_pairs(task, fitted):
    X_tr, y_tr, X_te, _ = task
    Xa, Xb = X_te[:40], X_te[40:80]
    Za, Zb = fitted.transform(Xa), fitted.transform(Xb)
    dist = np.sqrt(((Za.astype(np.float64) - Zb) ** 2).sum(axis=1))
    np.testing.assert_allclose(fitted.pair_distances((Xa, Xb)), dist, atol=1e-6)
    scores = fitted.decision_function((Xa, Xb))
    np.testing.assert_allclose(scores, fitted.threshold_ - dist, atol=1e-6)
    np.testing.assert_array_equal(
        fitted.predict((Xa, Xb)), (dist <= fitted.threshold_).astype(int)
    )
    # the threshold maximises TPR - FPR over the training pairs
    same, neg_d = verification_pairs(fitted.transform(X_tr), y_tr)
    fpr, tpr, _ = roc_curve(same, neg_d)
    accept = -neg_d <= fitted.threshold_
    j = accept[same == 1].mean() - accept[same == 0].mean()
    assert j == pytest.approx((tpr - fpr).max(), abs=1e-6)


def test_threshold_search_equals_roc_curves_youden_point():
    # the threshold is found without sorting the impostor pairs; on random
    # scores, with ties and without, it must be roc_curve's best J point
    from sklearn_seq.estimators._embedder import _youden_threshold

    rng = np.random.default_rng(0)
    for trial in range(300):
        n = int(rng.integers(2, 400))
        genuine = rng.random(n) < rng.uniform(0.05, 0.9)
        if genuine.all() or not genuine.any():
            continue
        dist = rng.normal(size=n) + rng.uniform(0, 2) * ~genuine
        if trial % 2:
            dist = np.round(dist, 1)  # ties within and across the two kinds
        fpr, tpr, thresholds = roc_curve(genuine, -dist)
        best = int(np.argmax(tpr - fpr))
        if not np.isfinite(thresholds[best]):  # no threshold beats chance
            best = 1
        assert _youden_threshold(dist, genuine) == -thresholds[best]


def test_pair_input_errors(task, fitted):
    _, _, X_te, _ = task
    with pytest.raises(ValueError, match="as many sequences"):
        fitted.decision_function((X_te[:3], X_te[:4]))
    with pytest.raises(ValueError, match=r"tuple \(X_a, X_b\)"):
        fitted.predict(X_te[:3])


def test_scorers_match_direct_computation(task, fitted):
    _, _, X_te, y_te = task
    same, neg_d = verification_pairs(fitted.transform(X_te), y_te)
    assert get_scorer("verification_roc_auc")(fitted, X_te, y_te) == pytest.approx(
        roc_auc_score(same, neg_d)
    )
    assert fitted.score(X_te, y_te) == pytest.approx(roc_auc_score(same, neg_d))
    assert get_scorer("neg_eer")(fitted, X_te, y_te) == pytest.approx(
        -equal_error_rate(same, neg_d)
    )
    assert get_scorer("tar@far=0.01")(fitted, X_te, y_te) == pytest.approx(
        tar_at_far_score(same, neg_d, far=0.01)
    )
    pairs = (X_te[:50], X_te[50:])
    flags = (y_te[:50] == y_te[50:]).astype(int)
    flags[:5] = 1 - flags[:5]  # make sure both kinds of pairs are present
    assert get_scorer("verification_roc_auc")(fitted, pairs, flags) == pytest.approx(
        roc_auc_score(flags, -fitted.pair_distances(pairs))
    )
    names = get_scorer_names()
    for name in ("verification_roc_auc", "neg_eer", "tar@far=0.001"):
        assert name in names


# -- training details -------------------------------------------------------
@pytest.mark.parametrize(
    "criterion", [TripletLoss(mining="batch_hard"), ContrastiveLoss(margin=0.5)]
)
def test_active_fraction_logged_per_epoch(task, criterion):
    X_tr, y_tr, _, _ = task
    emb = SequenceEmbedder(criterion=criterion, max_epochs=2, **FAST)
    emb.fit(X_tr[:80], y_tr[:80])
    for epoch in emb.history_:
        sizes = [b["train_batch_size"] for b in epoch["batches"]]
        fracs = [b["active_fraction"] for b in epoch["batches"]]
        assert all(0.0 <= f <= 1.0 for f in fracs)
        expected = np.average(fracs, weights=sizes)
        assert epoch["active_fraction"] == pytest.approx(expected)


def test_batches_are_p_by_k_in_training(task):
    X_tr, y_tr, _, _ = task
    seen = []

    class Spy(TripletLoss):
        def forward(self, embeddings, labels):
            seen.append(np.bincount(labels.numpy()))
            return super().forward(embeddings, labels)

    SequenceEmbedder(criterion=Spy(), max_epochs=1, samples_per_class=4, **FAST).fit(
        X_tr, y_tr
    )
    assert len(seen) == int(np.ceil(len(y_tr) / 32))
    for counts in seen:
        assert sorted(counts[counts > 0].tolist()) == [4] * 8


def test_reproducible_and_clone(task):
    X_tr, y_tr, X_te, _ = task
    params = dict(FAST, max_epochs=1, criterion=TripletLoss(margin=0.3))
    a = SequenceEmbedder(**params).fit(X_tr[:60], y_tr[:60]).transform(X_te[:5])
    est = clone(SequenceEmbedder(**params))
    assert est.get_params()["criterion__margin"] == 0.3
    b = est.fit(X_tr[:60], y_tr[:60]).transform(X_te[:5])
    np.testing.assert_array_equal(a, b)


def test_every_method_before_fit_raises_not_fitted(task):
    X = task[0][:4]
    emb = SequenceEmbedder()
    # predict and decision_function raised AttributeError('threshold_')
    for method, arg in [
        ("predict", (X, X)),
        ("decision_function", (X, X)),
        ("pair_distances", (X, X)),
        ("transform", X),
    ]:
        with pytest.raises(NotFittedError):
            getattr(emb, method)(arg)


def test_dtype_tag_matches_float32_output(task, fitted):
    # the network computes in float32: float32 is preserved, float64 is not
    tags = fitted.__sklearn_tags__().transformer_tags
    assert tags.preserves_dtype == ["float32"]
    X = task[2][:3]
    assert fitted.transform(X.astype(np.float32)).dtype == np.float32
    assert fitted.transform(X.astype(np.float64)).dtype == np.float32


def test_fit_errors():
    X = np.zeros((4, 5, 1), dtype=np.float32)
    with pytest.raises(ValueError, match="two or more samples"):
        SequenceEmbedder(max_epochs=1).fit(X, [0, 1, 2, 3])
    with pytest.raises(ValueError, match="requires y"):
        SequenceEmbedder(max_epochs=1).fit(X, None)


def test_grid_search_over_margins_with_group_kfold(task):
    X_tr, y_tr, _, _ = task
    grid = GridSearchCV(
        SequenceEmbedder(
            criterion=TripletLoss(mining="batch_all"), max_epochs=1, **FAST
        ),
        {"criterion__margin": [0.2, 1.0]},
        scoring=get_scorer("verification_roc_auc"),
        cv=GroupKFold(n_splits=2),
        error_score="raise",
    )
    grid.fit(X_tr[:120], y_tr[:120], groups=y_tr[:120])
    assert grid.best_params_["criterion__margin"] in (0.2, 1.0)
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()


# -- P x K sampler -----------------------------------------------------------
def test_pk_batches_cover_classes_and_samples():
    labels = np.repeat(np.arange(10), np.arange(2, 12))  # class c has c + 2
    labels = np.append(labels, 99)  # a singleton: never sampled
    batches = pk_batches(labels, 4, 3, rng=np.random.default_rng(0), n_batches=60)
    for b in batches:
        counts = np.unique(labels[b], return_counts=True)
        assert len(counts[0]) == 4
        assert len(np.unique(b)) == len(b)  # no sample twice in a batch
        for c, n in zip(*counts):
            assert n == min(3, c + 2)
    used = np.concatenate(batches)
    assert 99 not in labels[used]
    per_class = np.bincount(labels[used][labels[used] < 99], minlength=10)
    assert per_class.min() > 0
    # classes come in rounds: appearance counts differ by at most one round
    appearances = np.array([sum(c in labels[b] for b in batches) for c in range(10)])
    assert appearances.max() - appearances.min() <= 1
    # same generator state, same batches
    again = pk_batches(labels, 4, 3, rng=np.random.default_rng(0), n_batches=60)
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))


def test_pk_batches_use_every_sample_before_reuse():
    labels = np.repeat(np.arange(4), 6)
    batches = pk_batches(labels, 2, 3, rng=np.random.default_rng(1))
    assert len(batches) == 4
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(24))


def test_pk_loader_and_errors():
    y = np.repeat(np.arange(5), 4)
    ds = SequenceDataset(check_sequences(np.zeros((20, 3, 1))), y)
    fixed = PKBatchLoader(ds, batch_size=8, n_samples_per_class=2, shuffle=False)
    first = [yi.tolist() for _, yi in fixed]
    assert first == [yi.tolist() for _, yi in fixed]
    assert len(first) == len(fixed)
    with pytest.raises(ValueError, match="at least 2"):
        pk_batches(y, 2, 1)
    with pytest.raises(ValueError, match="single sample"):
        pk_batches(np.arange(5), 2, 2)


# -- metrics -----------------------------------------------------------------
def _eer_reference(y_true, y_score):
    # the usual recipe: root of 1 - x - TPR(x) on the interpolated ROC curve
    fpr, tpr, _ = roc_curve(y_true, y_score, drop_intermediate=False)
    return brentq(lambda x: 1.0 - x - interp1d(fpr, tpr)(x), 0.0, 1.0)


def _tar_reference(y_true, y_score, far):
    genuine, impostor = y_score[y_true == 1], y_score[y_true == 0]
    best = 0.0
    for t in np.append(np.unique(y_score), np.inf):
        if np.mean(impostor >= t) <= far:
            best = max(best, np.mean(genuine >= t))
    return best


@pytest.mark.parametrize("seed", range(5))
def test_eer_and_tar_against_references(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=300)
    y_score = rng.normal(size=300) + 1.2 * y_true
    if seed == 4:
        y_score = np.round(y_score, 1)  # ties
    assert equal_error_rate(y_true, y_score) == pytest.approx(
        _eer_reference(y_true, y_score), abs=1e-9
    )
    for far in (0.0, 0.01, 0.1, 0.5):
        assert tar_at_far_score(y_true, y_score, far=far) == pytest.approx(
            _tar_reference(y_true, y_score, far)
        )


def test_metric_edge_cases():
    assert equal_error_rate([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 0.0
    assert equal_error_rate([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1]) == 1.0
    with pytest.raises(ValueError, match="both genuine and impostor"):
        equal_error_rate([1, 1], [0.3, 0.4])


def test_verification_pairs_against_pdist():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(9, 3))
    labels = rng.integers(0, 3, size=9)
    iu = np.triu_indices(9, k=1)
    for metric in ("euclidean", "sqeuclidean", "cosine"):
        same, score = verification_pairs(Z, labels, metric=metric)
        np.testing.assert_allclose(-score, pdist(Z, metric=metric), atol=1e-12)
        np.testing.assert_array_equal(same, labels[iu[0]] == labels[iu[1]])
    w = rng.uniform(size=9)
    _, _, pw = verification_pairs(Z, labels, sample_weight=w)
    np.testing.assert_allclose(pw, w[iu[0]] * w[iu[1]])
    with pytest.raises(ValueError, match="far is only used"):
        make_verification_scorer("eer", far=0.1)


# -- data ---------------------------------------------------------------------
def test_make_sequence_verification():
    X, y = make_sequence_verification(
        n_classes=6,
        n_samples_per_class=5,
        n_timesteps=20,
        n_features=3,
        max_shift=0,
        noise=0.0,
        amplitude_jitter=0.0,
        random_state=0,
    )
    assert X.shape == (30, 20, 3) and X.dtype == np.float32
    np.testing.assert_array_equal(y, np.repeat(np.arange(6), 5))
    # without shifts, gain or noise all samples of a class are identical
    for c in range(6):
        np.testing.assert_array_equal(X[y == c], np.repeat(X[y == c][:1], 5, 0))
    Xr, _ = make_sequence_verification(
        n_classes=3,
        n_samples_per_class=4,
        n_timesteps=20,
        variable_length=True,
        random_state=0,
    )
    assert all(10 <= len(x) <= 20 for x in Xr)
    a, _ = make_sequence_verification(n_classes=3, random_state=1)
    b, _ = make_sequence_verification(n_classes=3, random_state=1)
    np.testing.assert_array_equal(a, b)
