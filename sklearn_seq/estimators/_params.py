# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""The estimators' parameters, each defined once: default, constraint, docs.

A :class:`Param` holds everything about one parameter. Estimators take the
groups that apply to them (``ENCODER``, ``CONV``, ``TRAINING``, ...) plus
their own parameters, and :func:`with_parameters` assembles the class's
``__init__`` signature (keyword-only, storing each parameter unchanged, as
scikit-learn requires), its ``_parameter_constraints`` and the "Parameters"
section of its docstring from that one list. Nothing is added to a base and
subtracted afterwards; ``tests/test_estimators.py`` checks that signature,
constraints and documented parameters agree for every estimator.
"""

import dataclasses
import inspect
import textwrap
from numbers import Integral, Real

from sklearn_seq.nn import CELLS, RECURRENT_INITS
from sklearn_seq.utils._param_validation import (
    Interval,
    IntervalNotBool,
    StrOptions,
)

__all__ = ["Param", "with_parameters"]

#: Counts (sizes, epochs): ints >= 1, booleans refused (``batch_size=True``
#: would otherwise be read as 1).
_POSITIVE_INT = IntervalNotBool(Integral, 1, None, closed="left")

_OPTIMIZER_NAMES = ("adam", "adamw", "sgd", "rmsprop")


@dataclasses.dataclass(frozen=True)
class Param:
    """One estimator parameter: name, default, constraints and numpydoc text.

    Parameters
    ----------
    name : str
        Parameter name.
    default : object
        Default value (immutable).
    constraints : list
        scikit-learn parameter constraints (``validate_parameter_constraints``).
    type : str
        numpydoc type, e.g. ``"int"`` or ``'{"a", "b"}'``.
    doc : str
        Description (indentation is removed).
    default_doc : str, default=None
        How the default is written in the docs; derived from ``default``
        when None.
    """

    name: str
    default: object
    constraints: list
    type: str
    doc: str
    default_doc: str = None

    def but(self, **changes):
        """A copy with some fields changed (another default, other docs)."""
        return dataclasses.replace(self, **changes)

    def render(self):
        """The numpydoc entry, indented for a class docstring."""
        default = self.default_doc
        if default is None:
            default = (
                f'"{self.default}"'
                if isinstance(self.default, str)
                else repr(self.default)
            )
        text = textwrap.indent(textwrap.dedent(self.doc).strip(), " " * 8)
        return f"{self.name} : {self.type}, default={default}\n{text}"


def with_parameters(*groups):
    """Class decorator: ``__init__``, constraints and docs from ``Param`` groups.

    ``groups`` are ``Param`` objects or tuples of them, in documentation
    order. The class docstring's ``{parameters}`` placeholder receives the
    rendered entries and ``{shared_attributes}`` the attributes every
    estimator has.
    """
    params = []
    for group in groups:
        params.extend(group if isinstance(group, tuple) else (group,))
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise ValueError(f"parameters listed twice: {names}")

    def decorate(cls):
        defaults = {p.name: p.default for p in params}

        def __init__(self, **kwargs):
            unknown = sorted(set(kwargs) - set(defaults))
            if unknown:
                raise TypeError(
                    f"{type(self).__name__}.__init__() got an unexpected keyword "
                    f"argument {unknown[0]!r}"
                )
            for name, default in defaults.items():
                setattr(self, name, kwargs.get(name, default))

        __init__.__signature__ = inspect.Signature(
            [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
            + [
                inspect.Parameter(
                    p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default
                )
                for p in params
            ]
        )
        __init__.__qualname__ = f"{cls.__qualname__}.__init__"
        __init__.__module__ = cls.__module__
        cls.__init__ = __init__
        cls._parameters = tuple(params)
        cls._parameter_constraints = {p.name: list(p.constraints) for p in params}
        cls.__doc__ = cls.__doc__.format(
            parameters="\n\n    ".join(p.render() for p in params),
            shared_attributes=SHARED_ATTRIBUTES,
        )
        return cls

    return decorate


# -- the shared parameters ------------------------------------------------
CELL = Param(
    "cell",
    "lstm",
    [StrOptions(set(CELLS))],
    '{"rnn", "lstm", "gru", "transformer", "fcn", "lstm_fcn", "tcn"}',
    """
        Encoder: vanilla RNN, LSTM, GRU, a transformer encoder (positional
        encoding, key-padding mask, ``hidden_size`` as ``d_model``), or a
        convolutional encoder: ``"fcn"`` (Wang et al. 2017, conv + batch norm
        + ReLU blocks), ``"lstm_fcn"`` (Karim et al. 2018, FCN plus an LSTM
        branch of ``hidden_size`` cells reading the series transposed, dropout
        ``dropout``) or ``"tcn"`` (Bai et al. 2018, residual dilated
        convolutions, non-causal). Convolutional cells mask padding (batch norm
        statistics over valid steps only) and ignore ``num_layers`` and
        ``bidirectional``; see :mod:`sklearn_seq.nn.conv`.""",
)

HIDDEN_SIZE = Param(
    "hidden_size",
    64,
    [_POSITIVE_INT],
    "int",
    """
        Hidden units per direction.""",
)

NUM_LAYERS = Param(
    "num_layers",
    1,
    [_POSITIVE_INT],
    "int",
    """
        Number of stacked layers.""",
)

BIDIRECTIONAL = Param(
    "bidirectional",
    False,
    ["boolean"],
    "bool",
    """
        Add a backward direction (recurrent cells). Padding never reaches the
        backward direction.""",
)

DROPOUT = Param(
    "dropout",
    0.0,
    [Interval(Real, 0, 1, closed="left")],
    "float",
    """
        Dropout between stacked layers and before the output layer.""",
)

INIT = Param(
    "init",
    None,
    [None, StrOptions(set(RECURRENT_INITS))],
    '{"orthogonal", "xavier", "kaiming"} or None',
    """
        Initialisation of the recurrent weights (cells ``"rnn"``, ``"lstm"``,
        ``"gru"``; the transformer and the convolutional cells, including the
        LSTM branch of ``"lstm_fcn"``, ignore it), each gate block on its
        own. None keeps torch's (weights and biases uniform in
        ``+-1/sqrt(hidden_size)``). ``"orthogonal"``: hidden-to-hidden
        weights orthogonal (Saxe et al. 2014: the linear part of the
        recurrence then neither shrinks nor grows a gradient, the classic
        remedy for a vanilla RNN's vanishing gradient), input-to-hidden
        Glorot-uniform; ``"xavier"``: both Glorot-uniform; ``"kaiming"``:
        both He-normal. A named init sets the biases to 0 (then
        ``forget_bias`` applies). Like ``forget_bias``, ``residual`` and
        ``layer_norm``, it shapes the encoder only: a seq2seq decoder keeps
        torch's fused cell and initialisation.""",
)

