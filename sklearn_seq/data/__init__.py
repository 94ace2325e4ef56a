# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Sequences in, tensors out: validation, collation, length bucketing."""

from sklearn_seq.data._dataset import (
    BucketLoader,
    SequenceDataset,
    bucket_batches,
    collate,
)
from sklearn_seq.data._pk_sampler import PKBatchLoader, pk_batches
from sklearn_seq.utils import IGNORE_INDEX, Sequences, check_sequences

__all__ = [
    "IGNORE_INDEX",
    "BucketLoader",
    "PKBatchLoader",
    "SequenceDataset",
    "Sequences",
    "bucket_batches",
    "check_sequences",
    "collate",
    "pk_batches",
]
