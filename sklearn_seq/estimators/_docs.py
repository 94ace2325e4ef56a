# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Parameter documentation shared by the estimators (written once)."""

import re


def with_default(doc, name, default):
    r"""``doc`` with the documented default of parameter ``name`` replaced.

    Parameters
    ----------
    doc : str
        Parameter documentation (numpydoc).
    name : str
        Parameter whose ``default=...`` is replaced.
    default : str
        New default, as written in the docs.

    Returns
    -------
    str
        The documentation with that parameter's default replaced.

    Examples
    --------
    >>> with_default("a : int, default=1\n        Doc.\n", "a", "2")
    'a : int, default=2\n        Doc.\n'
    """
    head = re.compile(rf"^(\s*{name} : [^\n]*default=)[^\n]*$", re.MULTILINE)
    if not head.search(doc):
        raise ValueError(f"no parameter {name!r} with a default in doc")
    return head.sub(lambda m: m.group(1) + default, doc, count=1)


SHARED_PARAMS = """cell : {"rnn", "lstm", "gru", "transformer", "fcn", "lstm_fcn", \
"tcn"}, default="lstm"
        Encoder: vanilla RNN, LSTM, GRU, a transformer encoder (positional
        encoding, key-padding mask, ``hidden_size`` as ``d_model``), or a
        convolutional encoder: ``"fcn"`` (Wang et al. 2017, conv + batch norm
        + ReLU blocks), ``"lstm_fcn"`` (Karim et al. 2018, FCN plus an LSTM
        branch of ``hidden_size`` cells reading the series transposed, dropout
        ``dropout``) or ``"tcn"`` (Bai et al. 2018, residual dilated
        convolutions, non-causal). Convolutional cells mask padding (batch norm
        statistics over valid steps only) and ignore ``num_layers`` and
        ``bidirectional``; see :mod:`sklearn_seq.nn.conv`.

    hidden_size : int, default=64
        Hidden units per direction.

    num_layers : int, default=1
        Number of stacked layers.

    bidirectional : bool, default=False
        Add a backward direction (recurrent cells). Padding never reaches the
        backward direction.

    dropout : float, default=0.0
        Dropout between stacked layers and before the output layer.

    pooling : {"last", "mean", "max", "attention"} or None, default=None
        How step outputs become one vector per sequence: the last *valid* step
        (for bidirectional encoders the backward direction's state at step 0),
        the mean or max over valid steps, or learned attention over valid steps.
        None picks the cell's natural choice: ``"last"`` for the recurrent
        cells, ``"mean"`` for the transformer (whose layers are pre-norm) and
        ``"mean"`` (global average pooling, as in the papers) for ``"fcn"``,
        ``"lstm_fcn"`` and ``"tcn"``.

    n_filters : int, tuple of int or None, default=None
        Filters per convolution block of the convolutional cells (an int is
        used for every block). None means the papers' values: ``(128, 256,
        128)`` for ``"fcn"`` and ``"lstm_fcn"``, 64 for ``"tcn"``.

    kernel_sizes : int, tuple of int or None, default=None
        Kernel size per convolution block. None means ``(8, 5, 3)`` for
        ``"fcn"`` and ``"lstm_fcn"``, 3 for ``"tcn"``. The number of blocks is
        the length of the tuple given (``dilations`` for ``"tcn"``).

    dilations : int, tuple of int or None, default=None
        Dilation of each ``"tcn"`` block; None means ``(1, 2, 4, 8)``.

    embedding_dim : int, default=None
        Embedding size for token input (32 when None); ignored for numeric
        input.

    embedding_dropout : float or None, default=None
        Dropout on the token embeddings (token input only); ``dropout`` when
        None. Numeric input is unaffected.

    word_dropout : float, default=0.0
        During training, probability of replacing each non-padding token id
        by the out-of-vocabulary id 1 (the id
        :class:`~sklearn_seq.preprocessing.TextVectorizer` gives unseen
        tokens), so that the OOV embedding, which starts at zero, is trained
        for the words met only at prediction. Padding (id 0) is never
        replaced. Token input only; with ids of your own, keep id 1 for
        unknown tokens (or leave this at 0).

    criterion : torch.nn.Module instance or class, default=None
        Loss taking logits. Tune its hyperparameters as ``criterion__<name>``
        (e.g. ``criterion__gamma`` for :class:`~sklearn_seq.losses.FocalLoss`).

    criterion_params : dict, default=None
        Keyword arguments for a criterion class (set by ``criterion__*`` keys
        when the criterion has no ``set_params``).

    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or torch optimizer class, \
default="adam"
        Optimizer.

    optimizer_params : dict, default=None
        Extra optimizer arguments (``optimizer__weight_decay=1e-4`` lands here).

    iterator_train_params : dict, default=None
        Arguments of the training :class:`~sklearn_seq.data.BucketLoader`
        (``bucket_size``, ``drop_last``, ``shuffle``).

    lr : float, default=1e-3
        Learning rate.

    lr_schedule : {"cosine", "plateau"} or None, default=None
        Learning-rate schedule over the epochs of each :meth:`fit` call
        (skorch's :class:`~skorch.callbacks.LRScheduler`). ``"cosine"``
        anneals ``lr`` to 0 along a half cosine over ``max_epochs``
        (:class:`torch.optim.lr_scheduler.CosineAnnealingLR`): the weights
        settle, so the model no longer depends on which epoch happens to be
        the last (FCN on ArrowHead: test accuracy over the last 5 epochs
        varies by < 0.01 instead of up to 0.07). ``"plateau"`` halves ``lr``
        when the epoch's loss (``valid_loss`` with early stopping, else
        ``train_loss``) has not improved for ``n_iter_no_change`` epochs, as
        Wang et al. (2017) train FCN. None keeps ``lr`` constant.

    weight_averaging : {"auto", "swa"} or None, default="auto"
        ``"swa"`` averages the weights of the last quarter of each fit
        call's epochs and ends training on the average
        (:class:`~sklearn_seq.callbacks.WeightAveraging`, stochastic weight
        averaging), so the model does not depend on which epoch happened to
        be the last. ``"auto"`` does so for networks with batch norm (the
        FCN and LSTM-FCN cells) trained without early stopping: on
        ArrowHead the test accuracy of FCN over the last 5 epochs then
        varies by at most 0.011 instead of 0.074, at a higher mean accuracy
        (0.773 against 0.768, 3 seeds). With early stopping its best weights
        win. None trains without averaging.

    max_epochs : int, default=20
        Number of passes over the training data.

    batch_size : int, default=32
        Sequences per batch. Batches are length-bucketed and padded to their
        own longest sequence.

    max_grad_norm : float, default=None
        Clip the gradient norm to this value (skorch's
        ``GradientNormClipping``); None disables clipping.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers) and stop when the validation loss has not improved for
        ``n_iter_no_change`` epochs; the best weights are restored from memory.

    validation_fraction : float, default=0.1
        Held-out fraction for early stopping.

    n_iter_no_change : int, default=5
        Patience of early stopping, in epochs.

    device : str, default="cpu"
        ``"cpu"``, ``"cuda"``, ``"cuda:N"`` or ``"auto"`` (CUDA when
        available). Requesting CUDA where there is none raises a ValueError in
        :meth:`fit`.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the internal
        validation split, without changing torch's global random state. Pass
        an int for reproducible fits.

    verbose : int, default=0
        0 is silent, 1 prints one table row per epoch, 2 adds a progress bar
        per epoch.

    callbacks : list of skorch callbacks or (name, callback) tuples, \
default=None
        Extra skorch callbacks. Copies are used; the list is not modified."""

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

