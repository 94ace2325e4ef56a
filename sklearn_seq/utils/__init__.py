# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Validation helpers and shared constants (NumPy only, no torch)."""

from sklearn_seq.utils._sequences import IGNORE_INDEX, Sequences, check_sequences

__all__ = ["IGNORE_INDEX", "Sequences", "check_sequences"]
