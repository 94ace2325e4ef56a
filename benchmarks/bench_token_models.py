# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Token models on words unseen in training: before/after the defaults of issue 15.

Measures, on held-out sentences, the token accuracy of ``SequenceTagger`` (and
its accuracy on tokens never seen in training) and the accuracy of a
``TextVectorizer -> SequenceClassifier`` pipeline, for the old defaults, the
new defaults, and the new defaults with one change undone at a time:

- ``oov_random``: the out-of-vocabulary embedding row drawn from N(0, 1) like
  the others (old) instead of starting at zero (new);
- ``word_dropout=0.05``: word dropout on top of the new defaults (which
  keep 0: it did not help once the OOV row starts at zero);
- ``embedding_dropout``: 0 for the classifier (old: no dropout on
  embeddings; new default 0.5), 0.5 for the tagger (default None, i.e.
  ``dropout``);
- ``char_n_filters=16``: as many char-CNN filters as char-embedding units
  (old) instead of ``char_n_filters``'s default;
- ``lowercase=False``: case-sensitive word vocabulary (old);
- ``token_pattern=old``: ``r"(?u)\\b\\w\\w+\\b"`` (drops punctuation and
  one-character words; old) instead of ``r"(?u)\\w+|[^\\w\\s]"``.

Data: a real corpus when it is on disk, else synthetic sentences.

- ``--hironsan PATH``: ``iob_sents.txt`` of the PyPI package
  ``hironsancorpus`` 0.1.2 (500 Japanese news sentences, MeCab tokens with
  POS and IOB2 named entities; ``pip download --no-deps hironsancorpus`` and
  untar). Tagger task: fine POS (``pos1-pos2``, 41 tags); classifier task:
  whether the sentence mentions a place (a ``B-LOC`` tag; 39% do), from the
  raw text (tokens joined by spaces).
- ``sklearn_seq.datasets.make_ner_sentences`` (English-like, synthetic): BIO
  tags for the tagger (always); the type of the first entity for the
  classifier when the real corpus is missing.

