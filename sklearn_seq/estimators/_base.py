# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Shared machinery of the skorch-based sequence estimators.

The estimators are plain scikit-learn estimators (explicit keyword-only
parameters, nothing done in ``__init__``) that build a skorch ``NeuralNet`` in
:meth:`fit` and keep it as ``net_``. skorch runs the training loop, history and
callbacks; batching is ours (:class:`sklearn_seq.data.BucketLoader`) because
per-sample fetching and collation is where a plain skorch net loses time.
"""

import copy
import inspect
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping, GradientNormClipping, ProgressBar

from sklearn_seq.data import BucketLoader, SequenceDataset, bucket_batches, collate
from sklearn_seq.nn import CELLS, SequenceNet
from sklearn_seq.utils import check_sequences
from sklearn_seq.utils._param_validation import Interval, StrOptions

__all__ = ["BaseSequenceNet"]

_OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

#: Parameter prefixes routed like skorch's (``criterion__gamma``,
#: ``optimizer__weight_decay``, ``iterator_train__bucket_size``). When the
#: current value has ``set_params`` (e.g. a ``FocalLoss`` instance), sklearn's
#: own nested routing applies; otherwise the value lands in ``<prefix>_params``.
_ROUTED_PREFIXES = ("criterion", "optimizer", "iterator_train")

_DEFAULT_EMBEDDING_DIM = 32
_PREDICT_BATCH_SIZE = 256


def resolve_device(device):
    """Turn the ``device`` parameter into a torch device string.

    Parameters
    ----------
    device : str
        ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"auto"`` or another torch
        device string.

    Returns
    -------
    str
        The device to use.

    Raises
    ------
    ValueError
        When CUDA is requested but unavailable, or the index does not exist.
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"device={device!r} is not a valid torch device; use 'cpu', 'cuda', "
            "'cuda:N' or 'auto'."
        ) from exc
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available "
                f"(torch {torch.__version__}, torch.cuda.is_available() is False). "
                "Use device='cpu', or device='auto' to take a GPU only when "
                "there is one."
            )
        count = torch.cuda.device_count()
        if dev.index is not None and dev.index >= count:
            raise ValueError(
                f"device={device!r} was requested but only {count} CUDA "
                f"device(s) exist (cuda:0 to cuda:{count - 1})."
            )
    return str(dev)


class _SeqNet(NeuralNet):
    """skorch NeuralNet that knows our batch dict and per-sample weights."""

    def infer(self, x, **fit_params):
        # sample_weight travels in the batch dict but is not a module input
        x = {k: v for k, v in x.items() if k != "sample_weight"}
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y_true = y_true.to(y_pred.device)
        if y_pred.ndim == 2 and y_pred.shape[1] == 1 and y_true.ndim == 1:
            y_pred = y_pred[:, 0]
        weights = X.get("sample_weight") if isinstance(X, dict) else None
        if weights is None:
            return self.criterion_(y_pred, y_true)
        weights = weights.to(y_pred.device)
        criterion = self.criterion_
        if not hasattr(criterion, "reduction"):
            raise TypeError(
                f"sample_weight needs a criterion with a 'reduction' attribute; "
                f"{type(criterion).__name__} has none."
            )
        saved = criterion.reduction
        criterion.reduction = "none"
        try:
            per_sample = criterion(y_pred, y_true)
        finally:
            criterion.reduction = saved
        if per_sample.ndim > 1:
            per_sample = per_sample.reshape(len(weights), -1).mean(dim=1)
        return (per_sample * weights).sum() / weights.sum().clamp(min=1e-12)


class _InternalSplit:
    """Seeded (stratified) train/validation split of a SequenceDataset."""

    def __init__(self, fraction, seed, stratify):
        self.fraction = fraction
        self.seed = seed
        self.stratify = stratify

    def __call__(self, dataset, y=None, **kwargs):
        n = len(dataset)
        idx = np.arange(n)
        labels = dataset.y_numpy
        splitter = ShuffleSplit(1, test_size=self.fraction, random_state=self.seed)
        if self.stratify:
            _, counts = np.unique(labels, return_counts=True)
            n_valid = int(np.ceil(self.fraction * n))
            if counts.min() >= 2 and n_valid >= len(counts):
                splitter = StratifiedShuffleSplit(
                    1, test_size=self.fraction, random_state=self.seed
                )
        train, valid = next(splitter.split(idx, labels))
        return dataset.subset(train), dataset.subset(valid)


def _has_set_params(obj):
    return not isinstance(obj, type) and hasattr(obj, "set_params")