FORGET_BIAS = Param(
    "forget_bias",
    1.0,
    [None, IntervalNotBool(Real, None, None, closed="neither")],
    "float or None",
    """
        Initial forget-gate bias of ``cell="lstm"`` (other cells have no
        forget gate and ignore it). The default 1 starts the gate near
        ``sigmoid(1) = 0.73`` instead of 0.5 (Jozefowicz et al. 2015), so
        the cell state and its gradient decay more slowly at the start.
        None keeps the bias ``init`` gives.""",
)

RESIDUAL = Param(
    "residual",
    False,
    ["boolean"],
    "bool",
    """
        Residual connections between stacked recurrent layers: from the
        second layer on, each layer's input is added to its output (the
        sizes match: ``hidden_size``, doubled when bidirectional). Needs
        ``num_layers >= 2`` with a recurrent cell (a ValueError in
        :meth:`fit` otherwise); the transformer (residual anyway) and the
        convolutional cells ignore it. The layers are then run one by one
        instead of as one fused torch module.""",
)

LAYER_NORM = Param(
    "layer_norm",
    False,
    ["boolean"],
    "bool",
    """
        Layer-normalised recurrent cells (Ba et al. 2016: each gate's input
        and recurrent pre-activations normalised over the hidden units, and
        the LSTM's cell state; :class:`~sklearn_seq.nn.LayerNormRecurrentLayer`).
        Masked like the fused cells (bidirectional and stacked too), but a
        Python loop over the steps instead of torch's fused kernel: a CPU fit
        epoch cost 5.4x the fused LSTM's and 1.9x the fused GRU's (50 steps,
        hidden 64; ``benchmarks/bench_fit.py``), and the network cannot be
        traced for export. The transformer (normalised anyway) and the
        convolutional cells ignore it.""",
)

