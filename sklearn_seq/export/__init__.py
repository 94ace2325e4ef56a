# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Ship fitted estimators: quantized copies, TorchScript and ONNX export, size.

Measure before you ship: :func:`sklearn_seq.inspection.measure_latency` times
prediction per batch size. :func:`to_onnx` needs the optional ``onnx``
package (``onnxruntime`` to serve the model).
"""

from sklearn_seq.export._export import model_size, quantize, to_onnx, to_torchscript

__all__ = ["model_size", "quantize", "to_onnx", "to_torchscript"]
