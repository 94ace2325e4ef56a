# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Data-parallel training on several GPUs with skorch's Accelerate integration.

sklearn_seq estimators train on one device. For several GPUs (one machine or
several), this script trains the same network -- :class:`sklearn_seq.nn.SequenceNet`
fed by sklearn_seq's length-bucketed batches -- with skorch's
``AccelerateMixin``, which hands the module, optimizer and data loaders to
Hugging Face Accelerate (DistributedDataParallel, one process per GPU, mixed
precision via ``--mixed-precision``).

Run it with Accelerate's launcher (not run in CI)::

    pip install "sklearn-seq[accelerate]"        # accelerate>=0.30
    accelerate config                            # once: GPUs, mixed precision
    accelerate launch examples/multi_gpu_accelerate.py --epochs 5
    # or without a config file, two GPUs on this machine, bf16:
    accelerate launch --multi_gpu --num_processes 2 --mixed_precision bf16 \
        examples/multi_gpu_accelerate.py

Each process trains on its own shard of every epoch's length-bucketed
batches (``ShardedBucketLoader`` below: all processes draw the same shuffled
batch order from the same seed and keep every ``num_processes``-th batch),
gradients are all-reduced by DistributedDataParallel, and only the main
process prints and saves. ``python examples/multi_gpu_accelerate.py``
without the launcher runs on one device (a CPU is fine for a smoke test:
``--n-samples 512 --epochs 1``).

Notes
-----
- The batch size is per process: 4 GPUs with ``--batch-size 64`` train with
  an effective batch of 256; scale the learning rate accordingly.
- Accelerate shards only ``torch.utils.data.DataLoader`` objects; sklearn_seq's
  ``BucketLoader`` (whole-slice batches, no per-sample fetching) is sharded
  here instead, and every process gets the same number of batches, which
  DistributedDataParallel needs.
- The saved file holds the unwrapped module's ``state_dict``; load it into
  ``SequenceNet`` with the same arguments.
"""

import argparse
import sys


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Train a sequence classifier on several GPUs with skorch's "
        "AccelerateMixin (launch with `accelerate launch`)."
    )
    parser.add_argument("--n-samples", type=int, default=20_000)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--batch-size", type=int, default=64, help="sequences per batch and process"
    )
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument(
        "--mixed-precision",
        default="no",
        choices=["no", "bf16", "fp16"],
        help="overrides the accelerate config",
    )
    parser.add_argument(
        "--save", default=None, help="path of a state_dict to write (main process)"
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        from accelerate import Accelerator
    except ImportError:
        sys.exit(
            "This example needs Hugging Face Accelerate: "
            "pip install 'accelerate>=0.30'."
        )
    import numpy as np
    import torch
    from skorch.hf import AccelerateMixin

    from sklearn_seq.data import BucketLoader, SequenceDataset
    from sklearn_seq.datasets import make_sequence_classification
    from sklearn_seq.estimators._base import _SeqNet
    from sklearn_seq.nn import SequenceNet
    from sklearn_seq.utils import check_sequences

    class AcceleratedNet(AccelerateMixin, _SeqNet):
        """Our skorch net (batch dicts, sample weights) under Accelerate."""

    class ShardedBucketLoader(BucketLoader):
        """This process's share of the bucketed batches, on its device."""

        def __init__(
            self, dataset, process_index=0, num_processes=1, device="cpu", **kwargs
        ):
            super().__init__(dataset, **kwargs)
            self.process_index = process_index
            self.num_processes = num_processes
            self.device = device

        def __len__(self):
            return super().__len__() // self.num_processes

        def __iter__(self):
            n_kept = len(self) * self.num_processes  # equal counts everywhere
            for i, (Xi, yi) in enumerate(super().__iter__()):
                if i >= n_kept:
                    break
                if i % self.num_processes == self.process_index:
                    yield (
                        {k: v.to(self.device) for k, v in Xi.items()},
                        yi.to(self.device),
                    )

    accelerator = Accelerator(mixed_precision=args.mixed_precision)
    X, y = make_sequence_classification(n_samples=args.n_samples, random_state=0)
    seqs = check_sequences(X)
    classes, y_enc = np.unique(y, return_inverse=True)
    dataset = SequenceDataset(seqs, y_enc.astype(np.int64))
    torch.manual_seed(0)  # the same initial weights in every process
    net = AcceleratedNet(
        SequenceNet,
        module__input_size=seqs.n_features,
        module__n_outputs=len(classes),
        module__hidden_size=args.hidden_size,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=args.lr,
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        iterator_train=ShardedBucketLoader,
        iterator_train__shuffle=True,
        iterator_train__generator=np.random.default_rng(0),
        iterator_train__process_index=accelerator.process_index,
        iterator_train__num_processes=accelerator.num_processes,
        iterator_train__device=accelerator.device,
        train_split=None,
        accelerator=accelerator,
        # Accelerate places the module; skorch must not move it
        device=None,
        verbose=int(accelerator.is_main_process),
    )
    net.fit(dataset, None)
    if accelerator.is_main_process:
        module = net.module_.eval()  # unwrapped after training
        correct = 0
        with torch.inference_mode():
            for Xi, yi in BucketLoader(dataset, batch_size=256):
                out = module(
                    Xi["x"].to(accelerator.device), Xi["lengths"].to(accelerator.device)
                )
                correct += int((out.argmax(1).cpu() == yi).sum())
        print(
            f"{accelerator.num_processes} process(es) on "
            f"{accelerator.device}, training accuracy "
            f"{correct / len(dataset):.3f}"
        )
        if args.save:
            torch.save(module.state_dict(), args.save)
            print(f"saved {args.save}")


if __name__ == "__main__":
    main()
