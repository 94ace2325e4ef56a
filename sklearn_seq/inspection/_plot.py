# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Plots of training history, gradient norms and attention maps.

matplotlib is an optional dependency (extra ``plot``); it is imported inside
the functions, so importing this module never needs it.
"""

import numbers

import numpy as np

__all__ = ["plot_attention", "plot_gradient_norms", "plot_learning_curve"]


def _check_matplotlib_support(caller_name):
    """Import ``matplotlib.pyplot`` or raise an actionable ImportError."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller_name} requires matplotlib. Install it with "
            "`pip install matplotlib` or `pip install sklearn-seq[plot]`."
        ) from exc
    return plt


def _get_ax(ax, plt):
    if ax is None:
        _, ax = plt.subplots()
    return ax


def _history(estimator):
    """skorch History of a fitted estimator, a skorch net or a History."""
    history = getattr(estimator, "history_", None)
    if history is None:
        history = getattr(estimator, "history", None)
    if history is None and isinstance(estimator, list):
        history = estimator
    if history is None:
        raise TypeError(
            "Expected a fitted sklearn_seq estimator, a skorch net or a skorch "
            f"History; got {type(estimator).__name__}."
        )
    if len(history) == 0:
        raise ValueError("The training history is empty: fit the estimator first.")
    return history


def _epochs(history):
    return np.array([row.get("epoch", i + 1) for i, row in enumerate(history)])


def plot_gradient_norms(estimator, *, layers=None, ax=None, log_scale=True):
    """Plot the per-layer gradient norms recorded by ``GradientMonitor``.

    Parameters
    ----------
    estimator : fitted estimator, skorch net or skorch History
        Fitted with :class:`~sklearn_seq.callbacks.GradientMonitor` among its
        ``callbacks``.
    layers : list of str, default=None
        Parameter names to draw; None draws every recorded one.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is made when None.
    log_scale : bool, default=True
        Logarithmic y axis (norms often span orders of magnitude).

    Returns
    -------
    ax : matplotlib Axes
        The axes drawn on, one line per layer, epochs on the x axis.

    Raises
    ------
    ValueError
        When the history holds no gradient norms.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier
    >>> from sklearn_seq.callbacks import GradientMonitor
    >>> from sklearn_seq.inspection import plot_gradient_norms
    >>> X = np.random.default_rng(0).normal(size=(20, 5, 1)).astype("float32")
    >>> y = (X[:, 0, 0] > 0).astype(int)
    >>> clf = SequenceClassifier(hidden_size=4, max_epochs=2, random_state=0,
    ...                          callbacks=[GradientMonitor()]).fit(X, y)
    >>> ax = plot_gradient_norms(clf)
    >>> len(ax.get_lines())
    3
    """
    plt = _check_matplotlib_support("plot_gradient_norms")
    history = _history(estimator)
    rows = [
        (e, row["grad_norms"])
        for e, row in zip(_epochs(history), history)
        if "grad_norms" in row
    ]
    if not rows:
        raise ValueError(
            "The history holds no gradient norms: fit with "
            "callbacks=[GradientMonitor()] (sklearn_seq.callbacks)."
        )
    names = list(rows[-1][1]) if layers is None else list(layers)
    ax = _get_ax(ax, plt)
    epochs = [e for e, _ in rows]
    for name in names:
        ax.plot(
            epochs,
            [norms.get(name, np.nan) for _, norms in rows],
            marker="o",
            label=name,
        )
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean gradient norm")
    ax.set_title("Gradient norm per layer")
    ax.legend(fontsize="small")
    return ax


