# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Validation helpers, shared constants and data larger than memory (NumPy only)."""

from sklearn_seq.utils._out_of_core import (
    RaggedStore,
    RaggedWriter,
    iter_chunks,
    load_ragged,
    save_ragged,
)
from sklearn_seq.utils._sequences import IGNORE_INDEX, Sequences, check_sequences

__all__ = [
    "IGNORE_INDEX",
    "RaggedStore",
    "RaggedWriter",
    "Sequences",
    "check_sequences",
    "iter_chunks",
    "load_ragged",
    "save_ragged",
]
