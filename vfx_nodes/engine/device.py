"""Device and precision choice — re-exported from :mod:`vfx_nodes.model.device`, the one
policy the engine, training and optimize share (kept at this path for existing imports)."""

from ..model.device import (  # noqa: F401 - re-exports
    CPU_TILE,
    PRECISIONS,
    __all__,
    autocast,
    available_devices,
    batch_size_for,
    bytes_per_pixel,
    cuda_available,
    default_tile,
    empty_cache,
    free_memory,
    is_out_of_memory,
    mps_available,
    precision_name,
    resolve_device,
    resolve_precision,
)