def plot_learning_curve(estimator, *, ax=None):
    """Plot train and validation loss (and any scores) per epoch.

    Reads the estimator's skorch history: ``train_loss``, ``valid_loss``
    (present with ``early_stopping=True`` or any validation split) and every
    other numeric per-epoch entry whose name starts with ``train_`` or
    ``valid_`` (e.g. skorch ``EpochScoring`` callbacks named so). Scores go
    on a second y axis.

    Parameters
    ----------
    estimator : fitted estimator, skorch net or skorch History
        The fitted model, or its history.
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is made when None.

    Returns
    -------
    ax : matplotlib Axes
        The axes with the loss curves (scores, if any, are on ``ax``'s twin
        axis).

    See Also
    --------
    diagnose_fit : Under-fit / over-fit / good-fit verdict from the same data.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier
    >>> from sklearn_seq.inspection import plot_learning_curve
    >>> X = np.random.default_rng(0).normal(size=(30, 5, 1)).astype("float32")
    >>> y = (X[:, 0, 0] > 0).astype(int)
    >>> clf = SequenceClassifier(hidden_size=4, max_epochs=3, early_stopping=True,
    ...                          validation_fraction=0.3, random_state=0).fit(X, y)
    >>> ax = plot_learning_curve(clf)
    >>> [line.get_label() for line in ax.get_lines()]
    ['train_loss', 'valid_loss']
    """
    plt = _check_matplotlib_support("plot_learning_curve")
    history = _history(estimator)
    epochs = _epochs(history)
    keys = []
    for row in history:
        for key, value in row.items():
            if (
                key.startswith(("train_", "valid_"))
                and key not in keys
                and isinstance(value, numbers.Real)
                and not isinstance(value, bool)
                and not key.endswith(("_best", "_batch_count"))
            ):
                keys.append(key)
    losses = [k for k in keys if k.endswith("loss")]
    scores = [k for k in keys if not k.endswith("loss")]
    ax = _get_ax(ax, plt)
    for key in losses:
        values = [row.get(key, np.nan) for row in history]
        ax.plot(
            epochs,
            values,
            marker="o",
            linestyle="--" if key.startswith("valid") else "-",
            label=key,
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title("Learning curve")
    handles, labels = ax.get_legend_handles_labels()
    if scores:
        ax2 = ax.twinx()
        for key in scores:
            values = [row.get(key, np.nan) for row in history]
            ax2.plot(
                epochs,
                values,
                marker="s",
                alpha=0.7,
                linestyle="--" if key.startswith("valid") else "-",
                label=key,
                color=None,
            )
        ax2.set_ylabel("score")
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, fontsize="small")
    return ax


def plot_attention(
    weights, *, x_labels=None, y_labels=None, ax=None, cmap="viridis", colorbar=True
):
    """Draw attention weights as a heat map.

    Works with one map of :meth:`Seq2SeqEstimator.predict_attention
    <sklearn_seq.Seq2SeqEstimator.predict_attention>` (rows: output tokens,
    columns: input tokens) and with the pooling weights of
    :class:`~sklearn_seq.nn.SequencePooling` (``last_weights_``, one row per
    sequence of the batch, columns: time steps; padded steps hold 0).

    Parameters
    ----------
    weights : array-like or torch.Tensor of shape (n_rows, n_cols) or (n_cols,)
        Attention weights; a 1-D vector is drawn as one row.
    x_labels : list of str, default=None
        Labels of the columns (e.g. the input tokens).
    y_labels : list of str, default=None
        Labels of the rows (e.g. the output tokens).
    ax : matplotlib Axes, default=None
        Axes to draw on; a new figure is made when None.
    cmap : str, default="viridis"
        Colour map.
    colorbar : bool, default=True
        Add a colour bar.

    Returns
    -------
    ax : matplotlib Axes
        The axes with the heat map (``ax.images[0]``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_seq.inspection import plot_attention
    >>> w = [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]
    >>> ax = plot_attention(w, x_labels=["a", "b", "c"], y_labels=["x", "y"])
    >>> ax.images[0].get_array().shape
    (2, 3)
    """
    plt = _check_matplotlib_support("plot_attention")
    if hasattr(weights, "detach"):
        weights = weights.detach().cpu().numpy()
    weights = np.asarray(weights, dtype=float)
    if weights.ndim == 1:
        weights = weights[None, :]
    if weights.ndim != 2:
        raise ValueError(
            f"weights must be 1-D or 2-D, got shape {weights.shape}; pass one "
            "map at a time (e.g. predict_attention(X)[i])."
        )
    for labels, size, what in (
        (x_labels, weights.shape[1], "x_labels"),
        (y_labels, weights.shape[0], "y_labels"),
    ):
        if labels is not None and len(labels) != size:
            raise ValueError(
                f"{what} has {len(labels)} labels but weights has {size} "
                f"{'columns' if what == 'x_labels' else 'rows'}."
            )
    ax = _get_ax(ax, plt)
    image = ax.imshow(
        weights, aspect="auto", cmap=cmap, vmin=0.0, interpolation="nearest"
    )
    if x_labels is not None:
        ax.set_xticks(range(len(x_labels)), [str(t) for t in x_labels], rotation=90)
    if y_labels is not None:
        ax.set_yticks(range(len(y_labels)), [str(t) for t in y_labels])
    ax.set_xlabel("input step")
    ax.set_ylabel("output step")
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    return ax
