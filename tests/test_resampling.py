"""Sequence augmentations and the imbalanced-learn samplers for sequences."""

from collections import Counter

import numpy as np
import pytest
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import make_pipeline
from sklearn.neighbors import NearestNeighbors

from sklearn_seq.exceptions import SequenceValidationError
from sklearn_seq.resampling import (
    AugmentationOverSampler,
    SequenceSMOTE,
    augment,
    dtw_distances,
)

AUGMENTATIONS = [
    augment.jitter,
    augment.scaling,
    augment.magnitude_warp,
    augment.time_warp,
    augment.window_slice,
]


def _ragged(n=30, f=2, seed=0, minority=6):
    rng = np.random.RandomState(seed)
    X = [rng.normal(size=(int(k), f)) for k in rng.randint(4, 16, size=n)]
    y = np.array([0] * (n - minority) + [1] * minority)
    return X, y


# -- augmentations --------------------------------------------------------
@pytest.mark.parametrize("func", AUGMENTATIONS)
@pytest.mark.parametrize("shape", [(12, 3), (12,), (1, 2), (2, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_augmentations_keep_shape_and_dtype_and_are_reproducible(func, shape, dtype):
    x = (np.arange(np.prod(shape)).reshape(shape) % 5).astype(dtype)
    out = func(x, random_state=0)
    assert out.shape == x.shape
    assert out.dtype == (np.float64 if dtype == np.int64 else dtype)
    np.testing.assert_array_equal(out, func(x, random_state=0))
    np.testing.assert_array_equal(x, (np.arange(np.prod(shape)).reshape(shape) % 5))
    if shape[0] >= 12 and func is not augment.window_slice:
        assert not np.array_equal(out, func(x, random_state=1))


def test_jitter_and_scaling_match_their_definitions():
    x = np.linspace(-1, 1, 40).reshape(20, 2)
    noise = np.random.RandomState(3).normal(0, 0.5, size=x.shape)
    np.testing.assert_allclose(augment.jitter(x, sigma=0.5, random_state=3), x + noise)
    factors = np.random.RandomState(3).normal(1, 0.5, size=(1, 2))
    np.testing.assert_allclose(
        augment.scaling(x, sigma=0.5, random_state=3), x * factors
    )


def test_magnitude_warp_passes_through_the_knots():
    x = np.ones((41, 2))
    out = augment.magnitude_warp(x, sigma=0.3, n_knots=3, random_state=7)
    knots = np.random.RandomState(7).normal(1, 0.3, size=(5, 2))
    np.testing.assert_allclose(out[[0, 10, 20, 30, 40]], knots)  # knots every 10 steps
    np.testing.assert_allclose(augment.magnitude_warp(x, sigma=0.0), x)


@pytest.mark.parametrize("seed", range(20))
def test_time_warp_keeps_endpoints_and_is_a_monotone_reparametrisation(seed):
    rng = np.random.RandomState(seed)
    n = int(rng.randint(3, 60))
    x = rng.normal(size=(n, 3)).astype(np.float32)
    out = augment.time_warp(
        x, sigma=0.5, n_knots=int(rng.randint(1, 6)), random_state=seed
    )
    assert out[0].tolist() == x[0].tolist() and out[-1].tolist() == x[-1].tolist()
    # a ramp is warped into the warping map itself: increasing, same range
    ramp = augment.time_warp(np.arange(n, dtype=float), sigma=0.5, random_state=seed)
    assert np.all(np.diff(ramp) > 0) and ramp[0] == 0 and ramp[-1] == n - 1
    assert not np.allclose(ramp, np.arange(n))
    np.testing.assert_allclose(augment.time_warp(x, sigma=0.0), x, atol=1e-6)


def test_window_slice_stretches_one_window():
    x = np.arange(20.0)
    out = augment.window_slice(x, reduce_ratio=0.5, random_state=0)
    start = out[0]
    assert start == int(start) and 0 <= start <= 10
    np.testing.assert_allclose(out, np.linspace(start, start + 9, 20))
    np.testing.assert_array_equal(augment.window_slice(x, reduce_ratio=1.0), x)


def test_augmentations_reject_batches_and_bad_parameters():
    with pytest.raises(ValueError, match="each sequence"):
        augment.jitter(np.zeros((3, 4, 2)))
    with pytest.raises(ValueError, match="sigma"):
        augment.jitter(np.zeros((3, 2)), sigma=-1)


# -- samplers: counts, containers, reproducibility ------------------------
SAMPLERS = [
    lambda **kw: AugmentationOverSampler(**kw),
    lambda **kw: SequenceSMOTE(k_neighbors=2, **kw),
    lambda **kw: SequenceSMOTE(k_neighbors=2, metric="dtw", **kw),
]


@pytest.mark.parametrize("make", SAMPLERS)
@pytest.mark.parametrize("strategy", ["auto", 0.5, "all", {1: 10, 2: 12}])
@pytest.mark.parametrize("ragged", [False, True])
def test_class_counts_match_imblearn_sampling_strategy(make, strategy, ragged):
    X, y = _ragged(n=30, minority=6)
    y = y.copy()
    if isinstance(strategy, dict) or strategy == "all":
        y[:4] = 2  # three classes: 20 / 6 / 4
    if strategy == 0.5 and len(np.unique(y)) > 2:
        pytest.skip("float strategies are binary only")
    if not ragged:
        X = np.stack([np.resize(x, (8, 2)) for x in X])
    X_res, y_res = make(sampling_strategy=strategy, random_state=0).fit_resample(X, y)
    _, y_ref = RandomOverSampler(sampling_strategy=strategy).fit_resample(
        np.zeros((len(y), 1)), y
    )
    assert Counter(y_res.tolist()) == Counter(y_ref.tolist())
    assert len(X_res) == len(y_res)
    assert isinstance(X_res, list) == ragged


@pytest.mark.parametrize("make", SAMPLERS)
def test_samplers_return_the_container_kind_they_get(make):
    X, y = _ragged()
    X3 = np.stack([np.resize(x, (7, 2)) for x in X]).astype(np.float32)
    out, _ = make(random_state=0).fit_resample(X3, y)
    assert out.shape == (48, 7, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out[:30], X3)  # originals first, unchanged
    X2 = X3[:, :, 0].astype(np.float64)
    out, _ = make(random_state=0).fit_resample(X2, y)
    assert out.shape == (48, 7) and out.dtype == np.float64
    out, y_res = make(random_state=0).fit_resample(X, list(y))
    assert type(out) is list and all(o.ndim == 2 for o in out)
    assert type(y_res) is list  # imblearn gives back the container it got
    for a, b in zip(out, X):
        np.testing.assert_array_equal(a, b)
    X1 = [x[:, 0] for x in X]
    out, _ = make(random_state=0).fit_resample(X1, y)
    assert all(o.ndim == 1 for o in out) and len(out) == 48


@pytest.mark.parametrize("make", SAMPLERS)
def test_samplers_are_reproducible_with_random_state(make):
    X, y = _ragged()
    a, _ = make(random_state=0).fit_resample(X, y)
    b, _ = make(random_state=0).fit_resample(X, y)
    c, _ = make(random_state=1).fit_resample(X, y)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    assert not all(p.shape == q.shape and np.array_equal(p, q) for p, q in zip(a, c))


def test_augmentation_sampler_uses_its_augmentations_and_params():
    X, y = _ragged()
    X3 = np.stack([np.resize(x, (7, 2)) for x in X])
    calls = []

    def flip(seq, *, sign=1.0, random_state=None):
        calls.append(sign)
        return sign * seq

    X_res, _ = AugmentationOverSampler(
        [(flip, {"sign": -1.0})], random_state=0
    ).fit_resample(X3, y)
    assert calls == [-1.0] * 18
    # every new sequence is minus a minority sequence
    minority = X3[y == 1]
    for new in X_res[30:]:
        assert any(np.allclose(new, -m) for m in minority)
    only_jitter = AugmentationOverSampler(("jitter", {"sigma": 1e-9}), random_state=0)
    X_res, _ = only_jitter.fit_resample(X3, y)
    for new in X_res[30:]:
        assert any(np.allclose(new, m, atol=1e-6) for m in minority)


def test_augmentation_sampler_errors_are_clear():
    X, y = _ragged()
    X3 = np.stack([np.resize(x, (7, 2)) for x in X])
    with pytest.raises(ValueError, match="Unknown augmentation 'flip'"):
        AugmentationOverSampler("flip").fit_resample(X3, y)
    with pytest.raises(ValueError, match="keep the length"):
        AugmentationOverSampler(lambda s, random_state: s[:3]).fit_resample(X3, y)
    # ragged data may change length
    X_res, _ = AugmentationOverSampler(lambda s, random_state: s[:3]).fit_resample(X, y)
    assert {len(x) for x in X_res[30:]} == {3}
    with pytest.raises(SequenceValidationError, match="token id"):
        AugmentationOverSampler().fit_resample([[1, 2], [3, 4, 5]], [0, 1])
    with pytest.raises(ValueError, match="sampling_strategy"):
        AugmentationOverSampler(sampling_strategy="bogus").fit_resample(X, y)


# -- SequenceSMOTE --------------------------------------------------------
def test_smote_on_fixed_length_interpolates_towards_euclidean_neighbours():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5, 2))
    y = np.array([0] * 30 + [1] * 10)
    k = 3
    X_res, _ = SequenceSMOTE(k_neighbors=k, random_state=0).fit_resample(X, y)
    flat = X[y == 1].reshape(10, -1)
    nn = NearestNeighbors(n_neighbors=k + 1).fit(flat).kneighbors(flat)[1][:, 1:]
    for new in X_res[40:].reshape(20, -1):
        found = False
        for i in range(10):
            diff = flat[nn[i]] - flat[i]
            lam = diff @ (new - flat[i]) / (diff**2).sum(axis=1)
            resid = np.abs(flat[i] + lam[:, None] * diff - new).max(axis=1)
            found |= bool(np.any((resid < 1e-9) & (lam >= 0) & (lam <= 1)))
        assert found


def test_smote_on_ragged_input_interpolates_values_and_lengths():
    X = [np.zeros((4, 1)), np.ones((10, 1))] + [np.full((6, 1), 5.0)] * 8
    y = np.array([1, 1] + [0] * 8)
    X_res, y_res = SequenceSMOTE(k_neighbors=1, random_state=0).fit_resample(X, y)
    assert np.bincount(y_res).tolist() == [8, 8]
    for new in X_res[10:]:
        lam = new[0, 0]
        np.testing.assert_allclose(new, lam)  # constant, between the two
        assert 0 <= lam <= 1
        assert len(new) == int(np.rint(4 + 6 * lam))


def _dtw_reference(a, b):
    n, m = len(a), len(b)
    D = np.full((n + 1, m + 1), np.inf)
    D[0, 0] = 0
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost = float(((a[i - 1] - b[j - 1]) ** 2).sum())
            D[i, j] = cost + min(D[i - 1, j], D[i, j - 1], D[i - 1, j - 1])
    return np.sqrt(D[n, m])


def test_dtw_distances_match_the_recurrence():
    rng = np.random.RandomState(0)
    seqs = [rng.normal(size=(int(k), 2)) for k in rng.randint(1, 9, size=7)]
    expected = np.array([[_dtw_reference(a, b) for b in seqs] for a in seqs])
    np.testing.assert_allclose(dtw_distances(seqs), expected, rtol=1e-12)
    same = np.array([0.0, 1.0, 2.0, 2.0, 3.0])
    assert dtw_distances([same, np.unique(same)])[0, 1] == 0.0


@pytest.mark.parametrize("metric", ["euclidean", "dtw"])
def test_smote_dtw_neighbours_follow_shifted_shapes(metric):
    a = np.array([0, 0, 1, 0, 0, 0, 0, 0.0])
    b = np.roll(a, 3)  # the same bump, later: DTW distance 0
    c = 0.3 * a  # same place, smaller: nearer to a in Euclidean distance
    X = [a, b, c] + [np.zeros(8)] * 30
    y = np.array([1, 1, 1] + [0] * 30)
    X_res, _ = SequenceSMOTE(k_neighbors=1, metric=metric, random_state=0).fit_resample(
        X, y
    )
    # strictly inside the segment a + lam * (b - a), 0 < lam < 1
    between_a_b = [
        np.allclose(x, a + x[5] * (b - a)) and 0 < x[5] < 1 for x in X_res[33:]
    ]
    assert any(between_a_b) == (metric == "dtw")


def test_smote_needs_enough_neighbours():
    X, y = _ragged(minority=3)
    with pytest.raises(ValueError, match=r"k_neighbors=5.*class 1, which has 3"):
        SequenceSMOTE().fit_resample(X, y)
    X_res, _ = SequenceSMOTE(k_neighbors=2, n_timesteps=5, random_state=0).fit_resample(
        X, y
    )
    lengths = [len(x) for x, t in zip(X, y) if t == 1]
    assert all(min(lengths) <= len(x) <= max(lengths) for x in X_res[30:])


# -- in an imblearn pipeline ---------------------------------------------
@pytest.mark.parametrize(
    "sampler",
    [
        AugmentationOverSampler(random_state=0),
        SequenceSMOTE(k_neighbors=2, random_state=0),
    ],
)
def test_samplers_run_at_fit_only_in_a_pipeline(sampler):
    from sklearn_seq import SequenceClassifier

    X, y = _ragged(n=40, minority=8)
    clf = SequenceClassifier(hidden_size=4, max_epochs=1, batch_size=16, random_state=0)
    pipe = make_pipeline(sampler, clf).fit(X, y)
    seen = sum(b["train_batch_size"] for b in pipe[-1].history_[-1, "batches"])
    assert seen == 64  # 32 + 32 after over-sampling
    assert pipe.predict(X[:5]).shape == (5,)
    assert pipe.predict_proba(X).shape == (40, 2)


# -- SequenceSampler: any 2-D sampler on sequences -----------------------
def test_sequence_sampler_on_fixed_length_is_the_sampler_on_flat_rows():
    from imblearn.over_sampling import SMOTE

    from sklearn_seq.resampling import SequenceSampler

    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 6, 3)).astype(np.float32)
    y = np.array([0] * 32 + [1] * 8)
    X_res, y_res = SequenceSampler(SMOTE(k_neighbors=3, random_state=0)).fit_resample(
        X, y
    )
    ref_X, ref_y = SMOTE(k_neighbors=3, random_state=0).fit_resample(
        X.reshape(40, 18), y
    )
    assert X_res.dtype == np.float32 and X_res.shape == (64, 6, 3)
    np.testing.assert_array_equal(X_res.reshape(64, 18), ref_X)
    np.testing.assert_array_equal(y_res, ref_y)
    uni, _ = SequenceSampler(SMOTE(k_neighbors=3)).fit_resample(X[:, :, 0], y)
    assert uni.shape == (64, 6)


