"""Several GPUs: DistributedDataParallel when launched by ``torchrun``, else one process.

``torchrun --nproc_per_node=N -m vfx_nodes.cli.main train …`` sets ``WORLD_SIZE``,
``RANK`` and ``LOCAL_RANK``; :func:`init_distributed` sees them, joins the process group
(NCCL on CUDA, gloo on CPU) and pins each process to its local GPU.  Without them
training is a plain single process.  Rank 0 alone writes files (checkpoints, metrics,
contact sheets, looks); the others wait at a barrier.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

from ..errors import DeviceError

__all__ = ["DistContext", "env_world_size", "init_distributed"]


def env_world_size() -> int:
    """``$WORLD_SIZE`` as an int (1 when unset or malformed)."""
    try:
        return max(1, int(os.environ.get("WORLD_SIZE", "1")))
    except ValueError:
        return 1


@dataclasses.dataclass
class DistContext:
    """Where this process stands in a (possibly single-process) run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    initialized_here: bool = False

    @property
    def enabled(self) -> bool:
        """True when training across several processes."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True on the process that writes files (rank 0)."""
        return self.rank == 0

    def barrier(self) -> None:
        """Wait for every rank (no-op for one process)."""
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()

    def broadcast_object(self, obj: Any) -> Any:
        """``obj`` from rank 0 on every rank."""
        if not self.enabled:
            return obj
        import torch.distributed as dist

        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def all_reduce_mean(self, value: float) -> float:
        """The mean of a float over ranks."""
        if not self.enabled:
            return value
        import torch
        import torch.distributed as dist

        t = torch.tensor([float(value)], dtype=torch.float64)
        dist.all_reduce(t)
        return float(t.item()) / self.world_size

    def close(self) -> None:
        """Leave the process group if this context joined it."""
        if self.initialized_here:
            import torch.distributed as dist

            if dist.is_initialized():
                dist.destroy_process_group()
            self.initialized_here = False


def init_distributed(device: str | None = None) -> tuple[DistContext, str]:
    """Join the process group when ``torchrun`` started this process.

    Args:
        device: the device asked for (``None`` = CUDA when available, else CPU).

    Returns:
        ``(context, device)``: the device this rank uses (``cuda:LOCAL_RANK`` on GPUs).

    Raises:
        DeviceError: CUDA was asked for but is not available, or there are fewer GPUs
            than local ranks.
    """
    import torch

    from ..model.device import training_device

    world = env_world_size()
    device = training_device(device)
    if world <= 1:
        return DistContext(), device
    import torch.distributed as dist

    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", str(rank)))
    if device.startswith("cuda"):
        if local_rank >= torch.cuda.device_count():
            raise DeviceError(
                f"local rank {local_rank} needs a GPU but only {torch.cuda.device_count()} are visible")
        torch.cuda.set_device(local_rank)
        device = f"cuda:{local_rank}"
        backend = "nccl"
    else:
        backend = "gloo"
    here = False
    if not dist.is_initialized():
        dist.init_process_group(backend=backend, rank=rank, world_size=world)
        here = True
    return DistContext(rank=rank, world_size=world, local_rank=local_rank, initialized_here=here), device
