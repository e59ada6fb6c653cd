"""Device and precision choice — the one policy for inference, training and optimize —
and the default tile size.  It sits in the model room (torch's own level), below the
engine and training, which share it; :mod:`vfx_nodes.policy` stays standard-library only.

* :func:`resolve_device` — ``None``/``"auto"`` picks CUDA, then Apple's MPS, then the CPU;
  a named device that this machine lacks raises :class:`~vfx_nodes.errors.DeviceError`.
* :func:`resolve_precision` — ``"fp32"``, ``"fp16"`` or ``"bf16"`` (several spellings).
  ``None``/``"auto"`` is bf16 on a CUDA GPU that supports it (Ampere and later: the
  tensor cores' fast path, with fp32's exponent range so scene values never overflow) and
  fp32 everywhere else.  On the CPU fp16 runs (torch ≥ 2.1 has CPU half kernels) but is
  usually *slower* than fp32 because few CPUs do half arithmetic natively; bf16 is
  supported and fast on CPUs with AVX-512-BF16/AMX.  Reduced precisions run through
  :func:`torch.autocast`, so normalisation and the frozen statistics stay fp32.
* :func:`default_tile` — the tile edge (output pixels, halo excluded) chosen from the
  free GPU memory (:func:`torch.cuda.mem_get_info`) on CUDA, a fixed 1024 px elsewhere.
* :func:`is_out_of_memory` — recognises a device out-of-memory error
  (:class:`torch.OutOfMemoryError`, and MPS's ``RuntimeError`` wording) so the engine can
  halve the tile and retry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import torch

from ..errors import DeviceError
from ..policy.settings import PRECISION_NAMES

__all__ = [
    "CPU_TILE",
    "PRECISIONS",
    "autocast",
    "available_devices",
    "batch_size_for",
    "bytes_per_pixel",
    "cuda_available",
    "default_tile",
    "empty_cache",
    "free_memory",
    "is_out_of_memory",
    "mps_available",
    "precision_name",
    "resolve_device",
    "resolve_precision",
    "training_autocast",
    "training_device",
]

#: Spellings accepted for each precision.
PRECISIONS: dict[str, torch.dtype] = {
    spelling: {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[name]
    for spelling, name in PRECISION_NAMES.items()  # the spellings: policy/settings.py
}

_NAMES = {torch.float32: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}

#: Tile edge on the CPU and MPS.  Measured on the CPU, the Johnson network holds ~850 B of
#: activations per input pixel in fp32, so a 1024 px tile with its halo needs ~1 GB; the
#: halo and feather overhead is ~1.46× the frame's pixels at 1080p and 4K, against ~2×
#: with 512 px tiles (``benchmarks/bench_stylize.py``).
CPU_TILE = 1024

# Activation memory per input pixel of one tile, by element size.  The Johnson generator
# holds at most ~4 tensors of 64 channels at full resolution at once during inference
# (reflection-padded input, convolution output, the up-sampled map, the residual) —
# ≈ 4·64·4 B ≈ 1 KB per pixel in fp32 (measured: ≈ 850 B on the CPU).  Deliberately generous: an underestimate is caught
# by the out-of-memory retry, but each retry costs a whole pass.
# Under autocast only the convolutions produce fp16/bf16 tensors: each normalisation
# promotes to fp32 (the frozen statistics are fp32) and the next convolution casts back,
# so reduced precision saves little activation memory.  Same budget for all dtypes.
_BYTES_PER_PIXEL = {4: 1024, 2: 1024}

# Share of the free device memory a tile batch may use; the rest is left for the
# allocator's fragmentation, cuDNN workspaces and whatever else runs on the GPU.
_MEMORY_SHARE = 0.5


def cuda_available() -> bool:
    """True when torch can use a CUDA device here (every device choice asks this one
    function, so a test can stand in another machine by replacing it)."""
    return bool(torch.cuda.is_available())


def mps_available() -> bool:
    """True when torch can use Apple's Metal (MPS) device here."""
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """Device names this machine can run on, best first (e.g. ``["cuda", "cuda:0", "cpu"]``)."""
    names: list[str] = []
    if cuda_available():
        names.append("cuda")
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if mps_available():
        names.append("mps")
    names.append("cpu")
    return names