POOLING = Param(
    "pooling",
    None,
    [None, StrOptions({"last", "mean", "max", "attention"})],
    '{"last", "mean", "max", "attention"} or None',
    """
        How step outputs become one vector per sequence: the last *valid* step
        (for bidirectional encoders the backward direction's state at step 0),
        the mean or max over valid steps, or learned attention over valid steps.
        None picks the cell's natural choice: ``"last"`` for the recurrent
        cells, ``"mean"`` for the transformer (whose layers are pre-norm) and
        ``"mean"`` (global average pooling, as in the papers) for ``"fcn"``,
        ``"lstm_fcn"`` and ``"tcn"``.""",
)

N_FILTERS = Param(
    "n_filters",
    None,
    [None, _POSITIVE_INT, tuple, list],
    "int, tuple of int or None",
    """
        Filters per convolution block of the convolutional cells (an int is
        used for every block). None means the papers' values: ``(128, 256,
        128)`` for ``"fcn"`` and ``"lstm_fcn"``, 64 for ``"tcn"``.""",
)

KERNEL_SIZES = Param(
    "kernel_sizes",
    None,
    [None, _POSITIVE_INT, tuple, list],
    "int, tuple of int or None",
    """
        Kernel size per convolution block. None means ``(8, 5, 3)`` for
        ``"fcn"`` and ``"lstm_fcn"``, 3 for ``"tcn"``. The number of blocks is
        the length of the tuple given (``dilations`` for ``"tcn"``).""",
)

DILATIONS = Param(
    "dilations",
    None,
    [None, _POSITIVE_INT, tuple, list],
    "int, tuple of int or None",
    """
        Dilation of each ``"tcn"`` block; None means ``(1, 2, 4, 8)``.""",
)

EMBEDDING_DIM = Param(
    "embedding_dim",
    None,
    [None, _POSITIVE_INT],
    "int",
    """
        Embedding size for token input (32 when None); ignored for numeric
        input.""",
)

EMBEDDING_DROPOUT = Param(
    "embedding_dropout",
    None,
    [None, Interval(Real, 0, 1, closed="left")],
    "float or None",
    """
        Dropout on the token embeddings (token input only); ``dropout`` when
        None. Numeric input is unaffected.""",
)

WORD_DROPOUT = Param(
    "word_dropout",
    0.0,
    [Interval(Real, 0, 1, closed="left")],
    "float",
    """
        During training, probability of replacing each non-padding token id
        by the out-of-vocabulary id 1 (the id
        :class:`~sklearn_seq.preprocessing.TextVectorizer` gives unseen
        tokens), so that the OOV embedding, which starts at zero, is trained
        for the words met only at prediction. Padding (id 0) is never
        replaced. Token input only; with ids of your own, keep id 1 for
        unknown tokens (or leave this at 0).""",
)

CRITERION = Param(
    "criterion",
    None,
    [None, callable],
    "torch.nn.Module instance or class",
    """
        Loss taking logits. Tune its hyperparameters as ``criterion__<name>``
        (e.g. ``criterion__gamma`` for :class:`~sklearn_seq.losses.FocalLoss`).""",
)

