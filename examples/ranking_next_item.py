"""Next-item recommendation: a GRU over sessions, scored by Recall@20 and MRR@20.
===============================================================================

Sessions are sequences of item ids (token input). Each session prefix is a
sample and the item that follows it is the class to predict, as in GRU4Rec:
the classifier's ``predict_proba`` ranks every item, and the ranking metrics
read the rank of the true next item (layout (a) of
:mod:`sklearn_seq.metrics`: class labels plus a score matrix).

The synthetic sessions walk a catalogue of items grouped in themes: the next
item usually comes from the theme of the previous one, with a preferred
successor, so a model that remembers the session does better than popularity.

Set ``SKLEARN_SEQ_SMALL=1`` for a seconds-long smoke run.
"""

import os
import warnings

import numpy as np
from sklearn.model_selection import GridSearchCV, KFold

from sklearn_seq import SequenceClassifier
from sklearn_seq.metrics import get_scorer

SMALL = os.environ.get("SKLEARN_SEQ_SMALL") == "1"
# many classes (items) per sample is normal for next-item prediction
warnings.filterwarnings("ignore", message="The number of unique classes")
rng = np.random.default_rng(0)
n_items, n_themes = 120, 12
theme = rng.integers(0, n_themes, size=n_items + 1)
successor = rng.permutation(np.arange(1, n_items + 1))


def session(length):
    items = [int(rng.integers(1, n_items + 1))]
    for _ in range(length - 1):
        prev = items[-1]
        if rng.random() < 0.6:
            nxt = int(successor[prev - 1])
        else:
            same = np.flatnonzero(theme[1:] == theme[prev]) + 1
            nxt = int(rng.choice(same))
        items.append(nxt)
    return items


sessions = [session(int(rng.integers(3, 12))) for _ in range(300 if SMALL else 1500)]
X = [s[:-1] for s in sessions]  # the prefix...
y = np.array([s[-1] for s in sessions])  # ...and the item that follows it
print(f"{len(X)} sessions, {len(np.unique(y))} distinct next items")

scoring = {"recall@20": get_scorer("recall@20"), "mrr@20": get_scorer("mrr@20")}
grid = GridSearchCV(
    SequenceClassifier(
        cell="gru",
        embedding_dim=32,
        lr=5e-3,
        batch_size=64,
        max_epochs=3 if SMALL else 25,
        random_state=0,
    ),
    {"hidden_size": [32, 64]},
    scoring=scoring,
    refit="mrr@20",
    cv=KFold(2 if SMALL else 3, shuffle=True, random_state=0),
).fit(X, y)

for size, recall, mrr in zip(
    grid.cv_results_["param_hidden_size"],
    grid.cv_results_["mean_test_recall@20"],
    grid.cv_results_["mean_test_mrr@20"],
):
    print(f"  GRU hidden_size={size:<3} Recall@20 {recall:.3f}  MRR@20 {mrr:.3f}")

# reference: rank items by popularity in the training data
counts = np.bincount(y, minlength=n_items + 1)[1:]
popular = np.argsort(-counts)[:20] + 1
print(
    f"popularity baseline: Recall@20 {np.isin(y, popular).mean():.3f} "
    "(on the training data itself, an optimistic figure)"
)
