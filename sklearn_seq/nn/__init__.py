# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Pure torch modules: encoders, pooling, attention, CRF. No sklearn, no skorch."""

from sklearn_seq.nn.attention import (
    AdditiveAttention,
    AttentionPooling,
    LuongAttention,
    ScaledDotProductAttention,
    masked_softmax,
)
from sklearn_seq.nn.batchnorm import has_batchnorm, recompute_batchnorm_stats
from sklearn_seq.nn.conv import (
    FCNEncoder,
    LSTMFCNEncoder,
    MaskedBatchNorm1d,
    TCNEncoder,
    resample_to_length,
)
from sklearn_seq.nn.crf import CRF, allowed_transitions
from sklearn_seq.nn.encoders import (
    RECURRENT_INITS,
    LayerNormRecurrentLayer,
    RecurrentEncoder,
    lengths_to_mask,
)
from sklearn_seq.nn.models import CELLS, SequenceNet, WordDropout, make_encoder
from sklearn_seq.nn.pooling import SequencePooling, last_valid_step
from sklearn_seq.nn.seq2seq import Seq2Seq
from sklearn_seq.nn.tagger import CharCNN, TaggerNet, TaggingLoss
from sklearn_seq.nn.transformer import PositionalEncoding, TransformerSequenceEncoder

__all__ = [
    "CELLS",
    "CRF",
    "RECURRENT_INITS",
    "AdditiveAttention",
    "AttentionPooling",
    "CharCNN",
    "FCNEncoder",
    "LSTMFCNEncoder",
    "LayerNormRecurrentLayer",
    "LuongAttention",
    "MaskedBatchNorm1d",
    "PositionalEncoding",
    "RecurrentEncoder",
    "ScaledDotProductAttention",
    "Seq2Seq",
    "SequenceNet",
    "SequencePooling",
    "TCNEncoder",
    "TaggerNet",
    "TaggingLoss",
    "TransformerSequenceEncoder",
    "WordDropout",
    "allowed_transitions",
    "has_batchnorm",
    "last_valid_step",
    "lengths_to_mask",
    "make_encoder",
    "masked_softmax",
    "recompute_batchnorm_stats",
    "resample_to_length",
]