class BaseSequenceNet(BaseEstimator):
    """Base class of the sequence estimators. Not for direct use."""

    _parameter_constraints: dict = {
        "cell": [StrOptions(set(CELLS))],
        "hidden_size": [Interval(Integral, 1, None, closed="left")],
        "num_layers": [Interval(Integral, 1, None, closed="left")],
        "bidirectional": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "pooling": [StrOptions({"last", "mean", "max", "attention"})],
        "embedding_dim": [None, Interval(Integral, 1, None, closed="left")],
        "criterion": [None, callable],
        "criterion_params": [None, dict],
        "optimizer": [StrOptions(set(_OPTIMIZERS)), type],
        "optimizer_params": [None, dict],
        "iterator_train_params": [None, dict],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_grad_norm": [None, Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [None, list],
    }

    # -- parameters -------------------------------------------------------
    def set_params(self, **params):
        """Set parameters, routing ``criterion__*``-style keys like skorch.

        ``criterion__gamma=1.0`` goes to the criterion instance when it has
        ``set_params`` (sklearn's nested routing); otherwise, e.g. for a loss
        class or a torch loss instance, it is stored in ``criterion_params``
        and used when the criterion is built in :meth:`fit`. The same holds
        for ``optimizer__*`` (``optimizer_params``) and ``iterator_train__*``
        (``iterator_train_params``).

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : object
            This estimator.
        """
        plain = {k: v for k, v in params.items()
                 if k.partition("__")[0] not in _ROUTED_PREFIXES or "__" not in k}
        if plain:
            super().set_params(**plain)
        nested, routed = {}, {}
        for key, value in params.items():
            prefix, sep, sub = key.partition("__")
            if not sep or prefix not in _ROUTED_PREFIXES:
                continue
            if _has_set_params(getattr(self, prefix)):
                nested[key] = value
            else:
                routed.setdefault(prefix, {})[sub] = value
        if nested:
            super().set_params(**nested)
        for prefix, sub in routed.items():
            name = f"{prefix}_params"
            setattr(self, name, {**(getattr(self, name) or {}), **sub})
        return self

    # -- fit helpers ------------------------------------------------------
    def _validate_X(self, X, *, reset):
        seqs = check_sequences(X)
        if reset:
            self.input_kind_ = seqs.kind
            if seqs.is_tokens:
                self.vocab_size_ = int(seqs.values.max()) + 1
                self.n_features_in_ = 1
            else:
                self.vocab_size_ = None
                self.n_features_in_ = seqs.n_features
            return seqs
        fitted_tokens = self.input_kind_ == "tokens"
        if seqs.is_tokens != fitted_tokens:
            raise ValueError(
                f"{type(self).__name__} was fitted on "
                f"{'token id sequences' if fitted_tokens else 'numeric sequences'}"
                f" but X holds {'token ids' if seqs.is_tokens else 'numbers'}."
            )
        if fitted_tokens:
            too_big = seqs.values >= self.vocab_size_
            if too_big.any():
                step = int(np.argmax(too_big))
                sample = int(np.searchsorted(np.cumsum(seqs.lengths), step,
                                             side="right"))
                raise ValueError(
                    f"X[{sample}] holds token id {int(seqs.values[step])}, but "
                    f"ids seen in fit are < {self.vocab_size_}. Map unseen tokens "
                    "to an out-of-vocabulary id (TextVectorizer does)."
                )
        elif seqs.n_features != self.n_features_in_:
            raise ValueError(
                f"X has {seqs.n_features} features per step, but "
                f"{type(self).__name__} is expecting {self.n_features_in_} "
                "features per step as input."
            )
        return seqs

    def _build_module(self, seqs, n_outputs):
        tokens = seqs.is_tokens
        return SequenceNet(
            None if tokens else seqs.n_features,
            n_outputs,
            cell=self.cell,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            bidirectional=self.bidirectional,
            dropout=self.dropout,
            pooling=self.pooling,
            vocab_size=self.vocab_size_ if tokens else None,
            embedding_dim=self.embedding_dim or _DEFAULT_EMBEDDING_DIM,
        )

    def _build_criterion(self, default, weight=None):
        criterion = default if self.criterion is None else self.criterion
        params = dict(self.criterion_params or {})
        if isinstance(criterion, type):
            if weight is not None:
                accepted = inspect.signature(criterion).parameters
                if "weight" not in accepted:
                    raise ValueError(
                        f"class_weight is set but criterion {criterion.__name__} "
                        "takes no 'weight'; use a criterion that accepts class "
                        "weights (e.g. CrossEntropyLoss, FocalLoss) or "
                        "class_weight=None."
                    )
                params.setdefault("weight", weight)
            try:
                criterion = criterion(**params)
            except TypeError as exc:
                raise TypeError(
                    f"Could not build criterion {criterion.__name__} with "
                    f"criterion parameters {params}: {exc}"
                ) from exc
        else:
            criterion = copy.deepcopy(criterion)
            for key, value in params.items():
                if not hasattr(criterion, key):
                    raise ValueError(
                        f"criterion__{key} was set but {type(criterion).__name__} "
                        f"has no attribute {key!r}."
                    )
                setattr(criterion, key, value)
            if weight is not None:
                if not hasattr(criterion, "weight"):
                    raise ValueError(
                        f"class_weight is set but criterion "
                        f"{type(criterion).__name__} takes no 'weight'."
                    )
                criterion.weight = weight
        if not isinstance(criterion, torch.nn.Module):
            raise TypeError(
                "criterion must be a torch.nn.Module instance or class taking "
                f"logits, got {type(criterion).__name__}."
            )
        return criterion

    def _build_callbacks(self):
        callbacks = []
        if self.max_grad_norm is not None:
            callbacks.append(("grad_norm_clipping",
                              GradientNormClipping(self.max_grad_norm)))
        if self.early_stopping:
            callbacks.append(("early_stopping", EarlyStopping(
                monitor="valid_loss", patience=self.n_iter_no_change,
                load_best=True, sink=print,
            )))
        if self.verbose and self.verbose >= 2:
            callbacks.append(("progress_bar", ProgressBar()))
        for i, cb in enumerate(self.callbacks or []):
            if isinstance(cb, tuple):
                name, cb = cb
            else:
                name = f"{type(cb).__name__}_{i}"
            # hand skorch a copy: the parameter itself must never change
            callbacks.append((name, clone(cb)))
        return callbacks

    def _fit_net(self, seqs, y, n_outputs, *, default_criterion, weight=None,
                 stratify=False, sample_weight=None):
        device = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        devices = []
        if device.startswith("cuda"):
            devices = [torch.device(device).index or 0]
        optimizer = self.optimizer
        if isinstance(optimizer, str):
            optimizer = _OPTIMIZERS[optimizer]
        dataset = SequenceDataset(seqs, y, sample_weight)
        train_split = None
        if self.early_stopping:
            train_split = _InternalSplit(self.validation_fraction, seed, stratify)
        routed = {f"optimizer__{k}": v for k, v in (self.optimizer_params or {}).items()}
        iter_params = {"shuffle": True, **(self.iterator_train_params or {})}
        routed.update({f"iterator_train__{k}": v for k, v in iter_params.items()})
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            module = self._build_module(seqs, n_outputs)
            if weight is not None:
                weight = torch.as_tensor(weight, dtype=torch.float32)
            criterion = self._build_criterion(default_criterion, weight)
            if hasattr(criterion, "set_module"):
                criterion.set_module(module)
            net = _SeqNet(
                module=module,
                criterion=criterion,
                optimizer=optimizer,
                lr=self.lr,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                iterator_train=BucketLoader,
                iterator_valid=BucketLoader,
                iterator_train__generator=np.random.default_rng(seed),
                train_split=train_split,
                callbacks=self._build_callbacks(),
                device=device,
                verbose=self.verbose,
                **routed,
            )
            net.fit(dataset, None)
        self.net_ = net
        self.n_epochs_ = len(net.history)
        return self

    def _forward(self, seqs):
        """Raw module outputs for all sequences, in input order (no grad)."""
        net = self.net_
        module = net.module_
        device = net.device
        outputs = None
        was_training = module.training
        module.eval()
        batch_size = max(self.batch_size, _PREDICT_BATCH_SIZE)
        try:
            with torch.inference_mode():
                for idx in bucket_batches(seqs.lengths, batch_size):
                    Xi = collate(seqs, idx)
                    out = module(Xi["x"].to(device), Xi["lengths"].to(device))
                    out = out.float().cpu().numpy()
                    if outputs is None:
                        outputs = np.empty((seqs.n_samples, *out.shape[1:]),
                                           dtype=np.float32)
                    outputs[idx] = out
        finally:
            module.train(was_training)
        return outputs

    @property
    def history_(self):
        """skorch's training history (per-epoch losses, durations).

        Returns
        -------
        skorch.history.History
            The history of the last fit.
        """
        check_is_fitted(self, "net_")
        return self.net_.history

    def __sklearn_is_fitted__(self):
        return hasattr(self, "net_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = str(self.device) not in ("cpu",)
        return tags