CRITERION_PARAMS = Param(
    "criterion_params",
    None,
    [None, dict],
    "dict",
    """
        Keyword arguments for a criterion class (set by ``criterion__*`` keys
        when the criterion has no ``set_params``).""",
)

OPTIMIZER = Param(
    "optimizer",
    "adam",
    [StrOptions(set(_OPTIMIZER_NAMES)), type],
    '{"adam", "adamw", "sgd", "rmsprop"} or torch optimizer class',
    """
        Optimizer.""",
)

OPTIMIZER_PARAMS = Param(
    "optimizer_params",
    None,
    [None, dict],
    "dict",
    """
        Extra optimizer arguments (``optimizer__weight_decay=1e-4`` lands here).""",
)

ITERATOR_TRAIN_PARAMS = Param(
    "iterator_train_params",
    None,
    [None, dict],
    "dict",
    """
        Arguments of the training :class:`~sklearn_seq.data.BucketLoader`
        (``bucket_size``, ``drop_last``, ``shuffle``).""",
)

LR = Param(
    "lr",
    0.001,
    [Interval(Real, 0, None, closed="neither")],
    "float",
    """
        Learning rate.""",
    default_doc="1e-3",
)

LR_SCHEDULE = Param(
    "lr_schedule",
    None,
    [None, StrOptions({"cosine", "plateau"})],
    '{"cosine", "plateau"} or None',
    """
        Learning-rate schedule over the epochs of each :meth:`fit` call
        (skorch's :class:`~skorch.callbacks.LRScheduler`). ``"cosine"``
        anneals ``lr`` to 0 along a half cosine over ``max_epochs``
        (:class:`torch.optim.lr_scheduler.CosineAnnealingLR`): the weights
        settle, so the model no longer depends on which epoch happens to be
        the last (FCN on ArrowHead: test accuracy over the last 5 epochs
        varies by < 0.01 instead of up to 0.07). ``"plateau"`` halves ``lr``
        when the epoch's loss (``valid_loss`` with early stopping, else
        ``train_loss``) has not improved for ``n_iter_no_change`` epochs, as
        Wang et al. (2017) train FCN. None keeps ``lr`` constant.""",
)

WEIGHT_AVERAGING = Param(
    "weight_averaging",
    "auto",
    [None, StrOptions({"auto", "swa"})],
    '{"auto", "swa"} or None',
    """
        ``"swa"`` averages the weights of the last quarter of each fit
        call's epochs and ends training on the average
        (:class:`~sklearn_seq.callbacks.WeightAveraging`, stochastic weight
        averaging), so the model does not depend on which epoch happened to
        be the last. ``"auto"`` does so for networks with batch norm (the
        FCN and LSTM-FCN cells) trained without early stopping: on
        ArrowHead the test accuracy of FCN over the last 5 epochs then
        varies by at most 0.011 instead of 0.074, at a higher mean accuracy
        (0.773 against 0.768, 3 seeds). With early stopping its best weights
        win. None trains without averaging.""",
)

MAX_EPOCHS = Param(
    "max_epochs",
    20,
    [_POSITIVE_INT],
    "int",
    """
        Number of passes over the training data.""",
)

BATCH_SIZE = Param(
    "batch_size",
    32,
    [_POSITIVE_INT],
    "int",
    """
        Sequences per batch. Batches are length-bucketed and padded to their
        own longest sequence.""",
)

MAX_GRAD_NORM = Param(
    "max_grad_norm",
    None,
    [None, Interval(Real, 0, None, closed="neither")],
    "float",
    """
        Clip the gradient norm to this value (skorch's
        ``GradientNormClipping``); None disables clipping.""",
)

MAX_GRAD_VALUE = Param(
    "max_grad_value",
    None,
    [None, Interval(Real, 0, None, closed="neither")],
    "float",
    """
        Clip every gradient element to ``[-max_grad_value, max_grad_value]``
        (:class:`~sklearn_seq.callbacks.GradientValueClipping`, i.e.
        :func:`torch.nn.utils.clip_grad_value_`); None disables it. With
        ``max_grad_norm`` too, values are clipped first, then the norm.""",
)