def test_sequence_sampler_interpolates_the_length_with_the_values():
    # minority: a constant-0 sequence of 10 steps and a constant-1 one of 20;
    # SMOTE's new sequence a + lam (b - a) is constant lam, so its length
    # must be round(10 + 10 lam)
    from imblearn.over_sampling import SMOTE

    from sklearn_seq.resampling import SequenceSampler

    rng = np.random.RandomState(0)
    X = [rng.normal(size=(int(n), 1)) + 5 for n in rng.randint(8, 25, size=12)]
    X += [np.zeros((10, 1)), np.ones((20, 1))]
    y = np.array([0] * 12 + [1] * 2)
    X_res, y_res = SequenceSampler(SMOTE(k_neighbors=1, random_state=0)).fit_resample(
        X, y
    )
    assert type(X_res) is list and len(X_res) == 24 and y_res[14:].tolist() == [1] * 10
    for a, b in zip(X_res[:14], X):  # the originals come back unchanged
        np.testing.assert_array_equal(a, b)
    for seq in X_res[14:]:
        lam = seq[0, 0]
        np.testing.assert_allclose(seq, lam, atol=1e-9)
        assert len(seq) == int(np.rint(10 + 10 * lam))


def test_sequence_sampler_selectors_return_original_sequences():
    from imblearn.under_sampling import RandomUnderSampler

    from sklearn_seq.resampling import SequenceSampler

    X, y = _ragged()
    X_res, y_res = SequenceSampler(RandomUnderSampler(random_state=0)).fit_resample(
        X, y
    )
    assert len(X_res) == 12 and Counter(y_res.tolist()) == {0: 6, 1: 6}
    originals = {x.tobytes() for x in X}
    assert all(x.tobytes() in originals for x in X_res)
    X1 = [x[:, 0] for x in X]  # 1-D sequences stay 1-D
    out, _ = SequenceSampler(RandomOverSampler(random_state=0)).fit_resample(X1, y)
    assert len(out) == 48 and all(o.ndim == 1 for o in out)


