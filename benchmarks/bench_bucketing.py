"""Length bucketing: batch diversity, padding and accuracy, before and after.

``bucket_batches`` used to sort each pool of ``bucket_size`` batches by the
exact length. A training set smaller than one pool (``batch_size * 50``
samples) then gives the same batches every epoch, and when lengths follow the
label (speakers in JapaneseVowels, sentence templates in the NER data) every
batch is nearly label-homogeneous. The default now sorts by a jittered
length, as random as a padding budget (``max_padding=1.5``) allows. Three
arms, all through ``iterator_train_params``:

- ``sorted``: ``max_padding=1.0``, the exact length order (before);
- ``default``: ``max_padding=1.5`` (after);
- ``random``: ``bucket_size=1``, no sorting at all.

Prints, never asserts:

1. batch diversity: the fraction of the sample pairs sharing a batch in one
   epoch that share one again in the next (random batches: about
   ``(batch_size - 1) / (n - 1)``), and padding (padded steps, each batch's
   longest length times its size, over valid steps), on the lengths of the
   NER sentences, of JapaneseVowels and of skewed lognormal lengths;
2. seconds per epoch of a GRU classifier on skewed lengths (full run only);
3. accuracy, mean +- sd over seeds: ``SequenceTagger`` on 800
   ``make_ner_sentences`` (token accuracy on 2,000 others; 10 epochs,
   ``lr=1e-3``, batch 32) and ``SequenceClassifier(cell="gru")`` on
   JapaneseVowels (shipped with aeon; 20 epochs, ``lr=1e-3``, batch 32).

Usage: ``python benchmarks/bench_bucketing.py [--quick] [--seeds N]``
(``--quick``: 3 seeds, no timing, under 3 minutes; default 8 seeds).
"""

import argparse
import itertools
import os
import sys
import time

import numpy as np
import torch

from sklearn_seq import SequenceClassifier, SequenceTagger
from sklearn_seq.data import bucket_batches
from sklearn_seq.datasets import make_ner_sentences

ARMS = {
    "sorted (before)": {"max_padding": 1.0},
    "default (after)": {},
    "random": {"bucket_size": 1},
}
BATCH = 32


def _load_japanese_vowels():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    try:
        import aeon.datasets  # noqa: F401
    except ImportError:
        return None
    from bench_ucr import load_shipped

    return load_shipped("JapaneseVowels", "TRAIN"), load_shipped(
        "JapaneseVowels", "TEST"
    )


def repeat_pairs(first, second):
    """Fraction of the pairs sharing a batch in ``first`` that do in ``second``."""
    n = sum(len(b) for b in first)
    a, b = np.empty(n, np.int64), np.empty(n, np.int64)
    for i, idx in enumerate(first):
        a[idx] = i
    for i, idx in enumerate(second):
        b[idx] = i
    both = np.unique(a * len(second) + b, return_counts=True)[1]
    sizes = np.array([len(idx) for idx in first])
    return (both * (both - 1)).sum() / (sizes * (sizes - 1)).sum()


def padding(lengths, batches):
    return sum(len(b) * lengths[b].max() for b in batches) / lengths.sum()


def diversity_table(named_lengths, epochs=6):
    print("1. batch diversity and padding (batch 32, bucket_size 50, 6 epochs)")
    print(f"   {'lengths':28s} {'arm':16s} {'repeat pairs':>12s} {'padding':>8s}")
    for name, lengths in named_lengths.items():
        for arm, params in ARMS.items():
            rng = np.random.default_rng(0)
            kw = {"shuffle": True, "rng": rng, **params}
            runs = [bucket_batches(lengths, BATCH, **kw) for _ in range(epochs)]
            rep = np.mean([repeat_pairs(a, b) for a, b in itertools.pairwise(runs)])
            pad = np.mean([padding(lengths, b) for b in runs])
            print(f"   {name:28s} {arm:16s} {rep:12.3f} {pad:8.2f}")
        print(f"   {'':28s} {'(random pairs)':16s} {31 / (len(lengths) - 1):12.3f}")


def timing(n=1000, epochs=2):
    print("\n2. seconds per epoch, GRU (hidden 32) on lognormal lengths, n=1000")
    rng = np.random.default_rng(0)
    lengths = np.clip(rng.lognormal(np.log(30), 0.8, size=n).astype(int), 2, 400)
    X = [rng.normal(size=(t, 4)).astype(np.float32) for t in lengths]
    y = rng.integers(0, 2, size=n)
    for arm, params in ARMS.items():
        clf = SequenceClassifier(
            cell="gru",
            hidden_size=32,
            max_epochs=epochs,
            random_state=0,
            iterator_train_params=params or None,
        )
        start = time.perf_counter()
        clf.fit(X, y)
        print(f"   {arm:16s} {(time.perf_counter() - start) / epochs:6.2f} s")


def _report(title, scores):
    print(f"   {title}")
    for arm, values in scores.items():
        vals = " ".join(f"{v:.3f}" for v in values)
        print(f"     {arm:16s} {np.mean(values):.4f} +- {np.std(values):.4f}  [{vals}]")


def accuracy(n_seeds, jv):
    print(f"\n3. accuracy, {n_seeds} seeds (random_state=0..{n_seeds - 1})")
    X, y = make_ner_sentences(2800, random_state=0)
    X_train, y_train, X_test, y_test = X[:800], y[:800], X[800:], y[800:]
    truth = np.concatenate([np.asarray(t) for t in y_test])
    scores = {arm: [] for arm in ARMS}
    for seed in range(n_seeds):
        for arm, params in ARMS.items():
            tagger = SequenceTagger(
                max_epochs=10,
                lr=1e-3,
                batch_size=BATCH,
                random_state=seed,
                iterator_train_params=params or None,
            ).fit(X_train, y_train)
            pred = np.concatenate([np.asarray(p) for p in tagger.predict(X_test)])
            scores[arm].append(float((pred == truth).mean()))
    _report("SequenceTagger (BiLSTM), NER, 800 train / 2000 test sentences", scores)
    if jv is None:
        print("   JapaneseVowels skipped: aeon is not installed")
        return
    (X_train, y_train), (X_test, y_test) = jv
    scores = {arm: [] for arm in ARMS}
    for seed in range(n_seeds):
        for arm, params in ARMS.items():
            clf = SequenceClassifier(
                cell="gru",
                max_epochs=20,
                lr=1e-3,
                batch_size=BATCH,
                random_state=seed,
                iterator_train_params=params or None,
            ).fit(X_train, y_train)
            scores[arm].append(clf.score(X_test, y_test))
    _report("SequenceClassifier(cell='gru'), JapaneseVowels, 270 / 370", scores)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 seeds, no timing")
    parser.add_argument("--seeds", type=int, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    X, _ = make_ner_sentences(800, random_state=0)
    rng = np.random.default_rng(0)
    skew = np.clip(rng.lognormal(np.log(30), 0.8, size=2000).astype(int), 1, 400)
    named = {"NER sentences (800, 7-16)": np.array([len(s) for s in X])}
    jv = _load_japanese_vowels()
    if jv is not None:
        named["JapaneseVowels (270, 7-26)"] = np.array([len(x) for x in jv[0][0]])
    named["lognormal (800, 1-400)"] = skew[:800]
    named["lognormal (2000, 1-400)"] = skew
    diversity_table(named)
    if not args.quick:
        timing()
    accuracy(args.seeds or (3 if args.quick else 8), jv)
    print(f"\n({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
