# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""skorch callbacks for training diagnostics (gradient norms, NaN guard)."""

from sklearn_seq.callbacks._gradient_monitor import GradientMonitor, GradientWarning
from sklearn_seq.callbacks._nan_guard import NaNGuard, TrainingDivergedError

__all__ = [
    "GradientMonitor",
    "GradientWarning",
    "NaNGuard",
    "TrainingDivergedError",
]
