# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Smaller or faster copies of fitted estimators, TorchScript and ONNX export."""

import copy
import io
import warnings

import numpy as np
import torch
from torch import nn

from sklearn_seq.data import collate

__all__ = ["model_size", "quantize", "to_onnx", "to_torchscript"]

_DTYPES = {"int8": torch.qint8, "float16": torch.float16, "bfloat16": torch.bfloat16}


class _CastInput(nn.Module):
    """Run ``module`` in ``dtype``: cast float inputs in, outputs back to float32."""

    def __init__(self, module, dtype):
        super().__init__()
        self.module = module.to(dtype)
        self.dtype = dtype

    def forward(self, x, lengths):
        if x.is_floating_point():
            x = x.to(self.dtype)
        return self.module(x, lengths).float()


def _fitted_module(estimator):
    net = getattr(estimator, "net_", None)
    module = getattr(net, "module_", None)
    if module is None:
        raise TypeError(
            f"Expected a fitted sklearn_seq estimator (with net_.module_); got "
            f"{type(estimator).__name__}. Call fit first."
        )
    if str(net.device) != "cpu":
        raise ValueError(
            f"The network is on {net.device}; these exports target CPU "
            "inference. Move it first: est.net_.module_.to('cpu') and "
            "est.set_params(device='cpu'), or refit with device='cpu'."
        )
    return module


def model_size(estimator):
    """Serialized size of an estimator's network weights, in bytes.

    Parameters
    ----------
    estimator : fitted estimator
        A fitted sklearn_seq estimator, or one returned by :func:`quantize`.

    Returns
    -------
    int
        Bytes of ``torch.save(estimator.net_.module_.state_dict())``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier
    >>> from sklearn_seq.export import model_size
    >>> X = np.random.default_rng(0).normal(size=(20, 5, 1)).astype("float32")
    >>> clf = SequenceClassifier(hidden_size=8, max_epochs=1, random_state=0)
    >>> model_size(clf.fit(X, np.arange(20) % 2)) > 0
    True
    """
    buffer = io.BytesIO()
    torch.save(_fitted_module(estimator).state_dict(), buffer)
    return buffer.getbuffer().nbytes


def quantize(estimator, dtype="int8"):
    """Return a copy of a fitted estimator with a lower-precision network.

    - ``"int8"``: torch's dynamic quantization of the ``nn.LSTM``,
      ``nn.GRU`` and ``nn.Linear`` layers (weights stored as int8,
      activations quantized on the fly). Vanilla ``nn.RNN`` layers,
      convolutions and attention stay float32.
    - ``"float16"``: the same dynamic scheme with float16 weights.
    - ``"bfloat16"``: the whole network cast to bfloat16 (inputs are cast on
      the way in, scores back to float32 on the way out).

    The returned estimator predicts like the original (``predict``,
    ``predict_proba``, ...); it is for inference only: do not continue
    training it. The original is not modified.

    Parameters
    ----------
    estimator : fitted estimator
        A fitted sklearn_seq estimator on CPU.
    dtype : {"int8", "float16", "bfloat16"}, default="int8"
        Target precision.

    Returns
    -------
    estimator : estimator
        A deep copy whose ``net_.module_`` is the converted network; its
        ``quantized_dtype_`` attribute records ``dtype``.

    Notes
    -----
    Smaller is not always faster. Measured on a 2-core x86 CPU with
    ``avx512_bf16`` (torch 2.13, ``python benchmarks/bench_export.py``, LSTM
    classifier, hidden 128, 50 steps, batch 256): int8 weights were 3.7x
    smaller but prediction ran at 0.62x the float32 speed (99.3% of the
    predicted classes agreed); float16 dynamic quantization saved nothing
    and ran at 0.5x; bfloat16 was 2x smaller and 1.35x *faster* (99.5%
    agreement). Timings on a shared machine vary between runs; measure on
    your hardware with :func:`sklearn_seq.inspection.measure_latency` before
    shipping. ``torch.ao.quantization`` is deprecated upstream in favour of
    ``torchao``; its warnings are silenced here.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier
    >>> from sklearn_seq.export import model_size, quantize
    >>> X = np.random.default_rng(0).normal(size=(20, 5, 1)).astype("float32")
    >>> clf = SequenceClassifier(hidden_size=32, max_epochs=1, random_state=0)
    >>> clf.fit(X, np.arange(20) % 2)
    SequenceClassifier(...)
    >>> q = quantize(clf, dtype="int8")
    >>> q.predict(X[:3]).shape, model_size(q) < model_size(clf)
    ((3,), True)
    """
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {sorted(_DTYPES)}, got {dtype!r}.")
    module = _fitted_module(estimator)
    est = copy.deepcopy(estimator)
    module = copy.deepcopy(module).eval()
    if dtype == "bfloat16":
        converted = _CastInput(module, torch.bfloat16)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", UserWarning)
            converted = torch.ao.quantization.quantize_dynamic(
                module,
                {nn.LSTM, nn.GRU, nn.Linear},
                dtype=_DTYPES[dtype],
            )
    est.net_.module_ = converted
    est.quantized_dtype_ = dtype
    return est