def resolve_device(device: str | torch.device | None = None) -> torch.device:
    """The :class:`torch.device` to run on.

    Args:
        device: ``None`` or ``"auto"`` (CUDA, then MPS, then CPU), or a device name such as
            ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``, or a :class:`torch.device`.

    Returns:
        The device.

    Raises:
        DeviceError: the name is not a device, or this machine does not have it (the
            message lists the devices it has).
    """
    if device is None or (isinstance(device, str) and device.strip().lower() in ("", "auto")):
        if cuda_available():
            return torch.device("cuda", torch.cuda.current_device())
        if mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    have = ", ".join(repr(n) for n in available_devices())
    try:
        dev = device if isinstance(device, torch.device) else torch.device(str(device).strip().lower())
    except (RuntimeError, ValueError, TypeError) as exc:
        raise DeviceError(f"unknown device {device!r}; this machine has {have} (or 'auto')") from exc
    if dev.type == "cpu":
        return torch.device("cpu")
    if dev.type == "cuda":
        if not cuda_available():
            raise DeviceError(f"device {str(device)!r} asked for, but CUDA is not available "
                              f"on this machine; it has {have}")
        index = 0 if dev.index is None else dev.index
        if index >= torch.cuda.device_count():
            raise DeviceError(f"device {str(device)!r} asked for, but this machine has "
                              f"{torch.cuda.device_count()} CUDA device(s); valid: {have}")
        return torch.device("cuda", index)
    if dev.type == "mps":
        if not mps_available():
            raise DeviceError(f"device {str(device)!r} asked for, but Apple MPS is not available "
                              f"on this machine; it has {have}")
        return torch.device("mps")
    raise DeviceError(f"device {str(device)!r} is not supported for inference; "
                      f"this machine has {have} (or 'auto')")


def training_device(device: str | None = None) -> str:
    """The device a training run (or an ``optimize`` render) uses, as a string.

    ``None``/``"auto"``: CUDA when available, else the CPU (training does not pick MPS on
    its own: its mixed precision and DDP paths are CUDA's). A named device is checked by
    :func:`resolve_device` (one :class:`~vfx_nodes.errors.DeviceError` naming what this
    machine has).
    """
    if device is None or str(device).strip().lower() in ("", "auto"):
        return "cuda" if cuda_available() else "cpu"
    resolve_device(device)  # checks the name and that this machine has it
    return str(device).strip().lower()


def training_autocast(device: str, precision: str) -> Callable[[], Any]:
    """A factory of the autocast context a training step runs under.

    ``auto``: the inference policy's choice for ``device`` (:func:`resolve_precision`:
    bf16 on a CUDA GPU that supports it, fp32 elsewhere); ``bf16``: bf16 on CUDA. Autocast
    is used on CUDA only (on the CPU training runs in fp32), and fp16 not at all: it would
    need loss scaling, and bf16 has fp32's exponent range.
    """
    import logging

    dev = torch.device(device)
    if dev.type == "cuda" and precision in ("auto", "bf16"):
        dtype = resolve_precision(None if precision == "auto" else "bf16", dev)
        if dtype == torch.bfloat16:
            return lambda: torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext
    if precision == "bf16":
        logging.getLogger(__name__).info("bf16 autocast is used on CUDA only; training in float32 on %s", device)
    return contextlib.nullcontext


def resolve_precision(precision: str | torch.dtype | None, device: torch.device) -> torch.dtype:
    """The compute dtype for ``device``.

    Args:
        precision: ``None``/``"auto"``, ``"fp32"``, ``"fp16"``, ``"bf16"`` (also
            ``"float32"``, ``"half"``, ``"bfloat16"`` ...), or a torch dtype.
        device: the device that will run (from :func:`resolve_device`).

    Returns:
        ``torch.float32``, ``torch.float16`` or ``torch.bfloat16``.  ``auto`` is bf16 on a
        CUDA device that supports it, else fp32.

    Raises:
        DeviceError: an unknown precision, or one the device cannot run (bf16 on a CUDA
            GPU older than Ampere; fp16/bf16 on MPS builds without it).
    """
    valid = "'auto', 'fp32', 'fp16', 'bf16'"
    if precision is None or (isinstance(precision, str) and precision.strip().lower() in ("", "auto")):
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    if isinstance(precision, torch.dtype):
        dtype = precision
        if dtype not in _NAMES:
            raise DeviceError(f"precision {precision} is not supported; valid: {valid}")
    else:
        key = str(precision).strip().lower()
        if key not in PRECISIONS:
            from ..errors import close_matches
            raise DeviceError(f"unknown precision {precision!r}; valid: {valid} "
                              f"({close_matches(key, PRECISIONS)})")
        dtype = PRECISIONS[key]
    if dtype is torch.bfloat16 and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise DeviceError(f"precision 'bf16' needs a CUDA GPU of compute capability ≥ 8.0 "
                          f"(Ampere); {torch.cuda.get_device_name(device)} lacks it: use 'fp16' or 'fp32'")
    return dtype


