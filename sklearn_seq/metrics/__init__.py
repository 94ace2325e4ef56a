# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Metrics with scikit-learn signatures and scorers (NumPy only, no torch)."""

from sklearn_seq.metrics._cost import make_cost_scorer
from sklearn_seq.metrics._ranking import (
    mean_average_precision_score,
    mean_reciprocal_rank_score,
    ndcg_score,
    pr_auc_score,
    recall_at_k_score,
)
from sklearn_seq.metrics._regression import mean_absolute_percentage_error
from sklearn_seq.metrics._scorer import (
    get_scorer,
    get_scorer_names,
    make_fbeta_scorer,
)
from sklearn_seq.metrics._sequence_labeling import entity_f1_score
from sklearn_seq.metrics._sequence_output import (
    bleu_score,
    exact_match_score,
    token_accuracy_score,
)
from sklearn_seq.metrics._verification import (
    equal_error_rate,
    make_verification_scorer,
    tar_at_far_score,
    verification_pairs,
)

__all__ = [
    "bleu_score",
    "entity_f1_score",
    "equal_error_rate",
    "exact_match_score",
    "get_scorer",
    "get_scorer_names",
    "make_cost_scorer",
    "make_fbeta_scorer",
    "make_verification_scorer",
    "mean_absolute_percentage_error",
    "mean_average_precision_score",
    "mean_reciprocal_rank_score",
    "ndcg_score",
    "pr_auc_score",
    "recall_at_k_score",
    "tar_at_far_score",
    "token_accuracy_score",
    "verification_pairs",
]
