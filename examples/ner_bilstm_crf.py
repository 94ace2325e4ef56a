# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Named-entity recognition: BiLSTM vs BiLSTM-CRF, scored by entity F1 in CV.
==========================================================================

Synthetic English-like sentences with persons, organisations, locations and
miscellaneous names (BIO tags); a third of the names are invented, so the
test folds hold many words never seen in training. Both taggers share the
encoder (word embeddings, character CNN, bidirectional LSTM); the second adds
a CRF layer with BIO constraints and Viterbi decoding. They are compared by
entity-level F1 (an entity counts only when its type and both boundaries are
right) in 3-fold cross-validation.

Run with ``python examples/ner_bilstm_crf.py``. Set ``SKLEARN_SEQ_SMALL=1``
for a seconds-long smoke run.
"""

import os
import time

import numpy as np
import torch
from sklearn.model_selection import KFold, cross_validate

from sklearn_seq import SequenceTagger
from sklearn_seq.datasets import make_ner_sentences
from sklearn_seq.metrics import get_scorer

SMALL = os.environ.get("SKLEARN_SEQ_SMALL") == "1"
if "OMP_NUM_THREADS" not in os.environ:
    # models this small gain nothing from a second intra-op thread, and on a
    # busy 2-core machine it made this script 4x slower
    torch.set_num_threads(1)

X, y = make_ner_sentences(n_samples=100 if SMALL else 400, random_state=0)
n_tokens = sum(map(len, X))
print(
    f"{len(X)} sentences, {n_tokens} tokens, tags: "
    f"{sorted({t for tags in y for t in tags})}"
)
print("example:", list(zip(X[0], y[0], strict=True)))

common = {
    "hidden_size": 16 if SMALL else 32,
    "embedding_dim": 16 if SMALL else 32,
    "char_embedding_dim": 8 if SMALL else 16,
    "word_dropout": 0.1,
    "lr": 3e-2 if SMALL else 1e-2,
    "max_epochs": 6 if SMALL else 8,
    "batch_size": 16,
    "random_state": 0,
}
models = {
    "BiLSTM": SequenceTagger(**common),
    "BiLSTM-CRF": SequenceTagger(crf=True, crf_constraints="bio", **common),
}
cv = KFold(2 if SMALL else 3, shuffle=True, random_state=0)
scoring = {"entity_f1": get_scorer("entity_f1"), "token_accuracy": None}

print(f"\n{'model':<12} {'entity F1':>16} {'token accuracy':>16} {'fit time':>9}")
for name, model in models.items():
    start = time.perf_counter()
    scores = cross_validate(model, X, y, cv=cv, scoring=scoring)
    f1 = scores["test_entity_f1"]
    acc = scores["test_token_accuracy"]
    print(
        f"{name:<12} {f1.mean():>9.3f} ± {f1.std():.3f} "
        f"{acc.mean():>9.3f} ± {acc.std():.3f} "
        f"{np.mean(scores['fit_time']):>7.1f} s"
    )
    print(f"{'':<12} total {time.perf_counter() - start:.0f} s")

# Fit the CRF tagger on everything and tag new sentences, with unseen names.
tagger = models["BiLSTM-CRF"].fit(X, y)
new = [
    ["Dr.", "Brainski", "flew", "to", "Port", "Velburg", "on", "Monday", "."],
    ["Zantech", "Labs", "appointed", "Olga", "Novak", "as", "chief", "executive", "."],
]
for sent, tags in zip(new, tagger.predict(new), strict=True):
    print(" ".join(f"{w}/{t}" for w, t in zip(sent, tags, strict=True)))