EARLY_STOPPING = Param(
    "early_stopping",
    False,
    ["boolean"],
    "bool",
    """
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers) and stop when the validation loss has not improved for
        ``n_iter_no_change`` epochs; the best weights are restored from memory.""",
)

VALIDATION_FRACTION = Param(
    "validation_fraction",
    0.1,
    [Interval(Real, 0, 1, closed="neither")],
    "float",
    """
        Held-out fraction for early stopping.""",
)

N_ITER_NO_CHANGE = Param(
    "n_iter_no_change",
    5,
    [_POSITIVE_INT],
    "int",
    """
        Patience of early stopping, in epochs.""",
)

DEVICE = Param(
    "device",
    "cpu",
    [str],
    "str",
    """
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` (CUDA when
        available). Requesting CUDA where there is none raises a ValueError in
        :meth:`fit`.""",
)

DISTRIBUTED = Param(
    "distributed",
    False,
    ["boolean"],
    "bool",
    """
        Train one model data-parallel over the processes of a
        ``torch.distributed`` group: run the same script in every process
        (``torchrun --nproc-per-node N script.py``, ``accelerate launch``, or
        several machines, see :doc:`/scaling`), each calling :meth:`fit` on
        the same data. The group is started from the launcher's environment
        when the script has not started it (NCCL on CUDA, gloo on CPU); a bare
        ``device="cuda"`` becomes each process's own GPU (``LOCAL_RANK``).
        ``batch_size`` stays the global batch: every process trains on its
        share of each batch through
        :class:`~torch.nn.parallel.DistributedDataParallel`, and the losses
        are combined so that the result equals one process training on the
        whole batch (to floating-point tolerance; not with batch norm, whose
        statistics are per process, nor with dropout, whose masks differ).
        Every process ends with the same fitted model.""",
)

RANDOM_STATE = Param(
    "random_state",
    None,
    ["random_state"],
    "int, RandomState instance or None",
    """
        Seeds weight initialisation, dropout, shuffling and the internal
        validation split, without changing torch's global random state. Pass
        an int for reproducible fits.""",
)

VERBOSE = Param(
    "verbose",
    0,
    ["verbose"],
    "int",
    """
        0 is silent, 1 prints one table row per epoch, 2 adds a progress bar
        per epoch.""",
)

CALLBACKS = Param(
    "callbacks",
    None,
    [None, list],
    "list of skorch callbacks or (name, callback) tuples",
    """
        Extra skorch callbacks. Copies are used; the list is not modified.""",
)

WARM_START = Param(
    "warm_start",
    False,
    ["boolean"],
    "bool",
    """
        When True and the estimator is fitted, :meth:`fit` continues training
        the fitted network for ``max_epochs`` more epochs instead of starting
        afresh: weights, optimizer state, history and the random streams
        (torch's generator for dropout, the shuffling generator) carry over,
        so ``fit`` for 2 epochs then a warm ``fit`` for 2 more gives the same
        weights as one 4-epoch fit (CPU, fixed ``random_state``, no early
        stopping: its patience restarts at each call). The architecture,
        criterion, class weights, target scaling and callbacks of the first
        fit are kept; a new ``lr`` is applied. :meth:`partial_fit` does the
        same for one epoch.""",
)

RECOMPUTE_BN_STATS = Param(
    "recompute_bn_stats",
    True,
    ["boolean"],
    "bool",
    """
        At the end of every fit (also a warm ``fit`` and each
        :meth:`partial_fit` call), replace the running statistics of the
        batch-norm layers (``cell="fcn"`` and ``"lstm_fcn"``) by the exact
        statistics of the training sequences as the final network sees them
        in evaluation mode (:func:`sklearn_seq.nn.recompute_batchnorm_stats`,
        about two forward passes over the training data). The moving averages
        kept during training trail the weights by about ten steps, so a model
        evaluated on them scores what the last few batches left: on UCR data
        the test accuracy at the last epoch swung by 10-40 points between
        epochs. No effect on networks without batch norm; False keeps
        torch's moving averages. Whatever this parameter, networks with batch
        norm also train on random batches instead of length buckets, the last
        batch merged into another when it holds fewer than ``batch_size / 2``
        sequences (``iterator_train__bucket_size`` and
        ``iterator_train__merge_last`` override this): length-sorted batches
        normalise each length group by its own statistics, unlike
        evaluation.""",
)

