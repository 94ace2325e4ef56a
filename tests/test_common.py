"""scikit-learn's (and imbalanced-learn's) estimator checks on every public class.

The classes are discovered, not listed: every public module's ``__all__`` is
walked (as ``sklearn.utils.all_estimators`` walks scikit-learn), and a new
public estimator, transformer or sampler must appear below with the instance
to check, or the discovery test fails. Every expected failure carries its
reason; ``xfail_strict`` makes a check that starts passing visible.
"""

import importlib
import inspect
import pkgutil
import re

import pytest
from imblearn.over_sampling import SMOTE
from imblearn.under_sampling import RandomUnderSampler
from imblearn.utils.estimator_checks import (
    parametrize_with_checks as imblearn_parametrize_with_checks,
)
from sklearn.base import BaseEstimator
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_seq
from sklearn_seq import SequenceClassifier, SequenceRegressor
from sklearn_seq.preprocessing import (
    CharVocabulary,
    SequenceFlattener,
    SequencePadder,
    SequenceReshaper,
    SequenceScaler,
    SeriesWindower,
    TextVectorizer,
    TokenVocabulary,
)
from sklearn_seq.resampling import (
    AugmentationOverSampler,
    SequenceSampler,
    SequenceSMOTE,
)

FAST = {"hidden_size": 8, "max_epochs": 2, "batch_size": 16, "random_state": 0}


def public_estimator_classes():
    """Every concrete scikit-learn estimator class in a public ``__all__``."""
    found = {}
    modules = [sklearn_seq] + [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(sklearn_seq.__path__, "sklearn_seq.")
        if not any(part.startswith("_") for part in info.name.split("."))
    ]
    for module in modules:
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not inspect.isabstract(obj)
            ):
                found[obj.__name__] = obj
    return found


# the instances checked; classes with required parameters get typical ones
CHECKED = [
    SequenceClassifier(**FAST),
    SequenceRegressor(**FAST),
    SequenceScaler(),
    SequencePadder(),
    SequenceFlattener(),
    SequenceReshaper(n_features=1),
    SeriesWindower(window_length=1),
    TextVectorizer(),
    TokenVocabulary(),
    CharVocabulary(),
    AugmentationOverSampler(random_state=0),
    SequenceSMOTE(random_state=0),
    SequenceSampler(SMOTE(random_state=0)),
    SequenceSampler(RandomUnderSampler(random_state=0)),
]
SAMPLERS = [est for est in CHECKED if hasattr(est, "fit_resample")]

# sklearn's checks feed 2-D X and a 1-D y; these estimators take neither. They
# (and the other two) run the sequence checks of sklearn_seq.utils.estimator_checks
# in tests/test_estimator_checks.py.
NOT_SKLEARN_CHECKABLE = {
    "SequenceTagger": "y is one label sequence per sample (per-step labels)",
    "Seq2SeqEstimator": "y is one output sequence per sample",
    "SequenceEmbedder": "trained on pairs or triplets of sequences, no y to predict",
}

_SGD = (
    "minibatch SGD: weights of 2 are not equivalent to repeating samples, "
    "which changes the batches"
)
EXPECTED_FAILED_CHECKS = {
    "SequenceClassifier": {"check_sample_weight_equivalence_on_dense_data": _SGD},
    "SequenceRegressor": {"check_sample_weight_equivalence_on_dense_data": _SGD},
}


def _expected_failed(estimator):
    return EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {})


def test_every_public_estimator_is_checked_or_says_why():
    discovered = public_estimator_classes()
    checked = {type(est).__name__ for est in CHECKED}
    assert checked <= set(discovered)
    missing = set(discovered) - checked - set(NOT_SKLEARN_CHECKABLE)
    assert not missing, f"add these public classes to CHECKED: {sorted(missing)}"
    assert {"SequenceSampler", "SequenceSMOTE", "TextVectorizer"} <= checked


@parametrize_with_checks(CHECKED, expected_failed_checks=_expected_failed)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@imblearn_parametrize_with_checks(SAMPLERS)
def test_imblearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("name", sorted(NOT_SKLEARN_CHECKABLE))
def test_not_checkable_reasons_name_real_classes(name):
    assert name in public_estimator_classes()


def _documented_parameters(cls):
    """Names in the "Parameters" section of a numpydoc class docstring."""
    doc = inspect.getdoc(cls)
    if "Parameters\n----------\n" not in doc:
        return []
    section = doc.split("Parameters\n----------\n", 1)[1]
    section = re.split(r"\n\n[A-Z][A-Za-z ]+\n-{3,}\n", section, maxsplit=1)[0]
    return re.findall(r"^(\w+) : ", section, flags=re.MULTILINE)


@pytest.mark.parametrize("name", sorted(public_estimator_classes()))
def test_signature_constraints_and_docs_agree(name):
    cls = public_estimator_classes()[name]
    signature = list(inspect.signature(cls).parameters)
    assert sorted(signature) == sorted(cls._parameter_constraints), name
    assert _documented_parameters(cls) == signature, name
