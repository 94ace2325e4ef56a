# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""skorch callbacks: diagnostics (gradient norms, NaN guard), weight averaging,
gradient clipping by value."""

from sklearn_seq.callbacks._clipping import GradientValueClipping
from sklearn_seq.callbacks._gradient_monitor import GradientMonitor, GradientWarning
from sklearn_seq.callbacks._nan_guard import NaNGuard, TrainingDivergedError
from sklearn_seq.callbacks._weight_averaging import WeightAveraging

__all__ = [
    "GradientMonitor",
    "GradientValueClipping",
    "GradientWarning",
    "NaNGuard",
    "TrainingDivergedError",
    "WeightAveraging",
]
