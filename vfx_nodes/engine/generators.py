"""The generators a frame is styled with: a look from a path, the cached inference copy
of its network on a device (never the look's own module), and the figures tiling needs
from it (stride alignment, halo, memory). Used by :func:`vfx_nodes.engine.stylize` and
:func:`vfx_nodes.engine.collect_stats`."""

from __future__ import annotations

import copy
import os
import threading
import weakref
from typing import TYPE_CHECKING, Any

import torch

from ..errors import DeviceError, LookError
from ..model import ops
from .tiling import half_receptive_field

if TYPE_CHECKING:
    from ..model import Look

__all__ = ["alignment", "device_copy", "generator_lock", "load", "memory_scale", "min_halo"]

def load(look: Any) -> Look:
    """The :class:`~vfx_nodes.model.Look` ``look`` names: itself, or loaded from its path."""
    from ..model import Look, load_look

    if isinstance(look, Look):
        return look
    if isinstance(look, (str, os.PathLike)):
        return load_look(look)
    if hasattr(look, "generator") and hasattr(look, "working_colorspace"):
        return look  # type: ignore[return-value]  # a Look-like object (duck typing)
    raise LookError(f"look must be a Look or the path of a look file, got {type(look).__name__}")


# device copies of generators: (id(generator), device, compile) -> (ref, versions, module)
_COPIES: dict[tuple[int, str, bool], tuple[weakref.ref, tuple[int, ...], torch.nn.Module]] = {}
_MAX_COPIES = 4


def _versions(module: torch.nn.Module) -> tuple[int, ...]:
    # Tensor._version grows with every in-place change (an optimiser step), so a cached
    # copy of a generator that is still being trained is noticed as stale.
    return tuple(int(p._version) for p in module.parameters())


def device_copy(generator: torch.nn.Module, device: torch.device, compile_: bool) -> torch.nn.Module:
    """An inference copy of ``generator`` on ``device`` (channels_last, eval, no grad).

    The look's own module is never changed (no ``.to``, no ``.eval()``, no frozen
    statistics left behind).  Copies are cached per generator, device and compile flag.
    """
    key = (id(generator), str(device), bool(compile_))
    hit = _COPIES.get(key)
    versions = _versions(generator)
    if hit is not None and hit[0]() is generator and hit[1] == versions:
        return hit[2]
    module = copy.deepcopy(generator)
    clear = getattr(module, "clear_stats", None)
    if callable(clear):
        clear()
    module = module.to(device).eval().requires_grad_(False)
    module = module.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    if compile_:
        module = _compiled(module)
    # Freezing statistics changes the copy's state, so callers sharing a cached copy
    # (threads rendering frames of a shot) take turns: see generator_lock().
    module.__dict__["_vfx_lock"] = threading.RLock()
    if len(_COPIES) >= _MAX_COPIES:
        _COPIES.pop(next(iter(_COPIES)))
    _COPIES[key] = (weakref.ref(generator), versions, module)
    return module


class _Compiled(torch.nn.Module):
    """A generator with a ``torch.compile``d forward; statistics calls reach the original."""

    def __init__(self, inner: torch.nn.Module):
        super().__init__()
        self.inner = inner
        self.fast = torch.compile(inner, dynamic=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fast(x)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self.__dict__["_modules"]["inner"], name)


def _compiled(module: torch.nn.Module) -> torch.nn.Module:
    try:
        return _Compiled(module)
    except Exception as exc:  # pragma: no cover - depends on the torch build
        raise DeviceError(f"torch.compile is not available here: {exc}") from exc


def generator_lock(module: torch.nn.Module) -> Any:
    """The lock that serialises statistics collection and frozen runs on a device copy."""
    return module.__dict__["_vfx_lock"]


def alignment(generator: Any) -> int:
    """Stride alignment for tile origins: a power of two ≥ the network's total stride."""
    return ops.tile_alignment(int(getattr(generator, "alignment", 0) or 16))


def memory_scale(generator: Any) -> float:
    """Activation memory relative to the Johnson network (width 32) the device figures were
    measured on: activations are proportional to the channel width."""
    width = (getattr(generator, "settings", None) or {}).get("width")
    if getattr(generator, "arch", "") in ("johnson", "johnson-small", "arbitrary") and isinstance(width, int):
        return max(width, 1) / 32.0
    return 1.0


def min_halo(generator: Any) -> int:
    """The halo that keeps tiles exact: the generator's own figure, else ½ receptive field."""
    halo = getattr(generator, "halo", None)
    if isinstance(halo, int):
        return halo
    return half_receptive_field(int(generator.receptive_field))
