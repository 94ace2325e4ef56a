# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Diagnostics: learning curves, gradient norms, attention maps, fit, latency, skew.

matplotlib is optional (extra ``plot``) and imported only by the plotting
functions. For precision-recall curves use scikit-learn's
:class:`~sklearn.metrics.PrecisionRecallDisplay` with ``predict_proba``
scores; for confusion matrices :class:`~sklearn.metrics.ConfusionMatrixDisplay`.
"""

from sklearn_seq.inspection._diagnose import diagnose_fit
from sklearn_seq.inspection._latency import measure_latency
from sklearn_seq.inspection._plot import (
    plot_attention,
    plot_gradient_norms,
    plot_learning_curve,
)
from sklearn_seq.inspection._skew import skew_report

__all__ = [
    "diagnose_fit",
    "measure_latency",
    "plot_attention",
    "plot_gradient_norms",
    "plot_learning_curve",
    "skew_report",
]