AMP = Param(
    "amp",
    False,
    ["boolean", StrOptions({"bf16", "fp16"})],
    'bool, "bf16" or "fp16"',
    """
        Automatic mixed precision on CUDA: the forward pass (training,
        validation and prediction) runs under :func:`torch.autocast` in
        bfloat16 (``"bf16"``) or float16 (``"fp16"``, with a
        :class:`torch.amp.GradScaler`); the loss, the weights and the outputs
        stay float32. ``True`` picks bfloat16 where the GPU computes it
        natively (Ampere and newer) and float16 elsewhere. Off CUDA it falls
        back to float32 with a :class:`~sklearn_seq.exceptions.DeviceWarning`
        (CPU bfloat16 autocast did not speed up recurrent training where it
        was measured). The setting of the first fit is kept by warm starts.""",
)


CLASS_WEIGHT = Param(
    "class_weight",
    None,
    [None, dict, StrOptions({"balanced"})],
    '"balanced", dict or None',
    """
        Class weights given to the criterion's ``weight``. ``"balanced"``
        equals :func:`sklearn.utils.class_weight.compute_class_weight` on the
        training data of each fit (each CV fold); a dict maps original labels
        to weights (missing labels weigh 1); weights must be finite and >= 0.""",
)

# -- groups, in documentation order ----------------------------------------
#: options of the recurrent cells (ignored by the others)
RECURRENT = (INIT, FORGET_BIAS, RESIDUAL, LAYER_NORM)
#: the encoder's shape (``cell`` differs per estimator: the cells it supports)
#: and the recurrent options
ENCODER = (HIDDEN_SIZE, NUM_LAYERS, BIDIRECTIONAL, DROPOUT, *RECURRENT)
#: the convolutional cells
CONV = (N_FILTERS, KERNEL_SIZES, DILATIONS)
#: token input
EMBEDDING = (EMBEDDING_DIM, EMBEDDING_DROPOUT)
#: the training loop
TRAINING = (
    CRITERION,
    CRITERION_PARAMS,
    OPTIMIZER,
    OPTIMIZER_PARAMS,
    ITERATOR_TRAIN_PARAMS,
    LR,
    LR_SCHEDULE,
    WEIGHT_AVERAGING,
    MAX_EPOCHS,
    BATCH_SIZE,
    MAX_GRAD_NORM,
    MAX_GRAD_VALUE,
    EARLY_STOPPING,
    VALIDATION_FRACTION,
    N_ITER_NO_CHANGE,
)
#: where and how loudly it runs
RUNTIME = (DEVICE, RANDOM_STATE, VERBOSE, CALLBACKS)
#: continued training and mixed precision (classifier and regressor)
CONTINUATION = (WARM_START, AMP)

SHARED_ATTRIBUTES = """n_features_in_ : int
        Features per step seen in :meth:`fit` (1 for univariate and token
        input).

    input_kind_ : {"fixed", "univariate", "ragged", "tokens"}
        Kind of ``X`` seen in :meth:`fit`.

    vocab_size_ : int or None
        For token input, one more than the largest id seen in :meth:`fit`.

    net_ : skorch.NeuralNet
        The fitted skorch net (``net_.module_`` is the torch module).

    history_ : skorch.history.History
        Per-epoch training (and validation) losses of the last fit.

    n_epochs_ : int
        Number of epochs run (fewer than ``max_epochs`` after early
        stopping)."""