def _export_sequences(estimator, X):
    """``X`` validated as the network's input, token strings mapped to ids.

    A :class:`~sklearn_seq.SequenceTagger` fitted on token strings maps them
    with its vocabulary (``_check_X``); the exported network takes those ids.
    """
    check_X = getattr(estimator, "_check_X", None)
    if check_X is None:
        return estimator._validate_X(X, reset=False)
    seqs, unseen = check_X(X, reset=False)
    if unseen is not None:
        raise ValueError(
            f"X holds tokens unseen in fit, which {type(estimator).__name__}'s "
            "character CNN spells from rows added at prediction time; the "
            "exported network has only the rows of the fitted tokens. Give "
            "example sentences made of tokens seen in fit (the exported "
            "network reads an unseen token as the out-of-vocabulary id 1)."
        )
    return seqs


def _example_batch(estimator, X):
    seqs = _export_sequences(estimator, X)
    return collate(seqs, np.arange(seqs.n_samples))


def to_torchscript(estimator, path, X, *, atol=1e-5):
    """Save the network of a fitted estimator as a TorchScript file.

    The network is traced (:func:`torch.jit.trace`) on a padded batch of
    ``X`` and saved with :func:`torch.jit.save`. Load it without sklearn_seq
    as ``torch.jit.load(path)`` and call it as ``module(x, lengths)``: ``x``
    a padded float batch ``(batch, max_len, n_features)`` (or padded token
    ids), ``lengths`` the valid steps per sequence; it returns the raw
    scores (logits) that ``decision_function`` / ``predict_proba`` start
    from. Before saving, the traced module is run on every sequence of ``X``
    (in batches of its own lengths) and must match the eager network within
    ``atol``.

    Parameters
    ----------
    estimator : fitted estimator
        A fitted sklearn_seq estimator on CPU.
    path : str or path-like
        File to write (``.pt``).
    X : array-like or list of sequences
        Example sequences of the kind seen in ``fit``. Give sequences of
        different lengths when production batches will hold some: tracing
        records the code path the example takes.
    atol : float, default=1e-5
        Largest absolute difference allowed between traced and eager scores.

    Returns
    -------
    module : torch.jit.ScriptModule
        The traced module (also saved to ``path``).

    Raises
    ------
    ValueError
        When the network cannot be traced, or the trace disagrees with the
        eager network (a data-dependent branch was frozen by tracing), or
        ``X`` holds tokens unseen in fit by a tagger with a character CNN;
        the message says which.

    Notes
    -----
    A :class:`~sklearn_seq.SequenceTagger` fitted on token strings exports
    too, and ``X`` may hold such sentences (of tokens seen in fit), but the
    exported network takes ids: map each token as the tagger does,
    ``tagger.vocabulary_.get(token.lower() if tagger.lowercase else token,
    1)``, or ``tagger.surface_vocabulary_.get(token, 1)`` with the character
    CNN (``char_embedding_dim``); 1 is the out-of-vocabulary id, and the
    exported network cannot spell unseen tokens as the tagger does. Its
    output is the per-step tag scores, ``(batch, max_len, n_tags)``
    (``argmax`` over the last axis is ``predict`` without a CRF; with
    ``crf=True``, Viterbi decoding over them is left to the caller).

    ``torch.jit`` is deprecated upstream in favour of ``torch.export``, which
    does not yet handle the length-dependent branches of the recurrent
    encoders; its deprecation warnings are silenced here. For ONNX, see
    :func:`to_onnx` (optional ``onnx`` package).

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np, torch
    >>> from sklearn_seq import SequenceClassifier
    >>> from sklearn_seq.export import to_torchscript
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(n, 2)).astype("float32") for n in (5, 3, 4, 5)]
    >>> clf = SequenceClassifier(hidden_size=4, max_epochs=1, random_state=0)
    >>> clf.fit(X, [0, 1, 0, 1])
    SequenceClassifier(...)
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.pt")
    >>> _ = to_torchscript(clf, path, X)
    >>> loaded = torch.jit.load(path)
    >>> loaded(torch.zeros(2, 5, 2), torch.tensor([5, 2])).shape
    torch.Size([2, 2])
    """
    module = _fitted_module(estimator)
    was_training = module.training
    module.eval()
    batch = _example_batch(estimator, X)
    args = (batch["x"], batch["lengths"])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            try:
                traced = torch.jit.trace(module, args, check_trace=False)
            except Exception as exc:
                raise ValueError(
                    f"{type(module).__name__} could not be traced to "
                    f"TorchScript: {type(exc).__name__}: {exc}"
                ) from exc
            worst = _max_disagreement(
                estimator,
                X,
                module,
                lambda x, lengths: traced(x, lengths).numpy(),
            )
            if not worst <= atol:
                raise ValueError(
                    f"The traced {type(module).__name__} disagrees with the "
                    f"eager network by {worst:.3g} > atol={atol}: tracing "
                    "froze a data-dependent branch (e.g. on the sequence "
                    "lengths). Trace on example sequences of mixed lengths, "
                    "or serve the pickled estimator instead."
                )
            torch.jit.save(traced, str(path))
    finally:
        module.train(was_training)
    return traced


