# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""
Debugging training-serving skew
===============================

A sequence model scores well on validation data and poorly in production.
The usual cause is not the model but its inputs: production feeds it
differently from training. The debugging steps of the notes (question 19):

1. log a sample of production inputs and compare them with what the model
   was trained on (and run them through the validation pipeline);
2. if the inputs agree, export the model and run it in the production
   environment (a deployment issue);
3. log intermediate outputs and compare training and production.

:func:`sklearn_seq.inspection.skew_report` does the comparison of step 1 on
the inputs themselves: every estimator keeps a compact profile of its
training inputs at fit, and the report checks new inputs against it. Here
three simulated skews, each caught, and nothing flagged on clean data:

(a) training sequences truncated to 50 steps while serving sends whole ones
    of up to 200 steps;
(b) a preprocessing change at serving: pressure sent in Pa instead of kPa
    (x1000);
(c) text lowercased for training but sent in its raw case at serving.

The notes' fourth cause, a recurrent state carried from one request to the
next, cannot happen: predictions are stateless (checked at the end).

Set ``SKLEARN_SEQ_SMALL=1`` for a seconds-long run.
"""

import os
import pickle

import numpy as np
import torch
from sklearn.pipeline import make_pipeline

from sklearn_seq import SequenceClassifier, SequenceTagger
from sklearn_seq.datasets import make_ner_sentences
from sklearn_seq.inspection import skew_report
from sklearn_seq.preprocessing import SequenceScaler

# small recurrent models run fastest on one thread on a shared CPU
torch.set_num_threads(1)
SMALL = os.environ.get("SKLEARN_SEQ_SMALL") == "1"
N_TRAIN, N_SERVE, EPOCHS = (200, 100, 2) if SMALL else (1000, 300, 10)
TRUNCATE = 50


def sensor_logs(n, seed):
    """Machine logs of 60 to 200 steps: temperature (C), pressure (kPa), load.

    A machine is faulty (label 1) when its temperature drifts upwards.
    """
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n):
        t = int(rng.integers(60, 201))
        faulty = int(rng.random() < 0.5)
        drift = (0.02 if faulty else 0.0) * np.arange(t)
        temperature = 20 + drift + rng.normal(0, 0.5, t)
        pressure = 101.3 + rng.normal(0, 0.4, t)
        load = rng.uniform(0, 1, t)
        X.append(np.column_stack([temperature, pressure, load]).astype(np.float32))
        y.append(faulty)
    return X, np.array(y)


def show(title, report):
    """Print the report's table, then the message of each flagged check.

    ``report`` is a pandas DataFrame (a list of dicts without pandas).
    """
    rows = report.to_dict("records") if hasattr(report, "to_dict") else report
    print(f"\n== {title}")
    print(f"{'check':<13}{'training':>30}{'new':>30}  flagged")
    for row in rows:
        training, new = (
            f"{v:.4g}" if isinstance(v, float) else str(v)
            for v in (row["training"], row["new"])
        )
        print(f"{row['check']:<13}{training:>30}{new:>30}  {row['flagged']}")
    for row in rows:
        if row["flagged"]:
            print(f"  ! {row['check']}: {row['message']}")


# -- (a) and (b): numeric sequences -------------------------------------------
logs, y = sensor_logs(N_TRAIN, seed=0)
# the training pipeline kept the first 50 steps of each log
X_train = [x[:TRUNCATE] for x in logs]
model = make_pipeline(
    SequenceScaler(),
    SequenceClassifier(hidden_size=16, max_epochs=EPOCHS, random_state=0),
).fit(X_train, y)

new_logs, new_y = sensor_logs(N_SERVE, seed=1)
clean = [x[:TRUNCATE] for x in new_logs]  # prepared as in training
kpa_to_pa = np.array([1.0, 1000.0, 1.0], dtype=np.float32)
in_pa = [x * kpa_to_pa for x in clean]
print(
    f"accuracy: {model.score(clean, new_y):.3f} on new data prepared as in "
    f"training, {model.score(new_logs, new_y):.3f} on whole logs, "
    f"{model.score(in_pa, new_y):.3f} with pressure in Pa"
    + (" (tiny run)" if SMALL else "")
)

# The report flags a risk, not a certain loss: scoring logged inputs whose
# labels are known (step 1) says whether it matters. A temperature drift is
# easy to see in a long log too, but a model trained on 50 steps has never
# been tested on 200.
show("clean: new logs prepared as in training", skew_report(model, clean))
show("(a) serving sends whole logs (up to 200 steps)", skew_report(model, new_logs))
show("(b) serving sends pressure in Pa (x1000)", skew_report(model, in_pa))

# -- (c) text: lowercased in training, raw case at serving ----------------------
sentences, tags = make_ner_sentences(N_TRAIN, random_state=0)
new_sentences, new_tags = make_ner_sentences(N_SERVE, random_state=1)


def lower(docs):
    return [[w.lower() for w in s] for s in docs]


# the training pipeline lowercased the text; lowercase=False: the tagger looks
# words up as given (its default, lowercase=True, would make it immune)
tagger = SequenceTagger(
    hidden_size=16, max_epochs=EPOCHS, lowercase=False, random_state=0
).fit(lower(sentences), tags)
print(
    f"\ntag accuracy: {tagger.score(lower(new_sentences), new_tags):.3f} on "
    f"lowercased sentences, {tagger.score(new_sentences, new_tags):.3f} in raw case"
    + (" (tiny run)" if SMALL else "")
)
show(
    "clean: sentences lowercased as in training",
    skew_report(tagger, lower(new_sentences)),
)
show("(c) serving sends raw case", skew_report(tagger, new_sentences))

# warn=True for a monitoring job: one UserWarning listing the flagged checks
# skew_report(tagger, new_sentences, warn=True)

# -- the recurrent state: predictions are stateless ------------------------------
# the hidden state starts from zero for each sequence: predicting A first
# changes nothing for B
fresh = pickle.loads(pickle.dumps(model))
model.predict_proba(new_logs[:50])
same = np.array_equal(model.predict_proba(clean[50:]), fresh.predict_proba(clean[50:]))
print(f"\npredict A then B == predict B alone: {same}")
assert same
