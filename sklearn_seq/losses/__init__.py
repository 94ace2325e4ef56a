# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Pluggable training criteria: :class:`torch.nn.Module` losses taking logits.

Every loss has scikit-learn's ``get_params`` / ``set_params``, so an estimator
built with ``criterion=FocalLoss(gamma=2.0)`` can be cloned and tuned with
``GridSearchCV(est, {"criterion__gamma": [0.0, 1.0, 2.0]})``. Parameters are
validated at the first call, not in the constructor. Use torch's own
``CrossEntropyLoss``, ``BCEWithLogitsLoss``, ``MSELoss``, ``L1Loss`` and
``HuberLoss`` for the standard cases.
"""

from sklearn_seq.losses._distillation import DistillationLoss
from sklearn_seq.losses._focal import FocalLoss
from sklearn_seq.losses._metric_learning import ContrastiveLoss, TripletLoss
from sklearn_seq.losses._multitask import MultiTaskLoss
from sklearn_seq.losses._regularized import RegularizedLoss

__all__ = [
    "ContrastiveLoss",
    "DistillationLoss",
    "FocalLoss",
    "MultiTaskLoss",
    "RegularizedLoss",
    "TripletLoss",
]
