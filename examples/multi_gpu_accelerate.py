# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""
One model on several GPUs or CPU processes
==========================================

``SequenceClassifier(distributed=True)`` (also ``SequenceRegressor`` and
``SequenceTagger``) trains one model over all the processes of a
``torch.distributed`` group, through DistributedDataParallel. Every process
runs this same script on the same data; a launcher starts them::

    # several GPUs on one machine (NCCL), with Hugging Face Accelerate
    accelerate launch --multi_gpu --num_processes 4 examples/multi_gpu_accelerate.py
    # or with torch's own launcher
    torchrun --nproc-per-node 4 examples/multi_gpu_accelerate.py
    # two CPU processes (gloo): what the test suite runs
    ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes 2 \\
        examples/multi_gpu_accelerate.py --device cpu --compare

Several machines: start the same command on each, with ``--num_machines``,
``--machine_rank`` and ``--main_process_ip`` (Accelerate) or ``--nnodes``,
``--node-rank`` and ``--rdzv-endpoint`` (torchrun); see ``docs/scaling.md``.

``batch_size`` is the global batch: each of N processes trains on 1/N of
every batch, and the losses are combined so that the fitted weights equal a
one-process fit with the same ``batch_size`` (``--compare`` checks it: rank 0
refits in one process and prints the largest weight difference). Every
process ends with the same fitted estimator; rank 0 prints, evaluates and
saves it (``--save model.pkl``, a plain pickle that predicts anywhere).
Without a launcher (as here, in the documentation) the script trains in one
process.
"""

import argparse
import os
import pickle
import time

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from sklearn_seq import SequenceClassifier
from sklearn_seq.datasets import make_sequence_classification

SMALL = os.environ.get("SKLEARN_SEQ_SMALL") == "1"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Train one model data-parallel on several GPUs or CPU "
        "processes (launch with torchrun or accelerate launch)."
    )
    parser.add_argument("--n-samples", type=int, default=600 if SMALL else 20_000)
    parser.add_argument("--epochs", type=int, default=8 if SMALL else 5)
    parser.add_argument(
        "--batch-size", type=int, default=64, help="the global batch (all processes)"
    )
    parser.add_argument("--hidden-size", type=int, default=16 if SMALL else 128)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument(
        "--device", default="auto", help="'auto' (each process's GPU when present)"
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="rank 0 also fits in one process and prints the weight difference",
    )
    parser.add_argument("--save", default=None, help="pickle the fitted estimator")
    return parser.parse_args(argv)


def make_classifier(args, distributed):
    return SequenceClassifier(
        hidden_size=args.hidden_size,
        batch_size=args.batch_size,
        max_epochs=args.epochs,
        lr=args.lr,
        device=args.device,
        random_state=0,
        distributed=distributed,
    )


def main(argv=None):
    args = parse_args(argv)
    # launched (torchrun, accelerate launch): one process of a group
    launched = "WORLD_SIZE" in os.environ
    X, y = make_sequence_classification(n_samples=args.n_samples, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y
    )
    clf = make_classifier(args, distributed=launched)
    start = time.perf_counter()
    clf.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    rank, world_size = 0, 1
    if launched:
        import torch.distributed as dist

        rank, world_size = dist.get_rank(), dist.get_world_size()
    if rank == 0:
        print(
            f"{world_size} process(es) on {clf.net_.device}: fit {seconds:.1f} s, "
            f"test accuracy {clf.score(X_test, y_test):.3f}"
        )
        if args.compare:
            single = make_classifier(args, distributed=False).fit(X_train, y_train)
            ours = clf.net_.module_.state_dict()
            theirs = single.net_.module_.state_dict()
            diff = max(
                float((ours[k].float().cpu() - theirs[k].float().cpu()).abs().max())
                for k in ours
            )
            same = np.array_equal(clf.predict(X_test), single.predict(X_test))
            print(
                f"one process, same batch_size: max |weight difference| {diff:.1e}, "
                f"same test predictions: {same}"
            )
        if args.save:
            with open(args.save, "wb") as f:
                pickle.dump(clf, f)
            print(f"saved {args.save}")
    if launched:
        torch.distributed.barrier()  # the others wait for rank 0's report


if __name__ == "__main__":
    main()
