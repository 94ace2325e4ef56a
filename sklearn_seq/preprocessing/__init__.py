# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Transformers for sequences: text to ids, scaling, padding, flattening, windows.

NumPy and scikit-learn only: importing this package never loads torch.
"""

from sklearn_seq.preprocessing._padder import SequencePadder
from sklearn_seq.preprocessing._reshape import SequenceFlattener, SequenceReshaper
from sklearn_seq.preprocessing._scaler import SequenceScaler
from sklearn_seq.preprocessing._text import TextVectorizer
from sklearn_seq.preprocessing._vocabulary import CharVocabulary, TokenVocabulary
from sklearn_seq.preprocessing._windows import (
    SeriesWindower,
    make_windows,
    window_gap,
)

__all__ = [
    "CharVocabulary",
    "SequenceFlattener",
    "SequencePadder",
    "SequenceReshaper",
    "SequenceScaler",
    "SeriesWindower",
    "TextVectorizer",
    "TokenVocabulary",
    "make_windows",
    "window_gap",
]
