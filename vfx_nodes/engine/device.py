"""Device and precision choice — re-exported from :mod:`vfx_nodes.policy.device`, the one
policy the engine, training and optimize share (kept at this path for existing imports)."""

from ..policy import device as _policy
from ..policy.device import (  # noqa: F401 - re-exports
    CPU_TILE,
    PRECISIONS,
    __all__,
    autocast,
    available_devices,
    batch_size_for,
    bytes_per_pixel,
    default_tile,
    empty_cache,
    free_memory,
    is_out_of_memory,
    precision_name,
    resolve_device,
    resolve_precision,
)


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # private helpers (tests patch _cuda_ok / _mps_ok on the policy module through here)
    return getattr(_policy, name)
