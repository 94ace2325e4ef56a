# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Shared machinery of the skorch-based sequence estimators.

The estimators are plain scikit-learn estimators (explicit keyword-only
parameters, nothing done in ``__init__``) that build a skorch ``NeuralNet`` in
:meth:`fit` and keep it as ``net_``. skorch runs the training loop, history and
callbacks; batching is ours (:class:`sklearn_seq.data.BucketLoader`) because
per-sample fetching and collation is where a plain skorch net loses time.
"""

import contextlib
import copy
import functools
import inspect
import operator
import os
import sys
import warnings
from numbers import Integral, Real

import numpy as np
import sklearn
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import _check_sample_weight, check_is_fitted
from skorch import NeuralNet
from skorch.callbacks import (
    Callback,
    EarlyStopping,
    GradientNormClipping,
    LRScheduler,
    PrintLog,
    ProgressBar,
)
from skorch.dataset import get_len, unpack_data
from skorch.history import History
from skorch.utils import TeeGenerator
from torch.optim.lr_scheduler import CosineAnnealingLR, ReduceLROnPlateau

from sklearn_seq.callbacks import (
    GradientValueClipping,
    NaNGuard,
    TrainingDivergedError,
    WeightAveraging,
)
from sklearn_seq.data import BucketLoader, SequenceDataset, bucket_batches, collate
from sklearn_seq.data._dataset import _uniform_view
from sklearn_seq.estimators._threads import limit_torch_threads
from sklearn_seq.exceptions import DeviceWarning
from sklearn_seq.inspection._skew import training_input_profile
from sklearn_seq.nn import (
    SequenceNet,
    has_batchnorm,
    recompute_batchnorm_stats,
)
from sklearn_seq.utils import check_sequences
from sklearn_seq.utils._param_validation import InvalidParameterError, _fit_context
from sklearn_seq.utils._sequences import (
    IGNORE_INDEX,
    _check_finite,
    check_n_features_in,
    n_features_in,
)

__all__ = ["BaseSequenceNet", "atomic_fit"]

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
#: Token ids above this must not be mostly unused (see _check_vocab_size).
_MAX_SPARSE_VOCAB = 1_000_000
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
    if dev.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(
                f"device={device!r} was requested but MPS is not available "
                f"(torch {torch.__version__}). Use device='cpu' or device='auto'."
            )
        return str(dev)
    if dev.type not in ("cpu", "cuda"):
        raise ValueError(
            f"device={device!r} is a torch device type sklearn_seq does not run "
            "on; use 'cpu', 'cuda', 'cuda:N', 'mps' (Apple GPUs) or 'auto'."
        )
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


def _caller_stacklevel():
    """``stacklevel`` pointing a warning at the first frame outside the library.

    For ``warnings.warn`` in the function that calls this: the frames of
    sklearn_seq and of scikit-learn's wrappers (``_fit_context``) are skipped,
    so the warning names the user's line whatever the call depth.
    """
    inside = (
        os.path.dirname(os.path.dirname(__file__)),
        os.path.dirname(sklearn.__file__),
    )
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(inside):
        frame, level = frame.f_back, level + 1
    return level


def _amp_policy(amp, device):
    """Autocast dtype (None: float32) and whether to scale gradients.

    ``amp=True`` takes bfloat16 where the GPU computes it natively (no
    gradient scaling needed) and float16 with a gradient scaler elsewhere.
    Off CUDA, mixed precision falls back to float32 with a DeviceWarning:
    CPU bfloat16 autocast did not speed up recurrent training on the CPUs
    measured (``benchmarks/bench_throughput.py``).
    """
    if amp is False or amp is None:
        return None, False
    if not str(device).startswith("cuda"):
        warnings.warn(
            f"amp={amp!r} needs a CUDA device but the estimator runs on "
            f"{device!r}; training in float32 instead.",
            DeviceWarning,
            stacklevel=_caller_stacklevel(),
        )
        return None, False
    if amp == "fp16":
        return torch.float16, True
    if amp == "bf16":
        return torch.bfloat16, False
    try:
        native_bf16 = torch.cuda.is_bf16_supported(including_emulation=False)
    except TypeError:  # torch < 2.4 has no including_emulation
        native_bf16 = torch.cuda.is_bf16_supported()
    if native_bf16:
        return torch.bfloat16, False
    return torch.float16, True


def _to_device(tensor, device):
    """Copy to ``device``, asynchronously from pinned memory (None: stay)."""
    if device is None:  # placement left to someone else (e.g. Accelerate)
        return tensor
    if device == "cpu" and tensor.is_cpu:
        # what .to() would return, without its dispatch and is_pinned's
        # (three tensors a training batch: 10 us)
        return tensor
    return tensor.to(device, non_blocking=tensor.is_pinned())


def atomic_fit(fit):
    """Make a ``fit`` method all-or-nothing (see ``_fit_transaction``).

    A fit that raises leaves the estimator exactly as it was: a fitted one
    keeps its model and attributes, an unfitted one stays unfitted. The one
    exception is documented: when training diverges
    (:class:`~sklearn_seq.callbacks.TrainingDivergedError`) the estimator
    keeps the network at its last finite (or best) weights, usable.
    """

    @functools.wraps(fit)
    def wrapper(self, *args, **kwargs):
        with self._fit_transaction():
            return fit(self, *args, **kwargs)

    return wrapper


def _net_state(net):
    """Copies of what a continued fit changes in place in a skorch net."""
    state = {"history": len(net.history)}
    for name in ("module_", "optimizer_", "criterion_"):
        part = getattr(net, name, None)
        if part is not None and hasattr(part, "state_dict"):
            state[name] = copy.deepcopy(part.state_dict())
    return state


def _restore_net_state(net, state):
    for name, saved in state.items():
        if name != "history":
            getattr(net, name).load_state_dict(saved)
    while len(net.history) > state["history"]:
        net.history.pop()


class _History(History):
    """skorch's History, recording a batch without its indexing machinery.

    skorch writes ``history[-1]["batches"][-1][key] = value`` three times per
    training batch; ``History.__getitem__`` parses every index (tuples, keys,
    slices), which cost about 0.1 ms per batch where it was measured. The
    same writes through the plain list; reading is unchanged.
    """

    def new_batch(self):
        list.__getitem__(self, -1)["batches"].append({})

    def record_batch(self, attr, value):
        list.__getitem__(self, -1)["batches"][-1][attr] = value


_MODULE_TRAIN = torch.nn.Module.train

#: torch's optimizers that call a ``step`` closure once, before their update
#: (all but LBFGS, which evaluates the loss several times)
_CLOSURE_ONCE = frozenset(
    cls
    for cls in vars(torch.optim).values()
    if isinstance(cls, type)
    and issubclass(cls, torch.optim.Optimizer)
    and cls not in (torch.optim.Optimizer, torch.optim.LBFGS)
)


def _needs_mode(module, training):
    """Whether ``module.train(training)`` would change or do anything.

    True when a module of the tree is in the other mode, or overrides
    ``train()`` (a user's module that, say, keeps its batch norm frozen
    there, which must then run as torch would run it).
    """
    # a walk over the children dicts: nn.Module.modules() builds names and a
    # memo set for every module (8 against 3 us for an LSTM classifier)
    stack = [module]
    while stack:
        m = stack.pop()
        if m is None:  # a child slot set to None
            continue
        if m.training is not training or type(m).train is not _MODULE_TRAIN:
            return True
        stack.extend(m._modules.values())
    return False


def _batch_len(batch):
    """Samples in a training or validation batch, as skorch's get_len counts."""
    X = batch[0] if isinstance(batch, tuple | list) else batch
    lengths = X.get("lengths") if isinstance(X, dict) else None
    return len(lengths) if isinstance(lengths, torch.Tensor) else get_len(X)


