# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Small sequence data sets and generators of synthetic sequence tasks.

NumPy and scikit-learn only: importing this package never loads torch.
"""

from sklearn_seq.datasets._base import load_digits_sequences
from sklearn_seq.datasets._generators import (
    make_adding_problem,
    make_sequence_classification,
    make_sequence_regression,
)
from sklearn_seq.datasets._ner import make_ner_sentences
from sklearn_seq.datasets._seq2seq import make_date_task, make_reversal_task
from sklearn_seq.datasets._verification import make_sequence_verification

__all__ = [
    "load_digits_sequences",
    "make_adding_problem",
    "make_date_task",
    "make_ner_sentences",
    "make_reversal_task",
    "make_sequence_classification",
    "make_sequence_regression",
    "make_sequence_verification",
]