WARM_START_PARAM = """warm_start : bool, default=False
        When True and the estimator is fitted, :meth:`fit` continues training
        the fitted network for ``max_epochs`` more epochs instead of starting
        afresh: weights, optimizer state, history and the random streams
        (torch's generator for dropout, the shuffling generator) carry over,
        so ``fit`` for 2 epochs then a warm ``fit`` for 2 more gives the same
        weights as one 4-epoch fit (CPU, fixed ``random_state``, no early
        stopping: its patience restarts at each call). The architecture,
        criterion, class weights, target scaling and callbacks of the first
        fit are kept; a new ``lr`` is applied. :meth:`partial_fit` does the
        same for one epoch."""


BN_STATS_PARAM = """recompute_bn_stats : bool, default=True
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
        evaluation."""


AMP_PARAM = """amp : bool, "bf16" or "fp16", default=False
        Automatic mixed precision on CUDA: the forward pass (training,
        validation and prediction) runs under :func:`torch.autocast` in
        bfloat16 (``"bf16"``) or float16 (``"fp16"``, with a
        :class:`torch.amp.GradScaler`); the loss, the weights and the outputs
        stay float32. ``True`` picks bfloat16 where the GPU computes it
        natively (Ampere and newer) and float16 elsewhere. Off CUDA it falls
        back to float32 with a :class:`~sklearn_seq.exceptions.DeviceWarning`
        (CPU bfloat16 autocast did not speed up recurrent training where it
        was measured). The setting of the first fit is kept by warm starts."""