def _overrides(callback, method_name):
    """Whether ``callback`` does something in ``method_name`` (not the no-op)."""
    return method_name in vars(callback) or getattr(
        type(callback), method_name, None
    ) is not getattr(Callback, method_name)


class _QuietPrintLog(PrintLog):
    """skorch's epoch table, left idle while the net is not verbose.

    skorch's ``PrintLog`` formats the epoch's row with tabulate and flushes
    stdout after every epoch even when ``verbose=0`` prints nothing (0.6 ms
    an epoch). It stays a ``PrintLog``, found by callbacks that configure it.
    """

    def on_epoch_end(self, net, **kwargs):
        if net.verbose:
            super().on_epoch_end(net, **kwargs)


class _SeqNet(NeuralNet):
    """skorch NeuralNet that knows our batch dict and per-sample weights.

    ``amp_dtype`` (set by :meth:`BaseSequenceNet._fit_net`) runs the forward
    pass under :func:`torch.autocast`; ``grad_scaler`` (float16 only) scales
    the loss before backward and unscales the gradients before callbacks
    (gradient clipping, NaN guard) see them.
    """

    amp_dtype = None
    grad_scaler = None
    #: ``(rank, world_size)`` when training data-parallel (``distributed=True``)
    dist_world = None
    #: the module wrapped in DistributedDataParallel, while training only
    ddp_module = None
    # what the last distributed training step reports: the global batch's
    # loss and sample count (see get_loss)
    _global_step = None

    @property
    def _default_callbacks(self):
        return [
            (name, _QuietPrintLog() if type(cb) is PrintLog else cb)
            for name, cb in super()._default_callbacks
        ]

    def initialize_history(self):
        if self.history_ is None:
            self.history_ = _History()
        else:
            self.history_.clear()
        return self

    def notify(self, method_name, **cb_kwargs):
        # skorch's notify, minus the calls to callbacks that do not implement
        # the event (most callbacks act once per epoch, notify runs three
        # times per batch); the lists are rebuilt when the callbacks change
        getattr(self, method_name)(self, **cb_kwargs)
        current = self.callbacks_
        cache = self.__dict__.get("_notify_cache")
        # the cache holds the (name, callback) entries it was built for, so
        # that their ids cannot be reused by others while it lives; compared
        # by identity in C (map over operator.is_)
        if (
            cache is None
            or len(cache[0]) != len(current)
            or not all(map(operator.is_, cache[0], current))
        ):
            cache = self.__dict__["_notify_cache"] = (tuple(current), {})
        listeners = cache[1].get(method_name)
        if listeners is None:
            listeners = cache[1][method_name] = [
                cb for _, cb in cache[0] if _overrides(cb, method_name)
            ]
        for cb in listeners:
            getattr(cb, method_name)(self, **cb_kwargs)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        # skorch's loop, reading the batch size from the batch dict's
        # ``lengths`` (skorch's get_len walks every tensor of the batch into
        # a set to check they agree, which collate guarantees: 60 us a batch)
        if iterator is None:
            return
        history = self.history
        batch_count = 0
        for batch in iterator:
            self.notify("on_batch_begin", batch=batch, training=training)
            step = step_fn(batch, **fit_params)
            history.record_batch(prefix + "_loss", step["loss"].item())
            history.record_batch(prefix + "_batch_size", _batch_len(batch))
            self.notify("on_batch_end", batch=batch, training=training, **step)
            batch_count += 1
        history.record(prefix + "_batch_count", batch_count)

    def _set_training(self, training=True):
        # skorch sets the mode of every module and criterion before every
        # batch; nn.Module.train walks the tree and sets each flag through
        # nn.Module.__setattr__ (15 us for the 6 modules of an LSTM
        # classifier and its criterion). Reading the flags costs a third of
        # that: a tree already in the mode is left as it is, unless a module
        # overrides train() (a user's module that, say, keeps its batch norm
        # frozen there), which then runs as skorch would run it
        for name in self._modules + self._criteria:
            module = getattr(self, name + "_")
            if isinstance(module, torch.nn.Module) and _needs_mode(module, training):
                module.train(training)

    def infer(self, x, **fit_params):
        # sample_weight travels in the batch dict but is not a module input;
        # pinned batches (BucketLoader(pin_memory=True)) copy asynchronously
        x = {
            k: _to_device(v, self.device) for k, v in x.items() if k != "sample_weight"
        }
        if self.amp_dtype is None:
            return self._call_module(x, fit_params)
        with torch.autocast(torch.device(self.device).type, dtype=self.amp_dtype):
            y_pred = self._call_module(x, fit_params)
        # the loss and everything downstream see float32
        return y_pred.float()

    def _call_module(self, x, fit_params):
        if self.ddp_module is not None and self.module_.training:
            # training steps go through DistributedDataParallel, whose
            # backward all-reduces the gradients; evaluation stays local
            return self.ddp_module(**x, **fit_params)
        if fit_params:
            return super().infer(x, **fit_params)
        # what skorch's infer does for a dict already on the device
        return self.module_(**x)

    # -- data-parallel training (distributed=True, see _distributed.py) ---------
    def on_train_begin(self, net, X=None, y=None, **kwargs):
        super().on_train_begin(net, X=X, y=y, **kwargs)
        if self.dist_world is not None and self.ddp_module is None:
            from torch.nn.parallel import DistributedDataParallel

            device = torch.device(self.device)
            # the constructor broadcasts rank 0's weights to every process;
            # set past skorch's check, which wants torch modules registered as
            # its own components (this one is a view for the training steps)
            self.__dict__["ddp_module"] = DistributedDataParallel(
                self.module_,
                device_ids=[device] if device.type == "cuda" else None,
            )

    def on_train_end(self, net, X=None, y=None, **kwargs):
        super().on_train_end(net, X=X, y=y, **kwargs)
        self.ddp_module = None  # the fitted net holds the plain module

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        super().on_batch_end(net, batch=batch, training=training, **kwargs)
        if training and self._global_step is not None:
            # skorch averages the epoch's loss weighted by the batch sizes it
            # recorded: the whole batch's, as one process training alone
            self.history.record_batch("train_batch_size", self._global_step[1])
            self._global_step = None

    def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        super().on_epoch_end(net, dataset_train, dataset_valid, **kwargs)
        if self.ddp_module is None:
            return
        # every process validates on the whole validation split; rank 0's
        # losses are used everywhere, so that early stopping and the best
        # epoch are the same decision in every process (GPU kernels may
        # differ in the last bits between processes)
        batches = [b for b in self.history[-1]["batches"] if "valid_loss" in b]
        if batches:
            from sklearn_seq.estimators._distributed import from_rank0

            losses = from_rank0([b["valid_loss"] for b in batches])
            for b, loss in zip(batches, losses):
                b["valid_loss"] = loss

    def train_step_single(self, batch, **fit_params):
        step = super().train_step_single(batch, **fit_params)
        return self._report_global(step)

    def _report_global(self, step):
        if self._global_step is not None:
            # the history and the callbacks see the whole batch's loss
            step["loss"] = self._global_step[0]
        return step

    def _loss_mass(self, y_true, X):
        """What this batch's mean training loss divides by (a tensor).

        Samples (or their weights, times the class weights of a class-weighted
        criterion) for one target per sequence; the real steps (or their tag
        weights) for tag sequences padded with ``IGNORE_INDEX``. Used to
        combine the means of the processes of a distributed fit.
        """
        criterion = self.criterion_
        if getattr(criterion, "crf", False):
            class_weight = None  # CRF: the mean over real steps
        else:
            class_weight = getattr(
                getattr(criterion, "criterion", criterion), "weight", None
            )
        if not isinstance(class_weight, torch.Tensor):
            class_weight = None
        labels = not y_true.is_floating_point()
        weights = X.get("sample_weight") if isinstance(X, dict) else None
        if weights is not None:
            weights = _to_device(weights, y_true.device)
            if class_weight is not None and labels and y_true.ndim == 1:
                return (weights * class_weight[y_true]).sum()
            return weights.sum()
        if labels and y_true.ndim == 2:  # tags, padding marked IGNORE_INDEX
            mask = y_true != IGNORE_INDEX
            if class_weight is not None:
                return class_weight[y_true[mask]].sum()
            return mask.sum()
        if class_weight is not None and labels and y_true.ndim == 1:
            return class_weight[y_true].sum()
        return torch.tensor(float(len(y_true)))

    def train_step(self, batch, **fit_params):
        scaler = self.grad_scaler
        if scaler is None:
            optimizer = self._closure_free_optimizer()
            if optimizer is None:
                return super().train_step(batch, **fit_params)
            # skorch hands a closure to optimizer.step for optimizers that
            # evaluate the loss several times (LBFGS); torch's others call it
            # once, before their update. The same steps in the same order,
            # without the closure, the step accumulator and the loops over
            # optimizers (25 us a batch on a tiny LSTM, 1 thread)
            optimizer.zero_grad()
            step = self.train_step_single(batch, **fit_params)
            self.notify(
                "on_grad_computed",
                named_parameters=TeeGenerator(self.get_all_learnable_params()),
                batch=batch,
                training=True,
            )
            optimizer.step()
            return step
        # skorch's train_step hands a closure to optimizer.step, which
        # GradScaler.step does not take: the same steps, spelled out
        optimizers = [getattr(self, name + "_") for name in self._optimizers]
        self._zero_grad_optimizer()
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        scaler.scale(loss).backward()
        overflow = False
        for optimizer in optimizers:
            scaler.unscale_(optimizer)
            found = scaler._found_inf_per_device(optimizer).values()
            overflow = overflow or bool(sum(f.item() for f in found))
        if not overflow:
            # an overflow is the scaler's business (it skips the step and
            # lowers the scale), not a divergence for the NaN guard
            self.notify(
                "on_grad_computed",
                named_parameters=TeeGenerator(self.get_all_learnable_params()),
                batch=batch,
                training=True,
            )
        for optimizer in optimizers:
            scaler.step(optimizer)
        scaler.update()
        return self._report_global({"loss": loss, "y_pred": y_pred})

    def _closure_free_optimizer(self):
        """The net's one optimizer when it is torch's own and not LBFGS.

        Those call a ``step`` closure exactly once, before their update; an
        LBFGS, a user's optimizer class (which may call it several times or
        need it, as sharpness-aware ones do) or several optimizers get
        skorch's closure.
        """
        if self._optimizers != ["optimizer"]:
            return None
        optimizer = self.optimizer_
        return optimizer if type(optimizer) in _CLOSURE_ONCE else None

    def get_loss(self, y_pred, y_true, X=None, training=False):
        loss = self._mean_loss(y_pred, y_true, X)
        if not (training and self.ddp_module is not None):
            return loss
        from sklearn_seq.estimators._distributed import scale_to_global

        y_true = _to_device(y_true, y_pred.device)
        mass = self._loss_mass(y_true, X)
        # an empty share (a batch smaller than the number of processes) is
        # one sample of weight 0 (BucketLoader): it counts for nothing
        weights = X.get("sample_weight") if isinstance(X, dict) else None
        n = 0 if weights is not None and not bool(weights.any()) else len(y_true)
        scaled, global_loss, n_global = scale_to_global(
            loss, mass, n, self.dist_world[1]
        )
        self._global_step = (global_loss, n_global)
        return scaled

    def _mean_loss(self, y_pred, y_true, X):
        y_true = _to_device(y_true, y_pred.device)
        if y_pred.ndim == 2 and y_pred.shape[1] == 1 and y_true.ndim == 1:
            y_pred = y_pred[:, 0]
        weights = X.get("sample_weight") if isinstance(X, dict) else None
        # a criterion declaring needs_inputs (DistillationLoss) gets the batch
        extra = {"X": X} if getattr(self.criterion_, "needs_inputs", False) else {}
        if weights is None:
            return self.criterion_(y_pred, y_true, **extra)
        weights = _to_device(weights, y_pred.device)
        criterion = self.criterion_
        if not hasattr(criterion, "reduction"):
            raise TypeError(
                f"sample_weight needs a criterion with a 'reduction' attribute; "
                f"{type(criterion).__name__} has none."
            )
        saved = criterion.reduction
        criterion.reduction = "none"
        try:
            per_sample = criterion(y_pred, y_true, **extra)
        finally:
            criterion.reduction = saved
        if per_sample.ndim > 1:
            per_sample = per_sample.reshape(len(weights), -1).mean(dim=1)
        denominator = weights
        class_weight = getattr(criterion, "weight", None)
        if (
            isinstance(class_weight, torch.Tensor)
            and y_true.ndim == 1
            and not y_true.is_floating_point()
        ):
            # a class-weighted criterion returns w[y] * loss per sample: divide
            # by the same weights, as its 'mean' does, so unit sample weights
            # give exactly the unweighted-sample loss
            denominator = weights * class_weight[y_true]
        return (per_sample * weights).sum() / denominator.sum().clamp(min=1e-12)


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

    # The parameters are declared by each estimator (``_params.with_parameters``).
    # The machinery below reads three that not every estimator offers; these
    # class attributes are their values where the estimator does not take the
    # parameter (no continued training, no mixed precision, no batch norm).
    warm_start = False
    amp = False
    distributed = False
    recompute_bn_stats = False

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
        plain = {
            k: v
            for k, v in params.items()
            if k.partition("__")[0] not in _ROUTED_PREFIXES or "__" not in k
        }
        if plain:
            super().set_params(**plain)
        nested, routed = {}, {}
        for key, value in params.items():
            prefix, sep, sub = key.partition("__")
            if not sep or prefix not in _ROUTED_PREFIXES:
                continue
            if _has_set_params(getattr(self, prefix, None)):
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
    def _validate_X(self, X, *, reset, validated=False):
        # ``validated``: Sequences the caller built and checked (seq2seq's
        # token ids), taken as they are
        seqs = X if validated else check_sequences(X)
        if reset:
            self.input_kind_ = seqs.kind
            self.n_features_in_ = n_features_in(seqs)
            self.vocab_size_ = None
            if seqs.is_tokens:
                self.vocab_size_ = self._check_vocab_size(seqs)
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
                sample = int(
                    np.searchsorted(np.cumsum(seqs.lengths), step, side="right")
                )
                raise ValueError(
                    f"X[{sample}] holds token id {int(seqs.values[step])}, but "
                    f"ids seen in fit are < {self.vocab_size_}. Map unseen tokens "
                    "to an out-of-vocabulary id (TextVectorizer does)."
                )
        else:
            check_n_features_in(
                self, seqs, fitted_univariate=self.input_kind_ == "univariate"
            )
        return seqs

    def _check_vocab_size(self, seqs):
        """Rows of the embedding table: the largest id + 1, if it is sensible.

        One stray id of 2e6 among a few thousand would allocate a table of
        2e6 rows (with gradients and Adam's state, ~1 GB at 32 dimensions).
        """
        n_rows = int(seqs.values.max()) + 1
        if n_rows <= _MAX_SPARSE_VOCAB:
            return n_rows
        n_distinct = len(np.unique(seqs.values))
        if n_rows > 10 * n_distinct:
            dim = self.embedding_dim or _DEFAULT_EMBEDDING_DIM
            table = n_rows * dim * 4 / 2**20
            step = int(np.argmax(seqs.values))
            sample = int(np.searchsorted(np.cumsum(seqs.lengths), step, side="right"))
            raise ValueError(
                f"X holds token ids up to {n_rows - 1} (in X[{sample}]) but only "
                f"{n_distinct} distinct ids: the embedding table would have "
                f"{n_rows:,} rows ({table:,.0f} MiB at embedding_dim={dim}, about "
                "4x that with gradients and optimizer state). Map the tokens to "
                "ids 1..V, e.g. with sklearn_seq.preprocessing.TextVectorizer, "
                "or remap your ids with np.unique(..., return_inverse=True)."
            )
        return n_rows

    _class_noun = "classes"  # how error messages name the labels

    def _class_weights(self, codes, n_classes):
        """Weights per encoded class from ``class_weight`` (None: unweighted).

        ``"balanced"`` is :func:`~sklearn.utils.class_weight.compute_class_weight`
        over the classes present in ``codes``; a class absent from this fit's
        data (a CV fold, a partial_fit batch) weighs 1.
        """
        if self.class_weight is None:
            return None
        if self.class_weight == "balanced":
            present = np.unique(codes)
            weights = np.ones(n_classes)
            weights[present] = compute_class_weight(
                "balanced", classes=present, y=codes
            )
            return weights
        unknown = set(self.class_weight) - set(self.classes_.tolist())
        if unknown:
            raise ValueError(
                f"class_weight has labels {sorted(map(str, unknown))} that are not "
                f"in the training {self._class_noun} {self.classes_.tolist()}."
            )
        weights = np.array(
            [float(self.class_weight.get(c, 1.0)) for c in self.classes_.tolist()]
        )
        bad = ~np.isfinite(weights) | (weights < 0)
        if bad.any():
            label = self.classes_[int(np.argmax(bad))]
            label = label.item() if isinstance(label, np.generic) else label
            raise ValueError(
                f"class_weight[{label!r}] is {weights[bad][0]}; class weights must "
                "be finite and >= 0 (a negative weight makes training maximise "
                "that class's loss)."
            )
        return weights

    def _build_module(self, seqs, n_outputs):
        """The torch module for ``seqs`` and ``n_outputs`` outputs (a hook)."""
        raise NotImplementedError

    def _encoder_kwargs(self):
        """The encoder's settings, common to every network (``ENCODER`` and
        ``EMBEDDING`` parameters; the embedding matters for token input).
        Every estimator takes the recurrent options (``RECURRENT``)."""
        return {
            "cell": self.cell,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "dropout": self.dropout,
            "init": self.init,
            "forget_bias": self.forget_bias,
            "residual": self.residual,
            "layer_norm": self.layer_norm,
            "embedding_dim": self.embedding_dim or _DEFAULT_EMBEDDING_DIM,
            "embedding_dropout": self.embedding_dropout,
        }

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
        # always on: a NaN/inf loss or gradient stops fit with a clear error
        callbacks = [("nan_guard", NaNGuard())]
        # by value first, then by norm (both may be set)
        if self.max_grad_value is not None:
            callbacks.append(
                ("grad_value_clipping", GradientValueClipping(self.max_grad_value))
            )
        if self.max_grad_norm is not None:
            callbacks.append(
                ("grad_norm_clipping", GradientNormClipping(self.max_grad_norm))
            )
        if self.early_stopping:
            callbacks.append(
                (
                    "early_stopping",
                    EarlyStopping(
                        monitor="valid_loss",
                        patience=self.n_iter_no_change,
                        load_best=True,
                        sink=print,
                    ),
                )
            )
        schedule = self._lr_scheduler()
        if schedule is not None:
            callbacks.append(("lr_scheduler", schedule))
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

    def _with_weight_averaging(self, callbacks, module):
        """Insert SWA (``weight_averaging``) before early stopping's restore."""
        choice = self.weight_averaging
        if choice == "auto":
            # batch-norm networks: the last-epoch accuracy swings with the
            # weights even on exact statistics (FCN, ArrowHead: by up to 0.07
            # over the last 5 epochs; 0.011 averaged)
            choice = (
                "swa" if has_batchnorm(module) and not self.early_stopping else None
            )
        if choice != "swa":
            return callbacks
        # first after the NaN guard: early stopping's best weights, restored
        # at train end after it, win over the average
        return [callbacks[0], ("weight_averaging", WeightAveraging()), *callbacks[1:]]

    def _lr_scheduler(self):
        """skorch's LRScheduler for ``lr_schedule`` (None: constant lr)."""
        schedule = self.lr_schedule
        if schedule == "cosine":
            epochs = self._partial_fit_epochs or self.max_epochs
            # last_epoch=-1: each fit call anneals from lr over its own
            # epochs (skorch would otherwise resume at len(history))
            return LRScheduler(policy=CosineAnnealingLR, T_max=epochs, last_epoch=-1)
        if schedule == "plateau":
            monitor = "valid_loss" if self.early_stopping else "train_loss"
            return LRScheduler(
                policy=ReduceLROnPlateau,
                monitor=monitor,
                factor=0.5,
                patience=self.n_iter_no_change,
            )
        return None

    @contextlib.contextmanager
    def _fit_transaction(self):
        """Restore the estimator's state when the fit in the block raises.

        The attributes are restored as they were (a new network is built in
        a new object, so the previous ``net_`` is untouched); a continued fit
        (``warm_start``, ``partial_fit``) trains the fitted network in place,
        so its weights, optimizer state and history are copied first.
        """
        before = dict(self.__dict__)
        net = before.get("net_")
        saved = (
            _net_state(net) if net is not None and self._continues_training() else None
        )
        try:
            yield
        except TrainingDivergedError:
            raise  # documented: the diverged network is kept, usable
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            if saved is not None:
                _restore_net_state(net, saved)
            raise

    def _check_optimizer(self):
        """The optimizer class, its parameters checked against its signature."""
        optimizer = self.optimizer
        if isinstance(optimizer, str):
            optimizer = _OPTIMIZERS[optimizer]
        if not (
            isinstance(optimizer, type) and issubclass(optimizer, torch.optim.Optimizer)
        ):
            raise InvalidParameterError(
                f"optimizer={self.optimizer!r} is not a torch optimizer; use one of "
                f"{sorted(_OPTIMIZERS)} or a torch.optim.Optimizer subclass (e.g. "
                "torch.optim.NAdam)."
            )
        params = inspect.signature(optimizer).parameters
        if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            accepted = [name for name in params if name != "params"]
            unknown = sorted(set(self.optimizer_params or {}) - set(accepted))
            if unknown:
                raise ValueError(
                    f"optimizer__{unknown[0]} (in optimizer_params) is not a "
                    f"parameter of {optimizer.__name__}, which takes "
                    f"{', '.join(accepted)}."
                )
        return optimizer

    def _check_sample_weight(self, sample_weight):
        """Refuse negative weights: they make training maximise a loss."""
        if sample_weight is None:
            return
        negative = np.asarray(sample_weight) < 0
        if negative.any():
            i = int(np.argmax(negative))
            raise ValueError(
                f"sample_weight[{i}] is {float(sample_weight[i])}; sample weights "
                "must be >= 0 (0 leaves a sample out): the loss is a weighted "
                "mean, so a negative weight makes training maximise that "
                "sample's loss."
            )

    def _check_loader_params(self, n_samples):
        """``iterator_train__*`` keys and values, and a non-empty epoch."""
        user = self.iterator_train_params or {}
        params = inspect.signature(self._loader_class).parameters
        accepted = [name for name in params if name != "dataset"]
        unknown = sorted(set(user) - set(accepted))
        if unknown:
            raise ValueError(
                f"iterator_train__{unknown[0]} is not a parameter of "
                f"{self._loader_class.__name__}, which takes {', '.join(accepted)}."
            )
        for name in ("batch_size", "bucket_size"):
            value = user.get(name, 1)
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise ValueError(
                    f"iterator_train__{name} must be an int >= 1, got {value!r}."
                )
        padding = user.get("max_padding", 1.0)
        if (
            isinstance(padding, bool)
            or not isinstance(padding, Real)
            or not padding >= 1
        ):
            raise ValueError(
                f"iterator_train__max_padding must be a number >= 1, got {padding!r}."
            )
        batch_size = user.get("batch_size", self.batch_size)
        n_train = n_samples
        if self.early_stopping:
            n_train -= int(np.ceil(self.validation_fraction * n_samples))
        if user.get("drop_last") and n_train < batch_size:
            raise ValueError(
                f"iterator_train__drop_last=True drops every batch: {n_train} "
                f"training sequences are fewer than batch_size={batch_size}, so an "
                "epoch would train on nothing. Lower batch_size or keep "
                "drop_last=False."
            )

    def _continues_training(self):
        """Whether this fit continues the fitted net (warm start or partial_fit)."""
        return hasattr(self, "net_") and (
            self.warm_start or self._partial_fit_epochs is not None
        )

    # set by partial_fit for the duration of one call
    _partial_fit_epochs = None

    #: skorch net class and batch loader class; subclasses swap them
    _net_class = _SeqNet
    _loader_class = BucketLoader
    # Train on random batches instead of length buckets: estimators whose loss
    # is a mean over steps (the tagger) set this, see _fit_net.
    _random_batches = False

    def _make_dataset(self, seqs, y, sample_weight):
        """The training dataset (subclasses add per-task targets)."""
        return SequenceDataset(seqs, y, sample_weight)

    def _loader_params(self, seed, cuda):
        """Keyword arguments of the training and validation loaders."""
        # pinned batches copy to the GPU asynchronously (non_blocking)
        train = {
            "shuffle": True,
            "pin_memory": cuda,
            "generator": np.random.default_rng(seed),
            **(self.iterator_train_params or {}),
        }
        return train, {"pin_memory": cuda}

    # -- the fit template ---------------------------------------------------
    #: the criterion when ``criterion=None``
    _default_criterion = torch.nn.CrossEntropyLoss
    #: whether early stopping's validation split is stratified by the target
    _stratify = False

    @_fit_context(prefer_skip_nested_validation=True)
    @atomic_fit
    def _fit(self, X, y, sample_weight=None):
        """The one fit of every estimator: encode, build, train, finish.

        The estimators' public ``fit`` methods call this; they differ only in
        the hooks: :meth:`_encode_X`, :meth:`_encode_y`,
        :meth:`_build_module`, :meth:`_criterion_weight`,
        ``_default_criterion`` and :meth:`_after_fit`. Atomic
        (:func:`atomic_fit`): a fit that raises changes nothing.
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None."
            )
        warm = self._continues_training()
        seqs = self._encode_X(X, reset=not warm)
        target, n_outputs = self._encode_y(y, seqs, warm=warm)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, np.empty(seqs.n_samples), dtype=np.float32
            )
        self._fit_net(seqs, target, n_outputs, sample_weight=sample_weight)
        self._after_fit(seqs, target)
        self._record_input_profile(seqs, merge=warm)
        return self

    def _record_input_profile(self, seqs, *, merge):
        """Keep ``_input_profile``: the training inputs, for ``skew_report``.

        Computed after training from the validated sequences (one pass, no
        copy), so it changes no fitted number; a continued fit (warm start,
        ``partial_fit``) merges it with the earlier calls' profile. Read by
        :func:`sklearn_seq.inspection.skew_report`.
        """
        previous = getattr(self, "_input_profile", None) if merge else None
        self._input_profile = training_input_profile(self, seqs, previous=previous)

    def _encode_X(self, X, *, reset):
        """Validated (and encoded) sequences of ``X`` (a hook)."""
        return self._validate_X(X, reset=reset)

    def _encode_y(self, y, seqs, *, warm):
        """``(target, n_outputs)``: the training target and the output size."""
        raise NotImplementedError

    def _criterion_weight(self):
        """Class weights for the criterion's ``weight`` (None: unweighted)."""
        return

    def _after_fit(self, seqs, target):
        """What the estimator learns after training (a hook; nothing here)."""

    def _check_n_targets(self, n_targets, seqs, noun="labels"):
        if n_targets != seqs.n_samples:
            raise ValueError(
                f"X has {seqs.n_samples} sequences but y has {n_targets} {noun}."
            )

    def _fit_net(self, seqs, y, n_outputs, *, sample_weight=None):
        # everything that can be refused is refused before any work
        self._check_sample_weight(sample_weight)
        self._check_loader_params(len(seqs))
        optimizer = self._check_optimizer()
        if self._continues_training():
            return self._continue_net(seqs, y, n_outputs, sample_weight)
        device = resolve_device(self.device)
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        dist_world = None
        if self.distributed:
            from sklearn_seq.estimators._distributed import from_rank0, process_group

            rank, world_size, device = process_group(device)
            dist_world = (rank, world_size)
            # the same weights, split and batches in every process
            seed = from_rank0(seed)
        cuda = device.startswith("cuda")
        devices = [torch.device(device).index or 0] if cuda else []
        dataset = self._make_dataset(seqs, y, sample_weight)
        train_split = None
        if self.early_stopping:
            train_split = _InternalSplit(self.validation_fraction, seed, self._stratify)
        optimizer_params = self.optimizer_params or {}
        routed = {f"optimizer__{k}": v for k, v in optimizer_params.items()}
        train_params, valid_params = self._loader_params(seed, cuda)
        routed.update({f"iterator_train__{k}": v for k, v in train_params.items()})
        routed.update({f"iterator_valid__{k}": v for k, v in valid_params.items()})
        if dist_world is not None:
            # each process trains on its share of every batch; every process
            # validates on the whole validation split
            routed["iterator_train__rank"], routed["iterator_train__num_replicas"] = (
                dist_world
            )
        amp_dtype, scale_grads = _amp_policy(self.amp, device)
        # a data-parallel fit reports from rank 0 only, not once per process
        verbose = self.verbose if dist_world is None or dist_world[0] == 0 else 0
        if verbose:
            # one line per fit, so the epoch tables of a grid search say
            # which fit they belong to
            defaults = type(self)().get_params(deep=False)
            shown = ", ".join(
                f"{k}={v!r}"
                for k, v in sorted(self.get_params(deep=False).items())
                if k != "verbose" and repr(v) != repr(defaults.get(k))
            )
            print(
                f"[{type(self).__name__}({shown})] {len(seqs)} sequences, "
                f"{self._partial_fit_epochs or self.max_epochs} epochs on {device}"
            )
        with torch.random.fork_rng(devices=devices):
            # the generators this fit uses, and no others: torch.manual_seed
            # would also queue a seed for every CUDA device, to be applied
            # (to the caller's CUDA generators, outside fork_rng) whenever
            # CUDA starts, and record a stack trace for it (0.5 ms per fit)
            torch.default_generator.manual_seed(seed)
            for index in devices:
                with torch.cuda.device(index):
                    torch.cuda.manual_seed(seed)
            module = self._build_module(seqs, n_outputs)
            if issubclass(self._loader_class, BucketLoader) and has_batchnorm(module):
                # batch norm trains on batch statistics: length-bucketed
                # batches (often label-sorted too: length follows the class in
                # gesture or speech data) normalise each length group by its
                # own statistics, unlike evaluation, and a 2-sample last batch
                # gives noise. Random batches, the last merged into another
                # (unless the user said otherwise): FCN on the ragged
                # PickupGestureWiimoteZ 0.587 -> 0.767 (bench_bn_ablation.py)
                routed.setdefault("iterator_train__merge_last", True)
                routed.setdefault("iterator_train__bucket_size", 1)
            elif issubclass(self._loader_class, BucketLoader) and self._random_batches:
                # measured: Japanese POS tagging 0.738 with length buckets,
                # 0.749 with random batches, the plain loop's 0.748 (5 seeds,
                # bench_parity.py). Likely causes: a loss averaged over the
                # steps of a batch weighs each step by 1 / (steps in the
                # batch), which length buckets make several times larger for
                # short sentences; and batches that vary less between epochs
                routed.setdefault("iterator_train__bucket_size", 1)
            weight = self._criterion_weight()
            if weight is not None:
                weight = torch.as_tensor(weight, dtype=torch.float32)
            criterion = self._build_criterion(self._default_criterion, weight)
            if hasattr(criterion, "set_module"):
                criterion.set_module(module)
            net = self._net_class(
                module=module,
                criterion=criterion,
                optimizer=optimizer,
                lr=self.lr,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                iterator_train=self._loader_class,
                iterator_valid=self._loader_class,
                train_split=train_split,
                callbacks=self._with_weight_averaging(self._build_callbacks(), module),
                device=device,
                verbose=verbose,
                **routed,
            )
            net.amp_dtype = amp_dtype
            net.dist_world = dist_world
            if dist_world is not None and has_batchnorm(module):
                warnings.warn(
                    "distributed=True with batch norm: each process normalises "
                    "by the statistics of its own share of the batch, so the "
                    "result differs from training in one process.",
                    UserWarning,
                    stacklevel=_caller_stacklevel(),
                )
            if scale_grads:
                net.grad_scaler = (
                    torch.amp.GradScaler(torch.device(device).type)
                    if hasattr(torch.amp, "GradScaler")
                    else torch.cuda.amp.GradScaler()  # torch < 2.3
                )
            epochs = self._partial_fit_epochs or self.max_epochs
            self._run_net(net, lambda: net.fit(dataset, None, epochs=epochs), dataset)
        return self

    def _run_net(self, net, train, dataset):
        """Run ``train``; keep the net on success, and when training diverges.

        Divergence (:class:`TrainingDivergedError`) is documented to leave a
        usable estimator: the weights of the last finite step, or the best
        epoch's with early stopping. Any other error leaves the estimator as
        it was before ``fit`` (see :meth:`_fit_transaction`).
        """
        try:
            with limit_torch_threads():
                try:
                    train()
                finally:
                    net.ddp_module = None  # also when training raised
                if self.recompute_bn_stats:
                    self._recompute_bn_stats(net, dataset)
        except TrainingDivergedError:
            # skorch skips on_train_end on errors: restore the best weights
            # (EarlyStopping with load_best) before handing the error on
            es = dict(net.callbacks_).get("early_stopping")
            if es is not None and len(net.history):
                es.on_train_end(net)
            self._keep_net(net)
            raise
        self._keep_net(net)
        return self

    def _keep_net(self, net):
        # the fitted network waits in evaluation mode, as it predicts
        # (training steps set their own mode)
        if _needs_mode(net.module_, False):
            net.module_.eval()
        self.net_ = net
        self.n_epochs_ = len(net.history)
        # the generators' states, so that warm_start / partial_fit continue
        # the same random streams as one long fit (dropout, shuffling)
        self._torch_rng_state = torch.get_rng_state()
        if str(net.device).startswith("cuda"):
            self._cuda_rng_state = torch.cuda.get_rng_state(net.device)

    def _recompute_bn_stats(self, net, dataset):
        """Exact batch-norm statistics of the training data, final weights.

        Replaces the moving averages that batch norm kept during training
        (they trail the weights by ~10 steps and take in each epoch's short
        last batch) by the statistics of all training sequences as the final
        network sees them in evaluation mode, layer by layer (see
        :func:`sklearn_seq.nn.recompute_batchnorm_stats`). No-op without
        batch norm.
        """
        module = net.module_
        if not has_batchnorm(module):
            return
        # every training sequence once, length-sorted, in large batches
        loader = BucketLoader(
            dataset, batch_size=max(net.batch_size, _PREDICT_BATCH_SIZE)
        )
        recompute_batchnorm_stats(module, loader, lambda batch: net.infer(batch[0]))

    def _continue_net(self, seqs, y, n_outputs, sample_weight):
        net = self.net_
        head = getattr(net.module_, "head", None)
        n_out = getattr(head, "out_features", n_outputs)
        if n_out != n_outputs:
            raise ValueError(
                f"warm start: the fitted network has {n_out} outputs but this "
                f"fit needs {n_outputs}; fit with warm_start=False."
            )
        # lr may be lowered between warm fits (e.g. after a divergence)
        net.lr = self.lr
        for group in net.optimizer_.param_groups:
            group["lr"] = self.lr
            # a schedule restarts at each call from the current lr
            group.pop("initial_lr", None)
        # data parallel or not as this call says (a model fitted with
        # distributed=True continues in one process, and the other way round)
        world = None
        if self.distributed:
            from sklearn_seq.estimators._distributed import process_group

            rank, world_size, _ = process_group(str(net.device))
            world = (rank, world_size)
        net.dist_world = world
        rank, replicas = world or (0, 1)
        if issubclass(self._loader_class, BucketLoader):
            # the loader's keyword arguments, where skorch keeps them (its
            # set_params would take them for a new component)
            net.__dict__["iterator_train__rank"] = rank
            net.__dict__["iterator_train__num_replicas"] = replicas
        net.verbose = self.verbose if rank == 0 else 0
        dataset = self._make_dataset(seqs, y, sample_weight)
        epochs = self._partial_fit_epochs or self.max_epochs
        net.max_epochs = epochs  # what fractions of the call count from
        schedule = dict(net.callbacks_).get("lr_scheduler")
        if schedule is not None and hasattr(schedule, "T_max"):
            schedule.T_max = epochs  # cosine over this call's epochs
        devices = []
        if str(net.device).startswith("cuda"):
            devices = [torch.device(net.device).index or 0]
        with torch.random.fork_rng(devices=devices):
            torch.set_rng_state(self._torch_rng_state)
            if devices and getattr(self, "_cuda_rng_state", None) is not None:
                torch.cuda.set_rng_state(self._cuda_rng_state, net.device)
            self._run_net(
                net, lambda: net.partial_fit(dataset, None, epochs=epochs), dataset
            )
        return self

    # -- inference: the one loop behind predict, transform, tagging, decoding
    @contextlib.contextmanager
    def _inference(self):
        """The fitted network in evaluation mode, for prediction.

        No autograd (``torch.inference_mode``), the forward pass under the
        fit's mixed precision on CUDA (``amp``), torch's threads limited inside
        parallel workers; the network's previous mode is restored afterwards.
        """
        net = self.net_
        module = net.module_
        amp_dtype = getattr(net, "amp_dtype", None)
        autocast = (
            torch.autocast("cuda", dtype=amp_dtype)
            if amp_dtype is not None and str(net.device).startswith("cuda")
            else contextlib.nullcontext()
        )
        was_training = module.training
        # a fitted network is left in evaluation mode (``_keep_net``): the
        # two walks of nn.Module.train over the tree (0.1 ms of a 20 ms
        # prediction, cold) only run when a module is in training mode, or
        # overrides train()
        switch = _needs_mode(module, False)
        if switch:
            module.eval()
        try:
            with torch.inference_mode(), autocast, limit_torch_threads():
                yield module
        finally:
            if switch:
                module.train(was_training)

    def _batches(self, seqs, batch_size=None, check_finite=False, longest_first=False):
        """``(idx, x, lengths)`` batches of ``seqs`` on the network's device.

        Length-sorted (little padding) batches of ``batch_size`` sequences
        (at least ``_PREDICT_BATCH_SIZE``); on CUDA the tensors are pinned and
        copied asynchronously. ``idx`` are the positions in ``seqs``.

        ``longest_first``: sort by decreasing length, so that the last, partial
        batch holds the shortest sequences (for decoding, whose steps per
        batch follow the longest output: 47 against 55 ms for 300 greedy
        decodings in 256 + 44, see ``benchmarks/bench_peers.py``). Otherwise
        the partial batch holds the longest ones, which for a plain forward
        pass keeps a long tail of lengths out of the full batches.

        ``check_finite``: check each numeric batch for NaN and inf just before
        the model reads it, instead of all of ``seqs`` up front (the batch is
        then read from cache, not memory: 0.5 of 0.7 ms per 2,048 sequences
        of 50 x 8). A batch whose sum is not finite gets the exact check of
        all values, which names the first bad sample or, for a mere float32
        overflow of the sum, passes.
        """
        device = self.net_.device
        cuda = str(device).startswith("cuda")
        if batch_size is None:
            batch_size = max(self.batch_size, _PREDICT_BATCH_SIZE)
        check_finite = check_finite and not seqs.is_tokens

        def checked(x):
            nonlocal check_finite
            if check_finite and not torch.isfinite(x.sum()):
                _check_finite(seqs.values, seqs.lengths, "X")
                check_finite = False  # all values passed: the sum overflowed
            return x

        n, view = seqs.n_samples, _uniform_view(seqs)
        if view is not None:
            # one length: slices of a 3-D view in input order, no sorting,
            # padding or copy (per call, 2,048 sequences: 1-2 ms less, 5 % of
            # a 64-unit RNN's prediction)
            length = view.shape[1]
            for start in range(0, n, batch_size):
                stop = min(start + batch_size, n)
                x = checked(view[start:stop])
                lengths = torch.full((stop - start,), length, dtype=torch.int64)
                if cuda:
                    x, lengths = x.pin_memory(), lengths.pin_memory()
                yield (
                    np.arange(start, stop),
                    _to_device(x, device),
                    _to_device(lengths, device),
                )
            return
        if longest_first:
            order = np.argsort(-seqs.lengths, kind="stable")
            batches = (order[i : i + batch_size] for i in range(0, n, batch_size))
        else:
            batches = bucket_batches(seqs.lengths, batch_size)
        for idx in batches:
            Xi = collate(seqs, idx)
            checked(Xi["x"])
            if cuda:
                Xi = {k: v.pin_memory() for k, v in Xi.items()}
            yield idx, _to_device(Xi["x"], device), _to_device(Xi["lengths"], device)

    def _predict_raw(self, X):
        """Raw network outputs for ``X`` (checked against fit), float32."""
        self._check_fitted()
        seqs = check_sequences(X, allow_nan=True)  # finiteness: per batch
        return self._forward(
            self._validate_X(seqs, reset=False, validated=True), check_finite=True
        )

    def _forward(self, seqs, check_finite=False):
        """Raw module outputs for all sequences, in input order (float32).

        ``check_finite``: ``seqs`` were validated with ``allow_nan=True``;
        raise for NaN and inf batch by batch (see :meth:`_batches`).
        """
        outputs = None
        with self._inference() as module:
            for idx, x, lengths in self._batches(seqs, check_finite=check_finite):
                out = module(x, lengths).float().cpu().numpy()
                if outputs is None:
                    outputs = np.empty((seqs.n_samples, *out.shape[1:]), np.float32)
                outputs[idx] = out
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

    def _check_fitted(self):
        # sklearn's check_is_fitted builds the estimator's tags before it
        # asks __sklearn_is_fitted__ (0.05 ms of a 20 ms prediction, cold);
        # a fitted estimator needs neither, an unfitted one gets its error
        if not self.__sklearn_is_fitted__():
            check_is_fitted(self)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = str(self.device) not in ("cpu",)
        return tags