def test_sequence_sampler_on_token_ids_selects_or_refuses():
    from imblearn.over_sampling import SMOTE

    from sklearn_seq.resampling import SequenceSampler

    rng = np.random.RandomState(0)
    X = [rng.randint(2, 50, size=int(n)) for n in rng.randint(3, 9, size=20)]
    y = np.array([0] * 15 + [1] * 5)
    X_res, y_res = SequenceSampler(RandomOverSampler(random_state=0)).fit_resample(X, y)
    assert len(X_res) == 30 and all(x.dtype == np.int64 for x in X_res)
    assert Counter(y_res.tolist()) == {0: 15, 1: 15}
    originals = {x.tobytes() for x in X}
    assert all(x.tobytes() in originals for x in X_res)
    with pytest.raises(SequenceValidationError, match=r"token id.*RandomOverSampler"):
        SequenceSampler(SMOTE()).fit_resample(X, y)


def test_sequence_sampler_validates_the_wrapped_sampler():
    from imblearn.over_sampling import SMOTE

    from sklearn_seq.resampling import SequenceSampler

    X, y = _ragged()
    with pytest.raises(ValueError, match="'sampler' parameter"):
        SequenceSampler("smote").fit_resample(X, y)
    with pytest.raises(ValueError, match="'k_neighbors' parameter of SMOTE"):
        SequenceSampler(SMOTE(k_neighbors=0)).fit_resample(X, y)
    with pytest.raises(ValueError, match="requires y"):
        SequenceSampler(SMOTE()).fit(X, None)