def precision_name(dtype: torch.dtype) -> str:
    """``"fp32"``, ``"fp16"`` or ``"bf16"``."""
    return _NAMES.get(dtype, str(dtype))


@contextlib.contextmanager
def autocast(device: torch.device, dtype: torch.dtype) -> Iterator[None]:
    """:func:`torch.autocast` for reduced precision; a no-op for fp32.

    Autocast (rather than ``model.to(dtype)``) keeps the weights, the normalisation
    arithmetic and the frozen statistics in fp32 and runs the convolutions — nearly all
    of the FLOPs — in the reduced precision (PyTorch AMP documentation, "Autocast op
    reference": ``instance_norm``/``batch_norm``/``layer_norm`` are fp32 ops).
    """
    if dtype is torch.float32:
        yield
        return
    try:
        ctx = torch.autocast(device_type=device.type, dtype=dtype)
    except RuntimeError as exc:  # pragma: no cover - depends on the torch build
        raise DeviceError(f"precision {precision_name(dtype)!r} is not supported on "
                          f"{device.type!r} by this torch build: {exc}") from exc
    with ctx:
        yield


def bytes_per_pixel(dtype: torch.dtype) -> int:
    """Estimated activation memory of one input pixel of a tile during inference."""
    return _BYTES_PER_PIXEL[4 if dtype is torch.float32 else 2]


def free_memory(device: torch.device) -> int | None:
    """Free bytes on ``device`` (CUDA only; ``None`` elsewhere)."""
    if device.type == "cuda":
        free, _total = torch.cuda.mem_get_info(device)
        return int(free)
    return None


def default_tile(device: torch.device, dtype: torch.dtype, halo: int, align: int = 16,
                 memory_scale: float = 1.0) -> int:
    """Default tile edge in output pixels (halo excluded), a multiple of ``align``.

    On CUDA the tile is the largest square whose padded input (edge + 2·halo) fits half the
    free memory at :func:`bytes_per_pixel`; on an 80 GB H100 that is larger than a 4K
    frame, so a 4096×2160 plate runs as one tile.  On the CPU and MPS it is
    :data:`CPU_TILE`.  ``memory_scale`` is the network's activation memory relative to
    the Johnson network the figures were measured on (activations grow with the channel
    width: the width-8 arbitrary-style network needs ¼), so a slimmer network gets
    larger tiles and pays for fewer halos.
    """
    scale = min(4.0, max(1.0 / 16.0, float(memory_scale)))
    free = free_memory(device)
    if free is None:
        edge = int(CPU_TILE / scale ** 0.5) // align * align
        return max(edge, 2 * align)
    pixels = free * _MEMORY_SHARE / (bytes_per_pixel(dtype) * scale)
    edge = int(pixels ** 0.5) - 2 * halo
    edge = max(edge // align * align, 2 * align)
    return min(edge, 16384)


def batch_size_for(device: torch.device, dtype: torch.dtype, tile_pixels: int) -> int:
    """How many tiles of ``tile_pixels`` input pixels to run per batch.

    One on the CPU (no gain from batching there); on CUDA as many as fit the same memory
    share as :func:`default_tile`, at most 8.
    """
    free = free_memory(device)
    if free is None:
        return 1
    n = int(free * _MEMORY_SHARE // max(1, tile_pixels * bytes_per_pixel(dtype)))
    return max(1, min(8, n))


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is a device out-of-memory error worth retrying with smaller tiles."""
    if isinstance(exc, torch.OutOfMemoryError):
        return True
    # MPS (and some older CUDA paths) raise a plain RuntimeError.
    return isinstance(exc, RuntimeError) and "out of memory" in str(exc).lower()


def empty_cache(device: torch.device) -> None:
    """Give cached allocator blocks back after an out-of-memory error."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":  # pragma: no cover - macOS only
        mps: Any = getattr(torch, "mps", None)
        if mps is not None and hasattr(mps, "empty_cache"):
            mps.empty_cache()
