"""Fitted weights of every estimator family, to compare two versions of the code.

A refactor of the training loop that must not change the numbers is checked by
fitting the same estimators (3 seeds of a fixed-length, a ragged, an FCN and a
regressor fit; a CRF tagger, an embedder, a seq2seq model) in two checkouts and
comparing weights, epoch losses and the embedder's ``threshold_`` bit for bit.

Usage::

    git worktree add /tmp/before REV
    (cd /tmp/before && python /path/to/benchmarks/fitted_weights.py dump before.pkl)
    python benchmarks/fitted_weights.py dump after.pkl
    python benchmarks/fitted_weights.py compare /tmp/before/before.pkl after.pkl
"""

import pickle
import sys
import warnings

import numpy as np
import torch


def dump(path):
    sys.path.insert(0, ".")  # the checkout's sklearn_seq, not the installed one
    from sklearn_seq import (
        Seq2SeqEstimator,
        SequenceClassifier,
        SequenceEmbedder,
        SequenceRegressor,
        SequenceTagger,
    )
    from sklearn_seq.datasets import (
        make_ner_sentences,
        make_reversal_task,
        make_sequence_verification,
    )

    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    Xf = rng.normal(size=(300, 20, 4)).astype(np.float32)
    yf = (Xf[:, -1, 0] > 0).astype(int)
    Xr = [
        rng.normal(size=(rng.integers(3, 30), 4)).astype(np.float32) for _ in range(300)
    ]
    yr = np.array([int(x[:, 0].mean() > 0) for x in Xr])
    fits = {}
    for seed in (0, 1, 2):
        kw = {"hidden_size": 16, "max_epochs": 3, "random_state": seed}
        fits[f"clf_fixed_{seed}"] = SequenceClassifier(**kw).fit(Xf, yf)
        fits[f"clf_ragged_{seed}"] = SequenceClassifier(
            cell="gru", early_stopping=True, **kw
        ).fit(Xr, yr)
        fits[f"clf_fcn_{seed}"] = SequenceClassifier(cell="fcn", n_filters=8, **kw).fit(
            Xf, yf
        )
        fits[f"reg_{seed}"] = SequenceRegressor(**kw).fit(Xf, Xf[:, :, 1].sum(1))
    Xs, ys = make_ner_sentences(n_samples=200, random_state=0)
    fits["tagger_crf"] = SequenceTagger(
        crf=True, hidden_size=16, max_epochs=2, random_state=0
    ).fit(Xs, ys)
    Xv, yv = make_sequence_verification(
        n_classes=20, n_samples_per_class=10, n_timesteps=16, random_state=0
    )
    fits["embedder"] = SequenceEmbedder(
        hidden_size=16, max_epochs=3, random_state=0
    ).fit(Xv, yv)
    Xq, yq = make_reversal_task(
        300, min_length=3, max_length=8, vocab_size=10, random_state=0
    )
    fits["seq2seq"] = Seq2SeqEstimator(
        hidden_size=16, max_epochs=2, random_state=0
    ).fit(Xq, yq)
    result = {
        name: (
            {
                k: v.detach().numpy().copy()
                for k, v in est.net_.module_.state_dict().items()
            },
            [h["train_loss"] for h in est.history_],
        )
        for name, est in fits.items()
    }
    result["embedder threshold_"] = fits["embedder"].threshold_
    with open(path, "wb") as f:
        pickle.dump(result, f)


def compare(before, after):
    with open(before, "rb") as f:
        a = pickle.load(f)
    with open(after, "rb") as f:
        b = pickle.load(f)
    differ = 0
    for name in a:
        if name == "embedder threshold_":
            same = a[name] == b[name]
            print(f"{name:22s} identical: {same}")
        else:
            same_w = all(
                np.array_equal(a[name][0][k], b[name][0][k]) for k in a[name][0]
            )
            same = same_w and a[name][1] == b[name][1]
            print(f"{name:22s} weights and epoch losses identical: {same}")
        differ += not same
    print(f"{len(a) - differ} of {len(a)} identical")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "dump":
        dump(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
