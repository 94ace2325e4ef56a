# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Parameter documentation shared by the estimators (written once)."""

SHARED_PARAMS = """cell : {"rnn", "lstm", "gru", "transformer"}, default="lstm"
        Encoder: vanilla RNN, LSTM, GRU, or a transformer encoder (positional
        encoding, key-padding mask, ``hidden_size`` as ``d_model``).

    hidden_size : int, default=64
        Hidden units per direction.

    num_layers : int, default=1
        Number of stacked layers.

    bidirectional : bool, default=False
        Add a backward direction (recurrent cells). Padding never reaches the
        backward direction.

    dropout : float, default=0.0
        Dropout between stacked layers and before the output layer.

    pooling : {"last", "mean", "max", "attention"}, default="last"
        How step outputs become one vector per sequence: the last *valid* step
        (for bidirectional encoders the backward direction's state at step 0),
        the mean or max over valid steps, or learned attention over valid steps.

    embedding_dim : int, default=None
        Embedding size for token input (32 when None); ignored for numeric
        input.

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
