# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""imbalanced-learn samplers for sequences, fixed-length or ragged.

NumPy, SciPy, scikit-learn and imbalanced-learn only: importing this package
never loads torch. The augmentations are also plain functions in
:mod:`sklearn_seq.resampling.augment`.
"""

from sklearn_seq.resampling import augment
from sklearn_seq.resampling._augmentation import AugmentationOverSampler
from sklearn_seq.resampling._smote import SequenceSMOTE, dtw_distances
from sklearn_seq.resampling._wrapper import SequenceSampler

__all__ = [
    "AugmentationOverSampler",
    "SequenceSMOTE",
    "SequenceSampler",
    "augment",
    "dtw_distances",
]