def _max_disagreement(estimator, X, module, run_exported):
    """Largest |exported - eager| output over each length group of ``X``.

    Every group of equal lengths is run alone (no padding) and the whole of
    ``X`` as one padded batch, so branches on lengths or padding are covered.
    """
    seqs = _export_sequences(estimator, X)
    groups = [np.flatnonzero(seqs.lengths == n) for n in np.unique(seqs.lengths)]
    if len(groups) > 1:
        groups.append(np.arange(seqs.n_samples))
    worst = 0.0
    with torch.inference_mode():
        for idx in groups:
            b = collate(seqs, idx)
            got = run_exported(b["x"], b["lengths"])
            want = module(b["x"], b["lengths"]).numpy()
            worst = max(worst, float(np.abs(got - want).max()))
    return worst


def _onnx_runner(model_bytes):
    """Run an ONNX model: onnxruntime if installed, else onnx's reference."""
    try:
        import onnxruntime
    except ImportError:
        from onnx.reference import ReferenceEvaluator

        evaluator = ReferenceEvaluator(model_bytes)
        return lambda feeds: evaluator.run(None, feeds)[0]
    session = onnxruntime.InferenceSession(
        model_bytes, providers=["CPUExecutionProvider"]
    )
    return lambda feeds: session.run(None, feeds)[0]