Run ``python benchmarks/bench_token_models.py --quick`` (one seed, old vs
new defaults only: about a minute on an idle core) or without ``--quick``
(3 seeds, every ablation: about 15 minutes) for the figures of
``benchmarks/notes_token_models.md``. One torch thread throughout.
"""

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import torch
from sklearn.pipeline import make_pipeline

import sklearn_seq.nn.models as nn_models
import sklearn_seq.nn.tagger as nn_tagger
from sklearn_seq import SequenceClassifier, SequenceTagger
from sklearn_seq.datasets import make_ner_sentences
from sklearn_seq.preprocessing import TextVectorizer

OLD_PATTERN = r"(?u)\b\w\w+\b"
DEFAULT_HIRONSAN = "/tmp/tokdata/hironsancorpus-0.1.2/hironsan/corpus/iob_sents.txt"


@contextlib.contextmanager
def random_oov_row(active):
    """Build token embeddings whose OOV row is random (the old behaviour)."""
    if not active:
        yield
        return
    original = nn_models.make_token_embedding

    def random_row(vocab_size, embedding_dim, oov_id=1):
        return original(vocab_size, embedding_dim, None)

    nn_models.make_token_embedding = nn_tagger.make_token_embedding = random_row
    try:
        yield
    finally:
        nn_models.make_token_embedding = nn_tagger.make_token_embedding = original


# -- data --------------------------------------------------------------------
def load_hironsan(path):
    """Sentences of tokens, fine POS tags and NE tags."""
    sents, pos, ner = [], [], []
    tok, p, n = [], [], []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) < 4:
            if tok:
                sents.append(tok)
                pos.append(p)
                ner.append(n)
            tok, p, n = [], [], []
            continue
        tok.append(cols[0])
        p.append(f"{cols[2]}-{cols[3]}")
        n.append(cols[-1])
    if tok:
        sents.append(tok)
        pos.append(p)
        ner.append(n)
    return sents, pos, ner


def first_entity(tags):
    for tag in tags:
        if tag.startswith("B-"):
            return tag[2:]
    return "none"


def split(n, test_fraction, seed):
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_test = round(n * test_fraction)
    return order[n_test:], order[:n_test]


def tagging_tasks(args):
    tasks = []
    if args.hironsan and Path(args.hironsan).exists():
        X, pos, _ = load_hironsan(args.hironsan)
        tasks.append(("hironsan POS (real, ja)", X, pos))
    X, y = make_ner_sentences(300, random_state=0)
    tasks.append(("synthetic NER (en)", X, y))
    return tasks


def classification_tasks(args):
    """Real sentences only: the synthetic ones are decided by their template
    words (every configuration scored 0.99 there), which says nothing about
    unseen words."""
    tasks = []
    if args.hironsan and Path(args.hironsan).exists():
        X, _, ner = load_hironsan(args.hironsan)
        docs = [" ".join(s) for s in X]
        y = ["LOC" if "B-LOC" in tags else "no LOC" for tags in ner]
        tasks.append(("hironsan 'mentions a place?' (real, ja)", docs, y))
    else:
        X, y = make_ner_sentences(400, random_state=1)
        docs = [" ".join(s) for s in X]
        y = [first_entity(t) for t in y]
        tasks.append(("synthetic first-entity (en)", docs, y))
    return tasks


# -- configurations ----------------------------------------------------------
#: New defaults, spelled out so that the table does not depend on them.
TAGGER_NEW = {
    "word_dropout": 0.0,
    "char_n_filters": 50,
    "lowercase": True,
    "embedding_dropout": None,
}
TAGGER_OLD = {
    "word_dropout": 0.0,
    "char_n_filters": 16,
    "lowercase": False,
    "embedding_dropout": None,
    "_oov_random": True,
}
CLASSIFIER_NEW = {"word_dropout": 0.0, "embedding_dropout": 0.5}
CLASSIFIER_OLD = {
    "word_dropout": 0.0,
    "embedding_dropout": 0.0,
    "_oov_random": True,
    "_token_pattern": OLD_PATTERN,
}


def tagger_configs():
    return {
        "old defaults": TAGGER_OLD,
        "new defaults": TAGGER_NEW,
        "new, oov_random": {**TAGGER_NEW, "_oov_random": True},
        "new, word_dropout=0.05": {**TAGGER_NEW, "word_dropout": 0.05},
        "new, char_n_filters=16": {**TAGGER_NEW, "char_n_filters": 16},
        "new, lowercase=False": {**TAGGER_NEW, "lowercase": False},
        "new, embedding_dropout=0.5": {**TAGGER_NEW, "embedding_dropout": 0.5},
        # without the character CNN, lowercasing loses the case cues: run with
        # --hironsan "" --only "no chars, lowercase=True" "no chars, ..."
        "no chars, lowercase=True": {**TAGGER_NEW, "_no_chars": True},
        "no chars, lowercase=False": {
            **TAGGER_NEW,
            "lowercase": False,
            "_no_chars": True,
        },
        "no chars, word_dropout=0.05": {
            **TAGGER_NEW,
            "word_dropout": 0.05,
            "_no_chars": True,
        },
        "no chars, lowercase=False, word_dropout=0.05": {
            **TAGGER_NEW,
            "lowercase": False,
            "word_dropout": 0.05,
            "_no_chars": True,
        },
    }


def classifier_configs():
    return {
        "old defaults": CLASSIFIER_OLD,
        "new defaults": CLASSIFIER_NEW,
        "new, oov_random": {**CLASSIFIER_NEW, "_oov_random": True},
        "new, word_dropout=0.05": {**CLASSIFIER_NEW, "word_dropout": 0.05},
        "new, embedding_dropout=0": {**CLASSIFIER_NEW, "embedding_dropout": 0.0},
        "new, embedding_dropout=0.25": {**CLASSIFIER_NEW, "embedding_dropout": 0.25},
        "new, token_pattern=old": {**CLASSIFIER_NEW, "_token_pattern": OLD_PATTERN},
        # one change at a time on top of the old defaults + new token pattern
        "old + new pattern": {**CLASSIFIER_OLD, "_token_pattern": None},
        "old + new pattern + zero OOV": {
            **CLASSIFIER_OLD,
            "_token_pattern": None,
            "_oov_random": False,
        },
        "old + new pattern + word_dropout": {
            **CLASSIFIER_OLD,
            "_token_pattern": None,
            "word_dropout": 0.05,
        },
        "old + new pattern + embedding_dropout": {
            **CLASSIFIER_OLD,
            "_token_pattern": None,
            "embedding_dropout": 0.5,
        },
    }


def run_tagger(X, y, config, seed, args):
    train, test = split(len(X), 0.3, seed)
    params = {k: v for k, v in config.items() if not k.startswith("_")}
    tagger = SequenceTagger(
        hidden_size=64,
        char_embedding_dim=None if config.get("_no_chars") else 16,
        max_epochs=args.tagger_epochs,
        random_state=seed,
        **params,
    )
    Xtr = [X[i] for i in train]
    seen = {tok for s in Xtr for tok in s}
    with random_oov_row(config.get("_oov_random", False)):
        tagger.fit(Xtr, [y[i] for i in train])
    pred = tagger.predict([X[i] for i in test])
    hits, unseen_hits = [], []
    for i, p in zip(test, pred, strict=True):
        for tok, t, q in zip(X[i], y[i], p, strict=True):
            hits.append(t == q)
            if tok not in seen:
                unseen_hits.append(t == q)
    return float(np.mean(hits)), float(np.mean(unseen_hits))


def run_classifier(docs, y, config, seed, args):
    train, test = split(len(docs), 0.3, seed)
    params = {k: v for k, v in config.items() if not k.startswith("_")}
    vec = TextVectorizer(
        **(
            {"token_pattern": config["_token_pattern"]}
            if config.get("_token_pattern")
            else {}
        )
    )
    pipe = make_pipeline(
        vec,
        SequenceClassifier(
            cell="gru",
            bidirectional=True,
            hidden_size=64,
            max_epochs=args.clf_epochs,
            random_state=seed,
            **params,
        ),
    )
    y = np.asarray(y)
    with random_oov_row(config.get("_oov_random", False)):
        pipe.fit([docs[i] for i in train], y[train])
    return float(pipe.score([docs[i] for i in test], y[test])), float("nan")


def report(kind, tasks, configs, runner, args):
    for name, X, y in tasks:
        print(f"\n## {kind}: {name} ({len(X)} sequences, 70/30 split per seed)")
        print(f"{'config':32s} {'accuracy':>16s} {'unseen tokens':>16s} {'s/fit':>7s}")
        for label, config in configs.items():
            if args.only and label not in args.only:
                continue
            scores, unseen, start = [], [], time.perf_counter()
            for seed in range(args.seeds):
                acc, oov = runner(X, y, config, seed, args)
                scores.append(acc)
                unseen.append(oov)
            per_fit = (time.perf_counter() - start) / args.seeds
            unseen_txt = (
                ""
                if np.isnan(unseen).all()
                else f"{np.mean(unseen):.3f} ± {np.std(unseen):.3f}"
            )
            print(
                f"{label:32s} {np.mean(scores):.3f} ± {np.std(scores):.3f}"
                f" {unseen_txt:>16s} {per_fit:7.1f}",
                flush=True,
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="one seed, old vs new only"
    )
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument(
        "--task", choices=["tagger", "classifier", "all"], default="all"
    )
    parser.add_argument("--hironsan", default=DEFAULT_HIRONSAN)
    parser.add_argument("--only", nargs="*", help="config labels to run")
    args = parser.parse_args(argv)
    if args.seeds is None:
        args.seeds = 1 if args.quick else 3
    # the library's default max_epochs (20) in the full run
    args.tagger_epochs = args.clf_epochs = 20
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, 1 thread, seeds 0..{args.seeds - 1}")
    if args.task in ("tagger", "all"):
        configs = tagger_configs()
        if not args.only:
            configs = {k: v for k, v in configs.items() if "_no_chars" not in v}
        if args.quick:
            configs = {k: configs[k] for k in ("old defaults", "new defaults")}
        report("SequenceTagger", tagging_tasks(args), configs, run_tagger, args)
    if args.task in ("classifier", "all"):
        configs = classifier_configs()
        if not args.only:
            configs = {k: v for k, v in configs.items() if not k.startswith("old +")}
        if args.quick:
            configs = {k: configs[k] for k in ("old defaults", "new defaults")}
        report(
            "TextVectorizer -> SequenceClassifier",
            classification_tasks(args),
            configs,
            run_classifier,
            args,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
