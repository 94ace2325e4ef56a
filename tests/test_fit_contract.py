"""The fit contract: a failed fit changes nothing, and what cannot be trained
on is refused before any work, with a message naming the parameter or sample.
"""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from skorch.callbacks import Callback
from torch import nn

from conftest import FAST, fast, make_ragged_xy
from sklearn_seq import SequenceClassifier, SequenceRegressor, SequenceTagger
from sklearn_seq.utils._param_validation import InvalidParameterError

rng = np.random.RandomState(0)
X = rng.normal(size=(40, 5, 2)).astype(np.float32)
y = np.array([0, 1] * 20)


class _FailAtEpoch(Callback):
    """Raise in the middle of training, after some optimizer steps."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, net, **kwargs):
        if len(net.history) >= self.epoch:
            raise RuntimeError("boom")


# -- a failed fit changes nothing -----------------------------------------
@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"optimizer_params": {"momentum": 0.9}}, r"optimizer__momentum.*Adam"),
        ({"device": "xla"}, r"device='xla'"),
        ({"optimizer": dict}, r"not a torch optimizer"),
        ({"iterator_train_params": {"bogus": 1}}, r"iterator_train__bogus"),
        ({"callbacks": [_FailAtEpoch(1)]}, r"boom"),
    ],
)
def test_failed_refit_keeps_the_fitted_model(params, match):
    clf = SequenceClassifier(**FAST).fit(X, y)
    before = clf.predict_proba(X)
    attributes = {k: v for k, v in vars(clf).items() if k.endswith("_")}
    net = clf.net_
    with pytest.raises((ValueError, TypeError, RuntimeError), match=match) as exc:
        clf.set_params(**params).fit(X[:30, :4], y[:30])
    assert "NoneType" not in str(exc.value)  # the real cause, not a follow-up
    assert clf.net_ is net
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    for key, value in attributes.items():
        assert getattr(clf, key) is value, key


@pytest.mark.parametrize(
    "params",
    [
        {"optimizer_params": {"momentum": 0.9}},
        {"device": "xla"},
        {"callbacks": [_FailAtEpoch(1)]},
    ],
)
def test_failed_first_fit_leaves_the_estimator_unfitted(params):
    clf = SequenceClassifier(**fast(**params))
    with pytest.raises(Exception):  # noqa: B017 (the messages: above)
        clf.fit(X, y)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    assert not [k for k in vars(clf) if k.endswith("_") and not k.startswith("_")]


@pytest.mark.parametrize("continuation", ["warm_start", "partial_fit"])
def test_failed_continuation_restores_weights_optimizer_and_history(continuation):
    clf = SequenceClassifier(**fast(max_epochs=3)).fit(X, y)
    before = clf.predict_proba(X)
    n_epochs = len(clf.history_)
    moments = {
        k: v["exp_avg"].clone()
        for k, v in enumerate(clf.net_.optimizer_.state.values())
    }
    # fail after one epoch of continued training: weights have moved by then
    clf.net_.callbacks_.append(("fail", _FailAtEpoch(n_epochs + 1)))
    with pytest.raises(RuntimeError, match="boom"):
        if continuation == "warm_start":
            clf.set_params(warm_start=True).fit(X, y)
        else:
            clf.partial_fit(X, y, classes=[0, 1])
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    assert len(clf.history_) == n_epochs
    for k, v in enumerate(clf.net_.optimizer_.state.values()):
        torch.testing.assert_close(v["exp_avg"], moments[k])


def test_divergence_still_keeps_a_usable_model():
    # documented exception: best (last finite) weights kept, estimator usable
    from sklearn_seq.callbacks import TrainingDivergedError

    reg = SequenceRegressor(**fast(scale_target=False))
    with pytest.raises(TrainingDivergedError):
        reg.fit(X, np.full(40, 1e30))
    assert reg.predict(X[:3]).shape == (3,)


# -- refused before any work ----------------------------------------------
def _no_training(monkeypatch):
    """Make any training attempt fail loudly: refusals must come first."""
    from skorch import NeuralNet

    def boom(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(NeuralNet, "fit", boom)
    monkeypatch.setattr(NeuralNet, "partial_fit", boom)


@pytest.mark.parametrize(
    ("make", "fit_kw", "match"),
    [
        (
            lambda: SequenceClassifier(**FAST),
            {"sample_weight": np.r_[np.ones(3), -1.0, np.ones(36)]},
            r"sample_weight\[3\] is -1\.0",
        ),
        (
            lambda: SequenceClassifier(class_weight={0: -1}, **FAST),
            {},
            r"class_weight\[0\] is -1\.0",
        ),
        (
            lambda: SequenceClassifier(class_weight={1: np.nan}, **FAST),
            {},
            r"class_weight\[1\] is nan",
        ),
        (
            lambda: SequenceClassifier(criterion=nn.NLLLoss, **FAST),
            {},
            r"NLLLoss expects log-probabilities",
        ),
        (
            lambda: SequenceRegressor(criterion=nn.CrossEntropyLoss, **FAST),
            {},
            r"CrossEntropyLoss is a classification loss",
        ),
        (
            lambda: SequenceClassifier(**fast(batch_size=64)).set_params(
                iterator_train__drop_last=True
            ),
            {},
            r"drop_last=True drops every batch: 40 training sequences",
        ),
        (
            lambda: SequenceClassifier(**FAST).set_params(iterator_train__batch_size=0),
            {},
            r"iterator_train__batch_size must be an int >= 1, got 0",
        ),
        (
            lambda: SequenceClassifier(**FAST).set_params(
                iterator_train__bucket_size=0
            ),
            {},
            r"iterator_train__bucket_size must be an int >= 1, got 0",
        ),
        (
            lambda: SequenceClassifier(**FAST).set_params(
                iterator_train__max_padding=0.5
            ),
            {},
            r"iterator_train__max_padding must be a number >= 1",
        ),
    ],
)
def test_refused_at_fit_before_any_work(monkeypatch, make, fit_kw, match):
    _no_training(monkeypatch)
    est = make()
    target = y.astype(float) if isinstance(est, SequenceRegressor) else y
    with pytest.raises(ValueError, match=match):
        est.fit(X, target, **fit_kw)
    with pytest.raises(NotFittedError):
        est.predict(X)


def test_zero_sample_weights_are_fine():
    w = np.r_[np.zeros(10), np.ones(30)]
    SequenceClassifier(**FAST).fit(X, y, sample_weight=w)


def test_drop_last_counts_the_validation_split():
    clf = SequenceClassifier(**fast(batch_size=38, early_stopping=True)).set_params(
        iterator_train__drop_last=True
    )
    with pytest.raises(ValueError, match="36 training sequences"):
        clf.fit(X, y)


def test_boolean_counts_are_refused():
    with pytest.raises(InvalidParameterError, match="'batch_size' parameter"):
        SequenceClassifier(**fast(batch_size=True)).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'hidden_size' parameter"):
        SequenceTagger(hidden_size=True).fit([[2, 3]], [[0, 1]])


def test_absurd_token_ids_name_the_table_they_would_cost():
    X_tok = [np.array([2, 3, 4]), np.array([5, 2_000_000])] * 10
    with pytest.raises(ValueError, match=r"2,000,001 rows.*MiB.*TextVectorizer"):
        SequenceClassifier(**FAST).fit(X_tok, [0, 1] * 10)
    # a large but dense vocabulary is fine (ids from a vectorizer): the
    # table is sized by the largest id, nothing is refused
    from sklearn_seq.utils import check_sequences

    dense = check_sequences([np.arange(2, 1_200_002)])
    assert SequenceClassifier()._check_vocab_size(dense) == 1_200_002
    sparse = check_sequences([np.array([2, 3, 1_200_001])])
    with pytest.raises(ValueError, match="only 3 distinct ids"):
        SequenceClassifier()._check_vocab_size(sparse)


def test_uint64_ids_and_float32_overflow_are_named():
    from sklearn_seq.exceptions import SequenceValidationError

    ids = [np.array([2, 3, 2**63 + 5], dtype=np.uint64), np.array([5], np.uint64)]
    with pytest.raises(SequenceValidationError, match="9223372036854775813"):
        SequenceClassifier(**FAST).fit(ids * 5, [0, 1] * 5)
    big = X.astype(np.float64)
    big[3, 2, 1] = 1e39
    with pytest.raises(SequenceValidationError, match=r"X\[3\] step 2.*too large"):
        SequenceClassifier(**FAST).fit(big, y)


def test_a_loss_that_explodes_warns_with_lr_and_max_grad_norm():
    clf = SequenceClassifier(**fast(lr=1e6, max_epochs=4))
    with pytest.warns(ConvergenceWarning, match=r"lr is 1000000\.0.*max_grad_norm"):
        clf.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        SequenceClassifier(**fast(lr=1e-2, max_epochs=4)).fit(X, y)


# -- 2-D input follows scikit-learn ---------------------------------------
def test_2d_input_has_columns_as_features_and_refuses_other_widths():
    X2 = X[:, :, 0]
    clf = SequenceClassifier(**FAST).fit(X2, y)
    assert clf.n_features_in_ == 5 and clf.input_kind_ == "univariate"
    with pytest.raises(ValueError, match=r"X has 4 features.*list of arrays"):
        clf.predict(X2[:, :4])
    with pytest.raises(ValueError, match="X has 40 features"):
        clf.predict(X2.T)
    # other lengths go in as a list or a 3-D array of one feature per step
    assert clf.predict([x[:3] for x in X2]).shape == (40,)
    assert clf.predict(X[:, :, :1]).shape == (40,)
    with pytest.raises(ValueError, match="2 features per step"):
        clf.predict(X)


def test_lists_keep_per_step_features_and_any_length():
    Xr, yr = make_ragged_xy(30)
    clf = SequenceClassifier(**FAST).fit(Xr, yr)
    assert clf.n_features_in_ == 2
    assert clf.predict([np.ones((12, 2), np.float32)]).shape == (1,)
    # X.tolist() of a 2-D array is a 2-D array-like, as in scikit-learn
    clf = SequenceClassifier(**FAST).fit(X[:, :, 0].tolist(), y)
    assert clf.n_features_in_ == 5 and clf.input_kind_ == "univariate"
