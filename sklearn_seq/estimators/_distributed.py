# Authors: The sklearn_seq developers
# SPDX-License-Identifier: BSD-3-Clause
"""Data-parallel training of one estimator over a ``torch.distributed`` group.

``fit`` with ``distributed=True`` runs in every process of the group (one per
GPU, or several CPU processes), each started by a launcher such as
``torchrun`` or ``accelerate launch``. The processes draw the same global
batches (the training seed is broadcast from rank 0), each trains on its
share of every batch through :class:`torch.nn.parallel.DistributedDataParallel`,
and the loss of each share is rescaled so that the all-reduced gradient is the
gradient of the *global* batch's loss (see :func:`scale_to_global`). The
result equals, to floating-point tolerance, one process training with the
same ``batch_size``.

Only torch's engine is used: the group is torch's, started from the
launcher's environment (``RANK``, ``WORLD_SIZE``, ``MASTER_ADDR``) when the
script has not started it.
"""

import os

import torch

__all__ = ["from_rank0", "process_group", "scale_to_global"]

_LAUNCH_HINT = (
    "launch the script with `torchrun --nproc-per-node N script.py` (or "
    "`accelerate launch`), which sets RANK, WORLD_SIZE and MASTER_ADDR, or call "
    "torch.distributed.init_process_group() before fit"
)


def process_group(device):
    """``(rank, world_size, device)`` of this process, the group started if needed.

    Parameters
    ----------
    device : str
        The resolved device of the fit (``"cpu"``, ``"cuda"`` or ``"cuda:N"``).
        A bare ``"cuda"`` becomes this process's GPU, ``cuda:LOCAL_RANK``.

    Returns
    -------
    rank, world_size : int
    device : str
    """
    import torch.distributed as dist

    if not dist.is_available():
        raise RuntimeError(
            "distributed=True needs torch.distributed, which this build of torch "
            "does not have."
        )
    cuda = device.startswith("cuda")
    if not dist.is_initialized():
        missing = [v for v in ("WORLD_SIZE", "MASTER_ADDR") if v not in os.environ]
        if missing:
            raise RuntimeError(
                "distributed=True trains one model over the processes of a "
                "torch.distributed group, and this process is in none (no process "
                f"group started, and {' and '.join(missing)} unset): {_LAUNCH_HINT}."
            )
        dist.init_process_group("nccl" if cuda else "gloo")
    rank, world_size = dist.get_rank(), dist.get_world_size()
    if device == "cuda":
        local = os.environ.get("LOCAL_RANK")
        index = int(local) if local is not None else rank % torch.cuda.device_count()
        device = f"cuda:{index}"
    if cuda:
        torch.cuda.set_device(torch.device(device))
    if dist.get_backend() == "nccl" and not cuda:
        raise ValueError(
            f"device={device!r} with an NCCL process group: NCCL moves CUDA "
            "tensors only. Train on device='cuda', or start the group with the "
            "'gloo' backend for CPU processes."
        )
    return rank, world_size, device


def _comm_device():
    import torch.distributed as dist

    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


def from_rank0(value):
    """``value`` as rank 0 has it (the seed, the validation losses), in every
    process: torch's ``broadcast_object_list``."""
    import torch.distributed as dist

    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def scale_to_global(loss, mass, n_samples, world_size):
    """Rescale this process's mean loss so DDP's gradient is the global one.

    Each process's ``loss`` is a mean over its share of the batch, of
    ``mass`` units (samples, real steps, or their weights: what the mean
    divides by). DistributedDataParallel averages the gradients of the
    ``world_size`` processes, so the loss each one backpropagates is
    ``loss * world_size * mass / total_mass``: the average of the gradients
    is then the gradient of ``sum(mass_r * loss_r) / total_mass``, the mean
    over the whole batch, exactly what one process computes on it. A process
    whose share is empty (``mass`` 0) contributes nothing.

    Returns
    -------
    scaled : Tensor
        The loss to backpropagate.
    global_loss : Tensor
        The loss of the whole batch (detached), the same in every process.
    global_samples : int
        Samples in the whole batch.
    """
    import torch.distributed as dist

    device = _comm_device()
    mass = torch.as_tensor(mass, dtype=torch.float64).to(device)
    stats = torch.stack(
        [
            loss.detach().to(device, torch.float64) * mass,
            mass,
            torch.tensor(float(n_samples), dtype=torch.float64, device=device),
        ]
    )
    dist.all_reduce(stats)
    total = stats[1].clamp(min=1e-12)
    factor = (world_size * mass / total).to(loss.device, loss.dtype)
    global_loss = (stats[0] / total).to(loss.device, loss.dtype)
    return loss * factor, global_loss, int(stats[2].item())