class _PooledSequenceNet(BaseSequenceNet):
    """Base of the estimators with one output vector per sequence.

    The classifier, the regressor and the embedder: a
    :class:`~sklearn_seq.nn.SequenceNet` (any cell, pooled over the valid
    steps); they all take the ``CONV``, ``POOLING``, ``EMBEDDING`` and
    ``WORD_DROPOUT`` parameters.
    """

    def _build_module(self, seqs, n_outputs):
        tokens = seqs.is_tokens
        return SequenceNet(
            None if tokens else seqs.n_features,
            n_outputs,
            **self._encoder_kwargs(),
            pooling=self.pooling,
            vocab_size=self.vocab_size_ if tokens else None,
            n_filters=self.n_filters,
            kernel_sizes=self.kernel_sizes,
            dilations=self.dilations,
            max_len=int(seqs.lengths.max()),
            word_dropout=self.word_dropout,
        )


class _PartialFitMixin:
    """``partial_fit`` for estimators whose ``fit`` honours warm continuation."""

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train for one epoch, continuing from the current weights.

        The first call builds the network like :meth:`fit`; later calls reuse
        ``net_`` with its optimizer state, random number generators and
        history (see :meth:`fit` with ``warm_start=True``, which runs
        ``max_epochs`` epochs per call instead of one).

        Parameters
        ----------
        X : array-like or list of sequences
            Training sequences, of the kind seen in the first call.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        classes : array-like of shape (n_classes,), default=None
            Classifiers: all the labels, required on the first call (``y``
            of a call may hold only some of them). Ignored by regressors.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample weights multiplying each sample's loss.

        Returns
        -------
        self : object
            The updated estimator.
        """
        self._partial_fit_epochs = 1
        self._partial_fit_classes = classes
        try:
            return self.fit(X, y, sample_weight=sample_weight)
        finally:
            del self._partial_fit_epochs, self._partial_fit_classes
