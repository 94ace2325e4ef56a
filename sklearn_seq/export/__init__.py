# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Ship fitted estimators: quantized copies, TorchScript export, model size.

Measure before you ship: :func:`sklearn_seq.inspection.measure_latency` times
prediction per batch size. ONNX export needs the ``onnx``/``onnxscript``
packages and is not provided.
"""

from sklearn_seq.export._export import model_size, quantize, to_torchscript

__all__ = ["model_size", "quantize", "to_torchscript"]