def to_onnx(estimator, path, X, *, atol=1e-5, opset_version=None):
    """Save the network of a fitted estimator as an ONNX model.

    The network is exported with :func:`torch.onnx.export` (its TorchScript
    tracer; the ``torch.export`` path does not yet handle the
    length-dependent branches of the encoders) on a padded batch of ``X``,
    with the batch size and the number of steps left dynamic. The model has
    two inputs, ``x`` (a padded float batch ``(batch, max_len, n_features)``,
    or padded int64 token ids) and ``lengths`` (int64, the valid steps per
    sequence), and one output, ``logits``: the raw scores that
    ``decision_function`` / ``predict_proba`` start from (regressors: the
    standardized prediction, before ``target_scale_`` and ``target_mean_``
    are applied). Before saving, the model is run on every sequence of
    ``X`` (in batches of equal lengths and as one padded batch) with ONNX
    Runtime, or with :class:`onnx.reference.ReferenceEvaluator` when
    ``onnxruntime`` is not installed, and must match the eager network
    within ``atol``.

    Needs the optional ``onnx`` package (``pip install onnx``; add
    ``onnxruntime`` to serve the model and for faster checks).

    Parameters
    ----------
    estimator : fitted estimator
        A fitted sklearn_seq estimator on CPU, with a float network (not one
        returned by :func:`quantize`).
    path : str or path-like
        File to write (``.onnx``).
    X : array-like or list of sequences
        Example sequences of the kind seen in ``fit``. Give sequences of
        different lengths when production batches will hold some: tracing
        records the code path the example takes.
    atol : float, default=1e-5
        Largest absolute difference allowed between the ONNX and the eager
        scores.
    opset_version : int or None, default=None
        ONNX opset; None takes torch's default.

    Returns
    -------
    model : onnx.ModelProto
        The exported model (also saved to ``path``).

    Raises
    ------
    ImportError
        When the ``onnx`` package is not installed.
    ValueError
        When the network cannot be exported, or the exported model disagrees
        with the eager network; the message says which.

    Notes
    -----
    A :class:`~sklearn_seq.SequenceTagger` fitted on token strings exports
    as in :func:`to_torchscript`: ``X`` may hold token strings, the model
    takes the ids of the tagger's vocabulary (see its Notes).

    Checked here (torch 2.13, onnx 1.23, onnxruntime 1.32) for the
    recurrent cells, ``"fcn"``, ``"lstm_fcn"`` and ``"tcn"`` with every
    pooling, on ragged data: scores within 1e-5 of the eager network.
    ``cell="transformer"`` does not export: torch's attention fast path
    freezes the traced batch size, and this function raises ``ValueError``.

    Examples
    --------
    >>> import tempfile, os
    >>> import numpy as np
    >>> from sklearn_seq import SequenceClassifier
    >>> from sklearn_seq.export import to_onnx
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.normal(size=(n, 2)).astype("float32") for n in (5, 3, 4, 5)]
    >>> clf = SequenceClassifier(hidden_size=4, max_epochs=1, random_state=0)
    >>> clf.fit(X, [0, 1, 0, 1])
    SequenceClassifier(...)
    >>> path = os.path.join(tempfile.mkdtemp(), "clf.onnx")
    >>> model = to_onnx(clf, path, X)
    >>> [i.name for i in model.graph.input], [o.name for o in model.graph.output]
    (['x', 'lengths'], ['logits'])

    Serve it with ONNX Runtime (or any ONNX runtime), without torch:

    >>> import onnxruntime  # doctest: +SKIP
    >>> session = onnxruntime.InferenceSession(path)  # doctest: +SKIP
    >>> session.run(None, {"x": np.zeros((2, 5, 2), "float32"),
    ...                    "lengths": np.array([5, 2])})[0].shape  # doctest: +SKIP
    (2, 2)
    """
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            "to_onnx needs the optional 'onnx' package: pip install onnx "
            "(and onnxruntime to serve the model)."
        ) from exc
    module = _fitted_module(estimator)
    if getattr(estimator, "quantized_dtype_", None) is not None:
        raise ValueError(
            f"The network was converted by quantize(dtype="
            f"{estimator.quantized_dtype_!r}); export the float estimator to "
            "ONNX and quantize with ONNX Runtime's tools instead."
        )
    was_training = module.training
    module.eval()
    batch = _example_batch(estimator, X)
    args = (batch["x"], batch["lengths"])
    dynamic = {0: "batch", 1: "steps"}
    buffer = io.BytesIO()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                torch.onnx.export(
                    module,
                    args,
                    buffer,
                    input_names=["x", "lengths"],
                    output_names=["logits"],
                    opset_version=opset_version,
                    dynamic_axes={
                        "x": dynamic,
                        "lengths": {0: "batch"},
                        "logits": {0: "batch"},
                    },
                    dynamo=False,
                )
            except Exception as exc:
                raise ValueError(
                    f"{type(module).__name__} could not be exported to ONNX: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            model_bytes = buffer.getvalue()
            try:
                run = _onnx_runner(model_bytes)
            except Exception as exc:
                raise ValueError(
                    f"The ONNX export of {type(module).__name__} does not load: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc

            def run_onnx(x, lengths):
                try:
                    return run({"x": x.numpy(), "lengths": lengths.numpy()})
                except Exception as exc:
                    raise ValueError(
                        f"The ONNX export of {type(module).__name__} fails on a "
                        f"batch of shape {tuple(x.shape)}: tracing froze a shape "
                        "(batch size or steps) the network depends on. Serve the "
                        "pickled estimator or the TorchScript export instead. "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc

            worst = _max_disagreement(estimator, X, module, run_onnx)
            if not worst <= atol:
                raise ValueError(
                    f"The ONNX export of {type(module).__name__} disagrees with "
                    f"the eager network by {worst:.3g} > atol={atol}: tracing "
                    "froze a data-dependent branch (e.g. on the sequence "
                    "lengths). Export on example sequences of mixed lengths, "
                    "or serve the pickled estimator instead."
                )
    finally:
        module.train(was_training)
    with open(path, "wb") as f:
        f.write(model_bytes)
    return onnx.load_from_string(model_bytes)