def test_samplers_keep_dataframe_series_and_one_hot_containers():
    pd = pytest.importorskip("pandas")
    from imblearn.over_sampling import SMOTE

    from sklearn_seq.resampling import SequenceSampler

    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(30, 4)), columns=list("abcd"))
    y = pd.Series([0] * 24 + [1] * 6, name="fraud")
    for sampler in [
        SequenceSampler(SMOTE(k_neighbors=3, random_state=0)),
        SequenceSMOTE(k_neighbors=3, random_state=0),
        AugmentationOverSampler(random_state=0),
    ]:
        X_res, y_res = sampler.fit_resample(X, y)
        assert isinstance(X_res, pd.DataFrame) and list(X_res.columns) == list("abcd")
        assert isinstance(y_res, pd.Series) and y_res.name == "fraud"
        assert sampler.get_feature_names_out().tolist() == list("abcd")
        labels = np.array([0] * 20 + [1] * 5 + [2] * 5)
        _, y_lab = sampler.fit_resample(X.to_numpy(), labels)
        _, y_oh = sampler.fit_resample(X.to_numpy(), np.eye(3)[labels])
        assert y_oh.shape == (60, 3)  # one-hot in, one-hot out
        np.testing.assert_array_equal(y_oh.argmax(axis=1), y_lab)
